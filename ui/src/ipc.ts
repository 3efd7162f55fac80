import { invoke } from "@tauri-apps/api/core";

/** The codes the Rust side rejects with: `IpcCode` in src-tauri/src/error.rs, whose test
 * checks this list against it. */
export const IPC_CODES = [
  "Engine",
  "InvalidCode",
  "RejectedCode",
  "NoRequest",
  "NeedsMfa",
  "Conflict",
  "InvalidInput",
  "Keychain",
  "Settings",
] as const;

export type IpcCode = (typeof IPC_CODES)[number];

/** An `IpcCode`, or `Internal`: the page's own, for a rejection that is not one of those (the
 * IPC itself failed). */
export type ErrorCode = IpcCode | "Internal";

/** The error shape the Rust side rejects with. */
export interface IpcError {
  code: ErrorCode;
  message: string;
}

export function isIpcCode(code: unknown): code is IpcCode {
  return (IPC_CODES as ReadonlyArray<unknown>).includes(code);
}

export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: IpcError };

/** Anything shaped like Tauri's `invoke`. Injected into page controllers. */
export type InvokeFn = (cmd: string, args?: Record<string, unknown>) => Promise<unknown>;

function isCodeAndMessage(e: unknown): e is { code: string; message: string } {
  return (
    typeof e === "object" &&
    e !== null &&
    typeof (e as { code?: unknown }).code === "string" &&
    typeof (e as { message?: unknown }).message === "string"
  );
}

/** Map any rejection value to `{ code, message }`; a code this page does not know is
 * `Internal`, with the message kept. */
export function toIpcError(e: unknown): IpcError {
  if (isCodeAndMessage(e)) {
    return { code: isIpcCode(e.code) ? e.code : "Internal", message: e.message };
  }
  return { code: "Internal", message: String(e) };
}

/** Call a command through the given invoke function; never throws. */
export async function callWith<T>(
  inv: InvokeFn,
  cmd: string,
  args?: Record<string, unknown>,
): Promise<IpcResult<T>> {
  try {
    const value = (await (args === undefined ? inv(cmd) : inv(cmd, args))) as T;
    return { ok: true, value };
  } catch (e) {
    return { ok: false, error: toIpcError(e) };
  }
}

/** Put `text` (never a secret: an ARN, an example) on the clipboard through the tray app, which
 * outlives this window: a copy the window makes itself goes with the window's process when no
 * clipboard manager keeps it. The page's own copy (`copyText`) if the tray cannot. */
export async function copyKept(
  inv: InvokeFn,
  text: string,
  ownCopy: (text: string) => Promise<boolean>,
): Promise<boolean> {
  const res = await callWith<unknown>(inv, "copy_text", { text });
  return res.ok ? true : ownCopy(text);
}

/** Call a Tauri command; never throws. */
export function call<T>(cmd: string, args?: Record<string, unknown>): Promise<IpcResult<T>> {
  return callWith<T>(invoke as InvokeFn, cmd, args);
}
