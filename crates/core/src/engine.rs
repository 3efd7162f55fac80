//! The engine's one public façade. The CLI and the desktop shell both go through [`Engine`]; neither
//! reads profile files or calls STS on its own.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::clock::{Clock, SystemClock};
use crate::credentials::Credentials;
use crate::env::{Env, Fs, ProcessEnv, RealFs};
use crate::error::{Error, Result};
use crate::files::{
    FileLocations, FileProblem, FileReport, FileState, CONFIG_FILE_VAR, CREDENTIALS_FILE_VAR,
};
use crate::keychain::{OsKeychain, SecretStore, SourceIndex, Sources};
use crate::mfa::cache::SessionCache;
use crate::obtain::{Held, Obtained, Obtainer};
use crate::profile::examine::{examine_bytes, Examined, Unparseable};
use crate::profile::{FileKind, ProfileSet, Quirk, Rejectors};
use crate::resolve::{self, Plan};
use crate::schedule::Policy;
use crate::settings::{Settings, SettingsError, SettingsStore};
use crate::snapshot::Snapshot;
use crate::state::{Delivery, StateStore};

/// Activating, deactivating and listing sessions; delivering renewals.
mod activation;
pub(crate) use activation::Renewed;
/// Opening the AWS console signed in with a profile's credentials.
mod console;
/// Access-key hygiene: key age and last use, rotation.
mod keys;
pub use keys::{RotateOptions, KEY_VERIFY_TIMEOUT};
/// What `status` says about a session's MFA.
mod outlook;
/// Serving credentials to a caller that wants them now, in the one serving order.
mod served;
/// IAM Identity Center sign-ins: listing, signing in and out, keeping them fresh.
mod sso;
pub use sso::{SignInOutcome, SsoSessionView, SyncReport};

pub use crate::request::{CredentialRequest, GivenCode, MfaPrompt, NoMfaPrompt};
pub use crate::snapshot::{ProfileSummary, SessionStatus};

/// How `activate` may treat existing files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivateOptions {
    /// Take over a credentials-file section RoleKeeper did not write, or one edited since.
    pub force: bool,
    /// Adopt a role profile of the same name in `~/.aws/config` (else it stays, shadowing).
    pub adopt: bool,
    /// How to deliver the session; `None` keeps the session's earlier choice (file at first).
    pub delivery: Option<Delivery>,
    /// Drop a session length chosen earlier: the profile's own `duration_seconds` from now on
    /// (a length in the request is still used for this one).
    pub forget_duration: bool,
}

impl Default for ActivateOptions {
    fn default() -> Self {
        Self {
            force: false,
            adopt: true,
            delivery: None,
            forget_duration: false,
        }
    }
}

/// What `activate` did.
#[derive(Debug, Clone)]
pub struct Activation {
    pub name: String,
    pub expiration: Option<SystemTime>,
    /// The credentials file written (a symlink's target).
    pub credentials_path: PathBuf,
    /// A copy of the file from before the change, if one was taken.
    pub backup: Option<PathBuf>,
    /// How the session reaches the AWS tools.
    pub delivery: Delivery,
    /// The session length chosen for it, if any (else the profile's `duration_seconds`).
    pub duration: Option<Duration>,
    /// Lines of the config file adopted, as `(line, key)`.
    pub adopted: Vec<(usize, String)>,
    pub config_path: PathBuf,
    /// Where `~/.aws/config` defines this profile in a way that makes the AWS tools ignore the
    /// credentials file, e.g. `role_arn at ~/.aws/config, line 2`.
    pub shadowed_by: Option<String>,
}

impl Activation {
    /// What adopting lines of the config file did, in words, with how to undo it; `None` when
    /// nothing was adopted. `undo` is how the reader gives the lines back ("`rolekeeper
    /// deactivate prod`", "Deactivate"). Said once: an adopted profile is not adopted again.
    pub fn adoption_note(&self, name: &str, undo: &str) -> Option<String> {
        if self.adopted.is_empty() {
            return None;
        }
        let lines: Vec<String> = self
            .adopted
            .iter()
            .map(|(line, key)| format!("{key} (line {line})"))
            .collect();
        Some(format!(
            "adopted [profile {name}] in {}: {} now commented out, so the AWS CLI and SDKs use \
             RoleKeeper's credentials; {undo} gives those lines back",
            self.config_path.display(),
            lines.join(", ")
        ))
    }
}

#[derive(Debug, Clone)]
pub struct Engine {
    env: Arc<dyn Env>,
    fs: Arc<dyn Fs>,
    clock: Arc<dyn Clock>,
    secrets: Arc<dyn SecretStore>,
    /// Sessions obtained by this process, shared by every clone of the engine: the refresh
    /// loop, the desktop's actions and the engine's socket serve from the same memory.
    held: Arc<Held>,
    /// A running engine's memory, asked before the keychain (set by the command line: see
    /// [`Engine::asking_running_engine`]).
    #[cfg(unix)]
    running: Option<crate::session_socket::EngineSessions>,
}

impl Engine {
    /// The engine with the OS keychain (connected on first use) for keychain sources.
    pub fn new(env: Arc<dyn Env>, fs: Arc<dyn Fs>, clock: Arc<dyn Clock>) -> Self {
        Self {
            env,
            fs,
            clock,
            secrets: Arc::new(OsKeychain::new()),
            held: Arc::default(),
            #[cfg(unix)]
            running: None,
        }
    }

    /// Use `store` for keychain sources instead of the OS keychain (tests).
    pub fn with_secret_store(mut self, store: Arc<dyn SecretStore>) -> Self {
        self.secrets = store;
        self
    }

    /// Ask the keychain for an entry that never exists (`NotFound` means it answers), then
    /// whether it is locked: `Ok` only if reading an entry would work.
    pub async fn probe_keychain(&self) -> std::result::Result<(), crate::keychain::KeychainError> {
        crate::keychain::call(&self.secrets, crate::keychain::KEYCHAIN_TIMEOUT, |store| {
            match store.get("rolekeeper-probe") {
                // A missing entry is found missing on a locked keychain as well: ask the lock.
                Ok(_) | Err(crate::keychain::KeychainError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
            if store.is_locked()? {
                Err(crate::keychain::KeychainError::Locked)
            } else {
                Ok(())
            }
        })
        .await
    }

    /// Keychain sources: keys in the keychain, names beside the state file.
    pub fn sources(&self) -> Sources {
        Sources::new(
            Arc::clone(&self.secrets),
            SourceIndex::in_dir(self.state_store().dir()).on(Arc::clone(&self.fs)),
        )
    }

    /// The keychain, for the session cache.
    pub(crate) fn secret_store(&self) -> Arc<dyn SecretStore> {
        Arc::clone(&self.secrets)
    }

    /// The engine over the real environment, file system and clock.
    pub fn system() -> Self {
        Self::new(
            Arc::new(ProcessEnv),
            Arc::new(RealFs),
            Arc::new(SystemClock),
        )
    }

    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    pub fn env(&self) -> &dyn Env {
        self.env.as_ref()
    }

    pub fn locations(&self) -> FileLocations {
        FileLocations::from_env(self.env.as_ref())
    }

    /// One operation's view of the files, the state, the settings and the source index, each
    /// read at most once (see [`Snapshot`]).
    pub fn snapshot(&self) -> Snapshot {
        let state = self.state_store();
        let index = SourceIndex::in_dir(state.dir()).on(Arc::clone(&self.fs));
        Snapshot::new(
            Arc::clone(&self.env),
            Arc::clone(&self.fs),
            Arc::clone(&self.clock),
            state,
            self.settings_store(),
            index,
        )
    }

    /// Read and merge both profile files. A missing file counts as empty. A file the
    /// specification rejects but botocore accepts is read as botocore reads it; such lines, and
    /// lines botocore rejects, come back as [`ProfileSet::warnings`].
    pub fn load_profiles(&self) -> Result<ProfileSet> {
        self.snapshot().profiles().cloned()
    }

    /// Read one file the one way RoleKeeper reads files (see [`examine_bytes`]).
    fn examine(&self, path: &std::path::Path, kind: FileKind) -> Result<Examined> {
        let bytes = self.fs.read(path).map_err(|cause| Error::Io {
            path: path.to_owned(),
            cause,
        })?;
        Ok(examine_bytes(path, kind, bytes.as_deref()))
    }

    /// Both shared files as the AWS tools see them, config file first: for `rolekeeper doctor`.
    /// Unlike [`Engine::load_profiles`] it never stops at the first bad file or line it can get
    /// past: it reports everything it knows about each file.
    pub fn check_files(&self) -> Vec<FileReport> {
        let locations = self.locations();
        [
            (FileKind::Config, locations.config, CONFIG_FILE_VAR),
            (
                FileKind::Credentials,
                locations.credentials,
                CREDENTIALS_FILE_VAR,
            ),
        ]
        .into_iter()
        .map(|(kind, path, var)| {
            let state = self.file_state(&path, kind);
            FileReport {
                kind,
                chosen_by: self.env.non_empty(var).map(|_| var),
                path,
                state,
            }
        })
        .collect()
    }

    fn file_state(&self, path: &std::path::Path, kind: FileKind) -> FileState {
        let examined = match self.examine(path, kind) {
            Ok(examined) => examined,
            Err(error) => return FileState::Unreadable(error),
        };
        if !examined.exists {
            return FileState::Missing;
        }
        let mode = match self.fs.mode(path) {
            Ok(mode) => mode,
            Err(cause) => {
                return FileState::Unreadable(Error::Io {
                    path: path.to_owned(),
                    cause,
                })
            }
        };
        let mut problems: Vec<FileProblem> = examined
            .warnings
            .into_iter()
            .map(FileProblem::Rejected)
            .collect();
        if let Err(Unparseable { strict, lenient }) = examined.parsed {
            // The strict reader may have stopped earlier, at a line botocore accepts: that line
            // is one the SDKs refuse (the lenient reader's own notes of it are lost with its
            // failure). The lenient reader's error is the line no reader gets past.
            if strict.line != lenient.line {
                problems.push(FileProblem::Rejected(Quirk {
                    path: strict.path,
                    line: strict.line,
                    what: strict.message,
                    rejected_by: Rejectors::SpecSdks,
                }));
            }
            problems.push(FileProblem::Unparseable(lenient));
        }
        problems.sort_by_key(FileProblem::line);
        FileState::Read { mode, problems }
    }

    /// How `name`'s credentials would be obtained.
    pub fn plan(&self, name: &str) -> Result<Plan> {
        self.snapshot().plan(name)
    }

    /// The profile `AWS_PROFILE` names, else `default`.
    pub fn default_profile(&self) -> String {
        self.env
            .non_empty("AWS_PROFILE")
            .unwrap_or_else(|| "default".to_owned())
    }

    /// Every profile, for menus and `status`.
    pub fn profiles(&self) -> Result<Vec<ProfileSummary>> {
        self.snapshot().profile_summaries()
    }

    /// Obtain credentials for `name` now: the static keys, or each role of the chain in turn.
    pub async fn credentials(
        &self,
        name: &str,
        request: &CredentialRequest,
        mfa: &dyn MfaPrompt,
    ) -> Result<Credentials> {
        let snapshot = self.snapshot();
        let request = snapshot.request_for(name, request)?;
        Ok(self
            .obtain(&snapshot, name, &request, mfa)
            .await?
            .credentials)
    }

    /// Obtain `name`'s credentials with exactly `request` (completed by the caller), from what
    /// `snapshot` says: the plan, the policy, whether the session is delivered by file.
    pub(crate) async fn obtain(
        &self,
        snapshot: &Snapshot,
        name: &str,
        request: &CredentialRequest,
        mfa: &dyn MfaPrompt,
    ) -> Result<Obtained> {
        if let Some(duration) = request.duration {
            resolve::validate_role_duration(duration).map_err(|why| Error::InvalidDuration {
                seconds: duration.as_secs(),
                why,
            })?;
        }
        let job = self.job(snapshot, name, request)?;
        crate::obtain::obtain(&self.obtainer(snapshot), job, mfa).await
    }

    /// What obtaining credentials needs besides a plan: no façade, only data and services.
    pub(crate) fn obtainer<'a>(&'a self, snapshot: &'a Snapshot) -> Obtainer<'a> {
        Obtainer {
            snapshot,
            sources: self.sources(),
            cache: SessionCache::new(self.secret_store()),
            held: &self.held,
        }
    }

    /// The sessions this process holds in memory (see [`Held`]).
    pub fn held(&self) -> &Arc<Held> {
        &self.held
    }

    /// Serve sessions held by a running RoleKeeper (the tray app, `rolekeeper daemon`) before
    /// the keychain, and give it the sessions obtained here: what the command line does, so a
    /// role obtained by one `credential-process` is served to the next in well under a
    /// millisecond. The running engine itself never asks itself.
    #[cfg(unix)]
    pub fn asking_running_engine(mut self) -> Self {
        self.running = crate::session_socket::EngineSessions::from_env(self.env.as_ref());
        self
    }

    pub(crate) fn clock_arc(&self) -> Arc<dyn Clock> {
        Arc::clone(&self.clock)
    }

    /// RoleKeeper's state, read and written through this engine's file system.
    pub fn state_store(&self) -> StateStore {
        StateStore::from_env(self.env.as_ref()).on(Arc::clone(&self.fs))
    }

    /// The user's settings, read and written through this engine's file system.
    pub fn settings_store(&self) -> SettingsStore {
        SettingsStore::from_env(self.env.as_ref()).on(Arc::clone(&self.fs))
    }

    /// The saved settings (the defaults when there are none).
    pub fn settings(&self) -> std::result::Result<Settings, SettingsError> {
        self.settings_store().load()
    }

    /// Save `settings` (validated first).
    pub fn save_settings(&self, settings: &Settings) -> std::result::Result<(), SettingsError> {
        self.settings_store().save(settings)
    }

    /// The refresh policy in effect: the settings, with `ROLEKEEPER_REFRESH_BEFORE`.
    pub fn policy(&self) -> Policy {
        Policy::effective(self.settings(), self.env.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::env::{MapEnv, MemFs};
    use std::time::UNIX_EPOCH;

    fn engine(config: &str, credentials: Option<&str>) -> Engine {
        let mut fs = MemFs::default().with("/h/.aws/config", config);
        if let Some(text) = credentials {
            fs = fs.with("/h/cred", text);
        }
        let env = MapEnv::default()
            .with("HOME", "/h")
            .with("AWS_SHARED_CREDENTIALS_FILE", "/h/cred");
        Engine::new(
            Arc::new(env),
            Arc::new(fs),
            Arc::new(ManualClock::new(UNIX_EPOCH)),
        )
    }

    fn problems(report: &FileReport) -> Vec<(usize, String)> {
        match &report.state {
            FileState::Read { problems, .. } => {
                problems.iter().map(|p| (p.line(), p.to_string())).collect()
            }
            other => panic!("not read: {other:?}"),
        }
    }

    #[test]
    fn check_files_reports_every_problem_of_each_file() {
        // Line 2 is an indented key (the SDKs refuse it, botocore reads it), line 4 a header no
        // reader gets past; the strict reader would stop at line 2 and hide line 4, the lenient
        // one would fail at line 4 and forget line 2.
        let e = engine(
            "[profile a]\n  indented = y\nregion = x\n[profile b\n",
            None,
        );
        let reports = e.check_files();
        assert_eq!(reports.len(), 2);
        assert_eq!(reports[0].kind, FileKind::Config);
        assert_eq!(reports[0].chosen_by, None);
        let found = problems(&reports[0]);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].0, 2);
        assert!(found[0]
            .1
            .contains("/h/.aws/config, line 2: Expected a property definition"));
        assert!(found[0]
            .1
            .contains("the AWS SDKs for Rust, Java, Go and JavaScript reject"));
        assert_eq!(found[1].0, 4);
        assert!(found[1]
            .1
            .contains("line 4: Profile definition must end with ']'"));
        assert_eq!(reports[1].path, PathBuf::from("/h/cred"));
        assert_eq!(reports[1].chosen_by, Some("AWS_SHARED_CREDENTIALS_FILE"));
        assert!(matches!(reports[1].state, FileState::Missing));
    }

    #[test]
    fn check_files_finds_botocore_rejections_in_a_file_the_sdks_accept() {
        let e = engine("", Some("[a]\nk = 1\n[a]\n"));
        let reports = e.check_files();
        assert!(problems(&reports[0]).is_empty());
        let found = problems(&reports[1]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0]
            .1
            .contains("/h/cred, line 3: section [a] is defined a second time"));
        assert!(!reports[1].readable_by_others(), "MemFs has no modes");
    }
}
