//! What a caller asks for when it wants credentials, and who can be asked for an MFA code: the
//! vocabulary shared by the engine, the obtain path, the MFA code sources and the tray's socket,
//! kept apart from the façade so none of them imports it.

use std::time::Duration;

use crate::secret::Secret;

/// Where an MFA code comes from when a role needs one.
pub trait MfaPrompt: Send + Sync {
    /// Ask for the code for `serial` on behalf of `profile`; `None` if nobody can be asked.
    fn code(&self, profile: &str, serial: &str) -> Option<Secret>;

    /// How to sign in to IAM Identity Center when a profile's session needs it; `None` (the
    /// default): nobody can, and the error says how to sign in.
    fn sign_in(&self) -> Option<crate::sso::SignIn<'_>> {
        None
    }
}

/// Nobody to ask: a role that needs a code fails with a clear error.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoMfaPrompt;

impl MfaPrompt for NoMfaPrompt {
    fn code(&self, _profile: &str, _serial: &str) -> Option<Secret> {
        None
    }
}

/// A code the user already gave (`login --mfa-code`, the desktop's dialog): used for this one
/// request, never kept.
#[derive(Debug)]
pub struct GivenCode(pub Secret);

impl MfaPrompt for GivenCode {
    fn code(&self, _profile: &str, _serial: &str) -> Option<Secret> {
        Some(self.0.clone())
    }
}

/// Options of one request for credentials.
#[derive(Debug, Clone, Default)]
pub struct CredentialRequest {
    /// Overrides the final role's `duration_seconds`.
    pub duration: Option<Duration>,
    /// Serve a keychain source's own long-term keys rather than a session token of them.
    pub long_term_keys: bool,
    /// Ask STS for a new role session even if the keychain holds a good one (`login`, "Refresh
    /// now"): the user asked for a renewal. An MFA session is still used.
    pub renew: bool,
}

impl CredentialRequest {
    /// This request with the length chosen for the session when it was activated, unless the
    /// request names one itself.
    pub(crate) fn or_chosen(&self, chosen: Option<Duration>) -> CredentialRequest {
        CredentialRequest {
            duration: self.duration.or(chosen),
            ..self.clone()
        }
    }
}
