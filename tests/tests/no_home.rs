//! Without HOME and the XDG variables (a systemd unit, a cron job), RoleKeeper finds the home
//! directory in the password database, and refuses in words when there is none: it never writes
//! under the working directory (it used to create `./.local/state/rolekeeper` there).
//!
//! The password database is made up: each command runs in a mount namespace (`unshare`) where a
//! file of the test's is bind-mounted over /etc/passwd, so the account's home is a throw-away
//! directory and no real home is touched.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a panic is the failure report

use std::path::Path;
use std::process::Output;

use rolekeeper_tests::{bin, describe, require_env, AwsHome};

const CONFIG: &str = "\
[profile prodaccess]
role_arn = arn:aws:iam::123456789012:role/ProdAccess
source_profile = dev
";

const CREDENTIALS: &str = "\
[dev]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
";

/// `rolekeeper ARGS` run from `cwd` with no HOME and no XDG directories, for a password database
/// whose entry for the user (uid 0 in the namespace) has `home` as its home directory.
fn rolekeeper_without_home(aws: &AwsHome, home: &str, cwd: &Path, args: &[&str]) -> Output {
    let passwd = cwd.parent().expect("parent").join("passwd");
    std::fs::write(&passwd, format!("root:x:0:0:root:{home}:/bin/sh\n")).expect("passwd");
    let mut cmd = aws.command("unshare");
    cmd.args(["--mount", "--map-root-user", "--", "sh", "-c"])
        .arg(r#"mount --bind "$0" /etc/passwd && exec "$@""#)
        .arg(&passwd)
        .arg(bin("rolekeeper"))
        .args(args)
        .current_dir(cwd);
    for var in [
        "HOME",
        "XDG_STATE_HOME",
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "XDG_CACHE_HOME",
        "ROLEKEEPER_STATE_DIR",
    ] {
        cmd.env_remove(var);
    }
    cmd.output().expect("run rolekeeper under unshare")
}

/// Everything under `dir`, for the assertion message.
fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn without_home_the_password_database_says_where_and_the_working_directory_stays_empty() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let aws = AwsHome::new(CONFIG, CREDENTIALS);
    let home = aws.home().display().to_string();
    let scratch = tempfile::tempdir().expect("tempdir");
    let cwd = scratch.path().join("cwd");
    std::fs::create_dir(&cwd).expect("mkdir");

    for args in [
        &["status"][..],
        &["activate", "prodaccess"],
        &["status"],
        &["doctor"],
    ] {
        let out = rolekeeper_without_home(&aws, &home, &cwd, args);
        // doctor may warn (no notification server in the namespace's view); it must not fail on
        // the files.
        if args != ["doctor"] {
            assert!(out.status.success(), "{args:?}: {}", describe(&out));
        }
        assert_eq!(
            entries(&cwd),
            Vec::<String>::new(),
            "{args:?} wrote under the working directory"
        );
    }
    // The session went to the password database's home: its credentials file and state.
    let credentials = std::fs::read_to_string(aws.credentials_path()).expect("credentials");
    assert!(credentials.contains("[prodaccess]"), "{credentials}");
    let state = aws.home().join(".local/state/rolekeeper/state.json");
    let text = std::fs::read_to_string(&state).expect("state.json in the account's home");
    assert!(text.contains("prodaccess"), "{text}");
    let out = rolekeeper_without_home(&aws, &home, &cwd, &["status"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("prodaccess  fresh"),
        "{}",
        describe(&out)
    );
    let out = rolekeeper_without_home(&aws, &home, &cwd, &["deactivate", "prodaccess"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(entries(&cwd), Vec::<String>::new());
}

#[test]
fn without_home_and_without_a_home_in_the_password_database_it_refuses_in_words() {
    let aws = AwsHome::new(CONFIG, CREDENTIALS);
    let scratch = tempfile::tempdir().expect("tempdir");
    let cwd = scratch.path().join("cwd");
    std::fs::create_dir(&cwd).expect("mkdir");
    // An entry with an empty home field, and one with a relative one.
    for home in ["", "relative/home"] {
        for args in [&["status"][..], &["activate", "prodaccess"]] {
            let out = rolekeeper_without_home(&aws, home, &cwd, args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(1),
                "{home:?} {args:?}: {}",
                describe(&out)
            );
            assert!(
                stderr.contains("cannot tell where your home directory is")
                    && stderr.contains("set HOME (or AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, XDG_STATE_HOME, XDG_CONFIG_HOME)"),
                "{home:?} {args:?}: {stderr}"
            );
            assert_eq!(entries(&cwd), Vec::<String>::new(), "{home:?} {args:?}");
        }
    }
}
