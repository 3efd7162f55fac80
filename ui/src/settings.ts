import type { ThemeChoice } from "./theme";

/** What `get_settings` returns and `set_settings` takes (as `{ settings }`). */
export interface Settings {
  refresh_before_minutes: number;
  warn_before_minutes: number;
  notifications: boolean;
  start_at_login: boolean;
  /** Remind to rotate a source's key this many days old (not in the form yet: kept as loaded). */
  key_age_days?: number;
  /** The windows' colours; absent from older answers, which means "system". */
  theme?: ThemeChoice;
}

export const MINUTES_MIN = 1;
export const MINUTES_MAX = 60;

/** The settings form as typed: number fields are raw strings. */
export interface SettingsInput {
  refresh: string;
  warn: string;
  notifications: boolean;
  startAtLogin: boolean;
  theme?: ThemeChoice;
}

export type MinutesField = "refresh" | "warn";

export type SettingsCheck =
  | { ok: true; settings: Settings }
  | { ok: false; errors: Partial<Record<MinutesField, string>> };

/** Whole minutes from 1 to 60, or the sentence that says what is wrong. */
export function parseMinutes(raw: string): { ok: true; value: number } | { ok: false; message: string } {
  const s = raw.trim();
  if (s === "") return { ok: false, message: `Enter a number of minutes from ${MINUTES_MIN} to ${MINUTES_MAX}.` };
  if (!/^[+-]?\d+(\.\d+)?$/.test(s)) return { ok: false, message: "Enter whole minutes as digits." };
  const n = Number(s);
  if (!Number.isInteger(n)) return { ok: false, message: "Use whole minutes." };
  if (n < MINUTES_MIN || n > MINUTES_MAX) {
    return { ok: false, message: `Use ${MINUTES_MIN} to ${MINUTES_MAX} minutes.` };
  }
  return { ok: true, value: n };
}

export function validateSettings(input: SettingsInput): SettingsCheck {
  const refresh = parseMinutes(input.refresh);
  const warn = parseMinutes(input.warn);
  if (refresh.ok && warn.ok) {
    return {
      ok: true,
      settings: {
        refresh_before_minutes: refresh.value,
        warn_before_minutes: warn.value,
        notifications: input.notifications,
        start_at_login: input.startAtLogin,
        ...(input.theme === undefined ? {} : { theme: input.theme }),
      },
    };
  }
  const errors: Partial<Record<MinutesField, string>> = {};
  if (!refresh.ok) errors.refresh = refresh.message;
  if (!warn.ok) errors.warn = warn.message;
  return { ok: false, errors };
}
