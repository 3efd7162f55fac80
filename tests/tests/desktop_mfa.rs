//! A session that needs an MFA code, as a person meets it on the desktop: the tray says so and
//! enables "Enter MFA code…", a notification with an "Enter code" button appears (seen from
//! outside, on the session bus), invoking the button opens the dialog, a code typed with real X
//! key events renews the session in the credentials file, and the tray says it is fresh.
//!
//! Runs inside scripts/with-desktop-session.sh, one test at a time with the other desktop suites
//! (.config/nextest.toml).
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::process::Command;
use std::time::Duration;

use rolekeeper_tests::desktop::{
    closed_on_bus, eventually, notification_id, screenshot, windows_titled, DesktopApp,
};
use rolekeeper_tests::proxy::StsProxy;
use rolekeeper_tests::{bin, botocore_view, describe, require_env, AwsHome, ForgetKeychainEntries};

const CONFIG: &str = "\
[profile live]
role_arn = arn:aws:iam::123456789012:role/Live
source_profile = dev
duration_seconds = 3600
region = us-east-1
";
const CREDENTIALS: &str = "\
[dev]
aws_access_key_id = AKIADESKTOPMFA000001
aws_secret_access_key = desktopMfaTestSecret000000000000000000000
";
const SERIAL: &str = "arn:aws:iam::123456789012:mfa/tester";
/// A code that appears nowhere else (not in the account id), so finding it in a log means it leaked.
const CODE: &str = "975310";

fn live_key(home: &AwsHome) -> String {
    botocore_view(home, &["live"])["keys"]["live"]
        .as_str()
        .expect("a key for live")
        .to_owned()
}

/// Type `code` into the MFA dialog with real X key events (it submits itself at six digits).
fn type_in_dialog(app: &DesktopApp, code: &str) {
    assert!(
        eventually(Duration::from_secs(30), || !windows_titled(
            "Enter MFA code"
        )
        .is_empty()),
        "the MFA dialog opens\n{}",
        app.log()
    );
    std::thread::sleep(Duration::from_secs(2));
    rolekeeper_tests::desktop::type_in_mfa_dialog(code);
}

/// Activate on a role that needs a code, from the tray: the dialog opens by itself ("Enter MFA
/// code…" enabled meanwhile), the code typed there reaches STS and the session is fresh.
#[test]
fn an_mfa_role_is_activated_from_the_tray_with_a_code_typed_in_the_dialog() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let _keyring = rolekeeper_tests::keyring_use(false);
    let config = format!("{CONFIG}mfa_serial = {SERIAL}\n");
    let credentials = CREDENTIALS.replace("AKIADESKTOPMFA000001", "AKIADESKTOPMFA000002");
    let home = AwsHome::new(&config, &credentials);
    // The proxy refuses any other code, as STS does: the session proves the typed one was used.
    let proxy = StsProxy::start();
    proxy.expect_mfa_code(CODE);
    let url = proxy.url();
    let mut app = DesktopApp::start_with(&home, &[("AWS_ENDPOINT_URL_STS", url.as_str())]);
    app.wait_for_menu("live, off, in the tray", |m| {
        m.iter().any(|i| i.label == "live — off")
    });
    app.click("live — off>Activate");
    let menu = app.wait_for_menu("Enter MFA code… enabled while the dialog asks", |m| {
        m.iter().any(|i| i.label == "Enter MFA code…" && i.enabled)
    });
    assert!(
        !menu.iter().any(|i| i.label.contains("NAME")),
        "no placeholder anywhere: {menu:?}"
    );
    type_in_dialog(&app, CODE);
    app.wait_for_menu("the tray to say live is fresh", |m| {
        m.iter().any(|i| i.label.starts_with("live — fresh"))
    });
    let calls = proxy.calls();
    assert_eq!(
        calls["token_codes"][CODE], 1,
        "the typed code went to STS once: {calls}"
    );
    assert!(
        live_key(&home).starts_with("ASIA"),
        "botocore reads the activated session"
    );
    let menu = app.menu().expect("menu");
    assert!(
        menu.iter()
            .any(|i| i.label == "Enter MFA code…" && !i.enabled),
        "nothing waits for a code any more: {menu:?}"
    );
    let log = app.log();
    assert!(!log.contains(CODE), "the typed code is never logged");
    assert!(!log.contains("no terminal"), "{log}");
    app.click("Quit");
    assert_eq!(app.wait_exit(Duration::from_secs(15)).code(), Some(0));
}

/// The engine's renewal needs a code; the user gives it through the tray's "Enter MFA code…",
/// not the notification's button: the notification is withdrawn on the bus all the same.
#[test]
fn a_code_given_through_the_tray_item_withdraws_the_notification() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let _keyring = rolekeeper_tests::keyring_use(false);
    let credentials = CREDENTIALS.replace("AKIADESKTOPMFA000001", "AKIADESKTOPMFA000003");
    let home = AwsHome::new(CONFIG, &credentials);
    let out = home
        .command(bin("rolekeeper"))
        .args(["activate", "live", "--duration", "900s"])
        .output()
        .expect("activate");
    assert!(out.status.success(), "activate: {}", describe(&out));
    let mut config = std::fs::read_to_string(home.config_path()).unwrap();
    config.push_str(&format!("mfa_serial = {SERIAL}\n"));
    std::fs::write(home.config_path(), config).unwrap();

    let mut app = DesktopApp::start_with(&home, &[("ROLEKEEPER_REFRESH_BEFORE", "895s")]);
    app.wait_for_menu("the tray to say live needs a code", |m| {
        m.iter().any(|i| i.label == "live — needs MFA code")
    });
    let mut id = None;
    assert!(
        eventually(Duration::from_secs(20), || {
            id = notification_id("live needs an MFA code");
            id.is_some()
        }),
        "no notification on the bus\n{}",
        app.log()
    );
    let id = id.unwrap();
    app.click("Enter MFA code…");
    type_in_dialog(&app, "864201");
    app.wait_for_menu("the tray to say live is fresh", |m| {
        m.iter().any(|i| i.label.starts_with("live — fresh"))
    });
    assert!(
        eventually(Duration::from_secs(10), || closed_on_bus(id)),
        "notification {id} is closed on the bus once the code is given\n{}",
        app.log()
    );
    app.click("Quit");
    assert_eq!(app.wait_exit(Duration::from_secs(15)).code(), Some(0));
}

#[test]
fn a_session_needing_a_code_is_renewed_from_the_notification_and_the_dialog() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    // MFA sessions are cached in the keychain: no other test may lock it meanwhile.
    let _keyring = rolekeeper_tests::keyring_use(false);
    let home = AwsHome::new(CONFIG, CREDENTIALS);
    // A 900 s session now; the profile asks for an hour at the next renewal.
    let out = home
        .command(bin("rolekeeper"))
        .args(["activate", "live", "--duration", "900s"])
        .output()
        .expect("activate");
    assert!(out.status.success(), "activate: {}", describe(&out));
    let first_key = live_key(&home);
    // From now on the role needs a code (the profile is the last section of the file).
    let mut config = std::fs::read_to_string(home.config_path()).unwrap();
    config.push_str(&format!("mfa_serial = {SERIAL}\n"));
    std::fs::write(home.config_path(), config).unwrap();

    // Renew 895 s before expiry: due about 5 s after the tray starts.
    let mut app = DesktopApp::start_with(&home, &[("ROLEKEEPER_REFRESH_BEFORE", "895s")]);
    let menu = app.wait_for_menu("the tray to say live needs a code", |m| {
        m.iter().any(|i| i.label == "live — needs MFA code")
    });
    assert!(
        menu.iter()
            .any(|i| i.label == "Enter MFA code…" && i.enabled),
        "Enter MFA code… is enabled when a session needs one: {menu:?}"
    );

    let mut id = None;
    assert!(
        eventually(Duration::from_secs(20), || {
            id = notification_id("live needs an MFA code");
            id.is_some()
        }),
        "no notification on the bus\n{}",
        app.log()
    );
    let monitor = std::fs::read_to_string(require_env("WDS_NOTIFY_LOG")).unwrap();
    assert!(
        monitor.contains("\"enter-code\""),
        "the notification has an Enter code button"
    );
    assert!(
        monitor.contains(SERIAL),
        "the notification names the MFA device"
    );
    // notify-rust listens for the button only once the notification is up.
    std::thread::sleep(Duration::from_millis(800));
    let click = Command::new("wds-notify-invoke")
        .args([&id.unwrap().to_string(), "enter-code"])
        .output()
        .expect("wds-notify-invoke (from with-desktop-session.sh)");
    assert!(click.status.success(), "{}", describe(&click));
    assert!(
        eventually(Duration::from_secs(30), || !windows_titled(
            "Enter MFA code"
        )
        .is_empty()),
        "Enter code opens the MFA dialog\n{}",
        app.log()
    );
    std::thread::sleep(Duration::from_secs(2));
    screenshot("mfa-dialog");

    // Type a code as a person would; it submits itself at six digits.
    rolekeeper_tests::desktop::type_in_mfa_dialog(CODE);

    app.wait_for_menu("the tray to say live is fresh", |m| {
        m.iter().any(|i| i.label.starts_with("live — fresh"))
    });
    assert_ne!(
        live_key(&home),
        first_key,
        "botocore reads the credentials renewed with the code"
    );
    let log = app.log();
    assert!(!log.contains(CODE), "the typed code is never logged");
    // The request is withdrawn (before Quit, which withdraws whatever is left).
    let id = id.unwrap();
    assert!(
        eventually(Duration::from_secs(10), || closed_on_bus(id)),
        "the \"live needs an MFA code\" notification {id} is closed on the bus once the code \
         typed in the dialog it opened renewed the session\n{}",
        app.log()
    );

    app.click("Quit");
    assert_eq!(app.wait_exit(Duration::from_secs(15)).code(), Some(0));
}

/// One code for a device (issue 11): two sessions assumed from the MFA session of one source and
/// device both need a code once that MFA session has ended; the engine says so for both (tray,
/// notifications). The code typed once in the dialog gives the device a new MFA session, from
/// which both renew: one `GetSessionToken`, the one code sent once (the proxy accepts a code once,
/// as AWS does), no second code asked, both notifications closed on the bus and both sessions
/// fresh in the tray.
#[test]
fn one_code_typed_renews_every_session_waiting_on_that_device_and_closes_their_notifications() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let _keyring = rolekeeper_tests::keyring_use(false);
    let tag = format!("t{}", std::process::id());
    let (a, b, source) = (format!("{tag}-a"), format!("{tag}-b"), format!("{tag}-src"));
    let serial = format!("arn:aws:iam::123456789012:mfa/{tag}-desk");
    let mut config = String::new();
    for name in [&a, &b] {
        config.push_str(&format!(
            "[profile {name}]\nrole_arn = arn:aws:iam::123456789012:role/OneCode\n\
             source_profile = {source}\nmfa_serial = {serial}\nduration_seconds = 900\n\
             region = us-east-1\n\n"
        ));
    }
    let credentials = format!(
        "[{source}]\naws_access_key_id = AKIADESKTOPMFA000004\n\
         aws_secret_access_key = desktopOneCodeSecret00000000000000000000\n"
    );
    let home = AwsHome::new(&config, &credentials);
    let mfa_entry = format!("mfa:{source}:{serial}");
    let _forget = ForgetKeychainEntries(vec![
        format!("session:{a}"),
        format!("session:{b}"),
        mfa_entry.clone(),
    ]);
    let proxy = StsProxy::start();
    let url = proxy.url();

    // Both active, from one MFA session (one code); then that MFA session ends.
    let first_code = "112233";
    proxy.expect_mfa_code_once(first_code);
    let out = home
        .command(bin("rolekeeper"))
        .args(["activate", &a, &b, "--mfa-code", first_code])
        .env("AWS_ENDPOINT_URL_STS", &url)
        .output()
        .expect("activate");
    assert!(out.status.success(), "activate: {}", describe(&out));
    assert_eq!(proxy.count("GetSessionToken"), 1, "{}", proxy.calls());
    let cleared = Command::new("secret-tool")
        .args(["clear", "service", "rolekeeper", "username", &mfa_entry])
        .output()
        .expect("secret-tool");
    assert!(cleared.status.success(), "{}", describe(&cleared));
    proxy.reset();
    let code = "445566";
    proxy.expect_mfa_code_once(code);

    // Renewed 895 s before the end of a 900 s session: both due about 5 s after the tray starts.
    let mut app = DesktopApp::start_with(
        &home,
        &[
            ("AWS_ENDPOINT_URL_STS", url.as_str()),
            ("ROLEKEEPER_REFRESH_BEFORE", "895s"),
        ],
    );
    let needs = |name: &str| format!("{name} — needs MFA code");
    app.wait_for_menu("the tray to say both sessions need a code", |m| {
        [&a, &b]
            .iter()
            .all(|n| m.iter().any(|i| i.label == needs(n)))
    });
    let mut ids = Vec::new();
    for name in [&a, &b] {
        let summary = format!("{name} needs an MFA code");
        let mut id = None;
        assert!(
            eventually(Duration::from_secs(20), || {
                id = notification_id(&summary);
                id.is_some()
            }),
            "no \"{summary}\" notification on the bus\n{}",
            app.log()
        );
        ids.push((summary, id.unwrap()));
    }

    app.click("Enter MFA code…");
    type_in_dialog(&app, code);

    let fresh = |m: &[rolekeeper_tests::desktop::MenuItem], name: &str| {
        m.iter()
            .any(|i| i.label.starts_with(&format!("{name} — fresh")))
    };
    let mut menu = Vec::new();
    let all_fresh = eventually(Duration::from_secs(30), || {
        menu = app.menu().unwrap_or_default();
        fresh(&menu, &a) && fresh(&menu, &b)
    });
    let closed = eventually(Duration::from_secs(10), || {
        ids.iter().all(|(_, id)| closed_on_bus(*id))
    });
    let calls = proxy.calls();
    let still_open: Vec<&str> = ids
        .iter()
        .filter(|(_, id)| !closed_on_bus(*id))
        .map(|(summary, _)| summary.as_str())
        .collect();
    let sessions: Vec<&str> = menu
        .iter()
        .filter(|i| i.label.starts_with(&tag))
        .map(|i| i.label.as_str())
        .collect();
    let dialog_open = !windows_titled("Enter MFA code").is_empty();
    assert!(
        all_fresh
            && closed
            && calls["calls"]["GetSessionToken"] == 1
            && calls["token_codes"][code] == 1
            && calls["refused_codes"] == 0,
        "one code typed for {serial}, which both {a} and {b} were waiting on, must renew both \
         (one GetSessionToken, that code sent once, none refused), close both \"needs an MFA \
         code\" notifications on the bus and show both fresh in the tray; the tray shows \
         {sessions:?}, notifications still open: {still_open:?}, the MFA dialog {}, proxy: \
         {calls}\n--- app log\n{}",
        if dialog_open {
            "still asks for a code"
        } else {
            "is closed"
        },
        app.log()
    );
    assert!(!app.log().contains(code), "the typed code is never logged");
    app.click("Quit");
    assert_eq!(app.wait_exit(Duration::from_secs(15)).code(), Some(0));
}
