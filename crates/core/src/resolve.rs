//! From a profile name to a plan for getting its credentials, with the AWS CLI's semantics:
//! a profile with `role_arn` takes its source from `source_profile` (a chain, followed until a
//! profile with static keys) or `credential_source`; a source profile with static keys uses them
//! even if it also has `role_arn`; a profile naming itself as source uses its own keys; any other
//! revisit is a loop.

use std::time::Duration;

use crate::env::Env;
use crate::error::{Error, Result};
use crate::profile::{Origin, Profile, ProfileSet};
use crate::secret::Secret;

/// Long-term or otherwise given keys at the start of a chain.
#[derive(Debug, Clone)]
pub struct StaticKeys {
    /// The profile (or `environment`) they come from, for messages.
    pub from: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
}

/// One `AssumeRole` in a chain.
#[derive(Debug, Clone)]
pub struct RoleStep {
    /// The profile that asks for the role.
    pub profile: String,
    pub role_arn: String,
    pub external_id: Option<String>,
    pub session_name: Option<String>,
    pub duration: Option<Duration>,
    pub mfa_serial: Option<String>,
    pub region: Option<String>,
}

/// How to get a profile's credentials: start from `base`, then assume each role in order.
#[derive(Debug, Clone)]
pub struct Plan {
    pub profile: String,
    pub base: StaticKeys,
    pub roles: Vec<RoleStep>,
    /// The region of the requested profile, if any profile in the chain sets one.
    pub region: Option<String>,
}

impl Plan {
    /// The role the requested profile ends up as, if any.
    pub fn final_role(&self) -> Option<&RoleStep> {
        self.roles.last()
    }
}

pub const MIN_ROLE_DURATION: Duration = Duration::from_secs(900);
pub const MAX_ROLE_DURATION: Duration = Duration::from_secs(12 * 3600);

pub fn resolve(set: &ProfileSet, name: &str, env: &dyn Env) -> Result<Plan> {
    let mut visited: Vec<String> = Vec::new();
    let mut roles: Vec<RoleStep> = Vec::new();
    let mut current = name.to_owned();
    let mut region = None;

    let base = loop {
        let profile = set.get(&current).ok_or_else(|| {
            if visited.is_empty() {
                Error::ProfileNotFound {
                    profile: current.clone(),
                    files: set.describe_files(),
                }
            } else {
                let from = visited.last().cloned().unwrap_or_default();
                let origin = set
                    .get(&from)
                    .and_then(|p| p.get("source_profile"))
                    .map(|v| v.origin.clone())
                    .unwrap_or_else(|| unknown_origin(set));
                Error::MissingSourceProfile {
                    profile: from,
                    origin,
                    source_profile: current.clone(),
                    files: set.describe_files(),
                }
            }
        })?;
        if region.is_none() {
            region = profile.text("region").map(str::to_owned);
        }
        let is_source = !visited.is_empty();
        // A source profile with keys stops the chain, even if it also has role_arn.
        if is_source {
            if let Some(keys) = static_keys(profile)? {
                break keys;
            }
        }
        if visited.contains(&current) {
            visited.push(current.clone());
            return Err(Error::SourceProfileLoop {
                profile: name.to_owned(),
                chain: visited.join(" -> "),
            });
        }
        visited.push(current.clone());

        let Some(role_arn) = profile.get("role_arn").filter(|v| !v.text.is_empty()) else {
            match static_keys(profile)? {
                Some(keys) => break keys,
                None => {
                    return Err(Error::NoCredentials {
                        profile: profile.name.clone(),
                        origin: describe_origin(profile, set),
                    })
                }
            }
        };
        roles.push(role_step(profile, &role_arn.text, &role_arn.origin)?);

        let origin = role_arn.origin.clone();
        match (
            profile.text("source_profile"),
            profile.get("credential_source"),
        ) {
            (Some(_), Some(cs)) if !cs.text.is_empty() => {
                return Err(Error::AmbiguousSource {
                    profile: profile.name.clone(),
                    origin: cs.origin.clone(),
                })
            }
            (Some(source), _) if source == profile.name => {
                // Self-reference: the profile's own keys are the source.
                match static_keys(profile)? {
                    Some(keys) => break keys,
                    None => {
                        return Err(Error::SourceProfileLoop {
                            profile: name.to_owned(),
                            chain: format!("{} -> {}", visited.join(" -> "), source),
                        })
                    }
                }
            }
            (Some(source), _) => current = source.to_owned(),
            (None, Some(cs)) if !cs.text.is_empty() => break credential_source(profile, cs, env)?,
            _ => {
                return Err(Error::RoleWithoutSource {
                    profile: profile.name.clone(),
                    origin,
                })
            }
        }
    };
    roles.reverse();
    Ok(Plan {
        profile: name.to_owned(),
        base,
        roles,
        region,
    })
}

fn static_keys(profile: &Profile) -> Result<Option<StaticKeys>> {
    let id = profile.text("aws_access_key_id");
    let secret = profile.secret("aws_secret_access_key");
    match (id, secret) {
        (Some(id), Some(secret)) => Ok(Some(StaticKeys {
            from: profile.name.clone(),
            access_key_id: id.to_owned(),
            secret_access_key: secret,
            // botocore still honours the legacy name.
            session_token: profile
                .secret("aws_session_token")
                .or_else(|| profile.secret("aws_security_token")),
        })),
        (None, None) => Ok(None),
        (Some(_), None) => Err(Error::PartialKeys {
            profile: profile.name.clone(),
            origin: origin_of(profile, "aws_access_key_id"),
            present: "aws_access_key_id",
            missing: "aws_secret_access_key",
        }),
        (None, Some(_)) => Err(Error::PartialKeys {
            profile: profile.name.clone(),
            origin: origin_of(profile, "aws_secret_access_key"),
            present: "aws_secret_access_key",
            missing: "aws_access_key_id",
        }),
    }
}

fn credential_source(
    profile: &Profile,
    value: &crate::profile::Value,
    env: &dyn Env,
) -> Result<StaticKeys> {
    if value.text != "Environment" {
        return Err(Error::UnsupportedCredentialSource {
            profile: profile.name.clone(),
            origin: value.origin.clone(),
            value: value.text.clone(),
        });
    }
    match (
        env.non_empty("AWS_ACCESS_KEY_ID"),
        env.non_empty("AWS_SECRET_ACCESS_KEY"),
    ) {
        (Some(id), Some(secret)) => Ok(StaticKeys {
            from: "environment".to_owned(),
            access_key_id: id,
            secret_access_key: Secret::new(secret),
            session_token: env.non_empty("AWS_SESSION_TOKEN").map(Secret::new),
        }),
        _ => Err(Error::EnvironmentCredentialsMissing {
            profile: profile.name.clone(),
            origin: value.origin.clone(),
        }),
    }
}

fn role_step(profile: &Profile, role_arn: &str, origin: &Origin) -> Result<RoleStep> {
    let invalid =
        |key: &'static str, value: &str, origin: &Origin, why: &str| Error::InvalidSetting {
            profile: profile.name.clone(),
            origin: origin.clone(),
            key,
            value: value.to_owned(),
            why: why.to_owned(),
        };
    if let Err(why) = validate_role_arn(role_arn) {
        return Err(invalid("role_arn", role_arn, origin, &why));
    }
    let duration = match profile
        .get("duration_seconds")
        .filter(|v| !v.text.is_empty())
    {
        None => None,
        Some(v) => {
            let seconds: u64 = v.text.parse().map_err(|_| {
                invalid(
                    "duration_seconds",
                    &v.text,
                    &v.origin,
                    "it must be a whole number of seconds",
                )
            })?;
            let d = Duration::from_secs(seconds);
            validate_role_duration(d)
                .map_err(|why| invalid("duration_seconds", &v.text, &v.origin, &why))?;
            Some(d)
        }
    };
    if let Some(v) = profile
        .get("role_session_name")
        .filter(|v| !v.text.is_empty())
    {
        validate_session_name(&v.text)
            .map_err(|why| invalid("role_session_name", &v.text, &v.origin, &why))?;
    }
    Ok(RoleStep {
        profile: profile.name.clone(),
        role_arn: role_arn.to_owned(),
        external_id: profile.text("external_id").map(str::to_owned),
        session_name: profile.text("role_session_name").map(str::to_owned),
        duration,
        mfa_serial: profile.text("mfa_serial").map(str::to_owned),
        region: profile.text("region").map(str::to_owned),
    })
}

/// `arn:PARTITION:iam::ACCOUNT:role/PATH/NAME`.
pub fn validate_role_arn(arn: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let shape = "expected arn:aws:iam::123456789012:role/NAME";
    if parts.len() != 6 || parts[0] != "arn" || !parts[1].starts_with("aws") {
        return Err(format!("not an ARN ({shape})"));
    }
    if parts[2] != "iam" {
        return Err(format!("service is `{}`, not `iam` ({shape})", parts[2]));
    }
    if parts[4].len() != 12 || !parts[4].chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("the account id must be 12 digits ({shape})"));
    }
    match parts[5].strip_prefix("role/") {
        Some(name) if !name.is_empty() => Ok(()),
        _ => Err(format!("the resource must be role/NAME ({shape})")),
    }
}

pub fn validate_role_duration(d: Duration) -> Result<(), String> {
    if d < MIN_ROLE_DURATION || d > MAX_ROLE_DURATION {
        return Err(format!(
            "a role session lasts from {} s (15 min) to {} s (12 h)",
            MIN_ROLE_DURATION.as_secs(),
            MAX_ROLE_DURATION.as_secs()
        ));
    }
    Ok(())
}

/// STS: 2 to 64 characters of `[\w+=,.@-]`.
pub fn validate_session_name(name: &str) -> Result<(), String> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if !(2..=64).contains(&name.len()) || !ok_chars {
        return Err("it must be 2 to 64 characters of letters, digits and _+=,.@-".to_owned());
    }
    Ok(())
}

fn origin_of(profile: &Profile, key: &str) -> Origin {
    profile
        .get(key)
        .map(|v| v.origin.clone())
        .or_else(|| profile.origin().cloned())
        .unwrap_or(Origin {
            path: Default::default(),
            line: 0,
        })
}

fn describe_origin(profile: &Profile, set: &ProfileSet) -> String {
    profile
        .origin()
        .map(ToString::to_string)
        .unwrap_or_else(|| set.describe_files())
}

fn unknown_origin(set: &ProfileSet) -> Origin {
    Origin {
        path: set.config_path.clone(),
        line: 0,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::env::MapEnv;
    use crate::profile::{parse, FileKind};

    fn set(config: &str, credentials: &str) -> ProfileSet {
        let c = parse(Path::new("/c"), FileKind::Config, config).expect("config parses");
        let k = parse(Path::new("/k"), FileKind::Credentials, credentials).expect("creds parse");
        ProfileSet::merge(&c, &k)
    }

    const CREDS: &str = "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = s\n";

    #[test]
    fn static_profile() {
        let plan = resolve(&set("", CREDS), "base", &MapEnv::default()).expect("ok");
        assert_eq!(plan.base.access_key_id, "AKIDBASE");
        assert!(plan.roles.is_empty());
    }

    #[test]
    fn role_with_source_profile_and_settings() {
        let config = "[profile prod]\nrole_arn = arn:aws:iam::123456789012:role/Admin\nsource_profile = base\nduration_seconds = 7200\nexternal_id = ext\nregion = eu-west-1\n";
        let plan = resolve(&set(config, CREDS), "prod", &MapEnv::default()).expect("ok");
        assert_eq!(plan.base.from, "base");
        assert_eq!(plan.roles.len(), 1);
        assert_eq!(plan.roles[0].duration, Some(Duration::from_secs(7200)));
        assert_eq!(plan.roles[0].external_id.as_deref(), Some("ext"));
        assert_eq!(plan.region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn chains_run_in_order_from_the_source() {
        let config = "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/A\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::123456789012:role/B\nsource_profile = base\n";
        let plan = resolve(&set(config, CREDS), "a", &MapEnv::default()).expect("ok");
        let arns: Vec<_> = plan.roles.iter().map(|r| r.role_arn.as_str()).collect();
        assert_eq!(
            arns,
            [
                "arn:aws:iam::123456789012:role/B",
                "arn:aws:iam::123456789012:role/A"
            ]
        );
    }

    #[test]
    fn loops_and_missing_sources_are_named() {
        let config = "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/A\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::123456789012:role/B\nsource_profile = a\n";
        let e = resolve(&set(config, ""), "a", &MapEnv::default()).expect_err("loop");
        assert!(e.to_string().contains("a -> b -> a"), "{e}");
        let config =
            "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/A\nsource_profile = nope\n";
        let e = resolve(&set(config, ""), "a", &MapEnv::default()).expect_err("missing");
        assert!(
            e.to_string().contains("`nope`") && e.to_string().contains("/c, line 3"),
            "{e}"
        );
        let e = resolve(&set("", ""), "ghost", &MapEnv::default()).expect_err("unknown");
        assert!(e.to_string().contains("profile `ghost` not found"), "{e}");
    }

    #[test]
    fn self_reference_uses_own_keys() {
        let config = "[profile me]\nrole_arn = arn:aws:iam::123456789012:role/A\nsource_profile = me\naws_access_key_id = AKIDME\naws_secret_access_key = s\n";
        let plan = resolve(&set(config, ""), "me", &MapEnv::default()).expect("ok");
        assert_eq!(plan.base.access_key_id, "AKIDME");
        assert_eq!(plan.roles.len(), 1);
    }

    #[test]
    fn bad_settings_name_the_line() {
        let config = "[profile a]\nrole_arn = arn:aws:s3:::bucket\nsource_profile = base\n";
        let e = resolve(&set(config, CREDS), "a", &MapEnv::default()).expect_err("bad arn");
        assert!(
            e.to_string().contains("/c, line 2") && e.to_string().contains("role_arn"),
            "{e}"
        );
        let config = "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/A\nsource_profile = base\nduration_seconds = 60\n";
        let e = resolve(&set(config, CREDS), "a", &MapEnv::default()).expect_err("bad duration");
        assert!(
            e.to_string().contains("line 4") && e.to_string().contains("900"),
            "{e}"
        );
    }

    #[test]
    fn credential_source_environment() {
        let config = "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/A\ncredential_source = Environment\n";
        let env = MapEnv::default()
            .with("AWS_ACCESS_KEY_ID", "AKIDENV")
            .with("AWS_SECRET_ACCESS_KEY", "s");
        let plan = resolve(&set(config, ""), "a", &env).expect("ok");
        assert_eq!(plan.base.access_key_id, "AKIDENV");
        let e = resolve(&set(config, ""), "a", &MapEnv::default()).expect_err("no env");
        assert!(e.to_string().contains("AWS_ACCESS_KEY_ID"), "{e}");
    }
}
