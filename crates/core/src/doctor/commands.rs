//! Every `credential_process` line that runs RoleKeeper must find it: the AWS CLI and SDKs run
//! the line's first word through `PATH` (or as a path), with no shell, and a RoleKeeper that is
//! only in a build directory fails every AWS command of that profile.

use std::path::{Path, PathBuf};

use super::{Check, Outcome};
use crate::env::Env;
use crate::profile::ProfileSet;

const NAME: &str = "credential_process commands";

/// One check per profile whose `credential_process` runs RoleKeeper and cannot be found, or one
/// `ok` for all of them (none when no profile runs RoleKeeper).
pub fn command_checks(set: &ProfileSet, env: &dyn Env) -> Vec<Check> {
    let mut checks = Vec::new();
    let mut found = 0;
    for profile in set.profiles() {
        let Some(value) = profile.get("credential_process") else {
            continue;
        };
        let Some(program) = value.text.split_whitespace().next() else {
            continue;
        };
        let runs_rolekeeper = Path::new(program)
            .file_name()
            .is_some_and(|name| name == "rolekeeper");
        if !runs_rolekeeper {
            continue;
        }
        match resolve(program, env) {
            Some(_) => found += 1,
            None => checks.push(
                Check::new(
                    NAME,
                    Outcome::Fail,
                    format!(
                        "profile `{}` ({}) runs `{program}`, which is not {}: every AWS command \
                         with this profile fails",
                        profile.name,
                        value.origin,
                        if program.contains('/') {
                            "an executable file"
                        } else {
                            "on PATH"
                        }
                    ),
                )
                .fix(
                    "run ./scripts/run.sh (it installs rolekeeper into ~/.local/bin), then make \
                     sure that directory is on PATH; or write the full path in that line",
                ),
            ),
        }
    }
    if checks.is_empty() && found > 0 {
        checks.push(Check::new(
            NAME,
            Outcome::Ok,
            format!("{found} profile(s) run rolekeeper, and it is found"),
        ));
    }
    checks
}

/// Where `program` runs from: a path as given, else the first executable of that name on `PATH`.
fn resolve(program: &str, env: &dyn Env) -> Option<PathBuf> {
    if program.contains('/') {
        let path = crate::files::home_dir(env)
            .filter(|_| program.starts_with("~/"))
            .map(|home| home.join(&program[2..]))
            .unwrap_or_else(|| PathBuf::from(program));
        return is_executable(&path).then_some(path);
    }
    env.var("PATH")?
        .split(':')
        .filter(|dir| !dir.is_empty())
        .map(|dir| Path::new(dir).join(program))
        .find(|path| is_executable(path))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::MapEnv;
    use crate::profile::{parse, FileKind};

    #[test]
    fn a_rolekeeper_line_that_cannot_run_is_a_failure_naming_the_line() {
        let dir = tempfile::tempdir().expect("dir");
        let bin = dir.path().join("rolekeeper");
        std::fs::write(&bin, "#!/bin/sh\n").expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        let config = "[profile a]\ncredential_process = rolekeeper credential-process a\n\
                      [profile b]\ncredential_process = /nowhere/rolekeeper credential-process b\n\
                      [profile c]\ncredential_process = other-tool c\n";
        let c = parse(Path::new("/c"), FileKind::Config, config).expect("parses");
        let k = parse(Path::new("/k"), FileKind::Credentials, "").expect("parses");
        let set = ProfileSet::merge(&c, &k);
        let on_path = MapEnv::default().with("PATH", &dir.path().display().to_string());
        let checks = command_checks(&set, &on_path);
        assert_eq!(checks.len(), 1, "{checks:?}");
        assert_eq!(checks[0].outcome, Outcome::Fail);
        assert!(
            checks[0].detail.contains("profile `b` (/c, line 4)"),
            "{}",
            checks[0].detail
        );
        let nowhere = command_checks(&set, &MapEnv::default().with("PATH", "/usr/bin"));
        assert_eq!(nowhere.len(), 2);
        assert!(
            nowhere[0].detail.contains("not on PATH"),
            "{}",
            nowhere[0].detail
        );
    }
}
