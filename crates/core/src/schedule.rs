//! When to refresh what: the refresh engine's plan, as pure data over wall-clock time.
//!
//! No I/O and no clock reads here: the runner passes `now` in, so the whole policy (lead time,
//! jittered backoff, no blind retries of auth failures, warnings before a session lapses) is
//! tested by moving time in a loop, a simulated week in milliseconds.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

/// The refresh policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Refresh this long before a session expires (botocore's advisory window is 15 min).
    pub lead: Duration,
    /// Warn this long before a session that cannot renew by itself expires.
    pub warn_before: Duration,
    /// The first retry after a transient failure comes after about this long...
    pub backoff_base: Duration,
    /// ...doubling each time, up to this.
    pub backoff_cap: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            lead: Duration::from_secs(15 * 60),
            warn_before: Duration::from_secs(10 * 60),
            backoff_base: Duration::from_secs(5),
            backoff_cap: Duration::from_secs(5 * 60),
        }
    }
}

/// Why a refresh failed, as far as planning cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Throttling, 5xx, a timeout, the network: retrying later may help.
    Transient,
    /// A code is needed and nobody could be asked.
    NeedsMfa,
    /// Denied, bad keys, a broken profile: retrying cannot help until the user acts.
    NeedsUser,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// Refresh at `expires - lead`.
    Scheduled,
    /// Transient failures so far; try again at `next`.
    Retrying { failures: u32, next: SystemTime },
    /// Stopped until the user acts (refresh now, a code, a fixed profile).
    WaitingForUser { kind: FailureKind },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    /// When the credentials now delivered expire; `None` for long-term keys (nothing to do).
    expires: Option<SystemTime>,
    phase: Phase,
    /// The expiry warning for the current credentials was given.
    warned: bool,
}

/// What happened to a session after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    RetryAt(SystemTime),
    WaitForUser,
}

/// The plan for every active session.
#[derive(Debug, Clone, Default)]
pub struct Schedule {
    policy: Policy,
    sessions: BTreeMap<String, Entry>,
}

impl Schedule {
    pub fn new(policy: Policy) -> Self {
        Self {
            policy,
            sessions: BTreeMap::new(),
        }
    }

    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// Plan with `policy` from now on; each session's next time follows at once.
    pub fn set_policy(&mut self, policy: Policy) {
        self.policy = policy;
    }

    /// Make the plan match the active sessions (from the state file): new ones are scheduled on
    /// their expiry, gone ones forgotten, known ones keep their retry state unless their expiry
    /// changed (someone refreshed them, e.g. `rolekeeper activate` from another process).
    pub fn sync<'a>(&mut self, active: impl IntoIterator<Item = (&'a str, Option<SystemTime>)>) {
        let mut next = BTreeMap::new();
        for (name, expires) in active {
            let entry = match self.sessions.remove(name) {
                Some(entry) if entry.expires == expires => entry,
                _ => Entry {
                    expires,
                    phase: Phase::Scheduled,
                    warned: false,
                },
            };
            next.insert(name.to_owned(), entry);
        }
        self.sessions = next;
    }

    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// When `name` should next be refreshed, if ever without the user.
    fn refresh_at(&self, entry: &Entry) -> Option<SystemTime> {
        match entry.phase {
            Phase::Scheduled => entry
                .expires
                .map(|at| at.checked_sub(self.policy.lead).unwrap_or(at)),
            Phase::Retrying { next, .. } => Some(next),
            Phase::WaitingForUser { .. } => None,
        }
    }

    /// When to warn that `name` will lapse: only for sessions that cannot renew by themselves.
    fn warn_at(&self, entry: &Entry) -> Option<SystemTime> {
        match (&entry.phase, entry.expires, entry.warned) {
            (Phase::WaitingForUser { .. }, Some(expires), false) => Some(
                expires
                    .checked_sub(self.policy.warn_before)
                    .unwrap_or(expires),
            ),
            _ => None,
        }
    }

    /// Sessions to refresh now, in name order.
    pub fn due(&self, now: SystemTime) -> Vec<String> {
        self.sessions
            .iter()
            .filter(|(_, e)| self.refresh_at(e).is_some_and(|at| at <= now))
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Sessions that cannot renew by themselves and are now close to expiry, each with its
    /// expiry; marked as warned, so each is reported once per set of credentials.
    pub fn take_warnings(&mut self, now: SystemTime) -> Vec<(String, SystemTime)> {
        let due: Vec<(String, SystemTime)> = self
            .sessions
            .iter()
            .filter(|(_, e)| self.warn_at(e).is_some_and(|at| at <= now))
            .filter_map(|(name, e)| e.expires.map(|at| (name.clone(), at)))
            .collect();
        for (name, _) in &due {
            if let Some(entry) = self.sessions.get_mut(name) {
                entry.warned = true;
            }
        }
        due
    }

    /// The next moment anything is due: the time to sleep until. `None`: nothing, ever, without
    /// a command.
    pub fn next_wake(&self) -> Option<SystemTime> {
        self.sessions
            .values()
            .flat_map(|e| [self.refresh_at(e), self.warn_at(e)])
            .flatten()
            .min()
    }

    /// `name` was refreshed; returns true if it had been failing (a recovery worth reporting).
    pub fn succeeded(&mut self, name: &str, expires: Option<SystemTime>) -> bool {
        let entry = self.sessions.entry(name.to_owned()).or_insert(Entry {
            expires,
            phase: Phase::Scheduled,
            warned: false,
        });
        let was_failing = entry.phase != Phase::Scheduled;
        *entry = Entry {
            expires,
            phase: Phase::Scheduled,
            warned: false,
        };
        was_failing
    }

    /// `name` failed to refresh at `now`. `jitter` in `[0, 1)` spreads retries so many
    /// sessions (or many machines) do not retry in step.
    pub fn failed(
        &mut self,
        name: &str,
        kind: FailureKind,
        now: SystemTime,
        jitter: f64,
    ) -> AfterFailure {
        let policy = self.policy;
        let Some(entry) = self.sessions.get_mut(name) else {
            return AfterFailure::WaitForUser;
        };
        if kind != FailureKind::Transient {
            entry.phase = Phase::WaitingForUser { kind };
            return AfterFailure::WaitForUser;
        }
        let failures = match entry.phase {
            Phase::Retrying { failures, .. } => failures.saturating_add(1),
            _ => 1,
        };
        let next = now + backoff(policy, failures, jitter);
        entry.phase = Phase::Retrying { failures, next };
        AfterFailure::RetryAt(next)
    }

    /// The user asked for a refresh (or fixed something): waiting sessions are due again now.
    pub fn retry_now(&mut self, now: SystemTime) {
        for entry in self.sessions.values_mut() {
            if entry.phase != Phase::Scheduled {
                entry.phase = Phase::Retrying {
                    failures: 0,
                    next: now,
                };
            }
        }
    }

    /// The machine woke: sessions waiting on a backoff are due now (what waits for the user
    /// still waits).
    pub fn retry_transient_now(&mut self, now: SystemTime) {
        for entry in self.sessions.values_mut() {
            if let Phase::Retrying { next, .. } = &mut entry.phase {
                *next = now;
            }
        }
    }

    /// `name` is active and has failed since its last refresh (its health is worth showing).
    pub fn is_waiting_or_retrying(&self, name: &str) -> bool {
        self.sessions
            .get(name)
            .is_some_and(|e| e.phase != Phase::Scheduled)
    }

    /// Sessions waiting for an MFA code.
    pub fn needing_mfa(&self) -> impl Iterator<Item = &str> {
        self.sessions
            .iter()
            .filter(|(_, e)| {
                e.phase
                    == Phase::WaitingForUser {
                        kind: FailureKind::NeedsMfa,
                    }
            })
            .map(|(name, _)| name.as_str())
    }
}

/// `base * 2^(failures-1)`, capped, then scaled into `[50%, 100%]` by `jitter`: never zero, never
/// in step.
fn backoff(policy: Policy, failures: u32, jitter: f64) -> Duration {
    let exponent = failures.saturating_sub(1).min(20);
    let full = policy
        .backoff_base
        .saturating_mul(1u32 << exponent)
        .min(policy.backoff_cap);
    full.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

/// `ROLEKEEPER_REFRESH_BEFORE`: `890s`, `15m`, `1h`, or plain seconds.
pub fn parse_lead(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let n: u64 = number.parse().ok()?;
    let seconds = match unit.trim() {
        "s" | "sec" => n,
        "m" | "min" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        _ => return None,
    };
    Some(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn t(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
    }

    fn policy() -> Policy {
        Policy::default()
    }

    #[test]
    fn leads_parse_in_the_units_people_write() {
        for (text, secs) in [
            ("890s", Some(890)),
            ("890", Some(890)),
            ("15m", Some(900)),
            ("15 min", Some(900)),
            ("1h", Some(3600)),
            ("", None),
            ("soon", None),
            ("5d", None),
        ] {
            assert_eq!(parse_lead(text), secs.map(Duration::from_secs), "{text:?}");
        }
    }

    #[test]
    fn a_session_is_due_lead_before_expiry_and_not_before() {
        let mut s = Schedule::new(policy());
        s.sync([("a", Some(t(3600))), ("static", None)]);
        assert_eq!(s.next_wake(), Some(t(2700)));
        assert!(s.due(t(2699)).is_empty());
        assert_eq!(s.due(t(2700)), ["a"]);
        assert!(!s.succeeded("a", Some(t(7200))));
        assert_eq!(s.next_wake(), Some(t(6300)));
    }

    #[test]
    fn a_lead_longer_than_the_session_refreshes_at_once() {
        let mut s = Schedule::new(Policy {
            lead: Duration::from_secs(890),
            ..policy()
        });
        s.sync([("a", Some(t(900)))]);
        assert_eq!(s.next_wake(), Some(t(10)));
    }

    #[test]
    fn transient_failures_back_off_with_jitter_up_to_the_cap() {
        let mut s = Schedule::new(policy());
        s.sync([("a", Some(t(3600)))]);
        let mut now = t(2700);
        let mut delays = Vec::new();
        for jitter in [0.0, 0.999, 0.0, 0.0, 0.0, 0.0, 0.0, 0.999] {
            let AfterFailure::RetryAt(at) = s.failed("a", FailureKind::Transient, now, jitter)
            else {
                panic!("transient failures are retried");
            };
            delays.push(at.duration_since(now).map(|d| d.as_secs()).unwrap_or(0));
            assert_eq!(s.due(at), ["a"]);
            now = at;
        }
        // 5 s * 2^n, halved with no jitter; capped at 300 s.
        assert_eq!(delays, [2, 9, 10, 20, 40, 80, 150, 299]);
        assert!(
            s.succeeded("a", Some(t(9000))),
            "a success after failures is a recovery"
        );
    }

    #[test]
    fn auth_failures_wait_for_the_user_and_warn_once_before_expiry() {
        let mut s = Schedule::new(policy());
        s.sync([("a", Some(t(3600))), ("b", Some(t(3600)))]);
        assert_eq!(
            s.failed("a", FailureKind::NeedsUser, t(2700), 0.5),
            AfterFailure::WaitForUser
        );
        assert_eq!(
            s.failed("b", FailureKind::NeedsMfa, t(2700), 0.5),
            AfterFailure::WaitForUser
        );
        assert!(s.due(t(100_000)).is_empty(), "never retried blindly");
        assert_eq!(s.needing_mfa().collect::<Vec<_>>(), ["b"]);
        // The warning comes warn_before the expiry, once.
        assert_eq!(s.next_wake(), Some(t(3000)));
        assert!(s.take_warnings(t(2999)).is_empty());
        assert_eq!(
            s.take_warnings(t(3000)),
            [("a".to_owned(), t(3600)), ("b".to_owned(), t(3600))]
        );
        assert!(s.take_warnings(t(3001)).is_empty());
        assert_eq!(s.next_wake(), None, "nothing to do until the user acts");
        s.retry_now(t(3100));
        assert_eq!(s.due(t(3100)), ["a", "b"]);
    }

    #[test]
    fn sync_keeps_retry_state_unless_someone_else_refreshed() {
        let mut s = Schedule::new(policy());
        s.sync([("a", Some(t(3600))), ("b", Some(t(3600)))]);
        s.failed("a", FailureKind::NeedsUser, t(2700), 0.0);
        s.failed("b", FailureKind::NeedsUser, t(2700), 0.0);
        // b was refreshed elsewhere (new expiry); c is new; nothing was said of d.
        s.sync([
            ("a", Some(t(3600))),
            ("b", Some(t(7200))),
            ("c", Some(t(1000))),
        ]);
        assert_eq!(s.len(), 3);
        assert!(s.due(t(6300)).contains(&"b".to_owned()));
        assert!(!s.due(t(100_000)).contains(&"a".to_owned()));
    }

    /// 500 sessions of 1 h over a simulated week, 20% of calls failing transiently: no session
    /// ever lapses, and the plan stays the same size.
    #[test]
    fn a_week_of_flaky_sts_never_lets_a_session_lapse() {
        let mut s = Schedule::new(policy());
        let hour = Duration::from_secs(3600);
        let start = t(0);
        let names: Vec<String> = (0..500).map(|i| format!("s{i:03}")).collect();
        // Staggered expiries, as real sessions activated at different times have.
        s.sync(names.iter().enumerate().map(|(i, n)| {
            (
                n.as_str(),
                Some(start + hour + Duration::from_secs(i as u64 * 7)),
            )
        }));
        let mut expiry: BTreeMap<String, SystemTime> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), start + hour + Duration::from_secs(i as u64 * 7)))
            .collect();
        // A small deterministic generator: the same "random" failures every run.
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next_random = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % 10_000) as f64 / 10_000.0
        };
        let end = start + Duration::from_secs(7 * 24 * 3600);
        let mut now = start;
        let (mut calls, mut wakes) = (0u64, 0u64);
        while now < end {
            let Some(wake) = s.next_wake() else {
                panic!("nothing scheduled");
            };
            assert!(wake >= now, "the plan never goes back in time");
            now = wake;
            wakes += 1;
            for name in s.due(now) {
                calls += 1;
                assert!(expiry[&name] > now, "{name} lapsed at {now:?}");
                if next_random() < 0.2 {
                    s.failed(&name, FailureKind::Transient, now, next_random());
                } else {
                    let new_expiry = now + hour;
                    expiry.insert(name.clone(), new_expiry);
                    s.succeeded(&name, Some(new_expiry));
                }
            }
            assert_eq!(s.len(), 500);
        }
        // Each session is refreshed every 45 min (1 h minus the 15 min lead), plus retries.
        assert!(calls > 500 * 168, "{calls} calls");
        assert!(wakes <= calls, "wakes only when something is due");
    }
}
