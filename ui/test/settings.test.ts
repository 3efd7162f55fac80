import { describe, expect, it } from "vitest";
import { parseMinutes, validateSettings } from "../src/settings";

describe("parseMinutes", () => {
  it.each([
    ["1", 1],
    ["60", 60],
    [" 15 ", 15],
    ["010", 10],
  ])("%j → %d", (raw, value) => {
    expect(parseMinutes(raw)).toEqual({ ok: true, value });
  });

  it.each([
    ["", "Enter a number of minutes from 1 to 60."],
    ["   ", "Enter a number of minutes from 1 to 60."],
    ["0", "Use 1 to 60 minutes."],
    ["61", "Use 1 to 60 minutes."],
    ["-5", "Use 1 to 60 minutes."],
    ["1.5", "Use whole minutes."],
    ["abc", "Enter whole minutes as digits."],
    ["1e1", "Enter whole minutes as digits."],
  ])("%j → %j", (raw, message) => {
    expect(parseMinutes(raw)).toEqual({ ok: false, message });
  });
});

describe("validateSettings", () => {
  it.each([
    [
      { refresh: "10", warn: "15", notifications: true, startAtLogin: false },
      { ok: true, settings: { refresh_before_minutes: 10, warn_before_minutes: 15, notifications: true, start_at_login: false } },
    ],
    [
      { refresh: "60", warn: "1", notifications: false, startAtLogin: true },
      { ok: true, settings: { refresh_before_minutes: 60, warn_before_minutes: 1, notifications: false, start_at_login: true } },
    ],
    [
      { refresh: "0", warn: "15", notifications: true, startAtLogin: false },
      { ok: false, errors: { refresh: "Use 1 to 60 minutes." } },
    ],
    [
      { refresh: "5", warn: "", notifications: true, startAtLogin: false },
      { ok: false, errors: { warn: "Enter a number of minutes from 1 to 60." } },
    ],
    [
      { refresh: "99", warn: "2.5", notifications: true, startAtLogin: false },
      { ok: false, errors: { refresh: "Use 1 to 60 minutes.", warn: "Use whole minutes." } },
    ],
  ])("case %#", (input, expected) => {
    expect(validateSettings(input)).toEqual(expected);
  });
});
