//! `rolekeeper-desktop`: the RoleKeeper tray app. Everything here is glue; the engine lives in
//! `rolekeeper-core`. Start at [`app::run`].
// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod about;
mod actions;
mod app;
mod commands;
mod console;
mod desktop;
mod error;
mod first_run;
mod ipc;
mod keys;
mod manager;
mod notify;
mod sso;
mod tray;
mod tray_groups;
mod tray_host;
mod windows;

use std::process::ExitCode;

fn main() -> ExitCode {
    match app::run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("rolekeeper-desktop: {e:#}");
            ExitCode::FAILURE
        }
    }
}
