//! Signing in to IAM Identity Center: in the browser (authorization code with PKCE, back to a
//! listener on 127.0.0.1 bound before the browser opens, the `state` checked), or with a device
//! code for machines without a browser (polled at the service's interval, 5 s more on each
//! `slow_down`, as RFC 8628 says).
//!
//! What the user must see (the URL, the code) goes through [`SignInUi`]: the command line prints
//! it, the desktop shows it in a dialog.

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use sha2::Digest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::cache::CachedToken;
use super::config::SsoSession;
use super::keeper::{keep_sign_in, registration_for, SsoDeps};
use super::service::{self, DeviceAuthorization, Grant, SsoErrorKind};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::secret::Secret;

/// How the user signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// In the browser, back to RoleKeeper on 127.0.0.1 (authorization code with PKCE). A legacy
    /// profile (no `[sso-session]`) cannot: it uses the device code, as the AWS CLI does.
    Browser,
    /// A code the user types on the verification page, from any device.
    DeviceCode,
}

/// What the user is shown during a sign-in.
#[derive(Debug, Clone, Copy)]
pub enum Step<'a> {
    /// Open this page to sign in (`opened`: a browser was started with it).
    OpenUrl { url: &'a str, opened: bool },
    /// Confirm this code on the verification page (`opened`: a browser was started with the
    /// page, the code filled in).
    DeviceCode {
        user_code: &'a str,
        verification_uri: &'a str,
        verification_uri_complete: &'a str,
        opened: bool,
    },
    /// Signed in, until `until`.
    SignedIn { until: SystemTime },
}

/// Where sign-in steps are shown. Called from async code; must not block.
pub trait SignInUi: Send + Sync {
    fn show(&self, session: &str, step: Step<'_>);
}

/// A UI that only logs (the engine signing in for a program that asked through it: the browser
/// is what the user sees).
#[derive(Debug, Clone, Copy, Default)]
pub struct LogOnly;

impl SignInUi for LogOnly {
    fn show(&self, session: &str, step: Step<'_>) {
        match step {
            Step::OpenUrl { opened, .. } => {
                tracing::info!(session, opened, "SSO sign-in: waiting for the browser");
            }
            Step::DeviceCode { user_code, .. } => {
                tracing::info!(
                    session,
                    user_code,
                    "SSO sign-in: waiting for the code to be confirmed"
                );
            }
            Step::SignedIn { .. } => tracing::info!(session, "SSO sign-in done"),
        }
    }
}

/// How long a sign-in may wait for the user (the AWS CLI's 10 minutes).
pub const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(600);

/// A sign-in to run: how, whether to open a browser, and where to show the steps.
pub struct SignIn<'a> {
    pub flow: Flow,
    pub open_browser: bool,
    pub ui: &'a dyn SignInUi,
    pub timeout: Duration,
}

impl std::fmt::Debug for SignIn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn")
            .field("flow", &self.flow)
            .field("open_browser", &self.open_browser)
            .finish_non_exhaustive()
    }
}

impl SignIn<'_> {
    /// Sign in unless someone else did while this one waited for its turn (`dead`: an access
    /// token known refused, which does not count).
    pub async fn once(
        &self,
        deps: &SsoDeps<'_>,
        session: &SsoSession,
        dead: Option<&Secret>,
    ) -> Result<CachedToken> {
        let _exclusive = deps.exclusive(session).await;
        if let Some(token) = deps.read_token(session) {
            let refused = dead.is_some_and(|d| d.expose() == token.access_token.expose());
            if token.left(deps.now()) > Duration::from_secs(60) && !refused {
                return Ok(token);
            }
        }
        self.run_locked(deps, session).await
    }

    /// Sign in now, whatever the token file holds.
    pub async fn run(&self, deps: &SsoDeps<'_>, session: &SsoSession) -> Result<CachedToken> {
        let _exclusive = deps.exclusive(session).await;
        self.run_locked(deps, session).await
    }

    async fn run_locked(&self, deps: &SsoDeps<'_>, session: &SsoSession) -> Result<CachedToken> {
        let flow = if session.name.is_none() {
            Flow::DeviceCode
        } else {
            self.flow
        };
        let sign_in = async {
            match flow {
                Flow::Browser => self.browser(deps, session).await,
                Flow::DeviceCode => self.device_code(deps, session).await,
            }
        };
        let token = tokio::time::timeout(self.timeout, sign_in)
            .await
            .map_err(|_| Error::SsoSignInFailed {
                session: session.label().to_owned(),
                why: format!(
                    "nobody finished it within {} minutes; run `rolekeeper sso login {}` again",
                    self.timeout.as_secs() / 60,
                    session.label()
                ),
            })??;
        self.ui.show(
            session.label(),
            Step::SignedIn {
                until: token.expires_at,
            },
        );
        Ok(token)
    }

    async fn browser(&self, deps: &SsoDeps<'_>, session: &SsoSession) -> Result<CachedToken> {
        let failed = |why: String| Error::SsoSignInFailed {
            session: session.label().to_owned(),
            why,
        };
        // Bound before the browser opens: a warm Identity Center session redirects at once.
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| failed(format!("cannot listen on 127.0.0.1 for the browser ({e})")))?;
        let port = listener
            .local_addr()
            .map_err(|e| failed(format!("cannot listen on 127.0.0.1 ({e})")))?
            .port();
        let registration = registration_for(deps, session, true).await?;
        let (Some(verifier), Some(state)) = (random_text(64), random_text(32)) else {
            return Err(failed(
                "the system has no random source for the sign-in's secrets".to_owned(),
            ));
        };
        let verifier = Secret::new(verifier);
        let redirect_uri = format!("http://127.0.0.1:{port}/oauth/callback");
        let endpoints = deps.endpoints(session);
        let scopes = session.registration_scopes().join(" ");
        let url = url::Url::parse_with_params(
            &endpoints.authorize_url(),
            &[
                ("response_type", "code"),
                ("client_id", registration.client_id.as_str()),
                ("redirect_uri", redirect_uri.as_str()),
                ("state", state.as_str()),
                ("code_challenge_method", "S256"),
                ("scopes", scopes.as_str()),
                ("code_challenge", challenge(&verifier).as_str()),
            ],
        )
        .map_err(|e| failed(format!("cannot build the sign-in URL ({e})")))?;
        let opened = self.open_browser && open_browser(deps.env, url.as_str());
        self.ui.show(
            session.label(),
            Step::OpenUrl {
                url: url.as_str(),
                opened,
            },
        );
        let code = wait_for_callback(&listener, &state).await.map_err(failed)?;
        let new = service::create_token(
            &endpoints,
            &registration,
            Grant::AuthCode {
                code: &code,
                redirect_uri: &redirect_uri,
                verifier: &verifier,
            },
        )
        .await
        .map_err(|cause| Error::Sso {
            session: session.label().to_owned(),
            cause,
        })?;
        keep_sign_in(deps, session, &registration, new).await
    }

    async fn device_code(&self, deps: &SsoDeps<'_>, session: &SsoSession) -> Result<CachedToken> {
        let sso_error = |cause| Error::Sso {
            session: session.label().to_owned(),
            cause,
        };
        let endpoints = deps.endpoints(session);
        let registration = registration_for(deps, session, false).await?;
        let auth: DeviceAuthorization =
            service::start_device_authorization(&endpoints, &registration, &session.start_url)
                .await
                .map_err(sso_error)?;
        let mut interval = auth.interval;
        let mut shown = false;
        // One try before showing anything: the client may already be authorized.
        loop {
            match service::create_token(
                &endpoints,
                &registration,
                Grant::DeviceCode(&auth.device_code),
            )
            .await
            {
                Ok(new) => return keep_sign_in(deps, session, &registration, new).await,
                Err(e) if e.kind == SsoErrorKind::Pending => {}
                Err(e) if e.kind == SsoErrorKind::SlowDown => interval += Duration::from_secs(5),
                Err(e) if e.is_transient() => {
                    tracing::warn!(error = %e, "device sign-in poll failed; polling on");
                }
                Err(e) => return Err(sso_error(e)),
            }
            if !shown {
                shown = true;
                let opened =
                    self.open_browser && open_browser(deps.env, &auth.verification_uri_complete);
                self.ui.show(
                    session.label(),
                    Step::DeviceCode {
                        user_code: &auth.user_code,
                        verification_uri: &auth.verification_uri,
                        verification_uri_complete: &auth.verification_uri_complete,
                        opened,
                    },
                );
            }
            tokio::time::sleep(interval).await;
        }
    }
}

/// Accept connections on `listener` until one brings the callback with `state`; answer each
/// with a short page. A callback with another `state` is refused and waited past (it is not
/// this sign-in's); one with `error` ends the sign-in.
async fn wait_for_callback(listener: &TcpListener, state: &str) -> Result<Secret, String> {
    loop {
        let (stream, _) = listener
            .accept()
            .await
            .map_err(|e| format!("the browser could not reach RoleKeeper ({e})"))?;
        match handle(stream, state).await {
            Callback::Code(code) => return Ok(code),
            Callback::Refused(why) => return Err(why),
            Callback::Other => {}
        }
    }
}

enum Callback {
    Code(Secret),
    Refused(String),
    Other,
}

async fn handle(mut stream: TcpStream, state: &str) -> Callback {
    let mut buf = Vec::with_capacity(2048);
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut chunk = [0u8; 1024];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    if read.is_err() {
        return Callback::Other;
    }
    let text = String::from_utf8_lossy(&buf);
    let target = text
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("GET "))
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or("");
    let Ok(url) = url::Url::parse(&format!("http://127.0.0.1{target}")) else {
        respond(&mut stream, 400, "Not a sign-in callback.").await;
        return Callback::Other;
    };
    if url.path() != "/oauth/callback" {
        respond(&mut stream, 404, "Not found.").await;
        return Callback::Other;
    }
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    if param("state").as_deref() != Some(state) {
        respond(
            &mut stream,
            400,
            "This sign-in link is not the one RoleKeeper is waiting for.",
        )
        .await;
        return Callback::Other;
    }
    if let Some(error) = param("error") {
        respond(
            &mut stream,
            200,
            "The sign-in was refused. You can close this tab.",
        )
        .await;
        return Callback::Refused(format!("IAM Identity Center answered `{error}`"));
    }
    match param("code") {
        Some(code) => {
            respond(
                &mut stream,
                200,
                "Signed in. RoleKeeper has your sign-in; you can close this tab.",
            )
            .await;
            Callback::Code(Secret::new(code))
        }
        None => {
            respond(&mut stream, 400, "The callback had no code.").await;
            Callback::Other
        }
    }
}

async fn respond(stream: &mut TcpStream, status: u16, message: &str) {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>RoleKeeper</title></head>\
         <body style=\"font-family:sans-serif;margin:3em\"><h1>RoleKeeper</h1><p>{message}</p></body></html>"
    );
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// PKCE's S256 challenge: base64url(sha256(verifier)), no padding.
fn challenge(verifier: &Secret) -> String {
    let digest = sha2::Sha256::digest(verifier.expose().as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

/// `length` characters from RFC 7636's unreserved set, from the OS's random source; `None`
/// without one (a sign-in then cannot be made safe, and is refused).
fn random_text(length: usize) -> Option<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    let mut bytes = vec![0u8; length];
    getrandom::fill(&mut bytes).ok()?;
    Some(
        bytes
            .iter()
            .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
            .collect(),
    )
}

/// Whether [`open_browser`] has a way to open a page here: `$BROWSER`, macOS, or a display.
pub fn browser_available(env: &dyn Env) -> bool {
    env.non_empty("BROWSER").is_some()
        || cfg!(target_os = "macos")
        || env.non_empty("DISPLAY").is_some()
        || env.non_empty("WAYLAND_DISPLAY").is_some()
}

/// Open `url` the desktop's usual way: `$BROWSER` first (a `:`-separated list of commands, `%s`
/// standing for the URL, as Python's `webbrowser` reads it), else `xdg-open` when there is a
/// display (`open` on macOS). Whether a browser was started.
pub fn open_browser(env: &dyn Env, url: &str) -> bool {
    if let Some(list) = env.non_empty("BROWSER") {
        return list
            .split(':')
            .filter(|e| !e.trim().is_empty())
            .any(|entry| open_with(entry, url));
    }
    if cfg!(target_os = "macos") {
        return spawn_detached(&["open".to_owned(), url.to_owned()]);
    }
    let display = env.non_empty("DISPLAY").is_some() || env.non_empty("WAYLAND_DISPLAY").is_some();
    display && spawn_detached(&["xdg-open".to_owned(), url.to_owned()])
}

/// Open `url` with one browser command, as one entry of `$BROWSER` reads: words split at
/// whitespace, `%s` standing for the URL (appended when no word has it). Whether it started.
pub fn open_with(command: &str, url: &str) -> bool {
    let mut words: Vec<String> = command.split_whitespace().map(str::to_owned).collect();
    if words.iter().any(|w| w.contains("%s")) {
        for w in &mut words {
            *w = w.replace("%s", url);
        }
    } else {
        words.push(url.to_owned());
    }
    spawn_detached(&words)
}

pub(crate) fn spawn_detached(words: &[String]) -> bool {
    let Some((program, args)) = words.split_first() else {
        return false;
    };
    let child = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    match child {
        Ok(mut child) => {
            // Reaped in the background: a browser may run for hours.
            std::thread::spawn(move || {
                let _ = child.wait();
            });
            true
        }
        Err(e) => {
            tracing::info!(program = %program, error = %e, "cannot start the browser");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_rfc_7636s() {
        // RFC 7636, appendix B.
        let verifier = Secret::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            challenge(&verifier),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let text = random_text(64).expect("random");
        assert_eq!(text.len(), 64);
        assert!(text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)));
        assert_ne!(Some(text), random_text(64));
    }

    #[tokio::test]
    async fn the_callback_with_the_wrong_state_is_waited_past() {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let get = |path: &'static str| async move {
            let mut s = TcpStream::connect(("127.0.0.1", port))
                .await
                .expect("connect");
            s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
                .await
                .expect("write");
            let mut answer = String::new();
            s.read_to_string(&mut answer).await.expect("read");
            answer
        };
        let waiting = tokio::spawn(async move { wait_for_callback(&listener, "good").await });
        assert!(get("/favicon.ico").await.starts_with("HTTP/1.1 404"));
        assert!(get("/oauth/callback?code=evil&state=bad")
            .await
            .starts_with("HTTP/1.1 400"));
        assert!(get("/oauth/callback?code=c1&state=good")
            .await
            .starts_with("HTTP/1.1 200"));
        let code = waiting.await.expect("join").expect("code");
        assert_eq!(code.expose(), "c1");
    }
}
