//! The engine's I/O budget: one read of each file per operation. Every read of the AWS files and
//! of RoleKeeper's own JSON files goes through the injected file system, here one that counts
//! them, with moto as STS. A batch of 200 renewals, `status` of 100 sessions and a cold
//! `credential-process` each read each file at most once, besides the state the locked commit
//! reads again (its guard against other writers). Counts grow with n if anything is read per
//! session: what a timing would hide.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a panic is the failure report
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rolekeeper_core::clock::SystemClock;
use rolekeeper_core::env::{CountingFs, Fs, MapEnv, RealFs};
use rolekeeper_core::keychain::MemoryStore;
use rolekeeper_core::{
    ActivateOptions, CredentialRequest, Engine, EngineHandle, Event, NoMfaPrompt,
};
use rolekeeper_tests::require_env;

/// A HOME with `n` role profiles of one source, each lasting 900 s.
struct Setup {
    home: tempfile::TempDir,
    fs: CountingFs,
    engine: Engine,
}

impl Setup {
    fn new(n: usize) -> Self {
        let sts = require_env("ROLEKEEPER_TEST_STS_URL");
        let home = tempfile::tempdir().expect("tempdir");
        let aws = home.path().join(".aws");
        std::fs::create_dir_all(&aws).expect("mkdir");
        let mut config = String::new();
        for i in 0..n {
            config.push_str(&format!(
                "[profile r{i:03}]\nrole_arn = arn:aws:iam::123456789012:role/Budget{i}\n\
                 source_profile = src\nduration_seconds = 900\nregion = us-east-1\n\n"
            ));
        }
        std::fs::write(aws.join("config"), config).expect("config");
        std::fs::write(
            aws.join("credentials"),
            "[src]\naws_access_key_id = AKIAIOBUDGETEXAMPLE1\n\
             aws_secret_access_key = budget-secret-not-real\n",
        )
        .expect("credentials");
        let env = MapEnv::default()
            .with("HOME", &home.path().display().to_string())
            .with("AWS_ENDPOINT_URL_STS", &sts)
            // Nothing due by the schedule while the test runs (renewed 10 min after they are
            // obtained): the one batch is the one the test asks for.
            .with("ROLEKEEPER_REFRESH_BEFORE", "5m");
        let fs = CountingFs::new(Arc::new(RealFs));
        let engine = Engine::new(
            Arc::new(env),
            Arc::new(fs.clone()) as Arc<dyn Fs>,
            Arc::new(SystemClock),
        )
        .with_secret_store(Arc::new(MemoryStore::default()));
        Self { home, fs, engine }
    }

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("r{i:03}")).collect()
    }

    /// Reads of each file RoleKeeper reads, by a short name; files read 0 times are listed too.
    fn reads(&self) -> BTreeMap<&'static str, usize> {
        let home = self.home.path();
        let state = home.join(".local/state/rolekeeper");
        let files: [(&str, PathBuf); 5] = [
            ("config", home.join(".aws/config")),
            ("credentials", home.join(".aws/credentials")),
            ("state.json", state.join("state.json")),
            ("sources.json", state.join("sources.json")),
            (
                "settings.json",
                home.join(".config/rolekeeper/settings.json"),
            ),
        ];
        let mut reads: BTreeMap<&str, usize> = files
            .iter()
            .map(|(name, path)| (*name, self.fs.count(path)))
            .collect();
        let known: Vec<&Path> = files.iter().map(|(_, p)| p.as_path()).collect();
        let others: usize = self
            .fs
            .counts()
            .iter()
            .filter(|(path, _)| !known.contains(&path.as_path()))
            .map(|(_, n)| n)
            .sum();
        reads.insert("other files", others);
        reads
    }

    fn activate_all(&self, runtime: &tokio::runtime::Runtime, n: usize) {
        for name in Self::names(n) {
            runtime
                .block_on(self.engine.activate(
                    &name,
                    &CredentialRequest::default(),
                    &NoMfaPrompt,
                    ActivateOptions::default(),
                ))
                .unwrap_or_else(|e| panic!("activate {name}: {e}"));
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Each file at most once; the state at most twice when a commit re-reads it under the lock.
fn assert_within_budget(what: &str, reads: &BTreeMap<&str, usize>, commits: bool) {
    let state_budget = if commits { 2 } else { 1 };
    let over: Vec<String> = reads
        .iter()
        .filter(|(file, n)| {
            let budget = if **file == "state.json" {
                state_budget
            } else if **file == "other files" {
                0
            } else {
                1
            };
            **n > budget
        })
        .map(|(file, n)| format!("{file} read {n} times"))
        .collect();
    // The counting sees the reads at all (a read around the injected file system would pass the
    // budget unseen).
    for file in ["config", "state.json"] {
        assert!(
            reads[file] >= 1,
            "{what}: {file} not read through the file system: {reads:?}"
        );
    }
    assert!(
        over.is_empty(),
        "{what}: each file is read at most once (the state once more under the commit's lock): \
         {}; all reads: {reads:?}",
        over.join(", ")
    );
}

#[test]
fn a_batch_of_200_renewals_reads_each_file_once() {
    const N: usize = 200;
    let setup = Setup::new(N);
    let runtime = runtime();
    setup.activate_all(&runtime, N);
    runtime.block_on(async {
        let handle = EngineHandle::spawn(Arc::new(setup.engine.clone()));
        let mut events = handle.subscribe();
        // The start-up look (a reload and the first plan) is not the batch.
        loop {
            match tokio::time::timeout(Duration::from_secs(30), events.recv()).await {
                Ok(Ok(Event::Reloaded { .. })) => break,
                Ok(Ok(_)) => {}
                other => panic!("no Reloaded from the engine: {other:?}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        setup.fs.reset();
        handle.refresh_all();
        let mut refreshed = 0;
        while refreshed < N {
            match tokio::time::timeout(Duration::from_secs(60), events.recv()).await {
                Ok(Ok(Event::Refreshed { .. })) => refreshed += 1,
                Ok(Ok(Event::Failed { name, message, .. })) => panic!("{name}: {message}"),
                Ok(Ok(_)) => {}
                other => panic!("{refreshed} of {N} refreshed, then: {other:?}"),
            }
        }
        // The watch reports the batch's own write of the state: it must not be read back.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let reads = setup.reads();
        handle.stop().await;
        assert_within_budget(&format!("a batch of {N} renewals"), &reads, true);
    });
}

#[test]
fn status_of_100_sessions_reads_each_file_once() {
    const N: usize = 100;
    let setup = Setup::new(N);
    let runtime = runtime();
    setup.activate_all(&runtime, N);
    setup.fs.reset();
    // What `rolekeeper status` asks of the engine (crates/cli/src/status.rs).
    let snapshot = setup.engine.snapshot();
    let sessions = snapshot.sessions().expect("sessions");
    let profiles = snapshot.profile_summaries().expect("profiles");
    for s in &sessions {
        runtime
            .block_on(setup.engine.mfa_outlook(&snapshot, &s.name, s.expires_at))
            .expect("outlook");
    }
    let lead = snapshot.policy().lead;
    assert_eq!(sessions.len(), N);
    assert_eq!(profiles.len(), N + 1);
    assert!(lead > Duration::ZERO);
    assert_within_budget(&format!("status of {N} sessions"), &setup.reads(), false);
}

#[test]
fn a_cold_credential_process_reads_each_file_once() {
    let setup = Setup::new(20);
    let runtime = runtime();
    // What `rolekeeper credential-process r007` asks of the engine for a role that is not
    // active (crates/cli/src/credential_process.rs): nothing in the file, nothing kept, STS.
    let snapshot = setup.engine.snapshot();
    let request = CredentialRequest::default();
    assert!(setup
        .engine
        .serve_cached(&snapshot, "r007", &request)
        .expect("cached")
        .is_none());
    let served = runtime
        .block_on(
            setup
                .engine
                .serve(&snapshot, "r007", &request, &NoMfaPrompt),
        )
        .expect("served");
    assert!(served.session_token.is_some(), "a role session");
    assert_within_budget("a cold credential-process", &setup.reads(), false);
}
