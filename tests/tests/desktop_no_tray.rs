//! A desktop with nothing that shows tray icons (stock GNOME without the AppIndicator
//! extension), played by a session bus of the test's own with no StatusNotifierWatcher on it
//! (and dunst as its notification server, on the shared display): the app opens its manager
//! window on start instead, its log says why, notifications still reach the server, and doctor
//! says the icon has no host (and is fine on the desktop session's bus, which has one). When a
//! watcher appears afterwards (a panel that starts after the app), the icon registers with it.
//!
//! (The window's words are read through WebDriver in desktop_webdriver.rs.)
//!
//! Runs inside scripts/with-desktop-session.sh, one test at a time with the other desktop suites.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::disallowed_methods)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use rolekeeper_tests::desktop::{
    eventually, require_desktop_session, windows_titled, BareBus, DesktopApp,
};
use rolekeeper_tests::{bin, AwsHome, ChildGuard};

const CONFIG: &str = "\
[profile nt-role]
role_arn = arn:aws:iam::123456789012:role/NoTray
source_profile = nt-source
region = us-east-1
";
const CREDENTIALS: &str = "\
[nt-source]
aws_access_key_id = AKIANOTRAYHOST000001
aws_secret_access_key = noTrayHostSecret
";

fn doctor(home: &AwsHome, bus: Option<&str>) -> String {
    let mut cmd = home.command(bin("rolekeeper"));
    cmd.arg("doctor");
    if let Some(address) = bus {
        cmd.env("DBUS_SESSION_BUS_ADDRESS", address);
    }
    let out = cmd.output().expect("doctor");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn with_no_tray_host_the_window_opens_says_why_notifications_work_and_a_late_panel_gets_the_icon() {
    require_desktop_session();
    let home = AwsHome::new(CONFIG, CREDENTIALS);
    // Something to notify about at once: a state file RoleKeeper cannot read.
    let state = home.home().join(".local/state/rolekeeper");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::write(state.join("state.json"), b"{ not json").unwrap();
    let bus = BareBus::start(&home);

    let before = windows_titled("RoleKeeper").len();
    let app = DesktopApp::start_with(&home, &[("DBUS_SESSION_BUS_ADDRESS", &bus.address)]);
    assert!(
        eventually(Duration::from_secs(60), || windows_titled("RoleKeeper")
            .len()
            > before),
        "the manager window never opened on a desktop with no tray host\n{}",
        app.log()
    );
    let log = app.log();
    assert!(
        log.contains("no org.kde.StatusNotifierWatcher")
            && log.contains("opening the manager window instead")
            && log.contains("AppIndicator"),
        "{log}"
    );
    assert!(
        eventually(Duration::from_secs(60), || bus
            .monitored()
            .contains("RoleKeeper cannot use a file")),
        "no notification reached the bare bus's server:\n{}\n{}",
        bus.monitored(),
        app.log()
    );

    let bare = doctor(&home, Some(&bus.address));
    assert!(
        bare.contains(
            "warn  tray icon host: nothing on the session bus shows StatusNotifier tray icons"
        ) && bare.contains("gnome-shell-extension-appindicator"),
        "{bare}"
    );
    let with_host = doctor(&home, None);
    assert!(
        with_host.contains("ok    tray icon host: a StatusNotifier host shows the tray icon"),
        "{with_host}"
    );
    // The panel starts late: its watcher appears on the bus, and the app's icon registers.
    let watcher_log = home.home().join("sni-watcher.log");
    let _watcher = ChildGuard(
        Command::new("/usr/bin/python3")
            .arg("-u")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/sni-watcher.py"))
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&watcher_log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("scripts/sni-watcher.py (apt: python3-dbus python3-gi)"),
    );
    assert!(
        eventually(Duration::from_secs(30), || std::fs::read_to_string(
            &watcher_log
        )
        .unwrap_or_default()
        .lines()
        .any(|line| line.starts_with("REGISTERED "))),
        "the tray icon never registered with a watcher that appeared after the app started\n\
         watcher: {}\n{}",
        std::fs::read_to_string(&watcher_log).unwrap_or_default(),
        app.log()
    );
    assert!(app.log().contains("tray icon created"), "{}", app.log());
    // No tray to click Quit in: the window's close leaves the app running, as a tray app does,
    // so the test ends it (ChildGuard).
    drop(app);
}
