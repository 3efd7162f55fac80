//! `rolekeeper exec` end to end: the command's environment (credentials replaced, AWS_PROFILE
//! gone, the profile's region), its exit code passed through, and `--server`: a long-running
//! boto3 program served renewing credentials on the container endpoint across several sessions.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a panic is the failure report

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Output;

use rolekeeper_tests::{bin, describe, require_env, AwsHome};

const SOURCE_SECRET: &str = "execTestSourceSecret000000000000000000000";

const CONFIG: &str = "\
[profile role-p]
role_arn = arn:aws:iam::123456789012:role/P
source_profile = dev
duration_seconds = 900
region = eu-west-2

[profile static]
region = us-east-1
";

fn home() -> AwsHome {
    AwsHome::new(
        CONFIG,
        &format!(
            "[dev]\naws_access_key_id = AKIAEXECTEST00000001\naws_secret_access_key = {SOURCE_SECRET}\n\n\
             [static]\naws_access_key_id = AKIAEXECSTATIC000001\naws_secret_access_key = {SOURCE_SECRET}\n"
        ),
    )
}

fn exec(home: &AwsHome, args: &[&str]) -> Output {
    home.command(bin("rolekeeper"))
        .arg("exec")
        .args(args)
        .output()
        .expect("run rolekeeper")
}

#[test]
fn the_exit_code_is_passed_through() {
    let home = home();
    let out = exec(&home, &["static", "--", "sh", "-c", "exit 7"]);
    assert_eq!(out.status.code(), Some(7), "{}", describe(&out));
    let out = exec(&home, &["static", "--", "true"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    // Killed by SIGTERM (15): 128 + 15, as a shell reports it.
    let out = exec(&home, &["static", "--", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(out.status.code(), Some(143), "{}", describe(&out));
    let out = exec(&home, &["static", "--", "no-such-command-here"]);
    assert_eq!(out.status.code(), Some(127), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-command-here"));
}

#[test]
fn a_missing_command_is_a_usage_error() {
    let home = home();
    let out = exec(&home, &["static"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("<CMD>"),
        "{}",
        describe(&out)
    );
}

#[test]
fn the_command_sees_the_role_and_nothing_of_the_callers_credentials() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let home = home();
    let out = home
        .command(bin("rolekeeper"))
        .args(["exec", "role-p", "--", "env"])
        .env("AWS_PROFILE", "static")
        .env("AWS_DEFAULT_PROFILE", "static")
        .env("AWS_ACCESS_KEY_ID", "AKIACALLER0000000001")
        .env("AWS_SECRET_ACCESS_KEY", "callerSecret")
        .env("AWS_SESSION_TOKEN", "callerToken")
        .output()
        .expect("run rolekeeper");
    assert!(out.status.success(), "{}", describe(&out));
    let env: BTreeMap<String, String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    assert!(env["AWS_ACCESS_KEY_ID"].starts_with("ASIA"), "{env:?}");
    assert_ne!(env["AWS_SECRET_ACCESS_KEY"], "callerSecret");
    assert_ne!(env["AWS_SESSION_TOKEN"], "callerToken");
    assert!(env.contains_key("AWS_CREDENTIAL_EXPIRATION"));
    assert!(!env.contains_key("AWS_PROFILE"), "{env:?}");
    assert!(!env.contains_key("AWS_DEFAULT_PROFILE"), "{env:?}");
    assert_eq!(env["AWS_REGION"], "eu-west-2");
    assert_eq!(env["AWS_DEFAULT_REGION"], "eu-west-2");
    let err = String::from_utf8_lossy(&out.stderr);
    for secret in [
        env["AWS_SECRET_ACCESS_KEY"].as_str(),
        env["AWS_SESSION_TOKEN"].as_str(),
        SOURCE_SECRET,
    ] {
        assert!(!err.contains(secret), "a secret on stderr");
    }

    // A region the caller chose stays.
    let out = home
        .command(bin("rolekeeper"))
        .args(["exec", "role-p", "--", "sh", "-c", "echo $AWS_REGION"])
        .env("AWS_REGION", "ap-south-1")
        .output()
        .expect("run rolekeeper");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ap-south-1");
}

#[test]
fn a_long_running_child_is_served_renewing_credentials_on_the_container_endpoint() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let py = require_env("ROLEKEEPER_TEST_PYTHON");
    let home = home();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("support/long_caller.py");
    // 900 s sessions, renewed when less than 890 s are left: about every 10 s. botocore asks the
    // endpoint again on every call (a 900 s session is inside its 15 min advisory window).
    let out = home
        .command(bin("rolekeeper"))
        .args(["exec", "role-p", "--server", "--"])
        .arg(py)
        .arg(script)
        .args(["40", "3", "--probe"])
        .env("ROLEKEEPER_REFRESH_BEFORE", "890s")
        .env("AWS_PROFILE", "static")
        .output()
        .expect("run rolekeeper");
    assert!(
        out.status.success(),
        "every call succeeds: {}",
        describe(&out)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let probe = &lines[0]["probe"];
    assert_eq!(probe[0], 401, "no token: {probe}");
    assert_eq!(probe[1], 403, "wrong token: {probe}");
    let calls = &lines[1..];
    assert!(calls.len() >= 10, "{}", describe(&out));
    let keys: BTreeSet<&str> = calls.iter().map(|c| c["key"].as_str().unwrap()).collect();
    assert!(keys.len() >= 3, "at least two renewals: {keys:?}");
    for call in calls {
        assert!(
            call["arn"]
                .as_str()
                .unwrap()
                .starts_with("arn:aws:sts::123456789012:assumed-role/P/"),
            "the role, not AWS_PROFILE's static keys: {call}"
        );
    }
    let err = String::from_utf8_lossy(&out.stderr);
    for call in calls {
        for field in ["secret", "token"] {
            let secret = call[field].as_str().unwrap();
            assert!(!err.contains(secret), "a secret on stderr");
        }
    }
    assert!(!err.contains(SOURCE_SECRET));
}

#[test]
fn the_server_refuses_long_term_keys_in_words() {
    let home = home();
    let out = exec(&home, &["static", "--server", "--", "true"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("profile `static` has long-term keys"), "{err}");
    assert!(!err.contains(SOURCE_SECRET));
}
