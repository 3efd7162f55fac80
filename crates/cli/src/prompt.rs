//! Where a command finds an MFA code when a role needs one, beyond asking on the terminal
//! (`tty.rs`).

use rolekeeper_core::env::ProcessEnv;
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
}
