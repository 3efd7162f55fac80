import { checkBadge, checksSummary, type Check, type Diagnostics } from "./diagnostics";
import { el, Listeners, setStatus } from "./dom";
import { callWith, type InvokeFn } from "./ipc";

export interface DiagnosticsTab {
  /** Run the diagnostics again and show them. */
  load: () => Promise<void>;
  dispose: () => void;
}

/**
 * The Diagnostics tab: checks with ok/warn/FAIL badges (every line of the files an AWS reader
 * refuses is a failed check naming file and line), and which files were read.
 */
export function initDiagnosticsTab(doc: Document, invoke: InvokeFn): DiagnosticsTab {
  const page = "diagnostics tab";
  const configFile = el<HTMLElement>(doc, "config-file", page);
  const credentialsFile = el<HTMLElement>(doc, "credentials-file", page);
  const checks = el<HTMLUListElement>(doc, "checks", page);
  const checksStatus = el<HTMLElement>(doc, "checks-status", page);
  const again = el<HTMLButtonElement>(doc, "check-again", page);
  const flag = el<HTMLElement>(doc, "diag-flag", page);
  const listeners = new Listeners();

  function renderChecks(list: Check[]): void {
    checks.replaceChildren();
    for (const c of list) {
      const badge = checkBadge(c.outcome);
      const li = doc.createElement("li");
      li.dataset.tone = badge.tone;
      const b = doc.createElement("span");
      b.className = "outcome";
      b.dataset.tone = badge.tone;
      b.textContent = badge.text;
      const body = doc.createElement("div");
      body.className = "check-body";
      const name = doc.createElement("span");
      name.className = "check-name";
      name.textContent = c.name;
      const detail = doc.createElement("span");
      detail.className = "check-detail";
      detail.textContent = c.detail;
      body.append(name, " ", detail);
      if (c.fix) {
        const fix = doc.createElement("p");
        fix.className = "check-fix";
        fix.textContent = `Fix: ${c.fix}`;
        body.appendChild(fix);
      }
      li.append(b, body);
      checks.appendChild(li);
    }
    const summary = checksSummary(list);
    setStatus(checksStatus, summary.text, summary.tone);
    // A mark on the tab when something needs attention.
    const bad = list.filter((c) => c.outcome !== "ok").length;
    flag.hidden = bad === 0;
    flag.textContent = bad === 0 ? "" : String(bad);
    flag.title = bad === 0 ? "" : `${bad} to look at`;
  }

  let running = false;
  async function load(): Promise<void> {
    if (running) return;
    running = true;
    again.disabled = true;
    const res = await callWith<Diagnostics>(invoke, "diagnostics");
    again.disabled = false;
    running = false;
    if (!res.ok) {
      configFile.textContent = "—";
      credentialsFile.textContent = "—";
      checks.replaceChildren();
      setStatus(checksStatus, `Could not run diagnostics: ${res.error.message}`, "error");
      return;
    }
    const d = res.value;
    configFile.textContent = d.config_file;
    credentialsFile.textContent = d.credentials_file;
    renderChecks(Array.isArray(d.checks) ? d.checks : []);
  }

  listeners.on(again, "click", () => void load());

  return { load, dispose: () => listeners.dispose() };
}
