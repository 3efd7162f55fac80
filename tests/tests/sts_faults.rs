//! STS failing on demand: `rolekeeper export` through `rk-sts-proxy` (moto behind it) for each
//! fault STS can throw at a user. The one line on stderr names the profile and the STS error in
//! words and says what to do; transient faults are retried by the SDK (3 attempts), failures only
//! the user can fix are not; MFA codes are checked by the proxy (moto ignores them).

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a panic is the failure report

use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use rolekeeper_tests::proxy::{Fault, StsProxy};
use rolekeeper_tests::{bin, describe, require_env, AwsHome};

const CONFIG: &str = "\
[profile faulty]
role_arn = arn:aws:iam::123456789012:role/Faulty
source_profile = dev
duration_seconds = 900
region = us-east-1

[profile withmfa]
role_arn = arn:aws:iam::123456789012:role/NeedsMfa
source_profile = dev
mfa_serial = arn:aws:iam::123456789012:mfa/dev
region = us-east-1
";

const CREDENTIALS: &str = "\
[dev]
aws_access_key_id = AKIAFAULTTEST0000001
aws_secret_access_key = faultTestSourceSecret00000000000000000000
";

/// The SDK's attempts per call with `BehaviorVersion::latest()` (standard retry mode).
const SDK_ATTEMPTS: u64 = 3;

fn export(home: &AwsHome, proxy: &StsProxy, profile: &str) -> Output {
    home.command(bin("rolekeeper"))
        .args(["export", profile, "--format", "env"])
        .env("AWS_ENDPOINT_URL_STS", proxy.url())
        .stdin(Stdio::null())
        .output()
        .expect("run rolekeeper")
}

/// The one line of stderr, which must start with `rolekeeper: `.
fn one_line_error(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(1), "exit 1: {}", describe(out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {}", describe(out));
    assert!(
        lines[0].starts_with("rolekeeper: "),
        "the line starts with `rolekeeper: `: {}",
        describe(out)
    );
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout: {}",
        describe(out)
    );
    lines[0].to_owned()
}

fn assert_exported(out: &Output) {
    assert!(out.status.success(), "export succeeds: {}", describe(out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("export AWS_ACCESS_KEY_ID=ASIA"),
        "assumed-role credentials on stdout: {}",
        describe(out)
    );
}

struct Case {
    fault: Fault,
    /// Every one of these appears in the error line (case-insensitive).
    words: &'static [&'static str],
    /// AssumeRole calls the proxy sees for one export that keeps failing.
    attempts: u64,
}

/// A fault on every AssumeRole: the export fails with the expected words after `attempts` calls.
/// The same fault on the next call only: a transient one is retried by the SDK and the export
/// succeeds on the second call; one only the user can fix fails after one call.
fn check(case: &Case) {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let home = AwsHome::new(CONFIG, CREDENTIALS);
    let proxy = StsProxy::start();

    proxy.fault(case.fault, None, Some("AssumeRole"));
    let out = export(&home, &proxy, "faulty");
    let line = one_line_error(&out);
    println!("{:?} → {line}", case.fault);
    let lower = line.to_lowercase();
    for word in [
        "profile `faulty`",
        "assumerole arn:aws:iam::123456789012:role/faulty",
    ]
    .iter()
    .chain(case.words)
    {
        assert!(
            lower.contains(&word.to_lowercase()),
            "{:?}: the error says `{word}`: {line}",
            case.fault
        );
    }
    assert_eq!(
        proxy.count("AssumeRole"),
        case.attempts,
        "{:?}: AssumeRole calls for one export: {}",
        case.fault,
        proxy.calls()
    );

    proxy.reset();
    proxy.fault(case.fault, Some(1), Some("AssumeRole"));
    let out = export(&home, &proxy, "faulty");
    if case.attempts > 1 {
        assert_exported(&out);
        assert_eq!(
            proxy.count("AssumeRole"),
            2,
            "{:?} once: the SDK retried once: {}",
            case.fault,
            proxy.calls()
        );
    } else {
        one_line_error(&out);
        assert_eq!(
            proxy.count("AssumeRole"),
            1,
            "{:?} once: not retried: {}",
            case.fault,
            proxy.calls()
        );
    }
}

#[test]
fn no_fault_exports_through_the_proxy() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let home = AwsHome::new(CONFIG, CREDENTIALS);
    let proxy = StsProxy::start();
    assert_exported(&export(&home, &proxy, "faulty"));
    assert_eq!(proxy.count("AssumeRole"), 1, "{}", proxy.calls());
}

#[test]
fn throttling_says_throttled_and_to_try_later() {
    check(&Case {
        fault: Fault::Throttling,
        words: &["Throttling: Rate exceeded", "throttling", "try again later"],
        attempts: SDK_ATTEMPTS,
    });
}

#[test]
fn internal_failure_500_says_sts_had_a_problem() {
    check(&Case {
        fault: Fault::ServerError(500),
        words: &["InternalFailure", "STS had an internal error", "try again"],
        attempts: SDK_ATTEMPTS,
    });
}

#[test]
fn unavailable_503_says_sts_had_a_problem() {
    check(&Case {
        fault: Fault::ServerError(503),
        words: &["InternalFailure", "STS had an internal error", "try again"],
        attempts: SDK_ATTEMPTS,
    });
}

#[test]
fn a_reset_connection_says_sts_could_not_be_reached() {
    check(&Case {
        fault: Fault::Reset,
        words: &["connection", "check the network"],
        attempts: SDK_ATTEMPTS,
    });
}

#[test]
fn access_denied_gives_trust_policy_advice_and_is_not_retried() {
    check(&Case {
        fault: Fault::AccessDenied,
        words: &[
            "AccessDenied: User: arn:aws:iam::123456789012:user/dev is not authorized",
            "trust policy",
            "external_id",
            "MFA",
        ],
        attempts: 1,
    });
}

#[test]
fn an_expired_token_says_the_source_keys_expired() {
    check(&Case {
        fault: Fault::ExpiredToken,
        words: &[
            "ExpiredToken: The security token included in the request is expired",
            "source keys",
            "expired",
        ],
        attempts: 1,
    });
}

#[test]
fn an_answer_slower_than_the_timeout_says_so() {
    // The SDK's operation timeout is 10 s (sts.rs): a 12 s answer never arrives in time.
    check_timeout(Duration::from_secs(12));
}

fn check_timeout(delay: Duration) {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let home = AwsHome::new(CONFIG, CREDENTIALS);
    let proxy = StsProxy::start();
    proxy.fault(Fault::Delay(delay), None, Some("AssumeRole"));
    let line = one_line_error(&export(&home, &proxy, "faulty"));
    println!("{delay:?} delay → {line}");
    assert!(line.contains("profile `faulty`"), "{line}");
    assert!(line.contains("did not answer in time"), "{line}");
    // A short delay is only slow: the call goes through.
    proxy.reset();
    proxy.fault(Fault::Delay(Duration::from_millis(500)), Some(1), None);
    assert_exported(&export(&home, &proxy, "faulty"));
}

/// Run `rolekeeper export withmfa` with a terminal (a pty from `support/with_tty.py`) on which
/// `code` is typed when the prompt appears.
fn export_with_code(home: &AwsHome, proxy: &StsProxy, code: &str) -> Output {
    let py = require_env("ROLEKEEPER_TEST_PYTHON");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("support/with_tty.py");
    let mut child = home
        .command(py)
        .arg(script)
        .arg(bin("rolekeeper"))
        .args(["export", "withmfa", "--format", "env"])
        .env("AWS_ENDPOINT_URL_STS", proxy.url())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run with_tty.py");
    // The code goes to the helper on stdin, never on a command line.
    writeln!(child.stdin.take().expect("stdin"), "{code}").expect("write code");
    child.wait_with_output().expect("wait")
}

/// AssumeRole and GetSessionToken calls, the two that carry a code.
fn mfa_calls(calls: &serde_json::Value) -> u64 {
    ["AssumeRole", "GetSessionToken"]
        .iter()
        .map(|a| calls["calls"][a].as_u64().unwrap_or(0))
        .sum()
}

#[test]
fn a_wrong_mfa_code_is_rejected_in_words_and_tried_once() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let home = AwsHome::new(CONFIG, CREDENTIALS);
    let proxy = StsProxy::start();
    proxy.expect_mfa_code("246810");

    let out = export_with_code(&home, &proxy, "135791");
    let line = one_line_error(&out);
    println!("wrong code → {line}");
    assert!(line.contains("profile `withmfa`"), "{line}");
    assert!(
        line.contains("MultiFactorAuthentication failed"),
        "STS's answer: {line}"
    );
    assert!(
        line.contains("STS rejected the MFA code"),
        "says in words that the code was rejected: {line}"
    );
    assert!(!line.contains("135791"), "no code in the message: {line}");
    // The code goes with the first STS call that needs it (GetSessionToken with the MFA device,
    // or AssumeRole): one attempt, and no call after the rejection.
    let calls = proxy.calls();
    assert_eq!(mfa_calls(&calls), 1, "one attempt: {calls}");
    assert_eq!(
        calls["token_codes"]["135791"], 1,
        "the code was sent once, never retried: {calls}"
    );
    assert_eq!(calls["last_token_code"], "135791", "{calls}");

    let out = export_with_code(&home, &proxy, "246810");
    assert_exported(&out);
    let calls = proxy.calls();
    assert_eq!(calls["token_codes"]["246810"], 1, "{calls}");
    assert_eq!(calls["token_codes"]["135791"], 1, "{calls}");
    assert_eq!(calls["last_token_code"], "246810", "{calls}");
}
