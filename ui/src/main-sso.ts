import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { initSsoPage } from "./sso-page";
import type { InvokeFn } from "./ipc";
import { initTheme } from "./theme";

void initTheme(document, invoke as InvokeFn);
initSsoPage(document, invoke as InvokeFn, {
  // A new prompt (the next step, or another sign-in's) while the dialog is open.
  subscribe: (onChange) => listen("engine", () => onChange()),
});
