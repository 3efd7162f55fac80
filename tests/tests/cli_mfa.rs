//! The MFA plan end to end: the real binary, moto as STS, gnome-keyring (the private bus of
//! `scripts/with-desktop-session.sh`) as the keychain, and an `mfa_process` that counts its runs.
//! moto does not check codes: what is checked is how often a code is asked for and what the
//! keychain holds. Also `source import`, read back with botocore and `secret-tool`.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a panic is the failure report

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use rolekeeper_tests::{bin, bin_dir, botocore_view, describe, require_env, AwsHome};

const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";
const KEY_ID: &str = "AKIAMFATESTEXAMPLE01";

/// Names no other test (nor run) uses: keychain entries are shared by the whole session.
fn unique(tag: &str) -> String {
    format!("t{}-{tag}", std::process::id())
}

/// `rolekeeper ARGS` in a new session, without a controlling terminal: no code can be typed,
/// so codes come from mfa_process.
fn rolekeeper(home: &AwsHome, args: &[&str]) -> Output {
    home.command("setsid")
        .arg("-w")
        .arg(bin("rolekeeper"))
        .args(args)
        .env(
            "AWS_ENDPOINT_URL_STS",
            require_env("ROLEKEEPER_TEST_STS_URL"),
        )
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run rolekeeper")
}

fn ok(out: Output) -> String {
    assert!(out.status.success(), "{}", describe(&out));
    String::from_utf8(out.stdout).expect("utf-8")
}

fn runs(counter: &Path) -> usize {
    std::fs::read_to_string(counter)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

fn key_id(exported: &str) -> String {
    exported
        .lines()
        .find_map(|l| l.strip_prefix("export AWS_ACCESS_KEY_ID="))
        .expect("key id")
        .to_owned()
}

fn secret_tool(args: &[&str]) -> Output {
    Command::new("secret-tool")
        .args(args)
        .output()
        .expect("secret-tool (apt: libsecret-tools) must be installed")
}

fn lookup(entry: &str) -> Output {
    secret_tool(&["lookup", "service", "rolekeeper", "username", entry])
}

fn config(role: &str, source: &str, counter: &Path, extra: &str) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("support/mfa_code.sh");
    format!(
        "[profile {role}]\nrole_arn = arn:aws:iam::123456789012:role/{role}\nsource_profile = \
         {source}\nmfa_serial = {SERIAL}\nmfa_process = {} {}\n{extra}",
        script.display(),
        counter.display()
    )
}

#[test]
fn a_short_role_renews_from_a_cached_mfa_session_across_processes() {
    let _keyring = rolekeeper_tests::keyring_use(false);
    let (role, source) = (unique("short"), unique("short-src"));
    let dir = tempfile::tempdir().unwrap();
    let counter = dir.path().join("runs");
    let home = AwsHome::new(
        &config(&role, &source, &counter, ""),
        &format!("[{source}]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = s3cr3tMFA\n"),
    );
    let first = ok(rolekeeper(&home, &["export", &role]));
    assert_eq!(runs(&counter), 1, "one code for GetSessionToken");
    assert!(lookup(&format!("mfa:{source}:{SERIAL}")).status.success());
    assert!(lookup(&format!("session:{role}")).status.success());

    // A new process: the role session itself is still good.
    let second = ok(rolekeeper(&home, &["export", &role]));
    assert_eq!(runs(&counter), 1);
    assert_eq!(key_id(&first), key_id(&second));

    // Without the role session, a new one is assumed from the cached MFA session: no code.
    let cleared = secret_tool(&[
        "clear",
        "service",
        "rolekeeper",
        "username",
        &format!("session:{role}"),
    ]);
    assert!(cleared.status.success(), "{}", describe(&cleared));
    let third = ok(rolekeeper(&home, &["export", &role]));
    assert_eq!(
        runs(&counter),
        1,
        "renewed from the MFA session with no code"
    );
    assert_ne!(key_id(&first), key_id(&third));

    ok(rolekeeper(&home, &["activate", &role]));
    let status = ok(rolekeeper(&home, &["status"]));
    assert!(status.contains("MFA session until "), "{status}");
    assert!(status.contains(", then a code"), "{status}");
    assert_eq!(runs(&counter), 1);
    for entry in [format!("mfa:{source}:{SERIAL}"), format!("session:{role}")] {
        secret_tool(&["clear", "service", "rolekeeper", "username", &entry]);
    }
}

#[test]
fn a_long_role_takes_a_code_at_each_renewal() {
    let _keyring = rolekeeper_tests::keyring_use(false);
    let (role, source) = (unique("long"), unique("long-src"));
    let dir = tempfile::tempdir().unwrap();
    let counter = dir.path().join("runs");
    let home = AwsHome::new(
        &config(&role, &source, &counter, "duration_seconds = 7200\n"),
        &format!("[{source}]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = s3cr3tMFA\n"),
    );
    let session = format!("session:{role}");
    for renewal in 1..=2 {
        ok(rolekeeper(&home, &["export", &role]));
        assert_eq!(runs(&counter), renewal);
        // The next renewal: the role session is gone (as when it is about to end).
        secret_tool(&["clear", "service", "rolekeeper", "username", &session]);
    }
    assert!(
        !lookup(&format!("mfa:{source}:{SERIAL}")).status.success(),
        "no MFA session for a role of more than 1 h"
    );
    ok(rolekeeper(&home, &["activate", &role]));
    let status = ok(rolekeeper(&home, &["status"]));
    assert!(status.contains("code at each renewal"), "{status}");
    secret_tool(&["clear", "service", "rolekeeper", "username", &session]);
}

#[test]
fn source_import_moves_only_the_keys_into_the_keychain() {
    let _keyring = rolekeeper_tests::keyring_use(false);
    let name = unique("imp");
    let secret = format!("impSecret{}K7MDENGbPxRfiCYEXAMPLEKEY", std::process::id());
    let credentials = format!(
        "# my keys\r\n[other]\r\naws_access_key_id = AKIAOTHEREXAMPLE0001\r\naws_secret_access_key = o\r\n\r\n\
         [{name}]\r\n; work account\r\naws_access_key_id = {KEY_ID}\r\naws_secret_access_key = {secret}\r\n\
         region = eu-west-1\r\n\r\n[last]\r\nk = v\r\n"
    );
    let config = format!("# config\n[profile {name}]\noutput = json\n");
    let home = AwsHome::new(&config, &credentials);
    let out = rolekeeper(&home, &["source", "import", &name]);
    assert!(out.status.success(), "{}", describe(&out));

    let after = std::fs::read_to_string(home.credentials_path()).unwrap();
    let want = credentials
        .replace(&format!("aws_access_key_id = {KEY_ID}\r\n"), "")
        .replace(&format!("aws_secret_access_key = {secret}\r\n"), "");
    assert_eq!(after, want, "only the two key lines left");
    let config_after = std::fs::read_to_string(home.config_path()).unwrap();
    assert_eq!(
        config_after,
        format!("{config}credential_process = rolekeeper credential-process {name}\n")
    );
    let stored = lookup(&format!("source:{name}"));
    assert!(stored.status.success(), "{}", describe(&stored));
    assert!(String::from_utf8_lossy(&stored.stdout).contains(&secret));

    let backups = home.home().join(".local/state/rolekeeper/backups");
    let backup = std::fs::read_dir(&backups)
        .expect("backups")
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with("credentials."))
        .expect("a backup of the credentials file")
        .path();
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), credentials);
    let mode = std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    // botocore reads both files; the keys are gone from the credentials file, and the profile
    // resolves through `rolekeeper credential-process` to a session token of those keys (the
    // long-term keys stay in the keychain), the same one for the next process.
    let view = botocore_view(&home, &[]);
    assert!(
        view["credentials"][&name]
            .get("aws_access_key_id")
            .is_none(),
        "{view}"
    );
    assert_eq!(
        view["credentials"]["other"]["aws_access_key_id"],
        "AKIAOTHEREXAMPLE0001"
    );
    let path = format!("{}:{}", bin_dir().display(), std::env::var("PATH").unwrap());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("support/aws_view.py");
    let resolved = home
        .command(require_env("ROLEKEEPER_TEST_PYTHON"))
        .arg(script)
        .arg(&name)
        .env("PATH", path)
        .output()
        .unwrap();
    let resolved: serde_json::Value = serde_json::from_str(&ok(resolved)).unwrap();
    let served = resolved["keys"][&name]
        .as_str()
        .expect("a key id")
        .to_owned();
    assert_ne!(served, KEY_ID, "a session token, not the long-term keys");
    let token_entry = format!("token:{name}");
    assert!(
        lookup(&token_entry).status.success(),
        "the session token is cached"
    );
    let process = ok(rolekeeper(&home, &["credential-process", &name]));
    let process: serde_json::Value = serde_json::from_str(&process).unwrap();
    assert_eq!(process["AccessKeyId"], served.as_str());
    assert!(process["SessionToken"].is_string() && process["Expiration"].is_string());
    // Unless the user chooses the long-term keys.
    let long_term = ok(rolekeeper(
        &home,
        &["credential-process", &name, "--long-term-keys"],
    ));
    let long_term: serde_json::Value = serde_json::from_str(&long_term).unwrap();
    assert_eq!(long_term["AccessKeyId"], KEY_ID);
    assert!(long_term.get("SessionToken").is_none(), "{long_term}");
    secret_tool(&["clear", "service", "rolekeeper", "username", &token_entry]);

    let again = rolekeeper(&home, &["source", "import", &name]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("imported already"),
        "{}",
        describe(&again)
    );
    let plain = rolekeeper(&home, &["source", "import", "last"]);
    assert!(
        String::from_utf8_lossy(&plain.stderr).contains("no aws_access_key_id"),
        "{}",
        describe(&plain)
    );
    ok(rolekeeper(&home, &["source", "remove", &name]));
}

/// `activate --mfa-code`: a code given on the command line reaches STS once (the fault proxy
/// checks it as STS would), and a malformed one is refused before anything happens, without
/// showing it.
#[test]
fn activate_takes_the_code_on_the_command_line() {
    let _keyring = rolekeeper_tests::keyring_use(false);
    let name = unique("given");
    // Over an hour: assumed directly with the code, at each renewal.
    let config = format!(
        "[profile {name}]\nrole_arn = arn:aws:iam::123456789012:role/Given\nsource_profile = \
         src\nmfa_serial = {SERIAL}\nduration_seconds = 7200\nregion = us-east-1\n"
    );
    let credentials = "[src]\naws_access_key_id = AKIAMFAGIVENCODE0001\naws_secret_access_key = givenCodeSecret\n";
    let home = AwsHome::new(&config, credentials);
    let proxy = rolekeeper_tests::proxy::StsProxy::start();
    proxy.expect_mfa_code("246813");
    let through_proxy = |args: &[&str]| {
        home.command("setsid")
            .arg("-w")
            .arg(bin("rolekeeper"))
            .args(args)
            .env("AWS_ENDPOINT_URL_STS", proxy.url())
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run rolekeeper")
    };
    let bad = through_proxy(&["activate", &name, "--mfa-code", "24681x"]);
    assert_eq!(bad.status.code(), Some(2), "{}", describe(&bad));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("six digits") && !stderr.contains("24681x"),
        "{stderr}"
    );
    assert_eq!(
        proxy.count("AssumeRole"),
        0,
        "nothing sent for a malformed code"
    );

    let out = ok(through_proxy(&["activate", &name, "--mfa-code", "246813"]));
    assert!(out.contains(&format!("activated {name}")), "{out}");
    assert_eq!(
        proxy.calls()["token_codes"]["246813"],
        1,
        "{}",
        proxy.calls()
    );
    let status = ok(rolekeeper(&home, &["status"]));
    assert!(status.contains("code at each renewal"), "{status}");
    ok(rolekeeper(&home, &["deactivate", &name]));
}
