import { describe, expect, it } from "vitest";
import { errorAction } from "../src/errors";

describe("errorAction", () => {
  it.each([
    ["InvalidCode", "keep"],
    ["RejectedCode", "clear-and-refocus"],
    ["NoRequest", "disable"],
    ["Internal", "show"],
    ["Network", "show"],
    ["", "show"],
  ])("errorAction(%j) → %j", (code, expected) => {
    expect(errorAction(code)).toBe(expected);
  });
});
