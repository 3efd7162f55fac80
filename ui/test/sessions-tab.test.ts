// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import indexHtml from "../index.html?raw";
import { initSessionsTab, type SessionsTab } from "../src/sessions-tab";
import type { Condition, SessionView } from "../src/sessions";
import { callsTo, fakeInvoke, loadBody, typeValue } from "./dom";
import { FILTER_CASES, manyProfiles } from "./many-profiles";

const view = (
  name: string,
  active: boolean,
  state: string,
  condition: Condition = active ? "fresh" : "off",
): SessionView => ({
  name,
  kind: "role",
  role_arn: `arn:aws:iam::123456789012:role/${name}`,
  source_profile: "work",
  mfa_serial: null,
  state,
  condition,
  active,
});

const sessions = [view("prod", true, "fresh · 47 min"), view("dev", false, "off")];

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const rowButtons = (name: string) =>
  [...document.querySelectorAll<HTMLButtonElement>(`#sessions-body tr[data-name="${name}"] td.actions button`)];

let tab: SessionsTab | undefined;
beforeEach(() => loadBody(indexHtml));
afterEach(() => {
  tab?.dispose();
  tab = undefined;
});

describe("sessions tab", () => {
  it.each([
    [true, "fresh · 47 min", "fresh", ["Refresh now", "Deactivate", "Open console"], ["Refresh x now", "Deactivate x", "Open the AWS console as x"], "ok"],
    [false, "off", "off", ["Activate", "Open console"], ["Activate x", "Open the AWS console as x"], "off"],
    [true, "needs MFA code", "needs_mfa", ["Refresh now", "Deactivate", "Open console"], ["Refresh x now", "Deactivate x", "Open the AWS console as x"], "attention"],
    [true, "failing: AccessDenied", "failing", ["Refresh now", "Deactivate", "Open console"], ["Refresh x now", "Deactivate x", "Open the AWS console as x"], "error"],
  ] as const)("active %j, state %j (%s) → buttons %j", async (active, state, condition, labels, names, tone) => {
    const inv = fakeInvoke({ list_sessions: () => [view("x", active, state, condition)] });
    tab = initSessionsTab(document, inv);
    await tab.reload();
    const buttons = rowButtons("x");
    expect(buttons.map((b) => b.textContent)).toEqual(labels);
    expect(buttons.map((b) => b.getAttribute("aria-label"))).toEqual(names);
    const stateCell = document.querySelector<HTMLElement>('#sessions-body tr[data-name="x"] td.state')!;
    expect(stateCell.textContent).toBe(state);
    expect(stateCell.dataset.tone).toBe(tone);
  });

  it.each([
    ["prod", "Refresh now", "refresh_session"],
    ["prod", "Deactivate", "deactivate_session"],
    ["dev", "Activate", "activate_session"],
  ])("%s: %s calls %s({name}) and re-lists", async (name, label, command) => {
    const inv = fakeInvoke({ list_sessions: () => sessions, [command]: () => null });
    tab = initSessionsTab(document, inv);
    await tab.reload();
    inv.mockClear();
    rowButtons(name).find((b) => b.textContent === label)!.click();
    await vi.waitFor(() => expect(callsTo(inv, "list_sessions")).toHaveLength(1));
    expect(inv.mock.calls.map(([c]) => c)).toEqual([command, "list_sessions"]);
    // Activate sends the row's choices (the defaults here); the others only the name.
    const args = command === "activate_session" ? { name, delivery: "file", durationSeconds: 0 } : { name };
    expect(callsTo(inv, command)).toEqual([args]);
    expect($("list-status").textContent).toMatch(new RegExp(`^${name}: `));
    expect($("session-error").hidden).toBe(true);
  });

  const select = (name: string, cls: string) =>
    document.querySelector<HTMLSelectElement>(`#sessions-body tr[data-name="${name}"] select.${cls}`)!;

  it("shows an active session's choices, and a changed one applies at once", async () => {
    const chosen = { ...view("prod", true, "fresh · 47 min"), delivery: "process" as const, duration_seconds: 5400 };
    const inv = fakeInvoke({ list_sessions: () => [chosen], activate_session: () => null });
    tab = initSessionsTab(document, inv);
    await tab.reload();
    expect(select("prod", "delivery").value).toBe("process");
    // 90 min was chosen on the command line: offered as it is.
    expect(select("prod", "duration").value).toBe("5400");
    expect(select("prod", "duration").selectedOptions[0].textContent).toBe("90 min");
    expect(select("prod", "delivery").getAttribute("aria-label")).toBe("Delivery of prod");
    inv.mockClear();
    select("prod", "duration").value = "7200";
    select("prod", "duration").dispatchEvent(new Event("change", { bubbles: true }));
    await vi.waitFor(() => expect(callsTo(inv, "list_sessions")).toHaveLength(1));
    expect(callsTo(inv, "activate_session")).toEqual([{ name: "prod", delivery: "process", durationSeconds: 7200 }]);
  });

  it("an inactive session's choices wait for Activate", async () => {
    const inv = fakeInvoke({ list_sessions: () => [view("dev", false, "off")], activate_session: () => null });
    tab = initSessionsTab(document, inv);
    await tab.reload();
    inv.mockClear();
    select("dev", "delivery").value = "process";
    select("dev", "delivery").dispatchEvent(new Event("change", { bubbles: true }));
    await new Promise((r) => setTimeout(r, 0));
    expect(inv).not.toHaveBeenCalled();
    // A re-list (the window polls) keeps what was picked.
    await tab.reload();
    expect(select("dev", "delivery").value).toBe("process");
    rowButtons("dev").find((b) => b.textContent === "Activate")!.click();
    await vi.waitFor(() => expect(callsTo(inv, "list_sessions")).toHaveLength(1));
    expect(callsTo(inv, "activate_session")).toEqual([{ name: "dev", delivery: "process", durationSeconds: 0 }]);
  });

  it("a code asked for in the dialog is said, and the engine's news finishes the action", async () => {
    const inv = fakeInvoke({ list_sessions: () => sessions, activate_session: () => "code_asked" });
    tab = initSessionsTab(document, inv);
    await tab.reload();
    await tab.run("dev", "activate_session");
    expect($("list-status").textContent).toBe("dev: type the MFA code in the dialog to finish.");
    expect($("session-error").hidden).toBe(true);
    tab.noticed("activated", "prod");
    expect($("list-status").textContent).toBe("dev: type the MFA code in the dialog to finish.");
    tab.noticed("activated", "dev");
    expect($("list-status").textContent).toBe("dev: fresh.");
  });

  it.each([
    ["recovered", true],
    ["refreshed", true],
    ["deactivated", true],
    ["failed", false],
    ["changed", false],
  ])("an error banner goes when the engine reports %s: %j", async (kind, gone) => {
    const inv = fakeInvoke({
      list_sessions: () => sessions,
      refresh_session: () => {
        throw { code: "Engine", message: "STS is throttling." };
      },
    });
    tab = initSessionsTab(document, inv);
    await tab.reload();
    await tab.run("prod", "refresh_session");
    expect($("session-error").hidden).toBe(false);
    tab.noticed(kind, "dev");
    expect($("session-error").hidden).toBe(false);
    tab.noticed(kind, "prod");
    expect($("session-error").hidden).toBe(gone);
  });

  it("plain keys offer no choices and no Activate", async () => {
    const keys = { ...view("keys", false, "long-term keys", "long_term_keys"), kind: "static" as const, role_arn: null };
    const inv = fakeInvoke({ list_sessions: () => [keys] });
    tab = initSessionsTab(document, inv);
    await tab.reload();
    expect(rowButtons("keys").map((b) => b.textContent)).toEqual(["Open console"]);
    expect(document.querySelector('#sessions-body tr[data-name="keys"] td.choices')!.textContent).toBe("—");
  });

  it("Open console calls open_console({name}), says what it was told, and never gets the URL", async () => {
    const inv = fakeInvoke({
      list_sessions: () => sessions,
      open_console: () => ["it carries no MFA context"],
    });
    tab = initSessionsTab(document, inv);
    await tab.reload();
    inv.mockClear();
    rowButtons("dev").find((b) => b.textContent === "Open console")!.click();
    await vi.waitFor(() => expect(callsTo(inv, "list_sessions")).toHaveLength(1));
    expect(inv.mock.calls.map(([c]) => c)).toEqual(["open_console", "list_sessions"]);
    expect(callsTo(inv, "open_console")).toEqual([{ name: "dev" }]);
    expect($("list-status").textContent).toBe(
      "dev: the AWS console opened in your browser. Note: it carries no MFA context",
    );
  });

  it("Open console's error shows in the banner", async () => {
    const inv = fakeInvoke({
      list_sessions: () => sessions,
      open_console: () => {
        throw { code: "InvalidInput", message: "cannot open a browser for the AWS console of profile `dev`" };
      },
    });
    tab = initSessionsTab(document, inv);
    await tab.reload();
    await tab.run("dev", "open_console");
    expect($("session-error").hidden).toBe(false);
    expect($("session-error-message").textContent).toBe(
      "dev: cannot open a browser for the AWS console of profile `dev`",
    );
  });

  it.each([
    ["Conflict", "Remove or rename that section, or activate from the command line with --force."],
    ["Engine", null],
  ])("error %s: message inline (role=alert) with hint %j, then re-lists", async (code, hint) => {
    const inv = fakeInvoke({
      list_sessions: () => sessions,
      activate_session: () => {
        throw { code, message: "It went wrong." };
      },
    });
    tab = initSessionsTab(document, inv);
    await tab.reload();
    inv.mockClear();
    await tab.run("dev", "activate_session");
    const box = $("session-error");
    expect(box.getAttribute("role")).toBe("alert");
    expect(box.hidden).toBe(false);
    expect($("session-error-message").textContent).toBe("dev: It went wrong.");
    expect($("session-error-hint").hidden).toBe(hint === null);
    expect($("session-error-hint").textContent).toBe(hint ?? "");
    expect(callsTo(inv, "list_sessions")).toHaveLength(1);
    expect(rowButtons("dev").every((b) => !b.disabled)).toBe(true);
  });

  it.each([
    ["MFA session until 21:40 UTC, then a code", "MFA session until 21:40 UTC, then a code"],
    [null, null],
  ])("shows the MFA plan %j under the state", async (plan, shown) => {
    const inv = fakeInvoke({ list_sessions: () => [{ ...view("x", true, "fresh · 47 min"), plan }] });
    tab = initSessionsTab(document, inv);
    await tab.reload();
    const planLine = document.querySelector<HTMLElement>('#sessions-body tr[data-name="x"] td.state .plan');
    expect(planLine?.textContent ?? null).toBe(shown);
  });

  it("a later success clears the error", async () => {
    let fail = true;
    const inv = fakeInvoke({
      list_sessions: () => sessions,
      activate_session: () => {
        if (fail) throw { code: "Conflict", message: "Section exists." };
        return null;
      },
    });
    tab = initSessionsTab(document, inv);
    await tab.reload();
    await tab.run("dev", "activate_session");
    expect($("session-error").hidden).toBe(false);
    fail = false;
    await tab.run("dev", "activate_session");
    expect($("session-error").hidden).toBe(true);
  });

  it("keeps keyboard focus on the row's button across a re-list", async () => {
    let list = sessions;
    const inv = fakeInvoke({
      list_sessions: () => list,
      activate_session: () => {
        list = [sessions[0], view("dev", true, "fresh · 60 min")];
        return null;
      },
    });
    tab = initSessionsTab(document, inv);
    await tab.reload();
    const activate = rowButtons("dev")[0];
    activate.focus();
    await tab.run("dev", "activate_session");
    // Activate became Refresh now / Deactivate: the focus stays on that row.
    expect((document.activeElement as HTMLElement).dataset.name).toBe("dev");
    await tab.reload();
    expect((document.activeElement as HTMLElement).dataset.name).toBe("dev");
  });

  it("shows a role by its name and account, the whole ARN on hover and copied by Copy", async () => {
    tab = initSessionsTab(document, fakeInvoke({ list_sessions: () => sessions }));
    await tab.reload();
    const role = document.querySelector<HTMLElement>('#sessions-body tr[data-name="prod"] td.role')!;
    const arn = "arn:aws:iam::123456789012:role/prod";
    expect(role.querySelector(".role-name")!.textContent).toBe("prod");
    expect(role.querySelector<HTMLElement>(".role-name")!.title).toBe(arn);
    expect(role.querySelector(".role-account span")!.textContent).toBe("123456789012");
    const copy = role.querySelector<HTMLButtonElement>("button.copy-arn")!;
    expect(copy.getAttribute("aria-label")).toBe("Copy the role ARN of prod");
    const writeText = vi.fn(async () => undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    copy.click();
    await vi.waitFor(() => expect($("list-status").textContent).toBe(`Copied the role ARN of prod: ${arn}`));
    expect(writeText).toHaveBeenCalledWith(arn);
  });

  it("names the profile's own length in the length choice", async () => {
    const own = { ...view("own", false, "off"), default_duration_seconds: 7200 };
    tab = initSessionsTab(document, fakeInvoke({ list_sessions: () => [own, view("plain", false, "off")] }));
    await tab.reload();
    const first = (name: string) =>
      document.querySelector<HTMLSelectElement>(`#sessions-body tr[data-name="${name}"] select.duration`)!.options[0]
        .textContent;
    expect(first("own")).toBe("Profile's 2 h");
    expect(first("plain")).toBe("Profile's 1 h");
  });

  it("disables the row's buttons while its action runs", async () => {
    let finish: () => void = () => {};
    const inv = fakeInvoke({
      list_sessions: () => sessions,
      refresh_session: () => new Promise<void>((r) => (finish = r)),
    });
    tab = initSessionsTab(document, inv);
    await tab.reload();
    const running = tab.run("prod", "refresh_session");
    expect(rowButtons("prod").every((b) => b.disabled)).toBe(true);
    expect(rowButtons("dev").every((b) => !b.disabled)).toBe(true);
    await tab.run("prod", "refresh_session"); // ignored while busy
    finish();
    await running;
    expect(callsTo(inv, "refresh_session")).toHaveLength(1);
    expect(rowButtons("prod").every((b) => !b.disabled)).toBe(true);
  });

  describe("filter", () => {
    const box = () => $<HTMLInputElement>("session-filter");
    const shownRows = () =>
      [...document.querySelectorAll<HTMLTableRowElement>("#sessions-body tr")].map((r) => r.dataset.name);
    const escape = () =>
      box().dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true, cancelable: true }));

    async function withMany(): Promise<ReturnType<typeof fakeInvoke>> {
      const inv = fakeInvoke({ list_sessions: () => manyProfiles(), activate_session: () => null });
      tab = initSessionsTab(document, inv);
      await tab.reload();
      return inv;
    }

    it("is a labelled box above the table, with the count", async () => {
      await withMany();
      const label = document.querySelector<HTMLLabelElement>('label[for="session-filter"]')!;
      expect(label.textContent).toBe("Filter profiles");
      expect(box().type).toBe("search");
      expect(box().getAttribute("aria-describedby")).toBe("session-filter-count");
      expect($("session-filter-bar").hidden).toBe(false);
      expect($("session-filter-bar").compareDocumentPosition($("sessions")) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
      expect($("session-filter-count").textContent).toBe("300 of 300 profiles");
      expect(shownRows()).toHaveLength(300);
    });

    it.each(FILTER_CASES)("typing $query ($why) shows $count rows", async ({ query, count, first }) => {
      await withMany();
      typeValue(box(), query);
      const rows = shownRows();
      expect(rows).toHaveLength(count);
      expect(rows.slice(0, first.length)).toEqual(first);
      expect($("session-filter-count").textContent).toBe(`${count} of 300 profiles`);
      expect($("sessions").hidden).toBe(count === 0);
      expect($("empty").hidden).toBe(count > 0);
      if (count === 0) expect($("empty").textContent).toBe(`No profile matches “${query.trim()}”. Press Escape to clear the filter.`);
    });

    it("Escape clears it and shows every row again, keeping the focus in the box", async () => {
      await withMany();
      box().focus();
      typeValue(box(), "admin 100000000003");
      expect(shownRows()).toEqual(["ops-030", "ops-037"]);
      escape();
      expect(box().value).toBe("");
      expect(shownRows()).toHaveLength(300);
      expect($("session-filter-count").textContent).toBe("300 of 300 profiles");
      expect(document.activeElement).toBe(box());
    });

    it("stays applied across a re-list, and a filtered row's action works", async () => {
      const inv = await withMany();
      typeValue(box(), "acct25 deploy");
      await tab!.reload();
      expect(shownRows()).toEqual(["acct25-deploy"]);
      inv.mockClear();
      rowButtons("acct25-deploy").find((b) => b.textContent === "Activate")!.click();
      await vi.waitFor(() => expect(callsTo(inv, "list_sessions")).toHaveLength(1));
      expect(callsTo(inv, "activate_session")).toEqual([{ name: "acct25-deploy", delivery: "file", durationSeconds: 0 }]);
      expect(shownRows()).toEqual(["acct25-deploy"]);
    });

    it("is hidden while there are no profiles at all", async () => {
      tab = initSessionsTab(document, fakeInvoke({ list_sessions: () => [] }));
      await tab.reload();
      expect($("session-filter-bar").hidden).toBe(true);
      expect($("empty").hidden).toBe(false);
    });
  });
});
