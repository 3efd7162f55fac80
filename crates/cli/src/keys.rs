//! The access-key side of `rolekeeper source`: the KEY, AGE and LAST USED columns of `source
//! list` (what IAM last said, kept in the state directory; `--keys` asks IAM again) and `source
//! rotate`. Key ids are shown masked; no secret is ever printed.

use std::collections::BTreeMap;
use std::time::SystemTime;

use anyhow::bail;
use rolekeeper_core::engine::RotateOptions;
use rolekeeper_core::keys::{
    age_days, age_in_words, is_due, last_used_in_words, KeyRecord, DEFAULT_KEY_AGE_DAYS,
};
use rolekeeper_core::{Engine, Error, SourceInfo};
use serde_json::{json, Value};

use crate::cli::{SourceListArgs, SourceRotateArgs};
use crate::prompt::given_or_interactive;
use crate::source::{ask_tty, block_on};

/// What `source list` knows of the sources' keys.
#[derive(Debug)]
pub struct ListedKeys {
    records: BTreeMap<String, KeyRecord>,
    /// Sources IAM could not be asked about (`--keys`), with why.
    failed: BTreeMap<String, String>,
    asked: bool,
    limit_days: u32,
    now: SystemTime,
}

/// The kept records, or with `--keys` IAM's answers now (one source at a time: a terminal may
/// be asked for an MFA code).
pub fn for_list(
    engine: &Engine,
    sources: &[SourceInfo],
    args: &SourceListArgs,
) -> anyhow::Result<ListedKeys> {
    let limit_days = engine
        .settings()
        .map(|s| s.key_age_days)
        .unwrap_or(DEFAULT_KEY_AGE_DAYS);
    let mut listed = ListedKeys {
        records: BTreeMap::new(),
        failed: BTreeMap::new(),
        asked: args.keys,
        limit_days,
        now: engine.clock().now(),
    };
    if !args.keys {
        match engine.key_records() {
            Ok(records) => listed.records = records,
            Err(e) => eprintln!("rolekeeper: warning: {e}"),
        }
        return Ok(listed);
    }
    let prompt = given_or_interactive(args.mfa_code.clone());
    block_on(async {
        for source in sources {
            match engine.check_key(&source.name, prompt.as_ref()).await {
                Ok(record) => {
                    listed.records.insert(source.name.clone(), record);
                }
                Err(e) => {
                    listed.failed.insert(source.name.clone(), e.to_string());
                }
            }
        }
    })?;
    Ok(listed)
}

impl ListedKeys {
    /// Where the ages come from, under the table, unless IAM was just asked.
    pub fn note(&self) -> Option<String> {
        if self.asked {
            return None;
        }
        let oldest = self.records.values().filter_map(|r| r.checked).min()?;
        let ago = self
            .now
            .duration_since(oldest)
            .map(rolekeeper_core::human_duration)
            .unwrap_or_else(|_| "0 s".to_owned());
        Some(format!(
            "Key ages and last use as IAM said {ago} ago; `rolekeeper source list --keys` asks again."
        ))
    }

    /// Fails (after the table) when IAM could not be asked about a source, saying why for each.
    pub fn outcome(&self) -> anyhow::Result<()> {
        if self.failed.is_empty() {
            return Ok(());
        }
        for message in self.failed.values() {
            eprintln!("rolekeeper: {message}");
        }
        bail!(
            "IAM could not be asked about {} of the sources' keys (see above)",
            self.failed.len()
        )
    }

    fn age(&self, record: &KeyRecord) -> String {
        match record.created {
            Some(created) if is_due(created, self.now, self.limit_days) => format!(
                "{} (over {}: rotate)",
                age_in_words(created, self.now),
                self.limit_days
            ),
            Some(created) => age_in_words(created, self.now),
            None => "-".to_owned(),
        }
    }
}

/// KEY, AGE and LAST USED of each source, in order.
pub fn columns(keys: &ListedKeys, sources: &[SourceInfo]) -> Vec<[String; 3]> {
    sources
        .iter()
        .map(|s| match keys.records.get(&s.name) {
            Some(record) => [
                record.masked.clone(),
                keys.age(record),
                record
                    .last_used
                    .as_ref()
                    .map(|u| last_used_in_words(u, keys.now))
                    .unwrap_or_else(|| "-".to_owned()),
            ],
            None if keys.failed.contains_key(&s.name) => {
                ["?".to_owned(), "?".to_owned(), "(see below)".to_owned()]
            }
            None => ["-".to_owned(), "-".to_owned(), "-".to_owned()],
        })
        .collect()
}

/// `source list --json`: each source, with `key` (null when nothing is known) and, when IAM
/// could not be asked, `key_error`.
pub fn json_rows(sources: &[SourceInfo], keys: &ListedKeys) -> Value {
    let unix = |t: Option<SystemTime>| {
        t.and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs())
    };
    sources
        .iter()
        .map(|s| {
            let key = keys.records.get(&s.name).map(|r| {
                json!({
                    "id": r.masked,
                    "user": r.user,
                    "created": unix(r.created),
                    "age_days": r.created.map(|c| age_days(c, keys.now)),
                    "due": r.created.is_some_and(|c| is_due(c, keys.now, keys.limit_days)),
                    "last_used": r.last_used.as_ref().map(|u| json!({
                        "at": unix(u.at),
                        "service": u.service,
                        "region": u.region,
                    })),
                    "checked": unix(r.checked),
                    "left_over": r.leftover.as_ref().map(|l| l.masked.clone()),
                })
            });
            let mut row = json!({
                "name": s.name,
                "mfa_serial": s.mfa_serial,
                "region": s.region,
                "key": key,
            });
            if let Some(e) = keys.failed.get(&s.name) {
                row["key_error"] = json!(e);
            }
            row
        })
        .collect()
}

/// Forget what is kept of `name`'s key: its keys were replaced or removed.
pub fn forget(engine: &Engine, name: &str) {
    if let Err(e) = engine.key_cache().update(name, |_| None) {
        eprintln!("rolekeeper: warning: {e}");
    }
}

/// `rolekeeper source rotate NAME [--keep-old] [--delete-other KEYID] | --finish`.
pub fn rotate(engine: &Engine, args: SourceRotateArgs) -> anyhow::Result<()> {
    let prompt = given_or_interactive(args.mfa_code);
    if args.finish {
        let done = block_on(engine.finish_rotation(&args.name, prompt.as_ref()))??;
        println!("{done}");
        return Ok(());
    }
    let mut options = RotateOptions {
        keep_old: args.keep_old,
        delete_other: args.delete_other,
    };
    loop {
        match block_on(engine.rotate_source(&args.name, &options, prompt.as_ref()))? {
            Ok(rotated) => {
                println!("{rotated}");
                return Ok(());
            }
            // Two keys already: with a terminal to ask on, the user decides on the other one,
            // seen; without one, the message says how to pass it.
            Err(Error::TwoKeys(two)) if options.delete_other.is_none() && has_terminal() => {
                let shown = rolekeeper_core::keys::mask(&two.other);
                eprintln!(
                    "IAM user {} has two access keys already, IAM's limit. The other one, \
                     {shown}, is {}, {}, last used {}.",
                    two.user, two.status, two.created, two.last_used
                );
                let answer = ask_tty(&format!(
                    "Delete {shown} to make room for the new key? Whatever still uses it stops \
                     working. [y/N] "
                ))?;
                if !matches!(answer.to_ascii_lowercase().as_str(), "y" | "yes") {
                    bail!(
                        "nothing changed: {shown} was not deleted, and the key of source `{}` was \
                         not rotated",
                        args.name
                    );
                }
                options.delete_other = Some(two.other);
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Whether there is a controlling terminal to ask on (`/dev/tty`, as for MFA codes).
fn has_terminal() -> bool {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .is_ok()
}
