//! One store type for RoleKeeper's three small JSON files (the state, the settings and the index
//! of keychain sources): read through the injected [`Fs`] (a missing file is the default value),
//! written atomically with mode 0600. Each file's own type wraps it with its words for errors.

use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::env::{Fs, RealFs};

/// Why a JSON file could not be used, in words (the cause only: the owner names the file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// Unreadable, or not the JSON expected.
    Read(String),
    /// Not written (nothing changed).
    Write(String),
}

/// The JSON file at `path`, holding a `T`.
pub struct JsonStore<T> {
    path: PathBuf,
    fs: Arc<dyn Fs>,
    kind: PhantomData<fn() -> T>,
}

// Derived `Clone`/`Debug` would require `T: Clone`/`T: Debug`; a store holds no `T`.
impl<T> Clone for JsonStore<T> {
    fn clone(&self) -> Self {
        Self {
            path: self.path.clone(),
            fs: Arc::clone(&self.fs),
            kind: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for JsonStore<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonStore")
            .field("path", &self.path)
            .finish()
    }
}

impl<T: Serialize + DeserializeOwned + Default> JsonStore<T> {
    /// The file at `path` on the real file system.
    pub fn new(path: PathBuf) -> Self {
        Self::with_fs(path, Arc::new(RealFs))
    }

    pub fn with_fs(path: PathBuf, fs: Arc<dyn Fs>) -> Self {
        Self {
            path,
            fs,
            kind: PhantomData,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The same file through another file system.
    pub fn on(&self, fs: Arc<dyn Fs>) -> Self {
        Self::with_fs(self.path.clone(), fs)
    }

    /// The value in the file; `T::default()` when there is no file yet.
    pub fn load(&self) -> Result<T, StoreError> {
        match self.fs.read(&self.path) {
            // serde_json's message names the line and column, never a value of these files'
            // types (none holds a secret).
            Ok(Some(bytes)) => {
                serde_json::from_slice(&bytes).map_err(|e| StoreError::Read(e.to_string()))
            }
            Ok(None) => Ok(T::default()),
            Err(e) => Err(StoreError::Read(e.to_string())),
        }
    }

    /// Replace the file with `value`, pretty-printed (people read these files).
    pub fn save(&self, value: &T) -> Result<(), StoreError> {
        let mut bytes =
            serde_json::to_vec_pretty(value).map_err(|e| StoreError::Write(e.to_string()))?;
        bytes.push(b'\n');
        self.fs
            .write_private(&self.path, &bytes)
            .map_err(|e| StoreError::Write(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::MemFs;

    #[derive(Debug, Default, PartialEq, Serialize, serde::Deserialize)]
    struct Thing {
        n: u32,
    }

    #[test]
    fn missing_is_default_broken_is_an_error_and_saves_round_trip() {
        let fs = MemFs::default().with("/s/broken.json", "{");
        let fs: Arc<dyn Fs> = Arc::new(fs);
        let store = JsonStore::<Thing>::with_fs("/s/thing.json".into(), Arc::clone(&fs));
        assert_eq!(store.load(), Ok(Thing::default()));
        store.save(&Thing { n: 7 }).expect("save");
        assert_eq!(store.load(), Ok(Thing { n: 7 }));
        assert_eq!(store.on(Arc::clone(&fs)).load(), Ok(Thing { n: 7 }));
        let broken = JsonStore::<Thing>::with_fs("/s/broken.json".into(), fs);
        assert!(matches!(broken.load(), Err(StoreError::Read(_))));
    }
}
