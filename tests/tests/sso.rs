//! IAM Identity Center end to end, against the fake Identity Center (`support/
//! fake_identity_center.py`), gnome-keyring, a scripted `$BROWSER`, botocore and Debian's AWS CLI
//! 2.9.19: signing in (browser with PKCE, device code), the one sign-in shared both ways with the
//! AWS tools, sign-out, and the daemon keeping an SSO role fresh across token refreshes until the
//! portal session ends, then one sign-in for twenty callers.
#![allow(clippy::expect_used, clippy::unwrap_used)]
#![allow(clippy::disallowed_methods)] // end to end: the real clock paces the test

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use rolekeeper_tests::fake_sso::{aws_cli_data_path, browser_script, FakeIdentityCenter};
use rolekeeper_tests::{
    bin, describe, keyring_use, require_env, AwsHome, ChildGuard, Daemon, ForgetKeychainEntries,
    LogLines,
};
use serde_json::{json, Value};

const START_URL: &str = "https://d-1234567890.awsapps.com/start";
/// `sha1("corp")`: the token file every AWS tool reads for session `corp`.
const CORP_TOKEN: &str = "ee0bfd2552fbd840c02cc48b6e823320543c450f.json";

fn config() -> String {
    format!(
        "[profile dev]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Admin\n\
         region = us-east-1\n\
         [profile ro]\nsso_session = corp\nsso_account_id = 222222222222\nsso_role_name = ReadOnly\n\
         region = us-east-1\n\
         [sso-session corp]\nsso_start_url = {START_URL}\nsso_region = us-east-1\n\
         sso_registration_scopes = sso:account:access\n"
    )
}

/// One test's world: a HOME with the config, the fake, a browser log.
struct World {
    home: AwsHome,
    fake: FakeIdentityCenter,
    browser_log: PathBuf,
    _keychain: ForgetKeychainEntries,
    _keyring: rolekeeper_tests::KeyringUse,
}

impl World {
    fn new() -> Self {
        let keyring = keyring_use(false);
        let home = AwsHome::new(&config(), "");
        let fake = FakeIdentityCenter::start();
        let browser_log = home.home().join("browser.log");
        let token_file = home.home().join(".aws/sso/cache").join(CORP_TOKEN);
        Self {
            _keychain: ForgetKeychainEntries(vec![
                rolekeeper_core::sso::keeper::keychain_entry(&token_file),
                "session:dev".to_owned(),
                "session:ro".to_owned(),
            ]),
            home,
            fake,
            browser_log,
            _keyring: keyring,
        }
    }

    /// `program` in this HOME, pointed at the fake, with the scripted browser (`mode`:
    /// `background` follows the URL as a browser would; `record-only` only writes it down).
    fn command(&self, program: impl AsRef<std::ffi::OsStr>, mode: &str) -> Command {
        let mut cmd = self.home.command(program);
        cmd.env("AWS_ENDPOINT_URL_SSO", self.fake.url())
            .env("AWS_ENDPOINT_URL_SSO_OIDC", self.fake.url())
            .env("BROWSER", browser_script())
            .env("ROLEKEEPER_TEST_BROWSER_MODE", mode)
            .env("ROLEKEEPER_TEST_BROWSER_LOG", &self.browser_log)
            // `credential_process = rolekeeper credential-process ...` finds this build.
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    rolekeeper_tests::bin_dir().display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .stdin(Stdio::null());
        cmd
    }

    fn rolekeeper(&self, args: &[&str]) -> Output {
        self.command(bin("rolekeeper"), "background")
            .args(args)
            .output()
            .expect("rolekeeper")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.rolekeeper(args);
        assert!(
            out.status.success(),
            "rolekeeper {args:?}: {}",
            describe(&out)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// How many times a browser was opened.
    fn browser_opens(&self) -> usize {
        std::fs::read_to_string(&self.browser_log)
            .unwrap_or_default()
            .lines()
            .count()
    }

    fn token_path(&self) -> PathBuf {
        self.home.home().join(".aws/sso/cache").join(CORP_TOKEN)
    }

    fn token(&self) -> Value {
        let text = std::fs::read_to_string(self.token_path()).expect("token file");
        serde_json::from_str(&text).expect("token JSON")
    }

    fn wait_for(&self, what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
        let start = Instant::now();
        while !done() {
            assert!(
                start.elapsed() < limit,
                "{what} did not happen within {limit:?}; fake stats: {}",
                self.fake.stats()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The user code in a line with a verification URL (`...?user_code=ABCD-EFGH`).
fn user_code(line: &str) -> String {
    line.split("user_code=")
        .nth(1)
        .and_then(|rest| rest.get(..9))
        .unwrap_or_else(|| panic!("no user code in: {line}"))
        .to_owned()
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("stat").permissions().mode() & 0o777
}

/// botocore (the venv's) with the fake as both endpoints: the access key it resolves for
/// `profile`, through the token file RoleKeeper wrote.
fn botocore_key(world: &World, profile: &str) -> String {
    let py = require_env("ROLEKEEPER_TEST_PYTHON");
    let out = world
        .command(py, "record-only")
        .args([
            "-c",
            "import sys, boto3; c = boto3.Session(profile_name=sys.argv[1]).get_credentials(); \
             print(c.get_frozen_credentials().access_key)",
            profile,
        ])
        .output()
        .expect("python");
    assert!(out.status.success(), "botocore: {}", describe(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn browser_sign_in_is_reused_and_shared_with_botocore_both_before_and_after_a_refresh() {
    let world = World::new();
    let out = world.ok(&["sso", "login", "corp"]);
    assert!(out.contains("corp: signed in"), "{out}");
    assert_eq!(world.browser_opens(), 1);
    // PKCE on loopback, the state checked by the listener (a wrong one is refused: unit test).
    let stats = world.fake.stats();
    let query = &stats["last_authorize_query"];
    assert_eq!(query["code_challenge_method"], "S256", "{stats}");
    assert!(
        query["redirect_uri"]
            .as_str()
            .is_some_and(|u| u.starts_with("http://127.0.0.1:") && u.ends_with("/oauth/callback")),
        "{stats}"
    );
    assert_eq!(world.fake.count("create_token:authorization_code"), 1);

    // The files every AWS tool reads, as botocore writes them; no refresh token in them.
    let dir = world.home.home().join(".aws/sso/cache");
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&world.token_path()), 0o600);
    let token = world.token();
    assert_eq!(token["startUrl"], START_URL);
    assert!(
        token["expiresAt"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z') && t.len() == 20),
        "{token}"
    );
    assert!(token.get("refreshToken").is_none(), "{token}");
    assert!(dir
        .join("bc8a1afdb0f5cdc2c789b8a6cd51898e2be3c37c.json")
        .exists());

    // Reused: no browser, no sign-in.
    let again = world.ok(&["sso", "login", "corp"]);
    assert!(again.contains("already signed in"), "{again}");
    assert_eq!(world.browser_opens(), 1);

    // botocore uses RoleKeeper's sign-in.
    let before = world.fake.count("get_role_credentials");
    let key = botocore_key(&world, "dev");
    assert!(key.starts_with("ASIA"), "{key}");
    assert_eq!(world.fake.count("get_role_credentials"), before + 1);

    // A token within 15 minutes of its end is refreshed by RoleKeeper (the refresh token from
    // the keychain), and botocore then uses the new one.
    let mut near = world.token();
    // Written as the Rust SDK would (an offset, fractions): read all the same.
    near["expiresAt"] = json!(rolekeeper_core::credentials::isoformat(
        std::time::SystemTime::now() + Duration::from_secs(300)
    ));
    std::fs::write(world.token_path(), near.to_string()).expect("write");
    let old = near["accessToken"].clone();
    let process = world.ok(&["credential-process", "ro"]);
    assert!(process.contains("\"AccessKeyId\": \"ASIA"), "{process}");
    assert_eq!(world.fake.count("create_token:refresh_token"), 1);
    let renewed = world.token();
    assert_ne!(renewed["accessToken"], old, "{renewed}");
    assert!(renewed.get("refreshToken").is_none(), "{renewed}");
    let key = botocore_key(&world, "ro");
    assert!(key.starts_with("ASIA"), "{key}");
    assert_eq!(
        world.fake.count("create_token:refresh_token"),
        1,
        "botocore had nothing to refresh"
    );
    assert_eq!(world.fake.count("sign_ins"), 1);
}

#[test]
fn device_code_sign_in_waits_through_pending_and_slow_down() {
    let world = World::new();
    // The browser only records: the user "confirms" below, after pending and slow_down.
    world
        .fake
        .config(json!({"slow_down_polls": [2], "device_interval": 1}));
    let mut child = ChildGuard(
        world
            .command(bin("rolekeeper"), "record-only")
            .args(["sso", "login", "corp", "--device-code"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn"),
    );
    let mut stderr = LogLines::follow(child.stderr.take().expect("stderr"));
    let line = stderr
        .wait_for("user_code=", Duration::from_secs(20))
        .to_owned();
    let code = user_code(&line);
    let shown = stderr.text();
    assert!(
        shown.contains(&format!("\n  {code}\n")),
        "the code is shown on a line of its own: {shown}"
    );
    world.wait_for("a slow_down", Duration::from_secs(20), || {
        world.fake.count("create_token_errors:slow_down") >= 1
    });
    world.fake.approve(&code);
    let status = child.wait().expect("wait");
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().expect("stdout"), &mut out).ok();
    assert!(status.success(), "{out} {}", stderr.text());
    assert!(out.contains("corp: signed in"), "{out}");
    assert!(
        world
            .fake
            .count("create_token_errors:authorization_pending")
            >= 1
    );
    assert_eq!(world.fake.count("create_token_errors:slow_down"), 1);
    // The page was opened with the code filled in, once.
    assert_eq!(world.browser_opens(), 1);
    assert!(world.token()["accessToken"].is_string());
}

#[test]
fn logout_ends_the_portal_session_and_leaves_nothing_to_use() {
    let world = World::new();
    world.ok(&["sso", "login", "corp"]);
    // A running engine holds what credential-process obtains (and serves it to the next).
    let mut daemon = Daemon::start(
        &world.home,
        &[
            ("AWS_ENDPOINT_URL_SSO", world.fake.url().as_str()),
            ("AWS_ENDPOINT_URL_SSO_OIDC", world.fake.url().as_str()),
        ],
    );
    daemon
        .log
        .wait_for("daemon started", Duration::from_secs(10));
    world.ok(&["credential-process", "dev"]);
    let out = world.ok(&["sso", "logout", "corp"]);
    assert!(out.contains("corp: signed out"), "{out}");
    assert_eq!(world.fake.count("logout"), 1);
    assert!(!world.token_path().exists());
    let list: Value = serde_json::from_str(&world.ok(&["sso", "list", "--json"])).expect("json");
    assert_eq!(list[0]["label"], "corp");
    assert_eq!(list[0]["signed_in_until"], Value::Null, "{list}");
    // The role session it gave is forgotten too: with no browser to sign in with, asking fails
    // and says what to do.
    let out = world
        .command(bin("rolekeeper"), "record-only")
        .env_remove("BROWSER")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .args(["credential-process", "dev"])
        .output()
        .expect("run");
    assert!(!out.status.success(), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rolekeeper sso login corp"), "{err}");
    assert_eq!(world.browser_opens(), 1);
    assert_eq!(daemon.stop(), Some(0));
}

#[test]
fn a_sign_in_the_aws_cli_made_is_used_and_renewed() {
    let world = World::new();
    let data = tempfile::tempdir().expect("dir");
    aws_cli_data_path(world.fake.port(), data.path());
    let aws = require_env("ROLEKEEPER_TEST_AWS_CLI");
    let mut child = ChildGuard(
        world
            .command(&aws, "record-only")
            .env("AWS_DATA_PATH", data.path())
            .args(["sso", "login", "--profile", "dev", "--no-browser"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("aws"),
    );
    let mut stdout = LogLines::follow(child.stdout.take().expect("stdout"));
    let text = stdout
        .wait_for("user_code=", Duration::from_secs(30))
        .to_owned();
    let url = text
        .split_whitespace()
        .find(|w| w.contains("user_code="))
        .expect("device URL")
        .to_owned();
    world.fake.approve(&user_code(&url));
    assert!(child.wait().expect("wait").success(), "{}", stdout.text());
    assert!(
        world.token()["refreshToken"].is_string(),
        "the CLI writes it"
    );

    // RoleKeeper uses that sign-in: no browser, no sign-in of its own.
    let out = world.ok(&["credential-process", "dev"]);
    assert!(out.contains("ASIA"), "{out}");
    assert_eq!(world.browser_opens(), 0);
    assert_eq!(world.fake.count("sign_ins"), 1);
    // And renews it with the CLI's refresh token, taken into the keychain.
    let mut near = world.token();
    near["expiresAt"] = json!("2000-01-01T00:00:00Z");
    std::fs::write(world.token_path(), near.to_string()).expect("write");
    world.ok(&["credential-process", "ro"]);
    assert_eq!(world.fake.count("create_token:refresh_token"), 1);
    let list: Value = serde_json::from_str(&world.ok(&["sso", "list", "--json"])).expect("json");
    assert_eq!(list[0]["renewable"], true, "{list}");
    assert_eq!(world.fake.count("sign_ins"), 1);
}

#[test]
fn the_daemon_keeps_an_sso_role_fresh_then_one_sign_in_serves_twenty_callers() {
    let world = World::new();
    // Tokens that enter the 15-minute window 5 s after they are issued, roles that last 60 s:
    // the daemon refreshes the token every few seconds and renews the role every 30 s.
    world
        .fake
        .config(json!({"access_token_ttl": 905, "role_credentials_ttl": 60}));
    world.ok(&["sso", "login", "corp"]);
    world.ok(&["activate", "dev"]);
    let mut daemon = Daemon::start(
        &world.home,
        &[
            ("AWS_ENDPOINT_URL_SSO", world.fake.url().as_str()),
            ("AWS_ENDPOINT_URL_SSO_OIDC", world.fake.url().as_str()),
            ("BROWSER", browser_script().to_str().expect("utf8")),
            ("ROLEKEEPER_TEST_BROWSER_MODE", "background"),
            (
                "ROLEKEEPER_TEST_BROWSER_LOG",
                world.browser_log.to_str().expect("utf8"),
            ),
            ("ROLEKEEPER_LOG", "debug"),
        ],
    );
    let start = Instant::now();
    while world.fake.count("create_token:refresh_token") < 3
        || world.fake.count("get_role_credentials") < 2
    {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "three token refreshes and a role renewal within 60 s; fake: {}; daemon: {}",
            world.fake.stats(),
            daemon.log.text_now()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(
        world.fake.count("sign_ins"),
        1,
        "no sign-in while the portal session lasts"
    );
    assert_eq!(world.browser_opens(), 1);

    // The portal session ends: the daemon says so (the access token still counts down).
    world.fake.end_portal_session();
    daemon
        .log
        .wait_for("SSO sign-in `corp` ends at", Duration::from_secs(30));

    // Twenty programs ask at once: one sign-in, one browser tab, and all get credentials.
    let callers: Vec<_> = (0..20)
        .map(|_| {
            world
                .command(bin("rolekeeper"), "background")
                .args(["credential-process", "ro"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for caller in callers {
        let out = caller.wait_with_output().expect("wait");
        assert!(out.status.success(), "{}", describe(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("ASIA"));
    }
    assert_eq!(world.browser_opens(), 2, "one more tab for twenty callers");
    assert_eq!(world.fake.count("sign_ins"), 2);
    daemon
        .log
        .wait_for("SSO sign-in good", Duration::from_secs(90));
    assert_eq!(daemon.stop(), Some(0));
    // No token, refresh token or client secret in the daemon's debug log.
    let log = daemon.log.text();
    assert_no_sso_secret(&log);
    assert!(
        !log.contains(world.token()["accessToken"].as_str().expect("token")),
        "the access token is in the log"
    );
}

/// The fake's access tokens, refresh tokens and client secrets (`at-…`, `rt-…`, `cs-…`) never
/// appear in `text` in full (a log may name a token by its first few characters).
fn assert_no_sso_secret(text: &str) {
    for prefix in ["at-", "rt-", "cs-"] {
        for (at, _) in text.match_indices(prefix) {
            let tail: String = text[at + 3..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            assert!(tail.len() < 8, "a secret in the log: {prefix}{tail}");
        }
    }
}

#[test]
fn an_sso_profile_works_everywhere_a_profile_works() {
    let world = World::new();
    let chained = "[profile chained]\nrole_arn = arn:aws:iam::123456789012:role/FromSso\n\
                   source_profile = dev\nregion = us-east-1\n";
    let config = format!("{}{chained}", config());
    std::fs::write(world.home.config_path(), &config).expect("config");
    world.ok(&["sso", "login", "corp"]);

    let export = world.ok(&["export", "dev"]);
    assert!(export.contains("export AWS_ACCESS_KEY_ID=ASIA"), "{export}");
    let exec = world.ok(&["exec", "dev", "--", "sh", "-c", "echo $AWS_SESSION_TOKEN"]);
    assert!(!exec.trim().is_empty(), "{exec}");
    // The source of a role chain: AssumeRole (moto) with the SSO role's keys.
    let chained = world.ok(&["export", "chained"]);
    assert!(chained.contains("export AWS_ACCESS_KEY_ID="), "{chained}");

    // Activated by file: the SDKs read SSO before the credentials file, so the profile's sso_*
    // lines are adopted (the AWS tools then use the keys RoleKeeper keeps fresh) ...
    world.ok(&["activate", "dev"]);
    let adopted = std::fs::read_to_string(world.home.config_path()).expect("config");
    assert_ne!(adopted, config);
    let credentials = std::fs::read_to_string(world.home.credentials_path()).expect("creds");
    let key = credentials
        .lines()
        .find_map(|l| l.strip_prefix("aws_access_key_id = "))
        .expect("key written")
        .to_owned();
    assert_eq!(botocore_key(&world, "dev"), key);
    // ... and given back byte for byte.
    world.ok(&["deactivate", "dev"]);
    assert_eq!(
        std::fs::read_to_string(world.home.config_path()).expect("config"),
        config
    );

    // By process: the profile runs `rolekeeper credential-process` (its sso_* lines adopted
    // likewise), and botocore gets the keys through it.
    world.ok(&["activate", "ro", "--delivery", "process"]);
    let adopted = std::fs::read_to_string(world.home.config_path()).expect("config");
    assert!(adopted.contains("credential_process = "), "{adopted}");
    assert!(botocore_key(&world, "ro").starts_with("ASIA"));
    world.ok(&["deactivate", "ro"]);
    assert_eq!(
        std::fs::read_to_string(world.home.config_path()).expect("config"),
        config
    );
}

#[test]
fn sync_writes_a_profile_per_account_and_role_and_never_touches_the_users() {
    let world = World::new();
    // 300 accounts (the first with two roles), pages of 50, and Identity Center throttling.
    let accounts: Vec<Value> = (0..300u64)
        .map(|i| {
            json!({
                "accountId": format!("{:012}", 100_000_000_000 + i),
                "accountName": format!("Team {i}"),
                "emailAddress": format!("team{i}@example.com"),
                "roles": if i == 0 { vec!["Admin", "ReadOnly"] } else { vec!["ReadOnly"] },
            })
        })
        .collect();
    world
        .fake
        .config(json!({"accounts": accounts.clone(), "page_size": 50, "throttle_next": 3}));
    let users = std::fs::read_to_string(world.home.config_path()).expect("config");
    world.ok(&["sso", "login", "corp"]);

    let dry = world.ok(&["sso", "sync", "corp", "--dry-run", "--region", "eu-west-1"]);
    assert!(dry.contains("+ [profile team-0-admin]"), "{dry}");
    assert!(dry.contains("301 accounts and roles"), "{dry}");
    assert_eq!(
        std::fs::read_to_string(world.home.config_path()).expect("config"),
        users,
        "a dry run writes nothing"
    );
    assert!(world.fake.count("throttled") >= 3, "{}", world.fake.stats());

    let out = world.ok(&["sso", "sync", "corp", "--region", "eu-west-1"]);
    assert!(out.contains("301 added"), "{out}");
    let synced = std::fs::read_to_string(world.home.config_path()).expect("config");
    assert!(
        synced.starts_with(&users),
        "the user's profiles keep every byte"
    );
    assert!(botocore_key(&world, "team-7-readonly").starts_with("ASIA"));

    // Again, asking Identity Center afresh: nothing changes.
    let again = world.ok(&["sso", "sync", "corp", "--refresh", "--region", "eu-west-1"]);
    assert!(again.contains("0 added, 0 updated, 0 removed"), "{again}");
    assert_eq!(
        std::fs::read_to_string(world.home.config_path()).expect("config"),
        synced
    );

    // A profile edited by hand is left alone; vanished ones go only with --prune.
    let edited = synced.replacen(
        "sso_role_name = ReadOnly\nregion = eu-west-1\n",
        "sso_role_name = ReadOnly\nregion = eu-west-1\noutput = json\n",
        1,
    );
    std::fs::write(world.home.config_path(), &edited).expect("edit");
    world.fake.config(json!({"accounts": accounts[..10]}));
    let stale = world.ok(&["sso", "sync", "corp", "--refresh", "--region", "eu-west-1"]);
    assert!(stale.contains("--prune removes them"), "{stale}");
    let pruned = world.ok(&["sso", "sync", "corp", "--prune", "--region", "eu-west-1"]);
    assert!(pruned.contains("290 removed"), "{pruned}");
    let after = std::fs::read_to_string(world.home.config_path()).expect("config");
    assert!(after.starts_with(&users), "{after}");
    assert!(after.contains("output = json"), "the edited profile stays");
    assert!(!after.contains("[profile team-200-readonly]"), "{after}");
}
