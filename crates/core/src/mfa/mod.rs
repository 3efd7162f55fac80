//! MFA: the plan of DESIGN.md (an MFA session per source and device for roles of at most 1 h, a
//! code at each renewal for longer ones), where codes come from, and the keychain cache of MFA
//! and role sessions that lets sessions survive restarts. Obtaining credentials through all of
//! these is [`crate::obtain`]'s job, which sits above this module.
//!
//! - [`plan`]: the decisions, pure.
//! - [`code`]: prompt, then `mfa_process`, then an error; rejected codes are never resent.
//! - [`process`]: running `mfa_process`.
//! - [`cache`]: `mfa:SOURCE:SERIAL` and `session:NAME` blobs in the keychain.
//! - [`outlook`]: what `status` says about a session's MFA.

pub mod cache;
pub mod code;
pub mod outlook;
pub mod plan;
pub mod process;

pub use outlook::MfaOutlook;
pub use plan::{NextCode, SessionMfa};
