//! `rolekeeper console`: the AWS console in the browser, signed in as a profile.

use std::io::Write;

use anyhow::Context;
use rolekeeper_core::console::ConsoleKind;

use crate::cli::ConsoleArgs;
use crate::tty::TtyPrompt;

pub fn run(args: ConsoleArgs) -> anyhow::Result<()> {
    // Diagnostics on stderr when asked for (`ROLEKEEPER_LOG=debug`): never the URL or a key.
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("ROLEKEEPER_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    // An active session, or one the running engine holds, is used as it is: no AssumeRole.
    let (engine, snapshot, profile) = crate::serve::for_profile(args.profile.as_deref());
    let request = args.request();
    let target = engine.console_target(&snapshot, &profile, &request)?;
    if !args.print {
        engine.console_browser_ready(&target)?;
    }
    let runtime = crate::serve::runtime()?;
    let signed_in = runtime.block_on(async {
        let credentials = engine
            .console_credentials(&snapshot, &target, &TtyPrompt)
            .await?;
        engine
            .console_sign_in(&target, &credentials, &request)
            .await
    });
    // A keychain call that timed out may still hold a blocking thread: exit without waiting.
    runtime.shutdown_background();
    let signed_in = signed_in?;
    for note in &signed_in.notes {
        eprintln!("rolekeeper: note: {note}");
    }
    if args.print {
        eprintln!(
            "rolekeeper: this URL signs anyone who opens it in to the AWS console as `{profile}`; \
             it works once, within 15 minutes: keep it to yourself"
        );
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", signed_in.url.expose()).context("cannot write to stdout")?;
        return Ok(());
    }
    engine.open_console(&target, &signed_in.url)?;
    let how = match signed_in.kind {
        ConsoleKind::Session { .. } => "its session",
        ConsoleKind::IamUser => "a federation token of its IAM user",
    };
    eprintln!(
        "rolekeeper: opened the AWS console ({}) for `{profile}` with {how}",
        target.region
    );
    Ok(())
}
