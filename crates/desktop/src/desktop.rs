//! What every part of the shell shares: the engine and its running loop, the notifications,
//! pause, and which session waits for an MFA code. Reached as `app.desktop()` (`shell.rs`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rolekeeper_core::{Engine, EngineClient, EngineHandle, Health, HealthMap, Settings};

use crate::ipc::External;
use crate::notify::Notifier;
use crate::sso::SsoDesk;

/// What every part of the shell shares.
pub struct Desktop {
    pub engine: Arc<Engine>,
    /// `None` once stopping has begun.
    handle: Mutex<Option<EngineHandle>>,
    /// Every change of a session (activate, refresh now, a typed code, deactivate, copy) is
    /// asked of the running loop through this.
    pub client: EngineClient,
    pub notifier: Notifier,
    /// "Pause all": the engine refreshes nothing until "Resume".
    paused: AtomicBool,
    /// A code another process asked for (`rolekeeper credential-process`), shown first.
    external: Mutex<Option<External>>,
    /// An activation or renewal the user started here that needs a code, shown next.
    wanted: Mutex<Option<WantedCode>>,
    /// The IAM Identity Center sign-ins: how each stands, the ones running here, the dialog.
    pub sso: SsoDesk,
    /// The keys (source and key fingerprint) already reminded of as too old, in this run.
    pub keys_told: Mutex<std::collections::BTreeSet<String>>,
}

/// A session waiting for an MFA code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCode {
    pub session: String,
    pub serial: String,
}

/// An action of the tray or the window (activate, refresh now) that stopped for an MFA code:
/// the code typed in the dialog completes it, with the same request and choices.
#[derive(Debug, Clone)]
pub struct WantedCode {
    pub session: String,
    pub serial: String,
    pub request: rolekeeper_core::CredentialRequest,
    pub options: rolekeeper_core::ActivateOptions,
}

impl Desktop {
    /// The shell's state around an engine and its running loop.
    pub fn new(engine: Arc<Engine>, handle: EngineHandle, notifier: Notifier) -> Self {
        Self {
            engine,
            client: handle.client(),
            handle: Mutex::new(Some(handle)),
            notifier,
            paused: AtomicBool::new(false),
            external: Mutex::new(None),
            wanted: Mutex::new(None),
            sso: SsoDesk::default(),
            keys_told: Mutex::default(),
        }
    }

    /// The profiles and sessions as the engine's loop last saw them (empty once it stopped).
    pub fn overview(&self) -> Arc<rolekeeper_core::Overview> {
        self.with_handle(EngineHandle::overview).unwrap_or_default()
    }

    /// Each active session's health (sessions not listed are fine).
    pub fn health(&self) -> HealthMap {
        self.with_handle(EngineHandle::health).unwrap_or_default()
    }

    /// Put (or clear) the code request of another process; one at a time.
    pub fn set_external(&self, request: Option<External>) {
        if let Ok(mut slot) = self.external.lock() {
            *slot = request;
        }
    }

    /// The code request of another process, taken to be answered.
    pub fn take_external(&self) -> Option<External> {
        self.external.lock().ok().and_then(|mut slot| slot.take())
    }

    /// Ask for a code in the dialog to complete `wanted` (replacing an earlier such request:
    /// the user's latest action is the one they wait for).
    pub fn want_code(&self, wanted: WantedCode) {
        if let Ok(mut slot) = self.wanted.lock() {
            *slot = Some(wanted);
        }
    }

    /// The action waiting for a code, if any (left in place until it succeeds or is cancelled).
    pub fn wanted_code(&self) -> Option<WantedCode> {
        self.wanted.lock().ok().and_then(|slot| slot.clone())
    }

    /// Forget the action waiting for a code for `session` (done, deactivated); `None`: any.
    pub fn drop_wanted_code(&self, session: &str) {
        if let Ok(mut slot) = self.wanted.lock() {
            if slot.as_ref().is_some_and(|w| w.session == session) {
                *slot = None;
            }
        }
    }

    /// Forget the action waiting for a code, whichever it is (the dialog was cancelled).
    pub fn cancel_wanted_code(&self) {
        if let Ok(mut slot) = self.wanted.lock() {
            *slot = None;
        }
    }

    /// What the dialog asks for: another process's request first (it is waiting on the user
    /// right now), then an action the user started here, else the first session (by name) the
    /// engine found needing a code.
    pub fn pending_code(&self) -> Option<PendingCode> {
        let external = self.external.lock().ok().and_then(|slot| {
            slot.as_ref().map(|e| PendingCode {
                session: e.profile.clone(),
                serial: e.serial.clone(),
            })
        });
        if external.is_some() {
            return external;
        }
        if let Some(wanted) = self.wanted_code() {
            return Some(PendingCode {
                session: wanted.session,
                serial: wanted.serial,
            });
        }
        self.health()
            .into_iter()
            .find_map(|(session, health)| match health {
                Health::NeedsMfa { serial, .. } => Some(PendingCode { session, serial }),
                _ => None,
            })
    }

    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::Relaxed)
    }

    pub fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::Relaxed);
        self.with_handle(|h| h.set_paused(paused));
    }

    /// Apply saved settings: the engine's policy and whether notifications pop up.
    pub fn apply_settings(&self, settings: &Settings) {
        self.with_handle(|h| h.set_policy(settings.policy()));
        self.notifier.set_enabled(settings.notifications);
    }

    /// Have the engine re-read the state file (this process renewed a session).
    pub fn reload(&self) {
        self.with_handle(EngineHandle::reload);
    }

    /// Tell the engine's loop a sign-in was made or ended here: it re-checks its sign-ins and
    /// says how they stand in its events.
    pub fn sso_changed(&self) {
        self.with_handle(EngineHandle::sso_changed);
    }

    fn with_handle<T>(&self, f: impl FnOnce(&EngineHandle) -> T) -> Option<T> {
        let guard = self.handle.lock().ok()?;
        guard.as_ref().map(f)
    }

    /// Ask the running engine to re-read the files and refresh every active session.
    pub fn refresh_all(&self) {
        if let Ok(guard) = self.handle.lock() {
            if let Some(handle) = guard.as_ref() {
                handle.refresh_all();
            }
        }
    }

    /// Stop the engine loop (at most a few seconds); later calls do nothing.
    pub async fn stop_engine(&self) {
        let handle = self.handle.lock().ok().and_then(|mut h| h.take());
        if let Some(handle) = handle {
            handle.stop().await;
        }
    }
}
