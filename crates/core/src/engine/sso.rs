//! IAM Identity Center sign-ins, for the command line and the desktop: which the files name, how
//! each stands, signing in (reusing a good sign-in) and out.

use std::time::SystemTime;

use serde::Serialize;

use super::Engine;
use crate::error::{Error, Result};
use crate::mfa::cache::session_entry;
use crate::resolve::Base;
use crate::snapshot::Snapshot;
use crate::sso::{self, keeper, SignIn, SsoSession, TokenState};

/// One sign-in as the Sources tab and `rolekeeper sso list` show it. No secret.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SsoSessionView {
    /// The `[sso-session]` name, or the start URL of legacy profiles.
    pub label: String,
    pub start_url: String,
    pub region: String,
    /// `false` for legacy profiles: an 8-hour sign-in that is never renewed.
    pub refreshable_config: bool,
    /// Until when the current access token is good; `None`: not signed in.
    #[serde(with = "optional_unix_seconds")]
    pub signed_in_until: Option<SystemTime>,
    /// Whether RoleKeeper (or the AWS CLI's file) holds what renews it: then the sign-in lasts
    /// as long as the portal session, not just until `signed_in_until`.
    pub renewable: bool,
    /// The profiles that use it.
    pub profiles: Vec<String>,
}

mod optional_unix_seconds {
    use std::time::{SystemTime, UNIX_EPOCH};

    pub fn serialize<S: serde::Serializer>(
        t: &Option<SystemTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t.and_then(|t| t.duration_since(UNIX_EPOCH).ok()) {
            Some(d) => s.serialize_some(&d.as_secs()),
            None => s.serialize_none(),
        }
    }
}

/// What [`Engine::sso_login`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInOutcome {
    /// A good sign-in was there already (nobody was asked).
    Reused { until: SystemTime },
    /// Signed in (or the sign-in renewed by its refresh token).
    SignedIn { until: SystemTime },
}

impl Engine {
    /// The sign-in `name` means: an `[sso-session]`, or the session of an SSO profile (legacy
    /// profiles included), or a legacy start URL.
    pub fn sso_session(&self, snapshot: &Snapshot, name: &str) -> Result<SsoSession> {
        let set = snapshot.profiles()?;
        if set.sso_session(name).is_some() {
            return sso::sso_session_named(set, name);
        }
        if let Some(profile) = set.get(name) {
            if let Some(role) = sso::sso_role_of(set, profile)? {
                return Ok(role.session);
            }
            if let Some(session) = profile.text("sso_session") {
                return sso::sso_session_named(set, session);
            }
        }
        if let Some(session) = sso::sso_sessions(set)
            .into_iter()
            .find(|s| s.start_url == name)
        {
            return Ok(session);
        }
        Err(Error::SsoSessionNotFound {
            name: name.to_owned(),
            path: set.config_path.clone(),
        })
    }

    /// Every sign-in the files name, and how each stands (reads the token files; the keychain
    /// only for whether a sign-in can be renewed).
    pub async fn sso_views(&self, snapshot: &Snapshot) -> Result<Vec<SsoSessionView>> {
        let set = snapshot.profiles()?;
        let obtainer = self.obtainer(snapshot);
        let deps = obtainer.sso();
        let now = snapshot.clock().now();
        let mut views = Vec::new();
        for session in sso::sso_sessions(set) {
            let profiles = set
                .profiles()
                .filter(|p| {
                    sso::sso_role_of(set, p)
                        .ok()
                        .flatten()
                        .is_some_and(|r| r.session == session)
                })
                .map(|p| p.name.clone())
                .collect();
            let token = deps.read_token(&session).filter(|t| t.expires_at > now);
            let renewable = token.is_some() && keeper::can_renew(&deps, &session).await;
            views.push(SsoSessionView {
                label: session.label().to_owned(),
                start_url: session.start_url.clone(),
                region: session.region.clone(),
                refreshable_config: session.name.is_some(),
                signed_in_until: token.map(|t| t.expires_at),
                renewable,
                profiles,
            });
        }
        Ok(views)
    }

    /// Sign in to `session` unless a good sign-in is there (then it is renewed if due, and
    /// reused); `force` signs in anyway.
    pub async fn sso_login(
        &self,
        snapshot: &Snapshot,
        session: &SsoSession,
        sign_in: &SignIn<'_>,
        force: bool,
    ) -> Result<SignInOutcome> {
        let obtainer = self.obtainer(snapshot);
        let deps = obtainer.sso();
        if !force {
            if let TokenState::Fresh(token) = keeper::current(&deps, session, None).await? {
                return Ok(SignInOutcome::Reused {
                    until: token.expires_at,
                });
            }
        }
        let token = sign_in.run(&deps, session).await?;
        Ok(SignInOutcome::SignedIn {
            until: token.expires_at,
        })
    }

    /// Sign out of `session`: the portal session ended, the token file and the keychain's
    /// refresh token removed, and every role session of its profiles forgotten (held and kept).
    /// Whether there was a sign-in.
    pub async fn sso_logout(&self, snapshot: &Snapshot, session: &SsoSession) -> Result<bool> {
        let obtainer = self.obtainer(snapshot);
        let had = keeper::sign_out(&obtainer.sso(), session).await?;
        if let Ok(set) = snapshot.profiles() {
            for profile in set.profiles() {
                let Ok(plan) = snapshot.plan(&profile.name) else {
                    continue;
                };
                if matches!(&plan.base, Base::Sso { role, .. } if role.session == *session) {
                    let entry = session_entry(&profile.name);
                    self.held().forget(&entry);
                    obtainer.cache.forget(&entry).await;
                    // And the running tray app or daemon, which other processes hand theirs.
                    #[cfg(unix)]
                    if let Some(running) =
                        crate::session_socket::EngineSessions::from_env(snapshot.env())
                    {
                        running.forget(&entry);
                    }
                }
            }
        }
        Ok(had)
    }

    /// Refresh `session`'s access token if it is due (the engine's timer), and say how it
    /// stands.
    pub async fn sso_keep_fresh(
        &self,
        snapshot: &Snapshot,
        session: &SsoSession,
    ) -> Result<TokenState> {
        let obtainer = self.obtainer(snapshot);
        keeper::current(&obtainer.sso(), session, None).await
    }
}
