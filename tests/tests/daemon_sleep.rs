//! Waking from sleep: `rolekeeper daemon` listens for logind's `PrepareForSleep` on the system
//! bus and, on the wake, retries at once a renewal that was waiting out a backoff (the network it
//! lacked is likely back). The system bus is a private dbus-daemon with a stand-in logind
//! (`support/fake_logind.py`), given to the daemon as `DBUS_SYSTEM_BUS_ADDRESS`.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a panic is the failure report
#![allow(clippy::disallowed_methods)] // end to end: the real clock paces the test

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rolekeeper_tests::proxy::{Fault, StsProxy};
use rolekeeper_tests::{require_env, AwsHome, ChildGuard, Daemon, LIVE_ROLE_CONFIG};

const CREDENTIALS: &str = "\
[dev]
aws_access_key_id = AKIADAEMONSLEEP00001
aws_secret_access_key = daemonSleepSourceSecret00000000000000000
";

/// A private bus to play the system bus: its address, and the daemon (killed when dropped).
fn private_bus(dir: &Path) -> (String, ChildGuard) {
    let address = format!("unix:path={}", dir.join("system_bus").display());
    let bus = ChildGuard(
        Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--address", &address])
            .stdout(Stdio::null())
            .spawn()
            .expect("dbus-daemon (apt: dbus) must be installed"),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !dir.join("system_bus").exists() {
        assert!(Instant::now() < deadline, "dbus-daemon did not listen");
        std::thread::sleep(Duration::from_millis(20));
    }
    (address, bus)
}

#[test]
fn a_wake_from_sleep_retries_a_backed_off_renewal_at_once() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let dir = tempfile::tempdir().unwrap();
    let (address, _bus) = private_bus(dir.path());
    let mut logind = ChildGuard(
        Command::new("/usr/bin/python3")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("support/fake_logind.py"))
            .arg(&address)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 with dbus (apt: python3-dbus)"),
    );
    let mut said = BufReader::new(logind.stdout.take().unwrap()).lines();
    assert_eq!(said.next().unwrap().unwrap(), "ready");

    let home = AwsHome::new(LIVE_ROLE_CONFIG, CREDENTIALS);
    let proxy = StsProxy::start();
    home.activate_through("live", &proxy.url());

    // STS keeps failing: the renewal backs off, 5 s, 10 s, 20 s (each scaled by 50-100%).
    proxy.fault(Fault::ServerError(500), None, Some("AssumeRole"));
    let url = proxy.url();
    let mut daemon = Daemon::start(
        &home,
        &[
            ("AWS_ENDPOINT_URL_STS", url.as_str()),
            ("ROLEKEEPER_REFRESH_BEFORE", "890s"),
            ("DBUS_SYSTEM_BUS_ADDRESS", address.as_str()),
        ],
    );
    let log = &mut daemon.log;
    log.wait_for(
        "watching logind for sleep and wake",
        Duration::from_secs(20),
    );
    // After the third failure the next try is 10 to 20 s away.
    for _ in 0..3 {
        log.wait_for("refresh failed, will retry", Duration::from_secs(40));
    }
    proxy.clear();

    let woke = Instant::now();
    let stdin = logind.stdin.as_mut().unwrap();
    writeln!(stdin, "sleep").unwrap();
    stdin.flush().unwrap();
    assert_eq!(said.next().unwrap().unwrap(), "announced");
    log.wait_for("woke from sleep", Duration::from_secs(5));
    log.wait_for("refreshed", Duration::from_secs(6));
    assert!(
        woke.elapsed() < Duration::from_secs(6),
        "renewed on the wake, not at the next backoff step ({:?})",
        woke.elapsed()
    );
    let text = log.text();
    assert!(text.contains("going to sleep"), "{text}");
    assert_eq!(daemon.stop(), Some(0));
}
