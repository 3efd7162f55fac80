//! Sessions reused across processes (issue 11): a role session that `rolekeeper
//! credential-process` obtained for a profile that is not activated is served again to the next
//! process (another `credential-process`, `export`, `exec`) while it has more than the refresh
//! lead left, with no new `AssumeRole`: from the running daemon when one runs, else from the
//! keychain (the desktop session's gnome-keyring). And, the user not having chosen file delivery,
//! no secret of that session lands in any file under HOME.
//!
//! STS is moto behind `rk-sts-proxy` with 100 ms added to every call, as real STS is 50-200 ms
//! away; the proxy counts the calls. Nothing is timed: what is checked is the I/O at the proxy.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a panic is the failure report

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use rolekeeper_tests::proxy::{Fault, StsProxy};
use rolekeeper_tests::{bin, describe, require_env, AwsHome, Daemon, ForgetKeychainEntries};

const SOURCE_SECRET: &str = "reuseTestSourceSecret0000000000000000000";

/// One test's world: a role profile that is not activated (plain static keys, no MFA, STS's
/// default length of 1 h), STS 100 ms away through the proxy, and an `XDG_RUNTIME_DIR` of its
/// own, so only this test's daemon can answer this test's commands.
struct World {
    home: AwsHome,
    proxy: StsProxy,
    name: String,
    runtime: tempfile::TempDir,
}

impl World {
    fn new(tag: &str) -> Self {
        // The keychain is the whole desktop session's: a name no other test (nor run) uses.
        let name = format!("t{}-{tag}", std::process::id());
        let config = format!(
            "[profile {name}]\nrole_arn = arn:aws:iam::123456789012:role/Reuse\n\
             source_profile = src\nregion = us-east-1\n"
        );
        let credentials = format!(
            "[src]\naws_access_key_id = AKIAREUSETEST0000001\naws_secret_access_key = {SOURCE_SECRET}\n"
        );
        let proxy = StsProxy::start();
        proxy.fault(Fault::Delay(Duration::from_millis(100)), None, None);
        Self {
            home: AwsHome::new(&config, &credentials),
            proxy,
            name,
            runtime: tempfile::tempdir().unwrap(),
        }
    }

    /// `rolekeeper ARGS`, STS through the proxy, no terminal and no stdin (as an SDK runs
    /// `credential_process`); must succeed.
    fn rolekeeper(&self, args: &[&str]) -> Output {
        let out = self
            .home
            .command("setsid")
            .arg("-w")
            .arg(bin("rolekeeper"))
            .args(args)
            .env("AWS_ENDPOINT_URL_STS", self.proxy.url())
            .env("XDG_RUNTIME_DIR", self.runtime.path())
            .stdin(Stdio::null())
            .output()
            .expect("run rolekeeper");
        assert!(
            out.status.success(),
            "rolekeeper {args:?}: {}",
            describe(&out)
        );
        out
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.rolekeeper(args);
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "rolekeeper {args:?} printed no JSON ({e}): {}",
                describe(&out)
            )
        })
    }

    fn assume_role_calls(&self) -> u64 {
        self.proxy.count("AssumeRole")
    }

    fn daemon(&self) -> Daemon {
        let url = self.proxy.url();
        let runtime = self.runtime.path().display().to_string();
        let mut daemon = Daemon::start(
            &self.home,
            &[
                ("AWS_ENDPOINT_URL_STS", url.as_str()),
                ("XDG_RUNTIME_DIR", runtime.as_str()),
            ],
        );
        daemon
            .log
            .wait_for("daemon started", Duration::from_secs(20));
        daemon
    }
}

/// Every regular file under `dir` (symbolic links not followed).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() {
                files.push(entry.path());
            }
        }
    }
    files
}

/// The files under `dir` whose bytes contain `secret`.
fn files_holding(dir: &Path, secret: &str) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|path| {
            std::fs::read(path)
                .is_ok_and(|bytes| bytes.windows(secret.len()).any(|w| w == secret.as_bytes()))
        })
        .collect()
}

/// One step after the first `credential-process`: how many `AssumeRole` it made and whether it
/// served the same session.
struct Step {
    what: &'static str,
    new_assume_roles: u64,
    /// The access key id it served, where the step shows it.
    key: Option<String>,
}

/// The first `credential-process` obtains the session (one AssumeRole); then a second
/// `credential-process`, `export` and `exec` (each a new process) are served the same session
/// with no AssumeRole. Returns the session's secret access key.
fn served_again_across_processes(world: &World) -> String {
    let first = world.json(&["credential-process", &world.name]);
    let key = first["AccessKeyId"]
        .as_str()
        .expect("AccessKeyId")
        .to_owned();
    let secret = first["SecretAccessKey"]
        .as_str()
        .expect("SecretAccessKey")
        .to_owned();
    assert!(key.starts_with("ASIA"), "an assumed-role session: {first}");
    assert_eq!(
        world.assume_role_calls(),
        1,
        "the first credential-process obtains the session with one AssumeRole: {}",
        world.proxy.calls()
    );

    let mut steps = Vec::new();
    let mut step = |what: &'static str, key: Option<String>, before: u64| {
        steps.push(Step {
            what,
            new_assume_roles: world.assume_role_calls() - before,
            key,
        });
    };
    let before = world.assume_role_calls();
    let doc = world.json(&["credential-process", &world.name]);
    step(
        "a second credential-process",
        doc["AccessKeyId"].as_str().map(str::to_owned),
        before,
    );
    let before = world.assume_role_calls();
    let doc = world.json(&["export", &world.name, "--format", "json"]);
    step(
        "export --format json",
        doc["AccessKeyId"].as_str().map(str::to_owned),
        before,
    );
    let before = world.assume_role_calls();
    let out = world.rolekeeper(&["exec", &world.name, "--", "printenv", "AWS_ACCESS_KEY_ID"]);
    step(
        "exec -- printenv AWS_ACCESS_KEY_ID",
        Some(String::from_utf8_lossy(&out.stdout).trim().to_owned()),
        before,
    );
    let before = world.assume_role_calls();
    world.rolekeeper(&["exec", &world.name, "--", "true"]);
    step("exec -- true", None, before);

    let report: Vec<String> = steps
        .iter()
        .map(|s| {
            format!(
                "  {}: {} new AssumeRole (want 0){}",
                s.what,
                s.new_assume_roles,
                match &s.key {
                    Some(k) if *k == key => ", the same session".to_owned(),
                    Some(k) => format!(", another session ({k})"),
                    None => String::new(),
                }
            )
        })
        .collect();
    let report = format!(
        "after one credential-process of `{}` (a role that is not activated) obtained {key}:\n{}\n\
         proxy: {}",
        world.name,
        report.join("\n"),
        world.proxy.calls()
    );
    assert!(
        steps
            .iter()
            .all(|s| s.new_assume_roles == 0 && s.key.as_ref().is_none_or(|k| *k == key)),
        "the session is served again to the next processes with no new AssumeRole:\n{report}"
    );

    secret
}

/// No file delivery was chosen: the session's secret is in no file under HOME.
fn assert_in_no_file(world: &World, secret: &str) {
    // The scan finds what is there: the source's secret, in the credentials file only.
    assert_eq!(
        files_holding(world.home.home(), SOURCE_SECRET),
        [world.home.credentials_path()],
        "the scan of HOME sees the source keys where the test wrote them"
    );
    let leaked = files_holding(world.home.home(), secret);
    assert!(
        leaked.is_empty(),
        "the secret access key of the session obtained for `{}` is in files under HOME: {leaked:?}",
        world.name
    );
}

/// No RoleKeeper running: the session comes back from the keychain.
#[test]
fn a_session_is_served_again_from_the_keychain_with_no_rolekeeper_running() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let _keyring = rolekeeper_tests::keyring_use(false);
    let world = World::new("reuse-alone");
    let _forget = ForgetKeychainEntries(vec![format!("session:{}", world.name)]);
    let secret = served_again_across_processes(&world);
    assert_in_no_file(&world, &secret);
}

/// `rolekeeper daemon` running: the session comes back from it (or the keychain), never from
/// a new AssumeRole.
#[test]
fn a_session_is_served_again_with_the_daemon_running() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let _keyring = rolekeeper_tests::keyring_use(false);
    let world = World::new("reuse-daemon");
    let _forget = ForgetKeychainEntries(vec![format!("session:{}", world.name)]);
    let mut daemon = world.daemon();
    let secret = served_again_across_processes(&world);
    assert_in_no_file(&world, &secret);
    assert_eq!(daemon.stop(), Some(0), "{}", daemon.log.text());
    // Nor once it has stopped.
    assert_in_no_file(&world, &secret);
}
