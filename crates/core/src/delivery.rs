//! File delivery: a session's credentials as a managed section of the shared credentials file,
//! with RoleKeeper's state updated under the same lock.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::credentials::{isoformat, Credentials};
use crate::credfile::managed::{self, fingerprint, Conflict, Ownership, SectionRecord};
use crate::credfile::write::{lock, prepare, update_locked};
use crate::error::{Error, Result};
use crate::profile::{Origin, ProfileSet};
use crate::state::{FileStamp, Pending, SectionEntry, State, StateStore, Terms};

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
    /// A write beside the file failed (a backup, RoleKeeper's state): said as it is.
    At(Error),
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
        Failure::At(error) => error,
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
    /// The state file as this write left it, taken under the lock: a watcher that sees the same
    /// stamp later knows the change was its own.
    pub stamp: Option<FileStamp>,
}

/// Write (or refresh) several managed sections in one write of the file, under one lock: many
/// sessions refreshing at once cost one write. A conflict on one section (someone else's
/// profile of that name, or an edited managed section) leaves that section alone and is
/// reported in `outcomes`; the others are written. A renewal whose session is no longer active
/// on the same terms is left out (`Outcome::Stale`).
///
/// One transaction: the change is recorded in the state (`State::pending`) before the file is
/// written, and the state that records its outcome clears it; whatever stops in between is
/// finished or undone by the next writer ([`settle`]). With `force`, the user's own section of
/// that name is kept (`StateStore::keep_taken`) and given back when the session is deactivated.
pub fn write_sessions(
    path: &Path,
    store: &StateStore,
    batch: &[(&str, &Credentials, Purpose)],
    force: bool,
    now: SystemTime,
) -> Result<BatchWritten> {
    let stamp = stamp(now);
    let (target, _lock) = locked(path)?;
    let mut state = load_settled(store, &target)?;
    let (batch, stale): (Vec<_>, Vec<_>) = batch
        .iter()
        .partition(|(name, _, purpose)| still_wanted(&state, name, *purpose));
    let key = target.display().to_string();
    let file_record = state.files.get(&key).cloned().unwrap_or_default();
    let previous: Vec<Option<SectionRecord>> = batch
        .iter()
        .map(|(name, _, _)| file_record.sections.get(*name).map(|e| e.record.clone()))
        .collect();
    let entry = |credentials: &Credentials, record: SectionRecord| SectionEntry {
        record,
        expires: credentials.expiration.map(isoformat),
        issued: Some(isoformat(now)),
    };
    let mut backup = None;
    let mut journaled = None;
    // What the last edit planned, for the journal written just before the file.
    let planned: RefCell<Vec<Planned>> = RefCell::new(Vec::new());
    let updated = update_locked(
        &target,
        |doc| {
            let results: Vec<Planned> = batch
                .iter()
                .zip(&previous)
                .map(|((name, credentials, _), previous)| {
                    // The user's own section, taken over by force: kept to be given back.
                    let taken = match managed::ownership(doc, name) {
                        Ownership::Foreign(span) if force => Some(doc.span_text(&span)),
                        _ => None,
                    };
                    let result = managed::upsert(doc, name, credentials, previous.as_ref(), force)
                        .map(|mut record| {
                            if taken.is_some() && record.taken_over.is_none() {
                                record.taken_over = Some(crate::state::taken_name(&key, name));
                            }
                            record
                        });
                    Planned { result, taken }
                })
                .collect();
            *planned.borrow_mut() = results.clone();
            Ok::<_, Failure>(results)
        },
        |file, before| {
            if !before.is_empty()
                && file_record.last_written.as_deref() != Some(&fingerprint_bytes(before))
            {
                backup = Some(store.backup(file, before, &stamp).map_err(|cause| {
                    Failure::At(Error::Write {
                        path: store.dir().join("backups"),
                        cause,
                    })
                })?);
            }
            let planned = planned.borrow();
            for ((name, _, _), plan) in batch.iter().zip(planned.iter()) {
                if let Some(text) = &plan.taken {
                    store.keep_taken(&key, name, text).map_err(|cause| {
                        Failure::At(Error::Write {
                            path: store.taken_dir(),
                            cause,
                        })
                    })?;
                }
            }
            let pending = Pending {
                file: key.clone(),
                before: fingerprint_bytes(before),
                sections: batch
                    .iter()
                    .zip(planned.iter())
                    .filter_map(|((name, credentials, _), plan)| {
                        let record = plan.result.as_ref().ok()?.clone();
                        Some(((*name).to_owned(), Some(entry(credentials, record))))
                    })
                    .collect(),
            };
            save_journal(store, &state, pending, &mut journaled)
        },
    )
    .map_err(|f| failure(&target, f))?;
    let record = state.files.entry(key).or_default();
    if updated.written {
        record.last_written = Some(fingerprint_bytes(&updated.after));
    }
    let mut outcomes = Vec::with_capacity(batch.len() + stale.len());
    for ((name, credentials, _), plan) in batch.iter().zip(updated.value) {
        match plan.result {
            Ok(section) => {
                record
                    .sections
                    .insert((*name).to_owned(), entry(credentials, section));
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
    state.pending = None;
    store.save(&state)?;
    Ok(BatchWritten {
        written: Written { target, backup },
        outcomes,
        stamp: store.stamp(),
    })
}

/// One section's part of a planned write: its new record (or the conflict), and the user's own
/// section it takes over, if any.
#[derive(Clone)]
struct Planned {
    result: std::result::Result<SectionRecord, Conflict>,
    taken: Option<String>,
}

/// Save the journal entry of a change about to be written ([`settle`] judges each of its sections
/// by the section's own fingerprint, so other writers' changes in between do not matter). An
/// attempt that must be made again (another tool wrote the file meanwhile) usually plans the
/// same sections: then the entry already saved stands, and the retry costs no second write.
fn save_journal(
    store: &StateStore,
    state: &State,
    pending: Pending,
    journaled: &mut Option<BTreeMap<String, Option<SectionEntry>>>,
) -> std::result::Result<(), Failure> {
    if journaled.as_ref() == Some(&pending.sections) {
        return Ok(());
    }
    let sections = pending.sections.clone();
    let mut journal = state.clone();
    journal.pending = Some(pending);
    store
        .save(&journal)
        .map_err(|e| Failure::At(Error::State(e)))?;
    *journaled = Some(sections);
    Ok(())
}

/// Whether credentials obtained for `purpose` are still to be delivered to `name`.
fn still_wanted(state: &State, name: &str, purpose: Purpose) -> bool {
    match purpose {
        Purpose::Activate => true,
        Purpose::Renew(terms) => state.active_terms(name) == Some(terms),
    }
}

/// Remove `name`'s managed section and forget the session; a section it took over from the user
/// comes back byte for byte. `Ok(false)` if there was nothing to remove from the file (the
/// session is forgotten all the same). Journaled like [`write_sessions`].
pub fn remove_session(
    path: &Path,
    store: &StateStore,
    name: &str,
    force: bool,
    stamp: &str,
) -> Result<bool> {
    let (target, _lock) = locked(path)?;
    let mut state = load_settled(store, &target)?;
    let key = target.display().to_string();
    let file_record = state.files.get(&key).cloned().unwrap_or_default();
    let previous: Option<SectionRecord> = file_record.sections.get(name).map(|e| e.record.clone());
    let original = match previous.as_ref().and_then(|r| r.taken_over.as_deref()) {
        Some(kept) => match store.taken(kept) {
            Ok(text) => Some(text),
            // Deleted by hand: there is nothing left to give back, and the session still goes.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                tracing::warn!(session = %name, "the section it took over is no longer kept in {}; removing it", store.taken_dir().display());
                None
            }
            Err(cause) => {
                return Err(Error::Io {
                    path: store.taken_dir().join(kept),
                    cause,
                })
            }
        },
        None => None,
    };
    let mut journaled = None;
    let updated = update_locked(
        &target,
        |doc| {
            match &original {
                Some(text) => managed::give_back(doc, name, previous.as_ref(), text, force),
                None => managed::remove(doc, name, previous.as_ref(), force),
            }
            .map_err(Failure::Conflict)
        },
        |file, before| {
            if file_record.last_written.as_deref() != Some(&fingerprint_bytes(before)) {
                store.backup(file, before, stamp).map_err(|cause| {
                    Failure::At(Error::Write {
                        path: store.dir().join("backups"),
                        cause,
                    })
                })?;
            }
            let pending = Pending {
                file: key.clone(),
                before: fingerprint_bytes(before),
                sections: [(name.to_owned(), None)].into(),
            };
            save_journal(store, &state, pending, &mut journaled)
        },
    )
    .map_err(|f| failure(&target, f))?;
    let record = state.files.entry(key).or_default();
    if updated.written {
        record.last_written = Some(fingerprint_bytes(&updated.after));
    }
    record.sections.remove(name);
    state.active.remove(name);
    state.pending = None;
    store.save(&state)?;
    if let Some(kept) = previous.as_ref().and_then(|r| r.taken_over.as_deref()) {
        if updated.value {
            store.forget_taken(kept);
        }
    }
    Ok(updated.value)
}

/// The state, with a change left unfinished (see [`State::pending`]) finished or undone by
/// what the credentials file `target` holds now. Called with the lock held.
fn load_settled(store: &StateStore, target: &Path) -> Result<State> {
    let mut state = store.load()?;
    settle(&mut state, target);
    Ok(state)
}

/// Finish or undo the change `state.pending` recorded for `target`, section by section, by what
/// the file holds: a section written as planned is recorded (the change went through), one
/// still as before is left as the state says (it did not). Returns whether there was one.
pub fn settle(state: &mut State, target: &Path) -> bool {
    let key = target.display().to_string();
    let Some(pending) = state.pending.take_if(|p| p.file == key) else {
        return false;
    };
    let bytes = std::fs::read(target).unwrap_or_default();
    let doc = crate::credfile::Document::parse(&bytes);
    let record = state.files.entry(key).or_default();
    let mut wrote = false;
    for (name, change) in pending.sections {
        let now = managed::ownership(&doc, &name);
        match change {
            Some(entry) => {
                let written = matches!(&now, Ownership::Managed(span)
                    if fingerprint(&doc.span_text(span)) == entry.record.fingerprint);
                if written {
                    tracing::info!(session = %name, "finished a write that was cut short");
                    record.sections.insert(name.clone(), entry);
                    state.active.insert(name);
                    wrote = true;
                }
            }
            None => {
                // Gone, or given back to its owner: the removal went through.
                if matches!(now, Ownership::Absent | Ownership::Foreign(_)) {
                    tracing::info!(session = %name, "finished a removal that was cut short");
                    record.sections.remove(&name);
                    state.active.remove(&name);
                    wrote = true;
                }
            }
        }
    }
    if wrote && fingerprint_bytes(&bytes) != pending.before {
        record.last_written = Some(fingerprint_bytes(&bytes));
    }
    true
}

/// Finish or undo what a process stopped in the middle of (see [`settle`]), now: the refresh
/// engine does this when it starts. Returns whether there was anything.
pub fn recover(path: &Path, store: &StateStore) -> Result<bool> {
    if store.load()?.pending.is_none() {
        return Ok(false); // the usual case: no lock taken, nothing created
    }
    let (target, _lock) = locked(path)?;
    let mut state = store.load()?;
    if !settle(&mut state, &target) {
        return Ok(false);
    }
    store.save(&state)?;
    Ok(true)
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
    let (target, _lock) = locked(credentials)?;
    let mut state = load_settled(store, &target)?;
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
