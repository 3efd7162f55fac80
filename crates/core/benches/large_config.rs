//! `rolekeeper status` on large configs (BENCHMARKS.md, "status on large configs"): reading
//! `~/.aws/config` of 1, 4 and 20 MB the way every command does (read, the botocore checks, the
//! strict parse, the merge: `Engine::load_profiles`), and one edit of it by the lossless editor
//! (parse, adopt the last profile's role lines, render). Both must grow linearly with the size.
//!
//! `cargo bench -p rolekeeper-core --bench large_config`; the files are the shape
//! `benches/large_config.py` writes for timing the binary.
#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rolekeeper_core::clock::SystemClock;
use rolekeeper_core::credfile::{adopt, Document};
use rolekeeper_core::env::{MapEnv, RealFs};
use rolekeeper_core::Engine;

/// A config of about `megabytes` MB: role profiles with a comment and a blank line each, as in
/// `benches/large_config.py`. Returns the text and the last profile's name.
fn config(megabytes: usize) -> (String, String) {
    let mut text = String::from("[default]\nregion = eu-west-1\n");
    let mut i = 0;
    while text.len() < megabytes << 20 {
        text.push_str(&format!(
            "\n# team {i}\n[profile team-{i}]\nrole_arn = arn:aws:iam::{}:role/Team{i}\n\
             source_profile = base\nregion = eu-west-1\n",
            100_000_000_000u64 + i
        ));
        i += 1;
    }
    (text, format!("team-{}", i - 1))
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let credentials = dir.path().join("credentials");
    std::fs::write(
        &credentials,
        "[base]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n",
    )
    .unwrap();
    let mut group = c.benchmark_group("large config");
    group.sample_size(10);
    for megabytes in [1, 4, 20] {
        let (text, last) = config(megabytes);
        let path = dir.path().join(format!("config-{megabytes}"));
        std::fs::write(&path, &text).unwrap();
        let env = MapEnv::default()
            .with("HOME", &dir.path().display().to_string())
            .with("AWS_CONFIG_FILE", &path.display().to_string())
            .with(
                "AWS_SHARED_CREDENTIALS_FILE",
                &credentials.display().to_string(),
            );
        let engine = Engine::new(Arc::new(env), Arc::new(RealFs), Arc::new(SystemClock));
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("load_profiles (read, check, parse, merge)", megabytes),
            &engine,
            |b, engine| {
                b.iter(|| {
                    let set = engine.load_profiles().unwrap();
                    assert!(set.get(&last).is_some());
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("editor: parse + adopt the last profile + render", megabytes),
            &text,
            |b, text| {
                b.iter(|| {
                    let mut doc = Document::parse(text.as_bytes());
                    assert_eq!(adopt::adopt(&mut doc, &last).len(), 2);
                    doc.to_bytes()
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
