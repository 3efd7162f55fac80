import { button, cell, el, Listeners, setStatus } from "./dom";
import { callWith, type IpcError, type InvokeFn } from "./ipc";
import {
  choicesOf,
  consoleOpened,
  DELIVERIES,
  DURATIONS,
  durationLabel,
  EMPTY_MESSAGE,
  filterCount,
  filterSessions,
  formatRow,
  hasChoices,
  noMatchMessage,
  sessionActions,
  sessionErrorHint,
  type Delivery,
  type SessionAction,
  type SessionView,
} from "./sessions";

export interface SessionsTab {
  /** Re-list the sessions (keeps keyboard focus on the same row's action). */
  reload: () => Promise<void>;
  /** Run one row action, then re-list. */
  run: (name: string, command: SessionAction["command"]) => Promise<void>;
  /** The engine reported `kind` about `name`: a trouble shown for it that is over goes. */
  noticed: (kind: string, name: string) => void;
  dispose: () => void;
}

/** How a session action ended (the Rust side's `ActionOutcome`). */
/** `adopted`: done, and lines of ~/.aws/config were adopted (the note says which, and how to undo). */
type ActionOutcome = "done" | "code_asked" | { adopted: string };

const DONE: Record<Exclude<SessionAction["command"], "open_console">, string> = {
  refresh_session: "refreshed",
  deactivate_session: "deactivated",
  activate_session: "activated",
};

/** An ARN that wraps only after its `:` and `/` (never inside the account number): `<wbr>`
 * there, so the text read and copied is the ARN as it is. */
function breakAfterSeparators(doc: Document, node: HTMLElement, text: string): void {
  const parts = text.split(/(?<=[:/])/);
  node.replaceChildren();
  parts.forEach((part, i) => {
    if (i > 0) node.append(doc.createElement("wbr"));
    node.append(part);
  });
}

/** The Sessions tab: the table of profiles and their per-row actions. */
export function initSessionsTab(doc: Document, invoke: InvokeFn): SessionsTab {
  const page = "sessions tab";
  const table = el<HTMLTableElement>(doc, "sessions", page);
  const tbody = el<HTMLTableSectionElement>(doc, "sessions-body", page);
  const empty = el<HTMLElement>(doc, "empty", page);
  const listStatus = el<HTMLElement>(doc, "list-status", page);
  const errorBox = el<HTMLElement>(doc, "session-error", page);
  const errorMessage = el<HTMLElement>(doc, "session-error-message", page);
  const errorHint = el<HTMLElement>(doc, "session-error-hint", page);
  const filterBar = el<HTMLElement>(doc, "session-filter-bar", page);
  const filter = el<HTMLInputElement>(doc, "session-filter", page);
  const filterCountNode = el<HTMLElement>(doc, "session-filter-count", page);
  const listeners = new Listeners();
  const busy = new Set<string>();
  /** Choices made on an inactive row, kept across re-renders until Activate uses them. */
  const pending = new Map<string, { delivery: Delivery; seconds: number }>();

  /** The session the banner speaks of, if it shows. */
  let errorFor: string | null = null;
  function showError(name: string, err: IpcError | null): void {
    errorFor = err === null ? null : name;
    if (err === null) {
      errorBox.hidden = true;
      errorMessage.textContent = "";
      errorHint.textContent = "";
      return;
    }
    errorMessage.textContent = `${name}: ${err.message}`;
    const hint = sessionErrorHint(err.code);
    errorHint.textContent = hint ?? "";
    errorHint.hidden = hint === null;
    errorBox.hidden = false;
  }

  /** The last list from `list_sessions`, re-shown as the filter changes. */
  let all: SessionView[] = [];

  function render(list: SessionView[]): void {
    all = list;
    // A re-render replaces the buttons: remember which one had the focus.
    const focused = doc.activeElement;
    const keep =
      focused instanceof HTMLElement && tbody.contains(focused)
        ? { name: focused.dataset.name, command: focused.dataset.command }
        : null;

    tbody.replaceChildren();
    filterBar.hidden = list.length === 0;
    if (list.length === 0) {
      table.hidden = true;
      empty.hidden = false;
      empty.textContent = EMPTY_MESSAGE;
      return;
    }
    const shown = filterSessions(list, filter.value);
    filterCountNode.textContent = filterCount(shown.length, list.length);
    if (shown.length === 0) {
      table.hidden = true;
      empty.hidden = false;
      empty.textContent = noMatchMessage(filter.value);
      return;
    }
    empty.hidden = true;
    table.hidden = false;
    for (const s of shown) {
      const row = formatRow(s);
      const tr = doc.createElement("tr");
      tr.dataset.name = s.name;
      if (!row.active) tr.classList.add("inactive");
      const name = cell(doc, tr, row.name, "name");
      if (row.mfa) {
        const badge = doc.createElement("span");
        badge.className = "badge";
        badge.textContent = "MFA";
        badge.title = s.mfa_serial ?? "";
        name.append(" ", badge);
      }
      const role = cell(doc, tr, row.role, s.role_arn ? "role arn" : "role");
      role.title = row.role;
      if (s.role_arn) breakAfterSeparators(doc, role, row.role);
      cell(doc, tr, row.source, "source");
      const state = cell(doc, tr, row.state, "state");
      state.dataset.tone = row.tone;
      for (const line of [s.plan, s.renewal]) {
        if (!line) continue;
        const plan = doc.createElement("div");
        plan.className = "plan";
        plan.textContent = line;
        state.appendChild(plan);
      }
      tr.appendChild(choicesCell(s));
      const actions = cell(doc, tr, "", "actions");
      for (const a of sessionActions(s)) {
        const b = button(doc, a.label, a.ariaLabel, "small");
        b.dataset.name = s.name;
        b.dataset.command = a.command;
        b.disabled = busy.has(s.name);
        actions.appendChild(b);
      }
      tbody.appendChild(tr);
    }
    if (keep) {
      const same = [...tbody.querySelectorAll<HTMLButtonElement>("button")];
      const target =
        same.find((b) => b.dataset.name === keep.name && b.dataset.command === keep.command) ??
        same.find((b) => b.dataset.name === keep.name);
      target?.focus();
    }
  }

  /** Delivery and length of a role session: applied at once to an active session (it is
   * activated again with them), used by Activate for an inactive one. */
  function choicesCell(s: SessionView): HTMLTableCellElement {
    const td = doc.createElement("td");
    td.className = "choices";
    if (!hasChoices(s)) {
      td.textContent = "—";
      return td;
    }
    const { delivery, seconds } = (!s.active && pending.get(s.name)) || choicesOf(s);
    const how = doc.createElement("select");
    how.className = "delivery";
    how.dataset.name = s.name;
    how.setAttribute("aria-label", `Delivery of ${s.name}`);
    for (const d of DELIVERIES) {
      const o = option(d.value, d.label, d.value === delivery);
      o.title = d.title;
      how.appendChild(o);
    }
    const length = doc.createElement("select");
    length.className = "duration";
    length.dataset.name = s.name;
    length.setAttribute("aria-label", `Session length of ${s.name}`);
    const offered = DURATIONS.some((d) => d.seconds === seconds)
      ? DURATIONS
      : [...DURATIONS, { seconds, label: durationLabel(seconds) }];
    for (const d of offered) length.appendChild(option(String(d.seconds), d.label, d.seconds === seconds));
    how.disabled = length.disabled = busy.has(s.name);
    td.append(how, length);
    return td;
  }

  function option(value: string, label: string, selected: boolean): HTMLOptionElement {
    const o = doc.createElement("option");
    o.value = value;
    o.textContent = label;
    o.selected = selected;
    return o;
  }

  /** The choices a row's controls show now. */
  function rowChoices(name: string): { delivery: string; durationSeconds: number } | null {
    const row = [...tbody.querySelectorAll<HTMLTableRowElement>("tr")].find((r) => r.dataset.name === name);
    const how = row?.querySelector<HTMLSelectElement>("select.delivery");
    const length = row?.querySelector<HTMLSelectElement>("select.duration");
    if (!how || !length) return null;
    return { delivery: how.value, durationSeconds: Number(length.value) };
  }

  let listFailed = false;
  async function reload(): Promise<void> {
    const res = await callWith<SessionView[]>(invoke, "list_sessions");
    if (res.ok) {
      render(Array.isArray(res.value) ? res.value : []);
      if (listFailed) setStatus(listStatus, "");
      listFailed = false;
    } else {
      listFailed = true;
      setStatus(listStatus, `Could not list sessions: ${res.error.message}`, "error");
    }
  }

  function setRowBusy(name: string, on: boolean): void {
    if (on) busy.add(name);
    else busy.delete(name);
    for (const c of tbody.querySelectorAll<HTMLButtonElement | HTMLSelectElement>("button, select")) {
      if (c.dataset.name === name) c.disabled = on;
    }
  }

  async function run(name: string, command: SessionAction["command"]): Promise<void> {
    if (busy.has(name)) return;
    setRowBusy(name, true);
    showError(name, null);
    setStatus(listStatus, `${name}: working…`);
    if (command === "open_console") {
      const res = await callWith<string[]>(invoke, command, { name });
      setRowBusy(name, false);
      if (res.ok) {
        setStatus(listStatus, consoleOpened(name, Array.isArray(res.value) ? res.value : []), "ok");
      } else {
        setStatus(listStatus, "");
        showError(name, res.error);
      }
      await reload();
      return;
    }
    const choices = command === "activate_session" ? rowChoices(name) : null;
    pending.delete(name);
    const res = await callWith<ActionOutcome>(invoke, command, { name, ...choices });
    setRowBusy(name, false);
    if (res.ok && res.value === "code_asked") {
      setStatus(listStatus, `${name}: type the MFA code in the dialog to finish.`);
    } else if (res.ok && typeof res.value === "object" && res.value !== null) {
      setStatus(listStatus, `${name}: ${DONE[command]}; ${res.value.adopted}.`, "ok");
    } else if (res.ok) {
      setStatus(listStatus, `${name}: ${DONE[command]}.`, "ok");
    } else {
      setStatus(listStatus, "");
      showError(name, res.error);
    }
    await reload();
  }

  // A changed choice of an active session applies at once; an inactive one waits for Activate.
  listeners.on(tbody, "change", (ev: Event) => {
    const select = ev.target as HTMLSelectElement | null;
    const name = select?.dataset?.name;
    const row = select?.closest?.("tr");
    if (!name || !row) return;
    if (row.classList.contains("inactive")) {
      const chosen = rowChoices(name);
      if (chosen) pending.set(name, { delivery: chosen.delivery as Delivery, seconds: chosen.durationSeconds });
      return;
    }
    void run(name, "activate_session");
  });

  listeners.on(tbody, "click", (ev: MouseEvent) => {
    const b = (ev.target as HTMLElement | null)?.closest?.("button");
    if (!b || !b.dataset.name || !b.dataset.command) return;
    void run(b.dataset.name, b.dataset.command as SessionAction["command"]);
  });

  // The filter narrows the rows as one types; Escape empties it.
  listeners.on(filter, "input", () => render(all));
  listeners.on(filter, "keydown", (ev: KeyboardEvent) => {
    if (ev.key !== "Escape" || filter.value === "") return;
    ev.preventDefault();
    ev.stopPropagation();
    filter.value = "";
    render(all);
  });

  /** Events after which whatever went wrong with a session no longer holds. */
  const RESOLVED = new Set(["refreshed", "recovered", "activated", "deactivated"]);
  function noticed(kind: string, name: string): void {
    if (errorFor === name && RESOLVED.has(kind)) showError(name, null);
    if (RESOLVED.has(kind) && listStatus.textContent?.startsWith(`${name}: type the MFA code`)) {
      setStatus(listStatus, `${name}: ${kind === "deactivated" ? "deactivated" : "fresh"}.`, "ok");
    }
  }

  return { reload, run, noticed, dispose: () => listeners.dispose() };
}
