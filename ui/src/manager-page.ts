import { callWith, type InvokeFn } from "./ipc";
import { EMPTY_MESSAGE, formatRow, type Diagnostics, type SessionView } from "./sessions";

export interface ManagerPage {
  /** Resolves once the first list and diagnostics have been shown. */
  ready: Promise<void>;
  refreshAll: () => Promise<void>;
  reload: () => Promise<void>;
  dispose: () => void;
}

export interface ManagerPageOptions {
  /** Re-list every this many ms so states like "fresh · 47 min" stay current. 0 disables. */
  pollMs?: number;
}

function el<T extends HTMLElement>(doc: Document, id: string): T {
  const found = doc.getElementById(id);
  if (!found) throw new Error(`manager page: missing #${id}`);
  return found as T;
}

export function initManagerPage(
  doc: Document,
  invoke: InvokeFn,
  opts: ManagerPageOptions = {},
): ManagerPage {
  const win = doc.defaultView ?? window;
  const pollMs = opts.pollMs ?? 30_000;

  const table = el<HTMLTableElement>(doc, "sessions");
  const tbody = el<HTMLTableSectionElement>(doc, "sessions-body");
  const empty = el<HTMLElement>(doc, "empty");
  const listStatus = el<HTMLElement>(doc, "list-status");
  const refreshBtn = el<HTMLButtonElement>(doc, "refresh");
  const configFile = el<HTMLElement>(doc, "config-file");
  const credentialsFile = el<HTMLElement>(doc, "credentials-file");
  const problems = el<HTMLUListElement>(doc, "problems");
  const diagStatus = el<HTMLElement>(doc, "diag-status");

  function setStatus(
    node: HTMLElement,
    text: string,
    tone: "info" | "ok" | "warn" | "error" = "info",
  ): void {
    node.textContent = text;
    node.dataset.tone = tone;
  }

  function cell(tr: HTMLTableRowElement, text: string, cls?: string): HTMLTableCellElement {
    const td = doc.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }

  function render(list: SessionView[]): void {
    tbody.replaceChildren();
    if (list.length === 0) {
      table.hidden = true;
      empty.hidden = false;
      empty.textContent = EMPTY_MESSAGE;
      return;
    }
    empty.hidden = true;
    table.hidden = false;
    for (const s of list) {
      const row = formatRow(s);
      const tr = doc.createElement("tr");
      if (!row.active) tr.classList.add("inactive");
      const name = cell(tr, row.name, "name");
      if (row.mfa) {
        const badge = doc.createElement("span");
        badge.className = "badge";
        badge.textContent = "MFA";
        badge.title = s.mfa_serial ?? "";
        name.append(" ", badge);
      }
      const role = cell(tr, row.role, s.role_arn ? "role arn" : "role");
      role.title = row.role;
      cell(tr, row.source, "source");
      const state = cell(tr, row.state, "state");
      state.dataset.tone = row.tone;
      tbody.appendChild(tr);
    }
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

  async function loadDiagnostics(): Promise<void> {
    const res = await callWith<Diagnostics>(invoke, "diagnostics");
    problems.replaceChildren();
    if (!res.ok) {
      configFile.textContent = "—";
      credentialsFile.textContent = "—";
      setStatus(diagStatus, `Could not run diagnostics: ${res.error.message}`, "error");
      return;
    }
    const d = res.value;
    configFile.textContent = d.config_file;
    credentialsFile.textContent = d.credentials_file;
    if (d.problems.length === 0) {
      setStatus(diagStatus, "No problems found.", "ok");
    } else {
      setStatus(
        diagStatus,
        d.problems.length === 1 ? "1 problem found:" : `${d.problems.length} problems found:`,
        "warn",
      );
      for (const p of d.problems) {
        const li = doc.createElement("li");
        li.textContent = p;
        problems.appendChild(li);
      }
    }
  }

  let refreshing = false;
  async function refreshAll(): Promise<void> {
    if (refreshing) return;
    refreshing = true;
    refreshBtn.disabled = true;
    const label = refreshBtn.textContent;
    refreshBtn.textContent = "Refreshing…";
    setStatus(listStatus, "Refreshing all sessions…");
    const res = await callWith<unknown>(invoke, "refresh_all");
    if (res.ok) setStatus(listStatus, "Refreshed.", "ok");
    else setStatus(listStatus, `Refresh failed: ${res.error.message}`, "error");
    await Promise.all([reload(), loadDiagnostics()]);
    refreshBtn.textContent = label;
    refreshBtn.disabled = false;
    refreshing = false;
  }

  const onClick = (): void => void refreshAll();
  refreshBtn.addEventListener("click", onClick);

  const onFocus = (): void => void reload();
  win.addEventListener("focus", onFocus);

  const poll = pollMs > 0 ? win.setInterval(() => void reload(), pollMs) : undefined;

  const ready = Promise.all([reload(), loadDiagnostics()]).then(() => undefined);

  return {
    ready,
    refreshAll,
    reload,
    dispose(): void {
      refreshBtn.removeEventListener("click", onClick);
      win.removeEventListener("focus", onFocus);
      if (poll !== undefined) win.clearInterval(poll);
    },
  };
}
