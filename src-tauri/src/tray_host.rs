//! A desktop with nothing that shows tray icons (stock GNOME without the AppIndicator
//! extension): the app finds out on start, opens the manager window instead of waiting behind an
//! icon nobody sees, and the window says why and what to install. Notifications go on as usual.

use std::sync::Mutex;

use rolekeeper_core::doctor::{tray_host, TRAY_HOST_FIX};
use serde::Serialize;
use tauri::{AppHandle, Manager};

use crate::windows;

/// Why the icon shows nowhere and what to do, as the window shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TrayNotice {
    why: String,
    fix: String,
}

/// What the start-up look found; `None` while unknown or when the icon shows.
#[derive(Debug, Default)]
pub struct TrayHostState(Mutex<Option<TrayNotice>>);

/// Ask the session bus once, off the start-up path; with no host, open the manager window.
pub fn check_on_start(app: &AppHandle) {
    app.manage(TrayHostState::default());
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let host = tray_host().await;
        let Some(why) = host.missing() else {
            tracing::debug!(?host, "tray icon host");
            return;
        };
        tracing::warn!("{why}: opening the manager window instead; to fix: {TRAY_HOST_FIX}");
        if let Ok(mut notice) = app.state::<TrayHostState>().0.lock() {
            *notice = Some(TrayNotice {
                why: why.to_owned(),
                fix: TRAY_HOST_FIX.to_owned(),
            });
        }
        windows::show(&app, windows::MAIN);
    });
}

/// The notice the manager window shows at its top, if the tray icon shows nowhere.
#[tauri::command]
pub fn tray_notice(app: AppHandle) -> Option<TrayNotice> {
    app.try_state::<TrayHostState>()
        .and_then(|state| state.0.lock().ok().and_then(|n| n.clone()))
}
