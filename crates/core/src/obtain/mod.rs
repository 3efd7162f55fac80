//! Obtaining a plan's credentials: a session held in memory or kept in the keychain while it is
//! good; else the chain, each role past MFA by its plan ([`crate::mfa::plan`]), and the new
//! session held (and kept) for the next ask.
//!
//! It takes data, not the façade: a [`Job`] (the plan, the completed request, where to keep the
//! result) and an [`Obtainer`] (the operation's [`Snapshot`] and the stores). Nothing here
//! imports `engine`.

mod base;
mod held;

use std::time::{Duration, UNIX_EPOCH};

pub(crate) use base::base_credentials;
pub use held::{Flight, Held};

use crate::credentials::Credentials;
use crate::error::{Error, Result};
use crate::keychain::Sources;
use crate::mfa::cache::{mfa_entry, session_entry, token_entry, SessionCache};
use crate::mfa::code::{code_for, forget_rejected, remember_rejected};
use crate::mfa::plan::{choose, StepFacts, StepMfa};
use crate::request::{CredentialRequest, MfaPrompt};
use crate::resolve::{Base, Plan};
use crate::secret::Secret;
use crate::snapshot::Snapshot;
use crate::state::Delivery;
use crate::sts::{
    AssumeRoleRequest, SessionTokenRequest, Sts, StsError, StsErrorKind, StsSettings,
    DEFAULT_SESSION_TOKEN_DURATION,
};

/// What obtaining needs besides the plan: the operation's snapshot (environment, clock, files,
/// policy, profiles) and where sessions are held and kept.
#[derive(Debug)]
pub struct Obtainer<'a> {
    pub snapshot: &'a Snapshot,
    /// Keychain sources' keys.
    pub sources: Sources,
    /// Sessions kept in the keychain, across processes and restarts.
    pub cache: SessionCache,
    /// Sessions held by this process, and its single flights.
    pub held: &'a Held,
}

/// Where a new role session is kept besides this process's memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keep {
    /// In the keychain, for the next process: every role session except one the credentials
    /// file already holds (an active session delivered by file), so no `credential-process`,
    /// `export` or `exec` calls STS again while the session is good.
    pub keychain: bool,
}

impl Keep {
    pub fn for_session(snapshot: &Snapshot, plan: &Plan) -> Keep {
        let in_file = snapshot.is_active(&plan.profile).unwrap_or(false)
            && snapshot
                .delivery_of(&plan.profile)
                .is_ok_and(|d| d == Delivery::File);
        Keep { keychain: !in_file }
    }
}

/// What [`obtain`] got: the credentials, and whether they are new from STS (then an active
/// session's delivery must be updated) or a session held or kept earlier.
#[derive(Debug)]
pub struct Obtained {
    pub credentials: Credentials,
    pub new: bool,
}

impl Obtained {
    fn new(credentials: Credentials) -> Self {
        Self {
            credentials,
            new: true,
        }
    }

    fn kept(credentials: Credentials) -> Self {
        Self {
            credentials,
            new: false,
        }
    }
}

/// One ask for credentials: the plan, the request completed with the session's chosen length,
/// and where to keep what is obtained.
#[derive(Debug)]
pub struct Job {
    pub plan: Plan,
    pub request: CredentialRequest,
    pub keep: Keep,
}

impl Obtainer<'_> {
    /// The session `entry` if this process holds it, else if the keychain keeps it (then it is
    /// held from now on), for `bound`, with more than `margin` left.
    async fn kept(
        &self,
        entry: &str,
        bound: &str,
        keychain: bool,
        margin: Duration,
    ) -> Option<Credentials> {
        let now = self.snapshot.clock().now();
        if let Some(held) = self.held.fresh(entry, bound, now, margin) {
            return Some(held);
        }
        if !keychain {
            return None;
        }
        let kept = self.cache.fresh(entry, bound, now, margin).await?;
        self.held.put(entry, bound, &kept);
        Some(kept)
    }

    async fn keep(&self, entry: &str, bound: &str, credentials: &Credentials, keychain: bool) {
        self.held.put(entry, bound, credentials);
        if keychain {
            self.cache.put(entry, bound, credentials).await;
        }
    }

    async fn forget(&self, entry: &str) {
        self.held.forget(entry);
        self.cache.forget(entry).await;
    }

    /// `rolekeeper-<unix seconds>`, like botocore's `botocore-session-<seconds>`.
    fn default_session_name(&self) -> String {
        let seconds = self
            .snapshot
            .clock()
            .now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        format!("rolekeeper-{seconds}")
    }

    /// What the SSO code needs of this operation.
    pub(crate) fn sso(&self) -> crate::sso::SsoDeps<'_> {
        crate::sso::SsoDeps {
            env: self.snapshot.env(),
            fs: self.snapshot.fs(),
            clock: self.snapshot.clock(),
            store: self.cache.store(),
            held: self.held,
        }
    }

    /// The keys a plan starts from: a keychain source's, an IAM Identity Center role's (signing
    /// in when `prompt` can and must), or the base's own.
    async fn start(&self, plan: &Plan, prompt: &dyn MfaPrompt) -> Result<Credentials> {
        match &plan.base {
            Base::Sso { role, .. } => {
                let sign_in = prompt.sign_in();
                crate::sso::keeper::role_credentials(&self.sso(), role, sign_in.as_ref()).await
            }
            Base::KeychainSource { name, .. } => {
                let source = self.sources.get(name).await?;
                Ok(Credentials {
                    access_key_id: source.access_key_id,
                    secret_access_key: source.secret_access_key,
                    session_token: None,
                    expiration: None,
                })
            }
            base => base_credentials(base, self.snapshot.env(), self.snapshot.profiles().ok()),
        }
    }
}

/// What a role session is obtained for: its files, STS endpoint, source and roles. A kept session
/// bound to anything else (other files, keys replaced, profile edited, another duration asked
/// for) is not used: the keychain is one per user, profiles are per file.
pub fn session_bound(snapshot: &Snapshot, plan: &Plan, request: &CredentialRequest) -> String {
    let source = match &plan.base {
        Base::Keys(keys) => format!("keys:{}", keys.access_key_id),
        Base::KeychainSource { name, .. } => format!("source:{name}"),
        Base::NamedSource { source, .. } => format!(
            "{source}:{}",
            snapshot
                .env()
                .non_empty("AWS_ACCESS_KEY_ID")
                .unwrap_or_default()
        ),
        Base::Sso { role, .. } => format!(
            "sso:{}|{}|{}|{:?}",
            role.session.label(),
            role.account_id,
            role.role_name,
            crate::sso::service::SsoEndpoints::from_env(snapshot.env(), &role.session.region)
                .portal
        ),
        _ => "other".to_owned(),
    };
    let roles: Vec<&str> = plan.roles.iter().map(|r| r.role_arn.as_str()).collect();
    let duration = request
        .duration
        .or(plan.final_role().and_then(|r| r.duration));
    let files = snapshot.locations();
    let endpoint = StsSettings::from_env(snapshot.env(), plan.region.as_deref()).endpoint_url;
    format!(
        "{}|{}|{endpoint:?}|{source}|{}|{duration:?}",
        files.config.display(),
        files.credentials.display(),
        roles.join(",")
    )
}

/// How long a role session held or kept must still be valid to be used again: as long as the
/// refresh engine would have left it (the lead, or half the session's length when the lead is not
/// shorter: a 15-min role under a 15-min lead is reused for its first 7.5 min, not never).
pub fn role_session_margin(
    snapshot: &Snapshot,
    plan: &Plan,
    request: &CredentialRequest,
) -> Duration {
    let length = request
        .duration
        .or(plan.final_role().and_then(|r| r.duration))
        .unwrap_or(DEFAULT_ROLE_DURATION);
    snapshot.serving_margin(Some(length))
}

/// What STS gives a role when no length is asked for.
const DEFAULT_ROLE_DURATION: Duration = Duration::from_secs(3600);

/// The name an MFA session is kept under: the keychain source or the profile whose long-term keys
/// start the chain. `None` when the chain starts at temporary credentials, which cannot call
/// `GetSessionToken`.
fn source_name(plan: &Plan) -> Option<&str> {
    match &plan.base {
        Base::KeychainSource { name, .. } => Some(name),
        Base::Keys(keys) if keys.session_token.is_none() => Some(&keys.from),
        _ => None,
    }
}

/// The role session held or kept for `plan`, if it was obtained for the same request and has more
/// than `margin` left: what `credential-process` serves between the refresh engine's renewals.
pub(crate) async fn kept_role_session(
    o: &Obtainer<'_>,
    plan: &Plan,
    request: &CredentialRequest,
    margin: Duration,
) -> Option<Credentials> {
    if !plan.is_session() {
        return None;
    }
    let entry = session_entry(&plan.profile);
    let bound = session_bound(o.snapshot, plan, request);
    let now = o.snapshot.clock().now();
    if let Some(held) = o.held.fresh(&entry, &bound, now, margin) {
        return Some(held);
    }
    o.cache.fresh(&entry, &bound, now, margin).await
}

/// The credentials `job` asks for. See the module documentation.
pub async fn obtain(o: &Obtainer<'_>, job: Job, prompt: &dyn MfaPrompt) -> Result<Obtained> {
    let Job {
        plan,
        request,
        keep,
    } = job;
    if !plan.is_session() {
        if let Base::KeychainSource { name, .. } = &plan.base {
            if !request.long_term_keys {
                return source_session(o, name, &plan, &request, prompt)
                    .await
                    .map(Obtained::new);
            }
        }
        return o.start(&plan, prompt).await.map(Obtained::new);
    }
    let entry = session_entry(&plan.profile);
    let bound = session_bound(o.snapshot, &plan, &request);
    // One ask at a time per session in this process: a second (the desktop's Refresh now during
    // a batch, two SDK processes served by the engine) waits and then finds the first's result.
    let _flight = o.held.flight(&entry).await;
    if !request.renew {
        let margin = role_session_margin(o.snapshot, &plan, &request);
        if let Some(kept) = o.kept(&entry, &bound, keep.keychain, margin).await {
            tracing::debug!(profile = %plan.profile, "kept session used");
            return Ok(Obtained::kept(kept));
        }
    }
    let mut current = o.start(&plan, prompt).await?;
    let source = source_name(&plan).map(str::to_owned);
    let last = plan.roles.len().saturating_sub(1);
    for (index, step) in plan.roles.iter().enumerate() {
        let duration = if index == last {
            request.duration.or(step.duration)
        } else {
            step.duration
        };
        let choice = choose(StepFacts {
            serial: step.mfa_serial.as_deref(),
            duration,
            from_long_term_keys: index == 0 && source.is_some(),
        });
        let region = step.region.as_deref().or(plan.region.as_deref());
        let settings = StsSettings::from_env(o.snapshot.env(), region);
        let mut mfa_session = None;
        // One code per device at a time: held across the code and the call that spends it.
        let mut _device = None;
        let mfa = match choice {
            StepMfa::None => None,
            StepMfa::WithCode { serial } => {
                _device = Some(o.held.flight(&format!("code:{serial}")).await);
                let code =
                    code_for(&step.profile, &serial, prompt, step.mfa_process.as_deref()).await?;
                Some((serial, code))
            }
            StepMfa::ViaMfaSession { serial } => {
                let name = source.as_deref().unwrap_or(&plan.profile);
                let entry = mfa_entry(name, &serial);
                let asking = TokenAsk {
                    profile: &step.profile,
                    entry: &entry,
                    serial: Some(&serial),
                    duration: DEFAULT_SESSION_TOKEN_DURATION,
                    mfa_process: step.mfa_process.as_deref(),
                };
                current = get_session_token(o, &asking, &current, &settings, prompt).await?;
                mfa_session = Some(entry);
                None
            }
        };
        let assume = AssumeRoleRequest {
            role_arn: step.role_arn.clone(),
            session_name: step
                .session_name
                .clone()
                .unwrap_or_else(|| o.default_session_name()),
            external_id: step.external_id.clone(),
            duration,
            mfa: mfa.clone(),
        };
        tracing::debug!(profile = %step.profile, role_arn = %step.role_arn, ?duration, via_mfa_session = mfa_session.is_some(), "assuming role");
        match Sts::new(&settings, &current).assume_role(&assume).await {
            Ok(credentials) => {
                if let Some((serial, _)) = &mfa {
                    forget_rejected(serial);
                }
                current = credentials;
            }
            Err(cause) => {
                if let Some((serial, code)) = &mfa {
                    if cause.kind == StsErrorKind::AccessDenied {
                        remember_rejected(serial, code);
                    }
                }
                // An MFA session STS no longer honours (revoked, keys deactivated): the next
                // attempt asks for a code instead of failing the same way.
                if let Some(entry) = &mfa_session {
                    if cause.kind == StsErrorKind::InvalidCredentials {
                        o.forget(entry).await;
                    }
                }
                return Err(sts_error(&step.profile, mfa.as_ref(), cause));
            }
        }
    }
    o.keep(&entry, &bound, &current, keep.keychain).await;
    Ok(Obtained::new(current))
}

/// A keychain source served on its own (`credential_process = rolekeeper credential-process
/// SOURCE`, `export SOURCE`): a session token, never its long-term keys unless asked for. With
/// an MFA device, it is the source's MFA session (the one its roles are assumed from, so one code
/// serves both); without, a `GetSessionToken` of its own. Both are kept in the keychain.
async fn source_session(
    o: &Obtainer<'_>,
    name: &str,
    plan: &Plan,
    request: &CredentialRequest,
    prompt: &dyn MfaPrompt,
) -> Result<Credentials> {
    let source = o.sources.get(name).await?;
    let keys = Credentials {
        access_key_id: source.access_key_id.clone(),
        secret_access_key: source.secret_access_key.clone(),
        session_token: None,
        expiration: None,
    };
    let region = plan.region.as_deref().or(source.region.as_deref());
    let settings = StsSettings::from_env(o.snapshot.env(), region);
    let (entry, duration) = match &source.mfa_serial {
        // The MFA session roles share: always the default length, whatever was asked.
        Some(serial) => (mfa_entry(name, serial), DEFAULT_SESSION_TOKEN_DURATION),
        None => (
            token_entry(name),
            request.duration.unwrap_or(DEFAULT_SESSION_TOKEN_DURATION),
        ),
    };
    let asking = TokenAsk {
        profile: &plan.profile,
        entry: &entry,
        serial: source.mfa_serial.as_deref(),
        duration,
        mfa_process: plan.mfa_process.as_deref(),
    };
    get_session_token(o, &asking, &keys, &settings, prompt).await
}

/// What a keychain source's own IAM calls are signed with (`source list --keys`, `source
/// rotate`): with an MFA device, the source's MFA session, the one its roles are assumed from
/// (IAM refuses a session token made without MFA, and a policy may ask for MFA); without one, its
/// long-term keys.
pub(crate) async fn iam_caller(
    o: &Obtainer<'_>,
    source: &crate::keychain::Source,
    prompt: &dyn MfaPrompt,
) -> Result<Credentials> {
    if source.mfa_serial.is_none() {
        return Ok(Credentials {
            access_key_id: source.access_key_id.clone(),
            secret_access_key: source.secret_access_key.clone(),
            session_token: None,
            expiration: None,
        });
    }
    let plan = Plan {
        profile: source.name.clone(),
        base: Base::KeychainSource {
            profile: source.name.clone(),
            name: source.name.clone(),
            origin: None,
        },
        roles: Vec::new(),
        region: source.region.clone(),
        mfa_process: None,
    };
    source_session(
        o,
        &source.name,
        &plan,
        &CredentialRequest::default(),
        prompt,
    )
    .await
}

/// One `GetSessionToken`: for whom, kept where, with which device, how long.
struct TokenAsk<'a> {
    /// The profile asking, named in prompts and errors.
    profile: &'a str,
    /// Its entry in memory and in the keychain.
    entry: &'a str,
    serial: Option<&'a str>,
    duration: Duration,
    /// The asking profile's `mfa_process`.
    mfa_process: Option<&'a str>,
}

/// The session in `asking.entry` if it is still good for `keys`, else a new one, made with a
/// code when there is an MFA device. One flight per entry: of many roles sharing the device, the
/// first gets the session (and asks for the one code) while the others wait, then use it.
async fn get_session_token(
    o: &Obtainer<'_>,
    asking: &TokenAsk<'_>,
    keys: &Credentials,
    settings: &StsSettings,
    prompt: &dyn MfaPrompt,
) -> Result<Credentials> {
    // Bound to the key id (new keys for the same source start a new session) and the length.
    let bound = if asking.duration == DEFAULT_SESSION_TOKEN_DURATION {
        keys.access_key_id.clone()
    } else {
        format!("{}|{}s", keys.access_key_id, asking.duration.as_secs())
    };
    let _flight = o.held.flight(asking.entry).await;
    let margin = o.snapshot.cache_margin();
    if let Some(session) = o.kept(asking.entry, &bound, true, margin).await {
        tracing::debug!(profile = %asking.profile, entry = asking.entry, "kept session token used");
        return Ok(session);
    }
    let mfa = match asking.serial {
        Some(serial) => {
            let code: Secret = code_for(asking.profile, serial, prompt, asking.mfa_process).await?;
            Some((serial.to_owned(), code))
        }
        None => None,
    };
    let request = SessionTokenRequest {
        duration: Some(asking.duration),
        mfa: mfa.clone(),
    };
    tracing::debug!(profile = %asking.profile, entry = asking.entry, "getting a session token");
    match Sts::new(settings, keys).get_session_token(&request).await {
        Ok(session) => {
            if let Some((serial, _)) = &mfa {
                forget_rejected(serial);
            }
            o.keep(asking.entry, &bound, &session, true).await;
            Ok(session)
        }
        Err(cause) => {
            if let Some((serial, code)) = &mfa {
                if cause.kind == StsErrorKind::AccessDenied {
                    remember_rejected(serial, code);
                }
            }
            Err(sts_error(asking.profile, mfa.as_ref(), cause))
        }
    }
}

/// STS's refusal of a call made for `profile`: a rejected code (one was sent) is its own error,
/// so the refresh engine asks for the next code instead of reporting a failure.
fn sts_error(profile: &str, mfa: Option<&(String, Secret)>, cause: StsError) -> Error {
    match mfa {
        Some((serial, _)) if cause.is_mfa_code_rejected() => Error::MfaCodeRejected {
            profile: profile.to_owned(),
            serial: serial.clone(),
            cause: Box::new(cause),
        },
        _ => Error::Sts {
            profile: profile.to_owned(),
            cause,
        },
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, UNIX_EPOCH};

    use super::role_session_margin;
    use crate::clock::ManualClock;
    use crate::env::{MapEnv, MemFs};
    use crate::request::CredentialRequest;
    use crate::Engine;

    #[test]
    fn a_role_session_is_reused_for_as_long_as_the_engine_would_leave_it() {
        let config = "[profile src]\naws_access_key_id = AKIAX\naws_secret_access_key = s\n\
                      [profile short]\nrole_arn = arn:aws:iam::123456789012:role/S\n\
                      source_profile = src\nduration_seconds = 900\n\
                      [profile plain]\nrole_arn = arn:aws:iam::123456789012:role/P\n\
                      source_profile = src\n";
        let engine = Engine::new(
            Arc::new(MapEnv::default().with("HOME", "/h")),
            Arc::new(MemFs::default().with("/h/.aws/config", config)),
            Arc::new(ManualClock::new(UNIX_EPOCH)),
        );
        let snapshot = engine.snapshot();
        let asked = |seconds: Option<u64>| CredentialRequest {
            duration: seconds.map(Duration::from_secs),
            ..CredentialRequest::default()
        };
        // (profile, length asked, margin) under the default 15-min lead
        for (profile, length, margin) in [
            ("short", None, 450), // 15 min: half its length, not never
            ("plain", None, 900), // STS's 1 h: the lead
            ("plain", Some(900), 450),
            ("short", Some(7200), 900),
        ] {
            let plan = snapshot.plan(profile).expect("plan");
            assert_eq!(
                role_session_margin(&snapshot, &plan, &asked(length)),
                Duration::from_secs(margin),
                "{profile} {length:?}"
            );
        }
    }
}
