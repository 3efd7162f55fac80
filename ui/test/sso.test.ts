// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import indexHtml from "../index.html?raw";
import ssoHtml from "../sso.html?raw";
import { clockTime, profilesSummary, standing, type SsoSession } from "../src/sso";
import { initSsoPage, type SsoPage } from "../src/sso-page";
import { initSsoSection, type SsoSection } from "../src/sso-section";
import { callsTo, fakeInvoke, loadBody } from "./dom";

const NOW = 1_800_000_000; // 2027-01-15 08:00:00 UTC
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function session(over: Partial<SsoSession> = {}): SsoSession {
  return {
    label: "corp",
    start_url: "https://d-1234567890.awsapps.com/start",
    region: "us-east-1",
    refreshable_config: true,
    signed_in_until: null,
    renewable: false,
    profiles: ["dev"],
    signing_in: false,
    problem: null,
    ...over,
  };
}

describe("sso words", () => {
  it("names a few profiles, and counts many", () => {
    expect(profilesSummary([])).toBe("—");
    expect(profilesSummary(["a", "b", "c"])).toBe("a, b, c");
    expect(profilesSummary(["acme-070-admin", "b", "c", "d"])).toBe("4 profiles: acme-070-admin, …");
  });

  it("says how a sign-in stands", () => {
    expect(clockTime(NOW + 40 * 60)).toBe("08:40 UTC");
    expect(standing(session(), NOW)).toEqual({ words: "not signed in", tone: "off" });
    expect(standing(session({ signed_in_until: NOW - 1 }), NOW).words).toBe("not signed in");
    expect(standing(session({ signed_in_until: NOW + 600 }), NOW).words).toBe("signed in until 08:10 UTC");
    expect(standing(session({ signed_in_until: NOW + 600, renewable: true }), NOW).words).toBe(
      "signed in · renewed by itself",
    );
    expect(standing(session({ signing_in: true }), NOW).words).toBe("signing in…");
    expect(standing(session({ problem: "ended" }), NOW).tone).toBe("attention");
  });
});

describe("sources tab: IAM Identity Center", () => {
  let section: SsoSection | undefined;
  beforeEach(() => loadBody(indexHtml));
  afterEach(() => section?.dispose());

  it("lists each sign-in with Sign in or Sign out, and starts a sign-in", async () => {
    let started = false;
    const inv = fakeInvoke({
      sso_sessions: () => [
        session({ problem: "The sign-in to corp has ended.", signing_in: started }),
        session({ label: "lab", signed_in_until: NOW + 3600, renewable: true, profiles: [] }),
      ],
      sso_sign_in: () => {
        started = true;
        return null;
      },
    });
    section = initSsoSection(document, inv, { nowSeconds: () => NOW });
    await section.load();
    const rows = document.querySelectorAll("#sso-body tr");
    expect(rows).toHaveLength(2);
    const url = rows[0]!.querySelector<HTMLElement>(".url")!;
    expect(url.textContent).toBe("d-1234567890.awsapps.com/start");
    expect(url.title).toBe("https://d-1234567890.awsapps.com/start");
    expect(rows[0]!.textContent).toContain("The sign-in to corp has ended.");
    expect([...rows[0]!.querySelectorAll("button")].map((b) => b.textContent)).toEqual(["Sign in"]);
    expect([...rows[1]!.querySelectorAll("button")].map((b) => b.textContent)).toEqual(["Sign out"]);
    expect($("sso").hidden).toBe(false);

    $<HTMLInputElement>("sso-device-code").checked = true;
    rows[0]!.querySelector("button")!.click();
    await new Promise((r) => setTimeout(r, 0));
    expect(callsTo(inv, "sso_sign_in")).toEqual([{ session: "corp", deviceCode: true }]);
    expect($("sso-status").textContent).toBe("Signing in to corp: confirm the code in the dialog.");
    expect(document.querySelector<HTMLButtonElement>("#sso-body tr button")!.textContent).toBe("Start over");
    // The sign-in ended (the engine's event re-lists): the row says how it stands now.
    started = false;
    await section.load();
    expect($("sso-status").textContent).toBe("");
  });

  it("says when the config names none", async () => {
    section = initSsoSection(document, fakeInvoke({ sso_sessions: () => [] }));
    await section.load();
    expect($("sso").hidden).toBe(true);
    expect($("sso-empty").hidden).toBe(false);
  });
});

describe("sign-in dialog", () => {
  let page: SsoPage | undefined;
  beforeEach(() => loadBody(ssoHtml));
  afterEach(() => page?.dispose());

  it("shows the device code large with its page; copy and open go through Rust", async () => {
    const inv = fakeInvoke({
      sso_prompt: () => ({
        session: "corp",
        user_code: "ABCD-EFGH",
        url: "https://device.sso.us-east-1.amazonaws.com/",
        open_url: "https://device.sso.us-east-1.amazonaws.com/?user_code=ABCD-EFGH",
        opened: false,
      }),
      sso_copy_code: () => null,
      sso_cancel: () => null,
    });
    page = initSsoPage(document, inv);
    await page.ready;
    expect($("user-code").textContent).toBe("ABCD-EFGH");
    expect($("user-code-row").hidden).toBe(false);
    expect($("sso-url").textContent).toBe("https://device.sso.us-east-1.amazonaws.com/");
    expect($("sso-title").textContent).toBe("Sign in to corp");
    $("copy").click();
    await new Promise((r) => setTimeout(r, 0));
    expect(callsTo(inv, "sso_copy_code")).toHaveLength(1);
    expect($("status").textContent).toBe("Code copied.");
    document.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape" }));
    expect(callsTo(inv, "sso_cancel")).toHaveLength(1);
  });

  it("shows only the page for a browser sign-in that could not open one", async () => {
    page = initSsoPage(
      document,
      fakeInvoke({
        sso_prompt: () => ({ session: "corp", user_code: null, url: "https://x/authorize", open_url: "https://x/authorize", opened: false }),
      }),
    );
    await page.ready;
    expect($("user-code-row").hidden).toBe(true);
    expect($("sso-lead").textContent).toContain("Open this page");
  });
});
