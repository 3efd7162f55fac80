//! Access-key hygiene for keychain sources: how old a source's key is and when it was last used,
//! and rotating it ([`rotate`]). The IAM calls are in `iam.rs`, the façade in `engine/keys.rs`.
//!
//! What IAM said is kept in `keys.json` in the state directory ([`KeyCache`]), with the time it
//! was asked: `rolekeeper source list` and the tray's age reminder read it and call nothing; only
//! `source list --keys`, the Sources tab's "Check keys" and a rotation ask IAM. A key's creation
//! date never changes, so its age stays exact between asks; only "last used" ages. The file holds
//! no key id: a fingerprint to tell which key a record is about, and the masked form to show.

mod cache;
pub mod rotate;

use std::time::{Duration, SystemTime};

pub use cache::{KeyCache, KeyCacheError, KeyRecord, Leftover};

use crate::iam::LastUsed;

/// The user has two access keys, IAM's limit, so a new one cannot be made: what the user must
/// decide on. `other` is the other key's whole id (to delete it when told to); the message masks
/// it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwoKeys {
    pub name: String,
    pub user: String,
    pub other: String,
    pub status: crate::iam::KeyStatus,
    /// `made 3 days ago`, in words.
    pub created: String,
    pub last_used: String,
}

impl std::fmt::Display for TwoKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let other = mask(&self.other);
        write!(
            f,
            "cannot rotate the key of source `{}`: IAM user {} has two access keys already, \
             IAM's limit; the other one, {other}, is {}, {} and last used {}. If nothing uses it, \
             delete it and rotate with `rolekeeper source rotate {} --delete-other {other}` \
             (RoleKeeper never deletes a key it was not told to)",
            self.name, self.user, self.status, self.created, self.last_used, self.name
        )
    }
}

/// How old a key may get before the reminder, unless the settings say otherwise (AWS Config's
/// `access-keys-rotated` and the CIS benchmark both say 90 days).
pub const DEFAULT_KEY_AGE_DAYS: u32 = 90;

const DAY: u64 = 86_400;

/// A key id as RoleKeeper shows it: `AKIA…2345`, the prefix that says what kind of key it is and
/// the last four characters that tell two keys apart. Never the whole id.
pub fn mask(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() < 12 {
        return "…".to_owned();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

/// `text` with every whole access key id in it masked: for messages that come from AWS ("The
/// Access Key with id AKIA... cannot be found").
pub fn mask_ids(text: &str) -> String {
    let is_id = |w: &str| {
        w.len() == 20
            && (w.starts_with("AKIA") || w.starts_with("ASIA"))
            && w.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    };
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_alphanumeric() {
            word.push(c);
            continue;
        }
        if is_id(&word) {
            out.push_str(&mask(&word));
        } else {
            out.push_str(&word);
        }
        word.clear();
        out.push(c);
    }
    out.pop();
    out
}

/// Whether `given` (a whole key id, or its masked form as RoleKeeper shows it, with `…` or
/// `...`) names the key `id`.
pub fn names_key(given: &str, id: &str) -> bool {
    let given = given.trim();
    if given == id {
        return true;
    }
    let masked = given.replace("...", "…");
    masked.contains('…') && masked == mask(id)
}

/// A fingerprint of a key id: what the cache keeps to tell keys apart, without the id.
pub fn key_fingerprint(id: &str) -> String {
    crate::credfile::managed::fingerprint(id)
}

/// The IAM user an ARN names (`arn:aws:iam::123456789012:user/path/alice` → `alice`); `None` for
/// anything else (a role session, the root user).
pub fn user_from_arn(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_), Some("iam"), Some(""), Some(_), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let path = resource.strip_prefix("user/")?;
    let name = path.rsplit('/').next()?;
    (!name.is_empty()).then_some(name)
}

/// Whole days from `created` to `now` (0 for a key made today or a clock behind it).
pub fn age_days(created: SystemTime, now: SystemTime) -> u64 {
    now.duration_since(created)
        .map(|d| d.as_secs() / DAY)
        .unwrap_or(0)
}

/// A key's age in words: `today`, `1 day`, `97 days`.
pub fn age_in_words(created: SystemTime, now: SystemTime) -> String {
    match age_days(created, now) {
        0 => "today".to_owned(),
        1 => "1 day".to_owned(),
        n => format!("{n} days"),
    }
}

/// When a key was last used, in words: `never`, `5 min ago (sts, us-east-1)`, `3 days ago (iam)`.
pub fn last_used_in_words(used: &LastUsed, now: SystemTime) -> String {
    let Some(at) = used.at else {
        return "never".to_owned();
    };
    let ago = now.duration_since(at).unwrap_or(Duration::ZERO).as_secs();
    let when = match ago {
        0..=59 => "just now".to_owned(),
        60..=3599 => format!("{} min ago", ago / 60),
        3600..=86_399 => format!("{} h ago", ago / 3600),
        _ if ago < 2 * DAY => "1 day ago".to_owned(),
        _ => format!("{} days ago", ago / DAY),
    };
    match (&used.service, &used.region) {
        (Some(service), Some(region)) => format!("{when} ({service}, {region})"),
        (Some(service), None) => format!("{when} ({service})"),
        _ => when,
    }
}

/// Whether a key made at `created` is older than the limit at `now`.
pub fn is_due(created: SystemTime, now: SystemTime, limit_days: u32) -> bool {
    age_days(created, now) >= u64::from(limit_days)
}

/// `Option<SystemTime>` as whole Unix seconds (`null` when absent), for the cache file and the
/// web view.
pub(crate) mod optional_time {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<SystemTime>, s: S) -> Result<S::Ok, S::Error> {
        match t.and_then(|t| t.duration_since(UNIX_EPOCH).ok()) {
            Some(d) => s.serialize_some(&d.as_secs()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SystemTime>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(|s| UNIX_EPOCH + Duration::from_secs(s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn t(days: u64, secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_800_000_000 + days * DAY + secs)
    }

    #[test]
    fn key_ids_are_masked_to_their_kind_and_last_four() {
        for (id, shown) in [
            ("AKIAIOSFODNN7EXAMPLE", "AKIA…MPLE"),
            ("ASIAQWERTYUIOP123456", "ASIA…3456"),
            ("AKIA12345678", "AKIA…5678"),
            ("AKIA1234567", "…"),
            ("", "…"),
        ] {
            assert_eq!(mask(id), shown, "{id}");
            assert!(id.len() < 12 || !shown.contains(&id[4..id.len() - 4]));
        }
    }

    #[test]
    fn ids_in_messages_are_masked() {
        for (text, shown) in [
            (
                "The Access Key with id AKIAIOSFODNN7EXAMPLE cannot be found.",
                "The Access Key with id AKIA…MPLE cannot be found.",
            ),
            ("key ASIAQWERTYUIOP123456, again", "key ASIA…3456, again"),
            (
                "AKIAIOSFODNN7EXAMPLEX is too long",
                "AKIAIOSFODNN7EXAMPLEX is too long",
            ),
            ("no ids here; ünïcode stays", "no ids here; ünïcode stays"),
            ("", ""),
        ] {
            assert_eq!(mask_ids(text), shown, "{text}");
        }
    }

    #[test]
    fn a_key_is_named_whole_or_masked() {
        let id = "AKIAIOSFODNN7EXAMPLE";
        for (given, names) in [
            ("AKIAIOSFODNN7EXAMPLE", true),
            (" AKIAIOSFODNN7EXAMPLE ", true),
            ("AKIA…MPLE", true),
            ("AKIA...MPLE", true),
            ("MPLE", false),
            ("AKIA…XXXX", false),
            ("AKIAIOSFODNN7EXAMPLF", false),
            ("", false),
        ] {
            assert_eq!(names_key(given, id), names, "{given:?}");
        }
    }

    #[test]
    fn the_user_is_read_from_an_iam_user_arn_only() {
        for (arn, user) in [
            ("arn:aws:iam::123456789012:user/alice", Some("alice")),
            ("arn:aws:iam::123456789012:user/team/ops/bob", Some("bob")),
            ("arn:aws-cn:iam::123456789012:user/c.d@e", Some("c.d@e")),
            ("arn:aws:iam::123456789012:root", None),
            ("arn:aws:sts::123456789012:assumed-role/R/s", None),
            ("arn:aws:sts::123456789012:user/moto", None),
            ("arn:aws:iam::123456789012:user/", None),
            ("not an arn", None),
        ] {
            assert_eq!(user_from_arn(arn), user, "{arn}");
        }
    }

    #[test]
    fn ages_are_whole_days_and_due_at_the_limit() {
        // (created, now, words, due at 90 days)
        for (created, now, words, due) in [
            (t(0, 0), t(0, 3600), "today", false),
            (t(0, 0), t(1, 0), "1 day", false),
            (t(0, 0), t(89, 86_399), "89 days", false),
            (t(0, 0), t(90, 0), "90 days", true),
            (t(0, 0), t(400, 5), "400 days", true),
            // A clock behind the key's creation: today, never due.
            (t(5, 0), t(0, 0), "today", false),
        ] {
            assert_eq!(age_in_words(created, now), words);
            assert_eq!(is_due(created, now, DEFAULT_KEY_AGE_DAYS), due, "{words}");
        }
        assert!(is_due(t(0, 0), t(7, 0), 7));
    }

    #[test]
    fn last_use_in_words() {
        let used = |secs_ago: u64, service: Option<&str>, region: Option<&str>| LastUsed {
            at: Some(t(10, 0) - Duration::from_secs(secs_ago)),
            service: service.map(str::to_owned),
            region: region.map(str::to_owned),
        };
        let now = t(10, 0);
        for (used, words) in [
            (LastUsed::default(), "never"),
            (used(5, None, None), "just now"),
            (
                used(300, Some("sts"), Some("us-east-1")),
                "5 min ago (sts, us-east-1)",
            ),
            (used(7200, Some("iam"), None), "2 h ago (iam)"),
            (used(DAY + 5, None, None), "1 day ago"),
            (used(30 * DAY, None, None), "30 days ago"),
        ] {
            assert_eq!(last_used_in_words(&used, now), words);
        }
    }
}
