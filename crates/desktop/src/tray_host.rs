//! A desktop with nothing that shows tray icons (stock GNOME without the AppIndicator
//! extension): the app finds out on start, opens the manager window instead of waiting behind an
//! icon nobody sees, and the window says why and what to install. Notifications go on as usual.
//! A panel that starts after the app (the app's autostart won the race at login) still gets the
//! icon: the app waits for the bus's watcher to appear and creates it then.

use crate::shell::Shell;
use rolekeeper_core::doctor::{tray_host, watcher_appears, TRAY_HOST_FIX};
use serde::Serialize;

use crate::{tray, windows};

/// Why the icon shows nowhere and what to do, as the window shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TrayNotice {
    why: String,
    fix: String,
}

/// Ask the session bus once, off the start-up path; with no host, open the manager window.
pub fn check_on_start(app: &Shell) {
    let app = app.clone();
    tokio::spawn(async move {
        let host = tray_host().await;
        let Some(why) = host.missing() else {
            tracing::debug!(?host, "tray icon host");
            return;
        };
        tracing::warn!("{why}: opening the manager window instead; to fix: {TRAY_HOST_FIX}");
        app.set_tray_notice(Some(TrayNotice {
            why: why.to_owned(),
            fix: TRAY_HOST_FIX.to_owned(),
        }));
        windows::show(&app, windows::MAIN);
    });
}

/// The tray icon could not be created (no watcher on the bus yet): create it as soon as one
/// appears, and drop the window's notice, which no longer holds. (Once created, the icon follows a
/// watcher that restarts by itself.)
pub fn create_when_watcher_appears(app: &Shell) {
    let app = app.clone();
    tokio::spawn(async move {
        if let Err(e) = watcher_appears().await {
            tracing::warn!("cannot wait for a tray host to appear: {e}");
            return;
        }
        match tray::create(&app).await {
            Ok(()) => {
                tracing::info!("a StatusNotifierWatcher appeared: tray icon created");
                app.set_tray_notice(None);
                tray::update(&app, None);
            }
            Err(e) => tracing::warn!("a StatusNotifierWatcher appeared, but no tray icon: {e}"),
        }
    });
}
