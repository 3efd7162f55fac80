import { invoke } from "@tauri-apps/api/core";
import { LogicalSize } from "@tauri-apps/api/dpi";
import { getCurrentWindow } from "@tauri-apps/api/window";
import { initMfaPage } from "./mfa-page";
import type { InvokeFn } from "./ipc";
import { initTheme } from "./theme";

void initTheme(document, invoke as InvokeFn);
initMfaPage(document, invoke as InvokeFn, {
  // The width stays as tauri.conf.json has it; the height follows what the dialog shows.
  // (GTK resizes only a resizable window from code; tauri.conf.json's height fits one status line.)
  fit: (height) =>
    void getCurrentWindow()
      .setSize(new LogicalSize(window.innerWidth, height))
      .catch((e: unknown) => console.warn(`the dialog could not fit its content: ${String(e)}`)),
});
