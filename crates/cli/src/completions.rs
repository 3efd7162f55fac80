//! `rolekeeper completions SHELL` and `rolekeeper man`: generated from the clap definitions in
//! `cli.rs`, so they never disagree with the command line itself.

use std::io::Write;

use anyhow::Context;
use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

pub fn completions(args: CompletionsArgs) -> anyhow::Result<()> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "rolekeeper", &mut out);
    write_stdout(&out)
}

/// The page for `rolekeeper`, then one for each command (`rolekeeper-export(1)`, ...) with its
/// options and example, in one stream: `rolekeeper man | man -l -` shows them all.
pub fn man() -> anyhow::Result<()> {
    let mut command = Cli::command();
    command.build();
    let mut out = Vec::new();
    render(&command, command.get_name(), &mut out)?;
    write_stdout(&out)
}

fn render(command: &clap::Command, title: &str, out: &mut Vec<u8>) -> anyhow::Result<()> {
    clap_mangen::Man::new(command.clone())
        .title(title.to_owned())
        .render(out)
        .context("cannot render the manual page")?;
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        // Named as the parent's page refers to it: `rolekeeper-source-add`.
        render(sub, &format!("{title}-{}", sub.get_name()), out)?;
    }
    Ok(())
}

fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    std::io::stdout()
        .lock()
        .write_all(bytes)
        .context("cannot write to stdout")
}
