//! Driving `rolekeeper-desktop` from outside, as a tray host and a person would: its tray menu
//! over D-Bus (`com.canonical.dbusmenu`, through `support/tray_client.py`), its processes through
//! `/proc`, its windows through X11 tools.

// End to end: waits for a real process on the real clock.
#![allow(clippy::disallowed_methods)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{bin, AwsHome, ChildGuard};

/// One item of the tray menu as the tray host sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuItem {
    pub label: String,
    pub enabled: bool,
    /// The label of the submenu it is in (`None` at the top level).
    pub parent: Option<String>,
}

/// A running tray app under the private desktop session.
#[derive(Debug)]
pub struct DesktopApp {
    pub child: ChildGuard,
    pub stderr_log: PathBuf,
}

/// The private desktop session must be up: a display, a session bus and a tray watcher.
pub fn require_desktop_session() {
    for var in ["DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "WDS_SNI_LOG"] {
        if std::env::var(var).map_or(true, |v| v.is_empty()) {
            panic!(
                "{var} is not set: the desktop suites run inside scripts/with-desktop-session.sh \
                 (Xvfb, a private D-Bus session, a StatusNotifierWatcher). Run ./scripts/test.sh, \
                 or `scripts/with-desktop-session.sh cargo nextest run -p rolekeeper-tests`."
            );
        }
    }
}

fn tray_client() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("support/tray_client.py")
}

impl DesktopApp {
    /// Start `rolekeeper-desktop` with HOME at `home`; its log goes to a file in that HOME.
    pub fn start(home: &AwsHome) -> Self {
        Self::start_with(home, &[])
    }

    /// [`DesktopApp::start`] with more environment variables.
    pub fn start_with(home: &AwsHome, vars: &[(&str, &str)]) -> Self {
        Self::start_program(home, &bin("rolekeeper-desktop"), vars)
    }

    /// [`DesktopApp::start_with`], the tray app run from `program` (a copy somewhere else).
    pub fn start_program(home: &AwsHome, program: &Path, vars: &[(&str, &str)]) -> Self {
        require_desktop_session();
        let stderr_log = home.home().join("desktop.log");
        let log = std::fs::File::create(&stderr_log).expect("create log");
        let child = home
            .command(program)
            .env("ROLEKEEPER_LOG", "info")
            .envs(vars.iter().copied())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("dup log"))
            .stderr(log)
            .spawn()
            .expect("start rolekeeper-desktop");
        Self {
            child: ChildGuard(child),
            stderr_log,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr_log).unwrap_or_default()
    }

    /// The tray menu, once the app has registered its tray item.
    pub fn menu(&self) -> Option<Vec<MenuItem>> {
        menu_of(self.pid())
    }

    /// The tray item's StatusNotifierItem properties as a tray host reads them (`Title`,
    /// `ToolTip` as `{"title", "description"}`, ...), once the app has registered its item.
    pub fn item_properties(&self) -> Option<Value> {
        let out = Command::new("/usr/bin/python3")
            .arg(tray_client())
            .args(["--pid", &self.pid().to_string(), "props"])
            .output()
            .expect("run tray_client.py (needs Debian's python3-dbus)");
        out.status
            .success()
            .then(|| serde_json::from_slice(&out.stdout).expect("properties JSON"))
    }

    /// Wait until the tray menu satisfies `ready`, and return it.
    pub fn wait_for_menu(
        &mut self,
        what: &str,
        ready: impl Fn(&[MenuItem]) -> bool,
    ) -> Vec<MenuItem> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut last = None;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "rolekeeper-desktop exited with {status} before {what}\n{}",
                    self.log()
                );
            }
            if let Some(menu) = self.menu() {
                if ready(&menu) {
                    return menu;
                }
                last = Some(menu);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "timed out waiting for {what}; last menu seen: {last:?}\n--- app log\n{}",
            self.log()
        );
    }

    /// Click the menu item `label` (`SUBMENU>ITEM` inside a submenu) as a tray host does.
    pub fn click(&self, label: &str) {
        click_in(self.pid(), label);
    }

    /// Wait for the app to exit, at most `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "rolekeeper-desktop still running {timeout:?} after Quit\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The window processes (`rolekeeper-window`) among this app's descendants.
    pub fn window_processes(&self) -> Vec<u32> {
        descendants(self.pid())
            .into_iter()
            .filter(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .is_ok_and(|comm| "rolekeeper-window".starts_with(comm.trim()))
            })
            .collect()
    }

    /// The libraries of a web view, its toolkit or GL that this process (the tray itself, not its
    /// children) has mapped, by file name.
    pub fn heavy_libraries(&self) -> Vec<String> {
        const HEAVY: [&str; 7] = [
            "libwebkit",
            "libjavascriptcore",
            "libgtk",
            "libgdk-",
            "libLLVM",
            "libGL",
            "libEGL",
        ];
        let maps = std::fs::read_to_string(format!("/proc/{}/maps", self.pid()))
            .expect("read the tray's /proc/PID/maps");
        let mut found: Vec<String> = maps
            .lines()
            .filter_map(|line| line.split_whitespace().nth(5))
            .filter_map(|path| Path::new(path).file_name())
            .map(|name| name.to_string_lossy().into_owned())
            .filter(|name| HEAVY.iter().any(|h| name.contains(h)))
            .collect();
        found.sort();
        found.dedup();
        found
    }

    /// The WebKit processes among this app's descendants.
    pub fn webkit_processes(&self) -> Vec<String> {
        descendants(self.pid())
            .into_iter()
            .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).ok())
            .map(|comm| comm.trim().to_owned())
            .filter(|comm| comm.contains("WebKit"))
            .collect()
    }
}

/// The tray menu of process `pid`, once it has registered its tray item.
pub fn menu_of(pid: u32) -> Option<Vec<MenuItem>> {
    let out = Command::new("/usr/bin/python3")
        .arg(tray_client())
        .args(["--pid", &pid.to_string(), "layout"])
        .output()
        .expect("run tray_client.py (needs Debian's python3-dbus)");
    if !out.status.success() {
        return None;
    }
    let items: Vec<Value> = serde_json::from_slice(&out.stdout).expect("layout JSON");
    Some(
        items
            .iter()
            .filter(|i| i["type"] != "separator" && i["visible"] == true)
            .map(|i| MenuItem {
                label: i["label"].as_str().unwrap_or_default().to_owned(),
                enabled: i["enabled"] == true,
                parent: i["parent"].as_str().map(str::to_owned),
            })
            .collect(),
    )
}

/// Click the tray menu item `label` of process `pid`.
pub fn click_in(pid: u32, label: &str) {
    let click = || {
        Command::new("/usr/bin/python3")
            .arg(tray_client())
            .args(["--pid", &pid.to_string(), "click", label])
            .output()
            .expect("run tray_client.py")
    };
    let mut out = click();
    // The tray may redraw between the client's read of the menu and its click (an engine event
    // arrives), which renumbers the items: the click is then refused once, and made again on the
    // new menu.
    if !out.status.success() {
        std::thread::sleep(std::time::Duration::from_millis(300));
        out = click();
    }
    assert!(
        out.status.success(),
        "clicking {label:?}: {}",
        crate::describe(&out)
    );
}

/// The first process below `ancestor` whose name starts with `comm` (names are cut to 15
/// bytes by the kernel).
pub fn descendant_named(ancestor: u32, comm: &str) -> Option<u32> {
    descendants(ancestor).into_iter().find(|pid| {
        std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .is_ok_and(|c| comm.starts_with(c.trim()) || c.trim().starts_with(comm))
    })
}

/// A process named `comm` whose HOME is `home`: an app started by something other than the test
/// (a desktop session's autostart), told apart from other tests' apps by its environment.
pub fn process_named_with_home(comm: &str, home: &Path) -> Option<u32> {
    let wanted = format!("HOME={}", home.display());
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
        .find(|pid| {
            let named = std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| comm.starts_with(c.trim()));
            named
                && std::fs::read(format!("/proc/{pid}/environ"))
                    .is_ok_and(|env| env.split(|b| *b == 0).any(|var| var == wanted.as_bytes()))
        })
}

/// Every process below `pid`, from `/proc/*/stat` parent links.
fn descendants(pid: u32) -> Vec<u32> {
    let mut parents = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("read /proc").flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid ...`; comm may hold spaces and parentheses, so split after the last ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(ppid) = ppid {
            parents.push((child, ppid));
        }
    }
    let mut found = vec![pid];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            parents
                .iter()
                .filter(|(_, p)| *p == parent)
                .map(|(c, _)| *c),
        );
        i += 1;
    }
    found.remove(0);
    found
}

/// X11 windows whose title is exactly `title` (xdotool).
pub fn windows_titled(title: &str) -> Vec<String> {
    let out = Command::new("xdotool")
        .args(["search", "--name", &format!("^{title}$")])
        .output()
        .expect("run xdotool (apt: xdotool)");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Ask the X11 window `id` (from [`windows_titled`]) to close, as a window manager's close button
/// does (WM_DELETE_WINDOW; `benches/x_close.py`, since Debian 12's xdotool has no `windowclose`).
pub fn close_window(id: &str) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/x_close.py");
    let out = Command::new("/usr/bin/python3")
        .arg(script)
        .arg(id)
        .output()
        .expect("run benches/x_close.py (needs libX11)");
    assert!(
        out.status.success(),
        "x_close.py {id}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A screenshot of the whole display, kept under `out/screenshots/` in the repository for people
/// to look at (the directory is gitignored; `docs/` holds the chosen ones).
pub fn screenshot(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../out/screenshots");
    std::fs::create_dir_all(&dir).expect("mkdir out/screenshots");
    let path = dir.join(format!("{name}.png"));
    let out = Command::new("import")
        .args(["-window", "root"])
        .arg(&path)
        .output()
        .expect("run import (apt: imagemagick)");
    assert!(
        out.status.success(),
        "screenshot: {}",
        crate::describe(&out)
    );
    path
}

/// Poll `check` every 200 ms for up to `timeout`; true once it holds.
pub fn eventually(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    check()
}

/// The id the notification server gave the `Notify` call whose summary is `summary`, read from
/// the session's `dbus-monitor` log: the call's serial, then the reply to that serial.
pub fn notification_id(summary: &str) -> Option<u32> {
    let log = std::fs::read_to_string(crate::require_env("WDS_NOTIFY_LOG")).ok()?;
    let lines: Vec<&str> = log.lines().collect();
    // The latest such call: the session bus (and its log) is shared by the suite's tests.
    let (at, call) = lines.iter().enumerate().rev().find_map(|(i, line)| {
        let is_notify = line.starts_with("method call") && line.contains("member=Notify");
        let ours = lines[i + 1..]
            .iter()
            .take_while(|l| l.starts_with(' '))
            .any(|l| l.contains(&format!("\"{summary}\"")));
        if is_notify && ours {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix("serial="))
                .map(|serial| (i, serial.to_owned()))
        } else {
            None
        }
    })?;
    let reply = at
        + lines[at..].iter().position(|l| {
            l.starts_with("method return") && l.contains(&format!("reply_serial={call}"))
        })?;
    lines
        .get(reply + 1)?
        .trim()
        .strip_prefix("uint32 ")?
        .parse()
        .ok()
}

/// Whether the notification server was asked (on the bus) to close notification `id`.
pub fn closed_on_bus(id: u32) -> bool {
    let log = std::fs::read_to_string(crate::require_env("WDS_NOTIFY_LOG")).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    lines.iter().enumerate().any(|(i, line)| {
        line.starts_with("method call")
            && line.contains("member=CloseNotification")
            && lines
                .get(i + 1)
                .is_some_and(|l| l.trim() == format!("uint32 {id}"))
    })
}

/// Type `code` into the open MFA dialog as a person would: real X key events (the dialog submits
/// itself at six digits).
pub fn type_in_mfa_dialog(code: &str) {
    let window = windows_titled("Enter MFA code").remove(0);
    let _ = Command::new("xdotool")
        .args(["windowfocus", "--sync", &window])
        .status();
    let typed = Command::new("xdotool")
        .args(["type", "--delay", "60", code])
        .status()
        .expect("xdotool");
    assert!(typed.success());
}

/// A session bus's configuration with no service directories (so no activation) and the usual
/// session policy.
const BARE_BUS_CONFIG: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#;

/// A desktop with nothing that shows tray icons (stock GNOME without the AppIndicator
/// extension): a session bus of its own (no tray watcher on it), with dunst serving notifications and
/// `dbus-monitor` writing every message into `monitor.log` in `home`.
#[derive(Debug)]
pub struct BareBus {
    pub address: String,
    _daemon: ChildGuard,
    _dunst: ChildGuard,
    _monitor: ChildGuard,
    monitor_log: std::path::PathBuf,
}

impl BareBus {
    pub fn start(home: &AwsHome) -> Self {
        // No service activation: nothing on this bus starts by itself (a keyring started here
        // would be locked, with no one to unlock it), so what the app meets is only what the
        // test put there.
        let bus_config = home.home().join("bare-bus.conf");
        std::fs::write(&bus_config, BARE_BUS_CONFIG).unwrap();
        let mut daemon = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", bus_config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("dbus-daemon (apt: dbus)");
        let mut line = String::new();
        BufReader::new(daemon.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line.trim().to_owned();
        assert!(!address.is_empty(), "dbus-daemon printed no address");
        let daemon = ChildGuard(daemon);
        let dunstrc = home.home().join("dunstrc");
        std::fs::write(&dunstrc, "[global]\n    monitor = 0\n").unwrap();
        let dunst = ChildGuard(
            Command::new("dunst")
                .args(["-config", dunstrc.to_str().unwrap()])
                .env("DBUS_SESSION_BUS_ADDRESS", &address)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("dunst"),
        );
        let monitor_log = home.home().join("monitor.log");
        let monitor = ChildGuard(
            Command::new("dbus-monitor")
                .args([
                    "--address",
                    &address,
                    "interface='org.freedesktop.Notifications'",
                ])
                .stdout(std::fs::File::create(&monitor_log).unwrap())
                .stderr(Stdio::null())
                .spawn()
                .expect("dbus-monitor"),
        );
        let this = Self {
            address,
            _daemon: daemon,
            _dunst: dunst,
            _monitor: monitor,
            monitor_log,
        };
        assert!(
            eventually(Duration::from_secs(10), || this
                .has_owner("org.freedesktop.Notifications")),
            "dunst never took org.freedesktop.Notifications on the bare bus"
        );
        assert!(!this.has_owner("org.kde.StatusNotifierWatcher"));
        this
    }

    pub fn has_owner(&self, name: &str) -> bool {
        Command::new("dbus-send")
            .args([
                &format!("--bus={}", self.address),
                "--print-reply=literal",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                &format!("string:{name}"),
            ])
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("true"))
    }

    pub fn monitored(&self) -> String {
        std::fs::read_to_string(&self.monitor_log).unwrap_or_default()
    }
}
