import { copyText, el, Listeners, setStatus } from "./dom";
import { callWith, copyKept, type InvokeFn } from "./ipc";

/** What `first_run_guide` returns (src-tauri/src/first_run.rs). */
export interface FirstRunGuide {
  config_path: string;
  example: string;
}

/** What `open_config_file` returns. */
export interface OpenedConfig {
  path: string;
  created: boolean;
}

export interface FirstRun {
  /** Show the guide (no profile in the files) or hide it. */
  show: (on: boolean) => void;
  dispose: () => void;
}

/** The status line after "Open the config file". */
export function openedMessage(opened: OpenedConfig): string {
  return opened.created
    ? `Created ${opened.path} (only you can read it) and opened it in your editor.`
    : `Opened ${opened.path} in your editor.`;
}

/**
 * The Sessions tab's guide when the AWS files define no profile: the keys (to the Sources
 * tab), an example profile to copy, and the config file opened in the desktop's editor
 * (created 0600 when missing). What is saved there shows up by itself: the engine watches
 * the files.
 */
export function initFirstRun(doc: Document, invoke: InvokeFn, goToKeys: () => void): FirstRun {
  const page = "first-run guide";
  const box = el<HTMLElement>(doc, "first-run", page);
  const configPath = el<HTMLElement>(doc, "first-run-config", page);
  const example = el<HTMLElement>(doc, "first-run-example", page);
  const openBtn = el<HTMLButtonElement>(doc, "first-run-open", page);
  const copyBtn = el<HTMLButtonElement>(doc, "first-run-copy", page);
  const keysBtn = el<HTMLButtonElement>(doc, "first-run-keys", page);
  const status = el<HTMLElement>(doc, "first-run-status", page);
  const listeners = new Listeners();
  let loaded = false;

  async function load(): Promise<void> {
    const res = await callWith<FirstRunGuide>(invoke, "first_run_guide");
    if (!res.ok || typeof res.value?.example !== "string") return;
    loaded = true;
    configPath.textContent = res.value.config_path;
    example.textContent = res.value.example;
  }

  function show(on: boolean): void {
    box.hidden = !on;
    if (on && !loaded) void load();
  }

  listeners.on(openBtn, "click", () => {
    openBtn.disabled = true;
    setStatus(status, "Opening the config file…");
    void callWith<OpenedConfig>(invoke, "open_config_file").then((res) => {
      openBtn.disabled = false;
      if (res.ok) setStatus(status, openedMessage(res.value), "ok");
      else setStatus(status, res.error.message, "error");
    });
  });
  listeners.on(copyBtn, "click", () => {
    const text = example.textContent ?? "";
    void copyKept(invoke, text, (t) => copyText(doc, t)).then((ok) =>
      ok
        ? setStatus(status, "Copied the example: paste it into the config file and change the names.", "ok")
        : setStatus(status, "Could not reach the clipboard: select the example and copy it.", "error"),
    );
  });
  listeners.on(keysBtn, "click", goToKeys);

  return { show, dispose: () => listeners.dispose() };
}
