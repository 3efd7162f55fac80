//! Sessions one process holds in memory, and the single flights that keep concurrent asks for the
//! same session (a batch of 500 roles sharing one MFA device, two SDK processes starting at once)
//! down to one STS call and one code.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

use crate::credentials::Credentials;

/// See the module documentation. Entries are named as in the keychain (`mfa:SOURCE:SERIAL`,
/// `session:NAME`, `token:SOURCE`) and bound the same way.
#[derive(Debug, Default)]
pub struct Held {
    sessions: Mutex<HashMap<String, (String, Credentials)>>,
    flights: Mutex<HashMap<String, Arc<AsyncMutex<()>>>>,
}

/// Held while one task gets the session (or the code) a key names; others wait for it.
#[derive(Debug)]
pub struct Flight {
    _guard: OwnedMutexGuard<()>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves a map that is still valid.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Held {
    /// The session in `entry`, if it was obtained for `bound` and has more than `margin` left at
    /// `now`.
    pub fn fresh(
        &self,
        entry: &str,
        bound: &str,
        now: SystemTime,
        margin: Duration,
    ) -> Option<Credentials> {
        let sessions = lock(&self.sessions);
        let (held_for, credentials) = sessions.get(entry)?;
        let usable =
            held_for == bound && credentials.expiration.is_some_and(|end| end > now + margin);
        usable.then(|| credentials.clone())
    }

    /// Hold `credentials` (which must expire) as `entry`, obtained for `bound`.
    pub fn put(&self, entry: &str, bound: &str, credentials: &Credentials) {
        if credentials.expiration.is_none() {
            return;
        }
        lock(&self.sessions).insert(entry.to_owned(), (bound.to_owned(), credentials.clone()));
    }

    pub fn forget(&self, entry: &str) {
        lock(&self.sessions).remove(entry);
    }

    /// How many sessions are held.
    pub fn len(&self) -> usize {
        lock(&self.sessions).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Wait until no other task of this process is getting what `key` names, then hold it: the
    /// caller looks again (the one before it may have got it) and gets it only if still missing.
    pub async fn flight(&self, key: &str) -> Flight {
        let mutex = Arc::clone(lock(&self.flights).entry(key.to_owned()).or_default());
        Flight {
            _guard: mutex.lock_owned().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use std::time::UNIX_EPOCH;

    #[tokio::test]
    async fn held_while_fresh_and_bound_and_one_flight_at_a_time() {
        let held = Held::default();
        let at = |s: u64| UNIX_EPOCH + Duration::from_secs(s);
        let session = Credentials {
            access_key_id: "ASIAHELD".into(),
            secret_access_key: Secret::new("s"),
            session_token: None,
            expiration: Some(at(1000)),
        };
        held.put("session:a", "x", &session);
        let margin = Duration::from_secs(100);
        // (bound, now, usable)
        for (bound, now, usable) in [("x", 899, true), ("x", 900, false), ("y", 0, false)] {
            let got = held.fresh("session:a", bound, at(now), margin);
            assert_eq!(got.is_some(), usable, "{bound} {now}");
        }
        held.forget("session:a");
        assert!(held.is_empty());

        let first = held.flight("mfa:s:d").await;
        let waiting = tokio::time::timeout(Duration::from_millis(50), held.flight("mfa:s:d"));
        assert!(
            waiting.await.is_err(),
            "a second flight waits for the first"
        );
        let _other = held.flight("mfa:t:d").await; // another key does not wait
        drop(first);
        let _second = held.flight("mfa:s:d").await;
    }
}
