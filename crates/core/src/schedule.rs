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

/// No session is renewed by the engine more often than this, whatever the settings: a lead that
/// leaves no room must never turn into a storm of STS calls.
pub const MIN_INTERVAL: Duration = Duration::from_secs(10);

/// When a session is renewed: `before_expiry` ahead of its expiry. A lead at least as long as
/// the session itself (a 900 s role under the default 15 min lead) would make it due the moment
/// it is renewed; such a session is renewed at half its length instead (`halved`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Renewal {
    pub before_expiry: Duration,
    pub halved: bool,
}

impl Renewal {
    /// The renewal of a session of `length` (`None`: not known, the lead as it is) under `lead`.
    pub fn of(lead: Duration, length: Option<Duration>) -> Self {
        match length {
            Some(length) if lead >= length => Self {
                before_expiry: length / 2,
                halved: true,
            },
            _ => Self {
                before_expiry: lead,
                halved: false,
            },
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
    /// How long those credentials last from issue to expiry, when known.
    length: Option<Duration>,
    /// When this engine last renewed the session: the next renewal is [`MIN_INTERVAL`] later at
    /// the earliest.
    renewed: Option<SystemTime>,
    phase: Phase,
    /// The expiry warning for the current credentials was given.
    warned: bool,
    /// The user asked for a renewal from this moment on ("Refresh all now").
    asked: Option<SystemTime>,
}

impl Entry {
    fn new(expires: Option<SystemTime>, length: Option<Duration>) -> Self {
        Self {
            expires,
            length,
            renewed: None,
            phase: Phase::Scheduled,
            warned: false,
            asked: None,
        }
    }
}

/// What happened to a session after a renewal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterSuccess {
    /// Renewed; next due by the plan.
    Fresh,
    /// Renewed after failures: a recovery worth reporting.
    Recovered,
    /// The new credentials were already due (expired on arrival, e.g. the clock is wrong):
    /// renewing again could only loop, so the session waits for the user.
    AlreadyDue,
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

    /// Make the plan match the active sessions (from the state file), each with its expiry and
    /// length: new ones are scheduled on their expiry, gone ones forgotten, known ones keep their
    /// retry state unless their expiry changed (someone refreshed them, e.g. `rolekeeper
    /// activate` from another process). The last renewal's time is kept either way, so the
    /// floor of [`MIN_INTERVAL`] holds across a reload.
    pub fn sync<'a>(
        &mut self,
        active: impl IntoIterator<Item = (&'a str, Option<SystemTime>, Option<Duration>)>,
    ) {
        let mut next = BTreeMap::new();
        for (name, expires, length) in active {
            let entry = match self.sessions.remove(name) {
                Some(mut entry) if entry.expires == expires => {
                    entry.length = length.or(entry.length);
                    entry
                }
                Some(old) => Entry {
                    renewed: old.renewed,
                    ..Entry::new(expires, length)
                },
                None => Entry::new(expires, length),
            };
            next.insert(name.to_owned(), entry);
        }
        self.sessions = next;
    }

    /// When `name` is renewed ahead of its expiry, as far as the plan knows its length.
    pub fn renewal_of(&self, name: &str) -> Option<Renewal> {
        self.sessions
            .get(name)
            .map(|e| Renewal::of(self.policy.lead, e.length))
    }

    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// When `name` should next be refreshed, if ever without the user: by the plan (or when
    /// the user asked), never sooner than [`MIN_INTERVAL`] after the last renewal.
    fn refresh_at(&self, entry: &Entry) -> Option<SystemTime> {
        let planned = self.planned_at(entry);
        let planned = match (planned, entry.asked) {
            (Some(at), Some(asked)) => Some(at.min(asked)),
            (None, Some(asked)) if entry.phase == Phase::Scheduled => Some(asked),
            (planned, _) => planned,
        }?;
        Some(match entry.renewed {
            Some(renewed) => planned.max(renewed + MIN_INTERVAL),
            None => planned,
        })
    }

    /// The plan alone: expiry minus the renewal's lead, or the retry time.
    fn planned_at(&self, entry: &Entry) -> Option<SystemTime> {
        match entry.phase {
            Phase::Scheduled => entry.expires.map(|at| {
                let before = Renewal::of(self.policy.lead, entry.length).before_expiry;
                at.checked_sub(before).unwrap_or(at)
            }),
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

    /// `name` was renewed at `now` with credentials that expire at `expires`: it is next due by
    /// the plan, counted on the length they were issued for.
    pub fn succeeded(
        &mut self,
        name: &str,
        expires: Option<SystemTime>,
        now: SystemTime,
    ) -> AfterSuccess {
        let length = expires.and_then(|at| at.duration_since(now).ok());
        let was_failing = self
            .sessions
            .get(name)
            .is_some_and(|e| e.phase != Phase::Scheduled);
        let mut entry = Entry {
            renewed: Some(now),
            ..Entry::new(expires, length)
        };
        let already_due = expires.is_some() && self.planned_at(&entry).is_none_or(|at| at <= now);
        if already_due {
            entry.phase = Phase::WaitingForUser {
                kind: FailureKind::NeedsUser,
            };
        }
        self.sessions.insert(name.to_owned(), entry);
        match (already_due, was_failing) {
            (true, _) => AfterSuccess::AlreadyDue,
            (false, true) => AfterSuccess::Recovered,
            (false, false) => AfterSuccess::Fresh,
        }
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
        // The attempt the user asked for was made.
        entry.asked = None;
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

    /// The user asked to renew everything ("Refresh all now"): every session is due now, or
    /// [`MIN_INTERVAL`] after its last renewal if that is later.
    pub fn renew_all_now(&mut self, now: SystemTime) {
        self.retry_now(now);
        for entry in self.sessions.values_mut() {
            entry.asked = Some(now);
        }
    }

    /// A code was given for one session: every other session waiting for a code is due now, as
    /// it may renew from the MFA session that code made (one code per device, not per role).
    pub fn retry_needing_mfa_now(&mut self, now: SystemTime) {
        for entry in self.sessions.values_mut() {
            if entry.phase
                == (Phase::WaitingForUser {
                    kind: FailureKind::NeedsMfa,
                })
            {
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
        s.sync([("a", Some(t(3600)), None), ("static", None, None)]);
        assert_eq!(s.next_wake(), Some(t(2700)));
        assert!(s.due(t(2699)).is_empty());
        assert_eq!(s.due(t(2700)), ["a"]);
        assert_eq!(
            s.succeeded("a", Some(t(6300)), t(2700)),
            AfterSuccess::Fresh
        );
        assert_eq!(s.next_wake(), Some(t(5400)));
    }

    /// (lead, session length, seconds from one renewal to the next): a lead that leaves room is
    /// kept (890 s of a 900 s session: every 10 s, what the test suites use); one that leaves
    /// none renews at half the length; nothing renews more often than every 10 s.
    #[test]
    fn renewals_come_at_the_lead_or_half_the_length_and_never_in_a_storm() {
        for (lead, length, every) in [
            (900, 3600, 2700),
            (900, 900, 450),
            (7500, 3600, 1800),
            (890, 900, 10),
            (899, 900, 10),
            (895, 900, 10),
            (0, 900, 900),
            (3600, 15, 10),
        ] {
            let mut s = Schedule::new(Policy {
                lead: Duration::from_secs(lead),
                ..policy()
            });
            let mut now = t(0);
            s.sync([("a", Some(now + Duration::from_secs(length)), None)]);
            assert_eq!(
                s.succeeded("a", Some(now + Duration::from_secs(length)), now),
                AfterSuccess::Fresh
            );
            let mut intervals = Vec::new();
            for _ in 0..5 {
                let wake = s.next_wake().expect("planned");
                assert!(
                    s.due(wake - Duration::from_millis(1)).is_empty(),
                    "lead {lead}"
                );
                assert_eq!(s.due(wake), ["a"]);
                intervals.push(wake.duration_since(now).expect("forward").as_secs());
                now = wake;
                s.succeeded("a", Some(now + Duration::from_secs(length)), now);
            }
            assert_eq!(intervals, [every; 5], "lead {lead}, length {length}");
            let halved =
                Renewal::of(Duration::from_secs(lead), Some(Duration::from_secs(length))).halved;
            assert_eq!(s.renewal_of("a").map(|r| r.halved), Some(halved));
        }
    }

    #[test]
    fn a_session_of_unknown_length_found_within_the_lead_is_renewed_at_once() {
        let mut s = Schedule::new(policy());
        s.sync([("a", Some(t(600)), None)]);
        assert_eq!(s.due(t(0)), ["a"]);
        // Its length read from the state: half of it.
        s.sync([("a", Some(t(600)), Some(Duration::from_secs(900)))]);
        assert_eq!(s.next_wake(), Some(t(150)));
    }

    #[test]
    fn credentials_that_arrive_already_due_wait_for_the_user_instead_of_looping() {
        let mut s = Schedule::new(policy());
        s.sync([("a", Some(t(100)), None)]);
        assert_eq!(
            s.succeeded("a", Some(t(1000)), t(1000)),
            AfterSuccess::AlreadyDue
        );
        assert_eq!(
            s.next_wake(),
            Some(t(400)),
            "only the expiry warning is left"
        );
        assert!(s.due(t(100_000)).is_empty());
        s.retry_now(t(2000));
        assert_eq!(s.due(t(2000)), ["a"]);
    }

    #[test]
    fn refresh_all_renews_everything_but_not_twice_in_ten_seconds() {
        let mut s = Schedule::new(policy());
        s.sync([("a", Some(t(3600)), None), ("b", Some(t(3600)), None)]);
        s.succeeded("a", Some(t(3605)), t(5));
        s.renew_all_now(t(8));
        assert_eq!(s.due(t(8)), ["b"]);
        assert_eq!(s.due(t(15)), ["a", "b"]);
        s.succeeded("a", Some(t(3615)), t(15));
        s.succeeded("b", Some(t(3615)), t(15));
        assert!(s.due(t(20)).is_empty(), "asked once, renewed once");
        // A reload in between keeps the floor.
        s.renew_all_now(t(20));
        s.sync([("a", Some(t(3615)), None), ("b", Some(t(9999)), None)]);
        assert_eq!(s.next_wake(), Some(t(25)));
        assert!(s.due(t(24)).iter().all(|n| n != "a"));
        assert!(s.due(t(25)).contains(&"a".to_owned()));
    }

    #[test]
    fn transient_failures_back_off_with_jitter_up_to_the_cap() {
        let mut s = Schedule::new(policy());
        s.sync([("a", Some(t(3600)), None)]);
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
        assert_eq!(
            s.succeeded("a", Some(t(9000)), now),
            AfterSuccess::Recovered,
            "a success after failures is a recovery"
        );
    }

    #[test]
    fn auth_failures_wait_for_the_user_and_warn_once_before_expiry() {
        let mut s = Schedule::new(policy());
        s.sync([("a", Some(t(3600)), None), ("b", Some(t(3600)), None)]);
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
        s.sync([("a", Some(t(3600)), None), ("b", Some(t(3600)), None)]);
        s.failed("a", FailureKind::NeedsUser, t(2700), 0.0);
        s.failed("b", FailureKind::NeedsUser, t(2700), 0.0);
        // b was refreshed elsewhere (new expiry); c is new; nothing was said of d.
        s.sync([
            ("a", Some(t(3600)), None),
            ("b", Some(t(7200)), None),
            ("c", Some(t(1000)), None),
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
                None,
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
                    s.succeeded(&name, Some(new_expiry), now);
                }
            }
            assert_eq!(s.len(), 500);
        }
        // Each session is refreshed every 45 min (1 h minus the 15 min lead), plus retries.
        assert!(calls > 500 * 168, "{calls} calls");
        assert!(wakes <= calls, "wakes only when something is due");
    }
}
