//! What the Settings tab's About card shows (version, licence, project, where the log goes) and
//! the theme every window applies at start. The log place is read from what this process's
//! stderr really is, so the card never points at a file or journal that holds nothing.

use std::path::Path;

use rolekeeper_core::Theme;
use serde::Serialize;

use crate::desktop::Desktop;

/// The About card.
#[derive(Debug, Serialize)]
pub struct About {
    version: &'static str,
    licence: &'static str,
    project: &'static str,
    /// Where this running app's log lines go, and how to read them, in words.
    logs: String,
    /// How much is logged: `ROLEKEEPER_LOG`'s filter, or the default.
    log_level: String,
}

/// The About card's facts; nothing here is secret.
pub fn about() -> About {
    let target = std::fs::read_link("/proc/self/fd/2").ok();
    let journal = target.is_some() && stderr_is_journal();
    About {
        version: env!("CARGO_PKG_VERSION"),
        licence: env!("CARGO_PKG_LICENSE"),
        project: env!("CARGO_PKG_REPOSITORY"),
        logs: log_place(target.as_deref(), journal, std::process::id()),
        log_level: std::env::var("ROLEKEEPER_LOG")
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "info (the default; set ROLEKEEPER_LOG=debug for more)".into()),
    }
}

/// The theme the windows use (a page asks at start; the manager applies a change on save).
/// Settings that cannot be read give the desktop's theme: a colour is no reason to fail.
pub fn ui_theme(desktop: &Desktop) -> Theme {
    desktop
        .engine
        .settings()
        .map(|s| s.theme)
        .unwrap_or_default()
}

/// systemd (a user service, or an app an XDG autostart entry started on a systemd desktop)
/// connects stderr to the journal and says so in `JOURNAL_STREAM` (`device:inode` of that
/// socket); the variable alone could be inherited, so the socket must be the same.
#[cfg(unix)]
fn stderr_is_journal() -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(stream) = std::env::var("JOURNAL_STREAM") else {
        return false;
    };
    let Ok(meta) = std::fs::metadata("/proc/self/fd/2") else {
        return false;
    };
    stream == format!("{}:{}", meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn stderr_is_journal() -> bool {
    false
}

/// Where stderr (`target`, the link `/proc/self/fd/2` names) goes, as the About card says it.
fn log_place(target: Option<&Path>, journal: bool, pid: u32) -> String {
    if journal {
        return format!("the systemd journal: journalctl --user -b _PID={pid}");
    }
    let Some(target) = target else {
        return "stderr (where it goes cannot be read on this system)".into();
    };
    let text = target.to_string_lossy();
    if text == "/dev/null" {
        return "nowhere: this app was started with its output discarded. To see its log, quit \
                it and start rolekeeper-desktop from a terminal"
            .into();
    }
    if text.starts_with("/dev/pts/") || text.starts_with("/dev/tty") {
        return format!("the terminal it was started from ({text})");
    }
    if text.starts_with("pipe:") || text.starts_with("socket:") {
        return "the program that started it (its stderr is a pipe or socket; a desktop session \
                without systemd usually appends it to ~/.xsession-errors)"
            .into();
    }
    format!("the file {text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_place_says_where_stderr_really_goes() {
        let pid = 4242;
        let place = |t: Option<&str>, journal| log_place(t.map(Path::new), journal, pid);
        assert_eq!(
            place(Some("socket:[991]"), true),
            "the systemd journal: journalctl --user -b _PID=4242"
        );
        assert_eq!(
            place(Some("/dev/pts/3"), false),
            "the terminal it was started from (/dev/pts/3)"
        );
        assert!(place(Some("/dev/null"), false).starts_with("nowhere"));
        assert!(place(Some("/dev/null"), false).contains("from a terminal"));
        assert!(place(Some("pipe:[12]"), false).contains("~/.xsession-errors"));
        assert!(place(Some("socket:[12]"), false).starts_with("the program that started it"));
        assert_eq!(
            place(Some("/home/a/.xsession-errors"), false),
            "the file /home/a/.xsession-errors"
        );
        assert!(place(None, false).contains("cannot be read"));
    }

    #[test]
    fn the_about_card_names_this_build() {
        let about = about();
        assert_eq!(about.version, env!("CARGO_PKG_VERSION"));
        assert_eq!(about.licence, "Apache-2.0");
        assert!(about.project.starts_with("https://"), "{}", about.project);
        assert!(!about.logs.is_empty());
    }
}
