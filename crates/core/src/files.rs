//! Where the shared files are, by the AWS tools' rules: `AWS_CONFIG_FILE` and
//! `AWS_SHARED_CREDENTIALS_FILE` override `~/.aws/config` and `~/.aws/credentials`, and a leading
//! `~/` in either means the home directory.

use std::path::PathBuf;

use crate::env::Env;
use crate::error::Error;
use crate::profile::{FileKind, ParseError, Quirk};

/// The variable that moves `~/.aws/config`.
pub const CONFIG_FILE_VAR: &str = "AWS_CONFIG_FILE";
/// The variable that moves `~/.aws/credentials`.
pub const CREDENTIALS_FILE_VAR: &str = "AWS_SHARED_CREDENTIALS_FILE";

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
            config: pick(CONFIG_FILE_VAR, "config"),
            credentials: pick(CREDENTIALS_FILE_VAR, "credentials"),
        }
    }
}

/// What one shared file looks like to the AWS tools (`Engine::check_files`): where it is, why
/// there, whether it exists, its mode, and every line some reader refuses.
#[derive(Debug)]
pub struct FileReport {
    pub kind: FileKind,
    pub path: PathBuf,
    /// The variable that put the file there, if one did (else it is the default under `~/.aws`).
    pub chosen_by: Option<&'static str>,
    pub state: FileState,
}

#[derive(Debug)]
pub enum FileState {
    /// The AWS tools read a missing file as empty.
    Missing,
    /// It exists but cannot be read ([`Error::Io`], which says what to do).
    Unreadable(Error),
    Read {
        /// Permission bits, where the file system has them.
        mode: Option<u32>,
        /// Empty when every AWS reader accepts the file.
        problems: Vec<FileProblem>,
    },
}

/// A line that makes AWS readers refuse the whole file.
#[derive(Debug)]
pub enum FileProblem {
    /// Every reader refuses it, RoleKeeper too: the line no reading gets past.
    Unparseable(ParseError),
    /// Some readers refuse it (RoleKeeper reads it as botocore does).
    Rejected(Quirk),
}

impl FileProblem {
    /// 1-based line the problem is on.
    pub fn line(&self) -> usize {
        match self {
            FileProblem::Unparseable(e) => e.line,
            FileProblem::Rejected(q) => q.line,
        }
    }
}

/// The same words as the errors other commands stop with: file, line, and what to do.
impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileProblem::Unparseable(e) => write!(f, "{}", Error::Parse(e.clone())),
            FileProblem::Rejected(q) => write!(f, "{q}"),
        }
    }
}

impl FileReport {
    /// The file's mode lets users other than its owner read it: a problem for the credentials
    /// file, which holds secrets (the AWS CLI creates it 0600).
    pub fn readable_by_others(&self) -> bool {
        matches!(self.state, FileState::Read { mode: Some(mode), .. } if mode & 0o044 != 0)
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
