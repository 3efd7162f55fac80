//! Builds the Tauri app: single instance first, then the engine, the tray and the commands.
//! No window and no web view exist until one is opened (see `windows`).

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use rolekeeper_core::{Engine, EngineHandle, Event, Settings};
use tauri::{AppHandle, Manager, RunEvent};
use tracing_subscriber::EnvFilter;

use crate::desktop::Desktop;
use crate::notify::Notifier;
use crate::{about, commands, console, manager, sso, tray, tray_host, windows};

pub fn run() -> anyhow::Result<ExitCode> {
    init_logging();
    let app = tauri::Builder::default()
        // Registered first, so a second launch hands over before anything else starts. A second
        // launch means "show me RoleKeeper": open the manager window in the first instance.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            tracing::info!("another launch: opening the manager window");
            windows::show(app, windows::MAIN);
        }))
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            None,
        ))
        .invoke_handler(tauri::generate_handler![
            commands::list_sessions,
            commands::refresh_all,
            commands::mfa_request,
            commands::submit_mfa_code,
            commands::cancel_mfa,
            manager::activate_session,
            manager::deactivate_session,
            manager::refresh_session,
            console::open_console,
            manager::list_sources,
            manager::add_source,
            manager::remove_source,
            manager::importable_profiles,
            manager::import_source,
            crate::keys::check_source_key,
            crate::keys::rotate_source,
            manager::get_settings,
            manager::set_settings,
            manager::diagnostics,
            sso::sso_sessions,
            sso::sso_sign_in,
            sso::sso_sign_out,
            sso::sso_prompt,
            sso::sso_copy_code,
            sso::sso_open_page,
            sso::sso_cancel,
            tray_host::tray_notice,
            crate::first_run::first_run_guide,
            crate::first_run::open_config_file,
            about::about,
            about::ui_theme,
        ])
        .setup(|app| {
            let engine = Arc::new(Engine::system());
            // The engine loop runs on Tauri's tokio runtime, in this process.
            let handle =
                tauri::async_runtime::block_on(async { EngineHandle::spawn(Arc::clone(&engine)) });
            let events = handle.subscribe();
            let settings = engine.settings().unwrap_or_else(|e| {
                tracing::warn!("{e}");
                Settings::default()
            });
            let notifier = Notifier::default();
            notifier.set_enabled(settings.notifications);
            app.manage(Desktop::new(engine, handle, notifier));
            // With nothing on the session bus to show tray icons (stock GNOME without the
            // AppIndicator extension) the tray cannot register: the app runs on without it, and
            // `tray_host` opens the window and says why.
            if let Err(e) = tray::create(app.handle()) {
                tracing::warn!("no tray icon yet: {e}");
                tray_host::create_when_watcher_appears(app.handle());
            }
            tray_host::check_on_start(app.handle());
            crate::ipc::serve(app.handle());
            follow_engine(app.handle().clone(), events);
            crate::keys::follow_key_ages(app.handle().clone());
            tracing::info!(pid = std::process::id(), "tray app ready");
            Ok(())
        })
        .on_window_event(|window, event| {
            // The user closed the dialog with a request of another process still open: that is
            // a cancel, told at once instead of after the asker's timeout. (RoleKeeper's own
            // closes destroy the window without this event, so a late event can never cancel
            // the next request.)
            if window.label() == windows::MFA
                && matches!(event, tauri::WindowEvent::CloseRequested { .. })
            {
                if let Some(external) = window.app_handle().state::<Desktop>().take_external() {
                    external.answer(None);
                }
            }
            // Closing the sign-in dialog stops the sign-in it shows (nothing else would show its
            // code again).
            if window.label() == windows::SSO
                && matches!(event, tauri::WindowEvent::CloseRequested { .. })
            {
                sso::cancel_shown(window.app_handle());
            }
        })
        .build(tauri::generate_context!())
        .context(
            "cannot start the desktop app (is a display available? DISPLAY/WAYLAND_DISPLAY)",
        )?;

    let code = app.run_return(|app, event| match event {
        // The last window closed: a tray app keeps running. Only Quit (an explicit code) exits.
        RunEvent::ExitRequested {
            code: None, api, ..
        } => api.prevent_exit(),
        RunEvent::Exit => {
            let desktop = app.state::<Desktop>();
            tauri::async_runtime::block_on(desktop.notifier.close_all());
            desktop.stop_engine();
            crate::ipc::remove_socket();
            tracing::info!("stopped");
        }
        _ => {}
    });
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}

/// The window's event: the engine reported something about `name` (`None`: about everything);
/// the window re-lists what it shows. Carries no secret and no state: the window asks for that.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EngineNotice {
    kind: &'static str,
    name: Option<String>,
}

impl EngineNotice {
    /// A sign-in to `session` changed here (started, ended, signed out): the desktop's own
    /// notice, since the engine hears of it only afterwards.
    pub fn sso(kind: &'static str, session: &str) -> Self {
        Self {
            kind,
            name: Some(session.to_owned()),
        }
    }

    fn of(event: &Event) -> Self {
        let (kind, name) = match event {
            Event::Refreshed { name, .. } => ("refreshed", Some(name)),
            Event::Recovered { name } => ("recovered", Some(name)),
            Event::Activated { name, .. } => ("activated", Some(name)),
            Event::Deactivated { name } => ("deactivated", Some(name)),
            Event::Changed { name } => ("changed", Some(name)),
            Event::MfaNeeded { name, .. } => ("mfa_needed", Some(name)),
            Event::Failed { name, .. } => ("failed", Some(name)),
            Event::Conflict { name, .. } => ("conflict", Some(name)),
            Event::Expiring { name, .. } => ("expiring", Some(name)),
            Event::Shadowed { name, .. } => ("shadowed", Some(name)),
            Event::Reloaded { .. } => ("reloaded", None),
            Event::Problem { .. } => ("problem", None),
            Event::SsoSignedIn { session, .. } => ("sso_signed_in", Some(session)),
            Event::SsoEnding { session, .. } => ("sso_ending", Some(session)),
            Event::SsoSignInNeeded { session, .. } => ("sso_sign_in_needed", Some(session)),
            Event::SsoIdle { session } => ("sso_idle", Some(session)),
            Event::Stopped => ("stopped", None),
        };
        Self {
            kind,
            name: name.cloned(),
        }
    }
}

/// The window's event name (its capability allows listening, nothing else).
pub const ENGINE_EVENT: &str = "engine";

/// Keep the tray and the windows in step with the engine. Events that arrive together (a batch
/// of renewals) are taken together and redraw the tray once: a panel's tray host must not be
/// flooded with menus. While sessions are active the labels' countdowns are redrawn once a
/// minute, on the minute; with none active nothing wakes.
fn follow_engine(app: AppHandle, mut events: tokio::sync::broadcast::Receiver<Event>) {
    use tauri::Emitter;
    use tokio::sync::broadcast::error::{RecvError, TryRecvError};
    tauri::async_runtime::spawn(async move {
        let mut problem: Option<String> = None;
        // Whether the menu drawn last showed an active session (its countdown moves); from the
        // tray's redraws, so ticking costs no read of its own. At most one tick before the first.
        let mut active = true;
        loop {
            let first = tokio::select! {
                event = events.recv() => event,
                () = next_tick(&app, active) => {
                    active = tray::update_with_problem(&app, problem.as_deref());
                    continue;
                }
            };
            let mut batch = Vec::new();
            match first {
                Ok(Event::Stopped) | Err(RecvError::Closed) => break,
                Ok(event) => batch.push(event),
                Err(RecvError::Lagged(_)) => {}
            }
            let mut stopped = false;
            loop {
                match events.try_recv() {
                    Ok(Event::Stopped) | Err(TryRecvError::Closed) => {
                        stopped = true;
                        break;
                    }
                    Ok(event) => batch.push(event),
                    Err(TryRecvError::Lagged(_)) => {}
                    Err(TryRecvError::Empty) => break,
                }
            }
            let desktop = app.state::<Desktop>();
            for event in &batch {
                tracing::info!(?event, "engine event");
                match event {
                    Event::Problem { message } => {
                        tracing::warn!("{message}");
                        problem = Some(message.clone());
                    }
                    Event::Reloaded { .. } => problem = None,
                    Event::Deactivated { name } => desktop.drop_wanted_code(name),
                    _ => {}
                }
                desktop.sso.on_event(event);
                desktop.notifier.on_event(&app, event);
                let _ = app.emit_to(windows::MAIN, ENGINE_EVENT, EngineNotice::of(event));
            }
            active = tray::update_with_problem(&app, problem.as_deref());
            if stopped {
                break;
            }
        }
    });
}

/// The next whole minute while a session is `active` (the tray's countdowns move then); never
/// when nothing is active.
async fn next_tick(app: &AppHandle, active: bool) {
    if !active {
        return std::future::pending().await;
    }
    let engine = Arc::clone(&app.state::<Desktop>().engine);
    let clock = engine.clock();
    let now = clock.now();
    let since_epoch = now
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let next = std::time::UNIX_EPOCH + std::time::Duration::from_secs((since_epoch / 60 + 1) * 60);
    clock.sleep_until(next).await;
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
