//! `rolekeeper console` end to end: the real binary, moto as STS (AssumeRole, GetFederationToken),
//! the fake IAM Identity Center for an SSO role, the fake federation endpoint
//! (`support/fake_federation.py`) and a browser that records what it is asked to open
//! (`support/sso_browser.py`).
//!
//! Every test uses its own profile names: the role sessions RoleKeeper obtains are kept in the
//! desktop session's keyring, which the tests share.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a panic is the failure report

use std::path::Path;
use std::process::{Command, Output, Stdio};

use rolekeeper_tests::fake_federation::FakeFederation;
use rolekeeper_tests::fake_sso::browser_script;
use rolekeeper_tests::{
    bin, describe, keyring_use, require_env, AwsHome, Daemon, ForgetKeychainEntries, KeyringUse,
};

const DEV_KEY_ID: &str = "AKIACONSOLEDEVKEY001";
const DEV_SECRET: &str = "consoleDevSecret/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// A config whose profiles are named `{tag}-...`: `{tag}-role` (a role from keys), `{tag}-chained`
/// (a role from that role), `{tag}-gov` and `{tag}-cn` (roles in the other partitions),
/// `{tag}-temp` (temporary keys of unknown origin), and the IAM user `{tag}-dev`.
fn home(tag: &str, extra: &str) -> AwsHome {
    let config = format!(
        "[profile {tag}-dev]\nregion = eu-west-1\n\
         [profile {tag}-role]\nrole_arn = arn:aws:iam::123456789012:role/Console\n\
         source_profile = {tag}-dev\nregion = eu-west-1\n\
         [profile {tag}-chained]\nrole_arn = arn:aws:iam::123456789012:role/Second\n\
         source_profile = {tag}-role\n\
         [profile {tag}-gov]\nrole_arn = arn:aws-us-gov:iam::123456789012:role/Gov\n\
         source_profile = {tag}-dev\nregion = us-gov-west-1\n\
         [profile {tag}-cn]\nrole_arn = arn:aws-cn:iam::123456789012:role/Cn\n\
         source_profile = {tag}-dev\nregion = cn-north-1\n\
         [profile {tag}-temp]\nregion = eu-west-1\n{extra}"
    );
    let credentials = format!(
        "[{tag}-dev]\naws_access_key_id = {DEV_KEY_ID}\naws_secret_access_key = {DEV_SECRET}\n\
         [{tag}-temp]\naws_access_key_id = ASIACONSOLETEMPKEY01\n\
         aws_secret_access_key = tempSecretValue\naws_session_token = tempTokenValue\n"
    );
    AwsHome::new(&config, &credentials)
}

/// What every test starts with: moto, its own profiles (named `c<pid><letter>-...`, with
/// `extra(tag)` added to the config) and fake federation endpoint, the keyring shared, and the
/// role sessions it may keep there forgotten at the end.
struct Suite {
    home: AwsHome,
    fake: FakeFederation,
    tag: String,
    _forget: ForgetKeychainEntries,
    _keyring: KeyringUse,
}

impl Suite {
    fn new(letter: &str, extra: impl FnOnce(&str) -> String) -> Self {
        require_env("ROLEKEEPER_TEST_STS_URL");
        let _keyring = keyring_use(false);
        let tag = format!("c{}{letter}", std::process::id());
        Self {
            home: home(&tag, &extra(&tag)),
            fake: FakeFederation::start(),
            _forget: forget(&tag),
            tag,
            _keyring,
        }
    }
}

/// The keychain entries this test's role sessions may be kept under.
fn forget(tag: &str) -> ForgetKeychainEntries {
    ForgetKeychainEntries(
        ["role", "chained", "gov", "cn"]
            .iter()
            .map(|p| format!("session:{tag}-{p}"))
            .collect(),
    )
}

/// `rolekeeper console ARGS` signing in at `fake`, with no browser unless `vars` give one.
fn console(home: &AwsHome, fake: &FakeFederation, args: &[&str], vars: &[(&str, &str)]) -> Output {
    home.command(bin("rolekeeper"))
        .arg("console")
        .args(args)
        .env("ROLEKEEPER_SIGNIN_ENDPOINT", fake.url())
        .env_remove("BROWSER")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .envs(vars.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("run rolekeeper console")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `rolekeeper console ARGS` that must succeed and print a login URL of `fake`: its output and
/// the URL's query.
fn signed_in(
    home: &AwsHome,
    fake: &FakeFederation,
    args: &[&str],
    vars: &[(&str, &str)],
) -> (Output, Vec<(String, String)>) {
    let out = console(home, fake, args, vars);
    assert!(out.status.success(), "{args:?}: {}", describe(&out));
    let pairs = login_query(&stdout(&out), fake);
    (out, pairs)
}

/// The query of a printed login URL, decoded, checked to be the fake's `Action=login`.
fn login_query(url: &str, fake: &FakeFederation) -> Vec<(String, String)> {
    let url = url.trim();
    let prefix = format!("{}/federation?", fake.url());
    let query = url
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{url:?} is not a login URL of {prefix}"));
    let pairs = decode_query(query);
    assert_eq!(first(&pairs, "Action"), "login", "{url}");
    assert!(first(&pairs, "SigninToken").starts_with("tok-"), "{url}");
    pairs
}

fn decode_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// application/x-www-form-urlencoded decoding.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("hex");
                out.push(u8::from_str_radix(hex, 16).expect("hex"));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).expect("utf-8")
}

fn first<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {key} in {pairs:?}"))
}

/// The last token request the fake accepted: (session id, SessionDuration sent).
fn last_token_request(fake: &FakeFederation) -> (String, Option<u64>) {
    let stats = fake.stats();
    let last = stats["token_requests"]
        .as_array()
        .and_then(|a| a.last())
        .cloned()
        .unwrap_or_else(|| panic!("no token request accepted: {stats}"));
    (
        last["session_id"].as_str().expect("session_id").to_owned(),
        last["session_duration"].as_u64(),
    )
}

/// Open the printed URL as a browser would: the fake accepts each token once.
fn visit(url: &str) -> u16 {
    let out = Command::new(require_env("ROLEKEEPER_TEST_PYTHON"))
        .args([
            "-c",
            "import sys, urllib.request, urllib.error\n\
             try:\n    print(urllib.request.urlopen(sys.argv[1]).status)\n\
             except urllib.error.HTTPError as e:\n    print(e.code)",
            url.trim(),
        ])
        .env("NO_PROXY", "127.0.0.1,localhost")
        .output()
        .expect("python");
    stdout(&out).trim().parse().unwrap_or(0)
}

#[test]
fn a_role_session_is_signed_in_with_a_length_only_when_not_chained() {
    let suite = Suite::new("a", |_| String::new());
    let (home, fake, tag) = (&suite.home, &suite.fake, &suite.tag);

    let role = format!("{tag}-role");
    let (out, pairs) = signed_in(home, fake, &[&role, "--print", "--duration", "2h"], &[]);
    assert_eq!(
        first(&pairs, "Destination"),
        "https://console.aws.amazon.com/console/home?region=eu-west-1"
    );
    let (session_id, duration) = last_token_request(fake);
    assert!(
        session_id.starts_with("ASIA"),
        "a role session: {session_id}"
    );
    assert_eq!(duration, Some(7200));
    assert!(stderr(&out).contains("it works once, within 15 minutes"));
    // The URL is the login the fake issued: it signs in once.
    assert_eq!(visit(&stdout(&out)), 200);
    assert_eq!(visit(&stdout(&out)), 400, "a sign-in token is used once");
    assert_eq!(
        fake.stats()["logins"][0]["destination"],
        "https://console.aws.amazon.com/console/home?region=eu-west-1"
    );

    // Without --duration, nothing is sent for a role from keys either.
    let out = console(home, fake, &[&role, "--print"], &[]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(last_token_request(fake).1, None);

    // A role assumed from a role: never a SessionDuration (the endpoint would refuse it), and
    // the user is told why the length asked for is not used.
    fake.config(serde_json::json!({ "refuse_session_duration": true }));
    let chained = format!("{tag}-chained");
    let out = console(home, fake, &[&chained, "--print", "--duration", "2h"], &[]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(last_token_request(fake).1, None);
    assert!(
        stderr(&out).contains("--duration is not sent for a role assumed from another role"),
        "{}",
        describe(&out)
    );
    assert_eq!(fake.count("refused"), 0, "{}", fake.log());
    // The chain's first role ran with the region of its profile: the console opens there too
    // (the chained profile names none, so the nearest source's).
    let pairs = login_query(&stdout(&out), fake);
    assert_eq!(
        first(&pairs, "Destination"),
        "https://console.aws.amazon.com/console/home?region=eu-west-1"
    );
}

#[test]
fn destinations_and_partitions() {
    let suite = Suite::new("b", |_| String::new());
    let (home, fake, tag) = (&suite.home, &suite.fake, &suite.tag);
    let role = format!("{tag}-role");
    let gov = format!("{tag}-gov");
    let cn = format!("{tag}-cn");
    for (args, destination) in [
        (
            vec![role.as_str(), "--service", "s3"],
            "https://console.aws.amazon.com/s3/home?region=eu-west-1",
        ),
        (
            vec![
                role.as_str(),
                "--destination",
                "https://console.aws.amazon.com/iam/home#/roles",
            ],
            "https://console.aws.amazon.com/iam/home#/roles",
        ),
        (
            vec![gov.as_str()],
            "https://console.amazonaws-us-gov.com/console/home?region=us-gov-west-1",
        ),
        (
            vec![cn.as_str(), "--service", "ec2"],
            "https://console.amazonaws.cn/ec2/home?region=cn-north-1",
        ),
    ] {
        let mut all = args.clone();
        all.push("--print");
        let out = console(home, fake, &all, &[]);
        assert!(out.status.success(), "{args:?}: {}", describe(&out));
        let pairs = login_query(&stdout(&out), fake);
        assert_eq!(first(&pairs, "Destination"), destination, "{args:?}");
    }
    // Both at once, or a bad one, is the command line's mistake (exit 2), before any request.
    for bad in [
        vec![
            role.as_str(),
            "--service",
            "s3",
            "--destination",
            "https://x.example/",
        ],
        vec![role.as_str(), "--service", "S3/../iam"],
        vec![
            role.as_str(),
            "--destination",
            "http://console.aws.amazon.com/",
        ],
    ] {
        let out = console(home, fake, &bad, &[]);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", describe(&out));
    }
    assert_eq!(fake.count("tokens"), 4);
}

#[test]
fn an_iam_users_keys_sign_in_through_a_federation_token_without_mfa_context() {
    let suite = Suite::new("c", |_| String::new());
    let (home, fake, tag) = (&suite.home, &suite.fake, &suite.tag);
    let dev = format!("{tag}-dev");
    let (out, _) = signed_in(home, fake, &[&dev, "--print", "--duration", "20h"], &[]);
    let (session_id, duration) = last_token_request(fake);
    // moto's federation token, not the user's own key (which the console refuses).
    assert_ne!(session_id, DEV_KEY_ID);
    assert_eq!(duration, None, "the federation token's own length rules");
    assert!(
        stderr(&out).contains("carries no MFA context"),
        "{}",
        describe(&out)
    );
    // Beyond GetFederationToken's 36 h: refused before any request.
    let out = console(home, fake, &[&dev, "--print", "--duration", "37h"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(stderr(&out).contains("36 h"), "{}", describe(&out));
    assert_eq!(fake.count("action:getSigninToken"), 1);
}

#[test]
fn a_keychain_source_signs_in_as_its_iam_user() {
    let suite = Suite::new("d", |_| String::new());
    let (home, fake, tag) = (&suite.home, &suite.fake, &suite.tag);
    let source = format!("{tag}-vault");
    let mut child = home
        .command(bin("rolekeeper"))
        .args(["source", "add", &source])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rolekeeper source add");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        writeln!(
            stdin,
            "AKIACONSOLEVAULTKEY1\nvaultSecretK7MDENGbPxRfiCYEXAMPLE"
        )
        .expect("write");
    }
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{}", describe(&out));
    struct Remove<'a>(&'a AwsHome, String);
    impl Drop for Remove<'_> {
        fn drop(&mut self) {
            let _ = self
                .0
                .command(bin("rolekeeper"))
                .args(["source", "remove", &self.1])
                .output();
        }
    }
    let _remove = Remove(home, source.clone());

    let (out, _) = signed_in(home, fake, &[&source, "--print"], &[]);
    let (session_id, duration) = last_token_request(fake);
    assert_ne!(session_id, "AKIACONSOLEVAULTKEY1");
    assert_eq!(duration, None);
    assert!(stderr(&out).contains("carries no MFA context"));
}

#[test]
fn an_active_session_is_used_as_it_is() {
    let suite = Suite::new("e", |_| String::new());
    let (home, fake, tag) = (&suite.home, &suite.fake, &suite.tag);
    let role = format!("{tag}-role");
    let out = home
        .command(bin("rolekeeper"))
        .args(["activate", &role])
        .output()
        .expect("activate");
    assert!(out.status.success(), "{}", describe(&out));
    let text = std::fs::read_to_string(home.credentials_path()).expect("credentials");
    let active_key = key_of_section(&text, &role);

    // STS unreachable: only the session in the credentials file can be used.
    let out = home
        .command(bin("rolekeeper"))
        .args(["console", &role, "--print"])
        .env("ROLEKEEPER_SIGNIN_ENDPOINT", fake.url())
        .env("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1")
        .output()
        .expect("console");
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(last_token_request(fake).0, active_key);
}

/// The access key id of `[name]` in a credentials file's text.
fn key_of_section(text: &str, name: &str) -> String {
    let header = format!("[{name}]");
    let mut inside = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == header;
        } else if inside {
            if let Some(value) = line.strip_prefix("aws_access_key_id") {
                return value.trim_start_matches([' ', '=']).trim().to_owned();
            }
        }
    }
    panic!("no [{name}] with a key in:\n{text}");
}

#[test]
fn the_browser_opens_the_login_the_profiles_command_first() {
    let py = require_env("ROLEKEEPER_TEST_PYTHON");
    let browser = format!("{py} {}", browser_script().display());
    let suite = Suite::new("f", |tag| {
        format!(
            "[profile {tag}-own]\nrole_arn = arn:aws:iam::123456789012:role/Own\n\
             source_profile = {tag}-dev\nregion = ap-south-1\n\
             rolekeeper_console_browser = {browser} %s\n"
        )
    });
    let (home, fake, tag) = (&suite.home, &suite.fake, &suite.tag);
    let log = tempfile::NamedTempFile::new().expect("browser log");
    let log_path = log.path().display().to_string();
    let script = browser_script().display().to_string();

    // $BROWSER: it gets the login URL, and its visit signs in.
    let role = format!("{tag}-role");
    let out = console(
        home,
        fake,
        &[&role],
        &[
            ("BROWSER", &script),
            ("ROLEKEEPER_TEST_BROWSER_LOG", &log_path),
        ],
    );
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        stdout(&out).is_empty(),
        "nothing on stdout: {}",
        describe(&out)
    );
    assert!(
        stderr(&out).contains("opened the AWS console"),
        "{}",
        describe(&out)
    );
    let opened = wait_for_lines(log.path(), 1);
    login_query(&opened[0], fake);
    wait_for_count(fake, "logins", 1);

    // The profile's own command wins over $BROWSER (which would fail).
    let own = format!("{tag}-own");
    let out = console(
        home,
        fake,
        &[&own],
        &[
            ("BROWSER", "/bin/false"),
            ("ROLEKEEPER_TEST_BROWSER_LOG", &log_path),
        ],
    );
    assert!(out.status.success(), "{}", describe(&out));
    let opened = wait_for_lines(log.path(), 2);
    let pairs = login_query(&opened[1], fake);
    assert_eq!(
        first(&pairs, "Destination"),
        "https://console.aws.amazon.com/console/home?region=ap-south-1"
    );
    wait_for_count(fake, "logins", 2);
}

fn wait_for_lines(path: &Path, n: usize) -> Vec<String> {
    for _ in 0..100 {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        if lines.len() >= n {
            return lines;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("the browser was not asked to open {n} URLs: {path:?}");
}

fn wait_for_count(fake: &FakeFederation, what: &str, n: u64) {
    for _ in 0..100 {
        if fake.count(what) >= n {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{what} did not reach {n}: {}", fake.stats());
}

/// Arguments, extra variables, and what stderr says.
type Case<'a> = (Vec<&'a str>, &'a [(&'a str, &'a str)], Vec<String>);

#[test]
fn bad_input_is_refused_in_words_naming_the_profile() {
    let suite = Suite::new("g", |_| String::new());
    let (home, fake, tag) = (&suite.home, &suite.fake, &suite.tag);
    let role = format!("{tag}-role");
    let temp = format!("{tag}-temp");
    let unknown = format!("{tag}-nope");
    let unreachable = [("ROLEKEEPER_SIGNIN_ENDPOINT", "http://127.0.0.1:1")];
    let not_a_url = [("ROLEKEEPER_SIGNIN_ENDPOINT", "signin.example")];
    // (arguments, extra variables, what stderr says)
    let table: Vec<Case<'_>> = vec![
        (
            vec![&unknown, "--print"],
            &[],
            vec![format!("profile `{unknown}` not found")],
        ),
        (
            vec![&temp, "--print"],
            &[],
            vec![
                format!("cannot open the AWS console for profile `{temp}`"),
                "temporary keys".to_owned(),
                "open it from a profile that assumes a role".to_owned(),
            ],
        ),
        (
            vec![&role, "--print"],
            &unreachable,
            vec![
                format!("cannot open the AWS console for profile `{role}`"),
                "http://127.0.0.1:1/federation".to_owned(),
                "check the network".to_owned(),
            ],
        ),
        (
            vec![&role, "--print"],
            &not_a_url,
            vec![
                format!("cannot open the AWS console for profile `{role}`"),
                "set ROLEKEEPER_SIGNIN_ENDPOINT to an http:// or https:// URL".to_owned(),
            ],
        ),
        (
            // No browser and no display: said before anything is asked of AWS.
            vec![&role],
            &[],
            vec![
                format!("cannot open a browser for the AWS console of profile `{role}`"),
                format!("rolekeeper console {role} --print"),
            ],
        ),
        (
            vec![&role, "--print", "--duration", "13h"],
            &[],
            vec!["a console session lasts from 900 s".to_owned()],
        ),
    ];
    for (args, vars, says) in table {
        let out = console(home, fake, &args, vars);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", describe(&out));
        assert!(stdout(&out).is_empty(), "{args:?}: {}", describe(&out));
        for words in says {
            assert!(
                stderr(&out).contains(&words),
                "{args:?}: {words:?} in {}",
                describe(&out)
            );
        }
    }
    assert_eq!(fake.count("action:getSigninToken"), 0, "{}", fake.log());

    // The endpoint fails: its status, and what to do.
    fake.config(serde_json::json!({ "fail_next": 1 }));
    let out = console(home, fake, &[&role, "--print"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(stderr(&out).contains("HTTP 500"), "{}", describe(&out));
    assert!(
        stderr(&out).contains("try again shortly"),
        "{}",
        describe(&out)
    );
}

#[test]
fn no_secret_reaches_stderr_or_the_logs() {
    let suite = Suite::new("h", |_| String::new());
    let (home, fake, tag) = (&suite.home, &suite.fake, &suite.tag);
    let role = format!("{tag}-role");
    let dev = format!("{tag}-dev");
    // The running engine serves the role session (held, handed over) and logs at debug.
    let mut daemon = Daemon::start(home, &[("ROLEKEEPER_LOG", "debug")]);
    daemon
        .log
        .wait_for("started", std::time::Duration::from_secs(10));
    let out = home
        .command(bin("rolekeeper"))
        .args(["activate", &role])
        .output()
        .expect("activate");
    assert!(out.status.success(), "{}", describe(&out));
    let text = std::fs::read_to_string(home.credentials_path()).expect("credentials");
    let mut secrets: Vec<String> = vec![DEV_SECRET.to_owned()];
    secrets.extend(values_of(&text, "aws_secret_access_key"));
    secrets.extend(values_of(&text, "aws_session_token"));

    let log = tempfile::NamedTempFile::new().expect("browser log");
    let log_path = log.path().display().to_string();
    let script = browser_script().display().to_string();
    let debug = [
        ("ROLEKEEPER_LOG", "debug"),
        ("BROWSER", script.as_str()),
        ("ROLEKEEPER_TEST_BROWSER_LOG", log_path.as_str()),
        ("ROLEKEEPER_TEST_BROWSER_MODE", "record-only"),
    ];
    let chained = format!("{tag}-chained");
    let mut outputs = Vec::new();
    // An active session, a role the running engine is handed, an IAM user's keys.
    for args in [
        vec![role.as_str()],
        vec![chained.as_str()],
        vec![dev.as_str()],
    ] {
        let out = console(home, fake, &args, &debug);
        assert!(out.status.success(), "{args:?}: {}", describe(&out));
        outputs.push((args, out));
    }
    let printed = console(home, fake, &[&role, "--print"], &debug[..1]);
    assert!(printed.status.success(), "{}", describe(&printed));
    // The sign-in tokens issued, as the browser and stdout got them.
    let opened = wait_for_lines(log.path(), 3);
    for url in opened.iter().chain([stdout(&printed)].iter()) {
        let pairs = login_query(url, fake);
        secrets.push(first(&pairs, "SigninToken").to_owned());
    }
    assert!(secrets.len() >= 7, "{secrets:?}");
    assert!(
        stderr(&outputs[0].1).contains("DEBUG"),
        "the debug log is on: {}",
        describe(&outputs[0].1)
    );
    daemon.stop();
    let daemon_log = daemon.log.text();
    for secret in &secrets {
        for (args, out) in &outputs {
            assert!(
                !stdout(out).contains(secret.as_str()) && !stderr(out).contains(secret.as_str()),
                "{args:?} shows a secret: {}",
                describe(out)
            );
        }
        assert!(!stderr(&printed).contains(secret.as_str()));
        assert!(
            !daemon_log.contains(secret.as_str()),
            "the daemon logs a secret"
        );
        assert!(!fake.log().contains(secret.as_str()));
    }
    // --print puts the URL, token and all, on stdout: what the user asked for, and only that.
    assert_eq!(stdout(&printed).lines().count(), 1);
}

/// Every value of `key` in a profile file's text.
fn values_of(text: &str, key: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.trim().strip_prefix(key))
        .map(|rest| rest.trim_start_matches([' ', '=']).trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect()
}

/// An IAM Identity Center role signs in as it is, with the length asked for; a role assumed from
/// it is chained and is sent none.
#[test]
fn an_identity_center_role_signs_in_and_a_role_from_it_is_chained() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let _keyring = keyring_use(false);
    let tag = format!("c{}i", std::process::id());
    let session = format!("{tag}-corp");
    let profile = format!("{tag}-sso");
    let chained = format!("{tag}-from-sso");
    let idc = rolekeeper_tests::fake_sso::FakeIdentityCenter::start();
    let home = AwsHome::new(
        &format!(
            "{}[profile {chained}]\nrole_arn = arn:aws:iam::123456789012:role/FromSso\n\
             source_profile = {profile}\n",
            rolekeeper_tests::fake_sso::sso_config(&session, &profile)
        ),
        "",
    );
    let _forget = ForgetKeychainEntries(vec![
        format!("session:{profile}"),
        format!("session:{chained}"),
    ]);
    let idc_env = idc.client_env();
    let out = home
        .command(bin("rolekeeper"))
        .args(["sso", "login", &session])
        .envs(idc_env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .output()
        .expect("sso login");
    assert!(out.status.success(), "{}", describe(&out));
    // The refresh token the sign-in keeps in the keyring goes with the test.
    let cache = home.home().join(".aws/sso/cache");
    let _forget_sign_in = ForgetKeychainEntries(
        std::fs::read_dir(&cache)
            .expect("sso cache")
            .flatten()
            .map(|e| rolekeeper_core::sso::keeper::keychain_entry(&e.path()))
            .collect(),
    );

    let fake = FakeFederation::start();
    let sso_env: Vec<(&str, &str)> = idc_env
        .iter()
        .filter(|(k, _)| k.starts_with("AWS_ENDPOINT_URL_SSO"))
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    let out = console(
        &home,
        &fake,
        &[&profile, "--print", "--duration", "1h"],
        &sso_env,
    );
    assert!(out.status.success(), "{}", describe(&out));
    let pairs = login_query(&stdout(&out), &fake);
    assert_eq!(
        first(&pairs, "Destination"),
        "https://console.aws.amazon.com/console/home?region=us-east-1"
    );
    assert_eq!(last_token_request(&fake).1, Some(3600));
    assert_eq!(idc.count("get_role_credentials"), 1, "{}", idc.stats());

    let out = console(
        &home,
        &fake,
        &[&chained, "--print", "--duration", "1h"],
        &sso_env,
    );
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(last_token_request(&fake).1, None);
    assert!(stderr(&out).contains("--duration is not sent"));
}
