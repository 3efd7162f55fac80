//! File delivery: a session's credentials as a managed section of the shared credentials file,
//! with RoleKeeper's state updated under the same lock.

use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::credentials::{isoformat, Credentials};
use crate::credfile::managed::{self, fingerprint, Conflict, SectionRecord};
use crate::credfile::write::{lock, prepare, update_locked};
use crate::error::{Error, Result};
use crate::profile::{Origin, ProfileSet};
use crate::state::{SectionEntry, State, StateStore};

/// Keys in `~/.aws/config` that make the AWS CLI and SDKs resolve a profile themselves, before
/// they look at the credentials file: a managed section of the same name is then ignored.
pub const SHADOWING_KEYS: &[&str] = &[
    "role_arn",
    "web_identity_token_file",
    "sso_session",
    "sso_start_url",
    "sso_account_id",
];

/// What writing a session did.
#[derive(Debug, Clone)]
pub struct Written {
    pub target: PathBuf,
    /// A copy of the file taken before this change, when someone other than RoleKeeper had
    /// changed it since RoleKeeper last wrote it.
    pub backup: Option<PathBuf>,
}

enum Failure {
    Io(io::Error),
    Conflict(Conflict),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

fn failure(path: &Path, f: Failure) -> Error {
    match f {
        Failure::Io(cause) => Error::Write {
            path: path.to_owned(),
            cause,
        },
        Failure::Conflict(conflict) => Error::Conflict {
            path: path.to_owned(),
            conflict,
        },
    }
}

/// Write (or refresh) `name`'s managed section.
pub fn write_session(
    path: &Path,
    store: &StateStore,
    name: &str,
    credentials: &Credentials,
    force: bool,
    stamp: &str,
) -> Result<Written> {
    let batch = write_sessions(path, store, &[(name, credentials)], force, stamp)?;
    match batch.outcomes.into_iter().next() {
        Some((_, Err(conflict))) => Err(Error::Conflict {
            path: batch.written.target,
            conflict,
        }),
        _ => Ok(batch.written),
    }
}

/// What writing a batch of sessions did: one file write, and per session whether its section
/// was written or left alone because of a conflict.
#[derive(Debug)]
pub struct BatchWritten {
    pub written: Written,
    pub outcomes: Vec<(String, std::result::Result<(), Conflict>)>,
}

/// Write (or refresh) several managed sections in one write of the file, under one lock: many
/// sessions refreshing at once cost one write. A conflict on one section (someone else's
/// profile of that name, or an edited managed section) leaves that section alone and is
/// reported in `outcomes`; the others are written.
pub fn write_sessions(
    path: &Path,
    store: &StateStore,
    batch: &[(&str, &Credentials)],
    force: bool,
    stamp: &str,
) -> Result<BatchWritten> {
    let (target, _lock) = locked(path)?;
    let mut state = store.load()?;
    let key = target.display().to_string();
    let record = state.files.entry(key).or_default();
    let previous: Vec<Option<SectionRecord>> = batch
        .iter()
        .map(|(name, _)| record.sections.get(*name).map(|e| e.record.clone()))
        .collect();
    let last_written = record.last_written.clone();
    let mut backup = None;
    let updated = update_locked(
        &target,
        |doc| {
            Ok::<_, Failure>(
                batch
                    .iter()
                    .zip(&previous)
                    .map(|((name, credentials), previous)| {
                        managed::upsert(doc, name, credentials, previous.as_ref(), force)
                    })
                    .collect::<Vec<_>>(),
            )
        },
        |file, before| {
            if !before.is_empty() && last_written.as_deref() != Some(&fingerprint_bytes(before)) {
                backup = Some(store.backup(file, before, stamp)?);
            }
            Ok(())
        },
    )
    .map_err(|f| failure(&target, f))?;
    if updated.written {
        record.last_written = Some(fingerprint_bytes(&updated.after));
    }
    let mut outcomes = Vec::with_capacity(batch.len());
    for ((name, credentials), result) in batch.iter().zip(updated.value) {
        match result {
            Ok(section) => {
                record.sections.insert(
                    (*name).to_owned(),
                    SectionEntry {
                        record: section,
                        expires: credentials.expiration.map(isoformat),
                    },
                );
                state.active.insert((*name).to_owned());
                outcomes.push(((*name).to_owned(), Ok(())));
            }
            Err(conflict) => outcomes.push(((*name).to_owned(), Err(conflict))),
        }
    }
    store.save(&state)?;
    Ok(BatchWritten {
        written: Written { target, backup },
        outcomes,
    })
}

/// Remove `name`'s managed section and forget the session. `Ok(false)` if there was nothing to
/// remove from the file (the session is forgotten all the same).
pub fn remove_session(
    path: &Path,
    store: &StateStore,
    name: &str,
    force: bool,
    stamp: &str,
) -> Result<bool> {
    let (target, _lock) = locked(path)?;
    let mut state = store.load()?;
    let key = target.display().to_string();
    let record = state.files.entry(key).or_default();
    let previous: Option<SectionRecord> = record.sections.get(name).map(|e| e.record.clone());
    let last_written = record.last_written.clone();
    let updated = update_locked(
        &target,
        |doc| managed::remove(doc, name, previous.as_ref(), force).map_err(Failure::Conflict),
        |file, before| {
            if last_written.as_deref() != Some(&fingerprint_bytes(before)) {
                store.backup(file, before, stamp)?;
            }
            Ok(())
        },
    )
    .map_err(|f| failure(&target, f))?;
    if updated.written {
        record.last_written = Some(fingerprint_bytes(&updated.after));
    }
    record.sections.remove(name);
    state.active.remove(name);
    store.save(&state)?;
    Ok(updated.value)
}

/// The target of `path` (symlinks followed), locked: the lock every writer of the credentials
/// file and of RoleKeeper's state takes.
fn locked(path: &Path) -> Result<(PathBuf, crate::credfile::write::FileLock)> {
    let target = prepare(path).map_err(|cause| Error::Write {
        path: path.to_owned(),
        cause,
    })?;
    let lock = lock(&target).map_err(|cause| Error::Write {
        path: target.clone(),
        cause,
    })?;
    Ok((target, lock))
}

/// One locked, atomic edit of the config file.
fn edit_config<T>(
    config: &Path,
    mut edit: impl FnMut(&mut crate::credfile::Document) -> T,
) -> Result<T> {
    crate::credfile::write::update(config, |doc| Ok::<_, io::Error>(edit(doc)), |_, _| Ok(()))
        .map(|updated| updated.value)
        .map_err(|cause| Error::Write {
            path: config.to_owned(),
            cause,
        })
}

fn fingerprint_bytes(bytes: &[u8]) -> String {
    fingerprint(&String::from_utf8_lossy(bytes))
}

/// Where `~/.aws/config` gives `name` a definition that wins over the credentials file.
pub fn shadowed_by(set: &ProfileSet, name: &str) -> Option<(Origin, &'static str)> {
    let profile = set.get(name)?;
    SHADOWING_KEYS.iter().find_map(|key| {
        profile
            .get(key)
            .filter(|v| !v.text.is_empty() && !v.adopted && v.origin.path == set.config_path)
            .map(|v| (v.origin.clone(), *key))
    })
}

/// A sortable, readable timestamp for backup names: `20261125T013700.123456Z`.
pub fn stamp(now: SystemTime) -> String {
    isoformat(now).replace(['-', ':'], "").replace("+0000", "Z")
}

/// Adopt `name`'s role definition in the config file (see `credfile::adopt`). Returns the lines
/// adopted, as `(line, key)`; empty when there was nothing to adopt.
pub fn adopt_profile(config: &Path, name: &str) -> Result<Vec<(usize, String)>> {
    edit_config(config, |doc| crate::credfile::adopt::adopt(doc, name))
}

/// Change RoleKeeper's state under the credentials file's lock, which every writer of the state
/// takes (see [`write_sessions`]): two processes never lose each other's changes.
pub fn update_state<T>(
    credentials: &Path,
    store: &StateStore,
    change: impl FnOnce(&mut State) -> T,
) -> Result<T> {
    let (_target, _lock) = locked(credentials)?;
    let mut state = store.load()?;
    let value = change(&mut state);
    store.save(&state)?;
    Ok(value)
}

/// Record the new expiry of process-delivered sessions (the keychain holds their credentials),
/// in one write of the state.
pub fn record_process_sessions(
    credentials: &Path,
    store: &StateStore,
    batch: &[(&str, &Credentials)],
) -> Result<()> {
    update_state(credentials, store, |state| {
        for (name, session) in batch {
            state.active.insert((*name).to_owned());
            state.choices.entry((*name).to_owned()).or_default().expires =
                session.expiration.map(isoformat);
        }
    })
}

/// The line process delivery of `name` puts in its profile.
pub fn process_line(name: &str) -> String {
    crate::resolve::imported_source_line(name)
}

/// Serve `name` to the AWS tools through `credential_process`: its role lines adopted (else the
/// tools would assume the role themselves) and the managed line added, in one write of the
/// config file. Returns the lines adopted.
pub fn serve_by_process(config: &Path, name: &str) -> Result<Vec<(usize, String)>> {
    let line = process_line(name);
    edit_config(config, |doc| {
        let adopted = crate::credfile::adopt::adopt(doc, name);
        crate::credfile::process_line::add(doc, name, &line);
        adopted
    })
}

/// Undo [`serve_by_process`]: the managed line leaves and the adopted lines come back, byte for
/// byte. Returns whether the line was there.
pub fn stop_serving_by_process(config: &Path, name: &str) -> Result<bool> {
    if !config.exists() {
        return Ok(false);
    }
    let line = process_line(name);
    edit_config(config, |doc| {
        let removed = crate::credfile::process_line::remove(doc, name, &line);
        crate::credfile::adopt::release(doc, name);
        removed
    })
}

/// Give back `name`'s adopted lines in the config file, byte for byte. Returns how many.
pub fn release_profile(config: &Path, name: &str) -> Result<usize> {
    if !config.exists() {
        return Ok(0);
    }
    edit_config(config, |doc| crate::credfile::adopt::release(doc, name))
}
