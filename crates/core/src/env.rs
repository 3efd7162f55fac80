//! The process environment and the file system, injected so tests are hermetic and so every
//! variable the AWS tools honour is read in one place.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

/// Read access to environment variables.
pub trait Env: Send + Sync + std::fmt::Debug {
    fn var(&self, name: &str) -> Option<String>;

    /// A variable that is set and not empty (the AWS tools treat empty as unset).
    fn non_empty(&self, name: &str) -> Option<String> {
        self.var(name).filter(|v| !v.is_empty())
    }

    /// The home directory the password database gives this process's user, if it has one: where
    /// `~` is when HOME is unset (services, cron).
    fn account_home(&self) -> Option<PathBuf> {
        None
    }
}

/// The real environment of this process.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    #[cfg(unix)]
    fn account_home(&self) -> Option<PathBuf> {
        use nix::unistd::{Uid, User};
        // getpwuid_r; an error (no NSS answer) counts as no entry.
        let user = User::from_uid(Uid::current()).ok().flatten()?;
        Some(user.dir).filter(|dir| dir.is_absolute())
    }
}

/// A fixed environment: for tests.
#[derive(Debug, Clone, Default)]
pub struct MapEnv(pub HashMap<String, String>);

impl MapEnv {
    /// Not a variable: the key under which a test gives the password database's home directory
    /// ([`Env::account_home`]).
    pub const ACCOUNT_HOME: &'static str = "\0account home";

    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.0.insert(name.to_owned(), value.to_owned());
        self
    }
}

impl Env for MapEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }

    /// The test's password database: `MapEnv::ACCOUNT_HOME` if set in the map.
    fn account_home(&self) -> Option<PathBuf> {
        self.0.get(Self::ACCOUNT_HOME).map(PathBuf::from)
    }
}

/// Read access to files. A missing file is `Ok(None)`, not an error: the AWS tools treat a
/// missing config or credentials file as empty.
pub trait Fs: Send + Sync + std::fmt::Debug {
    fn read(&self, path: &Path) -> io::Result<Option<Vec<u8>>>;

    /// The permission bits of `path` (a symlink's target, as the AWS tools open it); `Ok(None)`
    /// when the file is missing or the file system has no Unix modes (the default, so test
    /// doubles need not model them).
    fn mode(&self, path: &Path) -> io::Result<Option<u32>> {
        let _ = path;
        Ok(None)
    }
}

/// The real file system.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealFs;

impl Fs for RealFs {
    fn read(&self, path: &Path) -> io::Result<Option<Vec<u8>>> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    #[cfg(unix)]
    fn mode(&self, path: &Path) -> io::Result<Option<u32>> {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::metadata(path) {
            Ok(meta) => Ok(Some(meta.permissions().mode() & 0o7777)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Files held in memory: for tests.
#[derive(Debug, Clone, Default)]
pub struct MemFs(pub HashMap<PathBuf, Vec<u8>>);

impl MemFs {
    pub fn with(mut self, path: impl Into<PathBuf>, text: &str) -> Self {
        self.0.insert(path.into(), text.as_bytes().to_vec());
        self
    }
}

impl Fs for MemFs {
    fn read(&self, path: &Path) -> io::Result<Option<Vec<u8>>> {
        Ok(self.0.get(path).cloned())
    }
}
