//! A plan's credentials: the cached role session while it is good; else the chain, each role past
//! MFA by its plan ([`super::plan`]), and the new session cached for the next process.

use std::time::Duration;

use super::cache::{mfa_entry, session_entry, SessionCache};
use super::code::{code_for, forget_rejected, remember_rejected};
use super::plan::{choose, StepFacts, StepMfa};
use crate::credentials::Credentials;
use crate::engine::{CredentialRequest, Engine, MfaPrompt};
use crate::error::{Error, Result};
use crate::resolve::{Base, Plan, RoleStep};
use crate::secret::Secret;
use crate::sts::{
    AssumeRoleRequest, SessionTokenRequest, Sts, StsErrorKind, StsSettings,
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

pub(crate) async fn obtain(
    engine: &Engine,
    mut plan: Plan,
    request: &CredentialRequest,
    prompt: &dyn MfaPrompt,
) -> Result<Credentials> {
    if plan.roles.is_empty() {
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
    if let Some(cached) = cache.fresh(&entry, &bound, now, margin).await {
        tracing::debug!(profile = %plan.profile, "cached session used");
        return Ok(cached);
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
                    mfa_process(engine, step).as_deref(),
                )
                .await?;
                Some((serial, code))
            }
            StepMfa::ViaMfaSession { serial } => {
                let name = source.as_deref().unwrap_or(&plan.profile);
                let entry = mfa_entry(name, &serial);
                current = get_mfa_session(
                    engine, &cache, &entry, &serial, &current, &settings, step, prompt, margin,
                )
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
                return Err(Error::Sts {
                    profile: step.profile.clone(),
                    cause,
                });
            }
        }
    }
    cache.put(&entry, &bound, &current).await;
    Ok(current)
}

/// `mfa_process` of the profile that asks for the role.
fn mfa_process(engine: &Engine, step: &RoleStep) -> Option<String> {
    let set = engine.load_profiles().ok()?;
    set.get(&step.profile)?
        .text("mfa_process")
        .filter(|c| !c.trim().is_empty())
        .map(str::to_owned)
}

/// The MFA session in `entry` if it is still good for `keys`, else a new one made with a code.
#[allow(clippy::too_many_arguments)] // one call site; a struct would only rename them
async fn get_mfa_session(
    engine: &Engine,
    cache: &SessionCache,
    entry: &str,
    serial: &str,
    keys: &Credentials,
    settings: &StsSettings,
    step: &RoleStep,
    prompt: &dyn MfaPrompt,
    margin: Duration,
) -> Result<Credentials> {
    // Bound to the key id: new keys for the same source start a new MFA session.
    let bound = keys.access_key_id.clone();
    let now = engine.clock().now();
    if let Some(session) = cache.fresh(entry, &bound, now, margin).await {
        tracing::debug!(profile = %step.profile, serial, "cached MFA session used");
        return Ok(session);
    }
    let code: Secret = code_for(
        &step.profile,
        serial,
        prompt,
        mfa_process(engine, step).as_deref(),
    )
    .await?;
    let request = SessionTokenRequest {
        duration: Some(DEFAULT_SESSION_TOKEN_DURATION),
        mfa: Some((serial.to_owned(), code.clone())),
    };
    tracing::debug!(profile = %step.profile, serial, "starting an MFA session");
    match Sts::new(settings, keys).get_session_token(&request).await {
        Ok(session) => {
            forget_rejected(serial);
            cache.put(entry, &bound, &session).await;
            Ok(session)
        }
        Err(cause) => {
            if cause.kind == StsErrorKind::AccessDenied {
                remember_rejected(serial, &code);
            }
            Err(Error::Sts {
                profile: step.profile.clone(),
                cause,
            })
        }
    }
}
