//! Following the state file as other processes change it: `rolekeeper activate`, `deactivate`
//! or `login` from a terminal, the window of another RoleKeeper, a code typed in the dialog. The
//! running engine hears of each change at once (inotify on the state directory) and follows it
//! as `changed` (the engine's `Command::Follow`), so a deactivated session is never renewed again and a changed length
//! or delivery holds from the next renewal on.
//!
//! Where inotify is not available nothing is watched: the engine still re-reads the state
//! before every batch, and checks every renewal against it under the lock before writing.

use std::path::PathBuf;

use tokio::sync::mpsc;

mod files;
pub use files::forward_file_changes;

/// The file whose changes are followed, in the state directory.
const STATE_FILE: &str = "state.json";

/// Send `changed` (the engine's `Command::Follow`) each time the state file in `dir` is replaced or written, until the
/// engine stops. Changes close together (a batch, an activation's several writes) are followed
/// once.
pub async fn forward_state_changes<C: Send + 'static>(
    dir: PathBuf,
    commands: mpsc::WeakSender<C>,
    changed: fn() -> C,
) {
    #[cfg(target_os = "linux")]
    if let Err(e) = linux::forward(&dir, &commands, changed).await {
        tracing::info!(
            "not watching {} for changes by other processes: {e}",
            dir.display()
        );
    }
    #[cfg(not(target_os = "linux"))]
    drop((dir, commands, changed));
}

#[cfg(target_os = "linux")]
mod linux {
    use std::io;
    use std::mem::MaybeUninit;
    use std::path::Path;
    use std::time::Duration;

    use rustix::fs::inotify::{self, CreateFlags, ReadFlags, WatchFlags};
    use rustix::io::Errno;
    use tokio::io::unix::AsyncFd;
    use tokio::io::Interest;
    use tokio::sync::mpsc;

    use super::STATE_FILE;

    /// Quiet time after a change before it is followed: an activation writes the state twice
    /// within a few milliseconds, and one look covers both.
    const SETTLE: Duration = Duration::from_millis(30);

    pub async fn forward<C: Send + 'static>(
        dir: &Path,
        commands: &mpsc::WeakSender<C>,
        changed: fn() -> C,
    ) -> io::Result<()> {
        // The directory is RoleKeeper's own; made now so a first activation is seen too.
        crate::credfile::write::create_private_dir(dir)?;
        let fd = inotify::init(CreateFlags::CLOEXEC | CreateFlags::NONBLOCK)?;
        // The state file is replaced by rename (MOVED_TO); CLOSE_WRITE covers an editor's save.
        inotify::add_watch(
            &fd,
            dir,
            WatchFlags::MOVED_TO | WatchFlags::CLOSE_WRITE | WatchFlags::DELETE,
        )?;
        // As in clock.rs: an OwnedFd moved into the AsyncFd cannot close under the reactor.
        #[allow(deprecated)]
        let fd = AsyncFd::with_interest(fd, Interest::READABLE)?;
        tracing::debug!(dir = %dir.display(), "following the state file");
        let mut buf = [MaybeUninit::<u8>::uninit(); 4096];
        loop {
            if !state_file_changed(&fd, &mut buf).await? {
                continue;
            }
            tokio::time::sleep(SETTLE).await;
            // What came meanwhile is covered by the one look that follows.
            drain(&fd, &mut buf)?;
            let Some(engine) = commands.upgrade() else {
                return Ok(()); // the engine stopped
            };
            if engine.send(changed()).await.is_err() {
                return Ok(());
            }
        }
    }

    /// Wait for events; whether one of them was the state file's.
    async fn state_file_changed(
        fd: &AsyncFd<rustix::fd::OwnedFd>,
        buf: &mut [MaybeUninit<u8>],
    ) -> io::Result<bool> {
        let mut ready = fd.readable().await?;
        let mut reader = inotify::Reader::new(fd.get_ref(), buf);
        let mut changed = false;
        loop {
            match reader.next() {
                Ok(event) => {
                    let ours = event
                        .file_name()
                        .is_some_and(|n| n.to_bytes() == STATE_FILE.as_bytes());
                    changed |= ours || event.events().contains(ReadFlags::QUEUE_OVERFLOW);
                }
                Err(Errno::AGAIN) => {
                    ready.clear_ready();
                    return Ok(changed);
                }
                Err(Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    pub(super) fn drain(
        fd: &AsyncFd<rustix::fd::OwnedFd>,
        buf: &mut [MaybeUninit<u8>],
    ) -> io::Result<()> {
        let mut reader = inotify::Reader::new(fd.get_ref(), buf);
        loop {
            match reader.next() {
                Ok(_) | Err(Errno::INTR) => {}
                Err(Errno::AGAIN) => return Ok(()),
                Err(e) => return Err(e.into()),
            }
        }
    }
}
