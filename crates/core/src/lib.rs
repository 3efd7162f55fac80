//! RoleKeeper's engine: reads AWS profile files the way the AWS tools do, resolves role chains,
//! obtains credentials from STS, and renders them for delivery. No GUI dependency.
//!
//! Start at [`Engine`]: it is the façade the command line and the desktop shell share.

pub mod clock;
pub mod console;
pub mod credentials;
pub mod credfile;
pub mod delivery;
pub mod doctor;
pub mod engine;
pub mod env;
pub mod error;
pub mod files;
pub mod first_run;
pub mod iam;
pub mod import;
pub mod json_store;
pub mod keychain;
pub mod keys;
pub mod mfa;
pub mod obtain;
pub mod profile;
pub mod request;
pub mod resolve;
pub mod runner;
pub mod schedule;
pub mod secret;
#[cfg(unix)]
pub mod session_socket;
pub mod settings;
pub mod sleep;
pub mod snapshot;
pub mod sso;
pub mod state;
pub mod sts;
#[cfg(unix)]
pub mod tray_ipc;
pub mod watch;
pub mod words;

pub use credentials::{Credentials, ExportFormat};
pub use engine::{
    ActivateOptions, Activation, CredentialRequest, Engine, GivenCode, MfaPrompt, NoMfaPrompt,
    ProfileSummary, SessionStatus,
};
pub use error::{Error, Result};
pub use keychain::{SecretStore, Source, SourceInfo};
pub use mfa::code::is_mfa_code;
pub use profile::ProfileKind;
pub use runner::{Command, EngineClient, EngineHandle, Event, Health, HealthMap, Overview};
pub use schedule::Policy;
pub use secret::Secret;
pub use settings::{Settings, SettingsStore, Theme};
pub use state::Delivery;
pub use words::{
    apply_health, human_duration, renewal_in_words, session_views, SessionState, SessionView,
};
