//! Builds the Tauri app around the bridge to the tray: every page's command goes to the tray (the
//! capability files decide first which window may call what), what the tray tells is done here,
//! and the tray hears each window open and close.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context;
use rolekeeper_core::tray_ipc::{FromWindow, ToWindow, WINDOW_TOKEN_VARIABLE};
use serde_json::Value;
use tauri::ipc::{Invoke, InvokeBody};
use tauri::{AppHandle, Emitter, Manager, RunEvent, WindowEvent, Wry};
use tracing_subscriber::EnvFilter;

use crate::bridge::Bridge;
use crate::windows;

pub fn run() -> anyhow::Result<ExitCode> {
    init_logging();
    let first = first_window(std::env::args().skip(1))?;
    let automated = std::env::var("TAURI_WEBVIEW_AUTOMATION").as_deref() == Ok("true");
    if first.is_none() && !automated {
        // Run by hand (the desktop entry, a terminal): the manager, wherever the tray shows it
        // (an open manager is raised, not doubled), the tray started first if it is not running.
        crate::bridge::ask_tray_to_show(windows::MAIN)?;
        return Ok(ExitCode::SUCCESS);
    }
    // Started by the tray for `first` (with its token), or by a WebDriver session with no window
    // until the tray asks (a test clicks the tray's item as a person does).
    let token = std::env::var(WINDOW_TOKEN_VARIABLE)
        .ok()
        .and_then(|t| t.parse::<u64>().ok());
    let bridge = Bridge::connect(token)?;
    let forward = bridge.clone();
    let events = bridge.clone();
    let app = tauri::Builder::default()
        // Managed before anything can arrive from the tray (its reading thread starts below).
        .manage(bridge.clone())
        .invoke_handler(move |invoke| forward_call(&forward, invoke))
        .setup(move |app| {
            if let Some(label) = first {
                let bridge = app.state::<Bridge>();
                if let Err(e) = windows::try_show(app.handle(), &bridge, &label) {
                    // The window it was started for cannot open: the process ends (an error
                    // here would be Tauri's panic), and the tray, which sees it go without
                    // having shown it, says so.
                    tracing::error!("cannot open the {label} window: {e}");
                    app.handle().exit(1);
                }
            }
            Ok(())
        })
        .on_window_event(move |window, event| {
            let label = window.label().to_owned();
            let message = match event {
                WindowEvent::CloseRequested { .. } => FromWindow::CloseRequested { window: label },
                WindowEvent::Destroyed => FromWindow::Destroyed { window: label },
                _ => return,
            };
            if let Err(e) = events.send(&message) {
                tracing::warn!("cannot tell the tray about a window: {e}");
            }
        })
        .build(tauri::generate_context!())
        .context("cannot start the windows (is a display available? DISPLAY/WAYLAND_DISPLAY)")?;

    let handle = app.handle().clone();
    let gone = app.handle().clone();
    bridge.listen(
        move |message| on_message(&handle, message),
        move || {
            tracing::info!("the tray is gone: closing");
            gone.exit(0);
        },
    )?;
    // The last window closed: this process is done (WebKit's processes go with it). Started with
    // no window (by a WebDriver session), it waits for the tray to ask for one.
    let code = app.run_return(|_, event| {
        if let RunEvent::Exit = event {
            tracing::info!("windows closed");
        }
    });
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}

/// `--show LABEL`: the window to open first (the tray starts this process for it).
fn first_window(mut args: impl Iterator<Item = String>) -> anyhow::Result<Option<String>> {
    let mut first = None;
    while let Some(arg) = args.next() {
        // Anything else is not ours (a WebDriver session may add its own arguments).
        if arg == "--show" {
            let label = args
                .next()
                .context("--show needs a window: main, mfa or sso")?;
            anyhow::ensure!(
                windows::ALL.contains(&label.as_str()),
                "--show {label}: no such window (main, mfa or sso)"
            );
            first = Some(label);
        }
    }
    Ok(first)
}

/// A page ran a command: the tray runs it and the page gets its answer.
fn forward_call(bridge: &Bridge, invoke: Invoke<Wry>) -> bool {
    let command = invoke.message.command().to_owned();
    let window = invoke.message.webview().label().to_owned();
    let args = match invoke.message.payload() {
        InvokeBody::Json(args) => args.clone(),
        InvokeBody::Raw(_) => Value::Null,
    };
    let resolver = invoke.resolver;
    bridge.call(&window, &command, args, move |answer| match answer {
        Ok(value) => resolver.resolve(value),
        Err(error) => resolver.reject(error),
    });
    true
}

/// What the tray tells this process.
fn on_message(app: &AppHandle, message: ToWindow) {
    let Some(bridge) = app.try_state::<Bridge>() else {
        return;
    };
    match message {
        ToWindow::Show { window } => windows::show(app, &bridge, &window),
        ToWindow::Close { window } => windows::close(app, &window),
        ToWindow::Emit {
            window,
            event,
            payload,
        } => {
            if let Err(e) = app.emit_to(window.as_str(), &event, payload) {
                tracing::warn!("cannot hand the {event} event to the {window} window: {e}");
            }
        }
        ToWindow::Quit => app.exit(0),
        // Answers are taken by the bridge itself.
        ToWindow::Reply { .. } => {}
    }
}

fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("ROLEKEEPER_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> impl Iterator<Item = String> {
        list.iter()
            .map(|s| (*s).to_owned())
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn the_first_window_is_named_on_the_command_line() {
        assert_eq!(first_window(args(&[])).unwrap(), None);
        assert_eq!(
            first_window(args(&["--show", "mfa"])).unwrap(),
            Some("mfa".to_owned())
        );
        assert!(first_window(args(&["--show"])).is_err());
        assert!(first_window(args(&["--show", "settings"])).is_err());
    }
}
