//! The windows driven through WebDriver (tauri-driver + Debian's WebKitWebDriver, selenium as
//! the client):
//! - the MFA dialog, against the fault proxy that checks MFA codes as real STS does (moto does
//!   not): a wrong code is rejected and the dialog says why in STS's words, then the right code
//!   renews the session and botocore reads it from the credentials file;
//! - the manager's Diagnostics tab: each line of the files an AWS reader refuses is shown once,
//!   as a failed check naming its line;
//! - the Sources tab's IAM Identity Center section, against the fake Identity Center: a sign-in
//!   with a device code shown in the dialog, a sign-out, and a sign-in in the browser.
//!
//! Runs inside scripts/with-desktop-session.sh, one test at a time with the other desktop suites.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

use rolekeeper_tests::desktop::{
    click_in, descendant_named, eventually, menu_of, require_desktop_session,
};
use rolekeeper_tests::proxy::StsProxy;
use rolekeeper_tests::{bin, botocore_view, describe, moto_iam, require_env, AwsHome, ChildGuard};
use serde_json::Value;

/// Names no other suite uses: MFA sessions are cached in the shared keyring by source and device.
const CONFIG: &str = "\
[profile wd-role]
role_arn = arn:aws:iam::123456789012:role/WebDriver
source_profile = wd-source
duration_seconds = 3600
region = us-east-1
";
const CREDENTIALS: &str = "\
[wd-source]
aws_access_key_id = AKIAWEBDRIVER0000001
aws_secret_access_key = webDriverTestSecret0000000000000000000000
";
const SERIAL: &str = "arn:aws:iam::123456789012:mfa/webdriver";
const WRONG: &str = "111111";
const RIGHT: &str = "864209";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// tauri-driver on a free port; it starts the app (through WebKitWebDriver) with `home`'s
/// environment and `vars` when a WebDriver session begins.
fn start_tauri_driver(home: &AwsHome, vars: &[(&str, &str)]) -> (ChildGuard, u16) {
    let port = free_port();
    let mut driver_cmd = home.command("tauri-driver");
    driver_cmd
        .args([
            "--port",
            &port.to_string(),
            "--native-port",
            &free_port().to_string(),
        ])
        .args(["--native-driver", "/usr/bin/WebKitWebDriver"])
        .envs(vars.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let driver = ChildGuard(driver_cmd.spawn().expect(
        "start tauri-driver (./scripts/test.sh installs it: cargo install tauri-driver --version 2.1.0)",
    ));
    assert!(
        eventually(Duration::from_secs(20), || std::net::TcpStream::connect((
            "127.0.0.1",
            port
        ))
        .is_ok()),
        "tauri-driver does not listen on {port}"
    );
    (driver, port)
}

/// The WebDriver session is ready only once the app has a web view: open a window the way a
/// person does, clicking the tray item `label` once the app below tauri-driver offers it
/// enabled. Joins to whether it was clicked.
fn click_when_offered(driver_pid: u32, label: &'static str) -> JoinHandle<bool> {
    std::thread::spawn(move || {
        let mut app_pid = None;
        let found = eventually(Duration::from_secs(60), || {
            app_pid = descendant_named(driver_pid, "rolekeeper-desktop");
            app_pid.is_some_and(|pid| {
                menu_of(pid).is_some_and(|m| m.iter().any(|i| i.label == label && i.enabled))
            })
        });
        if let (true, Some(pid)) = (found, app_pid) {
            click_in(pid, label);
        }
        found
    })
}

/// Where the screenshots go: out/screenshots/ (gitignored; docs/ holds the chosen ones).
fn shots_dir() -> PathBuf {
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../out/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    shots
}

/// Run the selenium client `tests/support/SCRIPT` against tauri-driver on `port`.
fn run_client(script: &str, port: u16, args: &[&std::ffi::OsStr]) -> Output {
    let python = require_env("ROLEKEEPER_TEST_PYTHON");
    Command::new(python)
        .arg(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("support")
                .join(script),
        )
        .arg(format!("http://127.0.0.1:{port}"))
        .arg(bin("rolekeeper-desktop"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {script}: {e}"))
}

#[test]
fn a_wrong_code_is_refused_in_words_then_the_right_one_renews_the_session() {
    require_desktop_session();
    let _keyring = rolekeeper_tests::keyring_use(false);
    let proxy = StsProxy::start();
    let home = AwsHome::new(CONFIG, CREDENTIALS);
    let out = home
        .command(bin("rolekeeper"))
        .env("AWS_ENDPOINT_URL_STS", proxy.url())
        .args(["activate", "wd-role", "--duration", "900s"])
        .output()
        .expect("activate");
    assert!(out.status.success(), "activate: {}", describe(&out));
    let first_key = botocore_view(&home, &["wd-role"])["keys"]["wd-role"].clone();
    let mut config = std::fs::read_to_string(home.config_path()).unwrap();
    config.push_str(&format!("mfa_serial = {SERIAL}\n"));
    std::fs::write(home.config_path(), config).unwrap();
    proxy.expect_mfa_code(RIGHT);

    // tauri-driver starts the app through WebKitWebDriver, with this environment.
    let (driver, port) = start_tauri_driver(
        &home,
        &[
            ("AWS_ENDPOINT_URL_STS", proxy.url().as_str()),
            ("ROLEKEEPER_REFRESH_BEFORE", "895s"),
        ],
    );
    // The dialog opens from the tray once the engine has found that a code is needed.
    let opener = click_when_offered(driver.id(), "Enter MFA code…");
    let shots = shots_dir();
    let run = run_client(
        "webdriver_mfa.py",
        port,
        &[WRONG.as_ref(), RIGHT.as_ref(), shots.as_os_str()],
    );
    assert!(
        opener.join().unwrap(),
        "the tray never offered Enter MFA code…"
    );
    assert!(run.status.success(), "WebDriver: {}", describe(&run));
    let result: Value = serde_json::from_slice(&run.stdout).expect("JSON from webdriver_mfa.py");

    assert_eq!(result["title"], "Enter MFA code");
    let request = result["request"].as_str().unwrap();
    assert!(
        request.contains("wd-role") && request.contains(SERIAL),
        "{request}"
    );
    let rejected = result["after_wrong"].as_str().unwrap();
    assert!(
        rejected.contains("did not accept") && rejected.contains("MultiFactorAuthentication"),
        "the dialog says in STS's words why: {rejected}"
    );
    assert_eq!(
        result["field_after_wrong"], "",
        "a rejected code is cleared for the next one"
    );
    assert!(result["after_right"]
        .as_str()
        .unwrap()
        .contains("Code accepted"));

    let calls = proxy.calls();
    assert_eq!(
        calls["token_codes"][WRONG], 1,
        "the wrong code went to STS once and was never retried: {calls}"
    );
    assert!(
        calls["token_codes"][RIGHT].as_u64().unwrap_or(0) >= 1,
        "{calls}"
    );
    let renewed = botocore_view(&home, &["wd-role"])["keys"]["wd-role"].clone();
    assert_ne!(
        renewed, first_key,
        "botocore reads the credentials renewed with the code"
    );
    drop(driver);
}

/// A config the AWS tools refuse at two lines: an indented key with no property above it to
/// continue (line 3) and a header with no `]` (line 4).
const REFUSED_CONFIG: &str = "\
[profile wd-diag]

  indented = yes
[profile wd-unclosed
region = eu-west-1
";

/// Open the manager window from the tray as a person does, and run the selenium client
/// `tests/support/SCRIPT SHOT_DIR ARGS...` on it; its JSON result.
fn in_manager(home: &AwsHome, script: &str, args: &[&std::ffi::OsStr]) -> Value {
    in_manager_with(home, &[], script, args)
}

/// [`in_manager`], the app started with `vars` besides `home`'s environment.
fn in_manager_with(
    home: &AwsHome,
    vars: &[(&str, &str)],
    script: &str,
    args: &[&std::ffi::OsStr],
) -> Value {
    let (driver, port) = start_tauri_driver(home, vars);
    let opener = click_when_offered(driver.id(), "Open RoleKeeper…");
    let shots = shots_dir();
    let mut all = vec![shots.as_os_str()];
    all.extend_from_slice(args);
    let run = run_client(script, port, &all);
    assert!(
        opener.join().unwrap(),
        "the tray never offered Open RoleKeeper…"
    );
    assert!(run.status.success(), "WebDriver: {}", describe(&run));
    drop(driver);
    serde_json::from_slice(&run.stdout).unwrap_or_else(|e| panic!("JSON from {script}: {e}"))
}

#[test]
fn the_diagnostics_tab_shows_each_refused_line_once_as_a_check_with_its_line() {
    require_desktop_session();
    // The diagnostics ask the keychain whether it answers.
    let _keyring = rolekeeper_tests::keyring_use(false);
    let home = AwsHome::new(REFUSED_CONFIG, "");
    let config_path = home.config_path().display().to_string();

    let result = in_manager(&home, "webdriver_diagnostics.py", &[]);

    assert_eq!(result["title"], "RoleKeeper");
    assert_eq!(result["config_file"], config_path.as_str());
    let checks = result["checks"].as_array().unwrap();
    let failed: Vec<&str> = checks
        .iter()
        .filter(|c| c["badge"] == "FAIL")
        .map(|c| c["detail"].as_str().unwrap())
        .collect();
    assert_eq!(
        failed.len(),
        2,
        "one failed check per refused line: {checks:#?}"
    );
    for (line, words) in [
        (3, "Expected a property definition"),
        (4, "must end with ']'"),
    ] {
        let at = format!("{config_path}, line {line}:");
        assert!(
            failed.iter().any(|d| d.contains(&at) && d.contains(words)),
            "a failed check names {at}: {failed:#?}"
        );
        // Once on the page: no second list repeats it.
        let page = result["page_text"].as_str().unwrap();
        assert_eq!(page.matches(&at).count(), 1, "{at} shown once:\n{page}");
    }
    assert!(
        checks
            .iter()
            .filter(|c| c["badge"] == "FAIL")
            .all(|c| c["name"] == "config file syntax"),
        "{checks:#?}"
    );
    assert_eq!(result["other_lists"], 0, "the checks are the only list");
    let not_ok = checks.iter().filter(|c| c["badge"] != "ok").count();
    assert_eq!(
        result["flag"],
        not_ok.to_string(),
        "the tab's mark counts what is not ok"
    );
    assert!(
        result["summary"].as_str().unwrap().starts_with("2 failed"),
        "{}",
        result["summary"]
    );
}

#[test]
fn a_session_is_given_process_delivery_and_a_length_in_the_sessions_tab() {
    require_desktop_session();
    // Process delivery keeps the session in the keychain.
    let _keyring = rolekeeper_tests::keyring_use(false);
    let name = format!("t{}-wd-deliver", std::process::id());
    let config = format!(
        "[profile {name}]\nrole_arn = arn:aws:iam::123456789012:role/Deliver\nsource_profile = \
         dev\nregion = us-east-1\n"
    );
    let credentials =
        "[dev]\naws_access_key_id = AKIAWEBDRIVERDELIV01\naws_secret_access_key = wdDeliverSecret\n";
    let home = AwsHome::new(&config, credentials);

    let result = in_manager(&home, "webdriver_sessions.py", &[name.as_ref()]);

    assert_eq!(result["before"]["state"], "off", "{result:#}");
    assert_eq!(result["before"]["delivery"], "File");
    assert_eq!(result["before"]["duration"], "Default");
    assert_eq!(result["after"]["delivery"], "Process", "{result:#}");
    assert_eq!(result["after"]["duration"], "2 h");
    assert_eq!(
        result["after"]["buttons"],
        serde_json::json!(["Refresh now", "Deactivate"])
    );

    // What the choices did, read from the files: the config serves the profile through
    // RoleKeeper, the credentials file is untouched, and the state remembers 2 h.
    let config_now = std::fs::read_to_string(home.config_path()).unwrap();
    assert!(
        config_now.contains(&format!(
            "credential_process = rolekeeper credential-process {name}"
        )),
        "{config_now}"
    );
    assert_eq!(
        std::fs::read_to_string(home.credentials_path()).unwrap(),
        credentials
    );
    let status = home
        .command(bin("rolekeeper"))
        .args(["status", "--json"])
        .output()
        .unwrap();
    let status: Value = serde_json::from_slice(&status.stdout).expect("status JSON");
    let session = &status["sessions"][0];
    assert_eq!(session["name"], name.as_str(), "{status:#}");
    assert_eq!(session["delivery"], "process");
    assert_eq!(session["duration_seconds"], 7200);
    let out = home
        .command(bin("rolekeeper"))
        .args(["deactivate", &name])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(std::fs::read_to_string(home.config_path()).unwrap(), config);
}

/// The tray activates a session while the manager window is open: the window says so within a
/// second (it follows the engine's events; its own re-listing comes every 30 s).
#[test]
fn the_window_follows_a_tray_action_within_a_second() {
    require_desktop_session();
    require_env("ROLEKEEPER_TEST_STS_URL");
    let name = format!("t{}-wd-follow", std::process::id());
    let config = format!(
        "[profile {name}]\nrole_arn = arn:aws:iam::123456789012:role/Follow\nsource_profile = \
         dev\nregion = us-east-1\n"
    );
    let credentials =
        "[dev]\naws_access_key_id = AKIAWEBDRIVERFOLLOW1\naws_secret_access_key = wdFollowSecret\n";
    let home = AwsHome::new(&config, credentials);
    let marker = home.home().join("window-ready");

    let (driver, port) = start_tauri_driver(&home, &[]);
    let opener = click_when_offered(driver.id(), "Open RoleKeeper…");
    let driver_pid = driver.id();
    let label = format!("{name} — off>Activate");
    let marker_seen = marker.clone();
    let clicker = std::thread::spawn(move || {
        assert!(
            eventually(Duration::from_secs(90), || marker_seen.exists()),
            "the window never showed the session off"
        );
        let app = descendant_named(driver_pid, "rolekeeper-desktop").expect("the app");
        click_in(app, &label);
        #[allow(clippy::disallowed_methods)] // compared with the client's wall clock
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
    });
    let shots = shots_dir();
    let run = run_client(
        "webdriver_follows.py",
        port,
        &[shots.as_os_str(), name.as_ref(), marker.as_os_str()],
    );
    assert!(
        opener.join().unwrap(),
        "the tray never offered Open RoleKeeper…"
    );
    let clicked = clicker.join().unwrap();
    assert!(run.status.success(), "WebDriver: {}", describe(&run));
    drop(driver);
    let result: Value = serde_json::from_slice(&run.stdout).expect("JSON");
    let seen = result["seen_at"]
        .as_f64()
        .unwrap_or_else(|| panic!("the window never showed it fresh: {result}"));
    let lag = seen - clicked;
    println!("the window showed the tray's activation {lag:.3} s after the click");
    assert!(
        lag < 1.0,
        "the window followed the tray {lag:.3} s late (it must follow the engine's events): {result}"
    );
    let out = home
        .command(bin("rolekeeper"))
        .args(["deactivate", &name])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
}

#[test]
fn a_sign_in_from_the_sources_tab_with_a_device_code_then_in_the_browser() {
    require_desktop_session();
    // The refresh token goes to the keychain.
    let _keyring = rolekeeper_tests::keyring_use(false);
    let fake = rolekeeper_tests::fake_sso::FakeIdentityCenter::start();
    let home = AwsHome::new(
        &rolekeeper_tests::fake_sso::sso_config("wd-corp", "wd-dev"),
        "",
    );
    let browser_log = home.home().join("browser.log");
    let url = fake.url();
    let mut env = fake.client_env();
    // The device code is read back from the URL the browser was sent to.
    env.push((
        "ROLEKEEPER_TEST_BROWSER_LOG",
        browser_log.display().to_string(),
    ));
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();

    let result = in_manager_with(
        &home,
        &vars,
        "webdriver_sso.py",
        &[url.as_ref(), browser_log.as_os_str(), "wd-corp".as_ref()],
    );

    assert_eq!(result["before"]["state"], "not signed in", "{result:#}");
    assert_eq!(result["before"]["buttons"], serde_json::json!(["Sign in"]));
    let row = result["before"]["row"].as_str().unwrap();
    assert!(
        row.contains("d-1234567890.awsapps.com/start")
            && row.contains("us-east-1")
            && row.contains("wd-dev"),
        "{row}"
    );
    assert_eq!(result["dialog_opened"], true, "{result:#}");
    assert!(result["user_code"].is_string(), "{result:#}");
    assert_eq!(result["signing_in"], "signing in…");
    assert_eq!(
        result["after_device"]["state"], "signed in · renewed by itself",
        "{result:#}"
    );
    assert_eq!(
        result["after_device"]["buttons"],
        serde_json::json!(["Sign out"])
    );
    assert_eq!(
        result["dialog_closed"], true,
        "the dialog closes itself once signed in"
    );
    assert_eq!(result["after_sign_out"], "not signed in");
    assert_eq!(
        result["after_browser"], "signed in · renewed by itself",
        "{result:#}"
    );
    assert_eq!(
        fake.count("start_device_authorization"),
        1,
        "{}",
        fake.stats()
    );
    assert_eq!(fake.count("authorize"), 1, "{}", fake.stats());
    assert_eq!(fake.count("sign_ins"), 2, "{}", fake.stats());
    // The token file as the AWS tools read it.
    let cache = home.home().join(".aws/sso/cache");
    assert!(
        std::fs::read_dir(&cache).is_ok_and(|mut d| d.next().is_some()),
        "a token file in {}",
        cache.display()
    );
}

#[test]
fn a_sources_key_is_checked_and_rotated_in_the_sources_tab() {
    require_desktop_session();
    let _keyring = rolekeeper_tests::keyring_use(false);
    let moto = require_env("ROLEKEEPER_TEST_STS_URL");
    let name = format!("wd{}-keys", std::process::id());
    let key = moto_iam(&["create-user", &name], &[]);
    let (old, secret) = (key["id"].as_str().unwrap(), key["secret"].as_str().unwrap());
    let home = AwsHome::new("", "");
    let mut add = home
        .command(bin("rolekeeper"))
        .args(["source", "add", &name])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("rolekeeper source add");
    use std::io::Write;
    writeln!(add.stdin.take().unwrap(), "{old}\n{secret}").unwrap();
    assert!(add.wait().unwrap().success());
    let _forget = rolekeeper_tests::ForgetKeychainEntries(vec![format!("source:{name}")]);

    let vars = [("AWS_ENDPOINT_URL_IAM", moto.as_str())];
    let result = in_manager_with(&home, &vars, "webdriver_keys.py", &[name.as_ref()]);

    let masked = |id: &str| format!("{}…{}", &id[..4], &id[id.len() - 4..]);
    let checked = &result["checked"]["cells"];
    assert_eq!(checked[3], masked(old).as_str(), "{result:#}");
    assert_eq!(checked[4], "today", "{result:#}");
    let keys = moto_iam(&["list-keys", &name], &[]);
    let keys = keys.as_array().unwrap();
    assert_eq!(keys.len(), 1, "the old key is deleted: {keys:?}");
    let new = keys[0]["id"].as_str().unwrap();
    assert_ne!(new, old);
    assert_eq!(
        result["rotated"]["cells"][3],
        masked(new).as_str(),
        "{result:#}"
    );
    let page = result.to_string();
    assert!(!page.contains(old) && !page.contains(new) && !page.contains(secret));
}
