//! The first run: no profile in either AWS file yet. The window's guide shows an example
//! profile and opens the config file in the user's editor, creating it (mode 0600, never over
//! an existing file) when it is missing; the engine's file watch (`watch/files.rs`) then shows
//! what the user writes there.

use std::io::Write;
use std::path::Path;

use crate::credfile::write::create_private_dir;
use crate::error::{Error, Result};

/// A role assumed with an IAM user's keys: the shape most first profiles take. The account,
/// role and names are placeholders the user replaces. `dev` is the keys: a keychain source
/// (the Sources tab) or a `[dev]` section of the credentials file; a `[profile dev]` here
/// without keys would hide the keychain source, so the example has none.
pub const EXAMPLE_PROFILE: &str = "\
[profile prodaccess]
role_arn = arn:aws:iam::123456789012:role/ProdAccess
source_profile = dev
region = eu-west-1
duration_seconds = 7200
";

/// What a config file RoleKeeper creates starts with: only comments, which every AWS reader
/// skips, so the file means nothing until the user writes a profile.
fn new_config_text() -> String {
    let mut text = String::from(
        "# AWS config, created by RoleKeeper. A profile looks like this (remove the #s):\n#\n",
    );
    for line in EXAMPLE_PROFILE.lines() {
        text.push_str(if line.is_empty() { "#" } else { "# " });
        text.push_str(line);
        text.push('\n');
    }
    text.push_str(
        "#\n# The keys of `dev` go in the credentials file beside this one, or in the OS \
         keychain:\n# RoleKeeper's Sources tab, or `rolekeeper source add dev`.\n",
    );
    text
}

/// Make `path` (and its directory, 0700) if it does not exist: mode 0600, with commented
/// guidance. An existing file is never touched. Whether it was created.
pub fn ensure_config_file(path: &Path) -> Result<bool> {
    let io = |cause| Error::Io {
        path: path.to_owned(),
        cause,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir).map_err(|cause| Error::Io {
            path: dir.to_owned(),
            cause,
        })?;
    }
    let mut options = std::fs::OpenOptions::new();
    // create_new: a file made meanwhile by someone else is theirs, never overwritten.
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(new_config_text().as_bytes()).map_err(io)?;
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(io(e)),
    }
}

/// The command that opens a text file in the desktop's editor: `xdg-open` (the desktop's
/// default application for text), `open -t` on macOS.
pub fn editor_command(path: &Path) -> Vec<String> {
    let file = path.display().to_string();
    if cfg!(target_os = "macos") {
        vec!["open".to_owned(), "-t".to_owned(), file]
    } else {
        vec!["xdg-open".to_owned(), file]
    }
}

/// Open `path` in the editor (see [`editor_command`]), started and left running.
pub fn open_in_editor(path: &Path) -> Result<()> {
    let words = editor_command(path);
    if crate::sso::login::spawn_detached(&words) {
        Ok(())
    } else {
        Err(Error::NoEditor {
            path: path.to_owned(),
            why: format!("`{}` could not be started", words[0]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_config_is_made_private_and_an_existing_one_is_left_alone() {
        let home = tempfile::tempdir().expect("tempdir");
        let config = home.path().join(".aws/config");
        assert!(ensure_config_file(&config).expect("create"));
        let text = std::fs::read_to_string(&config).expect("read");
        // Only comments: the AWS tools see no profile until the user writes one.
        assert!(text.lines().all(|l| l.starts_with('#')), "{text}");
        assert!(text.contains("# role_arn = arn:aws:iam::123456789012:role/ProdAccess"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
            assert_eq!(mode(&config), 0o600);
            assert_eq!(mode(&home.path().join(".aws")), 0o700);
        }
        std::fs::write(&config, "[profile mine]\nregion = us-east-1\n").expect("write");
        assert!(!ensure_config_file(&config).expect("exists"));
        assert_eq!(
            std::fs::read_to_string(&config).expect("read"),
            "[profile mine]\nregion = us-east-1\n"
        );
    }

    #[test]
    fn the_example_is_a_profile_set_the_aws_readers_accept() {
        let parsed = crate::profile::parse(
            Path::new("config"),
            crate::profile::FileKind::Config,
            EXAMPLE_PROFILE,
        )
        .expect("the example parses");
        assert_eq!(parsed.sections.len(), 1);
    }
}
