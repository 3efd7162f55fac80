//! Sessions kept in the keychain so they survive restarts: the MFA session of each source and
//! device (entry `mfa:SOURCE:SERIAL`), the session token of a source served on its own
//! (`token:SOURCE`), and each role session obtained (`session:NAME`), as JSON
//! blobs with their expiry. Never in a file: they are as good as keys until they expire.
//!
//! The cache only saves codes and STS calls. Every failure to read or write it (no keychain, a
//! locked one, an old blob) is logged and treated as a miss, never as an error.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::credentials::Credentials;
use crate::keychain::{call, SecretStore};
use crate::secret::Secret;

/// Keychain calls of the cache give up sooner than the source's: a slow keychain must not delay a
/// renewal that works without it.
const CACHE_TIMEOUT: Duration = Duration::from_secs(3);

const BLOB_VERSION: u32 = 1;

/// The entry of the MFA session of `source` (a keychain source or a profile with keys) and the
/// device `serial`.
pub fn mfa_entry(source: &str, serial: &str) -> String {
    format!("mfa:{source}:{serial}")
}

/// The entry of the session token of a keychain source with no MFA device, served on its own.
pub fn token_entry(source: &str) -> String {
    format!("token:{source}")
}

/// The entry of the role session delivered as `name`.
pub fn session_entry(name: &str) -> String {
    format!("session:{name}")
}

#[derive(Serialize)]
struct BlobOut<'a> {
    version: u32,
    /// What the session was obtained for (source key id, roles): a cached session is used only
    /// for the same thing, so a changed profile or replaced keys never get a stale session.
    bound_to: &'a str,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    session_token: Option<&'a str>,
    /// Unix seconds.
    expiration: u64,
}

#[derive(Deserialize)]
struct BlobIn {
    bound_to: String,
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    expiration: u64,
}

/// A cached session as read back.
struct Cached {
    pub credentials: Credentials,
    bound_to: String,
}

fn to_blob(bound_to: &str, credentials: &Credentials) -> Option<Secret> {
    let expiration = credentials
        .expiration?
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_secs();
    let out = BlobOut {
        version: BLOB_VERSION,
        bound_to,
        access_key_id: &credentials.access_key_id,
        secret_access_key: credentials.secret_access_key.expose(),
        session_token: credentials.session_token.as_ref().map(Secret::expose),
        expiration,
    };
    serde_json::to_string(&out).ok().map(Secret::new)
}

fn from_blob(blob: &Secret) -> Option<Cached> {
    // serde_json's error could quote the secret: only "unreadable" is kept.
    let parsed: BlobIn = serde_json::from_str(blob.expose()).ok()?;
    Some(Cached {
        credentials: Credentials {
            access_key_id: parsed.access_key_id,
            secret_access_key: Secret::new(parsed.secret_access_key),
            session_token: parsed.session_token.map(Secret::new),
            expiration: Some(UNIX_EPOCH + Duration::from_secs(parsed.expiration)),
        },
        bound_to: parsed.bound_to,
    })
}

#[derive(Debug, Clone)]
pub struct SessionCache {
    store: Arc<dyn SecretStore>,
}

impl SessionCache {
    pub fn new(store: Arc<dyn SecretStore>) -> Self {
        Self { store }
    }

    /// The keychain it keeps sessions in.
    pub(crate) fn store(&self) -> &Arc<dyn SecretStore> {
        &self.store
    }

    /// The session in `entry`, whatever its age, if it was obtained for `bound_to`.
    pub async fn read(&self, entry: &str, bound_to: &str) -> Option<Credentials> {
        let name = entry.to_owned();
        let blob = match call(&self.store, CACHE_TIMEOUT, move |s| s.get(&name)).await {
            Ok(blob) => blob,
            Err(crate::keychain::KeychainError::NotFound { .. }) => return None,
            Err(error) => {
                tracing::debug!(entry, %error, "session cache not read");
                return None;
            }
        };
        let Some(cached) = from_blob(&blob) else {
            tracing::debug!(entry, "session cache entry unreadable; ignored");
            return None;
        };
        (cached.bound_to == bound_to).then_some(cached.credentials)
    }

    /// When the session in `entry` ends, whatever it was obtained for (for `status`).
    pub async fn expiry(&self, entry: &str) -> Option<SystemTime> {
        let name = entry.to_owned();
        let blob = call(&self.store, CACHE_TIMEOUT, move |s| s.get(&name))
            .await
            .ok()?;
        from_blob(&blob)?.credentials.expiration
    }

    /// The session in `entry` if it was obtained for `bound_to` and has more than `margin` left
    /// at `now`.
    pub async fn fresh(
        &self,
        entry: &str,
        bound_to: &str,
        now: SystemTime,
        margin: Duration,
    ) -> Option<Credentials> {
        let credentials = self.read(entry, bound_to).await?;
        let usable = credentials.expiration.is_some_and(|end| end > now + margin);
        usable.then_some(credentials)
    }

    /// Keep `credentials` (which must expire) as `entry`.
    pub async fn put(&self, entry: &str, bound_to: &str, credentials: &Credentials) {
        let Some(blob) = to_blob(bound_to, credentials) else {
            return;
        };
        let name = entry.to_owned();
        if let Err(error) = call(&self.store, CACHE_TIMEOUT, move |s| s.set(&name, &blob)).await {
            tracing::debug!(entry, %error, "session cache not written");
        }
    }

    /// Forget `entry` (its session was refused by STS).
    pub async fn forget(&self, entry: &str) {
        let name = entry.to_owned();
        if let Err(error) = call(&self.store, CACHE_TIMEOUT, move |s| s.delete(&name)).await {
            tracing::debug!(entry, %error, "session cache entry not removed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keychain::MemoryStore;

    fn session(expires: u64) -> Credentials {
        Credentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new("sekrit"),
            session_token: Some(Secret::new("token")),
            expiration: Some(UNIX_EPOCH + Duration::from_secs(expires)),
        }
    }

    #[tokio::test]
    async fn a_session_is_used_while_fresh_and_for_what_it_was_obtained() {
        let cache = SessionCache::new(Arc::new(MemoryStore::default()));
        let at = |s: u64| UNIX_EPOCH + Duration::from_secs(s);
        let margin = Duration::from_secs(100);
        assert!(cache.fresh("session:a", "x", at(0), margin).await.is_none());
        cache.put("session:a", "x", &session(1000)).await;
        let got = cache.fresh("session:a", "x", at(0), margin).await;
        assert_eq!(
            got.map(|c| c.secret_access_key),
            Some(Secret::new("sekrit"))
        );
        // (bound to, now, usable)
        for (bound, now, usable) in [("x", 899, true), ("x", 900, false), ("y", 0, false)] {
            let got = cache.fresh("session:a", bound, at(now), margin).await;
            assert_eq!(got.is_some(), usable, "{bound} {now}");
        }
        cache.forget("session:a").await;
        assert!(cache.read("session:a", "x").await.is_none());
        // No expiry, nothing to cache.
        let mut keys = session(0);
        keys.expiration = None;
        cache.put("session:b", "x", &keys).await;
        assert!(cache.read("session:b", "x").await.is_none());
    }
}
