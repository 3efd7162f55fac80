//! From a profile name to a plan for getting its credentials, with the AWS CLI's semantics:
//! a profile with `role_arn` takes its source from `source_profile` (a chain, followed until a
//! profile with static keys) or `credential_source`; a source profile with static keys uses them
//! even if it also has `role_arn`; a profile naming itself as source uses its own keys; any other
//! revisit is a loop. `role_arn` + `web_identity_token_file`, SSO settings and
//! `credential_process` are bases too. Checked against the cross-SDK corpus
//! (`tests/conformance.rs`).

use std::collections::BTreeSet;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::profile::{Origin, Profile, ProfileSet};
use crate::secret::Secret;

/// Keys written in a profile (long-term, or temporary with a token).
#[derive(Debug, Clone)]
pub struct StaticKeys {
    /// The profile they come from, for messages.
    pub from: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
    /// `aws_account_id`, when the profile states it.
    pub account_id: Option<String>,
}

/// Where a chain starts.
#[derive(Debug, Clone)]
pub enum Base {
    /// Keys in a profile.
    Keys(StaticKeys),
    /// `credential_source = Environment | Ec2InstanceMetadata | EcsContainer`.
    NamedSource {
        profile: String,
        source: String,
        origin: Origin,
    },
    /// `role_arn` + `web_identity_token_file`: `AssumeRoleWithWebIdentity`.
    WebIdentity {
        profile: String,
        role_arn: String,
        token_file: String,
        session_name: Option<String>,
    },
    /// IAM Identity Center (SSO): the `sso_*` settings, from the profile or its `[sso-session]`.
    Sso {
        profile: String,
        role: crate::sso::SsoRole,
    },
    /// `credential_process = COMMAND`.
    Process {
        profile: String,
        command: String,
        origin: Origin,
    },
    /// `source_profile = NAME` where NAME is no profile but a keychain source
    /// (`rolekeeper source add`): the keys are read from the keychain when they are needed.
    KeychainSource {
        /// The profile whose `source_profile` names the source (the source's own name when
        /// it was asked for directly, e.g. `rolekeeper export dev`).
        profile: String,
        name: String,
        /// Where that `source_profile` is written; `None` when asked for directly.
        origin: Option<Origin>,
    },
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
    /// `mfa_process`: the command that prints a code for this step's device, if the profile
    /// names one.
    pub mfa_process: Option<String>,
    pub region: Option<String>,
    /// Where `role_arn` is written.
    pub origin: Origin,
}

/// How to get a profile's credentials: start from `base`, then assume each role in order.
#[derive(Debug, Clone)]
pub struct Plan {
    pub profile: String,
    pub base: Base,
    pub roles: Vec<RoleStep>,
    /// The region of the requested profile, or of the nearest source profile that sets one.
    pub region: Option<String>,
    /// The requested profile's `mfa_process` (for a keychain source served on its own, whose
    /// MFA session may need a code).
    pub mfa_process: Option<String>,
}

impl Plan {
    /// The role the requested profile ends up as, if any.
    pub fn final_role(&self) -> Option<&RoleStep> {
        self.roles.last()
    }

    /// Whether the plan ends in a session that expires and is renewed: a role assumed, or an
    /// IAM Identity Center role's credentials.
    pub fn is_session(&self) -> bool {
        !self.roles.is_empty() || matches!(self.base, Base::Sso { .. })
    }
}

pub const MIN_ROLE_DURATION: Duration = Duration::from_secs(900);
pub const MAX_ROLE_DURATION: Duration = Duration::from_secs(12 * 3600);

pub fn resolve(set: &ProfileSet, name: &str) -> Result<Plan> {
    resolve_with_sources(set, name, &BTreeSet::new())
}

/// [`resolve`], where a `source_profile` may also name one of `sources` (keychain sources).
pub fn resolve_with_sources(
    set: &ProfileSet,
    name: &str,
    sources: &BTreeSet<String>,
) -> Result<Plan> {
    let mut visited: Vec<String> = Vec::new();
    let mut roles: Vec<RoleStep> = Vec::new();
    let mut current = name.to_owned();
    let mut region = None;

    let base = loop {
        // A profile in the files wins over a keychain source of the same name: that is what the
        // AWS CLI, which knows nothing of the keychain, would use.
        if let Some(from) = visited.last() {
            if set.get(&current).is_none() && sources.contains(&current) {
                break Base::KeychainSource {
                    profile: from.clone(),
                    name: current.clone(),
                    origin: Some(source_profile_origin(set, from)),
                };
            }
        } else if set.get(&current).is_none() && sources.contains(&current) {
            // A keychain source asked for by its own name (`rolekeeper export dev` after
            // `rolekeeper source add dev`): served as itself, as `source_profile = dev` would.
            break Base::KeychainSource {
                profile: current.clone(),
                name: current.clone(),
                origin: None,
            };
        }
        let profile = lookup(set, &current, visited.last())?;
        if region.is_none() {
            region = profile.text("region").map(str::to_owned);
        }
        // A revisit is a loop, even if the revisited profile has keys (the SDKs agree).
        if visited.contains(&current) {
            visited.push(current.clone());
            return Err(Error::SourceProfileLoop {
                profile: name.to_owned(),
                chain: visited.join(" -> "),
            });
        }
        let is_source = !visited.is_empty();
        visited.push(current.clone());
        // A source profile with keys stops the chain, even if it also has role_arn.
        if is_source {
            if let Some(keys) = static_keys(profile)? {
                break Base::Keys(keys);
            }
        }
        let Some(role_arn) = profile.get("role_arn").filter(|v| !v.text.is_empty()) else {
            if let Some(base) = imported_source(profile, sources) {
                break base;
            }
            break terminal_base(set, profile)?;
        };
        let step = role_step(profile, &role_arn.text, &role_arn.origin)?;
        if let Some(token_file) = profile.text("web_identity_token_file") {
            break Base::WebIdentity {
                profile: profile.name.clone(),
                role_arn: step.role_arn,
                token_file: token_file.to_owned(),
                session_name: step.session_name,
            };
        }
        roles.push(step);

        let credential_source = profile
            .get("credential_source")
            .filter(|v| !v.text.is_empty());
        match (profile.text("source_profile"), credential_source) {
            (Some(_), Some(cs)) => {
                return Err(Error::AmbiguousSource {
                    profile: profile.name.clone(),
                    origin: cs.origin.clone(),
                })
            }
            (Some(source), None) if source == profile.name => {
                // Self-reference: the profile's own keys are the source.
                match static_keys(profile)? {
                    Some(keys) => break Base::Keys(keys),
                    None => {
                        return Err(Error::SourceProfileLoop {
                            profile: name.to_owned(),
                            chain: format!("{} -> {}", visited.join(" -> "), source),
                        })
                    }
                }
            }
            (Some(source), None) => current = source.to_owned(),
            (None, Some(cs)) => {
                break Base::NamedSource {
                    profile: profile.name.clone(),
                    source: cs.text.clone(),
                    origin: cs.origin.clone(),
                }
            }
            (None, None) => {
                return Err(Error::RoleWithoutSource {
                    profile: profile.name.clone(),
                    origin: role_arn.origin.clone(),
                })
            }
        }
    };
    roles.reverse();
    // Settings are checked once the chain's shape is known, so a broken chain is reported as such.
    for step in &roles {
        validate_role_arn(&step.role_arn).map_err(|why| Error::InvalidSetting {
            profile: step.profile.clone(),
            origin: step.origin.clone(),
            key: "role_arn",
            value: step.role_arn.clone(),
            why,
        })?;
    }
    Ok(Plan {
        profile: name.to_owned(),
        base,
        roles,
        region,
        mfa_process: set.get(name).and_then(mfa_process),
    })
}

/// What `rolekeeper source import` writes in place of a profile's keys.
pub fn imported_source_line(source: &str) -> String {
    format!("credential_process = rolekeeper credential-process {source}")
}

/// The source a `credential_process` written by `source import` names, if it is one.
pub fn imported_source_name(command: &str) -> Option<&str> {
    let mut words = command.split_whitespace();
    match (words.next(), words.next(), words.next(), words.next()) {
        (
            Some(program),
            Some("credential-process"),
            Some(name),
            None | Some("--long-term-keys"),
        ) if program == "rolekeeper" || program.ends_with("/rolekeeper") => Some(name),
        _ => None,
    }
}

/// A profile whose keys `source import` moved to the keychain is that keychain source: its keys
/// are read directly rather than by running RoleKeeper again as a process.
fn imported_source(profile: &Profile, sources: &BTreeSet<String>) -> Option<Base> {
    let v = profile.get("credential_process")?;
    let name = imported_source_name(&v.text).filter(|n| sources.contains(*n))?;
    Some(Base::KeychainSource {
        profile: profile.name.clone(),
        name: name.to_owned(),
        origin: Some(v.origin.clone()),
    })
}

/// The profile `name`, or an error that says who referred to it.
fn lookup<'a>(set: &'a ProfileSet, name: &str, referrer: Option<&String>) -> Result<&'a Profile> {
    set.get(name).ok_or_else(|| match referrer {
        None => Error::ProfileNotFound {
            profile: name.to_owned(),
            files: set.describe_files(),
        },
        Some(from) => Error::MissingSourceProfile {
            profile: from.clone(),
            origin: source_profile_origin(set, from),
            source_profile: name.to_owned(),
            files: set.describe_files(),
        },
    })
}

/// Where `profile` writes its `source_profile`.
fn source_profile_origin(set: &ProfileSet, profile: &str) -> Origin {
    set.get(profile)
        .and_then(|p| p.get("source_profile"))
        .map(|v| v.origin.clone())
        .unwrap_or_else(|| Origin {
            path: set.config_path.clone(),
            line: 0,
        })
}

/// The base of a profile without `role_arn`: SSO, a credential process, or keys.
fn terminal_base(set: &ProfileSet, profile: &Profile) -> Result<Base> {
    if let Some(v) = profile
        .get("web_identity_token_file")
        .filter(|v| !v.text.is_empty())
    {
        return Err(Error::InvalidSetting {
            profile: profile.name.clone(),
            origin: v.origin.clone(),
            key: "web_identity_token_file",
            value: v.text.clone(),
            why: "it needs role_arn in the same profile".to_owned(),
        });
    }
    if let Some(role) = crate::sso::sso_role_of(set, profile)? {
        return Ok(Base::Sso {
            profile: profile.name.clone(),
            role,
        });
    }
    if let Some(v) = profile
        .get("credential_process")
        .filter(|v| !v.text.is_empty())
    {
        return Ok(Base::Process {
            profile: profile.name.clone(),
            command: v.text.clone(),
            origin: v.origin.clone(),
        });
    }
    match static_keys(profile)? {
        Some(keys) => Ok(Base::Keys(keys)),
        None => Err(Error::NoCredentials {
            profile: profile.name.clone(),
            origin: describe_origin(profile, set),
        }),
    }
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
            account_id: profile.text("aws_account_id").map(str::to_owned),
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

fn role_step(profile: &Profile, role_arn: &str, origin: &Origin) -> Result<RoleStep> {
    let invalid =
        |key: &'static str, value: &str, origin: &Origin, why: &str| Error::InvalidSetting {
            profile: profile.name.clone(),
            origin: origin.clone(),
            key,
            value: value.to_owned(),
            why: why.to_owned(),
        };
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
        mfa_process: mfa_process(profile),
        region: profile.text("region").map(str::to_owned),
        origin: origin.clone(),
    })
}

/// A profile's `mfa_process`, when it names a command.
fn mfa_process(profile: &Profile) -> Option<String> {
    profile
        .text("mfa_process")
        .filter(|c| !c.trim().is_empty())
        .map(str::to_owned)
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::profile::{parse, FileKind};

    fn set(config: &str, credentials: &str) -> ProfileSet {
        let c = parse(Path::new("/c"), FileKind::Config, config).expect("config parses");
        let k = parse(Path::new("/k"), FileKind::Credentials, credentials).expect("creds parse");
        ProfileSet::merge(&c, &k)
    }

    fn keys(plan: &Plan) -> &StaticKeys {
        match &plan.base {
            Base::Keys(keys) => keys,
            other => panic!("expected keys, got {other:?}"),
        }
    }

    const CREDS: &str = "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = s\n";

    #[test]
    fn static_profile() {
        let plan = resolve(&set("", CREDS), "base").expect("ok");
        assert_eq!(keys(&plan).access_key_id, "AKIDBASE");
        assert!(plan.roles.is_empty());
    }

    #[test]
    fn role_with_source_profile_and_settings() {
        let config = "[profile prod]\nrole_arn = arn:aws:iam::123456789012:role/Admin\nsource_profile = base\nduration_seconds = 7200\nexternal_id = ext\nregion = eu-west-1\n";
        let plan = resolve(&set(config, CREDS), "prod").expect("ok");
        assert_eq!(keys(&plan).from, "base");
        assert_eq!(plan.roles.len(), 1);
        assert_eq!(plan.roles[0].duration, Some(Duration::from_secs(7200)));
        assert_eq!(plan.roles[0].external_id.as_deref(), Some("ext"));
        assert_eq!(plan.region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn chains_run_in_order_from_the_source() {
        let config = "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/A\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::123456789012:role/B\nsource_profile = base\n";
        let plan = resolve(&set(config, CREDS), "a").expect("ok");
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
        let e = resolve(&set(config, ""), "a").expect_err("loop");
        assert!(e.to_string().contains("a -> b -> a"), "{e}");
        let config =
            "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/A\nsource_profile = nope\n";
        let e = resolve(&set(config, ""), "a").expect_err("missing");
        assert!(
            e.to_string().contains("`nope`") && e.to_string().contains("/c, line 3"),
            "{e}"
        );
        let e = resolve(&set("", ""), "ghost").expect_err("unknown");
        assert!(e.to_string().contains("profile `ghost` not found"), "{e}");
    }

    #[test]
    fn a_keychain_source_is_served_by_its_own_name_unless_a_profile_has_it() {
        let sources: BTreeSet<String> = ["dev".to_owned()].into();
        let plan = resolve_with_sources(&set("", ""), "dev", &sources).expect("the source");
        assert!(
            matches!(&plan.base, Base::KeychainSource { name, profile, origin: None } if name == "dev" && profile == "dev"),
            "{:?}",
            plan.base
        );
        assert!(plan.roles.is_empty());
        let config = "[profile dev]\nregion = eu-west-1\n";
        let creds = "[dev]\naws_access_key_id = AKIAFILEKEYS00000001\naws_secret_access_key = s\n";
        let plan = resolve_with_sources(&set(config, creds), "dev", &sources).expect("the profile");
        assert!(matches!(plan.base, Base::Keys(_)), "{:?}", plan.base);
    }

    #[test]
    fn a_profile_imported_by_rolekeeper_is_its_keychain_source() {
        let config = "[profile dev]\ncredential_process = rolekeeper credential-process kc\n[profile r]\nrole_arn = arn:aws:iam::123456789012:role/R\nsource_profile = dev\n";
        let sources: BTreeSet<String> = ["kc".to_owned()].into();
        for (name, roles) in [("dev", 0), ("r", 1)] {
            let plan = resolve_with_sources(&set(config, ""), name, &sources).expect("ok");
            assert!(
                matches!(&plan.base, Base::KeychainSource { name, .. } if name == "kc"),
                "{name}: {:?}",
                plan.base
            );
            assert_eq!(plan.roles.len(), roles);
        }
        // Without such a source it stays a credential process, as for the AWS tools.
        let plan = resolve(&set(config, ""), "dev").expect("ok");
        assert!(matches!(plan.base, Base::Process { .. }));
        for (command, name) in [
            ("rolekeeper credential-process kc", Some("kc")),
            ("/usr/bin/rolekeeper  credential-process kc", Some("kc")),
            ("rolekeeper credential-process kc --x", None),
            ("aws-vault exec kc", None),
        ] {
            assert_eq!(imported_source_name(command), name, "{command}");
        }
    }

    #[test]
    fn self_reference_uses_own_keys() {
        let config = "[profile me]\nrole_arn = arn:aws:iam::123456789012:role/A\nsource_profile = me\naws_access_key_id = AKIDME\naws_secret_access_key = s\n";
        let plan = resolve(&set(config, ""), "me").expect("ok");
        assert_eq!(keys(&plan).access_key_id, "AKIDME");
        assert_eq!(plan.roles.len(), 1);
    }

    #[test]
    fn bad_settings_name_the_line() {
        let config = "[profile a]\nrole_arn = arn:aws:s3:::bucket\nsource_profile = base\n";
        let e = resolve(&set(config, CREDS), "a").expect_err("bad arn");
        assert!(
            e.to_string().contains("/c, line 2") && e.to_string().contains("role_arn"),
            "{e}"
        );
        let config = "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/A\nsource_profile = base\nduration_seconds = 60\n";
        let e = resolve(&set(config, CREDS), "a").expect_err("bad duration");
        assert!(
            e.to_string().contains("line 4") && e.to_string().contains("900"),
            "{e}"
        );
    }

    #[test]
    fn credential_source_is_a_named_base() {
        let config = "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/A\ncredential_source = Environment\n";
        let plan = resolve(&set(config, ""), "a").expect("ok");
        assert!(matches!(&plan.base, Base::NamedSource { source, .. } if source == "Environment"));
    }

    #[test]
    fn keychain_sources_come_after_file_profiles() {
        let role = |source: &str| {
            format!("[profile r]\nrole_arn = arn:aws:iam::123456789012:role/R\nsource_profile = {source}\n")
        };
        // (config, credentials, keychain sources, expected base: "keys:FROM" or "keychain:NAME")
        let table: Vec<(String, &str, &[&str], &str)> = vec![
            (role("kc"), "", &["kc"], "keychain:kc"),
            // The file's profile of the same name wins.
            (role("base"), CREDS, &["base"], "keys:base"),
            (role("base"), CREDS, &[], "keys:base"),
            // Through a chain: the last role's source is the keychain.
            (
                format!("{}[profile r2]\nrole_arn = arn:aws:iam::123456789012:role/R2\nsource_profile = r\n", role("kc")),
                "",
                &["kc", "other"],
                "keychain:kc",
            ),
        ];
        for (config, creds, known, want) in table {
            let known: BTreeSet<String> = known.iter().map(|s| s.to_string()).collect();
            let wanted = if config.contains("[profile r2]") {
                "r2"
            } else {
                "r"
            };
            let plan = resolve_with_sources(&set(&config, creds), wanted, &known)
                .unwrap_or_else(|e| panic!("{config}: {e}"));
            let got = match &plan.base {
                Base::Keys(k) => format!("keys:{}", k.from),
                Base::KeychainSource {
                    name,
                    profile,
                    origin,
                } => {
                    assert_eq!(profile, "r", "the profile naming the source");
                    assert_eq!(
                        origin.as_ref().map(|o| o.line),
                        Some(3),
                        "where source_profile is written"
                    );
                    format!("keychain:{name}")
                }
                other => panic!("{other:?}"),
            };
            assert_eq!(got, want, "{config}");
            assert_eq!(plan.roles[0].role_arn, "arn:aws:iam::123456789012:role/R");
        }
        // A name that is neither a profile nor a source is still a missing source profile (a
        // source asked for by its own name: a_keychain_source_is_served_by_its_own_name...).
        let e = resolve_with_sources(
            &set(&role("nope"), ""),
            "r",
            &BTreeSet::from(["kc".to_owned()]),
        )
        .expect_err("missing");
        assert!(e.to_string().contains("`nope`"), "{e}");
    }
}
