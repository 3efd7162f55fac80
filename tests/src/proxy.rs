//! `rk-sts-proxy` for one test: a fault-injecting proxy in front of moto, for STS and IAM (see
//! `src/bin/rk-sts-proxy.rs` for the control API). Killed when dropped.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::{bin, control_call, require_env, start_announcing_port, ChildGuard};

/// What the proxy does to a matching call instead of (or before) forwarding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 400 `Throttling` "Rate exceeded".
    Throttling,
    /// The status (500, 503) with an `InternalFailure` body.
    ServerError(u16),
    /// Close the connection without answering (a reset).
    Reset,
    /// Wait this long, then forward.
    Delay(Duration),
    /// 400 `ExpiredToken`.
    ExpiredToken,
    /// 403 `AccessDenied`.
    AccessDenied,
    /// 403 `InvalidClientTokenId`: the key is unknown (yet), as for a new IAM key that has not
    /// reached every endpoint.
    InvalidToken,
}

impl Fault {
    /// The control API's spelling: `{"fault": "server_error", "status": 503}` and so on.
    pub fn to_json(self) -> Value {
        match self {
            Fault::Throttling => json!({"fault": "throttling"}),
            Fault::ServerError(status) => json!({"fault": "server_error", "status": status}),
            Fault::Reset => json!({"fault": "reset"}),
            Fault::Delay(d) => {
                json!({"fault": "delay", "ms": u64::try_from(d.as_millis()).unwrap_or(u64::MAX)})
            }
            Fault::ExpiredToken => json!({"fault": "expired_token"}),
            Fault::AccessDenied => json!({"fault": "access_denied"}),
            Fault::InvalidToken => json!({"fault": "invalid_token"}),
        }
    }

    /// The fault a control call names; the error says what is wrong with it.
    pub fn from_json(v: &Value) -> Result<Self, String> {
        let name = v
            .get("fault")
            .and_then(Value::as_str)
            .ok_or("`fault` is missing")?;
        Ok(match name {
            "throttling" => Fault::Throttling,
            "server_error" => {
                let status = v.get("status").and_then(Value::as_u64).unwrap_or(500);
                Fault::ServerError(
                    u16::try_from(status)
                        .ok()
                        .filter(|s| (500..=599).contains(s))
                        .ok_or("`status` must be 5xx")?,
                )
            }
            "reset" => Fault::Reset,
            "delay" => Fault::Delay(Duration::from_millis(
                v.get("ms")
                    .and_then(Value::as_u64)
                    .ok_or("`ms` is missing")?,
            )),
            "expired_token" => Fault::ExpiredToken,
            "access_denied" => Fault::AccessDenied,
            "invalid_token" => Fault::InvalidToken,
            other => return Err(format!("unknown fault `{other}`")),
        })
    }
}

/// A running proxy.
#[derive(Debug)]
pub struct StsProxy {
    _child: ChildGuard,
    port: u16,
}

impl StsProxy {
    /// Start a proxy in front of moto (`ROLEKEEPER_TEST_STS_URL`).
    pub fn start() -> Self {
        let upstream = require_env("ROLEKEEPER_TEST_STS_URL");
        let (child, port) = start_announcing_port(
            Command::new(bin("rk-sts-proxy"))
                .arg(upstream)
                .stderr(Stdio::inherit()),
            "LISTENING ",
            String::new,
        );
        Self {
            _child: child,
            port,
        }
    }

    /// The value for `AWS_ENDPOINT_URL_STS`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Apply `fault` to the next `times` calls (`None`: until [`clear`](Self::clear)), only to
    /// calls of `action` when given.
    pub fn fault(&self, fault: Fault, times: Option<u64>, action: Option<&str>) {
        let mut spec = fault.to_json();
        if let Some(n) = times {
            spec["times"] = json!(n);
        }
        if let Some(a) = action {
            spec["action"] = json!(a);
        }
        self.control("POST", "/__faults", Some(&spec));
    }

    /// Remove every fault.
    pub fn clear(&self) {
        self.control("DELETE", "/__faults", None);
    }

    /// Refuse AssumeRole/GetSessionToken calls whose `TokenCode` is not `code`.
    pub fn expect_mfa_code(&self, code: &str) {
        self.control("POST", "/__mfa", Some(&json!({"code": code})));
    }

    /// As AWS checks a TOTP code: calls whose `TokenCode` is not `code` are refused, and `code`
    /// itself is accepted once, every later call carrying it refused (codes spent before stay
    /// spent). Counted in [`calls`](Self::calls) as `refused_codes` and `reused_codes`.
    pub fn expect_mfa_code_once(&self, code: &str) {
        self.control("POST", "/__mfa", Some(&json!({"code": code, "once": true})));
    }

    /// How many calls were refused for their MFA code (wrong, or spent in once mode).
    pub fn refused_codes(&self) -> u64 {
        self.calls()["refused_codes"].as_u64().unwrap_or(0)
    }

    /// Forget faults, the MFA code and the counts.
    pub fn reset(&self) {
        self.control("POST", "/__reset", None);
    }

    /// `{"calls": {Action: n}, "last_token_code": .., "token_codes": {code: n}, "refused_codes":
    /// n, "reused_codes": n}`.
    pub fn calls(&self) -> Value {
        self.control("GET", "/__calls", None)
    }

    /// The access key id that signed the last call of `action` (a test's own keys, never a
    /// secret), if any came.
    pub fn signer(&self, action: &str) -> Option<String> {
        self.calls()["signers"][action].as_str().map(str::to_owned)
    }

    /// How many calls of `action` the proxy has seen.
    pub fn count(&self, action: &str) -> u64 {
        self.calls()["calls"][action].as_u64().unwrap_or(0)
    }

    fn control(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        control_call(self.port, method, path, body)
    }
}
