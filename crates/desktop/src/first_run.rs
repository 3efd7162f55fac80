//! The first-run guide of the manager window (no profile yet): the example profile and where
//! the config file is, and "Open the config file", which creates it when missing (0600, never
//! over an existing one) and opens it in the desktop's editor. The engine's watch of the AWS
//! files shows what the user writes there; the logic is `rolekeeper_core::first_run`.

use rolekeeper_core::first_run::{ensure_config_file, open_in_editor, EXAMPLE_PROFILE};
use serde::Serialize;

use crate::desktop::Desktop;
use crate::error::IpcResult;

/// What the guide shows.
#[derive(Debug, Serialize)]
pub struct FirstRunGuide {
    /// The config file the AWS tools and RoleKeeper read (`AWS_CONFIG_FILE` honoured).
    config_path: String,
    example: &'static str,
}

pub fn first_run_guide(desktop: &Desktop) -> FirstRunGuide {
    FirstRunGuide {
        config_path: desktop.engine.locations().config.display().to_string(),
        example: EXAMPLE_PROFILE,
    }
}

/// Whether the file had to be created; the path as opened.
#[derive(Debug, Serialize)]
pub struct OpenedConfig {
    path: String,
    created: bool,
}

pub fn open_config_file(desktop: &Desktop) -> IpcResult<OpenedConfig> {
    let path = desktop.engine.locations().config;
    let created = ensure_config_file(&path)?;
    if created {
        tracing::info!(path = %path.display(), "created the config file for the first-run guide");
    }
    open_in_editor(&path)?;
    Ok(OpenedConfig {
        path: path.display().to_string(),
        created,
    })
}
