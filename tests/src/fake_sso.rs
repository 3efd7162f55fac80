//! The fake IAM Identity Center (`support/fake_identity_center.py`: the SSO-OIDC and portal APIs
//! on one loopback port, test controls under `/__fake/`) for one test, and the helpers that point
//! clients at it. Killed when dropped; its request log is printed if the test failed.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

use crate::{control_call, describe, require_env, ChildGuard};

/// A script in `tests/support/`.
fn support(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("support")
        .join(name)
}

/// A running fake Identity Center.
#[derive(Debug)]
pub struct FakeIdentityCenter {
    child: ChildGuard,
    port: u16,
    log: tempfile::NamedTempFile,
}

impl FakeIdentityCenter {
    /// Start one on an ephemeral port, with the default accounts and settings.
    pub fn start() -> Self {
        let (child, port, log) = crate::start_fake("fake_identity_center.py");
        Self { child, port, log }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The endpoint of both APIs: `AWS_ENDPOINT_URL_SSO` and `AWS_ENDPOINT_URL_SSO_OIDC`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Merge-set settings (`access_token_ttl`, `slow_down_polls`, `throttle_next`, `accounts`,
    /// `page_size`, ...: see the fake's `DEFAULTS`); an unknown key fails the test.
    pub fn config(&self, settings: Value) {
        self.control("POST", "/__fake/config", Some(&settings));
    }

    /// Approve the pending device code with this user code, as the user would in the browser.
    pub fn approve(&self, user_code: &str) {
        self.control(
            "POST",
            "/__fake/approve",
            Some(&json!({ "userCode": user_code })),
        );
    }

    /// End every portal session so far: their refresh tokens answer `InvalidGrantException`,
    /// their access tokens 401 on the portal API.
    pub fn end_portal_session(&self) {
        self.control("POST", "/__fake/end_portal_session", None);
    }

    /// Every access token issued so far is past its time (refresh tokens still work).
    pub fn expire_access_tokens(&self) {
        self.control("POST", "/__fake/expire_access_tokens", None);
    }

    /// Counts per operation (`register_client`, `create_token:device_code`,
    /// `create_token_errors:authorization_pending`, `get_role_credentials`, `throttled`, ...),
    /// `sign_ins`, `last_authorize_query` and `registrations`.
    pub fn stats(&self) -> Value {
        self.control("GET", "/__fake/stats", None)
    }

    /// One count of [`stats`](Self::stats); 0 for an operation never called.
    pub fn count(&self, op: &str) -> u64 {
        self.stats()[op].as_u64().unwrap_or(0)
    }

    /// The fake's request log so far (one line a request, tokens shortened).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    fn control(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        control_call(self.port, method, path, body)
    }
}

impl Drop for FakeIdentityCenter {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let status = self.child.try_wait().ok().flatten();
            eprintln!(
                "--- fake Identity Center log (exited: {status:?})\n{}",
                self.log()
            );
        }
    }
}

/// A config with one `[sso-session]` (`session`, its start URL the fake's) and one profile that
/// uses it (`profile`: account 111111111111, role Admin, both known to the fake). Each suite
/// names its own: the refresh token is kept in the shared keyring by session.
pub fn sso_config(session: &str, profile: &str) -> String {
    format!(
        "[sso-session {session}]\n\
         sso_start_url = https://d-1234567890.awsapps.com/start\n\
         sso_region = us-east-1\n\
         sso_registration_scopes = sso:account:access\n\
         \n\
         [profile {profile}]\n\
         sso_session = {session}\n\
         sso_account_id = 111111111111\n\
         sso_role_name = Admin\n\
         region = us-east-1\n"
    )
}

impl FakeIdentityCenter {
    /// The environment of a RoleKeeper that signs in at this fake, its browser
    /// `support/sso_browser.py` in the background (it follows the sign-in's redirect back by
    /// itself, after RoleKeeper has started it).
    pub fn client_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL_SSO", self.url()),
            ("AWS_ENDPOINT_URL_SSO_OIDC", self.url()),
            ("BROWSER", browser_script().display().to_string()),
            ("ROLEKEEPER_TEST_BROWSER_MODE", "background".to_owned()),
        ]
    }
}

/// `support/sso_browser.py`, for `BROWSER`: records each URL in `ROLEKEEPER_TEST_BROWSER_LOG`
/// and GETs it (`ROLEKEEPER_TEST_BROWSER_MODE=record-only`: records only).
pub fn browser_script() -> PathBuf {
    support("sso_browser.py")
}

/// Make `dir` an `AWS_DATA_PATH` that sends the AWS CLI's (`ROLEKEEPER_TEST_AWS_CLI`) `sso` and
/// `sso-oidc` calls to the fake on `port`: the CLI 2.9.19 has no `AWS_ENDPOINT_URL_SSO`.
pub fn aws_cli_data_path(port: u16, dir: &Path) {
    let out = Command::new(require_env("ROLEKEEPER_TEST_PYTHON"))
        .arg(support("aws_cli_sso_data_path.py"))
        .arg(port.to_string())
        .arg(dir)
        .output()
        .expect("run aws_cli_sso_data_path.py");
    assert!(
        out.status.success(),
        "aws_cli_sso_data_path.py: {}",
        describe(&out)
    );
}
