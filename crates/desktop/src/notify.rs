//! Desktop notifications from engine events, through `notify-rust` (the Tauri notification plugin
//! has no action buttons on Linux).
//!
//! [`Notices`] is the policy, pure and tested: which event deserves a notification, one per
//! session at a time (a new condition replaces the old one in place, never a stack), nothing for
//! routine renewals, "fresh again" only after a notification about trouble. [`show`] draws them.
//! A click on "Enter code" only opens the dialog: it is never taken as authentication, since any
//! process on the session bus can send that signal. "Sign in" (on an IAM Identity Center
//! sign-in's notice) starts a sign-in in the browser, where the user signs in. "Rotate" (on a key
//! age reminder, `keys.rs`) only opens the manager window, where the user rotates.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::shell::Shell;
use notify_rust::{Notification, NotificationHandle, NotificationResponse, Timeout, Urgency};
use rolekeeper_core::Event;

use crate::windows;

/// The key the engine's problem (a file it cannot use) is shown under: no session has this name.
const PROBLEM: &str = "";

/// The action key of the "Enter code" button.
pub const ENTER_CODE: &str = "enter-code";

/// The action key of the "Sign in" button (an IAM Identity Center sign-in, in the browser).
pub const SIGN_IN: &str = "sign-in";

/// The action key of the "Rotate" button (a keychain source's key past the age in the settings).
pub const ROTATE: &str = "rotate";

/// How many transient failures in a row before the user hears of them: a blip that the
/// backoff fixes by itself is not worth an interruption.
const FAILURES_BEFORE_NOTICE: u32 = 3;

/// The condition a session's notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    NeedsMfa,
    Expiring,
    Failing,
}

/// One notification to draw, replacing the session's earlier one if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub session: String,
    pub summary: String,
    pub body: String,
    /// The "Enter code" button.
    pub enter_code: bool,
    /// The "Sign in" button: the IAM Identity Center sign-in it starts.
    pub sign_in: Option<String>,
    /// The "Rotate" button: the keychain source whose key it is about.
    pub rotate: Option<String>,
    /// Stays until dismissed (trouble), or goes by itself (good news).
    pub sticky: bool,
}

/// The notification key of a keychain source's key age reminder (apart from session names).
pub fn key_age_key(source: &str) -> String {
    format!("key:{source}")
}

/// The notification key of an IAM Identity Center sign-in (apart from session names).
pub fn sso_key(session: &str) -> String {
    format!("sso:{session}")
}

/// What to do about an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Show(Notice),
    /// The trouble is over with no news worth telling (e.g. a code was typed): close it.
    Close {
        session: String,
    },
    Nothing,
}

/// The notification policy's memory: which condition each session was last notified about, and
/// transient failures in a row.
#[derive(Debug, Default)]
pub struct Notices {
    shown: BTreeMap<String, Condition>,
    failures: BTreeMap<String, u32>,
}

impl Notices {
    pub fn decide(&mut self, event: &Event) -> Decision {
        match event {
            Event::MfaNeeded { name, serial, .. } => self.raise(
                name,
                Condition::NeedsMfa,
                format!("{name} needs an MFA code"),
                format!("Type a code from {serial} to keep {name} fresh."),
                true,
            ),
            Event::Expiring { name, at } => {
                let needs_code = self.shown.get(name) == Some(&Condition::NeedsMfa);
                let left = at
                    .duration_since(std::time::UNIX_EPOCH)
                    .ok()
                    .map(|_| rolekeeper_core::credentials::isoformat(*at))
                    .unwrap_or_default();
                self.raise(
                    name,
                    Condition::Expiring,
                    format!("{name} expires soon"),
                    format!(
                        "It cannot renew by itself{}. Expires at {left}.",
                        if needs_code {
                            ": it needs an MFA code"
                        } else {
                            ""
                        }
                    ),
                    needs_code,
                )
            }
            Event::Failed {
                name,
                message,
                retry_at,
                ..
            } => {
                let count = self.failures.entry(name.clone()).or_default();
                *count += 1;
                if retry_at.is_some() && *count < FAILURES_BEFORE_NOTICE {
                    return Decision::Nothing;
                }
                let retrying = if retry_at.is_some() {
                    " RoleKeeper keeps trying."
                } else {
                    ""
                };
                self.raise(
                    name,
                    Condition::Failing,
                    format!("{name} cannot refresh"),
                    format!("{message}.{retrying}"),
                    false,
                )
            }
            Event::Conflict { name, message } => self.raise(
                name,
                Condition::Failing,
                format!("{name} was not written"),
                message.clone(),
                false,
            ),
            Event::Refreshed { name, .. } | Event::Recovered { name } => {
                self.failures.remove(name);
                match self.shown.remove(name) {
                    // A code was typed: the user knows, just take the request away.
                    Some(Condition::NeedsMfa) => Decision::Close {
                        session: name.clone(),
                    },
                    Some(_) => Decision::Show(Notice {
                        session: name.clone(),
                        summary: format!("{name} is fresh again"),
                        body: "RoleKeeper renewed it.".to_owned(),
                        enter_code: false,
                        sign_in: None,
                        rotate: None,
                        sticky: false,
                    }),
                    None => Decision::Nothing,
                }
            }
            // Deactivated: whatever was wrong with it no longer concerns anyone.
            Event::Deactivated { name } => {
                self.failures.remove(name);
                match self.shown.remove(name) {
                    Some(_) => Decision::Close {
                        session: name.clone(),
                    },
                    None => Decision::Nothing,
                }
            }
            // A file the engine cannot use (the state, a profile file): said until it is fixed.
            Event::Problem { message } => self.raise(
                PROBLEM,
                Condition::Failing,
                "RoleKeeper cannot use a file".to_owned(),
                message.clone(),
                false,
            ),
            Event::Reloaded { .. } => match self.shown.remove(PROBLEM) {
                Some(_) => Decision::Close {
                    session: PROBLEM.to_owned(),
                },
                None => Decision::Nothing,
            },
            Event::SsoEnding { session, at } => with_sign_in(
                self.raise(
                    &sso_key(session),
                    Condition::Expiring,
                    format!(
                        "{session}: SSO sign-in ends at {}",
                        rolekeeper_core::mfa::plan::clock_time(*at)
                    ),
                    "It cannot be renewed by itself. Sign in to keep its sessions fresh."
                        .to_owned(),
                    false,
                ),
                session,
            ),
            Event::SsoSignInNeeded { session, message } => with_sign_in(
                self.raise(
                    &sso_key(session),
                    Condition::Failing,
                    format!("{session}: SSO sign-in needed"),
                    message.clone(),
                    false,
                ),
                session,
            ),
            Event::SsoSignedIn { session, .. } | Event::SsoIdle { session } => {
                match self.shown.remove(&sso_key(session)) {
                    Some(_) => Decision::Close {
                        session: sso_key(session),
                    },
                    None => Decision::Nothing,
                }
            }
            Event::Shadowed { .. }
            | Event::Activated { .. }
            | Event::Changed { .. }
            | Event::Stopped => Decision::Nothing,
        }
    }

    /// One per condition: the same condition again for the same session says nothing new.
    fn raise(
        &mut self,
        session: &str,
        condition: Condition,
        summary: String,
        body: String,
        enter_code: bool,
    ) -> Decision {
        if self.shown.insert(session.to_owned(), condition) == Some(condition) {
            return Decision::Nothing;
        }
        Decision::Show(Notice {
            session: session.to_owned(),
            summary,
            body,
            enter_code,
            sign_in: None,
            rotate: None,
            sticky: true,
        })
    }
}

/// The notice, if any, with a "Sign in" button for the sign-in `session`.
fn with_sign_in(decision: Decision, session: &str) -> Decision {
    match decision {
        Decision::Show(notice) => Decision::Show(Notice {
            sign_in: Some(session.to_owned()),
            ..notice
        }),
        other => other,
    }
}

/// The notifications on screen, by session, so a new notice for the same session replaces the
/// old one in place (same id) and a solved one can be closed.
#[derive(Default)]
pub struct Notifier {
    policy: Mutex<Notices>,
    shown: Mutex<BTreeMap<String, Arc<NotificationHandle>>>,
    /// Off in the settings: the policy still follows events (so turning it back on does not
    /// replay old news), nothing pops up.
    muted: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier").finish_non_exhaustive()
    }
}

impl Notifier {
    /// React to one engine event. Never fails: without a notification server the app still
    /// works (and `rolekeeper doctor` says why nothing pops up).
    pub fn set_enabled(&self, enabled: bool) {
        self.muted
            .store(!enabled, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn on_event(&self, app: &Shell, event: &Event) {
        let decision = match self.policy.lock() {
            Ok(mut policy) => policy.decide(event),
            Err(_) => return,
        };
        if self.muted.load(std::sync::atomic::Ordering::Relaxed) {
            if let Decision::Close { session } = &decision {
                self.take_handle(session);
            }
            return;
        }
        match decision {
            Decision::Nothing => {}
            Decision::Show(notice) => {
                let replaces = self.handle_of(&notice.session).map(|h| h.id());
                let app = app.clone();
                tokio::spawn(async move {
                    let desktop = app.desktop();
                    desktop.notifier.show(&app, notice, replaces).await;
                });
            }
            Decision::Close { session } => {
                if let Some(handle) = self.take_handle(&session) {
                    tokio::spawn(async move { handle.close_async().await });
                }
            }
        }
    }

    /// A reminder decided outside the engine's events (a key's age, `keys.rs`): shown unless
    /// notifications are off, replacing an earlier one about the same thing.
    pub fn remind(&self, app: &Shell, notice: Notice) {
        if self.muted.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let replaces = self.handle_of(&notice.session).map(|h| h.id());
        let app = app.clone();
        tokio::spawn(async move {
            let desktop = app.desktop();
            desktop.notifier.show(&app, notice, replaces).await;
        });
    }

    /// A one-off message (e.g. a tray action that failed), gone by itself after a while.
    pub fn tell(&self, summary: String, body: String) {
        if self.muted.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        tokio::spawn(async move {
            let mut notification = Notification::new();
            notification
                .appname("RoleKeeper")
                .summary(&summary)
                .body(&body)
                .timeout(Timeout::Milliseconds(10_000));
            if let Err(e) = notification.show_async().await {
                tracing::warn!("cannot show a notification: {e}");
            }
        });
    }

    /// Withdraw every notification still on screen: the app is quitting, and nobody is left to
    /// act on them (an "Enter code" button would open nothing).
    pub async fn close_all(&self) {
        let handles: Vec<Arc<NotificationHandle>> = match self.shown.lock() {
            Ok(mut shown) => std::mem::take(&mut *shown).into_values().collect(),
            Err(_) => return,
        };
        for handle in handles {
            // Bounded: a notification server that hangs must not hold up quitting.
            let _ = tokio::time::timeout(Duration::from_secs(1), handle.close_async()).await;
        }
    }

    fn handle_of(&self, session: &str) -> Option<Arc<NotificationHandle>> {
        self.shown.lock().ok().and_then(|m| m.get(session).cloned())
    }

    fn take_handle(&self, session: &str) -> Option<Arc<NotificationHandle>> {
        self.shown.lock().ok().and_then(|mut m| m.remove(session))
    }

    async fn show(&self, app: &Shell, notice: Notice, replaces: Option<u32>) {
        let mut notification = Notification::new();
        notification
            .appname("RoleKeeper")
            .summary(&notice.summary)
            .body(&notice.body)
            .icon("dialog-password");
        if let Some(id) = replaces {
            notification.id(id);
        }
        if notice.sticky {
            notification
                .urgency(Urgency::Critical)
                .timeout(Timeout::Never);
        } else {
            notification
                .urgency(Urgency::Normal)
                .timeout(Timeout::Milliseconds(8_000));
        }
        if notice.enter_code {
            notification.action(ENTER_CODE, "Enter code");
        }
        if notice.sign_in.is_some() {
            notification.action(SIGN_IN, "Sign in");
        }
        if notice.rotate.is_some() {
            notification.action(ROTATE, "Rotate");
        }
        let handle = match notification.show_async().await {
            Ok(handle) => handle,
            Err(e) => {
                tracing::warn!(
                    "cannot show a notification (is a notification server running?): {e}"
                );
                return;
            }
        };
        let handle = Arc::new(handle);
        tracing::info!(id = handle.id(), session = %notice.session, summary = %notice.summary, "notification shown");
        if let Ok(mut shown) = self.shown.lock() {
            shown.insert(notice.session.clone(), Arc::clone(&handle));
        }
        if !notice.enter_code && notice.sign_in.is_none() && notice.rotate.is_none() {
            return;
        }
        // notify-rust waits forever: bound it, so a notification nobody answers does not keep a
        // task alive all day.
        let app = app.clone();
        let waited = tokio::time::timeout(
            Duration::from_secs(12 * 3600),
            handle.wait_for_action_async(|response| {
                if let NotificationResponse::Action(key) = response {
                    if key == ENTER_CODE {
                        tracing::info!(session = %notice.session, "notification: enter code");
                        windows::show(&app, windows::MFA);
                    }
                    // Starts a sign-in in the browser, where the user signs in: nothing is
                    // taken on the signal's word.
                    if let (SIGN_IN, Some(session)) = (key.as_str(), notice.sign_in.as_deref()) {
                        tracing::info!(session, "notification: sign in");
                        crate::tray::sign_in(&app, session);
                    }
                    // Opens the manager, where the user rotates: a signal any process on the
                    // bus can send deletes no key.
                    if let (ROTATE, Some(source)) = (key.as_str(), notice.rotate.as_deref()) {
                        tracing::info!(source, "notification: rotate");
                        windows::show(&app, windows::MAIN);
                    }
                }
            }),
        )
        .await;
        if waited.is_err() {
            handle.close_async().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{SystemTime, UNIX_EPOCH};

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
    }

    fn failed(name: &str, retry: bool) -> Event {
        Event::Failed {
            name: name.to_owned(),
            reason: "Throttling".to_owned(),
            message: "STS is throttling".to_owned(),
            retry_at: retry.then(|| at(60)),
        }
    }

    fn summary(decision: &Decision) -> Option<&str> {
        match decision {
            Decision::Show(n) => Some(n.summary.as_str()),
            _ => None,
        }
    }

    #[test]
    fn a_code_request_has_an_enter_code_button_and_is_said_once() {
        let mut notices = Notices::default();
        let event = Event::MfaNeeded {
            name: "prod".to_owned(),
            serial: "arn:aws:iam::1:mfa/me".to_owned(),
            message: "needs a code".to_owned(),
        };
        let Decision::Show(notice) = notices.decide(&event) else {
            panic!("a code request is shown");
        };
        assert!(notice.enter_code && notice.sticky);
        assert!(notice.body.contains("arn:aws:iam::1:mfa/me"));
        assert_eq!(
            notices.decide(&event),
            Decision::Nothing,
            "one per condition"
        );
        // Expiring while waiting for a code replaces it, still with the button.
        let Decision::Show(expiring) = notices.decide(&Event::Expiring {
            name: "prod".to_owned(),
            at: at(600),
        }) else {
            panic!("expiring is shown");
        };
        assert!(expiring.enter_code, "{expiring:?}");
        // The code was typed: the notice goes, with no news.
        assert_eq!(
            notices.decide(&Event::Refreshed {
                name: "prod".to_owned(),
                expires: Some(at(4000)),
            }),
            Decision::Show(Notice {
                session: "prod".to_owned(),
                summary: "prod is fresh again".to_owned(),
                body: "RoleKeeper renewed it.".to_owned(),
                enter_code: false,
                sign_in: None,
                rotate: None,
                sticky: false,
            })
        );
    }

    #[test]
    fn routine_renewals_and_blips_stay_quiet() {
        let mut notices = Notices::default();
        let refreshed = Event::Refreshed {
            name: "a".to_owned(),
            expires: Some(at(3600)),
        };
        assert_eq!(notices.decide(&refreshed), Decision::Nothing);
        assert_eq!(notices.decide(&failed("a", true)), Decision::Nothing);
        assert_eq!(notices.decide(&failed("a", true)), Decision::Nothing);
        assert_eq!(
            summary(&notices.decide(&failed("a", true))),
            Some("a cannot refresh"),
            "the third failure in a row is worth telling"
        );
        assert_eq!(notices.decide(&failed("a", true)), Decision::Nothing);
        assert_eq!(
            summary(&notices.decide(&Event::Recovered {
                name: "a".to_owned()
            })),
            Some("a is fresh again")
        );
        assert_eq!(notices.decide(&refreshed), Decision::Nothing);
    }

    #[test]
    fn a_file_the_engine_cannot_use_is_told_once_until_fixed() {
        let mut notices = Notices::default();
        let problem = Event::Problem {
            message: "RoleKeeper's state file /s/state.json cannot be used: expected value"
                .to_owned(),
        };
        let Decision::Show(notice) = notices.decide(&problem) else {
            panic!("a problem is shown");
        };
        assert!(notice.body.contains("/s/state.json") && notice.sticky);
        assert_eq!(notices.decide(&problem), Decision::Nothing, "once");
        assert_eq!(
            notices.decide(&Event::Reloaded { profiles: 1 }),
            Decision::Close {
                session: PROBLEM.to_owned()
            }
        );
        assert_eq!(
            notices.decide(&Event::Reloaded { profiles: 1 }),
            Decision::Nothing
        );
    }

    #[test]
    fn failures_that_wait_for_the_user_are_told_at_once() {
        let mut notices = Notices::default();
        assert_eq!(
            summary(&notices.decide(&failed("b", false))),
            Some("b cannot refresh")
        );
    }

    #[test]
    fn sso_notices_offer_to_sign_in_and_close_once_signed_in() {
        let mut notices = Notices::default();
        let Decision::Show(needed) = notices.decide(&Event::SsoSignInNeeded {
            session: "corp".to_owned(),
            message: "The sign-in to corp has ended.".to_owned(),
        }) else {
            panic!("a needed sign-in is shown");
        };
        assert_eq!(needed.summary, "corp: SSO sign-in needed");
        assert_eq!(needed.sign_in.as_deref(), Some("corp"));
        assert!(!needed.enter_code);
        assert_eq!(
            notices.decide(&Event::SsoSignedIn {
                session: "corp".to_owned(),
                until: at(3600),
            }),
            Decision::Close {
                session: sso_key("corp")
            }
        );
        let Decision::Show(ending) = notices.decide(&Event::SsoEnding {
            session: "lab".to_owned(),
            at: at(600),
        }) else {
            panic!("an ending sign-in is shown");
        };
        assert_eq!(ending.sign_in.as_deref(), Some("lab"));
    }

    #[test]
    fn a_code_typed_closes_the_request_without_news() {
        let mut notices = Notices::default();
        notices.decide(&Event::MfaNeeded {
            name: "m".to_owned(),
            serial: "s".to_owned(),
            message: String::new(),
        });
        assert_eq!(
            notices.decide(&Event::Refreshed {
                name: "m".to_owned(),
                expires: None
            }),
            Decision::Close {
                session: "m".to_owned()
            }
        );
    }
}
