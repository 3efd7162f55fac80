//! Calls to AWS IAM through `aws-sdk-iam`: a keychain source's own access keys (list, last use,
//! create, deactivate, delete), and IAM failures in words.
//!
//! The endpoint follows the AWS tools' variables: `AWS_ENDPOINT_URL_IAM`, then `AWS_ENDPOINT_URL`,
//! both ignored when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`. This module owns every IAM call;
//! nothing else builds an IAM client. Every call that takes a user name is given one: IAM answers
//! a call without one for the caller's own user only when it is signed with that user's
//! long-term key, not with its MFA session. Key ids appear in errors masked (`AKIA…2345`), and a
//! new key's secret only ever as a [`Secret`].

use std::fmt;
use std::time::{Duration, SystemTime};

use aws_sdk_iam::config::{BehaviorVersion, Region};
use aws_sdk_iam::types::StatusType;

use crate::credentials::Credentials;
use crate::env::Env;
use crate::keys::{mask, mask_ids};
use crate::secret::Secret;
use crate::sts::{
    endpoint_from_env, failure, is_plain_http, plain_http_client, region_from_env, sdk_credentials,
    timeouts, Failure, THROTTLING_CODES,
};

/// Where and how to reach IAM.
#[derive(Debug, Clone)]
pub struct IamSettings {
    /// The signing region: IAM is global, the SDK picks its partition's endpoint from it.
    pub region: String,
    pub endpoint_url: Option<String>,
    pub timeout: Duration,
}

impl IamSettings {
    pub fn from_env(env: &dyn Env, region: Option<&str>) -> Self {
        Self {
            region: region_from_env(env, region),
            endpoint_url: endpoint_from_env(env, "AWS_ENDPOINT_URL_IAM"),
            timeout: Duration::from_secs(10),
        }
    }
}

/// Whether a key can sign requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    Active,
    Inactive,
}

impl fmt::Display for KeyStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyStatus::Active => "active",
            KeyStatus::Inactive => "inactive",
        })
    }
}

/// One of a user's access keys, as `ListAccessKeys` lists it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMetadata {
    pub id: String,
    pub status: KeyStatus,
    pub created: Option<SystemTime>,
}

/// When and where a key was last used (`GetAccessKeyLastUsed`); `at` is `None` for a key never
/// used.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LastUsed {
    #[serde(default, with = "crate::keys::optional_time")]
    pub at: Option<SystemTime>,
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
}

/// A key `CreateAccessKey` just made: the only moment IAM gives its secret.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub id: String,
    pub secret: Secret,
}

/// An IAM failure, classified so callers can decide whether to retry and users know what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IamErrorKind {
    /// The user may not manage its keys (a policy, or one that wants MFA).
    AccessDenied,
    /// The calling keys are unknown, inactive or expired.
    InvalidCredentials,
    /// No such user or key.
    NoSuchEntity,
    /// The user has two access keys already, IAM's limit.
    LimitExceeded,
    /// A request IAM refuses.
    InvalidRequest,
    Throttled,
    ServerError,
    Unreachable,
    Timeout,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamError {
    pub kind: IamErrorKind,
    /// IAM's error code, when it sent one.
    pub code: Option<String>,
    /// IAM's message or the transport error.
    pub detail: String,
    /// The call that failed, e.g. `UpdateAccessKey AKIA…5678 for user alice`.
    pub action: String,
}

impl IamError {
    /// Worth retrying later without the user doing anything.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind,
            IamErrorKind::Throttled
                | IamErrorKind::ServerError
                | IamErrorKind::Unreachable
                | IamErrorKind::Timeout
        )
    }

    fn advice(&self) -> &'static str {
        match self.kind {
            IamErrorKind::AccessDenied => {
                "the IAM user needs iam:ListAccessKeys, iam:GetAccessKeyLastUsed, \
                 iam:CreateAccessKey, iam:UpdateAccessKey and iam:DeleteAccessKey on itself (a \
                 policy that asks for MFA also needs the source's MFA device: `rolekeeper source \
                 add NAME --mfa-serial ARN`)"
            }
            IamErrorKind::InvalidCredentials => {
                "the source's keys are wrong, inactive or deleted; replace them"
            }
            IamErrorKind::NoSuchEntity => "IAM does not know that user or key",
            IamErrorKind::LimitExceeded => {
                "an IAM user has at most two access keys; delete the one not in use first"
            }
            IamErrorKind::InvalidRequest => "IAM refused the request",
            IamErrorKind::Throttled => "IAM is throttling requests; try again later",
            IamErrorKind::ServerError => "IAM had an internal error; try again shortly",
            IamErrorKind::Unreachable => "check the network and AWS_ENDPOINT_URL_IAM",
            IamErrorKind::Timeout => "IAM did not answer in time; check the network and try again",
            IamErrorKind::Other => "try again; if it persists, run `rolekeeper doctor`",
        }
    }
}

impl fmt::Display for IamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IAM {} failed: ", self.action)?;
        if let Some(code) = &self.code {
            write!(f, "{code}: ")?;
        }
        write!(f, "{}; {}", self.detail, self.advice())
    }
}

impl std::error::Error for IamError {}

/// An IAM client bound to one set of caller credentials.
#[derive(Debug, Clone)]
pub struct Iam {
    client: aws_sdk_iam::Client,
}

impl Iam {
    pub fn new(settings: &IamSettings, caller: &Credentials) -> Self {
        let mut builder = aws_sdk_iam::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(settings.region.clone()))
            .credentials_provider(sdk_credentials(caller))
            .timeout_config(timeouts(settings.timeout));
        if let Some(url) = &settings.endpoint_url {
            builder = builder.endpoint_url(url.clone());
            if is_plain_http(url) {
                builder = builder.http_client(plain_http_client());
            }
        }
        Self {
            client: aws_sdk_iam::Client::from_conf(builder.build()),
        }
    }

    /// `user`'s access keys, oldest first.
    pub async fn list_access_keys(&self, user: &str) -> Result<Vec<KeyMetadata>, IamError> {
        let action = format!("ListAccessKeys for user {user}");
        let output = self
            .client
            .list_access_keys()
            .user_name(user)
            .send()
            .await
            .map_err(|e| classify(e, &action))?;
        let mut keys: Vec<KeyMetadata> = output
            .access_key_metadata()
            .iter()
            .filter_map(|k| {
                Some(KeyMetadata {
                    id: k.access_key_id()?.to_owned(),
                    status: status_of(k.status()),
                    created: k.create_date().and_then(|d| SystemTime::try_from(*d).ok()),
                })
            })
            .collect();
        keys.sort_by_key(|k| k.created);
        Ok(keys)
    }

    /// When `key_id` was last used (IAM takes no user name for this one).
    pub async fn last_used(&self, key_id: &str) -> Result<LastUsed, IamError> {
        let action = format!("GetAccessKeyLastUsed {}", mask(key_id));
        let output = self
            .client
            .get_access_key_last_used()
            .access_key_id(key_id)
            .send()
            .await
            .map_err(|e| classify(e, &action))?;
        // IAM says `N/A` for the service and region of a key never used.
        let known = |s: &str| (!s.is_empty() && s != "N/A").then(|| s.to_owned());
        Ok(output
            .access_key_last_used()
            .map(|u| LastUsed {
                at: u
                    .last_used_date()
                    .and_then(|d| SystemTime::try_from(*d).ok()),
                service: known(u.service_name()),
                region: known(u.region()),
            })
            .unwrap_or_default())
    }

    /// A new access key for `user`.
    pub async fn create_access_key(&self, user: &str) -> Result<NewKey, IamError> {
        let action = format!("CreateAccessKey for user {user}");
        let output = self
            .client
            .create_access_key()
            .user_name(user)
            .send()
            .await
            .map_err(|e| classify(e, &action))?;
        let key = output.access_key().ok_or_else(|| IamError {
            kind: IamErrorKind::Other,
            code: None,
            detail: "the answer had no key".to_owned(),
            action: action.clone(),
        })?;
        Ok(NewKey {
            id: key.access_key_id().to_owned(),
            secret: Secret::new(key.secret_access_key()),
        })
    }

    /// Make `key_id` of `user` active or inactive.
    pub async fn set_status(
        &self,
        user: &str,
        key_id: &str,
        status: KeyStatus,
    ) -> Result<(), IamError> {
        let action = format!("UpdateAccessKey {} {status} for user {user}", mask(key_id));
        let status = match status {
            KeyStatus::Active => StatusType::Active,
            KeyStatus::Inactive => StatusType::Inactive,
        };
        self.client
            .update_access_key()
            .user_name(user)
            .access_key_id(key_id)
            .status(status)
            .send()
            .await
            .map_err(|e| classify(e, &action))?;
        Ok(())
    }

    /// Delete `key_id` of `user`.
    pub async fn delete_access_key(&self, user: &str, key_id: &str) -> Result<(), IamError> {
        let action = format!("DeleteAccessKey {} for user {user}", mask(key_id));
        self.client
            .delete_access_key()
            .user_name(user)
            .access_key_id(key_id)
            .send()
            .await
            .map_err(|e| classify(e, &action))?;
        Ok(())
    }
}

fn status_of(status: Option<&StatusType>) -> KeyStatus {
    match status {
        Some(StatusType::Active) => KeyStatus::Active,
        _ => KeyStatus::Inactive,
    }
}

fn classify<E>(
    error: aws_sdk_iam::error::SdkError<
        E,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
    action: &str,
) -> IamError
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    let (kind, code, detail) = match failure(error) {
        Failure::Service {
            code,
            message,
            status,
        } => (
            kind_of(code.as_deref(), status),
            code,
            message.unwrap_or_else(|| "no message from IAM".to_owned()),
        ),
        Failure::Timeout(detail) => (IamErrorKind::Timeout, None, detail),
        Failure::Unreachable(detail) => (IamErrorKind::Unreachable, None, detail),
        Failure::Response { status, detail } => (kind_of(None, status), None, detail),
        Failure::Other(detail) => (IamErrorKind::Other, None, detail),
    };
    IamError {
        kind,
        code,
        // IAM's messages may name a key ("The Access Key with id ... cannot be found").
        detail: mask_ids(&detail),
        action: action.to_owned(),
    }
}

/// By IAM's code, else by the HTTP status.
fn kind_of(code: Option<&str>, status: u16) -> IamErrorKind {
    match code {
        Some("AccessDenied" | "AccessDeniedException") => IamErrorKind::AccessDenied,
        Some(
            "InvalidClientTokenId"
            | "SignatureDoesNotMatch"
            | "ExpiredToken"
            | "UnrecognizedClientException",
        ) => IamErrorKind::InvalidCredentials,
        Some("NoSuchEntity") => IamErrorKind::NoSuchEntity,
        // Listed among the throttling codes, but for IAM it is the quota of two keys.
        Some("LimitExceeded") => IamErrorKind::LimitExceeded,
        Some(code) if THROTTLING_CODES.contains(&code) => IamErrorKind::Throttled,
        Some("ServiceFailure" | "ServiceFailureException") => IamErrorKind::ServerError,
        Some("ValidationError" | "InvalidInput" | "MalformedInput") => IamErrorKind::InvalidRequest,
        _ => match status {
            403 => IamErrorKind::AccessDenied,
            429 => IamErrorKind::Throttled,
            500..=599 => IamErrorKind::ServerError,
            400..=499 => IamErrorKind::InvalidRequest,
            _ => IamErrorKind::Other,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_classified_by_code_then_status() {
        let cases = [
            (Some("LimitExceeded"), 409, IamErrorKind::LimitExceeded),
            (Some("NoSuchEntity"), 404, IamErrorKind::NoSuchEntity),
            (Some("AccessDenied"), 403, IamErrorKind::AccessDenied),
            (
                Some("InvalidClientTokenId"),
                403,
                IamErrorKind::InvalidCredentials,
            ),
            (Some("Throttling"), 400, IamErrorKind::Throttled),
            (Some("ServiceFailure"), 500, IamErrorKind::ServerError),
            (Some("InvalidInput"), 400, IamErrorKind::InvalidRequest),
            (Some("SomethingNew"), 503, IamErrorKind::ServerError),
            (None, 403, IamErrorKind::AccessDenied),
            (None, 418, IamErrorKind::InvalidRequest),
            (None, 200, IamErrorKind::Other),
        ];
        for (code, status, kind) in cases {
            assert_eq!(kind_of(code, status), kind, "{code:?} {status}");
        }
    }

    #[test]
    fn the_message_names_the_call_with_the_key_masked_and_says_what_to_do() {
        let e = IamError {
            kind: IamErrorKind::LimitExceeded,
            code: Some("LimitExceeded".to_owned()),
            detail: "Cannot exceed quota for AccessKeysPerUser: 2".to_owned(),
            action: format!("CreateAccessKey for user {}", "alice"),
        };
        assert_eq!(
            e.to_string(),
            "IAM CreateAccessKey for user alice failed: LimitExceeded: Cannot exceed quota for \
             AccessKeysPerUser: 2; an IAM user has at most two access keys; delete the one not \
             in use first"
        );
        assert!(!e.is_transient());
    }

    #[test]
    fn the_endpoint_is_iams_own_then_the_general_one() {
        use crate::env::MapEnv;
        let env = MapEnv::default()
            .with("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
            .with("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:2");
        assert_eq!(
            IamSettings::from_env(&env, None).endpoint_url.as_deref(),
            Some("http://127.0.0.1:1")
        );
        let env = env.with("AWS_ENDPOINT_URL_IAM", "http://127.0.0.1:3");
        let settings = IamSettings::from_env(&env, Some("eu-west-1"));
        assert_eq!(settings.endpoint_url.as_deref(), Some("http://127.0.0.1:3"));
        assert_eq!(settings.region, "eu-west-1");
        let env = env.with("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true");
        assert_eq!(IamSettings::from_env(&env, None).endpoint_url, None);
    }
}
