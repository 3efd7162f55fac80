// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import indexHtml from "../index.html?raw";
import { confirmButton } from "../src/confirm";
import { closeOnKeys, isCloseShortcut, isEditable } from "../src/keys";
import { loadBody } from "./dom";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const press = (target: HTMLElement, init: KeyboardEventInit) =>
  target.dispatchEvent(new KeyboardEvent("keydown", { bubbles: true, cancelable: true, ...init }));

let stop: (() => void) | undefined;
beforeEach(() => loadBody(indexHtml));
afterEach(() => {
  stop?.();
  stop = undefined;
});

describe("close keys", () => {
  it("Ctrl+W and Cmd+W are the close shortcut; W, Ctrl+Shift+W and Alt are not", () => {
    const k = (init: KeyboardEventInit) => isCloseShortcut(new KeyboardEvent("keydown", init));
    expect(k({ key: "w", ctrlKey: true })).toBe(true);
    expect(k({ key: "W", ctrlKey: true })).toBe(true); // caps lock
    expect(k({ key: "w", metaKey: true })).toBe(true);
    expect(k({ key: "w" })).toBe(false);
    expect(k({ key: "w", ctrlKey: true, shiftKey: true })).toBe(false);
    expect(k({ key: "w", ctrlKey: true, altKey: true })).toBe(false);
  });

  it("fields are editable; buttons, tabs and check boxes are not", () => {
    expect(isEditable($("session-filter"))).toBe(true);
    expect(isEditable($("refresh-before"))).toBe(true);
    expect(isEditable($("import-profile"))).toBe(true); // a select
    expect(isEditable($("notifications"))).toBe(false); // a check box
    expect(isEditable($("refresh"))).toBe(false);
    expect(isEditable($("tab-sources"))).toBe(false);
  });

  it("Escape closes the manager from a button or tab, not from a field mid-edit", () => {
    const close = vi.fn();
    stop = closeOnKeys(document, close);
    press($("session-filter"), { key: "Escape" });
    press($("refresh-before"), { key: "Escape" });
    expect(close).not.toHaveBeenCalled();
    press($("tab-sessions"), { key: "Escape" });
    expect(close).toHaveBeenCalledTimes(1);
    press(document.body, { key: "Escape" });
    expect(close).toHaveBeenCalledTimes(2);
  });

  it("Ctrl+W closes it from anywhere, a field too", () => {
    const close = vi.fn();
    stop = closeOnKeys(document, close);
    press($("session-filter"), { key: "w", ctrlKey: true });
    expect(close).toHaveBeenCalledTimes(1);
    press($("refresh"), { key: "Enter" });
    expect(close).toHaveBeenCalledTimes(1);
  });

  it("Escape with a Really remove? armed disarms it and leaves the window open", () => {
    const close = vi.fn();
    stop = closeOnKeys(document, close);
    const btn = document.createElement("button");
    btn.textContent = "Remove";
    document.body.appendChild(btn);
    const confirmed = vi.fn();
    const undo = confirmButton(btn, window, confirmed);
    btn.click();
    expect(btn.dataset.armed).toBe("true");
    press(btn, { key: "Escape" });
    expect(btn.dataset.armed).toBeUndefined();
    expect(btn.textContent).toBe("Remove");
    expect(close).not.toHaveBeenCalled();
    press(btn, { key: "Escape" }); // nothing armed now: this one closes
    expect(close).toHaveBeenCalledTimes(1);
    expect(confirmed).not.toHaveBeenCalled();
    undo();
  });
});
