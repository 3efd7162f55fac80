//! Waking from sleep as logind announces it: `PrepareForSleep(false)` from
//! `org.freedesktop.login1` on the system bus. The refresh engine then re-reads its state and
//! pulls retries forward (the network it lacked may be back), instead of waiting out a backoff
//! planned before the machine slept. The realtime timer (`clock.rs`) already wakes the engine
//! for anything that came due meanwhile; this is for what was waiting on a retry.
//!
//! Where there is no system bus or no logind (containers, other systems) nothing is watched:
//! the timer alone keeps every promise.

use tokio::sync::mpsc;

/// Send `woke` (the engine's `Command::Woke`) each time logind says the machine woke, until the
/// engine stops.
pub async fn forward_wakes<C: Send + 'static>(commands: mpsc::WeakSender<C>, woke: fn() -> C) {
    #[cfg(target_os = "linux")]
    if let Err(e) = linux::forward(&commands, woke).await {
        tracing::debug!("not watching for sleep (logind on the system bus): {e}");
    }
    #[cfg(not(target_os = "linux"))]
    drop((commands, woke));
}

#[cfg(target_os = "linux")]
mod linux {
    use std::future::poll_fn;
    use std::pin::Pin;

    use futures_core::Stream;
    use tokio::sync::mpsc;
    use zbus::message::Type;
    use zbus::{MatchRule, MessageStream};

    pub async fn forward<C: Send + 'static>(
        commands: &mpsc::WeakSender<C>,
        woke: fn() -> C,
    ) -> zbus::Result<()> {
        let bus = zbus::Connection::system().await?;
        let rule = MatchRule::builder()
            .msg_type(Type::Signal)
            .sender("org.freedesktop.login1")?
            .path("/org/freedesktop/login1")?
            .interface("org.freedesktop.login1.Manager")?
            .member("PrepareForSleep")?
            .build();
        let mut signals = MessageStream::for_match_rule(rule, &bus, None).await?;
        tracing::info!("watching logind for sleep and wake");
        while let Some(signal) = poll_fn(|cx| Pin::new(&mut signals).poll_next(cx)).await {
            let going_to_sleep = match signal.and_then(|s| s.body().deserialize::<bool>()) {
                Ok(going) => going,
                Err(e) => {
                    tracing::debug!("unreadable PrepareForSleep signal: {e}");
                    continue;
                }
            };
            let Some(engine) = commands.upgrade() else {
                break; // the engine stopped
            };
            if going_to_sleep {
                tracing::info!("going to sleep");
            } else if engine.send(woke()).await.is_err() {
                break;
            }
        }
        Ok(())
    }
}
