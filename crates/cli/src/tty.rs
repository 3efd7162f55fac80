//! Asking for an MFA code on the controlling terminal (`/dev/tty`), never on stdout: stdout may be
//! captured by `eval "$(...)"` or a credential_process caller.

use std::io::{BufRead, BufReader, Write};

use rolekeeper_core::{MfaPrompt, Secret};

#[derive(Debug, Clone, Copy, Default)]
pub struct TtyPrompt;

impl MfaPrompt for TtyPrompt {
    fn code(&self, profile: &str, serial: &str) -> Option<Secret> {
        let mut tty = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .ok()?;
        write!(tty, "Enter MFA code for {serial} (profile {profile}): ").ok()?;
        tty.flush().ok()?;
        let mut line = String::new();
        BufReader::new(tty).read_line(&mut line).ok()?;
        Some(Secret::new(line.trim()))
    }
}
