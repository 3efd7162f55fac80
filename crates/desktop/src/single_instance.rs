//! One tray per user session. The first `rolekeeper-desktop` holds a lock on the directory of
//! the tray's socket (`flock`, released by the kernel when the process ends, however it ends, and
//! no file of its own left behind); a second one asks the first, over the socket, to open the
//! manager window, and exits.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use rolekeeper_core::tray_ipc::WindowHello;

use crate::windows;

/// What starting found.
#[derive(Debug)]
pub enum Outcome {
    /// This process is the tray: it keeps the lock for as long as it runs.
    First(std::fs::File),
    /// Another tray runs and was asked to show its window.
    HandedOver,
}

/// How long a second launch waits for the first to listen (it may be starting too).
const HAND_OVER_WITHIN: Duration = Duration::from_secs(10);
const RETRY_EVERY: Duration = Duration::from_millis(100);

/// Take the tray's lock beside `socket`, or hand over to the tray that holds it.
pub async fn acquire(socket: &Path) -> anyhow::Result<Outcome> {
    let dir = socket.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("cannot make {} private", dir.display()))?;
    let lock =
        std::fs::File::open(dir).with_context(|| format!("cannot open {}", dir.display()))?;
    match lock.try_lock() {
        Ok(()) => return Ok(Outcome::First(lock)),
        Err(std::fs::TryLockError::WouldBlock) => {}
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("cannot lock {}", dir.display()))
        }
    }
    let socket = socket.to_owned();
    tokio::task::spawn_blocking(move || hand_over(&socket))
        .await
        .context("the hand-over stopped")??;
    Ok(Outcome::HandedOver)
}

/// Ask the running tray to show the manager window; it may still be starting, so try for a while.
fn hand_over(socket: &Path) -> anyhow::Result<()> {
    let mut tries = HAND_OVER_WITHIN.as_millis() / RETRY_EVERY.as_millis();
    loop {
        tries = tries.saturating_sub(1);
        match ask_to_show(socket) {
            Ok(()) => return Ok(()),
            Err(e) if tries == 0 => {
                return Err(e).with_context(|| {
                    format!(
                        "RoleKeeper already runs (it holds the lock on {}), but does not answer on {}",
                        socket.parent().unwrap_or(Path::new(".")).display(),
                        socket.display()
                    )
                });
            }
            Err(_) => std::thread::sleep(RETRY_EVERY),
        }
    }
}

fn ask_to_show(socket: &Path) -> std::io::Result<()> {
    let mut stream = UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut line = serde_json::to_string(&WindowHello::show(windows::MAIN))?;
    line.push('\n');
    stream.write_all(line.as_bytes())?;
    let mut answer = String::new();
    BufReader::new(&stream).read_line(&mut answer)?;
    Ok(())
}
