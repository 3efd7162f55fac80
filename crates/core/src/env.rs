//! The process environment and the file system, injected so tests are hermetic and so every
//! variable the AWS tools honour is read in one place.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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

/// The files RoleKeeper reads and its own small files it writes. A missing file is `Ok(None)`,
/// not an error: the AWS tools treat a missing config or credentials file as empty.
///
/// Every read of the AWS files and of RoleKeeper's own JSON files (state, settings, source
/// index) goes through here, so a test can count them. The guarded writes of the credentials
/// and config files (`credfile::write`: locks, temp files, compare-and-rename) use the real
/// file system directly: they are the one place that must see the disk as it is.
pub trait Fs: Send + Sync + std::fmt::Debug {
    fn read(&self, path: &Path) -> io::Result<Option<Vec<u8>>>;

    /// Replace `path` with `bytes` atomically, mode 0600 for a new file, creating its directory
    /// (mode 0700) when missing: how RoleKeeper writes its own JSON files.
    fn write_private(&self, path: &Path, bytes: &[u8]) -> io::Result<()>;

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

    fn write_private(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::credfile::write::create_private_dir(dir)?;
        }
        crate::credfile::write::write_atomic(path, bytes)
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

/// Files held in memory: for tests. Clones share the files.
#[derive(Debug, Clone, Default)]
pub struct MemFs(Arc<Mutex<HashMap<PathBuf, Vec<u8>>>>);

impl MemFs {
    pub fn with(self, path: impl Into<PathBuf>, text: &str) -> Self {
        self.files().insert(path.into(), text.as_bytes().to_vec());
        self
    }

    fn files(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Vec<u8>>> {
        // A test that panicked while holding the lock left whole files: still usable.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Fs for MemFs {
    fn read(&self, path: &Path) -> io::Result<Option<Vec<u8>>> {
        Ok(self.files().get(path).cloned())
    }

    fn write_private(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        self.files().insert(path.to_owned(), bytes.to_vec());
        Ok(())
    }
}

/// Another [`Fs`] whose reads are counted per path: what tests of the I/O budget ("each file
/// read once per operation") assert on.
#[derive(Debug, Clone)]
pub struct CountingFs {
    inner: Arc<dyn Fs>,
    reads: Arc<Mutex<HashMap<PathBuf, usize>>>,
}

impl CountingFs {
    pub fn new(inner: Arc<dyn Fs>) -> Self {
        Self {
            inner,
            reads: Arc::default(),
        }
    }

    fn reads(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, usize>> {
        self.reads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How many times `path` was read since the last [`CountingFs::reset`].
    pub fn count(&self, path: &Path) -> usize {
        self.reads().get(path).copied().unwrap_or_default()
    }

    /// Every path read, with its count, in path order.
    pub fn counts(&self) -> std::collections::BTreeMap<PathBuf, usize> {
        self.reads().iter().map(|(p, n)| (p.clone(), *n)).collect()
    }

    pub fn reset(&self) {
        self.reads().clear();
    }
}

impl Fs for CountingFs {
    fn read(&self, path: &Path) -> io::Result<Option<Vec<u8>>> {
        *self.reads().entry(path.to_owned()).or_default() += 1;
        self.inner.read(path)
    }

    fn write_private(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        self.inner.write_private(path, bytes)
    }

    fn mode(&self, path: &Path) -> io::Result<Option<u32>> {
        self.inner.mode(path)
    }
}
