import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { getCurrentWindow } from "@tauri-apps/api/window";
import { closeOnKeys } from "./keys";
import { initManagerPage, type EngineNotice } from "./manager-page";
import type { InvokeFn } from "./ipc";
import { initTheme } from "./theme";

void initTheme(document, invoke as InvokeFn);
// Escape and Ctrl+W close the window as its close button does (the app stays in the tray).
closeOnKeys(document, () => void getCurrentWindow().close());
initManagerPage(document, invoke as InvokeFn, {
  // The engine's events, as the tray follows them: the list is current within a moment of any
  // change, whoever made it (the tray, the command line, another RoleKeeper).
  subscribe: (onNotice) =>
    listen<EngineNotice>("engine", (event) => onNotice(event.payload)),
});
