//! The AWS console in a browser, signed in with a profile's credentials: AWS's federation
//! endpoint turns temporary credentials into a sign-in token (`getSigninToken`), and a login URL
//! (`Action=login`) with that token opens the console at a destination.
//!
//! What this module decides, as pure data: which credentials a profile can sign in with
//! ([`ConsoleKind`]: a role or IAM Identity Center session as it is, an IAM user's long-term keys
//! through `GetFederationToken`), which partition's hosts to use ([`Partition`]), where the
//! console opens ([`Destination`]), whether `SessionDuration` may be sent (never for a chained
//! role), and the URLs themselves. `federation.rs` is the only place the endpoint is called.
//!
//! The sign-in token is a credential for the console: the login URL is a [`Secret`], and neither
//! it nor the token request (which carries the session's keys) is ever logged or put in an error.

pub(crate) mod federation;

use std::time::Duration;

use url::Url;

use crate::credentials::Credentials;
use crate::env::Env;
use crate::resolve::{Base, Plan};
use crate::secret::Secret;

pub use federation::FederationError;

/// Overrides the federation endpoint's base URL (tests, a proxy), as `AWS_ENDPOINT_URL_STS` does
/// STS's: `http://127.0.0.1:8123` sends the token request to `http://127.0.0.1:8123/federation`.
pub const SIGNIN_ENDPOINT_VAR: &str = "ROLEKEEPER_SIGNIN_ENDPOINT";

/// The profile key naming the command that opens this profile's console (e.g. a Firefox
/// container or a Chrome profile): words split at spaces, `%s` standing for the URL (appended
/// when absent), as one entry of `$BROWSER`.
pub const BROWSER_KEY: &str = "rolekeeper_console_browser";

/// `SessionDuration`'s bounds at the federation endpoint: 15 min to 12 h.
pub const MIN_SESSION_DURATION: Duration = Duration::from_secs(900);
pub const MAX_SESSION_DURATION: Duration = Duration::from_secs(12 * 3600);

/// `GetFederationToken`'s bounds (15 min to 36 h) and the length RoleKeeper asks for by default.
pub const MIN_FEDERATION_DURATION: Duration = Duration::from_secs(900);
pub const MAX_FEDERATION_DURATION: Duration = Duration::from_secs(36 * 3600);
pub const DEFAULT_FEDERATION_DURATION: Duration = Duration::from_secs(3600);

/// An AWS partition, as far as the console's hosts differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partition {
    Aws,
    /// AWS GovCloud (US).
    AwsUsGov,
    /// AWS China.
    AwsCn,
}

impl Partition {
    /// The partition of an ARN (`arn:aws-us-gov:...`); `None` if it is not an ARN of a known
    /// partition.
    pub fn of_arn(arn: &str) -> Option<Self> {
        let mut parts = arn.splitn(3, ':');
        match (parts.next(), parts.next()) {
            (Some("arn"), Some("aws")) => Some(Partition::Aws),
            (Some("arn"), Some("aws-us-gov")) => Some(Partition::AwsUsGov),
            (Some("arn"), Some("aws-cn")) => Some(Partition::AwsCn),
            _ => None,
        }
    }

    /// The partition a region belongs to (`us-gov-west-1`, `cn-north-1`; anything else is `aws`).
    pub fn of_region(region: &str) -> Self {
        if region.starts_with("us-gov-") {
            Partition::AwsUsGov
        } else if region.starts_with("cn-") {
            Partition::AwsCn
        } else {
            Partition::Aws
        }
    }

    /// The federation endpoint.
    pub fn signin_endpoint(self) -> &'static str {
        match self {
            Partition::Aws => "https://signin.aws.amazon.com/federation",
            Partition::AwsUsGov => "https://signin.amazonaws-us-gov.com/federation",
            Partition::AwsCn => "https://signin.amazonaws.cn/federation",
        }
    }

    /// The console's origin.
    pub fn console_origin(self) -> &'static str {
        match self {
            Partition::Aws => "https://console.aws.amazon.com",
            Partition::AwsUsGov => "https://console.amazonaws-us-gov.com",
            Partition::AwsCn => "https://console.amazonaws.cn",
        }
    }

    /// The region the console opens in when nothing names one.
    pub fn default_region(self) -> &'static str {
        match self {
            Partition::Aws => "us-east-1",
            Partition::AwsUsGov => "us-gov-west-1",
            Partition::AwsCn => "cn-north-1",
        }
    }
}

/// Where the console opens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Destination {
    /// The console home of the profile's region.
    #[default]
    Home,
    /// A service's home in the profile's region (`s3` → `/s3/home?region=...`).
    Service(String),
    /// A console URL given whole.
    Url(String),
}

impl Destination {
    /// `--service NAME`: lower-case letters, digits and dashes (`s3`, `ec2`, `cloudwatch`).
    pub fn service(name: &str) -> Result<Self, String> {
        let ok = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok {
            Ok(Destination::Service(name.to_owned()))
        } else {
            Err(format!(
                "--service {name:?} is not a console service name; use its name as in the \
                 console's address, e.g. s3, ec2, iam or cloudwatch"
            ))
        }
    }

    /// `--destination URL`: an `https://` URL.
    pub fn url(text: &str) -> Result<Self, String> {
        match Url::parse(text) {
            Ok(url) if url.scheme() == "https" && url.host_str().is_some() => {
                Ok(Destination::Url(url.into()))
            }
            _ => Err(format!(
                "--destination {text:?} is not an https:// URL; give a console address, e.g. \
                 https://console.aws.amazon.com/ec2/home?region=eu-west-1"
            )),
        }
    }

    /// The URL the console opens at.
    pub fn resolve(&self, partition: Partition, region: &str) -> String {
        let origin = partition.console_origin();
        match self {
            Destination::Home => format!("{origin}/console/home?region={region}"),
            Destination::Service(name) => format!("{origin}/{name}/home?region={region}"),
            Destination::Url(url) => url.clone(),
        }
    }
}

/// How a profile's credentials become a console session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleKind {
    /// A role session or an IAM Identity Center role's credentials, signed in as they are.
    /// `chained`: the role was assumed with another role's credentials (then the federation
    /// endpoint refuses `SessionDuration`), or RoleKeeper cannot tell it was not.
    Session { chained: bool },
    /// An IAM user's long-term keys (a keychain source, or keys in a profile): the console
    /// refuses them, so they are exchanged for a federation token first. Such a session carries
    /// no MFA context.
    IamUser,
}

/// What opening the console for a profile needs to know, from its plan alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleTarget {
    pub profile: String,
    pub kind: ConsoleKind,
    pub partition: Partition,
    /// The console's region: the profile's, else `AWS_REGION`/`AWS_DEFAULT_REGION`, else an
    /// IAM Identity Center sign-in's, else the partition's first.
    pub region: String,
    /// The profile's `rolekeeper_console_browser`, if set.
    pub browser: Option<String>,
}

/// Why a profile's credentials cannot sign in to the console, in words (the error adds the
/// profile and what to do).
pub fn console_kind(plan: &Plan) -> Result<ConsoleKind, &'static str> {
    match (&plan.base, plan.roles.len()) {
        (Base::Sso { .. }, 0) => Ok(ConsoleKind::Session { chained: false }),
        // A role assumed with long-term keys, or with their MFA session: not chained.
        (Base::KeychainSource { .. }, 1) => Ok(ConsoleKind::Session { chained: false }),
        (Base::Keys(keys), 1) if keys.session_token.is_none() => {
            Ok(ConsoleKind::Session { chained: false })
        }
        // A role from an SSO role, from another role, or from temporary keys of unknown origin.
        (_, n) if n >= 1 => Ok(ConsoleKind::Session { chained: true }),
        (Base::KeychainSource { .. }, 0) => Ok(ConsoleKind::IamUser),
        (Base::Keys(keys), 0) if keys.session_token.is_none() => Ok(ConsoleKind::IamUser),
        (Base::Keys(_), _) => Err(
            "it holds temporary keys (aws_session_token) whose origin RoleKeeper cannot tell, and \
             the console accepts only role sessions and IAM users' keys",
        ),
        (Base::Process { .. }, _) => {
            Err("its credentials come from credential_process, whose kind RoleKeeper cannot tell")
        }
        _ => Err("RoleKeeper cannot obtain its credentials"),
    }
}

/// The partition of `plan`: its final role's ARN, else its region's.
pub fn partition_of(plan: &Plan, region: &str) -> Partition {
    plan.final_role()
        .and_then(|role| Partition::of_arn(&role.role_arn))
        .unwrap_or_else(|| Partition::of_region(region))
}

/// The console's region for `plan` (see [`ConsoleTarget::region`]); for an IAM Identity Center
/// role that names none anywhere, its sign-in's region (at least in the right partition).
pub fn region_of(plan: &Plan, env: &dyn Env) -> Option<String> {
    plan.region
        .clone()
        .or_else(|| env.non_empty("AWS_REGION"))
        .or_else(|| env.non_empty("AWS_DEFAULT_REGION"))
        .or_else(|| match &plan.base {
            Base::Sso { role, .. } => Some(role.session.region.clone()),
            _ => None,
        })
}

/// What the user asked of the console session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsoleRequest {
    pub destination: Destination,
    /// `--duration`: the console session's length (`SessionDuration`, for a session that is not
    /// chained), or the federation token's for an IAM user.
    pub duration: Option<Duration>,
}

/// The console sign-in RoleKeeper made.
#[derive(Debug)]
pub struct ConsoleSignIn {
    /// The login URL: it carries a sign-in token, so it is a secret.
    pub url: Secret,
    pub kind: ConsoleKind,
    /// The `SessionDuration` sent with the token request, if any.
    pub session_duration: Option<Duration>,
    /// Things the user should know, in words (no MFA context, a length not sent).
    pub notes: Vec<String>,
}

/// The `SessionDuration` to send for `kind` when the user asked for `asked`, and a note when it
/// cannot be sent.
pub fn session_duration(
    kind: ConsoleKind,
    asked: Option<Duration>,
) -> (Option<Duration>, Option<String>) {
    match (kind, asked) {
        (ConsoleKind::Session { chained: false }, Some(d)) => (Some(d), None),
        (ConsoleKind::Session { chained: true }, Some(_)) => (
            None,
            Some(
                "--duration is not sent for a role assumed from another role (the federation \
                 endpoint refuses it): the console session lasts as the role session does"
                    .to_owned(),
            ),
        ),
        _ => (None, None),
    }
}

/// Checks `--duration` for `kind`: `SessionDuration`'s bounds for a session,
/// `GetFederationToken`'s for an IAM user.
pub fn validate_duration(kind: ConsoleKind, d: Duration) -> Result<(), String> {
    let (min, max, what) = match kind {
        ConsoleKind::Session { .. } => (
            MIN_SESSION_DURATION,
            MAX_SESSION_DURATION,
            "a console session lasts from 900 s (15 min) to 43200 s (12 h)",
        ),
        ConsoleKind::IamUser => (
            MIN_FEDERATION_DURATION,
            MAX_FEDERATION_DURATION,
            "an IAM user's console session (a federation token) lasts from 900 s (15 min) to \
             129600 s (36 h)",
        ),
    };
    if d < min || d > max {
        Err(what.to_owned())
    } else {
        Ok(())
    }
}

/// The federation endpoint: `ROLEKEEPER_SIGNIN_ENDPOINT` (with `/federation` added unless its
/// path names one), else the partition's.
pub fn federation_endpoint(env: &dyn Env, partition: Partition) -> String {
    match env.non_empty(SIGNIN_ENDPOINT_VAR) {
        Some(base) => {
            let base = base.trim_end_matches('/');
            if base.ends_with("/federation") {
                base.to_owned()
            } else {
                format!("{base}/federation")
            }
        }
        None => partition.signin_endpoint().to_owned(),
    }
}

/// The `getSigninToken` request: the session as the `Session` JSON, and `SessionDuration` when
/// given. A secret: the query carries the session's keys.
pub fn token_request_url(
    endpoint: &str,
    credentials: &Credentials,
    session_duration: Option<Duration>,
) -> Result<Secret, String> {
    let token = credentials
        .session_token
        .as_ref()
        .ok_or("the credentials are not a session (no session token)")?;
    let session = serde_json::json!({
        "sessionId": credentials.access_key_id,
        "sessionKey": credentials.secret_access_key.expose(),
        "sessionToken": token.expose(),
    })
    .to_string();
    let mut url = Url::parse(endpoint).map_err(|e| format!("not a URL ({e})"))?;
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("Action", "getSigninToken");
        if let Some(d) = session_duration {
            query.append_pair("SessionDuration", &d.as_secs().to_string());
        }
        query.append_pair("Session", &session);
    }
    Ok(Secret::new(String::from(url)))
}

/// The login URL that opens `destination` with `signin_token`.
pub fn login_url(
    endpoint: &str,
    destination: &str,
    signin_token: &Secret,
) -> Result<Secret, String> {
    let mut url = Url::parse(endpoint).map_err(|e| format!("not a URL ({e})"))?;
    url.query_pairs_mut()
        .append_pair("Action", "login")
        .append_pair("Destination", destination)
        .append_pair("SigninToken", signin_token.expose());
    Ok(Secret::new(String::from(url)))
}

/// `GetFederationToken`'s `Name` for `profile`: its characters STS allows (`[\w+=,.@-]`, others
/// become `-`), at most 32 of them, at least 2.
pub fn federated_user_name(profile: &str) -> String {
    let name: String = profile
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(32)
        .collect();
    if name.len() < 2 {
        "rolekeeper".to_owned()
    } else {
        name
    }
}

/// The policy passed to `GetFederationToken`: everything the IAM user may do (a federation
/// token's rights are the intersection of this and the user's own).
pub const ALLOW_ALL_POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// What the user is told when an IAM user's keys open the console.
pub const NO_MFA_CONTEXT_NOTE: &str = "this console session comes from the IAM user's long-term \
     keys through GetFederationToken, which takes no MFA code: it carries no MFA context, so \
     actions your policies allow only with MFA are denied in it";

#[cfg(test)]
mod tests;
