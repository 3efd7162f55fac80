//! `rolekeeper credential-process` run the way an SDK runs it (stdout and stderr captured, no
//! terminal) for a role that needs an MFA code, while the tray app runs: it asks the tray over
//! its socket, the tray's dialog opens, the code typed there reaches STS (the fault proxy checks
//! it) and the SDK gets its credentials. Cancelling the dialog fails the command in one line.
//!
//! Runs inside scripts/with-desktop-session.sh, one test at a time with the other desktop suites.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use rolekeeper_tests::desktop::{eventually, windows_titled, DesktopApp};
use rolekeeper_tests::proxy::StsProxy;
use rolekeeper_tests::{bin, describe, AwsHome, ChildGuard};
use serde_json::Value;

/// Names no other suite uses: MFA sessions are cached in the shared keyring by source and device.
const CONFIG: &str = "\
[profile ipc-role]
role_arn = arn:aws:iam::123456789012:role/Ipc
source_profile = ipc-source
mfa_serial = arn:aws:iam::123456789012:mfa/ipc
duration_seconds = 3600
region = us-east-1
";
const CREDENTIALS: &str = "\
[ipc-source]
aws_access_key_id = AKIAIPCTEST000000001
aws_secret_access_key = ipcTestSecret000000000000000000000000000
";
const CODE: &str = "502468";

/// `credential-process` as an SDK starts it: in its own session, so there is no /dev/tty.
fn credential_process(home: &AwsHome, runtime: &std::path::Path, proxy: &StsProxy) -> ChildGuard {
    ChildGuard(
        home.command("setsid")
            .arg("-w")
            .arg(bin("rolekeeper"))
            .args(["credential-process", "ipc-role"])
            .env("XDG_RUNTIME_DIR", runtime)
            .env("AWS_ENDPOINT_URL_STS", proxy.url())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start rolekeeper credential-process"),
    )
}

/// Wait for the command and collect what it printed (the guard still kills it on a failure).
fn finish(mut child: ChildGuard) -> std::process::Output {
    use std::io::Read;
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_end(&mut stderr)
        .unwrap();
    let status = child.wait().expect("wait");
    std::process::Output {
        status,
        stdout,
        stderr,
    }
}

fn type_in_dialog(keys: &[&str]) {
    // Gone already (a key before this one closed it): nothing to type into.
    let Some(window) = windows_titled("Enter MFA code").into_iter().next() else {
        return;
    };
    let _ = Command::new("xdotool")
        .args(["windowfocus", "--sync", &window])
        .status();
    let status = Command::new("xdotool")
        .args(keys)
        .status()
        .expect("xdotool");
    assert!(status.success());
}

/// The tray app in `home` with a runtime dir of the test's own (so its socket is the one this
/// tray listens on), once its socket is there; and that dir.
fn tray_with_own_runtime(home: &AwsHome) -> (DesktopApp, PathBuf) {
    tray_from(home, &bin("rolekeeper-desktop"), &[])
}

/// [`tray_with_own_runtime`], the tray run from `program` with `vars` too.
fn tray_from(home: &AwsHome, program: &Path, vars: &[(&str, &str)]) -> (DesktopApp, PathBuf) {
    let runtime = home.home().join("run");
    std::fs::create_dir_all(&runtime).unwrap();
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    let runtime_dir = runtime.to_str().unwrap().to_owned();
    let mut all = vec![("XDG_RUNTIME_DIR", runtime_dir.as_str())];
    all.extend_from_slice(vars);
    let mut app = DesktopApp::start_program(home, program, &all);
    app.wait_for_menu("the tray", |m| m.iter().any(|i| i.label == "Quit"));
    let socket = runtime.join("rolekeeper/tray.sock");
    assert!(
        eventually(Duration::from_secs(10), || socket.exists()),
        "no socket at {socket:?}\n{}",
        app.log()
    );
    (app, runtime)
}

#[test]
fn credential_process_gets_its_code_from_the_tray_dialog() {
    let _keyring = rolekeeper_tests::keyring_use(false);
    let proxy = StsProxy::start();
    proxy.expect_mfa_code(CODE);
    let home = AwsHome::new(CONFIG, CREDENTIALS);
    let (mut app, runtime) = tray_with_own_runtime(&home);
    let socket = runtime.join("rolekeeper/tray.sock");
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the socket is the user's alone");

    // Cancelled: the command fails in one line instead of hanging.
    let cancelled = credential_process(&home, &runtime, &proxy);
    assert!(
        eventually(Duration::from_secs(30), || !windows_titled(
            "Enter MFA code"
        )
        .is_empty()),
        "the request opens the dialog\n{}",
        app.log()
    );
    // Escape until the dialog goes: under load the page may not have the keyboard yet when the
    // first key arrives (the command would then wait out its five minutes).
    assert!(
        eventually(Duration::from_secs(30), || {
            std::thread::sleep(Duration::from_secs(1));
            type_in_dialog(&["key", "Escape"]);
            std::thread::sleep(Duration::from_millis(500));
            windows_titled("Enter MFA code").is_empty()
        }),
        "Escape closes the dialog\n{}",
        app.log()
    );
    let out = finish(cancelled);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ipc-role") && stderr.contains("MFA"),
        "one line naming the profile and the missing code: {stderr}"
    );
    assert!(
        eventually(Duration::from_secs(10), || windows_titled("Enter MFA code")
            .is_empty()),
        "Escape closes the dialog"
    );

    // Answered: the code goes to STS once and the SDK gets credentials.
    let answered = credential_process(&home, &runtime, &proxy);
    assert!(
        eventually(Duration::from_secs(30), || !windows_titled(
            "Enter MFA code"
        )
        .is_empty()),
        "the second request opens the dialog again\n{}",
        app.log()
    );
    std::thread::sleep(Duration::from_secs(1));
    type_in_dialog(&["type", "--delay", "60", CODE]);
    let out = finish(answered);
    assert!(out.status.success(), "{}", describe(&out));
    let document: Value = serde_json::from_slice(&out.stdout).expect("credential_process JSON");
    assert_eq!(document["Version"], 1);
    assert!(
        document["AccessKeyId"]
            .as_str()
            .unwrap()
            .starts_with("ASIA"),
        "{document}"
    );
    assert_eq!(
        proxy.calls()["token_codes"][CODE],
        1,
        "the typed code went to STS once"
    );
    assert!(!app.log().contains(CODE), "the code is in no log");

    app.click("Quit");
    assert_eq!(app.wait_exit(Duration::from_secs(15)).code(), Some(0));
}

/// `rolekeeper activate` with no terminal (a launcher, a script) asks the running tray's dialog,
/// as `credential-process` does; the code typed there activates the session.
#[test]
fn activate_without_a_terminal_asks_the_tray_dialog() {
    let _keyring = rolekeeper_tests::keyring_use(false);
    let proxy = StsProxy::start();
    proxy.expect_mfa_code("135792");
    // Its own source key and device: no MFA session of another test is in the keychain for it.
    let config = CONFIG.replace("mfa/ipc", "mfa/ipc-activate");
    let credentials = CREDENTIALS.replace("AKIAIPCTEST000000001", "AKIAIPCTEST000000002");
    let home = AwsHome::new(&config, &credentials);
    let (mut app, runtime) = tray_with_own_runtime(&home);
    let activate = ChildGuard(
        home.command("setsid")
            .arg("-w")
            .arg(bin("rolekeeper"))
            .args(["activate", "ipc-role"])
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("AWS_ENDPOINT_URL_STS", proxy.url())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start rolekeeper activate"),
    );
    assert!(
        eventually(Duration::from_secs(30), || !windows_titled(
            "Enter MFA code"
        )
        .is_empty()),
        "activate opens the tray's dialog\n{}",
        app.log()
    );
    // Typed until the dialog goes (it closes once the code is accepted): under load the page may
    // not have the keyboard yet when the first digits arrive, and the command would wait out its
    // five minutes. What a lost attempt left in the field is cleared first.
    assert!(
        eventually(Duration::from_secs(40), || {
            std::thread::sleep(Duration::from_secs(1));
            type_in_dialog(&["key", "ctrl+a", "BackSpace"]);
            type_in_dialog(&["type", "--delay", "60", "135792"]);
            eventually(Duration::from_secs(5), || {
                windows_titled("Enter MFA code").is_empty()
            })
        }),
        "the code typed in the dialog closes it\n{}",
        app.log()
    );
    let out = finish(activate);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("activated ipc-role"),
        "{}",
        describe(&out)
    );
    assert_eq!(proxy.calls()["token_codes"]["135792"], 1);
    app.wait_for_menu("ipc-role fresh in the tray", |m| {
        m.iter().any(|i| i.label.starts_with("ipc-role — fresh"))
    });
    let out = home
        .command(bin("rolekeeper"))
        .args(["deactivate", "ipc-role"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    app.click("Quit");
    assert_eq!(app.wait_exit(Duration::from_secs(15)).code(), Some(0));
}

/// Quit leaves nothing in the runtime directory: the tray's socket and the engine's sessions
/// socket go with the app, so a later command knows at once that no tray runs.
#[test]
fn quit_removes_the_sockets() {
    let home = AwsHome::new(CONFIG, CREDENTIALS);
    let (mut app, runtime) = tray_with_own_runtime(&home);
    let sockets = runtime.join("rolekeeper");
    let engine_socket = sockets.join("engine.sock");
    assert!(
        eventually(Duration::from_secs(10), || engine_socket.exists()),
        "no sessions socket at {engine_socket:?}\n{}",
        app.log()
    );
    app.click("Quit");
    assert_eq!(app.wait_exit(Duration::from_secs(15)).code(), Some(0));
    let left: Vec<_> = std::fs::read_dir(&sockets)
        .unwrap()
        .filter_map(Result::ok)
        .map(|entry| entry.file_name())
        .collect();
    assert!(left.is_empty(), "left after Quit: {left:?}\n{}", app.log());
}

/// A tray whose window program is missing (`rolekeeper-desktop` copied on its own, no
/// `rolekeeper-window` beside it or on `PATH`): a command that asks it for a code hears at once
/// that the dialog cannot open, instead of waiting out the five-minute answer, and the user is
/// told in a notification what to install.
#[test]
fn without_its_window_program_the_tray_says_so_at_once() {
    let _keyring = rolekeeper_tests::keyring_use(false);
    let proxy = StsProxy::start();
    let home = home_of_its_own("nowin", "AKIAIPCNOWINDOW00001");
    let alone = home.home().join("alone");
    std::fs::create_dir_all(&alone).unwrap();
    let program = alone.join("rolekeeper-desktop");
    std::fs::copy(bin("rolekeeper-desktop"), &program).unwrap();
    let (mut app, runtime) = tray_from(&home, &program, &[("PATH", "/usr/bin:/bin")]);

    fails_without_waiting(&home, &runtime, &proxy, &app);
    let log = app.log();
    assert!(
        log.contains("cannot open the mfa window") && log.contains("rolekeeper-window"),
        "{log}"
    );
    assert!(
        eventually(Duration::from_secs(10), || {
            rolekeeper_tests::desktop::notification_id("RoleKeeper cannot open its window")
                .is_some()
        }),
        "no notification says what to install\n{log}"
    );
    assert_eq!(
        proxy.calls()["token_codes"]
            .as_object()
            .map_or(0, |c| c.len()),
        0,
        "no code reached STS"
    );
    app.click("Quit");
    assert_eq!(app.wait_exit(Duration::from_secs(15)).code(), Some(0));
}

/// A window process that cannot show its window (here: no display to open) ends at once; the
/// tray sees it go without having shown the dialog, cancels the request at once (a command
/// waiting for a code hears it now) and says in a notification that the window did not open.
#[test]
fn a_dialog_that_cannot_open_cancels_the_request_at_once() {
    let _keyring = rolekeeper_tests::keyring_use(false);
    let proxy = StsProxy::start();
    let home = home_of_its_own("nodisp", "AKIAIPCNODISPLAY0001");
    // The tray itself needs no display (D-Bus only); the window process it starts inherits none.
    let (mut app, runtime) = tray_from(&home, &bin("rolekeeper-desktop"), &[("DISPLAY", "")]);

    fails_without_waiting(&home, &runtime, &proxy, &app);
    let log = app.log();
    assert!(log.contains("the window did not open"), "{log}");
    assert!(
        eventually(Duration::from_secs(10), || {
            rolekeeper_tests::desktop::notification_id("RoleKeeper's MFA code dialog did not open")
                .is_some()
        }),
        "no notification says the dialog did not open\n{log}"
    );
    app.click("Quit");
    assert_eq!(app.wait_exit(Duration::from_secs(15)).code(), Some(0));
}

/// `CONFIG` and `CREDENTIALS` with a source and MFA device named for `tag`: an MFA session kept
/// in the shared keyring for another test's would be used instead of asking.
fn home_of_its_own(tag: &str, key_id: &str) -> AwsHome {
    let config = CONFIG
        .replace("ipc-source", &format!("{tag}-source"))
        .replace("mfa/ipc", &format!("mfa/{tag}"));
    let credentials = CREDENTIALS
        .replace("ipc-source", &format!("{tag}-source"))
        .replace("AKIAIPCTEST000000001", key_id);
    AwsHome::new(&config, &credentials)
}

/// `credential-process` asks the tray for a code and fails well before the five-minute answer
/// timeout (the dialog cannot open).
fn fails_without_waiting(home: &AwsHome, runtime: &Path, proxy: &StsProxy, app: &DesktopApp) {
    let mut asking = credential_process(home, runtime, proxy);
    assert!(
        eventually(Duration::from_secs(60), || asking
            .try_wait()
            .expect("wait")
            .is_some()),
        "credential-process still waits for a dialog that cannot open\n{}",
        app.log()
    );
    let out = finish(asking);
    assert!(!out.status.success(), "{}", describe(&out));
}
