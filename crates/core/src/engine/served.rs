//! Serving an active session to a caller that wants credentials now (`credential-process`,
//! `export`, `exec`, `login`): from the credentials file while the session there is good, else
//! obtained now and, for an active session, written back so the next caller is fast again.
//!
//! The read path is synchronous and touches no network, no async runtime and no TLS: it is what
//! `credential_process` runs on every SDK refresh, so it must start and finish in a few
//! milliseconds.

use super::{CredentialRequest, Engine, MfaPrompt};
use crate::credentials::{parse_isoformat, Credentials};
use crate::error::Result;
use crate::mfa::cache::session_entry;
use crate::obtain::{kept_role_session, role_session_margin, session_bound, Job, Keep};
use crate::snapshot::Snapshot;
use crate::state::Delivery;

impl Engine {
    /// Whether `name` is a session RoleKeeper keeps fresh in the credentials file.
    pub fn is_active(&self, name: &str) -> Result<bool> {
        self.snapshot().is_active(name)
    }

    /// See [`Snapshot::serving_margin`].
    pub fn serving_margin(&self, length: Option<std::time::Duration>) -> std::time::Duration {
        self.snapshot().serving_margin(length)
    }

    /// The active session `name` as the credentials file holds it (see
    /// [`Snapshot::cached_session`]).
    pub fn cached_session(&self, name: &str) -> Result<Option<Credentials>> {
        self.snapshot().cached_session(name)
    }

    /// The first step of the serving order, synchronous and with no network: an active session
    /// still good in the credentials file. `None` for a request that names a length (it is
    /// obtained as asked) or when the file cannot serve.
    pub fn serve_cached(
        &self,
        snapshot: &Snapshot,
        name: &str,
        request: &CredentialRequest,
    ) -> Result<Option<Credentials>> {
        if request.duration.is_some() {
            return Ok(None);
        }
        snapshot.cached_session(name)
    }

    /// Credentials for `name` now, in the one serving order every caller uses (the CLI's
    /// `credential-process`, `export`, `exec`, the desktop's "Copy export lines"):
    ///
    /// 1. an active session still good in the credentials file;
    /// 2. a session this process holds, or the keychain keeps (a process-delivered session, or
    ///    any role session another process obtained), while it has more than the serving
    ///    margin left;
    /// 3. STS; an active session's new credentials are delivered as it is delivered, so the next
    ///    caller is served by step 1 or 2 again.
    ///
    /// A request naming a length is obtained as asked and delivered nowhere.
    pub async fn serve(
        &self,
        snapshot: &Snapshot,
        name: &str,
        request: &CredentialRequest,
        mfa: &dyn MfaPrompt,
    ) -> Result<Credentials> {
        if request.duration.is_some() {
            return Ok(self.obtain(snapshot, name, request, mfa).await?.credentials);
        }
        if let Some(served) = snapshot.cached_session(name)? {
            return Ok(served);
        }
        let request = snapshot.request_for(name, request)?;
        if let Some(kept) = self.kept_session(snapshot, name, &request).await? {
            return Ok(kept);
        }
        let job = self.job(snapshot, name, &request)?;
        // A role session held by the running engine (obtained by it, or by another process that
        // gave it over), bound to the same files, source and roles.
        #[cfg(unix)]
        let handover = match (&self.running, !job.plan.is_session()) {
            (Some(running), false) => {
                let entry = session_entry(name);
                let bound = session_bound(snapshot, &job.plan, &request);
                let margin = role_session_margin(snapshot, &job.plan, &request);
                if let Some(held) = running.get(&entry, &bound, margin) {
                    tracing::debug!(profile = %name, "served by the running engine");
                    return Ok(held);
                }
                Some((running, entry, bound))
            }
            _ => None,
        };
        let obtained = crate::obtain::obtain(&self.obtainer(snapshot), job, mfa).await?;
        if obtained.new {
            self.deliver_one(snapshot, name, &obtained.credentials)?;
            #[cfg(unix)]
            if let Some((running, entry, bound)) = handover {
                running.keep(&entry, &bound, &obtained.credentials);
            }
        }
        Ok(obtained.credentials)
    }

    /// A process-delivered active session as held or kept, if it still has more than the
    /// serving margin left (what `credential-process` serves between the refresh engine's
    /// renewals). Any other role session held or kept is found by [`Engine::obtain`] itself.
    async fn kept_session(
        &self,
        snapshot: &Snapshot,
        name: &str,
        request: &CredentialRequest,
    ) -> Result<Option<Credentials>> {
        let state = snapshot.state()?;
        let choice = state.choice(name);
        if !state.active.contains(name) || choice.delivery != Delivery::Process {
            return Ok(None);
        }
        let plan = snapshot.plan(name)?;
        let length = choice
            .expires
            .as_deref()
            .and_then(parse_isoformat)
            .zip(choice.issued.as_deref().and_then(parse_isoformat))
            .and_then(|(expires, issued)| expires.duration_since(issued).ok());
        let margin = snapshot.serving_margin(length);
        Ok(kept_role_session(&self.obtainer(snapshot), &plan, request, margin).await)
    }

    /// Obtain `name`'s credentials now, as a renewal the user asked for (`login`): a new role
    /// session from STS (an MFA session is still used); an active session's new credentials
    /// replace its delivered ones (as the refresh engine would).
    pub async fn renew(
        &self,
        name: &str,
        request: &CredentialRequest,
        mfa: &dyn MfaPrompt,
    ) -> Result<Credentials> {
        let snapshot = self.snapshot();
        let request = snapshot.request_for(name, request)?;
        let obtained = self.obtain(&snapshot, name, &request, mfa).await?;
        if obtained.new {
            self.deliver_one(&snapshot, name, &obtained.credentials)?;
        }
        Ok(obtained.credentials)
    }

    /// The job of obtaining `name` with `request` (completed) from `snapshot`.
    pub(crate) fn job(
        &self,
        snapshot: &Snapshot,
        name: &str,
        request: &CredentialRequest,
    ) -> Result<Job> {
        let plan = snapshot.plan(name)?;
        let keep = Keep::for_session(snapshot, &plan);
        Ok(Job {
            plan,
            request: request.clone(),
            keep,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::UNIX_EPOCH;

    use super::*;
    use crate::clock::ManualClock;
    use crate::delivery;
    use crate::env::{MapEnv, RealFs};
    use crate::secret::Secret;
    use std::time::Duration;

    fn session(expires_in: u64) -> Credentials {
        Credentials {
            access_key_id: "ASIASERVEDTEST000001".into(),
            secret_access_key: Secret::new("served-secret"),
            session_token: Some(Secret::new("served-token")),
            expiration: Some(UNIX_EPOCH + Duration::from_secs(1_800_000_000 + expires_in)),
        }
    }

    /// An engine over a temp dir whose credentials file holds the active session `s`.
    fn engine_with_session(dir: &std::path::Path, expires_in: u64, lead: &str) -> Engine {
        let engine = engine_at(dir, lead, 0);
        delivery::write_session(
            &engine.locations().credentials,
            &engine.state_store(),
            ("s", &session(expires_in), delivery::Purpose::Activate),
            false,
            engine.clock().now(),
        )
        .expect("write session");
        engine
    }

    /// An engine over a temp dir whose clock is `later` seconds after the sessions were written.
    fn engine_at(dir: &std::path::Path, lead: &str, later: u64) -> Engine {
        let env = MapEnv::default()
            .with("HOME", &dir.display().to_string())
            .with("ROLEKEEPER_REFRESH_BEFORE", lead);
        let clock = ManualClock::new(UNIX_EPOCH + Duration::from_secs(1_800_000_000 + later));
        Engine::new(Arc::new(env), Arc::new(RealFs), Arc::new(clock))
    }

    #[test]
    fn a_fresh_active_session_is_read_back_from_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let engine = engine_with_session(dir.path(), 3600, "15m");
        let served = engine.cached_session("s").expect("read").expect("served");
        assert_eq!(served.access_key_id, "ASIASERVEDTEST000001");
        assert_eq!(served.secret_access_key.expose(), "served-secret");
        assert_eq!(
            served.session_token.as_ref().map(Secret::expose),
            Some("served-token")
        );
        assert_eq!(served.expiration, session(3600).expiration);
        assert!(engine.cached_session("other").expect("read").is_none());
    }

    #[test]
    fn a_session_inside_the_lead_or_edited_is_not_served() {
        let dir = tempfile::tempdir().expect("tempdir");
        // 10 min left of a 1 h session, 15 min lead: renew instead.
        engine_with_session(dir.path(), 3600, "15m");
        let engine = engine_at(dir.path(), "15m", 3000);
        assert!(engine.cached_session("s").expect("read").is_none());
        // Lead below a minute still keeps a minute.
        let engine = engine_with_session(dir.path(), 50, "10s");
        assert_eq!(engine.serving_margin(None), Duration::from_secs(60));
        assert!(engine.cached_session("s").expect("read").is_none());
        // A 15 min session under a 15 min lead is served for the first half of its life.
        let engine = engine_with_session(dir.path(), 900, "15m");
        assert!(engine.cached_session("s").expect("read").is_some());
        let engine = engine_at(dir.path(), "15m", 460);
        assert!(engine.cached_session("s").expect("read").is_none());

        let engine = engine_with_session(dir.path(), 3600, "15m");
        let path = engine.locations().credentials;
        let text = std::fs::read_to_string(&path).expect("read");
        std::fs::write(&path, text.replace("served-secret", "edited")).expect("edit");
        assert!(engine.cached_session("s").expect("read").is_none());
    }
}
