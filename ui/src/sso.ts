/** One IAM Identity Center sign-in as `sso_sessions` returns it. No token ever leaves Rust. */
export interface SsoSession {
  label: string;
  start_url: string;
  region: string;
  /** false for a legacy profile's sign-in (8 hours, never renewed). */
  refreshable_config: boolean;
  /** Unix seconds until which the access token is good; null: not signed in. */
  signed_in_until: number | null;
  /** RoleKeeper (or the AWS CLI's file) can renew it: it lasts as long as the portal session. */
  renewable: boolean;
  profiles: string[];
  /** A sign-in started here waits for the user. */
  signing_in: boolean;
  /** Why its sessions wait: the last sign-in here failed, or the engine said one is needed. */
  problem: string | null;
}

/** What the sign-in dialog shows (`sso_prompt`): the code and its page, or a page to open. */
export interface SsoPrompt {
  session: string;
  user_code: string | null;
  url: string;
  open_url: string;
  opened: boolean;
}

/** HH:MM in UTC, as the engine's notices and the tray say times. */
export function clockTime(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const hh = String(d.getUTCHours()).padStart(2, "0");
  const mm = String(d.getUTCMinutes()).padStart(2, "0");
  return `${hh}:${mm} UTC`;
}

export type SsoTone = "ok" | "attention" | "off";

/** How a sign-in stands, in words, and its tone; `nowSeconds` is the page's clock. */
export function standing(s: SsoSession, nowSeconds: number): { words: string; tone: SsoTone } {
  if (s.signing_in) return { words: "signing in…", tone: "attention" };
  if (s.signed_in_until === null || s.signed_in_until <= nowSeconds) {
    return { words: "not signed in", tone: s.problem ? "attention" : "off" };
  }
  if (s.renewable) return { words: "signed in · renewed by itself", tone: "ok" };
  return { words: `signed in until ${clockTime(s.signed_in_until)}`, tone: "ok" };
}

/** Whether the row offers "Sign out" (else "Sign in"). */
export function isSignedIn(s: SsoSession, nowSeconds: number): boolean {
  return s.signed_in_until !== null && s.signed_in_until > nowSeconds;
}

/** A sign-in's profiles in its row: all of a few, else how many and the first (`sso sync`
 * makes hundreds, which would fill the tab); the whole list goes in the cell's title. */
export function profilesSummary(profiles: readonly string[]): string {
  if (profiles.length === 0) return "—";
  if (profiles.length <= 3) return profiles.join(", ");
  return `${profiles.length} profiles: ${profiles[0]}, …`;
}
