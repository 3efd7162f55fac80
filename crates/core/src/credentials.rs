//! Credentials as delivered, and the formats they are printed in. The formats match what
//! `aws configure export-credentials` (AWS CLI v2) prints, byte for byte.

use std::time::SystemTime;

use time::OffsetDateTime;

use crate::secret::Secret;

#[derive(Debug, Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
    /// Wall-clock expiry; `None` for long-term keys.
    pub expiration: Option<SystemTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// `export AWS_ACCESS_KEY_ID=...` lines for POSIX shells.
    Env,
    /// `AWS_ACCESS_KEY_ID=...` lines (for .env files and `env`).
    EnvNoExport,
    /// `$Env:AWS_ACCESS_KEY_ID="..."` lines.
    Powershell,
    /// `set AWS_ACCESS_KEY_ID=...` lines.
    WindowsCmd,
    /// The `credential_process` JSON document (Version 1).
    Process,
    /// RoleKeeper's own JSON object for scripts (`jq -r .SessionToken`): `Profile` (when
    /// named), `AccessKeyId`, `SecretAccessKey`, then `SessionToken` and `Expiration` only when
    /// the credentials have them (absent, never `null`). Pretty-printed with two spaces, like
    /// `Process`; `Expiration` in the same form.
    Json,
}

impl Credentials {
    /// The text of one export format, with its final newline.
    pub fn render(&self, format: ExportFormat) -> String {
        self.render_named(format, None)
    }

    /// [`Credentials::render`], naming the profile where the format has a place for it (`Json`).
    pub fn render_named(&self, format: ExportFormat, profile: Option<&str>) -> String {
        match format {
            ExportFormat::Process => self.process_json(),
            ExportFormat::Json => self.script_json(profile),
            _ => {
                let mut out = String::new();
                for (name, value) in self.variables() {
                    let line = match format {
                        ExportFormat::Env => format!("export {name}={value}\n"),
                        ExportFormat::EnvNoExport => format!("{name}={value}\n"),
                        ExportFormat::Powershell => format!("$Env:{name}=\"{value}\"\n"),
                        ExportFormat::WindowsCmd => format!("set {name}={value}\n"),
                        ExportFormat::Process | ExportFormat::Json => String::new(),
                    };
                    out.push_str(&line);
                }
                out
            }
        }
    }

    /// The environment variables that carry these credentials, in the AWS CLI's order.
    pub fn variables(&self) -> Vec<(&'static str, String)> {
        let mut vars = vec![
            ("AWS_ACCESS_KEY_ID", self.access_key_id.clone()),
            (
                "AWS_SECRET_ACCESS_KEY",
                self.secret_access_key.expose().to_owned(),
            ),
        ];
        if let Some(token) = &self.session_token {
            vars.push(("AWS_SESSION_TOKEN", token.expose().to_owned()));
        }
        if let Some(expiration) = self.expiration {
            vars.push(("AWS_CREDENTIAL_EXPIRATION", isoformat(expiration)));
        }
        vars
    }

    fn process_json(&self) -> String {
        // Built by hand to keep the AWS CLI's key order and Python's `indent=2` layout.
        let q = |s: &str| serde_json::Value::String(s.to_owned()).to_string();
        let mut fields = vec![
            "  \"Version\": 1".to_owned(),
            format!("  \"AccessKeyId\": {}", q(&self.access_key_id)),
            format!(
                "  \"SecretAccessKey\": {}",
                q(self.secret_access_key.expose())
            ),
        ];
        if let Some(token) = &self.session_token {
            fields.push(format!("  \"SessionToken\": {}", q(token.expose())));
        }
        if let Some(expiration) = self.expiration {
            fields.push(format!("  \"Expiration\": {}", q(&isoformat(expiration))));
        }
        format!("{{\n{}\n}}\n", fields.join(",\n"))
    }

    fn script_json(&self, profile: Option<&str>) -> String {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Doc<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            profile: Option<&'a str>,
            access_key_id: &'a str,
            secret_access_key: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            session_token: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            expiration: Option<String>,
        }
        let doc = Doc {
            profile,
            access_key_id: &self.access_key_id,
            secret_access_key: self.secret_access_key.expose(),
            session_token: self.session_token.as_ref().map(Secret::expose),
            expiration: self.expiration.map(isoformat),
        };
        // Strings and optional strings only: serialising cannot fail.
        let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// Python's `datetime.isoformat()` of a UTC time, as the AWS CLI prints it:
/// `2026-11-23T13:44:38+00:00`, with `.ffffff` only when there are sub-second digits.
pub fn isoformat(t: SystemTime) -> String {
    let dt = OffsetDateTime::from(t);
    let micros = dt.microsecond();
    let base = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    );
    if micros == 0 {
        format!("{base}+00:00")
    } else {
        format!("{base}.{micros:06}+00:00")
    }
}

/// Read back what [`isoformat`] writes (also accepts `Z`).
pub fn parse_isoformat(text: &str) -> Option<SystemTime> {
    let normalized = text.replace("+00:00", "Z");
    OffsetDateTime::parse(&normalized, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(SystemTime::from)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn temporary() -> Credentials {
        Credentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new("sec/ret+"),
            session_token: Some(Secret::new("tok")),
            expiration: Some(SystemTime::UNIX_EPOCH + Duration::from_micros(1_795_000_000_123_456)),
        }
    }

    #[test]
    fn env_formats() {
        let c = temporary();
        assert_eq!(
            c.render(ExportFormat::Env),
            "export AWS_ACCESS_KEY_ID=ASIAEXAMPLE\nexport AWS_SECRET_ACCESS_KEY=sec/ret+\nexport AWS_SESSION_TOKEN=tok\nexport AWS_CREDENTIAL_EXPIRATION=2026-11-18T11:06:40.123456+00:00\n"
        );
        assert!(c
            .render(ExportFormat::Powershell)
            .starts_with("$Env:AWS_ACCESS_KEY_ID=\"ASIAEXAMPLE\"\n"));
        assert!(c
            .render(ExportFormat::WindowsCmd)
            .starts_with("set AWS_ACCESS_KEY_ID=ASIAEXAMPLE\n"));
        assert!(c
            .render(ExportFormat::EnvNoExport)
            .starts_with("AWS_ACCESS_KEY_ID=ASIAEXAMPLE\n"));
    }

    #[test]
    fn process_document() {
        let c = temporary();
        let text = c.render(ExportFormat::Process);
        assert_eq!(
            text,
            "{\n  \"Version\": 1,\n  \"AccessKeyId\": \"ASIAEXAMPLE\",\n  \"SecretAccessKey\": \"sec/ret+\",\n  \"SessionToken\": \"tok\",\n  \"Expiration\": \"2026-11-18T11:06:40.123456+00:00\"\n}\n"
        );
        let parsed: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(parsed["Version"], 1);
    }

    #[test]
    fn script_json_names_the_profile_and_omits_what_is_absent() {
        let c = temporary();
        assert_eq!(
            c.render_named(ExportFormat::Json, Some("prod")),
            "{\n  \"Profile\": \"prod\",\n  \"AccessKeyId\": \"ASIAEXAMPLE\",\n  \"SecretAccessKey\": \"sec/ret+\",\n  \"SessionToken\": \"tok\",\n  \"Expiration\": \"2026-11-18T11:06:40.123456+00:00\"\n}\n"
        );
        let long_term = Credentials {
            session_token: None,
            expiration: None,
            access_key_id: "AKID\"q".into(),
            ..temporary()
        };
        assert_eq!(
            long_term.render(ExportFormat::Json),
            "{\n  \"AccessKeyId\": \"AKID\\\"q\",\n  \"SecretAccessKey\": \"sec/ret+\"\n}\n"
        );
    }

    #[test]
    fn static_keys_have_no_token_or_expiry() {
        let c = Credentials {
            session_token: None,
            expiration: None,
            ..temporary()
        };
        assert_eq!(c.render(ExportFormat::Env).lines().count(), 2);
        assert!(!c.render(ExportFormat::Process).contains("Expiration"));
    }

    #[test]
    fn isoformat_round_trips() {
        for micros in [1_795_000_000_123_456u64, 1_795_000_000_000_000] {
            let t = SystemTime::UNIX_EPOCH + Duration::from_micros(micros);
            assert_eq!(parse_isoformat(&isoformat(t)), Some(t));
        }
    }

    #[test]
    fn whole_seconds_have_no_fraction() {
        assert_eq!(
            isoformat(SystemTime::UNIX_EPOCH + Duration::from_secs(86_400)),
            "1970-01-02T00:00:00+00:00"
        );
    }
}
