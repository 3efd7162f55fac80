//! A page's command, as its window process forwards it: the command's name and the page's
//! arguments (JSON, keys in camelCase, as `invoke` sends them). Which window may call which
//! command is decided before it gets here, by the window process's capability files; here each
//! name maps to its function. An answer is the function's value as JSON; an error is its
//! `{code, message}`.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{IpcCode, IpcError, IpcResult};
use crate::shell::Shell;
use crate::{about, commands, console, first_run, keys, manager, sso, windows};

/// Run `command` for a page of `window`; its answer, or its `{code, message}` error.
pub async fn call(app: &Shell, window: &str, command: &str, args: Value) -> Result<Value, Value> {
    tracing::debug!(window, command, "window command");
    let result = run(app, command, args).await;
    result.map_err(|e| serde_json::to_value(e).unwrap_or(Value::Null))
}

/// The user closed `window` with its close button (or its process went away with it open): for
/// the dialogs, a cancel, told at once instead of after the asker's timeout.
pub fn close_requested(app: &Shell, window: &str) {
    if window == windows::MFA {
        if let Some(external) = app.desktop().take_external() {
            external.answer(None);
        }
    }
    // Closing the sign-in dialog stops the sign-in it shows (nothing else would show its code
    // again).
    if window == windows::SSO {
        sso::cancel_shown(app);
    }
}

#[derive(Deserialize)]
struct Name {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Activate {
    name: String,
    delivery: Option<String>,
    duration_seconds: Option<u64>,
}

#[derive(Deserialize)]
struct Code {
    code: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AddSource {
    name: String,
    access_key_id: String,
    secret_access_key: String,
    mfa_serial: Option<String>,
    region: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Import {
    profile: String,
    as_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rotate {
    name: String,
    keep_old: bool,
    delete_other: Option<String>,
}

#[derive(Deserialize)]
struct SaveSettings {
    settings: rolekeeper_core::Settings,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignIn {
    session: String,
    device_code: bool,
}

#[derive(Deserialize)]
struct Session {
    session: String,
}

#[derive(Deserialize)]
struct Text {
    text: String,
}

/// The commands whose arguments hold a secret: a mistake in them is told without serde's
/// words, which may quote a value.
const SECRET_ARGS: [&str; 2] = ["add_source", "submit_mfa_code"];

/// The page's arguments as `T`; what does not fit is the page's mistake, said as such.
fn args<T: DeserializeOwned>(command: &str, args: Value) -> IpcResult<T> {
    serde_json::from_value(args).map_err(|e| {
        let detail = if SECRET_ARGS.contains(&command) {
            String::new()
        } else {
            format!(" ({e})")
        };
        IpcError::new(
            IpcCode::InvalidInput,
            format!("{command}: the window sent arguments this app does not take{detail}"),
        )
    })
}

fn json(value: impl Serialize) -> IpcResult<Value> {
    serde_json::to_value(value)
        .map_err(|e| IpcError::new(IpcCode::Engine, format!("cannot send the answer: {e}")))
}

async fn run(app: &Shell, command: &str, a: Value) -> IpcResult<Value> {
    let desktop = app.desktop();
    match command {
        "list_sessions" => json(commands::list_sessions(app.clone()).await?),
        "refresh_all" => {
            commands::refresh_all(desktop);
            Ok(Value::Null)
        }
        "mfa_request" => json(commands::mfa_request(desktop)),
        "submit_mfa_code" => {
            let Code { code } = args(command, a)?;
            json(commands::submit_mfa_code(app.clone(), code).await?)
        }
        "cancel_mfa" => {
            commands::cancel_mfa(app.clone());
            Ok(Value::Null)
        }
        "activate_session" => {
            let Activate {
                name,
                delivery,
                duration_seconds,
            } = args(command, a)?;
            json(manager::activate_session(app.clone(), name, delivery, duration_seconds).await?)
        }
        "deactivate_session" => {
            let Name { name } = args(command, a)?;
            json(manager::deactivate_session(app.clone(), name).await?)
        }
        "refresh_session" => {
            let Name { name } = args(command, a)?;
            json(manager::refresh_session(app.clone(), name).await?)
        }
        "open_console" => {
            let Name { name } = args(command, a)?;
            json(console::open_console(app.clone(), name).await?)
        }
        "list_sources" => json(manager::list_sources(desktop)?),
        "add_source" => {
            let AddSource {
                name,
                access_key_id,
                secret_access_key,
                mfa_serial,
                region,
            } = args(command, a)?;
            json(
                manager::add_source(
                    app.clone(),
                    name,
                    access_key_id,
                    secret_access_key,
                    mfa_serial,
                    region,
                )
                .await?,
            )
        }
        "remove_source" => {
            let Name { name } = args(command, a)?;
            json(manager::remove_source(app.clone(), name).await?)
        }
        "importable_profiles" => json(manager::importable_profiles(desktop)?),
        "import_source" => {
            let Import { profile, as_name } = args(command, a)?;
            json(manager::import_source(app.clone(), profile, as_name).await?)
        }
        "check_source_key" => {
            let Name { name } = args(command, a)?;
            json(keys::check_source_key(app.clone(), name).await?)
        }
        "rotate_source" => {
            let Rotate {
                name,
                keep_old,
                delete_other,
            } = args(command, a)?;
            json(keys::rotate_source(app.clone(), name, keep_old, delete_other).await?)
        }
        "get_settings" => json(manager::get_settings(desktop)?),
        "set_settings" => {
            let SaveSettings { settings } = args(command, a)?;
            json(manager::set_settings(app.clone(), settings)?)
        }
        "diagnostics" => json(manager::diagnostics(app.clone()).await),
        "sso_sessions" => json(sso::sso_sessions(app.clone()).await?),
        "sso_sign_in" => {
            let SignIn {
                session,
                device_code,
            } = args(command, a)?;
            json(sso::sso_sign_in(app.clone(), session, device_code)?)
        }
        "sso_sign_out" => {
            let Session { session } = args(command, a)?;
            json(sso::sso_sign_out(app.clone(), session).await?)
        }
        "sso_prompt" => json(sso::sso_prompt(desktop)),
        "sso_copy_code" => json(sso::sso_copy_code(app.clone())?),
        "sso_open_page" => json(sso::sso_open_page(app.clone())?),
        "sso_cancel" => {
            sso::sso_cancel(app.clone());
            Ok(Value::Null)
        }
        // The notice the manager shows at its top if the tray icon shows nowhere.
        "tray_notice" => json(app.tray_notice()),
        // Text the page shows (a role ARN, the example profile), copied here so that it stays on
        // the clipboard after the window's process is gone. Secrets are never sent this way:
        // Rust copies those from what it holds ("Copy export lines", the sign-in's code).
        "copy_text" => {
            let Text { text } = args(command, a)?;
            app.clipboard().write_text(text).map_err(|e| {
                IpcError::new(IpcCode::Engine, format!("the clipboard refused the text: {e}"))
            })?;
            Ok(Value::Null)
        }
        "first_run_guide" => json(first_run::first_run_guide(desktop)),
        "open_config_file" => json(first_run::open_config_file(desktop)?),
        "about" => json(about::about()),
        "ui_theme" => json(about::ui_theme(desktop)),
        other => Err(IpcError::new(
            IpcCode::InvalidInput,
            format!("{other}: no such command in this tray; are rolekeeper-window and rolekeeper-desktop the same version?"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pages_camel_case_arguments_are_taken() {
        let rotate: Rotate = args(
            "rotate_source",
            serde_json::json!({"name": "work", "keepOld": false, "deleteOther": null}),
        )
        .unwrap();
        assert_eq!(rotate.name, "work");
        assert!(!rotate.keep_old && rotate.delete_other.is_none());
        let activate: Activate = args(
            "activate_session",
            serde_json::json!({"name": "prod", "durationSeconds": 900}),
        )
        .unwrap();
        assert_eq!(activate.duration_seconds, Some(900));
        assert_eq!(activate.delivery, None);
    }

    #[test]
    fn arguments_that_do_not_fit_are_the_pages_mistake() {
        let Err(e) = args::<Name>("remove_source", serde_json::json!({})) else {
            panic!("no name accepted");
        };
        let e = serde_json::to_value(e).unwrap();
        assert_eq!(e["code"], "InvalidInput");
        assert!(e["message"].as_str().unwrap().contains("remove_source"));
    }
}
