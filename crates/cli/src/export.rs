//! `rolekeeper export`: credentials for a profile, printed in the format asked for.

use std::io::Write;

use crate::cli::ExportArgs;
use crate::tty::TtyPrompt;
use anyhow::Context;

pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    let (engine, snapshot, profile) = crate::serve::for_profile(args.profile.as_deref());
    let credentials =
        crate::serve::credentials(&engine, &snapshot, &profile, &args.request(), &TtyPrompt)?;
    let text = credentials.render_named(args.format.into(), Some(&profile));
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .context("cannot write to stdout")?;
    Ok(())
}
