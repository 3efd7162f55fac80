//! The IAM Identity Center settings of the config file, read with botocore's rules
//! (`SSOProvider._load_sso_config`): a profile is an SSO profile when it sets `sso_account_id` or
//! `sso_role_name`; its `sso_session` (if any) must name an `[sso-session]` section, whose values
//! are merged in and must agree with the profile's own; after merging, the start URL, region,
//! account and role are all required. Every error names the file and line.

use std::collections::BTreeSet;

use crate::error::{Error, Result};
use crate::profile::{Origin, Profile, ProfileSet};

/// One sign-in to IAM Identity Center: an `[sso-session NAME]` section, or the start URL of a
/// legacy profile (`sso_start_url` in the profile itself, no refresh: a fixed 8-hour session).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSession {
    /// The section's name; `None` for a legacy profile.
    pub name: Option<String>,
    pub start_url: String,
    pub region: String,
    /// `sso_registration_scopes`, only read from an `[sso-session]` section.
    pub scopes: Vec<String>,
    /// Where the section (or the legacy profile) is written.
    pub origin: Origin,
}

impl SsoSession {
    /// What the user calls it: the section's name, or the start URL.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.start_url)
    }

    /// The name of its token file in `~/.aws/sso/cache`, as botocore and the AWS CLI name it:
    /// the SHA-1 of the session's name, or of the start URL for a legacy profile.
    pub fn cache_key(&self) -> String {
        sha1_hex(self.label().as_bytes())
    }

    /// The scopes RoleKeeper registers with: the configured ones, else `sso:account:access` for
    /// an `[sso-session]` (what gets a refresh token, so nobody signs in again every hour; the
    /// AWS CLI's default for its browser sign-in too). A legacy profile registers without scopes,
    /// as every AWS tool does.
    pub fn registration_scopes(&self) -> Vec<String> {
        match (&self.name, self.scopes.is_empty()) {
            (Some(_), true) => vec!["sso:account:access".to_owned()],
            _ => self.scopes.clone(),
        }
    }
}

/// A profile's role through IAM Identity Center.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoRole {
    pub session: SsoSession,
    pub account_id: String,
    pub role_name: String,
}

/// The keys botocore merges from an `[sso-session]` into a profile.
const REQUIRED: [&str; 4] = [
    "sso_start_url",
    "sso_region",
    "sso_account_id",
    "sso_role_name",
];

/// The SSO role of `profile`, or `None` when it is no SSO profile.
pub fn sso_role_of(set: &ProfileSet, profile: &Profile) -> Result<Option<SsoRole>> {
    if profile.get("sso_account_id").is_none() && profile.get("sso_role_name").is_none() {
        return Ok(None);
    }
    let refused = |origin: Origin, why: String| Error::SsoSettings {
        profile: profile.name.clone(),
        origin,
        why,
    };
    let here = || {
        profile.origin().cloned().unwrap_or(Origin {
            path: set.config_path.clone(),
            line: 0,
        })
    };
    let section = match profile.get("sso_session") {
        None => None,
        Some(value) => {
            let Some(section) = set.sso_session(&value.text) else {
                return Err(refused(
                    value.origin.clone(),
                    format!(
                        "sso_session = {} names no [sso-session {}] section in {}; add the \
                         section or fix the name",
                        value.text,
                        value.text,
                        set.config_path.display()
                    ),
                ));
            };
            // A key in both must have one value (botocore refuses the profile otherwise).
            for key in section.keys() {
                if let (Some(mine), Some(theirs)) = (profile.get(key), section.get(key)) {
                    if mine.text != theirs.text {
                        return Err(refused(
                            mine.origin.clone(),
                            format!(
                                "{key} = {} differs from {key} = {} in [sso-session {}] ({}); \
                                 keep one value, in the [sso-session] section",
                                mine.text, theirs.text, value.text, theirs.origin
                            ),
                        ));
                    }
                }
            }
            Some(section)
        }
    };
    let value = |key: &str| {
        profile
            .get(key)
            .or_else(|| section.and_then(|s| s.get(key)))
            .map(|v| v.text.clone())
    };
    let missing: Vec<&str> = REQUIRED
        .into_iter()
        .filter(|key| value(key).is_none())
        .collect();
    if !missing.is_empty() {
        let place = if section.is_some() {
            "to the profile (sso_account_id, sso_role_name) or its [sso-session] section \
             (sso_start_url, sso_region)"
        } else {
            "to the profile, or move sso_start_url and sso_region into an [sso-session] section \
             named by sso_session (which also lets the sign-in be refreshed)"
        };
        return Err(refused(
            here(),
            format!(
                "is missing required configuration: {}; add {} {place}",
                missing.join(", "),
                if missing.len() == 1 { "it" } else { "them" }
            ),
        ));
    }
    let (Some(start_url), Some(region), Some(account_id), Some(role_name)) = (
        value("sso_start_url"),
        value("sso_region"),
        value("sso_account_id"),
        value("sso_role_name"),
    ) else {
        return Ok(None); // not reached: all four were checked above
    };
    let session = SsoSession {
        name: section.map(|s| s.name.clone()),
        start_url,
        region,
        scopes: section
            .and_then(|s| s.text("sso_registration_scopes"))
            .map(parse_scopes)
            .unwrap_or_default(),
        origin: section
            .and_then(|s| s.origin().cloned())
            .unwrap_or_else(here),
    };
    Ok(Some(SsoRole {
        session,
        account_id,
        role_name,
    }))
}

/// The `[sso-session NAME]` section, checked: it needs `sso_start_url` and `sso_region`.
pub fn sso_session_named(set: &ProfileSet, name: &str) -> Result<SsoSession> {
    let Some(section) = set.sso_session(name) else {
        return Err(Error::SsoSessionNotFound {
            name: name.to_owned(),
            path: set.config_path.clone(),
        });
    };
    let origin = section.origin().cloned().unwrap_or(Origin {
        path: set.config_path.clone(),
        line: 0,
    });
    let missing: Vec<&str> = ["sso_start_url", "sso_region"]
        .into_iter()
        .filter(|key| section.text(key).is_none())
        .collect();
    match (section.text("sso_start_url"), section.text("sso_region")) {
        (Some(start_url), Some(region)) => Ok(SsoSession {
            name: Some(name.to_owned()),
            start_url: start_url.to_owned(),
            region: region.to_owned(),
            scopes: section
                .text("sso_registration_scopes")
                .map(parse_scopes)
                .unwrap_or_default(),
            origin,
        }),
        _ => Err(Error::SsoSessionIncomplete {
            name: name.to_owned(),
            origin,
            missing: missing.join(", "),
        }),
    }
}

/// Every sign-in the files name: each `[sso-session]` section that is complete, and each legacy
/// profile's start URL, in that order, without repeats.
pub fn sso_sessions(set: &ProfileSet) -> Vec<SsoSession> {
    let mut sessions: Vec<SsoSession> = set
        .sso_sessions()
        .filter_map(|section| sso_session_named(set, &section.name).ok())
        .collect();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for profile in set.profiles() {
        if let Ok(Some(role)) = sso_role_of(set, profile) {
            if role.session.name.is_none() && seen.insert(role.session.start_url.clone()) {
                sessions.push(role.session);
            }
        }
    }
    sessions
}

/// `sso_registration_scopes`: comma-separated, spaces around each ignored (as the AWS CLI reads
/// it).
fn parse_scopes(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `[sso-session corp]` with the reference's start URL and `sso:account:access`, for tests.
#[cfg(test)]
pub(crate) fn corp() -> SsoSession {
    SsoSession {
        name: Some("corp".into()),
        start_url: "https://d-1234567890.awsapps.com/start".into(),
        region: "us-east-1".into(),
        scopes: vec!["sso:account:access".into()],
        origin: Origin {
            path: "/c".into(),
            line: 1,
        },
    }
}

/// Lower-case hex SHA-1, as the AWS tools name their cache files.
pub(crate) fn sha1_hex(bytes: &[u8]) -> String {
    use sha1::Digest;
    let digest = sha1::Sha1::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::profile::{parse, FileKind};

    fn set(config: &str) -> ProfileSet {
        let c = parse(Path::new("/c"), FileKind::Config, config).expect("config parses");
        let k = parse(Path::new("/k"), FileKind::Credentials, "").expect("creds parse");
        ProfileSet::merge(&c, &k)
    }

    fn role(config: &str, profile: &str) -> Result<Option<SsoRole>> {
        let set = set(config);
        let p = set.get(profile).expect("profile");
        sso_role_of(&set, p)
    }

    const SESSION: &str = "[sso-session corp]\nsso_start_url = https://d-1234567890.awsapps.com/start\n\
                           sso_region = us-east-1\nsso_registration_scopes = sso:account:access , x:y\n";

    #[test]
    fn the_cache_key_is_the_sha1_of_the_session_name() {
        // The file Debian's AWS CLI 2.9.19 wrote for session `corp`.
        assert_eq!(
            sha1_hex(b"corp"),
            "ee0bfd2552fbd840c02cc48b6e823320543c450f"
        );
    }

    #[test]
    fn a_profile_with_a_session_merges_it() {
        let config = format!(
            "[profile dev]\nsso_session = corp\nsso_account_id = 111111111111\n\
             sso_role_name = Admin\n{SESSION}"
        );
        let role = role(&config, "dev").expect("valid").expect("sso");
        assert_eq!(role.session.name.as_deref(), Some("corp"));
        assert_eq!(role.session.region, "us-east-1");
        assert_eq!(role.session.scopes, ["sso:account:access", "x:y"]);
        assert_eq!(role.session.origin.line, 5);
        assert_eq!(
            (role.account_id.as_str(), role.role_name.as_str()),
            ("111111111111", "Admin")
        );
    }

    #[test]
    fn a_legacy_profile_has_no_session_name_and_no_scopes() {
        let config = "[profile old]\nsso_start_url = https://x.awsapps.com/start\n\
                      sso_region = eu-west-1\nsso_account_id = 1\nsso_role_name = R\n";
        let role = role(config, "old").expect("valid").expect("sso");
        assert_eq!(role.session.name, None);
        assert_eq!(role.session.label(), "https://x.awsapps.com/start");
        assert!(role.session.registration_scopes().is_empty());
    }

    #[test]
    fn botocores_refusals_name_the_line() {
        // (config, profile, words the message must hold)
        let cases = [
            (
                "[profile a]\nsso_role_name = R\n".to_owned(),
                "a",
                vec![
                    "/c, line 1",
                    "missing required configuration: sso_start_url, sso_region, sso_account_id",
                ],
            ),
            (
                "[profile a]\nsso_session = nope\nsso_account_id = 1\nsso_role_name = R\n"
                    .to_owned(),
                "a",
                vec!["/c, line 2", "no [sso-session nope] section"],
            ),
            (
                format!(
                    "[profile a]\nsso_session = corp\nsso_region = eu-west-1\n\
                     sso_account_id = 1\nsso_role_name = R\n{SESSION}"
                ),
                "a",
                vec![
                    "/c, line 3",
                    "sso_region = eu-west-1 differs from sso_region = us-east-1",
                ],
            ),
        ];
        for (config, profile, words) in cases {
            let message = role(&config, profile).expect_err(&config).to_string();
            for word in words {
                assert!(message.contains(word), "{message:?} lacks {word:?}");
            }
        }
    }

    #[test]
    fn a_token_only_profile_is_no_sso_profile() {
        // `sso_session` alone is for `aws sso login --profile`; credentials come from elsewhere.
        let config = format!("[profile t]\nsso_session = corp\n{SESSION}");
        assert_eq!(role(&config, "t").expect("valid"), None);
    }

    #[test]
    fn sessions_list_sections_then_legacy_start_urls_once() {
        let config = format!(
            "{SESSION}[profile a]\nsso_start_url = https://l.awsapps.com/start\nsso_region = r\n\
             sso_account_id = 1\nsso_role_name = R\n[profile b]\n\
             sso_start_url = https://l.awsapps.com/start\nsso_region = r\nsso_account_id = 2\n\
             sso_role_name = R\n[sso-session half]\nsso_region = r\n"
        );
        let labels: Vec<String> = sso_sessions(&set(&config))
            .iter()
            .map(|s| s.label().to_owned())
            .collect();
        assert_eq!(labels, ["corp", "https://l.awsapps.com/start"]);
        let err = sso_session_named(&set(&config), "half").expect_err("incomplete");
        assert!(err.to_string().contains("sso_start_url"), "{err}");
    }
}
