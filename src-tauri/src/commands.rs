//! The IPC commands the windows may call (each window's capability file lists its own). Plain
//! functions over the engine; errors cross IPC as `{code, message}` and never carry a secret.

use rolekeeper_core::{session_views, SessionView};
use serde::Serialize;
use tauri::{AppHandle, State};

use crate::app::Desktop;
use crate::windows;

/// An error as the web view sees it. The UI branches on `code`; `message` is for people.
#[derive(Debug, Serialize)]
pub struct IpcError {
    code: &'static str,
    message: String,
}

impl IpcError {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl From<rolekeeper_core::Error> for IpcError {
    fn from(e: rolekeeper_core::Error) -> Self {
        // The engine's messages name files, lines and profiles, never secret values.
        Self::new("Engine", e.to_string())
    }
}

type IpcResult<T> = Result<T, IpcError>;

#[tauri::command]
pub fn list_sessions(desktop: State<'_, Desktop>) -> IpcResult<Vec<SessionView>> {
    let engine = &desktop.engine;
    Ok(session_views(&engine.profiles()?, &engine.sessions()?))
}

#[tauri::command]
pub fn refresh_all(desktop: State<'_, Desktop>) {
    desktop.refresh_all();
}

/// What the diagnostics view shows: which files are read, and every problem in them.
#[derive(Debug, Serialize)]
pub struct Diagnostics {
    config_file: String,
    credentials_file: String,
    problems: Vec<String>,
}

#[tauri::command]
pub fn diagnostics(desktop: State<'_, Desktop>) -> Diagnostics {
    let engine = &desktop.engine;
    let locations = engine.locations();
    let problems = match engine.load_profiles() {
        Ok(set) => set.warnings().iter().map(ToString::to_string).collect(),
        Err(e) => vec![e.to_string()],
    };
    Diagnostics {
        config_file: locations.config.display().to_string(),
        credentials_file: locations.credentials.display().to_string(),
        problems,
    }
}

/// A session waiting for an MFA code, as the dialog shows it.
#[derive(Debug, Serialize)]
pub struct MfaRequest {
    profile: String,
    serial: String,
    seconds_left: Option<u64>,
}

/// The session waiting for a code, if any. Nothing waits yet: the MFA plan arrives with the
/// refresh engine, and then this reads its queue.
#[tauri::command]
pub fn mfa_request() -> Option<MfaRequest> {
    None
}

/// Checked here, not in the page: the page only collects what was typed.
#[tauri::command]
pub fn submit_mfa_code(code: String) -> IpcResult<()> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IpcError::new(
            "InvalidCode",
            "An MFA code is six digits: type the code your device shows now.",
        ));
    }
    Err(IpcError::new(
        "NoRequest",
        "No session is waiting for a code.",
    ))
}

#[tauri::command]
pub fn cancel_mfa(app: AppHandle) {
    windows::close(&app, windows::MFA);
}
