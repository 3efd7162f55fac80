export interface ConfirmOptions {
  /** Label while armed. */
  confirmLabel?: string;
  /** Accessible name while armed, e.g. "Really remove work?". */
  confirmAriaLabel?: string;
  /** How long the second click is awaited, ms. */
  ms?: number;
}

/**
 * A two-step button: the first click arms it ("Really remove?"), a second click within
 * `ms` runs `onConfirm`; otherwise it goes back to its label. Tauri blocks window.confirm.
 */
export function confirmButton(
  btn: HTMLButtonElement,
  win: Window,
  onConfirm: () => void,
  opts: ConfirmOptions = {},
): () => void {
  const label = btn.textContent ?? "";
  const ariaLabel = btn.getAttribute("aria-label");
  const confirmLabel = opts.confirmLabel ?? "Really remove?";
  const ms = opts.ms ?? 5000;
  let timer: number | undefined;

  function disarm(): void {
    if (timer !== undefined) win.clearTimeout(timer);
    timer = undefined;
    delete btn.dataset.armed;
    btn.textContent = label;
    if (ariaLabel !== null) btn.setAttribute("aria-label", ariaLabel);
    else btn.removeAttribute("aria-label");
  }

  const onClick = (): void => {
    if (btn.dataset.armed === "true") {
      disarm();
      onConfirm();
      return;
    }
    btn.dataset.armed = "true";
    btn.textContent = confirmLabel;
    if (opts.confirmAriaLabel) btn.setAttribute("aria-label", opts.confirmAriaLabel);
    else btn.removeAttribute("aria-label");
    timer = win.setTimeout(disarm, ms);
  };

  btn.addEventListener("click", onClick);
  return () => {
    disarm();
    btn.removeEventListener("click", onClick);
  };
}
