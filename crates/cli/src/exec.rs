//! `rolekeeper exec NAME -- CMD ARGS...`: run a command as the profile. The credentials go in the
//! command's environment, or with `--server` they are served to it on a loopback endpoint and
//! renewed for as long as it runs (`exec_server.rs`). The command's exit code is passed through.

use std::ffi::OsString;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use rolekeeper_core::{Credentials, Engine};
use tokio::process::Command;
use tokio::signal::unix::{signal, SignalKind};

use crate::cli::ExecArgs;
use crate::exec_server::CredentialServer;
use crate::prompt::Unattended;
use crate::tty::TtyPrompt;

/// Variables through which an AWS SDK could find other credentials (or another profile) before
/// the ones RoleKeeper gives the command: all removed first.
const REPLACED: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
];

/// What shells exit with when a command cannot be found or run.
const NOT_FOUND: u8 = 127;
const NOT_EXECUTABLE: u8 = 126;

pub fn run(args: ExecArgs) -> anyhow::Result<ExitCode> {
    let engine = Arc::new(Engine::system().asking_running_engine());
    crate::warn_about_files(&engine.snapshot());
    let runtime = crate::serve::runtime()?;
    let code = runtime.block_on(run_child(engine, args));
    // A keychain call that timed out may still hold a blocking thread: exit without waiting.
    runtime.shutdown_background();
    code
}

async fn run_child(engine: Arc<Engine>, args: ExecArgs) -> anyhow::Result<ExitCode> {
    let (program, rest) = args
        .command
        .split_first()
        .context("no command given; put it after `--`, e.g. `rolekeeper exec NAME -- aws s3 ls`")?;
    let mut command = Command::new(program);
    command.args(rest);
    for name in REPLACED {
        command.env_remove(name);
    }
    // Without AWS_PROFILE the command no longer sees the profile's region: give it, unless the
    // caller chose one.
    if std::env::var_os("AWS_REGION").is_none() && std::env::var_os("AWS_DEFAULT_REGION").is_none()
    {
        if let Some(region) = engine.plan(&args.name).ok().and_then(|plan| plan.region) {
            command
                .env("AWS_REGION", &region)
                .env("AWS_DEFAULT_REGION", &region);
        }
    }
    // Obtained before the command starts, so a profile that cannot work fails here, in words,
    // instead of inside the command.
    let _server = if args.server {
        let first = crate::serve::fresh(&engine, &args.name, &args.request(), &Unattended).await?;
        let server =
            CredentialServer::start(Arc::clone(&engine), &args.name, args.request(), first).await?;
        command
            .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", server.uri())
            .env("AWS_CONTAINER_AUTHORIZATION_TOKEN", server.token().expose());
        Some(server)
    } else {
        let credentials =
            crate::serve::fresh(&engine, &args.name, &args.request(), &TtyPrompt).await?;
        set_variables(&mut command, &credentials);
        None
    };
    let child = match command.spawn() {
        Ok(child) => child,
        Err(error) => return Ok(cannot_start(program, &error)),
    };
    wait(child).await
}

fn set_variables(command: &mut Command, credentials: &Credentials) {
    for (name, value) in credentials.variables() {
        command.env(name, value);
    }
}

fn cannot_start(program: &OsString, error: &std::io::Error) -> ExitCode {
    let program = program.to_string_lossy();
    match error.kind() {
        std::io::ErrorKind::NotFound => {
            eprintln!(
                "rolekeeper: cannot run `{program}`: no such command; check the name and PATH"
            );
            ExitCode::from(NOT_FOUND)
        }
        _ => {
            eprintln!(
                "rolekeeper: cannot run `{program}`: {error}; check that it is an executable file"
            );
            ExitCode::from(NOT_EXECUTABLE)
        }
    }
}

/// Wait for the command and exit as it did: its code, or 128 + the signal that killed it (what
/// a shell reports). Signals meant for the command reach it: SIGTERM and SIGHUP sent to
/// RoleKeeper are passed on; SIGINT and SIGQUIT from the terminal already went to the whole
/// foreground group, so RoleKeeper only outlives them to report the command's exit.
async fn wait(mut child: tokio::process::Child) -> anyhow::Result<ExitCode> {
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut hangup = signal(SignalKind::hangup()).context("cannot listen for SIGHUP")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    let mut quit = signal(SignalKind::quit()).context("cannot listen for SIGQUIT")?;
    let pid = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .and_then(rustix::process::Pid::from_raw);
    let forward = |sig: rustix::process::Signal| {
        if let Some(pid) = pid {
            // The command may have exited meanwhile; its status comes next.
            let _ = rustix::process::kill_process(pid, sig);
        }
    };
    let status = loop {
        tokio::select! {
            status = child.wait() => break status.context("cannot wait for the command")?,
            _ = terminate.recv() => forward(rustix::process::Signal::TERM),
            _ = hangup.recv() => forward(rustix::process::Signal::HUP),
            _ = interrupt.recv() => {}
            _ = quit.recv() => {}
        }
    };
    Ok(exit_code(status))
}

fn exit_code(status: std::process::ExitStatus) -> ExitCode {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        (None, Some(signal)) => ExitCode::from(u8::try_from(128 + signal).unwrap_or(255)),
        (None, None) => ExitCode::from(1),
    }
}
