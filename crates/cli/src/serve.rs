//! Credentials for a command that needs them now. An active session still good in the
//! credentials file is read from there, with no async runtime, no TLS and no STS call (the path
//! every SDK's `credential_process` refresh takes); anything else is obtained through the engine.

use anyhow::Context;
use rolekeeper_core::{CredentialRequest, Credentials, Engine, MfaPrompt};

/// The runtime a command builds only once it needs the network: one thread is enough for one
/// request (and for `exec`'s child and endpoint).
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// [`fresh`] from synchronous code: the runtime is built only when the file cannot serve.
pub fn credentials(
    engine: &Engine,
    name: &str,
    request: &CredentialRequest,
    mfa: &dyn MfaPrompt,
) -> anyhow::Result<Credentials> {
    if request.duration.is_none() {
        if let Some(served) = engine.cached_session(name)? {
            return Ok(served);
        }
    }
    let runtime = runtime()?;
    let credentials = runtime.block_on(fresh(engine, name, request, mfa));
    // A keychain call that timed out may still hold a blocking thread: exit without waiting.
    runtime.shutdown_background();
    credentials
}

/// An active session from the file while it is good, else renewed (and written back); with an
/// explicit `duration`, always obtained now, as asked, and not written anywhere.
pub async fn fresh(
    engine: &Engine,
    name: &str,
    request: &CredentialRequest,
    mfa: &dyn MfaPrompt,
) -> anyhow::Result<Credentials> {
    if request.duration.is_some() {
        return Ok(engine.credentials(name, request, mfa).await?);
    }
    if let Some(served) = engine.cached_session(name)? {
        return Ok(served);
    }
    if let Some(kept) = engine.kept_session(name, request).await? {
        return Ok(kept);
    }
    Ok(engine.renew(name, request, mfa).await?)
}
