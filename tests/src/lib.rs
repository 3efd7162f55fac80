//! Shared support for the end-to-end suites in `tests/tests/`.
//!
//! The suites run the real binaries against real services. `scripts/test.sh` starts those services
//! and exports where they are; a suite that finds one missing fails with a message saying how to
//! start it (never skips).
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod desktop;
pub mod fake_federation;
pub mod fake_sso;
pub mod many;
pub mod proxy;

/// A variable that `scripts/test.sh` exports; its absence fails the test with instructions.
pub fn require_env(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v,
        _ => panic!(
            "{name} is not set: this suite needs the services that scripts/test.sh starts \
             (moto, the Python oracles, a private D-Bus desktop session). Run ./scripts/test.sh, \
             or `eval \"$(scripts/test-services.sh env)\"` before `cargo nextest run`."
        ),
    }
}

/// The directory holding the workspace's built binaries (`target/debug`).
pub fn bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("ROLEKEEPER_BIN_DIR") {
        return PathBuf::from(dir);
    }
    // target/debug/deps/<test-binary> -> target/debug
    let exe = std::env::current_exe().expect("current_exe");
    exe.parent()
        .and_then(Path::parent)
        .expect("target dir")
        .to_path_buf()
}

/// The path of a workspace binary, which must have been built (`cargo build --workspace`).
pub fn bin(name: &str) -> PathBuf {
    let path = bin_dir().join(name);
    assert!(
        path.exists(),
        "{} does not exist: build the workspace first (`cargo build --workspace`)",
        path.display()
    );
    path
}

/// A throw-away HOME with `~/.aws/config` and `~/.aws/credentials`.
#[derive(Debug)]
pub struct AwsHome {
    pub dir: tempfile::TempDir,
}

impl AwsHome {
    pub fn new(config: &str, credentials: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let aws = dir.path().join(".aws");
        std::fs::create_dir_all(&aws).expect("mkdir .aws");
        std::fs::write(aws.join("config"), config).expect("write config");
        std::fs::write(aws.join("credentials"), credentials).expect("write credentials");
        Self { dir }
    }

    pub fn home(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join(".aws/config")
    }

    pub fn credentials_path(&self) -> PathBuf {
        self.dir.path().join(".aws/credentials")
    }

    /// A command with a clean AWS environment pointing at this HOME and at moto.
    /// `rolekeeper activate NAME` with STS at `sts_url` (e.g. a fault proxy); fails the test
    /// if it fails.
    pub fn activate_through(&self, name: &str, sts_url: &str) {
        let out = self
            .command(bin("rolekeeper"))
            .args(["activate", name])
            .env("AWS_ENDPOINT_URL_STS", sts_url)
            .output()
            .expect("run rolekeeper activate");
        assert!(out.status.success(), "activate {name}: {}", describe(&out));
    }

    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        for (key, _) in std::env::vars() {
            if key.starts_with("AWS_") {
                cmd.env_remove(key);
            }
        }
        // RoleKeeper's state, config and caches live in this HOME too, not in the desktop
        // session's shared XDG dirs: tests running side by side must not see each other's
        // sessions. (XDG_RUNTIME_DIR stays: it holds the session's sockets.)
        let home = self.home();
        cmd.env("HOME", home)
            .env("XDG_STATE_HOME", home.join(".local/state"))
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env_remove("HTTP_PROXY")
            .env_remove("HTTPS_PROXY")
            .env_remove("http_proxy")
            .env_remove("https_proxy");
        if let Ok(url) = std::env::var("ROLEKEEPER_TEST_STS_URL") {
            cmd.env("AWS_ENDPOINT_URL_STS", url);
        }
        cmd
    }
}

/// stdout and stderr of a finished command, for assertion messages.
pub fn describe(output: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A call to the control API of a test service on 127.0.0.1:`port` (the STS fault proxy, the
/// fake Identity Center), one connection a call; fails the test unless the answer is 200 with
/// JSON.
pub fn control_call(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
) -> serde_json::Value {
    use std::io::{Read, Write};
    let body = body.map(serde_json::Value::to_string).unwrap_or_default();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))
        .unwrap_or_else(|e| panic!("connect to 127.0.0.1:{port}: {e}"));
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send control call");
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .expect("read control answer");
    let (head, json) = answer
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"));
    assert!(
        head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200"),
        "{method} {path} {body}: {answer}"
    );
    serde_json::from_str(json).expect("JSON from a control call")
}

/// Start a test service that announces its port as the first line on stdout, `{prefix}<port>`;
/// `diagnostics` adds to the failure when it prints anything else (e.g. its log).
pub fn start_announcing_port(
    cmd: &mut Command,
    prefix: &str,
    diagnostics: impl FnOnce() -> String,
) -> (ChildGuard, u16) {
    use std::io::BufRead;
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = ChildGuard(
        cmd.stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {program}: {e}")),
    );
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("read the first line of {program}: {e}"));
    let port = line
        .trim()
        .strip_prefix(prefix)
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "{program} printed {line:?}, not `{prefix}<port>`{}",
                diagnostics()
            )
        });
    (child, port)
}

/// A fake service in `tests/support/` (a Python script that prints `PORT <n>` once it listens),
/// started with its stderr in a temporary file: the child, its port and that log.
pub fn start_fake(script: &str) -> (ChildGuard, u16, tempfile::NamedTempFile) {
    let log = tempfile::NamedTempFile::new().expect("log file");
    let (child, port) = start_announcing_port(
        Command::new(require_env("ROLEKEEPER_TEST_PYTHON"))
            .arg(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("support")
                    .join(script),
            )
            .stdin(std::process::Stdio::null())
            .stderr(log.reopen().expect("reopen log")),
        "PORT ",
        || {
            let text = std::fs::read_to_string(log.path()).unwrap_or_default();
            format!("; its stderr:\n{text}")
        },
    );
    (child, port, log)
}

/// A child process that is killed when the guard is dropped, so a failing test never leaves it
/// running.
#[derive(Debug)]
pub struct ChildGuard(pub std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

impl std::ops::Deref for ChildGuard {
    type Target = std::process::Child;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for ChildGuard {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

/// Credentials whose every field carries `k`, so a reader can tell a whole section from a mixed
/// or partial one.
pub fn numbered_credentials(k: u64) -> rolekeeper_core::Credentials {
    use std::time::{Duration, UNIX_EPOCH};
    rolekeeper_core::Credentials {
        access_key_id: format!("ASIA{k:016}"),
        secret_access_key: rolekeeper_core::Secret::new(format!("secret-{k}-{}", "x".repeat(40))),
        session_token: Some(rolekeeper_core::Secret::new(format!(
            "token-{k}-{}",
            "y".repeat(300)
        ))),
        expiration: Some(UNIX_EPOCH + Duration::from_secs(1_800_000_000 + k)),
    }
}

/// A 900 s role session `live` assumed from the static keys of `dev` (which each suite writes
/// into the credentials file with its own values): what the daemon suites keep fresh.
pub const LIVE_ROLE_CONFIG: &str = "\
[profile live]
role_arn = arn:aws:iam::123456789012:role/Live
source_profile = dev
duration_seconds = 900
region = us-east-1
";

/// The lines a child writes to a pipe, read on a thread so the child never blocks on a full
/// pipe, and waited for with a deadline.
#[derive(Debug)]
pub struct LogLines {
    rx: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl LogLines {
    pub fn follow(pipe: impl std::io::Read + Send + 'static) -> Self {
        use std::io::BufRead;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Self {
            rx,
            seen: Vec::new(),
        }
    }

    /// Wait for a line containing `needle`; fails the test with everything seen so far.
    pub fn wait_for(&mut self, needle: &str, limit: std::time::Duration) -> &str {
        loop {
            match self.rx.recv_timeout(limit) {
                Ok(line) => {
                    let hit = line.contains(needle);
                    self.seen.push(line);
                    if hit {
                        return self.seen.last().map(String::as_str).unwrap_or_default();
                    }
                }
                Err(_) => panic!(
                    "no `{needle}` within {limit:?} in the log:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Every line seen so far.
    pub fn text(&self) -> String {
        self.seen.join("\n")
    }

    /// A line containing `needle`, already written or still to come: for events whose order
    /// does not matter to the test.
    pub fn seen_or_wait(&mut self, needle: &str, limit: std::time::Duration) {
        if !self.text_now().contains(needle) {
            self.wait_for(needle, limit);
        }
    }

    /// Every line written so far, including those not waited for yet.
    pub fn text_now(&mut self) -> String {
        while let Ok(line) = self.rx.try_recv() {
            self.seen.push(line);
        }
        self.text()
    }
}

/// botocore's view of the files in `home` (`support/aws_view.py`): the raw parse of both files,
/// the profiles it lists, and the access key its credential chain resolves for each of `profiles`.
pub fn botocore_view(home: &AwsHome, profiles: &[&str]) -> serde_json::Value {
    let py = require_env("ROLEKEEPER_TEST_PYTHON");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("support/aws_view.py");
    let out = home
        .command(py)
        .arg(script)
        .args(profiles)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "botocore rejects the files: {}",
        describe(&out)
    );
    serde_json::from_slice(&out.stdout).expect("JSON from aws_view.py")
}

/// `support/moto_iam.py ARGS` with `vars`: IAM users and keys in moto, made and read with boto3;
/// its JSON answer.
pub fn moto_iam(args: &[&str], vars: &[(&str, &str)]) -> serde_json::Value {
    let py = require_env("ROLEKEEPER_TEST_PYTHON");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("support/moto_iam.py");
    let out = Command::new(py)
        .arg(script)
        .args(args)
        .envs(vars.iter().copied())
        .env("NO_PROXY", "127.0.0.1,localhost")
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "moto_iam.py {args:?}: {}",
        describe(&out)
    );
    serde_json::from_slice(&out.stdout).expect("JSON from moto_iam.py")
}

/// Runs `f` with the session's keyring locked (`wds-keyring-lock`), unlocking it again even if
/// `f` panics. Hold [`keyring_use`]`(true)` around it: no other test may meet the locked keyring.
pub fn with_locked_keyring(f: impl FnOnce()) {
    struct Unlock;
    impl Drop for Unlock {
        fn drop(&mut self) {
            let out = Command::new("wds-keyring-unlock").output().expect("unlock");
            assert!(out.status.success(), "{}", describe(&out));
        }
    }
    let out = Command::new("wds-keyring-lock")
        .output()
        .expect("wds-keyring-lock");
    assert!(out.status.success(), "{}", describe(&out));
    let _unlock = Unlock;
    f();
}

/// Held while a test uses the session's keyring: shared by every such test, exclusive by the one
/// that locks the keyring (tests/tests/cli_source.rs), so no test meets a keyring another test
/// locked. The lock file lives in the desktop session's directory.
#[derive(Debug)]
pub struct KeyringUse(#[allow(dead_code)] std::fs::File);

pub fn keyring_use(exclusive: bool) -> KeyringUse {
    let ok = std::env::var("DBUS_SESSION_BUS_ADDRESS").is_ok_and(|v| !v.is_empty())
        && std::env::var("WDS_DIR").is_ok_and(|v| !v.is_empty());
    assert!(
        ok,
        "no private D-Bus session with gnome-keyring: run this suite inside \
         scripts/with-desktop-session.sh, e.g. \
         `scripts/with-desktop-session.sh cargo nextest run -p rolekeeper-tests` \
         (./scripts/test.sh does this)"
    );
    let dir = require_env("WDS_DIR");
    let file = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(Path::new(&dir).join("keyring-use.lock"))
        .expect("keyring lock file");
    if exclusive {
        file.lock().expect("lock");
    } else {
        file.lock_shared().expect("lock shared");
    }
    KeyringUse(file)
}

/// `rolekeeper daemon` for one test, its log followed; killed when dropped.
#[derive(Debug)]
pub struct Daemon {
    pub child: ChildGuard,
    pub log: LogLines,
}

impl Daemon {
    /// Start the daemon in `home` with `vars` set (e.g. `ROLEKEEPER_REFRESH_BEFORE`).
    pub fn start(home: &AwsHome, vars: &[(&str, &str)]) -> Self {
        let mut child = ChildGuard(
            home.command(bin("rolekeeper"))
                .arg("daemon")
                .env(
                    "ROLEKEEPER_LOG",
                    std::env::var("ROLEKEEPER_LOG").unwrap_or_else(|_| "info".into()),
                )
                .envs(vars.iter().copied())
                .stderr(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("start rolekeeper daemon"),
        );
        let log = LogLines::follow(child.stderr.take().expect("stderr"));
        Self { child, log }
    }

    /// SIGTERM, as a service manager stops it; waits for its `stopped` line and its exit, and
    /// returns the exit code.
    pub fn stop(&mut self) -> Option<i32> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        self.log
            .wait_for("stopped", std::time::Duration::from_secs(10));
        for _ in 0..100 {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code();
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!(
            "the daemon did not exit within 5 s of SIGTERM:\n{}",
            self.log.text()
        );
    }
}

/// Every test that runs the daemon checks, when the daemon is dropped, the engine's promise that
/// no session is renewed twice within 10 s whatever the settings (issue "the defects a user meets
/// in the first ten minutes"): the `refreshed` lines of its log, by their timestamps. Half a
/// second of slack absorbs the moment between a renewal's delivery and its log line.
impl Drop for Daemon {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let text = self.log.text_now();
        if let Some((name, gap)) = renewed_twice_within(&text, 9.5) {
            panic!("the daemon renewed `{name}` twice within {gap:.1} s:\n{text}");
        }
    }
}

/// The first session renewed twice less than `seconds` apart in a daemon's log, with the gap.
pub fn renewed_twice_within(log: &str, seconds: f64) -> Option<(String, f64)> {
    let mut last: std::collections::HashMap<&str, f64> = std::collections::HashMap::new();
    for line in log.lines() {
        let Some(rest) = line.split(": refreshed session=").nth(1) else {
            continue;
        };
        let name = rest.split_whitespace().next().unwrap_or_default();
        let Some(at) = line.split_whitespace().next().and_then(log_seconds) else {
            continue;
        };
        if let Some(before) = last.insert(name, at) {
            if at - before < seconds {
                return Some((name.to_owned(), at - before));
            }
        }
    }
    None
}

/// Seconds since the epoch of a log line's RFC 3339 UTC timestamp (`2026-12-04T20:50:01.25Z`).
fn log_seconds(stamp: &str) -> Option<f64> {
    let (date, time) = stamp.trim_end_matches('Z').split_once('T')?;
    let mut ymd = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (ymd.next()??, ymd.next()??, ymd.next()??);
    let mut hms = time.split(':');
    let (h, min) = (
        hms.next()?.parse::<f64>().ok()?,
        hms.next()?.parse::<f64>().ok()?,
    );
    let sec = hms.next()?.parse::<f64>().ok()?;
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days as f64 * 86_400.0 + h * 3600.0 + min * 60.0 + sec)
}

/// Forgets RoleKeeper's keychain entries a test made (`session:NAME`, `mfa:SOURCE:SERIAL`), even
/// when it fails: the keyring is the whole desktop session's.
#[derive(Debug)]
pub struct ForgetKeychainEntries(pub Vec<String>);

impl Drop for ForgetKeychainEntries {
    fn drop(&mut self) {
        for entry in &self.0 {
            let _ = Command::new("secret-tool")
                .args(["clear", "service", "rolekeeper", "username", entry])
                .output();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::renewed_twice_within;

    const LOG: &str = "\
2026-12-04T23:59:55.000000Z  INFO rolekeeper::daemon: refreshed session=a expires=x
2026-12-04T23:59:58.000000Z  INFO rolekeeper::daemon: refreshed session=b expires=x
2026-12-05T00:00:05.100000Z  INFO rolekeeper::daemon: refreshed session=a expires=x
2026-12-05T00:00:06.000000Z  INFO rolekeeper::daemon: activated session=b expires=x";

    #[test]
    fn renewals_are_compared_per_session_across_midnight() {
        assert_eq!(renewed_twice_within(LOG, 9.5), None);
        let (name, gap) = renewed_twice_within(LOG, 10.5).unwrap();
        assert_eq!(name, "a");
        assert!((gap - 10.1).abs() < 1e-6, "{gap}");
    }
}
