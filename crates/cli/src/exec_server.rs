//! `exec --server`: credentials for one command, served on 127.0.0.1 in the ECS
//! container-credentials format that every AWS SDK reads (`AWS_CONTAINER_CREDENTIALS_FULL_URI`
//! plus `AWS_CONTAINER_AUTHORIZATION_TOKEN`). The SDK asks again whenever its copy nears expiry,
//! and each answer is renewed through the engine when less than the lead is left, so a command
//! outlives any number of sessions. Tiny HTTP/1.1 on purpose: one GET, one JSON answer, then
//! the connection closes.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use rolekeeper_core::credentials::isoformat;
use rolekeeper_core::{CredentialRequest, Credentials, Engine, Secret};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use crate::prompt::Unattended;

const PATH: &str = "/rolekeeper/credentials";
/// A request head larger than this is not an SDK asking for credentials.
const MAX_HEAD: usize = 16 * 1024;
/// A client that sends no complete request head within this is dropped.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The running endpoint; stops when dropped (when the command has exited).
#[derive(Debug)]
pub struct CredentialServer {
    uri: String,
    token: Secret,
    task: JoinHandle<()>,
}

#[derive(Debug)]
struct Shared {
    engine: Arc<Engine>,
    name: String,
    request: CredentialRequest,
    token: Secret,
    /// What the endpoint serves, and when it was obtained (with its expiry, the session's
    /// length); the lock also makes concurrent requests share one renewal.
    current: Mutex<(Credentials, SystemTime)>,
}

impl CredentialServer {
    pub async fn start(
        engine: Arc<Engine>,
        name: &str,
        request: CredentialRequest,
        first: Credentials,
    ) -> anyhow::Result<Self> {
        if first.session_token.is_none() || first.expiration.is_none() {
            anyhow::bail!(
                "profile `{name}` has long-term keys, and the container endpoint serves only \
                 temporary credentials; run `rolekeeper exec {name} -- CMD` without --server"
            );
        }
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .context("cannot listen on 127.0.0.1 for the credentials endpoint")?;
        let port = listener
            .local_addr()
            .context("cannot read the endpoint's port")?
            .port();
        let token = random_token()?;
        let engine_now = engine.clock().now();
        let shared = Arc::new(Shared {
            engine,
            name: name.to_owned(),
            request,
            token: token.clone(),
            current: Mutex::new((first, engine_now)),
        });
        let task = tokio::spawn(accept(listener, shared));
        Ok(Self {
            uri: format!("http://127.0.0.1:{port}{PATH}"),
            token,
            task,
        })
    }

    pub fn uri(&self) -> &str {
        &self.uri
    }

    pub fn token(&self) -> &Secret {
        &self.token
    }
}

impl Drop for CredentialServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// 32 bytes from the OS random source, as hex: unguessable by other local users, who can reach
/// the port but not the command's environment.
fn random_token() -> anyhow::Result<Secret> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| anyhow::anyhow!("cannot read the OS random source for a token: {e}"))?;
    Ok(Secret::new(
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>(),
    ))
}

async fn accept(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(serve_connection(stream, Arc::clone(&shared)));
            }
            Err(error) => {
                // Out of file descriptors, usually: wait instead of spinning.
                eprintln!("rolekeeper: credentials endpoint: cannot accept a connection: {error}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn serve_connection(mut stream: TcpStream, shared: Arc<Shared>) {
    let response = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
        Ok(Some(head)) => respond(&head, &shared).await,
        Ok(None) => Response::error(400, "Bad Request", "not an HTTP/1.1 request"),
        Err(_) => return,
    };
    // The client may be gone; nothing to do about it.
    let _ = stream.write_all(&response.into_bytes()).await;
    let _ = stream.shutdown().await;
}

/// The request line and headers, up to the blank line.
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        if buf.len() > MAX_HEAD {
            return None;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8(buf).ok()
}

struct Response {
    status: u16,
    reason: &'static str,
    body: String,
}

impl Response {
    fn error(status: u16, reason: &'static str, message: &str) -> Self {
        Self {
            status,
            reason,
            body: serde_json::json!({ "code": reason, "message": message }).to_string(),
        }
    }

    fn into_bytes(self) -> Vec<u8> {
        format!(
            "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Cache-Control: no-store\r\nConnection: close\r\n\r\n{}",
            self.status,
            self.reason,
            self.body.len(),
            self.body
        )
        .into_bytes()
    }
}

async fn respond(head: &str, shared: &Shared) -> Response {
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let (method, target) = (request_line.next(), request_line.next());
    let authorization = lines.find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("authorization")
            .then(|| value.trim())
    });
    // The token is checked first, so a caller without it learns nothing else.
    match authorization {
        None => return Response::error(401, "Unauthorized", "Authorization header missing"),
        Some(given) if !same_token(given.as_bytes(), shared.token.expose().as_bytes()) => {
            return Response::error(403, "Forbidden", "wrong authorization token")
        }
        Some(_) => {}
    }
    if method != Some("GET") {
        return Response::error(405, "Method Not Allowed", "only GET is served");
    }
    if target != Some(PATH) {
        return Response::error(404, "Not Found", "no such path");
    }
    match current(shared).await {
        Ok(credentials) => Response {
            status: 200,
            reason: "OK",
            body: document(&credentials),
        },
        Err(message) => Response::error(500, "Internal Server Error", &message),
    }
}

/// Compare without an early exit, so the time taken says nothing about how much of a guess
/// was right.
fn same_token(given: &[u8], expected: &[u8]) -> bool {
    if given.len() != expected.len() {
        return false;
    }
    let difference = given
        .iter()
        .zip(expected)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    std::hint::black_box(difference) == 0
}

/// The credentials to serve now: renewed first when less than the lead is left. A renewal that
/// fails while the current credentials still work serves those (and says so on stderr); the
/// command gets an error only once nothing valid is left.
async fn current(shared: &Shared) -> Result<Credentials, String> {
    let mut guard = shared.current.lock().await;
    let (current, obtained) = &mut *guard;
    let engine = &shared.engine;
    let now = engine.clock().now();
    let left = |c: &Credentials| {
        c.expiration
            .map(|at| at.duration_since(now).unwrap_or_default())
            .unwrap_or(Duration::MAX)
    };
    let length = current
        .expiration
        .and_then(|at| at.duration_since(*obtained).ok());
    if left(current) > engine.serving_margin(length) {
        return Ok(current.clone());
    }
    match crate::serve::fresh(engine, &shared.name, &shared.request, &Unattended).await {
        Ok(renewed) => {
            *current = renewed;
            *obtained = now;
            Ok(current.clone())
        }
        Err(error) if left(current) > Duration::ZERO => {
            eprintln!(
                "rolekeeper: could not renew `{}` ({error:#}); serving the current credentials \
                 until they expire",
                shared.name
            );
            Ok(current.clone())
        }
        Err(error) => Err(format!("{error:#}")),
    }
}

/// The container-credentials document (the field names botocore's ContainerProvider and the
/// other SDKs read).
fn document(credentials: &Credentials) -> String {
    serde_json::json!({
        "AccessKeyId": credentials.access_key_id,
        "SecretAccessKey": credentials.secret_access_key.expose(),
        "Token": credentials.session_token.as_ref().map(Secret::expose).unwrap_or_default(),
        // RFC 3339 with `Z`: what the Rust and Go SDKs parse, and botocore too.
        "Expiration": credentials.expiration.map(isoformat).unwrap_or_default().replace("+00:00", "Z"),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(same_token(b"abcd", b"abcd"));
        assert!(!same_token(b"abce", b"abcd"));
        assert!(!same_token(b"abc", b"abcd"));
        assert!(!same_token(b"", b"abcd"));
    }

    #[test]
    fn tokens_are_random_hex() {
        let a = random_token().expect("token");
        let b = random_token().expect("token");
        assert_eq!(a.expose().len(), 64);
        assert!(a.expose().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.expose(), b.expose());
    }
}
