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
            None => home
                .clone()
                .unwrap_or_else(|| PathBuf::from("/"))
                .join(".aws")
                .join(default),
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

/// HOME, else USERPROFILE, else HOMEDRIVE+HOMEPATH (the SDKs' order), each only if it is an
/// absolute path; else the home directory the password database gives this user (a systemd unit
/// or cron job has no HOME). `None` only if nothing names one: callers then refuse
/// ([`require_home`]) rather than write under the working directory.
pub fn home_dir(env: &dyn Env) -> Option<PathBuf> {
    let absolute = |path: String| Some(PathBuf::from(path)).filter(|p| p.is_absolute());
    env.non_empty("HOME")
        .and_then(absolute)
        .or_else(|| env.non_empty("USERPROFILE").and_then(absolute))
        .or_else(
            || match (env.non_empty("HOMEDRIVE"), env.non_empty("HOMEPATH")) {
                (Some(drive), Some(path)) => absolute(format!("{drive}{path}")),
                _ => None,
            },
        )
        .or_else(|| env.account_home())
}

/// A directory variable of the XDG base-directory specification: only an absolute path counts
/// (the specification says to ignore relative ones).
pub(crate) fn xdg_dir(env: &dyn Env, var: &str) -> Option<PathBuf> {
    env.non_empty(var)
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
}

/// [`home_dir`] for building a default path, where no home at all is unreachable in practice (the
/// password database knows every account; [`require_home`] refuses before). The root stands in
/// so that the path is at least absolute and a write to it fails naming it, never lands in the
/// working directory.
pub(crate) fn home_or_root(env: &dyn Env) -> PathBuf {
    home_dir(env).unwrap_or_else(|| PathBuf::from("/"))
}

/// The home directory, or [`Error::NoHome`] when nothing names one and a path RoleKeeper needs
/// (the shared files, the state directory, the settings) is not set by a variable of its own.
pub fn require_home(env: &dyn Env) -> Result<Option<PathBuf>, Error> {
    if let Some(home) = home_dir(env) {
        return Ok(Some(home));
    }
    let missing: Vec<&str> = [
        (CONFIG_FILE_VAR, None),
        (CREDENTIALS_FILE_VAR, None),
        ("XDG_STATE_HOME", Some("ROLEKEEPER_STATE_DIR")),
        ("XDG_CONFIG_HOME", None),
    ]
    .into_iter()
    .filter(|(var, alternative)| {
        let set = |v: &str| match v {
            CONFIG_FILE_VAR | CREDENTIALS_FILE_VAR => env.non_empty(v).is_some(),
            _ => xdg_dir(env, v).is_some(),
        };
        !set(var) && !alternative.is_some_and(set)
    })
    .map(|(var, _)| var)
    .collect();
    if missing.is_empty() {
        Ok(None)
    } else {
        Err(Error::NoHome {
            missing: missing.join(", "),
        })
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

    /// Where `~` is, case by case: never a relative path, whatever the environment says.
    #[test]
    fn home_is_absolute_or_refused() {
        /// The environment (and password database), and the home that follows.
        type Case<'a> = (&'a [(&'a str, &'a str)], Option<&'a str>);
        let passwd = MapEnv::ACCOUNT_HOME;
        let cases: &[Case] = &[
            (&[("HOME", "/h"), (passwd, "/pw")], Some("/h")),
            (&[(passwd, "/pw")], Some("/pw")),
            (&[("HOME", ""), (passwd, "/pw")], Some("/pw")),
            (&[("HOME", "rel/dir"), (passwd, "/pw")], Some("/pw")),
            (&[("USERPROFILE", "/u")], Some("/u")),
            (&[("HOME", "rel")], None),
            (&[], None),
        ];
        for (vars, want) in cases {
            let env = vars
                .iter()
                .fold(MapEnv::default(), |env, (k, v)| env.with(k, v));
            assert_eq!(home_dir(&env), want.map(PathBuf::from), "{vars:?}");
            let locations = FileLocations::from_env(&env);
            assert!(locations.config.is_absolute(), "{vars:?}");
            assert!(locations.credentials.is_absolute(), "{vars:?}");
            match (require_home(&env), want) {
                (Ok(Some(home)), Some(want)) => assert_eq!(home, PathBuf::from(want)),
                (Err(e), None) => {
                    let text = e.to_string();
                    for var in [
                        "HOME",
                        "AWS_CONFIG_FILE",
                        "XDG_STATE_HOME",
                        "XDG_CONFIG_HOME",
                    ] {
                        assert!(text.contains(var), "{text}");
                    }
                }
                (got, want) => panic!("{vars:?}: {got:?}, wanted {want:?}"),
            }
        }
        // With every path set by a variable of its own, no home is needed.
        let env = MapEnv::default()
            .with("AWS_CONFIG_FILE", "/c")
            .with("AWS_SHARED_CREDENTIALS_FILE", "/k")
            .with("ROLEKEEPER_STATE_DIR", "/s")
            .with("XDG_CONFIG_HOME", "/x");
        assert!(matches!(require_home(&env), Ok(None)));
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
