//! `rolekeeper doctor` end to end: the real binary over real files in a throw-away HOME, inside
//! the test desktop session (gnome-keyring, dunst as the notification server) with moto as STS.
//! One table of setups, each with the exit code and the lines it must (and must not) print. The
//! clock check meets moto, a closed port, and small HTTP servers whose `Date` is set off by a
//! known amount.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a panic is the failure report

use std::io::BufRead;
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;

use rolekeeper_tests::{bin, describe, require_env, with_locked_keyring, AwsHome, ChildGuard};

const CONFIG: &str = "\
[default]
region = eu-west-1
output = json

[profile admin]
role_arn = arn:aws:iam::111122223333:role/Admin
source_profile = default
";

const CREDENTIALS: &str = "\
[default]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
";

/// Where a file the case writes lives, and what `{NAME}` in its expectations becomes.
#[derive(Clone, Copy)]
enum Place {
    /// `~/.aws/config` and `~/.aws/credentials` of the throw-away HOME.
    Default,
    /// Outside HOME, named by AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE.
    FromEnv,
}

/// What answers as STS (AWS_ENDPOINT_URL_STS).
#[derive(Clone, Copy)]
enum Sts {
    Moto,
    /// A closed port.
    Unreachable,
    /// An HTTP server whose `Date` is this many seconds ahead of the real clock.
    DateOffBy(i64),
}

/// The session bus the keychain and notification server are asked on.
#[derive(Clone, Copy)]
enum Bus {
    /// The test desktop session's (gnome-keyring, dunst).
    Session,
    /// DBUS_SESSION_BUS_ADDRESS naming a socket nobody listens on.
    Dead,
}

struct Case {
    name: &'static str,
    config: &'static str,
    credentials: &'static str,
    credentials_mode: u32,
    place: Place,
    /// Delete the config file after writing it (to check a variable naming a missing file).
    config_missing: bool,
    sts: Sts,
    bus: Bus,
    exit: i32,
    /// Substrings stdout must hold; `{config}` and `{credentials}` are the files' paths, `{sts}`
    /// the STS endpoint.
    stdout: &'static [&'static str],
    /// Substrings stdout must not hold.
    not_stdout: &'static [&'static str],
}

const CLEAN: Case = Case {
    name: "a clean pair of files",
    config: CONFIG,
    credentials: CREDENTIALS,
    credentials_mode: 0o600,
    place: Place::Default,
    config_missing: false,
    sts: Sts::Moto,
    bus: Bus::Session,
    exit: 0,
    stdout: &[
        "ok    config file: {config} (the default), mode ",
        "ok    config file syntax: the AWS CLI, the SDKs and RoleKeeper all accept {config}",
        "ok    credentials file: {credentials} (the default), mode 0600",
        "ok    credentials file permissions: {credentials} is mode 0600",
        "ok    credentials file syntax: the AWS CLI, the SDKs and RoleKeeper all accept",
        "ok    state file: ",
        "(0 active sessions)",
        "ok    keychain: the Secret Service answers and is unlocked",
        "ok    notification server: dunst ",
        "ok    tray icon host: a StatusNotifier host shows the tray icon",
        "ok    clock: this machine's clock ",
        " STS at {sts}",
        "10 checks: 10 ok, 0 warn, 0 FAIL",
    ],
    not_stdout: &["FAIL  ", "warn  "],
};

fn cases() -> Vec<Case> {
    vec![
        CLEAN,
        Case {
            name: "an indented key (botocore reads it, the SDKs reject the file)",
            // Right under the header, so it cannot be a continuation line.
            config: "[profile a]\n  region = us-east-1\noutput = json\n",
            exit: 1,
            stdout: &[
                "FAIL  config file syntax: {config}, line 2: a key is indented; \
                 the AWS SDKs for Rust, Java, Go and JavaScript reject the whole file, fix that line",
                "ok    credentials file syntax",
            ],
            not_stdout: &["warn  "],
            ..CLEAN
        },
        Case {
            name: "key: value (botocore reads it, the SDKs reject the file)",
            config: "[profile a]\n\nregion: us-east-1\n",
            exit: 1,
            stdout: &["FAIL  config file syntax: {config}, line 3: `key: value` uses ':'"],
            not_stdout: &[],
            ..CLEAN
        },
        Case {
            name: "a section defined twice (the SDKs merge it, botocore rejects the file)",
            credentials: "[ci]\naws_access_key_id = A\n\n[ci]\naws_secret_access_key = B\n",
            exit: 1,
            stdout: &[
                "ok    config file syntax",
                "FAIL  credentials file syntax: {credentials}, line 4: section [ci] is defined \
                 a second time (first at line 1); the AWS CLI, boto3 and botocore reject",
            ],
            not_stdout: &[],
            ..CLEAN
        },
        Case {
            name: "a broken section header (no reader gets past it)",
            config: "[profile a]\nregion = us-east-1\n\n[profile b\nregion = eu-west-1\n",
            exit: 1,
            stdout: &[
                "FAIL  config file syntax: {config}, line 4: Profile definition must end with ']'; \
                 neither RoleKeeper nor the AWS CLI and SDKs can read this file, fix that line",
                "1 FAIL",
            ],
            not_stdout: &[],
            ..CLEAN
        },
        Case {
            name: "an indented key hiding a broken header below it: both lines reported",
            config: "[profile a]\n  region = us-east-1\n[profile b\n",
            exit: 1,
            stdout: &[
                "FAIL  config file syntax: {config}, line 2: Expected a property definition, \
                 found continuation; the AWS SDKs for Rust, Java, Go and JavaScript reject",
                "FAIL  config file syntax: {config}, line 3: Profile definition must end",
            ],
            not_stdout: &[],
            ..CLEAN
        },
        Case {
            name: "quoted and non-ASCII profile names: read as the AWS CLI reads them",
            config: "[profile \"sp ace\"]\nregion = eu-west-1\n\n[profile ünï]\nregion = eu-west-1\n",
            exit: 0,
            stdout: &[
                "ok    config file syntax: the AWS CLI, the SDKs and RoleKeeper all accept {config}",
                "10 checks: 10 ok, 0 warn, 0 FAIL",
            ],
            not_stdout: &["FAIL  ", "warn  "],
            ..CLEAN
        },
        Case {
            name: "a profile name of two words: no reader takes it, warn with file and line",
            config: "[profile a]\nregion = eu-west-1\n\n[profile my profile]\nregion = eu-west-1\n",
            exit: 0,
            stdout: &[
                "warn  config file syntax: {config}, line 4: section [profile my profile] names \
                 no profile: write `[profile NAME]` with one space, and quote a NAME that has \
                 spaces or quotes (`[profile \"my profile\"]`); RoleKeeper, the AWS CLI and the \
                 SDKs skip that section and its settings",
                "10 checks: 9 ok, 1 warn, 0 FAIL",
            ],
            not_stdout: &["FAIL  ", "all accept {config}"],
            ..CLEAN
        },
        Case {
            name: "a credentials file others can read: warn, say chmod, exit 0",
            credentials_mode: 0o644,
            exit: 0,
            stdout: &[
                "warn  credentials file permissions: {credentials} is mode 0644: other users of \
                 this machine can read the keys in it; fix: chmod 600 {credentials}",
                "0 FAIL",
            ],
            not_stdout: &["FAIL  "],
            ..CLEAN
        },
        Case {
            name: "files named by AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE are the ones checked",
            credentials: "[ci]\naws_access_key_id = A\naws_access_key_id = B\n",
            place: Place::FromEnv,
            exit: 1,
            stdout: &[
                "ok    config file: {config} (from AWS_CONFIG_FILE)",
                "credentials file: {credentials} (from AWS_SHARED_CREDENTIALS_FILE), mode 0600",
                "FAIL  credentials file syntax: {credentials}, line 3: key \
                 `aws_access_key_id` is repeated in the same section",
            ],
            not_stdout: &[".aws/"],
            ..CLEAN
        },
        Case {
            name: "AWS_CONFIG_FILE naming a missing file: warn (every tool silently reads nothing)",
            place: Place::FromEnv,
            config_missing: true,
            exit: 0,
            stdout: &[
                "warn  config file: {config} (from AWS_CONFIG_FILE) does not exist, so the AWS \
                 tools read no profiles from it; fix: create it, or correct AWS_CONFIG_FILE",
            ],
            not_stdout: &["config file syntax"],
            ..CLEAN
        },
        Case {
            name: "no session bus: the keychain and the notification server warn, exit 0",
            bus: Bus::Dead,
            exit: 0,
            stdout: &[
                "warn  keychain: ",
                "warn  notification server: no notification server answers (",
                "warn  tray icon host: cannot tell whether the tray icon shows (",
                "), so nothing pops up; fix: start your desktop's notification daemon; the tray \
                 still shows every state",
                "ok    clock: ",
                "10 checks: 7 ok, 3 warn, 0 FAIL",
            ],
            not_stdout: &["FAIL  "],
            ..CLEAN
        },
        Case {
            name: "STS unreachable: the clock cannot be compared, warn with the endpoint",
            sts: Sts::Unreachable,
            exit: 0,
            stdout: &[
                "warn  clock: STS at {sts} could not be reached to compare clocks: ",
                "Connection refused",
                "; fix: check the network, the region and AWS_ENDPOINT_URL_STS",
                "10 checks: 9 ok, 1 warn, 0 FAIL",
            ],
            not_stdout: &["FAIL  "],
            ..CLEAN
        },
        Case {
            name: "a clock 2 min behind STS: warn, exit 0",
            sts: Sts::DateOffBy(125),
            exit: 0,
            stdout: &[
                "warn  clock: this machine's clock is 2 min ",
                " behind STS at {sts}; AWS refuses requests signed more than 5 min off; \
                 fix: sync the clock: timedatectl set-ntp true",
                "1 warn, 0 FAIL",
            ],
            not_stdout: &["FAIL  "],
            ..CLEAN
        },
        Case {
            name: "a clock 10 min ahead of STS: every signed request is refused, FAIL",
            sts: Sts::DateOffBy(-600),
            exit: 1,
            stdout: &[
                "FAIL  clock: this machine's clock is 10 min ahead of STS at {sts}: AWS refuses \
                 requests signed more than 5 min off, so no session can be obtained; \
                 fix: sync the clock: timedatectl set-ntp true",
                "9 ok, 0 warn, 1 FAIL",
            ],
            not_stdout: &[],
            ..CLEAN
        },
    ]
}

/// An HTTP server on loopback that answers every request as STS refusing unknown keys, with a
/// `Date` `offset` seconds ahead of the real clock. Returns it and its URL.
fn skewed_sts(offset: i64) -> (ChildGuard, String) {
    const SERVER: &str = r#"
import email.utils, http.server, sys, time
offset = float(sys.argv[1])
class Handler(http.server.BaseHTTPRequestHandler):
    def date_time_string(self, timestamp=None):
        return email.utils.formatdate(time.time() + offset, usegmt=True)
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b"<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>" \
               b"<Message>The security token included in the request is invalid.</Message>" \
               b"</Error></ErrorResponse>"
        self.send_response(403)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;
    let py = require_env("ROLEKEEPER_TEST_PYTHON");
    let mut child = ChildGuard(
        std::process::Command::new(py)
            .args(["-c", SERVER, &offset.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the skewed STS"),
    );
    let mut port = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut port)
        .expect("read its port");
    let url = format!("http://127.0.0.1:{}", port.trim());
    (child, url)
}

#[test]
fn doctor_reports_each_setup_with_file_line_and_fix() {
    let moto = require_env("ROLEKEEPER_TEST_STS_URL");
    require_env("DBUS_SESSION_BUS_ADDRESS");
    // The keychain check must meet an unlocked keyring: no test may lock it meanwhile.
    let _keyring = rolekeeper_tests::keyring_use(false);
    let mut servers = Vec::new();
    for case in cases() {
        let home = AwsHome::new("", "");
        let elsewhere = tempfile::tempdir().expect("tempdir");
        let (config, credentials) = match case.place {
            Place::Default => (home.config_path(), home.credentials_path()),
            Place::FromEnv => (elsewhere.path().join("cfg"), elsewhere.path().join("creds")),
        };
        std::fs::write(&config, case.config).expect("write config");
        std::fs::write(&credentials, case.credentials).expect("write credentials");
        std::fs::set_permissions(
            &credentials,
            std::fs::Permissions::from_mode(case.credentials_mode),
        )
        .expect("chmod");
        if case.config_missing {
            std::fs::remove_file(&config).expect("rm config");
        }
        let sts = match case.sts {
            Sts::Moto => moto.clone(),
            // Port 9 (discard) on loopback: nothing listens there.
            Sts::Unreachable => "http://127.0.0.1:9".to_owned(),
            Sts::DateOffBy(offset) => {
                let (server, url) = skewed_sts(offset);
                servers.push(server);
                url
            }
        };
        let mut cmd = home.command(bin("rolekeeper"));
        cmd.arg("doctor").env("AWS_ENDPOINT_URL_STS", &sts);
        if let Bus::Dead = case.bus {
            let dead = elsewhere.path().join("no-bus");
            cmd.env(
                "DBUS_SESSION_BUS_ADDRESS",
                format!("unix:path={}", dead.display()),
            );
        }
        if let Place::FromEnv = case.place {
            cmd.env("AWS_CONFIG_FILE", &config)
                .env("AWS_SHARED_CREDENTIALS_FILE", &credentials);
        }
        let out = cmd.output().expect("run rolekeeper doctor");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let name = case.name;
        assert_eq!(
            out.status.code(),
            Some(case.exit),
            "{name}: {}",
            describe(&out)
        );
        let fill = |s: &str| {
            s.replace("{config}", &config.display().to_string())
                .replace("{credentials}", &credentials.display().to_string())
                .replace("{sts}", &sts)
        };
        for needle in case.stdout.iter().map(|s| fill(s)) {
            assert!(
                stdout.contains(&needle),
                "{name}: `{needle}` missing from:\n{stdout}"
            );
        }
        for needle in case.not_stdout {
            assert!(
                !stdout.contains(needle),
                "{name}: `{needle}` must not appear in:\n{stdout}"
            );
        }
        // One line per check, each starting with its outcome, then the tally.
        let lines: Vec<&str> = stdout.lines().collect();
        let (tally, checks) = lines.split_last().expect("some output");
        assert!(tally.contains(" checks: "), "{name}: no tally: {stdout}");
        for line in checks {
            assert!(
                ["ok    ", "warn  ", "FAIL  "]
                    .iter()
                    .any(|p| line.starts_with(p)),
                "{name}: `{line}` is not `ok|warn|FAIL  name: detail`"
            );
        }
        // A failure is also the usual one line on stderr (exit 1); success prints nothing there.
        if case.exit == 0 {
            assert!(stderr.is_empty(), "{name}: stderr: {stderr}");
        } else {
            assert_eq!(stderr.lines().count(), 1, "{name}: stderr: {stderr}");
            assert!(
                stderr.starts_with("rolekeeper: ") && stderr.contains("check"),
                "{name}: stderr: {stderr}"
            );
        }
    }
}

/// A locked keyring is reported locked, not "unlocked" (while `export` of a keychain source fails
/// with "the keychain is locked"); unlocked again, the check is ok.
#[test]
fn doctor_says_the_keyring_is_locked_when_it_is() {
    let moto = require_env("ROLEKEEPER_TEST_STS_URL");
    require_env("DBUS_SESSION_BUS_ADDRESS");
    // Exclusive: the keyring is locked meanwhile, which no other test may meet.
    let _keyring = rolekeeper_tests::keyring_use(true);
    let home = AwsHome::new(CONFIG, CREDENTIALS);
    let doctor = || {
        let out = home
            .command(bin("rolekeeper"))
            .arg("doctor")
            .env("AWS_ENDPOINT_URL_STS", &moto)
            .output()
            .expect("run rolekeeper doctor");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    with_locked_keyring(|| {
        let stdout = doctor();
        assert!(
            stdout.contains(
                "warn  keychain: the keychain is locked; fix: unlock it (log in to the desktop, \
                 or unlock the login keyring) and retry"
            ),
            "{stdout}"
        );
        assert!(!stdout.contains("unlocked\n"), "{stdout}");
    });
    let stdout = doctor();
    assert!(
        stdout.contains("ok    keychain: the Secret Service answers and is unlocked"),
        "{stdout}"
    );
}

/// A `credential_process` line that runs RoleKeeper must find it on PATH (the AWS CLI runs it
/// without a shell): doctor fails naming the profile and line, and passes once it is found.
#[test]
fn a_credential_process_line_that_cannot_find_rolekeeper_fails() {
    let config = format!(
        "{CONFIG}\n[profile served]\ncredential_process = rolekeeper credential-process admin\n"
    );
    let home = AwsHome::new(&config, CREDENTIALS);
    let run = |path: &str| {
        home.command(bin("rolekeeper"))
            .arg("doctor")
            .env("PATH", path)
            .output()
            .expect("doctor")
    };
    let missing = run("/usr/bin:/bin");
    let text = String::from_utf8_lossy(&missing.stdout).into_owned();
    assert_eq!(missing.status.code(), Some(1), "{}", describe(&missing));
    assert!(
        text.contains("profile `served`")
            && text.contains("line 10")
            && text.contains("not on PATH"),
        "{text}"
    );
    let bin_dir = rolekeeper_tests::bin_dir();
    let found = run(&format!("{}:/usr/bin:/bin", bin_dir.display()));
    let text = String::from_utf8_lossy(&found.stdout).into_owned();
    assert!(
        text.contains("1 profile(s) run rolekeeper, and it is found"),
        "{}",
        describe(&found)
    );
}
