//! `rolekeeper doctor`: checks of the setup, one line each: `ok`, `warn` or `FAIL`, what was
//! found, and what to do. Exits 1 when a check fails (through the usual one-line error, so the
//! exit codes stay those of every other command).
//!
//! Checks are data ([`Check`]) produced by small functions and printed in one place, so later
//! checks (the keychain, the notification server, the clock against STS) are one more function
//! adding entries. The knowledge itself (where the files are, what each AWS reader refuses)
//! lives in the engine (`Engine::check_files`); this module only words it.

use std::fmt;
use std::io::Write;
use std::path::Path;

use rolekeeper_core::files::{FileReport, FileState};
use rolekeeper_core::profile::FileKind;
use rolekeeper_core::Engine;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// One line of the report.
#[derive(Debug, Clone)]
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
    fn new(name: impl Into<String>, outcome: Outcome, detail: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            outcome,
            detail: detail.into(),
            fix: None,
        }
    }

    fn fix(mut self, fix: impl Into<String>) -> Self {
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

pub fn run() -> anyhow::Result<()> {
    let engine = Engine::system();
    let checks = checks(&engine);
    let mut out = std::io::stdout().lock();
    for check in &checks {
        writeln!(out, "{check}")?;
    }
    let count = |o| checks.iter().filter(|c| c.outcome == o).count();
    let (failed, warned) = (count(Outcome::Fail), count(Outcome::Warn));
    writeln!(
        out,
        "{} checks: {} ok, {warned} warn, {failed} FAIL",
        checks.len(),
        count(Outcome::Ok)
    )?;
    out.flush()?;
    if failed > 0 {
        anyhow::bail!(
            "{failed} check{} failed; fix what the FAIL line{} above say{}",
            plural(failed),
            plural(failed),
            if failed == 1 { "s" } else { "" }
        );
    }
    Ok(())
}

/// Every check, in the order printed.
pub fn checks(engine: &Engine) -> Vec<Check> {
    let mut checks = Vec::new();
    for report in engine.check_files() {
        file_checks(&report, &mut checks);
    }
    checks
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
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
                // Every problem the engine knows makes some AWS reader refuse the whole file;
                // its words already name the file and line and say what to do.
                checks.push(Check::new(
                    syntax.as_str(),
                    Outcome::Fail,
                    problem.to_string(),
                ));
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
