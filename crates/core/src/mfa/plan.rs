//! The MFA plan of DESIGN.md, as pure decisions over plain data.
//!
//! A role assumed from temporary credentials lasts at most 1 h. So a role of at most 1 h is
//! assumed from an *MFA session* (`GetSessionToken` with the code, 12 h by default) of its source
//! and device, and every renewal until that session ends needs no code; a role asking for more
//! than 1 h can only be assumed with the long-term keys, so it takes a code at each renewal.

use std::time::{Duration, SystemTime};

/// The longest role session STS grants to a caller with temporary credentials (an MFA session).
pub const ROLE_FROM_TEMPORARY_MAX: Duration = Duration::from_secs(3600);

/// What STS gives a role when the request names no duration.
pub const DEFAULT_ROLE_DURATION: Duration = Duration::from_secs(3600);

/// What decides how one `AssumeRole` of a chain gets past MFA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepFacts<'a> {
    /// The MFA device the role asks for (its own `mfa_serial`, or its keychain source's).
    pub serial: Option<&'a str>,
    /// The duration asked for; `None` is STS's default of 1 h.
    pub duration: Option<Duration>,
    /// The role is assumed with long-term keys (the first role of a chain that starts at keys
    /// without a session token): only such keys can call `GetSessionToken`.
    pub from_long_term_keys: bool,
}

/// How one role of a chain gets past MFA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepMfa {
    /// No code: the role does not ask for one.
    None,
    /// Assumed with no code from the MFA session of its source and `serial`.
    ViaMfaSession { serial: String },
    /// Assumed with a code, at each renewal.
    WithCode { serial: String },
}

pub fn choose(step: StepFacts<'_>) -> StepMfa {
    let Some(serial) = step.serial else {
        return StepMfa::None;
    };
    let serial = serial.to_owned();
    let duration = step.duration.unwrap_or(DEFAULT_ROLE_DURATION);
    if step.from_long_term_keys && duration <= ROLE_FROM_TEMPORARY_MAX {
        StepMfa::ViaMfaSession { serial }
    } else {
        StepMfa::WithCode { serial }
    }
}

/// A whole session's plan, as `status` names it: the most demanding of its steps.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "plan")]
pub enum SessionMfa {
    NoMfa,
    MfaSession { serial: String },
    CodeEachRenewal { serial: String },
}

impl SessionMfa {
    pub fn of(steps: &[StepMfa]) -> Self {
        let with_code = steps.iter().find_map(|s| match s {
            StepMfa::WithCode { serial } => Some(serial),
            _ => None,
        });
        let via_session = steps.iter().find_map(|s| match s {
            StepMfa::ViaMfaSession { serial } => Some(serial),
            _ => None,
        });
        match (with_code, via_session) {
            (Some(serial), _) => Self::CodeEachRenewal {
                serial: serial.clone(),
            },
            (None, Some(serial)) => Self::MfaSession {
                serial: serial.clone(),
            },
            (None, None) => Self::NoMfa,
        }
    }
}

/// When the next code is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextCode {
    Never,
    /// At the next renewal, or the end of the MFA session: the moment the engine will ask.
    At(SystemTime),
    /// Before the session can be renewed at all (no usable MFA session).
    Now,
}

/// When `plan` next needs a code. `mfa_session_ends`: the cached MFA session's expiry, if any;
/// `renewal`: when the session is next renewed (its expiry minus the lead); `margin`: how long
/// before its end an MFA session stops being used.
pub fn next_code(
    plan: &SessionMfa,
    mfa_session_ends: Option<SystemTime>,
    renewal: Option<SystemTime>,
    margin: Duration,
    now: SystemTime,
) -> NextCode {
    match plan {
        SessionMfa::NoMfa => NextCode::Never,
        SessionMfa::CodeEachRenewal { .. } => renewal.map_or(NextCode::Now, NextCode::At),
        SessionMfa::MfaSession { .. } => match mfa_session_ends {
            Some(end) if end > now + margin => NextCode::At(end - margin),
            _ => NextCode::Now,
        },
    }
}

/// `21:40 UTC`.
pub fn clock_time(at: SystemTime) -> String {
    let at = time::OffsetDateTime::from(at);
    format!("{:02}:{:02} UTC", at.hour(), at.minute())
}

/// How `status` says it: `MFA session until 21:40 UTC, then a code`, `code at each renewal
/// (next at 21:40 UTC)`, `no MFA`.
pub fn in_words(plan: &SessionMfa, mfa_session_ends: Option<SystemTime>, next: NextCode) -> String {
    match (plan, next) {
        (SessionMfa::NoMfa, _) => "no MFA".to_owned(),
        (SessionMfa::MfaSession { .. }, NextCode::At(_)) => match mfa_session_ends {
            Some(end) => format!("MFA session until {}, then a code", clock_time(end)),
            None => "MFA session".to_owned(),
        },
        (SessionMfa::MfaSession { .. }, _) => {
            "MFA session: a code is needed for the next renewal".to_owned()
        }
        (SessionMfa::CodeEachRenewal { .. }, NextCode::At(at)) => {
            format!("code at each renewal (next at {})", clock_time(at))
        }
        (SessionMfa::CodeEachRenewal { .. }, _) => {
            "code at each renewal (one is needed now)".to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";

    #[test]
    fn the_plan_of_one_step() {
        let h = |s: u64| Some(Duration::from_secs(s));
        let via = StepMfa::ViaMfaSession {
            serial: SERIAL.into(),
        };
        let code = StepMfa::WithCode {
            serial: SERIAL.into(),
        };
        // (serial, duration, from long-term keys, plan)
        let table = [
            (None, None, true, StepMfa::None),
            (None, h(7200), true, StepMfa::None),
            (Some(SERIAL), None, true, via.clone()),
            (Some(SERIAL), h(900), true, via.clone()),
            (Some(SERIAL), h(3600), true, via.clone()),
            (Some(SERIAL), h(3601), true, code.clone()),
            (Some(SERIAL), h(7200), true, code.clone()),
            // From temporary credentials (a later role of a chain, keys with a token), no
            // MFA session can be made: the code goes to AssumeRole.
            (Some(SERIAL), None, false, code.clone()),
            (Some(SERIAL), h(900), false, code.clone()),
        ];
        for (serial, duration, from_long_term_keys, want) in table {
            let got = choose(StepFacts {
                serial,
                duration,
                from_long_term_keys,
            });
            assert_eq!(got, want, "{serial:?} {duration:?} {from_long_term_keys}");
        }
    }

    #[test]
    fn a_session_takes_its_most_demanding_step() {
        let via = || StepMfa::ViaMfaSession { serial: "a".into() };
        let code = || StepMfa::WithCode { serial: "b".into() };
        let table = [
            (vec![], SessionMfa::NoMfa),
            (vec![StepMfa::None, StepMfa::None], SessionMfa::NoMfa),
            (
                vec![via(), StepMfa::None],
                SessionMfa::MfaSession { serial: "a".into() },
            ),
            (
                vec![via(), code()],
                SessionMfa::CodeEachRenewal { serial: "b".into() },
            ),
        ];
        for (steps, want) in table {
            assert_eq!(SessionMfa::of(&steps), want, "{steps:?}");
        }
    }

    #[test]
    fn when_the_next_code_is_needed_and_how_status_says_it() {
        let t = |s: u64| UNIX_EPOCH + Duration::from_secs(s);
        let margin = Duration::from_secs(960);
        let now = t(0);
        let session = SessionMfa::MfaSession {
            serial: SERIAL.into(),
        };
        let each = SessionMfa::CodeEachRenewal {
            serial: SERIAL.into(),
        };
        // (plan, MFA session ends, renewal, next code, words)
        let table = [
            (
                SessionMfa::NoMfa,
                None,
                Some(t(2700)),
                NextCode::Never,
                "no MFA",
            ),
            (
                session.clone(),
                Some(t(78_000)),
                Some(t(2700)),
                NextCode::At(t(78_000 - 960)),
                "MFA session until 21:40 UTC, then a code",
            ),
            (
                session.clone(),
                Some(t(900)),
                Some(t(2700)),
                NextCode::Now,
                "MFA session: a code is needed for the next renewal",
            ),
            (
                session,
                None,
                None,
                NextCode::Now,
                "MFA session: a code is needed for the next renewal",
            ),
            (
                each.clone(),
                None,
                Some(t(6300)),
                NextCode::At(t(6300)),
                "code at each renewal (next at 01:45 UTC)",
            ),
            (
                each,
                None,
                None,
                NextCode::Now,
                "code at each renewal (one is needed now)",
            ),
        ];
        for (plan, ends, renewal, want, words) in table {
            let got = next_code(&plan, ends, renewal, margin, now);
            assert_eq!(got, want, "{plan:?} {ends:?}");
            assert_eq!(in_words(&plan, ends, got), words);
        }
    }
}
