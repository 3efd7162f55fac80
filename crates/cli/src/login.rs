//! `rolekeeper login NAME`: obtain credentials now. An active session is renewed in the
//! credentials file (as the refresh engine would); a plain profile is checked end to end.

use std::io::Write;

use rolekeeper_core::credentials::isoformat;
use rolekeeper_core::{CredentialRequest, Engine};

use crate::cli::LoginArgs;

pub fn run(args: LoginArgs) -> anyhow::Result<()> {
    // Checked before anything else happens, and reported without the value (a code is a secret).
    let prompt = crate::prompt::given_or_interactive(args.mfa_code);
    let engine = Engine::system();
    let snapshot = engine.snapshot();
    crate::warn_about_files(&snapshot);
    let active = snapshot.is_active(&args.name)?;
    let request = CredentialRequest {
        duration: args.duration,
        renew: true,
        ..CredentialRequest::default()
    };
    let runtime = crate::serve::runtime()?;
    let credentials = runtime.block_on(engine.renew(&args.name, &request, prompt.as_ref()));
    runtime.shutdown_background();
    let credentials = credentials?;
    let until = credentials
        .expiration
        .map(|at| format!("valid until {}", isoformat(at)))
        .unwrap_or_else(|| "long-term keys, no expiry".to_owned());
    let mut out = std::io::stdout().lock();
    if active {
        writeln!(
            out,
            "renewed {}: written to {} ({until})",
            args.name,
            engine.locations().credentials.display()
        )?;
    } else if credentials.expiration.is_none() {
        writeln!(out, "{}: long-term keys, nothing to renew", args.name)?;
    } else {
        writeln!(
            out,
            "{}: credentials obtained ({until}); `rolekeeper activate {}` keeps them fresh in \
             the credentials file",
            args.name, args.name
        )?;
    }
    Ok(())
}
