//! Serving an active session to a caller that wants credentials now (`credential-process`,
//! `export`, `exec`, `login`): from the credentials file while the session there is good, else
//! obtained now and, for an active session, written back so the next caller is fast again.
//!
//! The read path is synchronous and touches no network, no async runtime and no TLS: it is what
//! `credential_process` runs on every SDK refresh, so it must start and finish in a few
//! milliseconds.

use std::time::Duration;

use super::{CredentialRequest, Engine, MfaPrompt};
use crate::credentials::{parse_isoformat, Credentials};
use crate::credfile::managed::{fingerprint, ownership, Ownership};
use crate::credfile::Document;
use crate::error::{Error, Result};
use crate::runner::policy_from_env;
use crate::schedule::Renewal;
use crate::secret::Secret;
use crate::state::Delivery;

/// Never hand out credentials with less than this left, whatever the lead: the caller must have
/// time to use them.
const MIN_LEFT: Duration = Duration::from_secs(60);

impl Engine {
    /// Whether `name` is a session RoleKeeper keeps fresh in the credentials file.
    pub fn is_active(&self, name: &str) -> Result<bool> {
        Ok(self.state_store().load()?.active.contains(name))
    }

    /// How long credentials of a session lasting `length` (when known) must still be valid to be
    /// served: as long before expiry as the refresh engine renews them (the lead,
    /// `ROLEKEEPER_REFRESH_BEFORE`, 15 min by default, or half the length when the lead is not
    /// shorter than the session), at least a minute. Serving nothing the refresh engine would
    /// already renew keeps every caller on the same schedule; a session shorter than the lead is
    /// still served for the first half of its life, not renewed on every call.
    pub fn serving_margin(&self, length: Option<Duration>) -> Duration {
        Renewal::of(policy_from_env(self).lead, length)
            .before_expiry
            .max(MIN_LEFT)
    }

    /// The active session `name` as the credentials file holds it, if it is still valid for more
    /// than [`Engine::serving_margin`]. `Ok(None)` when `name` is not active, its section is
    /// missing, was edited by someone else, or is about to expire: the caller then obtains new
    /// credentials. Reads two small files; never calls STS.
    pub fn cached_session(&self, name: &str) -> Result<Option<Credentials>> {
        let state = self.state_store().load()?;
        if !state.active.contains(name) {
            return Ok(None);
        }
        let target = self.credentials_target();
        let Some(entry) = state
            .files
            .get(&target.display().to_string())
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
        let bytes = self.fs.read(&target).map_err(|cause| Error::Io {
            path: target.clone(),
            cause,
        })?;
        let doc = Document::parse(&bytes.unwrap_or_default());
        let Ownership::Managed(span) = ownership(&doc, name) else {
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

    /// A process-delivered active session as the keychain holds it, if it still has more than
    /// [`Engine::serving_margin`] left: what `credential-process` serves between the refresh
    /// engine's renewals. `Ok(None)` for any other session: the caller obtains new credentials.
    pub async fn kept_session(
        &self,
        name: &str,
        request: &CredentialRequest,
    ) -> Result<Option<Credentials>> {
        let state = self.state_store().load()?;
        let choice = state.choice(name);
        if !state.active.contains(name) || choice.delivery != Delivery::Process {
            return Ok(None);
        }
        let request = request.or_chosen(choice.duration_seconds.map(Duration::from_secs));
        let plan = self.plan(name)?;
        let length = choice
            .expires
            .as_deref()
            .and_then(parse_isoformat)
            .zip(choice.issued.as_deref().and_then(parse_isoformat))
            .and_then(|(expires, issued)| expires.duration_since(issued).ok());
        let margin = self.serving_margin(length);
        Ok(crate::mfa::obtain::cached_role_session(self, &plan, &request, margin).await)
    }

    /// Obtain `name`'s credentials now; an active session's new credentials replace its section
    /// of the credentials file (as the refresh engine would), so the next caller reads them from
    /// there.
    pub async fn renew(
        &self,
        name: &str,
        request: &CredentialRequest,
        mfa: &dyn MfaPrompt,
    ) -> Result<Credentials> {
        let credentials = self.credentials(name, request, mfa).await?;
        self.deliver_one(name, &credentials)?;
        Ok(credentials)
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
        assert_eq!(engine.serving_margin(None), MIN_LEFT);
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
