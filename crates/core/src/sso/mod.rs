//! IAM Identity Center (SSO) as a source of role sessions: the config as botocore reads it
//! ([`config`]), the token and registration files every AWS tool shares ([`cache`]), the calls
//! ([`service`]), keeping a sign-in fresh ([`keeper`]) and signing in ([`login`]).
//!
//! One sign-in serves every profile of its session and every AWS tool: the access token is
//! written where botocore and the AWS CLI read it, and refreshed 15 minutes before it expires
//! while the portal session lasts.

pub mod cache;
pub mod config;
pub mod keeper;
pub mod login;
pub mod service;
pub mod sync;

pub use config::{sso_role_of, sso_session_named, sso_sessions, SsoRole, SsoSession};
pub use keeper::{SsoDeps, TokenState, REFRESH_WINDOW};
pub use login::{Flow, LogOnly, SignIn, SignInUi, Step, SIGN_IN_TIMEOUT};
pub use service::{SsoError, SsoErrorKind};
