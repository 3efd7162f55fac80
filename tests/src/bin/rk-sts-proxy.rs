//! A fault-injecting STS (and IAM) proxy for the end-to-end suites.
//!
//! `rk-sts-proxy UPSTREAM_URL` listens on 127.0.0.1 (an ephemeral port, printed as
//! `LISTENING <port>` on stdout) and forwards STS and IAM requests (both form-encoded POSTs with
//! an `Action`) to `UPSTREAM_URL` (moto), unless a fault says otherwise. One request per
//! connection (`Connection: close`).
//!
//! Control API on the same port (JSON bodies):
//! - `POST /__faults` `{"fault": F, "times": N, "action": A, "status": S, "ms": M}` queues a fault
//!   for the next `N` calls (every call until cleared when `times` is absent), only for calls of
//!   `Action=A` when given. `F` is one of `throttling` (400 `Throttling`), `server_error` (`S` =
//!   500 or 503, `InternalFailure`), `reset` (close without answering), `delay` (`M` ms, then
//!   forward), `expired_token` (400 `ExpiredToken`), `access_denied` (403 `AccessDenied`),
//!   `invalid_token` (403 `InvalidClientTokenId`).
//! - `DELETE /__faults` clears every fault.
//! - `POST /__mfa` `{"code": "123456"}` (or `null`): AssumeRole/GetSessionToken calls carrying a
//!   different `TokenCode` are refused with 403 `AccessDenied` as STS does; calls without one pass.
//!   With `"once": true` the code is also accepted once only, as AWS accepts a TOTP code: the
//!   first call carrying it passes, every later one (in any action) is refused the same way, with
//!   STS's "MultiFactorAuthentication failed with invalid MFA one time pass code." A code stays
//!   spent when another is set, so a test can move to the device's next code. A call refused by a
//!   fault (see above) does not spend its code; a delayed one spends it when it is let through.
//! - `GET /__calls`: `{"calls": {Action: count}, "signers": {Action: access key id}, "last_token_code":
//!   .., "token_codes": {code: count}, "refused_codes": n, "reused_codes": n}`: `signers` names the
//!   key that signed the last call of each action (from the `Authorization` header; no secret is
//!   in it), `refused_codes` counts the calls refused for their `TokenCode` (wrong or spent),
//!   `reused_codes` those of them refused because it was spent.
//! - `POST /__reset`: clears faults, the MFA code (and the spent ones) and the counts.
//!
//! The log (stderr) names actions and faults only, never a code or a credential.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use rolekeeper_tests::proxy::Fault;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

type Error = Box<dyn std::error::Error + Send + Sync>;
type Result<T, E = Error> = std::result::Result<T, E>;

/// The largest request or response head or body the proxy accepts.
const MAX_MESSAGE: usize = 1 << 20;

#[derive(Debug, Clone)]
struct QueuedFault {
    kind: Fault,
    /// Calls left; `None` until cleared.
    remaining: Option<u64>,
    action: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    faults: Vec<QueuedFault>,
    mfa: MfaCheck,
    calls: BTreeMap<String, u64>,
    signers: BTreeMap<String, String>,
    last_token_code: Option<String>,
    token_codes: BTreeMap<String, u64>,
    request_ids: u64,
}

impl State {
    /// The fault for this call, if any, counting it down.
    fn take_fault(&mut self, action: &str) -> Option<Fault> {
        let index = self.faults.iter().position(|f| {
            f.action.as_deref().is_none_or(|a| a == action) && f.remaining != Some(0)
        })?;
        let fault = &mut self.faults[index];
        let kind = fault.kind;
        if let Some(n) = &mut fault.remaining {
            *n -= 1;
            if *n == 0 {
                self.faults.remove(index);
            }
        }
        Some(kind)
    }

    fn request_id(&mut self) -> String {
        self.request_ids += 1;
        format!(
            "{:08x}-0000-4000-8000-{:012x}",
            std::process::id(),
            self.request_ids
        )
    }
}

type Shared = Arc<Mutex<State>>;

/// How the proxy checks `TokenCode` as STS does.
#[derive(Debug, Default)]
struct MfaCheck {
    /// The code the device shows now; `None`: codes are not checked.
    code: Option<String>,
    /// Each code is accepted once (`"once": true`), as AWS accepts a TOTP code.
    once: bool,
    /// Codes already accepted in once mode.
    spent: BTreeSet<String>,
    /// Calls refused for their code, and how many of them because it was spent.
    refused: u64,
    reused: u64,
}

/// What the check says of one call's `TokenCode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CodeVerdict {
    /// No code checked, no code sent, or the right one (spent now in once mode).
    Pass,
    /// Not the code the device shows.
    Wrong,
    /// The right code, already accepted once.
    Spent,
}

impl MfaCheck {
    /// Judge `sent` (a call's `TokenCode`) and count a refusal.
    fn judge(&mut self, sent: Option<&str>) -> CodeVerdict {
        let (Some(expected), Some(sent)) = (self.code.as_deref(), sent) else {
            return CodeVerdict::Pass;
        };
        let verdict = if expected != sent {
            CodeVerdict::Wrong
        } else if self.once && !self.spent.insert(sent.to_owned()) {
            CodeVerdict::Spent
        } else {
            CodeVerdict::Pass
        };
        match verdict {
            CodeVerdict::Pass => {}
            CodeVerdict::Wrong => self.refused += 1,
            CodeVerdict::Spent => {
                self.refused += 1;
                self.reused += 1;
            }
        }
        verdict
    }
}

#[derive(Debug)]
struct Request {
    method: String,
    path: String,
    /// Header lines as received, without the request line and the blank line.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug)]
struct Upstream {
    host_port: String,
}

fn main() {
    if let Err(e) = run() {
        eprintln!("rk-sts-proxy: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let url = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("ROLEKEEPER_TEST_STS_URL").ok())
        .ok_or("usage: rk-sts-proxy UPSTREAM_URL (e.g. http://127.0.0.1:5055)")?;
    let host_port = url
        .strip_prefix("http://")
        .ok_or("the upstream URL must start with http://")?
        .trim_end_matches('/')
        .to_owned();
    let upstream = Arc::new(Upstream { host_port });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(upstream))
}

async fn serve(upstream: Arc<Upstream>) -> Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        writeln!(out, "LISTENING {port}")?;
        out.flush()?;
    }
    let state: Shared = Arc::default();
    loop {
        let (stream, _) = listener.accept().await?;
        let state = state.clone();
        let upstream = upstream.clone();
        tokio::spawn(async move {
            if let Err(e) = handle(stream, &state, &upstream).await {
                eprintln!("rk-sts-proxy: {e}");
            }
        });
    }
}

async fn handle(mut stream: TcpStream, state: &Shared, upstream: &Upstream) -> Result<()> {
    let Some(request) = read_request(&mut stream).await? else {
        return Ok(());
    };
    if request.path.starts_with("/__") {
        let (status, body) = control(&request, state);
        let body = body.to_string();
        return respond(
            &mut stream,
            status,
            "application/json",
            &[],
            body.as_bytes(),
        )
        .await;
    }
    let form = parse_form(&request.body);
    let action = form
        .get("Action")
        .cloned()
        .unwrap_or_else(|| "(none)".to_owned());
    let token_code = form.get("TokenCode").cloned();
    let role_arn = form.get("RoleArn").cloned();
    // `Credential=AKID/20260101/us-east-1/iam/aws4_request`: the signing key and the service.
    let scope = request
        .header("authorization")
        .and_then(|a| a.split("Credential=").nth(1))
        .map(|c| c.split([',', ' ']).next().unwrap_or_default().to_owned())
        .unwrap_or_default();
    let mut scope_parts = scope.split('/');
    let signer = scope_parts.next().unwrap_or_default().to_owned();
    let service = scope_parts.nth(2).unwrap_or("sts").to_owned();

    let (fault, request_id) = {
        let mut s = lock(state);
        *s.calls.entry(action.clone()).or_default() += 1;
        if !signer.is_empty() {
            s.signers.insert(action.clone(), signer);
        }
        if let Some(code) = &token_code {
            s.last_token_code = Some(code.clone());
            *s.token_codes.entry(code.clone()).or_default() += 1;
        }
        let fault = s.take_fault(&action);
        (fault, s.request_id())
    };

    match fault {
        Some(Fault::Reset) => {
            eprintln!("rk-sts-proxy: {action}: fault reset");
            // RST instead of FIN: the client sees the connection reset, not a clean close.
            stream.set_zero_linger()?;
            drop(stream);
            return Ok(());
        }
        Some(Fault::Delay(ms)) => {
            eprintln!("rk-sts-proxy: {action}: fault delay {} ms", ms.as_millis());
            tokio::time::sleep(ms).await;
        }
        Some(kind) => {
            eprintln!("rk-sts-proxy: {action}: fault {kind:?}");
            let (status, kind_type, code, message) = match kind {
                Fault::Throttling => (400, "Sender", "Throttling", "Rate exceeded".to_owned()),
                Fault::ServerError(status) => (
                    status,
                    "Receiver",
                    "InternalFailure",
                    "The request processing has failed because of an unknown error, exception or failure.".to_owned(),
                ),
                Fault::ExpiredToken => (
                    400,
                    "Sender",
                    "ExpiredToken",
                    "The security token included in the request is expired".to_owned(),
                ),
                Fault::AccessDenied => (
                    403,
                    "Sender",
                    "AccessDenied",
                    format!(
                        "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: {service}:{action} on resource: {}",
                        role_arn.as_deref().unwrap_or("*")
                    ),
                ),
                Fault::InvalidToken => (
                    403,
                    "Sender",
                    "InvalidClientTokenId",
                    "The security token included in the request is invalid.".to_owned(),
                ),
                Fault::Reset | Fault::Delay(_) => {
                    return Err("unreachable fault kind".into());
                }
            };
            return respond_error(&mut stream, status, kind_type, code, &message, &request_id)
                .await;
        }
        None => {}
    }
    // Judged once the call is let through (after a delay): a call a fault refused spends no code.
    let verdict = if matches!(action.as_str(), "AssumeRole" | "GetSessionToken") {
        lock(state).mfa.judge(token_code.as_deref())
    } else {
        CodeVerdict::Pass
    };
    if verdict != CodeVerdict::Pass {
        let why = if verdict == CodeVerdict::Spent {
            "MFA code used before"
        } else {
            "wrong MFA code"
        };
        eprintln!("rk-sts-proxy: {action}: {why}, refused");
        return respond_error(
            &mut stream,
            403,
            "Sender",
            "AccessDenied",
            "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
            &request_id,
        )
        .await;
    }
    eprintln!("rk-sts-proxy: {action}: forwarded");
    forward(&mut stream, &request, upstream).await
}

fn lock(state: &Shared) -> std::sync::MutexGuard<'_, State> {
    // A panic while holding the lock leaves plain data behind; keep serving.
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn control(request: &Request, state: &Shared) -> (u16, Value) {
    let mut s = lock(state);
    match (request.method.as_str(), request.path.as_str()) {
        ("GET", "/__calls") => (
            200,
            json!({
                "calls": s.calls,
                "signers": s.signers,
                "last_token_code": s.last_token_code,
                "token_codes": s.token_codes,
                "refused_codes": s.mfa.refused,
                "reused_codes": s.mfa.reused,
            }),
        ),
        ("POST", "/__faults") => match parse_fault(&request.body) {
            Ok(fault) => {
                eprintln!(
                    "rk-sts-proxy: fault {:?} for {} calls of {}",
                    fault.kind,
                    fault
                        .remaining
                        .map_or_else(|| "all".to_owned(), |n| n.to_string()),
                    fault.action.as_deref().unwrap_or("any action")
                );
                s.faults.push(fault);
                (200, json!({"ok": true}))
            }
            Err(e) => (400, json!({"error": e})),
        },
        ("DELETE", "/__faults") => {
            s.faults.clear();
            (200, json!({"ok": true}))
        }
        ("POST", "/__mfa") => match serde_json::from_slice::<Value>(&request.body) {
            Ok(v) => {
                s.mfa.code = v.get("code").and_then(Value::as_str).map(str::to_owned);
                s.mfa.once = v.get("once").and_then(Value::as_bool).unwrap_or(false);
                (200, json!({"ok": true}))
            }
            Err(e) => (400, json!({"error": e.to_string()})),
        },
        ("POST", "/__reset") => {
            let ids = s.request_ids;
            *s = State::default();
            s.request_ids = ids;
            (200, json!({"ok": true}))
        }
        _ => (404, json!({"error": "unknown control call"})),
    }
}

fn parse_fault(body: &[u8]) -> Result<QueuedFault, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    Ok(QueuedFault {
        kind: Fault::from_json(&v)?,
        remaining: v.get("times").and_then(Value::as_u64),
        action: v.get("action").and_then(Value::as_str).map(str::to_owned),
    })
}

/// Read one HTTP/1.1 request with a Content-Length body. `None`: the peer closed first.
async fn read_request(stream: &mut TcpStream) -> Result<Option<Request>> {
    let Some((head, mut body)) = read_head(stream).await? else {
        return Ok(None);
    };
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let headers = parse_headers(lines);
    let request = Request {
        method,
        path,
        headers,
        body: Vec::new(),
    };
    if request
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        return Err("chunked request bodies are not supported".into());
    }
    let length = content_length(&request.headers)?.unwrap_or(0);
    read_body(stream, &mut body, length).await?;
    Ok(Some(Request { body, ..request }))
}

fn parse_headers<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<(String, String)> {
    lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

fn content_length(headers: &[(String, String)]) -> Result<Option<usize>> {
    match headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
    {
        None => Ok(None),
        Some((_, v)) => {
            let n: usize = v.parse()?;
            if n > MAX_MESSAGE {
                return Err("message too large".into());
            }
            Ok(Some(n))
        }
    }
}

/// Read up to the blank line; returns the head (as text) and whatever body bytes came with it.
async fn read_head(stream: &mut TcpStream) -> Result<Option<(String, Vec<u8>)>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let rest = buf[end + 4..].to_vec();
            return Ok(Some((head, rest)));
        }
        if buf.len() > MAX_MESSAGE {
            return Err("head too large".into());
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err("connection closed in the middle of a head".into())
            };
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn read_body(stream: &mut TcpStream, body: &mut Vec<u8>, length: usize) -> Result<()> {
    let mut chunk = [0u8; 8192];
    while body.len() < length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err("connection closed in the middle of a body".into());
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Ok(())
}

/// Send the request to moto and relay its answer, with `Connection: close` both ways.
async fn forward(client: &mut TcpStream, request: &Request, upstream: &Upstream) -> Result<()> {
    let mut server = TcpStream::connect(&upstream.host_port).await?;
    let mut head = format!("{} {} HTTP/1.1\r\n", request.method, request.path);
    for (k, v) in &request.headers {
        if !k.eq_ignore_ascii_case("connection") {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    head.push_str("Connection: close\r\n\r\n");
    server.write_all(head.as_bytes()).await?;
    server.write_all(&request.body).await?;
    server.flush().await?;

    let (head, mut body) = read_head(&mut server)
        .await?
        .ok_or("upstream closed without answering")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default().to_owned();
    let headers = parse_headers(lines);
    match content_length(&headers)? {
        Some(n) => read_body(&mut server, &mut body, n).await?,
        None => {
            // No length: the body runs to the end of the connection.
            let mut rest = Vec::new();
            server.read_to_end(&mut rest).await?;
            body.extend_from_slice(&rest);
            if body.len() > MAX_MESSAGE {
                return Err("upstream answer too large".into());
            }
        }
    }
    let mut out = format!("{status_line}\r\n");
    for (k, v) in &headers {
        if !k.eq_ignore_ascii_case("connection")
            && !k.eq_ignore_ascii_case("content-length")
            && !k.eq_ignore_ascii_case("transfer-encoding")
        {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    client.write_all(out.as_bytes()).await?;
    client.write_all(&body).await?;
    client.flush().await?;
    Ok(())
}

async fn respond(
    stream: &mut TcpStream,
    status: u16,
    content_type: &str,
    extra: &[(&str, &str)],
    body: &[u8],
) -> Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.flush().await?;
    Ok(())
}

/// An error as STS sends it (the awsQuery protocol's `ErrorResponse`).
async fn respond_error(
    stream: &mut TcpStream,
    status: u16,
    kind: &str,
    code: &str,
    message: &str,
    request_id: &str,
) -> Result<()> {
    let body = format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <Error>\n    \
         <Type>{kind}</Type>\n    <Code>{code}</Code>\n    <Message>{}</Message>\n  </Error>\n  \
         <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n",
        xml_escape(message)
    );
    respond(
        stream,
        status,
        "text/xml",
        &[("x-amzn-RequestId", request_id)],
        body.as_bytes(),
    )
    .await
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `application/x-www-form-urlencoded` into a map (the last value of a repeated key wins).
fn parse_form(body: &[u8]) -> BTreeMap<String, String> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                Some(b) => {
                    out.push(b);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_checked_and_in_once_mode_accepted_once() {
        let mut check = MfaCheck::default();
        // Nothing set: every call passes.
        assert_eq!(check.judge(Some("111111")), CodeVerdict::Pass);
        check.code = Some("123456".to_owned());
        // As before: the right code passes every time, a wrong one never, no code at all passes.
        for _ in 0..2 {
            assert_eq!(check.judge(Some("123456")), CodeVerdict::Pass);
        }
        assert_eq!(check.judge(Some("654321")), CodeVerdict::Wrong);
        assert_eq!(check.judge(None), CodeVerdict::Pass);
        assert_eq!((check.refused, check.reused), (1, 0));

        check.once = true;
        assert_eq!(check.judge(Some("123456")), CodeVerdict::Pass);
        assert_eq!(check.judge(Some("123456")), CodeVerdict::Spent);
        assert_eq!(check.judge(Some("000000")), CodeVerdict::Wrong);
        // The device's next code is accepted once; the spent one stays spent.
        check.code = Some("777777".to_owned());
        assert_eq!(check.judge(Some("777777")), CodeVerdict::Pass);
        assert_eq!(check.judge(Some("777777")), CodeVerdict::Spent);
        check.code = Some("123456".to_owned());
        assert_eq!(check.judge(Some("123456")), CodeVerdict::Spent);
        assert_eq!((check.refused, check.reused), (5, 3));
    }
}
