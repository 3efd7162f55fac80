/** The keys that close a window, shared by the manager and the dialogs. */

/** Ctrl+W (Cmd+W on macOS): close the window, whatever has focus, as in every desktop app. */
export function isCloseShortcut(ev: KeyboardEvent): boolean {
  return (ev.ctrlKey || ev.metaKey) && !ev.altKey && !ev.shiftKey && ev.key.toLowerCase() === "w";
}

/** Whether `node` takes typed keys itself (its Escape is its own: a search field clears). */
export function isEditable(node: EventTarget | null): boolean {
  if (!(node instanceof HTMLElement)) return false;
  if (node.isContentEditable || node instanceof HTMLTextAreaElement || node instanceof HTMLSelectElement) {
    return true;
  }
  if (!(node instanceof HTMLInputElement)) return false;
  return !["checkbox", "radio", "button", "submit", "reset"].includes(node.type);
}

/**
 * The manager's keys: Ctrl+W closes it; so does Escape, unless focus is in a field (mid-edit:
 * Escape is the field's own) or a "Really remove?" button is armed (Escape disarms it there,
 * see confirm.ts, and the window stays). Returns how to stop listening.
 */
export function closeOnKeys(doc: Document, close: () => void): () => void {
  const onKey = (ev: KeyboardEvent): void => {
    if (ev.defaultPrevented) return;
    const escape =
      ev.key === "Escape" && !isEditable(ev.target) && doc.querySelector('[data-armed="true"]') === null;
    if (escape || isCloseShortcut(ev)) {
      ev.preventDefault();
      close();
    }
  };
  doc.addEventListener("keydown", onKey);
  return () => doc.removeEventListener("keydown", onKey);
}
