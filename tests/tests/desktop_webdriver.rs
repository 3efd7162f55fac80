//! The MFA dialog driven through WebDriver (tauri-driver + Debian's WebKitWebDriver, selenium as
//! the client), against the fault proxy that checks MFA codes as real STS does (moto does not):
//! a wrong code is rejected and the dialog says why in STS's words, then the right code renews
//! the session and botocore reads it from the credentials file.
//!
//! Runs inside scripts/with-desktop-session.sh, one test at a time with the other desktop suites.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

use rolekeeper_tests::desktop::{
    click_in, descendant_named, eventually, menu_of, require_desktop_session,
};
use rolekeeper_tests::proxy::StsProxy;
use rolekeeper_tests::{bin, botocore_view, describe, require_env, AwsHome, ChildGuard};
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
        .env("AWS_ENDPOINT_URL_STS", proxy.url())
        .env("ROLEKEEPER_REFRESH_BEFORE", "895s")
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

    // The WebDriver session is ready only once the app has a web view: open the dialog the way
    // a person does, from the tray, once the engine has found that a code is needed.
    let driver_pid = driver.id();
    let opener = std::thread::spawn(move || {
        let mut app_pid = None;
        let found = eventually(Duration::from_secs(60), || {
            app_pid = descendant_named(driver_pid, "rolekeeper-desktop");
            app_pid.is_some_and(|pid| {
                menu_of(pid)
                    .is_some_and(|m| m.iter().any(|i| i.label == "Enter MFA code…" && i.enabled))
            })
        });
        if found {
            click_in(app_pid.unwrap(), "Enter MFA code…");
        }
        found
    });

    let python = require_env("ROLEKEEPER_TEST_PYTHON");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("support/webdriver_mfa.py");
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../out/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let run = Command::new(python)
        .arg(script)
        .arg(format!("http://127.0.0.1:{port}"))
        .arg(bin("rolekeeper-desktop"))
        .args([WRONG, RIGHT])
        .arg(&shots)
        .output()
        .expect("run webdriver_mfa.py");
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
