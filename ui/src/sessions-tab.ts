import { button, cell, copyText, el, Listeners, setStatus } from "./dom";
import { callWith, copyKept, type IpcError, type InvokeFn } from "./ipc";
import {
  choicesOf,
  consoleOpened,
  DELIVERIES,
  durationChoices,
  durationLabel,
  EMPTY_MESSAGE,
  filterCount,
  filterSessions,
  formatRow,
  hasChoices,
  noMatchMessage,
  roleCell,
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

/** One line of text cut short with an ellipsis when it does not fit, whole in its title. The
 * text sits in a span of its own: WebDriver's visible-text rule (and so the tests) skips text
 * directly inside a clipping box. */
function clip(doc: Document, text: string, cls: string): HTMLDivElement {
  const box = doc.createElement("div");
  box.className = `clip ${cls}`;
  box.title = text;
  const span = doc.createElement("span");
  span.textContent = text;
  box.appendChild(span);
  return box;
}

export interface SessionsTabOptions {
  /** Told whether the files define no profile at all (the first-run guide shows then). */
  onNone?: (none: boolean) => void;
}

/** The Sessions tab: the table of profiles and their per-row actions. */
export function initSessionsTab(doc: Document, invoke: InvokeFn, opts: SessionsTabOptions = {}): SessionsTab {
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
    opts.onNone?.(list.length === 0);
    if (list.length === 0) {
      table.hidden = true;
      // The first-run guide says it at length when there is one.
      empty.hidden = opts.onNone !== undefined;
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
      // Every value on one line: cut short with an ellipsis, whole in its title.
      const name = cell(doc, tr, "", "name");
      const nameLine = clip(doc, row.name, "name-line");
      name.appendChild(nameLine);
      if (row.mfa) {
        const badge = doc.createElement("span");
        badge.className = "badge";
        badge.textContent = "MFA";
        badge.title = s.mfa_serial ?? "";
        nameLine.append(" ", badge);
      }
      tr.appendChild(roleTd(s));
      cell(doc, tr, "", "source").appendChild(clip(doc, row.source, "source-line"));
      const state = cell(doc, tr, "", "state");
      state.dataset.tone = row.tone;
      state.appendChild(clip(doc, row.state, "value"));
      for (const line of [s.plan, s.renewal]) {
        if (line) state.appendChild(clip(doc, line, "plan"));
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

  /** The role's name over its account; the whole ARN as the title and behind "Copy". */
  function roleTd(s: SessionView): HTMLTableCellElement {
    const parts = roleCell(s);
    const td = doc.createElement("td");
    td.className = "role";
    const main = clip(doc, parts.main, "role-name");
    main.title = parts.arn ?? parts.main;
    td.appendChild(main);
    if (parts.detail !== null || parts.arn !== null) {
      const detail = doc.createElement("div");
      detail.className = "clip role-account";
      if (parts.detail !== null) {
        const account = doc.createElement("span");
        account.textContent = parts.detail;
        account.title = parts.arn ?? parts.detail;
        detail.appendChild(account);
      }
      if (parts.arn !== null) {
        const copy = button(doc, "Copy", `Copy the role ARN of ${s.name}`, "link copy-arn");
        copy.title = `Copy ${parts.arn}`;
        copy.dataset.copy = parts.arn;
        copy.dataset.copyOf = s.name;
        detail.append(copy);
      }
      td.appendChild(detail);
    }
    return td;
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
    const choices = durationChoices(s);
    const offered = choices.some((d) => d.seconds === seconds)
      ? choices
      : [...choices, { seconds, label: durationLabel(seconds) }];
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
    if (b?.dataset.copy) {
      const [arn, of] = [b.dataset.copy, b.dataset.copyOf ?? ""];
      void copyKept(invoke, arn, (t) => copyText(doc, t)).then((ok) =>
        ok
          ? setStatus(listStatus, `Copied the role ARN of ${of}: ${arn}`, "ok")
          : setStatus(listStatus, `Could not reach the clipboard; the role ARN of ${of} is ${arn}`, "error"),
      );
      return;
    }
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
