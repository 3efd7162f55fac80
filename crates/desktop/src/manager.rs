//! The manager window's commands: sessions, sources, settings, diagnostics. Plain functions over
//! the engine; errors cross IPC as `{code, message}` (see `error::IpcError`), and no secret
//! ever goes back to the web view: a source's secret comes in once, as an argument, and is
//! dropped here.

use std::sync::Arc;

use crate::shell::Shell;
use rolekeeper_core::doctor::{self, Check};
use rolekeeper_core::{
    ActivateOptions, CredentialRequest, Delivery, Engine, ProfileKind, Secret, Settings, Source,
};
use serde::Serialize;

use crate::desktop::{Desktop, WantedCode};
use crate::error::{IpcCode, IpcError, IpcResult};
use crate::windows;

fn engine(app: &Shell) -> Arc<Engine> {
    Arc::clone(&app.desktop().engine)
}

/// How a session action ended: done, or waiting for the MFA code the dialog now asks for (the
/// code completes the action; the window hears of it through the engine's events), or done by
/// adopting lines of the config file (`{"adopted": note}`: the window says what and how to undo).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionOutcome {
    Done,
    CodeAsked,
    Adopted(String),
}

/// An activation that adopted lines of `~/.aws/config` changed a file the user wrote: said in a
/// notification (the tray's actions have no window) and returned for the window. `None` when
/// nothing was adopted.
pub fn tell_adoption(app: &Shell, activation: &rolekeeper_core::Activation) -> Option<String> {
    let note = activation.adoption_note(
        &activation.name,
        &format!(
            "Deactivate (or `rolekeeper deactivate {}`)",
            activation.name
        ),
    )?;
    tracing::info!(session = %activation.name, "{note}");
    app.desktop().notifier.tell(
        format!("RoleKeeper changed your AWS config for {}", activation.name),
        note.clone(),
    );
    Some(note)
}

/// Activate (or renew) `name` with no one to ask mid-way; when a code is needed, the MFA dialog
/// opens for it and the action completes with the code typed there.
async fn activate_or_ask(
    app: &Shell,
    name: &str,
    request: CredentialRequest,
    options: ActivateOptions,
) -> IpcResult<ActionOutcome> {
    let client = app.desktop().client.clone();
    let activated = client.activate(name, request.clone(), None, options).await;
    match activated {
        Ok(activation) => Ok(match tell_adoption(app, &activation) {
            Some(note) => ActionOutcome::Adopted(note),
            None => ActionOutcome::Done,
        }),
        Err(rolekeeper_core::Error::MfaCodeUnavailable { serial, .. }) => {
            tracing::info!(session = %name, "a code is needed: asking in the dialog");
            app.desktop().want_code(WantedCode {
                session: name.to_owned(),
                serial,
                request,
                options,
            });
            crate::tray::update(app, None);
            windows::show(app, windows::MFA);
            Ok(ActionOutcome::CodeAsked)
        }
        Err(e) => Err(e.into()),
    }
}

/// Activate `name` (renewing it if active). `delivery` (`file` or `process`) and
/// `duration_seconds` change the session's choices; absent, the earlier ones stay. A duration of
/// 0 goes back to the profile's own `duration_seconds`.
pub async fn activate_session(
    app: Shell,
    name: String,
    delivery: Option<String>,
    duration_seconds: Option<u64>,
) -> IpcResult<ActionOutcome> {
    let delivery = delivery
        .map(|d| d.parse::<Delivery>())
        .transpose()
        .map_err(|why| IpcError::new(IpcCode::InvalidInput, why))?;
    let duration = duration_seconds
        .filter(|s| *s > 0)
        .map(std::time::Duration::from_secs);
    let request = CredentialRequest {
        duration,
        ..CredentialRequest::default()
    };
    let options = ActivateOptions {
        delivery,
        forget_duration: duration_seconds == Some(0),
        ..ActivateOptions::default()
    };
    activate_or_ask(&app, &name, request, options).await
}

/// Renew one session now (a new session from STS, not the keychain's), keeping its choices.
pub async fn refresh_session(app: Shell, name: String) -> IpcResult<ActionOutcome> {
    let request = CredentialRequest {
        renew: true,
        ..CredentialRequest::default()
    };
    activate_or_ask(&app, &name, request, ActivateOptions::default()).await
}

pub async fn deactivate_session(app: Shell, name: String) -> IpcResult<ActionOutcome> {
    let client = app.desktop().client.clone();
    client.deactivate(&name, false).await?;
    // A code asked for it is no longer wanted.
    app.desktop().drop_wanted_code(&name);
    Ok(ActionOutcome::Done)
}

/// A source as the window shows it: never key material (its key id masked, with what IAM last
/// said of it).
#[derive(Debug, Serialize)]
pub struct SourceView {
    name: String,
    mfa_serial: Option<String>,
    region: Option<String>,
    key: Option<crate::keys::KeyView>,
}

pub fn list_sources(desktop: &Desktop) -> IpcResult<Vec<SourceView>> {
    let mut keys = crate::keys::key_views(&desktop.engine);
    Ok(desktop
        .engine
        .sources()
        .list()?
        .into_iter()
        .map(|s| SourceView {
            key: keys.remove(&s.name),
            name: s.name,
            mfa_serial: s.mfa_serial,
            region: s.region,
        })
        .collect())
}

fn empty_to_none(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Store long-term keys in the keychain. The secret arrives once and goes straight into a
/// [`Secret`]; nothing about it is returned or logged.
pub async fn add_source(
    app: Shell,
    name: String,
    access_key_id: String,
    secret_access_key: String,
    mfa_serial: Option<String>,
    region: Option<String>,
) -> IpcResult<()> {
    let source = Source {
        name: name.trim().to_owned(),
        access_key_id: access_key_id.trim().to_owned(),
        secret_access_key: Secret::new(secret_access_key.trim()),
        mfa_serial: empty_to_none(mfa_serial),
        region: empty_to_none(region),
    };
    source
        .validate()
        .map_err(|e| IpcError::new(IpcCode::InvalidInput, e.to_string()))?;
    let engine = engine(&app);
    let name = source.name.clone();
    engine.sources().add(source).await?;
    // Other keys now: what was kept of the old ones is not about them.
    engine
        .key_cache()
        .update(&name, |_| None)
        .map_err(rolekeeper_core::Error::from)?;
    Ok(())
}

pub async fn remove_source(app: Shell, name: String) -> IpcResult<()> {
    engine(&app)
        .sources()
        .remove(&name)
        .await
        .map_err(IpcError::from)
}

/// Profiles of the credentials file that hold plain long-term keys: what import can move.
pub fn importable_profiles(desktop: &Desktop) -> IpcResult<Vec<String>> {
    Ok(desktop
        .engine
        .profiles()?
        .into_iter()
        .filter(|p| p.kind == ProfileKind::Static)
        .map(|p| p.name)
        .collect())
}

/// Move a plain-keys profile of the credentials file into the keychain (a backup first; only
/// its key lines leave the file; the profile keeps working through `credential_process`).
pub async fn import_source(app: Shell, profile: String, as_name: Option<String>) -> IpcResult<()> {
    let as_name = empty_to_none(as_name);
    engine(&app)
        .import_source(&profile, as_name.as_deref())
        .await?;
    app.desktop().reload();
    Ok(())
}

pub fn get_settings(desktop: &Desktop) -> IpcResult<Settings> {
    desktop
        .engine
        .settings()
        .map_err(|e| IpcError::new(IpcCode::Settings, e.to_string()))
}

/// Save the settings and apply them at once: the engine's policy, notifications, start at login.
pub fn set_settings(app: Shell, settings: Settings) -> IpcResult<()> {
    settings
        .validate()
        .map_err(|e| IpcError::new(IpcCode::InvalidInput, e.to_string()))?;
    let desktop = app.desktop();
    desktop
        .engine
        .save_settings(&settings)
        .map_err(|e| IpcError::new(IpcCode::Settings, e.to_string()))?;
    desktop.apply_settings(&settings);
    crate::autostart::set(desktop.engine.env(), settings.start_at_login).map_err(|e| {
        IpcError::new(
            IpcCode::Settings,
            format!("saved, but start at login could not be changed: {e}"),
        )
    })
}

/// What the diagnostics view shows: the files read and the checks, which name every line an AWS
/// reader refuses (`rolekeeper_core::doctor`, the same list `rolekeeper doctor` prints).
#[derive(Debug, Serialize)]
pub struct Diagnostics {
    config_file: String,
    credentials_file: String,
    checks: Vec<Check>,
}

pub async fn diagnostics(app: Shell) -> Diagnostics {
    let engine = engine(&app);
    let locations = engine.locations();
    let mut checks = doctor::checks(&engine);
    // The same checks as `rolekeeper doctor`, asked side by side.
    let (keychain, notifications, tray, clock) = tokio::join!(
        doctor::keychain_check(&engine),
        doctor::notification_check(),
        doctor::tray_host_check(),
        doctor::clock_check(&engine)
    );
    checks.extend([keychain, notifications, tray, clock]);
    Diagnostics {
        config_file: locations.config.display().to_string(),
        credentials_file: locations.credentials.display().to_string(),
        checks,
    }
}
