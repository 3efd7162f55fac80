import { describe, expect, it } from "vitest";
import { formatLeft } from "../src/countdown";

describe("formatLeft", () => {
  it.each([
    [245, "4:05 left"],
    [60, "1:00 left"],
    [59, "0:59 left"],
    [1, "0:01 left"],
    [0.2, "0:01 left"],
    [600, "10:00 left"],
    [0, "expired"],
    [-5, "expired"],
    [Number.NaN, "expired"],
  ])("formatLeft(%s) → %j", (seconds, expected) => {
    expect(formatLeft(seconds)).toBe(expected);
  });
});
