//! A source: long-term IAM user keys that role profiles start from (`source_profile = NAME`),
//! kept in the keychain instead of `~/.aws/credentials`. Stored as one JSON blob per source.

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// Keys a role chain can start from, with the settings that go with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub name: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    /// The IAM user's MFA device: the default `mfa_serial` of roles assumed with these keys.
    pub mfa_serial: Option<String>,
    /// The default region of roles assumed with these keys.
    pub region: Option<String>,
}

/// The blob's shape. Built from borrowed fields at the moment of writing and dropped right after,
/// because `Secret` deliberately has no `Serialize`.
#[derive(Serialize)]
struct BlobOut<'a> {
    version: u32,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    mfa_serial: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
}

#[derive(Deserialize)]
struct BlobIn {
    access_key_id: String,
    secret_access_key: String,
    #[serde(default)]
    mfa_serial: Option<String>,
    #[serde(default)]
    region: Option<String>,
}

const BLOB_VERSION: u32 = 1;

/// A source RoleKeeper cannot accept, in words; never holds a secret, nor the key id (a secret
/// pasted into the wrong field would otherwise be echoed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("source name `{name}` is not valid: {why}")]
    InvalidName { name: String, why: &'static str },

    #[error("the access key id is not valid: {why} (an IAM user's key id looks like AKIAIOSFODNN7EXAMPLE)")]
    InvalidAccessKeyId { why: String },

    #[error("the secret access key is not valid: {why}")]
    InvalidSecret { why: &'static str },

    #[error("MFA serial `{value}` is not valid: expected an MFA device ARN like arn:aws:iam::123456789012:mfa/alice, or a hardware token serial like GAHT12345678")]
    InvalidMfaSerial { value: String },

    #[error("the keychain entry of source `{name}` is not one RoleKeeper wrote ({why}); run `rolekeeper source remove {name}` and add it again")]
    Unreadable { name: String, why: String },
}

impl Source {
    /// Check every field, so a bad value is refused before it reaches the keychain.
    pub fn validate(&self) -> Result<(), SourceError> {
        validate_source_name(&self.name)?;
        validate_access_key_id(&self.access_key_id)?;
        let secret = self.secret_access_key.expose();
        if secret.is_empty() {
            return Err(SourceError::InvalidSecret { why: "it is empty" });
        }
        if secret.chars().any(char::is_whitespace) {
            return Err(SourceError::InvalidSecret {
                why: "it contains spaces",
            });
        }
        if let Some(serial) = &self.mfa_serial {
            validate_mfa_serial(serial)?;
        }
        Ok(())
    }

    /// The keychain blob: JSON with the secret in it, so itself a [`Secret`].
    pub fn to_blob(&self) -> Secret {
        let out = BlobOut {
            version: BLOB_VERSION,
            access_key_id: &self.access_key_id,
            secret_access_key: self.secret_access_key.expose(),
            mfa_serial: self.mfa_serial.as_deref(),
            region: self.region.as_deref(),
        };
        // Serialising borrowed strings into a String cannot fail; `json!`-free to keep the raw
        // secret in one short-lived place.
        Secret::new(serde_json::to_string(&out).unwrap_or_default())
    }

    /// Read a blob written by [`Source::to_blob`].
    pub fn from_blob(name: &str, blob: &Secret) -> Result<Self, SourceError> {
        // serde_json's own messages may quote the offending value (which could be the secret):
        // only its category and position are reported.
        let parsed: BlobIn =
            serde_json::from_str(blob.expose()).map_err(|e| SourceError::Unreadable {
                name: name.to_owned(),
                why: format!(
                    "{:?} error at line {}, column {}",
                    e.classify(),
                    e.line(),
                    e.column()
                )
                .to_lowercase(),
            })?;
        Ok(Self {
            name: name.to_owned(),
            access_key_id: parsed.access_key_id,
            secret_access_key: Secret::new(parsed.secret_access_key),
            mfa_serial: parsed.mfa_serial,
            region: parsed.region,
        })
    }
}

/// A name usable as `source_profile = NAME`: 1 to 64 of letters, digits and `_+=,.@-`.
pub fn validate_source_name(name: &str) -> Result<(), SourceError> {
    let invalid = |why| SourceError::InvalidName {
        name: name.to_owned(),
        why,
    };
    if name.is_empty() || name.len() > 64 {
        return Err(invalid("it must be 1 to 64 characters long"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
    {
        return Err(invalid(
            "use letters, digits and _+=,.@- only (it goes in `source_profile = NAME`)",
        ));
    }
    Ok(())
}

/// `AKIA` (an IAM user's long-term key) or `ASIA` (temporary), then 16 of `A-Z0-9`.
pub fn validate_access_key_id(id: &str) -> Result<(), SourceError> {
    let invalid = |why: String| Err(SourceError::InvalidAccessKeyId { why });
    if !(id.starts_with("AKIA") || id.starts_with("ASIA")) {
        return invalid("it must start with AKIA or ASIA".to_owned());
    }
    if id.len() != 20 {
        return invalid(format!("it must be 20 characters long, not {}", id.len()));
    }
    if !id
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return invalid("it must be uppercase letters and digits only".to_owned());
    }
    Ok(())
}

/// `arn:PARTITION:iam::ACCOUNT:mfa/NAME` (a virtual or FIDO device), or a hardware token's
/// serial number (IAM: 9 to 256 characters; tokens print uppercase letters and digits).
pub fn validate_mfa_serial(serial: &str) -> Result<(), SourceError> {
    let invalid = || {
        Err(SourceError::InvalidMfaSerial {
            value: serial.to_owned(),
        })
    };
    if serial.starts_with("arn:") {
        let parts: Vec<&str> = serial.splitn(6, ':').collect();
        let ok = parts.len() == 6
            && parts[1].starts_with("aws")
            && parts[2] == "iam"
            && parts[3].is_empty()
            && parts[4].len() == 12
            && parts[4].chars().all(|c| c.is_ascii_digit())
            && parts[5].strip_prefix("mfa/").is_some_and(|name| {
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-/".contains(c))
            });
        return if ok { Ok(()) } else { invalid() };
    }
    let ok = (9..=256).contains(&serial.len())
        && serial
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        invalid()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_key_ids() {
        let table: &[(&str, Result<(), &str>)] = &[
            ("AKIAIOSFODNN7EXAMPLE", Ok(())),
            ("ASIAIOSFODNN7EXAMPLE", Ok(())),
            ("AKIA0000000000000000", Ok(())),
            ("AKIDIOSFODNN7EXAMPLE", Err("start with AKIA or ASIA")),
            ("akiaiosfodnn7example", Err("start with AKIA or ASIA")),
            ("AKIA123456789012345", Err("20 characters long, not 19")),
            ("AKIA12345678901234567", Err("20 characters long, not 21")),
            ("AKIAIOSFODNN7examplE", Err("uppercase letters and digits")),
            ("AKIAIOSFODNN7EXAMP/E", Err("uppercase letters and digits")),
            ("", Err("start with AKIA or ASIA")),
        ];
        for (id, want) in table {
            let got = validate_access_key_id(id).map_err(|e| e.to_string());
            match (want, &got) {
                (Ok(()), Ok(())) => {}
                (Err(part), Err(msg)) => {
                    assert!(msg.contains(part), "{id}: {msg}");
                    assert!(!msg.contains(*id) || id.is_empty(), "echoes the id: {msg}");
                }
                _ => panic!("{id}: want {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn mfa_serials() {
        let table: &[(&str, bool)] = &[
            ("arn:aws:iam::123456789012:mfa/alice", true),
            ("arn:aws-us-gov:iam::123456789012:mfa/path/alice", true),
            ("arn:aws-cn:iam::123456789012:mfa/a.b@c-d_e", true),
            ("GAHT12345678", true),
            ("GAHT1234", false),
            ("gaht12345678", false),
            ("arn:aws:iam::123456789012:user/alice", false),
            ("arn:aws:iam::12345678901:mfa/alice", false),
            ("arn:aws:sts::123456789012:mfa/alice", false),
            ("arn:aws:iam:us-east-1:123456789012:mfa/alice", false),
            ("arn:aws:iam::123456789012:mfa/", false),
            ("arn:aws:iam::123456789012:mfa/al ice", false),
            ("", false),
        ];
        for (serial, ok) in table {
            let got = validate_mfa_serial(serial);
            assert_eq!(got.is_ok(), *ok, "{serial}: {got:?}");
            if let Err(e) = got {
                assert!(e
                    .to_string()
                    .contains("arn:aws:iam::123456789012:mfa/alice"));
            }
        }
    }

    #[test]
    fn source_names() {
        let table: &[(&str, bool)] = &[
            ("dev", true),
            ("dev-keys_2.old@x", true),
            ("", false),
            ("has space", false),
            ("prod]", false),
            ("ünï", false),
            (&"x".repeat(64), true),
            (&"x".repeat(65), false),
        ];
        for (name, ok) in table {
            assert_eq!(validate_source_name(name).is_ok(), *ok, "{name}");
        }
    }

    fn source(mfa: Option<&str>, region: Option<&str>) -> Source {
        Source {
            name: "dev".into(),
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            mfa_serial: mfa.map(str::to_owned),
            region: region.map(str::to_owned),
        }
    }

    #[test]
    fn blobs_round_trip() {
        let table = [
            source(None, None),
            source(Some("arn:aws:iam::123456789012:mfa/alice"), None),
            source(None, Some("eu-west-1")),
            source(Some("GAHT12345678"), Some("us-east-1")),
        ];
        for s in table {
            s.validate().expect("valid");
            let blob = s.to_blob();
            let json: serde_json::Value = serde_json::from_str(blob.expose()).expect("json");
            assert_eq!(json["version"], 1);
            assert_eq!(json["secret_access_key"], s.secret_access_key.expose());
            assert_eq!(Source::from_blob("dev", &blob), Ok(s.clone()));
            assert!(!format!("{s:?}").contains("wJalr"), "Debug leaks");
        }
    }

    #[test]
    fn unreadable_blobs_are_described_not_shown() {
        let table = [
            "not json wJalrXUtnFEMI",
            r#"{"access_key_id": "AKIAIOSFODNN7EXAMPLE"}"#,
            r#"{"access_key_id": 1, "secret_access_key": "wJalrXUtnFEMI"}"#,
            r#"{"access_key_id": "A", "secret_access_key": ["wJalrXUtnFEMI"]}"#,
        ];
        for text in table {
            let e = Source::from_blob("dev", &Secret::new(text)).expect_err(text);
            let msg = e.to_string();
            assert!(msg.contains("source remove dev"), "{msg}");
            assert!(!msg.contains("wJalr"), "leaks: {msg}");
        }
    }

    #[test]
    fn validation_refuses_bad_fields() {
        let mut s = source(Some("nope"), None);
        assert!(matches!(
            s.validate(),
            Err(SourceError::InvalidMfaSerial { .. })
        ));
        s.mfa_serial = None;
        s.secret_access_key = Secret::new("");
        assert!(matches!(
            s.validate(),
            Err(SourceError::InvalidSecret { .. })
        ));
        s.secret_access_key = Secret::new("a b");
        assert!(matches!(
            s.validate(),
            Err(SourceError::InvalidSecret { .. })
        ));
    }
}
