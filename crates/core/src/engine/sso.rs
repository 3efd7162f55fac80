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

/// What [`Engine::sso_sync`] did.
#[derive(Debug, Clone)]
pub struct SyncReport {
    pub plan: crate::sso::sync::SyncPlan,
    /// How many accounts and roles the sign-in can use.
    pub assignments: usize,
    /// When that list was fetched from Identity Center (the cached list is used unless a
    /// refresh is asked for).
    pub listed_at: std::time::SystemTime,
    pub from_cache: bool,
    /// The config file was changed (not a dry run, and something to change).
    pub written: bool,
}

/// The list of a sign-in's accounts and roles, as last fetched.
#[derive(serde::Serialize, serde::Deserialize)]
struct Listed {
    /// Unix seconds.
    fetched_at: u64,
    assignments: Vec<crate::sso::sync::Assignment>,
}

impl Engine {
    /// Write one profile per account and role `session` can use into the config file (see
    /// `sso::sync`). The list is fetched when there is none yet or `refresh` asks for it (signing
    /// in through `sign_in` if needed), else the one fetched last is used.
    pub async fn sso_sync(
        &self,
        snapshot: &Snapshot,
        session: &SsoSession,
        options: &crate::sso::sync::SyncOptions,
        refresh: bool,
        dry_run: bool,
        sign_in: Option<&SignIn<'_>>,
    ) -> Result<SyncReport> {
        let Some(name) = session.name.clone() else {
            return Err(Error::SsoSyncRefused {
                session: session.label().to_owned(),
                why: "profiles can only be synced from an [sso-session] section (they name it \
                      with sso_session); move sso_start_url and sso_region into one"
                    .to_owned(),
            });
        };
        let cache = self
            .state_store()
            .dir()
            .join(format!("sso-{}-accounts.json", session.cache_key()));
        let fs = snapshot.fs();
        let cached: Option<Listed> = fs
            .read(&cache)
            .ok()
            .flatten()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        let (listed, from_cache) = match cached {
            Some(listed) if !refresh => (listed, true),
            _ => {
                let obtainer = self.obtainer(snapshot);
                let deps = obtainer.sso();
                let token = match keeper::current(&deps, session, None).await? {
                    TokenState::Fresh(t) | TokenState::Ending(t) => t,
                    TokenState::Missing { why } => match sign_in {
                        Some(sign_in) => sign_in.once(&deps, session, None).await?,
                        None => {
                            return Err(Error::SsoSignInNeeded {
                                session: session.label().to_owned(),
                                why,
                            })
                        }
                    },
                };
                let assignments = crate::sso::service::list_assignments(
                    &deps.endpoints(session),
                    &token.access_token,
                )
                .await
                .map_err(|cause| Error::Sso {
                    session: session.label().to_owned(),
                    cause,
                })?;
                let listed = Listed {
                    fetched_at: crate::sso::cache::epoch_seconds(snapshot.clock().now()),
                    assignments,
                };
                if let Ok(bytes) = serde_json::to_vec(&listed) {
                    if let Err(e) = fs.write_private(&cache, &bytes) {
                        tracing::warn!(error = %e, "cannot keep the list of accounts and roles");
                    }
                }
                (listed, false)
            }
        };
        let config = snapshot.locations().config.clone();
        let apply = |doc: &mut crate::credfile::Document| {
            crate::sso::sync::apply(doc, &name, &listed.assignments, options)
        };
        let (plan, written) = if dry_run {
            let bytes = fs.read(&config).ok().flatten().unwrap_or_default();
            let mut doc = crate::credfile::Document::parse(&bytes);
            (apply(&mut doc), false)
        } else {
            let updated = crate::credfile::write::update(
                &config,
                |doc| Ok::<_, std::io::Error>(apply(doc)),
                |_, _| Ok(()),
            )
            .map_err(|cause| Error::Write {
                path: config.clone(),
                cause,
            })?;
            (updated.value, updated.written)
        };
        Ok(SyncReport {
            plan,
            assignments: listed.assignments.len(),
            listed_at: std::time::UNIX_EPOCH + std::time::Duration::from_secs(listed.fetched_at),
            from_cache,
            written,
        })
    }
}
