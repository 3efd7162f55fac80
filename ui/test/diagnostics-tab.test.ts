// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import indexHtml from "../index.html?raw";
import type { Check, Diagnostics } from "../src/diagnostics";
import { initDiagnosticsTab, type DiagnosticsTab } from "../src/diagnostics-tab";
import { callsTo, fakeInvoke, loadBody } from "./dom";

const check = (name: string, outcome: Check["outcome"], fix: string | null = null): Check => ({
  name,
  outcome,
  detail: `${name} detail`,
  fix,
});

const base: Diagnostics = {
  config_file: "/home/a/.aws/config",
  credentials_file: "/home/a/.aws/credentials",
  checks: [],
};

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const rows = () =>
  [...document.querySelectorAll("#checks li")].map((li) => ({
    badge: li.querySelector(".outcome")?.textContent,
    tone: (li.querySelector(".outcome") as HTMLElement).dataset.tone,
    name: li.querySelector(".check-name")?.textContent,
    detail: li.querySelector(".check-detail")?.textContent,
    fix: li.querySelector(".check-fix")?.textContent ?? null,
  }));

let tab: DiagnosticsTab | undefined;
beforeEach(() => loadBody(indexHtml));
afterEach(() => {
  tab?.dispose();
  tab = undefined;
});

describe("diagnostics tab", () => {
  it.each([
    [
      [check("Keychain", "ok")],
      [{ badge: "ok", tone: "ok", name: "Keychain", detail: "Keychain detail", fix: null }],
      "The check passed.",
      true,
    ],
    [
      [check("Keychain", "fail", "Unlock the keychain."), check("Clock", "warn", "Sync the clock.")],
      [
        { badge: "FAIL", tone: "error", name: "Keychain", detail: "Keychain detail", fix: "Fix: Unlock the keychain." },
        { badge: "warn", tone: "warn", name: "Clock", detail: "Clock detail", fix: "Fix: Sync the clock." },
      ],
      "1 failed, 1 warning.",
      false,
    ],
    [[], [], "", true],
  ])("checks %#", async (checks, expected, summary, flagHidden) => {
    const inv = fakeInvoke({ diagnostics: () => ({ ...base, checks }) });
    tab = initDiagnosticsTab(document, inv);
    await tab.load();
    expect(rows()).toEqual(expected);
    expect($("checks-status").textContent).toBe(summary);
    expect($("diag-flag").hidden).toBe(flagHidden);
  });

  it("shows the files, and each refused line once, as a failed check with its line", async () => {
    const refused = [
      "/home/a/.aws/config, line 3: Expected a property definition; remove the indentation",
      "/home/a/.aws/config, line 9: [profile b is not closed; add ]",
    ];
    const inv = fakeInvoke({
      diagnostics: () => ({
        ...base,
        checks: [
          check("config file", "ok"),
          ...refused.map((detail) => ({ name: "config file syntax", outcome: "fail", detail, fix: null })),
        ],
      }),
    });
    tab = initDiagnosticsTab(document, inv);
    await tab.load();
    expect($("config-file").textContent).toBe(base.config_file);
    expect($("credentials-file").textContent).toBe(base.credentials_file);
    expect(rows().filter((r) => r.badge === "FAIL").map((r) => r.detail)).toEqual(refused);
    expect($("checks-status").textContent).toBe("2 failed.");
    expect($("diag-flag").textContent).toBe("2");
    // Only the checks list: no second list of the same lines.
    expect(document.getElementById("problems")).toBeNull();
    expect(document.body.textContent?.split("line 3:").length).toBe(2);
  });

  it("tolerates an answer without checks", async () => {
    const { checks: _omit, ...partial } = base;
    const inv = fakeInvoke({ diagnostics: () => partial });
    tab = initDiagnosticsTab(document, inv);
    await tab.load();
    expect(rows()).toEqual([]);
    expect($("config-file").textContent).toBe(base.config_file);
    expect($("diag-flag").hidden).toBe(true);
  });

  it("Check again runs diagnostics again and shows the new result", async () => {
    let checks = [check("Keychain", "fail", "Unlock it.")];
    const inv = fakeInvoke({ diagnostics: () => ({ ...base, checks }) });
    tab = initDiagnosticsTab(document, inv);
    await tab.load();
    checks = [check("Keychain", "ok")];
    $<HTMLButtonElement>("check-again").click();
    await vi.waitFor(() => expect(rows()[0]?.badge).toBe("ok"));
    expect(callsTo(inv, "diagnostics")).toEqual([undefined, undefined]);
    expect($("diag-flag").hidden).toBe(true);
  });

  it("shows an error when diagnostics fail", async () => {
    const inv = fakeInvoke({
      diagnostics: () => {
        throw { code: "Internal", message: "boom" };
      },
    });
    tab = initDiagnosticsTab(document, inv);
    await tab.load();
    expect($("checks-status").textContent).toBe("Could not run diagnostics: boom");
    expect($("config-file").textContent).toBe("—");
    expect(rows()).toEqual([]);
  });
});
