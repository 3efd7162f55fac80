import { el } from "./dom";
import { callWith, type InvokeFn } from "./ipc";

/** What `about` returns (the Rust side's `About`). */
export interface About {
  version: string;
  licence: string;
  project: string;
  /** Where this running app's log goes, and how to read it, in words. */
  logs: string;
  log_level: string;
}

const FIELDS = ["version", "licence", "project", "logs", "log_level"] as const;

/** Fill the Settings tab's About card; a failure is said in the card, not hidden. */
export async function loadAbout(doc: Document, invoke: InvokeFn): Promise<void> {
  const res = await callWith<About>(invoke, "about");
  for (const key of FIELDS) {
    const node = el<HTMLElement>(doc, `about-${key.replace("_", "-")}`, "about card");
    node.textContent = res.ok ? String(res.value[key] ?? "—") : "—";
  }
  if (!res.ok) el<HTMLElement>(doc, "about-logs", "about card").textContent = `Could not ask: ${res.error.message}`;
}
