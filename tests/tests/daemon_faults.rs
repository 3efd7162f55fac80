//! The refresh engine against STS faults, live: `rolekeeper daemon` renews a 900 s session about
//! every 10 s (`ROLEKEEPER_REFRESH_BEFORE=890s`) through `rk-sts-proxy`. Server errors beyond
//! the SDK's own 3 attempts are retried by the engine until it recovers; a denied renewal waits
//! for the user and sends nothing more to STS.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a panic is the failure report

use std::time::Duration;

use rolekeeper_tests::proxy::{Fault, StsProxy};
use rolekeeper_tests::{botocore_view, require_env, AwsHome, Daemon, LogLines, LIVE_ROLE_CONFIG};

const CREDENTIALS: &str = "\
[dev]
aws_access_key_id = AKIADAEMONFAULTS0001
aws_secret_access_key = daemonFaultsSourceSecret0000000000000000
";

fn botocore_key(home: &AwsHome) -> String {
    botocore_view(home, &["live"])["keys"]["live"]
        .as_str()
        .expect("a key")
        .to_owned()
}

/// Wait for `needle` unless it is already in the log.
fn seen_or_wait(log: &mut LogLines, needle: &str, limit: Duration) {
    if !log.text().contains(needle) {
        log.wait_for(needle, limit);
    }
}

#[test]
fn the_daemon_retries_server_errors_until_it_recovers_and_waits_when_denied() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let home = AwsHome::new(LIVE_ROLE_CONFIG, CREDENTIALS);
    let proxy = StsProxy::start();
    home.activate_through("live", &proxy.url());
    let first_key = botocore_key(&home);
    assert!(first_key.starts_with("ASIA"), "{first_key}");

    // More 500s than the SDK's 3 attempts: the first renewal fails, the engine's retry gets one
    // more 500 and then, through the SDK's own retry, an answer.
    proxy.fault(Fault::ServerError(500), Some(4), Some("AssumeRole"));
    let before = proxy.count("AssumeRole");

    let url = proxy.url();
    let mut daemon = Daemon::start(
        &home,
        &[
            ("AWS_ENDPOINT_URL_STS", url.as_str()),
            ("ROLEKEEPER_REFRESH_BEFORE", "890s"),
        ],
    );
    let log = &mut daemon.log;

    let failed = log
        .wait_for("refresh failed, will retry", Duration::from_secs(40))
        .to_owned();
    assert!(
        failed.contains("InternalFailure") && failed.contains("STS had an internal error"),
        "the retry names STS's error: {failed}"
    );
    log.wait_for("refreshed", Duration::from_secs(60));
    seen_or_wait(log, "recovered", Duration::from_secs(10));
    assert_eq!(
        proxy.count("AssumeRole") - before,
        5,
        "3 failed attempts, then 1 failed and 1 answered: {}",
        proxy.calls()
    );
    let renewed = botocore_key(&home);
    assert!(
        renewed.starts_with("ASIA") && renewed != first_key,
        "botocore reads the renewed key: {renewed} after {first_key}"
    );

    // Denied: no blind retries. The next renewal fails once and waits for the user.
    proxy.fault(Fault::AccessDenied, None, Some("AssumeRole"));
    let denied = log
        .wait_for("waiting for you", Duration::from_secs(40))
        .to_owned();
    assert!(
        denied.contains("AccessDenied") && denied.contains("trust policy"),
        "the failure names STS's error and what to do: {denied}"
    );
    println!("{failed}\n{denied}");
    let after_denial = proxy.count("AssumeRole");
    // About two renewal periods and several backoff steps: nothing is sent in that time.
    std::thread::sleep(Duration::from_secs(22));
    assert_eq!(
        proxy.count("AssumeRole"),
        after_denial,
        "no AssumeRole after a denial: {}\n{}",
        proxy.calls(),
        log.text()
    );
    assert_eq!(
        botocore_key(&home),
        renewed,
        "the last good session stays in the file"
    );

    let code = daemon.stop();
    assert_eq!(code, Some(0), "exit 0 on SIGTERM:\n{}", daemon.log.text());
    let text = daemon.log.text();
    assert_eq!(
        text.matches("waiting for you").count(),
        1,
        "one failure reported for the denial:\n{text}"
    );
    assert!(
        !text.contains("daemonFaultsSourceSecret"),
        "no secret in the log"
    );
}
