//! `rolekeeper daemon`: starts, reports what it loaded, stops cleanly on SIGTERM.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a panic is the failure report

use std::process::Stdio;
use std::time::Duration;

use rolekeeper_tests::{bin, AwsHome, ChildGuard, LogLines};

#[test]
fn daemon_loads_profiles_and_stops_on_sigterm() {
    let home = AwsHome::new(
        "[profile a]\nregion = eu-west-1\n",
        "[b]\naws_access_key_id = x\naws_secret_access_key = y\n",
    );
    let mut child = ChildGuard(
        home.command(bin("rolekeeper"))
            .arg("daemon")
            .env("ROLEKEEPER_LOG", "info")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("start daemon"),
    );
    let mut log = LogLines::follow(child.stderr.take().expect("stderr"));
    log.wait_for("profiles=2", Duration::from_secs(10));
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    log.wait_for("stopped", Duration::from_secs(10));
    let code = wait_with_timeout(&mut child, Duration::from_secs(5));
    assert_eq!(code, Some(0), "daemon log:\n{}", log.text());
}

fn wait_with_timeout(child: &mut std::process::Child, limit: Duration) -> Option<i32> {
    let step = Duration::from_millis(50);
    let mut waited = Duration::ZERO;
    while waited < limit {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status.code();
        }
        std::thread::sleep(step);
        waited += step;
    }
    let _ = child.kill();
    panic!("the daemon did not exit within {limit:?} of SIGTERM");
}
