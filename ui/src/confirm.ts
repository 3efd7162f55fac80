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

  // Escape while armed takes the question back (and only that: the window stays open).
  const onEscape = (ev: KeyboardEvent): void => {
    if (ev.key !== "Escape") return;
    ev.preventDefault();
    disarm();
  };

  function disarm(): void {
    if (timer !== undefined) win.clearTimeout(timer);
    timer = undefined;
    win.removeEventListener("keydown", onEscape, true);
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
    win.addEventListener("keydown", onEscape, true);
  };

  btn.addEventListener("click", onClick);
  return () => {
    disarm();
    btn.removeEventListener("click", onClick);
  };
}
