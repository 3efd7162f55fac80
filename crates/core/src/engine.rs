//! The engine's one public façade. The CLI and the desktop shell both go through [`Engine`]; neither
//! reads profile files or calls STS on its own.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::clock::{Clock, SystemClock};
use crate::credentials::Credentials;
use crate::delivery;
use crate::env::{Env, Fs, ProcessEnv, RealFs};
use crate::error::{Error, Result};
use crate::files::FileLocations;
use crate::profile::{
    botocore_rejections, parse, parse_lenient, FileKind, ParsedFile, ProfileSet, Quirk,
};
use crate::resolve::{self, Base, Plan};
use crate::secret::Secret;
use crate::state::StateStore;
use crate::sts::{AssumeRoleRequest, Sts, StsSettings};

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

/// Options of one request for credentials.
#[derive(Debug, Clone, Default)]
pub struct CredentialRequest {
    /// Overrides the final role's `duration_seconds`.
    pub duration: Option<Duration>,
}

/// How `activate` may treat existing files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivateOptions {
    /// Take over a credentials-file section RoleKeeper did not write, or one edited since.
    pub force: bool,
    /// Adopt a role profile of the same name in `~/.aws/config` (else it stays, shadowing).
    pub adopt: bool,
}

impl Default for ActivateOptions {
    fn default() -> Self {
        Self {
            force: false,
            adopt: true,
        }
    }
}

/// What the desktop and `status` show of a profile: never a secret.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ProfileSummary {
    pub name: String,
    /// `static`, `role`, or `other`.
    pub kind: &'static str,
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
    pub shadowed_by: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Engine {
    env: Arc<dyn Env>,
    fs: Arc<dyn Fs>,
    clock: Arc<dyn Clock>,
}

impl Engine {
    pub fn new(env: Arc<dyn Env>, fs: Arc<dyn Fs>, clock: Arc<dyn Clock>) -> Self {
        Self { env, fs, clock }
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
        let bytes = self
            .fs
            .read(path)
            .map_err(|cause| Error::Io {
                path: path.to_owned(),
                cause,
            })?
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        let mut warnings = botocore_rejections(path, &text);
        let parsed = match parse(path, kind, &text) {
            Ok(parsed) => parsed,
            Err(strict) => match parse_lenient(path, kind, &text) {
                Ok((parsed, quirks)) => {
                    warnings.extend(quirks);
                    parsed
                }
                Err(_) => return Err(Error::Parse(strict)),
            },
        };
        Ok((parsed, warnings))
    }

    /// How `name`'s credentials would be obtained.
    pub fn plan(&self, name: &str) -> Result<Plan> {
        resolve::resolve(&self.load_profiles()?, name)
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
            .map(|p| {
                let role_arn = p.text("role_arn").map(str::to_owned);
                let kind = if role_arn.is_some() {
                    "role"
                } else if p.text("aws_access_key_id").is_some() {
                    "static"
                } else {
                    "other"
                };
                ProfileSummary {
                    name: p.name.clone(),
                    kind,
                    role_arn,
                    source_profile: p.text("source_profile").map(str::to_owned),
                    mfa_serial: p.text("mfa_serial").map(str::to_owned),
                    adopted: p.get("role_arn").is_some_and(|v| v.adopted),
                }
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
        if let Some(duration) = request.duration {
            resolve::validate_role_duration(duration).map_err(|why| Error::InvalidDuration {
                seconds: duration.as_secs(),
                why,
            })?;
        }
        let plan = self.plan(name)?;
        let mut current = self.base_credentials(&plan.base)?;
        let last = plan.roles.len().saturating_sub(1);
        for (index, step) in plan.roles.iter().enumerate() {
            let region = step.region.as_deref().or(plan.region.as_deref());
            let settings = StsSettings::from_env(self.env.as_ref(), region);
            let mfa_code = match &step.mfa_serial {
                None => None,
                Some(serial) => {
                    let code = mfa.code(&step.profile, serial).ok_or_else(|| {
                        Error::MfaCodeUnavailable {
                            profile: step.profile.clone(),
                            serial: serial.clone(),
                        }
                    })?;
                    let digits = code.expose().trim();
                    if digits.len() != 6 || !digits.chars().all(|c| c.is_ascii_digit()) {
                        return Err(Error::MfaCodeMalformed {
                            profile: step.profile.clone(),
                            length: digits.len(),
                        });
                    }
                    Some((serial.clone(), Secret::new(digits)))
                }
            };
            let duration = if index == last {
                request.duration.or(step.duration)
            } else {
                step.duration
            };
            let assume = AssumeRoleRequest {
                role_arn: step.role_arn.clone(),
                session_name: step
                    .session_name
                    .clone()
                    .unwrap_or_else(|| self.default_session_name()),
                external_id: step.external_id.clone(),
                duration,
                mfa: mfa_code,
            };
            tracing::debug!(profile = %step.profile, role_arn = %step.role_arn, ?duration, "assuming role");
            current = Sts::new(&settings, &current)
                .assume_role(&assume)
                .await
                .map_err(|cause| Error::Sts {
                    profile: step.profile.clone(),
                    cause,
                })?;
        }
        Ok(current)
    }

    /// The credentials a chain starts from.
    fn base_credentials(&self, base: &Base) -> Result<Credentials> {
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

    /// Obtain `name`'s credentials now, write them as a managed section of the credentials file,
    /// and mark the session active so the running engine keeps it fresh.
    pub async fn activate(
        &self,
        name: &str,
        request: &CredentialRequest,
        mfa: &dyn MfaPrompt,
        options: ActivateOptions,
    ) -> Result<Activation> {
        let credentials = self.credentials(name, request, mfa).await?;
        let locations = self.locations();
        let stamp = delivery::stamp(self.clock.now());
        let written = delivery::write_session(
            &locations.credentials,
            &self.state_store(),
            name,
            &credentials,
            options.force,
            &stamp,
        )?;
        // The credentials are in place before the config stops defining the role, so the AWS
        // tools never see the profile without a way to get credentials.
        let mut adopted = Vec::new();
        let set = self.load_profiles()?;
        if options.adopt && delivery::shadowed_by(&set, name).is_some() {
            adopted = delivery::adopt_profile(&locations.config, name)?;
        }
        let shadowed_by = delivery::shadowed_by(&self.load_profiles()?, name)
            .map(|(origin, key)| format!("{key} at {origin}"));
        Ok(Activation {
            name: name.to_owned(),
            expiration: credentials.expiration,
            credentials_path: written.target,
            backup: written.backup,
            adopted,
            config_path: locations.config,
            shadowed_by,
        })
    }

    /// Remove `name`'s managed section (giving back the file's earlier bytes) and stop keeping
    /// it fresh. `Ok(false)` if the file had no such section.
    pub fn deactivate(&self, name: &str, force: bool) -> Result<bool> {
        let stamp = delivery::stamp(self.clock.now());
        // The role definition comes back first, so the AWS tools can resolve the profile
        // themselves before RoleKeeper's credentials leave.
        delivery::release_profile(&self.locations().config, name)?;
        delivery::remove_session(
            &self.locations().credentials,
            &self.state_store(),
            name,
            force,
            &stamp,
        )
    }

    /// Every session RoleKeeper delivers, with its expiry.
    pub fn sessions(&self) -> Result<Vec<SessionStatus>> {
        let state = self.state_store().load()?;
        let set = self.load_profiles()?;
        let now = self.clock.now();
        let target = crate::credfile::write::resolve_target(&self.locations().credentials)
            .unwrap_or_else(|_| self.locations().credentials);
        let record = state.files.get(&target.display().to_string());
        Ok(state
            .active
            .iter()
            .map(|name| {
                let expires = record
                    .and_then(|r| r.sections.get(name))
                    .and_then(|e| e.expires.clone());
                let remaining = expires
                    .as_deref()
                    .and_then(crate::credentials::parse_isoformat)
                    .map(|at| at.duration_since(now).unwrap_or_default());
                SessionStatus {
                    name: name.clone(),
                    expires,
                    remaining,
                    shadowed_by: delivery::shadowed_by(&set, name)
                        .map(|(origin, key)| format!("{key} at {origin}")),
                }
            })
            .collect())
    }

    /// `rolekeeper-<unix seconds>`, like botocore's `botocore-session-<seconds>`.
    fn default_session_name(&self) -> String {
        let seconds = self
            .clock
            .now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        format!("rolekeeper-{seconds}")
    }
}
