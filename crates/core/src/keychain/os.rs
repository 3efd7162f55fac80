//! The OS keychain through `keyring-core`: the Secret Service on Linux (gnome-keyring, KWallet,
//! KeePassXC) with the zbus store, the login keychain on macOS, the Credential Manager on
//! Windows. The three stores have the same API; only which one is built differs.
//!
//! The connection is made on first use and kept only once it succeeded: the tray app may start
//! at login before the keyring daemon is up, and must work as soon as it is. A connection that
//! later fails is dropped too, so the next call reconnects (the daemon may have been replaced).
//!
//! The macOS and Windows stores are type-checked for their targets, but only the Linux one runs
//! in the tests here; other platforms get [`KeychainError::UnsupportedPlatform`].

use super::{KeychainError, SecretStore};
use crate::secret::Secret;

#[cfg(any(target_os = "linux", target_os = "macos", windows))]
pub use native::OsKeychain;

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
pub use other::OsKeychain;

#[cfg(any(target_os = "linux", target_os = "macos", windows))]
mod native {
    use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

    #[cfg(target_os = "macos")]
    use apple_native_keyring_store::keychain::Store;
    use keyring_core::api::CredentialStoreApi;
    use keyring_core::{Entry, Error};
    #[cfg(windows)]
    use windows_native_keyring_store::Store;
    #[cfg(target_os = "linux")]
    use zbus_secret_service_keyring_store::Store;

    use super::{KeychainError, Secret, SecretStore};
    use crate::keychain::SERVICE;

    /// The platform's keychain (on Linux, the Secret Service on the session bus).
    #[derive(Debug, Default)]
    pub struct OsKeychain {
        store: Mutex<Option<Arc<Store>>>,
    }

    impl Drop for OsKeychain {
        /// The store's blocking D-Bus connection shuts down with a `block_on` of its own, which
        /// panics when the last reference goes on an async runtime's thread (an engine dropped
        /// at the end of an async function). Let it go on a plain thread instead.
        fn drop(&mut self) {
            if let Some(store) = self.slot().take() {
                let _ = std::thread::Builder::new()
                    .name("keychain-close".to_owned())
                    .spawn(move || drop(store));
            }
        }
    }

    impl OsKeychain {
        pub fn new() -> Self {
            Self::default()
        }

        fn slot(&self) -> MutexGuard<'_, Option<Arc<Store>>> {
            // The slot holds an `Option` that is valid whatever a panicking holder did.
            self.store.lock().unwrap_or_else(PoisonError::into_inner)
        }

        /// The connected store, connecting now if there is none; a failure is not remembered.
        fn store(&self) -> Result<Arc<Store>, KeychainError> {
            let mut slot = self.slot();
            if let Some(store) = slot.as_ref() {
                return Ok(Arc::clone(store));
            }
            let store = Store::new().map_err(|e| KeychainError::Unavailable {
                detail: platform_detail(&e),
            })?;
            *slot = Some(Arc::clone(&store));
            Ok(store)
        }

        fn entry(&self, name: &str) -> Result<Entry, KeychainError> {
            self.store()?
                .build(SERVICE, name, None)
                .map_err(|e| self.map_error(name, e))
        }

        /// Put a keyring error in RoleKeeper's words. Never formats a blob: `BadEncoding` and
        /// `BadDataFormat` carry the stored bytes.
        fn map_error(&self, name: &str, error: Error) -> KeychainError {
            match error {
                Error::NoEntry => KeychainError::NotFound {
                    name: name.to_owned(),
                },
                // A locked collection, a dismissed prompt, or no default collection.
                Error::NoStorageAccess(_) => KeychainError::Locked,
                Error::PlatformFailure(_) => {
                    // The connection may be what failed (bus gone, daemon replaced): reconnect
                    // next time.
                    *self.slot() = None;
                    let detail = platform_detail(&error);
                    if detail.contains("ServiceUnknown") || detail.contains("not provided by") {
                        KeychainError::Unavailable { detail }
                    } else {
                        KeychainError::Platform { detail }
                    }
                }
                Error::BadEncoding(_) | Error::BadDataFormat(..) => KeychainError::Unreadable {
                    name: name.to_owned(),
                    why: "its content is not text".to_owned(),
                },
                Error::Ambiguous(entries) => KeychainError::Unreadable {
                    name: name.to_owned(),
                    why: format!("{} keychain items match it", entries.len()),
                },
                Error::TooLong(what, limit) => KeychainError::Platform {
                    detail: format!("{what} is longer than the keychain's limit of {limit}"),
                },
                Error::Invalid(what, why) => KeychainError::Platform {
                    detail: format!("{what} {why}"),
                },
                _ => KeychainError::Platform {
                    detail: "an unexpected keychain error".to_owned(),
                },
            }
        }
    }

    /// The platform error's text: bus addresses and D-Bus error names, no secret.
    fn platform_detail(error: &Error) -> String {
        match error {
            Error::PlatformFailure(inner) | Error::NoStorageAccess(inner) => inner.to_string(),
            _ => "an unexpected keychain error".to_owned(),
        }
    }

    impl SecretStore for OsKeychain {
        fn get(&self, name: &str) -> Result<Secret, KeychainError> {
            let bytes = self
                .entry(name)?
                .get_secret()
                .map_err(|e| self.map_error(name, e))?;
            // The bytes are dropped on both paths; only the text is kept, as a Secret.
            String::from_utf8(bytes)
                .map(Secret::new)
                .map_err(|_| KeychainError::Unreadable {
                    name: name.to_owned(),
                    why: "its content is not UTF-8 text".to_owned(),
                })
        }

        fn set(&self, name: &str, blob: &Secret) -> Result<(), KeychainError> {
            self.entry(name)?
                .set_secret(blob.expose().as_bytes())
                .map_err(|e| self.map_error(name, e))
        }

        fn delete(&self, name: &str) -> Result<(), KeychainError> {
            self.entry(name)?
                .delete_credential()
                .map_err(|e| self.map_error(name, e))
        }

        /// The Secret Service's default collection, where the store keeps its entries: its
        /// `Locked` property. Reading it never prompts.
        #[cfg(target_os = "linux")]
        fn is_locked(&self) -> Result<bool, KeychainError> {
            use secret_service::blocking::SecretService;
            use secret_service::{EncryptionType, Error as SsError};
            let failed = |e: SsError| match e {
                // No `default` alias: nowhere for the store's entries to go.
                SsError::NoResult => KeychainError::Unavailable {
                    detail: "the Secret Service has no default keyring".to_owned(),
                },
                SsError::Unavailable => KeychainError::Unavailable {
                    detail: e.to_string(),
                },
                other => KeychainError::Platform {
                    detail: other.to_string(),
                },
            };
            let service = SecretService::connect(EncryptionType::Plain).map_err(failed)?;
            let collection = service.get_default_collection().map_err(failed)?;
            collection.is_locked().map_err(failed)
        }
    }
}

/// An idle daemon must not wake up (BENCHMARKS.md, "Idle daemon"). zbus runs either on tokio or on
/// async-io; on async-io its blocking work (connecting the socket) goes to the `blocking` crate's
/// pool, whose idle threads (blocking 1.7) never end and wake every 500 ms: 120 wake-ups a minute
/// for the life of a daemon that touched the keychain once. zbus's `tokio` feature
/// (crates/core/Cargo.toml) keeps it on tokio, where nothing polls.
#[cfg(all(test, target_os = "linux"))]
mod idle_tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::OsKeychain;
    use crate::keychain::{call, SecretStore};

    const CHILD: &str = "keychain::os::idle_tests::keychain_call_in_this_process";

    /// Threads of the `blocking` crate's pool in this process.
    fn polling_threads() -> Vec<String> {
        std::fs::read_dir("/proc/self/task")
            .map(|tasks| {
                tasks
                    .filter_map(Result::ok)
                    .filter_map(|t| std::fs::read_to_string(t.path().join("comm")).ok())
                    .map(|name| name.trim().to_owned())
                    .filter(|name| name.starts_with("blocking-"))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Run by `a_keychain_call_leaves_no_polling_thread` in a process of its own, with a session
    /// bus address where nothing listens: the connection is attempted and fails, as in a daemon
    /// on a server, and no other test shares the process's threads.
    #[test]
    #[ignore = "run by a_keychain_call_leaves_no_polling_thread in a child process"]
    fn keychain_call_in_this_process() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let store: Arc<dyn SecretStore> = Arc::new(OsKeychain::new());
        let result = runtime.block_on(call(&store, Duration::from_secs(5), |s| {
            s.get("rolekeeper-test-no-such-entry")
        }));
        assert!(result.is_err(), "nothing listens on the bus address");
        assert_eq!(
            polling_threads(),
            Vec::<String>::new(),
            "the keychain left threads of the `blocking` crate, which wake every 500 ms forever: \
             is zbus's `tokio` feature still on?"
        );
    }

    #[test]
    fn a_keychain_call_leaves_no_polling_thread() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bus = dir.path().join("bus");
        let out = std::process::Command::new(std::env::current_exe().expect("test binary"))
            .args(["--exact", CHILD, "--ignored", "--test-threads=1"])
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                format!("unix:path={}", bus.display()),
            )
            .env("XDG_RUNTIME_DIR", dir.path())
            .output()
            .expect("run the test binary");
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && report.contains("1 passed"),
            "{report}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
mod other {
    use super::{KeychainError, Secret, SecretStore};

    /// No keychain on this platform yet: every call says so.
    #[derive(Debug, Default)]
    pub struct OsKeychain;

    impl OsKeychain {
        pub fn new() -> Self {
            Self
        }
    }

    impl SecretStore for OsKeychain {
        fn get(&self, _name: &str) -> Result<Secret, KeychainError> {
            Err(KeychainError::UnsupportedPlatform)
        }
        fn set(&self, _name: &str, _blob: &Secret) -> Result<(), KeychainError> {
            Err(KeychainError::UnsupportedPlatform)
        }
        fn delete(&self, _name: &str) -> Result<(), KeychainError> {
            Err(KeychainError::UnsupportedPlatform)
        }
    }
}
