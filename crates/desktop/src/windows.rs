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

use rolekeeper_core::tray_ipc::ToWindow;
use tokio::sync::mpsc::UnboundedSender;

use crate::shell::Shell;

/// The manager window.
pub const MAIN: &str = "main";
/// The MFA code dialog.
pub const MFA: &str = "mfa";
/// The IAM Identity Center sign-in dialog (a device code, or a page to open).
pub const SSO: &str = "sso";

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

/// The connected window processes, and the one being started.
#[derive(Debug, Default)]
pub struct Windows {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    next: u64,
    processes: Vec<Process>,
    /// A window process started and not yet connected: since when, and what it is to be told.
    starting: Option<(Instant, Vec<ToWindow>)>,
}

#[derive(Debug)]
struct Process {
    id: u64,
    to: UnboundedSender<ToWindow>,
    open: BTreeSet<String>,
}

impl Windows {
    /// A window process connected: what it is to be told goes to `to`. Returns its number, for
    /// [`Windows::opened`] and [`Windows::gone`].
    pub fn connected(&self, to: UnboundedSender<ToWindow>) -> u64 {
        let Ok(mut state) = self.state.lock() else {
            return 0;
        };
        state.next += 1;
        let id = state.next;
        // What was asked while it started (a second "show", an event) is its first news.
        if let Some((_, queued)) = state.starting.take() {
            for message in queued {
                let _ = to.send(message);
            }
        }
        state.processes.push(Process {
            id,
            to,
            open: BTreeSet::new(),
        });
        tracing::info!(process = id, "a window process connected");
        id
    }

    /// The window process `id` opened (`true`) or lost (`false`) the window `label`.
    pub fn opened(&self, id: u64, label: &str, open: bool) {
        if let Ok(mut state) = self.state.lock() {
            if let Some(process) = state.processes.iter_mut().find(|p| p.id == id) {
                if open {
                    process.open.insert(label.to_owned());
                } else {
                    process.open.remove(label);
                }
            }
        }
    }

    /// The window process `id` hung up (it exited with its last window, or died): the windows
    /// it still had open.
    pub fn gone(&self, id: u64) -> BTreeSet<String> {
        tracing::info!(process = id, "a window process went away");
        let Ok(mut state) = self.state.lock() else {
            return BTreeSet::new();
        };
        let Some(at) = state.processes.iter().position(|p| p.id == id) else {
            return BTreeSet::new();
        };
        state.processes.remove(at).open
    }

    /// Show `label`: in the process that has it open, else in the newest, else in a new one.
    /// Fails only when a window process cannot be started.
    pub fn show(&self, label: &str) -> std::io::Result<()> {
        let message = ToWindow::Show {
            window: label.to_owned(),
        };
        let Ok(mut state) = self.state.lock() else {
            return Err(std::io::Error::other("the windows' state is unusable"));
        };
        let target = state
            .processes
            .iter()
            .find(|p| p.open.contains(label))
            .or_else(|| state.processes.last());
        if let Some(process) = target {
            if process.to.send(message.clone()).is_ok() {
                tracing::info!(window = label, process = process.id, "window shown");
                return Ok(());
            }
        }
        if let Some((since, queued)) = state.starting.as_mut() {
            if since.elapsed() < CONNECT_WITHIN {
                queued.push(message);
                return Ok(());
            }
        }
        let child = start_window_process(label)?;
        tracing::info!(window = label, "window process started");
        // Its first window is on its command line; later asks wait for it to connect.
        let started = Instant::now();
        state.starting = Some((started, Vec::new()));
        reap(child, Arc::clone(&self.state), started);
        Ok(())
    }

    /// Close `label` wherever it is open (and forget a queued "show" of it).
    pub fn close(&self, label: &str) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if let Some((_, queued)) = state.starting.as_mut() {
            queued.retain(|m| !matches!(m, ToWindow::Show { window } if window == label));
        }
        for process in state.processes.iter().filter(|p| p.open.contains(label)) {
            let _ = process.to.send(ToWindow::Close {
                window: label.to_owned(),
            });
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
/// process's environment (its log goes where this one's goes).
fn start_window_process(label: &str) -> std::io::Result<tokio::process::Child> {
    let program = window_program();
    tokio::process::Command::new(&program)
        .args(["--show", label])
        .stdin(std::process::Stdio::null())
        .spawn()
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", program.display())))
}

/// Wait for the window process (no zombie is left); one that ends before it connected (no
/// display, a crash) is no longer waited for, so the next "show" starts another at once.
fn reap(mut child: tokio::process::Child, state: Arc<Mutex<State>>, started: Instant) {
    tokio::spawn(async move {
        match child.wait().await {
            Ok(status) if !status.success() => {
                tracing::warn!("the window process ended with {status}");
            }
            Err(e) => tracing::warn!("cannot wait for the window process: {e}"),
            Ok(_) => {}
        }
        if let Ok(mut state) = state.lock() {
            if state
                .starting
                .as_ref()
                .is_some_and(|(at, _)| *at == started)
            {
                state.starting = None;
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

    #[test]
    fn show_goes_where_the_window_is_open_else_to_the_newest_process() {
        let windows = Windows::default();
        let (old_tx, mut old) = unbounded_channel();
        let (new_tx, mut new) = unbounded_channel();
        let first = windows.connected(old_tx);
        let _second = windows.connected(new_tx);
        windows.opened(first, MAIN, true);
        windows.show(MAIN).unwrap();
        windows.show(MFA).unwrap();
        assert_eq!(drain(&mut old), [show(MAIN)]);
        assert_eq!(drain(&mut new), [show(MFA)]);
    }

    #[test]
    fn events_and_closes_reach_only_processes_with_the_window_open() {
        let windows = Windows::default();
        let (tx, mut rx) = unbounded_channel();
        let id = windows.connected(tx);
        assert!(!windows.emit(MAIN, "engine", serde_json::json!({})));
        windows.close(MAIN);
        assert_eq!(drain(&mut rx), []);
        windows.opened(id, MAIN, true);
        assert!(windows.emit(MAIN, "engine", serde_json::json!({"kind": "x"})));
        windows.close(MAIN);
        assert_eq!(drain(&mut rx).len(), 2);
        windows.opened(id, MFA, true);
        windows.opened(id, MAIN, false);
        assert_eq!(windows.gone(id), BTreeSet::from([MFA.to_owned()]));
    }

    #[test]
    fn what_is_asked_while_a_process_starts_is_its_first_news() {
        let windows = Windows::default();
        if let Ok(mut state) = windows.state.lock() {
            state.starting = Some((Instant::now(), Vec::new()));
        }
        windows.show(MFA).unwrap();
        windows.show(SSO).unwrap();
        windows.close(SSO);
        let (tx, mut rx) = unbounded_channel();
        windows.connected(tx);
        assert_eq!(drain(&mut rx), [show(MFA)]);
    }
}
