//! `rolekeeper activate` and `rolekeeper deactivate`.

use std::io::Write;

use anyhow::Context;
use rolekeeper_core::credentials::isoformat;
use rolekeeper_core::{human_duration, ActivateOptions, CredentialRequest, Delivery, Engine};

use crate::cli::{ActivateArgs, DeactivateArgs};

pub fn activate(args: ActivateArgs) -> anyhow::Result<()> {
    // Checked before anything else happens, and reported without the value (a code is a secret).
    let prompt = crate::prompt::given_or_interactive(args.mfa_code);
    let engine = Engine::system();
    crate::warn_about_files(&engine.snapshot());
    let request = CredentialRequest {
        duration: args.duration,
        ..CredentialRequest::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let options = ActivateOptions {
        force: args.force,
        adopt: !args.no_adopt,
        delivery: args.delivery,
        forget_duration: args.profile_duration,
    };
    let mut out = std::io::stdout().lock();
    for name in &args.names {
        let done = runtime.block_on(engine.activate(name, &request, prompt.as_ref(), options))?;
        let expiry = done
            .expiration
            .map(isoformat)
            .unwrap_or_else(|| "never".to_owned());
        match done.delivery {
            Delivery::File => writeln!(
                out,
                "activated {name}: written to {} (expires {expiry})",
                done.credentials_path.display()
            )?,
            Delivery::Process => writeln!(
                out,
                "activated {name}: served by `rolekeeper credential-process {name}` from {} \
                 (expires {expiry}; the session stays in the keychain)",
                done.config_path.display()
            )?,
        }
        if let Some(duration) = done.duration {
            writeln!(
                out,
                "  each renewal lasts {} (`--duration` on the next activate changes it)",
                human_duration(duration)
            )?;
        }
        if let Some(backup) = &done.backup {
            writeln!(
                out,
                "  the file's earlier content is backed up in {}",
                backup.display()
            )?;
        }
        if let Some(note) = done.adoption_note(name, &format!("`rolekeeper deactivate {name}`")) {
            writeln!(out, "  {note}")?;
        }
        if let Some(by) = &done.shadowed_by {
            writeln!(
                out,
                "  shadowed: {by} makes the AWS CLI and SDKs assume the role themselves and ignore \
                 these credentials; use another session name, or remove those lines"
            )?;
        }
    }
    Ok(())
}

pub fn deactivate(args: DeactivateArgs) -> anyhow::Result<()> {
    let engine = Engine::system();
    let mut out = std::io::stdout().lock();
    for name in &args.names {
        let delivery = engine.delivery_of(name)?;
        let removed = engine.deactivate(name, args.force)?;
        let path = engine.locations().credentials;
        if removed && delivery == Delivery::Process {
            writeln!(
                out,
                "deactivated {name}: its credential_process line is gone from {}",
                engine.locations().config.display()
            )?;
        } else if removed {
            writeln!(
                out,
                "deactivated {name}: its section is gone from {}",
                path.display()
            )?;
        } else {
            writeln!(
                out,
                "deactivated {name}: {} had no section for it",
                path.display()
            )?;
        }
    }
    Ok(())
}
