//! A plan's credentials: the cached role session while it is good; else the chain, each role past
//! MFA by its plan ([`super::plan`]), and the new session cached for the next process.

use std::time::Duration;

use super::cache::{mfa_entry, session_entry, token_entry, SessionCache};
use super::code::{code_for, forget_rejected, remember_rejected};
use super::plan::{choose, StepFacts, StepMfa};
use crate::credentials::Credentials;
use crate::engine::{CredentialRequest, Engine, MfaPrompt};
use crate::error::{Error, Result};
use crate::resolve::{Base, Plan};
use crate::secret::Secret;
use crate::sts::{
    AssumeRoleRequest, SessionTokenRequest, Sts, StsError, StsErrorKind, StsSettings,
    DEFAULT_SESSION_TOKEN_DURATION,
};

/// A cached session is used only with more than this left: more than the refresh lead, so the
/// refresh engine, which asks for a session at expiry minus the lead, always gets a new one, and
/// a minute more so that what is handed out is not about to be renewed.
pub fn margin(engine: &Engine) -> Duration {
    crate::runner::policy_from_env(engine).lead + Duration::from_secs(60)
}

/// What a role session is obtained for: its files, STS endpoint, source and roles. A cached
/// session bound to anything else (other files, keys replaced, profile edited, another duration
/// asked for) is not used: the keychain is one per user, profiles are per file.
fn session_bound(engine: &Engine, plan: &Plan, request: &CredentialRequest) -> String {
    let source = match &plan.base {
        Base::Keys(keys) => format!("keys:{}", keys.access_key_id),
        Base::KeychainSource { name, .. } => format!("source:{name}"),
        Base::NamedSource { source, .. } => format!(
            "{source}:{}",
            engine
                .env()
                .non_empty("AWS_ACCESS_KEY_ID")
                .unwrap_or_default()
        ),
        _ => "other".to_owned(),
    };
    let roles: Vec<&str> = plan.roles.iter().map(|r| r.role_arn.as_str()).collect();
    let duration = request
        .duration
        .or(plan.final_role().and_then(|r| r.duration));
    let files = engine.locations();
    let endpoint = StsSettings::from_env(engine.env(), plan.region.as_deref()).endpoint_url;
    format!(
        "{}|{}|{endpoint:?}|{source}|{}|{duration:?}",
        files.config.display(),
        files.credentials.display(),
        roles.join(",")
    )
}

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

/// The role session the keychain holds for `plan`, if it was obtained for the same request and
/// has more than `margin` left: what process delivery serves between renewals.
pub(crate) async fn cached_role_session(
    engine: &Engine,
    plan: &Plan,
    request: &CredentialRequest,
    margin: Duration,
) -> Option<Credentials> {
    if plan.roles.is_empty() {
        return None;
    }
    let cache = SessionCache::new(engine.secret_store());
    let bound = session_bound(engine, plan, request);
    cache
        .fresh(
            &session_entry(&plan.profile),
            &bound,
            engine.clock().now(),
            margin,
        )
        .await
}

/// Whether a role session is kept in the keychain for the next process. Yes when getting a new one
/// may take an MFA code, when the keychain is involved anyway (a keychain source), and for process
/// delivery (the keychain is where it lives). A session of plain keys and no MFA is not: a new one
/// is one STS round trip (a few ms), less than the Secret Service calls keeping it would cost, and
/// an active one is kept in the credentials file already.
fn worth_keeping(engine: &Engine, plan: &Plan) -> bool {
    plan.roles.iter().any(|r| r.mfa_serial.is_some())
        || matches!(plan.base, Base::KeychainSource { .. })
        || engine
            .delivery_of(&plan.profile)
            .is_ok_and(|d| d == crate::state::Delivery::Process)
}

pub(crate) async fn obtain(
    engine: &Engine,
    mut plan: Plan,
    request: &CredentialRequest,
    prompt: &dyn MfaPrompt,
) -> Result<Credentials> {
    if plan.roles.is_empty() {
        if let Base::KeychainSource { name, .. } = &plan.base {
            if !request.long_term_keys {
                let name = name.clone();
                return source_session(engine, &name, &plan, request, prompt).await;
            }
        }
        return match engine.sources().start(&mut plan).await? {
            Some(keys) => Ok(keys),
            None => engine.base_credentials(&plan.base),
        };
    }
    let cache = SessionCache::new(engine.secret_store());
    let margin = margin(engine);
    let entry = session_entry(&plan.profile);
    let bound = session_bound(engine, &plan, request);
    let now = engine.clock().now();
    let kept = worth_keeping(engine, &plan);
    if kept && !request.renew {
        if let Some(cached) = cache.fresh(&entry, &bound, now, margin).await {
            tracing::debug!(profile = %plan.profile, "cached session used");
            return Ok(cached);
        }
    }
    let mut current = match engine.sources().start(&mut plan).await? {
        Some(keys) => keys,
        None => engine.base_credentials(&plan.base)?,
    };
    let source = source_name(&plan).map(str::to_owned);
    let last = plan.roles.len() - 1;
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
        let settings = StsSettings::from_env(engine.env(), region);
        let mut mfa_session = None;
        let mfa = match choice {
            StepMfa::None => None,
            StepMfa::WithCode { serial } => {
                let code = code_for(
                    &step.profile,
                    &serial,
                    prompt,
                    mfa_process(engine, &step.profile).as_deref(),
                )
                .await?;
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
                };
                current =
                    get_session_token(engine, &cache, &asking, &current, &settings, prompt, margin)
                        .await?;
                mfa_session = Some(entry);
                None
            }
        };
        let assume = AssumeRoleRequest {
            role_arn: step.role_arn.clone(),
            session_name: step
                .session_name
                .clone()
                .unwrap_or_else(|| engine.default_session_name()),
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
                        cache.forget(entry).await;
                    }
                }
                return Err(sts_error(&step.profile, mfa.as_ref(), cause));
            }
        }
    }
    if kept {
        cache.put(&entry, &bound, &current).await;
    }
    Ok(current)
}

/// `mfa_process` of the profile that asks for a code.
fn mfa_process(engine: &Engine, profile: &str) -> Option<String> {
    let set = engine.load_profiles().ok()?;
    set.get(profile)?
        .text("mfa_process")
        .filter(|c| !c.trim().is_empty())
        .map(str::to_owned)
}

/// A keychain source served on its own (`credential_process = rolekeeper credential-process
/// SOURCE`, `export SOURCE`): a session token, never its long-term keys unless asked for. With
/// an MFA device, it is the source's MFA session (the one its roles are assumed from, so one code
/// serves both); without, a `GetSessionToken` of its own. Both are cached in the keychain.
async fn source_session(
    engine: &Engine,
    name: &str,
    plan: &Plan,
    request: &CredentialRequest,
    prompt: &dyn MfaPrompt,
) -> Result<Credentials> {
    let source = engine.sources().get(name).await?;
    let keys = Credentials {
        access_key_id: source.access_key_id.clone(),
        secret_access_key: source.secret_access_key.clone(),
        session_token: None,
        expiration: None,
    };
    let region = plan.region.as_deref().or(source.region.as_deref());
    let settings = StsSettings::from_env(engine.env(), region);
    let cache = SessionCache::new(engine.secret_store());
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
    };
    get_session_token(
        engine,
        &cache,
        &asking,
        &keys,
        &settings,
        prompt,
        margin(engine),
    )
    .await
}

/// One `GetSessionToken`: for whom, kept where, with which device, how long.
struct TokenAsk<'a> {
    /// The profile asking, named in prompts and errors.
    profile: &'a str,
    /// Its keychain cache entry.
    entry: &'a str,
    serial: Option<&'a str>,
    duration: Duration,
}

/// The session in `asking.entry` if it is still good for `keys`, else a new one, made with a
/// code when there is an MFA device.
async fn get_session_token(
    engine: &Engine,
    cache: &SessionCache,
    asking: &TokenAsk<'_>,
    keys: &Credentials,
    settings: &StsSettings,
    prompt: &dyn MfaPrompt,
    margin: Duration,
) -> Result<Credentials> {
    // Bound to the key id (new keys for the same source start a new session) and the length.
    let bound = if asking.duration == DEFAULT_SESSION_TOKEN_DURATION {
        keys.access_key_id.clone()
    } else {
        format!("{}|{}s", keys.access_key_id, asking.duration.as_secs())
    };
    let now = engine.clock().now();
    if let Some(session) = cache.fresh(asking.entry, &bound, now, margin).await {
        tracing::debug!(profile = %asking.profile, entry = asking.entry, "cached session token used");
        return Ok(session);
    }
    let mfa = match asking.serial {
        Some(serial) => {
            let code: Secret = code_for(
                asking.profile,
                serial,
                prompt,
                mfa_process(engine, asking.profile).as_deref(),
            )
            .await?;
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
            cache.put(asking.entry, &bound, &session).await;
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
