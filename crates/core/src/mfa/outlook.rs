//! What `status` says about a session's MFA: which plan it uses and when the next code is needed.

use std::time::SystemTime;

use serde::Serialize;

use super::plan::{NextCode, SessionMfa};

/// A session's MFA, for people: never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MfaOutlook {
    #[serde(flatten)]
    pub plan: SessionMfa,
    /// When the cached MFA session ends (plan `mfa_session`).
    pub mfa_session_ends: Option<SystemTime>,
    #[serde(skip)]
    pub next_code: NextCode,
    /// `MFA session until 21:40 UTC, then a code`, `code at each renewal (next at …)`, `no MFA`.
    pub words: String,
}
