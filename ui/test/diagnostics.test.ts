import { describe, expect, it } from "vitest";
import { checkBadge, checksSummary } from "../src/diagnostics";

describe("checkBadge", () => {
  it.each([
    ["ok", { text: "ok", tone: "ok" }],
    ["warn", { text: "warn", tone: "warn" }],
    ["fail", { text: "FAIL", tone: "error" }],
    ["skipped", { text: "skipped", tone: "warn" }],
  ])("%j → %j", (outcome, expected) => {
    expect(checkBadge(outcome)).toEqual(expected);
  });
});

describe("checksSummary", () => {
  it.each([
    [[], { text: "", tone: "ok" }],
    [["ok"], { text: "The check passed.", tone: "ok" }],
    [["ok", "ok", "ok"], { text: "All 3 checks passed.", tone: "ok" }],
    [["ok", "warn"], { text: "1 warning.", tone: "warn" }],
    [["warn", "warn", "fail"], { text: "1 failed, 2 warnings.", tone: "error" }],
  ] as const)("%j → %j", (outcomes, expected) => {
    expect(checksSummary(outcomes.map((outcome) => ({ outcome })))).toEqual(expected);
  });
});
