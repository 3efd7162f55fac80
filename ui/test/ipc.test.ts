import { beforeEach, describe, expect, it, vi } from "vitest";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));

import { invoke } from "@tauri-apps/api/core";
import { call, IPC_CODES, isIpcCode, toIpcError } from "../src/ipc";

const mocked = vi.mocked(invoke);

beforeEach(() => {
  mocked.mockReset();
});

describe("call", () => {
  it("returns ok with the resolved value and forwards cmd and args", async () => {
    mocked.mockResolvedValueOnce([{ name: "dev" }]);
    await expect(call("list_sessions")).resolves.toEqual({ ok: true, value: [{ name: "dev" }] });
    expect(mocked).toHaveBeenCalledWith("list_sessions");

    mocked.mockResolvedValueOnce(null);
    await expect(call("submit_mfa_code", { code: "123456" })).resolves.toEqual({ ok: true, value: null });
    expect(mocked).toHaveBeenLastCalledWith("submit_mfa_code", { code: "123456" });
  });

  it.each([
    ["a {code,message} object", { code: "RejectedCode", message: "STS said no" }, { code: "RejectedCode", message: "STS said no" }],
    ["extra fields dropped", { code: "NoRequest", message: "nothing waiting", extra: 1 }, { code: "NoRequest", message: "nothing waiting" }],
    ["a plain string", "boom", { code: "Internal", message: "boom" }],
    ["an Error", new TypeError("no ipc"), { code: "Internal", message: "TypeError: no ipc" }],
    ["undefined", undefined, { code: "Internal", message: "undefined" }],
    ["null", null, { code: "Internal", message: "null" }],
    ["code without message", { code: "X" }, { code: "Internal", message: "[object Object]" }],
    ["a code the page does not know", { code: "X", message: "m" }, { code: "Internal", message: "m" }],
    ["non-string code", { code: 5, message: "m" }, { code: "Internal", message: "[object Object]" }],
  ])("maps a rejection with %s", async (_label, rejection, expected) => {
    mocked.mockRejectedValueOnce(rejection);
    await expect(call("refresh_all")).resolves.toEqual({ ok: false, error: expected });
  });

  it("catches a synchronous throw from invoke", async () => {
    mocked.mockImplementationOnce(() => {
      throw new Error("sync");
    });
    await expect(call("diagnostics")).resolves.toEqual({
      ok: false,
      error: { code: "Internal", message: "Error: sync" },
    });
  });
});

describe("toIpcError", () => {
  it("keeps a well-formed error", () => {
    expect(toIpcError({ code: "InvalidCode", message: "six digits" })).toEqual({
      code: "InvalidCode",
      message: "six digits",
    });
  });
});

describe("IPC_CODES", () => {
  it("knows every code the Rust side sends, each once", () => {
    expect(new Set(IPC_CODES).size).toBe(IPC_CODES.length);
    for (const code of IPC_CODES) expect(isIpcCode(code)).toBe(true);
    expect(isIpcCode("Internal")).toBe(false);
  });
});
