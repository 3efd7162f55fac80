//! Long-term source keys in the OS keychain.
//!
//! [`SecretStore`] is the seam: named blobs, get/set/delete. [`OsKeychain`] is the real one
//! (Secret Service on Linux); [`MemoryStore`] is for tests of pure logic. Keychain calls block
//! (D-Bus round trips, and a locked keychain may wait for a prompt), so the engine only calls them
//! through [`call`], which runs them on tokio's blocking pool under [`KEYCHAIN_TIMEOUT`].
//!
//! What is stored: one JSON blob per source ([`source`]), and a non-secret index of the names
//! beside RoleKeeper's state file ([`index`]) so listing sources never needs the keychain unlocked.

mod index;
mod memory;
mod os;
mod source;
mod sources;

use std::sync::Arc;
use std::time::Duration;

pub use index::{IndexError, SourceIndex, SourceInfo};
pub use memory::MemoryStore;
pub use os::OsKeychain;
pub use source::{
    validate_access_key_id, validate_mfa_serial, validate_source_name, Source, SourceError,
};
pub use sources::{entry_name, Sources};

use crate::secret::Secret;

/// The keychain service every RoleKeeper entry is filed under.
pub const SERVICE: &str = "rolekeeper";

/// How long one keychain call may take before the engine gives up on it. A locked keychain with
/// no prompter answers in about 0.1 s; one whose prompter waits for a password would block
/// forever.
pub const KEYCHAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// A keychain: named secret blobs under [`SERVICE`]. Implementations block; call them through
/// [`call`] from async code.
pub trait SecretStore: Send + Sync + std::fmt::Debug {
    /// The blob stored as `name`; [`KeychainError::NotFound`] if there is none.
    fn get(&self, name: &str) -> Result<Secret, KeychainError>;
    /// Store `blob` as `name`, replacing what was there.
    fn set(&self, name: &str, blob: &Secret) -> Result<(), KeychainError>;
    /// Remove `name`; [`KeychainError::NotFound`] if there is none.
    fn delete(&self, name: &str) -> Result<(), KeychainError>;
    /// Whether the keychain is locked, so that reading an entry fails (or prompts). Asked
    /// separately because looking for an entry that does not exist succeeds on a locked keychain
    /// too: [`SecretStore::get`] of a probe name cannot tell. A store with no lock is never
    /// locked.
    fn is_locked(&self) -> Result<bool, KeychainError> {
        Ok(false)
    }
}

/// What went wrong with the keychain. Messages say what to do and never hold a secret (a blob
/// that cannot be read is described, not shown).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeychainError {
    #[error("no keychain available: is a Secret Service such as gnome-keyring running and unlocked? ({detail})")]
    Unavailable { detail: String },

    #[error("the keychain is locked: unlock it (e.g. log in to the desktop) and retry")]
    Locked,

    #[error("the keychain has no entry `{name}`")]
    NotFound { name: String },

    #[error("the keychain did not answer within {seconds} s; check that it is running and not waiting for a password prompt, then retry")]
    Timeout { seconds: u64 },

    #[error("the keychain failed: {detail}; check that the Secret Service is running, then retry")]
    Platform { detail: String },

    #[error("the keychain entry `{name}` is not one RoleKeeper wrote ({why}); remove it with `rolekeeper source remove` and add it again")]
    Unreadable { name: String, why: String },

    #[error("keychain sources are not supported on this platform yet (only the Linux Secret Service is); use source_profile with keys in ~/.aws/credentials")]
    UnsupportedPlatform,
}

/// How many keychain calls of this process run at once, at most.
pub const MAX_CONCURRENT_CALLS: usize = 4;

static IN_FLIGHT: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(MAX_CONCURRENT_CALLS);

/// Run one blocking keychain operation off the async threads (at most
/// [`MAX_CONCURRENT_CALLS`] at once; waiting for a turn counts towards `timeout`), giving up after `timeout`. The
/// operation's thread cannot be cancelled: it finishes (or hangs) on its own, and the engine goes
/// on with [`KeychainError::Timeout`].
pub async fn call<T, F>(
    store: &Arc<dyn SecretStore>,
    timeout: Duration,
    op: F,
) -> Result<T, KeychainError>
where
    T: Send + 'static,
    F: FnOnce(&dyn SecretStore) -> Result<T, KeychainError> + Send + 'static,
{
    let store = Arc::clone(store);
    let work = async move {
        // A permit is held for the whole call, on the blocking thread too: a batch of 500
        // renewals queues here instead of opening 500 Secret Service calls at once.
        let permit = IN_FLIGHT.acquire().await;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            op(store.as_ref())
        })
        .await
    };
    // Rounded up: a sub-second timeout (tests) must not read as "0 s".
    let timed_out = || KeychainError::Timeout {
        seconds: timeout
            .as_millis()
            .div_ceil(1000)
            .try_into()
            .unwrap_or(u64::MAX),
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(Ok(result)) => result,
        // The operation panicked; the keychain crates do not say what state that leaves.
        Ok(Err(join)) => Err(KeychainError::Platform {
            detail: format!("the keychain call stopped unexpectedly ({join})"),
        }),
        Err(_) => Err(timed_out()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store whose calls take longer than any timeout the test uses.
    #[derive(Debug)]
    struct Slow;

    impl SecretStore for Slow {
        fn get(&self, _: &str) -> Result<Secret, KeychainError> {
            std::thread::sleep(Duration::from_millis(500));
            Ok(Secret::new("late"))
        }
        fn set(&self, _: &str, _: &Secret) -> Result<(), KeychainError> {
            Ok(())
        }
        fn delete(&self, _: &str) -> Result<(), KeychainError> {
            Ok(())
        }
    }

    /// A store that records how many of its calls run at once.
    #[derive(Debug, Default)]
    struct Counting {
        now: std::sync::atomic::AtomicUsize,
        most: std::sync::atomic::AtomicUsize,
    }

    impl SecretStore for Counting {
        fn get(&self, _: &str) -> Result<Secret, KeychainError> {
            use std::sync::atomic::Ordering::SeqCst;
            let running = self.now.fetch_add(1, SeqCst) + 1;
            self.most.fetch_max(running, SeqCst);
            std::thread::sleep(Duration::from_millis(20));
            self.now.fetch_sub(1, SeqCst);
            Ok(Secret::new("x"))
        }
        fn set(&self, _: &str, _: &Secret) -> Result<(), KeychainError> {
            Ok(())
        }
        fn delete(&self, _: &str) -> Result<(), KeychainError> {
            Ok(())
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_than_a_few_keychain_calls_run_at_once() {
        let counting = Arc::new(Counting::default());
        let store: Arc<dyn SecretStore> = counting.clone();
        let calls: Vec<_> = (0..32)
            .map(|_| {
                let store = Arc::clone(&store);
                tokio::spawn(
                    async move { call(&store, Duration::from_secs(10), |s| s.get("x")).await },
                )
            })
            .collect();
        for c in calls {
            assert!(c.await.expect("joined").is_ok());
        }
        let most = counting.most.load(std::sync::atomic::Ordering::SeqCst);
        assert!(
            (1..=MAX_CONCURRENT_CALLS).contains(&most),
            "{most} calls ran at once"
        );
    }

    #[tokio::test]
    async fn a_hanging_keychain_times_out() {
        let store: Arc<dyn SecretStore> = Arc::new(Slow);
        let got = call(&store, Duration::from_millis(50), |s| s.get("x")).await;
        assert_eq!(got, Err(KeychainError::Timeout { seconds: 1 }));
        let got = call(&store, Duration::from_secs(5), |s| s.get("x")).await;
        assert_eq!(got.map(|s| s.expose().to_owned()), Ok("late".to_owned()));
    }
}
