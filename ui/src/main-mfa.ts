import { invoke } from "@tauri-apps/api/core";
import { initMfaPage } from "./mfa-page";
import type { InvokeFn } from "./ipc";

initMfaPage(document, invoke as InvokeFn);
