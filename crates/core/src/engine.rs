//! The engine's one public façade. The CLI and the desktop shell both go through [`Engine`]; neither
//! reads profile files or calls STS on its own.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::clock::{Clock, SystemClock};
use crate::credentials::Credentials;
use crate::env::{Env, Fs, ProcessEnv, RealFs};
use crate::error::{Error, Result};
use crate::files::{
    FileLocations, FileProblem, FileReport, FileState, CONFIG_FILE_VAR, CREDENTIALS_FILE_VAR,
};
use crate::keychain::{OsKeychain, SecretStore, SourceIndex, Sources};
use crate::profile::{
    botocore_rejections, parse, parse_lenient, skipped_sections, FileKind, ParseError, ParsedFile,
    ProfileKind, ProfileSet, Quirk, Rejectors,
};
use crate::resolve::{self, Base, Plan};
use crate::secret::Secret;
use crate::state::{Delivery, StateStore};

/// Serving sessions from the credentials file (`cached_session`, `renew`).
mod activation;
mod served;

/// One file as [`Engine::examine`] read it.
struct Examined {
    /// `false`: missing, read as empty.
    exists: bool,
    parsed: std::result::Result<ParsedFile, Unparseable>,
    /// Lines some AWS readers refuse.
    warnings: Vec<Quirk>,
}

/// A file neither the specification's reader nor botocore's leniency can read.
struct Unparseable {
    /// Where the specification's reader stopped (what other commands report).
    strict: ParseError,
    /// Where the lenient reader stopped: a line no AWS reader gets past.
    lenient: ParseError,
}

/// Where an MFA code comes from when a role needs one.
pub trait MfaPrompt: Send + Sync {
    /// Ask for the code for `serial` on behalf of `profile`; `None` if nobody can be asked.
    fn code(&self, profile: &str, serial: &str) -> Option<Secret>;
}

/// Nobody to ask: a role that needs a code fails with a clear error.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoMfaPrompt;

impl MfaPrompt for NoMfaPrompt {
    fn code(&self, _profile: &str, _serial: &str) -> Option<Secret> {
        None
    }
}

/// A code the user already gave (`login --mfa-code`, the desktop's dialog): used for this one
/// request, never kept.
#[derive(Debug)]
pub struct GivenCode(pub Secret);

impl MfaPrompt for GivenCode {
    fn code(&self, _profile: &str, _serial: &str) -> Option<Secret> {
        Some(self.0.clone())
    }
}

/// Options of one request for credentials.
#[derive(Debug, Clone, Default)]
pub struct CredentialRequest {
    /// Overrides the final role's `duration_seconds`.
    pub duration: Option<Duration>,
    /// Serve a keychain source's own long-term keys rather than a session token of them.
    pub long_term_keys: bool,
    /// Ask STS for a new role session even if the keychain holds a good one (`login`, "Refresh
    /// now"): the user asked for a renewal. An MFA session is still used.
    pub renew: bool,
}

impl CredentialRequest {
    /// This request with the length chosen for the session when it was activated, unless the
    /// request names one itself.
    pub(crate) fn or_chosen(&self, chosen: Option<Duration>) -> CredentialRequest {
        CredentialRequest {
            duration: self.duration.or(chosen),
            ..self.clone()
        }
    }
}

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

/// What the desktop and `status` show of a profile: never a secret.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ProfileSummary {
    pub name: String,
    pub kind: ProfileKind,
    pub role_arn: Option<String>,
    pub source_profile: Option<String>,
    pub mfa_serial: Option<String>,
    /// RoleKeeper keeps this profile's role definition (adopted from `~/.aws/config`).
    pub adopted: bool,
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

/// A session as `status` shows it: never a secret.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SessionStatus {
    pub name: String,
    /// ISO 8601 expiry of the credentials in the file.
    pub expires: Option<String>,
    /// Time left (zero once expired).
    #[serde(skip)]
    pub remaining: Option<Duration>,
    /// When the credentials in the file expire: what the refresh engine plans on.
    #[serde(skip)]
    pub expires_at: Option<SystemTime>,
    pub shadowed_by: Option<String>,
    pub delivery: Delivery,
    /// The session length chosen for it, in seconds, if any.
    pub duration_seconds: Option<u64>,
    /// How long the credentials delivered last, from delivery to expiry, when known: with the
    /// refresh lead, when the session is renewed (see `schedule::Renewal`).
    #[serde(skip)]
    pub length: Option<Duration>,
}

#[derive(Debug, Clone)]
pub struct Engine {
    env: Arc<dyn Env>,
    fs: Arc<dyn Fs>,
    clock: Arc<dyn Clock>,
    secrets: Arc<dyn SecretStore>,
}

impl Engine {
    /// The engine with the OS keychain (connected on first use) for keychain sources.
    pub fn new(env: Arc<dyn Env>, fs: Arc<dyn Fs>, clock: Arc<dyn Clock>) -> Self {
        Self {
            env,
            fs,
            clock,
            secrets: Arc::new(OsKeychain::new()),
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
            SourceIndex::in_dir(self.state_store().dir()),
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

    /// Read and merge both profile files. A missing file counts as empty. A file the
    /// specification rejects but botocore accepts is read as botocore reads it; such lines, and
    /// lines botocore rejects, come back as [`ProfileSet::warnings`].
    pub fn load_profiles(&self) -> Result<ProfileSet> {
        let locations = self.locations();
        let (config, mut warnings) = self.read_file(&locations.config, FileKind::Config)?;
        let (credentials, more) = self.read_file(&locations.credentials, FileKind::Credentials)?;
        warnings.extend(more);
        let mut set = ProfileSet::merge(&config, &credentials);
        set.add_warnings(warnings);
        Ok(set)
    }

    fn read_file(
        &self,
        path: &std::path::Path,
        kind: FileKind,
    ) -> Result<(ParsedFile, Vec<Quirk>)> {
        let examined = self.examine(path, kind)?;
        match examined.parsed {
            Ok(parsed) => Ok((parsed, examined.warnings)),
            Err(unparseable) => Err(Error::Parse(unparseable.strict)),
        }
    }

    /// Read one file the one way RoleKeeper reads files: strictly by the specification, else
    /// leniently as botocore does (recording what the SDKs refuse), keeping what both found.
    fn examine(&self, path: &std::path::Path, kind: FileKind) -> Result<Examined> {
        let bytes = self.fs.read(path).map_err(|cause| Error::Io {
            path: path.to_owned(),
            cause,
        })?;
        let exists = bytes.is_some();
        let bytes = bytes.unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        let mut warnings = botocore_rejections(path, &text);
        let parsed = match parse(path, kind, &text) {
            Ok(parsed) => Ok(parsed),
            Err(strict) => match parse_lenient(path, kind, &text) {
                Ok((parsed, quirks)) => {
                    warnings.extend(quirks);
                    Ok(parsed)
                }
                Err(lenient) => Err(Unparseable { strict, lenient }),
            },
        };
        if let Ok(parsed) = &parsed {
            warnings.extend(skipped_sections(parsed));
        }
        Ok(Examined {
            exists,
            parsed,
            warnings,
        })
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
        // An unreadable source index must not break profiles that use no keychain source.
        let sources = self.sources().names().unwrap_or_else(|error| {
            tracing::warn!(%error, "keychain sources ignored");
            Default::default()
        });
        resolve::resolve_with_sources(&self.load_profiles()?, name, &sources)
    }

    /// The profile `AWS_PROFILE` names, else `default`.
    pub fn default_profile(&self) -> String {
        self.env
            .non_empty("AWS_PROFILE")
            .unwrap_or_else(|| "default".to_owned())
    }

    /// Every profile, for menus and `status`.
    pub fn profiles(&self) -> Result<Vec<ProfileSummary>> {
        let set = self.load_profiles()?;
        Ok(set
            .profiles()
            .map(|p| ProfileSummary {
                name: p.name.clone(),
                kind: ProfileKind::of(p),
                role_arn: p.text("role_arn").map(str::to_owned),
                source_profile: p.text("source_profile").map(str::to_owned),
                mfa_serial: p.text("mfa_serial").map(str::to_owned),
                adopted: p.get("role_arn").is_some_and(|v| v.adopted),
            })
            .collect())
    }

    /// Obtain credentials for `name` now: the static keys, or each role of the chain in turn.
    pub async fn credentials(
        &self,
        name: &str,
        request: &CredentialRequest,
        mfa: &dyn MfaPrompt,
    ) -> Result<Credentials> {
        let request = request.or_chosen(self.chosen_duration(name)?);
        self.credentials_as_asked(name, &request, mfa).await
    }

    /// [`Engine::credentials`] with exactly `request`: no session length chosen earlier is
    /// applied (activation decides the length itself).
    pub(crate) async fn credentials_as_asked(
        &self,
        name: &str,
        request: &CredentialRequest,
        mfa: &dyn MfaPrompt,
    ) -> Result<Credentials> {
        if let Some(duration) = request.duration {
            resolve::validate_role_duration(duration).map_err(|why| Error::InvalidDuration {
                seconds: duration.as_secs(),
                why,
            })?;
        }
        // The MFA plan, the session cache and the chain: `mfa::obtain`.
        crate::mfa::obtain::obtain(self, self.plan(name)?, request, mfa).await
    }

    /// The credentials a chain starts from.
    pub(crate) fn base_credentials(&self, base: &Base) -> Result<Credentials> {
        match base {
            Base::Keys(keys) => Ok(Credentials {
                access_key_id: keys.access_key_id.clone(),
                secret_access_key: keys.secret_access_key.clone(),
                session_token: keys.session_token.clone(),
                expiration: None,
            }),
            Base::NamedSource {
                profile,
                source,
                origin,
            } if source == "Environment" => {
                let env = self.env.as_ref();
                match (
                    env.non_empty("AWS_ACCESS_KEY_ID"),
                    env.non_empty("AWS_SECRET_ACCESS_KEY"),
                ) {
                    (Some(id), Some(secret)) => Ok(Credentials {
                        access_key_id: id,
                        secret_access_key: Secret::new(secret),
                        session_token: env.non_empty("AWS_SESSION_TOKEN").map(Secret::new),
                        expiration: None,
                    }),
                    _ => Err(Error::EnvironmentCredentialsMissing {
                        profile: profile.clone(),
                        origin: origin.clone(),
                    }),
                }
            }
            Base::NamedSource {
                profile,
                source,
                origin,
            } => Err(Error::UnsupportedBase {
                profile: profile.clone(),
                origin: origin.to_string(),
                what: format!("credential_source = {source}"),
            }),
            Base::WebIdentity { profile, .. } => {
                Err(self.unsupported(profile, "web_identity_token_file"))
            }
            Base::Sso { profile, .. } => {
                Err(self.unsupported(profile, "IAM Identity Center (sso_*)"))
            }
            Base::Process {
                profile, origin, ..
            } => Err(Error::UnsupportedBase {
                profile: profile.clone(),
                origin: origin.to_string(),
                what: "credential_process".to_owned(),
            }),
            // Read asynchronously by `Sources::start` (the keychain blocks); not reached.
            Base::KeychainSource { name, .. } => Err(Error::UnknownSource { name: name.clone() }),
        }
    }

    fn unsupported(&self, profile: &str, what: &str) -> Error {
        let origin = self
            .load_profiles()
            .ok()
            .and_then(|set| {
                set.get(profile)
                    .and_then(|p| p.origin().map(ToString::to_string))
            })
            .unwrap_or_default();
        Error::UnsupportedBase {
            profile: profile.to_owned(),
            origin,
            what: what.to_owned(),
        }
    }

    pub fn state_store(&self) -> StateStore {
        StateStore::from_env(self.env.as_ref())
    }

    /// `rolekeeper-<unix seconds>`, like botocore's `botocore-session-<seconds>`.
    pub(crate) fn default_session_name(&self) -> String {
        let seconds = self
            .clock
            .now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        format!("rolekeeper-{seconds}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::env::{MapEnv, MemFs};

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
