//! The tray host: whether something on the session bus shows StatusNotifier tray icons
//! (`org.kde.StatusNotifierWatcher` with a host registered). Stock GNOME has none unless the
//! AppIndicator extension is on: RoleKeeper's icon then shows nowhere, so the desktop app opens
//! its window on start instead, and doctor says why.

use std::time::Duration;

use super::{Check, Outcome};

const NAME: &str = "tray icon host";

/// A bus that has not answered by then is as good as none.
const TIMEOUT: Duration = Duration::from_secs(3);

const WATCHER: &str = "org.kde.StatusNotifierWatcher";

/// What the session bus says about tray hosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrayHost {
    /// A watcher with a host registered: the icon shows.
    Present,
    /// A watcher, but no host has registered with it (a panel that is not running yet).
    NoHost,
    /// No watcher at all (stock GNOME without the AppIndicator extension).
    NoWatcher,
    /// The session bus could not be asked.
    Unknown(String),
}

impl TrayHost {
    /// Why the icon cannot show, in words; `None` when it can (or when that is unknown: the
    /// app does not guess).
    pub fn missing(&self) -> Option<&'static str> {
        match self {
            TrayHost::Present | TrayHost::Unknown(_) => None,
            TrayHost::NoHost => Some(
                "a StatusNotifierWatcher runs on the session bus but no tray host has registered \
                 with it, so RoleKeeper's tray icon shows nowhere",
            ),
            TrayHost::NoWatcher => Some(
                "nothing on the session bus shows StatusNotifier tray icons (no \
                 org.kde.StatusNotifierWatcher), so RoleKeeper's tray icon shows nowhere",
            ),
        }
    }
}

/// What to install so the icon shows: the same words in doctor and in the window.
pub const TRAY_HOST_FIX: &str = "on GNOME, install and enable the AppIndicator extension \
     (Debian/Ubuntu: `sudo apt install gnome-shell-extension-appindicator`, then log out and in); \
     other desktops: add a system tray / status notifier area to the panel. Until then the \
     RoleKeeper window opens on start and notifications still work";

/// Asks the session bus, with a short timeout.
pub async fn tray_host() -> TrayHost {
    match tokio::time::timeout(TIMEOUT, ask()).await {
        Ok(host) => host,
        Err(_) => TrayHost::Unknown(format!(
            "the session bus did not answer within {} s",
            TIMEOUT.as_secs()
        )),
    }
}

/// The doctor's line for `host`.
pub fn tray_host_check_of(host: &TrayHost) -> Check {
    match (host, host.missing()) {
        (TrayHost::Present, _) => Check::new(
            NAME,
            Outcome::Ok,
            "a StatusNotifier host shows the tray icon",
        ),
        (TrayHost::Unknown(why), _) => Check::new(
            NAME,
            Outcome::Warn,
            format!("cannot tell whether the tray icon shows ({why})"),
        )
        .fix("run RoleKeeper's desktop app inside a desktop session (DBUS_SESSION_BUS_ADDRESS)"),
        (_, missing) => {
            Check::new(NAME, Outcome::Warn, missing.unwrap_or_default()).fix(TRAY_HOST_FIX)
        }
    }
}

/// [`tray_host`] as a doctor check.
pub async fn tray_host_check() -> Check {
    tray_host_check_of(&tray_host().await)
}

#[cfg(target_os = "linux")]
async fn ask() -> TrayHost {
    match query().await {
        Ok(host) => host,
        Err(e) => TrayHost::Unknown(e.to_string()),
    }
}

#[cfg(target_os = "linux")]
async fn query() -> zbus::Result<TrayHost> {
    let bus = zbus::Connection::session().await?;
    let dbus = zbus::fdo::DBusProxy::new(&bus).await?;
    let watcher = zbus::names::BusName::try_from(WATCHER)?;
    if !dbus.name_has_owner(watcher).await? {
        return Ok(TrayHost::NoWatcher);
    }
    let reply = bus
        .call_method(
            Some(WATCHER),
            "/StatusNotifierWatcher",
            Some("org.freedesktop.DBus.Properties"),
            "Get",
            &(WATCHER, "IsStatusNotifierHostRegistered"),
        )
        .await?;
    let value: zbus::zvariant::OwnedValue = reply.body().deserialize()?;
    Ok(match bool::try_from(value) {
        Ok(true) => TrayHost::Present,
        Ok(false) => TrayHost::NoHost,
        Err(e) => TrayHost::Unknown(format!("IsStatusNotifierHostRegistered: {e}")),
    })
}

/// Elsewhere the tray is the platform's own (macOS menu bar, Windows notification area).
#[cfg(not(target_os = "linux"))]
async fn ask() -> TrayHost {
    TrayHost::Present
}

/// Returns once something owns `org.kde.StatusNotifierWatcher` on the session bus: a panel
/// started after the app (a login where the app's autostart wins the race, a panel restarted).
/// Waits on the bus's `NameOwnerChanged` signal, so an idle wait wakes nothing. An error means
/// the bus cannot be watched; the caller then gives up on the tray.
#[cfg(target_os = "linux")]
pub async fn watcher_appears() -> zbus::Result<()> {
    use std::future::poll_fn;
    use std::pin::Pin;

    use futures_core::Stream;
    let bus = zbus::Connection::session().await?;
    let dbus = zbus::fdo::DBusProxy::new(&bus).await?;
    // Subscribed before asking, so a watcher that appears in between is not missed.
    let mut changes = dbus
        .receive_name_owner_changed_with_args(&[(0, WATCHER)])
        .await?;
    if dbus
        .name_has_owner(zbus::names::BusName::try_from(WATCHER)?)
        .await?
    {
        return Ok(());
    }
    while let Some(change) = poll_fn(|cx| Pin::new(&mut changes).poll_next(cx)).await {
        if change.args().is_ok_and(|args| args.new_owner().is_some()) {
            return Ok(());
        }
    }
    Err(zbus::Error::Failure(
        "the session bus connection closed".into(),
    ))
}

/// Elsewhere the tray is always there.
#[cfg(not(target_os = "linux"))]
pub async fn watcher_appears() -> Result<(), std::convert::Infallible> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_answer_of_the_bus_has_its_line() {
        let cases = [
            (TrayHost::Present, Outcome::Ok, "shows the tray icon", false),
            (
                TrayHost::NoWatcher,
                Outcome::Warn,
                "no org.kde.StatusNotifierWatcher",
                true,
            ),
            (
                TrayHost::NoHost,
                Outcome::Warn,
                "no tray host has registered",
                true,
            ),
            (
                TrayHost::Unknown("no bus".into()),
                Outcome::Warn,
                "cannot tell whether the tray icon shows (no bus)",
                false,
            ),
        ];
        for (host, outcome, words, missing) in cases {
            let check = tray_host_check_of(&host);
            assert_eq!(check.outcome, outcome, "{host:?}");
            assert!(check.detail.contains(words), "{host:?}: {}", check.detail);
            assert_eq!(host.missing().is_some(), missing, "{host:?}");
            if missing {
                assert!(check
                    .fix
                    .as_deref()
                    .unwrap_or_default()
                    .contains("AppIndicator"));
            }
        }
    }
}
