//! Keeping an IAM Identity Center sign-in fresh: the access token in `~/.aws/sso/cache` (shared
//! with every AWS tool), the refresh token and client secret in the keychain.
//!
//! One refresh (or sign-in) per session at a time: a flight in this process and a lock file in
//! RoleKeeper's state directory across processes. Whoever waited looks at the token file again
//! before doing anything, so twenty callers at once cause one refresh, or one sign-in.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::cache::{self, epoch_seconds, CachedToken, Registration};
use super::config::{SsoRole, SsoSession};
use super::service::{self, Grant, SsoEndpoints, SsoError, SsoErrorKind};
use crate::clock::Clock;
use crate::credentials::Credentials;
use crate::env::{Env, Fs};
use crate::error::{Error, Result};
use crate::keychain::{call, KeychainError, SecretStore};
use crate::obtain::Held;
use crate::secret::Secret;

/// How long before its expiry an access token is refreshed: botocore's window (15 min), so no
/// AWS tool reading the shared file ever finds it close to expiry while RoleKeeper runs.
pub const REFRESH_WINDOW: Duration = Duration::from_secs(15 * 60);

/// A token with less than this left is not used for a call (it could expire on the way).
const USABLE_MARGIN: Duration = Duration::from_secs(60);

const KEYCHAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// What the SSO code needs from the operation it runs in.
#[derive(Clone, Copy)]
pub struct SsoDeps<'a> {
    pub env: &'a dyn Env,
    pub fs: &'a dyn Fs,
    pub clock: &'a dyn Clock,
    pub store: &'a Arc<dyn SecretStore>,
    pub held: &'a Held,
}

impl std::fmt::Debug for SsoDeps<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoDeps").finish_non_exhaustive()
    }
}

impl SsoDeps<'_> {
    pub(crate) fn cache_dir(&self) -> Result<PathBuf> {
        cache::cache_dir(self.env).ok_or_else(|| Error::NoHome {
            missing: "~/.aws/sso/cache".to_owned(),
        })
    }

    pub(crate) fn endpoints(&self, session: &SsoSession) -> SsoEndpoints {
        SsoEndpoints::from_env(self.env, &session.region)
    }

    pub(crate) fn now(&self) -> SystemTime {
        self.clock.now()
    }

    /// The token file as it is now.
    pub fn read_token(&self, session: &SsoSession) -> Option<CachedToken> {
        let dir = self.cache_dir().ok()?;
        cache::read_token(self.fs, &dir, session)
    }

    /// Hold the session's flight and its lock file: one refresh or sign-in at a time, across
    /// processes.
    pub(crate) async fn exclusive(&self, session: &SsoSession) -> Exclusive {
        let flight = self
            .held
            .flight(&format!("sso:{}", session.cache_key()))
            .await;
        let path = crate::state::StateStore::from_env(self.env)
            .dir()
            .join(format!("sso-{}", session.cache_key()));
        let lock = tokio::task::spawn_blocking(move || {
            if let Some(dir) = path.parent() {
                crate::credfile::write::create_private_dir(dir)?;
            }
            crate::credfile::write::lock(&path)
        })
        .await;
        let lock = match lock {
            Ok(Ok(lock)) => Some(lock),
            // Without the lock file two processes may both refresh; each still works.
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "no lock file for the SSO sign-in");
                None
            }
            Err(_) => None,
        };
        Exclusive {
            _flight: flight,
            _lock: lock,
        }
    }
}

/// Held while one refresh or sign-in of a session is on its way.
#[derive(Debug)]
pub(crate) struct Exclusive {
    _flight: crate::obtain::Flight,
    _lock: Option<crate::credfile::write::FileLock>,
}

/// What the keychain keeps of a sign-in: what renews it. Never written to a file.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Renewal {
    client_id: String,
    client_secret: String,
    /// Unix seconds.
    registration_expires_at: u64,
    refresh_token: String,
}

/// The keychain entry of a sign-in's renewal: named after its token file (the keychain is one
/// per user, the token file one per home), so two homes with a session of the same name never
/// share a refresh token.
pub fn keychain_entry(token_file: &std::path::Path) -> String {
    format!(
        "sso:{}",
        super::config::sha1_hex(token_file.to_string_lossy().as_bytes())
    )
}

fn entry_name(deps: &SsoDeps<'_>, session: &SsoSession) -> String {
    let dir = deps.cache_dir().unwrap_or_default();
    keychain_entry(&cache::token_path(&dir, session))
}

async fn read_renewal(deps: &SsoDeps<'_>, session: &SsoSession) -> Option<Renewal> {
    let name = entry_name(deps, session);
    match call(deps.store, KEYCHAIN_TIMEOUT, move |s| s.get(&name)).await {
        Ok(blob) => serde_json::from_str(blob.expose()).ok(),
        Err(KeychainError::NotFound { .. }) => None,
        Err(e) => {
            tracing::warn!(session = session.label(), error = %e, "cannot read the SSO refresh token from the keychain");
            None
        }
    }
}

async fn write_renewal(deps: &SsoDeps<'_>, session: &SsoSession, renewal: &Renewal) {
    let name = entry_name(deps, session);
    let Ok(text) = serde_json::to_string(renewal) else {
        return;
    };
    let blob = Secret::new(text);
    if let Err(e) = call(deps.store, KEYCHAIN_TIMEOUT, move |s| s.set(&name, &blob)).await {
        tracing::warn!(session = session.label(), error = %e, "cannot keep the SSO refresh token in the keychain; the sign-in lasts until its access token expires");
    }
}

pub(crate) async fn forget_renewal(deps: &SsoDeps<'_>, session: &SsoSession) {
    let name = entry_name(deps, session);
    match call(deps.store, KEYCHAIN_TIMEOUT, move |s| s.delete(&name)).await {
        Ok(()) | Err(KeychainError::NotFound { .. }) => {}
        Err(e) => {
            tracing::warn!(session = session.label(), error = %e, "cannot remove the SSO refresh token from the keychain")
        }
    }
}

/// Whether the keychain holds what renews `session`'s sign-in.
pub async fn can_renew(deps: &SsoDeps<'_>, session: &SsoSession) -> bool {
    read_renewal(deps, session).await.is_some()
        || deps
            .read_token(session)
            .is_some_and(|t| t.refresh_token.is_some() && t.client_secret.is_some())
}

/// How a session's sign-in stands.
#[derive(Debug, Clone)]
pub enum TokenState {
    /// Good, and renewed by itself while the portal session lasts.
    Fresh(CachedToken),
    /// Good until its expiry, and then over: no refresh token, or Identity Center refused it.
    Ending(CachedToken),
    /// No usable token: a sign-in is needed.
    Missing { why: String },
}

impl TokenState {
    pub fn token(&self) -> Option<&CachedToken> {
        match self {
            TokenState::Fresh(t) | TokenState::Ending(t) => Some(t),
            TokenState::Missing { .. } => None,
        }
    }
}

/// The session's token, refreshed first when it is within [`REFRESH_WINDOW`] of its expiry.
/// `dead` is an access token known to be refused (the portal said so): it is refreshed even if
/// it looks good.
pub async fn current(
    deps: &SsoDeps<'_>,
    session: &SsoSession,
    dead: Option<&Secret>,
) -> Result<TokenState> {
    let now = deps.now();
    let is_dead = |t: &CachedToken| dead.is_some_and(|d| d.expose() == t.access_token.expose());
    if let Some(token) = deps.read_token(session) {
        if token.left(now) > REFRESH_WINDOW && !is_dead(&token) {
            return Ok(TokenState::Fresh(token));
        }
    }
    let _exclusive = deps.exclusive(session).await;
    // Another task or process may have refreshed it while this one waited.
    let token = deps.read_token(session);
    let now = deps.now();
    if let Some(token) = &token {
        if token.left(now) > REFRESH_WINDOW && !is_dead(token) {
            return Ok(TokenState::Fresh(token.clone()));
        }
    }
    refresh_locked(deps, session, token, now, &is_dead).await
}

/// Refresh under the session's lock: with the refresh token of the file (another tool's) or
/// the keychain's.
async fn refresh_locked(
    deps: &SsoDeps<'_>,
    session: &SsoSession,
    token: Option<CachedToken>,
    now: SystemTime,
    is_dead: &(dyn Fn(&CachedToken) -> bool + Sync),
) -> Result<TokenState> {
    let from_file = token.as_ref().and_then(|t| {
        Some(Renewal {
            client_id: t.client_id.clone()?,
            client_secret: t.client_secret.as_ref()?.expose().to_owned(),
            registration_expires_at: t.registration_expires_at.map(epoch_seconds)?,
            refresh_token: t.refresh_token.as_ref()?.expose().to_owned(),
        })
    });
    let renewal = match from_file {
        Some(r) => Some(r),
        None => read_renewal(deps, session).await,
    };
    let still_good = |t: &CachedToken| t.left(now) > USABLE_MARGIN && !is_dead(t);
    let ending_or_missing = |why: String| match &token {
        Some(t) if still_good(t) => TokenState::Ending(t.clone()),
        _ => TokenState::Missing { why },
    };
    let Some(renewal) = renewal else {
        let why = match &token {
            None => "nobody has signed in yet (no token in ~/.aws/sso/cache)".to_owned(),
            Some(t) if is_dead(t) => "IAM Identity Center no longer accepts the access token".to_owned(),
            Some(_) if session.name.is_none() => {
                "the sign-in of a legacy profile (sso_start_url in the profile) cannot be renewed and has ended".to_owned()
            }
            Some(_) => "the sign-in has expired and cannot be renewed (no refresh token)".to_owned(),
        };
        return Ok(ending_or_missing(why));
    };
    let registration = Registration {
        client_id: renewal.client_id.clone(),
        client_secret: Secret::new(renewal.client_secret.clone()),
        expires_at: SystemTime::UNIX_EPOCH + Duration::from_secs(renewal.registration_expires_at),
        scopes: Vec::new(),
        grant_types: Vec::new(),
    };
    if registration.expires_at <= now {
        forget_renewal(deps, session).await;
        return Ok(ending_or_missing(
            "the client registration expired (after 90 days)".to_owned(),
        ));
    }
    let refresh_token = Secret::new(renewal.refresh_token.clone());
    tracing::info!(session = session.label(), "refreshing the SSO access token");
    match service::create_token(
        &deps.endpoints(session),
        &registration,
        Grant::RefreshToken(&refresh_token),
    )
    .await
    {
        Ok(new) => {
            let token = issued(
                session,
                &registration,
                new.access_token,
                new.expires_in,
                deps.now(),
            );
            let renewal = Renewal {
                refresh_token: new
                    .refresh_token
                    .map(|t| t.expose().to_owned())
                    .unwrap_or(renewal.refresh_token),
                ..renewal
            };
            write_renewal(deps, session, &renewal).await;
            write_token(deps, session, &token)?;
            Ok(TokenState::Fresh(token))
        }
        Err(e) if e.is_transient() => match &token {
            // Tried again at the next look; the token still serves meanwhile.
            Some(t) if still_good(t) => {
                tracing::warn!(session = session.label(), error = %e, "SSO token refresh failed; trying again later");
                Ok(TokenState::Fresh(t.clone()))
            }
            _ => Err(Error::Sso {
                session: session.label().to_owned(),
                cause: e,
            }),
        },
        Err(e) => {
            // Refused: the portal session is over. The refresh token is of no more use.
            tracing::info!(session = session.label(), error = %e, "the SSO sign-in can no longer be refreshed");
            forget_renewal(deps, session).await;
            Ok(ending_or_missing(e.to_string()))
        }
    }
}

/// A token just issued, as RoleKeeper writes it to the token file (no refresh token or client
/// secret there: those stay in the keychain), expiring in whole seconds as the file holds it.
fn issued(
    session: &SsoSession,
    registration: &Registration,
    access_token: Secret,
    expires_in: Duration,
    now: SystemTime,
) -> CachedToken {
    CachedToken {
        start_url: Some(session.start_url.clone()),
        region: Some(session.region.clone()),
        access_token,
        expires_at: cache::whole_seconds(now + expires_in),
        client_id: Some(registration.client_id.clone()),
        client_secret: None,
        registration_expires_at: Some(registration.expires_at),
        refresh_token: None,
    }
}

fn write_token(deps: &SsoDeps<'_>, session: &SsoSession, token: &CachedToken) -> Result<()> {
    let dir = deps.cache_dir()?;
    cache::write_token(deps.fs, &dir, session, token).map_err(|cause| Error::Write {
        path: cache::token_path(&dir, session),
        cause,
    })
}

/// Keep a new sign-in: the token file (for every AWS tool), the registration file (so the AWS
/// CLI reuses it), and what renews it in the keychain.
pub(crate) async fn keep_sign_in(
    deps: &SsoDeps<'_>,
    session: &SsoSession,
    registration: &Registration,
    new: service::NewToken,
) -> Result<CachedToken> {
    let token = issued(
        session,
        registration,
        new.access_token,
        new.expires_in,
        deps.now(),
    );
    match new.refresh_token {
        Some(refresh) => {
            write_renewal(
                deps,
                session,
                &Renewal {
                    client_id: registration.client_id.clone(),
                    client_secret: registration.client_secret.expose().to_owned(),
                    registration_expires_at: epoch_seconds(registration.expires_at),
                    refresh_token: refresh.expose().to_owned(),
                },
            )
            .await;
        }
        None => forget_renewal(deps, session).await,
    }
    write_token(deps, session, &token)?;
    Ok(token)
}

/// A registration to sign in with: the one the AWS CLI or RoleKeeper saved, while it is good
/// for this kind of sign-in, else a new one (saved for next time).
pub(crate) async fn registration_for(
    deps: &SsoDeps<'_>,
    session: &SsoSession,
    auth_code: bool,
) -> Result<Registration> {
    let dir = deps.cache_dir()?;
    let now = deps.now();
    if let Some(saved) = cache::read_registration(deps.fs, &dir, session) {
        if saved.usable(now, auth_code) {
            return Ok(saved);
        }
    }
    let purpose = if auth_code {
        service::RegisterFor::AuthCode {
            issuer_url: session.start_url.clone(),
        }
    } else {
        service::RegisterFor::Device
    };
    let name = match &session.name {
        Some(name) => format!("rolekeeper-{name}"),
        None => format!("rolekeeper-{}", epoch_seconds(now)),
    };
    let registration = service::register_client(
        &deps.endpoints(session),
        &name,
        &session.registration_scopes(),
        &purpose,
    )
    .await
    .map_err(|cause| Error::Sso {
        session: session.label().to_owned(),
        cause,
    })?;
    if let Err(e) = cache::write_registration(deps.fs, &dir, session, &registration) {
        tracing::warn!(error = %e, "cannot save the SSO client registration");
    }
    Ok(registration)
}

/// Sign out: end the portal session (errors ignored, as the AWS CLI ignores them), remove the
/// token file and what renews it. Returns whether there was a sign-in.
pub async fn sign_out(deps: &SsoDeps<'_>, session: &SsoSession) -> Result<bool> {
    let _exclusive = deps.exclusive(session).await;
    let token = deps.read_token(session);
    let had_renewal = read_renewal(deps, session).await.is_some();
    if let Some(token) = &token {
        if let Err(e) = service::logout(&deps.endpoints(session), &token.access_token).await {
            tracing::info!(session = session.label(), error = %e, "Logout call failed; signing out here anyway");
        }
    }
    forget_renewal(deps, session).await;
    let dir = deps.cache_dir()?;
    let path = cache::token_path(&dir, session);
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(cause) => return Err(Error::Write { path, cause }),
    }
    Ok(token.is_some() || had_renewal)
}

/// A role's credentials through the session's token: refreshed first when due. `sign_in`, when
/// given, signs in when there is no usable token (once for everyone waiting); else that is
/// [`Error::SsoSignInNeeded`].
pub async fn role_credentials(
    deps: &SsoDeps<'_>,
    role: &SsoRole,
    sign_in: Option<&super::login::SignIn<'_>>,
) -> Result<Credentials> {
    let session = &role.session;
    let mut dead: Option<Secret> = None;
    for _attempt in 0..2 {
        let token = match current(deps, session, dead.as_ref()).await? {
            TokenState::Fresh(t) | TokenState::Ending(t) => t,
            TokenState::Missing { why } => match sign_in {
                Some(sign_in) => sign_in.once(deps, session, dead.as_ref()).await?,
                None => {
                    return Err(Error::SsoSignInNeeded {
                        session: session.label().to_owned(),
                        why,
                    })
                }
            },
        };
        match service::get_role_credentials(
            &deps.endpoints(session),
            &token.access_token,
            &role.account_id,
            &role.role_name,
        )
        .await
        {
            Ok(credentials) => return Ok(credentials),
            // Signed out elsewhere or the portal session ended early: refresh (or sign in)
            // once more, never that token again.
            Err(e) if e.kind == SsoErrorKind::Unauthorized && dead.is_none() => {
                tracing::info!(
                    session = session.label(),
                    "the SSO access token was refused; renewing it"
                );
                dead = Some(token.access_token);
            }
            Err(cause) => return Err(role_error(session, cause)),
        }
    }
    Err(Error::SsoSignInNeeded {
        session: session.label().to_owned(),
        why: "IAM Identity Center refused the access token".to_owned(),
    })
}

fn role_error(session: &SsoSession, cause: SsoError) -> Error {
    if cause.kind == SsoErrorKind::Unauthorized {
        return Error::SsoSignInNeeded {
            session: session.label().to_owned(),
            why: cause.to_string(),
        };
    }
    Error::Sso {
        session: session.label().to_owned(),
        cause,
    }
}
