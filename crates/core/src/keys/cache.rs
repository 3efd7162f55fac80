//! `keys.json` in the state directory: what IAM last said of each source's key, with when it was
//! asked, and the key a rotation left behind for `source rotate NAME --finish`. No key id is
//! written: a fingerprint tells which key a record is about, the masked form is for people.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::{key_fingerprint, mask};
use crate::env::Fs;
use crate::iam::LastUsed;
use crate::json_store::{JsonStore, StoreError};

/// What is known of one source's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// [`key_fingerprint`] of the key id in the keychain when IAM was asked.
    pub key: String,
    /// The key id masked (`AKIA…2345`).
    pub masked: String,
    /// The IAM user the key belongs to, and its ARN (what a new key must answer as).
    pub user: String,
    #[serde(default)]
    pub arn: String,
    #[serde(default, with = "super::optional_time")]
    pub created: Option<SystemTime>,
    /// `None`: not asked (a rotation just made the key).
    #[serde(default)]
    pub last_used: Option<LastUsed>,
    /// When IAM was asked.
    #[serde(default, with = "super::optional_time")]
    pub checked: Option<SystemTime>,
    /// A key of the same user a rotation left behind: deactivated (`--keep-old`) or, if it
    /// stopped on the way, still active.
    #[serde(default)]
    pub leftover: Option<Leftover>,
}

impl KeyRecord {
    /// Whether this record is about the key `id`.
    pub fn is_about(&self, id: &str) -> bool {
        self.key == key_fingerprint(id)
    }
}

/// A key to deactivate and delete later, known by its fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leftover {
    pub key: String,
    pub masked: String,
}

impl Leftover {
    pub fn of(id: &str) -> Self {
        Self {
            key: key_fingerprint(id),
            masked: mask(id),
        }
    }

    pub fn is(&self, id: &str) -> bool {
        self.key == key_fingerprint(id)
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile {
    #[serde(default)]
    sources: BTreeMap<String, KeyRecord>,
}

/// `keys.json` in a directory.
#[derive(Debug, Clone)]
pub struct KeyCache {
    file: JsonStore<CacheFile>,
}

/// The cache could not be read or written, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("RoleKeeper's key cache {path} cannot be used: {cause}; delete it (it holds no secret, and `rolekeeper source list --keys` fills it again)")]
pub struct KeyCacheError {
    pub path: PathBuf,
    pub cause: String,
}

impl KeyCache {
    pub fn in_dir(dir: &Path, fs: Arc<dyn Fs>) -> Self {
        Self {
            file: JsonStore::with_fs(dir.join("keys.json"), fs),
        }
    }

    fn error(&self, cause: StoreError) -> KeyCacheError {
        let (StoreError::Read(cause) | StoreError::Write(cause)) = cause;
        KeyCacheError {
            path: self.file.path().to_owned(),
            cause,
        }
    }

    /// Every record, by source name.
    pub fn all(&self) -> Result<BTreeMap<String, KeyRecord>, KeyCacheError> {
        Ok(self.file.load().map_err(|e| self.error(e))?.sources)
    }

    pub fn get(&self, source: &str) -> Result<Option<KeyRecord>, KeyCacheError> {
        Ok(self.all()?.remove(source))
    }

    /// Change `source`'s record (`None` removes it), read-modify-write.
    pub fn update(
        &self,
        source: &str,
        change: impl FnOnce(Option<KeyRecord>) -> Option<KeyRecord>,
    ) -> Result<(), KeyCacheError> {
        let mut file = self.file.load().map_err(|e| self.error(e))?;
        if let Some(record) = change(file.sources.remove(source)) {
            file.sources.insert(source.to_owned(), record);
        }
        self.file.save(&file).map_err(|e| self.error(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::RealFs;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn records_round_trip_without_the_key_id() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = KeyCache::in_dir(dir.path(), Arc::new(RealFs));
        let id = "AKIAIOSFODNN7EXAMPLE";
        let record = KeyRecord {
            key: key_fingerprint(id),
            masked: mask(id),
            user: "alice".to_owned(),
            arn: "arn:aws:iam::123456789012:user/alice".to_owned(),
            created: Some(UNIX_EPOCH + Duration::from_secs(1_800_000_000)),
            last_used: Some(LastUsed::default()),
            checked: Some(UNIX_EPOCH + Duration::from_secs(1_800_000_100)),
            leftover: Some(Leftover::of("AKIAOLDOLDOLDOLD1234")),
        };
        cache
            .update("dev", |_| Some(record.clone()))
            .expect("update");
        assert_eq!(cache.get("dev").expect("get"), Some(record.clone()));
        assert!(record.is_about(id) && !record.is_about("AKIAOLDOLDOLDOLD1234"));
        let text = std::fs::read_to_string(dir.path().join("keys.json")).expect("file");
        assert!(
            !text.contains(id) && !text.contains("AKIAOLDOLDOLDOLD1234"),
            "{text}"
        );
        cache.update("dev", |_| None).expect("remove");
        assert_eq!(cache.get("dev").expect("get"), None);
    }
}
