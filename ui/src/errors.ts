import type { ErrorCode } from "./ipc";

/** How the MFA dialog reacts to an error code from the Rust side. */
export type ErrorAction =
  /** Show the message, keep the typed code and the focus in the field. */
  | "keep"
  /** Show the message, clear the field and focus it again. */
  | "clear-and-refocus"
  /** Show the message and disable the form: nothing is waiting for a code. */
  | "disable"
  /** Just show the message. */
  | "show";

export function errorAction(code: ErrorCode): ErrorAction {
  switch (code) {
    case "InvalidCode":
      return "keep";
    case "RejectedCode":
      return "clear-and-refocus";
    case "NoRequest":
      return "disable";
    default:
      return "show";
  }
}
