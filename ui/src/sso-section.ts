import { button, cell, el, Listeners, setStatus } from "./dom";
import { callWith, type InvokeFn } from "./ipc";
import { isSignedIn, profilesSummary, standing, type SsoSession } from "./sso";

export interface SsoSection {
  /** List the sign-ins. */
  load: () => Promise<void>;
  dispose: () => void;
}

export interface SsoSectionOptions {
  /** Seconds clock; injectable for tests. */
  nowSeconds?: () => number;
}

/**
 * The Sources tab's "IAM Identity Center" section: each sign-in the config names, how it stands,
 * and Sign in (in the browser, or with a device code) / Sign out. A sign-in runs in Rust and may
 * take minutes; the section hears of its end through the engine's events (the page re-lists).
 */
export function initSsoSection(doc: Document, invoke: InvokeFn, opts: SsoSectionOptions = {}): SsoSection {
  const page = "sso section";
  const now = opts.nowSeconds ?? (() => Date.now() / 1000);
  const table = el<HTMLTableElement>(doc, "sso", page);
  const tbody = el<HTMLTableSectionElement>(doc, "sso-body", page);
  const empty = el<HTMLElement>(doc, "sso-empty", page);
  const status = el<HTMLElement>(doc, "sso-status", page);
  const deviceCode = el<HTMLInputElement>(doc, "sso-device-code", page);
  // The rows' buttons, replaced with the rows.
  let rows = new Listeners();

  function render(list: SsoSession[]): void {
    rows.dispose();
    rows = new Listeners();
    tbody.replaceChildren();
    table.hidden = list.length === 0;
    empty.hidden = list.length !== 0;
    const t = now();
    for (const s of list) {
      const tr = doc.createElement("tr");
      tr.dataset.name = s.label;
      const name = cell(doc, tr, s.label, "name");
      const url = doc.createElement("div");
      url.className = "sub url";
      // Without its https://, so it fits the column; the whole URL in the tooltip.
      url.textContent = s.start_url.replace(/^https:\/\//, "");
      url.title = s.start_url;
      name.appendChild(url);
      cell(doc, tr, s.region);
      const st = standing(s, t);
      const state = cell(doc, tr, st.words, "state");
      state.dataset.tone = st.tone;
      if (s.problem) {
        const why = doc.createElement("div");
        why.className = "sub problem";
        why.textContent = s.problem;
        state.appendChild(why);
      }
      const profiles = cell(doc, tr, profilesSummary(s.profiles), s.profiles.length ? "profiles" : "none");
      profiles.title = s.profiles.join(", ");
      const actions = cell(doc, tr, "", "actions");
      if (isSignedIn(s, t) && !s.signing_in) {
        const out = button(doc, "Sign out", `Sign out of ${s.label}`, "small");
        rows.on(out, "click", () => void signOut(s.label, out));
        actions.appendChild(out);
      }
      // Signed in but not renewed: signing in again gives it a new lease. While a sign-in
      // waits, starting over replaces it (a browser tab closed, a code lost).
      if (!isSignedIn(s, t) || !s.renewable || s.signing_in) {
        const label = s.signing_in ? "Start over" : isSignedIn(s, t) ? "Sign in again" : "Sign in";
        const sign = button(doc, label, `Sign in to ${s.label}`, "small primary");
        rows.on(sign, "click", () => void signIn(s.label, sign));
        actions.appendChild(sign);
      }
      tbody.appendChild(tr);
    }
  }

  async function load(): Promise<void> {
    const res = await callWith<SsoSession[]>(invoke, "sso_sessions");
    if (res.ok) {
      const list = Array.isArray(res.value) ? res.value : [];
      render(list);
      // The list said why it failed, or a sign-in it announced is over: the rows say the rest.
      const over = status.dataset.from === "signing" && !list.some((s) => s.signing_in);
      if (status.dataset.from === "list" || over) {
        status.dataset.from = "";
        setStatus(status, "");
      }
    } else {
      status.dataset.from = "list";
      setStatus(status, `Could not list the sign-ins: ${res.error.message}`, "error");
    }
  }

  async function signIn(session: string, btn: HTMLButtonElement): Promise<void> {
    btn.disabled = true;
    const device = deviceCode.checked;
    const res = await callWith<unknown>(invoke, "sso_sign_in", { session, deviceCode: device });
    status.dataset.from = res.ok ? "signing" : "action";
    if (res.ok) {
      setStatus(
        status,
        device
          ? `Signing in to ${session}: confirm the code in the dialog.`
          : `Signing in to ${session}: finish in the browser.`,
      );
    } else {
      setStatus(status, `Could not sign in to ${session}: ${res.error.message}`, "error");
    }
    await load();
  }

  async function signOut(session: string, btn: HTMLButtonElement): Promise<void> {
    btn.disabled = true;
    const res = await callWith<boolean>(invoke, "sso_sign_out", { session });
    status.dataset.from = "action";
    if (res.ok) setStatus(status, `Signed out of ${session}.`, "ok");
    else setStatus(status, `Could not sign out of ${session}: ${res.error.message}`, "error");
    await load();
  }

  return {
    load,
    dispose(): void {
      rows.dispose();
    },
  };
}
