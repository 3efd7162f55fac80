import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { initManagerPage, type EngineNotice } from "./manager-page";
import type { InvokeFn } from "./ipc";

initManagerPage(document, invoke as InvokeFn, {
  // The engine's events, as the tray follows them: the list is current within a moment of any
  // change, whoever made it (the tray, the command line, another RoleKeeper).
  subscribe: (onNotice) =>
    listen<EngineNotice>("engine", (event) => onNotice(event.payload)),
});
