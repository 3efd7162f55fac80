//! The fake AWS federation endpoint (`support/fake_federation.py`) for one test: killed when
//! dropped; its request log is printed if the test failed.

use serde_json::Value;

use crate::{control_call, ChildGuard};

/// A running fake federation endpoint.
#[derive(Debug)]
pub struct FakeFederation {
    child: ChildGuard,
    port: u16,
    log: tempfile::NamedTempFile,
}

impl FakeFederation {
    /// Start one on an ephemeral port.
    pub fn start() -> Self {
        let (child, port, log) = crate::start_fake("fake_federation.py");
        Self { child, port, log }
    }

    /// `ROLEKEEPER_SIGNIN_ENDPOINT` for a RoleKeeper that signs in here.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Merge-set settings (`refuse_session_duration`, `fail_next`); an unknown key fails the
    /// test.
    pub fn config(&self, settings: Value) {
        control_call(self.port, "POST", "/__fake/config", Some(&settings));
    }

    /// `counts` (`tokens`, `refused`, `failed`, `logins`, `logins_refused`, `action:NAME`),
    /// `token_requests` (`session_id`, `session_duration` or null) and `logins`
    /// (`destination`), in order.
    pub fn stats(&self) -> Value {
        control_call(self.port, "GET", "/__fake/stats", None)
    }

    /// One of the `counts`; 0 when never counted.
    pub fn count(&self, what: &str) -> u64 {
        self.stats()["counts"][what].as_u64().unwrap_or(0)
    }

    /// The environment of a RoleKeeper that signs in here and whose browser
    /// (`support/sso_browser.py`, recording only) writes each URL it is asked to open as a line
    /// of `browser_log`.
    pub fn client_env(&self, browser_log: &std::path::Path) -> Vec<(&'static str, String)> {
        vec![
            ("ROLEKEEPER_SIGNIN_ENDPOINT", self.url()),
            (
                "BROWSER",
                crate::fake_sso::browser_script().display().to_string(),
            ),
            ("ROLEKEEPER_TEST_BROWSER_MODE", "record-only".to_owned()),
            (
                "ROLEKEEPER_TEST_BROWSER_LOG",
                browser_log.display().to_string(),
            ),
        ]
    }

    /// The fake's request log so far (paths only, never a query).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }
}

impl Drop for FakeFederation {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let status = self.child.try_wait().ok().flatten();
            eprintln!(
                "--- fake federation endpoint log (exited: {status:?})\n{}",
                self.log()
            );
        }
    }
}
