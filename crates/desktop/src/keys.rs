//! Access-key hygiene in the desktop: the key columns of the Sources tab (from what IAM last
//! said, kept by the engine; "Check" asks again), its Rotate button, and the reminder when a key
//! passes the age in the settings. Thin: the engine does the work (`Engine::check_key`,
//! `rotate_source`); key ids reach the web view masked, secrets never.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::shell::Shell;
use rolekeeper_core::engine::RotateOptions;
use rolekeeper_core::keys::{age_days, age_in_words, is_due, last_used_in_words, KeyRecord};
use rolekeeper_core::{Engine, Error, NoMfaPrompt};
use serde::Serialize;

use crate::error::{IpcCode, IpcError, IpcResult};
use crate::notify::Notice;

/// A source's key as the Sources tab shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct KeyView {
    /// Masked: `AKIA…2345`.
    id: String,
    /// `97 days`; `null` when IAM did not say.
    age: Option<String>,
    age_days: Option<u64>,
    /// Older than the setting: time to rotate.
    due: bool,
    /// `2 h ago (sts, us-east-1)`, `never`; `null` when not asked yet.
    last_used: Option<String>,
    /// How long ago IAM was asked, in words.
    checked: Option<String>,
}

/// The view of `record` at `now`, with `limit` days as the age to rotate at.
pub fn key_view(record: &KeyRecord, now: SystemTime, limit: u32) -> KeyView {
    KeyView {
        id: record.masked.clone(),
        age: record.created.map(|c| age_in_words(c, now)),
        age_days: record.created.map(|c| age_days(c, now)),
        due: record.created.is_some_and(|c| is_due(c, now, limit)),
        last_used: record
            .last_used
            .as_ref()
            .map(|u| last_used_in_words(u, now)),
        checked: record.checked.map(|t| {
            let ago = now.duration_since(t).unwrap_or(Duration::ZERO);
            format!("{} ago", rolekeeper_core::human_duration(ago))
        }),
    }
}

fn limit_days(engine: &Engine) -> u32 {
    engine
        .settings()
        .map(|s| s.key_age_days)
        .unwrap_or(rolekeeper_core::keys::DEFAULT_KEY_AGE_DAYS)
}

/// Every source's key view, by source name (no IAM call).
pub fn key_views(engine: &Engine) -> std::collections::BTreeMap<String, KeyView> {
    let now = engine.clock().now();
    let limit = limit_days(engine);
    engine
        .key_records()
        .unwrap_or_default()
        .iter()
        .map(|(name, record)| (name.clone(), key_view(record, now, limit)))
        .collect()
}

fn engine(app: &Shell) -> Arc<Engine> {
    Arc::clone(&app.desktop().engine)
}

/// The error of an IAM call from the window: a source whose MFA session is not kept cannot be
/// helped here, since nobody is asked for a code; the message says what to do instead.
fn ipc_error(name: &str, command: &str, e: Error) -> IpcError {
    match e {
        Error::MfaCodeUnavailable { .. } => IpcError::new(
            IpcCode::NeedsMfa,
            format!(
                "Source {name} has an MFA device and no MFA session is kept, so IAM cannot be \
                 asked from here: run `rolekeeper {command}` in a terminal (it asks for the code), \
                 or use a role of {name} first, which keeps its MFA session."
            ),
        ),
        other => other.into(),
    }
}

/// Ask IAM about `name`'s key now. A source with an MFA device uses its MFA session if one is
/// kept; nobody is asked for a code here (the error says how to get one).
pub async fn check_source_key(app: Shell, name: String) -> IpcResult<()> {
    engine(&app)
        .check_key(&name, &NoMfaPrompt)
        .await
        .map_err(|e| ipc_error(&name, "source list --keys", e))?;
    remind(&app);
    Ok(())
}

/// How a rotation from the window ended.
#[derive(Debug, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RotateView {
    Done {
        message: String,
    },
    /// The user has two keys: the page shows the other one and asks before it is deleted.
    TwoKeys {
        message: String,
        /// Masked; passed back as `delete_other` when the user says so.
        other: String,
        status: String,
        created: String,
        last_used: String,
    },
}

/// Rotate `name`'s key (`rolekeeper source rotate`). `delete_other` is the masked id of the
/// other key the page showed, when the user said to delete it.
pub async fn rotate_source(
    app: Shell,
    name: String,
    keep_old: bool,
    delete_other: Option<String>,
) -> IpcResult<RotateView> {
    let options = RotateOptions {
        keep_old,
        delete_other,
    };
    let rotated = engine(&app)
        .rotate_source(&name, &options, &NoMfaPrompt)
        .await;
    let view = match rotated {
        Ok(rotated) => {
            tracing::info!(source = %name, "key rotated");
            RotateView::Done {
                message: rotated.to_string(),
            }
        }
        Err(Error::TwoKeys(two)) => RotateView::TwoKeys {
            message: two.to_string(),
            other: rolekeeper_core::keys::mask(&two.other),
            status: two.status.to_string(),
            created: two.created.clone(),
            last_used: two.last_used.clone(),
        },
        Err(e) => return Err(ipc_error(&name, &format!("source rotate {name}"), e)),
    };
    remind(&app);
    Ok(view)
}

/// The reminders for keys past `limit` days, for sources not reminded of yet in this run.
pub fn due_notices(
    records: &std::collections::BTreeMap<String, KeyRecord>,
    now: SystemTime,
    limit: u32,
    told: &mut BTreeSet<String>,
) -> Vec<Notice> {
    let mut notices = Vec::new();
    for (name, record) in records {
        let Some(created) = record.created else {
            continue;
        };
        // The key of a record is what the reminder is about: a rotated key is a new reminder.
        let key = format!("{name}|{}", record.key);
        if !is_due(created, now, limit) || !told.insert(key) {
            continue;
        }
        notices.push(Notice {
            session: crate::notify::key_age_key(name),
            summary: format!("{name}: access key is {} old", age_in_words(created, now)),
            body: format!(
                "The key {} of source {name} is older than {limit} days. Rotate it: a new key, \
                 the old one deleted.",
                record.masked
            ),
            enter_code: false,
            sign_in: None,
            rotate: Some(name.clone()),
            sticky: true,
        });
    }
    notices
}

/// Look at the kept key records now and remind of the keys past the age.
pub fn remind(app: &Shell) {
    let desktop = app.desktop();
    let engine = &desktop.engine;
    let Ok(records) = engine.key_records() else {
        return;
    };
    let notices = {
        let Ok(mut told) = desktop.keys_told.lock() else {
            return;
        };
        due_notices(
            &records,
            engine.clock().now(),
            limit_days(engine),
            &mut told,
        )
    };
    for notice in notices {
        desktop.notifier.remind(app, notice);
    }
}

/// At start, then once a day: a key's age moves on without any event. A source IAM was never
/// asked about is asked once, at start, quietly (a source with an MFA device only if its MFA
/// session is kept): its key's creation date does not change, so that one answer lasts.
pub fn follow_key_ages(app: Shell) {
    tokio::spawn(async move {
        let engine = engine(&app);
        let known = engine.key_records().unwrap_or_default();
        for source in engine.sources().list().unwrap_or_default() {
            if known.contains_key(&source.name) {
                continue;
            }
            if let Err(e) = engine.check_key(&source.name, &NoMfaPrompt).await {
                tracing::debug!(source = %source.name, "key age not known: {e}");
            }
        }
        loop {
            remind(&app);
            let next = engine.clock().now() + Duration::from_secs(24 * 3600);
            engine.clock().sleep_until(next).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::UNIX_EPOCH;

    use rolekeeper_core::iam::LastUsed;

    use super::*;

    const DAY: u64 = 86_400;

    fn record(key: &str, created_days_ago: Option<u64>, now: SystemTime) -> KeyRecord {
        KeyRecord {
            key: key.to_owned(),
            masked: "AKIA…2345".to_owned(),
            user: "alice".to_owned(),
            arn: "arn:aws:iam::123456789012:user/alice".to_owned(),
            created: created_days_ago.map(|d| now - Duration::from_secs(d * DAY)),
            last_used: Some(LastUsed::default()),
            checked: Some(now - Duration::from_secs(7200)),
            leftover: None,
        }
    }

    #[test]
    fn keys_past_the_age_are_told_once_each_with_a_rotate_button() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let mut told = BTreeSet::new();
        let records = BTreeMap::from([
            ("old".to_owned(), record("k1", Some(120), now)),
            ("young".to_owned(), record("k2", Some(10), now)),
            ("unknown".to_owned(), record("k3", None, now)),
        ]);
        let notices = due_notices(&records, now, 90, &mut told);
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].summary, "old: access key is 120 days old");
        assert_eq!(notices[0].rotate.as_deref(), Some("old"));
        assert!(notices[0].body.contains("AKIA…2345"));
        assert!(due_notices(&records, now, 90, &mut told).is_empty(), "once");
        // A shorter limit makes the other one due; a rotated key (another record) is new news.
        assert_eq!(due_notices(&records, now, 7, &mut told).len(), 1);
        let rotated = BTreeMap::from([("old".to_owned(), record("k9", Some(95), now))]);
        assert_eq!(due_notices(&rotated, now, 90, &mut told).len(), 1);
    }

    #[test]
    fn the_view_says_age_use_and_whether_it_is_due() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let view = key_view(&record("k", Some(91), now), now, 90);
        assert_eq!(view.age.as_deref(), Some("91 days"));
        assert!(view.due);
        assert_eq!(view.last_used.as_deref(), Some("never"));
        assert_eq!(view.checked.as_deref(), Some("2 h 00 min ago"));
        let unknown = key_view(&record("k", None, now), now, 90);
        assert_eq!((unknown.age, unknown.due), (None, false));
    }
}
