//! How the engine's state reads to a person: shared by `rolekeeper status`, the tray menu and the
//! windows, so all three say the same thing in the same words.

use std::fmt;
use std::time::Duration;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::engine::{ProfileSummary, SessionStatus};
use crate::profile::ProfileKind;
use crate::runner::Health;

/// `47 min`, `2 h 05 min`, `30 s`.
pub fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min", s / 60),
        _ => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}

/// When a session is renewed, in words, where that is not simply the refresh lead: a lead at
/// least as long as the session renews it at half its length instead.
pub fn renewal_in_words(lead: Duration, length: Option<Duration>) -> Option<String> {
    let renewal = crate::schedule::Renewal::of(lead, length);
    let length = length.filter(|_| renewal.halved)?;
    Some(format!(
        "renews at half its length, {} before expiry: the {} refresh lead is not shorter than its {} session",
        human_duration(to_whole_seconds(renewal.before_expiry)),
        human_duration(lead),
        human_duration(to_whole_seconds(length))
    ))
}

/// A session's length as measured (from its delivery to its expiry, a moment short of what was
/// asked for) rounded to the whole second: a 900 s session reads "15 min", not "14 min".
fn to_whole_seconds(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs_f64().round() as u64)
}

/// How a session stands: what the tray, the windows and `status` show. Code decides by the
/// variant; the words are made only where a person reads them (`Display`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionState {
    /// Delivered, with `left` before its credentials expire: `fresh · 47 min`.
    Fresh { left: Duration },
    /// Delivered, but its credentials have expired: `expired`.
    Expired,
    /// Long-term keys, which never expire and are not renewed: `long-term keys`.
    LongTermKeys,
    /// A profile RoleKeeper does not keep fresh: `off`.
    Off,
    /// The running engine waits for an MFA code: `needs MFA code`.
    NeedsMfa,
    /// Renewals fail in a way that may pass, and are tried again by themselves:
    /// `retrying: Throttling`.
    Retrying { reason: String },
    /// Renewals fail in a way only the user can fix: `failing: AccessDenied`.
    Failing { reason: String },
}

impl SessionState {
    /// What the running engine knows of a session beyond its files; `None` when it is fine.
    pub fn of_health(health: &Health) -> Option<Self> {
        match health {
            Health::Fine => None,
            Health::Retrying { reason, .. } => Some(SessionState::Retrying {
                reason: reason.clone(),
            }),
            Health::NeedsMfa { .. } => Some(SessionState::NeedsMfa),
            Health::NeedsUser { reason, .. } => Some(SessionState::Failing {
                reason: reason.clone(),
            }),
        }
    }

    /// Which state this is, as one snake_case word for a program (the web view styles by it):
    /// `fresh`, `expired`, `long_term_keys`, `off`, `needs_mfa`, `retrying`, `failing`.
    pub fn condition(&self) -> &'static str {
        match self {
            SessionState::Fresh { .. } => "fresh",
            SessionState::Expired => "expired",
            SessionState::LongTermKeys => "long_term_keys",
            SessionState::Off => "off",
            SessionState::NeedsMfa => "needs_mfa",
            SessionState::Retrying { .. } => "retrying",
            SessionState::Failing { .. } => "failing",
        }
    }
}

impl fmt::Display for SessionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionState::Fresh { left } => write!(f, "fresh · {}", human_duration(*left)),
            SessionState::Expired => f.write_str("expired"),
            SessionState::LongTermKeys => f.write_str("long-term keys"),
            SessionState::Off => f.write_str("off"),
            SessionState::NeedsMfa => f.write_str("needs MFA code"),
            SessionState::Retrying { reason } => write!(f, "retrying: {reason}"),
            SessionState::Failing { reason } => write!(f, "failing: {reason}"),
        }
    }
}

/// Flattened into its [`SessionView`]: `state` in words to show, `condition` to decide by.
impl Serialize for SessionState {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut fields = serializer.serialize_struct("SessionState", 2)?;
        fields.serialize_field("state", &self.to_string())?;
        fields.serialize_field("condition", self.condition())?;
        fields.end()
    }
}

impl SessionStatus {
    /// Fresh with the time left, expired, or long-term keys for a session with no expiry.
    pub fn state(&self) -> SessionState {
        match self.remaining {
            Some(left) if !left.is_zero() => SessionState::Fresh { left },
            Some(_) => SessionState::Expired,
            None => SessionState::LongTermKeys,
        }
    }

    /// The state with the moment it ends, for `status`: `fresh · 47 min (until
    /// 2026-11-25T10:00:00Z)`, `expired at 2026-11-25T10:00:00Z`.
    pub fn state_until(&self) -> String {
        let state = self.state();
        match (&state, &self.expires) {
            (SessionState::Fresh { .. }, Some(at)) => format!("{state} (until {at})"),
            (SessionState::Expired, Some(at)) => format!("{state} at {at}"),
            _ => state.to_string(),
        }
    }
}

/// The length of a role session when neither the profile nor the user chose one: AssumeRole's
/// own default, which the AWS CLI and SDKs also leave to STS.
pub const DEFAULT_ROLE_SECONDS: u64 = 3600;

/// One row of the desktop's session list: a profile RoleKeeper can serve, and its state.
/// Carries no secret, so it may cross into the web view.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SessionView {
    pub name: String,
    pub kind: ProfileKind,
    pub role_arn: Option<String>,
    pub source_profile: Option<String>,
    pub mfa_serial: Option<String>,
    /// An IAM Identity Center profile's account and role.
    pub sso_account_id: Option<String>,
    pub sso_role_name: Option<String>,
    /// Serialized as two fields: `state` in words (`fresh · 47 min`, `expired`, `off`) and
    /// `condition` (`fresh`, `expired`, `off`, ...).
    #[serde(flatten)]
    pub state: SessionState,
    /// RoleKeeper keeps this profile fresh in the credentials file.
    pub active: bool,
    /// For an active session, its MFA plan in words (`MFA session until 21:40 UTC, then a code`,
    /// `code at each renewal`, `no MFA`); filled by callers that can ask the keychain.
    pub plan: Option<String>,
    /// How an active session reaches the AWS tools, or would when activated: `file` or
    /// `process`.
    pub delivery: crate::Delivery,
    /// The session length chosen for it, in seconds; `None` is the profile's own.
    pub duration_seconds: Option<u64>,
    /// What "the profile's own" length is, in seconds: its `duration_seconds`, else the 1 h
    /// STS and the SDKs use. The window names it beside the choice ("Profile's 1 h").
    pub default_duration_seconds: u64,
    /// For an active session renewed other than at the refresh lead, when and why
    /// ([`renewal_in_words`]); filled by callers that know the lead.
    pub renewal: Option<String>,
}

/// Put what the running engine knows (needs a code, failing) over the state the files show.
pub fn apply_health(views: &mut [SessionView], health: &crate::runner::HealthMap) {
    for view in views {
        if let Some(state) = health.get(&view.name).and_then(SessionState::of_health) {
            view.state = state;
        }
    }
}

/// Every profile, active sessions first, each with its state.
pub fn session_views(profiles: &[ProfileSummary], sessions: &[SessionStatus]) -> Vec<SessionView> {
    let mut views: Vec<SessionView> = profiles
        .iter()
        .map(|p| {
            let session = sessions.iter().find(|s| s.name == p.name);
            SessionView {
                name: p.name.clone(),
                kind: p.kind,
                role_arn: p.role_arn.clone(),
                source_profile: p.source_profile.clone(),
                mfa_serial: p.mfa_serial.clone(),
                sso_account_id: p.sso_account_id.clone(),
                sso_role_name: p.sso_role_name.clone(),
                // Plain keys have nothing to renew: never "off", never activated.
                state: match session {
                    Some(s) => s.state(),
                    None if p.kind == ProfileKind::Static => SessionState::LongTermKeys,
                    None => SessionState::Off,
                },
                active: session.is_some(),
                plan: None,
                delivery: session.map_or(crate::Delivery::File, |s| s.delivery),
                duration_seconds: session.and_then(|s| s.duration_seconds),
                default_duration_seconds: p.duration_seconds.unwrap_or(DEFAULT_ROLE_SECONDS),
                renewal: None,
            }
        })
        .collect();
    // An active session whose profile has gone from the files is still shown: it is still in
    // the credentials file, and the user must be able to see and deactivate it.
    for s in sessions {
        if !profiles.iter().any(|p| p.name == s.name) {
            views.push(SessionView {
                name: s.name.clone(),
                kind: ProfileKind::Other,
                role_arn: None,
                source_profile: None,
                mfa_serial: None,
                sso_account_id: None,
                sso_role_name: None,
                state: s.state(),
                active: true,
                plan: None,
                delivery: s.delivery,
                duration_seconds: s.duration_seconds,
                default_duration_seconds: DEFAULT_ROLE_SECONDS,
                renewal: None,
            });
        }
    }
    views.sort_by(|a, b| b.active.cmp(&a.active).then_with(|| a.name.cmp(&b.name)));
    views
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_renewal_is_explained_only_when_the_lead_leaves_no_room() {
        let min = |m: u64| Duration::from_secs(m * 60);
        assert_eq!(renewal_in_words(min(15), Some(min(60))), None);
        assert_eq!(renewal_in_words(min(15), None), None);
        assert_eq!(
            renewal_in_words(min(15), Some(min(15) - Duration::from_millis(20))).as_deref(),
            Some("renews at half its length, 7 min before expiry: the 15 min refresh lead is not shorter than its 15 min session"),
            "measured a moment short of what was asked"
        );
        assert_eq!(
            renewal_in_words(min(15), Some(min(15))).as_deref(),
            Some("renews at half its length, 7 min before expiry: the 15 min refresh lead is not shorter than its 15 min session")
        );
        assert_eq!(
            renewal_in_words(min(125), Some(min(60))).as_deref(),
            Some("renews at half its length, 30 min before expiry: the 2 h 05 min refresh lead is not shorter than its 1 h 00 min session")
        );
    }

    #[test]
    fn durations_read_naturally() {
        for (secs, words) in [
            (0, "0 s"),
            (59, "59 s"),
            (60, "1 min"),
            (3599, "59 min"),
            (3600, "1 h 00 min"),
            (7_500, "2 h 05 min"),
        ] {
            assert_eq!(human_duration(Duration::from_secs(secs)), words, "{secs} s");
        }
    }

    fn status(name: &str, remaining: Option<u64>) -> SessionStatus {
        SessionStatus {
            name: name.to_owned(),
            expires: remaining.map(|_| "2026-11-25T10:00:00Z".to_owned()),
            remaining: remaining.map(Duration::from_secs),
            expires_at: None,
            shadowed_by: None,
            delivery: crate::Delivery::File,
            duration_seconds: None,
            length: None,
        }
    }

    fn profile(name: &str, kind: ProfileKind) -> ProfileSummary {
        ProfileSummary {
            name: name.to_owned(),
            kind,
            role_arn: None,
            source_profile: None,
            mfa_serial: None,
            sso_account_id: None,
            sso_role_name: None,
            adopted: false,
            duration_seconds: None,
        }
    }

    #[test]
    fn the_default_length_is_the_profiles_own_else_one_hour() {
        let own = ProfileSummary {
            duration_seconds: Some(7200),
            ..profile("own", ProfileKind::Role)
        };
        let views = session_views(&[own, profile("plain", ProfileKind::Role)], &[]);
        let default_of = |name: &str| {
            views
                .iter()
                .find(|v| v.name == name)
                .map(|v| v.default_duration_seconds)
        };
        assert_eq!(default_of("own"), Some(7200));
        assert_eq!(default_of("plain"), Some(3600));
    }

    #[test]
    fn health_reads_as_a_short_state() {
        use crate::runner::{Health, HealthMap};
        let mut health = HealthMap::new();
        health.insert(
            "a".to_owned(),
            Health::NeedsMfa {
                serial: "arn:aws:iam::1:mfa/me".to_owned(),
                message: "profile `a` needs an MFA code".to_owned(),
            },
        );
        health.insert(
            "b".to_owned(),
            Health::NeedsUser {
                reason: "AccessDenied".to_owned(),
                message:
                    "profile `b`: STS AssumeRole arn:aws:iam::1:role/B failed: AccessDenied: \
                          User: arn:aws:iam::1:user/dev is not authorized to perform: \
                          sts:AssumeRole on resource: arn:aws:iam::1:role/B; check the trust policy"
                        .to_owned(),
            },
        );
        let mut views = session_views(
            &[
                profile("a", ProfileKind::Role),
                profile("b", ProfileKind::Role),
                profile("c", ProfileKind::Role),
            ],
            &[
                status("a", Some(60)),
                status("b", Some(60)),
                status("c", Some(60)),
            ],
        );
        apply_health(&mut views, &health);
        let states: Vec<String> = views.iter().map(|v| v.state.to_string()).collect();
        assert_eq!(
            states,
            ["needs MFA code", "failing: AccessDenied", "fresh · 1 min"]
        );
        assert_eq!(views[0].state, SessionState::NeedsMfa);
    }

    #[test]
    fn session_states_in_words() {
        for (remaining, state, words, until) in [
            (
                Some(2_820),
                SessionState::Fresh {
                    left: Duration::from_secs(2_820),
                },
                "fresh · 47 min",
                "fresh · 47 min (until 2026-11-25T10:00:00Z)",
            ),
            (
                Some(0),
                SessionState::Expired,
                "expired",
                "expired at 2026-11-25T10:00:00Z",
            ),
            (
                None,
                SessionState::LongTermKeys,
                "long-term keys",
                "long-term keys",
            ),
        ] {
            let status = status("a", remaining);
            assert_eq!(status.state(), state);
            assert_eq!(status.state().to_string(), words);
            assert_eq!(status.state_until(), until);
        }
    }

    #[test]
    fn every_state_has_its_words_and_condition() {
        let reason = || "Throttling".to_owned();
        let cases = [
            (SessionState::Off, "off", "off"),
            (SessionState::NeedsMfa, "needs MFA code", "needs_mfa"),
            (
                SessionState::Retrying { reason: reason() },
                "retrying: Throttling",
                "retrying",
            ),
            (
                SessionState::Failing { reason: reason() },
                "failing: Throttling",
                "failing",
            ),
            (
                SessionState::LongTermKeys,
                "long-term keys",
                "long_term_keys",
            ),
        ];
        for (state, words, condition) in cases {
            assert_eq!(state.to_string(), words);
            assert_eq!(state.condition(), condition);
        }
    }

    #[test]
    fn the_web_view_gets_the_state_in_words_and_as_a_condition() {
        let views = session_views(
            &[profile("prod", ProfileKind::Role)],
            &[status("prod", Some(2_820))],
        );
        let json = serde_json::to_value(&views[0]).expect("json");
        assert_eq!(json["kind"], "role");
        assert_eq!(json["state"], "fresh · 47 min");
        assert_eq!(json["condition"], "fresh");
        assert_eq!(json["active"], true);
    }

    #[test]
    fn views_put_active_sessions_first_and_keep_orphans() {
        let profiles = [
            profile("b", ProfileKind::Role),
            profile("a", ProfileKind::Static),
            profile("c", ProfileKind::Role),
        ];
        let sessions = [status("c", Some(600)), status("gone", Some(60))];
        let views = session_views(&profiles, &sessions);
        let rows: Vec<(&str, String, bool)> = views
            .iter()
            .map(|v| (v.name.as_str(), v.state.to_string(), v.active))
            .collect();
        assert_eq!(
            rows,
            [
                ("c", "fresh · 10 min".to_owned(), true),
                ("gone", "fresh · 1 min".to_owned(), true),
                ("a", "long-term keys".to_owned(), false),
                ("b", "off".to_owned(), false),
            ]
        );
    }
}
