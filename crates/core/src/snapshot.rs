//! One operation's view of everything RoleKeeper reads: the two AWS files, the state, the
//! settings with the environment's overrides, and the index of keychain sources. Each is read
//! (and parsed) at most once, when first needed, and never changes afterwards: a CLI command or a
//! batch of renewals decides everything from one snapshot. Only a commit re-reads, under the
//! credentials file's lock (`delivery`), because that read is the guard against other writers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::clock::Clock;
use crate::credentials::{parse_isoformat, Credentials};
use crate::credfile::managed::{fingerprint, ownership, Ownership};
use crate::credfile::Document;
use crate::env::{Env, Fs};
use crate::error::{Error, Result};
use crate::files::FileLocations;
use crate::keychain::{SourceIndex, SourceInfo};
use crate::profile::examine::examine_bytes;
use crate::profile::{FileKind, ProfileKind, ProfileSet};
use crate::request::CredentialRequest;
use crate::resolve::{self, Base, Plan};
use crate::schedule::{Policy, Renewal};
use crate::secret::Secret;
use crate::settings::SettingsStore;
use crate::state::{Delivery, State, StateError, StateStore};

/// Never hand out credentials with less than this left, whatever the lead: the caller must have
/// time to use them.
const MIN_LEFT: Duration = Duration::from_secs(60);

/// A file read failed: kept as its kind and words, so every later ask gets the same error.
#[derive(Debug, Clone)]
struct ReadFailure {
    path: PathBuf,
    kind: std::io::ErrorKind,
    message: String,
}

impl ReadFailure {
    fn error(&self) -> Error {
        Error::Io {
            path: self.path.clone(),
            cause: std::io::Error::new(self.kind, self.message.clone()),
        }
    }
}

/// Why the profile files cannot be used, kept to be told again.
#[derive(Debug, Clone)]
enum ProfilesFailure {
    Read(ReadFailure),
    Parse(crate::profile::ParseError),
}

/// What the desktop and `status` show of a profile: never a secret.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ProfileSummary {
    pub name: String,
    pub kind: ProfileKind,
    pub role_arn: Option<String>,
    pub source_profile: Option<String>,
    pub mfa_serial: Option<String>,
    /// An IAM Identity Center profile's account and role (`sso_account_id`, `sso_role_name`).
    pub sso_account_id: Option<String>,
    pub sso_role_name: Option<String>,
    /// RoleKeeper keeps this profile's role definition (adopted from `~/.aws/config`).
    pub adopted: bool,
    /// The profile's own `duration_seconds`, when it has a valid one.
    pub duration_seconds: Option<u64>,
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

/// See the module documentation. Built by [`crate::Engine::snapshot`].
pub struct Snapshot {
    env: Arc<dyn Env>,
    fs: Arc<dyn Fs>,
    clock: Arc<dyn Clock>,
    locations: FileLocations,
    /// The credentials file RoleKeeper writes (a symlink's target): what the state keys its
    /// record by.
    target: PathBuf,
    state_store: StateStore,
    settings: SettingsStore,
    index: SourceIndex,
    credentials_bytes: OnceLock<std::result::Result<Option<Vec<u8>>, ReadFailure>>,
    profiles: OnceLock<std::result::Result<ProfileSet, ProfilesFailure>>,
    credentials_doc: OnceLock<Document>,
    state: OnceLock<std::result::Result<State, StateError>>,
    policy: OnceLock<Policy>,
    sources: OnceLock<BTreeMap<String, SourceInfo>>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("locations", &self.locations)
            .finish_non_exhaustive()
    }
}

impl Snapshot {
    pub(crate) fn new(
        env: Arc<dyn Env>,
        fs: Arc<dyn Fs>,
        clock: Arc<dyn Clock>,
        state_store: StateStore,
        settings: SettingsStore,
        index: SourceIndex,
    ) -> Self {
        let locations = FileLocations::from_env(env.as_ref());
        let target = crate::credfile::write::resolve_target(&locations.credentials)
            .unwrap_or_else(|_| locations.credentials.clone());
        Self {
            env,
            fs,
            clock,
            locations,
            target,
            state_store,
            settings,
            index,
            credentials_bytes: OnceLock::new(),
            profiles: OnceLock::new(),
            credentials_doc: OnceLock::new(),
            state: OnceLock::new(),
            policy: OnceLock::new(),
            sources: OnceLock::new(),
        }
    }

    pub fn env(&self) -> &dyn Env {
        self.env.as_ref()
    }

    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// The file system the operation reads and writes through.
    pub fn fs(&self) -> &dyn Fs {
        self.fs.as_ref()
    }

    pub fn locations(&self) -> &FileLocations {
        &self.locations
    }

    /// The credentials file RoleKeeper writes (a symlink's target).
    pub fn credentials_target(&self) -> &Path {
        &self.target
    }

    fn read(&self, path: &Path) -> std::result::Result<Option<Vec<u8>>, ReadFailure> {
        self.fs.read(path).map_err(|e| ReadFailure {
            path: path.to_owned(),
            kind: e.kind(),
            message: e.to_string(),
        })
    }

    /// The credentials file's bytes, read once: both the profiles and `cached_session` use them.
    fn credentials_bytes_once(&self) -> std::result::Result<Option<&[u8]>, &ReadFailure> {
        self.credentials_bytes
            .get_or_init(|| self.read(&self.locations.credentials))
            .as_ref()
            .map(Option::as_deref)
    }

    fn credentials_bytes(&self) -> Result<Option<&[u8]>> {
        self.credentials_bytes_once().map_err(ReadFailure::error)
    }

    /// Both profile files, merged as the AWS tools merge them (see
    /// [`crate::Engine::load_profiles`]).
    pub fn profiles(&self) -> Result<&ProfileSet> {
        self.profiles
            .get_or_init(|| self.load_profiles())
            .as_ref()
            .map_err(|failure| match failure {
                ProfilesFailure::Read(read) => read.error(),
                ProfilesFailure::Parse(parse) => Error::Parse(parse.clone()),
            })
    }

    fn load_profiles(&self) -> std::result::Result<ProfileSet, ProfilesFailure> {
        // The config file is read here only (the profiles are read once); the credentials file's
        // bytes are kept for `cached_session` too.
        let config = self
            .read(&self.locations.config)
            .map_err(ProfilesFailure::Read)?;
        let config = examine_bytes(&self.locations.config, FileKind::Config, config.as_deref());
        let (config, mut warnings) = config.usable().map_err(ProfilesFailure::Parse)?;
        let credentials = self
            .credentials_bytes_once()
            .map_err(|e| ProfilesFailure::Read(e.clone()))?;
        let credentials = examine_bytes(
            &self.locations.credentials,
            FileKind::Credentials,
            credentials,
        );
        let (credentials, more) = credentials.usable().map_err(ProfilesFailure::Parse)?;
        warnings.extend(more);
        let mut set = ProfileSet::merge(&config, &credentials);
        set.add_warnings(warnings);
        Ok(set)
    }

    /// RoleKeeper's state.
    pub fn state(&self) -> Result<&State> {
        self.state
            .get_or_init(|| self.state_store.load())
            .as_ref()
            .map_err(|e| Error::State(e.clone()))
    }

    /// The refresh policy in effect: the settings, with `ROLEKEEPER_REFRESH_BEFORE`.
    pub fn policy(&self) -> Policy {
        *self
            .policy
            .get_or_init(|| Policy::effective(self.settings.load(), self.env.as_ref()))
    }

    /// The keychain sources the index lists (no keychain access). An index that cannot be read is
    /// logged and counts as none: it must not break profiles that use no keychain source.
    pub fn sources(&self) -> &BTreeMap<String, SourceInfo> {
        // Said once per operation, not once per plan of a batch.
        self.sources.get_or_init(|| match self.index.all() {
            Ok(sources) => sources,
            Err(error) => {
                tracing::warn!(%error, "keychain sources ignored");
                BTreeMap::new()
            }
        })
    }

    /// How `name`'s credentials would be obtained, with a keychain source's MFA device and
    /// region as the defaults of the role assumed with its keys.
    pub fn plan(&self, name: &str) -> Result<Plan> {
        let sources = self.sources();
        let names: BTreeSet<String> = sources.keys().cloned().collect();
        let mut plan = resolve::resolve_with_sources(self.profiles()?, name, &names)?;
        if let Base::KeychainSource { name, .. } = &plan.base {
            if let Some(info) = sources.get(name) {
                if let Some(first) = plan.roles.first_mut() {
                    if first.mfa_serial.is_none() {
                        first.mfa_serial = info.mfa_serial.clone();
                    }
                }
                if plan.region.is_none() {
                    plan.region = info.region.clone();
                }
            }
        }
        Ok(plan)
    }

    /// `asked` completed with the session length chosen for `name` when it was activated,
    /// unless it names one itself.
    pub fn request_for(&self, name: &str, asked: &CredentialRequest) -> Result<CredentialRequest> {
        let chosen = self
            .state()?
            .choices
            .get(name)
            .and_then(|c| c.duration_seconds)
            .map(Duration::from_secs);
        Ok(asked.or_chosen(chosen))
    }

    /// Whether `name` is a session RoleKeeper keeps fresh.
    pub fn is_active(&self, name: &str) -> Result<bool> {
        Ok(self.state()?.active.contains(name))
    }

    /// How `name` is delivered (file unless chosen otherwise).
    pub fn delivery_of(&self, name: &str) -> Result<Delivery> {
        Ok(self.state()?.choice(name).delivery)
    }

    /// How long a kept session (an MFA session, a role session in the keychain or in memory)
    /// must still be valid to be used: more than the refresh lead, so the refresh engine, which
    /// asks at expiry minus the lead, always gets a new one, and a minute more so that what is
    /// handed out is not about to be renewed.
    pub fn cache_margin(&self) -> Duration {
        self.policy().lead + MIN_LEFT
    }

    /// How long credentials of a session lasting `length` (when known) must still be valid to be
    /// served: as long before expiry as the refresh engine renews them (the lead, or half the
    /// length when the lead is not shorter than the session), at least a minute. Serving nothing
    /// the refresh engine would already renew keeps every caller on the same schedule.
    pub fn serving_margin(&self, length: Option<Duration>) -> Duration {
        Renewal::of(self.policy().lead, length)
            .before_expiry
            .max(MIN_LEFT)
    }

    /// Every profile, for menus and `status`.
    pub fn profile_summaries(&self) -> Result<Vec<ProfileSummary>> {
        Ok(self
            .profiles()?
            .profiles()
            .map(|p| ProfileSummary {
                name: p.name.clone(),
                kind: ProfileKind::of(p),
                role_arn: p.text("role_arn").map(str::to_owned),
                source_profile: p.text("source_profile").map(str::to_owned),
                mfa_serial: p.text("mfa_serial").map(str::to_owned),
                sso_account_id: p.text("sso_account_id").map(str::to_owned),
                sso_role_name: p.text("sso_role_name").map(str::to_owned),
                adopted: p.get("role_arn").is_some_and(|v| v.adopted),
                // A bad value is refused with its line when the role is assumed; here it only
                // names a default, so it is left out rather than failing the whole list.
                duration_seconds: p
                    .text("duration_seconds")
                    .and_then(|t| t.trim().parse().ok()),
            })
            .collect())
    }

    /// Where `~/.aws/config` defines `name` in a way that makes the AWS tools ignore the
    /// credentials file, e.g. `role_arn at ~/.aws/config, line 2`; `None` when nothing does or the
    /// profile files cannot be read.
    pub fn shadowed_by(&self, name: &str) -> Option<String> {
        let set = self.profiles().ok()?;
        crate::delivery::shadowed_by(set, name).map(|(origin, key)| format!("{key} at {origin}"))
    }

    /// Every session RoleKeeper delivers, with its expiry and how it is delivered, from the state
    /// alone: `shadowed_by` is left out (see [`Snapshot::sessions`]).
    pub fn sessions_in_state(&self) -> Result<Vec<SessionStatus>> {
        let state = self.state()?;
        let now = self.clock.now();
        let record = state.files.get(&self.target.display().to_string());
        Ok(state
            .active
            .iter()
            .map(|name| {
                let choice = state.choice(name);
                let (expires, issued) = match choice.delivery {
                    Delivery::File => record
                        .and_then(|r| r.sections.get(name))
                        .map(|e| (e.expires.clone(), e.issued.clone()))
                        .unwrap_or_default(),
                    Delivery::Process => (choice.expires.clone(), choice.issued.clone()),
                };
                let expires_at = expires.as_deref().and_then(parse_isoformat);
                let issued_at = issued.as_deref().and_then(parse_isoformat);
                let length = expires_at
                    .zip(issued_at)
                    .and_then(|(expires, issued)| expires.duration_since(issued).ok());
                let remaining = expires_at.map(|at| at.duration_since(now).unwrap_or_default());
                SessionStatus {
                    name: name.clone(),
                    expires,
                    remaining,
                    expires_at,
                    shadowed_by: None,
                    delivery: choice.delivery,
                    duration_seconds: choice.duration_seconds,
                    length,
                }
            })
            .collect())
    }

    /// [`Snapshot::sessions_in_state`] with who shadows whom. A profile file that cannot be read
    /// does not hide the sessions (each renewal then says what is wrong with its profile); only
    /// the shadowing is unknown meanwhile.
    pub fn sessions(&self) -> Result<Vec<SessionStatus>> {
        let mut sessions = self.sessions_in_state()?;
        for session in &mut sessions {
            session.shadowed_by = self.shadowed_by(&session.name);
        }
        Ok(sessions)
    }

    /// The active session `name` as the credentials file holds it, if it is still valid for more
    /// than [`Snapshot::serving_margin`]. `Ok(None)` when `name` is not active, its section is
    /// missing, was edited by someone else, or is about to expire: the caller then obtains new
    /// credentials. Reads the state, the settings and the credentials file; never calls STS.
    pub fn cached_session(&self, name: &str) -> Result<Option<Credentials>> {
        let state = self.state()?;
        if !state.active.contains(name) {
            return Ok(None);
        }
        let Some(entry) = state
            .files
            .get(&self.target.display().to_string())
            .and_then(|record| record.sections.get(name))
        else {
            return Ok(None);
        };
        // Long-term keys are never written as sessions; no expiry means nothing to trust.
        let Some(expires) = entry.expires.as_deref().and_then(parse_isoformat) else {
            return Ok(None);
        };
        let left = expires.duration_since(self.clock.now()).unwrap_or_default();
        let length = entry
            .issued
            .as_deref()
            .and_then(parse_isoformat)
            .and_then(|issued| expires.duration_since(issued).ok());
        if left <= self.serving_margin(length) {
            return Ok(None);
        }
        let bytes = self.credentials_bytes()?;
        let doc = self
            .credentials_doc
            .get_or_init(|| Document::parse(bytes.unwrap_or_default()));
        let Ownership::Managed(span) = ownership(doc, name) else {
            return Ok(None);
        };
        // The expiry in the state file belongs to exactly the section RoleKeeper last wrote: a
        // section edited since, or written by a refresh whose state is not saved yet, is not
        // served (the caller obtains new credentials instead).
        if fingerprint(&doc.span_text(&span)) != entry.record.fingerprint {
            return Ok(None);
        }
        let mut key_id = None;
        let mut secret = None;
        let mut token = None;
        for line in span.header + 1..span.end {
            let text = doc.line_text(line);
            let Some((key, value)) = text.split_once('=') else {
                continue;
            };
            let value = value.trim();
            match key.trim() {
                "aws_access_key_id" => key_id = Some(value.to_owned()),
                "aws_secret_access_key" => secret = Some(Secret::new(value)),
                "aws_session_token" => token = Some(Secret::new(value)),
                _ => {}
            }
        }
        Ok(match (key_id, secret) {
            (Some(access_key_id), Some(secret_access_key)) => Some(Credentials {
                access_key_id,
                secret_access_key,
                session_token: token,
                expiration: Some(expires),
            }),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::clock::ManualClock;
    use crate::env::{MapEnv, MemFs};
    use crate::keychain::{MemoryStore, Source};
    use crate::secret::Secret;
    use crate::Engine;

    #[tokio::test]
    async fn a_plan_starting_at_a_source_has_its_device_and_region_as_defaults() {
        let role =
            "[profile r]\nrole_arn = arn:aws:iam::123456789012:role/R\nsource_profile = dev\n";
        // (the role's own mfa_serial and region lines, what the plan ends up with)
        let table = [
            ("", "arn:aws:iam::123456789012:mfa/alice", "eu-west-1"),
            (
                "mfa_serial = GAHT12345678\nregion = us-west-2\n",
                "GAHT12345678",
                "us-west-2",
            ),
        ];
        for (own, mfa, region) in table {
            let fs = MemFs::default().with("/h/.aws/config", &format!("{role}{own}"));
            let engine = Engine::new(
                Arc::new(MapEnv::default().with("HOME", "/h")),
                Arc::new(fs),
                Arc::new(ManualClock::new(std::time::UNIX_EPOCH)),
            )
            .with_secret_store(Arc::new(MemoryStore::default()));
            engine
                .sources()
                .add(Source {
                    name: "dev".into(),
                    access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
                    secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                    mfa_serial: Some("arn:aws:iam::123456789012:mfa/alice".into()),
                    region: Some("eu-west-1".into()),
                })
                .await
                .expect("add");
            let plan = engine.snapshot().plan("r").expect("plan");
            assert_eq!(plan.roles[0].mfa_serial.as_deref(), Some(mfa), "{own}");
            assert_eq!(plan.region.as_deref(), Some(region), "{own}");
        }
    }
}
