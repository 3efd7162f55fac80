//! `rolekeeper export`: credentials for a profile, printed in the format asked for.

use std::io::Write;

use anyhow::Context;
use rolekeeper_core::{CredentialRequest, Engine};

use crate::cli::ExportArgs;
use crate::tty::TtyPrompt;

pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    let engine = Engine::system();
    crate::warn_about_files(&engine);
    let profile = args.profile.unwrap_or_else(|| engine.default_profile());
    let request = CredentialRequest {
        duration: args.duration,
    };
    // One thread is enough for one request; a static profile never touches the network.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let credentials = runtime.block_on(engine.credentials(&profile, &request, &TtyPrompt));
    // A keychain call that timed out may still hold a blocking thread: exit without waiting.
    runtime.shutdown_background();
    let credentials = credentials?;
    let text = credentials.render(args.format.into());
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .context("cannot write to stdout")?;
    Ok(())
}
