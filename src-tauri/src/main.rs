//! `rolekeeper-window`: RoleKeeper's windows (the manager, the MFA dialog, the sign-in dialog) in
//! a process of their own, the only one that links a web view. The tray (`rolekeeper-desktop`)
//! starts it when a window is wanted; every command a page runs is forwarded to the tray over its
//! socket, and the process exits with its last window. Start at [`app::run`].
// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod app;
mod bridge;
mod windows;

use std::process::ExitCode;

fn main() -> ExitCode {
    match app::run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("rolekeeper-window: {e:#}");
            ExitCode::FAILURE
        }
    }
}
