import { initDiagnosticsTab } from "./diagnostics-tab";
import { el, Listeners, setStatus } from "./dom";
import { initFirstRun } from "./first-run";
import { callWith, type InvokeFn } from "./ipc";
import { initSessionsTab } from "./sessions-tab";
import { initSettingsTab } from "./settings-tab";
import { initSourcesTab } from "./sources-tab";
import { initSsoSection } from "./sso-section";
import { initTabs, isTabId, type TabId } from "./tabs";

export interface ManagerPage {
  /** Resolves once the first list and diagnostics (and the initial tab) have been shown. */
  ready: Promise<void>;
  refreshAll: () => Promise<void>;
  /** Re-list the sessions. */
  reload: () => Promise<void>;
  /** Show a tab and load what it shows. Resolves when it is loaded. */
  show: (tab: TabId) => Promise<void>;
  dispose: () => void;
}

/** What the engine reported (the Rust side's `EngineNotice`): a kind and the session. */
export interface EngineNotice {
  kind: string;
  name: string | null;
}

export interface ManagerPageOptions {
  /** Re-list every this many ms so states like "fresh · 47 min" stay current. 0 disables. */
  pollMs?: number;
  /** Follow the engine's events; returns how to stop (possibly once subscribed). */
  subscribe?: (onNotice: (notice: EngineNotice) => void) => Promise<() => void> | (() => void);
  /** Events closer together than this (ms) are followed with one re-list. */
  settleMs?: number;
  /** How long "Really remove?" waits for the second click, ms. */
  confirmMs?: number;
}

/**
 * The manager window: Sessions, Sources, Settings and Diagnostics tabs. The initial tab can
 * be named in the URL's fragment (index.html#settings). Sources and Settings load when shown.
 */
export function initManagerPage(
  doc: Document,
  invoke: InvokeFn,
  opts: ManagerPageOptions = {},
): ManagerPage {
  const win = doc.defaultView ?? window;
  const pollMs = opts.pollMs ?? 30_000;
  const refreshBtn = el<HTMLButtonElement>(doc, "refresh", "manager page");
  const listStatus = el<HTMLElement>(doc, "list-status", "manager page");
  const listeners = new Listeners();

  // "Add or import keys…" of the first-run guide: the Sources tab, at the form.
  const goToKeys = (): void => {
    void show("sources").then(() => {
      const name = el<HTMLInputElement>(doc, "source-name", "manager page");
      name.scrollIntoView?.({ block: "center" });
      name.focus();
    });
  };
  const firstRun = initFirstRun(doc, invoke, goToKeys);
  const sessions = initSessionsTab(doc, invoke, { onNone: firstRun.show });
  const sources = initSourcesTab(doc, invoke, { confirmMs: opts.confirmMs });
  const sso = initSsoSection(doc, invoke);
  const settings = initSettingsTab(doc, invoke);
  const diagnostics = initDiagnosticsTab(doc, invoke);

  function loadTab(tab: TabId): Promise<void> {
    switch (tab) {
      case "sessions":
        return sessions.reload();
      case "sources":
        return Promise.all([sources.load(), sso.load()]).then(() => undefined);
      case "settings":
        return settings.load();
      case "diagnostics":
        return diagnostics.load();
    }
  }

  const hash = win.location.hash.replace(/^#/, "");
  const initial: TabId = isTabId(hash) ? hash : "sessions";
  let selected: Promise<void> = Promise.resolve();
  const tabs = initTabs(doc, initial, (tab) => {
    selected = loadTab(tab);
  });

  function show(tab: TabId): Promise<void> {
    if (tabs.current() === tab) return loadTab(tab);
    tabs.select(tab); // loads it through the callback above
    return selected;
  }

  let refreshing = false;
  async function refreshAll(): Promise<void> {
    if (refreshing) return;
    refreshing = true;
    refreshBtn.disabled = true;
    const label = refreshBtn.textContent;
    refreshBtn.textContent = "Refreshing…";
    setStatus(listStatus, "Refreshing all sessions…");
    const res = await callWith<unknown>(invoke, "refresh_all");
    if (res.ok) setStatus(listStatus, "Refreshed.", "ok");
    else setStatus(listStatus, `Refresh failed: ${res.error.message}`, "error");
    await Promise.all([sessions.reload(), diagnostics.load()]);
    refreshBtn.textContent = label;
    refreshBtn.disabled = false;
    refreshing = false;
  }

  listeners.on(refreshBtn, "click", () => void refreshAll());

  // Keep the Sessions tab's states current while it is shown.
  const reloadIfShown = (): void => {
    if (tabs.current() === "sessions") void sessions.reload();
    if (tabs.current() === "sources") void sso.load();
  };
  listeners.on(win, "focus", reloadIfShown);
  const poll = pollMs > 0 ? win.setInterval(reloadIfShown, pollMs) : undefined;

  // The engine's events: a trouble that is over leaves the banner at once, and the list is
  // re-read once for a burst of events (a batch of renewals).
  const settleMs = opts.settleMs ?? 100;
  let pendingReload: ReturnType<typeof setTimeout> | undefined;
  let unsubscribe: (() => void) | undefined;
  let disposed = false;
  if (opts.subscribe) {
    const onNotice = (notice: EngineNotice): void => {
      if (notice.name !== null) sessions.noticed(notice.kind, notice.name);
      if (pendingReload !== undefined) return;
      pendingReload = win.setTimeout(() => {
        pendingReload = undefined;
        reloadIfShown();
      }, settleMs);
    };
    void Promise.resolve(opts.subscribe(onNotice)).then((stop) => {
      if (disposed) stop();
      else unsubscribe = stop;
    });
  }

  // Sessions and diagnostics (for the tab's attention mark) always; the initial tab too.
  const first: Array<Promise<void>> = [sessions.reload(), diagnostics.load(), showTrayNotice(doc, invoke)];
  if (initial === "sources" || initial === "settings") first.push(loadTab(initial));
  const ready = Promise.all(first).then(() => undefined);

  return {
    ready,
    refreshAll,
    reload: sessions.reload,
    show,
    dispose(): void {
      disposed = true;
      unsubscribe?.();
      if (pendingReload !== undefined) win.clearTimeout(pendingReload);
      listeners.dispose();
      if (poll !== undefined) win.clearInterval(poll);
      tabs.dispose();
      sessions.dispose();
      firstRun.dispose();
      sources.dispose();
      sso.dispose();
      settings.dispose();
      diagnostics.dispose();
    },
  };
}

/** Why the tray icon shows nowhere (the Rust side's `TrayNotice`), when it does not. */
export interface TrayNotice {
  why: string;
  fix: string;
}

/**
 * On a desktop with no tray host the app opens this window on start: say why at the top, and
 * what to install. Nothing shows when the icon is there.
 */
export async function showTrayNotice(doc: Document, invoke: InvokeFn): Promise<void> {
  const res = await callWith<TrayNotice | null>(invoke, "tray_notice");
  const box = el<HTMLElement>(doc, "tray-notice", "manager page");
  if (!res.ok || typeof res.value?.why !== "string") {
    box.hidden = true;
    return;
  }
  const notice = res.value;
  el<HTMLElement>(doc, "tray-notice-why", "manager page").textContent =
    `${notice.why.charAt(0).toUpperCase()}${notice.why.slice(1)}.`;
  el<HTMLElement>(doc, "tray-notice-fix", "manager page").textContent = `To fix: ${notice.fix}.`;
  box.hidden = false;
}
