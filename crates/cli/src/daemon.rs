//! `rolekeeper daemon`: the engine without a desktop. Logs every event; stops on SIGTERM or Ctrl-C
//! within a few seconds.

use std::io::IsTerminal;
use std::sync::Arc;

use anyhow::Context;
use rolekeeper_core::{Engine, EngineHandle, Event};
use tokio::signal::unix::{signal, SignalKind};
use tracing_subscriber::EnvFilter;

pub fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("ROLEKEEPER_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal; logs read by journald or tests stay plain.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve())
}

async fn serve() -> anyhow::Result<()> {
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let handle = EngineHandle::spawn(Arc::new(Engine::system()));
    let mut events = handle.subscribe();
    tracing::info!(pid = std::process::id(), "daemon started");
    loop {
        tokio::select! {
            _ = terminate.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
            event = events.recv() => match event {
                Ok(Event::Stopped) => break,
                // One line per event, as a person reads it in the journal.
                Ok(event) => log_event(&event),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "event log fell behind");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            },
        }
    }
    tracing::info!("stopping");
    handle.stop().await;
    tracing::info!("stopped");
    Ok(())
}

fn log_event(event: &Event) {
    match event {
        Event::Reloaded { profiles } => tracing::info!(profiles, "profiles loaded"),
        Event::Problem { message } => tracing::warn!("{message}"),
        Event::Refreshed { name, expires } => tracing::info!(
            session = %name,
            expires = %expires.map(rolekeeper_core::credentials::isoformat).unwrap_or_default(),
            "refreshed"
        ),
        Event::Expiring { name, at } => tracing::warn!(
            session = %name,
            at = %rolekeeper_core::credentials::isoformat(*at),
            "expires soon and cannot renew by itself; `rolekeeper login {name}` renews it"
        ),
        Event::MfaNeeded { name, message, .. } => {
            tracing::warn!(session = %name, "needs an MFA code: {message}")
        }
        Event::Failed {
            name,
            message,
            retry_at,
            ..
        } => match retry_at {
            Some(at) => tracing::warn!(
                session = %name,
                retry_at = %rolekeeper_core::credentials::isoformat(*at),
                "refresh failed, will retry: {message}"
            ),
            None => tracing::error!(session = %name, "refresh failed, waiting for you: {message}"),
        },
        Event::Recovered { name } => tracing::info!(session = %name, "recovered"),
        Event::Activated { name, expires } => tracing::info!(
            session = %name,
            expires = %expires.map(rolekeeper_core::credentials::isoformat).unwrap_or_default(),
            "activated"
        ),
        Event::Deactivated { name } => {
            tracing::info!(session = %name, "deactivated: no longer renewed")
        }
        Event::Changed { name } => {
            tracing::info!(session = %name, "delivery or length changed: renewals follow it")
        }
        Event::Shadowed { name, by } => tracing::warn!(
            session = %name,
            "shadowed: {by} wins over the credentials file for the AWS tools; `rolekeeper activate {name}` adopts it"
        ),
        Event::Conflict { name, message } => tracing::error!(session = %name, "{message}"),
        Event::SsoSignedIn { session, until } => tracing::info!(
            sso_session = %session,
            until = %rolekeeper_core::credentials::isoformat(*until),
            "SSO sign-in good, renewed by itself"
        ),
        Event::SsoEnding { session, at } => tracing::warn!(
            sso_session = %session,
            "SSO sign-in `{session}` ends at {}: sign in (`rolekeeper sso login {session}`) to keep its sessions fresh",
            rolekeeper_core::credentials::isoformat(*at)
        ),
        Event::SsoSignInNeeded { message, .. } => tracing::warn!("{message}"),
        Event::SsoIdle { session } => {
            tracing::info!(sso_session = %session, "no active session uses this SSO sign-in now")
        }
        Event::Stopped => tracing::info!("engine stopped"),
    }
}
