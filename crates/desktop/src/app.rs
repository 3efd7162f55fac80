//! Starts the tray app: single instance first, then the engine, the tray icon, the socket and
//! the followers of the engine's events; runs until Quit. No window and no web view exist in
//! this process: windows run in `rolekeeper-window`, started on demand (see `windows`).

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use rolekeeper_core::tray_ipc::socket_path;
use rolekeeper_core::{Engine, EngineHandle, Event, Settings};
use tracing_subscriber::EnvFilter;

use crate::desktop::Desktop;
use crate::notify::Notifier;
use crate::shell::Shell;
use crate::windows::Windows;
use crate::{single_instance, tray, tray_host, windows};

pub fn run() -> anyhow::Result<ExitCode> {
    init_logging();
    // Two workers: the engine's loop, D-Bus (tray, notifications, keychain) and the socket are
    // all waiting most of the time.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(run_tray())
}

async fn run_tray() -> anyhow::Result<ExitCode> {
    let socket = socket_path(&rolekeeper_core::env::ProcessEnv);
    // One tray per session: a second launch means "show me RoleKeeper", handed to the first.
    let _lock = match &socket {
        Some(path) => match single_instance::acquire(path).await? {
            single_instance::Outcome::First(lock) => Some(lock),
            single_instance::Outcome::HandedOver => {
                tracing::info!("RoleKeeper already runs: asked it to open its window");
                return Ok(ExitCode::SUCCESS);
            }
        },
        None => {
            tracing::warn!(
                "no XDG_RUNTIME_DIR: no socket, so no windows, and commands cannot ask the tray for MFA codes"
            );
            None
        }
    };
    let listener = socket
        .as_ref()
        .and_then(|path| match crate::ipc::bind(path) {
            Ok(listener) => Some((listener, path.clone())),
            Err(e) => {
                tracing::warn!(
                    "cannot listen on {}: {e}; no windows, and commands will ask on the terminal",
                    path.display()
                );
                None
            }
        });

    let engine = Arc::new(Engine::system());
    let policy = engine.policy();
    let (handle, events) = EngineHandle::spawn_subscribed(Arc::clone(&engine), policy);
    let settings = engine.settings().unwrap_or_else(|e| {
        tracing::warn!("{e}");
        Settings::default()
    });
    let notifier = Notifier::default();
    notifier.set_enabled(settings.notifications);
    let (windows, failed_windows) = Windows::new();
    let app = Shell::new(Desktop::new(engine, handle, notifier), windows);
    // With nothing on the session bus to show tray icons (stock GNOME without the AppIndicator
    // extension) the tray cannot register: the app runs on without it, and `tray_host` opens the
    // window and says why.
    if let Err(e) = tray::create(&app).await {
        tracing::warn!("no tray icon yet: {e}");
        tray_host::create_when_watcher_appears(&app);
    }
    tray_host::check_on_start(&app);
    if let Some((listener, path)) = listener {
        crate::ipc::serve(&app, listener, path);
    }
    follow_engine(app.clone(), events);
    tell_failed_windows(app.clone(), failed_windows);
    crate::keys::follow_key_ages(app.clone());
    tracing::info!(pid = std::process::id(), "tray app ready");

    tokio::select! {
        () = app.quitting() => {}
        () = terminated() => tracing::info!("told to stop"),
    }
    let desktop = app.desktop();
    desktop.notifier.close_all().await;
    app.windows().quit_all();
    desktop.stop_engine().await;
    crate::ipc::remove_socket();
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Windows that did not open (their process ended before showing them): said, and a dialog's
/// request cancelled (`windows::failed`).
fn tell_failed_windows(app: Shell, mut failed: tokio::sync::mpsc::UnboundedReceiver<String>) {
    tokio::spawn(async move {
        while let Some(label) = failed.recv().await {
            windows::failed(&app, &label);
        }
    });
}

/// SIGTERM (a session ending, `kill`) or SIGINT (Ctrl+C in a terminal): stop as Quit does.
async fn terminated() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
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
fn follow_engine(app: Shell, mut events: tokio::sync::broadcast::Receiver<Event>) {
    use tokio::sync::broadcast::error::{RecvError, TryRecvError};
    tokio::spawn(async move {
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
            let desktop = app.desktop();
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
async fn next_tick(app: &Shell, active: bool) {
    if !active {
        return std::future::pending().await;
    }
    let engine = Arc::clone(&app.desktop().engine);
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
