//! What RoleKeeper remembers between runs, in `$XDG_STATE_HOME/rolekeeper/` (by default
//! `~/.local/state/rolekeeper/`): which sessions are active, what it last wrote to each file, and
//! backups of files before it first changed them. The state file holds names, times and
//! fingerprints, never a secret; backups are copies of the credentials file, mode 0600.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::credfile::managed::SectionRecord;
use crate::credfile::write::{create_private_dir, write_atomic};
use std::sync::Arc;

use crate::env::{Env, Fs};
use crate::files::{home_or_root, xdg_dir};
use crate::json_store::{JsonStore, StoreError};

/// How many backups of each file are kept.
pub const BACKUPS_KEPT: usize = 5;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Sessions the running engine keeps fresh, by name.
    #[serde(default)]
    pub active: BTreeSet<String>,
    /// Per file RoleKeeper writes (by path).
    #[serde(default)]
    pub files: BTreeMap<String, FileRecord>,
    /// What the user chose per session (duration, delivery), kept across deactivation so that
    /// activating again keeps the choice.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub choices: BTreeMap<String, SessionChoice>,
    /// A change of a credentials file under way: recorded here before the file is written, and
    /// gone once the state records its outcome. Found later (the process was killed, a write
    /// failed in between), it is finished or undone under the lock (`delivery::settle`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Pending>,
}

/// A change of a credentials file under way. Names and fingerprints only, never a secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// The file (its target, as [`State::files`] keys it).
    pub file: String,
    /// Fingerprint of the whole file before the change.
    pub before: String,
    /// What the change does to each session: its new section (`Some`), or its section removed
    /// and the session no longer active (`None`).
    pub sections: BTreeMap<String, Option<SectionEntry>>,
}

/// How a session's credentials reach the AWS tools.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Delivery {
    /// A managed profile section of the shared credentials file: read by every SDK and tool,
    /// even old ones, with no process started.
    #[default]
    File,
    /// A managed `credential_process = rolekeeper credential-process NAME` line in
    /// `~/.aws/config`: no secret in any file; the SDKs run RoleKeeper when they need
    /// credentials, and it serves the session the engine keeps fresh in the keychain.
    Process,
}

impl Delivery {
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::File => "file",
            Delivery::Process => "process",
        }
    }
}

impl std::str::FromStr for Delivery {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "file" => Ok(Delivery::File),
            "process" => Ok(Delivery::Process),
            other => Err(format!(
                "`{other}` is not a delivery; use `file` (the credentials file) or `process` (credential_process in ~/.aws/config)"
            )),
        }
    }
}

/// One session's choices.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionChoice {
    /// How long each session lasts, overriding the profile's `duration_seconds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<u64>,
    #[serde(default)]
    pub delivery: Delivery,
    /// For process delivery: when the session the keychain holds expires (ISO 8601). File
    /// delivery keeps this with the file's section instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// For process delivery: when that session was delivered (ISO 8601), so its length is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued: Option<String>,
}

/// The terms an active session is kept on. A renewal obtained on other terms, or for a session
/// no longer active, is never delivered: another process (`rolekeeper deactivate`, the window)
/// changed the session meanwhile, and its change wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    pub delivery: Delivery,
    pub duration_seconds: Option<u64>,
}

impl State {
    /// `name`'s choices, the defaults when none were made.
    pub fn choice(&self, name: &str) -> SessionChoice {
        self.choices.get(name).cloned().unwrap_or_default()
    }

    /// The terms `name` is kept on, if it is active.
    pub fn active_terms(&self, name: &str) -> Option<Terms> {
        if !self.active.contains(name) {
            return None;
        }
        let choice = self.choices.get(name);
        Some(Terms {
            delivery: choice.map(|c| c.delivery).unwrap_or_default(),
            duration_seconds: choice.and_then(|c| c.duration_seconds),
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// Fingerprint of the whole file as RoleKeeper last wrote it: a different pre-image means
    /// someone else changed the file, and it is backed up before RoleKeeper changes it.
    #[serde(default)]
    pub last_written: Option<String>,
    #[serde(default)]
    pub sections: BTreeMap<String, SectionEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionEntry {
    #[serde(flatten)]
    pub record: SectionRecord,
    /// When the written credentials expire (ISO 8601), if they do.
    #[serde(default)]
    pub expires: Option<String>,
    /// When they were written (ISO 8601): with the expiry, the session's length, which says
    /// when it is renewed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued: Option<String>,
}

/// One version of the state file on disk (see [`StateStore::stamp`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    dev: u64,
    ino: u64,
    len: u64,
    ctime_ns: i64,
}

impl FileStamp {
    /// Which version of the file at `path` is on disk now (a stat, no read); `None` when it
    /// does not exist or cannot be told.
    pub fn of(path: &Path) -> Option<FileStamp> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let meta = std::fs::metadata(path).ok()?;
            Some(FileStamp {
                dev: meta.dev(),
                ino: meta.ino(),
                len: meta.len(),
                ctime_ns: meta.ctime().saturating_mul(1_000_000_000) + meta.ctime_nsec(),
            })
        }
        #[cfg(not(unix))]
        {
            let _ = path;
            None
        }
    }
}

/// The state directory and its files.
#[derive(Debug, Clone)]
pub struct StateStore {
    dir: PathBuf,
    file: JsonStore<State>,
}

impl StateStore {
    /// `ROLEKEEPER_STATE_DIR`, else `$XDG_STATE_HOME/rolekeeper`, else `~/.local/state/rolekeeper`.
    pub fn from_env(env: &dyn Env) -> Self {
        let dir = env
            .non_empty("ROLEKEEPER_STATE_DIR")
            .map(PathBuf::from)
            .or_else(|| xdg_dir(env, "XDG_STATE_HOME").map(|d| d.join("rolekeeper")))
            // Never relative to the working directory (HOME unset under systemd or cron).
            .unwrap_or_else(|| home_or_root(env).join(".local/state/rolekeeper"));
        Self::in_dir(dir)
    }

    fn in_dir(dir: PathBuf) -> Self {
        let file = JsonStore::new(dir.join("state.json"));
        Self { dir, file }
    }

    /// The same store, its state file read and written through `fs`.
    pub fn on(mut self, fs: Arc<dyn Fs>) -> Self {
        self.file = self.file.on(fs);
        self
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn load(&self) -> Result<State, StateError> {
        self.file.load().map_err(|e| StateError::Unreadable {
            path: self.file.path().to_owned(),
            cause: store_cause(e),
        })
    }

    pub fn save(&self, state: &State) -> Result<(), StateError> {
        self.file.save(state).map_err(|e| StateError::Unwritable {
            path: self.file.path().to_owned(),
            cause: store_cause(e),
        })
    }

    /// Which version of the state file is on disk now (its inode, size and change time: every
    /// save is a rename of a new file), without reading it; `None` when it cannot be told.
    pub fn stamp(&self) -> Option<FileStamp> {
        FileStamp::of(self.file.path())
    }

    /// Where the user's own sections taken over by `activate --force` are kept until they are
    /// given back (mode 0600 files; they hold the user's keys, like the backups).
    pub fn taken_dir(&self) -> PathBuf {
        self.dir.join("taken")
    }

    /// Keep `text`, the user's section `name` of the credentials file `file` that a takeover
    /// replaces, under a name that is the same for the same file and section; returns it.
    pub fn keep_taken(&self, file: &str, name: &str, text: &str) -> io::Result<String> {
        let dir = self.taken_dir();
        create_private_dir(&dir)?;
        let kept = taken_name(file, name);
        write_atomic(&dir.join(&kept), text.as_bytes())?;
        Ok(kept)
    }

    /// The user's section kept as `kept` by [`StateStore::keep_taken`].
    pub fn taken(&self, kept: &str) -> io::Result<String> {
        std::fs::read_to_string(self.taken_dir().join(kept))
    }

    /// It was given back: the copy goes.
    pub fn forget_taken(&self, kept: &str) {
        let _ = std::fs::remove_file(self.taken_dir().join(kept));
    }

    /// Keep a copy of `bytes` (the content of `file`) as a timestamped backup, mode 0600, and
    /// drop all but the newest [`BACKUPS_KEPT`] backups of that file. `stamp` orders them.
    pub fn backup(&self, file: &Path, bytes: &[u8], stamp: &str) -> io::Result<PathBuf> {
        let dir = self.dir.join("backups");
        create_private_dir(&dir)?;
        let base = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let path = dir.join(format!("{base}.{stamp}.bak"));
        write_atomic(&path, bytes)?;
        let mut existing: Vec<PathBuf> = std::fs::read_dir(&dir)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name().is_some_and(|n| {
                    let n = n.to_string_lossy();
                    n.starts_with(&format!("{base}.")) && n.ends_with(".bak")
                })
            })
            .collect();
        existing.sort();
        let excess = existing.len().saturating_sub(BACKUPS_KEPT);
        for old in existing.into_iter().take(excess) {
            std::fs::remove_file(old)?;
        }
        Ok(path)
    }
}

fn store_cause(error: StoreError) -> String {
    match error {
        StoreError::Read(cause) | StoreError::Write(cause) => cause,
    }
}

/// The name a taken-over section is kept under: fingerprints, so any profile name and path fit.
pub fn taken_name(file: &str, name: &str) -> String {
    use crate::credfile::managed::fingerprint;
    format!("{}.{}.section", fingerprint(file), fingerprint(name))
}

/// RoleKeeper's state file could not be read (then nothing can be trusted about it) or written
/// (then nothing was changed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error("RoleKeeper's state file {path} cannot be used: {cause}; fix or delete it (it holds no secrets; active sessions are then forgotten)")]
    Unreadable { path: PathBuf, cause: String },
    #[error("cannot write RoleKeeper's state file {path}: {cause}; nothing was changed. Free space in {dir} or fix its permissions (ROLEKEEPER_STATE_DIR moves it), then try again", dir = path.parent().map(|d| d.display().to_string()).unwrap_or_default())]
    Unwritable { path: PathBuf, cause: String },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::MapEnv;

    #[test]
    fn location_follows_xdg() {
        let env = MapEnv::default().with("HOME", "/h");
        assert_eq!(
            StateStore::from_env(&env).dir(),
            Path::new("/h/.local/state/rolekeeper")
        );
        let env = env.with("XDG_STATE_HOME", "/x");
        assert_eq!(StateStore::from_env(&env).dir(), Path::new("/x/rolekeeper"));
    }

    #[test]
    fn save_load_and_backups_are_bounded_and_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = StateStore::in_dir(dir.path().join("rk"));
        assert_eq!(store.load().expect("empty"), State::default());
        let mut state = State::default();
        state.active.insert("prod".into());
        store.save(&state).expect("save");
        assert_eq!(store.load().expect("load"), state);
        for i in 0..8 {
            store
                .backup(
                    Path::new("/x/credentials"),
                    b"[a]\n",
                    &format!("2026010{i}"),
                )
                .expect("backup");
        }
        let backups: Vec<_> = std::fs::read_dir(dir.path().join("rk/backups"))
            .expect("ls")
            .collect();
        assert_eq!(backups.len(), BACKUPS_KEPT);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let newest = dir.path().join("rk/backups/credentials.20260107.bak");
            assert_eq!(
                std::fs::metadata(newest)
                    .expect("meta")
                    .permissions()
                    .mode()
                    & 0o777,
                0o600
            );
        }
    }
}
