//! `rolekeeper status`: active sessions with their expiry, and the profiles RoleKeeper can serve.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Context;
use rolekeeper_core::mfa::MfaOutlook;
use rolekeeper_core::snapshot::Snapshot;
use rolekeeper_core::{renewal_in_words, Delivery, Engine, SessionStatus};

use crate::cli::StatusArgs;

pub fn run(args: StatusArgs) -> anyhow::Result<()> {
    let engine = Engine::system();
    // One snapshot: each file is read once, however many sessions there are.
    let snapshot = engine.snapshot();
    crate::warn_about_files(&snapshot);
    let locations = snapshot.locations().clone();
    let sessions = snapshot.sessions()?;
    let profiles = snapshot.profile_summaries()?;
    let mfa = mfa_outlooks(&engine, &snapshot, &sessions)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let doc = serde_json::json!({
            "config_file": locations.config,
            "credentials_file": locations.credentials,
            "sessions": sessions,
            "mfa": mfa,
            "profiles": profiles,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(());
    }
    writeln!(
        out,
        "Sessions (delivered to {}):",
        locations.credentials.display()
    )?;
    if sessions.is_empty() {
        writeln!(
            out,
            "  none active; `rolekeeper activate PROFILE` starts one"
        )?;
    }
    let lead = snapshot.policy().lead;
    let width = sessions.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for s in &sessions {
        let state = s.state_until();
        let how = match s.delivery {
            Delivery::File => "",
            Delivery::Process => " · by credential_process",
        };
        writeln!(out, "  {:width$}  {state}{how}", s.name)?;
        if let Some(outlook) = mfa.get(&s.name) {
            writeln!(out, "  {:width$}  {}", "", outlook.words)?;
        }
        if let Some(renewal) = renewal_in_words(lead, s.length) {
            writeln!(out, "  {:width$}  {renewal}", "")?;
        }
        if let Some(by) = &s.shadowed_by {
            writeln!(out, "  {:width$}  shadowed by {by}", "")?;
        }
    }
    writeln!(
        out,
        "Profiles ({} and {}):",
        locations.config.display(),
        locations.credentials.display()
    )?;
    if profiles.is_empty() {
        writeln!(out, "  none yet: add one to {}", locations.config.display())?;
    }
    let width = profiles.iter().map(|p| p.name.len()).max().unwrap_or(0);
    for p in profiles {
        let detail = match (&p.role_arn, &p.source_profile) {
            (Some(arn), Some(src)) => format!("{arn} from {src}"),
            (Some(arn), None) => arn.clone(),
            _ => String::new(),
        };
        writeln!(out, "  {:width$}  {:6}  {detail}", p.name, p.kind)?;
    }
    Ok(())
}

/// Each session's MFA plan, by name. A session whose plan cannot be worked out (a profile since
/// broken) is left out: its expiry line still shows.
fn mfa_outlooks(
    engine: &Engine,
    snapshot: &Snapshot,
    sessions: &[SessionStatus],
) -> anyhow::Result<BTreeMap<String, MfaOutlook>> {
    if sessions.is_empty() {
        return Ok(BTreeMap::new());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let outlooks = runtime.block_on(async {
        let mut outlooks = BTreeMap::new();
        for s in sessions {
            if let Ok(outlook) = engine.mfa_outlook(snapshot, &s.name, s.expires_at).await {
                outlooks.insert(s.name.clone(), outlook);
            }
        }
        outlooks
    });
    // A keychain call that timed out may still hold a blocking thread: do not wait for it.
    runtime.shutdown_background();
    Ok(outlooks)
}
