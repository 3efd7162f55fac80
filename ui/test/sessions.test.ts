import { describe, expect, it } from "vitest";
import {
  arnParts,
  choicesOf,
  filterCount,
  filterSessions,
  matchesFilter,
  durationLabel,
  formatRow,
  roleText,
  consoleOpened,
  sessionActions,
  sourceText,
  stateTone,
  type SessionView,
} from "../src/sessions";
import { FILTER_CASES, manyProfiles } from "./many-profiles";

const base: SessionView = {
  name: "dev",
  kind: "role",
  role_arn: "arn:aws:iam::123456789012:role/Dev",
  source_profile: "default",
  mfa_serial: null,
  state: "fresh · 47 min",
  condition: "fresh",
  active: true,
};

describe("roleText", () => {
  it.each([
    ["role", "arn:aws:iam::1:role/A", "arn:aws:iam::1:role/A"],
    ["static", null, "static keys"],
    ["other", null, "—"],
    ["role", null, "—"],
  ] as const)("kind %s, role_arn %j → %j", (kind, role_arn, expected) => {
    expect(roleText({ kind, role_arn })).toBe(expected);
  });

  it("names an IAM Identity Center role with its account", () => {
    expect(
      roleText({ kind: "role", role_arn: null, sso_account_id: "111111111111", sso_role_name: "Admin" }),
    ).toBe("Admin in 111111111111 (IAM Identity Center)");
  });
});

describe("sourceText", () => {
  it.each([
    ["default", "default"],
    [null, "—"],
  ])("source_profile %j → %j", (source_profile, expected) => {
    expect(sourceText({ source_profile })).toBe(expected);
  });
});

describe("stateTone", () => {
  it.each([
    ["fresh", "ok"],
    ["off", "off"],
    ["expired", "attention"],
    ["needs_mfa", "attention"],
    ["retrying", "error"],
    ["failing", "error"],
    ["long_term_keys", "neutral"],
  ] as const)("stateTone(%j) → %j", (condition, expected) => {
    expect(stateTone(condition)).toBe(expected);
  });
});

describe("formatRow", () => {
  it.each([
    [base, { name: "dev", role: base.role_arn, source: "default", state: "fresh · 47 min", tone: "ok", mfa: false, active: true }],
    [
      { ...base, name: "default", kind: "static", role_arn: null, source_profile: null, state: "off", condition: "off", active: false },
      { name: "default", role: "static keys", source: "—", state: "off", tone: "off", mfa: false, active: false },
    ],
    [
      { ...base, mfa_serial: "arn:aws:iam::123456789012:mfa/me", state: "needs MFA code", condition: "needs_mfa" },
      { name: "dev", role: base.role_arn, source: "default", state: "needs MFA code", tone: "attention", mfa: true, active: true },
    ],
  ] as const)("row %#", (view, expected) => {
    expect(formatRow(view as SessionView)).toEqual(expected);
  });
});

describe("sessionActions", () => {
  it.each([
    ["role", true, ["refresh_session", "deactivate_session", "open_console"]],
    ["role", false, ["activate_session", "open_console"]],
    // Only settings (a [default] with a region): nothing to assume, nothing to activate, no
    // credentials to open the console with.
    ["other", false, []],
    // Plain keys: nothing to renew, so nothing to activate (an active one can still be stopped);
    // an IAM user's keys open the console (through a federation token).
    ["static", false, ["open_console"]],
    ["static", true, ["refresh_session", "deactivate_session", "open_console"]],
  ] as const)("%s, active %j → %j", (kind, active, commands) => {
    expect(sessionActions({ name: "x", kind, active }).map((a) => a.command)).toEqual(commands);
  });
});

describe("consoleOpened", () => {
  it("says the console opened, and any note", () => {
    expect(consoleOpened("dev", [])).toBe("dev: the AWS console opened in your browser.");
    expect(consoleOpened("keys", ["it carries no MFA context"])).toBe(
      "keys: the AWS console opened in your browser. Note: it carries no MFA context",
    );
  });
});

describe("choices", () => {
  it.each([
    [{}, { delivery: "file", seconds: 0 }],
    [{ delivery: "process", duration_seconds: 7200 }, { delivery: "process", seconds: 7200 }],
    [{ delivery: "file", duration_seconds: null }, { delivery: "file", seconds: 0 }],
  ] as const)("%j → %j", (view, want) => {
    expect(choicesOf(view)).toEqual(want);
  });

  it.each([
    [0, "Default"],
    [3600, "1 h"],
    [5400, "90 min"],
    [10800, "3 h"],
  ])("%i s reads %j", (seconds, words) => {
    expect(durationLabel(seconds)).toBe(words);
  });
});

describe("the sessions filter", () => {
  it.each([
    ["arn:aws:iam::123456789012:role/Admin", "123456789012", "Admin"],
    ["arn:aws:iam::123456789012:role/team/ci/Deploy", "123456789012", "Deploy"],
    ["arn:aws-us-gov:iam::123456789012:role/Ops", "123456789012", "Ops"],
    ["arn:aws:iam::123456789012:user/alice", "123456789012", null],
    ["arn:aws:iam::12345:role/Short", null, "Short"],
    ["not an arn", null, null],
    [null, null, null],
  ] as const)("arnParts(%j) → account %j, role %j", (arn, account, role) => {
    expect(arnParts(arn)).toEqual({ account, role });
  });

  const profiles = manyProfiles();
  it.each(FILTER_CASES)("$query ($why) → $count rows", ({ query, count, first }) => {
    const shown = filterSessions(profiles, query).map((s) => s.name);
    expect(shown).toHaveLength(count);
    expect(shown.slice(0, first.length)).toEqual(first);
    // Active ones first, each part in name order.
    const active = shown.filter((n) => profiles.find((p) => p.name === n)!.active);
    expect(shown.slice(0, active.length)).toEqual(active);
    expect(shown.slice(active.length)).toEqual([...shown.slice(active.length)].sort());
  });

  it("matches one profile without building the list", () => {
    const p = { name: "prod", role_arn: "arn:aws:iam::123456789012:role/Admin" };
    expect(matchesFilter(p, "PROD 1234 adm")).toBe(true);
    expect(matchesFilter(p, "prod dev")).toBe(false);
  });

  it.each([
    [0, 300, "0 of 300 profiles"],
    [12, 300, "12 of 300 profiles"],
    [1, 1, "1 of 1 profile"],
  ])("count %i of %i reads %j", (shown, total, text) => {
    expect(filterCount(shown, total)).toBe(text);
  });
});
