//! `rolekeeper sso login|logout|list`: IAM Identity Center sign-ins. What the user must do (open
//! a URL, confirm a code) is said on stderr; stdout gets one line of outcome.

use std::io::Write;
use std::time::{Duration, SystemTime};

use rolekeeper_core::engine::{SignInOutcome, SsoSessionView};
use rolekeeper_core::snapshot::Snapshot;
use rolekeeper_core::sso::{Flow, SignIn, SignInUi, SsoSession, Step, SIGN_IN_TIMEOUT};
use rolekeeper_core::{human_duration, Engine};

use crate::cli::{SsoCommand, SsoListArgs, SsoLoginArgs, SsoLogoutArgs, SsoSyncArgs};

pub fn run(command: SsoCommand) -> anyhow::Result<()> {
    let engine = Engine::system();
    let snapshot = engine.snapshot();
    crate::warn_about_files(&snapshot);
    let runtime = crate::serve::runtime()?;
    let result = runtime.block_on(async {
        match command {
            SsoCommand::Login(args) => login(&engine, &snapshot, args).await,
            SsoCommand::Logout(args) => logout(&engine, &snapshot, args).await,
            SsoCommand::List(args) => list(&engine, &snapshot, args).await,
            SsoCommand::Sync(args) => sync(&engine, &snapshot, args).await,
        }
    });
    runtime.shutdown_background();
    result
}

/// The session a command names, or the only one the files name.
fn session(engine: &Engine, snapshot: &Snapshot, name: Option<&str>) -> anyhow::Result<SsoSession> {
    if let Some(name) = name {
        return Ok(engine.sso_session(snapshot, name)?);
    }
    let sessions = rolekeeper_core::sso::sso_sessions(snapshot.profiles()?);
    match sessions.as_slice() {
        [only] => Ok(only.clone()),
        [] => anyhow::bail!(
            "{} names no IAM Identity Center sign-in; add an [sso-session NAME] section with \
             sso_start_url and sso_region (see `aws configure sso`)",
            engine.locations().config.display()
        ),
        many => anyhow::bail!(
            "several sign-ins are configured ({}); name one: `rolekeeper sso login NAME`",
            many.iter()
                .map(|s| s.label().to_owned())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Steps on stderr, as the AWS CLI shows them.
pub struct Terminal;

impl SignInUi for Terminal {
    fn show(&self, session: &str, step: Step<'_>) {
        match step {
            Step::OpenUrl { url, opened } => {
                if opened {
                    eprintln!("Signing in to `{session}` in your browser. If it did not open, open this URL:\n\n  {url}\n");
                } else {
                    eprintln!("To sign in to `{session}`, open this URL in a browser on this machine:\n\n  {url}\n");
                }
            }
            Step::DeviceCode {
                user_code,
                verification_uri,
                verification_uri_complete,
                opened,
            } => {
                let how = if opened {
                    "Your browser was opened; if it did not, open"
                } else {
                    "On any device, open"
                };
                eprintln!(
                    "To sign in to `{session}`: {how}\n\n  {verification_uri}\n\nand confirm this code:\n\n  {user_code}\n\n(or open {verification_uri_complete})\n"
                );
            }
            Step::SignedIn { .. } => {}
        }
    }
}

fn until(at: SystemTime, now: SystemTime) -> String {
    let left = at.duration_since(now).unwrap_or(Duration::ZERO);
    format!(
        "{} ({})",
        rolekeeper_core::credentials::isoformat(at),
        human_duration(left)
    )
}

async fn login(engine: &Engine, snapshot: &Snapshot, args: SsoLoginArgs) -> anyhow::Result<()> {
    let session = session(engine, snapshot, args.name.as_deref())?;
    let sign_in = SignIn {
        flow: if args.device_code {
            Flow::DeviceCode
        } else {
            Flow::Browser
        },
        open_browser: !args.no_browser,
        ui: &Terminal,
        timeout: SIGN_IN_TIMEOUT,
    };
    let outcome = engine
        .sso_login(snapshot, &session, &sign_in, args.force)
        .await?;
    let mut out = std::io::stdout().lock();
    match outcome {
        SignInOutcome::Reused { until: at } => writeln!(
            out,
            "{}: already signed in, until {}; nothing asked (--force signs in again)",
            session.label(),
            until(at, engine.clock().now())
        )?,
        SignInOutcome::SignedIn { until: at } => writeln!(
            out,
            "{}: signed in, until {}{}",
            session.label(),
            until(at, engine.clock().now()),
            if session.name.is_some() {
                "; RoleKeeper renews it while the portal session lasts"
            } else {
                "; a legacy profile's sign-in is not renewed (use an [sso-session] section)"
            }
        )?,
    }
    Ok(())
}

async fn logout(engine: &Engine, snapshot: &Snapshot, args: SsoLogoutArgs) -> anyhow::Result<()> {
    let session = session(engine, snapshot, args.name.as_deref())?;
    let had = engine.sso_logout(snapshot, &session).await?;
    let mut out = std::io::stdout().lock();
    if had {
        writeln!(out, "{}: signed out", session.label())?;
    } else {
        writeln!(out, "{}: was not signed in", session.label())?;
    }
    Ok(())
}

async fn list(engine: &Engine, snapshot: &Snapshot, args: SsoListArgs) -> anyhow::Result<()> {
    let views: Vec<SsoSessionView> = engine.sso_views(snapshot).await?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string(&views)?)?;
        return Ok(());
    }
    if views.is_empty() {
        writeln!(out, "no IAM Identity Center sign-ins configured")?;
    }
    for view in views {
        let state = match view.signed_in_until {
            Some(at) if view.renewable => {
                format!(
                    "signed in, renewed by itself (token until {})",
                    until(at, engine.clock().now())
                )
            }
            Some(at) => format!(
                "signed in until {} (then a sign-in is needed)",
                until(at, engine.clock().now())
            ),
            None => "not signed in".to_owned(),
        };
        writeln!(
            out,
            "{}  {}  {}  {state}  profiles: {}",
            view.label,
            view.start_url,
            view.region,
            view.profiles.join(", ")
        )?;
    }
    Ok(())
}

async fn sync(engine: &Engine, snapshot: &Snapshot, args: SsoSyncArgs) -> anyhow::Result<()> {
    let session = session(engine, snapshot, args.name.as_deref())?;
    let options = rolekeeper_core::sso::sync::SyncOptions {
        template: args.template,
        region: args.region,
        prune: args.prune,
    };
    let sign_in = crate::prompt::browser_sign_in();
    let report = engine
        .sso_sync(
            snapshot,
            &session,
            &options,
            args.refresh,
            args.dry_run,
            sign_in.as_ref(),
        )
        .await?;
    let mut out = std::io::stdout().lock();
    if args.dry_run {
        write!(out, "{}", report.plan.diff)?;
    }
    let plan = &report.plan;
    let listed = if report.from_cache {
        format!(
            "the list fetched {} (--refresh asks again)",
            rolekeeper_core::credentials::isoformat(report.listed_at)
        )
    } else {
        "fetched now".to_owned()
    };
    writeln!(
        out,
        "{}: {} accounts and roles ({listed}); {} {} added, {} updated, {} removed{}{}",
        session.label(),
        report.assignments,
        if args.dry_run { "would be" } else { "profiles" },
        plan.added.len(),
        plan.updated.len(),
        plan.removed.len(),
        if plan.kept_edited.is_empty() {
            String::new()
        } else {
            format!(
                "; edited by hand, left alone: {}",
                plan.kept_edited.join(", ")
            )
        },
        if plan.stale.is_empty() {
            String::new()
        } else {
            format!(
                "; no longer assigned (--prune removes them): {}",
                plan.stale.join(", ")
            )
        },
    )?;
    Ok(())
}
