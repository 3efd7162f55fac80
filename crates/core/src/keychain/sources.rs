//! Sources as a whole: each one's keys in the keychain (entry `source:NAME` under
//! [`SERVICE`](super::SERVICE)) and its name in the index, kept in step.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use super::{call, KeychainError, SecretStore, Source, SourceIndex, SourceInfo, KEYCHAIN_TIMEOUT};
use crate::error::{Error, Result};

/// The keychain entry of a source.
pub fn entry_name(source: &str) -> String {
    format!("source:{source}")
}

#[derive(Debug, Clone)]
pub struct Sources {
    store: Arc<dyn SecretStore>,
    index: SourceIndex,
    timeout: Duration,
}

impl Sources {
    pub fn new(store: Arc<dyn SecretStore>, index: SourceIndex) -> Self {
        Self {
            store,
            index,
            timeout: KEYCHAIN_TIMEOUT,
        }
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn index(&self) -> &SourceIndex {
        &self.index
    }

    fn keychain_error(name: &str, cause: KeychainError) -> Error {
        Error::Keychain {
            name: name.to_owned(),
            cause,
        }
    }

    /// Store `source`'s keys (replacing a source of the same name) and list it. The keychain is
    /// written first: a name in the index always has keys behind it, unless removed elsewhere.
    pub async fn add(&self, source: Source) -> Result<SourceInfo> {
        source.validate()?;
        let entry = entry_name(&source.name);
        let blob = source.to_blob();
        call(&self.store, self.timeout, move |s| s.set(&entry, &blob))
            .await
            .map_err(|e| Self::keychain_error(&source.name, e))?;
        let info = SourceInfo {
            name: source.name,
            mfa_serial: source.mfa_serial,
            region: source.region,
        };
        self.index.put(info.clone())?;
        Ok(info)
    }

    /// The source `name` with its keys, read from the keychain now.
    pub async fn get(&self, name: &str) -> Result<Source> {
        let entry = entry_name(name);
        let blob = call(&self.store, self.timeout, move |s| s.get(&entry))
            .await
            .map_err(|e| match e {
                KeychainError::NotFound { .. } => Error::SourceKeysMissing {
                    name: name.to_owned(),
                },
                other => Self::keychain_error(name, other),
            })?;
        Ok(Source::from_blob(name, &blob)?)
    }

    /// Every source, from the index alone (no keychain access).
    pub fn list(&self) -> Result<Vec<SourceInfo>> {
        Ok(self.index.list()?)
    }

    /// The names profiles can use as `source_profile`.
    pub fn names(&self) -> Result<BTreeSet<String>> {
        Ok(self.list()?.into_iter().map(|i| i.name).collect())
    }

    /// Remove `name`'s keys and its index entry. An entry found in only one of the two is still
    /// removed from it; a name in neither is an error.
    pub async fn remove(&self, name: &str) -> Result<()> {
        let entry = entry_name(name);
        let in_keychain = match call(&self.store, self.timeout, move |s| s.delete(&entry)).await {
            Ok(()) => true,
            Err(KeychainError::NotFound { .. }) => false,
            Err(e) => return Err(Self::keychain_error(name, e)),
        };
        let in_index = self.index.remove(name)?;
        if in_keychain || in_index {
            Ok(())
        } else {
            Err(Error::UnknownSource {
                name: name.to_owned(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keychain::MemoryStore;
    use crate::secret::Secret;

    fn sources(dir: &std::path::Path) -> (Arc<MemoryStore>, Sources) {
        let store = Arc::new(MemoryStore::default());
        let dyn_store: Arc<dyn SecretStore> = store.clone();
        (store, Sources::new(dyn_store, SourceIndex::in_dir(dir)))
    }

    fn dev() -> Source {
        Source {
            name: "dev".into(),
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            mfa_serial: Some("arn:aws:iam::123456789012:mfa/alice".into()),
            region: Some("eu-west-1".into()),
        }
    }

    #[tokio::test]
    async fn add_get_list_remove() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, sources) = sources(dir.path());
        sources.add(dev()).await.expect("add");
        assert!(store.get("source:dev").is_ok(), "stored under source:NAME");
        assert_eq!(sources.get("dev").await.expect("get"), dev());
        let listed = sources.list().expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].region.as_deref(), Some("eu-west-1"));
        let index_text = std::fs::read_to_string(sources.index().path()).expect("index");
        assert!(!index_text.contains("wJalr") && !index_text.contains("AKIA"));
        sources.remove("dev").await.expect("remove");
        assert!(store.get("source:dev").is_err());
        assert!(sources.list().expect("list").is_empty());
    }

    #[tokio::test]
    async fn errors_say_what_is_missing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, sources) = sources(dir.path());
        let e = sources.remove("ghost").await.expect_err("unknown");
        assert!(matches!(e, Error::UnknownSource { .. }), "{e}");
        sources.add(dev()).await.expect("add");
        store.delete("source:dev").expect("delete behind its back");
        let e = sources.get("dev").await.expect_err("keys gone");
        assert!(e.to_string().contains("source add dev"), "{e}");
        // Listed but without keys: remove still cleans the index.
        sources.remove("dev").await.expect("remove");
        let mut bad = dev();
        bad.access_key_id = "nope".into();
        let e = sources.add(bad).await.expect_err("invalid");
        assert!(e.to_string().contains("AKIA"), "{e}");
        assert!(sources.list().expect("list").is_empty());
    }
}
