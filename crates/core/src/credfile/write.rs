//! Writing a shared file so that nothing is ever lost:
//!
//! - atomic: a temp file in the same directory, fsync, rename over the target, fsync the directory;
//! - the target of a symlink is written, never the link replaced by a file;
//! - mode 0600 for a new file, the existing mode otherwise;
//! - an advisory lock among RoleKeeper's own processes (tray, daemon, CLI);
//! - re-read just before the rename: if another tool changed the file meanwhile, the edit is
//!   applied again to the new content instead of overwriting it.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::document::Document;

/// How often an edit is re-applied when another writer keeps changing the file.
const ATTEMPTS: u32 = 60;

/// The file a path finally names: symlinks followed (relative links against their directory).
pub fn resolve_target(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!(
        "too many levels of symbolic links at {}",
        path.display()
    )))
}

fn read_optional(path: &Path) -> io::Result<Vec<u8>> {
    match fs::read(path) {
        Ok(bytes) => Ok(bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Which file, in which version: enough to tell, with one `stat`, whether the file at a path is
/// still the one that was read. Careful tools replace the file (a new inode); others rewrite it
/// in place (a new size or modification time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId {
    dev: u64,
    ino: u64,
    len: u64,
    modified: Option<std::time::SystemTime>,
}

impl FileId {
    #[cfg(unix)]
    fn of(meta: &fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Self {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            modified: meta.modified().ok(),
        }
    }

    #[cfg(not(unix))]
    fn of(meta: &fs::Metadata) -> Self {
        Self {
            dev: 0,
            ino: 0,
            len: meta.len(),
            modified: meta.modified().ok(),
        }
    }
}

/// A file's bytes and the identity of the version they came from (`None`: no file).
#[derive(Debug, Clone)]
struct Snapshot {
    bytes: Vec<u8>,
    id: Option<FileId>,
}

/// Read `path` with its identity, taken from the same open file before and after reading; a
/// file changed in place while being read is read again.
fn read_snapshot(path: &Path) -> io::Result<Snapshot> {
    use std::io::Read;
    for _ in 0..10 {
        let mut file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Snapshot {
                    bytes: Vec::new(),
                    id: None,
                })
            }
            Err(e) => return Err(e),
        };
        let id = FileId::of(&file.metadata()?);
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        if FileId::of(&file.metadata()?) == id {
            return Ok(Snapshot {
                bytes,
                id: Some(id),
            });
        }
    }
    Err(io::Error::other(format!(
        "{} keeps changing while it is read; try again when the other writer is done",
        path.display()
    )))
}

/// An exclusive advisory lock, held until dropped. The lock file sits next to the target
/// (`.NAME.rolekeeper-lock`), so every RoleKeeper process finds the same one whatever its
/// environment.
#[derive(Debug)]
pub struct FileLock {
    _file: File,
}

pub fn lock(target: &Path) -> io::Result<FileLock> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(dir.join(format!(".{name}.rolekeeper-lock")))?;
    file.lock()?;
    Ok(FileLock { _file: file })
}

/// Replace `target`'s content with `bytes` atomically (for files only RoleKeeper writes).
pub fn write_atomic(target: &Path, bytes: &[u8]) -> io::Result<()> {
    replace(target, None, bytes).map(|_| ())
}

/// Replace `target`'s content with `bytes` atomically, unless `target` is no longer the version
/// in `expected` (then nothing is written and `Ok(false)` is returned).
fn replace_if_unchanged(target: &Path, expected: &Snapshot, bytes: &[u8]) -> io::Result<bool> {
    replace(target, Some(expected), bytes)
}

fn replace(target: &Path, expected: Option<&Snapshot>, bytes: &[u8]) -> io::Result<bool> {
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mode = existing_mode(target)?;
    let (temp_path, mut temp) = create_temp(dir, &name, mode)?;
    let result = (|| {
        temp.write_all(bytes)?;
        temp.sync_all()?;
        drop(temp);
        let committed = match expected {
            None => {
                fs::rename(&temp_path, target)?;
                true
            }
            Some(expected) => commit_if_unchanged(&temp_path, target, expected)?,
        };
        if committed {
            sync_dir(dir)?;
        }
        Ok(committed)
    })();
    // After a commit by exchange the temp path holds the previous content; otherwise our own.
    let _ = fs::remove_file(&temp_path);
    result
}

/// Put `temp` in place of `target` only if `target` is still the version in `expected`.
///
/// On Linux this is exact: the files are swapped atomically (`RENAME_EXCHANGE`) and the file
/// that came out is checked; if another writer got in first, its file is swapped straight back.
/// So an edit that lands between RoleKeeper's last read and its commit is never replaced. The
/// check is one `stat` (the identity of the version read), not a read of the content, so the
/// moment in which another reader could see RoleKeeper's version before it is swapped back is
/// as short as it can be. A new file is created with `RENAME_NOREPLACE`, so a file made
/// meanwhile is not clobbered either. Elsewhere, or on a file system without these flags, the
/// content is compared just before a plain rename.
fn commit_if_unchanged(temp: &Path, target: &Path, expected: &Snapshot) -> io::Result<bool> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        // Changed since it was read (RoleKeeper's own work between the read and here, a backup
        // and its journal, takes milliseconds): try again without swapping at all. What is
        // left is the moment between this look and the exchange.
        if expected.id.is_some()
            && fs::symlink_metadata(target).map(|m| FileId::of(&m)).ok() != expected.id
        {
            return Ok(false);
        }
        let exists = target.exists();
        let flags = if exists {
            RenameFlags::EXCHANGE
        } else {
            RenameFlags::NOREPLACE
        };
        match renameat_with(CWD, temp, CWD, target, flags) {
            Ok(()) if !exists => return Ok(expected.id.is_none()),
            Ok(()) => {
                // The exchange itself changes only the old file's name and ctime, not what
                // FileId compares.
                if fs::symlink_metadata(temp).map(|m| FileId::of(&m)).ok() == expected.id {
                    return Ok(true);
                }
                renameat_with(CWD, temp, CWD, target, RenameFlags::EXCHANGE)?;
                return Ok(false);
            }
            Err(e) if e == rustix::io::Errno::EXIST || e == rustix::io::Errno::NOENT => {
                return Ok(false)
            }
            Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {}
            Err(e) => return Err(e.into()),
        }
    }
    if read_optional(target)? != expected.bytes {
        return Ok(false);
    }
    fs::rename(temp, target)?;
    Ok(true)
}

#[cfg(unix)]
fn existing_mode(target: &Path) -> io::Result<u32> {
    use std::os::unix::fs::PermissionsExt;
    match fs::metadata(target) {
        Ok(meta) => Ok(meta.permissions().mode() & 0o7777),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(0o600),
        Err(e) => Err(e),
    }
}

#[cfg(not(unix))]
fn existing_mode(_target: &Path) -> io::Result<u32> {
    Ok(0o600)
}

fn create_temp(dir: &Path, name: &str, mode: u32) -> io::Result<(PathBuf, File)> {
    for attempt in 0u32..100 {
        let path = dir.join(format!(
            ".{name}.rolekeeper-{}-{attempt}.tmp",
            std::process::id()
        ));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
        match options.open(&path) {
            Ok(file) => {
                // The umask may have narrowed the mode; the target's mode is what counts.
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    file.set_permissions(fs::Permissions::from_mode(mode))?;
                }
                return Ok((path, file));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!(
        "cannot create a temporary file in {}",
        dir.display()
    )))
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// The outcome of [`update`].
#[derive(Debug)]
pub struct Updated<T> {
    /// What the edit returned (from its last, successful application).
    pub value: T,
    /// The file's bytes before the edit that was written.
    pub before: Vec<u8>,
    /// The file's bytes now.
    pub after: Vec<u8>,
    /// Whether the file changed.
    pub written: bool,
}

/// Apply `edit` to the file at `path` (a missing file is empty) and write the result safely.
/// `edit` may run more than once: when another writer changes the file between the read and the
/// rename, it is applied again to the new content. `before_write` runs with the old bytes just
/// before the first write attempt that changes something (for backups).
pub fn update<T, E: From<io::Error>>(
    path: &Path,
    edit: impl FnMut(&mut Document) -> Result<T, E>,
    before_write: impl FnMut(&Path, &[u8]) -> Result<(), E>,
) -> Result<Updated<T>, E> {
    let target = prepare(path)?;
    let _lock = lock(&target)?;
    update_locked(&target, edit, before_write)
}

/// The target of `path` (symlinks followed), with its directory created (mode 0700) if missing.
pub fn prepare(path: &Path) -> io::Result<PathBuf> {
    let target = resolve_target(path)?;
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir)?;
    }
    Ok(target)
}

/// [`update`] for a caller that already holds [`lock`] on `target` (from [`prepare`]), so that it
/// can read and save its own state under the same lock.
pub fn update_locked<T, E: From<io::Error>>(
    target: &Path,
    mut edit: impl FnMut(&mut Document) -> Result<T, E>,
    mut before_write: impl FnMut(&Path, &[u8]) -> Result<(), E>,
) -> Result<Updated<T>, E> {
    let target = target.to_path_buf();
    remove_stale_temps(&target);
    for attempt in 0..ATTEMPTS {
        let snapshot = read_snapshot(&target)?;
        let before = snapshot.bytes.clone();
        let mut doc = Document::parse(&before);
        let value = edit(&mut doc)?;
        let after = doc.to_bytes();
        if after == before {
            return Ok(Updated {
                value,
                before,
                after,
                written: false,
            });
        }
        before_write(&target, &before)?;
        if replace_if_unchanged(&target, &snapshot, &after)? {
            return Ok(Updated {
                value,
                before,
                after,
                written: true,
            });
        }
        tracing::debug!(path = %target.display(), "changed by another writer; applying again");
        // Let the other writer finish its burst: 1, 2, 4 ... 32 ms, plus jitter so two
        // RoleKeeper processes do not retry in step.
        let jitter = u64::from(std::process::id() % 5);
        std::thread::sleep(std::time::Duration::from_millis(
            (1 << attempt.min(5)) + jitter,
        ));
    }
    Err(io::Error::other(format!(
        "{} keeps changing under RoleKeeper ({ATTEMPTS} attempts); try again when the other writer is done",
        target.display()
    ))
    .into())
}

/// Temp files of writers that died before their commit (killed, power loss). Only called with
/// the lock held, when no other RoleKeeper writer can be between its temp file and its commit.
fn remove_stale_temps(target: &Path) {
    let (Some(dir), Some(name)) = (target.parent(), target.file_name()) else {
        return;
    };
    let prefix = format!(".{}.rolekeeper-", name.to_string_lossy());
    let Ok(entries) = fs::read_dir(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if file_name.starts_with(&prefix) && file_name.ends_with(".tmp") {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// `mkdir -p` with mode 0700 for the directories it creates (like `~/.aws`).
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_backup(_: &Path, _: &[u8]) -> Result<(), io::Error> {
        Ok(())
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).expect("meta").permissions().mode() & 0o777
    }

    #[test]
    fn new_files_are_private_and_existing_modes_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/credentials");
        update(
            &path,
            |d| Ok::<_, io::Error>(d.append_section("[a]\nk = v\n")),
            no_backup,
        )
        .expect("write");
        assert_eq!(fs::read_to_string(&path).expect("read"), "[a]\nk = v\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(&dir.path().join("sub")), 0o700);
            fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).expect("chmod");
            update(
                &path,
                |d| Ok::<_, io::Error>(d.append_section("[b]\n")),
                no_backup,
            )
            .expect("write");
            assert_eq!(mode(&path), 0o640);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_followed_not_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let real = dir.path().join("real");
        fs::write(&real, "[a]\n").expect("write");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink("real", &link).expect("symlink");
        update(
            &link,
            |d| Ok::<_, io::Error>(d.append_section("[b]\n")),
            no_backup,
        )
        .expect("write");
        assert!(fs::symlink_metadata(&link)
            .expect("meta")
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&real).expect("read"), "[a]\n\n[b]\n");
    }

    #[test]
    fn a_concurrent_change_is_merged_not_lost() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("credentials");
        fs::write(&path, "[a]\n").expect("write");
        let mut first = true;
        let result = update(
            &path,
            |d| {
                if first {
                    // Another tool writes between our read and our rename.
                    first = false;
                    fs::write(&path, "[a]\n[other]\nx = 1\n")?;
                }
                d.append_section("[ours]\ny = 2\n");
                Ok::<_, io::Error>(())
            },
            no_backup,
        )
        .expect("update");
        assert!(result.written);
        assert_eq!(
            fs::read_to_string(&path).expect("read"),
            "[a]\n[other]\nx = 1\n\n[ours]\ny = 2\n"
        );
    }

    #[test]
    fn an_unchanged_document_is_not_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("credentials");
        fs::write(&path, "[a]\n").expect("write");
        let result = update(&path, |_| Ok::<_, io::Error>(()), no_backup).expect("update");
        assert!(!result.written);
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .expect("ls")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }
}
