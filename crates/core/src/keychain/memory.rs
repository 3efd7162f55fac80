//! An in-memory keychain: for tests of the logic above the keychain, never for real secrets
//! (they would be lost with the process).

use std::collections::HashMap;
use std::sync::Mutex;

use super::{KeychainError, SecretStore};
use crate::secret::Secret;

#[derive(Debug, Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<String, Secret>>,
}

impl MemoryStore {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Secret>> {
        // A panic while holding the lock leaves a map that is still consistent.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, name: &str) -> Result<Secret, KeychainError> {
        self.entries()
            .get(name)
            .cloned()
            .ok_or_else(|| KeychainError::NotFound {
                name: name.to_owned(),
            })
    }

    fn set(&self, name: &str, blob: &Secret) -> Result<(), KeychainError> {
        self.entries().insert(name.to_owned(), blob.clone());
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<(), KeychainError> {
        self.entries()
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| KeychainError::NotFound {
                name: name.to_owned(),
            })
    }
}
