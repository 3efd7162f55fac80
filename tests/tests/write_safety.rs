//! The credentials file survives a writer killed at any moment, and another tool editing it the
//! whole time loses nothing.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a panic is the failure report
#![allow(clippy::disallowed_methods)] // end to end: the real clock paces the test

use std::path::Path;
use std::time::Duration;

use rolekeeper_core::credfile::{managed, Document};
use rolekeeper_tests::{bin, describe, numbered_credentials, require_env, AwsHome, ChildGuard};

const ORIGINAL: &str = "# mine\n[dev]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";

/// The file is the original, or the original plus a whole managed section for some k.
fn assert_whole(text: &str, round: usize) {
    if text == ORIGINAL {
        return;
    }
    let start = text
        .find("aws_access_key_id = ASIA")
        .unwrap_or_else(|| panic!("round {round}: not a known state:\n{text}"));
    let digits = &text[start + "aws_access_key_id = ASIA".len()..][..16];
    let k: u64 = digits
        .parse()
        .unwrap_or_else(|_| panic!("round {round}: torn key id:\n{text}"));
    let mut doc = Document::parse(ORIGINAL.as_bytes());
    managed::upsert(&mut doc, "rk", &numbered_credentials(k), None, true).unwrap();
    assert_eq!(
        String::from_utf8(doc.to_bytes()).unwrap(),
        text,
        "round {round}: partial or mixed content"
    );
}

/// A small deterministic generator, so a failure can be reproduced.
fn next(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    *seed >> 33
}

#[test]
fn a_writer_killed_at_random_moments_never_leaves_a_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials");
    std::fs::write(&path, ORIGINAL).unwrap();
    let mut seed = 0x5eed_u64;
    let rounds = 1000;
    let mut changed = 0;
    for round in 0..rounds {
        let mut child = ChildGuard(
            std::process::Command::new(bin("rk-write-loop"))
                .arg(&path)
                .arg((round as u64 * 1_000_000).to_string())
                .spawn()
                .expect("start writer"),
        );
        // From before the first write to many writes in.
        std::thread::sleep(Duration::from_micros(next(&mut seed) % 6_000));
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        let text = std::fs::read_to_string(&path).unwrap();
        if text != ORIGINAL {
            changed += 1;
        }
        assert_whole(&text, round);
    }
    assert!(
        changed > rounds / 2,
        "the writer rarely got to write ({changed} of {rounds}); the test proves little"
    );
    // Temp files of killed writers are cleaned up by the next write.
    rolekeeper_core::credfile::write::update(&path, |_| Ok::<_, std::io::Error>(()), |_, _| Ok(()))
        .unwrap();
    let mut doc = Document::parse(std::fs::read(&path).unwrap().as_slice());
    managed::upsert(&mut doc, "rk", &numbered_credentials(1), None, true).unwrap();
    rolekeeper_core::credfile::write::update(
        &path,
        |d| {
            *d = doc.clone();
            Ok::<_, std::io::Error>(())
        },
        |_, _| Ok(()),
    )
    .unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}

/// Another tool (a Python script doing read-modify-write with a rename, as careful tools do)
/// edits an unmanaged profile as fast as it can while `rolekeeper activate` refreshes two managed
/// sessions over and over. Every edit of the other tool must survive.
#[test]
fn another_writer_s_edits_are_never_lost() {
    require_env("ROLEKEEPER_TEST_STS_URL");
    let python = require_env("ROLEKEEPER_TEST_PYTHON");
    let seconds: u64 = std::env::var("ROLEKEEPER_CONCURRENCY_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let home = AwsHome::new(
        "[profile prodaccess]\nrole_arn = arn:aws:iam::123456789012:role/ProdAccess\nsource_profile = dev\n\
         [profile staging]\nrole_arn = arn:aws:iam::123456789012:role/Staging\nsource_profile = dev\n",
        &format!("{ORIGINAL}\n[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = other\nedits = 0\n"),
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("support/other_writer.py");
    let log = home.home().join("other-writer.log");
    let mut writer = ChildGuard(
        std::process::Command::new(python)
            .arg(script)
            .arg(home.credentials_path())
            .arg(seconds.to_string())
            .arg(&log)
            .spawn()
            .expect("start the other writer"),
    );
    let mut refreshes = 0;
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(seconds) {
        let out = home
            .command(bin("rolekeeper"))
            .args(["activate", "prodaccess", "staging"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "refresh {refreshes}: {}",
            describe(&out)
        );
        refreshes += 1;
    }
    let status = writer.wait().expect("other writer");
    assert!(
        status.success(),
        "the other writer failed: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let last: u64 = std::fs::read_to_string(&log)
        .unwrap()
        .trim()
        .parse()
        .expect("last edit number");
    let text = std::fs::read_to_string(home.credentials_path()).unwrap();
    assert!(
        text.contains(&format!("\nedits = {last}\n")),
        "the other writer's edit {last} is lost:\n{text}"
    );
    assert!(text.starts_with(ORIGINAL), "{text}");
    for name in ["[prodaccess]", "[staging]"] {
        assert_eq!(
            text.matches(name).count(),
            1,
            "{name} not exactly once:\n{text}"
        );
    }
    assert!(
        last > 100 && refreshes > 20,
        "too little contention to prove anything: {last} edits, {refreshes} refreshes"
    );
    eprintln!("{last} edits by the other writer, {refreshes} refreshes of 2 sessions, none lost");
}
