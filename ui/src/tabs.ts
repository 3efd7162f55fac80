import { Listeners } from "./dom";

export const TABS = ["sessions", "sources", "settings", "diagnostics"] as const;
export type TabId = (typeof TABS)[number];

export function isTabId(s: string): s is TabId {
  return (TABS as readonly string[]).includes(s);
}

/** Which tab a key moves to from tab `index` of `count` (wrapping), or null for other keys. */
export function tabKeyTarget(key: string, index: number, count: number): number | null {
  switch (key) {
    case "ArrowRight":
    case "ArrowDown":
      return (index + 1) % count;
    case "ArrowLeft":
    case "ArrowUp":
      return (index - 1 + count) % count;
    case "Home":
      return 0;
    case "End":
      return count - 1;
    default:
      return null;
  }
}

export interface Tabs {
  current: () => TabId;
  select: (id: TabId, focus?: boolean) => void;
  dispose: () => void;
}

/**
 * WAI-ARIA tabs over `#tab-<id>` buttons and `#panel-<id>` panels: click or arrow keys,
 * Home and End select (and show) a tab; only the selected tab is in the Tab order.
 */
export function initTabs(doc: Document, initial: TabId, onSelect: (id: TabId) => void): Tabs {
  const listeners = new Listeners();
  const tabs = TABS.map((id) => doc.getElementById(`tab-${id}`) as HTMLButtonElement);
  const panels = TABS.map((id) => doc.getElementById(`panel-${id}`) as HTMLElement);
  let current: TabId = initial;

  function show(id: TabId): void {
    TABS.forEach((t, i) => {
      const on = t === id;
      tabs[i].setAttribute("aria-selected", String(on));
      tabs[i].tabIndex = on ? 0 : -1;
      panels[i].hidden = !on;
    });
  }

  function select(id: TabId, focus = false): void {
    const changed = id !== current;
    current = id;
    show(id);
    if (focus) tabs[TABS.indexOf(id)].focus();
    if (changed) onSelect(id);
  }

  TABS.forEach((id, i) => {
    listeners.on(tabs[i], "click", () => select(id));
    listeners.on(tabs[i], "keydown", (ev: KeyboardEvent) => {
      const to = tabKeyTarget(ev.key, i, TABS.length);
      if (to === null) return;
      ev.preventDefault();
      select(TABS[to], true);
    });
  });

  show(current);

  return { current: () => current, select, dispose: () => listeners.dispose() };
}
