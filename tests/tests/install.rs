//! The install step as a new user meets it: `scripts/install.sh` (what `scripts/run.sh` runs
//! after its build) puts `rolekeeper` in a fresh HOME's `~/.local/bin`, says that directory is
//! not on PATH yet, and from then on a shell runs `rolekeeper` by name, and the AWS CLI runs the
//! `credential_process = rolekeeper …` line that `source import` wrote.
//!
//! The keychain is the desktop session's gnome-keyring (scripts/with-desktop-session.sh); STS is
//! moto; the AWS CLI v2 is the oracle.
#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a panic is the failure report

use std::path::Path;
use std::process::Output;

use rolekeeper_tests::{bin, bin_dir, describe, require_env, AwsHome, ForgetKeychainEntries};

const KEY_ID: &str = "AKIAINSTALLEXAMPLE01";

fn ok(output: Output) -> String {
    assert!(output.status.success(), "{}", describe(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn after_the_install_step_rolekeeper_runs_by_name_and_the_aws_cli_uses_an_imported_profile() {
    let aws = require_env("ROLEKEEPER_TEST_AWS_CLI");
    require_env("ROLEKEEPER_TEST_STS_URL");
    let _keyring = rolekeeper_tests::keyring_use(false);
    // Built before the tests; the step copies them.
    bin("rolekeeper");
    bin("rolekeeper-desktop");
    bin("rolekeeper-window");
    let name = format!("t{}-inst", std::process::id());
    let secret = format!("instSecret{}K7MDENGbPxRfiCYEXAMPLEKEY", std::process::id());
    // The import's source and the session token it serves, gone even when the test fails.
    let _forget = ForgetKeychainEntries(vec![format!("source:{name}"), format!("token:{name}")]);
    let home = AwsHome::new(
        &format!("[profile {name}]\nregion = us-east-1\n"),
        &format!("[{name}]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {secret}\n"),
    );
    let local_bin = home.home().join(".local/bin");
    let system_path = "/usr/local/bin:/usr/bin:/bin";

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/install.sh");
    let installed = home
        .command(&script)
        .arg(bin_dir())
        .env("PATH", system_path)
        .env_remove("ROLEKEEPER_INSTALL_DIR")
        .output()
        .expect("scripts/install.sh");
    assert!(installed.status.success(), "{}", describe(&installed));
    let said = String::from_utf8_lossy(&installed.stderr);
    assert!(
        said.contains(&format!("{} is not on PATH yet", local_bin.display())),
        "the step must say that ~/.local/bin is not on PATH: {said}"
    );
    for program in ["rolekeeper", "rolekeeper-desktop", "rolekeeper-window"] {
        assert!(local_bin.join(program).is_file(), "{program} not installed");
    }

    // The user adds it to PATH, as told; a shell then finds `rolekeeper` by name.
    let path = format!("{}:{system_path}", local_bin.display());
    let shell = |line: &str| {
        home.command("/bin/sh")
            .args(["-c", line])
            .env("PATH", &path)
            .output()
            .expect("sh")
    };
    let status = ok(shell("rolekeeper status"));
    assert!(status.contains(&name), "{status}");
    ok(shell(&format!("rolekeeper source import {name}")));
    let config = std::fs::read_to_string(home.config_path()).unwrap();
    assert!(
        config.contains(&format!(
            "credential_process = rolekeeper credential-process {name}"
        )),
        "{config}"
    );

    // The AWS CLI runs that line by name: a session of the imported keys (moto's GetSessionToken),
    // not the keys.
    let exported = home
        .command(&aws)
        .args([
            "configure",
            "export-credentials",
            "--profile",
            &name,
            "--format",
            "process",
        ])
        .env("PATH", &path)
        .output()
        .expect("the AWS CLI");
    let document: serde_json::Value = serde_json::from_str(&ok(exported)).unwrap();
    let served = document["AccessKeyId"].as_str().unwrap_or_default();
    assert!(
        document["SessionToken"].is_string() && document["Expiration"].is_string(),
        "a session token from the keychain source, not the long-term keys: {document}"
    );
    assert_ne!(served, KEY_ID);
}
