//! What the tray's per-session items do: activate, deactivate, refresh now, copy `export` lines.
//! Each runs off the menu thread; a failure is told in a notification (a menu click has nobody
//! else to tell) and the tray is redrawn either way.

use rolekeeper_core::{CredentialRequest, ExportFormat, NoMfaPrompt};
use tauri::{AppHandle, Manager};
use tauri_plugin_clipboard_manager::ClipboardExt;

use crate::desktop::Desktop;
use crate::manager::ActionOutcome;
use crate::{manager, tray};

pub fn run(app: &AppHandle, name: String, action: String) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        // A code needed on the way is asked for in the dialog, which opens by itself.
        let result = match action.as_str() {
            "activate" => manager::activate_session(app.clone(), name.clone(), None, None)
                .await
                .map_err(|e| e.message().to_owned()),
            "refresh" => manager::refresh_session(app.clone(), name.clone())
                .await
                .map_err(|e| e.message().to_owned()),
            "deactivate" => {
                let desktop = app.state::<Desktop>();
                manager::deactivate_session(desktop, name.clone())
                    .map_err(|e| e.message().to_owned())
            }
            "copy" => copy_export_lines(&app, &name)
                .await
                .map(|()| ActionOutcome::Done),
            _ => return,
        };
        match result {
            Ok(ActionOutcome::Done) => {
                tracing::info!(session = %name, action = %action, "done from the tray")
            }
            Ok(ActionOutcome::CodeAsked) => tracing::info!(
                session = %name,
                action = %action,
                "from the tray: waiting for the code in the dialog"
            ),
            Err(message) => {
                tracing::warn!(session = %name, action = %action, "{message}");
                let what = match action.as_str() {
                    "copy" => "copy the export lines of",
                    other => other,
                };
                app.state::<Desktop>()
                    .notifier
                    .tell(format!("Could not {what} {name}"), message);
            }
        }
        tray::update(&app, None);
    });
}

/// The `export` lines of `name` on the clipboard, written from Rust: the secrets never pass
/// through the web view.
async fn copy_export_lines(app: &AppHandle, name: &str) -> Result<(), String> {
    let engine = std::sync::Arc::clone(&app.state::<Desktop>().engine);
    let credentials = engine
        .credentials(name, &CredentialRequest::default(), &NoMfaPrompt)
        .await
        .map_err(|e| e.to_string())?;
    app.clipboard()
        .write_text(credentials.render(ExportFormat::Env))
        .map_err(|e| format!("the clipboard refused the text: {e}"))
}
