//! `rolekeeper source add|list|remove|import|rotate`: long-term keys in the OS keychain, as
//! sources for role profiles. The secret is read without echo from the terminal (or from a pipe)
//! and handed to the engine as a `Secret` at once; it is never printed. Key ids are shown masked.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{bail, Context};
use rolekeeper_core::keychain::{
    validate_access_key_id, validate_mfa_serial, validate_source_name,
};
use rolekeeper_core::{Engine, Secret, Source};

use crate::cli::{
    SourceAddArgs, SourceCommand, SourceImportArgs, SourceListArgs, SourceRemoveArgs,
};

pub fn run(command: SourceCommand) -> anyhow::Result<()> {
    let engine = Engine::system();
    match command {
        SourceCommand::Add(args) => add(&engine, args),
        SourceCommand::List(args) => list(&engine, args),
        SourceCommand::Remove(args) => remove(&engine, args),
        SourceCommand::Import(args) => import(&engine, args),
        SourceCommand::Rotate(args) => crate::keys::rotate(&engine, args),
    }
}

fn import(engine: &Engine, args: SourceImportArgs) -> anyhow::Result<()> {
    let done = block_on(engine.import_source(&args.profile, args.as_name.as_deref()))??;
    let section = if done.section_removed {
        "its section was removed"
    } else {
        "its other lines stay"
    };
    eprintln!(
        "Moved the keys of profile `{}` into keychain source `{}`: {}: {section}; {} now runs \
         `rolekeeper credential-process {}` for it. Backup: {}",
        done.profile,
        done.source,
        done.credentials_path.display(),
        done.config_path.display(),
        done.source,
        done.backup.display()
    );
    Ok(())
}

/// Run one keychain operation. The runtime is shut down without waiting: a keychain call that
/// timed out may still hold a blocking thread, and the command must exit anyway.
pub(crate) fn block_on<T>(future: impl std::future::Future<Output = T>) -> anyhow::Result<T> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let out = runtime.block_on(future);
    runtime.shutdown_background();
    Ok(out)
}

fn add(engine: &Engine, args: SourceAddArgs) -> anyhow::Result<()> {
    // Everything that can be checked is checked before the secret is asked for.
    validate_source_name(&args.name)?;
    if let Some(serial) = &args.mfa_serial {
        validate_mfa_serial(serial)?;
    }
    let (access_key_id, secret_access_key) = read_keys()?;
    let source = Source {
        name: args.name,
        access_key_id,
        secret_access_key,
        mfa_serial: args.mfa_serial,
        region: args.region,
    };
    let info = block_on(engine.sources().add(source))??;
    crate::keys::forget(engine, &info.name);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Stored source `{}` in the keychain. Use it in ~/.aws/config as `source_profile = {}`.",
        info.name, info.name
    )?;
    Ok(())
}

/// The access key id and the secret: asked on the terminal, else two lines of stdin.
fn read_keys() -> anyhow::Result<(String, Secret)> {
    if std::io::stdin().is_terminal() {
        let id = ask_tty("AWS access key id: ")?;
        validate_access_key_id(&id)?;
        let secret = rpassword::prompt_password("AWS secret access key (not shown): ")
            .context("cannot read the secret access key from the terminal")?;
        return Ok((id, Secret::new(secret.trim())));
    }
    let mut lines = std::io::stdin().lock().lines();
    let mut next = |what: &str| -> anyhow::Result<String> {
        match lines.next() {
            Some(line) => Ok(line.context("cannot read stdin")?.trim().to_owned()),
            None => bail!(
                "stdin ended before the {what}: give the access key id and the secret access key \
                 as two lines"
            ),
        }
    };
    let id = next("access key id")?;
    validate_access_key_id(&id)?;
    let secret = Secret::new(next("secret access key")?);
    Ok((id, secret))
}

/// A line from the controlling terminal, with echo: the key id is not secret.
pub(crate) fn ask_tty(prompt: &str) -> anyhow::Result<String> {
    let mut tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .context(
            "cannot open the terminal (/dev/tty) to ask for the keys; pipe them on stdin instead",
        )?;
    write!(tty, "{prompt}")?;
    tty.flush()?;
    let mut line = String::new();
    std::io::BufReader::new(tty).read_line(&mut line)?;
    Ok(line.trim().to_owned())
}

fn list(engine: &Engine, args: SourceListArgs) -> anyhow::Result<()> {
    let sources = engine.sources().list()?;
    let keys = crate::keys::for_list(engine, &sources, &args)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&crate::keys::json_rows(&sources, &keys))?
        )?;
        return keys.outcome();
    }
    if sources.is_empty() {
        writeln!(
            out,
            "No keychain sources; `rolekeeper source add NAME` stores one."
        )?;
        return Ok(());
    }
    let columns = crate::keys::columns(&keys, &sources);
    let rows: Vec<[&str; 6]> = sources
        .iter()
        .zip(&columns)
        .map(|(s, [key, age, used])| {
            [
                s.name.as_str(),
                s.mfa_serial.as_deref().unwrap_or("-"),
                s.region.as_deref().unwrap_or("-"),
                key.as_str(),
                age.as_str(),
                used.as_str(),
            ]
        })
        .collect();
    let header = ["NAME", "MFA DEVICE", "REGION", "KEY", "AGE", "LAST USED"];
    let width = |col: usize| {
        rows.iter()
            .map(|r| r[col].chars().count())
            .chain([header[col].len()])
            .max()
            .unwrap_or(0)
    };
    let widths = [width(0), width(1), width(2), width(3), width(4)];
    for row in std::iter::once(header).chain(rows.iter().copied()) {
        let mut line = String::new();
        for (cell, w) in row.iter().zip(widths) {
            line.push_str(&format!("{cell:w$}  "));
        }
        line.push_str(row[5]);
        writeln!(out, "{}", line.trim_end())?;
    }
    if let Some(note) = keys.note() {
        writeln!(out, "{note}")?;
    }
    keys.outcome()
}

fn remove(engine: &Engine, args: SourceRemoveArgs) -> anyhow::Result<()> {
    block_on(engine.sources().remove(&args.name))??;
    crate::keys::forget(engine, &args.name);
    writeln!(
        std::io::stdout().lock(),
        "Removed source `{}` from the keychain.",
        args.name
    )?;
    Ok(())
}
