//! "Open console" (the tray's per-profile item and the Sessions tab's button): the AWS console in
//! the browser, signed in as a profile. Thin glue over the engine's console sign-in: a session
//! comes from the loop's serving order (`client.serve`: an active session is used as it is), an
//! IAM user's keys from the engine; the login URL goes from Rust to the browser and never
//! reaches the web view.

use crate::shell::Shell;
use rolekeeper_core::console::{ConsoleKind, ConsoleRequest};
use rolekeeper_core::NoMfaPrompt;

use crate::error::IpcResult;

/// Open the console home of `name`'s region; what the user should know comes back in words
/// (an IAM user's console session has no MFA context).
pub async fn open_console(app: Shell, name: String) -> IpcResult<Vec<String>> {
    let (engine, client) = {
        let desktop = app.desktop();
        (desktop.engine.clone(), desktop.client.clone())
    };
    let snapshot = engine.snapshot();
    let request = ConsoleRequest::default();
    let target = engine.console_target(&snapshot, &name, &request)?;
    engine.console_browser_ready(&target)?;
    let credentials = match target.kind {
        ConsoleKind::Session { .. } => client.serve(&name).await?,
        ConsoleKind::IamUser => {
            engine
                .console_keys(&snapshot, &target, &NoMfaPrompt)
                .await?
        }
    };
    let signed_in = engine
        .console_sign_in(&target, &credentials, &request)
        .await?;
    engine.open_console(&target, &signed_in.url)?;
    tracing::info!(profile = %name, region = %target.region, "opened the AWS console");
    Ok(signed_in.notes)
}
