//! `rolekeeper source` end to end: the real binary against a real Secret Service (gnome-keyring on
//! the private bus of `scripts/with-desktop-session.sh`), checked from outside with `secret-tool`,
//! and moto as STS for a role whose `source_profile` is a keychain source.
//!
//! All tests of this binary share one keyring: each uses its own source names, and the one that
//! locks the keyring holds an exclusive file lock that the others hold shared.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a panic is the failure report

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use rolekeeper_tests::{bin, describe, require_env, with_locked_keyring, AwsHome};

/// A name and a secret no other test (nor run) uses.
fn unique(tag: &str) -> (String, String) {
    let pid = std::process::id();
    (
        format!("t{pid}-{tag}"),
        format!("kcSecret{pid}{tag}K7MDENGbPxRfiCYEXAMPLEKEY"),
    )
}

const KEY_ID: &str = "AKIAKEYCHAINEXAMPLE1";

fn rolekeeper(home: &AwsHome, args: &[&str], stdin: &str) -> Output {
    let mut child = home
        .command(bin("rolekeeper"))
        .args(args)
        // Everything RoleKeeper writes goes under this test's HOME, where it is searched.
        .env_remove("XDG_STATE_HOME")
        .env_remove("ROLEKEEPER_STATE_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run rolekeeper");
    // A command that refuses its arguments exits before it reads stdin: a closed pipe is then
    // expected, and the output says why.
    match child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.expect("write stdin"),
    }
    child.wait_with_output().expect("wait")
}

fn add(home: &AwsHome, name: &str, secret: &str, extra: &[&str]) -> Output {
    let mut args = vec!["source", "add", name];
    args.extend_from_slice(extra);
    rolekeeper(home, &args, &format!("{KEY_ID}\n{secret}\n"))
}

/// `secret-tool lookup service rolekeeper username source:NAME` (the zbus store's attributes).
fn lookup(name: &str) -> Output {
    Command::new("secret-tool")
        .args(["lookup", "service", "rolekeeper", "username"])
        .arg(format!("source:{name}"))
        .output()
        .expect("secret-tool (apt: libsecret-tools) must be installed")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every file below `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &str, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            files_containing(&path, needle, found);
        } else if kind.is_file() {
            if let Ok(bytes) = std::fs::read(&path) {
                if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                    found.push(path);
                }
            }
        }
    }
}

fn role_config(source: &str) -> String {
    format!(
        "[profile kcrole]\nrole_arn = arn:aws:iam::123456789012:role/KeychainRole\n\
         source_profile = {source}\nduration_seconds = 900\n"
    )
}

#[test]
fn a_source_is_stored_listed_used_for_a_role_and_removed() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let py = require_env("ROLEKEEPER_TEST_PYTHON");
    let _keyring = rolekeeper_tests::keyring_use(false);
    let (name, secret) = unique("roundtrip");
    let home = AwsHome::new(&role_config(&name), "");

    let out = add(&home, &name, &secret, &["--region", "us-east-1"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(stdout(&out).contains(&format!("source_profile = {name}")));
    assert!(!stderr(&out).contains(&secret), "{}", describe(&out));

    // In gnome-keyring, seen from outside RoleKeeper.
    let found = lookup(&name);
    assert!(found.status.success(), "{}", describe(&found));
    let blob: serde_json::Value = serde_json::from_slice(&found.stdout).expect("JSON blob");
    assert_eq!(blob["access_key_id"], KEY_ID);
    assert_eq!(blob["secret_access_key"], secret.as_str());
    assert_eq!(blob["region"], "us-east-1");

    let list = rolekeeper(&home, &["source", "list"], "");
    assert!(list.status.success(), "{}", describe(&list));
    let text = stdout(&list);
    assert!(text.contains(&name) && text.contains("us-east-1"), "{text}");
    assert!(!text.contains(&secret) && !text.contains(KEY_ID), "{text}");
    let json = rolekeeper(&home, &["source", "list", "--json"], "");
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON list");
    assert!(
        json.as_array()
            .expect("array")
            .iter()
            .any(|s| s["name"] == name.as_str() && s["region"] == "us-east-1"),
        "{json}"
    );

    // A role whose source_profile is the keychain source: moto assumes it.
    let out = rolekeeper(&home, &["export", "kcrole", "--format", "env"], "");
    assert!(out.status.success(), "{}", describe(&out));
    let env = stdout(&out);
    assert!(env.contains("export AWS_ACCESS_KEY_ID=ASIA"), "{env}");
    assert!(env.contains("export AWS_SESSION_TOKEN="), "{env}");
    assert!(!env.contains(&secret) && !stderr(&out).contains(&secret));
    let script = format!(
        "set -e; eval \"$('{}' export kcrole --format env)\"; exec '{py}' -c '{}'",
        bin("rolekeeper").display(),
        "import boto3; print(boto3.client(\"sts\").get_caller_identity()[\"Arn\"])"
    );
    let who = home
        .command("bash")
        .arg("-c")
        .arg(script)
        .env_remove("XDG_STATE_HOME")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()
        .expect("bash");
    assert!(who.status.success(), "{}", describe(&who));
    assert!(
        stdout(&who).starts_with("arn:aws:sts::123456789012:assumed-role/KeychainRole/"),
        "{}",
        describe(&who)
    );

    // The secret is in no file: not under HOME, not in the session's XDG dirs (the keyring file
    // there is encrypted).
    let mut leaks = Vec::new();
    files_containing(home.home(), &secret, &mut leaks);
    for var in ["XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"] {
        if let Ok(dir) = std::env::var(var) {
            files_containing(Path::new(&dir), &secret, &mut leaks);
        }
    }
    assert!(leaks.is_empty(), "the secret is written in {leaks:?}");
    let index = home.home().join(".local/state/rolekeeper/sources.json");
    assert!(index.exists(), "the index lives beside the state file");

    let out = rolekeeper(&home, &["source", "remove", &name], "");
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(lookup(&name).status.code(), Some(1), "still in the keyring");
    let list = rolekeeper(&home, &["source", "list"], "");
    assert!(!stdout(&list).contains(&name), "{}", describe(&list));
    let out = rolekeeper(&home, &["export", "kcrole"], "");
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        stderr(&out).contains(&format!(
            "names source_profile `{name}`, which is not defined"
        )),
        "{}",
        describe(&out)
    );
}

#[test]
fn list_shows_the_mfa_device_and_never_key_material() {
    let _keyring = rolekeeper_tests::keyring_use(false);
    let (name, secret) = unique("mfa");
    let home = AwsHome::new("", "");
    let arn = "arn:aws:iam::123456789012:mfa/alice";
    let out = add(&home, &name, &secret, &["--mfa-serial", arn]);
    assert!(out.status.success(), "{}", describe(&out));
    let list = rolekeeper(&home, &["source", "list"], "");
    let text = stdout(&list);
    let row = text
        .lines()
        .find(|l| l.starts_with(&name))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains(arn), "{row}");
    assert!(!text.contains(&secret) && !text.contains(KEY_ID), "{text}");
    let out = rolekeeper(&home, &["source", "remove", &name], "");
    assert!(out.status.success(), "{}", describe(&out));
}

#[test]
fn bad_input_and_unknown_names_give_clear_errors() {
    let _keyring = rolekeeper_tests::keyring_use(false);
    let (name, secret) = unique("bad");
    let home = AwsHome::new(&role_config(&name), "");
    // (arguments, stdin, what stderr says)
    let table: Vec<(Vec<&str>, String, &str)> = vec![
        (
            vec!["source", "add", &name],
            format!("AKIDNOTAKEYID0000000\n{secret}\n"),
            "the access key id is not valid: it must start with AKIA or ASIA",
        ),
        (
            vec![
                "source",
                "add",
                &name,
                "--mfa-serial",
                "arn:aws:iam::1:mfa/x",
            ],
            format!("{KEY_ID}\n{secret}\n"),
            "MFA serial `arn:aws:iam::1:mfa/x` is not valid",
        ),
        (
            vec!["source", "add", &name],
            format!("{KEY_ID}\n"),
            "stdin ended before the secret access key",
        ),
        (
            vec!["source", "add", "no spaces please"],
            String::new(),
            "source name `no spaces please` is not valid",
        ),
        (
            vec!["source", "remove", &name],
            String::new(),
            "no keychain source",
        ),
        (
            vec!["export", "kcrole"],
            String::new(),
            "which is not defined",
        ),
    ];
    for (args, stdin, says) in table {
        let out = rolekeeper(&home, &args, &stdin);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", describe(&out));
        assert!(
            err.starts_with("rolekeeper: ") && err.contains(says),
            "{args:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "printed once: {err}");
        assert!(!err.contains(&secret), "{args:?} leaks: {err}");
    }
    assert_eq!(lookup(&name).status.code(), Some(1), "nothing was stored");
}

#[test]
fn a_locked_keychain_fails_fast_and_clearly_then_recovers() {
    let _keyring = rolekeeper_tests::keyring_use(true);
    let (name, secret) = unique("locked");
    let home = AwsHome::new(&role_config(&name), "");
    let out = add(&home, &name, &secret, &[]);
    assert!(out.status.success(), "{}", describe(&out));

    with_locked_keyring(|| {
        for args in [
            vec!["export", "kcrole"],
            vec!["source", "remove", &name],
            vec!["source", "add", &name],
        ] {
            #[allow(clippy::disallowed_methods)] // measures the real wait
            let started = std::time::Instant::now();
            let out = rolekeeper(&home, &args, &format!("{KEY_ID}\n{secret}\n"));
            let took = started.elapsed();
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(1), "{args:?}: {}", describe(&out));
            assert!(
                err.contains(
                    "the keychain is locked: unlock it (e.g. log in to the desktop) and retry"
                ),
                "{args:?}: {err}"
            );
            assert!(!err.contains(&secret), "{err}");
            // Far below the 10 s timeout: the Secret Service refuses at once.
            assert!(took < Duration::from_secs(3), "{args:?} took {took:?}");
            eprintln!("locked: `rolekeeper {}` failed in {took:?}", args.join(" "));
        }
    });

    // Unlocked again: the source still works and can be removed.
    let list = rolekeeper(&home, &["source", "list"], "");
    assert!(stdout(&list).contains(&name), "{}", describe(&list));
    let out = rolekeeper(&home, &["source", "remove", &name], "");
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(lookup(&name).status.code(), Some(1));
}

/// `source add dev` then `export dev`: the source is served by its own name (a session token of
/// its keys), as the README shows, when no profile of that name exists.
#[test]
fn a_source_is_served_by_its_own_name() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let _keyring = rolekeeper_tests::keyring_use(false);
    let (name, secret) = unique("byname");
    let home = AwsHome::new("", "");
    let out = add(&home, &name, &secret, &[]);
    assert!(out.status.success(), "{}", describe(&out));
    let out = rolekeeper(&home, &["export", &name, "--format", "env"], "");
    assert!(out.status.success(), "{}", describe(&out));
    let text = stdout(&out);
    // (moto answers GetSessionToken with a fixed example key id.)
    assert!(
        text.contains("export AWS_SESSION_TOKEN=")
            && text.contains("export AWS_CREDENTIAL_EXPIRATION=")
            && !text.contains(KEY_ID),
        "a session token of the source, not its keys: {text}"
    );
    assert!(!text.contains(&secret), "never the long-term secret");
    let out = rolekeeper(&home, &["source", "remove", &name], "");
    assert!(out.status.success(), "{}", describe(&out));
}
