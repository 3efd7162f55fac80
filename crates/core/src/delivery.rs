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
use crate::state::{SectionEntry, State, StateStore, Terms};

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

/// Why credentials are being delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The user activates the session (or renews it by hand): it becomes active on its terms.
    Activate,
    /// A renewal of a session that was active on these terms when it began: delivered only if
    /// it still is, checked under the lock, so a deactivation or a changed choice made meanwhile
    /// by any process is never undone.
    Renew(Terms),
}

/// What became of one session's new credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Written,
    /// A renewal of a session since deactivated or changed: not delivered.
    Stale,
    /// Its section is someone else's, or was edited: left alone.
    Conflict(Conflict),
}

/// Write (or refresh) `name`'s managed section. A renewal that went stale writes nothing.
pub fn write_session(
    path: &Path,
    store: &StateStore,
    session: (&str, &Credentials, Purpose),
    force: bool,
    now: SystemTime,
) -> Result<(Written, Outcome)> {
    let batch = write_sessions(path, store, &[session], force, now)?;
    match batch.outcomes.into_iter().next() {
        Some((_, Outcome::Conflict(conflict))) => Err(Error::Conflict {
            path: batch.written.target,
            conflict,
        }),
        Some((_, outcome)) => Ok((batch.written, outcome)),
        None => Ok((batch.written, Outcome::Written)),
    }
}

/// What writing a batch of sessions did: one file write, and per session whether its section
/// was written, left alone because of a conflict, or not delivered because it went stale.
#[derive(Debug)]
pub struct BatchWritten {
    pub written: Written,
    pub outcomes: Vec<(String, Outcome)>,
}

/// Write (or refresh) several managed sections in one write of the file, under one lock: many
/// sessions refreshing at once cost one write. A conflict on one section (someone else's
/// profile of that name, or an edited managed section) leaves that section alone and is
/// reported in `outcomes`; the others are written. A renewal whose session is no longer active
/// on the same terms is left out (`Outcome::Stale`).
pub fn write_sessions(
    path: &Path,
    store: &StateStore,
    batch: &[(&str, &Credentials, Purpose)],
    force: bool,
    now: SystemTime,
) -> Result<BatchWritten> {
    let stamp = stamp(now);
    let (target, _lock) = locked(path)?;
    let mut state = store.load()?;
    let (batch, stale): (Vec<_>, Vec<_>) = batch
        .iter()
        .partition(|(name, _, purpose)| still_wanted(&state, name, *purpose));
    let key = target.display().to_string();
    let record = state.files.entry(key).or_default();
    let previous: Vec<Option<SectionRecord>> = batch
        .iter()
        .map(|(name, _, _)| record.sections.get(*name).map(|e| e.record.clone()))
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
                    .map(|((name, credentials, _), previous)| {
                        managed::upsert(doc, name, credentials, previous.as_ref(), force)
                    })
                    .collect::<Vec<_>>(),
            )
        },
        |file, before| {
            if !before.is_empty() && last_written.as_deref() != Some(&fingerprint_bytes(before)) {
                backup = Some(store.backup(file, before, &stamp)?);
            }
            Ok(())
        },
    )
    .map_err(|f| failure(&target, f))?;
    if updated.written {
        record.last_written = Some(fingerprint_bytes(&updated.after));
    }
    let mut outcomes = Vec::with_capacity(batch.len() + stale.len());
    for ((name, credentials, _), result) in batch.iter().zip(updated.value) {
        match result {
            Ok(section) => {
                record.sections.insert(
                    (*name).to_owned(),
                    SectionEntry {
                        record: section,
                        expires: credentials.expiration.map(isoformat),
                        issued: Some(isoformat(now)),
                    },
                );
                state.active.insert((*name).to_owned());
                outcomes.push(((*name).to_owned(), Outcome::Written));
            }
            Err(conflict) => outcomes.push(((*name).to_owned(), Outcome::Conflict(conflict))),
        }
    }
    outcomes.extend(
        stale
            .iter()
            .map(|(name, _, _)| ((*name).to_owned(), Outcome::Stale)),
    );
    store.save(&state)?;
    Ok(BatchWritten {
        written: Written { target, backup },
        outcomes,
    })
}

/// Whether credentials obtained for `purpose` are still to be delivered to `name`.
fn still_wanted(state: &State, name: &str, purpose: Purpose) -> bool {
    match purpose {
        Purpose::Activate => true,
        Purpose::Renew(terms) => state.active_terms(name) == Some(terms),
    }
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
/// in one write of the state. Renewals of sessions since deactivated or changed are left out.
pub fn record_process_sessions(
    credentials: &Path,
    store: &StateStore,
    batch: &[(&str, &Credentials, Purpose)],
    now: SystemTime,
) -> Result<Vec<(String, Outcome)>> {
    update_state(credentials, store, |state| {
        batch
            .iter()
            .map(|(name, session, purpose)| {
                if !still_wanted(state, name, *purpose) {
                    return ((*name).to_owned(), Outcome::Stale);
                }
                state.active.insert((*name).to_owned());
                let choice = state.choices.entry((*name).to_owned()).or_default();
                choice.expires = session.expiration.map(isoformat);
                choice.issued = Some(isoformat(now));
                ((*name).to_owned(), Outcome::Written)
            })
            .collect()
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
