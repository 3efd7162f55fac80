//! How a command that may not prompt (`rolekeeper credential-process`, run by an SDK with its
//! stdout and stderr captured) asks the running tray app for an MFA code: a Unix socket in
//! `$XDG_RUNTIME_DIR/rolekeeper/` (the directory mode 0700, the socket 0600, and the tray checks
//! the caller's uid), one JSON line each way.
//!
//! ```text
//! -> {"version":1,"op":"mfa_code","profile":"prod","serial":"arn:aws:iam::1:mfa/me"}
//! <- {"code":"123456"}            the user typed it in the tray's dialog
//! <- {"error":"..."}              cancelled, timed out, or not understood
//! ```
//!
//! The code is the only secret that crosses, once, to the process that asked.
//!
//! The same socket carries the tray's windows. They run in a process of their own
//! (`rolekeeper-window`, the only one that links a web view), started on demand and gone with its
//! last window, so the always-running tray costs little. That process says [`WindowHello`]
//! first and keeps the connection: it sends [`FromWindow`] lines (a page's command, a window
//! opened or closed) and hears [`ToWindow`] lines (show or close a window, an event for a page, a
//! command's answer, quit). A second `rolekeeper-desktop` says `{"op":"show","window":"main"}`
//! and goes: the running tray opens its window.
//!
//! ```text
//! -> {"version":1,"op":"window"}
//! -> {"call":{"id":1,"window":"main","command":"list_sessions","args":{}}}
//! <- {"reply":{"id":1,"ok":[...]}}
//! <- {"show":{"window":"mfa"}}
//! ```

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::env::Env;
use crate::request::MfaPrompt;
use crate::secret::Secret;

pub const PROTOCOL_VERSION: u32 = 1;

/// How long a caller waits for the user to answer the dialog.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(300);

/// The tray's socket: `$XDG_RUNTIME_DIR/rolekeeper/tray.sock`; none without a runtime dir (a
/// session with no runtime dir has no tray either).
pub fn socket_path(env: &dyn Env) -> Option<PathBuf> {
    env.non_empty("XDG_RUNTIME_DIR")
        .map(|dir| PathBuf::from(dir).join("rolekeeper").join("tray.sock"))
}

/// What a caller asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub version: u32,
    pub op: String,
    pub profile: String,
    pub serial: String,
}

/// What the tray answers. `code` is a plain string only on the wire; both sides wrap it in a
/// [`Secret`] at once.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Reply {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The first line of a connection that is not a code request: which kind it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowHello {
    pub version: u32,
    /// `window`: a window process that stays connected; `show`: open `window` and hang up.
    pub op: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    /// A window process the tray started says the token it was given, so what was asked while
    /// it started goes to it (and not to another window process that connects first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<u64>,
}

impl WindowHello {
    /// A window process's greeting (`token`: the one the tray gave it, if the tray started it).
    pub fn window_process(token: Option<u64>) -> Self {
        Self {
            version: PROTOCOL_VERSION,
            op: OP_WINDOW.to_owned(),
            window: None,
            token,
        }
    }

    /// "Show `window`": what a second launch of the tray asks of the running one.
    pub fn show(window: &str) -> Self {
        Self {
            version: PROTOCOL_VERSION,
            op: OP_SHOW.to_owned(),
            window: Some(window.to_owned()),
            token: None,
        }
    }
}

/// The environment variable by which the tray gives a window process it starts its token (said
/// back in [`WindowHello::token`]).
pub const WINDOW_TOKEN_VARIABLE: &str = "ROLEKEEPER_WINDOW_TOKEN";

/// The `op` of a window process's connection.
pub const OP_WINDOW: &str = "window";
/// The `op` of a one-off "show this window".
pub const OP_SHOW: &str = "show";

/// What the tray tells a window process, one JSON line each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToWindow {
    /// Show the window (creating it when it is not open).
    Show { window: String },
    /// Close the window if it is open.
    Close { window: String },
    /// Hand `payload` to the page of `window` as the event `event`.
    Emit {
        window: String,
        event: String,
        payload: serde_json::Value,
    },
    /// The answer to the call `id`: its value, or its `{code, message}` error.
    Reply {
        id: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ok: Option<serde_json::Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        err: Option<serde_json::Value>,
    },
    /// The tray quits: close every window and exit.
    Quit,
}

/// What a window process tells the tray, one JSON line each. (Its `Debug` leaves out a call's
/// arguments: they may hold a typed MFA code or a secret access key.)
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FromWindow {
    /// A page ran `command` with `args` (the page's own JSON, keys in camelCase).
    Call {
        id: u64,
        window: String,
        command: String,
        args: serde_json::Value,
    },
    /// The window is open in this process.
    Opened { window: String },
    /// The user asked to close the window (its close button): for the dialogs, a cancel.
    CloseRequested { window: String },
    /// The window is gone from this process.
    Destroyed { window: String },
}

impl std::fmt::Debug for FromWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FromWindow::Call {
                id,
                window,
                command,
                ..
            } => f
                .debug_struct("Call")
                .field("id", id)
                .field("window", window)
                .field("command", command)
                .finish_non_exhaustive(),
            FromWindow::Opened { window } => {
                f.debug_struct("Opened").field("window", window).finish()
            }
            FromWindow::CloseRequested { window } => f
                .debug_struct("CloseRequested")
                .field("window", window)
                .finish(),
            FromWindow::Destroyed { window } => {
                f.debug_struct("Destroyed").field("window", window).finish()
            }
        }
    }
}

/// Asks the tray app's dialog, when a tray app is running; `None` (so the next source is tried)
/// when none is, or the user cancels.
#[derive(Debug, Clone)]
pub struct TrayPrompt {
    socket: Option<PathBuf>,
    timeout: Duration,
}

impl TrayPrompt {
    pub fn from_env(env: &dyn Env) -> Self {
        Self {
            socket: socket_path(env),
            timeout: ANSWER_TIMEOUT,
        }
    }

    fn ask(&self, profile: &str, serial: &str) -> std::io::Result<Option<Secret>> {
        let Some(path) = &self.socket else {
            return Ok(None);
        };
        // No tray listening: a missing socket or a refused connection, both at once.
        let Ok(mut stream) = UnixStream::connect(path) else {
            return Ok(None);
        };
        stream.set_read_timeout(Some(self.timeout))?;
        let request = Request {
            version: PROTOCOL_VERSION,
            op: "mfa_code".to_owned(),
            profile: profile.to_owned(),
            serial: serial.to_owned(),
        };
        let mut line = serde_json::to_string(&request).map_err(std::io::Error::other)?;
        line.push('\n');
        stream.write_all(line.as_bytes())?;
        let mut answer = String::new();
        BufReader::new(&stream).read_line(&mut answer)?;
        let reply: Reply = serde_json::from_str(&answer).map_err(std::io::Error::other)?;
        if let Some(error) = reply.error {
            tracing::info!(profile, "the tray app gave no code: {error}");
        }
        Ok(reply.code.map(Secret::new))
    }
}

impl MfaPrompt for TrayPrompt {
    fn code(&self, profile: &str, serial: &str) -> Option<Secret> {
        match self.ask(profile, serial) {
            Ok(code) => code,
            Err(e) => {
                tracing::warn!(profile, "could not ask the tray app for a code: {e}");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::MapEnv;

    #[test]
    fn the_socket_lives_in_the_runtime_dir_or_nowhere() {
        let env = MapEnv::default().with("XDG_RUNTIME_DIR", "/run/user/1000");
        assert_eq!(
            socket_path(&env),
            Some(PathBuf::from("/run/user/1000/rolekeeper/tray.sock"))
        );
        assert_eq!(socket_path(&MapEnv::default()), None);
    }

    #[test]
    fn window_messages_are_one_json_object_each() {
        let cases = [
            (
                ToWindow::Show {
                    window: "main".into(),
                },
                r#"{"show":{"window":"main"}}"#,
            ),
            (ToWindow::Quit, r#""quit""#),
            (
                ToWindow::Reply {
                    id: 7,
                    ok: None,
                    err: Some(serde_json::json!({"code": "Engine"})),
                },
                r#"{"reply":{"id":7,"err":{"code":"Engine"}}}"#,
            ),
        ];
        for (message, wire) in cases {
            assert_eq!(serde_json::to_string(&message).unwrap(), wire);
            assert_eq!(serde_json::from_str::<ToWindow>(wire).unwrap(), message);
        }
        let call: FromWindow = serde_json::from_str(
            r#"{"call":{"id":1,"window":"main","command":"list_sessions","args":{}}}"#,
        )
        .unwrap();
        assert!(matches!(call, FromWindow::Call { id: 1, .. }));
        let secret = FromWindow::Call {
            id: 2,
            window: "mfa".into(),
            command: "submit_mfa_code".into(),
            args: serde_json::json!({"code": "864209"}),
        };
        assert!(!format!("{secret:?}").contains("864209"), "{secret:?}");
        let hello = serde_json::to_string(&WindowHello::show("main")).unwrap();
        assert_eq!(hello, r#"{"version":1,"op":"show","window":"main"}"#);
    }

    #[test]
    fn a_tray_that_answers_gives_the_code_and_none_gives_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let env = MapEnv::default().with("XDG_RUNTIME_DIR", dir.path().to_str().unwrap());
        let prompt = TrayPrompt::from_env(&env);
        assert_eq!(prompt.code("p", "s"), None, "no tray running");

        let path = socket_path(&env).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let tray = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut line = String::new();
            BufReader::new(&stream).read_line(&mut line).unwrap();
            let request: Request = serde_json::from_str(&line).unwrap();
            let mut out = &stream;
            out.write_all(b"{\"code\":\"135790\"}\n").unwrap();
            request
        });
        let code = prompt.code("prod", "arn:aws:iam::1:mfa/me");
        assert_eq!(
            code.map(|c| c.expose().to_owned()),
            Some("135790".to_owned())
        );
        let request = tray.join().unwrap();
        assert_eq!(request.profile, "prod");
        assert_eq!(request.op, "mfa_code");
    }
}
