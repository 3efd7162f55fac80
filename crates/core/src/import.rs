//! `rolekeeper source import PROFILE [--as NAME]`: a plain-text profile's long-term keys move from
//! the credentials file into the keychain, and the profile keeps working for the AWS tools through
//! `credential_process = rolekeeper credential-process NAME` in `~/.aws/config`.
//!
//! Nothing is lost on failure. In order: both files are checked; the credentials file is backed
//! up (mode 0600); the keys are written to the keychain and read back; the config line is added
//! (the keys still in the file win over it for the AWS tools meanwhile); only then do the two key
//! lines leave the credentials file, every other byte staying (an emptied section goes whole).

use std::io;
use std::path::{Path, PathBuf};

use crate::credfile::{write, Document};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::keychain::{validate_mfa_serial, validate_source_name, Source};
use crate::resolve::{imported_source_line, imported_source_name};

/// The lines that leave the credentials file.
const KEY_LINES: &[&str] = &["aws_access_key_id", "aws_secret_access_key"];

/// Settings that make a profile something other than plain keys.
const NOT_PLAIN: &[&str] = &[
    "aws_session_token",
    "aws_security_token",
    "role_arn",
    "source_profile",
    "credential_source",
    "credential_process",
    "web_identity_token_file",
    "sso_session",
    "sso_start_url",
    "sso_account_id",
];

/// What `source import` did.
#[derive(Debug, Clone)]
pub struct Imported {
    pub profile: String,
    pub source: String,
    pub credentials_path: PathBuf,
    pub config_path: PathBuf,
    /// The credentials file as it was, mode 0600.
    pub backup: PathBuf,
    /// The whole section left the credentials file (nothing but the keys was in it).
    pub section_removed: bool,
}

/// The key of a `key = value` line, lowercased; `None` for other lines.
fn line_key(text: &str) -> Option<String> {
    let trimmed = text.trim_start();
    if trimmed.starts_with(['#', ';']) {
        return None;
    }
    let (key, _) = trimmed.split_once('=')?;
    Some(key.trim().to_ascii_lowercase())
}

/// Take `profile`'s key lines out of a credentials document; the whole section when only blank
/// lines would be left. Returns whether the section went, or `None` if it had no key lines.
fn remove_keys(doc: &mut Document, profile: &str) -> Option<bool> {
    let span = doc.find_sections(profile).into_iter().next()?;
    let keys: Vec<usize> = (span.header + 1..span.end)
        .filter(|&i| line_key(&doc.line_text(i)).is_some_and(|k| KEY_LINES.contains(&k.as_str())))
        .collect();
    if keys.is_empty() {
        return None;
    }
    let rest_blank = (span.header + 1..span.end)
        .filter(|i| !keys.contains(i))
        .all(|i| doc.line_text(i).trim().is_empty());
    if rest_blank {
        // The blank lines after it separated it from the next section: they go with it, so no
        // double gap is left behind.
        let mut end = span.end;
        while end < doc.line_count() && doc.line_text(end).trim().is_empty() {
            end += 1;
        }
        let whole = crate::credfile::document::SectionSpan {
            name: span.name.clone(),
            header: span.header,
            end,
        };
        doc.replace_span(&whole, "");
        return Some(true);
    }
    for &index in keys.iter().rev() {
        doc.set_line(index, Vec::new());
    }
    Some(false)
}

impl Engine {
    /// Move `profile`'s keys from the credentials file into the keychain source `as_name`
    /// (default: the profile's name). See the module documentation for the order of steps.
    pub async fn import_source(&self, profile: &str, as_name: Option<&str>) -> Result<Imported> {
        let name = as_name.unwrap_or(profile).to_owned();
        validate_source_name(&name)?;
        let locations = self.locations();
        let refuse = |why: String| Error::ImportRefused {
            profile: profile.to_owned(),
            path: locations.credentials.clone(),
            why,
        };
        let set = self.load_profiles()?;
        let Some(found) = set.get(profile) else {
            return Err(refuse("there is no such profile".to_owned()));
        };
        let ours = found
            .text("credential_process")
            .and_then(imported_source_name)
            .is_some();
        if ours && found.text("aws_access_key_id").is_none() {
            return Err(refuse(
                "it was imported already: its keys are in the keychain and ~/.aws/config runs \
                 `rolekeeper credential-process` for it"
                    .to_owned(),
            ));
        }
        if let Some(key) = NOT_PLAIN
            .iter()
            .find(|k| found.get(k).is_some() && !(ours && **k == "credential_process"))
        {
            return Err(refuse(format!(
                "it is not plain long-term keys (it sets {key}); only aws_access_key_id and \
                 aws_secret_access_key can be imported"
            )));
        }
        let keys_in_file = |k: &str| {
            found
                .get(k)
                .is_some_and(|v| v.origin.path == set.credentials_path)
        };
        let (Some(id), Some(secret)) = (
            found.text("aws_access_key_id"),
            found.secret("aws_secret_access_key"),
        ) else {
            return Err(refuse(
                "it has no aws_access_key_id and aws_secret_access_key to import".to_owned(),
            ));
        };
        if !keys_in_file("aws_access_key_id") || !keys_in_file("aws_secret_access_key") {
            return Err(refuse(
                "its keys are not both in the credentials file (some are in ~/.aws/config); move \
                 them to the credentials file first"
                    .to_owned(),
            ));
        }
        let source = Source {
            name: name.clone(),
            access_key_id: id.to_owned(),
            secret_access_key: secret,
            mfa_serial: found
                .text("mfa_serial")
                .filter(|s| validate_mfa_serial(s).is_ok())
                .map(str::to_owned),
            region: found.text("region").map(str::to_owned),
        };
        source.validate()?;
        let sources = self.sources();
        if sources.names()?.contains(&name) {
            let same = sources.get(&name).await.ok().is_some_and(|s| {
                s.access_key_id == source.access_key_id
                    && s.secret_access_key == source.secret_access_key
            });
            // The same keys: an import that stopped halfway is finished; else nothing is touched.
            if !same {
                return Err(refuse(format!(
                    "a keychain source `{name}` with other keys exists already; choose another \
                     name with --as NAME"
                )));
            }
        }

        let store = self.state_store();
        let stamp = crate::delivery::stamp(self.clock().now());
        let target = write::resolve_target(&locations.credentials).map_err(|cause| Error::Io {
            path: locations.credentials.clone(),
            cause,
        })?;
        let before = std::fs::read(&target).map_err(|cause| Error::Io {
            path: target.clone(),
            cause,
        })?;
        let backup = store
            .backup(&target, &before, &stamp)
            .map_err(|cause| write_error(&store.dir().join("backups"), cause))?;

        sources.add(source.clone()).await?;
        let stored = sources.get(&name).await?;
        if stored.access_key_id != source.access_key_id
            || stored.secret_access_key != source.secret_access_key
        {
            return Err(refuse(
                "the keychain did not give back the keys just stored".to_owned(),
            ));
        }

        write::update(
            &locations.config,
            |doc| {
                crate::credfile::process_line::add(doc, profile, &imported_source_line(&name));
                Ok::<_, io::Error>(())
            },
            |_, _| Ok(()),
        )
        .map_err(|cause| write_error(&locations.config, cause))?;

        let mut backed_up = before;
        let updated = write::update(
            &target,
            |doc| Ok::<_, io::Error>(remove_keys(doc, profile)),
            // Someone changed the file since the backup: keep that version too.
            |path, bytes| {
                if bytes != backed_up.as_slice() {
                    store.backup(path, bytes, &format!("{stamp}-2"))?;
                    backed_up = bytes.to_vec();
                }
                Ok(())
            },
        )
        .map_err(|cause| write_error(&target, cause))?;
        Ok(Imported {
            profile: profile.to_owned(),
            source: name,
            credentials_path: target,
            config_path: locations.config,
            backup,
            section_removed: updated.value.unwrap_or(false),
        })
    }
}

fn write_error(path: &Path, cause: io::Error) -> Error {
    Error::Write {
        path: path.to_owned(),
        cause,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_key_lines_leave_and_an_emptied_section_goes_whole() {
        // (file, profile, after, section removed)
        let table = [
            (
                "# top\n[a]\nx = 1\n\n[dev]\naws_access_key_id = AKIA1\n# keep\naws_secret_access_key = s\nregion = eu\n\n[b]\ny = 2\n",
                "dev",
                "# top\n[a]\nx = 1\n\n[dev]\n# keep\nregion = eu\n\n[b]\ny = 2\n",
                Some(false),
            ),
            (
                "[a]\r\nx = 1\r\n\r\n[dev]\r\naws_access_key_id = AKIA1\r\naws_secret_access_key = s\r\n\r\n[b]\r\ny = 2\r\n",
                "dev",
                "[a]\r\nx = 1\r\n\r\n[b]\r\ny = 2\r\n",
                Some(true),
            ),
            (
                "[a]\nx = 1\n\n[dev]\naws_access_key_id = AKIA1\naws_secret_access_key = s",
                "dev",
                "[a]\nx = 1\n\n",
                Some(true),
            ),
            ("[dev]\nregion = eu\n", "dev", "[dev]\nregion = eu\n", None),
            ("[a]\n", "dev", "[a]\n", None),
        ];
        for (before, profile, after, removed) in table {
            let mut doc = Document::parse(before.as_bytes());
            assert_eq!(remove_keys(&mut doc, profile), removed, "{before:?}");
            assert_eq!(
                String::from_utf8_lossy(&doc.to_bytes()),
                after,
                "{before:?}"
            );
        }
    }

    #[test]
    fn the_config_gets_one_credential_process_line() {
        let line = "credential_process = rolekeeper credential-process dev";
        // (config, profile, after)
        let table = [
            ("", "dev", format!("[profile dev]\n{line}\n")),
            (
                "[profile dev]\nregion = eu\n\n[profile b]\n",
                "dev",
                format!("[profile dev]\nregion = eu\n{line}\n\n[profile b]\n"),
            ),
            (
                "[default]\r\nregion = eu",
                "default",
                // A file without a final line break stays without one.
                format!("[default]\r\nregion = eu\r\n{line}"),
            ),
            (
                "# c\n[profile a]\n",
                "default",
                "# c\n[profile a]\n\n[default]\ncredential_process = rolekeeper credential-process dev\n".to_owned(),
            ),
        ];
        for (before, profile, after) in table {
            let mut doc = Document::parse(before.as_bytes());
            crate::credfile::process_line::add(&mut doc, profile, &imported_source_line("dev"));
            assert_eq!(
                String::from_utf8_lossy(&doc.to_bytes()),
                after,
                "{before:?}"
            );
            // Twice is once.
            crate::credfile::process_line::add(&mut doc, profile, &imported_source_line("dev"));
            assert_eq!(
                String::from_utf8_lossy(&doc.to_bytes()),
                after,
                "{before:?}"
            );
        }
    }
}
