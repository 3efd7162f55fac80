import { describe, expect, it } from "vitest";
import { isCompleteCode, normaliseCode } from "../src/code";

describe("normaliseCode", () => {
  it.each([
    ["", ""],
    ["1", "1"],
    ["123456", "123456"],
    ["123 456", "123456"],
    ["123-456", "123456"],
    [" 12 34 56 ", "123456"],
    ["1234567", "123456"],
    ["12a34b56", "123456"],
    ["abc", ""],
    ["123\t456\n", "123456"],
    ["１２３４５６", ""],
  ])("normaliseCode(%j) → %j", (input, expected) => {
    expect(normaliseCode(input)).toBe(expected);
  });
});

describe("isCompleteCode", () => {
  it.each([
    ["123456", true],
    ["000000", true],
    ["12345", false],
    ["1234567", false],
    ["123 456", false],
    ["12345a", false],
    ["", false],
  ])("isCompleteCode(%j) → %s", (input, expected) => {
    expect(isCompleteCode(input)).toBe(expected);
  });
});
