//! `rolekeeper status`: active sessions with their expiry, and the profiles RoleKeeper can serve.

use rolekeeper_core::{human_duration, Engine};
use std::io::Write;

use crate::cli::StatusArgs;

pub fn run(args: StatusArgs) -> anyhow::Result<()> {
    let engine = Engine::system();
    crate::warn_about_files(&engine);
    let locations = engine.locations();
    let sessions = engine.sessions()?;
    let profiles = engine.profiles()?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let doc = serde_json::json!({
            "config_file": locations.config,
            "credentials_file": locations.credentials,
            "sessions": sessions,
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
    let width = sessions.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for s in &sessions {
        let state = match (s.remaining, &s.expires) {
            (Some(left), Some(at)) if !left.is_zero() => {
                format!("fresh · {} left (until {at})", human_duration(left))
            }
            (Some(_), Some(at)) => format!("expired at {at}"),
            _ => "long-term keys".to_owned(),
        };
        writeln!(out, "  {:width$}  {state}", s.name)?;
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
