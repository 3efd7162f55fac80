//! Access-key hygiene end to end: `rolekeeper source list --keys` and `rolekeeper source rotate`
//! against moto's IAM (users and keys made with boto3, `support/moto_iam.py`), the keys in
//! gnome-keyring (checked from outside with `secret-tool`), and IAM and STS through the fault
//! proxy (`rk-sts-proxy`) to stop a rotation at a chosen step. Whatever step fails, the keychain
//! must hold a key that works, and the message must name the step.
//!
//! moto checks no signature, so "works" is asked of moto the way it can answer: a key it knows
//! (GetCallerIdentity answers with the user's ARN; a deleted key answers as `user/moto`).

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a panic is the failure report

use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

use rolekeeper_tests::proxy::{Fault, StsProxy};
use rolekeeper_tests::{bin, describe, keyring_use, moto_iam, require_env, AwsHome};
use serde_json::Value;

/// A user name and source name no other test (nor run) uses.
fn unique(tag: &str) -> String {
    format!("rk{}-{tag}", std::process::id())
}

/// A user with one key in moto: (id, secret).
fn user_with_key(user: &str) -> (String, String) {
    let key = moto_iam(&["create-user", user], &[]);
    (
        key["id"].as_str().unwrap().to_owned(),
        key["secret"].as_str().unwrap().to_owned(),
    )
}

/// The user's keys in moto: (id, status), oldest first.
fn keys_of(user: &str) -> Vec<(String, String)> {
    moto_iam(&["list-keys", user], &[])
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["id"].as_str().unwrap().to_owned(),
                k["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Whose key moto takes `(id, secret)` for.
fn whoami(id: &str, secret: &str) -> String {
    let v = moto_iam(
        &["whoami"],
        &[("AWS_ACCESS_KEY_ID", id), ("AWS_SECRET_ACCESS_KEY", secret)],
    );
    v["arn"].as_str().unwrap().to_owned()
}

fn user_arn(user: &str) -> String {
    format!("arn:aws:iam::123456789012:user/{user}")
}

/// `AKIA…2345`, as RoleKeeper shows a key.
fn masked(id: &str) -> String {
    format!("{}…{}", &id[..4], &id[id.len() - 4..])
}

/// One test's HOME with a source `name` holding `key`, and a role that starts from it.
struct Setup {
    home: AwsHome,
    name: String,
    user: String,
    /// Every secret the test has seen: none may appear in any output.
    secrets: Vec<String>,
    /// Every output of RoleKeeper, scanned for secrets and whole key ids at the end.
    outputs: Vec<String>,
    /// Key ids that must not appear whole in RoleKeeper's output.
    ids: Vec<String>,
    /// Where IAM and STS are (moto, or a proxy in front of it).
    endpoint: String,
    extra_env: Vec<(String, String)>,
    _keyring: rolekeeper_tests::KeyringUse,
}

impl Setup {
    fn new(tag: &str, source_args: &[&str]) -> (Self, String) {
        let endpoint = require_env("ROLEKEEPER_TEST_STS_URL");
        let keyring = keyring_use(false);
        let name = unique(tag);
        let user = unique(&format!("{tag}-user"));
        let (id, secret) = user_with_key(&user);
        let config = format!(
            "[profile {name}-role]\nrole_arn = arn:aws:iam::123456789012:role/Rotated\n\
             source_profile = {name}\nregion = us-east-1\n"
        );
        let mut setup = Self {
            home: AwsHome::new(&config, ""),
            name: name.clone(),
            user,
            secrets: vec![secret.clone()],
            outputs: Vec::new(),
            ids: vec![id.clone()],
            endpoint,
            extra_env: Vec::new(),
            _keyring: keyring,
        };
        let mut args = vec!["source", "add", &name];
        args.extend_from_slice(source_args);
        let out = setup.rolekeeper(&args, &format!("{id}\n{secret}\n"));
        assert!(out.status.success(), "{}", describe(&out));
        (setup, id)
    }

    /// Send IAM and STS through `proxy`.
    fn through(&mut self, proxy: &StsProxy) {
        self.endpoint = proxy.url();
    }

    fn rolekeeper(&mut self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .home
            .command(bin("rolekeeper"))
            .args(args)
            .env_remove("XDG_STATE_HOME")
            .env("AWS_ENDPOINT_URL_STS", &self.endpoint)
            .env("AWS_ENDPOINT_URL_IAM", &self.endpoint)
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .envs(self.extra_env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run rolekeeper");
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).ok();
        let out = child.wait_with_output().expect("wait");
        self.outputs.push(format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
        out
    }

    fn run_ok(&mut self, args: &[&str]) -> String {
        let out = self.rolekeeper(args, "");
        assert!(out.status.success(), "{args:?}: {}", describe(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A command that must fail: its stderr.
    fn run_err(&mut self, args: &[&str]) -> String {
        let out = self.rolekeeper(args, "");
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", describe(&out));
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// The key the keychain holds for the source, seen from outside (`secret-tool`).
    fn keychain_key(&mut self) -> (String, String) {
        let out = std::process::Command::new("secret-tool")
            .args(["lookup", "service", "rolekeeper", "username"])
            .arg(format!("source:{}", self.name))
            .output()
            .expect("secret-tool");
        assert!(out.status.success(), "{}", describe(&out));
        let blob: Value = serde_json::from_slice(&out.stdout).expect("JSON blob");
        let id = blob["access_key_id"].as_str().unwrap().to_owned();
        let secret = blob["secret_access_key"].as_str().unwrap().to_owned();
        if !self.secrets.contains(&secret) {
            self.secrets.push(secret.clone());
        }
        if !self.ids.contains(&id) {
            self.ids.push(id.clone());
        }
        (id, secret)
    }

    /// The keychain's key works for the user (moto answers for it as the user).
    fn assert_keychain_works(&mut self) -> String {
        let (id, secret) = self.keychain_key();
        assert_eq!(
            whoami(&id, &secret),
            user_arn(&self.user),
            "the keychain's key"
        );
        id
    }

    /// botocore, through the role that starts at the source, with `rolekeeper export`.
    fn assert_botocore_works(&mut self) {
        let py = require_env("ROLEKEEPER_TEST_PYTHON");
        let script = format!(
            "set -e; eval \"$('{}' export {}-role --format env)\"; exec '{py}' -c '{}'",
            bin("rolekeeper").display(),
            self.name,
            "import boto3; print(boto3.client(\"sts\").get_caller_identity()[\"Arn\"])"
        );
        let who = self
            .home
            .command("bash")
            .arg("-c")
            .arg(script)
            .env_remove("XDG_STATE_HOME")
            .env("AWS_ENDPOINT_URL_STS", &self.endpoint)
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .output()
            .expect("bash");
        assert!(who.status.success(), "{}", describe(&who));
        let arn = String::from_utf8_lossy(&who.stdout);
        assert!(
            arn.starts_with("arn:aws:sts::123456789012:assumed-role/Rotated/"),
            "{}",
            describe(&who)
        );
    }
}

impl Drop for Setup {
    /// No secret, and no whole key id, in anything RoleKeeper printed; the source goes.
    fn drop(&mut self) {
        let _ = std::process::Command::new("secret-tool")
            .args(["clear", "service", "rolekeeper", "username"])
            .arg(format!("source:{}", self.name))
            .output();
        if std::thread::panicking() {
            return;
        }
        for output in &self.outputs {
            for secret in &self.secrets {
                assert!(!output.contains(secret.as_str()), "a secret in:\n{output}");
            }
            for id in &self.ids {
                assert!(
                    !output.contains(id.as_str()),
                    "a whole key id in:\n{output}"
                );
            }
        }
    }
}

#[test]
fn a_rotation_replaces_the_key_in_iam_and_the_keychain() {
    let (mut s, old) = Setup::new("rotate", &["--region", "us-east-1"]);
    let name = s.name.clone();

    // Nothing known yet: the list calls nothing.
    let list = s.run_ok(&["source", "list"]);
    assert!(list.contains("KEY") && list.contains("LAST USED"), "{list}");
    // Asked: the key's age and last use (the key was used just now, by GetCallerIdentity).
    let list = s.run_ok(&["source", "list", "--keys"]);
    let row = list.lines().find(|l| l.starts_with(&name)).unwrap();
    assert!(
        row.contains(&masked(&old)) && row.contains("today"),
        "{list}"
    );
    let json: Value =
        serde_json::from_str(&s.run_ok(&["source", "list", "--json"])).expect("JSON list");
    let key = &json
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name.as_str())
        .unwrap()["key"];
    assert_eq!(key["id"], masked(&old).as_str(), "{json}");
    assert_eq!(key["user"], s.user.as_str());
    assert_eq!(key["age_days"], 0);

    let out = s.run_ok(&["source", "rotate", &name]);
    let (new, _) = s.keychain_key();
    assert_ne!(new, old);
    assert!(
        out.contains(&format!("the keychain holds the new key {}", masked(&new)))
            && out.contains(&format!("the old key {} is deleted", masked(&old))),
        "{out}"
    );
    assert_eq!(keys_of(&s.user), vec![(new.clone(), "Active".to_owned())]);
    s.assert_keychain_works();
    s.assert_botocore_works();
    // The list shows the new key, from what the rotation kept.
    let list = s.run_ok(&["source", "list"]);
    assert!(
        list.contains(&masked(&new)) && !list.contains(&masked(&old)),
        "{list}"
    );
    // What was kept names no key whole.
    let kept = std::fs::read_to_string(s.home.home().join(".local/state/rolekeeper/keys.json"))
        .expect("keys.json in the state directory");
    assert!(kept.contains(&masked(&new)), "{kept}");
    assert!(!kept.contains(&new) && !kept.contains(&old), "{kept}");
}

#[test]
fn keep_old_deactivates_and_finish_deletes_later() {
    let (mut s, old) = Setup::new("keepold", &[]);
    let name = s.name.clone();
    let out = s.run_ok(&["source", "rotate", &name, "--keep-old"]);
    assert!(out.contains("--finish"), "{out}");
    let new = s.assert_keychain_works();
    assert_eq!(
        keys_of(&s.user),
        vec![
            (old.clone(), "Inactive".to_owned()),
            (new.clone(), "Active".to_owned())
        ]
    );
    let out = s.run_ok(&["source", "rotate", &name, "--finish"]);
    assert!(
        out.contains(&format!("Deleted the key {}", masked(&old))),
        "{out}"
    );
    assert_eq!(keys_of(&s.user), vec![(new, "Active".to_owned())]);
    let err = s.run_err(&["source", "rotate", &name, "--finish"]);
    assert!(err.contains("no rotation left a key behind"), "{err}");
}

#[test]
fn two_keys_already_is_said_with_the_other_keys_last_use_and_nothing_is_deleted_unasked() {
    let (mut s, old) = Setup::new("limit", &[]);
    let name = s.name.clone();
    let other = moto_iam(&["create-key", &s.user], &[]);
    let other_id = other["id"].as_str().unwrap().to_owned();
    s.secrets.push(other["secret"].as_str().unwrap().to_owned());
    s.ids.push(other_id.clone());

    let err = s.run_err(&["source", "rotate", &name]);
    assert!(err.contains("has two access keys already"), "{err}");
    assert!(
        err.contains(&format!("the other one, {}, is active", masked(&other_id)))
            && err.contains("last used never")
            && err.contains(&format!("--delete-other {}", masked(&other_id))),
        "{err}"
    );
    assert_eq!(s.keychain_key().0, old, "nothing changed");
    assert_eq!(keys_of(&s.user).len(), 2);

    // Not the keychain's own key, not a key of someone else.
    let err = s.run_err(&["source", "rotate", &name, "--delete-other", &masked(&old)]);
    assert!(err.contains("is the key in the keychain"), "{err}");
    let err = s.run_err(&["source", "rotate", &name, "--delete-other", "AKIA…0000"]);
    assert!(err.contains("names none of IAM user"), "{err}");
    assert_eq!(keys_of(&s.user).len(), 2);

    // Told, as the message showed it: the other key goes, then the rotation.
    s.run_ok(&[
        "source",
        "rotate",
        &name,
        "--delete-other",
        &masked(&other_id),
    ]);
    let new = s.assert_keychain_works();
    assert_eq!(keys_of(&s.user), vec![(new, "Active".to_owned())]);
}

/// `rolekeeper source rotate NAME` with a terminal (a pty, `support/with_tty.py`) on which
/// `answer` is typed at the question.
fn rotate_on_a_terminal(s: &mut Setup, answer: &str) -> Output {
    let py = require_env("ROLEKEEPER_TEST_PYTHON");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("support/with_tty.py");
    let mut child = s
        .home
        .command(py)
        .arg(script)
        .arg(bin("rolekeeper"))
        .args(["source", "rotate", &s.name])
        .env_remove("XDG_STATE_HOME")
        .env("AWS_ENDPOINT_URL_STS", &s.endpoint)
        .env("AWS_ENDPOINT_URL_IAM", &s.endpoint)
        .env("WITH_TTY_PROMPT", "to make room")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run with_tty.py");
    writeln!(child.stdin.take().unwrap(), "{answer}").unwrap();
    let out = child.wait_with_output().expect("wait");
    s.outputs.push(format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ));
    out
}

#[test]
fn on_a_terminal_the_other_key_is_shown_and_deleted_only_on_yes() {
    let (mut s, old) = Setup::new("tty", &[]);
    let other = moto_iam(&["create-key", &s.user], &[]);
    let other_id = other["id"].as_str().unwrap().to_owned();
    s.secrets.push(other["secret"].as_str().unwrap().to_owned());
    s.ids.push(other_id.clone());

    let out = rotate_on_a_terminal(&mut s, "n");
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("The other one, {}, is active", masked(&other_id)))
            && err.contains("last used never")
            && err.contains("nothing changed"),
        "{err}"
    );
    assert_eq!(keys_of(&s.user).len(), 2);
    assert_eq!(s.keychain_key().0, old);

    let out = rotate_on_a_terminal(&mut s, "y");
    assert!(out.status.success(), "{}", describe(&out));
    let new = s.assert_keychain_works();
    assert_eq!(keys_of(&s.user), vec![(new, "Active".to_owned())]);
}

#[test]
fn a_failed_deactivation_leaves_the_new_key_working_and_says_what_is_left() {
    let (mut s, old) = Setup::new("nodeact", &[]);
    let name = s.name.clone();
    let proxy = StsProxy::start();
    s.through(&proxy);
    proxy.fault(Fault::AccessDenied, None, Some("UpdateAccessKey"));

    let err = s.run_err(&["source", "rotate", &name]);
    let new = s.assert_keychain_works();
    assert!(
        err.contains("stopped while deactivating the old key (UpdateAccessKey)")
            && err.contains(&format!(
                "The new key {} is stored and works; the old key {} is still active",
                masked(&new),
                masked(&old)
            ))
            && err.contains(&format!("rolekeeper source rotate {name} --finish")),
        "{err}"
    );
    assert_eq!(
        keys_of(&s.user),
        vec![
            (old.clone(), "Active".to_owned()),
            (new.clone(), "Active".to_owned())
        ]
    );
    // Without an MFA session, the old key's last calls are signed with the new key.
    assert_eq!(
        proxy.signer("UpdateAccessKey").as_deref(),
        Some(new.as_str())
    );

    proxy.clear();
    s.run_ok(&["source", "rotate", &name, "--finish"]);
    assert_eq!(keys_of(&s.user), vec![(new, "Active".to_owned())]);
}

#[test]
fn a_failed_deletion_leaves_the_old_key_inactive() {
    let (mut s, old) = Setup::new("nodelete", &[]);
    let name = s.name.clone();
    let proxy = StsProxy::start();
    s.through(&proxy);
    proxy.fault(Fault::ServerError(500), None, Some("DeleteAccessKey"));

    let err = s.run_err(&["source", "rotate", &name]);
    let new = s.assert_keychain_works();
    assert!(
        err.contains("stopped while deleting the old key (DeleteAccessKey)")
            && err.contains(&format!(
                "the old key {} is inactive but not deleted",
                masked(&old)
            )),
        "{err}"
    );
    assert_eq!(
        keys_of(&s.user),
        vec![(old, "Inactive".to_owned()), (new, "Active".to_owned())]
    );
}

#[test]
fn a_new_key_that_never_works_is_taken_back_and_deleted() {
    let (mut s, old) = Setup::new("noverify", &[]);
    let name = s.name.clone();
    let proxy = StsProxy::start();
    s.through(&proxy);
    // Who the key belongs to is asked (and kept) before GetCallerIdentity starts failing.
    s.run_ok(&["source", "list", "--keys"]);
    proxy.fault(Fault::InvalidToken, None, Some("GetCallerIdentity"));
    s.extra_env
        .push(("ROLEKEEPER_KEY_VERIFY_SECONDS".to_owned(), "3".to_owned()));

    let err = s.run_err(&["source", "rotate", &name]);
    assert!(
        err.contains("stopped while verifying the new key (GetCallerIdentity)")
            && err.contains("InvalidClientTokenId")
            && err.contains(&format!(
                "The keychain holds the old key {} again, which still works",
                masked(&old)
            ))
            && err.contains("was deleted from IAM"),
        "{err}"
    );
    assert!(proxy.count("GetCallerIdentity") >= 2, "retried");
    assert_eq!(s.assert_keychain_works(), old);
    assert_eq!(keys_of(&s.user), vec![(old, "Active".to_owned())]);
}

#[test]
fn a_refused_create_changes_nothing() {
    let (mut s, old) = Setup::new("nocreate", &[]);
    let name = s.name.clone();
    let proxy = StsProxy::start();
    s.through(&proxy);
    proxy.fault(Fault::AccessDenied, None, Some("CreateAccessKey"));
    let err = s.run_err(&["source", "rotate", &name]);
    assert!(
        err.contains("stopped while creating the new key (CreateAccessKey)")
            && err.contains("iam:CreateAccessKey")
            && err.contains("Nothing changed"),
        "{err}"
    );
    assert_eq!(s.assert_keychain_works(), old);
    assert_eq!(keys_of(&s.user), vec![(old, "Active".to_owned())]);
}

#[test]
fn with_an_mfa_device_the_iam_calls_use_the_sources_mfa_session() {
    let (mut s, old) = Setup::new(
        "mfa",
        &["--mfa-serial", "arn:aws:iam::123456789012:mfa/rotator"],
    );
    let name = s.name.clone();
    let proxy = StsProxy::start();
    s.through(&proxy);
    proxy.expect_mfa_code("123456");
    s.run_ok(&["source", "rotate", &name, "--mfa-code", "123456"]);
    assert_eq!(proxy.count("GetSessionToken"), 1);
    // Signed with the MFA session's key (moto's is always the same), neither the old nor the
    // new long-term key, to the end.
    let session = proxy.signer("CreateAccessKey").unwrap();
    let new = s.assert_keychain_works();
    assert!(
        session != old && session != new,
        "CreateAccessKey signed by {session}"
    );
    assert_eq!(
        proxy.signer("DeleteAccessKey").as_deref(),
        Some(session.as_str())
    );
    assert_eq!(keys_of(&s.user), vec![(new, "Active".to_owned())]);
}
