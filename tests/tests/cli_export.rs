//! `rolekeeper export` end to end: the real binary, moto as STS, boto3/botocore and the AWS CLI v2
//! as oracles of what the output means.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a panic is the failure report

use std::process::Output;
use std::time::{SystemTime, UNIX_EPOCH};

use rolekeeper_tests::{bin, describe, require_env, AwsHome};

const CONFIG: &str = "\
# a comment the user wrote
[profile prodaccess]
role_arn = arn:aws:iam::123456789012:role/ProdAccess
source_profile = dev
duration_seconds = 1800
region = us-east-1

[profile chained]
role_arn = arn:aws:iam::123456789012:role/Second
source_profile = prodaccess
role_session_name = chained-session

[profile loop-a]
role_arn = arn:aws:iam::123456789012:role/A
source_profile = loop-b

[profile loop-b]
role_arn = arn:aws:iam::123456789012:role/B
source_profile = loop-a

[profile orphan]
role_arn = arn:aws:iam::123456789012:role/Orphan
source_profile = does-not-exist

[profile badarn]
role_arn = arn:aws:s3:::my-bucket
source_profile = dev
";

const CREDENTIALS: &str = "\
[dev]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
";

fn home() -> AwsHome {
    AwsHome::new(CONFIG, CREDENTIALS)
}

fn export(home: &AwsHome, args: &[&str]) -> Output {
    home.command(bin("rolekeeper"))
        .arg("export")
        .args(args)
        .output()
        .expect("run rolekeeper")
}

/// Run Python (the venv with boto3) in a shell that first evals `rolekeeper export ...`.
fn python_after_eval(home: &AwsHome, export_args: &str, python: &str) -> Output {
    let py = require_env("ROLEKEEPER_TEST_PYTHON");
    let script = format!(
        "set -e; eval \"$('{}' export {export_args})\"; exec '{py}' -c '{python}'",
        bin("rolekeeper").display()
    );
    home.command("bash")
        .arg("-c")
        .arg(script)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()
        .expect("run bash")
}

const WHOAMI: &str = "import boto3, os; \
    print(boto3.client(\"sts\").get_caller_identity()[\"Arn\"]); \
    print(os.environ[\"AWS_CREDENTIAL_EXPIRATION\"])";

fn unix_now() -> i64 {
    #[allow(clippy::disallowed_methods)] // the test compares against the real clock
    let now = SystemTime::now();
    now.duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

/// Seconds from now until an ISO 8601 time printed by Python.
fn seconds_until(iso: &str) -> i64 {
    let py = require_env("ROLEKEEPER_TEST_PYTHON");
    let out = std::process::Command::new(py)
        .arg("-c")
        .arg(format!(
            "import datetime; print(int(datetime.datetime.fromisoformat('{iso}').timestamp()))"
        ))
        .output()
        .expect("python");
    let at: i64 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("timestamp");
    at - unix_now()
}

#[test]
fn a_shell_that_evals_export_env_is_the_assumed_role() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let home = home();
    let out = python_after_eval(&home, "prodaccess --format env", WHOAMI);
    assert!(out.status.success(), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let arn = lines.next().expect("arn line");
    assert!(
        arn.starts_with("arn:aws:sts::123456789012:assumed-role/ProdAccess/rolekeeper-"),
        "STS sees {arn}"
    );
    let left = seconds_until(lines.next().expect("expiration line"));
    assert!(
        (1700..=1810).contains(&left),
        "duration_seconds = 1800, but {left} s left"
    );
}

#[test]
fn duration_flag_overrides_duration_seconds() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let home = home();
    let out = python_after_eval(&home, "prodaccess --format env --duration 2h", WHOAMI);
    assert!(out.status.success(), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let left = seconds_until(text.lines().nth(1).expect("expiration line"));
    assert!(
        (7100..=7210).contains(&left),
        "--duration 2h, but {left} s left"
    );
}

#[test]
fn chains_assume_each_role_in_turn() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let home = home();
    let out = python_after_eval(&home, "chained", WHOAMI);
    assert!(out.status.success(), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.lines().next(),
        Some("arn:aws:sts::123456789012:assumed-role/Second/chained-session"),
        "{text}"
    );
}

#[test]
fn process_format_is_a_credential_process_document_botocore_accepts() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let py = require_env("ROLEKEEPER_TEST_PYTHON");
    let home = home();
    let doc = export(&home, &["prodaccess", "--format", "process"]);
    assert!(doc.status.success(), "{}", describe(&doc));
    let json: serde_json::Value = serde_json::from_slice(&doc.stdout).expect("JSON document");
    assert_eq!(json["Version"], 1);
    for key in [
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
    ] {
        assert!(json[key].is_string(), "{key} missing in {json}");
    }
    // botocore itself runs the command as a credential_process and uses what it prints.
    let config = format!(
        "{CONFIG}\n[profile viaprocess]\ncredential_process = {} export prodaccess --format process\n",
        bin("rolekeeper").display()
    );
    std::fs::write(home.config_path(), config).expect("write config");
    let out = home
        .command(py)
        .arg("-c")
        .arg(
            "import boto3; s = boto3.Session(profile_name=\"viaprocess\"); \
              print(s.client(\"sts\").get_caller_identity()[\"Arn\"])",
        )
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()
        .expect("python");
    assert!(out.status.success(), "{}", describe(&out));
    let arn = String::from_utf8_lossy(&out.stdout);
    assert!(
        arn.starts_with("arn:aws:sts::123456789012:assumed-role/ProdAccess/"),
        "{arn}"
    );
}

#[test]
fn a_static_profile_exports_what_the_aws_cli_v2_exports() {
    let aws = require_env("ROLEKEEPER_TEST_AWS_CLI");
    let home = home();
    for format in [
        "env",
        "env-no-export",
        "powershell",
        "windows-cmd",
        "process",
    ] {
        let ours = export(&home, &["dev", "--format", format]);
        assert!(ours.status.success(), "{}", describe(&ours));
        let theirs = home
            .command(&aws)
            .args([
                "configure",
                "export-credentials",
                "--profile",
                "dev",
                "--format",
                format,
            ])
            .output()
            .expect("run the AWS CLI");
        assert!(theirs.status.success(), "AWS CLI: {}", describe(&theirs));
        assert_eq!(
            String::from_utf8_lossy(&ours.stdout),
            String::from_utf8_lossy(&theirs.stdout),
            "format {format}"
        );
    }
}

/// `--format json` against `--format process` (the AWS CLI's document) for the same credentials:
/// a static profile, and an active role session (both formats then serve the session the
/// credentials file holds). The values must be the same strings; `Profile` names what was asked
/// for; what long-term keys lack is absent, not null.
#[test]
fn json_format_carries_what_the_process_document_carries() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    // `activate` keeps the session in the keychain too: no test may lock it meanwhile.
    let _keyring = rolekeeper_tests::keyring_use(false);
    let home = home();
    let activated = home
        .command(bin("rolekeeper"))
        .args(["activate", "prodaccess"])
        .output()
        .expect("run rolekeeper activate");
    assert!(activated.status.success(), "{}", describe(&activated));
    let cases: [(&str, &[&str], &[&str]); 2] = [
        (
            "dev",
            &["AccessKeyId", "SecretAccessKey"],
            &["SessionToken", "Expiration"],
        ),
        (
            "prodaccess",
            &[
                "AccessKeyId",
                "SecretAccessKey",
                "SessionToken",
                "Expiration",
            ],
            &[],
        ),
    ];
    for (profile, present, absent) in cases {
        let parse = |format: &str| -> (String, serde_json::Value) {
            let out = export(&home, &[profile, "--format", format]);
            assert!(
                out.status.success(),
                "{profile} {format}: {}",
                describe(&out)
            );
            let text = String::from_utf8(out.stdout).expect("UTF-8");
            let value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{profile} {format}: not JSON ({e}):\n{text}"));
            (text, value)
        };
        let (text, json) = parse("json");
        let (_, process) = parse("process");
        // Pretty-printed, two spaces, Profile first, one final newline.
        assert!(
            text.starts_with(&format!(
                "{{\n  \"Profile\": \"{profile}\",\n  \"AccessKeyId\": "
            )),
            "{profile}: {text}"
        );
        assert!(text.ends_with("\"\n}\n"), "{profile}: {text}");
        let object = json.as_object().expect("a JSON object");
        let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut expected: Vec<&str> = present.iter().copied().chain(["Profile"]).collect();
        expected.sort_unstable();
        assert_eq!(keys, expected, "{profile}: {text}");
        for key in present {
            assert!(json[key].is_string(), "{profile}: {key} in {text}");
            assert_eq!(json[key], process[key], "{profile}: {key}");
        }
        for key in absent {
            assert!(process.get(key).is_none(), "{profile}: process has {key}");
        }
    }
}

#[test]
fn aws_profile_and_file_variables_are_honoured() {
    let home = home();
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let config = elsewhere.path().join("cfg");
    let creds = elsewhere.path().join("creds");
    std::fs::write(&config, "[profile other]\nregion = eu-west-1\n").expect("write");
    std::fs::write(
        &creds,
        "[other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = x\n",
    )
    .expect("write");
    let out = home
        .command(bin("rolekeeper"))
        .args(["export", "--format", "env-no-export"])
        .env("AWS_PROFILE", "other")
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", &creds)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "AWS_ACCESS_KEY_ID=AKIDOTHER\nAWS_SECRET_ACCESS_KEY=x\n"
    );
}

/// Each bad input: one line on stderr naming the profile and what is wrong, exit 1, no stdout.
#[test]
fn bad_input_gives_one_clear_line() {
    let home = home();
    let cases: &[(&[&str], &[&str])] = &[
        (&["nosuch"], &["profile `nosuch` not found", ".aws/config"]),
        (&["loop-a"], &["loop-a -> loop-b -> loop-a"]),
        (&["orphan"], &["`orphan`", "`does-not-exist`", "line 23"]),
        (&["badarn"], &["`badarn`", "role_arn", "line 26"]),
        (
            &["prodaccess", "--duration", "60"],
            &["--duration 60s", "900"],
        ),
    ];
    for (args, needles) in cases {
        let out = export(&home, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", describe(&out));
        assert!(
            out.stdout.is_empty(),
            "{args:?} printed to stdout: {}",
            describe(&out)
        );
        assert_eq!(
            stderr.trim_end().lines().count(),
            1,
            "{args:?}: not one line: {stderr}"
        );
        for needle in *needles {
            assert!(
                stderr.contains(needle),
                "{args:?}: `{needle}` missing from: {stderr}"
            );
        }
    }
}

#[test]
fn an_unreachable_sts_is_named_with_what_to_do() {
    let home = home();
    // Port 9 (discard) on loopback: nothing listens there.
    let out = export_with_endpoint(&home, "http://127.0.0.1:9");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    for needle in [
        "`prodaccess`",
        "AssumeRole",
        "Connection refused",
        "AWS_ENDPOINT_URL_STS",
    ] {
        assert!(stderr.contains(needle), "`{needle}` missing from: {stderr}");
    }
    assert!(!stderr.contains("wJalrXUtnFEMI"), "secret leaked: {stderr}");
}

fn export_with_endpoint(home: &AwsHome, url: &str) -> Output {
    home.command(bin("rolekeeper"))
        .args(["export", "prodaccess"])
        .env("AWS_ENDPOINT_URL_STS", url)
        .output()
        .expect("run")
}
