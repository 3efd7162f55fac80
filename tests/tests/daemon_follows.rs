//! The running engine keeps to what the user decided, live against moto through `rk-sts-proxy`:
//! a lead that leaves no room never turns into a storm of AssumeRole calls, a `rolekeeper
//! deactivate` from a terminal sticks while `rolekeeper daemon` renews (the renewal in flight is
//! not written), and a length changed from a terminal holds for the renewal in flight too.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a panic is the failure report
#![allow(clippy::disallowed_methods)] // end to end: the real clock paces the test

use std::time::{Duration, Instant, SystemTime};

use rolekeeper_tests::proxy::{Fault, StsProxy};
use rolekeeper_tests::{bin, describe, require_env, AwsHome, Daemon, LIVE_ROLE_CONFIG};

const CREDENTIALS: &str = "\
[dev]
aws_access_key_id = AKIADAEMONFOLLOWS001
aws_secret_access_key = daemonFollowsSourceSecret000000000000000
";

const HOUR_ROLE_CONFIG: &str = "\
[profile hour]
role_arn = arn:aws:iam::123456789012:role/Hour
source_profile = dev
duration_seconds = 3600
region = us-east-1
";

/// `rolekeeper NAME...` in `home`, which must succeed; its stdout.
fn rolekeeper(home: &AwsHome, args: &[&str], vars: &[(&str, &str)]) -> String {
    let out = home
        .command(bin("rolekeeper"))
        .args(args)
        .envs(vars.iter().copied())
        .output()
        .expect("run rolekeeper");
    assert!(
        out.status.success(),
        "rolekeeper {args:?}: {}",
        describe(&out)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// When `name`'s session in the credentials file expires, from `rolekeeper status --json`.
fn expires(home: &AwsHome, name: &str) -> Option<SystemTime> {
    let out = rolekeeper(home, &["status", "--json"], &[]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("status JSON");
    let sessions = doc["sessions"].as_array()?;
    let text = sessions
        .iter()
        .find(|s| s["name"] == name)?
        .get("expires")?
        .as_str()?
        .to_owned();
    rolekeeper_core::credentials::parse_isoformat(&text)
}

/// `rolekeeper daemon` in `home` with STS behind `proxy`, renewing a 900 s session about every
/// 10 s (a lead of 890 s, as the other suites use).
fn renewing_every_10s(home: &AwsHome, proxy: &StsProxy) -> Daemon {
    let url = proxy.url();
    Daemon::start(
        home,
        &[
            ("AWS_ENDPOINT_URL_STS", url.as_str()),
            ("ROLEKEEPER_REFRESH_BEFORE", "890s"),
        ],
    )
}

/// The lead leaves no room (the default 15 min on a 900 s role, 125 min on a 1 h role): each is
/// renewed at half its length, so a minute of the daemon after activation sends nothing to
/// STS. Before, the 900 s role was renewed 641 times in 5 s.
#[test]
fn a_lead_that_leaves_no_room_renews_at_half_the_length_not_in_a_storm() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let cases = [
        (
            "live",
            LIVE_ROLE_CONFIG,
            None,
            "7 min before expiry",
            "15 min session",
        ),
        (
            "hour",
            HOUR_ROLE_CONFIG,
            Some("125m"),
            "30 min before expiry",
            "1 h 00 min session",
        ),
    ];
    let mut running = Vec::new();
    for (name, config, lead, before, length) in cases {
        let home = AwsHome::new(config, CREDENTIALS);
        let proxy = StsProxy::start();
        let url = proxy.url();
        let mut vars = vec![("AWS_ENDPOINT_URL_STS", url.clone())];
        if let Some(lead) = lead {
            vars.push(("ROLEKEEPER_REFRESH_BEFORE", lead.to_owned()));
        }
        let vars_ref: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        rolekeeper(&home, &["activate", name], &vars_ref);
        assert_eq!(proxy.count("AssumeRole"), 1, "{name}: activated once");

        // Said where the user looks: status and doctor.
        let status = rolekeeper(&home, &["status"], &vars_ref);
        assert!(
            status.contains(&format!("renews at half its length, {before}"))
                && status.contains(length),
            "{name}: status says when it renews:\n{status}"
        );
        let doctor = home
            .command(bin("rolekeeper"))
            .arg("doctor")
            .envs(vars_ref.iter().copied())
            .output()
            .expect("doctor");
        let doctor_text = String::from_utf8_lossy(&doctor.stdout);
        assert!(
            doctor_text.contains(&format!("renewal of {name}: renews at half its length")),
            "{name}: doctor says so:\n{}",
            describe(&doctor)
        );
        let daemon = Daemon::start(&home, &vars_ref);
        running.push((name, home, proxy, daemon));
    }

    std::thread::sleep(Duration::from_secs(60));
    for (name, _home, proxy, daemon) in &mut running {
        let log = daemon.log.text_now();
        assert_eq!(
            proxy.count("AssumeRole"),
            1,
            "{name}: no AssumeRole in 60 s of the daemon after activation: {}\n{log}",
            proxy.calls()
        );
        assert!(
            !log.contains("refreshed"),
            "{name}: nothing renewed:\n{log}"
        );
        assert_eq!(daemon.stop(), Some(0), "{name}: {}", daemon.log.text());
    }
}

/// Renewing every 10 s (a lead of 890 s on a 900 s role, as the other suites do), then a
/// `rolekeeper deactivate` from a terminal while a renewal is in flight: that renewal is not
/// written, nothing more goes to STS, and the section never comes back.
#[test]
fn a_deactivate_from_a_terminal_sticks_while_the_daemon_renews() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let home = AwsHome::new(LIVE_ROLE_CONFIG, CREDENTIALS);
    let original = std::fs::read(home.credentials_path()).unwrap();
    let proxy = StsProxy::start();
    home.activate_through("live", &proxy.url());
    let mut daemon = renewing_every_10s(&home, &proxy);
    // Renewals every 10 s, not faster: two within about 25 s of the activation.
    daemon.log.wait_for("refreshed", Duration::from_secs(20));
    let first = Instant::now();
    daemon.log.wait_for("refreshed", Duration::from_secs(20));
    let apart = first.elapsed();
    assert!(
        apart >= Duration::from_secs(9),
        "renewals {apart:?} apart, less than 10 s:\n{}",
        daemon.log.text()
    );

    // The next renewal waits 3 s at the proxy: deactivate while it is on its way.
    proxy.fault(
        Fault::Delay(Duration::from_secs(3)),
        None,
        Some("AssumeRole"),
    );
    daemon.log.wait_for("refreshing", Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(500));
    let at_deactivate = proxy.count("AssumeRole");
    rolekeeper(&home, &["deactivate", "live"], &[]);
    assert_eq!(
        std::fs::read(home.credentials_path()).unwrap(),
        original,
        "deactivate gives the file back byte for byte"
    );
    // The engine follows the deactivation at once, while the renewal is still on its way;
    // that renewal comes back afterwards and is discarded.
    daemon
        .log
        .wait_for("deactivated: no longer renewed", Duration::from_secs(2));
    assert!(
        !daemon.log.text().contains("renewal not delivered"),
        "the deactivation was followed only after the batch:\n{}",
        daemon.log.text()
    );
    daemon
        .log
        .wait_for("renewal not delivered", Duration::from_secs(10));

    // 30 s: the section never comes back, and nothing but the call in flight reached STS.
    let until = Instant::now() + Duration::from_secs(30);
    while Instant::now() < until {
        let now = std::fs::read_to_string(home.credentials_path()).unwrap();
        assert!(
            !now.contains("[live]"),
            "the running engine wrote the deactivated session back:\n{now}\n{}",
            daemon.log.text_now()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        proxy.count("AssumeRole") <= at_deactivate + 1,
        "AssumeRole after the deactivate: {}\n{}",
        proxy.calls(),
        daemon.log.text_now()
    );
    assert_eq!(std::fs::read(home.credentials_path()).unwrap(), original);
    assert_eq!(daemon.stop(), Some(0), "{}", daemon.log.text());
}

/// A length chosen from a terminal while a renewal of the old length is in flight: the renewal
/// is not written over the new choice, and the next one is planned on the new session.
#[test]
fn a_length_changed_from_a_terminal_holds_for_the_renewal_in_flight() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let home = AwsHome::new(LIVE_ROLE_CONFIG, CREDENTIALS);
    let proxy = StsProxy::start();
    home.activate_through("live", &proxy.url());
    let mut daemon = renewing_every_10s(&home, &proxy);
    proxy.fault(
        Fault::Delay(Duration::from_secs(3)),
        None,
        Some("AssumeRole"),
    );
    daemon.log.wait_for("refreshing", Duration::from_secs(20));
    // Straight to moto, at once: an hour from now on.
    rolekeeper(&home, &["activate", "live", "--duration", "1h"], &[]);
    let hour = expires(&home, "live").expect("an expiry");
    let left = hour.duration_since(SystemTime::now()).unwrap_or_default();
    assert!(
        left > Duration::from_secs(55 * 60),
        "an hour's session: {left:?}"
    );
    daemon
        .log
        .seen_or_wait("renewal not delivered", Duration::from_secs(10));
    daemon
        .log
        .seen_or_wait("delivery or length changed", Duration::from_secs(5));
    assert_eq!(
        expires(&home, "live"),
        Some(hour),
        "the 900 s renewal in flight did not replace the hour's session"
    );
    // The hour's session is due 890 s before its end, not every 10 s.
    let calls = proxy.count("AssumeRole");
    std::thread::sleep(Duration::from_secs(15));
    assert_eq!(
        proxy.count("AssumeRole"),
        calls,
        "nothing renewed: {}",
        daemon.log.text_now()
    );
    assert_eq!(expires(&home, "live"), Some(hour));
    assert_eq!(daemon.stop(), Some(0), "{}", daemon.log.text());
}

/// An unreadable state file: the daemon says so where its user looks (its log, once), doctor
/// fails the check naming the file, and once the file is fixed the engine renews again.
#[test]
fn an_unreadable_state_file_is_said_and_renewals_resume_once_it_is_fixed() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let home = AwsHome::new(LIVE_ROLE_CONFIG, CREDENTIALS);
    let proxy = StsProxy::start();
    home.activate_through("live", &proxy.url());
    let state = home.home().join(".local/state/rolekeeper/state.json");
    let good = std::fs::read(&state).unwrap();
    std::fs::write(&state, b"{ this is not json").unwrap();

    let doctor = home
        .command(bin("rolekeeper"))
        .arg("doctor")
        .output()
        .expect("doctor");
    let text = String::from_utf8_lossy(&doctor.stdout);
    assert_eq!(doctor.status.code(), Some(1), "{}", describe(&doctor));
    assert!(
        text.contains("state file") && text.contains(&state.display().to_string()),
        "doctor names the state file: {text}"
    );

    let mut daemon = renewing_every_10s(&home, &proxy);
    daemon
        .log
        .wait_for("cannot be used", Duration::from_secs(10));
    std::thread::sleep(Duration::from_secs(3));
    let log = daemon.log.text_now();
    assert_eq!(
        log.matches("cannot be used").count(),
        1,
        "said once:\n{log}"
    );

    // Fixed: the engine follows the file again and renews as before.
    std::fs::write(&state, &good).unwrap();
    daemon.log.wait_for("refreshed", Duration::from_secs(25));
    assert_eq!(daemon.stop(), Some(0), "{}", daemon.log.text());
}
