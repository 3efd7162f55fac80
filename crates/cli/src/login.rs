//! `rolekeeper login NAME`: obtain credentials now. An active session is renewed in the
//! credentials file (as the refresh engine would); a plain profile is checked end to end.

use std::io::Write;

use clap::CommandFactory;
use rolekeeper_core::credentials::isoformat;
use rolekeeper_core::{CredentialRequest, Engine, GivenCode, MfaPrompt, Secret};

use crate::cli::{Cli, LoginArgs};
use crate::prompt::is_six_digits;
use crate::tty::TtyPrompt;

pub fn run(args: LoginArgs) -> anyhow::Result<()> {
    // Checked before anything else happens, and reported without the value (a code is a secret).
    let given = args.mfa_code.map(Secret::new);
    if let Some(code) = given.as_ref().filter(|c| !is_six_digits(c)) {
        Cli::command()
            .error(
                clap::error::ErrorKind::ValueValidation,
                format!(
                    "--mfa-code must be the six digits your MFA device shows; got {} characters",
                    code.expose().chars().count()
                ),
            )
            .exit();
    }
    let prompt: Box<dyn MfaPrompt> = match given {
        Some(code) => Box::new(GivenCode(code)),
        None => Box::new(TtyPrompt),
    };
    let engine = Engine::system();
    crate::warn_about_files(&engine);
    let active = engine.is_active(&args.name)?;
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
