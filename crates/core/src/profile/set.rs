//! The profiles of `~/.aws/config` and `~/.aws/credentials` merged with the SDKs' precedence:
//! in the config file `[profile default]` beats `[default]`; a key set in both files takes the
//! credentials file's value; duplicate sections merge, the later key winning.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::parse::{FileKind, ParsedFile, SectionKind};
use crate::secret::Secret;

/// Where a value was written: shown in every error that is about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub path: PathBuf,
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, line {}", self.path.display(), self.line)
    }
}

/// A property's value and where it was written. Not `Debug`: it may hold a secret; profiles print
/// themselves with secrets redacted.
#[derive(Clone)]
#[allow(missing_debug_implementations)]
pub struct Value {
    pub text: String,
    pub origin: Origin,
    /// Kept by RoleKeeper in an adoption comment; the AWS tools do not see it.
    pub adopted: bool,
}

/// One profile after merging both files.
#[derive(Clone, Default)]
pub struct Profile {
    pub name: String,
    /// Where the profile's sections start, config file first.
    pub defined_at: Vec<Origin>,
    values: BTreeMap<String, Value>,
}

impl Profile {
    /// A property's value (keys are case-insensitive), empty values included.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.values.get(&key.to_ascii_lowercase())
    }

    /// A property's value if it is set to something.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.get(key)
            .map(|v| v.text.as_str())
            .filter(|t| !t.is_empty())
    }

    /// A secret property's value, wrapped so it cannot be printed.
    pub fn secret(&self, key: &str) -> Option<Secret> {
        self.text(key).map(Secret::new)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// Where the profile was first defined, for messages.
    pub fn origin(&self) -> Option<&Origin> {
        self.defined_at.first()
    }
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (key, value) in &self.values {
            if super::SECRET_KEYS.contains(&key.as_str()) {
                map.entry(key, &"<redacted>");
            } else {
                map.entry(key, &value.text);
            }
        }
        map.finish()
    }
}

/// All profiles, with the paths they were read from.
#[derive(Debug, Clone, Default)]
pub struct ProfileSet {
    pub config_path: PathBuf,
    pub credentials_path: PathBuf,
    profiles: BTreeMap<String, Profile>,
    /// `[sso-session NAME]` sections, each read as a profile of that name (values with origins).
    sso_sessions: BTreeMap<String, Profile>,
    warnings: Vec<super::Quirk>,
}

impl ProfileSet {
    /// Merge a parsed config file and credentials file (either may be empty).
    pub fn merge(config: &ParsedFile, credentials: &ParsedFile) -> Self {
        let mut set = ProfileSet {
            config_path: config.path.clone(),
            credentials_path: credentials.path.clone(),
            profiles: BTreeMap::new(),
            sso_sessions: BTreeMap::new(),
            warnings: Vec::new(),
        };
        for section in config
            .sections
            .iter()
            .filter(|s| s.kind == SectionKind::SsoSession)
        {
            let session = set
                .sso_sessions
                .entry(section.name.clone())
                .or_insert_with(|| Profile {
                    name: section.name.clone(),
                    ..Profile::default()
                });
            session.defined_at.push(Origin {
                path: config.path.clone(),
                line: section.line,
            });
            for property in &section.properties {
                session.values.insert(
                    property.key.clone(),
                    Value {
                        text: property.value.clone(),
                        origin: Origin {
                            path: config.path.clone(),
                            line: property.line,
                        },
                        adopted: property.adopted,
                    },
                );
            }
        }
        let has_prefixed_default = config
            .sections
            .iter()
            .any(|s| s.kind == SectionKind::Profile && s.name == "default");
        for file in [config, credentials] {
            for section in &file.sections {
                let counts = match (&section.kind, file.kind) {
                    (SectionKind::Profile, _) => true,
                    (SectionKind::BareDefault, FileKind::Config) => !has_prefixed_default,
                    _ => false,
                };
                if !counts {
                    continue;
                }
                let profile = set
                    .profiles
                    .entry(section.name.clone())
                    .or_insert_with(|| Profile {
                        name: section.name.clone(),
                        ..Profile::default()
                    });
                profile.defined_at.push(Origin {
                    path: file.path.clone(),
                    line: section.line,
                });
                for property in &section.properties {
                    profile.values.insert(
                        property.key.clone(),
                        Value {
                            text: property.value.clone(),
                            origin: Origin {
                                path: file.path.clone(),
                                line: property.line,
                            },
                            adopted: property.adopted,
                        },
                    );
                }
            }
        }
        set
    }

    pub fn get(&self, name: &str) -> Option<&Profile> {
        self.profiles.get(name)
    }

    /// Lines some AWS readers refuse (the files are still usable by RoleKeeper).
    pub fn warnings(&self) -> &[super::Quirk] {
        &self.warnings
    }

    pub fn add_warnings(&mut self, warnings: impl IntoIterator<Item = super::Quirk>) {
        self.warnings.extend(warnings);
    }

    /// The settings of an `[sso-session NAME]` section of the config file.
    pub fn sso_session(&self, name: &str) -> Option<&Profile> {
        self.sso_sessions.get(name)
    }

    /// Every `[sso-session]` section, by name.
    pub fn sso_sessions(&self) -> impl Iterator<Item = &Profile> {
        self.sso_sessions.values()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.profiles.keys().map(String::as_str)
    }

    pub fn profiles(&self) -> impl Iterator<Item = &Profile> {
        self.profiles.values()
    }

    /// The file a profile of this name is defined in first, for messages.
    pub fn describe_files(&self) -> String {
        format!(
            "{} or {}",
            display(&self.config_path),
            display(&self.credentials_path)
        )
    }
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse;
    use super::*;

    fn set(config: &str, credentials: &str) -> ProfileSet {
        let c = parse(Path::new("/c"), FileKind::Config, config).expect("config parses");
        let k = parse(Path::new("/k"), FileKind::Credentials, credentials).expect("creds parse");
        ProfileSet::merge(&c, &k)
    }

    #[test]
    fn credentials_file_wins_per_key() {
        let s = set("[profile a]\nregion = r1\nx = c\n", "[a]\nx = k\n");
        let a = s.get("a").expect("a");
        assert_eq!(a.text("region"), Some("r1"));
        assert_eq!(a.text("x"), Some("k"));
        assert_eq!(
            a.get("x").map(|v| v.origin.to_string()),
            Some("/k, line 2".into())
        );
    }

    #[test]
    fn prefixed_default_beats_bare_default() {
        let s = set(
            "[default]\nregion = bare\n[profile default]\nregion = prefixed\n",
            "",
        );
        assert_eq!(
            s.get("default").and_then(|p| p.text("region")),
            Some("prefixed")
        );
        let s = set("[default]\nregion = bare\n", "");
        assert_eq!(
            s.get("default").and_then(|p| p.text("region")),
            Some("bare")
        );
    }

    #[test]
    fn unprefixed_config_sections_are_not_profiles() {
        let s = set("[foo]\nregion = x\n", "");
        assert!(s.get("foo").is_none());
    }
}
