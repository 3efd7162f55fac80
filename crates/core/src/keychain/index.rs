//! The index of keychain sources: names and their non-secret settings, in `sources.json` beside
//! RoleKeeper's state file (mode 0600, written atomically). It lets `source list` and profile
//! resolution know the sources without unlocking the keychain. It never holds key material.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::env::Fs;
use crate::json_store::{JsonStore, StoreError};

/// What the index knows of one source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    pub name: String,
    #[serde(default)]
    pub mfa_serial: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct IndexFile {
    #[serde(default)]
    sources: BTreeMap<String, SourceInfo>,
}

/// `sources.json` in a directory.
#[derive(Debug, Clone)]
pub struct SourceIndex {
    file: JsonStore<IndexFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("RoleKeeper's source index {path} cannot be used: {cause}; fix or delete it (it holds no secrets; sources missing from it must be added again)")]
pub struct IndexError {
    pub path: PathBuf,
    pub cause: String,
}

impl SourceIndex {
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            file: JsonStore::new(dir.join("sources.json")),
        }
    }

    /// The same index, read and written through `fs`.
    pub fn on(&self, fs: Arc<dyn Fs>) -> Self {
        Self {
            file: self.file.on(fs),
        }
    }

    pub fn path(&self) -> &Path {
        self.file.path()
    }

    fn error(&self, cause: StoreError) -> IndexError {
        let (StoreError::Read(cause) | StoreError::Write(cause)) = cause;
        IndexError {
            path: self.path().to_owned(),
            cause,
        }
    }

    fn load(&self) -> Result<IndexFile, IndexError> {
        self.file.load().map_err(|e| self.error(e))
    }

    fn save(&self, file: &IndexFile) -> Result<(), IndexError> {
        self.file.save(file).map_err(|e| self.error(e))
    }

    /// Every source by name, from one read of the index.
    pub fn all(&self) -> Result<BTreeMap<String, SourceInfo>, IndexError> {
        Ok(self.load()?.sources)
    }

    /// Every source, by name.
    pub fn list(&self) -> Result<Vec<SourceInfo>, IndexError> {
        Ok(self.load()?.sources.into_values().collect())
    }

    pub fn get(&self, name: &str) -> Result<Option<SourceInfo>, IndexError> {
        Ok(self.load()?.sources.remove(name))
    }

    /// Add or replace `info`. Read-modify-write: two `source add` at the same instant may lose
    /// one name from the index (the keychain keeps both); adding it again restores it.
    pub fn put(&self, info: SourceInfo) -> Result<(), IndexError> {
        let mut file = self.load()?;
        file.sources.insert(info.name.clone(), info);
        self.save(&file)
    }

    /// Remove `name`; `Ok(false)` if it was not there.
    pub fn remove(&self, name: &str) -> Result<bool, IndexError> {
        let mut file = self.load()?;
        let found = file.sources.remove(name).is_some();
        if found {
            self.save(&file)?;
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_list_remove_and_mode() {
        let dir = tempfile::tempdir().expect("tempdir");
        let index = SourceIndex::in_dir(&dir.path().join("rk"));
        assert_eq!(index.list().expect("empty"), vec![]);
        let info = |name: &str| SourceInfo {
            name: name.into(),
            mfa_serial: Some("GAHT12345678".into()),
            region: None,
        };
        index.put(info("b")).expect("put");
        index.put(info("a")).expect("put");
        let names: Vec<_> = index
            .list()
            .expect("list")
            .into_iter()
            .map(|i| i.name)
            .collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(index.get("a").expect("get"), Some(info("a")));
        assert!(index.remove("a").expect("remove"));
        assert!(!index.remove("a").expect("remove again"));
        assert_eq!(index.get("a").expect("get"), None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(index.path())
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_broken_index_names_its_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("sources.json"), "{").expect("write");
        let e = SourceIndex::in_dir(dir.path()).list().expect_err("broken");
        assert!(e.to_string().contains("sources.json"), "{e}");
    }
}
