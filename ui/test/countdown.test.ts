import { describe, expect, it } from "vitest";
import { formatLeft } from "../src/countdown";

describe("formatLeft", () => {
  it.each([
    [6980, "1 h 56 min"], // the "116:20 left"
    [3600, "1 h"],
    [3659, "1 h"],
    [3660, "1 h 1 min"],
    [7200, "2 h"],
    [3599, "59:59"],
    [260, "4:20"],
    [245, "4:05"],
    [60, "1:00"],
    [59, "0:59"],
    [1, "0:01"],
    [0.2, "0:01"],
    [0, "expired"],
    [-5, "expired"],
    [Number.NaN, "expired"],
  ])("formatLeft(%s) → %j", (seconds, expected) => {
    expect(formatLeft(seconds)).toBe(expected);
  });
});
