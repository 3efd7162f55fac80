//! `rolekeeper-desktop`: the RoleKeeper tray app. Everything here is glue; the engine lives in
//! `rolekeeper-core`, and the windows in `rolekeeper-window` (started on demand). Start at
//! [`app::run`].

mod about;
mod actions;
mod app;
mod autostart;
mod clipboard;
mod commands;
mod console;
mod desktop;
mod dispatch;
mod error;
mod first_run;
mod ipc;
mod keys;
mod manager;
mod notify;
mod shell;
mod single_instance;
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
