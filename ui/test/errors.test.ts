import { describe, expect, it } from "vitest";
import { errorAction } from "../src/errors";
import { IPC_CODES, type ErrorCode } from "../src/ipc";

describe("errorAction", () => {
  const special: Partial<Record<ErrorCode, string>> = {
    InvalidCode: "keep",
    RejectedCode: "clear-and-refocus",
    NoRequest: "disable",
  };
  it.each([...IPC_CODES, "Internal"] as const)("errorAction(%j)", (code) => {
    expect(errorAction(code)).toBe(special[code] ?? "show");
  });
});
