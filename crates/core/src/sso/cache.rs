//! `~/.aws/sso/cache`: the token file every AWS tool reads, and the client registration file the
//! AWS CLI reuses, written exactly as botocore writes them (file names, fields, UTC times,
//! atomically, 0600 in a 0700 directory) and read as leniently as the SDKs read them (keys in any
//! case, times with or without fractions of a second).
//!
//! What RoleKeeper writes in the token file is what a reader needs (the access token and when it
//! expires, plus the client id and registration expiry botocore checks): the refresh token and
//! the client secret stay in the keychain (`keeper.rs`). A file another tool wrote with a refresh
//! token in it is read, and that refresh token taken into the keychain.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use super::config::{sha1_hex, SsoSession};
use crate::credentials::{isoformat, parse_isoformat};
use crate::env::{Env, Fs};
use crate::secret::Secret;

/// `~/.aws/sso/cache` (botocore's fixed place; not moved by `AWS_CONFIG_FILE`).
pub fn cache_dir(env: &dyn Env) -> Option<PathBuf> {
    crate::files::home_dir(env).map(|home| home.join(".aws").join("sso").join("cache"))
}

/// The token file of `session`.
pub fn token_path(dir: &Path, session: &SsoSession) -> PathBuf {
    dir.join(format!("{}.json", session.cache_key()))
}

/// An access token as the cache holds it. Not `Debug`-printable in full: the token is a secret.
#[derive(Debug, Clone)]
pub struct CachedToken {
    pub start_url: Option<String>,
    pub region: Option<String>,
    pub access_token: Secret,
    pub expires_at: SystemTime,
    pub client_id: Option<String>,
    /// Only in a file another tool wrote; RoleKeeper keeps it in the keychain.
    pub client_secret: Option<Secret>,
    pub registration_expires_at: Option<SystemTime>,
    /// Only in a file another tool wrote; RoleKeeper keeps it in the keychain.
    pub refresh_token: Option<Secret>,
}

impl CachedToken {
    /// Parse a token file: `accessToken` and `expiresAt` are required, the rest optional; keys
    /// match in any case (the Rust SDK writes them so).
    pub fn parse(bytes: &[u8]) -> Option<CachedToken> {
        let Value::Object(map) = serde_json::from_slice::<Value>(bytes).ok()? else {
            return None;
        };
        let text = |key: &str| -> Option<String> {
            map.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .and_then(|(_, v)| v.as_str())
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let time = |key: &str| text(key).as_deref().and_then(parse_time);
        Some(CachedToken {
            start_url: text("startUrl"),
            region: text("region"),
            access_token: Secret::new(text("accessToken")?),
            expires_at: time("expiresAt")?,
            client_id: text("clientId"),
            client_secret: text("clientSecret").map(Secret::new),
            registration_expires_at: time("registrationExpiresAt"),
            refresh_token: text("refreshToken").map(Secret::new),
        })
    }

    /// The file's text, botocore's field names and time format. The secrets beside the access
    /// token are written only when `with_refresh` (never by RoleKeeper itself: see the module).
    pub fn to_json(&self, with_refresh: bool) -> Vec<u8> {
        let mut map = Map::new();
        let mut put = |key: &str, value: Option<String>| {
            if let Some(value) = value {
                map.insert(key.to_owned(), Value::String(value));
            }
        };
        put("startUrl", self.start_url.clone());
        put("region", self.region.clone());
        put("accessToken", Some(self.access_token.expose().to_owned()));
        put("expiresAt", Some(utc(self.expires_at)));
        put("clientId", self.client_id.clone());
        put(
            "registrationExpiresAt",
            self.registration_expires_at.map(utc),
        );
        if with_refresh {
            put(
                "clientSecret",
                self.client_secret.as_ref().map(|s| s.expose().to_owned()),
            );
            put(
                "refreshToken",
                self.refresh_token.as_ref().map(|s| s.expose().to_owned()),
            );
        }
        // Serialising a map of strings cannot fail.
        serde_json::to_vec(&Value::Object(map)).unwrap_or_default()
    }

    /// Time left at `now` (zero when expired).
    pub fn left(&self, now: SystemTime) -> Duration {
        self.expires_at.duration_since(now).unwrap_or_default()
    }
}

/// The token file of `session` in `dir`, if there is a readable one. An unreadable or malformed
/// file is no token (the AWS tools treat it so too, and a sign-in replaces it).
pub fn read_token(fs: &dyn Fs, dir: &Path, session: &SsoSession) -> Option<CachedToken> {
    let bytes = fs.read(&token_path(dir, session)).ok()??;
    CachedToken::parse(&bytes)
}

pub fn write_token(
    fs: &dyn Fs,
    dir: &Path,
    session: &SsoSession,
    token: &CachedToken,
) -> std::io::Result<()> {
    fs.write_private(&token_path(dir, session), &token.to_json(false))
}

/// A client registration (RegisterClient's answer), as the registration file holds it.
#[derive(Debug, Clone)]
pub struct Registration {
    pub client_id: String,
    pub client_secret: Secret,
    pub expires_at: SystemTime,
    pub scopes: Vec<String>,
    /// `authorization_code` among them: registered for the browser sign-in (PKCE).
    pub grant_types: Vec<String>,
}

impl Registration {
    pub fn for_auth_code(&self) -> bool {
        self.grant_types.iter().any(|g| g == "authorization_code")
    }

    /// Still usable for a sign-in of this kind: the AWS CLI's rule (15 min left, same flow).
    pub fn usable(&self, now: SystemTime, auth_code: bool) -> bool {
        self.for_auth_code() == auth_code && self.expires_at > now + Duration::from_secs(15 * 60)
    }

    fn parse(bytes: &[u8]) -> Option<Registration> {
        let Value::Object(map) = serde_json::from_slice::<Value>(bytes).ok()? else {
            return None;
        };
        let text = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_owned);
        let list = |key: &str| -> Vec<String> {
            map.get(key)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        Some(Registration {
            client_id: text("clientId")?,
            client_secret: Secret::new(text("clientSecret")?),
            expires_at: text("expiresAt").as_deref().and_then(parse_time)?,
            scopes: list("scopes"),
            grant_types: list("grantTypes"),
        })
    }

    fn to_json(&self) -> Vec<u8> {
        let mut map = Map::new();
        map.insert("clientId".into(), Value::String(self.client_id.clone()));
        map.insert(
            "clientSecret".into(),
            Value::String(self.client_secret.expose().to_owned()),
        );
        map.insert("expiresAt".into(), Value::String(utc(self.expires_at)));
        if !self.scopes.is_empty() {
            map.insert("scopes".into(), strings(&self.scopes));
        }
        if !self.grant_types.is_empty() {
            map.insert("grantTypes".into(), strings(&self.grant_types));
        }
        serde_json::to_vec(&Value::Object(map)).unwrap_or_default()
    }
}

fn strings(items: &[String]) -> Value {
    Value::Array(items.iter().cloned().map(Value::String).collect())
}

/// The registration file's name: the SHA-1 of what botocore's `json.dumps(..., sort_keys=True)`
/// prints for the session (Python's default separators and ASCII escapes), so the AWS CLI and
/// RoleKeeper find each other's registrations. Only `[sso-session]` sign-ins have one.
pub fn registration_path(dir: &Path, session: &SsoSession) -> Option<PathBuf> {
    let name = session.name.as_deref()?;
    let scopes: Vec<String> = session
        .registration_scopes()
        .iter()
        .map(|s| python_string(s))
        .collect();
    let key = format!(
        "{{\"region\": {}, \"scopes\": [{}], \"session_name\": {}, \"startUrl\": {}, \"tool\": \"botocore\"}}",
        python_string(&session.region),
        scopes.join(", "),
        python_string(name),
        python_string(&session.start_url),
    );
    Some(dir.join(format!("{}.json", sha1_hex(key.as_bytes()))))
}

pub fn read_registration(fs: &dyn Fs, dir: &Path, session: &SsoSession) -> Option<Registration> {
    let bytes = fs.read(&registration_path(dir, session)?).ok()??;
    Registration::parse(&bytes)
}

pub fn write_registration(
    fs: &dyn Fs,
    dir: &Path,
    session: &SsoSession,
    registration: &Registration,
) -> std::io::Result<()> {
    match registration_path(dir, session) {
        Some(path) => fs.write_private(&path, &registration.to_json()),
        None => Ok(()),
    }
}

/// A JSON string as Python's `json.dumps` writes it (`ensure_ascii`: non-ASCII as `\uXXXX`).
fn python_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || !c.is_ascii() => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// botocore's `%Y-%m-%dT%H:%M:%SZ`.
pub(crate) fn utc(t: SystemTime) -> String {
    isoformat(whole_seconds(t)).replace("+00:00", "Z")
}

/// `t` without its fraction of a second: what the token file can hold.
pub(crate) fn whole_seconds(t: SystemTime) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(epoch_seconds(t))
}

/// RFC 3339 with or without fractions of a second, `Z` or an offset (the Rust SDK writes
/// fractions; botocore parses both).
fn parse_time(text: &str) -> Option<SystemTime> {
    parse_isoformat(text).or_else(|| {
        let parsed = time::OffsetDateTime::parse(
            text.trim(),
            &time::format_description::well_known::Rfc3339,
        )
        .ok()?;
        let nanos = parsed.unix_timestamp_nanos();
        u64::try_from(nanos)
            .ok()
            .map(|n| UNIX_EPOCH + Duration::from_nanos(n))
    })
}

/// The Unix time in seconds an `expiresAt` of `seconds` from now is.
pub(crate) fn epoch_seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sso::config::corp;

    #[test]
    fn the_registration_file_has_the_name_the_aws_cli_gives_it() {
        // What Debian's AWS CLI 2.9.19 wrote for this session (reference 1a).
        let path = registration_path(Path::new("/d"), &corp()).expect("named session");
        assert_eq!(
            path,
            Path::new("/d/bc8a1afdb0f5cdc2c789b8a6cd51898e2be3c37c.json")
        );
    }

    #[test]
    fn a_file_the_aws_cli_wrote_is_read_with_its_refresh_token() {
        let text =
            br#"{"startUrl": "https://d-1234567890.awsapps.com/start", "region": "us-east-1",
 "accessToken": "at-1", "expiresAt": "2026-12-04T10:49:16Z",
 "clientId": "cid-1", "clientSecret": "csecret-1",
 "registrationExpiresAt": "2027-03-04T09:49:04Z", "refreshToken": "rt-1"}"#;
        let token = CachedToken::parse(text).expect("parses");
        assert_eq!(token.access_token.expose(), "at-1");
        assert_eq!(utc(token.expires_at), "2026-12-04T10:49:16Z");
        assert_eq!(
            token.refresh_token.as_ref().map(Secret::expose),
            Some("rt-1")
        );
        // Written back by RoleKeeper: same fields and format, the two secrets left out.
        let written = String::from_utf8(token.to_json(false)).expect("utf8");
        assert!(
            written.contains(r#""expiresAt":"2026-12-04T10:49:16Z""#),
            "{written}"
        );
        assert!(
            !written.contains("rt-1") && !written.contains("csecret-1"),
            "{written}"
        );
    }

    #[test]
    fn keys_in_any_case_and_fractional_seconds_are_read() {
        // As the Rust SDK writes the file.
        let text = br#"{"accesstoken":"a","EXPIRESAT":"2026-12-04T10:49:16.250Z"}"#;
        let token = CachedToken::parse(text).expect("parses");
        assert_eq!(
            epoch_seconds(token.expires_at),
            epoch_seconds(parse_isoformat("2026-12-04T10:49:16Z").expect("time"))
        );
        assert!(CachedToken::parse(br#"{"accessToken":"a"}"#).is_none());
    }

    #[test]
    fn python_escapes_non_ascii() {
        assert_eq!(python_string("é\"x"), "\"\\u00e9\\\"x\"");
    }
}
