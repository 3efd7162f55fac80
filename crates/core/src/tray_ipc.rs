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
