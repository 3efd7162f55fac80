//! The tray's side of `rolekeeper_core::tray_ipc`, its one socket (0600, the caller's uid
//! checked):
//! - a command that needs an MFA code and may not prompt (`rolekeeper credential-process`) asks
//!   here; the MFA dialog opens for it, and the code typed goes back to that process alone. One
//!   request at a time: a second waits its turn.
//! - a window process (`rolekeeper-window`) stays connected: its pages' commands run here
//!   (`dispatch.rs`), and it hears what to show and the engine's events (`windows.rs`).
//! - a second `rolekeeper-desktop` asks for the manager window and goes.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use crate::shell::Shell;
use rolekeeper_core::tray_ipc::{
    FromWindow, Reply, Request, ToWindow, WindowHello, ANSWER_TIMEOUT, OP_SHOW, OP_WINDOW,
    PROTOCOL_VERSION,
};
use rolekeeper_core::Secret;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{oneshot, Mutex};

use crate::windows;

/// A code asked for by another process, waiting for the dialog.
#[derive(Debug)]
pub struct External {
    pub profile: String,
    pub serial: String,
    reply: oneshot::Sender<Option<Secret>>,
}

impl External {
    /// Hand the typed code (or `None`: cancelled) to the process that asked.
    pub fn answer(self, code: Option<Secret>) {
        // The asker may have given up meanwhile; then there is nobody to tell.
        let _ = self.reply.send(code);
    }
}

/// Listen on the socket `listener` (from [`bind`]) for as long as the app runs.
pub fn serve(app: &Shell, listener: UnixListener, path: std::path::PathBuf) {
    let app = app.clone();
    // One request at a time: the dialog shows one session.
    let turn = std::sync::Arc::new(Mutex::new(()));
    tokio::spawn(async move {
        tracing::info!(socket = %path.display(), "listening for MFA code requests and windows");
        let _ = BOUND.set(path.clone());
        // This process made the socket: its owner is the one user allowed to ask.
        let owner = socket_owner(&path);
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let app = app.clone();
            let turn = std::sync::Arc::clone(&turn);
            tokio::spawn(async move {
                if let Err(e) = handle(&app, stream, owner, &turn).await {
                    tracing::warn!("a request on the tray's socket failed: {e}");
                }
            });
        }
    });
}

/// The socket this process listens on, once bound.
static BOUND: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

/// On quit: the socket file goes with the app (a caller then knows at once that no tray runs,
/// and nothing is left in the runtime directory).
pub fn remove_socket() {
    if let Some(path) = BOUND.get() {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                tracing::warn!("cannot remove {}: {e}", path.display());
            }
            _ => {}
        }
    }
}

/// A fresh socket, private to this user: the directory 0700, the socket 0600. Called once this
/// process holds the tray's lock (`single_instance.rs`), so a socket left here is a crashed
/// tray's.
pub fn bind(path: &Path) -> std::io::Result<UnixListener> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

fn socket_owner(path: &Path) -> Option<u32> {
    std::fs::metadata(path).ok().map(|m| m.uid())
}

async fn handle(
    app: &Shell,
    stream: UnixStream,
    owner: Option<u32>,
    turn: &Mutex<()>,
) -> std::io::Result<()> {
    // The socket's mode already keeps other users out; the peer check says so explicitly.
    let peer = stream.peer_cred()?.uid();
    if owner != Some(peer) {
        return Err(std::io::Error::other(format!(
            "refused a request from uid {peer}"
        )));
    }
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut line = String::new();
    read.read_line(&mut line).await?;
    let reply = match serde_json::from_str::<serde_json::Value>(&line) {
        Ok(first) if first["version"] == PROTOCOL_VERSION && first["op"] == OP_WINDOW => {
            let hello: WindowHello =
                serde_json::from_value(first).map_err(std::io::Error::other)?;
            return window_process(app, read, write, hello.token).await;
        }
        Ok(first) if first["version"] == PROTOCOL_VERSION && first["op"] == OP_SHOW => {
            let hello: WindowHello =
                serde_json::from_value(first).map_err(std::io::Error::other)?;
            let window = hello.window.unwrap_or_else(|| windows::MAIN.to_owned());
            if windows::ALL.contains(&window.as_str()) {
                tracing::info!(window, "another launch: showing the window");
                windows::show(app, &window);
                Reply::default()
            } else {
                Reply {
                    error: Some(format!("{window}: no such window (main, mfa or sso)")),
                    ..Reply::default()
                }
            }
        }
        Ok(first) => match serde_json::from_value::<Request>(first) {
            Ok(request) if request.version == PROTOCOL_VERSION && request.op == "mfa_code" => {
                let _turn = turn.lock().await;
                ask_user(app, request).await
            }
            Ok(_) | Err(_) => not_understood(),
        },
        Err(_) => not_understood(),
    };
    let mut out = serde_json::to_string(&reply).map_err(std::io::Error::other)?;
    out.push('\n');
    write.write_all(out.as_bytes()).await?;
    write.shutdown().await
}

fn not_understood() -> Reply {
    Reply {
        error: Some("not a request this tray understands; are rolekeeper and rolekeeper-desktop the same version?".to_owned()),
        ..Reply::default()
    }
}

/// A window process, for as long as it stays connected: its pages' commands run here, each on
/// its own task (a sign-in's command may wait minutes); what it is told goes out in order.
async fn window_process(
    app: &Shell,
    mut read: BufReader<tokio::net::unix::OwnedReadHalf>,
    mut write: tokio::net::unix::OwnedWriteHalf,
    token: Option<u64>,
) -> std::io::Result<()> {
    let (to, mut outbox) = tokio::sync::mpsc::unbounded_channel::<ToWindow>();
    let id = app.windows().connected(to.clone(), token);
    let writer = tokio::spawn(async move {
        while let Some(message) = outbox.recv().await {
            let Ok(mut line) = serde_json::to_string(&message) else {
                continue;
            };
            line.push('\n');
            if write.write_all(line.as_bytes()).await.is_err() {
                break;
            }
        }
    });
    let mut line = String::new();
    loop {
        line.clear();
        match read.read_line(&mut line).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let message = match serde_json::from_str::<FromWindow>(&line) {
            Ok(message) => message,
            Err(e) => {
                tracing::warn!("a window process sent a line this tray does not understand: {e}");
                continue;
            }
        };
        match message {
            FromWindow::Call {
                id: call,
                window,
                command,
                args,
            } => {
                let app = app.clone();
                let to = to.clone();
                tokio::spawn(async move {
                    let (ok, err) = match crate::dispatch::call(&app, &window, &command, args).await
                    {
                        Ok(value) => (Some(value), None),
                        Err(error) => (None, Some(error)),
                    };
                    let _ = to.send(ToWindow::Reply { id: call, ok, err });
                });
            }
            FromWindow::Opened { window } => app.windows().opened(id, &window, true),
            FromWindow::Destroyed { window } => app.windows().opened(id, &window, false),
            FromWindow::CloseRequested { window } => crate::dispatch::close_requested(app, &window),
        }
    }
    let gone = app.windows().gone(id);
    // A dialog that went with its process (it crashed, or was killed) cancels what it showed.
    for window in &gone.open {
        crate::dispatch::close_requested(app, window);
    }
    for window in &gone.pending {
        if gone.had_window {
            // Asked for while the process was closing its last window: shown elsewhere.
            windows::show(app, window);
        } else {
            // It never showed a window: it cannot (no display, a crash); more tries would fail
            // the same way.
            windows::failed(app, window);
        }
    }
    writer.abort();
    Ok(())
}

async fn ask_user(app: &Shell, request: Request) -> Reply {
    tracing::info!(profile = %request.profile, "a command asks for an MFA code");
    let (reply, answer) = oneshot::channel();
    app.desktop().set_external(Some(External {
        profile: request.profile,
        serial: request.serial,
        reply,
    }));
    if !windows::show(app, windows::MFA) {
        app.desktop().set_external(None);
        return Reply {
            error: Some(format!(
                "the tray app cannot open its MFA dialog ({} is missing or cannot start; see its log)",
                windows::WINDOW_PROGRAM
            )),
            ..Reply::default()
        };
    }
    let code = tokio::time::timeout(ANSWER_TIMEOUT, answer).await;
    // Whatever happened, this request is over.
    app.desktop().set_external(None);
    match code {
        Ok(Ok(Some(code))) => Reply {
            code: Some(code.expose().to_owned()),
            ..Reply::default()
        },
        Ok(Ok(None)) | Ok(Err(_)) => Reply {
            error: Some("cancelled in the dialog".to_owned()),
            ..Reply::default()
        },
        Err(_) => Reply {
            error: Some("nobody answered the dialog in time".to_owned()),
            ..Reply::default()
        },
    }
}
