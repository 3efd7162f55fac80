//! Sections of the credentials file that RoleKeeper owns.
//!
//! A managed section is written in the one format every AWS reader agrees on:
//!
//! ```text
//! [prodaccess]
//! # Managed by RoleKeeper; expires 2026-11-25T03:28:10Z. Edits here are replaced.
//! aws_access_key_id = ASIA...
//! aws_secret_access_key = ...
//! aws_session_token = ...
//! ```
//!
//! The comment marks ownership. RoleKeeper never overwrites a section it does not own, and notices
//! when someone else edited one it owns (by a fingerprint of what it last wrote).

use serde::{Deserialize, Serialize};

use super::document::{Appended, Document, LineEnding, SectionSpan};
use crate::credentials::{isoformat, Credentials};

pub const MARKER: &str = "# Managed by RoleKeeper";

/// What RoleKeeper remembers about a section it wrote (in its state file, never a secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionRecord {
    /// FNV-1a of the section's bytes as last written: a changed value means someone edited it.
    pub fingerprint: String,
    /// What appending the section added around it, to give back the original bytes on removal.
    #[serde(default)]
    pub appended: Appended,
    /// Fingerprints of RoleKeeper's earlier writes of this section, newest first: another tool
    /// whose read-modify-write crossed RoleKeeper's may write one of them back, which is stale
    /// but not an edit.
    #[serde(default)]
    pub earlier: Vec<String>,
    /// The user's own section this one took over (`--force`), kept in RoleKeeper's state
    /// directory under this name (mode 0600, never rotated away) and given back, byte for byte,
    /// when the session is deactivated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_over: Option<String>,
}

/// How many earlier fingerprints a record keeps.
const EARLIER_KEPT: usize = 8;

/// Why a managed write did not happen. Each names the profile and the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// A section of that name exists and RoleKeeper did not write it.
    Foreign { name: String, line: usize },
    /// RoleKeeper's section was changed by someone else since RoleKeeper wrote it.
    Edited { name: String, line: usize },
    /// The name appears in more than one section; RoleKeeper will not guess which to change.
    Duplicate { name: String, lines: Vec<usize> },
}

/// Who a section name belongs to in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ownership {
    Absent,
    Managed(SectionSpan),
    Foreign(SectionSpan),
    Duplicate(Vec<SectionSpan>),
}

pub fn ownership(doc: &Document, name: &str) -> Ownership {
    let mut spans = doc.find_sections(name);
    match spans.len() {
        0 => Ownership::Absent,
        1 => {
            let span = spans.remove(0);
            if is_marked(doc, &span) {
                Ownership::Managed(span)
            } else {
                Ownership::Foreign(span)
            }
        }
        _ => Ownership::Duplicate(spans),
    }
}

fn is_marked(doc: &Document, span: &SectionSpan) -> bool {
    span.header + 1 < span.end && doc.line_text(span.header + 1).starts_with(MARKER)
}

/// The text of a managed section.
pub fn render(name: &str, credentials: &Credentials, ending: LineEnding) -> String {
    let le = ending.as_str();
    let expiry = match credentials.expiration {
        Some(t) => format!("; expires {}", isoformat(t)),
        None => String::new(),
    };
    let mut text = format!("[{name}]{le}{MARKER}{expiry}. Edits here are replaced.{le}");
    text.push_str(&format!(
        "aws_access_key_id = {}{le}",
        credentials.access_key_id
    ));
    text.push_str(&format!(
        "aws_secret_access_key = {}{le}",
        credentials.secret_access_key.expose()
    ));
    if let Some(token) = &credentials.session_token {
        text.push_str(&format!("aws_session_token = {}{le}", token.expose()));
    }
    text
}

/// Write `name`'s managed section, or say why not. `record` is what RoleKeeper remembers from its
/// last write of this section; `force` takes over a foreign or edited section.
pub fn upsert(
    doc: &mut Document,
    name: &str,
    credentials: &Credentials,
    record: Option<&SectionRecord>,
    force: bool,
) -> Result<SectionRecord, Conflict> {
    let text = render(name, credentials, doc.line_ending());
    let (span, appended) = match ownership(doc, name) {
        Ownership::Absent => {
            let appended = doc.append_section(&text);
            let span = SectionSpan {
                name: name.to_owned(),
                header: appended.header,
                end: doc.line_count(),
            };
            (span, appended)
        }
        Ownership::Duplicate(spans) => {
            return Err(Conflict::Duplicate {
                name: name.to_owned(),
                lines: spans.iter().map(|s| s.header + 1).collect(),
            })
        }
        Ownership::Foreign(span) if !force => {
            return Err(Conflict::Foreign {
                name: name.to_owned(),
                line: span.header + 1,
            })
        }
        Ownership::Managed(span) if !force && edited(doc, &span, record) => {
            return Err(Conflict::Edited {
                name: name.to_owned(),
                line: span.header + 1,
            })
        }
        Ownership::Foreign(span) | Ownership::Managed(span) => {
            let span = doc.replace_span(&span, &text);
            (span, record.map(|r| r.appended).unwrap_or_default())
        }
    };
    let mut earlier = Vec::new();
    if let Some(r) = record {
        earlier.push(r.fingerprint.clone());
        earlier.extend(r.earlier.iter().take(EARLIER_KEPT - 1).cloned());
    }
    Ok(SectionRecord {
        fingerprint: fingerprint(&doc.span_text(&span)),
        appended,
        earlier,
        taken_over: record.and_then(|r| r.taken_over.clone()),
    })
}

/// Give back the user's section `original` in place of `name`'s managed section (a takeover
/// ends). `Ok(false)` if there is no such section; the same conflicts as [`remove`].
pub fn give_back(
    doc: &mut Document,
    name: &str,
    record: Option<&SectionRecord>,
    original: &str,
    force: bool,
) -> Result<bool, Conflict> {
    match ownership(doc, name) {
        Ownership::Managed(span) if force || !edited(doc, &span, record) => {
            doc.replace_span(&span, original);
            Ok(true)
        }
        _ => remove(doc, name, record, force),
    }
}

/// Remove `name`'s managed section, giving back the bytes that were there before it was added.
/// `Ok(false)` if there is no such section.
pub fn remove(
    doc: &mut Document,
    name: &str,
    record: Option<&SectionRecord>,
    force: bool,
) -> Result<bool, Conflict> {
    match ownership(doc, name) {
        Ownership::Absent => Ok(false),
        Ownership::Foreign(span) => Err(Conflict::Foreign {
            name: name.to_owned(),
            line: span.header + 1,
        }),
        Ownership::Duplicate(spans) => Err(Conflict::Duplicate {
            name: name.to_owned(),
            lines: spans.iter().map(|s| s.header + 1).collect(),
        }),
        Ownership::Managed(span) if !force && edited(doc, &span, record) => Err(Conflict::Edited {
            name: name.to_owned(),
            line: span.header + 1,
        }),
        Ownership::Managed(span) => {
            doc.remove_appended(&span, record.map(|r| r.appended).unwrap_or_default());
            Ok(true)
        }
    }
}

/// Whether a managed section differs from what RoleKeeper last wrote. Without a record (state
/// lost), a section still in RoleKeeper's exact shape counts as unedited.
fn edited(doc: &Document, span: &SectionSpan, record: Option<&SectionRecord>) -> bool {
    match record {
        Some(r) => {
            let now = fingerprint(&doc.span_text(span));
            now != r.fingerprint && !r.earlier.contains(&now)
        }
        None => !canonical_shape(doc, span),
    }
}

fn canonical_shape(doc: &Document, span: &SectionSpan) -> bool {
    let keys: Vec<String> = (span.header + 2..span.end)
        .map(|i| {
            doc.line_text(i)
                .split(" = ")
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    keys == [
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
    ] || keys == ["aws_access_key_id", "aws_secret_access_key"]
}

/// FNV-1a, 64 bits, as hex: cheap, stable across versions, and says nothing about the values.
pub fn fingerprint(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::secret::Secret;

    fn creds(n: u8) -> Credentials {
        Credentials {
            access_key_id: format!("ASIA{n}"),
            secret_access_key: Secret::new(format!("secret{n}")),
            session_token: Some(Secret::new(format!("token{n}"))),
            expiration: Some(UNIX_EPOCH + Duration::from_secs(1_800_000_000)),
        }
    }

    const USER: &str =
        "# my keys\n[dev]\naws_access_key_id = AKIA\naws_secret_access_key = x ; kept\n";

    #[test]
    fn add_refresh_remove_leaves_every_other_byte() {
        let mut doc = Document::parse(USER.as_bytes());
        let r1 = upsert(&mut doc, "prod", &creds(1), None, false).expect("add");
        let text = String::from_utf8(doc.to_bytes()).expect("utf8");
        assert!(text.starts_with(USER), "{text}");
        assert!(
            text.contains("[prod]\n# Managed by RoleKeeper; expires 2027-01-15T08:00:00+00:00.")
        );
        assert!(text.ends_with("aws_session_token = token1\n"));

        let r2 = upsert(&mut doc, "prod", &creds(2), Some(&r1), false).expect("refresh");
        assert_ne!(r1.fingerprint, r2.fingerprint);
        assert_eq!(r2.appended, r1.appended);
        assert!(String::from_utf8_lossy(&doc.to_bytes()).contains("token2"));

        assert_eq!(remove(&mut doc, "prod", Some(&r2), false), Ok(true));
        assert_eq!(String::from_utf8_lossy(&doc.to_bytes()), USER);
    }

    #[test]
    fn never_overwrites_a_foreign_section() {
        let mut doc = Document::parse(USER.as_bytes());
        assert_eq!(
            upsert(&mut doc, "dev", &creds(1), None, false),
            Err(Conflict::Foreign {
                name: "dev".into(),
                line: 2
            })
        );
        assert_eq!(String::from_utf8_lossy(&doc.to_bytes()), USER);
        assert!(
            upsert(&mut doc, "dev", &creds(1), None, true).is_ok(),
            "force takes it over"
        );
    }

    #[test]
    fn reports_a_managed_section_edited_by_someone_else() {
        let mut doc = Document::parse(USER.as_bytes());
        let r1 = upsert(&mut doc, "prod", &creds(1), None, false).expect("add");
        let edited = String::from_utf8(doc.to_bytes())
            .expect("utf8")
            .replace("token1", "mine");
        let mut doc = Document::parse(edited.as_bytes());
        assert!(matches!(
            upsert(&mut doc, "prod", &creds(2), Some(&r1), false),
            Err(Conflict::Edited { .. })
        ));
        assert_eq!(
            String::from_utf8_lossy(&doc.to_bytes()),
            edited,
            "nothing changed"
        );
    }

    #[test]
    fn duplicates_are_refused() {
        let mut doc = Document::parse(b"[p]\na = 1\n[p]\nb = 2\n");
        assert_eq!(
            upsert(&mut doc, "p", &creds(1), None, true),
            Err(Conflict::Duplicate {
                name: "p".into(),
                lines: vec![1, 3]
            })
        );
    }
}
