//! [`Shell`]: what every part of the tray process reaches (the engine's state in [`Desktop`], the
//! windows in their own process, the tray icon, the clipboard, quitting). Cheap to clone; each
//! task that needs the app holds one.

use std::sync::{Arc, Mutex, OnceLock};

use serde::Serialize;
use tokio::sync::watch;

use crate::clipboard::Clipboard;
use crate::desktop::Desktop;
use crate::tray::TrayIcon;
use crate::tray_host::TrayNotice;
use crate::windows::Windows;

/// The tray app, as its parts see it.
#[derive(Clone)]
pub struct Shell(Arc<Inner>);

struct Inner {
    desktop: Desktop,
    windows: Windows,
    tray: OnceLock<TrayIcon>,
    /// Why the tray icon shows nowhere (a desktop with no StatusNotifier host), for the window.
    tray_notice: Mutex<Option<TrayNotice>>,
    clipboard: Clipboard,
    /// Set once: Quit was chosen (or the process was told to stop).
    quit: watch::Sender<bool>,
}

impl std::fmt::Debug for Shell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shell").finish_non_exhaustive()
    }
}

impl Shell {
    pub fn new(desktop: Desktop, windows: Windows) -> Self {
        Self(Arc::new(Inner {
            desktop,
            windows,
            tray: OnceLock::new(),
            tray_notice: Mutex::new(None),
            clipboard: Clipboard::default(),
            quit: watch::Sender::new(false),
        }))
    }

    pub fn desktop(&self) -> &Desktop {
        &self.0.desktop
    }

    pub fn windows(&self) -> &Windows {
        &self.0.windows
    }

    pub fn clipboard(&self) -> &Clipboard {
        &self.0.clipboard
    }

    /// The tray icon, once it is registered with a StatusNotifier host.
    pub fn tray(&self) -> Option<&TrayIcon> {
        self.0.tray.get()
    }

    /// Keep the registered tray icon (the first one wins).
    pub fn set_tray(&self, tray: TrayIcon) {
        let _ = self.0.tray.set(tray);
    }

    /// Why the tray icon shows nowhere, for the manager window's top (`tray_host.rs` sets it).
    pub fn tray_notice(&self) -> Option<TrayNotice> {
        self.0.tray_notice.lock().ok().and_then(|n| n.clone())
    }

    pub fn set_tray_notice(&self, notice: Option<TrayNotice>) {
        if let Ok(mut slot) = self.0.tray_notice.lock() {
            *slot = notice;
        }
    }

    /// Send `payload` to the page of the window `window` as the event `event`, if that window
    /// is open; whether a window process heard it.
    pub fn emit_to(&self, window: &str, event: &str, payload: impl Serialize) -> bool {
        match serde_json::to_value(payload) {
            Ok(payload) => self.0.windows.emit(window, event, payload),
            Err(e) => {
                tracing::warn!("cannot send the {event} event: {e}");
                false
            }
        }
    }

    /// Quit the app: the main loop ends, then everything stops in order (`app::run`).
    pub fn exit(&self) {
        self.0.quit.send_replace(true);
    }

    /// Resolves once [`Shell::exit`] was called.
    pub async fn quitting(&self) {
        let mut quit = self.0.quit.subscribe();
        let _ = quit.wait_for(|q| *q).await;
    }
}
