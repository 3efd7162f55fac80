// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import indexHtml from "../index.html?raw";
import { initManagerPage, type ManagerPage } from "../src/manager-page";
import { EMPTY_MESSAGE, type Diagnostics, type SessionView } from "../src/sessions";
import { loadBody } from "./dom";

const sessions: SessionView[] = [
  {
    name: "default",
    kind: "static",
    role_arn: null,
    source_profile: null,
    mfa_serial: null,
    state: "off",
    condition: "off",
    active: false,
  },
  {
    name: "prod",
    kind: "role",
    role_arn: "arn:aws:iam::123456789012:role/Admin",
    source_profile: "default",
    mfa_serial: "arn:aws:iam::123456789012:mfa/alice",
    state: "fresh · 47 min",
    condition: "fresh",
    active: true,
  },
];

const diag: Diagnostics = {
  config_file: "/home/a/.aws/config",
  credentials_file: "/home/a/.aws/credentials",
  checks: [
    { name: "config file", outcome: "ok", detail: "/home/a/.aws/config (the default)", fix: null },
    {
      name: "config file syntax",
      outcome: "fail",
      detail: "/home/a/.aws/config, line 12: Expected a property definition",
      fix: null,
    },
  ],
};

const $ = (id: string) => document.getElementById(id) as HTMLElement;
let page: ManagerPage | undefined;

beforeEach(() => {
  loadBody(indexHtml);
});
afterEach(() => {
  page?.dispose();
  page = undefined;
});

describe("manager page", () => {
  it("lists sessions in the table", async () => {
    const inv = vi.fn(async (cmd: string) => (cmd === "list_sessions" ? sessions : diag));
    page = initManagerPage(document, inv, { pollMs: 0 });
    await page.ready;
    const rows = [...document.querySelectorAll("#sessions-body tr")].map((tr) =>
      [...tr.querySelectorAll("td")].map((td) => td.textContent),
    );
    expect(rows).toEqual([
      // Plain keys: no choices, nothing to activate; the console through a federation token.
      ["default", "static keys", "—", "off", "—", "Open console"],
      [
        "prod MFA",
        "Admin123456789012Copy",
        "default",
        "fresh · 47 min",
        "FileProcessProfile's 1 h15 min30 min1 h2 h4 h8 h12 h",
        "Refresh nowDeactivateOpen console",
      ],
    ]);
    expect(($("sessions") as HTMLTableElement).hidden).toBe(false);
    expect($("empty").hidden).toBe(true);
  });

  it("says at the top why the tray icon is missing, and only then", async () => {
    const notice = { why: "nothing on the session bus shows tray icons", fix: "install the AppIndicator extension" };
    for (const [answer, shown] of [[notice, true], [null, false]] as const) {
      loadBody(indexHtml);
      const inv = vi.fn(async (cmd: string) =>
        cmd === "list_sessions" ? sessions : cmd === "tray_notice" ? answer : diag,
      );
      page?.dispose();
      page = initManagerPage(document, inv, { pollMs: 0 });
      await page.ready;
      expect($("tray-notice").hidden).toBe(!shown);
      if (shown) {
        expect($("tray-notice").textContent).toContain("No tray icon on this desktop.");
        expect($("tray-notice-why").textContent).toBe("Nothing on the session bus shows tray icons.");
        expect($("tray-notice-fix").textContent).toBe("To fix: install the AppIndicator extension.");
      }
    }
  });

  it("shows the first-run guide when there is no profile, and its buttons work", async () => {
    const guide = { config_path: "/home/a/.aws/config", example: "[profile prodaccess]\nrole_arn = x\n" };
    let trayClipboard = true;
    const inv = vi.fn(async (cmd: string, _args?: Record<string, unknown>) =>
      cmd === "copy_text"
        ? trayClipboard
          ? null
          : Promise.reject({ code: "Engine", message: "the clipboard refused the text" })
        : cmd === "list_sessions"
        ? []
        : cmd === "first_run_guide"
          ? guide
          : cmd === "open_config_file"
            ? { path: guide.config_path, created: true }
            : cmd === "list_sources" || cmd === "importable_profiles" || cmd === "sso_sessions"
              ? []
              : { ...diag, checks: [diag.checks[0]] },
    );
    page = initManagerPage(document, inv, { pollMs: 0 });
    await page.ready;
    expect($("first-run").hidden).toBe(false);
    expect($("empty").hidden).toBe(true);
    expect($("empty").textContent).toBe(EMPTY_MESSAGE);
    expect(($("sessions") as HTMLTableElement).hidden).toBe(true);
    await vi.waitFor(() => expect($("first-run-example").textContent).toBe(guide.example));
    expect($("first-run-config").textContent).toBe(guide.config_path);
    $("first-run-open").click();
    await vi.waitFor(() =>
      expect($("first-run-status").textContent).toBe(
        "Created /home/a/.aws/config (only you can read it) and opened it in your editor.",
      ),
    );
    const writeText = vi.fn(async () => undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    // Copied by the tray, so it stays on the clipboard after the window's process is gone.
    $("first-run-copy").click();
    await vi.waitFor(() => expect(inv).toHaveBeenCalledWith("copy_text", { text: guide.example }));
    await vi.waitFor(() => expect($("first-run-status").textContent).toContain("Copied the example"));
    expect(writeText).not.toHaveBeenCalled();
    // A tray that cannot reach the clipboard: the page copies it itself.
    trayClipboard = false;
    $("first-run-copy").click();
    await vi.waitFor(() => expect(writeText).toHaveBeenCalledWith(guide.example));
    $("first-run-keys").click();
    await vi.waitFor(() => expect(document.activeElement).toBe($("source-name")));
    expect($("panel-sources").hidden).toBe(false);
    expect($("checks-status").textContent).toBe("The check passed.");
    expect($("diag-flag").hidden).toBe(true);
  });

  it("lists the diagnostics checks, a refused line with its line number", async () => {
    const inv = vi.fn(async (cmd: string) => (cmd === "list_sessions" ? sessions : diag));
    page = initManagerPage(document, inv, { pollMs: 0 });
    await page.ready;
    expect($("config-file").textContent).toBe(diag.config_file);
    expect($("credentials-file").textContent).toBe(diag.credentials_file);
    expect([...document.querySelectorAll("#checks .check-detail")].map((d) => d.textContent)).toEqual(
      diag.checks.map((c) => c.detail),
    );
  });

  it("follows the engine's events: one re-list for a burst, none after dispose", async () => {
    const inv = vi.fn(async (cmd: string) => (cmd === "list_sessions" ? sessions : diag));
    let send: ((n: { kind: string; name: string | null }) => void) | undefined;
    let stopped = 0;
    page = initManagerPage(document, inv, {
      pollMs: 0,
      settleMs: 10,
      subscribe: (onNotice) => {
        send = onNotice;
        return () => {
          stopped += 1;
        };
      },
    });
    await page.ready;
    const lists = () => inv.mock.calls.filter(([c]) => c === "list_sessions").length;
    const before = lists();
    for (let i = 0; i < 50; i++) send!({ kind: "refreshed", name: `s${i}` });
    await vi.waitFor(() => expect(lists()).toBe(before + 1));
    await new Promise((r) => setTimeout(r, 30));
    expect(lists()).toBe(before + 1);
    page.dispose();
    page = undefined;
    await Promise.resolve();
    expect(stopped).toBe(1);
  });

  it("Refresh all now calls refresh_all and then re-lists", async () => {
    let list: SessionView[] = [];
    const inv = vi.fn(async (cmd: string) => {
      if (cmd === "refresh_all") {
        list = sessions;
        return null;
      }
      return cmd === "list_sessions" ? list : diag;
    });
    page = initManagerPage(document, inv, { pollMs: 0 });
    await page.ready;
    inv.mockClear();
    ($("refresh") as HTMLButtonElement).click();
    await vi.waitFor(() => expect(document.querySelectorAll("#sessions-body tr")).toHaveLength(2));
    const cmds = inv.mock.calls.map(([c]) => c);
    expect(cmds[0]).toBe("refresh_all");
    expect(cmds).toContain("list_sessions");
    expect(($("refresh") as HTMLButtonElement).disabled).toBe(false);
  });

  it("shows IPC errors as text", async () => {
    const inv = vi.fn(async () => {
      throw { code: "Internal", message: "config unreadable" };
    });
    page = initManagerPage(document, inv, { pollMs: 0 });
    await page.ready;
    expect($("list-status").textContent).toBe("Could not list sessions: config unreadable");
    expect($("checks-status").textContent).toBe("Could not run diagnostics: config unreadable");
  });
});

describe("manager page: tabs", () => {
  const everything = () =>
    vi.fn(async (cmd: string) => {
      switch (cmd) {
        case "list_sessions":
          return sessions;
        case "diagnostics":
          return diag;
        case "list_sources":
          return [];
        case "importable_profiles":
          return [];
        case "sso_sessions":
          return [];
        case "get_settings":
          return { refresh_before_minutes: 10, warn_before_minutes: 5, notifications: true, start_at_login: false };
        default:
          throw { code: "Internal", message: `unexpected ${cmd}` };
      }
    });
  const cmds = (inv: ReturnType<typeof everything>) => inv.mock.calls.map(([c]) => c);

  afterEach(() => {
    window.location.hash = "";
    vi.useRealTimers();
  });

  it("loads Sources and Settings only when their tab is shown", async () => {
    const inv = everything();
    page = initManagerPage(document, inv, { pollMs: 0 });
    await page.ready;
    expect(new Set(cmds(inv))).toEqual(new Set(["list_sessions", "diagnostics", "tray_notice"]));
    expect($("panel-sessions").hidden).toBe(false);

    inv.mockClear();
    ($("tab-sources") as HTMLButtonElement).click();
    await vi.waitFor(() =>
      expect(cmds(inv)).toEqual(["list_sources", "importable_profiles", "sso_sessions"]),
    );
    expect($("panel-sources").hidden).toBe(false);
    expect($("panel-sessions").hidden).toBe(true);

    inv.mockClear();
    await page.show("settings");
    expect(cmds(inv)).toEqual(["about", "get_settings"]); // the About card is on that tab
    expect(($("refresh-before") as HTMLInputElement).value).toBe("10");

    inv.mockClear();
    await page.show("sessions");
    expect(cmds(inv)).toEqual(["list_sessions"]);
  });

  it.each([
    ["#settings", "settings", "get_settings"],
    ["#sources", "sources", "list_sources"],
    ["#nonsense", "sessions", "list_sessions"],
  ])("URL fragment %s opens on %s", async (hash, tab, cmd) => {
    window.location.hash = hash;
    const inv = everything();
    page = initManagerPage(document, inv, { pollMs: 0 });
    await page.ready;
    expect($(`tab-${tab}`).getAttribute("aria-selected")).toBe("true");
    expect($(`panel-${tab}`).hidden).toBe(false);
    expect(cmds(inv)).toContain(cmd);
  });

  it("re-lists every 30 s and on focus, only while Sessions is shown", async () => {
    vi.useFakeTimers();
    const inv = everything();
    page = initManagerPage(document, inv);
    await page.ready;
    inv.mockClear();
    await vi.advanceTimersByTimeAsync(30_000);
    window.dispatchEvent(new Event("focus"));
    expect(cmds(inv)).toEqual(["list_sessions", "list_sessions"]);

    await page.show("settings");
    inv.mockClear();
    await vi.advanceTimersByTimeAsync(60_000);
    window.dispatchEvent(new Event("focus"));
    expect(cmds(inv)).toEqual([]);
  });

  it("marks the Diagnostics tab when there are problems", async () => {
    const inv = everything();
    page = initManagerPage(document, inv, { pollMs: 0 });
    await page.ready;
    expect($("diag-flag").hidden).toBe(false);
    expect($("diag-flag").textContent).toBe("1");
  });
});
