//! Errors as the web view sees them: `{code, message}`. The page decides what to do by `code`, one
//! of the few [`IpcCode`]s (mirrored in `ui/src/ipc.ts`), never by `message`, which is for
//! people. Neither ever carries a secret: the engine's messages name files, lines and profiles.

use rolekeeper_core::keychain::SourceError;
use rolekeeper_core::Error;
use serde::Serialize;

/// What went wrong, as far as the page needs to tell. Serialized as the variant's name
/// (`"RejectedCode"`). Add one only when a page branches on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum IpcCode {
    /// Anything the codes below do not single out: STS, the files, the state file.
    Engine,
    /// The MFA code is not six digits: the dialog keeps it for the user to fix.
    InvalidCode,
    /// STS refused the MFA code (now or before): the dialog clears it for the next one.
    RejectedCode,
    /// The dialog sent a code, but no session waits for one: the dialog gives up.
    NoRequest,
    /// A code is needed and none could be had (`mfa_process` failed, nobody to ask).
    NeedsMfa,
    /// The credentials file holds a section RoleKeeper must not touch without `--force`.
    Conflict,
    /// What the window sent, or the profile it names, is not valid: a length, a delivery, a
    /// source's fields, a profile's settings, a profile or a sign-in that is not there.
    InvalidInput,
    /// The keychain failed, or holds no such source.
    Keychain,
    /// The settings could not be read or saved.
    Settings,
}

impl IpcCode {
    /// Every code, for the test that keeps the page's list in step.
    #[cfg(test)]
    const ALL: [IpcCode; 9] = [
        IpcCode::Engine,
        IpcCode::InvalidCode,
        IpcCode::RejectedCode,
        IpcCode::NoRequest,
        IpcCode::NeedsMfa,
        IpcCode::Conflict,
        IpcCode::InvalidInput,
        IpcCode::Keychain,
        IpcCode::Settings,
    ];

    /// The code of an engine error, by what the user can do about it.
    pub fn of(e: &Error) -> Self {
        match e {
            Error::MfaCodeMalformed { .. } => IpcCode::InvalidCode,
            Error::MfaCodeRejected { .. } | Error::MfaCodeReused { .. } => IpcCode::RejectedCode,
            Error::MfaCodeUnavailable { .. } | Error::MfaProcess { .. } => IpcCode::NeedsMfa,
            Error::Conflict { .. } => IpcCode::Conflict,
            Error::Keychain { .. }
            | Error::UnknownSource { .. }
            | Error::SourceKeysMissing { .. }
            | Error::SourceIndex(_)
            | Error::Source(SourceError::Unreadable { .. }) => IpcCode::Keychain,
            Error::Source(_)
            | Error::InvalidDuration { .. }
            | Error::InvalidSetting { .. }
            | Error::DeliveryRefused { .. }
            | Error::ImportRefused { .. }
            | Error::ProfileNotFound { .. }
            | Error::MissingSourceProfile { .. }
            | Error::SourceProfileLoop { .. }
            | Error::NoCredentials { .. }
            | Error::PartialKeys { .. }
            | Error::AmbiguousSource { .. }
            | Error::RoleWithoutSource { .. }
            | Error::UnsupportedBase { .. }
            | Error::ConsoleRefused { .. }
            | Error::NoBrowser { .. }
            | Error::NoEditor { .. }
            | Error::SsoSettings { .. }
            | Error::SsoSessionNotFound { .. }
            | Error::SsoSessionIncomplete { .. } => IpcCode::InvalidInput,
            // STS, reading and writing files, the environment; and variants yet to come.
            _ => IpcCode::Engine,
        }
    }
}

/// An error as the web view sees it.
#[derive(Debug, Serialize)]
pub struct IpcError {
    code: IpcCode,
    message: String,
}

impl IpcError {
    pub fn new(code: IpcCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<Error> for IpcError {
    fn from(e: Error) -> Self {
        Self::new(IpcCode::of(&e), e.to_string())
    }
}

pub type IpcResult<T> = Result<T, IpcError>;

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use rolekeeper_core::credfile::Conflict;
    use rolekeeper_core::keychain::KeychainError;
    use rolekeeper_core::sts::{StsError, StsErrorKind};

    use super::*;

    fn profile() -> String {
        "prod".to_owned()
    }

    #[test]
    fn engine_errors_get_the_code_the_page_acts_on() {
        let sts = StsError {
            kind: StsErrorKind::AccessDenied,
            code: Some("AccessDenied".to_owned()),
            detail: "not authorized".to_owned(),
            action: "AssumeRole arn:aws:iam::1:role/R".to_owned(),
        };
        let cases = [
            (
                Error::MfaCodeMalformed {
                    profile: profile(),
                    length: 4,
                },
                IpcCode::InvalidCode,
            ),
            (
                Error::MfaCodeRejected {
                    profile: profile(),
                    serial: "s".to_owned(),
                    cause: Box::new(sts.clone()),
                },
                IpcCode::RejectedCode,
            ),
            (
                Error::MfaCodeReused {
                    profile: profile(),
                    serial: "s".to_owned(),
                },
                IpcCode::RejectedCode,
            ),
            (
                Error::MfaCodeUnavailable {
                    profile: profile(),
                    serial: "s".to_owned(),
                },
                IpcCode::NeedsMfa,
            ),
            (
                Error::Conflict {
                    path: PathBuf::from("/h/.aws/credentials"),
                    conflict: Conflict::Foreign {
                        name: profile(),
                        line: 3,
                    },
                },
                IpcCode::Conflict,
            ),
            (
                Error::Keychain {
                    name: profile(),
                    cause: KeychainError::Locked,
                },
                IpcCode::Keychain,
            ),
            (
                Error::Source(SourceError::InvalidAccessKeyId {
                    why: "it must start with AKIA or ASIA".to_owned(),
                }),
                IpcCode::InvalidInput,
            ),
            (
                Error::Source(SourceError::Unreadable {
                    name: profile(),
                    why: "not JSON".to_owned(),
                }),
                IpcCode::Keychain,
            ),
            (
                Error::InvalidDuration {
                    seconds: 60,
                    why: "STS allows 15 min to 12 h".to_owned(),
                },
                IpcCode::InvalidInput,
            ),
            (
                Error::ProfileNotFound {
                    profile: profile(),
                    files: "~/.aws/config".to_owned(),
                },
                IpcCode::InvalidInput,
            ),
            (
                Error::SsoSessionNotFound {
                    name: "corp".to_owned(),
                    path: PathBuf::from("/h/.aws/config"),
                },
                IpcCode::InvalidInput,
            ),
            (
                Error::SsoSignInFailed {
                    session: "corp".to_owned(),
                    why: "the browser never came back".to_owned(),
                },
                IpcCode::Engine,
            ),
            (
                Error::Sts {
                    profile: profile(),
                    cause: sts,
                },
                IpcCode::Engine,
            ),
        ];
        for (error, code) in cases {
            let message = error.to_string();
            let json = serde_json::to_value(IpcError::from(error)).expect("json");
            assert_eq!(json["code"], serde_json::to_value(code).expect("code"));
            assert_eq!(json["message"], message.as_str(), "the engine's words");
        }
    }

    #[test]
    fn codes_cross_as_their_names_and_the_page_knows_every_one() {
        assert_eq!(
            serde_json::to_string(&IpcError::new(IpcCode::NoRequest, "nothing waits"))
                .expect("json"),
            r#"{"code":"NoRequest","message":"nothing waits"}"#
        );
        // The page lists the codes it may receive: the same ones, and no other.
        let page = include_str!("../../../ui/src/ipc.ts");
        let start = page
            .find("IPC_CODES = [")
            .expect("IPC_CODES in ui/src/ipc.ts");
        let list = &page[start..];
        let list = &list[list.find('[').unwrap_or(0) + 1..list.find(']').unwrap_or(0)];
        let listed: Vec<&str> = list
            .split(',')
            .map(|word| word.trim().trim_matches('"'))
            .filter(|word| !word.is_empty())
            .collect();
        let ours: Vec<String> = IpcCode::ALL
            .iter()
            .map(|code| {
                let json = serde_json::to_string(code).expect("json");
                json.trim_matches('"').to_owned()
            })
            .collect();
        assert_eq!(listed, ours);
    }
}
