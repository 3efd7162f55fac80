//! Sessions a running engine (the tray app or `rolekeeper daemon`) holds in memory, served to
//! the user's other RoleKeeper processes over a Unix socket: `$XDG_RUNTIME_DIR/rolekeeper/
//! engine.sock`, the directory 0700, the socket 0600, and the engine checks the caller's uid.
//! One JSON line each way:
//!
//! ```text
//! -> {"version":1,"op":"get","entry":"session:prod","bound":"…","min_left":960}
//! <- {"session":{"access_key_id":…,"expiration":1733…}}   held, bound the same, long enough
//! <- {}                                                    not held
//! -> {"version":1,"op":"keep","entry":"session:prod","bound":"…","session":{…}}
//! <- {}
//! -> {"version":1,"op":"forget","entry":"session:prod","bound":""}  (signed out)
//! <- {}
//! ```
//!
//! A `credential-process` asks here before the keychain: a session another process obtained a
//! minute ago is served in a fraction of a millisecond, with no Secret Service round trip and no
//! AssumeRole. The secrets cross once, to the same user, as `credential-process` prints them.
//! Anything wrong (no engine, an old one, a timeout) is a miss: the caller goes on to the
//! keychain and STS.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::UnixStream as StdStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};

use crate::clock::Clock;
use crate::credentials::Credentials;
use crate::env::Env;
use crate::obtain::Held;
use crate::secret::Secret;

const VERSION: u32 = 1;

/// A caller waits this long at most: the engine answers from memory.
const ANSWER_TIMEOUT: Duration = Duration::from_millis(500);

/// `$XDG_RUNTIME_DIR/rolekeeper/engine.sock`; none without a runtime dir.
pub fn socket_path(env: &dyn Env) -> Option<PathBuf> {
    env.non_empty("XDG_RUNTIME_DIR")
        .map(|dir| PathBuf::from(dir).join("rolekeeper").join("engine.sock"))
}

/// A session on the wire. Plain strings only here: both sides wrap them in [`Secret`] at once.
#[derive(Serialize, Deserialize)]
struct WireSession {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    /// Unix seconds.
    expiration: u64,
}

impl WireSession {
    fn of(credentials: &Credentials) -> Option<Self> {
        Some(Self {
            access_key_id: credentials.access_key_id.clone(),
            secret_access_key: credentials.secret_access_key.expose().to_owned(),
            session_token: credentials
                .session_token
                .as_ref()
                .map(|t| t.expose().to_owned()),
            expiration: credentials
                .expiration?
                .duration_since(UNIX_EPOCH)
                .ok()?
                .as_secs(),
        })
    }

    fn credentials(self) -> Credentials {
        Credentials {
            access_key_id: self.access_key_id,
            secret_access_key: Secret::new(self.secret_access_key),
            session_token: self.session_token.map(Secret::new),
            expiration: Some(UNIX_EPOCH + Duration::from_secs(self.expiration)),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Request {
    version: u32,
    op: String,
    entry: String,
    bound: String,
    #[serde(default)]
    min_left: u64,
    #[serde(default)]
    session: Option<WireSession>,
}

#[derive(Serialize, Deserialize, Default)]
struct Reply {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    session: Option<WireSession>,
}

/// The caller's side: a running engine's memory, asked before the keychain.
#[derive(Debug, Clone)]
pub struct EngineSessions {
    path: PathBuf,
}

impl EngineSessions {
    /// The running engine's socket, if this session has a runtime dir (the engine may still not
    /// be running: then every ask is a quick miss).
    pub fn from_env(env: &dyn Env) -> Option<Self> {
        socket_path(env).map(|path| Self { path })
    }

    fn ask(&self, request: &Request) -> Option<Reply> {
        // No engine listening: a missing socket or a refused connection, both at once.
        let mut stream = StdStream::connect(&self.path).ok()?;
        // Only a socket of this user's: another user's file here is not our engine.
        let owner = std::fs::metadata(&self.path).ok()?.uid();
        if owner != nix::unistd::getuid().as_raw() {
            return None;
        }
        stream.set_read_timeout(Some(ANSWER_TIMEOUT)).ok()?;
        stream.set_write_timeout(Some(ANSWER_TIMEOUT)).ok()?;
        let mut line = serde_json::to_string(request).ok()?;
        line.push('\n');
        stream.write_all(line.as_bytes()).ok()?;
        let mut answer = String::new();
        BufReader::new(stream).read_line(&mut answer).ok()?;
        // serde_json's error could quote a secret: only "no answer" is kept.
        serde_json::from_str(&answer).ok()
    }

    /// The session `entry` the engine holds for `bound`, if it has more than `min_left` left.
    pub fn get(&self, entry: &str, bound: &str, min_left: Duration) -> Option<Credentials> {
        let reply = self.ask(&Request {
            version: VERSION,
            op: "get".to_owned(),
            entry: entry.to_owned(),
            bound: bound.to_owned(),
            min_left: min_left.as_secs(),
            session: None,
        })?;
        reply.session.map(WireSession::credentials)
    }

    /// Tell the engine to drop the session `entry` (signed out: it must not be served again).
    pub fn forget(&self, entry: &str) {
        let _ = self.ask(&Request {
            version: VERSION,
            op: "forget".to_owned(),
            entry: entry.to_owned(),
            bound: String::new(),
            min_left: 0,
            session: None,
        });
    }

    /// Give the engine a session this process obtained, to hold for the next caller.
    pub fn keep(&self, entry: &str, bound: &str, credentials: &Credentials) {
        let Some(session) = WireSession::of(credentials) else {
            return;
        };
        let _ = self.ask(&Request {
            version: VERSION,
            op: "keep".to_owned(),
            entry: entry.to_owned(),
            bound: bound.to_owned(),
            min_left: 0,
            session: Some(session),
        });
    }
}

/// The engine's side: serve `held` on the socket until the task is aborted. A socket another
/// live engine already serves is left to it (the tray and a daemon may both run).
pub async fn serve(path: PathBuf, held: Arc<Held>, clock: Arc<dyn Clock>) {
    let listener = match bind(&path) {
        Ok(Some(listener)) => listener,
        Ok(None) => {
            tracing::info!(socket = %path.display(), "another RoleKeeper serves sessions here");
            return;
        }
        Err(e) => {
            tracing::info!("not serving sessions on {}: {e}", path.display());
            return;
        }
    };
    // The socket file goes with the engine (stopped or aborted), so a quit leaves nothing behind.
    let _bound = RemoveOnDrop(path);
    let owner = nix::unistd::getuid().as_raw();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let held = Arc::clone(&held);
        let clock = Arc::clone(&clock);
        tokio::spawn(async move {
            if let Err(e) = answer(stream, owner, &held, clock.as_ref()).await {
                tracing::debug!("a session request failed: {e}");
            }
        });
    }
}

/// A socket file this process bound, removed when the server ends.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A fresh socket, private to this user; `None` when a live engine answers on it already.
fn bind(path: &Path) -> std::io::Result<Option<UnixListener>> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    if StdStream::connect(path).is_ok() {
        return Ok(None);
    }
    // Nobody answers: a socket left here is a stopped engine's.
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(Some(listener))
}

async fn answer(
    stream: UnixStream,
    owner: u32,
    held: &Held,
    clock: &dyn Clock,
) -> std::io::Result<()> {
    // The socket's mode already keeps other users out; the peer check says so explicitly.
    let peer = stream.peer_cred()?.uid();
    if peer != owner {
        return Err(std::io::Error::other(format!(
            "refused a request from uid {peer}"
        )));
    }
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let mut read = tokio::io::BufReader::new(read);
    tokio::time::timeout(ANSWER_TIMEOUT, read.read_line(&mut line))
        .await
        .map_err(|_| std::io::Error::other("no request in time"))??;
    let mut reply = Reply::default();
    if let Ok(request) = serde_json::from_str::<Request>(&line) {
        match (request.version, request.op.as_str()) {
            (VERSION, "get") => {
                let min_left = Duration::from_secs(request.min_left);
                reply.session = held
                    .fresh(&request.entry, &request.bound, clock.now(), min_left)
                    .as_ref()
                    .and_then(WireSession::of);
            }
            (VERSION, "forget") => held.forget(&request.entry),
            (VERSION, "keep") => {
                if let Some(session) = request.session {
                    held.put(&request.entry, &request.bound, &session.credentials());
                }
            }
            _ => {}
        }
    }
    let mut out = serde_json::to_string(&reply).map_err(std::io::Error::other)?;
    out.push('\n');
    write.write_all(out.as_bytes()).await?;
    write.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[tokio::test]
    async fn a_session_given_to_the_engine_is_served_back_while_long_enough() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("rolekeeper/engine.sock");
        let at = |s: u64| UNIX_EPOCH + Duration::from_secs(s);
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(at(1_000)));
        let held = Arc::new(Held::default());
        let server = tokio::spawn(serve(path.clone(), Arc::clone(&held), clock));
        let client = EngineSessions { path: path.clone() };
        let session = Credentials {
            access_key_id: "ASIASOCKETTEST".into(),
            secret_access_key: Secret::new("socket-secret"),
            session_token: Some(Secret::new("socket-token")),
            expiration: Some(at(2_000)),
        };
        // The blocking client runs off the runtime's thread, as in a command.
        type Ask = Box<dyn FnOnce(&EngineSessions) -> Option<Credentials> + Send>;
        let ask = move |f: Ask| {
            let client = client.clone();
            tokio::task::spawn_blocking(move || f(&client))
        };
        // The socket may not be bound yet: a miss until it is.
        for _ in 0..100 {
            if path.exists() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let kept = session.clone();
        ask(Box::new(move |c| {
            c.keep("session:p", "b", &kept);
            None
        }))
        .await
        .expect("keep");
        assert_eq!(held.len(), 1, "held by the engine");
        // (bound, min_left, served)
        for (bound, min_left, served) in [("b", 900, true), ("b", 1_000, false), ("x", 0, false)] {
            let bound = bound.to_owned();
            let got = ask(Box::new(move |c| {
                c.get("session:p", &bound, Duration::from_secs(min_left))
            }))
            .await
            .expect("get");
            assert_eq!(got.is_some(), served, "{min_left}");
            if let Some(got) = got {
                assert_eq!(got.secret_access_key.expose(), "socket-secret");
                assert_eq!(got.expiration, session.expiration);
            }
        }
        let mode = std::fs::metadata(&path)
            .expect("socket")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        server.abort();
    }
}
