//! "Start RoleKeeper at login": an XDG autostart entry
//! (`$XDG_CONFIG_HOME/autostart/rolekeeper.desktop`, by default under `~/.config`) that a desktop
//! session runs at login. It starts this program, the tray.

use std::io::Write;
use std::path::{Path, PathBuf};

use rolekeeper_core::env::Env;

/// The entry's file name.
const ENTRY: &str = "rolekeeper.desktop";
/// The name earlier versions (Tauri's autostart plugin) gave it: replaced by [`ENTRY`].
const EARLIER_ENTRY: &str = "RoleKeeper.desktop";

/// The autostart entry's path for this environment; `None` without a home.
pub fn entry_path(env: &dyn Env) -> Option<PathBuf> {
    let config = env
        .non_empty("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| env.non_empty("HOME").map(|h| Path::new(&h).join(".config")))?;
    Some(config.join("autostart").join(ENTRY))
}

/// What the entry says: run `program` when the session starts.
pub fn entry_text(program: &Path) -> String {
    format!(
        "[Desktop Entry]\nType=Application\nVersion=1.0\nName=RoleKeeper\n\
         Comment=Keeps AWS IAM role sessions fresh\nExec={}\nTerminal=false\n\
         StartupNotify=false\nX-GNOME-Autostart-enabled=true\n",
        exec_quoted(program)
    )
}

/// The program as an `Exec` key's first word: quoted when it holds a space or a reserved
/// character (the Desktop Entry specification's rules).
fn exec_quoted(program: &Path) -> String {
    // A literal `%` would be read as a field code (`%f`, `%u`).
    let text = program.to_string_lossy().replace('%', "%%");
    let reserved = |c: char| " \t\n\"'\\><~|&;$*?#()`".contains(c);
    if !text.chars().any(reserved) {
        return text;
    }
    let mut quoted = String::from("\"");
    for c in text.chars() {
        if matches!(c, '"' | '`' | '$' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    // In a desktop file's string value a backslash is itself escaped.
    quoted.replace('\\', "\\\\")
}

/// Turn start at login on (writing the entry, replaced whole) or off (removing it).
pub fn set(env: &dyn Env, on: bool) -> std::io::Result<()> {
    let path = entry_path(env)
        .ok_or_else(|| std::io::Error::other("no HOME: nowhere to put the autostart entry"))?;
    remove(&path.with_file_name(EARLIER_ENTRY))?;
    if !on {
        return remove(&path);
    }
    let program = std::env::current_exe()?;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let (temp, mut file) = tempfile_in(dir)?;
    let written = file
        .write_all(entry_text(&program).as_bytes())
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&temp, &path));
    if written.is_err() {
        // Nothing half-written is left beside the entry.
        let _ = std::fs::remove_file(&temp);
    }
    written
}

fn remove(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// A new file beside the entry, renamed over it once written (a reader never sees half).
fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let path = dir.join(format!(".{ENTRY}.{}", std::process::id()));
    let file = std::fs::File::create(&path)?;
    Ok((path, file))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rolekeeper_core::env::MapEnv;

    #[test]
    fn the_entry_lives_in_the_config_home() {
        let env = MapEnv::default().with("HOME", "/home/me");
        assert_eq!(
            entry_path(&env),
            Some(PathBuf::from(
                "/home/me/.config/autostart/rolekeeper.desktop"
            ))
        );
        let env = env.with("XDG_CONFIG_HOME", "/cfg");
        assert_eq!(
            entry_path(&env),
            Some(PathBuf::from("/cfg/autostart/rolekeeper.desktop"))
        );
        assert_eq!(entry_path(&MapEnv::default()), None);
    }

    #[test]
    fn the_entry_runs_the_program_quoted_when_needed() {
        let plain = entry_text(Path::new("/usr/bin/rolekeeper-desktop"));
        assert!(plain.starts_with("[Desktop Entry]\nType=Application\n"));
        assert!(plain.contains("\nExec=/usr/bin/rolekeeper-desktop\n"));
        let percent = entry_text(Path::new("/opt/100%/rolekeeper-desktop"));
        assert!(
            percent.contains("\nExec=/opt/100%%/rolekeeper-desktop\n"),
            "{percent}"
        );
        let spaced = entry_text(Path::new("/opt/Role Keeper/rolekeeper-desktop"));
        assert!(
            spaced.contains("\nExec=\"/opt/Role Keeper/rolekeeper-desktop\"\n"),
            "{spaced}"
        );
    }

    #[test]
    fn turning_it_on_and_off_writes_and_removes_the_entry() {
        let dir = tempfile::tempdir().unwrap();
        let env = MapEnv::default().with("XDG_CONFIG_HOME", dir.path().to_str().unwrap());
        set(&env, true).unwrap();
        let path = entry_path(&env).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\nExec="));
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1
        );
        set(&env, false).unwrap();
        assert!(!path.exists());
        set(&env, false).unwrap();
    }
}
