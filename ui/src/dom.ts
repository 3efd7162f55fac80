/** Small DOM helpers shared by the page controllers. */

export type Tone = "info" | "ok" | "warn" | "error";

/** The element with `id`, or a clear error naming the page whose markup lacks it. */
export function el<T extends HTMLElement>(doc: Document, id: string, page = "page"): T {
  const found = doc.getElementById(id);
  if (!found) throw new Error(`${page}: missing #${id}`);
  return found as T;
}

/** Set a status line's text and tone (the tone only colours it). */
export function setStatus(node: HTMLElement, text: string, tone: Tone = "info"): void {
  node.textContent = text;
  node.dataset.tone = tone;
}

/** Add listeners and remove them all at once on dispose. */
export class Listeners {
  private readonly cleanups: Array<() => void> = [];

  on<K extends keyof HTMLElementEventMap>(
    target: EventTarget,
    type: K,
    fn: (ev: HTMLElementEventMap[K]) => void,
  ): void {
    target.addEventListener(type, fn as EventListener);
    this.cleanups.push(() => target.removeEventListener(type, fn as EventListener));
  }

  dispose(): void {
    for (const c of this.cleanups.splice(0)) c();
  }
}

/** A button with a label and an accessible name. */
export function button(doc: Document, label: string, ariaLabel?: string, cls?: string): HTMLButtonElement {
  const b = doc.createElement("button");
  b.type = "button";
  b.textContent = label;
  if (ariaLabel) b.setAttribute("aria-label", ariaLabel);
  if (cls) b.className = cls;
  return b;
}

/** Append a <td> with `text` to `tr`. */
export function cell(doc: Document, tr: HTMLTableRowElement, text: string, cls?: string): HTMLTableCellElement {
  const td = doc.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

/** Put `text` on the clipboard: the Clipboard API where the web view grants it, else a
 * selected, off-screen textarea and `copy` (WebKitGTK refuses the API outside a secure
 * context). Whether it worked. */
export async function copyText(doc: Document, text: string): Promise<boolean> {
  const clipboard = doc.defaultView?.navigator?.clipboard;
  if (clipboard?.writeText) {
    try {
      await clipboard.writeText(text);
      return true;
    } catch {
      // fall through to the older way
    }
  }
  const area = doc.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.left = "-9999px";
  doc.body.appendChild(area);
  area.select();
  let done = false;
  try {
    done = doc.execCommand("copy");
  } catch {
    done = false;
  }
  area.remove();
  return done;
}
