//! The credentials a chain starts from, when they are not in the keychain.

use crate::credentials::Credentials;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::profile::ProfileSet;
use crate::resolve::Base;
use crate::secret::Secret;

/// The credentials `base` gives, read from the profile or the environment. `profiles` (when
/// readable) names where an unsupported base is written.
pub(crate) fn base_credentials(
    base: &Base,
    env: &dyn Env,
    profiles: Option<&ProfileSet>,
) -> Result<Credentials> {
    let unsupported = |profile: &str, what: &str| Error::UnsupportedBase {
        profile: profile.to_owned(),
        origin: profiles
            .and_then(|set| set.get(profile))
            .and_then(|p| p.origin().map(ToString::to_string))
            .unwrap_or_default(),
        what: what.to_owned(),
    };
    match base {
        Base::Keys(keys) => Ok(Credentials {
            access_key_id: keys.access_key_id.clone(),
            secret_access_key: keys.secret_access_key.clone(),
            session_token: keys.session_token.clone(),
            expiration: None,
        }),
        Base::NamedSource {
            profile,
            source,
            origin,
        } if source == "Environment" => {
            match (
                env.non_empty("AWS_ACCESS_KEY_ID"),
                env.non_empty("AWS_SECRET_ACCESS_KEY"),
            ) {
                (Some(id), Some(secret)) => Ok(Credentials {
                    access_key_id: id,
                    secret_access_key: Secret::new(secret),
                    session_token: env.non_empty("AWS_SESSION_TOKEN").map(Secret::new),
                    expiration: None,
                }),
                _ => Err(Error::EnvironmentCredentialsMissing {
                    profile: profile.clone(),
                    origin: origin.clone(),
                }),
            }
        }
        Base::NamedSource {
            profile,
            source,
            origin,
        } => Err(Error::UnsupportedBase {
            profile: profile.clone(),
            origin: origin.to_string(),
            what: format!("credential_source = {source}"),
        }),
        Base::WebIdentity { profile, .. } => Err(unsupported(profile, "web_identity_token_file")),
        // Obtained by the caller (sign-in and the portal are async); not reached.
        Base::Sso { profile, .. } => Err(unsupported(profile, "IAM Identity Center (sso_*)")),
        Base::Process {
            profile, origin, ..
        } => Err(Error::UnsupportedBase {
            profile: profile.clone(),
            origin: origin.to_string(),
            what: "credential_process".to_owned(),
        }),
        // Read from the keychain by the caller (the keychain blocks); not reached.
        Base::KeychainSource { name, .. } => Err(Error::UnknownSource { name: name.clone() }),
    }
}
