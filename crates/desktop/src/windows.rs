//! The windows, seen from the tray: they live in another process, `rolekeeper-window`, the only
//! one that links a web view (WebKitGTK, GTK, GL). The tray starts it when a window is wanted; it
//! connects back over the tray's socket (`ipc.rs`), runs the pages' commands here, and exits
//! with its last window, taking WebKit's processes with it. So an idle tray holds no web view,
//! no GL and no WebKit library, and closing the last window gives all of that back.
//!
//! [`Windows`] keeps the connected window processes and routes to them: "show" goes to the
//! process that has the window open, else to the newest one, else a process is started (what is
//! asked before it connects waits for it). Events go to every process with that window open.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use rolekeeper_core::tray_ipc::{ToWindow, WINDOW_TOKEN_VARIABLE};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use crate::shell::Shell;

/// The manager window.
pub const MAIN: &str = "main";
/// The MFA code dialog.
pub const MFA: &str = "mfa";
/// The IAM Identity Center sign-in dialog (a device code, or a page to open).
pub const SSO: &str = "sso";
/// Every window there is.
pub const ALL: [&str; 3] = [MAIN, MFA, SSO];

/// The window process's program: installed beside this one.
pub const WINDOW_PROGRAM: &str = "rolekeeper-window";

/// How long a started window process has to connect before another is started.
const CONNECT_WITHIN: Duration = Duration::from_secs(20);

/// Show the window `label` (creating it, and its process, if needed); whether it is on its way.
/// A window that cannot open is said in a notification: a menu click has nobody else to tell.
pub fn show(app: &Shell, label: &str) -> bool {
    match app.windows().show(label) {
        Ok(()) => true,
        Err(e) => {
            tracing::error!("cannot open the {label} window: {e}");
            app.desktop().notifier.tell(
                "RoleKeeper cannot open its window".to_owned(),
                format!(
                    "{e}. Install {WINDOW_PROGRAM} beside rolekeeper-desktop (scripts/install.sh does)."
                ),
            );
            false
        }
    }
}

/// Close the window `label` if it is open anywhere.
pub fn close(app: &Shell, label: &str) {
    app.windows().close(label);
}

/// A window that did not open (its process could not start, or ended before showing it): said
/// in a notification, and a dialog's request is cancelled at once (a command waiting for a code
/// hears it now, not after five minutes).
pub fn failed(app: &Shell, label: &str) {
    tracing::error!(
        window = label,
        "the window did not open; see the window process's lines above"
    );
    app.desktop().notifier.tell(
        format!("RoleKeeper's {} did not open", name_of(label)),
        "Its process ended before showing it; the app's log says why (a display it cannot open, \
         for one)."
            .to_owned(),
    );
    crate::dispatch::close_requested(app, label);
}

/// A window as people call it.
fn name_of(label: &str) -> &'static str {
    match label {
        MFA => "MFA code dialog",
        SSO => "sign-in dialog",
        _ => "manager window",
    }
}

/// The connected window processes, and the one being started.
#[derive(Debug)]
pub struct Windows {
    state: Arc<Mutex<State>>,
    /// Windows that did not open, for the app to tell (`failed`).
    failures: UnboundedSender<String>,
}

/// For tests: failures go nowhere (the app itself uses [`Windows::new`] and tells them).
#[cfg(test)]
impl Default for Windows {
    fn default() -> Self {
        Self::new().0
    }
}

#[derive(Debug, Default)]
struct State {
    next: u64,
    processes: Vec<Process>,
    starting: Option<Starting>,
}

/// A window process started and not yet connected.
#[derive(Debug)]
struct Starting {
    /// Given to it in `ROLEKEEPER_WINDOW_TOKEN` and said back in its hello: what was asked
    /// meanwhile goes to it, not to another process that connects first (a WebDriver session's).
    token: u64,
    since: Instant,
    /// The window on its command line.
    first: String,
    /// What it is to be told once connected.
    queued: Vec<ToWindow>,
}

#[derive(Debug)]
struct Process {
    id: u64,
    to: UnboundedSender<ToWindow>,
    open: BTreeSet<String>,
    /// Shown here and not open yet: shown again elsewhere if this process goes first.
    pending: BTreeSet<String>,
    /// It has had a window: with none open now it is exiting, and gets nothing new.
    had_window: bool,
}

impl Process {
    fn exiting(&self) -> bool {
        self.had_window && self.open.is_empty() && self.pending.is_empty()
    }
}

/// What a window process left behind when it went.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Gone {
    /// Windows it still had open (its dialogs' requests are cancelled).
    pub open: BTreeSet<String>,
    /// Windows it was asked to show and never opened.
    pub pending: BTreeSet<String>,
    /// Whether it had ever opened a window (if not, it could not: the pending ones failed).
    pub had_window: bool,
}

impl Windows {
    /// The windows, and where the windows that did not open are told.
    pub fn new() -> (Self, UnboundedReceiver<String>) {
        let (failures, failed) = unbounded_channel();
        let windows = Self {
            state: Arc::default(),
            failures,
        };
        (windows, failed)
    }

    /// A window process connected (`token`: the one this tray gave it, if it started it): what
    /// it is to be told goes to `to`. Returns its number, for [`Windows::opened`] and
    /// [`Windows::gone`].
    pub fn connected(&self, to: UnboundedSender<ToWindow>, token: Option<u64>) -> u64 {
        let Ok(mut state) = self.state.lock() else {
            return 0;
        };
        state.next += 1;
        let id = state.next;
        let mut pending = BTreeSet::new();
        // The process started for these asks: they are its first news.
        if token.is_some() && state.starting.as_ref().map(|s| s.token) == token {
            if let Some(starting) = state.starting.take() {
                pending.insert(starting.first);
                for message in starting.queued {
                    if let ToWindow::Show { window } = &message {
                        pending.insert(window.clone());
                    }
                    let _ = to.send(message);
                }
            }
        }
        state.processes.push(Process {
            id,
            to,
            open: BTreeSet::new(),
            pending,
            had_window: false,
        });
        tracing::info!(process = id, "a window process connected");
        id
    }

    /// The window process `id` opened (`true`) or lost (`false`) the window `label`.
    pub fn opened(&self, id: u64, label: &str, open: bool) {
        if let Ok(mut state) = self.state.lock() {
            if let Some(process) = state.processes.iter_mut().find(|p| p.id == id) {
                process.pending.remove(label);
                if open {
                    process.open.insert(label.to_owned());
                    process.had_window = true;
                } else {
                    process.open.remove(label);
                }
            }
        }
    }

    /// The window process `id` hung up (it exited with its last window, or died).
    pub fn gone(&self, id: u64) -> Gone {
        tracing::info!(process = id, "a window process went away");
        let Ok(mut state) = self.state.lock() else {
            return Gone::default();
        };
        let Some(at) = state.processes.iter().position(|p| p.id == id) else {
            return Gone::default();
        };
        let process = state.processes.remove(at);
        Gone {
            open: process.open,
            pending: process.pending,
            had_window: process.had_window,
        }
    }

    /// Show `label`: in the process that has it open, else in the newest that is not exiting,
    /// else in a new one. Fails only when a window process cannot be started.
    pub fn show(&self, label: &str) -> std::io::Result<()> {
        let message = ToWindow::Show {
            window: label.to_owned(),
        };
        let Ok(mut state) = self.state.lock() else {
            return Err(std::io::Error::other("the windows' state is unusable"));
        };
        let target = match state.processes.iter().position(|p| p.open.contains(label)) {
            Some(at) => Some(at),
            None => state.processes.iter().rposition(|p| !p.exiting()),
        };
        if let Some(process) = target.and_then(|at| state.processes.get_mut(at)) {
            if process.to.send(message.clone()).is_ok() {
                if !process.open.contains(label) {
                    process.pending.insert(label.to_owned());
                }
                tracing::info!(window = label, process = process.id, "window shown");
                return Ok(());
            }
        }
        if let Some(starting) = state.starting.as_mut() {
            if starting.since.elapsed() < CONNECT_WITHIN {
                starting.queued.push(message);
                return Ok(());
            }
        }
        state.next += 1;
        let token = state.next;
        let child = start_window_process(label, token)?;
        tracing::info!(window = label, "window process started");
        // Its first window is on its command line; later asks wait for it to connect.
        state.starting = Some(Starting {
            token,
            since: Instant::now(),
            first: label.to_owned(),
            queued: Vec::new(),
        });
        reap(child, Arc::clone(&self.state), token, self.failures.clone());
        Ok(())
    }

    /// Close `label` wherever it is open (and forget a queued "show" of it).
    pub fn close(&self, label: &str) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if let Some(starting) = state.starting.as_mut() {
            starting
                .queued
                .retain(|m| !matches!(m, ToWindow::Show { window } if window == label));
        }
        for process in state.processes.iter_mut() {
            process.pending.remove(label);
            if process.open.contains(label) {
                let _ = process.to.send(ToWindow::Close {
                    window: label.to_owned(),
                });
            }
        }
    }

    /// Hand an event to the page of `window` wherever it is open; whether one heard it.
    pub fn emit(&self, window: &str, event: &str, payload: serde_json::Value) -> bool {
        let Ok(state) = self.state.lock() else {
            return false;
        };
        let mut heard = false;
        for process in state.processes.iter().filter(|p| p.open.contains(window)) {
            heard |= process
                .to
                .send(ToWindow::Emit {
                    window: window.to_owned(),
                    event: event.to_owned(),
                    payload: payload.clone(),
                })
                .is_ok();
        }
        heard
    }

    /// The tray quits: every window process closes its windows and exits.
    pub fn quit_all(&self) {
        if let Ok(state) = self.state.lock() {
            for process in &state.processes {
                let _ = process.to.send(ToWindow::Quit);
            }
        }
    }
}

/// `rolekeeper-window --show LABEL`, beside this program: a child of this one, with this
/// process's environment (its log goes where this one's goes) and its token.
fn start_window_process(label: &str, token: u64) -> std::io::Result<tokio::process::Child> {
    let program = window_program();
    tokio::process::Command::new(&program)
        .args(["--show", label])
        .env(WINDOW_TOKEN_VARIABLE, token.to_string())
        .stdin(std::process::Stdio::null())
        .spawn()
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", program.display())))
}

/// Wait for the window process (no zombie is left). One that ends before it connected (no
/// display, a crash) showed nothing: its windows failed, and the next "show" starts another.
fn reap(
    mut child: tokio::process::Child,
    state: Arc<Mutex<State>>,
    token: u64,
    failures: UnboundedSender<String>,
) {
    tokio::spawn(async move {
        match child.wait().await {
            Ok(status) if !status.success() => {
                tracing::warn!("the window process ended with {status}");
            }
            Err(e) => tracing::warn!("cannot wait for the window process: {e}"),
            Ok(_) => {}
        }
        let never_connected = state.lock().ok().and_then(|mut state| {
            if state.starting.as_ref().is_some_and(|s| s.token == token) {
                state.starting.take()
            } else {
                None
            }
        });
        if let Some(starting) = never_connected {
            let _ = failures.send(starting.first);
            for message in starting.queued {
                if let ToWindow::Show { window } = message {
                    let _ = failures.send(window);
                }
            }
        }
    });
}

/// Where `rolekeeper-window` is: beside this program (as installed and built), else on `PATH`.
fn window_program() -> PathBuf {
    std::env::current_exe()
        .ok()
        .map(|exe| exe.with_file_name(WINDOW_PROGRAM))
        .filter(|path| path.is_file())
        .unwrap_or_else(|| PathBuf::from(WINDOW_PROGRAM))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::mpsc::unbounded_channel;

    fn drain(rx: &mut tokio::sync::mpsc::UnboundedReceiver<ToWindow>) -> Vec<ToWindow> {
        let mut out = Vec::new();
        while let Ok(m) = rx.try_recv() {
            out.push(m);
        }
        out
    }

    fn show(label: &str) -> ToWindow {
        ToWindow::Show {
            window: label.to_owned(),
        }
    }

    /// As if `show` had started a process for `first` with `token`.
    fn starting(windows: &Windows, token: u64, first: &str) {
        if let Ok(mut state) = windows.state.lock() {
            state.starting = Some(Starting {
                token,
                since: Instant::now(),
                first: first.to_owned(),
                queued: Vec::new(),
            });
        }
    }

    #[test]
    fn show_goes_where_the_window_is_open_else_to_the_newest_process() {
        let windows = Windows::default();
        let (old_tx, mut old) = unbounded_channel();
        let (new_tx, mut new) = unbounded_channel();
        let first = windows.connected(old_tx, None);
        let _second = windows.connected(new_tx, None);
        windows.opened(first, MAIN, true);
        windows.show(MAIN).unwrap();
        windows.show(MFA).unwrap();
        assert_eq!(drain(&mut old), [show(MAIN)]);
        assert_eq!(drain(&mut new), [show(MFA)]);
    }

    #[test]
    fn a_process_whose_last_window_closed_gets_nothing_new() {
        let windows = Windows::default();
        let (live_tx, mut live) = unbounded_channel();
        let (exiting_tx, mut exiting) = unbounded_channel();
        let live_id = windows.connected(live_tx, None);
        let exiting_id = windows.connected(exiting_tx, None);
        windows.opened(live_id, MAIN, true);
        windows.opened(exiting_id, MFA, true);
        windows.opened(exiting_id, MFA, false);
        windows.show(MFA).unwrap();
        assert_eq!(drain(&mut exiting), []);
        assert_eq!(drain(&mut live), [show(MFA)]);
    }

    #[test]
    fn a_process_that_goes_says_what_it_had_open_and_what_it_never_showed() {
        let windows = Windows::default();
        let (tx, _rx) = unbounded_channel();
        let id = windows.connected(tx, None);
        windows.show(MAIN).unwrap();
        windows.opened(id, MAIN, true);
        windows.show(MFA).unwrap();
        assert_eq!(
            windows.gone(id),
            Gone {
                open: BTreeSet::from([MAIN.to_owned()]),
                pending: BTreeSet::from([MFA.to_owned()]),
                had_window: true,
            }
        );
        assert_eq!(windows.gone(id), Gone::default(), "gone once");
    }

    #[test]
    fn events_and_closes_reach_only_processes_with_the_window_open() {
        let windows = Windows::default();
        let (tx, mut rx) = unbounded_channel();
        let id = windows.connected(tx, None);
        assert!(!windows.emit(MAIN, "engine", serde_json::json!({})));
        windows.close(MAIN);
        assert_eq!(drain(&mut rx), []);
        windows.opened(id, MAIN, true);
        assert!(windows.emit(MAIN, "engine", serde_json::json!({"kind": "x"})));
        windows.close(MAIN);
        assert_eq!(drain(&mut rx).len(), 2);
    }

    #[test]
    fn what_is_asked_while_a_process_starts_is_its_first_news_and_no_one_elses() {
        let windows = Windows::default();
        starting(&windows, 7, MAIN);
        windows.show(MFA).unwrap();
        windows.show(SSO).unwrap();
        windows.close(SSO);
        // Another process (a WebDriver session's) connects first: the queue is not its.
        let (other_tx, mut other) = unbounded_channel();
        windows.connected(other_tx, None);
        assert_eq!(drain(&mut other), []);
        let (tx, mut rx) = unbounded_channel();
        let id = windows.connected(tx, Some(7));
        assert_eq!(drain(&mut rx), [show(MFA)]);
        let gone = windows.gone(id);
        assert_eq!(
            gone.pending,
            BTreeSet::from([MAIN.to_owned(), MFA.to_owned()])
        );
        assert!(!gone.had_window);
    }
}
