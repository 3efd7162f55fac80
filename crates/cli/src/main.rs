//! `rolekeeper`: the command line over the RoleKeeper engine.
//!
//! Exit codes: 0 success, 1 the request failed (the one-line error says why and what to do),
//! 2 the command line itself was wrong; `exec` exits as its command did.

mod cli;
mod completions;
mod console;
mod credential_process;
mod daemon;
mod doctor;
mod exec;
mod exec_server;
mod export;
mod keys;
mod login;
mod prompt;
mod serve;
mod sessions;
mod source;
mod sso;
mod status;
mod tty;

use std::process::ExitCode;

use clap::Parser;

/// Say on stderr which lines of the shared files some AWS readers refuse (the command goes on).
pub fn warn_about_files(snapshot: &rolekeeper_core::snapshot::Snapshot) {
    if let Ok(set) = snapshot.profiles() {
        for quirk in set.warnings() {
            eprintln!("rolekeeper: warning: {quirk}");
        }
    }
}

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    // Refused before anything is read or written: without a home, the default paths would have
    // nowhere to be but the working directory.
    if let Err(error) = rolekeeper_core::files::require_home(&rolekeeper_core::env::ProcessEnv) {
        eprintln!("rolekeeper: {error}");
        return ExitCode::from(1);
    }
    let result = match args.command {
        cli::Command::Export(a) => export::run(a),
        cli::Command::Activate(a) => sessions::activate(a),
        cli::Command::Deactivate(a) => sessions::deactivate(a),
        cli::Command::Status(a) => status::run(a),
        cli::Command::Daemon => daemon::run(),
        cli::Command::Doctor => doctor::run(),
        cli::Command::Source(c) => source::run(c),
        cli::Command::CredentialProcess(a) => credential_process::run(a),
        cli::Command::Login(a) => login::run(a),
        cli::Command::Sso(c) => sso::run(c),
        cli::Command::Console(a) => console::run(a),
        cli::Command::Completions(a) => completions::completions(a),
        cli::Command::Man => completions::man(),
        cli::Command::Exec(a) => match exec::run(a) {
            Ok(code) => return code,
            Err(error) => Err(error),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stopped early (`rolekeeper status | head`) is not a failure.
        Err(error)
            if error
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("rolekeeper: {error:#}");
            ExitCode::from(1)
        }
    }
}
