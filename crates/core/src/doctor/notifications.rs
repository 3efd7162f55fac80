//! The notification server: whether one answers on the session bus
//! (`org.freedesktop.Notifications`), and whether it shows buttons, which the "Enter code"
//! notification needs. Only ever a warning: the tray shows every state without it.

use std::time::Duration;

use super::{Check, Outcome};

const NAME: &str = "notification server";

/// A server that has not answered by then is as good as none.
const TIMEOUT: Duration = Duration::from_secs(3);

/// What the server says of itself (`GetServerInformation`, `GetCapabilities`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    pub name: String,
    pub vendor: String,
    pub version: String,
    pub capabilities: Vec<String>,
}

/// Asks the notification server on the session bus, with a short timeout.
pub async fn notification_check() -> Check {
    let answer = match tokio::time::timeout(TIMEOUT, ask()).await {
        Ok(answer) => answer,
        Err(_) => Err(format!(
            "nothing answered on the session bus within {} s",
            TIMEOUT.as_secs()
        )),
    };
    match answer {
        Ok(info) => server_check(&info),
        Err(why) => Check::new(
            NAME,
            Outcome::Warn,
            format!("no notification server answers ({why}), so nothing pops up"),
        )
        .fix("start your desktop's notification daemon; the tray still shows every state"),
    }
}

/// A server that answered: ok when it shows buttons.
pub fn server_check(info: &ServerInfo) -> Check {
    let found = format!("{} {} by {}", info.name, info.version, info.vendor);
    if info.capabilities.iter().any(|c| c == "actions") {
        Check::new(NAME, Outcome::Ok, found)
    } else {
        Check::new(
            NAME,
            Outcome::Warn,
            format!("{found} shows no buttons, so \"Enter code\" is missing from notifications"),
        )
        .fix("use Enter MFA code… in the tray menu")
    }
}

#[cfg(target_os = "linux")]
async fn ask() -> Result<ServerInfo, String> {
    query().await.map_err(|e| e.to_string())
}

#[cfg(target_os = "linux")]
async fn query() -> zbus::Result<ServerInfo> {
    const DESTINATION: &str = "org.freedesktop.Notifications";
    const PATH: &str = "/org/freedesktop/Notifications";
    let bus = zbus::Connection::session().await?;
    let call = |method: &'static str| {
        bus.call_method(Some(DESTINATION), PATH, Some(DESTINATION), method, &())
    };
    let (name, vendor, version, _spec): (String, String, String, String) =
        call("GetServerInformation").await?.body().deserialize()?;
    let capabilities: Vec<String> = call("GetCapabilities").await?.body().deserialize()?;
    Ok(ServerInfo {
        name,
        vendor,
        version,
        capabilities,
    })
}

#[cfg(not(target_os = "linux"))]
async fn ask() -> Result<ServerInfo, String> {
    Err("only the freedesktop notification server is checked, on Linux".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(capabilities: &[&str]) -> ServerInfo {
        ServerInfo {
            name: "dunst".into(),
            vendor: "knopwob".into(),
            version: "1.9.0".into(),
            capabilities: capabilities.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    #[test]
    fn a_server_without_buttons_is_a_warning() {
        let ok = server_check(&info(&["body", "actions"]));
        assert_eq!(ok.outcome, Outcome::Ok);
        assert_eq!(ok.detail, "dunst 1.9.0 by knopwob");
        let no_buttons = server_check(&info(&["body"]));
        assert_eq!(no_buttons.outcome, Outcome::Warn);
        assert!(no_buttons.detail.contains("\"Enter code\" is missing"));
        assert!(no_buttons.fix.is_some());
    }
}
