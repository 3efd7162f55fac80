import type { SessionView } from "../src/sessions";

/** Ten roles in each of 30 accounts: 300 profiles, as `sso sync` (issue 13) writes them. */
export const ROLES = [
  "Admin",
  "ReadOnly",
  "PowerUser",
  "Billing",
  "Deploy",
  "Audit",
  "DataScience",
  "NetworkAdmin",
  "Support",
  "ViewOnly",
];

export const accountId = (i: number) => `1000000000${String(i).padStart(2, "0")}`;

/**
 * Profile k is role `ROLES[k % 10]` in account `k / 10`. Accounts 0–19 are assume-role
 * profiles named `ops-000`…`ops-199` whose role ARN holds the account id and role (Deploy under
 * a path, `role/ci/Deploy`); accounts 20–29 are IAM Identity Center profiles named
 * `acct20-admin`…`acct29-viewonly`, with no ARN but their `sso_account_id` and `sso_role_name`. Every 50th profile (all of them Admin) is
 * active. In `list_sessions`' order: active first, then by name.
 */
export function manyProfiles(): SessionView[] {
  const list: SessionView[] = [];
  for (let k = 0; k < 300; k++) {
    const account = Math.floor(k / 10);
    const role = ROLES[k % 10];
    const active = k % 50 === 0;
    const sso = account >= 20;
    list.push({
      name: sso ? `acct${account}-${role.toLowerCase()}` : `ops-${String(k).padStart(3, "0")}`,
      kind: "role",
      role_arn: sso ? null : `arn:aws:iam::${accountId(account)}:role/${role === "Deploy" ? "ci/" : ""}${role}`,
      sso_account_id: sso ? accountId(account) : null,
      sso_role_name: sso ? role : null,
      source_profile: sso ? null : "jump",
      mfa_serial: null,
      state: active ? "fresh · 47 min" : "off",
      condition: active ? "fresh" : "off",
      active,
    });
  }
  return list.sort((a, b) => Number(b.active) - Number(a.active) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const ops = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `ops-${String(from + i).padStart(3, "0")}`);

/** Active ones, in name order. */
const ACTIVE = ["acct20-admin", "acct25-admin", "ops-000", "ops-050", "ops-100", "ops-150"];

/**
 * Filter queries over [`manyProfiles`] and the rows they leave: either every name in order, or
 * the count and the first names (active ones first).
 */
export const FILTER_CASES: ReadonlyArray<{
  query: string;
  why: string;
  count: number;
  first: string[];
}> = [
  { query: "", why: "no filter: all, active first", count: 300, first: [...ACTIVE, "acct20-audit"] },
  { query: "   ", why: "blanks are no filter", count: 300, first: ACTIVE },
  { query: "ops-12", why: "part of the profile name", count: 10, first: ops(120, 129) },
  { query: "OPS-12", why: "case-insensitive", count: 10, first: ops(120, 129) },
  { query: "ops-1", why: "a shorter part", count: 100, first: ["ops-100", "ops-150", "ops-101"] },
  { query: "100000000003", why: "an account id from the role ARN", count: 10, first: ops(30, 39) },
  { query: "00000003", why: "part of an account id", count: 10, first: ops(30, 39) },
  {
    query: "readonly",
    why: "a role name: in the ARN, and in the SSO profiles' names",
    count: 30,
    first: ["acct20-readonly", "acct21-readonly"],
  },
  { query: "ReadOnly", why: "a role name, as written", count: 30, first: ["acct20-readonly"] },
  {
    query: "admin",
    why: "Admin and NetworkAdmin; the active Admins first",
    count: 60,
    first: [...ACTIVE, "acct20-networkadmin"],
  },
  { query: "admin 100000000003", why: "all words must match", count: 2, first: ["ops-030", "ops-037"] },
  { query: "  100000000003   admin ", why: "in any order, blanks around", count: 2, first: ["ops-030", "ops-037"] },
  { query: "deploy", why: "a role under a path (role/ci/Deploy)", count: 30, first: ["acct20-deploy"] },
  { query: "acct25", why: "an SSO profile by its name", count: 10, first: ["acct25-admin", "acct25-audit"] },
  { query: "acct25 deploy", why: "an SSO profile by account and role name", count: 1, first: ["acct25-deploy"] },
  { query: "100000000025", why: "an SSO profile's account id", count: 10, first: ["acct25-admin", "acct25-audit"] },
  { query: "100000000025 deploy", why: "an SSO profile by account id and role", count: 1, first: ["acct25-deploy"] },
  { query: "arn", why: "the rest of the ARN is not searched", count: 0, first: [] },
  { query: ":role/", why: "nor its punctuation", count: 0, first: [] },
  { query: "jump", why: "nor the source profile", count: 0, first: [] },
  { query: "admin readonly", why: "no profile has both", count: 0, first: [] },
];
