import { el, Listeners, setStatus } from "./dom";
import { isCloseShortcut } from "./keys";
import { callWith, type InvokeFn } from "./ipc";
import type { SsoPrompt } from "./sso";

export interface SsoPageOptions {
  /** Hear when the prompt changes; returns how to stop (possibly once subscribed). */
  subscribe?: (onChange: () => void) => Promise<() => void> | (() => void);
}

export interface SsoPage {
  /** Resolves once the prompt has been asked for and shown. */
  ready: Promise<void>;
  /** Ask for the prompt again and show it. */
  load: () => Promise<void>;
  dispose: () => void;
}

/**
 * The IAM Identity Center sign-in dialog: the device code to confirm, large, with its page, or
 * the page to open for a browser sign-in. The code is copied and the page opened by Rust (the page
 * has no clipboard or opener rights). Rust closes the dialog when the sign-in ends.
 */
export function initSsoPage(doc: Document, invoke: InvokeFn, opts: SsoPageOptions = {}): SsoPage {
  const page = "sso page";
  const sessionEl = el<HTMLElement>(doc, "sso-session", page);
  const title = el<HTMLElement>(doc, "sso-title", page);
  const lead = el<HTMLElement>(doc, "sso-lead", page);
  const codeRow = el<HTMLElement>(doc, "user-code-row", page);
  const code = el<HTMLElement>(doc, "user-code", page);
  const copy = el<HTMLButtonElement>(doc, "copy", page);
  const url = el<HTMLElement>(doc, "sso-url", page);
  const open = el<HTMLButtonElement>(doc, "open-page", page);
  const cancel = el<HTMLButtonElement>(doc, "sso-cancel", page);
  const status = el<HTMLElement>(doc, "status", page);
  const listeners = new Listeners();

  function show(prompt: SsoPrompt | null): void {
    if (!prompt) {
      title.textContent = "Sign in to AWS";
      lead.textContent = "No sign-in is waiting.";
      codeRow.hidden = true;
      url.textContent = "—";
      open.disabled = true;
      copy.disabled = true;
      return;
    }
    sessionEl.textContent = prompt.session;
    title.textContent = `Sign in to ${prompt.session}`;
    open.disabled = false;
    url.textContent = prompt.url;
    url.title = prompt.url;
    if (prompt.user_code) {
      codeRow.hidden = false;
      code.textContent = prompt.user_code;
      copy.disabled = false;
      lead.textContent = prompt.opened
        ? "Check that the browser shows this code, then allow access."
        : "Open the page, enter this code, then allow access.";
    } else {
      codeRow.hidden = true;
      copy.disabled = true;
      lead.textContent = "No browser could be opened. Open this page to sign in:";
    }
  }

  async function load(): Promise<void> {
    const res = await callWith<SsoPrompt | null>(invoke, "sso_prompt");
    if (res.ok) show(res.value ?? null);
    else setStatus(status, `Could not load the sign-in: ${res.error.message}`, "error");
  }

  listeners.on(copy, "click", () => {
    void callWith<unknown>(invoke, "sso_copy_code").then((res) => {
      if (res.ok) setStatus(status, "Code copied.", "ok");
      else setStatus(status, res.error.message, "error");
    });
  });
  listeners.on(open, "click", () => {
    void callWith<unknown>(invoke, "sso_open_page").then((res) => {
      if (res.ok) setStatus(status, "Page opened in the browser.");
      else setStatus(status, res.error.message, "error");
    });
  });
  const stop = (): void => void callWith<unknown>(invoke, "sso_cancel");
  listeners.on(cancel, "click", stop);
  listeners.on(doc, "keydown", (ev: KeyboardEvent) => {
    if (ev.key === "Escape" || isCloseShortcut(ev)) {
      ev.preventDefault();
      stop();
    }
  });

  let unsubscribe: (() => void) | undefined;
  let disposed = false;
  if (opts.subscribe) {
    void Promise.resolve(opts.subscribe(() => void load())).then((off) => {
      if (disposed) off();
      else unsubscribe = off;
    });
  }

  return {
    ready: load(),
    load,
    dispose(): void {
      disposed = true;
      unsubscribe?.();
      listeners.dispose();
    },
  };
}
