/** One check the `diagnostics` command ran (keychain reachable, files writable, …). */
export interface Check {
  name: string;
  outcome: "ok" | "warn" | "fail";
  detail: string;
  fix: string | null;
}

/**
 * What the `diagnostics` command returns. The checks cover the files too: each line an AWS reader
 * refuses is a failed check naming its file and line.
 */
export interface Diagnostics {
  config_file: string;
  credentials_file: string;
  checks: Check[];
}

export type CheckTone = "ok" | "warn" | "error";

/** Badge text and colour for a check's outcome. An unknown outcome reads as a warning. */
export function checkBadge(outcome: string): { text: string; tone: CheckTone } {
  switch (outcome) {
    case "ok":
      return { text: "ok", tone: "ok" };
    case "fail":
      return { text: "FAIL", tone: "error" };
    case "warn":
      return { text: "warn", tone: "warn" };
    default:
      return { text: outcome || "?", tone: "warn" };
  }
}

/** One line over the checks list, and its tone. */
export function checksSummary(checks: Pick<Check, "outcome">[]): { text: string; tone: "ok" | "warn" | "error" } {
  const failed = checks.filter((c) => c.outcome === "fail").length;
  const warned = checks.filter((c) => c.outcome !== "ok" && c.outcome !== "fail").length;
  if (checks.length === 0) return { text: "", tone: "ok" };
  if (failed === 0 && warned === 0) {
    return { text: checks.length === 1 ? "The check passed." : `All ${checks.length} checks passed.`, tone: "ok" };
  }
  const parts: string[] = [];
  if (failed > 0) parts.push(`${failed} failed`);
  if (warned > 0) parts.push(warned === 1 ? "1 warning" : `${warned} warnings`);
  return { text: `${parts.join(", ")}.`, tone: failed > 0 ? "error" : "warn" };
}
