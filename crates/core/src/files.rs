//! Where the shared files are, by the AWS tools' rules: `AWS_CONFIG_FILE` and
//! `AWS_SHARED_CREDENTIALS_FILE` override `~/.aws/config` and `~/.aws/credentials`, and a leading
//! `~/` in either means the home directory.

use std::path::PathBuf;

use crate::env::Env;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLocations {
    pub config: PathBuf,
    pub credentials: PathBuf,
}

impl FileLocations {
    pub fn from_env(env: &dyn Env) -> Self {
        let home = home_dir(env);
        let pick = |var: &str, default: &str| match env.non_empty(var) {
            Some(path) => expand_home(&path, home.as_deref()),
            None => home.clone().unwrap_or_default().join(".aws").join(default),
        };
        Self {
            config: pick("AWS_CONFIG_FILE", "config"),
            credentials: pick("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
        }
    }
}

/// HOME, else USERPROFILE, else HOMEDRIVE+HOMEPATH (the SDKs' order).
pub fn home_dir(env: &dyn Env) -> Option<PathBuf> {
    if let Some(home) = env.non_empty("HOME") {
        return Some(PathBuf::from(home));
    }
    if let Some(profile) = env.non_empty("USERPROFILE") {
        return Some(PathBuf::from(profile));
    }
    match (env.non_empty("HOMEDRIVE"), env.non_empty("HOMEPATH")) {
        (Some(drive), Some(path)) => Some(PathBuf::from(format!("{drive}{path}"))),
        _ => None,
    }
}

fn expand_home(path: &str, home: Option<&std::path::Path>) -> PathBuf {
    match (
        path.strip_prefix("~/").or_else(|| path.strip_prefix("~\\")),
        home,
    ) {
        (Some(rest), Some(home)) => home.join(rest),
        _ if path == "~" => home
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(path)),
        _ => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::MapEnv;

    #[test]
    fn defaults_under_home() {
        let l = FileLocations::from_env(&MapEnv::default().with("HOME", "/h"));
        assert_eq!(l.config, PathBuf::from("/h/.aws/config"));
        assert_eq!(l.credentials, PathBuf::from("/h/.aws/credentials"));
    }

    #[test]
    fn overrides_and_tilde() {
        let env = MapEnv::default()
            .with("HOME", "/h")
            .with("AWS_CONFIG_FILE", "~/cfg")
            .with("AWS_SHARED_CREDENTIALS_FILE", "/abs/creds");
        let l = FileLocations::from_env(&env);
        assert_eq!(l.config, PathBuf::from("/h/cfg"));
        assert_eq!(l.credentials, PathBuf::from("/abs/creds"));
    }
}
