//! Where a command finds an MFA code when a role needs one, beyond asking on the terminal
//! (`tty.rs`).

use rolekeeper_core::env::ProcessEnv;
use rolekeeper_core::tray_ipc::TrayPrompt;
use rolekeeper_core::{MfaPrompt, Secret};

use crate::tty::TtyPrompt;

/// Whether `code` is what an MFA device shows: six digits.
pub fn is_six_digits(code: &Secret) -> bool {
    let digits = code.expose();
    digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit())
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
