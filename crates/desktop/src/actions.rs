//! What the tray's per-session items do: activate, deactivate, refresh now, copy `export` lines,
//! open the AWS console.
//! Each runs off the menu thread; a failure is told in a notification (a menu click has nobody
//! else to tell) and the tray is redrawn either way.

use crate::shell::Shell;
use rolekeeper_core::ExportFormat;

use crate::manager::ActionOutcome;
use crate::{manager, tray};

/// A session's item in the tray menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayAction {
    Activate,
    Refresh,
    Deactivate,
    /// Copy the `export` lines of the session's credentials.
    Copy,
    /// Open the AWS console signed in as the profile.
    Console,
}

impl TrayAction {
    const ALL: [TrayAction; 5] = [
        TrayAction::Activate,
        TrayAction::Refresh,
        TrayAction::Deactivate,
        TrayAction::Copy,
        TrayAction::Console,
    ];

    /// Its word in the menu item's id (`session:<name>:<word>`), which Tauri hands back.
    pub fn id_word(self) -> &'static str {
        match self {
            TrayAction::Activate => "activate",
            TrayAction::Refresh => "refresh",
            TrayAction::Deactivate => "deactivate",
            TrayAction::Copy => "copy",
            TrayAction::Console => "console",
        }
    }

    /// The action whose [`id_word`](Self::id_word) this is.
    pub fn from_id_word(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.id_word() == word)
    }

    /// The menu item's text.
    pub fn label(self) -> &'static str {
        match self {
            TrayAction::Activate => "Activate",
            TrayAction::Refresh => "Refresh now",
            TrayAction::Deactivate => "Deactivate",
            TrayAction::Copy => "Copy export lines",
            TrayAction::Console => "Open console",
        }
    }

    /// What could not be done, for a notification: "Could not {verb} prod".
    fn verb(self) -> &'static str {
        match self {
            TrayAction::Activate => "activate",
            TrayAction::Refresh => "refresh",
            TrayAction::Deactivate => "deactivate",
            TrayAction::Copy => "copy the export lines of",
            TrayAction::Console => "open the AWS console of",
        }
    }
}

pub fn run(app: &Shell, name: String, action: TrayAction) {
    let app = app.clone();
    tokio::spawn(async move {
        // A code needed on the way is asked for in the dialog, which opens by itself.
        let result = match action {
            TrayAction::Activate => {
                manager::activate_session(app.clone(), name.clone(), None, None)
                    .await
                    .map_err(|e| e.message().to_owned())
            }
            TrayAction::Refresh => manager::refresh_session(app.clone(), name.clone())
                .await
                .map_err(|e| e.message().to_owned()),
            TrayAction::Deactivate => manager::deactivate_session(app.clone(), name.clone())
                .await
                .map_err(|e| e.message().to_owned()),
            TrayAction::Copy => copy_export_lines(&app, &name)
                .await
                .map(|()| ActionOutcome::Done),
            TrayAction::Console => crate::console::open_console(app.clone(), name.clone())
                .await
                .map(|notes| {
                    // What the user should know (no MFA context) is said where they look.
                    for note in notes {
                        app.desktop()
                            .notifier
                            .tell(format!("AWS console for {name}"), note);
                    }
                    ActionOutcome::Done
                })
                .map_err(|e| e.message().to_owned()),
        };
        let word = action.id_word();
        match result {
            Ok(ActionOutcome::Done | ActionOutcome::Adopted(_)) => {
                tracing::info!(session = %name, action = word, "done from the tray")
            }
            Ok(ActionOutcome::CodeAsked) => tracing::info!(
                session = %name,
                action = word,
                "from the tray: waiting for the code in the dialog"
            ),
            Err(message) => {
                tracing::warn!(session = %name, action = word, "{message}");
                app.desktop()
                    .notifier
                    .tell(format!("Could not {} {name}", action.verb()), message);
            }
        }
        tray::update(&app, None);
    });
}

/// The `export` lines of `name` on the clipboard, written from Rust: the secrets never pass
/// through the web view.
async fn copy_export_lines(app: &Shell, name: &str) -> Result<(), String> {
    // The serving order (the credentials file while the session there is good, then what is
    // held or kept, then STS), through the engine's loop.
    let client = app.desktop().client.clone();
    let credentials = client.serve(name).await.map_err(|e| e.to_string())?;
    app.clipboard()
        .write_text(credentials.render(ExportFormat::Env))
        .map_err(|e| format!("the clipboard refused the text: {e}"))
}
