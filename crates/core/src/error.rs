//! The engine's errors. Each message names the profile, the file and line, or the STS error in
//! words, and says what to do; none contains a secret (values are never interpolated, only names,
//! paths and non-secret settings).
//!
//! Messages are whole sentences that already include their cause, so a caller prints `{}` once and
//! never walks a source chain (which would repeat the cause).

use std::path::PathBuf;

use crate::credfile::Conflict;
use crate::keychain::{IndexError, KeychainError, SourceError};
use crate::profile::{Origin, ParseError};
use crate::state::StateError;
use crate::sts::StsError;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("RoleKeeper's refresh engine has stopped, so nothing can be changed from here; restart RoleKeeper (the tray app or `rolekeeper daemon`)")]
    EngineStopped,

    #[error("cannot tell where your home directory is: HOME is not set to an absolute path and the password database has no home directory for this user; set HOME (or {missing})")]
    NoHome { missing: String },

    #[error("cannot read {path}: {cause}; check that the file exists and is readable")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },

    #[error("{0}; neither RoleKeeper nor the AWS CLI and SDKs can read this file, fix that line")]
    Parse(ParseError),

    #[error("profile `{profile}` not found in {files}; check the name, or run `rolekeeper status` to list profiles")]
    ProfileNotFound { profile: String, files: String },

    #[error("profile `{profile}` ({origin}) names source_profile `{source_profile}`, which is not defined in {files}; add that profile or fix the name")]
    MissingSourceProfile {
        profile: String,
        origin: Origin,
        source_profile: String,
        files: String,
    },

    #[error("profile `{profile}`: source_profile chain loops ({chain}); make one profile in the chain use static keys or credential_source")]
    SourceProfileLoop { profile: String, chain: String },

    #[error("profile `{profile}` ({origin}) has no credentials: neither aws_access_key_id/aws_secret_access_key, nor role_arn with source_profile or credential_source, nor an IAM Identity Center role (sso_account_id and sso_role_name); add keys or a role")]
    NoCredentials { profile: String, origin: String },

    #[error("profile `{profile}` ({origin}) has {present} but not {missing}; add {missing}")]
    PartialKeys {
        profile: String,
        origin: Origin,
        present: &'static str,
        missing: &'static str,
    },

    #[error("profile `{profile}` ({origin}) sets both source_profile and credential_source; keep only one")]
    AmbiguousSource { profile: String, origin: Origin },

    #[error("profile `{profile}` ({origin}) has role_arn but neither source_profile nor credential_source; add source_profile = <profile with keys>")]
    RoleWithoutSource { profile: String, origin: Origin },

    #[error("profile `{profile}` ({origin}) gets its credentials from {what}, which RoleKeeper cannot obtain yet; use source_profile with keys, or credential_source = Environment")]
    UnsupportedBase {
        profile: String,
        origin: String,
        what: String,
    },

    #[error("profile `{profile}` ({origin}): credential_source = Environment, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set")]
    EnvironmentCredentialsMissing { profile: String, origin: Origin },

    #[error("profile `{profile}` ({origin}): {key} = {value:?} is not valid: {why}")]
    InvalidSetting {
        profile: String,
        origin: Origin,
        key: &'static str,
        value: String,
        why: String,
    },

    #[error("--duration {seconds}s is not valid: {why}")]
    InvalidDuration { seconds: u64, why: String },

    #[error("profile `{profile}` cannot be delivered through credential_process: {why}")]
    DeliveryRefused { profile: String, why: String },

    #[error("profile `{profile}` needs an MFA code for {serial}, and there is no terminal to ask on and no RoleKeeper tray app to ask in its dialog; run `rolekeeper login {profile}` in a terminal (or pass --mfa-code), start rolekeeper-desktop, or set mfa_process in the profile to a command that prints the code")]
    MfaCodeUnavailable { profile: String, serial: String },

    #[error("profile `{profile}`: MFA code must be six digits; got {length} characters")]
    MfaCodeMalformed { profile: String, length: usize },

    #[error("profile `{profile}`: mfa_process `{command}` {why}; run the command by hand: it must print the current six-digit code and nothing else")]
    MfaProcess {
        profile: String,
        command: String,
        why: String,
    },

    /// A code was sent and STS refused it (`MultiFactorAuthentication failed`).
    #[error("profile `{profile}`: {cause}")]
    MfaCodeRejected {
        profile: String,
        serial: String,
        // Boxed: STS's answer is large, and every `Result` of the engine carries this enum.
        cause: Box<StsError>,
    },

    #[error("profile `{profile}`: STS already rejected this code for {serial}, so it is not sent again; wait for your device to show the next code and try again")]
    MfaCodeReused { profile: String, serial: String },

    #[error("cannot import profile `{profile}` from {path}: {why}; the files were not changed")]
    ImportRefused {
        profile: String,
        path: PathBuf,
        why: String,
    },

    #[error("profile `{profile}`: {cause}")]
    Sts { profile: String, cause: StsError },

    #[error("{}", conflict_message(path, conflict))]
    Conflict { path: PathBuf, conflict: Conflict },

    #[error("cannot write {path}: {cause}; check the file's permissions and the free disk space")]
    Write {
        path: PathBuf,
        cause: std::io::Error,
    },

    #[error(transparent)]
    State(#[from] StateError),

    #[error("keychain source `{name}`: {cause}")]
    Keychain { name: String, cause: KeychainError },

    #[error("no keychain source `{name}`; `rolekeeper source list` shows the sources, `rolekeeper source add {name}` adds one")]
    UnknownSource { name: String },

    #[error("keychain source `{name}` is listed, but its keys are not in the keychain (was the keyring reset?); add them again with `rolekeeper source add {name}`")]
    SourceKeysMissing { name: String },

    #[error(transparent)]
    Source(#[from] SourceError),

    #[error(transparent)]
    SourceIndex(#[from] IndexError),

    #[error(
        "profile `{profile}` ({origin}) is configured for IAM Identity Center (SSO) but {why}"
    )]
    SsoSettings {
        profile: String,
        origin: Origin,
        why: String,
    },

    #[error("no [sso-session {name}] section in {}; `rolekeeper sso list` shows the sign-ins the files name", path.display())]
    SsoSessionNotFound { name: String, path: PathBuf },

    #[error("[sso-session {name}] ({origin}) lacks {missing}; add {missing} to that section")]
    SsoSessionIncomplete {
        name: String,
        origin: Origin,
        missing: String,
    },

    #[error("IAM Identity Center sign-in `{session}` is needed: {why}; run `rolekeeper sso login {session}` (or use Sign in from the RoleKeeper tray)")]
    SsoSignInNeeded { session: String, why: String },

    #[error("IAM Identity Center sign-in `{session}`: {cause}")]
    Sso {
        session: String,
        cause: crate::sso::SsoError,
    },

    #[error("IAM Identity Center sign-in `{session}` did not finish: {why}")]
    SsoSignInFailed { session: String, why: String },

    #[error("cannot sync profiles from `{session}`: {why}")]
    SsoSyncRefused { session: String, why: String },

    #[error("cannot open the AWS console for profile `{profile}`: {why}; open it from a profile that assumes a role, an IAM Identity Center profile, or one with an IAM user's long-term keys (or a keychain source)")]
    ConsoleRefused { profile: String, why: String },

    #[error("cannot open the AWS console for profile `{profile}`: {cause}")]
    Federation {
        profile: String,
        cause: crate::console::FederationError,
    },

    #[error("cannot open a browser for the AWS console of profile `{profile}`: {why}; set BROWSER (or rolekeeper_console_browser in the profile) to a browser command, or run `rolekeeper console {profile} --print` and open the URL yourself")]
    NoBrowser { profile: String, why: String },

    #[error("cannot open {} in an editor: {why}; install xdg-utils (xdg-open) or open the file yourself", path.display())]
    NoEditor { path: PathBuf, why: String },

    #[error("keychain source `{name}`: {cause}")]
    Iam {
        name: String,
        cause: crate::iam::IamError,
    },

    #[error("keychain source `{name}` holds keys of {arn}, not of an IAM user; only an IAM user's access keys can be listed and rotated")]
    NotAnIamUser { name: String, arn: String },

    #[error("keychain source `{name}`: {why}")]
    KeyRefused { name: String, why: String },

    /// `CreateAccessKey` said `LimitExceeded`: the user has two keys. RoleKeeper deletes the
    /// other one only when told to.
    #[error("{0}")]
    TwoKeys(Box<crate::keys::TwoKeys>),

    /// A rotation stopped on the way; the message says where and what the keychain holds.
    #[error("{0}")]
    RotationStopped(Box<crate::keys::rotate::Stopped<String>>),

    #[error(transparent)]
    KeyCache(#[from] crate::keys::KeyCacheError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A few words for a menu line (`failing: AccessDenied`): STS's own error code when STS
    /// answered, else what kind of thing went wrong. The full message is for windows and logs.
    pub fn reason(&self) -> String {
        use crate::sts::StsErrorKind;
        match self {
            Error::Sts { cause, .. } => cause.code.clone().unwrap_or_else(|| {
                match cause.kind {
                    StsErrorKind::Unreachable => "STS unreachable",
                    StsErrorKind::Timeout => "STS timed out",
                    _ => "STS error",
                }
                .to_owned()
            }),
            Error::MfaCodeUnavailable { .. }
            | Error::MfaCodeRejected { .. }
            | Error::MfaCodeMalformed { .. }
            | Error::MfaCodeReused { .. }
            | Error::MfaProcess { .. } => "MFA code".to_owned(),
            Error::Conflict { .. } => "conflict in the credentials file".to_owned(),
            Error::SsoSignInNeeded { .. } | Error::SsoSignInFailed { .. } => {
                "SSO sign-in needed".to_owned()
            }
            Error::Sso { cause, .. } => cause
                .code
                .clone()
                .unwrap_or_else(|| "IAM Identity Center".to_owned()),
            Error::Io { .. } | Error::Write { .. } | Error::State(_) => "file error".to_owned(),
            Error::Federation { .. } => "AWS sign-in".to_owned(),
            Error::NoBrowser { .. } => "no browser".to_owned(),
            Error::NoEditor { .. } => "no editor".to_owned(),
            Error::Iam { .. }
            | Error::NotAnIamUser { .. }
            | Error::KeyRefused { .. }
            | Error::TwoKeys(_)
            | Error::RotationStopped(_)
            | Error::KeyCache(_) => "access keys".to_owned(),
            Error::Keychain { .. }
            | Error::UnknownSource { .. }
            | Error::SourceKeysMissing { .. }
            | Error::Source(_)
            | Error::SourceIndex(_) => "keychain".to_owned(),
            _ => "profile settings".to_owned(),
        }
    }
}

fn conflict_message(path: &std::path::Path, conflict: &Conflict) -> String {
    let path = path.display();
    match conflict {
        Conflict::Foreign { name, line } => format!(
            "profile `{name}` in {path}, line {line} was not written by RoleKeeper, so RoleKeeper \
             leaves it alone; choose another session name, remove that section, or pass --force \
             to let RoleKeeper take it over (the file is backed up first)"
        ),
        Conflict::Edited { name, line } => format!(
            "RoleKeeper's section `{name}` in {path}, line {line} was changed by someone else \
             since RoleKeeper wrote it, so RoleKeeper leaves it alone; undo the change, or pass \
             --force to replace it (the file is backed up first)"
        ),
        Conflict::Duplicate { name, lines } => {
            format!(
            "profile `{name}` appears more than once in {path} (lines {}); the AWS CLI rejects \
             such a file: merge them into one",
            lines.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sts::{StsError, StsErrorKind};

    fn sts(kind: StsErrorKind, code: Option<&str>) -> Error {
        Error::Sts {
            profile: "p".to_owned(),
            cause: StsError {
                kind,
                code: code.map(str::to_owned),
                detail: "User: arn:aws:iam::1:user/dev is not authorized: arn:aws:iam::1:role/R"
                    .to_owned(),
                action: "AssumeRole arn:aws:iam::1:role/R".to_owned(),
            },
        }
    }

    #[test]
    fn reasons_are_a_few_words_for_a_menu() {
        let cases = [
            (
                sts(StsErrorKind::AccessDenied, Some("AccessDenied")),
                "AccessDenied",
            ),
            (
                sts(StsErrorKind::Throttled, Some("Throttling")),
                "Throttling",
            ),
            (sts(StsErrorKind::Unreachable, None), "STS unreachable"),
            (sts(StsErrorKind::Timeout, None), "STS timed out"),
            (
                Error::MfaCodeUnavailable {
                    profile: "p".to_owned(),
                    serial: "s".to_owned(),
                },
                "MFA code",
            ),
            (
                Error::UnknownSource {
                    name: "n".to_owned(),
                },
                "keychain",
            ),
        ];
        for (error, reason) in cases {
            assert_eq!(error.reason(), reason, "{error}");
        }
    }
}
