/** Length of a TOTP code from an MFA device. */
export const CODE_LENGTH = 6;

/**
 * Normalise what the user typed or pasted into the code field.
 * Spaces, dashes and any other non-digit characters are dropped
 * ("123 456", "123-456" → "123456"); at most six digits are kept.
 * Full-width / other Unicode digits are not accepted: only ASCII 0-9.
 */
export function normaliseCode(input: string): string {
  return input.replace(/[^0-9]/g, "").slice(0, CODE_LENGTH);
}

/** True when `code` is exactly six ASCII digits. The browser's side of the check; the Rust side
 * (`is_mfa_code` in crates/core/src/mfa/code.rs) checks again what the dialog sends. */
export function isCompleteCode(code: string): boolean {
  return /^[0-9]{6}$/.test(code);
}
