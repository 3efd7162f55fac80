//! The tray icon and its menu. The menu is a pure [`MenuModel`] computed from the engine's state,
//! then drawn; every engine event redraws it, so the tray always says what the engine knows.

use rolekeeper_core::{apply_health, session_views, Event, SessionView};
use tauri::image::Image;
use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Wry};

use crate::app::Desktop;
use crate::windows;

const TRAY_ID: &str = "main";

/// Menu item ids. Session rows are `session:<name>`.
mod id {
    pub const REFRESH_ALL: &str = "refresh_all";
    pub const ENTER_MFA: &str = "enter_mfa";
    pub const OPEN: &str = "open";
    pub const QUIT: &str = "quit";
}

/// The tray icon shows the worst state of all sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TrayState {
    /// Nothing active.
    Idle,
    /// Every active session is fresh.
    Fresh,
    /// Something needs the user soon: a session expired or needs a code.
    Attention,
    /// The engine cannot read the files or refresh.
    Failing,
}

impl TrayState {
    fn icon(self) -> &'static [u8] {
        match self {
            TrayState::Idle => include_bytes!("../../icons/tray-idle.png"),
            TrayState::Fresh => include_bytes!("../../icons/tray-fresh.png"),
            TrayState::Attention => include_bytes!("../../icons/tray-attention.png"),
            TrayState::Failing => include_bytes!("../../icons/tray-failing.png"),
        }
    }
}

/// Everything the menu shows, without any GUI type: tested on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuModel {
    /// First line, not clickable: how things stand overall.
    pub headline: String,
    /// One line per active session: `prodaccess — fresh · 47 min`.
    pub sessions: Vec<String>,
    pub mfa_needed: bool,
    pub state: TrayState,
}

impl MenuModel {
    pub fn new(views: &[SessionView], problem: Option<&str>) -> Self {
        let active: Vec<&SessionView> = views.iter().filter(|v| v.active).collect();
        let sessions = active
            .iter()
            .map(|v| format!("{} — {}", v.name, v.state))
            .collect();
        let mfa_needed = active.iter().any(|v| v.state == "needs MFA code");
        let attention = mfa_needed || active.iter().any(|v| v.state == "expired");
        let failing = active
            .iter()
            .any(|v| v.state.starts_with("failing") || v.state.starts_with("retrying"));
        let state = match (problem, attention, active.is_empty()) {
            (Some(_), _, _) => TrayState::Failing,
            _ if failing => TrayState::Failing,
            (None, true, _) => TrayState::Attention,
            (None, false, true) => TrayState::Idle,
            (None, false, false) => TrayState::Fresh,
        };
        let headline = match problem {
            Some(message) => format!("Problem: {}", shorten(message, 90)),
            None => match (views.len(), active.len()) {
                (0, _) => "No AWS profiles found".to_owned(),
                (n, 0) => format!("{n} {} · none active", plural(n, "profile", "profiles")),
                (n, a) => format!("{n} {} · {a} active", plural(n, "profile", "profiles")),
            },
        };
        Self {
            headline,
            sessions,
            mfa_needed,
            state,
        }
    }

    fn tooltip(&self) -> String {
        format!("RoleKeeper — {}", self.headline)
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// At most `max` characters, with an ellipsis when cut: menu lines must stay readable.
fn shorten(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() <= max {
        return line.to_owned();
    }
    let cut: String = line.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}

/// Create the tray icon with a first menu (the engine's first event redraws it).
pub fn create(app: &AppHandle) -> tauri::Result<()> {
    let model = current_model(app, None);
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(Image::from_bytes(model.state.icon())?)
        .tooltip(model.tooltip())
        .menu(&build_menu(app, &model)?)
        .show_menu_on_left_click(true)
        .on_menu_event(on_menu_event)
        .build(app)?;
    Ok(())
}

/// Redraw the tray after an engine event (`None`: events were missed, just re-read the state).
pub fn update(app: &AppHandle, event: Option<&Event>) {
    let problem = match event {
        Some(Event::Problem { message }) => Some(message.as_str()),
        _ => None,
    };
    let model = current_model(app, problem);
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let result = build_menu(app, &model).and_then(|menu| {
        tray.set_menu(Some(menu))?;
        tray.set_icon(Some(Image::from_bytes(model.state.icon())?))?;
        tray.set_tooltip(Some(model.tooltip()))
    });
    if let Err(e) = result {
        tracing::warn!("cannot update the tray: {e}");
    }
}

fn current_model(app: &AppHandle, problem: Option<&str>) -> MenuModel {
    let desktop = app.state::<Desktop>();
    let engine = &desktop.engine;
    let views = engine.profiles().and_then(|profiles| {
        let mut views = session_views(&profiles, &engine.sessions()?);
        apply_health(&mut views, &desktop.health());
        Ok(views)
    });
    match views {
        Ok(views) => MenuModel::new(&views, problem),
        Err(e) => MenuModel::new(&[], Some(&e.to_string())),
    }
}

fn build_menu(app: &AppHandle, model: &MenuModel) -> tauri::Result<Menu<Wry>> {
    let menu = Menu::new(app)?;
    menu.append(&MenuItem::with_id(
        app,
        "headline",
        &model.headline,
        false,
        None::<&str>,
    )?)?;
    for (i, line) in model.sessions.iter().enumerate() {
        menu.append(&MenuItem::with_id(
            app,
            format!("session:{i}"),
            line,
            false,
            None::<&str>,
        )?)?;
    }
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    menu.append(&MenuItem::with_id(
        app,
        id::REFRESH_ALL,
        "Refresh all now",
        true,
        None::<&str>,
    )?)?;
    menu.append(&MenuItem::with_id(
        app,
        id::ENTER_MFA,
        "Enter MFA code…",
        model.mfa_needed,
        None::<&str>,
    )?)?;
    menu.append(&MenuItem::with_id(
        app,
        id::OPEN,
        "Open RoleKeeper…",
        true,
        None::<&str>,
    )?)?;
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    menu.append(&MenuItem::with_id(
        app,
        id::QUIT,
        "Quit",
        true,
        None::<&str>,
    )?)?;
    Ok(menu)
}

fn on_menu_event(app: &AppHandle, event: MenuEvent) {
    tracing::info!(item = event.id.as_ref(), "tray menu");
    match event.id.as_ref() {
        id::REFRESH_ALL => app.state::<Desktop>().refresh_all(),
        id::ENTER_MFA => windows::show(app, windows::MFA),
        id::OPEN => windows::show(app, windows::MAIN),
        id::QUIT => app.exit(0),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(name: &str, state: &str, active: bool) -> SessionView {
        SessionView {
            name: name.to_owned(),
            kind: "role",
            role_arn: None,
            source_profile: None,
            mfa_serial: None,
            state: state.to_owned(),
            active,
        }
    }

    struct Case<'a> {
        views: Vec<SessionView>,
        problem: Option<&'a str>,
        headline: &'a str,
        state: TrayState,
        mfa_enabled: bool,
    }

    #[test]
    fn the_menu_says_how_things_stand() {
        let cases = [
            Case {
                views: vec![],
                problem: None,
                headline: "No AWS profiles found",
                state: TrayState::Idle,
                mfa_enabled: false,
            },
            Case {
                views: vec![view("a", "off", false)],
                problem: None,
                headline: "1 profile · none active",
                state: TrayState::Idle,
                mfa_enabled: false,
            },
            Case {
                views: vec![view("a", "fresh · 47 min", true), view("b", "off", false)],
                problem: None,
                headline: "2 profiles · 1 active",
                state: TrayState::Fresh,
                mfa_enabled: false,
            },
            Case {
                views: vec![view("a", "needs MFA code", true)],
                problem: None,
                headline: "1 profile · 1 active",
                state: TrayState::Attention,
                mfa_enabled: true,
            },
            Case {
                views: vec![view("a", "failing: AccessDenied", true)],
                problem: None,
                headline: "1 profile · 1 active",
                state: TrayState::Failing,
                mfa_enabled: false,
            },
            Case {
                views: vec![view("a", "fresh · 47 min", true)],
                problem: Some("~/.aws/config, line 3: no closing ]\nmore"),
                headline: "Problem: ~/.aws/config, line 3: no closing ]",
                state: TrayState::Failing,
                mfa_enabled: false,
            },
        ];
        for case in cases {
            let model = MenuModel::new(&case.views, case.problem);
            assert_eq!(model.headline, case.headline);
            assert_eq!(model.state, case.state, "{}", case.headline);
            assert_eq!(model.mfa_needed, case.mfa_enabled, "{}", case.headline);
        }
    }

    #[test]
    fn active_sessions_are_listed_with_their_state() {
        let model = MenuModel::new(
            &[
                view("prod", "fresh · 47 min", true),
                view("dev", "off", false),
            ],
            None,
        );
        assert_eq!(model.sessions, ["prod — fresh · 47 min"]);
    }

    #[test]
    fn long_problems_are_shortened() {
        let long = "x".repeat(200);
        let model = MenuModel::new(&[], Some(&long));
        assert_eq!(model.headline.chars().count(), "Problem: ".len() + 90);
        assert!(model.headline.ends_with('…'));
    }
}
