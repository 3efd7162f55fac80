//! The window process's line to the tray: its socket, one JSON line each way
//! (`rolekeeper_core::tray_ipc::{FromWindow, ToWindow}`). Calls wait for their answer by number;
//! what the tray tells (show, close, an event, quit) is handed to `on_message`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use rolekeeper_core::tray_ipc::{socket_path, FromWindow, Reply, ToWindow, WindowHello};
use serde_json::Value;

/// How a call ended: its value, or its `{code, message}` error.
pub type Answer = Result<Value, Value>;

type Waiting = Box<dyn FnOnce(Answer) + Send>;

/// The connection to the tray. Cheap to clone.
#[derive(Clone)]
pub struct Bridge {
    write: Arc<Mutex<UnixStream>>,
    next: Arc<AtomicU64>,
    waiting: Arc<Mutex<HashMap<u64, Waiting>>>,
}

impl std::fmt::Debug for Bridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bridge").finish_non_exhaustive()
    }
}

/// The tray program, started when none runs: beside this one, else on `PATH`.
const TRAY_PROGRAM: &str = "rolekeeper-desktop";

/// How long a tray started here has to listen, and how often it is tried meanwhile.
const TRAY_START_WITHIN: Duration = Duration::from_secs(15);
const RETRY_EVERY: Duration = Duration::from_millis(50);

impl Bridge {
    /// Connect to the running tray as a window process. `token`: the one the tray gave this
    /// process when it started it; with none (run by hand, or by a WebDriver session) and no tray
    /// running, the tray is started first. A process the tray started never starts one: its tray
    /// is quitting.
    pub fn connect(token: Option<u64>) -> anyhow::Result<Self> {
        let stream = connect_to_tray(token.is_none())?;
        let mut hello = serde_json::to_string(&WindowHello::window_process(token))?;
        hello.push('\n');
        (&stream).write_all(hello.as_bytes())?;
        Ok(Self {
            write: Arc::new(Mutex::new(stream)),
            next: Arc::new(AtomicU64::new(1)),
            waiting: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// Read what the tray tells, on a thread of its own, until it hangs up; answers go to their
    /// callers, the rest to `on_message`. `on_gone` runs once the tray is gone.
    pub fn listen(
        &self,
        on_message: impl Fn(ToWindow) + Send + 'static,
        on_gone: impl FnOnce() + Send + 'static,
    ) -> anyhow::Result<()> {
        let read = self
            .write
            .lock()
            .map_err(|_| anyhow::anyhow!("the tray's connection is unusable"))?
            .try_clone()?;
        let waiting = Arc::clone(&self.waiting);
        std::thread::Builder::new()
            .name("tray-bridge".to_owned())
            .spawn(move || {
                for line in BufReader::new(read).lines() {
                    let Ok(line) = line else { break };
                    match serde_json::from_str::<ToWindow>(&line) {
                        Ok(ToWindow::Reply { id, ok, err }) => {
                            let caller = waiting.lock().ok().and_then(|mut w| w.remove(&id));
                            if let Some(caller) = caller {
                                caller(match err {
                                    Some(err) => Err(err),
                                    None => Ok(ok.unwrap_or(Value::Null)),
                                });
                            }
                        }
                        Ok(message) => on_message(message),
                        Err(e) => tracing::warn!(
                            "the tray sent a line this window does not understand: {e}"
                        ),
                    }
                }
                // Calls still waiting get an answer: the tray is gone.
                let left: Vec<Waiting> = waiting
                    .lock()
                    .map(|mut w| w.drain().map(|(_, caller)| caller).collect())
                    .unwrap_or_default();
                for caller in left {
                    caller(Err(serde_json::json!({
                        "code": "Engine",
                        "message": "RoleKeeper's tray app stopped; start it again.",
                    })));
                }
                on_gone();
            })?;
        Ok(())
    }

    /// Run a page's command in the tray; `answer` gets its result (on the reading thread).
    pub fn call(
        &self,
        window: &str,
        command: &str,
        args: Value,
        answer: impl FnOnce(Answer) + Send + 'static,
    ) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut waiting) = self.waiting.lock() {
            waiting.insert(id, Box::new(answer));
        }
        let sent = self.send(&FromWindow::Call {
            id,
            window: window.to_owned(),
            command: command.to_owned(),
            args,
        });
        if let Err(e) = sent {
            let caller = self.waiting.lock().ok().and_then(|mut w| w.remove(&id));
            if let Some(caller) = caller {
                caller(Err(serde_json::json!({
                    "code": "Engine",
                    "message": format!("cannot reach RoleKeeper's tray app: {e}"),
                })));
            }
        }
    }

    /// Tell the tray something (a window opened, closed, or was asked to close).
    pub fn send(&self, message: &FromWindow) -> std::io::Result<()> {
        let mut line = serde_json::to_string(message).map_err(std::io::Error::other)?;
        line.push('\n');
        let mut stream = self
            .write
            .lock()
            .map_err(|_| std::io::Error::other("the tray's connection is unusable"))?;
        stream.write_all(line.as_bytes())
    }
}

/// Ask the tray (started first if none runs) to show `window` wherever it shows its windows, as
/// a second launch of the tray does; then this process has nothing more to do.
pub fn ask_tray_to_show(window: &str) -> anyhow::Result<()> {
    let stream = connect_to_tray(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut line = serde_json::to_string(&WindowHello::show(window))?;
    line.push('\n');
    (&stream).write_all(line.as_bytes())?;
    let mut reply = String::new();
    BufReader::new(&stream).read_line(&mut reply)?;
    let reply: Reply = serde_json::from_str(&reply)
        .with_context(|| format!("the tray did not answer as expected: {reply:?}"))?;
    match reply.error {
        Some(error) => anyhow::bail!("the tray could not show the {window} window: {error}"),
        None => Ok(()),
    }
}

/// The tray's socket, connected; with no tray running, one is started when `may_start`.
fn connect_to_tray(may_start: bool) -> anyhow::Result<UnixStream> {
    let socket = socket_path(&rolekeeper_core::env::ProcessEnv).context(
        "no XDG_RUNTIME_DIR: the windows reach the tray through a socket there; run RoleKeeper in a desktop session",
    )?;
    match UnixStream::connect(&socket) {
        Ok(stream) => Ok(stream),
        Err(_) if may_start => start_tray_and_connect(&socket),
        Err(e) => Err(e).with_context(|| {
            format!(
                "the tray app that started this window is gone ({} does not answer)",
                socket.display()
            )
        }),
    }
}

/// No tray runs: start one (it outlives this window, in a session of its own), then connect.
fn start_tray_and_connect(socket: &Path) -> anyhow::Result<UnixStream> {
    let program = tray_program();
    tracing::info!(program = %program.display(), "no tray runs: starting it");
    let mut command = Command::new(&program);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    command
        .spawn()
        .with_context(|| format!("cannot start {}", program.display()))?;
    let mut tries = TRAY_START_WITHIN.as_millis() / RETRY_EVERY.as_millis();
    loop {
        tries = tries.saturating_sub(1);
        match UnixStream::connect(socket) {
            Ok(stream) => return Ok(stream),
            Err(e) if tries == 0 => {
                return Err(e).with_context(|| {
                    format!(
                        "started {}, but it does not listen on {}",
                        program.display(),
                        socket.display()
                    )
                })
            }
            Err(_) => std::thread::sleep(RETRY_EVERY),
        }
    }
}

fn tray_program() -> PathBuf {
    std::env::current_exe()
        .ok()
        .map(|exe| exe.with_file_name(TRAY_PROGRAM))
        .filter(|path| path.is_file())
        .unwrap_or_else(|| PathBuf::from(TRAY_PROGRAM))
}
