import { invoke } from "@tauri-apps/api/core";

/** The error shape the Rust side rejects with. */
export interface IpcError {
  code: string;
  message: string;
}

export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: IpcError };

/** Anything shaped like Tauri's `invoke`. Injected into page controllers. */
export type InvokeFn = (cmd: string, args?: Record<string, unknown>) => Promise<unknown>;

function isIpcError(e: unknown): e is IpcError {
  return (
    typeof e === "object" &&
    e !== null &&
    typeof (e as { code?: unknown }).code === "string" &&
    typeof (e as { message?: unknown }).message === "string"
  );
}

/** Map any rejection value to `{ code, message }`. */
export function toIpcError(e: unknown): IpcError {
  if (isIpcError(e)) return { code: e.code, message: e.message };
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

/** Call a Tauri command; never throws. */
export function call<T>(cmd: string, args?: Record<string, unknown>): Promise<IpcResult<T>> {
  return callWith<T>(invoke as InvokeFn, cmd, args);
}
