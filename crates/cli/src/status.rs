//! `rolekeeper status`: the profiles RoleKeeper can serve.

use std::io::Write;

use anyhow::Context;
use rolekeeper_core::Engine;

use crate::cli::StatusArgs;

pub fn run(_args: StatusArgs) -> anyhow::Result<()> {
    let engine = Engine::system();
    let locations = engine.locations();
    let profiles = engine.profiles()?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "config:      {}", locations.config.display())?;
    writeln!(out, "credentials: {}", locations.credentials.display())?;
    if profiles.is_empty() {
        writeln!(
            out,
            "no profiles yet: add one to {}",
            locations.config.display()
        )?;
    }
    let width = profiles.iter().map(|p| p.name.len()).max().unwrap_or(0);
    for p in profiles {
        let detail = match (&p.role_arn, &p.source_profile) {
            (Some(arn), Some(src)) => format!("{arn} from {src}"),
            (Some(arn), None) => arn.clone(),
            _ => String::new(),
        };
        writeln!(out, "{:width$}  {:6}  {detail}", p.name, p.kind)
            .context("cannot write to stdout")?;
    }
    Ok(())
}
