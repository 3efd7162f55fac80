//! Adoption of a role profile in `~/.aws/config`.
//!
//! The AWS CLI and SDKs resolve a profile that has `role_arn` (or web identity, or SSO settings)
//! themselves, before they look at the credentials file, so credentials RoleKeeper writes under
//! that name would be ignored. Adopting the profile turns those lines into comments with a marker:
//!
//! ```text
//! [profile prodaccess]
//! # adopted by RoleKeeper: role_arn = arn:aws:iam::123456789012:role/ProdAccess
//! # adopted by RoleKeeper: source_profile = dev
//! region = eu-west-1
//! ```
//!
//! RoleKeeper keeps reading the definition from the marked lines (`profile::parse` knows the
//! marker); releasing removes the markers, which gives back the file's bytes exactly.

use super::document::Document;

/// What an adopted line starts with. The rest of the line is the original line, byte for byte.
pub const ADOPTED_PREFIX: &str = "# adopted by RoleKeeper: ";

/// Keys that make the AWS tools resolve a profile before reading the credentials file.
pub const ADOPTED_KEYS: &[&str] = &[
    "role_arn",
    "source_profile",
    "credential_source",
    "mfa_serial",
    "duration_seconds",
    "external_id",
    "role_session_name",
    "web_identity_token_file",
    "sso_session",
    "sso_start_url",
    "sso_region",
    "sso_account_id",
    "sso_role_name",
];

/// Whether a config-file section header's inner text names profile `name`.
pub(crate) fn names_profile(inner: &str, name: &str) -> bool {
    crate::profile::config_profile_name(inner).is_some_and(|n| n == name)
}

/// Comment out `name`'s resolution lines in a config document. Returns the 1-based line numbers
/// and keys adopted (empty if there was nothing to adopt).
pub fn adopt(doc: &mut Document, name: &str) -> Vec<(usize, String)> {
    let mut adopted = Vec::new();
    for span in doc
        .sections()
        .into_iter()
        .filter(|s| names_profile(&s.name, name))
    {
        for index in span.header + 1..span.end {
            let text = doc.line_text(index);
            let trimmed = text.trim_start();
            if trimmed.starts_with(['#', ';']) {
                continue;
            }
            let Some((key, _)) = trimmed.split_once('=') else {
                continue;
            };
            let key = key.trim().to_ascii_lowercase();
            if ADOPTED_KEYS.contains(&key.as_str()) {
                let mut line = ADOPTED_PREFIX.as_bytes().to_vec();
                line.extend_from_slice(doc.line_bytes(index));
                doc.set_line(index, line);
                adopted.push((index + 1, key));
            }
        }
    }
    adopted
}

/// Give back `name`'s adopted lines. Returns how many lines were released.
pub fn release(doc: &mut Document, name: &str) -> usize {
    let mut released = 0;
    for span in doc
        .sections()
        .into_iter()
        .filter(|s| names_profile(&s.name, name))
    {
        for index in span.header + 1..span.end {
            if let Some(original) = doc
                .line_bytes(index)
                .strip_prefix(ADOPTED_PREFIX.as_bytes())
            {
                let original = original.to_vec();
                doc.set_line(index, original);
                released += 1;
            }
        }
    }
    released
}

/// Whether `name` has adopted lines.
pub fn is_adopted(doc: &Document, name: &str) -> bool {
    doc.sections()
        .into_iter()
        .filter(|s| names_profile(&s.name, name))
        .any(|span| {
            (span.header + 1..span.end)
                .any(|i| doc.line_bytes(i).starts_with(ADOPTED_PREFIX.as_bytes()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "[default]\r\nregion = us-east-1\r\n\r\n[profile prodaccess] # prod\r\nrole_arn = arn:aws:iam::123456789012:role/P\r\n  Source_Profile=dev\r\n# role_arn = old\r\nregion = eu-west-1\r\nduration_seconds = 3600";

    #[test]
    fn adopt_then_release_gives_back_the_bytes() {
        let mut doc = Document::parse(CONFIG.as_bytes());
        let adopted = adopt(&mut doc, "prodaccess");
        assert_eq!(
            adopted,
            vec![
                (5, "role_arn".into()),
                (6, "source_profile".into()),
                (9, "duration_seconds".into())
            ]
        );
        let text = String::from_utf8(doc.to_bytes()).expect("utf8");
        assert!(
            text.contains("\r\n# adopted by RoleKeeper: role_arn = arn:"),
            "{text}"
        );
        assert!(
            text.contains("\r\n# role_arn = old\r\nregion = eu-west-1\r\n"),
            "{text}"
        );
        assert!(is_adopted(&doc, "prodaccess"));
        assert_eq!(
            adopt(&mut doc, "prodaccess"),
            vec![],
            "adopting twice changes nothing"
        );
        assert_eq!(release(&mut doc, "prodaccess"), 3);
        assert_eq!(String::from_utf8_lossy(&doc.to_bytes()), CONFIG);
        assert!(!is_adopted(&doc, "prodaccess"));
    }

    #[test]
    fn other_profiles_are_untouched() {
        let mut doc = Document::parse(CONFIG.as_bytes());
        assert!(adopt(&mut doc, "default").is_empty());
        assert!(adopt(&mut doc, "nosuch").is_empty());
        assert_eq!(String::from_utf8_lossy(&doc.to_bytes()), CONFIG);
    }
}
