//! What a profile is to RoleKeeper: keys, a role, or neither. Menus, windows and `status` decide
//! what to offer by this, never by its word.

use serde::Serialize;

use super::Profile;

/// Serialized (`status --json`, the windows) as its lowercase word: `static`, `role`, `other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProfileKind {
    /// Long-term keys (`aws_access_key_id`): nothing to renew.
    Static,
    /// A role (`role_arn`, or an IAM Identity Center role: `sso_account_id` / `sso_role_name`):
    /// a session RoleKeeper can keep fresh.
    Role,
    /// Neither, e.g. a `[default]` with only a region: nothing to assume.
    Other,
}

impl ProfileKind {
    /// A role wins over keys in the same profile: the AWS tools assume the role.
    pub fn of(profile: &Profile) -> Self {
        if profile.text("role_arn").is_some()
            || profile.text("sso_account_id").is_some()
            || profile.text("sso_role_name").is_some()
        {
            ProfileKind::Role
        } else if profile.text("aws_access_key_id").is_some() {
            ProfileKind::Static
        } else {
            ProfileKind::Other
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ProfileKind::Static => "static",
            ProfileKind::Role => "role",
            ProfileKind::Other => "other",
        }
    }
}

impl std::fmt::Display for ProfileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad`, so `{:6}` lines up a column.
        f.pad(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::profile::{parse, FileKind, ProfileSet};

    #[test]
    fn kinds_by_what_the_profile_holds_in_their_words() {
        let config = "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/R\nsource_profile = keys\n\
                      [profile both]\nrole_arn = arn:aws:iam::123456789012:role/R\naws_access_key_id = AKIAEXAMPLE\n\
                      [default]\nregion = eu-west-1\n";
        let credentials = "[keys]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n";
        let set = ProfileSet::merge(
            &parse(Path::new("config"), FileKind::Config, config).expect("config"),
            &parse(Path::new("credentials"), FileKind::Credentials, credentials)
                .expect("credentials"),
        );
        let kinds: Vec<(&str, ProfileKind, String, String)> = set
            .profiles()
            .map(|p| {
                let kind = ProfileKind::of(p);
                let json = serde_json::to_string(&kind).expect("json");
                (p.name.as_str(), kind, format!("{kind:6}|"), json)
            })
            .collect();
        assert_eq!(
            kinds,
            [
                (
                    "both",
                    ProfileKind::Role,
                    "role  |".to_owned(),
                    "\"role\"".to_owned()
                ),
                (
                    "default",
                    ProfileKind::Other,
                    "other |".to_owned(),
                    "\"other\"".to_owned()
                ),
                (
                    "keys",
                    ProfileKind::Static,
                    "static|".to_owned(),
                    "\"static\"".to_owned()
                ),
                (
                    "role",
                    ProfileKind::Role,
                    "role  |".to_owned(),
                    "\"role\"".to_owned()
                ),
            ]
        );
    }
}
