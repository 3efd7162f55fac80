//! Where a command finds an MFA code when a role needs one, beyond asking on the terminal
//! (`tty.rs`).

use rolekeeper_core::env::ProcessEnv;
use rolekeeper_core::sso::login::browser_available;
use rolekeeper_core::sso::{Flow, SignIn, SIGN_IN_TIMEOUT};
use rolekeeper_core::tray_ipc::TrayPrompt;
use rolekeeper_core::{is_mfa_code, MfaPrompt, Secret};

use crate::tty::TtyPrompt;

/// The sources tried in order for a command a person started (`activate`, `login`): the
/// terminal first; with none (a launcher, a script, cron), the running tray app's dialog, as
/// for `credential-process`; the engine tries the profile's `mfa_process` after both.
#[derive(Debug, Default)]
pub struct Interactive;

impl MfaPrompt for Interactive {
    fn code(&self, profile: &str, serial: &str) -> Option<Secret> {
        TtyPrompt
            .code(profile, serial)
            .or_else(|| TrayPrompt::from_env(&ProcessEnv).code(profile, serial))
    }

    fn sign_in(&self) -> Option<SignIn<'_>> {
        browser_sign_in()
    }
}

/// An IAM Identity Center sign-in in the browser, its URL on stderr: for a command a person
/// started, or a program's credential process when a browser can be opened here (the steps on
/// stderr, which the AWS tools pass on). Without a browser, nobody could finish it: the error
/// says to run `rolekeeper sso login`, which can use a device code.
pub fn browser_sign_in() -> Option<SignIn<'static>> {
    browser_available(&ProcessEnv).then_some(SignIn {
        flow: Flow::Browser,
        open_browser: true,
        ui: &crate::sso::Terminal,
        timeout: SIGN_IN_TIMEOUT,
    })
}

/// Where a command a person started gets its code: `--mfa-code` when given (checked to be six
/// digits before anything happens, and never shown), else [`Interactive`].
pub fn given_or_interactive(mfa_code: Option<String>) -> Box<dyn MfaPrompt> {
    use clap::CommandFactory;
    let given = mfa_code.map(Secret::new);
    if let Some(code) = given.as_ref().filter(|c| !is_mfa_code(c.expose())) {
        crate::cli::Cli::command()
            .error(
                clap::error::ErrorKind::ValueValidation,
                format!(
                    "--mfa-code must be the six digits your MFA device shows; got {} characters",
                    code.expose().chars().count()
                ),
            )
            .exit();
    }
    match given {
        Some(code) => Box::new(rolekeeper_core::GivenCode(code)),
        None => Box::new(Interactive),
    }
}

/// The sources tried in order for a command whose stdout and stderr are read by a program
/// (`credential-process`, `exec --server`), so it may never ask there: the first that answers
/// gives the code; none, and the engine fails with a one-line error saying what to do.
#[derive(Debug, Default)]
pub struct Unattended;

impl MfaPrompt for Unattended {
    fn code(&self, profile: &str, serial: &str) -> Option<Secret> {
        // The running tray app's dialog first (the user is at the desktop, and this process
        // may have no terminal at all), then the terminal; the engine tries the profile's
        // `mfa_process` after both.
        TrayPrompt::from_env(&ProcessEnv)
            .code(profile, serial)
            .or_else(|| TtyPrompt.code(profile, serial))
    }

    fn sign_in(&self) -> Option<SignIn<'_>> {
        browser_sign_in()
    }
}
