/** One source as `list_sources` returns it. The keys themselves never leave Rust. */
export interface Source {
  name: string;
  mfa_serial: string | null;
  region: string | null;
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
