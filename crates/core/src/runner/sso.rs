//! The loop's watch over the IAM Identity Center sign-ins its active sessions use: each access
//! token is refreshed 15 minutes before it expires (one refresh per sign-in), and the user is
//! told 15 minutes before a sign-in that cannot be renewed ends, and when one is needed.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use super::Event;
use crate::error::{Error, Result};
use crate::sso::{SsoSession, TokenState, REFRESH_WINDOW};

/// How often a sign-in that is needed (or could not be checked) is looked at again: a sign-in
/// made elsewhere (`rolekeeper sso login`, `aws sso login`) is noticed within this.
const RECHECK: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
pub(super) struct SsoWatch {
    /// By the sign-in's label.
    watched: BTreeMap<String, Watched>,
}

#[derive(Debug)]
struct Watched {
    session: SsoSession,
    due: SystemTime,
    standing: Standing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    /// Not looked at yet.
    Unknown,
    Fresh,
    /// Good until then, not renewable: told once.
    Ending(SystemTime),
    /// A sign-in is needed: told once.
    Needed,
}

impl SsoWatch {
    /// Watch exactly `sessions` (those of the active sessions); a new one is looked at now.
    pub(super) fn sync(&mut self, sessions: Vec<SsoSession>, now: SystemTime) {
        let mut next: BTreeMap<String, Watched> = BTreeMap::new();
        for session in sessions {
            let label = session.label().to_owned();
            let watched = self.watched.remove(&label).unwrap_or(Watched {
                session: session.clone(),
                due: now,
                standing: Standing::Unknown,
            });
            next.insert(label, Watched { session, ..watched });
        }
        self.watched = next;
    }

    pub(super) fn next_due(&self) -> Option<SystemTime> {
        self.watched.values().map(|w| w.due).min()
    }

    /// Look at every sign-in now (woke from sleep, a sign-in was made here).
    pub(super) fn all_due(&mut self, now: SystemTime) {
        for w in self.watched.values_mut() {
            w.due = now;
        }
    }

    pub(super) fn due(&self, now: SystemTime) -> Vec<SsoSession> {
        self.watched
            .values()
            .filter(|w| w.due <= now)
            .map(|w| w.session.clone())
            .collect()
    }

    /// What a look at `session` found: when to look next, and what to tell. The flag says the
    /// sign-in is good again after it was not (sessions waiting for it can be retried).
    pub(super) fn looked(
        &mut self,
        session: &SsoSession,
        found: Result<TokenState>,
        now: SystemTime,
    ) -> (Vec<Event>, bool) {
        let Some(w) = self.watched.get_mut(session.label()) else {
            return (Vec::new(), false);
        };
        let label = session.label().to_owned();
        let mut events = Vec::new();
        let before = w.standing;
        match found {
            Ok(TokenState::Fresh(token)) => {
                w.standing = Standing::Fresh;
                // A little after the window opens, so the refresh is due when it runs.
                w.due = (token.expires_at - REFRESH_WINDOW + Duration::from_secs(1))
                    .max(now + Duration::from_secs(5));
                if before != Standing::Fresh {
                    events.push(Event::SsoSignedIn {
                        session: label,
                        until: token.expires_at,
                    });
                }
            }
            Ok(TokenState::Ending(token)) => {
                let at = token.expires_at;
                w.standing = Standing::Ending(at);
                // Looked at again when it ends (or sooner: a sign-in made elsewhere).
                w.due = at.min(now + RECHECK).max(now + Duration::from_secs(1));
                if before != Standing::Ending(at) {
                    events.push(Event::SsoEnding { session: label, at });
                }
            }
            Ok(TokenState::Missing { why }) => {
                w.standing = Standing::Needed;
                w.due = now + RECHECK;
                if before != Standing::Needed {
                    events.push(Event::SsoSignInNeeded {
                        message: Error::SsoSignInNeeded {
                            session: label.clone(),
                            why,
                        }
                        .to_string(),
                        session: label,
                    });
                }
            }
            Err(error) => {
                // The network or the keychain: the token still serves meanwhile; try again.
                tracing::warn!(session = %label, %error, "cannot check the SSO sign-in");
                w.due = now + RECHECK;
            }
        }
        let good_again = w.standing == Standing::Fresh
            && matches!(before, Standing::Needed | Standing::Ending(_));
        (events, good_again)
    }
}
