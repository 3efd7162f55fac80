//! `rolekeeper daemon`: starts, reports what it loaded, stops cleanly on SIGTERM.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a panic is the failure report

use std::time::Duration;

use rolekeeper_tests::{AwsHome, Daemon};

#[test]
fn daemon_loads_profiles_and_stops_on_sigterm() {
    let home = AwsHome::new(
        "[profile a]\nregion = eu-west-1\n",
        "[b]\naws_access_key_id = x\naws_secret_access_key = y\n",
    );
    let mut daemon = Daemon::start(&home, &[]);
    daemon.log.wait_for("profiles=2", Duration::from_secs(10));
    let code = daemon.stop();
    assert_eq!(code, Some(0), "daemon log:\n{}", daemon.log.text());
}
