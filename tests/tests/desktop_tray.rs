//! The tray app as a tray host and a person meet it: its menu read and clicked over D-Bus, no web
//! view until a window is opened, one instance at a time, Quit exits 0; an IAM Identity Center
//! sign-in that is needed, said in the menu and made from it or from its notification.
//!
//! Runs inside scripts/with-desktop-session.sh (Xvfb, private D-Bus, StatusNotifierWatcher). The
//! tests share that bus and the single-instance name on it, so .config/nextest.toml runs this
//! binary's tests one at a time.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::Duration;

use rolekeeper_tests::desktop::{
    close_window, closed_on_bus, eventually, notification_id, screenshot, windows_titled,
    DesktopApp, MenuItem,
};
use rolekeeper_tests::AwsHome;

const CONFIG: &str = "\
[profile dev]
region = us-east-1

[profile prodaccess]
role_arn = arn:aws:iam::123456789012:role/ProdAccess
source_profile = dev
";
const CREDENTIALS: &str = "\
[dev]
aws_access_key_id = AKIAEXAMPLEDEV000001
aws_secret_access_key = not-a-real-secret-only-for-the-tray-test
";

fn labels(menu: &[MenuItem]) -> Vec<&str> {
    menu.iter().map(|i| i.label.as_str()).collect()
}

fn item<'a>(menu: &'a [MenuItem], label: &str) -> &'a MenuItem {
    menu.iter()
        .find(|i| i.label == label)
        .unwrap_or_else(|| panic!("no {label:?} in the tray menu {:?}", labels(menu)))
}

/// The engine runs in-process: the headline counts the profiles of this HOME.
fn engine_loaded(menu: &[MenuItem]) -> bool {
    menu.iter().any(|i| i.label == "2 profiles · none active")
}

#[test]
fn tray_menu_offers_the_actions_and_quit_exits_zero() {
    let home = AwsHome::new(CONFIG, CREDENTIALS);
    let mut app = DesktopApp::start(&home);
    let menu = app.wait_for_menu("the tray menu with the engine's profiles", engine_loaded);

    for label in ["Refresh all now", "Open RoleKeeper…", "Quit"] {
        assert!(
            item(&menu, label).enabled,
            "{label} should be enabled: {menu:?}"
        );
    }
    assert!(
        !item(&menu, "Enter MFA code…").enabled,
        "nothing needs a code, so Enter MFA code… is disabled: {menu:?}"
    );
    assert!(
        !item(&menu, "2 profiles · none active").enabled,
        "the headline is information, not an action"
    );
    assert_eq!(
        app.webkit_processes(),
        Vec::<String>::new(),
        "an idle tray app has no web view"
    );

    // Refresh all re-reads the files: a third profile appears in the headline.
    std::fs::write(
        home.config_path(),
        format!("{CONFIG}\n[profile third]\nregion = eu-west-1\n"),
    )
    .expect("edit config");
    app.click("Refresh all now");
    app.wait_for_menu("the headline after Refresh all now", |m| {
        m.iter().any(|i| i.label == "3 profiles · none active")
    });

    app.click("Quit");
    let status = app.wait_exit(Duration::from_secs(15));
    assert_eq!(status.code(), Some(0), "Quit exits 0\n{}", app.log());
}

#[test]
fn open_creates_the_manager_window_on_demand() {
    let home = AwsHome::new(CONFIG, CREDENTIALS);
    let mut app = DesktopApp::start(&home);
    app.wait_for_menu("the tray menu", engine_loaded);
    assert!(
        app.webkit_processes().is_empty() && app.window_processes().is_empty(),
        "no web view before a window opens"
    );
    assert_eq!(
        app.heavy_libraries(),
        Vec::<String>::new(),
        "the tray maps no web view, GTK or GL library"
    );
    assert!(
        windows_titled("RoleKeeper").is_empty(),
        "no window at start"
    );

    for round in ["first", "second"] {
        app.click("Open RoleKeeper…");
        assert!(
            eventually(Duration::from_secs(30), || !windows_titled("RoleKeeper")
                .is_empty()),
            "the manager window did not appear ({round} time)\n{}",
            app.log()
        );
        assert!(
            eventually(Duration::from_secs(30), || !app
                .webkit_processes()
                .is_empty()),
            "opening a window starts the web view, in a window process of the tray's\n{}",
            app.log()
        );
        assert_eq!(app.window_processes().len(), 1, "one window process");
        if round == "first" {
            // The desktop entry (`rolekeeper-window` run by hand) raises the manager that is
            // open instead of opening a second one.
            let launched = home
                .command(rolekeeper_tests::bin("rolekeeper-window"))
                .stdin(std::process::Stdio::null())
                .output()
                .expect("run rolekeeper-window");
            assert!(
                launched.status.success(),
                "{}",
                rolekeeper_tests::describe(&launched)
            );
            std::thread::sleep(Duration::from_secs(1));
            assert_eq!(windows_titled("RoleKeeper").len(), 1, "one manager window");
            assert_eq!(app.window_processes().len(), 1, "still one window process");
            // Time for the page to load its data, then a picture for people to look at.
            std::thread::sleep(Duration::from_secs(3));
            screenshot("manager-window");
        }

        // Closed as a window manager's close button does: the window process and WebKit's
        // processes go with it; the tray stays, and still maps no web view.
        for window in windows_titled("RoleKeeper") {
            close_window(&window);
        }
        assert!(
            eventually(Duration::from_secs(15), || app
                .webkit_processes()
                .is_empty()
                && app.window_processes().is_empty()
                && windows_titled("RoleKeeper").is_empty()),
            "after the last window closed, left: {:?} {:?}\n{}",
            app.window_processes(),
            app.webkit_processes(),
            app.log()
        );
        assert!(
            app.menu().is_some(),
            "the tray runs on after the window closed"
        );
        assert_eq!(app.heavy_libraries(), Vec::<String>::new());
    }

    app.click("Quit");
    let status = app.wait_exit(Duration::from_secs(15));
    assert_eq!(status.code(), Some(0), "Quit exits 0\n{}", app.log());
}

#[test]
fn a_second_launch_hands_over_to_the_first() {
    let home = AwsHome::new(CONFIG, CREDENTIALS);
    let mut first = DesktopApp::start(&home);
    first.wait_for_menu("the first instance's tray", engine_loaded);

    let mut second = DesktopApp::start(&home);
    let status = second.wait_exit(Duration::from_secs(30));
    assert_eq!(
        status.code(),
        Some(0),
        "the second launch exits quietly\n{}",
        second.log()
    );
    assert!(
        second.menu().is_none(),
        "the second launch registered no tray item"
    );
    assert!(
        eventually(Duration::from_secs(30), || !windows_titled("RoleKeeper")
            .is_empty()),
        "the second launch opens the first instance's manager window\n{}",
        first.log()
    );

    first.click("Quit");
    assert_eq!(first.wait_exit(Duration::from_secs(15)).code(), Some(0));
}

/// Per-session items act on the session and the menu follows: activate against moto, copy the
/// `export` lines to the clipboard (from Rust), pause and resume, deactivate.
#[test]
fn session_items_activate_copy_pause_and_deactivate() {
    rolekeeper_tests::require_env("ROLEKEEPER_TEST_STS_URL");
    let home = AwsHome::new(CONFIG, CREDENTIALS);
    let original = std::fs::read(home.credentials_path()).unwrap();
    let mut app = DesktopApp::start(&home);
    let menu = app.wait_for_menu("the tray menu", engine_loaded);
    assert!(item(&menu, "prodaccess — off").enabled, "{menu:?}");
    // Plain keys have nothing to renew: `dev` says so and offers no Activate (which could only
    // end in a conflict with the user's own section).
    assert!(item(&menu, "dev — long-term keys").enabled, "{menu:?}");
    assert_eq!(
        menu.iter().filter(|i| i.label == "Activate").count(),
        1,
        "only the role profile can be activated: {:?}",
        labels(&menu)
    );

    app.click("prodaccess — off>Activate");
    let menu = app.wait_for_menu("prodaccess to be active", |m| {
        m.iter().any(|i| i.label.starts_with("prodaccess — fresh"))
    });
    assert!(
        menu.iter().any(|i| i.label == "2 profiles · 1 active"),
        "{menu:?}"
    );
    let written = std::fs::read_to_string(home.credentials_path()).unwrap();
    assert!(written.contains("[prodaccess]"), "{written}");
    let prodaccess = menu
        .iter()
        .find(|i| i.label.starts_with("prodaccess — fresh"))
        .unwrap()
        .label
        .clone();

    app.click(&format!("{prodaccess}>Copy export lines"));
    let mut clipboard = String::new();
    assert!(
        eventually(Duration::from_secs(20), || {
            let out = std::process::Command::new("xclip")
                .args(["-o", "-selection", "clipboard"])
                .output()
                .expect("xclip (apt: xclip)");
            clipboard = String::from_utf8_lossy(&out.stdout).into_owned();
            clipboard.contains("export AWS_ACCESS_KEY_ID=ASIA")
        }),
        "the clipboard has the export lines, got {clipboard:?}\n{}",
        app.log()
    );
    assert!(clipboard.contains("export AWS_SESSION_TOKEN="));

    app.click("Pause all");
    app.wait_for_menu("the paused headline", |m| {
        m.iter().any(|i| i.label == "Paused: nothing is refreshed")
            && m.iter().any(|i| i.label == "Resume")
    });
    app.click("Resume");
    app.wait_for_menu("the headline after Resume", |m| {
        m.iter().any(|i| i.label == "2 profiles · 1 active")
    });

    app.click(&format!("{prodaccess}>Deactivate"));
    app.wait_for_menu("prodaccess to be off again", |m| {
        m.iter().any(|i| i.label == "prodaccess — off")
    });
    assert_eq!(
        std::fs::read(home.credentials_path()).unwrap(),
        original,
        "deactivating gives the credentials file back byte for byte"
    );
    // Nothing secret reached the app's log on the way.
    let log = app.log();
    for line in clipboard.lines() {
        if let Some((_, value)) = line.split_once('=') {
            if value.len() > 20 {
                assert!(!log.contains(value), "a credential value is in the log");
            }
        }
    }

    app.click("Quit");
    assert_eq!(app.wait_exit(Duration::from_secs(15)).code(), Some(0));
}

/// "Open console" signs in at the federation endpoint (the fake) and hands the login URL to the
/// browser from Rust: a role through the engine's loop, an IAM user's keys through a federation
/// token, said to have no MFA context in a notification; nothing secret in the app's log.
#[test]
fn open_console_opens_the_browser_signed_in() {
    rolekeeper_tests::require_env("ROLEKEEPER_TEST_STS_URL");
    let home = AwsHome::new(CONFIG, CREDENTIALS);
    let fake = rolekeeper_tests::fake_federation::FakeFederation::start();
    let browser_log = home.home().join("browser.log");
    let env = fake.client_env(&browser_log);
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut app = DesktopApp::start_with(&home, &vars);
    app.wait_for_menu("the tray menu", engine_loaded);
    let opened = |n: usize| {
        let mut urls = Vec::new();
        let ok = eventually(Duration::from_secs(20), || {
            urls = std::fs::read_to_string(&browser_log)
                .unwrap_or_default()
                .lines()
                .map(str::to_owned)
                .collect();
            urls.len() >= n
        });
        assert!(ok, "the browser was not opened {n} times\n{}", app.log());
        urls
    };

    app.click("prodaccess — off>Open console");
    let urls = opened(1);
    let login = format!("{}/federation?Action=login&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2Fconsole%2Fhome%3Fregion%3Dus-east-1&SigninToken=tok-", fake.url());
    assert!(urls[0].starts_with(&login), "{urls:?}");

    app.click("dev — long-term keys>Open console");
    let urls = opened(2);
    assert!(urls[1].starts_with(&login), "{urls:?}");
    assert!(
        eventually(Duration::from_secs(10), || notification_id(
            "AWS console for dev"
        )
        .is_some()),
        "the missing MFA context is said\n{}",
        app.log()
    );
    let stats = fake.stats();
    let ids: Vec<&str> = stats["token_requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["session_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{stats}");
    assert!(ids[0].starts_with("ASIA"), "the role's session: {ids:?}");
    assert_ne!(
        ids[1], "AKIAEXAMPLEDEV000001",
        "a federation token, not the keys"
    );
    let log = app.log();
    assert!(log.contains("opened the AWS console"), "{log}");
    for url in &urls {
        let token = url.rsplit("SigninToken=").next().unwrap();
        assert!(!log.contains(token), "a sign-in token is in the log");
    }
    assert!(!log.contains("not-a-real-secret-only-for-the-tray-test"));

    app.click("Quit");
    assert_eq!(app.wait_exit(Duration::from_secs(15)).code(), Some(0));
}

/// A refresh that STS refuses (the fault proxy answers AccessDenied) shows in the tray as
/// "failing" with STS's reason, and is not retried blindly; once STS agrees again, "Refresh now"
/// brings the session back to fresh.
#[test]
fn a_refused_refresh_shows_as_failing_until_refreshed_again() {
    use rolekeeper_tests::proxy::{Fault, StsProxy};
    let proxy = StsProxy::start();
    let home = AwsHome::new(CONFIG, CREDENTIALS);
    let out = home
        .command(rolekeeper_tests::bin("rolekeeper"))
        .env("AWS_ENDPOINT_URL_STS", proxy.url())
        .args(["activate", "prodaccess", "--duration", "900s"])
        .output()
        .expect("activate");
    assert!(out.status.success(), "{}", rolekeeper_tests::describe(&out));
    proxy.fault(Fault::AccessDenied, None, Some("AssumeRole"));

    // Due 5 s after start: the engine tries, STS refuses.
    let url = proxy.url();
    let mut app = DesktopApp::start_with(
        &home,
        &[
            ("ROLEKEEPER_REFRESH_BEFORE", "895s"),
            ("AWS_ENDPOINT_URL_STS", url.as_str()),
        ],
    );
    let menu = app.wait_for_menu("prodaccess to be failing", |m| {
        m.iter()
            .any(|i| i.label == "prodaccess — failing: AccessDenied")
    });
    assert!(
        menu.iter().any(|i| i.label == "2 profiles · 1 active"),
        "{menu:?}"
    );
    let refused = proxy.count("AssumeRole");
    std::thread::sleep(Duration::from_secs(8));
    assert_eq!(
        proxy.count("AssumeRole"),
        refused,
        "an access denial is not retried without the user"
    );

    proxy.clear();
    app.click("prodaccess — failing: AccessDenied>Refresh now");
    app.wait_for_menu("prodaccess to be fresh again", |m| {
        m.iter().any(|i| i.label.starts_with("prodaccess — fresh"))
    });

    app.click("Quit");
    assert_eq!(app.wait_exit(Duration::from_secs(15)).code(), Some(0));
}

/// The tray app renews a session every 10 s; Deactivate in its menu sticks: the section never
/// comes back while its engine runs, and the menu says the session is off.
#[test]
#[allow(clippy::disallowed_methods)] // the real clock paces the test
fn a_deactivate_from_the_tray_sticks_while_its_engine_renews() {
    rolekeeper_tests::require_env("ROLEKEEPER_TEST_STS_URL");
    let home = AwsHome::new(rolekeeper_tests::LIVE_ROLE_CONFIG, CREDENTIALS);
    let original = std::fs::read(home.credentials_path()).unwrap();
    let out = home
        .command(rolekeeper_tests::bin("rolekeeper"))
        .args(["activate", "live"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", rolekeeper_tests::describe(&out));
    let mut app = DesktopApp::start_with(&home, &[("ROLEKEEPER_REFRESH_BEFORE", "890s")]);
    let menu = app.wait_for_menu("live, fresh", |m| {
        m.iter().any(|i| i.label.starts_with("live — fresh"))
    });
    let live = menu
        .iter()
        .find(|i| i.label.starts_with("live — fresh"))
        .unwrap()
        .label
        .clone();
    app.click(&format!("{live}>Deactivate"));
    app.wait_for_menu("live, off", |m| m.iter().any(|i| i.label == "live — off"));
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        assert_eq!(
            std::fs::read(home.credentials_path()).unwrap(),
            original,
            "the section came back while the tray's engine ran\n{}",
            app.log()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    app.click("Quit");
    assert_eq!(app.wait_exit(Duration::from_secs(15)).code(), Some(0));
}

/// Wait until the tooltip's words (the summary below "RoleKeeper") satisfy `ready`.
fn wait_for_tooltip(app: &DesktopApp, ready: impl Fn(&str) -> bool) {
    let mut tooltip = String::new();
    assert!(
        eventually(Duration::from_secs(10), || {
            let props = app.item_properties().unwrap_or_default();
            tooltip = props["ToolTip"]["description"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            ready(&tooltip)
        }),
        "the tooltip does not follow the engine, got {tooltip:?}\n{}",
        app.log()
    );
}

/// What a tray host and assistive tech read from the StatusNotifierItem: its name, and a
/// tooltip that says how things stand, following the engine (an activation from the menu).
#[test]
fn the_tray_item_is_named_and_its_tooltip_says_how_things_stand() {
    rolekeeper_tests::require_env("ROLEKEEPER_TEST_STS_URL");
    let home = AwsHome::new(CONFIG, CREDENTIALS);
    let mut app = DesktopApp::start(&home);
    app.wait_for_menu("the tray menu", engine_loaded);
    wait_for_tooltip(&app, |t| t == "2 profiles · none active");
    let props = app.item_properties().expect("the item's properties");
    assert_eq!(props["Title"], "RoleKeeper", "{props:#}");
    assert_eq!(props["Id"], "rolekeeper", "{props:#}");
    assert_eq!(props["ToolTip"]["title"], "RoleKeeper", "{props:#}");

    app.click("prodaccess — off>Activate");
    app.wait_for_menu("prodaccess to be active", |m| {
        m.iter().any(|i| i.label.starts_with("prodaccess — fresh"))
    });
    wait_for_tooltip(&app, |t| {
        t.starts_with("1 active · fresh ") && t.ends_with(" min")
    });
    app.click(&format!(
        "{}>Deactivate",
        app.menu()
            .unwrap()
            .iter()
            .find(|i| i.label.starts_with("prodaccess — fresh"))
            .unwrap()
            .label
    ));
    app.wait_for_menu("prodaccess to be off again", |m| {
        m.iter().any(|i| i.label == "prodaccess — off")
    });
    app.click("Quit");
    assert_eq!(app.wait_exit(Duration::from_secs(15)).code(), Some(0));
}

/// 300 profiles (`sso sync` of a large organisation), one active: the menu lists the active
/// session, then "All profiles (300)" in alphabetical groups of 25 at most; a profile is
/// activated from inside its group, comes to the top, and the tooltip counts it. The redraws
/// stay quick (their times are printed from the app's log).
#[test]
fn three_hundred_profiles_fit_the_tray_in_groups() {
    use rolekeeper_tests::many;
    rolekeeper_tests::require_env("ROLEKEEPER_TEST_STS_URL");
    let home = AwsHome::new(&many::config(100, 70), "");
    let first = many::profile(42, "Admin");
    let out = home
        .command(rolekeeper_tests::bin("rolekeeper"))
        .envs(many::ENV_KEYS)
        .args(["activate", &first])
        .output()
        .expect("activate");
    assert!(out.status.success(), "{}", rolekeeper_tests::describe(&out));
    let mut vars = many::ENV_KEYS.to_vec();
    vars.push(("ROLEKEEPER_LOG", "info,rolekeeper_desktop::tray=debug"));
    let mut app = DesktopApp::start_with(&home, &vars);
    let menu = app.wait_for_menu("300 profiles, one active", |m| {
        m.iter().any(|i| i.label == "300 profiles · 1 active")
    });
    let top: Vec<&str> = menu
        .iter()
        .filter(|i| i.parent.is_none())
        .map(|i| i.label.as_str())
        .collect();
    assert!(top[1].starts_with(&format!("{first} — fresh")), "{top:?}");
    assert_eq!(top[2], "All profiles (300)", "{top:?}");
    assert!(top.len() < 15, "the top level is short: {top:?}");
    let groups: Vec<&MenuItem> = menu
        .iter()
        .filter(|i| i.parent.as_deref() == Some("All profiles (300)"))
        .collect();
    assert_eq!(groups.len(), 12, "{groups:?}");
    assert_eq!(groups[0].label, "acme-000-a – acme-008-a (25)");
    assert_eq!(groups[5].label, "acme-041-r – acme-049-r (25, 1 active)");
    for group in &groups {
        let rows = menu
            .iter()
            .filter(|i| i.parent.as_deref() == Some(group.label.as_str()))
            .count();
        assert_eq!(rows, 25, "{}", group.label);
    }

    let second = many::profile(10, "Developer");
    app.click(&format!("{second} — off>Activate"));
    let menu = app.wait_for_menu("the second session at the top", |m| {
        m.iter()
            .any(|i| i.parent.is_none() && i.label.starts_with(&format!("{second} — fresh")))
    });
    assert!(
        menu.iter().any(|i| i.label == "300 profiles · 2 active"),
        "{:?}",
        labels(&menu)
    );
    wait_for_tooltip(&app, |t| t.starts_with("2 active · fresh "));

    let log = app.log();
    let redraws: Vec<f64> = log
        .lines()
        .filter(|l| l.contains("tray redrawn") && l.contains("profiles=300"))
        .filter_map(|l| {
            l.split("ms=")
                .nth(1)?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .collect();
    println!("tray redraws with 300 profiles (ms): {redraws:?}");
    assert!(!redraws.is_empty(), "no redraw timed in the log\n{log}");
    let slowest = redraws.iter().copied().fold(0.0, f64::max);
    assert!(slowest < 2000.0, "a redraw took {slowest} ms");

    app.click("Quit");
    assert_eq!(app.wait_exit(Duration::from_secs(15)).code(), Some(0));
    for name in [first, second] {
        let out = home
            .command(rolekeeper_tests::bin("rolekeeper"))
            .args(["deactivate", &name])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", rolekeeper_tests::describe(&out));
    }
}

/// An unreadable state file is said where the user looks: the tray's headline and icon.
#[test]
fn an_unreadable_state_file_shows_in_the_tray() {
    let home = AwsHome::new(CONFIG, CREDENTIALS);
    let state = home.home().join(".local/state/rolekeeper");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::write(state.join("state.json"), b"{ not json").unwrap();
    let mut app = DesktopApp::start(&home);
    let menu = app.wait_for_menu("the problem in the tray's headline", |m| {
        m.iter()
            .any(|i| i.label.starts_with("Problem: RoleKeeper's state file"))
    });
    assert!(
        menu.iter().any(|i| i.label.contains("state.json")),
        "the headline names the file: {menu:?}"
    );
    app.click("Quit");
    assert_eq!(app.wait_exit(Duration::from_secs(15)).code(), Some(0));
}

/// A HOME whose profile `tray-dev` is active on an IAM Identity Center sign-in (`tray-corp`, at
/// the fake) that has since been signed out of, and the environment that points RoleKeeper at
/// the fake and its browser at `sso_browser.py` (following the redirect back by itself).
struct SsoSignedOut {
    fake: rolekeeper_tests::fake_sso::FakeIdentityCenter,
    home: AwsHome,
    vars: Vec<(&'static str, String)>,
}

impl SsoSignedOut {
    fn new() -> Self {
        let fake = rolekeeper_tests::fake_sso::FakeIdentityCenter::start();
        let home = AwsHome::new(
            &rolekeeper_tests::fake_sso::sso_config("tray-corp", "tray-dev"),
            "",
        );
        let vars = fake.client_env();
        let this = Self { fake, home, vars };
        this.rolekeeper(&["sso", "login", "tray-corp"]);
        this.rolekeeper(&["activate", "tray-dev"]);
        this.rolekeeper(&["sso", "logout", "tray-corp"]);
        this
    }

    fn vars(&self) -> Vec<(&str, &str)> {
        self.vars.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }

    fn rolekeeper(&self, args: &[&str]) {
        let out = self
            .home
            .command(rolekeeper_tests::bin("rolekeeper"))
            .envs(self.vars())
            .args(args)
            .output()
            .expect("run rolekeeper");
        assert!(
            out.status.success(),
            "rolekeeper {args:?}: {}",
            rolekeeper_tests::describe(&out)
        );
    }

    /// The tray app, once its menu asks for the sign-in (the engine found it gone).
    fn start_app(&self) -> DesktopApp {
        let mut app = DesktopApp::start_with(&self.home, &self.vars());
        let menu = app.wait_for_menu("the tray to ask for the sign-in", |m| {
            m.iter().any(|i| i.label == "Sign-in needed: tray-corp")
        });
        assert!(item(&menu, "Sign in to tray-corp…").enabled, "{menu:?}");
        app
    }

    /// Signed in again from the desktop: the tray is back to normal (from the engine's events),
    /// the fake saw one more sign-in, and the app quits.
    fn signed_in_again(&self, mut app: DesktopApp, sign_ins_before: u64) {
        let menu = app.wait_for_menu("the tray to be back to normal", |m| {
            m.iter().any(|i| i.label == "1 profile · 1 active")
        });
        assert!(
            !labels(&menu).contains(&"Sign in to tray-corp…"),
            "{menu:?}"
        );
        assert_eq!(
            self.fake.count("sign_ins"),
            sign_ins_before + 1,
            "{}",
            self.fake.stats()
        );
        assert!(app.log().contains("SSO sign-in done"), "{}", app.log());
        app.click("Quit");
        assert_eq!(app.wait_exit(Duration::from_secs(15)).code(), Some(0));
        self.rolekeeper(&["deactivate", "tray-dev"]);
    }
}

/// An active session whose IAM Identity Center sign-in is gone: the tray says a sign-in is
/// needed and offers it; "Sign in to …" signs in in the browser, and the tray is back to normal
/// from the engine's events alone.
#[test]
fn a_needed_sso_sign_in_is_said_in_the_tray_and_made_from_it() {
    // The refresh token goes to the keychain.
    let _keyring = rolekeeper_tests::keyring_use(false);
    let sso = SsoSignedOut::new();
    let app = sso.start_app();
    let sign_ins = sso.fake.count("sign_ins");
    app.click("Sign in to tray-corp…");
    sso.signed_in_again(app, sign_ins);
}

/// The same, from the notification's "Sign in" button (invoked on the bus as a notification
/// server does); the notification is withdrawn once signed in.
#[test]
fn a_needed_sso_sign_in_is_made_from_its_notification() {
    let _keyring = rolekeeper_tests::keyring_use(false);
    let sso = SsoSignedOut::new();
    let app = sso.start_app();
    let mut id = None;
    assert!(
        eventually(Duration::from_secs(20), || {
            id = notification_id("tray-corp: SSO sign-in needed");
            id.is_some()
        }),
        "no notification on the bus\n{}",
        app.log()
    );
    let id = id.unwrap();
    let monitor = std::fs::read_to_string(rolekeeper_tests::require_env("WDS_NOTIFY_LOG")).unwrap();
    assert!(
        monitor.contains("\"sign-in\""),
        "the notification has a Sign in button"
    );
    let sign_ins = sso.fake.count("sign_ins");
    // notify-rust listens for the button only once the notification is up.
    std::thread::sleep(Duration::from_millis(800));
    let click = std::process::Command::new("wds-notify-invoke")
        .args([&id.to_string(), "sign-in"])
        .output()
        .expect("wds-notify-invoke (from with-desktop-session.sh)");
    assert!(
        click.status.success(),
        "{}",
        rolekeeper_tests::describe(&click)
    );
    assert!(
        eventually(Duration::from_secs(30), || closed_on_bus(id)),
        "the notification {id} is withdrawn once signed in\n{}",
        app.log()
    );
    sso.signed_in_again(app, sign_ins);
}
