//! The IPC commands the windows may call (each window's capability file lists its own). Plain
//! functions over the engine; errors cross IPC as `{code, message}` and never carry a secret.

use crate::shell::Shell;
use rolekeeper_core::{
    apply_health, is_mfa_code, session_views, ActivateOptions, CredentialRequest, Secret,
    SessionView,
};
use serde::Serialize;

use crate::desktop::Desktop;
use crate::error::{IpcCode, IpcError, IpcResult};
use crate::windows;

/// Every profile with its state; active sessions also with their MFA plan.
pub async fn list_sessions(app: Shell) -> IpcResult<Vec<SessionView>> {
    let (engine, health) = {
        let desktop = app.desktop();
        (std::sync::Arc::clone(&desktop.engine), desktop.health())
    };
    // One snapshot: each file read once, however many sessions there are.
    let snapshot = engine.snapshot();
    let sessions = snapshot.sessions()?;
    let mut views = session_views(&snapshot.profile_summaries()?, &sessions);
    apply_health(&mut views, &health);
    let lead = snapshot.policy().lead;
    for view in views.iter_mut().filter(|v| v.active) {
        let session = sessions.iter().find(|s| s.name == view.name);
        let expires = session.and_then(|s| s.expires_at);
        view.renewal = rolekeeper_core::renewal_in_words(lead, session.and_then(|s| s.length));
        // A plan that cannot be worked out (a profile since broken) is just not shown.
        view.plan = engine
            .mfa_outlook(&snapshot, &view.name, expires)
            .await
            .ok()
            .map(|o| o.words);
    }
    Ok(views)
}

pub fn refresh_all(desktop: &Desktop) {
    desktop.refresh_all();
}

/// A session waiting for an MFA code, as the dialog shows it.
#[derive(Debug, Serialize)]
pub struct MfaRequest {
    profile: String,
    serial: String,
    seconds_left: Option<u64>,
}

/// The session waiting for a code, if any, with the time its credentials have left.
pub fn mfa_request(desktop: &Desktop) -> Option<MfaRequest> {
    let pending = desktop.pending_code()?;
    let seconds_left = desktop.engine.sessions().ok().and_then(|sessions| {
        sessions
            .into_iter()
            .find(|s| s.name == pending.session)
            .and_then(|s| s.remaining)
            .map(|left| left.as_secs())
    });
    Some(MfaRequest {
        profile: pending.session,
        serial: pending.serial,
        seconds_left,
    })
}

/// Renew the waiting session with the code. Checked here, not in the page: the page only
/// collects what was typed. A code STS rejects is reported in its words and not tried again.
pub async fn submit_mfa_code(app: Shell, code: String) -> IpcResult<()> {
    let code = Secret::new(code);
    if !is_mfa_code(code.expose()) {
        return Err(IpcError::new(
            IpcCode::InvalidCode,
            "An MFA code is six digits: type the code your device shows now.",
        ));
    }
    // Another process asked for this code: it is that process's to use, not ours.
    if let Some(external) = app.desktop().take_external() {
        tracing::info!(profile = %external.profile, "code handed to the command that asked");
        external.answer(Some(code));
        close_soon(&app);
        return Ok(());
    }
    let (client, pending, wanted) = {
        let desktop = app.desktop();
        (
            desktop.client.clone(),
            desktop.pending_code(),
            desktop.wanted_code(),
        )
    };
    let Some(pending) = pending else {
        return Err(IpcError::new(
            IpcCode::NoRequest,
            "No session is waiting for a code.",
        ));
    };
    // The action the user started here (activate with its choices, refresh now), or else a
    // renewal the engine could not do without a code.
    let (request, options) = match wanted.filter(|w| w.session == pending.session) {
        Some(wanted) => (wanted.request, wanted.options),
        None => (CredentialRequest::default(), ActivateOptions::default()),
    };
    // Through the engine's loop: it renews, plans with the new expiry, retries the other
    // sessions waiting on a code, and tells the tray and the notifications (which close).
    let renewed = client
        .activate(&pending.session, request, Some(code), options)
        .await;
    match renewed {
        Ok(activation) => {
            tracing::info!(session = %activation.name, "renewed with a typed MFA code");
            crate::manager::tell_adoption(&app, &activation);
            let desktop = app.desktop();
            desktop.drop_wanted_code(&activation.name);
            crate::tray::update(&app, None);
            close_soon(&app);
            Ok(())
        }
        Err(rolekeeper_core::Error::MfaCodeRejected { cause, .. }) => {
            Err(IpcError::new(
                IpcCode::RejectedCode,
                format!(
                    "STS did not accept this code ({}). Wait for the next code on your device and type it.",
                    cause.detail
                ),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// Let the page say "Code accepted" before the dialog goes.
fn close_soon(app: &Shell) {
    let app = app.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        windows::close(&app, windows::MFA);
    });
}

pub fn cancel_mfa(app: Shell) {
    let desktop = app.desktop();
    if let Some(external) = desktop.take_external() {
        external.answer(None);
    } else {
        desktop.cancel_wanted_code();
        crate::tray::update(&app, None);
    }
    windows::close(&app, windows::MFA);
}
