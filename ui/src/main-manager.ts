import { invoke } from "@tauri-apps/api/core";
import { initManagerPage } from "./manager-page";
import type { InvokeFn } from "./ipc";

initManagerPage(document, invoke as InvokeFn);
