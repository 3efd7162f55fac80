import { isCompleteCode, normaliseCode } from "./code";
import { formatLeft } from "./countdown";
import { errorAction } from "./errors";
import { callWith, type IpcError, type InvokeFn } from "./ipc";
import { isCloseShortcut } from "./keys";

/** What `mfa_request` returns: the request waiting for a code, or null. */
export interface MfaRequest {
  profile: string;
  serial: string;
  seconds_left: number | null;
}

export interface MfaPageOptions {
  /** Milliseconds clock; injectable for tests. */
  now?: () => number;
  /**
   * Size the window to `height` CSS pixels of content (the dialog has no room to spare, and a
   * long STS message takes more lines). Called after each change of what is shown.
   */
  fit?: (height: number) => void;
}

export interface MfaPage {
  /** Resolves once `mfa_request` has been answered and shown. */
  ready: Promise<void>;
  /** Submit whatever is in the field (same as pressing Enter). */
  submit: () => Promise<void>;
  /** Stop timers and listeners. */
  dispose: () => void;
}

function el<T extends HTMLElement>(doc: Document, id: string): T {
  const found = doc.getElementById(id);
  if (!found) throw new Error(`mfa page: missing #${id}`);
  return found as T;
}

/**
 * Wire the MFA dialog in `doc` to `invoke`. Pure DOM + injected IPC, so it
 * runs the same under Tauri, in a plain browser and in jsdom tests.
 */
export function initMfaPage(doc: Document, invoke: InvokeFn, opts: MfaPageOptions = {}): MfaPage {
  const now = opts.now ?? (() => Date.now());
  const win = doc.defaultView ?? window;

  const form = el<HTMLFormElement>(doc, "mfa-form");
  const field = el<HTMLInputElement>(doc, "code");
  const submitBtn = el<HTMLButtonElement>(doc, "submit");
  const cancelBtn = el<HTMLButtonElement>(doc, "cancel");
  const status = el<HTMLElement>(doc, "status");
  const countdown = el<HTMLElement>(doc, "countdown");
  const countdownLabel = el<HTMLElement>(doc, "countdown-label");
  const profileEl = el<HTMLElement>(doc, "profile");
  const serialEl = el<HTMLElement>(doc, "serial");

  let busy = false;
  let closed = false; // no more submissions possible (accepted, no request, expired)
  let timer: ReturnType<typeof setInterval> | undefined;
  const cleanups: Array<() => void> = [];

  function on<K extends keyof HTMLElementEventMap>(
    target: HTMLElement | Document,
    type: K,
    fn: (ev: HTMLElementEventMap[K]) => void,
  ): void {
    target.addEventListener(type, fn as EventListener);
    cleanups.push(() => target.removeEventListener(type, fn as EventListener));
  }

  // The content's height: down to the status line's bottom, plus main's bottom padding.
  function fit(): void {
    if (!opts.fit) return;
    const main = status.closest("main");
    const pad = main ? parseFloat(win.getComputedStyle(main).paddingBottom) || 0 : 0;
    const bottom = status.getBoundingClientRect().bottom + win.scrollY;
    if (bottom > 0) opts.fit(Math.ceil(bottom + pad));
  }

  function setStatus(text: string, tone: "info" | "ok" | "error" = "info"): void {
    status.textContent = text;
    status.dataset.tone = tone;
    fit();
  }

  function stopCountdown(): void {
    if (timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  }

  function disableForm(): void {
    closed = true;
    field.disabled = true;
    submitBtn.disabled = true;
    stopCountdown();
  }

  function setBusy(b: boolean): void {
    busy = b;
    field.readOnly = b;
    submitBtn.disabled = b || closed;
    form.setAttribute("aria-busy", String(b));
  }

  function showError(err: IpcError): void {
    setStatus(err.message, "error");
    switch (errorAction(err.code)) {
      case "keep":
        field.focus();
        break;
      case "clear-and-refocus":
        field.value = "";
        field.focus();
        break;
      case "disable":
        disableForm();
        break;
      case "show":
        break;
    }
  }

  async function submit(): Promise<void> {
    if (busy || closed) return;
    const code = normaliseCode(field.value);
    field.value = code;
    if (!isCompleteCode(code)) {
      setStatus("Enter the six digits shown on your MFA device.", "error");
      field.focus();
      return;
    }
    setBusy(true);
    setStatus("Checking code…");
    const res = await callWith<unknown>(invoke, "submit_mfa_code", { code });
    setBusy(false);
    if (res.ok) {
      setStatus("Code accepted", "ok");
      disableForm();
    } else {
      showError(res.error);
    }
  }

  async function cancel(): Promise<void> {
    const res = await callWith<unknown>(invoke, "cancel_mfa");
    if (!res.ok) setStatus(res.error.message, "error");
  }

  function onValueChanged(): void {
    const code = normaliseCode(field.value);
    if (field.value !== code) field.value = code;
    if (status.dataset.tone === "error") setStatus("");
    if (isCompleteCode(code)) void submit();
  }

  on(field, "input", onValueChanged);

  on(field, "paste", (ev: ClipboardEvent) => {
    const text = ev.clipboardData?.getData("text");
    if (text === undefined || busy || closed) return; // let the browser paste; `input` follows
    ev.preventDefault();
    const start = field.selectionStart ?? field.value.length;
    const end = field.selectionEnd ?? field.value.length;
    field.value = field.value.slice(0, start) + text + field.value.slice(end);
    onValueChanged();
  });

  on(form, "submit", (ev: SubmitEvent) => {
    ev.preventDefault();
    void submit();
  });

  on(cancelBtn, "click", () => void cancel());

  // Escape and Ctrl+W are Cancel: the request is answered at once, not left to time out.
  on(doc, "keydown", (ev: KeyboardEvent) => {
    if (ev.key === "Escape" || isCloseShortcut(ev)) {
      ev.preventDefault();
      void cancel();
    }
  });

  function startCountdown(seconds: number): void {
    const deadline = now() + seconds * 1000;
    countdownLabel.hidden = false;
    countdown.hidden = false;
    const tick = (): void => {
      const left = (deadline - now()) / 1000;
      countdown.textContent = formatLeft(left);
      if (left <= 0) {
        stopCountdown();
        if (!closed) {
          setStatus("Time ran out for this request. Start a refresh to try again.", "error");
          disableForm();
        }
      }
    };
    tick();
    if (!closed) timer = win.setInterval(tick, 1000);
  }

  async function load(): Promise<void> {
    setStatus("Loading…");
    const res = await callWith<MfaRequest | null>(invoke, "mfa_request");
    if (!res.ok) {
      profileEl.textContent = "—";
      serialEl.textContent = "—";
      setStatus(`Could not load the request: ${res.error.message}`, "error");
      disableForm();
      return;
    }
    const req = res.value;
    if (req === null || req === undefined) {
      profileEl.textContent = "—";
      serialEl.textContent = "—";
      setStatus("No session is waiting for a code.");
      disableForm();
      return;
    }
    profileEl.textContent = req.profile;
    serialEl.textContent = req.serial;
    serialEl.title = req.serial;
    // Do not overwrite a status set by a submission that raced the load.
    if (status.textContent === "Loading…") setStatus("");
    if (req.seconds_left !== null && req.seconds_left !== undefined) startCountdown(req.seconds_left);
    if (!closed) field.focus();
    fit();
  }

  const ready = load();

  return {
    ready,
    submit,
    dispose(): void {
      stopCountdown();
      for (const c of cleanups.splice(0)) c();
    },
  };
}
