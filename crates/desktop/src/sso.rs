//! IAM Identity Center sign-ins on the desktop: the Sources tab's list and its Sign in / Sign out,
//! the sign-in dialog ([`DialogUi`], which shows the device code or the page to open), and how
//! each sign-in stands as the engine's events told it ([`SsoDesk::standing`], which the tray
//! draws). A sign-in runs on its own task (it waits minutes for the user); when it ends the engine
//! is told (`sso_changed`) and the manager window hears of it through its engine event.
//!
//! Nothing secret crosses to a web view: the device's user code and the verification page are
//! what the user types and opens; the tokens stay in the engine.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::SystemTime;

use crate::shell::Shell;
use rolekeeper_core::engine::{SignInOutcome, SsoSessionView};
use rolekeeper_core::sso::{Flow, SignIn, SignInUi, Step, SIGN_IN_TIMEOUT};
use rolekeeper_core::Event;
use serde::Serialize;

use crate::app::{EngineNotice, ENGINE_EVENT};
use crate::desktop::Desktop;
use crate::error::{IpcCode, IpcError, IpcResult};
use crate::windows;

/// What the engine last said about a sign-in that needs the user (nothing: it is fine).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// The sessions that use it wait for a sign-in.
    Needed { message: String },
    /// It cannot be renewed and ends at `at`.
    Ending { at: SystemTime },
}

/// What the sign-in dialog shows: the code to confirm and the page to confirm it on, or only the
/// page to open. Not secret: the user reads and types both.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Prompt {
    session: String,
    /// The device code to confirm; `None`: a browser sign-in whose page did not open by itself.
    user_code: Option<String>,
    /// The page to open (for a device code, the one to type it on).
    url: String,
    /// The page with the code filled in (opened by "Open page").
    open_url: String,
    /// A browser was started with the page.
    opened: bool,
}

/// The desktop's share of the sign-ins: how each stands, which are running here, the last
/// failure of one started here, and the dialog's prompt.
#[derive(Debug, Default)]
pub struct SsoDesk {
    standing: Mutex<BTreeMap<String, Standing>>,
    /// The sign-ins running here, each with its number (a new sign-in replaces a running one).
    running: Mutex<BTreeMap<String, (u64, tokio::task::AbortHandle)>>,
    started: std::sync::atomic::AtomicU64,
    failed: Mutex<BTreeMap<String, String>>,
    prompt: Mutex<Option<Prompt>>,
}

impl SsoDesk {
    /// Follow one engine event (the tray and the tab read the result).
    pub fn on_event(&self, event: &Event) {
        let Ok(mut standing) = self.standing.lock() else {
            return;
        };
        match event {
            Event::SsoSignInNeeded { session, message } => {
                standing.insert(
                    session.clone(),
                    Standing::Needed {
                        message: message.clone(),
                    },
                );
            }
            Event::SsoEnding { session, at } => {
                standing.insert(session.clone(), Standing::Ending { at: *at });
            }
            // Good again, or no longer used by any active session: nothing to ask for.
            Event::SsoSignedIn { session, .. } | Event::SsoIdle { session } => {
                standing.remove(session);
            }
            _ => {}
        }
    }

    /// The sign-ins that need the user, by session.
    pub fn standing(&self) -> BTreeMap<String, Standing> {
        self.standing.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn is_running(&self, session: &str) -> bool {
        self.running
            .lock()
            .is_ok_and(|running| running.contains_key(session))
    }

    /// Forget the running sign-in `number` of `session`; whether it was still the current one
    /// (not replaced by a newer sign-in).
    fn finished(&self, session: &str, number: u64) -> bool {
        let Ok(mut running) = self.running.lock() else {
            return false;
        };
        if running.get(session).is_some_and(|(n, _)| *n == number) {
            running.remove(session);
            return true;
        }
        false
    }

    fn set_failed(&self, session: &str, message: Option<String>) {
        if let Ok(mut failed) = self.failed.lock() {
            match message {
                Some(message) => failed.insert(session.to_owned(), message),
                None => failed.remove(session),
            };
        }
    }

    fn failure(&self, session: &str) -> Option<String> {
        self.failed.lock().ok()?.get(session).cloned()
    }

    fn set_prompt(&self, prompt: Option<Prompt>) {
        if let Ok(mut slot) = self.prompt.lock() {
            *slot = prompt;
        }
    }

    /// Forget the prompt of `session`; whether it was the one shown.
    fn clear_prompt_of(&self, session: &str) -> bool {
        let Ok(mut slot) = self.prompt.lock() else {
            return false;
        };
        if slot.as_ref().is_some_and(|p| p.session == session) {
            *slot = None;
            return true;
        }
        false
    }
}

/// Shows the sign-in's steps in the dialog window; called from the sign-in's task.
struct DialogUi {
    app: Shell,
}

impl SignInUi for DialogUi {
    fn show(&self, session: &str, step: Step<'_>) {
        let prompt = match step {
            Step::DeviceCode {
                user_code,
                verification_uri,
                verification_uri_complete,
                opened,
            } => Prompt {
                session: session.to_owned(),
                user_code: Some(user_code.to_owned()),
                url: verification_uri.to_owned(),
                open_url: verification_uri_complete.to_owned(),
                opened,
            },
            Step::OpenUrl { url, opened: false } => Prompt {
                session: session.to_owned(),
                user_code: None,
                url: url.to_owned(),
                open_url: url.to_owned(),
                opened: false,
            },
            // The browser shows the sign-in; the tab says "Signing in…".
            Step::OpenUrl { opened: true, .. } => {
                tracing::info!(session, "SSO sign-in: waiting for the browser");
                return;
            }
            Step::SignedIn { .. } => {
                close_dialog(&self.app, session);
                return;
            }
        };
        tracing::info!(
            session,
            device_code = prompt.user_code.is_some(),
            "SSO sign-in: dialog"
        );
        self.app.desktop().sso.set_prompt(Some(prompt));
        // An open dialog shows the new prompt (another sign-in's, or the next step).
        let _ = self.app.emit_to(
            windows::SSO,
            ENGINE_EVENT,
            EngineNotice::sso("sso_prompt", session),
        );
        windows::show(&self.app, windows::SSO);
    }
}

/// Close the dialog if it shows `session`'s prompt.
fn close_dialog(app: &Shell, session: &str) {
    if app.desktop().sso.clear_prompt_of(session) {
        windows::close(app, windows::SSO);
    }
}

/// One sign-in as the Sources tab lists it.
#[derive(Debug, Serialize)]
pub struct SsoRow {
    #[serde(flatten)]
    view: SsoSessionView,
    /// A sign-in started here is waiting for the user.
    signing_in: bool,
    /// Why the sessions that use it wait: the last sign-in here failed, or the engine said a
    /// sign-in is needed.
    problem: Option<String>,
}

/// Every sign-in the files name and how each stands.
pub async fn sso_sessions(app: Shell) -> IpcResult<Vec<SsoRow>> {
    let engine = std::sync::Arc::clone(&app.desktop().engine);
    let snapshot = engine.snapshot();
    let views = engine.sso_views(&snapshot).await?;
    let desktop = app.desktop();
    let standing = desktop.sso.standing();
    Ok(views
        .into_iter()
        .map(|view| {
            let needed = match standing.get(&view.label) {
                Some(Standing::Needed { message }) => Some(message.clone()),
                _ => None,
            };
            SsoRow {
                signing_in: desktop.sso.is_running(&view.label),
                problem: desktop.sso.failure(&view.label).or(needed),
                view,
            }
        })
        .collect())
}

/// Start signing in to `session` (in the browser, or with a device code); returns once started.
/// The tab hears of the end through the engine event.
pub fn sso_sign_in(app: Shell, session: String, device_code: bool) -> IpcResult<()> {
    let flow = if device_code {
        Flow::DeviceCode
    } else {
        Flow::Browser
    };
    start_sign_in(&app, &session, flow)
}

/// Start a sign-in on its own task (the tray, the notifications and the tab all come here).
pub fn start_sign_in(app: &Shell, name: &str, flow: Flow) -> IpcResult<()> {
    let desktop = app.desktop();
    let engine = std::sync::Arc::clone(&desktop.engine);
    let snapshot = engine.snapshot();
    let session = engine.sso_session(&snapshot, name)?;
    let label = session.label().to_owned();
    let Ok(mut running) = desktop.sso.running.lock() else {
        return Err(IpcError::new(
            IpcCode::Engine,
            "RoleKeeper's state is broken",
        ));
    };
    // Signing in again while one waits (its browser tab lost, its code mistyped): start over.
    if let Some((_, earlier)) = running.remove(&label) {
        tracing::info!(session = %label, "SSO sign-in started over");
        earlier.abort();
    }
    let number = desktop
        .sso
        .started
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    desktop.sso.set_failed(&label, None);
    let ui = DialogUi { app: app.clone() };
    let sign_in = tokio::spawn(async move {
        let sign_in = SignIn {
            flow,
            open_browser: true,
            ui: &ui,
            timeout: SIGN_IN_TIMEOUT,
        };
        engine.sso_login(&snapshot, &session, &sign_in, true).await
    });
    running.insert(label.clone(), (number, sign_in.abort_handle()));
    drop(running);
    tracing::info!(session = %label, ?flow, "SSO sign-in started");
    notify_window(app, "sso_signing_in", &label);

    let app = app.clone();
    tokio::spawn(async move {
        let ended = sign_in.await;
        let desktop = app.desktop();
        if !desktop.sso.finished(&label, number) {
            // Replaced by a newer sign-in, which has the dialog and tells the rest.
            return;
        }
        match ended {
            Ok(Ok(SignInOutcome::SignedIn { until } | SignInOutcome::Reused { until })) => {
                tracing::info!(session = %label, "SSO sign-in done");
                // Done here, so known here: the tray stops asking even if no active session
                // uses this sign-in (the engine tells only of those it watches).
                desktop.sso.on_event(&Event::SsoSignedIn {
                    session: label.clone(),
                    until,
                });
            }
            Ok(Err(e)) => {
                let message = e.to_string();
                tracing::warn!(session = %label, "{message}");
                desktop.sso.set_failed(&label, Some(message.clone()));
                desktop
                    .notifier
                    .tell(format!("{label}: SSO sign-in failed"), message);
            }
            Err(_) => tracing::info!(session = %label, "SSO sign-in cancelled"),
        }
        close_dialog(&app, &label);
        // The engine re-checks its sign-ins and tells everyone (SsoSignedIn, the tray).
        desktop.sso_changed();
        notify_window(&app, "sso_sign_in_ended", &label);
        crate::tray::update(&app, None);
    });
    Ok(())
}

/// Tell the manager window that `session`'s sign-in changed here (it re-lists).
fn notify_window(app: &Shell, kind: &'static str, session: &str) {
    let _ = app.emit_to(
        windows::MAIN,
        ENGINE_EVENT,
        EngineNotice::sso(kind, session),
    );
}

/// Sign out of `session`; whether there was a sign-in.
pub async fn sso_sign_out(app: Shell, session: String) -> IpcResult<bool> {
    let engine = std::sync::Arc::clone(&app.desktop().engine);
    let snapshot = engine.snapshot();
    let session = engine.sso_session(&snapshot, &session)?;
    let had = engine.sso_logout(&snapshot, &session).await?;
    let label = session.label();
    tracing::info!(session = %label, had, "signed out of SSO");
    let desktop = app.desktop();
    desktop.sso.set_failed(label, None);
    desktop.sso_changed();
    notify_window(&app, "sso_signed_out", label);
    Ok(had)
}

/// What the sign-in dialog shows, if a sign-in waits for it.
pub fn sso_prompt(desktop: &Desktop) -> Option<Prompt> {
    desktop.sso.prompt.lock().ok().and_then(|p| p.clone())
}

/// Put the dialog's user code on the clipboard (from Rust: the page needs no clipboard access).
pub fn sso_copy_code(app: Shell) -> IpcResult<()> {
    let code = sso_prompt(app.desktop())
        .and_then(|p| p.user_code)
        .ok_or_else(|| IpcError::new(IpcCode::NoRequest, "No sign-in waits for a code."))?;
    app.clipboard().write_text(code).map_err(|e| {
        IpcError::new(
            IpcCode::Engine,
            format!("the clipboard refused the code: {e}"),
        )
    })
}

/// Open the dialog's page in the browser.
pub fn sso_open_page(app: Shell) -> IpcResult<()> {
    let prompt = sso_prompt(app.desktop())
        .ok_or_else(|| IpcError::new(IpcCode::NoRequest, "No sign-in waits for you."))?;
    let engine = std::sync::Arc::clone(&app.desktop().engine);
    if rolekeeper_core::sso::login::open_browser(engine.env(), &prompt.open_url) {
        Ok(())
    } else {
        Err(IpcError::new(
            IpcCode::Engine,
            format!("No browser could be started: open {} yourself.", prompt.url),
        ))
    }
}

/// Stop the sign-in the dialog shows and close the dialog.
pub fn sso_cancel(app: Shell) {
    cancel_shown(&app);
    windows::close(&app, windows::SSO);
}

/// Stop the sign-in the dialog shows (its Cancel, or the user closed the window).
pub fn cancel_shown(app: &Shell) {
    let desktop = app.desktop();
    let prompt = sso_prompt(app.desktop());
    if let Some(prompt) = prompt {
        let abort = desktop
            .sso
            .running
            .lock()
            .ok()
            .and_then(|running| running.get(&prompt.session).cloned());
        if let Some((_, abort)) = abort {
            abort.abort();
        }
        desktop.sso.clear_prompt_of(&prompt.session);
        tracing::info!(session = %prompt.session, "SSO sign-in cancelled in the dialog");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn the_standing_follows_the_engine_events() {
        let desk = SsoDesk::default();
        let at = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        desk.on_event(&Event::SsoSignInNeeded {
            session: "corp".to_owned(),
            message: "sign in".to_owned(),
        });
        desk.on_event(&Event::SsoEnding {
            session: "lab".to_owned(),
            at,
        });
        assert_eq!(
            desk.standing().into_iter().collect::<Vec<_>>(),
            [
                (
                    "corp".to_owned(),
                    Standing::Needed {
                        message: "sign in".to_owned()
                    }
                ),
                ("lab".to_owned(), Standing::Ending { at }),
            ]
        );
        desk.on_event(&Event::SsoSignedIn {
            session: "corp".to_owned(),
            until: at,
        });
        assert_eq!(desk.standing().len(), 1);
        assert!(desk.standing().contains_key("lab"));
    }
}
