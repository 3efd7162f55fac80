/** What IAM last said of a source's key (`KeyView` in src-tauri/src/keys.rs); the id masked. */
export interface KeyView {
  id: string;
  age: string | null;
  age_days: number | null;
  /** Older than the setting: time to rotate. */
  due: boolean;
  last_used: string | null;
  checked: string | null;
}

/** One source as `list_sources` returns it. The keys themselves never leave Rust. */
export interface Source {
  name: string;
  mfa_serial: string | null;
  region: string | null;
  key?: KeyView | null;
}

/** How `rotate_source` ended: done, or the user has two keys and must decide on the other. */
export type RotateView =
  | { outcome: "done"; message: string }
  | { outcome: "two_keys"; message: string; other: string; status: string; created: string; last_used: string };

/** The key columns of a source's row: key, age, last use ("—" for what is not known). */
export function keyCells(key: KeyView | null | undefined): [string, string, string] {
  if (!key) return ["—", "—", "—"];
  const age = key.age === null ? "—" : key.due ? `${key.age} · rotate` : key.age;
  return [key.id, age, key.last_used ?? "—"];
}

/** The "Add source" form's non-secret fields, as typed. */
export interface SourceFields {
  name: string;
  accessKeyId: string;
  mfaSerial: string;
  region: string;
}

/** Trimmed text, or null when nothing was typed (what Rust takes for "not given"). */
export function optionalText(s: string): string | null {
  const t = s.trim();
  return t === "" ? null : t;
}

/** The first required field left empty, with what to say, or null when all are there. */
export function missingSourceField(
  fields: Pick<SourceFields, "name" | "accessKeyId">,
  secretGiven: boolean,
): { field: "name" | "accessKeyId" | "secret"; message: string } | null {
  if (fields.name.trim() === "") return { field: "name", message: "Enter a name for this source." };
  if (fields.accessKeyId.trim() === "") {
    return { field: "accessKeyId", message: "Enter the access key ID." };
  }
  if (!secretGiven) return { field: "secret", message: "Enter the secret access key." };
  return null;
}

/** Arguments for `add_source`; the caller drops its reference to the secret right after. */
export function addSourceArgs(fields: SourceFields, secret: string): Record<string, unknown> {
  return {
    name: fields.name.trim(),
    accessKeyId: fields.accessKeyId.trim(),
    secretAccessKey: secret,
    mfaSerial: optionalText(fields.mfaSerial),
    region: optionalText(fields.region),
  };
}

/** Arguments for `import_source`. */
export function importSourceArgs(profile: string, asName: string): Record<string, unknown> {
  return { profile, asName: optionalText(asName) };
}
