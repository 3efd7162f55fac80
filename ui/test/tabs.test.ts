// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import indexHtml from "../index.html?raw";
import { initTabs, tabKeyTarget, TABS, type Tabs } from "../src/tabs";
import { loadBody } from "./dom";

describe("tabKeyTarget", () => {
  it.each([
    ["ArrowRight", 0, 1],
    ["ArrowRight", 3, 0],
    ["ArrowDown", 1, 2],
    ["ArrowLeft", 0, 3],
    ["ArrowUp", 2, 1],
    ["Home", 2, 0],
    ["End", 0, 3],
    ["Enter", 1, null],
    ["a", 1, null],
  ])("%s from %d → %j", (key, from, to) => {
    expect(tabKeyTarget(key, from, 4)).toBe(to);
  });
});

describe("tabs", () => {
  let tabs: Tabs | undefined;
  beforeEach(() => loadBody(indexHtml));
  afterEach(() => {
    tabs?.dispose();
    tabs = undefined;
  });

  const state = () =>
    TABS.map((id) => {
      const tab = document.getElementById(`tab-${id}`) as HTMLButtonElement;
      const panel = document.getElementById(`panel-${id}`) as HTMLElement;
      return [id, tab.getAttribute("aria-selected"), tab.tabIndex, panel.hidden];
    });

  it("the markup ties each tab to its panel", () => {
    for (const id of TABS) {
      const tab = document.getElementById(`tab-${id}`) as HTMLElement;
      expect(tab.tagName).toBe("BUTTON");
      expect(tab.getAttribute("role")).toBe("tab");
      expect(tab.getAttribute("aria-controls")).toBe(`panel-${id}`);
      const panel = document.getElementById(`panel-${id}`) as HTMLElement;
      expect(panel.getAttribute("role")).toBe("tabpanel");
      expect(panel.getAttribute("aria-labelledby")).toBe(`tab-${id}`);
    }
  });

  it("starts on the given tab; a click selects another and reports it", () => {
    const onSelect = vi.fn();
    tabs = initTabs(document, "settings", onSelect);
    expect(state()).toEqual([
      ["sessions", "false", -1, true],
      ["sources", "false", -1, true],
      ["settings", "true", 0, false],
      ["diagnostics", "false", -1, true],
    ]);
    (document.getElementById("tab-sources") as HTMLButtonElement).click();
    expect(onSelect).toHaveBeenCalledWith("sources");
    expect(tabs.current()).toBe("sources");
    expect(state()[1]).toEqual(["sources", "true", 0, false]);
    expect(state()[2]).toEqual(["settings", "false", -1, true]);
  });

  it.each([
    ["ArrowRight", "sources"],
    ["ArrowLeft", "diagnostics"],
    ["End", "diagnostics"],
    ["Home", "sessions"],
  ])("%s on Sessions selects and focuses %s", (key, expected) => {
    tabs = initTabs(document, "sessions", () => {});
    const first = document.getElementById("tab-sessions") as HTMLButtonElement;
    first.focus();
    const ev = new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true });
    first.dispatchEvent(ev);
    expect(ev.defaultPrevented).toBe(true);
    expect(tabs.current()).toBe(expected);
    expect(document.activeElement?.id).toBe(`tab-${expected}`);
  });
});
