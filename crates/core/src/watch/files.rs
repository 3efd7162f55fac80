//! Following the AWS files themselves: a `~/.aws/config` or `~/.aws/credentials` created or
//! edited while RoleKeeper runs (the first-run guide's "Open the config file", an editor's
//! save, `aws configure`) reaches the engine as `changed` (`Command::FilesChanged`), and
//! through its `Reloaded` event the tray and the window, without "Refresh all now".
//!
//! A file that does not exist yet is followed through its nearest existing directory (`~`
//! when `~/.aws` is missing): each directory on the way is watched as it appears. The engine
//! tells its own writes of the credentials file from others' by the file's stamp
//! (`runner.rs`), so a renewal does not make it read the files again.

use std::path::PathBuf;

use tokio::sync::mpsc;

/// Send `changed` each time one of `files` (or a directory on the way to it) is created,
/// replaced, written or removed, until the engine stops. Changes close together (an editor's
/// save, a mkdir then a write) are sent once.
pub async fn forward_file_changes<C: Send + 'static>(
    files: Vec<PathBuf>,
    commands: mpsc::WeakSender<C>,
    changed: fn() -> C,
) {
    #[cfg(target_os = "linux")]
    if let Err(e) = linux::forward(&files, &commands, changed).await {
        tracing::info!("not watching the AWS files for changes: {e}");
    }
    #[cfg(not(target_os = "linux"))]
    drop((files, commands, changed));
}

#[cfg(target_os = "linux")]
mod linux {
    use std::collections::HashMap;
    use std::ffi::OsStr;
    use std::io;
    use std::mem::MaybeUninit;
    use std::os::unix::ffi::OsStrExt;
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    use rustix::fd::OwnedFd;
    use rustix::fs::inotify::{self, CreateFlags, ReadFlags, WatchFlags};
    use rustix::io::Errno;
    use tokio::io::unix::AsyncFd;
    use tokio::io::Interest;
    use tokio::sync::mpsc;

    /// Quiet time after a change before it is sent: an editor's save is several events.
    const SETTLE: Duration = Duration::from_millis(50);

    /// The inotify instance and which directory each of its watches is.
    struct Watches {
        fd: AsyncFd<OwnedFd>,
        dirs: HashMap<i32, PathBuf>,
    }

    pub async fn forward<C: Send + 'static>(
        files: &[PathBuf],
        commands: &mpsc::WeakSender<C>,
        changed: fn() -> C,
    ) -> io::Result<()> {
        let fd = inotify::init(CreateFlags::CLOEXEC | CreateFlags::NONBLOCK)?;
        // As in clock.rs: an OwnedFd moved into the AsyncFd cannot close under the reactor.
        #[allow(deprecated)]
        let fd = AsyncFd::with_interest(fd, Interest::READABLE)?;
        let mut watches = Watches {
            fd,
            dirs: HashMap::new(),
        };
        watches.arm(files);
        let mut buf = [MaybeUninit::<u8>::uninit(); 4096];
        loop {
            if !watches.relevant_change(files, &mut buf).await? {
                continue;
            }
            tokio::time::sleep(SETTLE).await;
            super::super::linux::drain(&watches.fd, &mut buf)?;
            // A directory made on the way (`~/.aws`) is watched before the engine looks, so a
            // file written into it after the look is seen too.
            watches.arm(files);
            let Some(engine) = commands.upgrade() else {
                return Ok(()); // the engine stopped
            };
            if engine.send(changed()).await.is_err() {
                return Ok(());
            }
        }
    }

    /// The directory to watch for `file`: its own, else the nearest one on the way that
    /// exists. `None` when only `/` exists (nothing of the user's to follow).
    fn watched_dir(file: &Path) -> Option<&Path> {
        file.ancestors()
            .skip(1)
            .find(|d| d.is_dir())
            .filter(|d| d.parent().is_some())
    }

    impl Watches {
        fn arm(&mut self, files: &[PathBuf]) {
            for dir in files.iter().filter_map(|f| watched_dir(f)) {
                let flags = WatchFlags::CREATE
                    | WatchFlags::MOVED_TO
                    | WatchFlags::MOVED_FROM
                    | WatchFlags::CLOSE_WRITE
                    | WatchFlags::DELETE;
                match inotify::add_watch(self.fd.get_ref(), dir, flags) {
                    Ok(wd) => {
                        self.dirs.insert(wd, dir.to_owned());
                    }
                    Err(e) => tracing::debug!(dir = %dir.display(), "cannot watch: {e}"),
                }
            }
        }

        /// Wait for events; whether one of them named a file, or a directory on the way to
        /// one.
        async fn relevant_change(
            &self,
            files: &[PathBuf],
            buf: &mut [MaybeUninit<u8>],
        ) -> io::Result<bool> {
            let mut ready = self.fd.readable().await?;
            let mut reader = inotify::Reader::new(self.fd.get_ref(), buf);
            let mut relevant = false;
            loop {
                match reader.next() {
                    Ok(event) => {
                        relevant |= event.events().contains(ReadFlags::QUEUE_OVERFLOW);
                        let (Some(dir), Some(name)) =
                            (self.dirs.get(&event.wd()), event.file_name())
                        else {
                            continue;
                        };
                        let path = dir.join(OsStr::from_bytes(name.to_bytes()));
                        relevant |= files.iter().any(|f| f.starts_with(&path));
                    }
                    Err(Errno::AGAIN) => {
                        ready.clear_ready();
                        return Ok(relevant);
                    }
                    Err(Errno::INTR) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::time::Duration;

    use tokio::sync::mpsc;

    use super::forward_file_changes;

    /// What the first-run guide relies on: with no `~/.aws` at start, the config written later
    /// (the directory made first, as `aws configure` and editors do) is told within 2 s.
    #[tokio::test]
    async fn a_config_created_after_start_in_a_new_directory_is_told() {
        let home = tempfile::tempdir().expect("tempdir");
        let config = home.path().join(".aws/config");
        let credentials = home.path().join(".aws/credentials");
        let (tx, mut rx) = mpsc::channel::<()>(4);
        let task = tokio::spawn(forward_file_changes(
            vec![config.clone(), credentials],
            tx.downgrade(),
            || (),
        ));
        // Let the watcher arm before anything changes.
        tokio::time::sleep(Duration::from_millis(100)).await;
        std::fs::create_dir(home.path().join(".aws")).expect("mkdir");
        std::fs::write(&config, "[profile a]\nregion = eu-west-1\n").expect("write");
        let told = tokio::time::timeout(Duration::from_secs(2), async {
            // The directory may be told first; the file's own event must follow or be covered.
            while rx.recv().await.is_some() {
                if config.exists() {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(told, Ok(true), "the new config was never told");

        // What the first change may still send, then quiet.
        tokio::time::sleep(Duration::from_millis(300)).await;
        while rx.try_recv().is_ok() {}
        // An edit of the existing file is told too; another file in ~/.aws is not.
        std::fs::write(home.path().join(".aws/notes"), "x").expect("write notes");
        let quiet = tokio::time::timeout(Duration::from_millis(300), rx.recv()).await;
        assert!(
            quiet.is_err(),
            "a file that is not read was told: {quiet:?}"
        );
        std::fs::write(&config, "[profile b]\nregion = eu-west-1\n").expect("edit");
        let edited = tokio::time::timeout(Duration::from_secs(2), rx.recv()).await;
        assert_eq!(edited, Ok(Some(())), "the edit was never told");
        task.abort();
    }
}
