//! How a session reaches the AWS tools, end to end with moto, gnome-keyring and botocore:
//! process delivery (`credential_process = rolekeeper credential-process NAME` in the config
//! file, the session in the keychain, no secret in any file) renewed by the daemon and undone
//! byte for byte; moving between deliveries; and a chosen session length that holds for every
//! renewal, not only the first.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a panic is the failure report

use std::process::Output;
use std::time::Duration;

use rolekeeper_tests::{bin, bin_dir, describe, require_env, AwsHome, Daemon};

const SOURCE_SECRET: &str = "deliveryTestSourceSecret000000000000000";

/// Names no other test (nor run) uses: keychain entries are shared by the whole session.
fn unique(tag: &str) -> String {
    format!("t{}-{tag}", std::process::id())
}

fn config(name: &str) -> String {
    format!(
        "# my roles\n[profile {name}]\nrole_arn = arn:aws:iam::123456789012:role/Delivered\n\
         source_profile = dev\nduration_seconds = 3600\nregion = us-east-1\n\n[profile other]\n\
         region = eu-west-1\n"
    )
}

fn credentials() -> String {
    format!(
        "[dev]\naws_access_key_id = AKIADELIVERYTEST0001\naws_secret_access_key = {SOURCE_SECRET}\n"
    )
}

fn rolekeeper(home: &AwsHome, args: &[&str]) -> Output {
    home.command(bin("rolekeeper"))
        .args(args)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run rolekeeper")
}

fn ok(out: Output) -> String {
    assert!(out.status.success(), "{}", describe(&out));
    String::from_utf8(out.stdout).expect("utf-8")
}

/// What botocore's credential chain resolves for `profile`, with `rolekeeper` on PATH as the
/// AWS tools find it: (access key id, whether a session token came with it).
fn botocore_resolves(home: &AwsHome, profile: &str) -> (String, bool) {
    let path = format!(
        "{}:{}",
        bin_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = home
        .command(require_env("ROLEKEEPER_TEST_PYTHON"))
        .arg("-c")
        .arg(
            "import sys, botocore.session\n\
             c = botocore.session.Session(profile=sys.argv[1]).get_credentials()\n\
             f = c.get_frozen_credentials()\n\
             print(f.access_key, bool(f.token), type(c).__name__)",
        )
        .arg(profile)
        .env("PATH", path)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()
        .expect("python");
    let text = ok(out);
    let mut words = text.split_whitespace();
    let key = words.next().expect("a key id").to_owned();
    let token = words.next() == Some("True");
    (key, token)
}

fn status_json(home: &AwsHome) -> serde_json::Value {
    serde_json::from_str(&ok(rolekeeper(home, &["status", "--json"]))).expect("status JSON")
}

fn session<'a>(status: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    status["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not among the sessions: {status}"))
}

fn seconds_left(iso: &str) -> i64 {
    let out = std::process::Command::new("date")
        .args(["-u", "-d", iso, "+%s"])
        .output()
        .expect("date");
    let at: i64 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("seconds");
    #[allow(clippy::disallowed_methods)] // the test compares against the real clock
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    at - now
}

#[test]
fn process_delivery_keeps_secrets_out_of_files_renews_and_gives_the_config_back() {
    let _keyring = rolekeeper_tests::keyring_use(false);
    let name = unique("proc");
    let home = AwsHome::new(&config(&name), &credentials());
    let config_before = std::fs::read(home.config_path()).unwrap();
    let credentials_before = std::fs::read(home.credentials_path()).unwrap();

    let out = ok(rolekeeper(
        &home,
        &["activate", &name, "--delivery", "process"],
    ));
    assert!(
        out.contains("served by `rolekeeper credential-process"),
        "{out}"
    );
    assert_eq!(
        std::fs::read(home.credentials_path()).unwrap(),
        credentials_before,
        "process delivery writes nothing to the credentials file"
    );
    let config_now = std::fs::read_to_string(home.config_path()).unwrap();
    assert!(
        config_now.contains(&format!(
            "credential_process = rolekeeper credential-process {name}\n"
        )),
        "{config_now}"
    );
    assert!(
        config_now.contains("# adopted by RoleKeeper: role_arn = "),
        "the role lines are adopted, or the tools would assume the role themselves: {config_now}"
    );
    let (first, token) = botocore_resolves(&home, &name);
    assert!(
        first.starts_with("ASIA") && token,
        "an assumed-role session: {first}"
    );
    let status = status_json(&home);
    assert_eq!(session(&status, &name)["delivery"], "process", "{status}");
    assert!(ok(rolekeeper(&home, &["status"])).contains("by credential_process"));

    // Served from the keychain between renewals: the same session for the next process.
    assert_eq!(botocore_resolves(&home, &name).0, first);

    // The daemon renews it in the keychain (1 h sessions, 3590 s early: within 10 s); the next
    // process the tools start serves the new one.
    let mut daemon = Daemon::start(
        &home,
        &[
            ("ROLEKEEPER_REFRESH_BEFORE", "3590s"),
            ("ROLEKEEPER_LOG", "debug"),
        ],
    );
    daemon.log.wait_for("refreshed", Duration::from_secs(30));
    let (renewed, _) = botocore_resolves(&home, &name);
    assert_ne!(renewed, first, "the renewed session is served");
    // Every secret of this scenario: the source's, and the renewed session's as served.
    let served: serde_json::Value =
        serde_json::from_str(&ok(rolekeeper(&home, &["credential-process", &name]))).unwrap();
    assert_eq!(served["AccessKeyId"], renewed.as_str());
    let secrets = [
        SOURCE_SECRET,
        served["SecretAccessKey"].as_str().unwrap(),
        served["SessionToken"].as_str().unwrap(),
    ];
    assert_eq!(daemon.stop(), Some(0));
    let log = daemon.log.text();
    assert!(log.contains("refreshed"), "{log}");
    for secret in secrets {
        assert!(
            !log.contains(secret),
            "a secret value appears in the daemon's debug log"
        );
    }
    // Nor in any file under HOME but the keychain's own (gnome-keyring keeps its files
    // elsewhere): process delivery writes no secret anywhere.
    for secret in secrets.iter().skip(1) {
        let found = std::process::Command::new("grep")
            .args(["-rlF", secret])
            .arg(home.home())
            .output()
            .expect("grep");
        assert!(
            found.stdout.is_empty(),
            "a session secret is in a file: {}",
            String::from_utf8_lossy(&found.stdout)
        );
    }
    assert_eq!(
        std::fs::read(home.credentials_path()).unwrap(),
        credentials_before
    );

    let out = ok(rolekeeper(&home, &["deactivate", &name]));
    assert!(out.contains("credential_process line is gone"), "{out}");
    assert_eq!(
        String::from_utf8(std::fs::read(home.config_path()).unwrap()).unwrap(),
        String::from_utf8(config_before).unwrap(),
        "deactivating gives the config file back byte for byte"
    );
    let status = status_json(&home);
    assert!(
        status["sessions"].as_array().unwrap().is_empty(),
        "{status}"
    );
}

#[test]
fn a_session_moves_between_deliveries_without_leaving_anything_behind() {
    let _keyring = rolekeeper_tests::keyring_use(false);
    let name = unique("move");
    let home = AwsHome::new(&config(&name), &credentials());
    let config_before = std::fs::read_to_string(home.config_path()).unwrap();
    let credentials_before = std::fs::read_to_string(home.credentials_path()).unwrap();

    ok(rolekeeper(&home, &["activate", &name]));
    let with_section = std::fs::read_to_string(home.credentials_path()).unwrap();
    assert!(
        with_section.contains(&format!("[{name}]")),
        "{with_section}"
    );

    ok(rolekeeper(
        &home,
        &["activate", &name, "--delivery", "process"],
    ));
    assert_eq!(
        std::fs::read_to_string(home.credentials_path()).unwrap(),
        credentials_before,
        "moving to process delivery takes the section out of the credentials file"
    );
    // The choice is remembered: activating again without --delivery keeps it.
    ok(rolekeeper(&home, &["activate", &name]));
    assert_eq!(session(&status_json(&home), &name)["delivery"], "process");

    ok(rolekeeper(
        &home,
        &["activate", &name, "--delivery", "file"],
    ));
    let config_now = std::fs::read_to_string(home.config_path()).unwrap();
    assert!(!config_now.contains("credential_process"), "{config_now}");
    let (key, token) = botocore_resolves(&home, &name);
    assert!(key.starts_with("ASIA") && token, "{key}");

    ok(rolekeeper(&home, &["deactivate", &name]));
    assert_eq!(
        std::fs::read_to_string(home.config_path()).unwrap(),
        config_before
    );
    assert_eq!(
        std::fs::read_to_string(home.credentials_path()).unwrap(),
        credentials_before
    );
}

#[test]
fn process_delivery_of_a_profile_that_is_not_a_role_is_refused_in_words() {
    let home = AwsHome::new("", &credentials());
    let out = rolekeeper(&home, &["activate", "dev", "--delivery", "process"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("profile `dev` cannot be delivered through credential_process")
            && err.contains("deliver it as a file"),
        "{}",
        describe(&out)
    );
    assert_eq!(
        std::fs::read_to_string(home.credentials_path()).unwrap(),
        credentials(),
        "nothing changed"
    );
    let bad = rolekeeper(&home, &["activate", "dev", "--delivery", "mail"]);
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("`mail` is not a delivery"),
        "{}",
        describe(&bad)
    );
}

#[test]
fn a_chosen_duration_holds_for_every_renewal() {
    let _keyring = rolekeeper_tests::keyring_use(false);
    let name = unique("dur");
    let home = AwsHome::new(&config(&name), &credentials());
    ok(rolekeeper(&home, &["activate", &name, "--duration", "2h"]));
    let status = status_json(&home);
    let active = session(&status, &name);
    assert_eq!(active["duration_seconds"], 7200, "{status}");
    let left = seconds_left(active["expires"].as_str().expect("expires"));
    assert!(
        (7000..=7200).contains(&left),
        "2 h, not the profile's 1 h: {left} s"
    );

    // A renewal that names no length (login, the daemon, a caller finding it stale) keeps the
    // chosen one; the keychain's cached session is dropped first so STS is really asked.
    std::process::Command::new("secret-tool")
        .args(["clear", "service", "rolekeeper", "username"])
        .arg(format!("session:{name}"))
        .status()
        .expect("secret-tool (apt: libsecret-tools)");
    ok(rolekeeper(&home, &["login", &name]));
    let status = status_json(&home);
    let left = seconds_left(session(&status, &name)["expires"].as_str().unwrap());
    assert!(
        (7000..=7200).contains(&left),
        "renewed for 2 h again: {left} s"
    );

    // Until the user goes back to the profile's own length.
    ok(rolekeeper(
        &home,
        &["activate", &name, "--profile-duration"],
    ));
    let status = status_json(&home);
    let active = session(&status, &name);
    assert!(active["duration_seconds"].is_null(), "{status}");
    let left = seconds_left(active["expires"].as_str().unwrap());
    assert!((3400..=3600).contains(&left), "the profile's 1 h: {left} s");

    ok(rolekeeper(&home, &["deactivate", &name]));
}

#[test]
fn a_section_of_the_same_name_that_is_not_ours_survives_process_delivery() {
    let _keyring = rolekeeper_tests::keyring_use(false);
    let name = unique("theirs");
    // The user's own [NAME] section in the credentials file (static keys that the role
    // profile in the config file shadows for the AWS tools).
    let credentials = format!(
        "{}\n[{name}]\naws_access_key_id = AKIATHEIRS0000000001\naws_secret_access_key = theirs\n",
        credentials()
    );
    let home = AwsHome::new(&config(&name), &credentials);
    ok(rolekeeper(
        &home,
        &["activate", &name, "--delivery", "process"],
    ));
    ok(rolekeeper(&home, &["deactivate", &name]));
    assert_eq!(
        std::fs::read_to_string(home.credentials_path()).unwrap(),
        credentials,
        "their section is left as it was"
    );
    assert!(status_json(&home)["sessions"]
        .as_array()
        .unwrap()
        .is_empty());
}
