//! `rolekeeper activate` / `deactivate` against real files, with botocore and the AWS CLI v2
//! reading them back: after every edit they see exactly the profiles they saw before plus the
//! managed ones, the managed ones resolve to RoleKeeper's credentials, and deactivating gives
//! back both files byte for byte.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a panic is the failure report

use std::collections::BTreeSet;
use std::process::Output;

use rolekeeper_tests::{bin, botocore_view, describe, require_env, AwsHome};
use serde_json::Value;

const CONFIG: &str = "\
# team config: keep this comment
[default]
region = us-east-1

[profile prodaccess]
role_arn = arn:aws:iam::123456789012:role/ProdAccess
source_profile = dev
duration_seconds = 1800
region = us-east-1

[profile staging]   ; staging account
role_arn = arn:aws:iam::123456789012:role/Staging
source_profile = dev
output = json
";

/// Original credentials files with the constructs people really have. Each keeps `[dev]`.
const ORIGINALS: &[(&str, &str)] = &[
    ("plain", "[dev]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"),
    ("crlf without final newline", "[dev]\r\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\r\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    (
        "comments, blanks, tabs, unknown keys, other profiles",
        "# my keys -- do not lose this\n\n[dev]\naws_access_key_id\t=\tAKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nmy_note = keep me ; really\n\n\n; another comment\n[other]\naws_access_key_id=AKIAOTHER000000000000\naws_secret_access_key=other/secret\n\n",
    ),
    (
        "colon separators and odd spacing botocore accepts",
        "[dev]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n[legacy]\naws_access_key_id: AKIALEGACY0000000000\naws_secret_access_key:   legacy\n",
    ),
];

fn rk(home: &AwsHome, args: &[&str]) -> Output {
    home.command(bin("rolekeeper"))
        .args(args)
        .output()
        .expect("run rolekeeper")
}

/// The AWS CLI v2's list of profiles.
fn cli_profiles(home: &AwsHome) -> BTreeSet<String> {
    let aws = require_env("ROLEKEEPER_TEST_AWS_CLI");
    let out = home
        .command(aws)
        .args(["configure", "list-profiles"])
        .output()
        .expect("aws");
    assert!(out.status.success(), "AWS CLI: {}", describe(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The access key the AWS CLI v2 resolves for a profile.
fn cli_access_key(home: &AwsHome, profile: &str) -> String {
    let aws = require_env("ROLEKEEPER_TEST_AWS_CLI");
    let out = home
        .command(aws)
        .args([
            "configure",
            "export-credentials",
            "--profile",
            profile,
            "--format",
            "process",
        ])
        .output()
        .expect("aws");
    assert!(
        out.status.success(),
        "AWS CLI export-credentials {profile}: {}",
        describe(&out)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    doc["AccessKeyId"].as_str().expect("AccessKeyId").to_owned()
}

/// The access key RoleKeeper wrote into `profile`'s managed section.
fn written_key(home: &AwsHome, profile: &str) -> String {
    let text = std::fs::read_to_string(home.credentials_path()).expect("read");
    let start = text.find(&format!("[{profile}]")).expect("managed section");
    let line = text[start..]
        .lines()
        .find(|l| l.starts_with("aws_access_key_id = "))
        .expect("key line");
    line["aws_access_key_id = ".len()..].to_owned()
}

fn without(sections: &Value, names: &[&str]) -> Value {
    let mut map = sections.as_object().expect("object").clone();
    for name in names {
        map.remove(*name);
    }
    Value::Object(map)
}

#[test]
fn the_aws_tools_see_every_profile_before_and_after_and_the_bytes_come_back() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    for (label, original) in ORIGINALS {
        let home = AwsHome::new(CONFIG, original);
        let before = botocore_view(&home, &[]);
        let cli_before = cli_profiles(&home);

        let out = rk(&home, &["activate", "prodaccess", "staging"]);
        assert!(out.status.success(), "{label}: {}", describe(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("adopted [profile prodaccess]"),
            "{label}: {stdout}"
        );

        for round in ["activated", "refreshed"] {
            let after = botocore_view(&home, &["prodaccess", "staging"]);
            // Every profile botocore saw is still there, unchanged, in the credentials file.
            assert_eq!(
                without(&after["credentials"], &["prodaccess", "staging"]),
                before["credentials"],
                "{label} ({round}): other profiles changed"
            );
            for managed in ["prodaccess", "staging"] {
                let key = written_key(&home, managed);
                assert!(key.starts_with("ASIA"), "{label}: {key}");
                assert_eq!(
                    after["keys"][managed],
                    key.as_str(),
                    "{label} ({round}): botocore for {managed}"
                );
                assert_eq!(
                    cli_access_key(&home, managed),
                    key,
                    "{label} ({round}): AWS CLI for {managed}"
                );
            }
            let cli_after = cli_profiles(&home);
            assert!(
                cli_after.is_superset(&cli_before),
                "{label}: AWS CLI lost profiles"
            );
            // A refresh rewrites the sections in place.
            let out = rk(&home, &["activate", "prodaccess", "staging"]);
            assert!(out.status.success(), "{label}: {}", describe(&out));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(home.credentials_path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o644 & 0o777 & mode, "{label}: mode changed");
        }

        let out = rk(&home, &["deactivate", "staging", "prodaccess"]);
        assert!(out.status.success(), "{label}: {}", describe(&out));
        assert_eq!(
            std::fs::read_to_string(home.credentials_path()).unwrap(),
            *original,
            "{label}: credentials file not given back"
        );
        assert_eq!(
            std::fs::read_to_string(home.config_path()).unwrap(),
            CONFIG,
            "{label}: config not given back"
        );
    }
}

#[test]
fn a_profile_written_by_someone_else_is_a_conflict_not_an_overwrite() {
    let home = AwsHome::new(
        "[profile prodaccess]\nrole_arn = arn:aws:iam::123456789012:role/ProdAccess\nsource_profile = dev\n",
        "[dev]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = x\n[prodaccess]\naws_access_key_id = AKIAMINE\naws_secret_access_key = mine\n",
    );
    require_env("ROLEKEEPER_TEST_STS_URL");
    let before = std::fs::read(home.credentials_path()).unwrap();
    let out = rk(&home, &["activate", "prodaccess"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("profile `prodaccess`") && stderr.contains("line 4"),
        "{stderr}"
    );
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(
        std::fs::read(home.credentials_path()).unwrap(),
        before,
        "file changed"
    );
}

#[test]
fn an_edited_managed_section_is_reported_not_replaced() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let home = AwsHome::new(CONFIG, ORIGINALS[0].1);
    let out = rk(&home, &["activate", "prodaccess"]);
    assert!(out.status.success(), "{}", describe(&out));
    let edited = std::fs::read_to_string(home.credentials_path())
        .unwrap()
        .replace("aws_session_token = ", "aws_session_token = EDITED");
    std::fs::write(home.credentials_path(), &edited).unwrap();
    let out = rk(&home, &["activate", "prodaccess"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("changed by someone else"),
        "{}",
        describe(&out)
    );
    assert_eq!(
        std::fs::read_to_string(home.credentials_path()).unwrap(),
        edited
    );
    let out = rk(&home, &["activate", "prodaccess", "--force"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(!std::fs::read_to_string(home.credentials_path())
        .unwrap()
        .contains("EDITED"));
}

#[test]
fn without_adoption_the_session_is_reported_shadowed() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let home = AwsHome::new(CONFIG, ORIGINALS[0].1);
    let out = rk(&home, &["activate", "prodaccess", "--no-adopt"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("shadowed: role_arn at"),
        "{}",
        describe(&out)
    );
    assert_eq!(std::fs::read_to_string(home.config_path()).unwrap(), CONFIG);
    let status = rk(&home, &["status", "--json"]);
    let doc: Value = serde_json::from_slice(&status.stdout).expect("JSON");
    let shadow = doc["sessions"][0]["shadowed_by"]
        .as_str()
        .unwrap_or_default();
    assert!(
        shadow.starts_with("role_arn at") && shadow.ends_with("line 6"),
        "{doc}"
    );
}

#[test]
fn symlinked_credentials_file_is_written_at_its_target() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let home = AwsHome::new(CONFIG, "");
    let real = home.home().join("dotfiles-credentials");
    std::fs::write(&real, ORIGINALS[0].1).unwrap();
    std::fs::remove_file(home.credentials_path()).unwrap();
    std::os::unix::fs::symlink(&real, home.credentials_path()).unwrap();
    let out = rk(&home, &["activate", "prodaccess"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(std::fs::symlink_metadata(home.credentials_path())
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(std::fs::read_to_string(&real)
        .unwrap()
        .contains("[prodaccess]"));
}

#[test]
fn lines_some_aws_readers_refuse_are_named_with_file_and_line() {
    // `key: value` works for the AWS CLI but not for the Rust/Java/Go SDKs; a repeated key is the
    // reverse. RoleKeeper reads both and says which line each reader would refuse.
    let home = AwsHome::new(
        "[profile x]\nregion = us-east-1\nregion = eu-west-1\n",
        ORIGINALS[3].1,
    );
    let out = rk(&home, &["export", "legacy", "--format", "env-no-export"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "AWS_ACCESS_KEY_ID=AKIALEGACY0000000000\nAWS_SECRET_ACCESS_KEY=legacy\n"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let credentials = home.credentials_path();
    let config = home.config_path();
    for needle in [
        format!("warning: {}, line 5: `key: value`", credentials.display()),
        "the AWS SDKs for Rust, Java, Go and JavaScript reject the whole file".to_owned(),
        format!(
            "warning: {}, line 3: key `region` is repeated",
            config.display()
        ),
        "the AWS CLI, boto3 and botocore reject the whole file".to_owned(),
    ] {
        assert!(
            stderr.contains(&needle),
            "`{needle}` missing from:\n{stderr}"
        );
    }
}

/// Every case of crates/core/tests/data/profile-names.json (quoted and non-ASCII profile names,
/// and the corpus cases where botocore reads more than the SDKs' specification): botocore reads
/// the expected profiles, and `rolekeeper status` lists exactly those. The same file drives
/// RoleKeeper's own conformance test, so the expectations are botocore's, checked.
#[test]
fn botocore_and_rolekeeper_read_the_same_profile_names() {
    let data_dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/core/tests/data");
    let read = |name: &str| -> Value {
        serde_json::from_slice(&std::fs::read(data_dir.join(name)).expect(name)).expect("JSON")
    };
    let names = read("profile-names.json");
    let corpus = read("conformance/profile-parser-tests.json");
    // (name, input, RoleKeeper's profiles, botocore's profiles)
    let mut cases: Vec<(String, Value, Value, Value)> = names["tests"]
        .as_array()
        .expect("tests")
        .iter()
        .map(|c| {
            let name = c["name"].as_str().expect("name").to_owned();
            let profiles = c["profiles"].clone();
            (name, c["input"].clone(), profiles.clone(), profiles)
        })
        .collect();
    for deviation in names["corpusDeviations"].as_array().expect("deviations") {
        let name = deviation["name"].as_str().expect("name");
        let case = corpus["tests"]
            .as_array()
            .expect("corpus tests")
            .iter()
            .find(|c| c["name"] == name)
            .expect("the deviation's corpus case");
        let botocore = deviation
            .get("botocoreProfiles")
            .unwrap_or(&deviation["profiles"]);
        cases.push((
            name.to_owned(),
            case["input"].clone(),
            deviation["profiles"].clone(),
            botocore.clone(),
        ));
    }
    assert!(cases.len() >= 13, "cases went missing");
    for (name, input, want, botocore_want) in cases {
        let home = AwsHome::new(
            input["configFile"].as_str().unwrap_or(""),
            input["credentialsFile"].as_str().unwrap_or(""),
        );
        let botocore = botocore_view(&home, &[]);
        assert_eq!(botocore["profiles"], botocore_want, "{name}: botocore");

        let out = rk(&home, &["status", "--json"]);
        assert!(out.status.success(), "{name}: {}", describe(&out));
        let status: Value = serde_json::from_slice(&out.stdout).expect("status JSON");
        let listed: BTreeSet<&str> = status["profiles"]
            .as_array()
            .expect("profiles")
            .iter()
            .map(|p| p["name"].as_str().expect("name"))
            .collect();
        let wanted: BTreeSet<&str> = want
            .as_object()
            .expect("profiles")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(listed, wanted, "{name}: rolekeeper status");
    }
}

/// A role profile with a quoted, non-ASCII name: activated, its session is written where
/// botocore and the AWS CLI v2 find it under that name, and deactivating gives both files back.
#[test]
fn a_quoted_non_ascii_profile_is_served_under_its_name() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let name = "Zürich prod";
    let config = "[profile \"Zürich prod\"]\nrole_arn = arn:aws:iam::123456789012:role/Zurich\n\
                  source_profile = dev\nregion = eu-central-2\n";
    let credentials = ORIGINALS[0].1;
    let home = AwsHome::new(config, credentials);

    let status = rk(&home, &["status"]);
    assert!(
        String::from_utf8_lossy(&status.stdout).contains(name),
        "{}",
        describe(&status)
    );
    let out = rk(&home, &["activate", name]);
    assert!(out.status.success(), "{}", describe(&out));
    let key = written_key(&home, name);
    assert!(key.starts_with("ASIA"), "{key}");
    let after = botocore_view(&home, &[name]);
    assert_eq!(after["keys"][name], key.as_str(), "botocore");
    assert_eq!(cli_access_key(&home, name), key, "AWS CLI");

    let out = rk(&home, &["deactivate", name]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(
        std::fs::read_to_string(home.credentials_path()).unwrap(),
        credentials
    );
    assert_eq!(std::fs::read_to_string(home.config_path()).unwrap(), config);
}
