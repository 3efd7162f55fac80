//! Checks of the setup, as data: what `rolekeeper doctor` prints and the desktop's diagnostics
//! view shows, one [`Check`] each: `ok`, `warn` or `FAIL`, what was found, and what to do.
//!
//! Each kind of check is a small function adding entries. The knowledge itself (where the files
//! are, what each AWS reader refuses) lives in the engine (`Engine::check_files`); this module
//! words it. The checks that ask a service are async: the keychain, the notification server
//! ([`notification_check`]) and the clock against STS ([`clock_check`]).

mod clock;
mod commands;
mod notifications;
mod tray_host;

pub use clock::{clock_check, skew_check, CLOCK_OK, CLOCK_REFUSED};
pub use notifications::{notification_check, server_check, ServerInfo};
pub use tray_host::{
    tray_host, tray_host_check, tray_host_check_of, watcher_appears, TrayHost, TRAY_HOST_FIX,
};

use std::fmt;
use std::path::Path;

use serde::Serialize;

use crate::engine::Engine;
use crate::files::{FileProblem, FileReport, FileState};
use crate::keychain::KeychainError;
use crate::profile::{FileKind, Quirk, Rejectors};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Ok,
    /// Works, but should be fixed.
    Warn,
    /// Something (the AWS CLI, an SDK, RoleKeeper) will refuse to work: exit 1.
    Fail,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Upper case for the one a reader must not miss.
        f.pad(match self {
            Outcome::Ok => "ok",
            Outcome::Warn => "warn",
            Outcome::Fail => "FAIL",
        })
    }
}

/// One line of the report. Carries no secret, so it may cross into the web view.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What was checked, e.g. `credentials file permissions`.
    pub name: String,
    pub outcome: Outcome,
    /// What was found, naming the file and line where there is one.
    pub detail: String,
    /// What to do, when the detail does not already say it.
    pub fix: Option<String>,
}

impl Check {
    pub fn new(name: impl Into<String>, outcome: Outcome, detail: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            outcome,
            detail: detail.into(),
            fix: None,
        }
    }

    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<4}  {}: {}", self.outcome, self.name, self.detail)?;
        if let Some(fix) = &self.fix {
            write!(f, "; fix: {fix}")?;
        }
        Ok(())
    }
}

/// Every check of the files, in the order printed.
pub fn checks(engine: &Engine) -> Vec<Check> {
    let mut checks = Vec::new();
    for report in engine.check_files() {
        file_checks(&report, &mut checks);
    }
    if let Ok(set) = engine.load_profiles() {
        checks.extend(commands::command_checks(&set, engine.env()));
    }
    checks.push(state_check(engine));
    checks.extend(renewal_checks(engine));
    checks
}

/// RoleKeeper's own state file: which sessions are active and what it wrote. Unreadable, nothing
/// is renewed until it is fixed.
fn state_check(engine: &Engine) -> Check {
    const NAME: &str = "state file";
    let store = engine.state_store();
    let path = store.dir().join("state.json");
    match store.load() {
        Ok(state) => Check::new(
            NAME,
            Outcome::Ok,
            format!(
                "{} ({} active {})",
                path.display(),
                state.active.len(),
                if state.active.len() == 1 {
                    "session"
                } else {
                    "sessions"
                }
            ),
        ),
        Err(e) => Check::new(NAME, Outcome::Fail, e.to_string()),
    }
}

/// Active sessions the refresh lead leaves no room for: each renews at half its length instead,
/// which works, but more often than the user may think.
fn renewal_checks(engine: &Engine) -> Vec<Check> {
    let Ok(sessions) = engine.sessions() else {
        return Vec::new(); // the state file's own trouble is reported where it is read
    };
    let lead = engine.policy().lead;
    sessions
        .iter()
        .filter_map(|s| {
            let words = crate::words::renewal_in_words(lead, s.length)?;
            Some(
                Check::new(format!("renewal of {}", s.name), Outcome::Warn, words).fix(format!(
                    "lower the refresh lead in the settings (or ROLEKEEPER_REFRESH_BEFORE), or \
                     choose a longer session (`rolekeeper activate {} --duration 1h`)",
                    s.name
                )),
            )
        })
        .collect()
}

/// Whether the keychain (where sources and cached sessions live) answers. Only a warning when it
/// does not: profiles with keys in the AWS files work without it.
pub async fn keychain_check(engine: &Engine) -> Check {
    const NAME: &str = "keychain";
    match engine.probe_keychain().await {
        Ok(()) | Err(KeychainError::NotFound { .. }) => Check::new(
            NAME,
            Outcome::Ok,
            "the Secret Service answers and is unlocked",
        ),
        Err(KeychainError::Locked) => Check::new(NAME, Outcome::Warn, "the keychain is locked")
            .fix("unlock it (log in to the desktop, or unlock the login keyring) and retry"),
        Err(e) => Check::new(NAME, Outcome::Warn, e.to_string())
            .fix("sources (`rolekeeper source add`) need a keychain; profiles with keys in ~/.aws/credentials work without one"),
    }
}

fn label(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Config => "config file",
        FileKind::Credentials => "credentials file",
    }
}

/// Where the file is and whether it can be read; its permissions (credentials file); then one
/// entry per line some AWS reader refuses, or one `ok` if none does.
fn file_checks(report: &FileReport, checks: &mut Vec<Check>) {
    let name = label(report.kind);
    let path = report.path.display();
    let why_here = match report.chosen_by {
        Some(var) => format!("(from {var})"),
        None => "(the default)".to_owned(),
    };
    match &report.state {
        FileState::Missing => {
            let check = match report.chosen_by {
                // Most likely a typo in the variable: every AWS tool silently reads nothing.
                Some(var) => Check::new(
                    name,
                    Outcome::Warn,
                    format!("{path} {why_here} does not exist, so the AWS tools read no profiles from it"),
                )
                .fix(format!("create it, or correct {var}")),
                None => Check::new(
                    name,
                    Outcome::Ok,
                    format!("{path} {why_here} does not exist; the AWS tools read it as empty"),
                ),
            };
            checks.push(check);
        }
        FileState::Unreadable(error) => {
            checks.push(Check::new(name, Outcome::Fail, error.to_string()));
        }
        FileState::Read { mode, problems } => {
            let mode_text = mode.map(|m| format!(", mode {m:04o}")).unwrap_or_default();
            checks.push(Check::new(
                name,
                Outcome::Ok,
                format!("{path} {why_here}{mode_text}"),
            ));
            if report.kind == FileKind::Credentials {
                checks.push(permissions(
                    &report.path,
                    *mode,
                    report.readable_by_others(),
                ));
            }
            let syntax = format!("{name} syntax");
            if problems.is_empty() {
                checks.push(Check::new(
                    syntax.as_str(),
                    Outcome::Ok,
                    format!("the AWS CLI, the SDKs and RoleKeeper all accept {path}"),
                ));
            }
            for problem in problems {
                // A skipped section costs its own settings; every other problem the engine knows
                // makes some AWS reader refuse the whole file. The words already name the file
                // and line and say what to do.
                let outcome = match problem {
                    FileProblem::Rejected(Quirk {
                        rejected_by: Rejectors::Everyone,
                        ..
                    }) => Outcome::Warn,
                    _ => Outcome::Fail,
                };
                checks.push(Check::new(syntax.as_str(), outcome, problem.to_string()));
            }
        }
    }
}

fn permissions(path: &Path, mode: Option<u32>, readable_by_others: bool) -> Check {
    const NAME: &str = "credentials file permissions";
    let path_text = path.display();
    match mode {
        // The file holds long-term keys and sessions: warn, not fail, because every tool still
        // works, but say exactly what to run.
        Some(mode) if readable_by_others => Check::new(
            NAME,
            Outcome::Warn,
            format!(
                "{path_text} is mode {mode:04o}: other users of this machine can read the keys in it"
            ),
        )
        .fix(format!("chmod 600 {}", shell_quote(path))),
        Some(mode) => Check::new(
            NAME,
            Outcome::Ok,
            format!("{path_text} is mode {mode:04o}: only its owner can read it"),
        ),
        None => Check::new(
            NAME,
            Outcome::Ok,
            "this file system has no Unix permissions to check",
        ),
    }
}

/// The path as a shell word, so the fix can be pasted as it is.
fn shell_quote(path: &Path) -> String {
    let text = path.display().to_string();
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+,:@%".contains(c))
    {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_outcome_name_detail_fix() {
        let c = Check::new("credentials file permissions", Outcome::Warn, "mode 0644")
            .fix("chmod 600 /h/c");
        assert_eq!(
            c.to_string(),
            "warn  credentials file permissions: mode 0644; fix: chmod 600 /h/c"
        );
        assert_eq!(
            Check::new("x", Outcome::Fail, "d").to_string(),
            "FAIL  x: d"
        );
        assert_eq!(Check::new("x", Outcome::Ok, "d").to_string(), "ok    x: d");
    }

    #[test]
    fn fixes_can_be_pasted() {
        assert_eq!(
            shell_quote(Path::new("/h/.aws/credentials")),
            "/h/.aws/credentials"
        );
        assert_eq!(shell_quote(Path::new("/h/my creds")), "'/h/my creds'");
        assert_eq!(shell_quote(Path::new("/h/it's")), r"'/h/it'\''s'");
    }
}
