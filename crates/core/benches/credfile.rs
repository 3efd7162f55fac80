//! Refreshing 20 managed sessions in a credentials file of 5,000 profiles: parse, edit the 20
//! sections, render, and write atomically (with fsync), as one update does. Compared in
//! BENCHMARKS.md with botocore merely parsing the same file (`benches/botocore_parse.py`).
//!
//! `cargo bench -p rolekeeper-core --bench credfile`; the generated file is also written to
//! `$CARGO_TARGET_DIR/bench-credentials` for the Python side.
#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

use std::time::{Duration, UNIX_EPOCH};

use criterion::{criterion_group, criterion_main, Criterion};
use rolekeeper_core::credfile::managed::{self, SectionRecord};
use rolekeeper_core::credfile::{write, Document};
use rolekeeper_core::{Credentials, Secret};

const PROFILES: usize = 5_000;
const MANAGED: usize = 20;

fn creds(round: u64, i: usize) -> Credentials {
    Credentials {
        access_key_id: format!("ASIA{round:08}{i:08}"),
        secret_access_key: Secret::new(format!("{round}/{i}/{}", "s".repeat(30))),
        session_token: Some(Secret::new(format!("{round}{i}{}", "t".repeat(350)))),
        expiration: Some(UNIX_EPOCH + Duration::from_secs(1_800_000_000 + round)),
    }
}

/// 5,000 user profiles (with comments and blank lines) plus 20 managed sessions.
fn file() -> (Vec<u8>, Vec<SectionRecord>) {
    let mut text = String::from("# credentials of a large organisation\n");
    for i in 0..PROFILES {
        text.push_str(&format!(
            "\n# account {i}\n[user-{i}]\naws_access_key_id = AKIA{i:016}\naws_secret_access_key = {}\n",
            "k".repeat(40)
        ));
    }
    let mut doc = Document::parse(text.as_bytes());
    let records = (0..MANAGED)
        .map(|i| {
            managed::upsert(&mut doc, &format!("session-{i}"), &creds(0, i), None, false).unwrap()
        })
        .collect();
    (doc.to_bytes(), records)
}

fn bench(c: &mut Criterion) {
    let (bytes, records) = file();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials");
    std::fs::write(&path, &bytes).unwrap();
    if let Ok(target) = std::env::var("CARGO_TARGET_DIR") {
        let _ = std::fs::write(
            std::path::Path::new(&target).join("bench-credentials"),
            &bytes,
        );
    }
    let mut group = c.benchmark_group("credentials file, 5,000 profiles");
    group.sample_size(30);
    group.bench_function(
        "parse + edit 20 managed sections + render (in memory)",
        |b| {
            let mut round = 1;
            b.iter(|| {
                let mut doc = Document::parse(&bytes);
                for (i, record) in records.iter().enumerate() {
                    managed::upsert(
                        &mut doc,
                        &format!("session-{i}"),
                        &creds(round, i),
                        Some(record),
                        true,
                    )
                    .unwrap();
                }
                round += 1;
                doc.to_bytes()
            });
        },
    );
    group.bench_function(
        "whole update: lock, read, edit 20, write atomically with fsync",
        |b| {
            let mut round = 1;
            b.iter(|| {
                write::update(
                    &path,
                    |doc| {
                        for i in 0..MANAGED {
                            managed::upsert(
                                doc,
                                &format!("session-{i}"),
                                &creds(round, i),
                                None,
                                true,
                            )
                            .map_err(|c| std::io::Error::other(format!("{c:?}")))?;
                        }
                        Ok::<_, std::io::Error>(())
                    },
                    |_, _| Ok(()),
                )
                .unwrap();
                round += 1;
            });
        },
    );
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
