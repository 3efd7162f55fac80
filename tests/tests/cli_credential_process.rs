//! `rolekeeper credential-process`, `login`, `completions` and `man` end to end: the seed
//! workflow (a long-running boto3 program whose profile runs `rolekeeper credential-process`
//! keeps working across renewals with no refresh code), the file fast path that never calls STS,
//! the no-terminal MFA error, and the generated completions and manual page.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a panic is the failure report

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use rolekeeper_tests::{bin, describe, require_env, AwsHome};

const SOURCE_SECRET: &str = "cpTestSourceSecret00000000000000000000000";

fn home() -> AwsHome {
    let config = format!(
        "\
[profile p]
credential_process = {} credential-process role-p
region = us-east-1

[profile role-p]
role_arn = arn:aws:iam::123456789012:role/P
source_profile = dev
duration_seconds = 900
region = us-east-1

[profile needs-mfa]
role_arn = arn:aws:iam::123456789012:role/Mfa
source_profile = dev
mfa_serial = arn:aws:iam::123456789012:mfa/alice
",
        bin("rolekeeper").display()
    );
    AwsHome::new(
        &config,
        &format!(
            "[dev]\naws_access_key_id = AKIACPTEST0000000001\naws_secret_access_key = {SOURCE_SECRET}\n"
        ),
    )
}

fn rolekeeper(home: &AwsHome, args: &[&str]) -> Output {
    home.command(bin("rolekeeper"))
        .args(args)
        .output()
        .expect("run rolekeeper")
}

fn document(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", describe(out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON document");
    assert_eq!(doc["Version"], 1, "{doc}");
    doc
}

/// Fails if any of `secrets` appears in `text`.
fn assert_no_secret(text: &str, secrets: &[String], what: &str) {
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        assert!(
            !text.contains(secret.as_str()),
            "a secret value appears in {what}"
        );
    }
}

#[test]
fn a_long_running_boto3_program_keeps_working_across_renewals() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let py = require_env("ROLEKEEPER_TEST_PYTHON");
    let home = home();
    let out = rolekeeper(&home, &["activate", "role-p"]);
    assert!(out.status.success(), "activate: {}", describe(&out));
    // 900 s sessions and a lead of 890 s: credential-process serves the file for about 10 s,
    // then renews it. botocore asks again on every call (a 900 s session is always inside its
    // 15 min advisory window), so the program sees each renewal.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("support/long_caller.py");
    let out = home
        .command(py)
        .arg(script)
        .args(["40", "3"])
        .env("AWS_PROFILE", "p")
        .env("ROLEKEEPER_REFRESH_BEFORE", "890s")
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "every call succeeds: {}",
        describe(&out)
    );
    let calls: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert!(calls.len() >= 10, "{}", describe(&out));
    let keys: BTreeSet<&str> = calls.iter().map(|c| c["key"].as_str().unwrap()).collect();
    assert!(
        keys.len() >= 3,
        "at least two renewals seen by the program: {keys:?}"
    );
    for call in &calls {
        assert!(
            call["arn"]
                .as_str()
                .unwrap()
                .starts_with("arn:aws:sts::123456789012:assumed-role/P/"),
            "{call}"
        );
    }
    let mut secrets: Vec<String> = calls
        .iter()
        .flat_map(|c| [c["secret"].as_str(), c["token"].as_str()])
        .flatten()
        .map(str::to_owned)
        .collect();
    secrets.push(SOURCE_SECRET.to_owned());
    assert_no_secret(&String::from_utf8_lossy(&out.stderr), &secrets, "stderr");
    // The last renewal is in the credentials file, so the next caller reads it from there.
    let file = std::fs::read_to_string(home.credentials_path()).expect("credentials");
    assert!(keys.iter().any(|k| file.contains(k)));
}

#[test]
fn an_active_session_is_served_from_the_file_without_calling_sts() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let home = home();
    let out = rolekeeper(&home, &["activate", "role-p", "--duration", "1h"]);
    assert!(out.status.success(), "activate: {}", describe(&out));
    let file = std::fs::read_to_string(home.credentials_path()).expect("credentials");

    // Nothing listens on port 1: any STS call would fail.
    let closed = |args: &[&str]| {
        home.command(bin("rolekeeper"))
            .args(args)
            .env("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1")
            .output()
            .expect("run rolekeeper")
    };
    let out = closed(&["credential-process", "role-p"]);
    let doc = document(&out);
    let key = doc["AccessKeyId"].as_str().unwrap();
    assert!(
        file.contains(&format!("aws_access_key_id = {key}")),
        "the file's session"
    );
    assert!(doc["Expiration"].as_str().unwrap().ends_with("+00:00"));
    let secrets = vec![
        doc["SecretAccessKey"].as_str().unwrap().to_owned(),
        doc["SessionToken"].as_str().unwrap().to_owned(),
        SOURCE_SECRET.to_owned(),
    ];
    assert!(out.stderr.is_empty(), "{}", describe(&out));
    // `export --format process` prints the same document from the same place.
    let exported = closed(&["export", "role-p", "--format", "process"]);
    assert_eq!(exported.stdout, out.stdout, "{}", describe(&exported));

    // A lead longer than the session leaves it renewed at half its length: for its first half
    // hour the file's session is still served, with no call.
    let with_lead = |lead: &str| {
        home.command(bin("rolekeeper"))
            .args(["credential-process", "role-p"])
            .env("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1")
            .env("ROLEKEEPER_REFRESH_BEFORE", lead)
            .output()
            .expect("run rolekeeper")
    };
    let long_lead = with_lead("2h");
    assert_eq!(long_lead.stdout, out.stdout, "{}", describe(&long_lead));

    // With less than the lead left (3597 s of a one-hour session, a few seconds after it was
    // written) it renews through STS: the closed port proves the fast path above made no call.
    std::thread::sleep(std::time::Duration::from_secs(4));
    let renew = with_lead("3597s");
    assert_eq!(renew.status.code(), Some(1), "{}", describe(&renew));
    let err = String::from_utf8_lossy(&renew.stderr);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains("profile `role-p`"), "{err}");
    assert_no_secret(&err, &secrets, "stderr");

    // login renews it for real and writes the file.
    let out = rolekeeper(&home, &["login", "role-p"]);
    assert!(out.status.success(), "login: {}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("renewed role-p"));
    let after = std::fs::read_to_string(home.credentials_path()).expect("credentials");
    assert!(!after.contains(key), "login wrote a new session");
    assert_no_secret(&String::from_utf8_lossy(&out.stderr), &secrets, "stderr");
    assert_no_secret(&String::from_utf8_lossy(&out.stdout), &secrets, "stdout");
}

#[test]
fn a_code_needed_without_a_terminal_is_one_clear_error() {
    let home = home();
    // setsid: no controlling terminal, as when an SDK runs credential_process from a service.
    let out = home
        .command("setsid")
        .args(["-w"])
        .arg(bin("rolekeeper"))
        .args(["credential-process", "needs-mfa"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("setsid");
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(out.stdout.is_empty(), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(
            "profile `needs-mfa` needs an MFA code for arn:aws:iam::123456789012:mfa/alice"
        ),
        "{err}"
    );
}

#[test]
fn login_checks_the_code_before_anything_else() {
    let home = home();
    let out = rolekeeper(&home, &["login", "role-p", "--mfa-code", "12345x"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("six digits"), "{err}");
    assert!(!err.contains("12345x"), "the code is never echoed: {err}");
}

#[test]
fn completions_and_the_manual_page_name_every_command() {
    let home = home();
    let commands = [
        "export",
        "credential-process",
        "exec",
        "login",
        "activate",
        "deactivate",
        "status",
        "daemon",
        "doctor",
        "source",
        "completions",
    ];
    for args in [
        &["completions", "bash"][..],
        &["completions", "zsh"],
        &["completions", "fish"],
        &["man"],
    ] {
        let out = rolekeeper(&home, args);
        assert!(out.status.success(), "{args:?}: {}", describe(&out));
        // roff writes a hyphen as `\-`.
        let text = String::from_utf8_lossy(&out.stdout).replace("\\-", "-");
        for command in commands {
            assert!(text.contains(command), "{args:?} lacks {command}");
        }
    }
    // Every command's help has an example.
    for command in commands {
        let out = rolekeeper(&home, &[command, "--help"]);
        assert!(out.status.success(), "{command}: {}", describe(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Example"),
            "{command} --help has no example"
        );
    }
}
