//! `rolekeeper export`: credentials for a profile, printed in the format asked for.

use std::io::Write;

use anyhow::Context;
use rolekeeper_core::Engine;

use crate::cli::ExportArgs;
use crate::tty::TtyPrompt;

pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    // A role obtained by another process a moment ago is served by the running engine.
    let engine = Engine::system().asking_running_engine();
    let snapshot = engine.snapshot();
    crate::warn_about_files(&snapshot);
    let profile = args
        .profile
        .clone()
        .unwrap_or_else(|| engine.default_profile());
    let credentials =
        crate::serve::credentials(&engine, &snapshot, &profile, &args.request(), &TtyPrompt)?;
    let text = credentials.render_named(args.format.into(), Some(&profile));
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .context("cannot write to stdout")?;
    Ok(())
}
