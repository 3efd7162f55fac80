//! The index of keychain sources: names and their non-secret settings, in `sources.json` beside
//! RoleKeeper's state file (mode 0600, written atomically). It lets `source list` and profile
//! resolution know the sources without unlocking the keychain. It never holds key material.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::credfile::write::{create_private_dir, write_atomic};

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
struct IndexFile {
    #[serde(default)]
    sources: BTreeMap<String, SourceInfo>,
}

/// `sources.json` in a directory.
#[derive(Debug, Clone)]
pub struct SourceIndex {
    path: PathBuf,
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
            path: dir.join("sources.json"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, cause: impl ToString) -> IndexError {
        IndexError {
            path: self.path.clone(),
            cause: cause.to_string(),
        }
    }

    fn load(&self) -> Result<IndexFile, IndexError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| self.error(e)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(IndexFile::default()),
            Err(e) => Err(self.error(e)),
        }
    }

    fn save(&self, file: &IndexFile) -> Result<(), IndexError> {
        if let Some(dir) = self.path.parent() {
            create_private_dir(dir).map_err(|e| self.error(e))?;
        }
        let mut bytes = serde_json::to_vec_pretty(file).map_err(|e| self.error(e))?;
        bytes.push(b'\n');
        write_atomic(&self.path, &bytes).map_err(|e| self.error(e))
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
