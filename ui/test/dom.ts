import { vi } from "vitest";

/** Load the <body> of a page's HTML into the current (jsdom) document. */
export function loadBody(html: string): Document {
  const parsed = new DOMParser().parseFromString(html, "text/html");
  document.body.className = parsed.body.className;
  document.body.innerHTML = parsed.body.innerHTML;
  return document;
}

/** Dispatch a paste event carrying `text`, as a browser would. */
export function paste(target: HTMLElement, text: string): Event {
  const ev = new Event("paste", { bubbles: true, cancelable: true });
  Object.defineProperty(ev, "clipboardData", { value: { getData: () => text } });
  target.dispatchEvent(ev);
  return ev;
}

export function typeValue(input: HTMLInputElement, value: string): void {
  input.value = value;
  input.dispatchEvent(new Event("input", { bubbles: true }));
}

type Handler = (args?: Record<string, unknown>) => unknown;

/** An `invoke` that answers each command with its handler (a throw is a rejection). */
export function fakeInvoke(handlers: Record<string, Handler>) {
  return vi.fn(async (cmd: string, args?: Record<string, unknown>) => {
    const h = handlers[cmd];
    if (!h) throw { code: "Internal", message: `unexpected command ${cmd}` };
    return h(args);
  });
}

/** The calls made to one command, as their argument objects. */
export function callsTo(inv: ReturnType<typeof fakeInvoke>, cmd: string): Array<Record<string, unknown> | undefined> {
  return inv.mock.calls.filter(([c]) => c === cmd).map(([, a]) => a);
}
