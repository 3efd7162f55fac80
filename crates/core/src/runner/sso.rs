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
    /// Returns the sign-ins no longer watched that had been looked at.
    pub(super) fn sync(&mut self, sessions: Vec<SsoSession>, now: SystemTime) -> Vec<String> {
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
        let gone = std::mem::replace(&mut self.watched, next);
        gone.into_iter()
            .filter(|(_, w)| w.standing != Standing::Unknown)
            .map(|(label, _)| label)
            .collect()
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

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;
    use crate::secret::Secret;
    use crate::sso::cache::CachedToken;
    use crate::sso::config::corp;

    fn token(expires: u64) -> CachedToken {
        CachedToken {
            start_url: None,
            region: None,
            access_token: Secret::new("at"),
            expires_at: UNIX_EPOCH + Duration::from_secs(expires),
            client_id: None,
            client_secret: None,
            registration_expires_at: None,
            refresh_token: None,
        }
    }

    fn kind(events: &[Event]) -> Vec<&'static str> {
        events
            .iter()
            .map(|e| match e {
                Event::SsoSignedIn { .. } => "signed in",
                Event::SsoEnding { .. } => "ending",
                Event::SsoSignInNeeded { .. } => "needed",
                _ => "other",
            })
            .collect()
    }

    #[test]
    fn each_change_is_told_once_and_a_good_sign_in_again_retries_the_waiting() {
        let at = |s: u64| UNIX_EPOCH + Duration::from_secs(s);
        let mut watch = SsoWatch::default();
        assert!(watch.sync(vec![corp()], at(0)).is_empty());
        assert_eq!(watch.due(at(0)).len(), 1, "a new sign-in is looked at now");
        // (what the look found, events, good again, next look)
        let looks: Vec<(TokenState, Vec<&str>, bool, u64)> = vec![
            (
                TokenState::Fresh(token(3600)),
                vec!["signed in"],
                false,
                2701,
            ),
            (TokenState::Fresh(token(7200)), vec![], false, 6301),
            (TokenState::Ending(token(7500)), vec!["ending"], false, 30),
            (TokenState::Ending(token(7500)), vec![], false, 30),
            (
                TokenState::Missing { why: "x".into() },
                vec!["needed"],
                false,
                30,
            ),
            (TokenState::Missing { why: "x".into() }, vec![], false, 30),
            (
                TokenState::Fresh(token(3600)),
                vec!["signed in"],
                true,
                2701,
            ),
        ];
        for (found, events, good_again, next) in looks {
            let (told, again) = watch.looked(&corp(), Ok(found), at(0));
            assert_eq!(kind(&told), events);
            assert_eq!(again, good_again);
            assert_eq!(watch.next_due(), Some(at(next)));
        }
        // No active session uses it any more: said, so a pending request can be withdrawn.
        assert_eq!(watch.sync(Vec::new(), at(0)), vec!["corp".to_owned()]);
        assert_eq!(watch.next_due(), None);
    }
}
