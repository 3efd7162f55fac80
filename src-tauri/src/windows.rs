//! Windows are declared in `tauri.conf.json` with `"create": false` and built on first use, so an
//! idle tray app has no web view and no WebKit processes.

use tauri::{AppHandle, Manager, WebviewWindow, WebviewWindowBuilder};

/// The manager window.
pub const MAIN: &str = "main";
/// The MFA code dialog.
pub const MFA: &str = "mfa";

/// Show the window `label`, creating it (and its web view) if it does not exist yet. Failures
/// are logged: a menu click has nobody else to tell.
pub fn show(app: &AppHandle, label: &str) {
    if let Err(e) = try_show(app, label) {
        tracing::error!("cannot open the {label} window: {e}");
    }
}

fn try_show(app: &AppHandle, label: &str) -> tauri::Result<()> {
    let window = match app.get_webview_window(label) {
        Some(window) => window,
        None => create(app, label)?,
    };
    window.show()?;
    window.unminimize()?;
    // Focus can be refused by the window manager; the window is shown either way.
    let _ = window.set_focus();
    tracing::info!(window = label, "window shown");
    Ok(())
}

fn create(app: &AppHandle, label: &str) -> tauri::Result<WebviewWindow> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == label)
        .cloned()
        .ok_or_else(|| tauri::Error::WindowNotFound)?;
    WebviewWindowBuilder::from_config(app, &config)?.build()
}

/// Close the window `label` if it is open; its web view is destroyed with it. (Destroyed, not
/// closed: `CloseRequested` stays the user's own gesture.)
pub fn close(app: &AppHandle, label: &str) {
    if let Some(window) = app.get_webview_window(label) {
        if let Err(e) = window.destroy() {
            tracing::warn!("cannot close the {label} window: {e}");
        }
    }
}
