//! The tray icon and its menu. The menu is a pure [`MenuModel`] computed from the engine's state,
//! then drawn; every engine event redraws it, so the tray always says what the engine knows.

use std::collections::BTreeMap;

use rolekeeper_core::sso::Flow;
use rolekeeper_core::{apply_health, session_views, Event, ProfileKind, SessionState, SessionView};
use std::time::SystemTime;

use tokio::sync::watch;

use crate::actions::TrayAction;
use crate::shell::Shell;
use crate::sso::Standing;
use crate::tray_groups::{self, ProfileGroup};
use crate::windows;

/// The StatusNotifierItem's `Id` (tray hosts remember an item's place by it).
const TRAY_ID: &str = "rolekeeper";
/// The item's `Title`, and the tooltip's first line: what assistive tech and tray hosts call it.
const TITLE: &str = "RoleKeeper";

/// Menu item ids. A session's items are `session:<name>:<action>`.
mod id {
    use crate::actions::TrayAction;

    pub const REFRESH_ALL: &str = "refresh_all";
    pub const ENTER_MFA: &str = "enter_mfa";
    pub const OPEN: &str = "open";
    pub const PAUSE: &str = "pause";
    pub const QUIT: &str = "quit";
    const SESSION: &str = "session:";
    /// "Sign in to corp…": `sso:<session>`.
    pub const SIGN_IN: &str = "sso:";

    /// The id of `action` on session `name`.
    pub fn session(name: &str, action: TrayAction) -> String {
        format!("{SESSION}{name}:{}", action.id_word())
    }

    /// The session and action of an id made by [`session`]. The action is after the last `:`
    /// (a profile name may hold one; an action's word never does).
    pub fn parse_session(id: &str) -> Option<(&str, TrayAction)> {
        let (name, word) = id.strip_prefix(SESSION)?.rsplit_once(':')?;
        Some((name, TrayAction::from_id_word(word)?))
    }
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
    /// What one active session asks of the icon.
    fn of(state: &SessionState) -> Self {
        match state {
            SessionState::Fresh { .. } | SessionState::LongTermKeys => TrayState::Fresh,
            SessionState::Expired | SessionState::NeedsMfa => TrayState::Attention,
            SessionState::Retrying { .. } | SessionState::Failing { .. } => TrayState::Failing,
            SessionState::Off => TrayState::Idle,
        }
    }

    fn icon(self) -> &'static [u8] {
        match self {
            TrayState::Idle => include_bytes!("../../../icons/tray-idle.png"),
            TrayState::Fresh => include_bytes!("../../../icons/tray-fresh.png"),
            TrayState::Attention => include_bytes!("../../../icons/tray-attention.png"),
            TrayState::Failing => include_bytes!("../../../icons/tray-failing.png"),
        }
    }
}

/// Everything the menu shows, without any GUI type: tested on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuModel {
    /// First line, not clickable: how things stand overall.
    pub headline: String,
    /// One submenu per profile, active first: `prodaccess — fresh · 47 min`; with more than
    /// [`MENU_SESSIONS`] profiles, the active ones only.
    pub sessions: Vec<SessionRow>,
    /// With more than [`MENU_SESSIONS`] profiles, every profile under "All profiles (N)", in
    /// alphabetical groups that fit a screen (empty otherwise).
    pub all: Vec<ProfileGroup>,
    /// What the tooltip says after "RoleKeeper" (and assistive tech reads): how things stand,
    /// in words, e.g. `1 active · fresh 47 min`.
    pub summary: String,
    pub mfa_needed: bool,
    /// The IAM Identity Center sign-ins that need the user (needed, or ending), by session:
    /// each gets "Sign in to corp…".
    pub sign_ins: Vec<String>,
    pub paused: bool,
    pub state: TrayState,
}

/// One session's submenu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub name: String,
    pub label: String,
    pub active: bool,
    /// Whether activating means anything: only a role has a session to keep fresh (long-term
    /// keys have nothing to renew, and a profile with only settings, like a `[default]` with a
    /// region, has nothing to assume).
    pub renewable: bool,
    /// Whether the AWS console can be opened as it: a role, an IAM Identity Center role, or
    /// an IAM user's keys (the engine says why not for what it cannot federate).
    pub console: bool,
}

impl SessionRow {
    /// Its submenu's items: an active session is refreshed or deactivated, a role that is not
    /// activated; every profile's export lines can be copied; a profile with credentials opens
    /// the AWS console.
    pub fn actions(&self) -> Vec<TrayAction> {
        let mut actions = if self.active {
            vec![TrayAction::Refresh, TrayAction::Deactivate]
        } else if self.renewable {
            vec![TrayAction::Activate]
        } else {
            Vec::new()
        };
        actions.push(TrayAction::Copy);
        if self.console {
            actions.push(TrayAction::Console);
        }
        actions
    }
}

/// Up to this many profiles, the menu lists them all; with more, it lists the active ones and
/// puts every profile under "All profiles (N)".
const MENU_SESSIONS: usize = 15;

impl MenuModel {
    pub fn new(views: &[SessionView], problem: Option<&str>, paused: bool) -> Self {
        let active: Vec<&SessionView> = views.iter().filter(|v| v.active).collect();
        let row = |v: &SessionView| SessionRow {
            name: v.name.clone(),
            label: format!("{} — {}", v.name, v.state),
            active: v.active,
            renewable: v.active || v.kind == ProfileKind::Role,
            console: v.kind != ProfileKind::Other,
        };
        // `views` come active first (session_views).
        let (sessions, all) = if views.len() <= MENU_SESSIONS {
            (views.iter().map(row).collect(), Vec::new())
        } else {
            (
                active.iter().take(MENU_SESSIONS).map(|v| row(v)).collect(),
                tray_groups::groups(views.iter().map(row).collect()),
            )
        };
        let mfa_needed = active.iter().any(|v| v.state == SessionState::NeedsMfa);
        // The worst of the active sessions; a problem reading the files is worse than any.
        let state = match problem {
            Some(_) => TrayState::Failing,
            None => active
                .iter()
                .map(|v| TrayState::of(&v.state))
                .max()
                .unwrap_or(TrayState::Idle),
        };
        let headline = match problem {
            Some(message) => format!("Problem: {}", shorten(message, 90)),
            None if paused => "Paused: nothing is refreshed".to_owned(),
            None => match (views.len(), active.len()) {
                (0, _) => "No AWS profiles found".to_owned(),
                (n, 0) => format!("{n} {} · none active", plural(n, "profile", "profiles")),
                (n, a) => format!("{n} {} · {a} active", plural(n, "profile", "profiles")),
            },
        };
        let summary = match problem {
            Some(_) => headline.clone(),
            None if paused => headline.clone(),
            None => tooltip_summary(views.len(), &active),
        };
        Self {
            headline,
            sessions,
            all,
            summary,
            mfa_needed,
            sign_ins: Vec::new(),
            paused,
            state,
        }
    }

    /// The sign-ins the engine said need the user: the headline says so (unless a file cannot
    /// be read, which is worse), each gets its "Sign in to …" item, and the icon asks for
    /// attention.
    pub fn sign_ins_wanted(&mut self, standing: &BTreeMap<String, Standing>) {
        if standing.is_empty() {
            return;
        }
        self.sign_ins = standing.keys().cloned().collect();
        self.state = self.state.max(TrayState::Attention);
        if self.state == TrayState::Failing && self.headline.starts_with("Problem:") {
            return;
        }
        let needed: Vec<&str> = standing
            .iter()
            .filter(|(_, s)| matches!(s, Standing::Needed { .. }))
            .map(|(name, _)| name.as_str())
            .collect();
        let first_end = standing
            .iter()
            .filter_map(|(name, s)| match s {
                Standing::Ending { at } => Some((name, *at)),
                Standing::Needed { .. } => None,
            })
            .min_by_key(|(_, at)| *at);
        self.headline = match first_end {
            Some((name, at)) if needed.is_empty() => {
                let others = standing.len() - 1;
                let more = if others > 0 {
                    format!(" (+{others})")
                } else {
                    String::new()
                };
                format!(
                    "Sign-in ends at {}: {name}{more}",
                    rolekeeper_core::mfa::plan::clock_time(at)
                )
            }
            _ => shorten(&format!("Sign-in needed: {}", needed.join(", ")), 90),
        };
        // The tooltip says it first too.
        self.summary = self.headline.clone();
    }

    /// How many profiles the menu knows.
    pub fn profile_count(&self) -> usize {
        if self.all.is_empty() {
            self.sessions.len()
        } else {
            self.all.iter().map(|g| g.rows.len()).sum()
        }
    }

    /// Someone waits for an MFA code: "Enter MFA code…" is offered and the icon asks for
    /// attention (unless something is failing, which shows first).
    pub fn ask_for_code(&mut self) {
        self.mfa_needed = true;
        self.state = self.state.max(TrayState::Attention);
        if !self.summary.contains("MFA code") && !self.summary.starts_with("Problem:") {
            self.summary = format!("{} · MFA code wanted", self.summary);
        }
    }
}

/// The tooltip's words when nothing is wrong with the files: how many sessions are active and
/// how the one that needs the user first stands ("2 active · fresh 12 min": the worst state, and
/// of fresh sessions the one that ends first).
fn tooltip_summary(profiles: usize, active: &[&SessionView]) -> String {
    let first = active.iter().max_by_key(|v| {
        let left = match v.state {
            SessionState::Fresh { left } => std::cmp::Reverse(left),
            _ => std::cmp::Reverse(std::time::Duration::ZERO),
        };
        (TrayState::of(&v.state), left)
    });
    match first {
        None if profiles == 0 => "No AWS profiles found".to_owned(),
        None => format!(
            "{profiles} {} · none active",
            plural(profiles, "profile", "profiles")
        ),
        Some(view) => {
            let state = match view.state {
                SessionState::Fresh { left } => {
                    format!("fresh {}", rolekeeper_core::words::human_duration(left))
                }
                ref other => other.to_string(),
            };
            format!("{} active · {state}", active.len())
        }
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

/// The registered tray icon: redraws go through here, in order, the latest winning.
#[derive(Debug)]
pub struct TrayIcon {
    /// The menu to show, with when its redraw began (to time it).
    models: watch::Sender<Option<(MenuModel, SystemTime)>>,
}

/// What the StatusNotifierItem shows; ksni serves it over D-Bus and calls back on clicks.
struct TrayItem {
    app: Shell,
    model: MenuModel,
    icon: Vec<ksni::Icon>,
}

impl ksni::Tray for TrayItem {
    fn id(&self) -> String {
        TRAY_ID.to_owned()
    }

    fn title(&self) -> String {
        TITLE.to_owned()
    }

    fn icon_pixmap(&self) -> Vec<ksni::Icon> {
        self.icon.clone()
    }

    fn tool_tip(&self) -> ksni::ToolTip {
        ksni::ToolTip {
            title: TITLE.to_owned(),
            description: self.model.summary.clone(),
            icon_pixmap: self.icon.clone(),
            ..Default::default()
        }
    }

    /// A left click that reaches the app (the host did not show the menu itself) opens the
    /// manager window.
    fn activate(&mut self, _x: i32, _y: i32) {
        windows::show(&self.app, windows::MAIN);
    }

    fn menu(&self) -> Vec<ksni::MenuItem<Self>> {
        build_menu(&self.model)
    }

    /// The watcher went away (the panel restarts): keep the item; ksni registers it again when
    /// a watcher is back.
    fn watcher_offline(&self, reason: ksni::OfflineReason) -> bool {
        tracing::info!(
            ?reason,
            "the tray host went away; the icon comes back with it"
        );
        true
    }
}

/// Register the tray icon with a first menu (the engine's first event redraws it). Fails when
/// nothing on the session bus shows tray icons (no StatusNotifierWatcher).
pub async fn create(app: &Shell) -> Result<(), ksni::Error> {
    use ksni::TrayMethods;
    let model = current_model(app, None);
    let item = TrayItem {
        app: app.clone(),
        icon: icon_of(model.state),
        model,
    };
    let handle = item.spawn().await?;
    let (models, mut latest) = watch::channel(None::<(MenuModel, SystemTime)>);
    let engine = std::sync::Arc::clone(&app.desktop().engine);
    tokio::spawn(async move {
        while latest.changed().await.is_ok() {
            let Some((model, started)) = latest.borrow_and_update().clone() else {
                continue;
            };
            let profiles = model.profile_count();
            let redrawn = handle
                .update(move |item| {
                    if item.model.state != model.state || item.icon.is_empty() {
                        item.icon = icon_of(model.state);
                    }
                    item.model = model;
                })
                .await;
            if redrawn.is_none() {
                tracing::warn!("the tray icon's service stopped");
                break;
            }
            let took = engine
                .clock()
                .now()
                .duration_since(started)
                .unwrap_or_default();
            tracing::debug!(profiles, ms = took.as_secs_f64() * 1000.0, "tray redrawn");
        }
    });
    app.set_tray(TrayIcon { models });
    Ok(())
}

/// Redraw the tray after an action here (the engine's events redraw it too).
pub fn update(app: &Shell, event: Option<&Event>) {
    let problem = match event {
        Some(Event::Problem { message }) => Some(message.as_str()),
        _ => None,
    };
    update_with_problem(app, problem);
}

/// Redraw the tray, with the engine's last problem (a profile file it cannot read) if any.
/// Returns whether a session is active (its countdown then moves in the menu).
pub fn update_with_problem(app: &Shell, problem: Option<&str>) -> bool {
    let started = app.desktop().engine.clock().now();
    let model = current_model(app, problem);
    let active = model.sessions.iter().any(|row| row.active);
    if let Some(tray) = app.tray() {
        tray.models.send_replace(Some((model, started)));
    }
    active
}

fn current_model(app: &Shell, problem: Option<&str>) -> MenuModel {
    let desktop = app.desktop();
    // Drawn from what the engine's loop last saw and did (one redraw per burst of events), with
    // no file read: the loop publishes its overview once per look and once per batch.
    let overview = desktop.overview();
    let now = desktop.engine.clock().now();
    let views = overview.profiles.as_ref().map(|profiles| {
        let mut views = session_views(profiles, &overview.sessions_at(now));
        apply_health(&mut views, &desktop.health());
        views
    });
    let paused = desktop.is_paused();
    let mut model = match views {
        Ok(views) => MenuModel::new(&views, problem, paused),
        Err(e) => MenuModel::new(&[], Some(e), paused),
    };
    // A code asked for by an action of the tray or the window, or by another process, is
    // wanted as much as one the engine's renewals wait for.
    if desktop.pending_code().is_some() {
        model.ask_for_code();
    }
    model.sign_ins_wanted(&desktop.sso.standing());
    model
}

/// The state's icon as a StatusNotifierItem wants it: ARGB32 pixels in network byte order.
fn icon_of(state: TrayState) -> Vec<ksni::Icon> {
    match argb_of_png(state.icon()) {
        Ok(icon) => vec![icon],
        Err(e) => {
            tracing::warn!("cannot draw the tray icon: {e}");
            Vec::new()
        }
    }
}

fn argb_of_png(bytes: &[u8]) -> Result<ksni::Icon, png::DecodingError> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
    let mut reader = decoder.read_info()?;
    let mut rgba = vec![0; reader.output_buffer_size().unwrap_or_default()];
    let frame = reader.next_frame(&mut rgba)?;
    rgba.truncate(frame.buffer_size());
    // RGBA to ARGB: each pixel's alpha moves to the front.
    for pixel in rgba.chunks_exact_mut(4) {
        pixel.rotate_right(1);
    }
    Ok(ksni::Icon {
        width: i32::try_from(frame.width).unwrap_or(0),
        height: i32::try_from(frame.height).unwrap_or(0),
        data: rgba,
    })
}

/// dbusmenu reads `_` as a mnemonic marker: a profile named `dev_admin` is shown as written.
fn label(text: &str) -> String {
    text.replace('_', "__")
}

fn item(id: &str, text: &str, enabled: bool) -> ksni::MenuItem<TrayItem> {
    let id = id.to_owned();
    ksni::menu::StandardItem {
        label: label(text),
        enabled,
        activate: Box::new(move |item: &mut TrayItem| on_menu_event(&item.app, &id)),
        ..Default::default()
    }
    .into()
}

fn submenu(text: &str, items: Vec<ksni::MenuItem<TrayItem>>) -> ksni::MenuItem<TrayItem> {
    ksni::menu::SubMenu {
        label: label(text),
        submenu: items,
        ..Default::default()
    }
    .into()
}

fn session_menu(row: &SessionRow) -> ksni::MenuItem<TrayItem> {
    let items = row
        .actions()
        .into_iter()
        .map(|action| item(&id::session(&row.name, action), action.label(), true))
        .collect();
    submenu(&row.label, items)
}

/// "All profiles (300)": a submenu per group (or the profiles themselves when one group holds
/// them all).
fn all_profiles_menu(model: &MenuModel) -> ksni::MenuItem<TrayItem> {
    let text = format!("All profiles ({})", model.profile_count());
    let items = match model.all.as_slice() {
        [one] => one.rows.iter().map(session_menu).collect(),
        groups => groups
            .iter()
            .map(|group| {
                submenu(
                    &group.label(),
                    group.rows.iter().map(session_menu).collect(),
                )
            })
            .collect(),
    };
    submenu(&text, items)
}

fn build_menu(model: &MenuModel) -> Vec<ksni::MenuItem<TrayItem>> {
    let mut menu = vec![item("headline", &model.headline, false)];
    menu.extend(model.sessions.iter().map(session_menu));
    if !model.all.is_empty() {
        menu.push(all_profiles_menu(model));
    }
    menu.push(ksni::MenuItem::Separator);
    for session in &model.sign_ins {
        let id = format!("{}{session}", id::SIGN_IN);
        menu.push(item(&id, &format!("Sign in to {session}…"), true));
    }
    menu.push(item(id::REFRESH_ALL, "Refresh all now", true));
    menu.push(item(id::ENTER_MFA, "Enter MFA code…", model.mfa_needed));
    menu.push(item(id::OPEN, "Open RoleKeeper…", true));
    let pause = if model.paused { "Resume" } else { "Pause all" };
    menu.push(item(id::PAUSE, pause, true));
    menu.push(ksni::MenuItem::Separator);
    menu.push(item(id::QUIT, "Quit", true));
    menu
}

/// A click in the menu. Runs inside the tray's D-Bus service: anything slow goes to a task.
fn on_menu_event(app: &Shell, id: &str) {
    tracing::info!(item = id, "tray menu");
    match id {
        id::REFRESH_ALL => app.desktop().refresh_all(),
        id::ENTER_MFA => {
            windows::show(app, windows::MFA);
        }
        id::OPEN => {
            windows::show(app, windows::MAIN);
        }
        id::PAUSE => {
            let desktop = app.desktop();
            desktop.set_paused(!desktop.is_paused());
            update(app, None);
        }
        id::QUIT => app.exit(),
        other => {
            if let Some(session) = other.strip_prefix(id::SIGN_IN) {
                sign_in(app, session);
            } else if let Some((name, action)) = id::parse_session(other) {
                crate::actions::run(app, name.to_owned(), action);
            }
        }
    }
}

/// "Sign in to corp…": in the browser, which opens by itself; a failure is told in a
/// notification (a menu click has nobody else to tell).
pub fn sign_in(app: &Shell, session: &str) {
    if let Err(e) = crate::sso::start_sign_in(app, session, Flow::Browser) {
        tracing::warn!(session, "{}", e.message());
        app.desktop().notifier.tell(
            format!("Could not sign in to {session}"),
            e.message().to_owned(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_an_icon_in_argb() {
        for state in [
            TrayState::Idle,
            TrayState::Fresh,
            TrayState::Attention,
            TrayState::Failing,
        ] {
            let icon = argb_of_png(state.icon()).unwrap();
            assert_eq!((icon.width, icon.height), (64, 64), "{state:?}");
            assert_eq!(icon.data.len(), 64 * 64 * 4, "{state:?}");
            // ARGB: a pixel's first byte is its alpha; the icons have transparent corners.
            assert_eq!(icon.data[0], 0, "{state:?}: the corner is transparent");
            assert!(
                icon.data.chunks_exact(4).any(|p| p[0] == 0xff),
                "{state:?}: some pixel is opaque"
            );
        }
    }

    #[test]
    fn a_profile_name_with_underscores_is_shown_as_written() {
        assert_eq!(label("dev_admin — off"), "dev__admin — off");
        assert_eq!(label("Quit"), "Quit");
    }

    #[test]
    fn the_drawn_menu_has_every_item_of_the_model() {
        let model = MenuModel::new(&[view("prod_x", fresh(47), true)], None, false);
        let labels: Vec<String> = build_menu(&model)
            .iter()
            .filter_map(|item| match item {
                ksni::MenuItem::Standard(i) => Some(i.label.clone()),
                ksni::MenuItem::SubMenu(m) => Some(m.label.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(labels[0], model.headline);
        assert!(labels[1].starts_with("prod__x — fresh"), "{labels:?}");
        for item in [
            "Refresh all now",
            "Enter MFA code…",
            "Open RoleKeeper…",
            "Pause all",
            "Quit",
        ] {
            assert!(
                labels.iter().any(|l| l == item),
                "{item} missing: {labels:?}"
            );
        }
    }

    fn view(name: &str, state: SessionState, active: bool) -> SessionView {
        SessionView {
            name: name.to_owned(),
            kind: ProfileKind::Role,
            role_arn: None,
            source_profile: None,
            mfa_serial: None,
            sso_account_id: None,
            sso_role_name: None,
            state,
            active,
            plan: None,
            delivery: rolekeeper_core::Delivery::File,
            duration_seconds: None,
            default_duration_seconds: 3600,
            renewal: None,
        }
    }

    fn fresh(minutes: u64) -> SessionState {
        SessionState::Fresh {
            left: std::time::Duration::from_secs(minutes * 60),
        }
    }

    fn failing(reason: &str) -> SessionState {
        SessionState::Failing {
            reason: reason.to_owned(),
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
                views: vec![view("a", SessionState::Off, false)],
                problem: None,
                headline: "1 profile · none active",
                state: TrayState::Idle,
                mfa_enabled: false,
            },
            Case {
                views: vec![
                    view("a", fresh(47), true),
                    view("b", SessionState::Off, false),
                ],
                problem: None,
                headline: "2 profiles · 1 active",
                state: TrayState::Fresh,
                mfa_enabled: false,
            },
            Case {
                views: vec![view("a", SessionState::NeedsMfa, true)],
                problem: None,
                headline: "1 profile · 1 active",
                state: TrayState::Attention,
                mfa_enabled: true,
            },
            Case {
                views: vec![view("a", failing("AccessDenied"), true)],
                problem: None,
                headline: "1 profile · 1 active",
                state: TrayState::Failing,
                mfa_enabled: false,
            },
            Case {
                views: vec![view("a", SessionState::Expired, true)],
                problem: None,
                headline: "1 profile · 1 active",
                state: TrayState::Attention,
                mfa_enabled: false,
            },
            Case {
                views: vec![
                    view("a", SessionState::NeedsMfa, true),
                    view(
                        "b",
                        SessionState::Retrying {
                            reason: "Throttling".to_owned(),
                        },
                        true,
                    ),
                ],
                problem: None,
                headline: "2 profiles · 2 active",
                state: TrayState::Failing,
                mfa_enabled: true,
            },
            Case {
                views: vec![view("a", fresh(47), true)],
                problem: Some("~/.aws/config, line 3: no closing ]\nmore"),
                headline: "Problem: ~/.aws/config, line 3: no closing ]",
                state: TrayState::Failing,
                mfa_enabled: false,
            },
        ];
        for case in cases {
            let model = MenuModel::new(&case.views, case.problem, false);
            assert_eq!(model.headline, case.headline);
            assert_eq!(model.state, case.state, "{}", case.headline);
            assert_eq!(model.mfa_needed, case.mfa_enabled, "{}", case.headline);
        }
    }

    #[test]
    fn active_sessions_are_listed_with_their_state() {
        let model = MenuModel::new(
            &[
                view("prod", fresh(47), true),
                view("dev", SessionState::Off, false),
            ],
            None,
            false,
        );
        let labels: Vec<(&str, bool)> = model
            .sessions
            .iter()
            .map(|r| (r.label.as_str(), r.active))
            .collect();
        assert_eq!(
            labels,
            [("prod — fresh · 47 min", true), ("dev — off", false)]
        );
        assert!(model.all.is_empty());
    }

    #[test]
    fn only_roles_can_be_activated() {
        let mut keys = view("keys", SessionState::LongTermKeys, false);
        keys.kind = ProfileKind::Static;
        let mut region_only = view("default", SessionState::Off, false);
        region_only.kind = ProfileKind::Other;
        let model = MenuModel::new(
            &[keys, region_only, view("role", SessionState::Off, false)],
            None,
            false,
        );
        let renewable: Vec<(&str, bool)> = model
            .sessions
            .iter()
            .map(|r| (r.name.as_str(), r.renewable))
            .collect();
        assert_eq!(
            renewable,
            [("keys", false), ("default", false), ("role", true)]
        );
    }

    #[test]
    fn each_row_offers_what_its_session_can_do() {
        let mut keys = view("keys", SessionState::LongTermKeys, false);
        keys.kind = ProfileKind::Static;
        let mut other = view("region-only", SessionState::Off, false);
        other.kind = ProfileKind::Other;
        let model = MenuModel::new(
            &[
                view("prod", fresh(47), true),
                view("dev", SessionState::Off, false),
                keys,
                other,
            ],
            None,
            false,
        );
        let offered: Vec<(&str, Vec<&str>)> = model
            .sessions
            .iter()
            .map(|r| {
                let labels = r.actions().into_iter().map(TrayAction::label).collect();
                (r.name.as_str(), labels)
            })
            .collect();
        assert_eq!(
            offered,
            [
                (
                    "prod",
                    vec![
                        "Refresh now",
                        "Deactivate",
                        "Copy export lines",
                        "Open console"
                    ]
                ),
                ("dev", vec!["Activate", "Copy export lines", "Open console"]),
                ("keys", vec!["Copy export lines", "Open console"]),
                ("region-only", vec!["Copy export lines"]),
            ]
        );
    }

    #[test]
    fn a_session_item_id_says_which_session_and_action() {
        for action in [
            TrayAction::Activate,
            TrayAction::Refresh,
            TrayAction::Deactivate,
            TrayAction::Copy,
            TrayAction::Console,
        ] {
            for name in ["prod", "team:prod", "sp ace"] {
                let made = id::session(name, action);
                assert_eq!(id::parse_session(&made), Some((name, action)), "{made}");
            }
        }
        assert_eq!(
            id::session("prod", TrayAction::Refresh),
            "session:prod:refresh"
        );
        assert_eq!(id::parse_session("session:prod:explode"), None);
        assert_eq!(id::parse_session(id::REFRESH_ALL), None);
    }

    #[test]
    fn a_code_asked_for_by_an_action_enables_the_item() {
        let mut model = MenuModel::new(&[view("prod", fresh(47), true)], None, false);
        assert!(!model.mfa_needed);
        assert_eq!(model.state, TrayState::Fresh);
        model.ask_for_code();
        assert!(model.mfa_needed);
        assert_eq!(model.state, TrayState::Attention);
    }

    /// `n` profiles named as `sso sync` names them; the ones whose index is in `active` are
    /// active, fresh for as many minutes as their index plus ten. Active first, as
    /// `session_views` gives them.
    fn profiles(n: usize, active: &[usize]) -> Vec<SessionView> {
        let names = crate::tray_groups::tests::synced(n);
        let mut views: Vec<SessionView> = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                if active.contains(&i) {
                    view(name, fresh(i as u64 + 10), true)
                } else {
                    view(name, SessionState::Off, false)
                }
            })
            .collect();
        views.sort_by_key(|v| !v.active);
        views
    }

    struct Size<'a> {
        profiles: usize,
        active: &'a [usize],
        headline: &'a str,
        summary: &'a str,
        /// The top level's session rows.
        top: &'a [&'a str],
        /// "All profiles": how many groups, the first one's label.
        groups: Option<(usize, &'a str)>,
    }

    #[test]
    fn the_menu_stays_short_whatever_the_number_of_profiles() {
        let sizes = [
            Size {
                profiles: 0,
                active: &[],
                headline: "No AWS profiles found",
                summary: "No AWS profiles found",
                top: &[],
                groups: None,
            },
            Size {
                profiles: 3,
                active: &[],
                headline: "3 profiles · none active",
                summary: "3 profiles · none active",
                top: &[
                    "acme-000-admin — off",
                    "acme-000-dev — off",
                    "acme-000-readonly — off",
                ],
                groups: None,
            },
            Size {
                profiles: 3,
                active: &[2],
                headline: "3 profiles · 1 active",
                summary: "1 active · fresh 12 min",
                top: &[
                    "acme-000-readonly — fresh · 12 min",
                    "acme-000-admin — off",
                    "acme-000-dev — off",
                ],
                groups: None,
            },
            Size {
                profiles: 15,
                active: &[],
                headline: "15 profiles · none active",
                summary: "15 profiles · none active",
                top: &[],
                groups: None,
            },
            Size {
                profiles: 20,
                active: &[4],
                headline: "20 profiles · 1 active",
                summary: "1 active · fresh 14 min",
                top: &["acme-001-dev — fresh · 14 min"],
                groups: Some((1, "")),
            },
            Size {
                profiles: 300,
                active: &[],
                headline: "300 profiles · none active",
                summary: "300 profiles · none active",
                top: &[],
                groups: Some((12, "acme-000-a – acme-008-a (25)")),
            },
            Size {
                profiles: 300,
                active: &[7, 150, 299],
                headline: "300 profiles · 3 active",
                summary: "3 active · fresh 17 min",
                top: &[
                    "acme-002-dev — fresh · 17 min",
                    "acme-050-admin — fresh · 2 h 40 min",
                    "acme-099-readonly — fresh · 5 h 09 min",
                ],
                groups: Some((12, "acme-000-a – acme-008-a (25, 1 active)")),
            },
        ];
        for size in sizes {
            let what = size.headline;
            let model = MenuModel::new(&profiles(size.profiles, size.active), None, false);
            assert_eq!(model.headline, size.headline);
            assert_eq!(model.summary, size.summary, "{what}");
            assert_eq!(model.profile_count(), size.profiles, "{what}");
            match size.groups {
                None => {
                    assert!(model.all.is_empty(), "{what}");
                    assert_eq!(model.sessions.len(), size.profiles, "{what}");
                    if !size.top.is_empty() {
                        let top: Vec<&str> =
                            model.sessions.iter().map(|r| r.label.as_str()).collect();
                        assert_eq!(top, size.top, "{what}");
                    }
                }
                Some((groups, first)) => {
                    let top: Vec<&str> = model.sessions.iter().map(|r| r.label.as_str()).collect();
                    assert_eq!(top, size.top, "{what}");
                    assert_eq!(model.all.len(), groups, "{what}");
                    if groups > 1 {
                        assert_eq!(model.all[0].label(), first, "{what}");
                    }
                    // Every submenu fits a screen: the top level, "All profiles", each group.
                    assert!(model.sessions.len() <= MENU_SESSIONS, "{what}");
                    assert!(model.all.len() <= tray_groups::GROUP_SIZE, "{what}");
                    assert!(model
                        .all
                        .iter()
                        .all(|g| g.rows.len() <= tray_groups::GROUP_SIZE));
                    // An active profile is also in its place in "All profiles".
                    for row in &model.sessions {
                        let found = model.all.iter().flat_map(|g| &g.rows).any(|r| r == row);
                        assert!(found, "{} in All profiles ({what})", row.name);
                    }
                }
            }
        }
    }

    #[test]
    fn many_active_sessions_still_fit_the_top_level() {
        let active: Vec<usize> = (0..40).collect();
        let model = MenuModel::new(&profiles(300, &active), None, false);
        assert_eq!(model.sessions.len(), MENU_SESSIONS);
        assert!(model.sessions.iter().all(|r| r.active));
        assert_eq!(model.headline, "300 profiles · 40 active");
        assert_eq!(model.summary, "40 active · fresh 10 min");
    }

    #[test]
    fn the_summary_names_what_needs_the_user_first() {
        let cases = [
            (
                vec![view("a", fresh(50), true), view("b", fresh(47), true)],
                "2 active · fresh 47 min",
            ),
            (
                vec![
                    view("a", fresh(3), true),
                    view("b", SessionState::NeedsMfa, true),
                ],
                "2 active · needs MFA code",
            ),
            (
                vec![
                    view("a", SessionState::Expired, true),
                    view("b", failing("AccessDenied"), true),
                ],
                "2 active · failing: AccessDenied",
            ),
        ];
        for (views, summary) in cases {
            assert_eq!(MenuModel::new(&views, None, false).summary, summary);
        }
        let paused = MenuModel::new(&[view("a", fresh(3), true)], None, true);
        assert_eq!(paused.summary, "Paused: nothing is refreshed");
        let broken = MenuModel::new(&[], Some("cannot read ~/.aws/config"), false);
        assert_eq!(broken.summary, "Problem: cannot read ~/.aws/config");
        let mut asked = MenuModel::new(&[view("a", fresh(3), true)], None, false);
        asked.ask_for_code();
        assert_eq!(asked.summary, "1 active · fresh 3 min · MFA code wanted");
    }

    #[test]
    fn pausing_is_said() {
        let model = MenuModel::new(&profiles(20, &[]), None, true);
        assert_eq!(model.headline, "Paused: nothing is refreshed");
        assert_eq!(model.summary, "Paused: nothing is refreshed");
    }

    #[test]
    fn long_problems_are_shortened() {
        let long = "x".repeat(200);
        let model = MenuModel::new(&[], Some(&long), false);
        assert_eq!(model.headline.chars().count(), "Problem: ".len() + 90);
        assert!(model.headline.ends_with('…'));
    }

    #[test]
    fn sign_ins_that_need_the_user_are_said_and_offered() {
        let mut model = MenuModel::new(&[view("dev", fresh(47), true)], None, false);
        model.sign_ins_wanted(&BTreeMap::new());
        assert_eq!(model.headline, "1 profile · 1 active");
        assert!(model.sign_ins.is_empty());

        let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000);
        let mut standing = BTreeMap::from([("lab".to_owned(), Standing::Ending { at })]);
        model.sign_ins_wanted(&standing);
        assert_eq!(model.headline, "Sign-in ends at 08:00 UTC: lab");
        assert_eq!(model.summary, "Sign-in ends at 08:00 UTC: lab");
        assert_eq!(model.sign_ins, ["lab"]);
        assert_eq!(model.state, TrayState::Attention);

        standing.insert(
            "corp".to_owned(),
            Standing::Needed {
                message: "sign in".to_owned(),
            },
        );
        model.sign_ins_wanted(&standing);
        assert_eq!(model.headline, "Sign-in needed: corp");
        assert_eq!(model.sign_ins, ["corp", "lab"]);

        // A file the engine cannot read is said first.
        let mut broken = MenuModel::new(&[], Some("cannot read"), false);
        broken.sign_ins_wanted(&standing);
        assert_eq!(broken.headline, "Problem: cannot read");
        assert_eq!(broken.sign_ins, ["corp", "lab"]);
    }
}
