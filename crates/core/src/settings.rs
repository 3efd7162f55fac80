//! The user's settings: how early to refresh, when to warn, notifications, start at login, the
//! windows' theme. Kept
//! as JSON in `$XDG_CONFIG_HOME/rolekeeper/settings.json` (by default `~/.config/rolekeeper/`),
//! written only by RoleKeeper (the manager window); no secret is ever in it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use std::sync::Arc;

use crate::env::{Env, Fs};
use crate::files::{home_or_root, xdg_dir};
use crate::json_store::{JsonStore, StoreError};
use crate::schedule::Policy;

/// The settings, with the defaults a new user gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Renew a session this many minutes before it expires (botocore's advisory window is 15).
    pub refresh_before_minutes: u32,
    /// Warn this many minutes before a session that cannot renew by itself expires.
    pub warn_before_minutes: u32,
    /// Desktop notifications (the tray shows states either way).
    pub notifications: bool,
    /// Start the tray app when the user logs in.
    pub start_at_login: bool,
    /// Remind to rotate a keychain source's access key once it is this many days old.
    pub key_age_days: u32,
    /// The windows' colours: the desktop's preference, or always light or dark.
    pub theme: Theme,
}

/// The windows' colour theme. `System` follows the desktop's preference (the web view's
/// `prefers-color-scheme`), so a dark desktop gets dark windows without being told.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            refresh_before_minutes: 15,
            warn_before_minutes: 10,
            notifications: true,
            start_at_login: false,
            key_age_days: crate::keys::DEFAULT_KEY_AGE_DAYS,
            theme: Theme::System,
        }
    }
}

/// Settings RoleKeeper cannot use, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("{what} must be between 1 and 60 minutes, not {minutes}")]
    OutOfRange { what: &'static str, minutes: u32 },

    #[error("the key age reminder must be between 1 and 3650 days, not {days}")]
    KeyAgeOutOfRange { days: u32 },

    #[error("RoleKeeper's settings file {path} cannot be used: {cause}; fix or delete it (the defaults are used meanwhile)")]
    File { path: PathBuf, cause: String },
}

impl Settings {
    pub fn validate(&self) -> Result<(), SettingsError> {
        for (what, minutes) in [
            ("the refresh lead", self.refresh_before_minutes),
            ("the expiry warning", self.warn_before_minutes),
        ] {
            if !(1..=60).contains(&minutes) {
                return Err(SettingsError::OutOfRange { what, minutes });
            }
        }
        if !(1..=3650).contains(&self.key_age_days) {
            return Err(SettingsError::KeyAgeOutOfRange {
                days: self.key_age_days,
            });
        }
        Ok(())
    }

    /// The refresh policy these settings ask for.
    pub fn policy(&self) -> Policy {
        Policy {
            lead: Duration::from_secs(u64::from(self.refresh_before_minutes) * 60),
            warn_before: Duration::from_secs(u64::from(self.warn_before_minutes) * 60),
            ..Policy::default()
        }
    }
}

/// Where the settings file is.
#[derive(Debug, Clone)]
pub struct SettingsStore {
    file: JsonStore<Settings>,
}

impl SettingsStore {
    /// `$XDG_CONFIG_HOME/rolekeeper/settings.json`, else `~/.config/rolekeeper/settings.json`.
    pub fn from_env(env: &dyn Env) -> Self {
        let dir =
            xdg_dir(env, "XDG_CONFIG_HOME").unwrap_or_else(|| home_or_root(env).join(".config"));
        Self {
            file: JsonStore::new(dir.join("rolekeeper").join("settings.json")),
        }
    }

    /// The same file, read and written through `fs`.
    pub fn on(&self, fs: Arc<dyn Fs>) -> Self {
        Self {
            file: self.file.on(fs),
        }
    }

    pub fn path(&self) -> &Path {
        self.file.path()
    }

    fn error(&self, cause: String) -> SettingsError {
        SettingsError::File {
            path: self.path().to_owned(),
            cause,
        }
    }

    /// The saved settings; the defaults when there is no file yet.
    pub fn load(&self) -> Result<Settings, SettingsError> {
        let settings = self.file.load().map_err(|e| self.error(cause(e)))?;
        settings.validate().map_err(|e| self.error(e.to_string()))?;
        Ok(settings)
    }

    pub fn save(&self, settings: &Settings) -> Result<(), SettingsError> {
        settings.validate()?;
        self.file.save(settings).map_err(|e| self.error(cause(e)))
    }
}

fn cause(error: StoreError) -> String {
    match error {
        StoreError::Read(cause) | StoreError::Write(cause) => cause,
    }
}

impl Policy {
    /// The policy in effect: the saved settings' (the defaults when there are none, or when they
    /// cannot be read, which is logged), with `ROLEKEEPER_REFRESH_BEFORE` (e.g. `890s`, `15m`)
    /// overriding the lead.
    pub fn effective(settings: Result<Settings, SettingsError>, env: &dyn Env) -> Policy {
        let mut policy = match settings {
            Ok(settings) => settings.policy(),
            Err(e) => {
                tracing::warn!("{e}");
                Policy::default()
            }
        };
        if let Some(text) = env.non_empty("ROLEKEEPER_REFRESH_BEFORE") {
            match crate::schedule::parse_lead(&text) {
                Some(lead) => policy.lead = lead,
                None => tracing::warn!(
                    value = %text,
                    "ROLEKEEPER_REFRESH_BEFORE is not a duration like 890s, 15m or 1h; using 15m"
                ),
            }
        }
        policy
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::MapEnv;

    #[test]
    fn out_of_range_minutes_are_refused_in_words() {
        for (refresh, warn, ok) in [
            (15, 10, true),
            (1, 60, true),
            (0, 10, false),
            (15, 61, false),
        ] {
            let settings = Settings {
                refresh_before_minutes: refresh,
                warn_before_minutes: warn,
                ..Settings::default()
            };
            assert_eq!(settings.validate().is_ok(), ok, "{refresh} / {warn}");
        }
        let e = Settings {
            refresh_before_minutes: 0,
            ..Settings::default()
        }
        .validate()
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the refresh lead must be between 1 and 60 minutes, not 0"
        );
        for (days, ok) in [
            (0, false),
            (1, true),
            (90, true),
            (3650, true),
            (3651, false),
        ] {
            let settings = Settings {
                key_age_days: days,
                ..Settings::default()
            };
            assert_eq!(settings.validate().is_ok(), ok, "{days} days");
        }
        // A file written before the key age reminder existed gets the default.
        let old: Settings = serde_json::from_str(r#"{"refresh_before_minutes": 20}"#).unwrap();
        assert_eq!(old.key_age_days, crate::keys::DEFAULT_KEY_AGE_DAYS);
        // ... and, from before the theme choice, the desktop's theme.
        assert_eq!(old.theme, Theme::System);
    }

    #[test]
    fn the_theme_is_stored_in_lower_case_words_and_others_are_refused() {
        let dark: Settings = serde_json::from_str(r#"{"theme": "dark"}"#).unwrap();
        assert_eq!(dark.theme, Theme::Dark);
        let json = serde_json::to_value(Settings::default()).unwrap();
        assert_eq!(json["theme"], "system");
        assert!(serde_json::from_str::<Settings>(r#"{"theme": "purple"}"#).is_err());
    }

    #[test]
    fn settings_round_trip_and_default_when_missing() {
        let dir = tempfile::tempdir().unwrap();
        let env = MapEnv::default().with("XDG_CONFIG_HOME", dir.path().to_str().unwrap());
        let store = SettingsStore::from_env(&env);
        assert_eq!(store.load().unwrap(), Settings::default());
        let mine = Settings {
            refresh_before_minutes: 20,
            warn_before_minutes: 5,
            notifications: false,
            start_at_login: true,
            key_age_days: 30,
            theme: Theme::Light,
        };
        store.save(&mine).unwrap();
        assert_eq!(store.load().unwrap(), mine);
        assert_eq!(mine.policy().lead, Duration::from_secs(1200));
        std::fs::write(store.path(), "{ not json").unwrap();
        assert!(store
            .load()
            .unwrap_err()
            .to_string()
            .contains("fix or delete it"));
    }
}
