import type { ErrorCode } from "./ipc";

/** One profile as returned by the `list_sessions` command. */
export interface SessionView {
  name: string;
  /** `ProfileKind` in crates/core/src/profile/kind.rs. */
  kind: "static" | "role" | "other";
  role_arn: string | null;
  /** An IAM Identity Center profile's account and role. */
  sso_account_id?: string | null;
  sso_role_name?: string | null;
  source_profile: string | null;
  mfa_serial: string | null;
  /** The state in words, to show: "fresh · 47 min", "needs MFA code", "off". */
  state: string;
  /** Which state it is, to decide by (`SessionState` in crates/core/src/words.rs). */
  condition: Condition;
  active: boolean;
  /** The MFA plan of an active session, in words ("MFA session until 21:40 UTC, then a code"). */
  plan?: string | null;
  /** When an active session renews, when that is not simply the refresh lead ("renews at half
   * its length, 7 min before expiry: …"). */
  renewal?: string | null;
  /** How an active session reaches the AWS tools. */
  delivery?: Delivery;
  /** The session length chosen for it; null is the profile's own `duration_seconds`. */
  duration_seconds?: number | null;
  /** What the profile's own length is: its `duration_seconds`, else STS's 1 h. */
  default_duration_seconds?: number;
}

export type Condition =
  | "fresh"
  | "expired"
  | "long_term_keys"
  | "off"
  | "needs_mfa"
  | "retrying"
  | "failing";

/** `file`: a section of the shared credentials file; `process`: `credential_process` in
 * ~/.aws/config, the session kept in the keychain. */
export type Delivery = "file" | "process";

export const DELIVERIES: ReadonlyArray<{ value: Delivery; label: string; title: string }> = [
  { value: "file", label: "File", title: "A section of the shared credentials file" },
  {
    value: "process",
    label: "Process",
    title: "credential_process in ~/.aws/config; the session stays in the keychain",
  },
];

/** Session lengths offered; 0 is the profile's own `duration_seconds`. STS allows 15 min to
 * 12 h for a role (up to the role's own maximum). */
export const DURATIONS: ReadonlyArray<{ seconds: number; label: string }> = [
  // The profile's own duration_seconds (STS's 1 h when it has none).
  { seconds: 0, label: "Default" },
  { seconds: 900, label: "15 min" },
  { seconds: 1800, label: "30 min" },
  { seconds: 3600, label: "1 h" },
  { seconds: 7200, label: "2 h" },
  { seconds: 14400, label: "4 h" },
  { seconds: 28800, label: "8 h" },
  { seconds: 43200, label: "12 h" },
];

/** The length choices of one row: the first, 0, names the profile's own length ("Profile's
 * 1 h"), so "the default" says what it is. */
export function durationChoices(
  s: Pick<SessionView, "default_duration_seconds">,
): ReadonlyArray<{ seconds: number; label: string }> {
  const own = s.default_duration_seconds ?? 3600;
  return DURATIONS.map((d) => (d.seconds === 0 ? { seconds: 0, label: `Profile's ${durationLabel(own)}` } : d));
}

/** Whether a row offers delivery and length: only role profiles have a session to shape. */
export function hasChoices(s: Pick<SessionView, "kind">): boolean {
  return s.kind === "role";
}

/** What the row's choice controls show: the session's own choices, else the defaults. A
 * length not in [`DURATIONS`] (chosen on the command line) is offered as it is. */
export function choicesOf(s: Pick<SessionView, "delivery" | "duration_seconds">): {
  delivery: Delivery;
  seconds: number;
} {
  return { delivery: s.delivery ?? "file", seconds: s.duration_seconds ?? 0 };
}

/** A length in words, for one not in [`DURATIONS`]: "90 min", "3 h". */
export function durationLabel(seconds: number): string {
  const known = DURATIONS.find((d) => d.seconds === seconds);
  if (known) return known.label;
  return seconds % 3600 === 0 ? `${seconds / 3600} h` : `${Math.round(seconds / 60)} min`;
}

export type { Diagnostics } from "./diagnostics";

/** Text cells for one table row. */
export interface SessionRow {
  name: string;
  role: string;
  source: string;
  state: string;
  /** Coarse tone of the state for styling: ok / off / attention / error. */
  tone: StateTone;
  mfa: boolean;
  active: boolean;
}

export type StateTone = "ok" | "off" | "attention" | "error" | "neutral";

export const EMPTY_MESSAGE =
  "No profiles found in ~/.aws/config or ~/.aws/credentials. " +
  "Add a role profile with role_arn and source_profile, then Refresh.";

/** The colour of a state, by its condition (the tray's icon agrees: retrying and failing are
 * trouble, expired and a wanted code ask for attention). */
export function stateTone(condition: Condition): StateTone {
  switch (condition) {
    case "fresh":
      return "ok";
    case "off":
      return "off";
    case "expired":
    case "needs_mfa":
      return "attention";
    case "retrying":
    case "failing":
      return "error";
    case "long_term_keys":
      return "neutral";
  }
}

export function roleText(
  s: Pick<SessionView, "kind" | "role_arn" | "sso_account_id" | "sso_role_name">,
): string {
  if (s.role_arn) return s.role_arn;
  if (s.sso_role_name && s.sso_account_id) {
    return `${s.sso_role_name} in ${s.sso_account_id} (IAM Identity Center)`;
  }
  if (s.kind === "static") return "static keys";
  return "—";
}

/** The Role cell, short: the role's name over its account (the whole ARN is its title and
 * what "Copy" copies, `arn` below). */
export interface RoleCell {
  main: string;
  detail: string | null;
  arn: string | null;
}

export function roleCell(
  s: Pick<SessionView, "kind" | "role_arn" | "sso_account_id" | "sso_role_name">,
): RoleCell {
  if (s.role_arn) {
    const { account, role } = arnParts(s.role_arn);
    // An ARN of another shape (a path-less resource, another partition's form) is shown whole.
    if (!role) return { main: s.role_arn, detail: null, arn: s.role_arn };
    return { main: role, detail: account, arn: s.role_arn };
  }
  if (s.sso_role_name && s.sso_account_id) {
    return { main: s.sso_role_name, detail: `${s.sso_account_id} · Identity Center`, arn: null };
  }
  return { main: roleText(s), detail: null, arn: null };
}

export function sourceText(s: Pick<SessionView, "source_profile">): string {
  return s.source_profile ?? "—";
}

export function formatRow(s: SessionView): SessionRow {
  return {
    name: s.name,
    role: roleText(s),
    source: sourceText(s),
    state: s.state,
    tone: stateTone(s.condition),
    mfa: s.mfa_serial !== null && s.mfa_serial !== "",
    active: s.active,
  };
}

/** A per-row action and the command it calls with `{ name }`. */
export interface SessionAction {
  command: "refresh_session" | "deactivate_session" | "activate_session" | "open_console";
  label: string;
  /** Accessible name, which says which session: "Refresh prod now". */
  ariaLabel: string;
}

/** What a row offers: an active session can be refreshed or deactivated, an inactive one
 * activated; plain keys have nothing to renew. A role or an IAM user's keys open the AWS
 * console. */
export function sessionActions(s: Pick<SessionView, "name" | "active" | "kind">): SessionAction[] {
  return [...renewalActions(s), ...consoleAction(s)];
}

function renewalActions(s: Pick<SessionView, "name" | "active" | "kind">): SessionAction[] {
  // Only a role has a session to keep fresh: keys have nothing to renew, and a profile with
  // only settings (a [default] with a region) has nothing to assume.
  if (!s.active && s.kind !== "role") return [];
  if (s.active) {
    return [
      { command: "refresh_session", label: "Refresh now", ariaLabel: `Refresh ${s.name} now` },
      { command: "deactivate_session", label: "Deactivate", ariaLabel: `Deactivate ${s.name}` },
    ];
  }
  return [{ command: "activate_session", label: "Activate", ariaLabel: `Activate ${s.name}` }];
}

/** "Open console": the browser opens from Rust; the sign-in URL never reaches the page. */
function consoleAction(s: Pick<SessionView, "name" | "kind">): SessionAction[] {
  if (s.kind === "other") return [];
  return [
    { command: "open_console", label: "Open console", ariaLabel: `Open the AWS console as ${s.name}` },
  ];
}

/** The status line after "Open console", with what the user should know (no MFA context). */
export function consoleOpened(name: string, notes: readonly string[]): string {
  const said = `${name}: the AWS console opened in your browser.`;
  return notes.length === 0 ? said : `${said} Note: ${notes.join(" ")}`;
}

/** The extra line shown under a failed action's message, by error code. */
export function sessionErrorHint(code: ErrorCode): string | null {
  switch (code) {
    case "Conflict":
      return "Remove or rename that section, or activate from the command line with --force.";
    default:
      return null;
  }
}

/** The account id and role name in a role ARN (`arn:aws:iam::123456789012:role/path/Name`),
 * each null when the ARN does not have it. */
export function arnParts(arn: string | null): { account: string | null; role: string | null } {
  if (!arn) return { account: null, role: null };
  const parts = arn.split(":");
  const account = parts.length >= 6 && /^\d{12}$/.test(parts[4]) ? parts[4] : null;
  const resource = parts.length >= 6 ? parts.slice(5).join(":") : "";
  const role = resource.startsWith("role/") ? resource.slice(resource.lastIndexOf("/") + 1) || null : null;
  return { account, role };
}

/** The fields the Sessions filter reads. */
type Filterable = Pick<SessionView, "name" | "role_arn" | "sso_account_id" | "sso_role_name">;

/** What the Sessions filter looks in: the profile name, and the account id and role name of its
 * role ARN or of its IAM Identity Center role. */
export function filterFields(s: Filterable): string[] {
  const { account, role } = arnParts(s.role_arn);
  return [s.name, account, role, s.sso_account_id, s.sso_role_name]
    .filter((f): f is string => !!f)
    .map((f) => f.toLowerCase());
}

/** The words of a filter query, lower-cased; none for a blank one. */
export function filterWords(query: string): string[] {
  return query.toLowerCase().split(/\s+/).filter((w) => w !== "");
}

/** Whether a session matches a filter query: every word is part of one of its fields. */
export function matchesFilter(s: Filterable, query: string): boolean {
  const words = filterWords(query);
  if (words.length === 0) return true;
  const fields = filterFields(s);
  return words.every((w) => fields.some((f) => f.includes(w)));
}

/** The sessions a filter query leaves, in the list's order: `list_sessions` puts the active ones
 * first (`session_views` in crates/core/src/words.rs), and so they stay. */
export function filterSessions<T extends Filterable>(
  list: readonly T[],
  query: string,
): T[] {
  return list.filter((s) => matchesFilter(s, query));
}

/** The count beside the filter: "12 of 300 profiles". */
export function filterCount(shown: number, total: number): string {
  return `${shown} of ${total} ${total === 1 ? "profile" : "profiles"}`;
}

/** Said in place of the table when the filter leaves no row. */
export function noMatchMessage(query: string): string {
  return `No profile matches “${query.trim()}”. Press Escape to clear the filter.`;
}
