//! The tray's side of `rolekeeper_core::tray_ipc`: a command that needs an MFA code and may not
//! prompt (`rolekeeper credential-process`) asks here; the MFA dialog opens for it, and the code
//! typed goes back to that process alone. One request at a time: a second waits its turn.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use rolekeeper_core::tray_ipc::{socket_path, Reply, Request, ANSWER_TIMEOUT, PROTOCOL_VERSION};
use rolekeeper_core::Secret;
use tauri::{AppHandle, Manager};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{oneshot, Mutex};

use crate::desktop::Desktop;
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

/// Listen on the socket for as long as the app runs. Without a runtime dir there is no socket,
/// and commands fall back to the terminal.
pub fn serve(app: &AppHandle) {
    let Some(path) = socket_path(&rolekeeper_core::env::ProcessEnv) else {
        tracing::info!("no XDG_RUNTIME_DIR: commands cannot ask the tray for MFA codes");
        return;
    };
    let app = app.clone();
    // One request at a time: the dialog shows one session.
    let turn = std::sync::Arc::new(Mutex::new(()));
    tauri::async_runtime::spawn(async move {
        // Bound here, on the runtime: tokio's listener needs its reactor.
        let listener = match bind(&path) {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!(
                    "cannot listen on {}: {e}; commands will ask on the terminal",
                    path.display()
                );
                return;
            }
        };
        tracing::info!(socket = %path.display(), "listening for MFA code requests");
        let _ = BOUND.set(path.clone());
        // This process made the socket: its owner is the one user allowed to ask.
        let owner = socket_owner(&path);
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let app = app.clone();
            let turn = std::sync::Arc::clone(&turn);
            tauri::async_runtime::spawn(async move {
                if let Err(e) = handle(&app, stream, owner, &turn).await {
                    tracing::warn!("an MFA code request failed: {e}");
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

/// A fresh socket, private to this user: the directory 0700, the socket 0600.
fn bind(path: &Path) -> std::io::Result<UnixListener> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    // Single instance is already guaranteed, so a socket left here is a crashed tray's.
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
    app: &AppHandle,
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
    let mut line = String::new();
    BufReader::new(read).read_line(&mut line).await?;
    let reply = match serde_json::from_str::<Request>(&line) {
        Ok(request) if request.version == PROTOCOL_VERSION && request.op == "mfa_code" => {
            let _turn = turn.lock().await;
            ask_user(app, request).await
        }
        Ok(_) | Err(_) => Reply {
            error: Some("not a request this tray understands; are rolekeeper and rolekeeper-desktop the same version?".to_owned()),
            ..Reply::default()
        },
    };
    let mut out = serde_json::to_string(&reply).map_err(std::io::Error::other)?;
    out.push('\n');
    write.write_all(out.as_bytes()).await?;
    write.shutdown().await
}

async fn ask_user(app: &AppHandle, request: Request) -> Reply {
    tracing::info!(profile = %request.profile, "a command asks for an MFA code");
    let (reply, answer) = oneshot::channel();
    app.state::<Desktop>().set_external(Some(External {
        profile: request.profile,
        serial: request.serial,
        reply,
    }));
    windows::show(app, windows::MFA);
    let code = tokio::time::timeout(ANSWER_TIMEOUT, answer).await;
    // Whatever happened, this request is over.
    app.state::<Desktop>().set_external(None);
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
