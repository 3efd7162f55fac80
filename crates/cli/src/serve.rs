//! Credentials for a command that needs them now. An active session still good in the
//! credentials file is read from there, with no async runtime, no TLS and no STS call (the path
//! every SDK's `credential_process` refresh takes); anything else is obtained through the engine.

use anyhow::Context;
use rolekeeper_core::snapshot::Snapshot;
use rolekeeper_core::{CredentialRequest, Credentials, Engine, MfaPrompt};

/// What a command about one profile starts from: the engine (a role obtained by another process
/// a moment ago is served by the running engine), the command's one snapshot (the files'
/// warnings said on stderr), and the profile (`AWS_PROFILE`, then `default`, when none is given).
pub fn for_profile(profile: Option<&str>) -> (Engine, Snapshot, String) {
    let engine = Engine::system().asking_running_engine();
    let snapshot = engine.snapshot();
    crate::warn_about_files(&snapshot);
    let profile = profile
        .map(str::to_owned)
        .unwrap_or_else(|| engine.default_profile());
    (engine, snapshot, profile)
}

/// The runtime a command builds only once it needs the network: one thread is enough for one
/// request (and for `exec`'s child and endpoint).
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// [`Engine::serve`] from synchronous code, over the command's one snapshot: the runtime is
/// built only when the credentials file cannot serve.
pub fn credentials(
    engine: &Engine,
    snapshot: &Snapshot,
    name: &str,
    request: &CredentialRequest,
    mfa: &dyn MfaPrompt,
) -> anyhow::Result<Credentials> {
    if let Some(served) = engine.serve_cached(snapshot, name, request)? {
        return Ok(served);
    }
    let runtime = runtime()?;
    let credentials = runtime.block_on(engine.serve(snapshot, name, request, mfa));
    // A keychain call that timed out may still hold a blocking thread: exit without waiting.
    runtime.shutdown_background();
    Ok(credentials?)
}

/// [`Engine::serve`] over a snapshot taken now: for a command that asks more than once (`exec`
/// serves its child for hours), each ask is its own operation.
pub async fn fresh(
    engine: &Engine,
    name: &str,
    request: &CredentialRequest,
    mfa: &dyn MfaPrompt,
) -> anyhow::Result<Credentials> {
    Ok(engine.serve(&engine.snapshot(), name, request, mfa).await?)
}
