//! A change touches up to three files (the credentials file, `~/.aws/config`, RoleKeeper's
//! state): whatever stops it half-way, nothing the user wrote is lost and `deactivate` gives both
//! files back byte for byte. Live against moto:
//! - `activate` and `deactivate` SIGKILLed at random moments, a hundred times a round;
//! - `activate --force` over the user's own section, then renewals, foreign edits and more
//!   backups than are kept: `deactivate` gives the user's keys back;
//! - a state directory with no space left: `activate` and `deactivate` complete or change
//!   nothing, and say which directory is full.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a panic is the failure report

use std::time::Duration;

use rolekeeper_tests::{bin, describe, require_env, AwsHome, ChildGuard};

const CONFIG: &str = "\
# my profiles
[profile k]
role_arn = arn:aws:iam::123456789012:role/Crash
source_profile = dev
region = us-east-1
";
const CREDENTIALS: &str = "\
# mine
[dev]
aws_access_key_id = AKIACRASHSAFETY00001
aws_secret_access_key = crashSafetySourceSecret00000000000000000";

/// A small deterministic generator, so a failure can be reproduced from its round.
fn next(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    *seed >> 33
}

fn run(home: &AwsHome, args: &[&str]) -> std::process::Output {
    home.command(bin("rolekeeper"))
        .args(args)
        .output()
        .expect("run rolekeeper")
}

fn files(home: &AwsHome) -> (String, String) {
    (
        std::fs::read_to_string(home.config_path()).unwrap(),
        std::fs::read_to_string(home.credentials_path()).unwrap(),
    )
}

#[test]
fn activate_and_deactivate_killed_at_random_moments_lose_nothing() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    for round in 0..3u64 {
        let home = AwsHome::new(CONFIG, CREDENTIALS);
        let mut seed = 0xC0FFEE + round;
        let mut killed = 0;
        for i in 0..100 {
            let verb = if next(&mut seed).is_multiple_of(2) {
                "activate"
            } else {
                "deactivate"
            };
            let mut child = ChildGuard(
                home.command(bin("rolekeeper"))
                    .args([verb, "k"])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .expect("start rolekeeper"),
            );
            // From before it reads anything to after it has written everything.
            std::thread::sleep(Duration::from_micros(next(&mut seed) % 40_000));
            if child.try_wait().unwrap().is_none() {
                child.kill().unwrap();
                killed += 1;
            }
            let status = child.wait().unwrap();
            assert!(
                status.code().is_none_or(|c| c == 0),
                "round {round}, run {i}: {verb} failed by itself ({status:?}): {}",
                String::from_utf8_lossy(&run(&home, &["status"]).stdout)
            );
        }
        let out = run(&home, &["deactivate", "k"]);
        assert!(out.status.success(), "round {round}: {}", describe(&out));
        assert_eq!(
            files(&home),
            (CONFIG.to_owned(), CREDENTIALS.to_owned()),
            "round {round} ({killed} of 100 killed): both files as they were"
        );
        let status =
            String::from_utf8_lossy(&run(&home, &["status", "--json"]).stdout).into_owned();
        assert!(
            status.contains("\"sessions\": []"),
            "round {round}: nothing active: {status}"
        );
        println!("round {round}: {killed} of 100 runs killed; files given back");
    }
}

#[test]
fn a_forced_takeover_gives_the_user_s_keys_back_after_renewals_and_backups() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let mine = "[k]\naws_access_key_id = AKIAMYOWNKEYS0000001\naws_secret_access_key = myOwnSecretThatMustSurvive0000000000000\n";
    let credentials = format!("{CREDENTIALS}\n\n{mine}");
    let home = AwsHome::new(CONFIG, &credentials);
    let out = run(&home, &["activate", "k"]);
    assert_eq!(out.status.code(), Some(1), "a conflict without --force");
    let out = run(&home, &["activate", "k", "--force"]);
    assert!(out.status.success(), "{}", describe(&out));
    let (_, now) = files(&home);
    assert!(!now.contains("myOwnSecretThatMustSurvive"), "{now}");

    // Other tools edit the file, RoleKeeper renews: more backups than the five kept.
    let mut expected = credentials.clone();
    for i in 0..7 {
        let (_, mut text) = files(&home);
        let extra = format!("\n[other{i}]\nregion = eu-west-{i}\n");
        text.push_str(&extra);
        std::fs::write(home.credentials_path(), &text).unwrap();
        expected.push_str(&extra);
        let out = run(&home, &["login", "k"]);
        assert!(out.status.success(), "login {i}: {}", describe(&out));
    }
    let backups = home.home().join(".local/state/rolekeeper/backups");
    let kept = std::fs::read_dir(&backups).unwrap().count();
    assert_eq!(kept, 5, "the rotation kept five backups");
    let in_backups = std::fs::read_dir(&backups)
        .unwrap()
        .filter(|e| {
            std::fs::read_to_string(e.as_ref().unwrap().path())
                .unwrap()
                .contains("myOwnSecretThatMustSurvive")
        })
        .count();
    assert_eq!(
        in_backups, 0,
        "the backup with the user's keys has rotated away"
    );

    let out = run(&home, &["deactivate", "k"]);
    assert!(out.status.success(), "{}", describe(&out));
    let (config, now) = files(&home);
    assert_eq!(config, CONFIG, "the config given back");
    // The user's section back where it was, byte for byte; the other tools' edits kept.
    let (before_mine, after_mine) = expected.split_at(expected.find("[k]").unwrap());
    assert_eq!(now, format!("{before_mine}{after_mine}"));
    assert!(now.contains(mine), "{now}");
    let taken = home.home().join(".local/state/rolekeeper/taken");
    assert_eq!(
        std::fs::read_dir(&taken).map(|d| d.count()).unwrap_or(0),
        0,
        "the kept copy goes once given back"
    );
}

/// `unshare` gives this test a mount namespace of its own, where a 64 KiB tmpfs is the state
/// directory (no root needed where user namespaces are enabled; a missing `unshare` or a kernel
/// that refuses is a failure that says so).
#[test]
fn a_full_state_directory_changes_nothing_and_says_so() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let home = AwsHome::new(CONFIG, CREDENTIALS);
    let state = home.home().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let script = r#"set -u
mount -t tmpfs -o size=64k,mode=0700 tmpfs "$STATE" || { echo "cannot mount a tmpfs"; exit 90; }
rk() { "$RK" "$@"; echo "exit $?"; }
rk activate k >/dev/null
cp "$AWS_CONFIG_FILE" "$HOME/config.active"; cp "$AWS_SHARED_CREDENTIALS_FILE" "$HOME/credentials.active"
dd if=/dev/zero of="$STATE/fill" bs=1k 2>/dev/null
sync
echo "--- activate y"
rk activate y 2>&1
cmp -s "$AWS_SHARED_CREDENTIALS_FILE" "$HOME/credentials.active" && echo "credentials unchanged"
cmp -s "$AWS_CONFIG_FILE" "$HOME/config.active" && echo "config unchanged"
echo "--- deactivate k"
rk deactivate k 2>&1
cmp -s "$AWS_SHARED_CREDENTIALS_FILE" "$HOME/credentials.active" && echo "credentials unchanged"
cmp -s "$AWS_CONFIG_FILE" "$HOME/config.active" && echo "config unchanged"
rm "$STATE/fill"
echo "--- deactivate k with room"
rk deactivate k
"#;
    let config = format!(
        "{CONFIG}[profile y]\nrole_arn = arn:aws:iam::123456789012:role/Y\nsource_profile = dev\n"
    );
    std::fs::write(home.config_path(), &config).unwrap();
    let out = home
        .command("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c", script])
        .env("RK", bin("rolekeeper"))
        .env("STATE", &state)
        .env("ROLEKEEPER_STATE_DIR", &state)
        .env("AWS_CONFIG_FILE", home.config_path())
        .env("AWS_SHARED_CREDENTIALS_FILE", home.credentials_path())
        .output()
        .expect("unshare (util-linux)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the script (a 64 KiB tmpfs in a namespace of its own: user namespaces must be enabled): {}",
        describe(&out)
    );
    let part = |title: &str| -> String {
        let start = text
            .find(title)
            .unwrap_or_else(|| panic!("no {title}: {text}"));
        let rest = &text[start + title.len()..];
        rest[..rest.find("---").unwrap_or(rest.len())].to_owned()
    };
    for step in ["--- activate y", "--- deactivate k\n"] {
        let said = part(step);
        assert!(said.contains("exit 1"), "{step} fails: {said}");
        assert!(
            said.contains("No space left on device") && said.contains(&state.display().to_string()),
            "{step}: the error names the state directory and the lack of space: {said}"
        );
        assert!(
            said.contains("credentials unchanged") && said.contains("config unchanged"),
            "{step} changed nothing: {said}"
        );
        assert!(!said.contains("crashSafetySourceSecret"), "{said}");
    }
    assert!(
        part("--- deactivate k with room").contains("exit 0"),
        "{text}"
    );
    assert_eq!(
        files(&home),
        (config, CREDENTIALS.to_owned()),
        "with room again, deactivate gives both files back"
    );
}
