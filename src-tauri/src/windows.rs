//! Windows are declared in `tauri.conf.json` with `"create": false` and built when the tray asks
//! for one. Closing the last one ends this process, and with it WebKit's web and network
//! processes: nothing of a window outlives it.

use rolekeeper_core::tray_ipc::FromWindow;
use tauri::{AppHandle, Manager, WebviewWindow, WebviewWindowBuilder};

use crate::bridge::Bridge;

/// The manager window.
pub const MAIN: &str = "main";
/// The MFA code dialog.
pub const MFA: &str = "mfa";
/// The IAM Identity Center sign-in dialog (a device code, or a page to open).
pub const SSO: &str = "sso";
/// Every window there is.
pub const ALL: [&str; 3] = [MAIN, MFA, SSO];

/// Show the window `label`, creating it (and its web view) if it does not exist yet. Failures
/// are logged: a menu click has nobody else to tell.
pub fn show(app: &AppHandle, bridge: &Bridge, label: &str) {
    if let Err(e) = try_show(app, bridge, label) {
        tracing::error!("cannot open the {label} window: {e}");
    }
}

/// [`show`], saying whether the window could be shown.
pub fn try_show(app: &AppHandle, bridge: &Bridge, label: &str) -> tauri::Result<()> {
    let window = match app.get_webview_window(label) {
        Some(window) => window,
        None => {
            let window = create(app, label)?;
            // The tray routes this window's events and closes here from now on.
            if let Err(e) = bridge.send(&FromWindow::Opened {
                window: label.to_owned(),
            }) {
                tracing::warn!("cannot tell the tray the {label} window opened: {e}");
            }
            window
        }
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
