import { el, Listeners, setStatus } from "./dom";
import { callWith, type InvokeFn } from "./ipc";
import { loadAbout } from "./about";
import { parseMinutes, validateSettings, type MinutesField, type Settings } from "./settings";
import { isThemeChoice, pageTheme } from "./theme";

export interface SettingsTab {
  /** Load the settings into the form, unless they are already there. */
  load: () => Promise<void>;
  /** Validate and save (same as pressing Save). */
  save: () => Promise<void>;
  dispose: () => void;
}

/** The Settings tab: refresh and warning lead times, notifications, start at login, theme; About. */
export function initSettingsTab(doc: Document, invoke: InvokeFn): SettingsTab {
  const page = "settings tab";
  const form = el<HTMLFormElement>(doc, "settings-form", page);
  const fields: Record<MinutesField, { input: HTMLInputElement; error: HTMLElement }> = {
    refresh: {
      input: el<HTMLInputElement>(doc, "refresh-before", page),
      error: el<HTMLElement>(doc, "refresh-before-error", page),
    },
    warn: {
      input: el<HTMLInputElement>(doc, "warn-before", page),
      error: el<HTMLElement>(doc, "warn-before-error", page),
    },
  };
  const notifications = el<HTMLInputElement>(doc, "notifications", page);
  const startAtLogin = el<HTMLInputElement>(doc, "start-at-login", page);
  const theme = el<HTMLSelectElement>(doc, "theme", page);
  const saveBtn = el<HTMLButtonElement>(doc, "settings-save", page);
  const status = el<HTMLElement>(doc, "settings-status", page);
  const listeners = new Listeners();

  let loaded = false;
  let saving = false;

  function setEnabled(on: boolean): void {
    for (const f of [fields.refresh.input, fields.warn.input, notifications, startAtLogin, theme, saveBtn]) {
      f.disabled = !on;
    }
  }

  function showFieldError(key: MinutesField, message: string | undefined): void {
    const { input, error } = fields[key];
    error.textContent = message ?? "";
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  // Settings the form does not show, saved back as they were loaded.
  let keyAgeDays: number | undefined;

  function fill(s: Settings): void {
    keyAgeDays = s.key_age_days;
    fields.refresh.input.value = String(s.refresh_before_minutes);
    fields.warn.input.value = String(s.warn_before_minutes);
    notifications.checked = Boolean(s.notifications);
    startAtLogin.checked = Boolean(s.start_at_login);
    theme.value = isThemeChoice(s.theme) ? s.theme : "system";
    showFieldError("refresh", undefined);
    showFieldError("warn", undefined);
  }

  async function load(): Promise<void> {
    if (loaded) return;
    void loadAbout(doc, invoke);
    setEnabled(false);
    setStatus(status, "Loading…");
    const res = await callWith<Settings>(invoke, "get_settings");
    if (!res.ok) {
      // Never offer to save defaults over settings that could not be read.
      setStatus(status, `Could not load the settings: ${res.error.message}`, "error");
      return;
    }
    fill(res.value);
    loaded = true;
    setEnabled(true);
    setStatus(status, "");
  }

  async function save(): Promise<void> {
    if (!loaded || saving) return;
    const check = validateSettings({
      refresh: fields.refresh.input.value,
      warn: fields.warn.input.value,
      notifications: notifications.checked,
      startAtLogin: startAtLogin.checked,
      theme: isThemeChoice(theme.value) ? theme.value : "system",
    });
    if (!check.ok) {
      showFieldError("refresh", check.errors.refresh);
      showFieldError("warn", check.errors.warn);
      setStatus(status, "Not saved: check the values above.", "error");
      fields[check.errors.refresh ? "refresh" : "warn"].input.focus();
      return;
    }
    showFieldError("refresh", undefined);
    showFieldError("warn", undefined);
    saving = true;
    saveBtn.disabled = true;
    setStatus(status, "Saving…");
    const settings = keyAgeDays === undefined ? check.settings : { ...check.settings, key_age_days: keyAgeDays };
    const res = await callWith<unknown>(invoke, "set_settings", { settings });
    saving = false;
    saveBtn.disabled = false;
    if (res.ok) {
      setStatus(status, "Saved", "ok");
      pageTheme(doc).set(settings.theme ?? "system");
    }
    else setStatus(status, res.error.message, "error"); // InvalidInput says which value and why
  }

  for (const key of ["refresh", "warn"] as const) {
    listeners.on(fields[key].input, "input", () => {
      const r = parseMinutes(fields[key].input.value);
      showFieldError(key, r.ok ? undefined : r.message);
      if (status.dataset.tone !== "info") setStatus(status, "");
    });
  }
  for (const box of [notifications, startAtLogin, theme]) {
    listeners.on(box, "change", () => {
      if (status.dataset.tone !== "info") setStatus(status, "");
    });
  }
  listeners.on(form, "submit", (ev: SubmitEvent) => {
    ev.preventDefault();
    void save();
  });

  setEnabled(false);

  return { load, save, dispose: () => listeners.dispose() };
}
