//! The windows driven through WebDriver (tauri-driver + Debian's WebKitWebDriver, selenium as
//! the client):
//! - the MFA dialog, against the fault proxy that checks MFA codes as real STS does (moto does
//!   not): a wrong code is rejected and the dialog says why in STS's words, then the right code
//!   renews the session and botocore reads it from the credentials file;
//! - the manager's Diagnostics tab: each line of the files an AWS reader refuses is shown once,
//!   as a failed check naming its line;
//! - the Sources tab's IAM Identity Center section, against the fake Identity Center: a sign-in
//!   with a device code shown in the dialog, a sign-out, and a sign-in in the browser.
//!
//! Runs inside scripts/with-desktop-session.sh, one test at a time with the other desktop suites.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

use rolekeeper_tests::desktop::{
    click_in, eventually, menu_of, require_desktop_session, DesktopApp,
};
use rolekeeper_tests::proxy::StsProxy;
use rolekeeper_tests::{bin, botocore_view, describe, moto_iam, require_env, AwsHome, ChildGuard};
use serde_json::Value;

/// Names no other suite uses: MFA sessions are cached in the shared keyring by source and device.
const CONFIG: &str = "\
[profile wd-role]
role_arn = arn:aws:iam::123456789012:role/WebDriver
source_profile = wd-source
duration_seconds = 3600
region = us-east-1
";
const CREDENTIALS: &str = "\
[wd-source]
aws_access_key_id = AKIAWEBDRIVER0000001
aws_secret_access_key = webDriverTestSecret0000000000000000000000
";
const SERIAL: &str = "arn:aws:iam::123456789012:mfa/webdriver";
const WRONG: &str = "111111";
const RIGHT: &str = "864209";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The tray app and tauri-driver beside it: the tray (`rolekeeper-desktop`, started here with
/// `home`'s environment and `vars`) runs the engine and the tray icon; tauri-driver starts the
/// window process (`rolekeeper-window`) when a WebDriver session begins, and that process
/// connects to the tray, which shows its windows there. Dropped: both stop.
struct Driven {
    tray: DesktopApp,
    _driver: ChildGuard,
}

impl Driven {
    /// The tray app's pid.
    fn id(&self) -> u32 {
        self.tray.pid()
    }
}

/// The tray app, once its menu is up (so it listens on its socket), and tauri-driver on a free
/// port.
fn start_tauri_driver(home: &AwsHome, vars: &[(&str, &str)]) -> (Driven, u16) {
    let mut tray = DesktopApp::start_with(home, vars);
    tray.wait_for_menu("the tray menu", |menu| !menu.is_empty());
    let (driver, port) = start_driver_only(home, vars);
    (
        Driven {
            tray,
            _driver: driver,
        },
        port,
    )
}

/// tauri-driver on a free port; it starts the window process (through WebKitWebDriver) with
/// `home`'s environment and `vars` when a WebDriver session begins.
fn start_driver_only(home: &AwsHome, vars: &[(&str, &str)]) -> (ChildGuard, u16) {
    let port = free_port();
    let mut driver_cmd = home.command("tauri-driver");
    driver_cmd
        .args([
            "--port",
            &port.to_string(),
            "--native-port",
            &free_port().to_string(),
        ])
        .args(["--native-driver", "/usr/bin/WebKitWebDriver"])
        .envs(vars.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let driver = ChildGuard(driver_cmd.spawn().expect(
        "start tauri-driver (./scripts/test.sh installs it: cargo install tauri-driver --version 2.1.0)",
    ));
    assert!(
        eventually(Duration::from_secs(20), || std::net::TcpStream::connect((
            "127.0.0.1",
            port
        ))
        .is_ok()),
        "tauri-driver does not listen on {port}"
    );
    (driver, port)
}

/// The WebDriver session is ready only once the window process has a web view: open a window
/// the way a person does, clicking the tray item `label` once it is offered enabled and the
/// window process WebDriver started has connected to the tray (the tray shows windows in the
/// newest one). Joins to whether it was clicked.
fn click_when_offered(driven: &Driven, label: &'static str) -> JoinHandle<bool> {
    let tray_pid = driven.id();
    let log = driven.tray.stderr_log.clone();
    std::thread::spawn(move || {
        let found = eventually(Duration::from_secs(60), || {
            std::fs::read_to_string(&log)
                .is_ok_and(|log| log.contains("a window process connected"))
                && menu_of(tray_pid)
                    .is_some_and(|m| m.iter().any(|i| i.label == label && i.enabled))
        });
        if found {
            click_in(tray_pid, label);
        }
        found
    })
}

/// Where the screenshots go: out/screenshots/ (gitignored; docs/ holds the chosen ones).
fn shots_dir() -> PathBuf {
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../out/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    shots
}

/// Run the selenium client `tests/support/SCRIPT` against tauri-driver on `port`.
fn run_client(script: &str, port: u16, args: &[&std::ffi::OsStr]) -> Output {
    let python = require_env("ROLEKEEPER_TEST_PYTHON");
    Command::new(python)
        .arg(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("support")
                .join(script),
        )
        .arg(format!("http://127.0.0.1:{port}"))
        .arg(bin("rolekeeper-window"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {script}: {e}"))
}

#[test]
fn a_wrong_code_is_refused_in_words_then_the_right_one_renews_the_session() {
    require_desktop_session();
    let _keyring = rolekeeper_tests::keyring_use(false);
    let proxy = StsProxy::start();
    let home = AwsHome::new(CONFIG, CREDENTIALS);
    let out = home
        .command(bin("rolekeeper"))
        .env("AWS_ENDPOINT_URL_STS", proxy.url())
        .args(["activate", "wd-role", "--duration", "900s"])
        .output()
        .expect("activate");
    assert!(out.status.success(), "activate: {}", describe(&out));
    let first_key = botocore_view(&home, &["wd-role"])["keys"]["wd-role"].clone();
    let mut config = std::fs::read_to_string(home.config_path()).unwrap();
    config.push_str(&format!("mfa_serial = {SERIAL}\n"));
    std::fs::write(home.config_path(), config).unwrap();
    proxy.expect_mfa_code(RIGHT);

    // tauri-driver starts the app through WebKitWebDriver, with this environment.
    let (driver, port) = start_tauri_driver(
        &home,
        &[
            ("AWS_ENDPOINT_URL_STS", proxy.url().as_str()),
            ("ROLEKEEPER_REFRESH_BEFORE", "895s"),
        ],
    );
    // The dialog opens from the tray once the engine has found that a code is needed.
    let opener = click_when_offered(&driver, "Enter MFA code…");
    let shots = shots_dir();
    let run = run_client(
        "webdriver_mfa.py",
        port,
        &[WRONG.as_ref(), RIGHT.as_ref(), shots.as_os_str()],
    );
    assert!(
        opener.join().unwrap(),
        "the tray never offered Enter MFA code…"
    );
    assert!(run.status.success(), "WebDriver: {}", describe(&run));
    let result: Value = serde_json::from_slice(&run.stdout).expect("JSON from webdriver_mfa.py");

    assert_eq!(result["title"], "Enter MFA code");
    let request = result["request"].as_str().unwrap();
    assert!(
        request.contains("wd-role") && request.contains(SERIAL),
        "{request}"
    );
    let rejected = result["after_wrong"].as_str().unwrap();
    assert!(
        rejected.contains("did not accept") && rejected.contains("MultiFactorAuthentication"),
        "the dialog says in STS's words why: {rejected}"
    );
    assert_eq!(
        result["field_after_wrong"], "",
        "a rejected code is cleared for the next one"
    );
    assert!(result["after_right"]
        .as_str()
        .unwrap()
        .contains("Code accepted"));

    let calls = proxy.calls();
    assert_eq!(
        calls["token_codes"][WRONG], 1,
        "the wrong code went to STS once and was never retried: {calls}"
    );
    assert!(
        calls["token_codes"][RIGHT].as_u64().unwrap_or(0) >= 1,
        "{calls}"
    );
    let renewed = botocore_view(&home, &["wd-role"])["keys"]["wd-role"].clone();
    assert_ne!(
        renewed, first_key,
        "botocore reads the credentials renewed with the code"
    );
    drop(driver);
}

/// A config the AWS tools refuse at two lines: an indented key with no property above it to
/// continue (line 3) and a header with no `]` (line 4).
const REFUSED_CONFIG: &str = "\
[profile wd-diag]

  indented = yes
[profile wd-unclosed
region = eu-west-1
";

/// Open the manager window from the tray as a person does, and run the selenium client
/// `tests/support/SCRIPT SHOT_DIR ARGS...` on it; its JSON result.
fn in_manager(home: &AwsHome, script: &str, args: &[&std::ffi::OsStr]) -> Value {
    in_manager_with(home, &[], script, args)
}

/// [`in_manager`], the app started with `vars` besides `home`'s environment.
fn in_manager_with(
    home: &AwsHome,
    vars: &[(&str, &str)],
    script: &str,
    args: &[&std::ffi::OsStr],
) -> Value {
    in_manager_then(home, vars, script, args, |_| {})
}

/// [`in_manager_with`], then `after` while the tray still runs (the WebDriver session, and with
/// it the window process, has ended).
fn in_manager_then(
    home: &AwsHome,
    vars: &[(&str, &str)],
    script: &str,
    args: &[&std::ffi::OsStr],
    after: impl FnOnce(&Driven),
) -> Value {
    let (driver, port) = start_tauri_driver(home, vars);
    let opener = click_when_offered(&driver, "Open RoleKeeper…");
    let shots = shots_dir();
    let mut all = vec![shots.as_os_str()];
    all.extend_from_slice(args);
    let run = run_client(script, port, &all);
    assert!(
        opener.join().unwrap(),
        "the tray never offered Open RoleKeeper…"
    );
    assert!(run.status.success(), "WebDriver: {}", describe(&run));
    after(&driver);
    drop(driver);
    serde_json::from_slice(&run.stdout).unwrap_or_else(|e| panic!("JSON from {script}: {e}"))
}

#[test]
fn the_diagnostics_tab_shows_each_refused_line_once_as_a_check_with_its_line() {
    require_desktop_session();
    // The diagnostics ask the keychain whether it answers.
    let _keyring = rolekeeper_tests::keyring_use(false);
    let home = AwsHome::new(REFUSED_CONFIG, "");
    let config_path = home.config_path().display().to_string();

    let result = in_manager(&home, "webdriver_diagnostics.py", &[]);

    assert_eq!(result["title"], "RoleKeeper");
    assert_eq!(result["config_file"], config_path.as_str());
    let checks = result["checks"].as_array().unwrap();
    let failed: Vec<&str> = checks
        .iter()
        .filter(|c| c["badge"] == "FAIL")
        .map(|c| c["detail"].as_str().unwrap())
        .collect();
    assert_eq!(
        failed.len(),
        2,
        "one failed check per refused line: {checks:#?}"
    );
    for (line, words) in [
        (3, "Expected a property definition"),
        (4, "must end with ']'"),
    ] {
        let at = format!("{config_path}, line {line}:");
        assert!(
            failed.iter().any(|d| d.contains(&at) && d.contains(words)),
            "a failed check names {at}: {failed:#?}"
        );
        // Once on the page: no second list repeats it.
        let page = result["page_text"].as_str().unwrap();
        assert_eq!(page.matches(&at).count(), 1, "{at} shown once:\n{page}");
    }
    assert!(
        checks
            .iter()
            .filter(|c| c["badge"] == "FAIL")
            .all(|c| c["name"] == "config file syntax"),
        "{checks:#?}"
    );
    assert_eq!(result["other_lists"], 0, "the checks are the only list");
    let not_ok = checks.iter().filter(|c| c["badge"] != "ok").count();
    assert_eq!(
        result["flag"],
        not_ok.to_string(),
        "the tab's mark counts what is not ok"
    );
    assert!(
        result["summary"].as_str().unwrap().starts_with("2 failed"),
        "{}",
        result["summary"]
    );
}

/// A HOME with one role `t<pid>-<tag>` (`role/<role>`, `extra` lines added to its profile) whose
/// source `dev` has the long-term key `key`; the profile's name, the HOME and its two files.
fn one_role(tag: &str, role: &str, extra: &str, key: &str) -> (String, AwsHome, String, String) {
    let name = format!("t{}-{tag}", std::process::id());
    let config = format!(
        "[profile {name}]\nrole_arn = arn:aws:iam::123456789012:role/{role}\nsource_profile = \
         dev\n{extra}region = us-east-1\n"
    );
    let credentials =
        format!("[dev]\naws_access_key_id = {key}\naws_secret_access_key = {role}Secret\n");
    let home = AwsHome::new(&config, &credentials);
    (name, home, config, credentials)
}

/// `rolekeeper deactivate NAME` in `home`, which must succeed.
fn deactivate(home: &AwsHome, name: &str) {
    let out = home
        .command(bin("rolekeeper"))
        .args(["deactivate", name])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
}

#[test]
fn a_session_is_given_process_delivery_and_a_length_in_the_sessions_tab() {
    require_desktop_session();
    // Process delivery keeps the session in the keychain.
    let _keyring = rolekeeper_tests::keyring_use(false);
    let (name, home, config, credentials) =
        one_role("wd-deliver", "Deliver", "", "AKIAWEBDRIVERDELIV01");

    // Open console: the fake federation endpoint, a browser that records what it opens.
    let fake = rolekeeper_tests::fake_federation::FakeFederation::start();
    let browser_log = home.home().join("browser.log");
    let env = fake.client_env(&browser_log);
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut clipboard = String::new();
    let result = in_manager_then(
        &home,
        &vars,
        "webdriver_sessions.py",
        &[name.as_ref()],
        |_| {
            // The window's process is gone; what it copied is still there (the tray holds it).
            assert!(
                eventually(Duration::from_secs(15), || {
                    rolekeeper_tests::desktop::process_named_with_home(
                        "rolekeeper-window",
                        home.home(),
                    )
                    .is_none()
                }),
                "the window process outlived the WebDriver session"
            );
            let out = Command::new("xclip")
                .args(["-o", "-selection", "clipboard"])
                .output()
                .expect("xclip (apt: xclip)");
            clipboard = String::from_utf8_lossy(&out.stdout).into_owned();
        },
    );
    assert_eq!(
        clipboard, "arn:aws:iam::123456789012:role/Deliver",
        "the copied role ARN stays on the clipboard after the window: {result:#}"
    );
    assert!(
        result["copy_status"]
            .as_str()
            .unwrap_or_default()
            .starts_with(&format!("Copied the role ARN of {name}")),
        "{result:#}"
    );

    assert_eq!(result["before"]["state"], "off", "{result:#}");
    assert_eq!(result["before"]["delivery"], "File");
    // The profile has no duration_seconds: its own length is STS's 1 h, and says so.
    assert_eq!(result["before"]["duration"], "Profile's 1 h");
    assert_eq!(result["after"]["delivery"], "Process", "{result:#}");
    assert_eq!(result["after"]["duration"], "2 h");
    // The activation commented out the role's lines of ~/.aws/config: said in the window and in
    // a notification, with how to undo it.
    let said = result["status"].as_str().unwrap_or_default();
    assert!(
        said.contains(&format!("adopted [profile {name}] in "))
            && said.contains("role_arn (line 2)")
            && said.contains("Deactivate (or `rolekeeper deactivate"),
        "{result:#}"
    );
    let notifications =
        std::fs::read_to_string(rolekeeper_tests::require_env("WDS_NOTIFY_LOG")).unwrap();
    assert!(
        notifications.contains(&format!("RoleKeeper changed your AWS config for {name}")),
        "no notification of the adoption"
    );
    assert_eq!(
        result["after"]["buttons"],
        serde_json::json!(["Refresh now", "Deactivate", "Open console"])
    );
    // The console opened in the browser with the session kept for the process delivery (no
    // URL in the page: only the words).
    assert_eq!(
        result["console_status"],
        format!("{name}: the AWS console opened in your browser."),
        "{result:#}"
    );
    // The browser is a process of its own: its record may land a moment after the window spoke.
    let mut opened = String::new();
    eventually(Duration::from_secs(10), || {
        opened = std::fs::read_to_string(&browser_log).unwrap_or_default();
        !opened.is_empty()
    });
    assert!(
        opened.starts_with(&format!("{}/federation?Action=login&", fake.url())),
        "{opened:?}"
    );
    assert_eq!(fake.count("tokens"), 1, "{}", fake.log());

    // What the choices did, read from the files: the config serves the profile through
    // RoleKeeper, the credentials file is untouched, and the state remembers 2 h.
    let config_now = std::fs::read_to_string(home.config_path()).unwrap();
    assert!(
        config_now.contains(&format!(
            "credential_process = rolekeeper credential-process {name}"
        )),
        "{config_now}"
    );
    assert_eq!(
        std::fs::read_to_string(home.credentials_path()).unwrap(),
        credentials
    );
    let status = home
        .command(bin("rolekeeper"))
        .args(["status", "--json"])
        .output()
        .unwrap();
    let status: Value = serde_json::from_slice(&status.stdout).expect("status JSON");
    let session = &status["sessions"][0];
    assert_eq!(session["name"], name.as_str(), "{status:#}");
    assert_eq!(session["delivery"], "process");
    assert_eq!(session["duration_seconds"], 7200);
    deactivate(&home, &name);
    assert_eq!(std::fs::read_to_string(home.config_path()).unwrap(), config);
}

/// The window's Deactivate sticks while the engine renews the session every 10 s: the row says
/// off and the credentials file stays as it was before the activation for 30 s while the app runs
/// (a renewal in flight is discarded, not written).
#[test]
fn a_deactivate_from_the_window_sticks_while_its_engine_renews() {
    require_desktop_session();
    require_env("ROLEKEEPER_TEST_STS_URL");
    let (name, home, _, _) = one_role(
        "wd-off",
        "Off",
        "duration_seconds = 900\n",
        "AKIAWEBDRIVEROFF0001",
    );
    let original = home.home().join("credentials.before");
    std::fs::copy(home.credentials_path(), &original).unwrap();
    let out = home
        .command(bin("rolekeeper"))
        .args(["activate", &name])
        .output()
        .unwrap();
    assert!(out.status.success(), "activate: {}", describe(&out));

    let result = in_manager_with(
        &home,
        &[("ROLEKEEPER_REFRESH_BEFORE", "890s")],
        "webdriver_deactivate.py",
        &[
            name.as_ref(),
            home.credentials_path().as_os_str(),
            original.as_os_str(),
            "30".as_ref(),
        ],
    );
    assert_eq!(result["state"], "off", "{result:#}");
    assert!(
        result["came_back_after"].is_null(),
        "the section came back while the app's engine ran: {result:#}"
    );
    assert!(result["watched"].as_f64().unwrap() >= 30.0, "{result:#}");
    assert_eq!(
        std::fs::read(home.credentials_path()).unwrap(),
        std::fs::read(&original).unwrap()
    );
}

/// Activate, in the window, on a role that needs an MFA code: the MFA dialog opens by itself, the
/// code typed there (real X key events) reaches STS, and the window's row turns fresh; no message
/// tells the user to go to a terminal.
#[test]
fn an_mfa_role_is_activated_from_the_window_with_a_code_typed_in_the_dialog() {
    require_desktop_session();
    let _keyring = rolekeeper_tests::keyring_use(false);
    let (name, home, _, _) = one_role(
        "wd-mfa",
        "WdMfa",
        "mfa_serial = arn:aws:iam::123456789012:mfa/wd-window\n",
        "AKIAWEBDRIVERMFAWIN1",
    );
    let _forget = rolekeeper_tests::ForgetKeychainEntries(vec![
        format!("session:{name}"),
        "mfa:dev:arn:aws:iam::123456789012:mfa/wd-window".to_owned(),
    ]);
    let proxy = StsProxy::start();
    proxy.expect_mfa_code(RIGHT);
    let typist = std::thread::spawn(|| {
        let open = eventually(Duration::from_secs(90), || {
            !rolekeeper_tests::desktop::windows_titled("Enter MFA code").is_empty()
        });
        if open {
            std::thread::sleep(Duration::from_secs(2));
            rolekeeper_tests::desktop::type_in_mfa_dialog(RIGHT);
        }
        open
    });

    let result = in_manager_with(
        &home,
        &[("AWS_ENDPOINT_URL_STS", proxy.url().as_str())],
        "webdriver_activate_mfa.py",
        &[name.as_ref()],
    );
    assert!(
        typist.join().unwrap(),
        "the MFA dialog never opened: {result:#}"
    );
    assert!(
        result["state"].as_str().unwrap().starts_with("fresh"),
        "{result:#}"
    );
    let page = result["page"].as_str().unwrap();
    assert!(
        !page.contains("terminal") && !page.contains("NAME"),
        "no advice to use a terminal, no placeholder: {page}"
    );
    assert_eq!(
        proxy.calls()["token_codes"][RIGHT],
        1,
        "the typed code went to STS once"
    );
    assert!(
        botocore_view(&home, &[name.as_str()])["keys"][name.as_str()]
            .as_str()
            .unwrap()
            .starts_with("ASIA")
    );
    deactivate(&home, &name);
}

/// On a desktop with nothing that shows tray icons (a session bus with no StatusNotifierWatcher),
/// the manager window opens by itself and says at its top why there is no icon and what to
/// install.
#[test]
fn with_no_tray_host_the_window_opens_by_itself_and_says_why() {
    require_desktop_session();
    let home = AwsHome::new(REFUSED_CONFIG, "");
    let bus = rolekeeper_tests::desktop::BareBus::start(&home);
    // No tray runs: the window process WebDriver starts starts the tray (as `rolekeeper-window`
    // run by hand would), which finds no tray host and opens its manager window there.
    let (driver, port) =
        start_driver_only(&home, &[("DBUS_SESSION_BUS_ADDRESS", bus.address.as_str())]);
    let shots = shots_dir();
    let run = run_client("webdriver_tray_notice.py", port, &[shots.as_os_str()]);
    let tray =
        rolekeeper_tests::desktop::process_named_with_home("rolekeeper-desktop", home.home());
    if let Some(pid) = tray {
        let _ = Command::new("kill").arg(pid.to_string()).status();
    }
    assert!(run.status.success(), "WebDriver: {}", describe(&run));
    assert!(tray.is_some(), "the window process started no tray app");
    drop(driver);
    let result: Value = serde_json::from_slice(&run.stdout).expect("JSON");
    assert_eq!(result["title"], "RoleKeeper");
    assert_eq!(result["displayed"], true, "{result:#}");
    let text = result["text"].as_str().unwrap();
    assert!(
        text.starts_with("No tray icon on this desktop.")
            && text.contains("Nothing on the session bus shows StatusNotifier tray icons")
            && text.contains("gnome-shell-extension-appindicator")
            && text.contains("notifications still work"),
        "{text}"
    );
}

/// "Start RoleKeeper at login", turned on in the Settings tab, writes an XDG autostart entry that
/// starts the app at the next login: launched as a desktop session does (`gio launch`), the
/// app comes up with its tray. Turned off, the entry is gone.
#[test]
fn start_at_login_set_in_settings_starts_the_app_at_the_next_login() {
    require_desktop_session();
    let home = AwsHome::new(REFUSED_CONFIG, "");
    let autostart = home.home().join(".config/autostart");
    let result = in_manager(&home, "webdriver_autostart.py", &["on".as_ref()]);
    assert_eq!(result["after"], true, "{result:#}");
    assert_eq!(result["status"], "Saved", "{result:#}");
    let entries: Vec<PathBuf> = std::fs::read_dir(&autostart)
        .unwrap_or_else(|e| panic!("{}: {e}", autostart.display()))
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = std::fs::read_to_string(&entries[0]).unwrap();
    assert!(entry.starts_with("[Desktop Entry]\n"), "{entry}");
    assert!(entry.contains("\nType=Application\n"), "{entry}");
    let exec = entry
        .lines()
        .find_map(|l| l.strip_prefix("Exec="))
        .unwrap_or_else(|| panic!("no Exec line: {entry}"));
    let program = exec.split_whitespace().next().unwrap();
    assert_eq!(
        std::fs::canonicalize(program).unwrap(),
        std::fs::canonicalize(bin("rolekeeper-desktop")).unwrap(),
        "{entry}"
    );

    // The next login: the session starts what the entry says.
    // (No pipes: the app would inherit them and hold them open.)
    let launched = home
        .command("gio")
        .arg("launch")
        .arg(&entries[0])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("gio (apt: libglib2.0-bin)");
    assert!(launched.success(), "gio launch: {launched}");
    let mut app = None;
    assert!(
        eventually(Duration::from_secs(60), || {
            app = rolekeeper_tests::desktop::process_named_with_home(
                "rolekeeper-desktop",
                home.home(),
            );
            app.is_some_and(|pid| menu_of(pid).is_some_and(|m| !m.is_empty()))
        }),
        "the app started at login never showed its tray menu: {entry}\n{}",
        String::from_utf8_lossy(
            &Command::new("ps")
                .args(["-eo", "pid,ppid,comm,args"])
                .output()
                .unwrap()
                .stdout
        )
    );
    let pid = app.unwrap();
    click_in(pid, "Quit");
    assert!(
        eventually(Duration::from_secs(15), || !Path::new(&format!(
            "/proc/{pid}"
        ))
        .exists()),
        "the app did not quit"
    );

    let result = in_manager(&home, "webdriver_autostart.py", &["off".as_ref()]);
    assert_eq!(
        result["before"], true,
        "the setting was remembered: {result:#}"
    );
    assert_eq!(result["after"], false, "{result:#}");
    assert!(
        std::fs::read_dir(&autostart).unwrap().next().is_none(),
        "the autostart entry is gone once turned off"
    );
}

/// The tray activates a session while the manager window is open: the window says so within a
/// second (it follows the engine's events; its own re-listing comes every 30 s).
#[test]
fn the_window_follows_a_tray_action_within_a_second() {
    require_desktop_session();
    require_env("ROLEKEEPER_TEST_STS_URL");
    let (name, home, _, _) = one_role("wd-follow", "Follow", "", "AKIAWEBDRIVERFOLLOW1");
    let marker = home.home().join("window-ready");

    let (driver, port) = start_tauri_driver(&home, &[]);
    let opener = click_when_offered(&driver, "Open RoleKeeper…");
    let driver_pid = driver.id();
    let label = format!("{name} — off>Activate");
    let marker_seen = marker.clone();
    let clicker = std::thread::spawn(move || {
        assert!(
            eventually(Duration::from_secs(90), || marker_seen.exists()),
            "the window never showed the session off"
        );
        let app = driver_pid;
        click_in(app, &label);
        #[allow(clippy::disallowed_methods)] // compared with the client's wall clock
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
    });
    let shots = shots_dir();
    let run = run_client(
        "webdriver_follows.py",
        port,
        &[shots.as_os_str(), name.as_ref(), marker.as_os_str()],
    );
    assert!(
        opener.join().unwrap(),
        "the tray never offered Open RoleKeeper…"
    );
    let clicked = clicker.join().unwrap();
    assert!(run.status.success(), "WebDriver: {}", describe(&run));
    drop(driver);
    let result: Value = serde_json::from_slice(&run.stdout).expect("JSON");
    let seen = result["seen_at"]
        .as_f64()
        .unwrap_or_else(|| panic!("the window never showed it fresh: {result}"));
    let lag = seen - clicked;
    println!("the window showed the tray's activation {lag:.3} s after the click");
    assert!(
        lag < 1.0,
        "the window followed the tray {lag:.3} s late (it must follow the engine's events): {result}"
    );
    deactivate(&home, &name);
}

#[test]
fn a_sign_in_from_the_sources_tab_with_a_device_code_then_in_the_browser() {
    require_desktop_session();
    // The refresh token goes to the keychain.
    let _keyring = rolekeeper_tests::keyring_use(false);
    let fake = rolekeeper_tests::fake_sso::FakeIdentityCenter::start();
    let home = AwsHome::new(
        &rolekeeper_tests::fake_sso::sso_config("wd-corp", "wd-dev"),
        "",
    );
    let browser_log = home.home().join("browser.log");
    let url = fake.url();
    let mut env = fake.client_env();
    // The device code is read back from the URL the browser was sent to.
    env.push((
        "ROLEKEEPER_TEST_BROWSER_LOG",
        browser_log.display().to_string(),
    ));
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();

    let result = in_manager_with(
        &home,
        &vars,
        "webdriver_sso.py",
        &[url.as_ref(), browser_log.as_os_str(), "wd-corp".as_ref()],
    );

    assert_eq!(result["before"]["state"], "not signed in", "{result:#}");
    assert_eq!(result["before"]["buttons"], serde_json::json!(["Sign in"]));
    let row = result["before"]["row"].as_str().unwrap();
    assert!(
        row.contains("d-1234567890.awsapps.com/start")
            && row.contains("us-east-1")
            && row.contains("wd-dev"),
        "{row}"
    );
    assert_eq!(result["dialog_opened"], true, "{result:#}");
    assert!(result["user_code"].is_string(), "{result:#}");
    assert_eq!(result["signing_in"], "signing in…");
    assert_eq!(
        result["after_device"]["state"], "signed in · renewed by itself",
        "{result:#}"
    );
    assert_eq!(
        result["after_device"]["buttons"],
        serde_json::json!(["Sign out"])
    );
    assert_eq!(
        result["dialog_closed"], true,
        "the dialog closes itself once signed in"
    );
    assert_eq!(result["after_sign_out"], "not signed in");
    assert_eq!(
        result["after_browser"], "signed in · renewed by itself",
        "{result:#}"
    );
    assert_eq!(
        fake.count("start_device_authorization"),
        1,
        "{}",
        fake.stats()
    );
    assert_eq!(fake.count("authorize"), 1, "{}", fake.stats());
    assert_eq!(fake.count("sign_ins"), 2, "{}", fake.stats());
    // The token file as the AWS tools read it.
    let cache = home.home().join(".aws/sso/cache");
    assert!(
        std::fs::read_dir(&cache).is_ok_and(|mut d| d.next().is_some()),
        "a token file in {}",
        cache.display()
    );
}

/// 300 profiles (`sso sync` of a large organisation), two of them active: the Sessions tab's
/// filter narrows the rows to an account's roles by its id, to a role by its name, to one row by
/// both, for roles assumed from keys and for IAM Identity Center roles alike, says "N of 300
/// profiles" as it goes, and Escape gives all 300 back.
#[test]
fn the_sessions_filter_finds_accounts_and_roles_among_300_profiles() {
    use rolekeeper_tests::many;
    require_desktop_session();
    require_env("ROLEKEEPER_TEST_STS_URL");
    let home = AwsHome::new(&many::config(100, 70), "");
    let active = [many::profile(3, "ReadOnly"), many::profile(42, "Admin")];
    for name in &active {
        let out = home
            .command(bin("rolekeeper"))
            .envs(many::ENV_KEYS)
            .args(["activate", name])
            .output()
            .expect("activate");
        assert!(out.status.success(), "activate {name}: {}", describe(&out));
    }
    let (role_account, sso_account) = (many::account(42), many::account(77));
    let both = format!("readonly {role_account}");
    let queries = [
        role_account.as_str(),
        sso_account.as_str(),
        "ReadOnly",
        both.as_str(),
        "nothing-like-this",
    ];
    let mut args: Vec<&std::ffi::OsStr> = vec!["300".as_ref()];
    args.extend(queries.iter().map(std::ffi::OsStr::new));

    let result = in_manager_with(&home, &many::ENV_KEYS, "webdriver_filter.py", &args);

    assert_eq!(result["label"], "Filter profiles", "{result:#}");
    let before = &result["before"];
    assert_eq!(before["count"], "300 of 300 profiles");
    let listed: Vec<String> = serde_json::from_value(before["names"].clone()).unwrap();
    assert_eq!(listed.len(), 300);
    assert_eq!(listed[..2], active, "the active sessions come first");
    let names = |i: usize| -> Vec<String> {
        let got = &result["queries"][i];
        assert_eq!(got["focused"], true, "the box keeps the focus: {got:#}");
        serde_json::from_value(got["names"].clone()).unwrap()
    };
    let count = |i: usize| result["queries"][i]["count"].as_str().unwrap().to_owned();
    // An account's three roles, the active one first.
    assert_eq!(
        names(0),
        [
            many::profile(42, "Admin"),
            many::profile(42, "Developer"),
            many::profile(42, "ReadOnly")
        ]
    );
    assert_eq!(count(0), "3 of 300 profiles");
    assert_eq!(
        names(1),
        ["Admin", "Developer", "ReadOnly"].map(|r| many::profile(77, r))
    );
    assert_eq!(count(1), "3 of 300 profiles");
    let readonly = names(2);
    assert_eq!(count(2), "100 of 300 profiles");
    assert_eq!(readonly[0], many::profile(3, "ReadOnly"), "active first");
    assert!(readonly.iter().all(|n| n.ends_with("-readonly")));
    assert_eq!(names(3), [many::profile(42, "ReadOnly")]);
    assert_eq!(count(3), "1 of 300 profiles");
    assert!(names(4).is_empty());
    assert_eq!(count(4), "0 of 300 profiles");
    assert!(
        result["queries"][4]["message"]
            .as_str()
            .unwrap()
            .contains("Press Escape"),
        "{result:#}"
    );
    let after = &result["after_escape"];
    assert_eq!(after["value"], "", "Escape clears the box");
    assert_eq!(after["count"], "300 of 300 profiles");
    assert_eq!(after["names"].as_array().unwrap().len(), 300);

    for name in &active {
        deactivate(&home, name);
    }
}

#[test]
fn a_sources_key_is_checked_and_rotated_in_the_sources_tab() {
    require_desktop_session();
    let _keyring = rolekeeper_tests::keyring_use(false);
    let moto = require_env("ROLEKEEPER_TEST_STS_URL");
    let name = format!("wd{}-keys", std::process::id());
    let key = moto_iam(&["create-user", &name], &[]);
    let (old, secret) = (key["id"].as_str().unwrap(), key["secret"].as_str().unwrap());
    let home = AwsHome::new("", "");
    let mut add = home
        .command(bin("rolekeeper"))
        .args(["source", "add", &name])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("rolekeeper source add");
    use std::io::Write;
    writeln!(add.stdin.take().unwrap(), "{old}\n{secret}").unwrap();
    assert!(add.wait().unwrap().success());
    let _forget = rolekeeper_tests::ForgetKeychainEntries(vec![format!("source:{name}")]);

    let vars = [("AWS_ENDPOINT_URL_IAM", moto.as_str())];
    let result = in_manager_with(&home, &vars, "webdriver_keys.py", &[name.as_ref()]);

    let masked = |id: &str| format!("{}…{}", &id[..4], &id[id.len() - 4..]);
    let checked = &result["checked"]["cells"];
    assert_eq!(checked[3], masked(old).as_str(), "{result:#}");
    assert_eq!(checked[4], "today", "{result:#}");
    let keys = moto_iam(&["list-keys", &name], &[]);
    let keys = keys.as_array().unwrap();
    assert_eq!(keys.len(), 1, "the old key is deleted: {keys:?}");
    let new = keys[0]["id"].as_str().unwrap();
    assert_ne!(new, old);
    assert_eq!(
        result["rotated"]["cells"][3],
        masked(new).as_str(),
        "{result:#}"
    );
    let page = result.to_string();
    assert!(!page.contains(old) && !page.contains(new) && !page.contains(secret));
}

/// The first run: no `~/.aws` at all. The Sessions tab shows the guide (the config file's path,
/// an example profile); "Open the config file" creates it (0600, in a 0700 `~/.aws`, only
/// comments) and runs the desktop's opener on it (a fake `xdg-open` here, which records its
/// argument); the profiles an editor then saves appear in the window by themselves, within
/// about 2 s, no "Refresh all now"; and every control on the way has an accessible name.
#[test]
fn the_first_run_guide_opens_the_config_file_and_what_is_saved_there_appears_by_itself() {
    require_desktop_session();
    let home = AwsHome::new("", "");
    std::fs::remove_dir_all(home.home().join(".aws")).unwrap();
    let bin_dir = home.home().join("bin");
    std::fs::create_dir(&bin_dir).unwrap();
    let opener_log = home.home().join("xdg-open.log");
    let opener = bin_dir.join("xdg-open");
    std::fs::write(
        &opener,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" >> '{}'\n",
            opener_log.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let (config, credentials) = (home.config_path(), home.credentials_path());
    let config_text = "\
[profile fr-admin]
role_arn = arn:aws:iam::123456789012:role/OrganizationAccountAccessRole
source_profile = dev
duration_seconds = 7200

[profile fr-readonly]
role_arn = arn:aws:iam::210987654321:role/ReadOnly
source_profile = dev
";
    let credentials_text = "\
[dev]
aws_access_key_id = AKIAFIRSTRUN00000001
aws_secret_access_key = firstRunTestSecret000000000000000000000
";

    let result = in_manager_with(
        &home,
        &[("PATH", path.as_str())],
        "webdriver_first_run.py",
        &[
            config.as_os_str(),
            credentials.as_os_str(),
            config_text.as_ref(),
            credentials_text.as_ref(),
            "3".as_ref(),
        ],
    );

    let guide = &result["guide"];
    assert_eq!(guide["heading"], "No AWS profiles yet", "{result:#}");
    assert_eq!(guide["config_path"], config.display().to_string());
    assert!(
        guide["example"]
            .as_str()
            .unwrap()
            .contains("source_profile = dev"),
        "{result:#}"
    );
    assert_eq!(guide["table_shown"], false);
    assert_eq!(guide["config_existed"], false, "nothing made before asked");
    // The selected tab is marked without a wider label: no tab moves when another is chosen.
    let sources_none = &result["sources_none"];
    assert_eq!(
        sources_none["tabs_before"], sources_none["tabs_after"],
        "{result:#}"
    );
    assert_eq!(
        sources_none["where_shown"], false,
        "no source, nothing stored yet"
    );
    let opened = &result["opened"];
    assert_eq!(opened["mode"], "0o600", "{result:#}");
    assert_eq!(opened["dir_mode"], "0o700", "{result:#}");
    assert!(
        opened["text"]
            .as_str()
            .unwrap()
            .lines()
            .all(|l| l.starts_with('#')),
        "only comments: {result:#}"
    );
    assert_eq!(
        opened["status"],
        format!(
            "Created {} (only you can read it) and opened it in your editor.",
            config.display()
        )
    );
    assert_eq!(
        std::fs::read_to_string(&opener_log).unwrap(),
        format!("{}\n", config.display()),
        "xdg-open was run once, on the config file"
    );

    let three = &result["three"];
    let mut names: Vec<String> = serde_json::from_value(three["names"].clone()).unwrap();
    names.sort();
    assert_eq!(names, ["dev", "fr-admin", "fr-readonly"], "{result:#}");
    let seconds = three["seconds"].as_f64().unwrap();
    assert!(
        seconds < 3.0,
        "the saved profiles took {seconds} s to appear"
    );
    assert_eq!(three["guide_shown"], false);
    assert_eq!(three["refresh_label"], "Refresh all now", "never clicked");
    assert_eq!(
        three["headers"],
        serde_json::json!([
            "PROFILE",
            "ROLE",
            "SOURCE",
            "STATE",
            "DELIVERY & LENGTH",
            "ACTIONS"
        ])
    );
    assert_eq!(
        result["sources_three"]["importable"],
        serde_json::json!(["dev"])
    );
    for stage in [
        &guide["unnamed"],
        &result["sources_none"]["unnamed"],
        &three["unnamed"],
        &result["sources_three"]["unnamed"],
    ] {
        assert_eq!(
            stage,
            &serde_json::json!([]),
            "controls without a name: {result:#}"
        );
    }
}

/// Whether the tray app still runs (its window closed by a key, the app stays in the tray); then
/// it is stopped, as the next test's app would only hand over to it.
fn stop_app_below(driver: &mut Driven) -> bool {
    let pid = driver.id();
    if driver.tray.child.try_wait().expect("wait").is_some() {
        return false;
    }
    let _ = Command::new("kill").arg(pid.to_string()).status();
    let status = driver.tray.wait_exit(Duration::from_secs(10));
    assert!(
        status.success(),
        "the app (pid {pid}) stopped on SIGTERM with {status}"
    );
    true
}

/// `webdriver_keyboard.py MODE` in the manager window opened from the tray; its JSON result,
/// and whether the app still ran once the script was done (the window closes, the app stays).
fn keyboard_in_manager(home: &AwsHome, mode: &str) -> (Value, bool) {
    let (driver, port) = start_tauri_driver(home, &[]);
    let shots = shots_dir();
    let args = [shots.as_os_str(), mode.as_ref()];
    run_then_stop(
        driver,
        port,
        "Open RoleKeeper…",
        "webdriver_keyboard.py",
        &args,
    )
}

/// Run `script` against the app below `driver` once the tray item `label` has opened its
/// window; the script's JSON, and whether the app still ran after (then stopped).
fn run_then_stop(
    mut driver: Driven,
    port: u16,
    label: &'static str,
    script: &str,
    args: &[&std::ffi::OsStr],
) -> (Value, bool) {
    let opener = click_when_offered(&driver, label);
    let run = run_client(script, port, args);
    assert!(opener.join().unwrap(), "the tray never offered {label}");
    assert!(run.status.success(), "WebDriver: {}", describe(&run));
    let result =
        serde_json::from_slice(&run.stdout).unwrap_or_else(|e| panic!("JSON from {script}: {e}"));
    let app_alive = stop_app_below(&mut driver);
    drop(driver);
    (result, app_alive)
}

/// The manager by keyboard alone (issue 16): from the page's first Tab stop (the selected tab),
/// the arrow keys select each tab and Tab reaches every control of the header and that tab's
/// panel, each with a visible focus ring; Enter runs "Refresh all now"; the Theme list is set to
/// Dark with keys and saved, and the window's computed background turns dark; Escape in a field
/// mid-edit keeps the window, from the tab bar it closes it, and the app runs on in the tray.
/// Screenshots of every tab in both themes go to out/screenshots (docs/ holds the chosen ones).
#[test]
fn the_manager_is_walked_by_keyboard_its_theme_follows_the_setting_and_escape_closes_it() {
    require_desktop_session();
    // The Diagnostics tab and the Sources tab ask the keychain.
    let _keyring = rolekeeper_tests::keyring_use(false);
    let (name, home, _, _) = one_role("wd-keyboard", "Keyboard", "", "AKIAWEBDRIVERKEYBD01");
    let (result, app_alive) = keyboard_in_manager(&home, "walk");

    assert_eq!(result["open_before"], 1, "{result:#}");
    assert_eq!(
        result["first_tab_stop"]["id"], "tab-sessions",
        "the first Tab stop is the selected tab: {result:#}"
    );
    for (i, tab) in ["sessions", "sources", "settings", "diagnostics"]
        .iter()
        .enumerate()
    {
        let arrow = &result["arrows"][i];
        assert_eq!(
            arrow["selected"], "true",
            "{tab} selected by arrow keys: {arrow}"
        );
        assert_eq!(arrow["panel_shown"], true, "{tab}'s panel shown: {arrow}");
        let walk = &result["walks"][tab];
        assert_eq!(walk["start"]["id"], format!("tab-{tab}"), "{walk:#}");
        assert_eq!(
            walk["missed"],
            serde_json::json!([]),
            "Tab reaches every control on {tab}: {walk:#}"
        );
        assert_eq!(
            walk["no_ring"],
            serde_json::json!([]),
            "focus rings on {tab}: {walk:#}"
        );
        let order: Vec<&str> = walk["order"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        // Only the selected tab is a Tab stop; after it the header's button, then the panel.
        assert_eq!(order.first(), Some(&"refresh"), "{tab}: {order:?}");
        assert!(
            !order.iter().any(|id| id.starts_with("tab-")),
            "{tab}: one tab stop for the tab bar: {order:?}"
        );
    }
    let sessions: Vec<&str> = result["walks"]["sessions"]["order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        sessions.iter().any(|s| s.contains(&name)),
        "the session row's actions are Tab stops: {sessions:?}"
    );
    let settings = result["walks"]["settings"]["order"].to_string();
    for id in [
        "refresh-before",
        "warn-before",
        "notifications",
        "start-at-login",
        "theme",
        "settings-save",
    ] {
        assert!(
            settings.contains(id),
            "{id} reached on Settings: {settings}"
        );
    }
    assert!(result["walks"]["diagnostics"]["order"]
        .to_string()
        .contains("check-again"));
    assert_eq!(result["after_end"], "tab-diagnostics");
    assert_eq!(result["after_home"], "tab-sessions");
    assert_eq!(result["enter_on"], "refresh");
    assert_eq!(result["after_enter"], "Refreshed.", "{result:#}");

    // The theme: light on this (light) desktop, dark once Dark is saved.
    assert_eq!(result["start_theme"]["theme"], "light", "{result:#}");
    assert_eq!(result["start_theme"]["background"], "rgb(246, 247, 249)");
    assert_eq!(result["theme_focused"], "theme");
    assert_eq!(result["theme_value"], "dark");
    assert_eq!(result["save_focused"], "settings-save");
    assert_eq!(
        result["dark_theme"]["background"], "rgb(21, 24, 29)",
        "{result:#}"
    );
    assert_eq!(result["dark_theme"]["text"], "rgb(227, 230, 234)");
    let saved = std::fs::read_to_string(home.home().join(".config/rolekeeper/settings.json"))
        .expect("settings saved");
    assert!(
        saved.contains(r#""theme": "dark""#) || saved.contains(r#""theme":"dark""#),
        "{saved}"
    );

    // About: version, licence, project and the log's place (tauri-driver's pipe here).
    let about = result["about"].as_str().unwrap();
    for words in [env!("CARGO_PKG_VERSION"), "Apache-2.0", "https://", "Log"] {
        assert!(about.contains(words), "About says {words}: {about}");
    }

    assert_eq!(result["escape_in"], "refresh-before");
    assert_eq!(
        result["open_after_field_escape"], 1,
        "Escape in a field mid-edit keeps the window"
    );
    assert_eq!(result["escape_from"], "tab-settings");
    assert_eq!(
        result["closed"], true,
        "Escape closed the window: {result:#}"
    );
    assert!(app_alive, "closing the window leaves the app running");
}

/// Ctrl+W closes the manager window as its close button does; the app runs on.
#[test]
fn ctrl_w_closes_the_manager_window() {
    require_desktop_session();
    let (_, home, _, _) = one_role("wd-ctrlw", "CtrlW", "", "AKIAWEBDRIVERCTRLW01");
    let (result, app_alive) = keyboard_in_manager(&home, "ctrl-w");
    assert_eq!(result["open_before"], 1, "{result:#}");
    assert_eq!(
        result["closed"], true,
        "Ctrl+W closed the window: {result:#}"
    );
    assert!(app_alive, "closing the window leaves the app running");
}

/// The MFA dialog opened from the tray for a role whose renewal needs a code, looked at and
/// closed with `key` (`escape` or `ctrl-w`) by `webdriver_mfa_keys.py`, the app started with
/// `vars` too; the script's JSON result and whether the app ran on after.
fn mfa_dialog_closed_with(tag: &str, key: &str, vars: &[(&str, &str)]) -> (Value, bool) {
    let (name, home, _, _) = one_role(tag, "WdMfaKeys", "", "AKIAWEBDRIVERMFAKEYS");
    let proxy = StsProxy::start();
    // A session of 4000 s, renewed 3995 s before it ends: due at once, with over an hour left.
    let out = home
        .command(bin("rolekeeper"))
        .env("AWS_ENDPOINT_URL_STS", proxy.url())
        .args(["activate", &name, "--duration", "4000s"])
        .output()
        .expect("activate");
    assert!(out.status.success(), "activate: {}", describe(&out));
    let mut config = std::fs::read_to_string(home.config_path()).unwrap();
    config.push_str(&format!(
        "mfa_serial = arn:aws:iam::123456789012:mfa/{tag}\n"
    ));
    std::fs::write(home.config_path(), config).unwrap();

    let mut all = vec![
        ("AWS_ENDPOINT_URL_STS", proxy.url()),
        ("ROLEKEEPER_REFRESH_BEFORE", "3995s".to_owned()),
    ];
    all.extend(vars.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let all: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (driver, port) = start_tauri_driver(&home, &all);
    let shots = shots_dir();
    let picture = format!("mfa-dialog-{tag}");
    let args = [shots.as_os_str(), picture.as_ref(), key.as_ref()];
    let (result, app_alive) = run_then_stop(
        driver,
        port,
        "Enter MFA code…",
        "webdriver_mfa_keys.py",
        &args,
    );
    deactivate(&home, &name);
    (result, app_alive)
}

/// What every look at the dialog must show (issue 16): no header strip, the time left in hours
/// and minutes under "Time left", focus in the code field, and a window that fits its content
/// (no scrolling, no empty lower half: at most the page's padding under the status line).
fn assert_compact_dialog(result: &Value) {
    assert_eq!(result["title"], "Enter MFA code", "{result:#}");
    assert_eq!(result["headers"], 0, "no header strip: {result:#}");
    assert_eq!(result["countdown_label"], "Time left");
    let left = result["countdown"].as_str().unwrap();
    assert!(
        left.starts_with("1 h ") && left.ends_with(" min") && !left.contains("left"),
        "over an hour left, in hours and minutes: {left}"
    );
    assert_eq!(result["focused"], "code");
    let fit = &result["fit"];
    assert_eq!(fit["scrolls"], false, "{fit}");
    let below = fit["below_status"].as_f64().unwrap();
    assert!(
        (0.0..=16.0).contains(&below),
        "the window ends under the status line: {fit}"
    );
    assert!(fit["inner_height"].as_f64().unwrap() < 260.0, "{fit}");
    assert_eq!(result["open_before"], 1);
}

/// The dialog looked at and closed by `key` (see `mfa_dialog_closed_with`): compact, in the
/// `theme` ("light" or "dark") the desktop asks for, gone after the key, the app running on.
fn dialog_in_theme_closed_by(tag: &str, key: &str, vars: &[(&str, &str)], theme: &str) {
    let _keyring = rolekeeper_tests::keyring_use(false);
    let (result, app_alive) = mfa_dialog_closed_with(tag, key, vars);
    assert_compact_dialog(&result);
    let (prefers_dark, background) = match theme {
        "dark" => (true, "rgb(21, 24, 29)"),
        _ => (false, "rgb(246, 247, 249)"),
    };
    assert_eq!(result["theme"]["prefers_dark"], prefers_dark, "{result:#}");
    assert_eq!(result["theme"]["theme"], theme);
    assert_eq!(result["theme"]["background"], background);
    assert_eq!(
        result["closed"], true,
        "{key} closed the dialog: {result:#}"
    );
    assert!(app_alive, "closing the dialog leaves the app running");
}

/// The dialog on a light desktop: light, compact; Escape is Cancel and closes it.
#[test]
fn the_mfa_dialog_is_compact_says_time_left_in_words_and_escape_closes_it() {
    require_desktop_session();
    dialog_in_theme_closed_by("wd-mfa-light", "escape", &[], "light");
}

/// On a dark desktop (GTK_THEME=Adwaita:dark, which WebKitGTK reports as prefers-color-scheme:
/// dark) the dialog is dark with the theme setting left at System; Ctrl+W closes it.
#[test]
fn the_mfa_dialog_follows_a_dark_desktop_and_ctrl_w_closes_it() {
    require_desktop_session();
    let dark = [("GTK_THEME", "Adwaita:dark")];
    dialog_in_theme_closed_by("wd-mfa-dark", "ctrl-w", &dark, "dark");
}
