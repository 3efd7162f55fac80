//! `rolekeeper credential-process NAME`: the `credential_process` contract for the AWS CLI and
//! SDKs. They run it with stdout and stderr captured, on every refresh, so it never prompts there
//! and takes the file fast path whenever it can (see `serve.rs`).

use std::io::Write;

use anyhow::Context;
use rolekeeper_core::{Engine, ExportFormat};

use crate::cli::CredentialProcessArgs;
use crate::prompt::Unattended;

pub fn run(args: CredentialProcessArgs) -> anyhow::Result<()> {
    // A role obtained by another process a moment ago is served by the running engine.
    let engine = Engine::system().asking_running_engine();
    let snapshot = engine.snapshot();
    let credentials =
        crate::serve::credentials(&engine, &snapshot, &args.name, &args.request(), &Unattended)?;
    // The same document `export --format process` prints: one renderer for both.
    let text = credentials.render(ExportFormat::Process);
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .context("cannot write to stdout")?;
    Ok(())
}
