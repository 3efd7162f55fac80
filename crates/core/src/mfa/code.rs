//! Where an MFA code comes from, in order: the caller's [`MfaPrompt`] (the desktop dialog, the
//! terminal), then `mfa_process` in the profile, else a clear error. And the memory of rejected
//! codes: a code STS refused is never sent again (a TOTP code stays the same for 30 s, and
//! `mfa_process` would print it again).

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::process;
use crate::error::{Error, Result};
use crate::request::MfaPrompt;
use crate::secret::Secret;

/// Whether `code` is what an MFA device shows: six ASCII digits, nothing around them. The one
/// check of a code's shape, wherever a code comes in (a terminal, `--mfa-code`, the dialog,
/// `mfa_process`); callers trim first where blanks may surround it. The dialog's page checks
/// the same in the browser (`ui/src/code.ts`).
pub fn is_mfa_code(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

/// The last code STS rejected, per MFA device. Per process and in memory only: it holds a
/// (spent) secret, and is only useful for the next half minute.
static REJECTED: Mutex<BTreeMap<String, Secret>> = Mutex::new(BTreeMap::new());

fn rejected() -> std::sync::MutexGuard<'static, BTreeMap<String, Secret>> {
    // A panic elsewhere while holding the lock leaves a map that is still valid.
    REJECTED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// STS refused `code` for `serial`.
pub fn remember_rejected(serial: &str, code: &Secret) {
    rejected().insert(serial.to_owned(), code.clone());
}

/// STS accepted a code for `serial`: whatever was refused before no longer matters.
pub fn forget_rejected(serial: &str) {
    rejected().remove(serial);
}

fn was_rejected(serial: &str, code: &Secret) -> bool {
    rejected().get(serial) == Some(code)
}

/// A code for `serial` on behalf of `profile`. `mfa_process`: the profile's command, if any.
pub async fn code_for(
    profile: &str,
    serial: &str,
    prompt: &dyn MfaPrompt,
    mfa_process: Option<&str>,
) -> Result<Secret> {
    let code = match prompt.code(profile, serial) {
        Some(typed) => {
            let digits = typed.expose().trim();
            if !is_mfa_code(digits) {
                return Err(Error::MfaCodeMalformed {
                    profile: profile.to_owned(),
                    length: digits.chars().count(),
                });
            }
            Secret::new(digits)
        }
        None => match mfa_process {
            Some(command) => process::run(command, process::MFA_PROCESS_TIMEOUT)
                .await
                .map_err(|why| Error::MfaProcess {
                    profile: profile.to_owned(),
                    command: command.to_owned(),
                    why,
                })?,
            None => {
                return Err(Error::MfaCodeUnavailable {
                    profile: profile.to_owned(),
                    serial: serial.to_owned(),
                })
            }
        },
    };
    if was_rejected(serial, &code) {
        return Err(Error::MfaCodeReused {
            profile: profile.to_owned(),
            serial: serial.to_owned(),
        });
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::NoMfaPrompt;

    struct Typed(&'static str);
    impl MfaPrompt for Typed {
        fn code(&self, _: &str, _: &str) -> Option<Secret> {
            Some(Secret::new(self.0))
        }
    }

    #[test]
    fn a_code_is_six_ascii_digits() {
        for good in ["123456", "000000"] {
            assert!(is_mfa_code(good), "{good}");
        }
        for bad in [
            "",
            "12345",
            "1234567",
            "12345a",
            " 123456",
            "123 456",
            "１２３４５６",
        ] {
            assert!(!is_mfa_code(bad), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn the_prompt_first_then_mfa_process_then_an_error() {
        let serial = "arn:aws:iam::123456789012:mfa/code-order";
        let got = code_for("p", serial, &Typed(" 111111\n"), Some("printf 222222")).await;
        assert_eq!(got.expect("typed").expose(), "111111");
        let got = code_for("p", serial, &NoMfaPrompt, Some("printf 222222")).await;
        assert_eq!(got.expect("process").expose(), "222222");
        let e = code_for("p", serial, &NoMfaPrompt, None)
            .await
            .expect_err("none");
        assert!(matches!(e, Error::MfaCodeUnavailable { .. }), "{e}");
        let e = code_for("p", serial, &Typed("12"), None)
            .await
            .expect_err("short");
        assert!(
            matches!(e, Error::MfaCodeMalformed { length: 2, .. }),
            "{e}"
        );
        let e = code_for("prod", serial, &NoMfaPrompt, Some("false"))
            .await
            .expect_err("fails");
        assert_eq!(
            e.to_string(),
            "profile `prod`: mfa_process `false` exited with exit status: 1; run the command by \
             hand: it must print the current six-digit code and nothing else"
        );
    }

    #[tokio::test]
    async fn a_rejected_code_is_never_sent_again() {
        let serial = "arn:aws:iam::123456789012:mfa/rejected";
        remember_rejected(serial, &Secret::new("333333"));
        for prompt in [&Typed("333333") as &dyn MfaPrompt, &NoMfaPrompt] {
            let e = code_for("p", serial, prompt, Some("printf 333333"))
                .await
                .expect_err("reused");
            assert!(matches!(e, Error::MfaCodeReused { .. }), "{e}");
            assert!(!e.to_string().contains("333333"), "{e}");
        }
        let got = code_for("p", serial, &Typed("444444"), None).await;
        assert_eq!(got.expect("a new code").expose(), "444444");
        forget_rejected(serial);
        let got = code_for("p", serial, &Typed("333333"), None).await;
        assert!(got.is_ok(), "accepted once another code worked");
    }
}
