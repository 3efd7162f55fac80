//! The refresh engine, live: `rolekeeper daemon` keeps an activated 900 s role session fresh
//! against moto with `ROLEKEEPER_REFRESH_BEFORE=890s` (a renewal about every 10 s), each renewal
//! readable by botocore from the credentials file, and no secret it handled reaches its log.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a panic is the failure report

use std::time::Duration;

use rolekeeper_tests::{
    bin, botocore_view, describe, require_env, AwsHome, Daemon, LIVE_ROLE_CONFIG,
};

const SOURCE_SECRET: &str = "daemonTestSourceSecret0000000000000000000";

fn credentials() -> String {
    format!("[dev]\naws_access_key_id = AKIADAEMONTEST000001\naws_secret_access_key = {SOURCE_SECRET}\n")
}

/// The access key botocore resolves for `profile` from the files in `home`.
fn botocore_key(home: &AwsHome, profile: &str) -> String {
    botocore_view(home, &[profile])["keys"][profile]
        .as_str()
        .expect("a key")
        .to_owned()
}

/// Every `aws_secret_access_key` / `aws_session_token` value in the credentials file.
fn secrets_in_file(home: &AwsHome) -> Vec<String> {
    std::fs::read_to_string(home.credentials_path())
        .expect("read credentials")
        .lines()
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| matches!(k.trim(), "aws_secret_access_key" | "aws_session_token"))
        .map(|(_, v)| v.trim().to_owned())
        .collect()
}

#[test]
fn the_daemon_renews_a_session_before_it_expires_again_and_again() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let home = AwsHome::new(LIVE_ROLE_CONFIG, &credentials());
    let out = home
        .command(bin("rolekeeper"))
        .args(["activate", "live"])
        .output()
        .expect("activate");
    assert!(out.status.success(), "activate: {}", describe(&out));
    let mut keys = vec![botocore_key(&home, "live")];
    assert!(keys[0].starts_with("ASIA"), "an assumed-role key: {keys:?}");
    let mut secrets_seen = secrets_in_file(&home);

    let mut daemon = Daemon::start(
        &home,
        &[
            ("ROLEKEEPER_REFRESH_BEFORE", "890s"),
            ("ROLEKEEPER_LOG", "debug"),
        ],
    );
    let log = &mut daemon.log;

    for renewal in 1..=3 {
        // 900 s sessions refreshed 890 s early: about 10 s apart.
        log.wait_for("refreshed", Duration::from_secs(30));
        let key = botocore_key(&home, "live");
        assert!(
            !keys.contains(&key),
            "renewal {renewal} wrote new credentials that botocore reads: {key} after {keys:?}"
        );
        keys.push(key);
        secrets_seen.extend(secrets_in_file(&home));
    }

    assert_eq!(daemon.stop(), Some(0));
    let log = daemon.log.text();
    // The guard every daemon test runs when its daemon is dropped (no session renewed twice
    // within 10 s) reads these very lines: it sees the renewals, about 10 s apart.
    let (_, gap) = rolekeeper_tests::renewed_twice_within(&log, 1e9)
        .expect("the guard finds the daemon's renewals in its log");
    assert!(
        (9.5..20.0).contains(&gap),
        "renewed {gap:.1} s apart\n{log}"
    );

    // Secrets never reach logs, even at debug level.
    secrets_seen.push(SOURCE_SECRET.to_owned());
    for secret in &secrets_seen {
        assert!(
            !log.contains(secret.as_str()),
            "a secret value appears in the daemon's log"
        );
    }
}
