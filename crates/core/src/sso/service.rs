//! Calls to IAM Identity Center: the sign-in service (SSO-OIDC: RegisterClient,
//! StartDeviceAuthorization, CreateToken) and the portal (GetRoleCredentials, Logout), through
//! `aws-sdk-ssooidc` and `aws-sdk-sso`. Every call is unsigned; the portal takes the access token
//! in a header.
//!
//! Endpoints follow the SDKs' variables: `AWS_ENDPOINT_URL_SSO_OIDC` and `AWS_ENDPOINT_URL_SSO`,
//! then `AWS_ENDPOINT_URL`, all ignored when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`. This
//! module owns every Identity Center call.

use std::fmt;
use std::time::{Duration, UNIX_EPOCH};

use aws_sdk_ssooidc::config::{BehaviorVersion, Region};
use aws_sdk_ssooidc::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use super::cache::Registration;
use crate::credentials::Credentials;
use crate::env::Env;
use crate::secret::Secret;
use crate::sts::{chain_text, is_plain_http, plain_http_client};

/// Where the two services are, for one session's region.
#[derive(Debug, Clone)]
pub struct SsoEndpoints {
    pub region: String,
    pub oidc: Option<String>,
    pub portal: Option<String>,
}

impl SsoEndpoints {
    pub fn from_env(env: &dyn Env, region: &str) -> Self {
        let ignore = env
            .var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let pick = |name: &str| {
            if ignore {
                None
            } else {
                env.non_empty(name)
                    .or_else(|| env.non_empty("AWS_ENDPOINT_URL"))
            }
        };
        Self {
            region: region.to_owned(),
            oidc: pick("AWS_ENDPOINT_URL_SSO_OIDC"),
            portal: pick("AWS_ENDPOINT_URL_SSO"),
        }
    }

    /// Where the browser sign-in starts: the sign-in service's scheme, host and port with
    /// `/authorize` (any path of an override is dropped, as the AWS CLI drops it).
    pub fn authorize_url(&self) -> String {
        let base = match &self.oidc {
            Some(url) => match url::Url::parse(url) {
                Ok(parsed) => {
                    let mut origin = parsed.origin().ascii_serialization();
                    if origin == "null" {
                        origin = url.trim_end_matches('/').to_owned();
                    }
                    origin
                }
                Err(_) => url.trim_end_matches('/').to_owned(),
            },
            None => format!("https://oidc.{}.amazonaws.com", self.region),
        };
        format!("{base}/authorize")
    }
}

/// What went wrong talking to Identity Center, in words; never holds a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoError {
    pub kind: SsoErrorKind,
    /// The service's error code, e.g. `InvalidGrantException`.
    pub code: Option<String>,
    pub detail: String,
    /// What was being done, e.g. `CreateToken (refresh) for corp`.
    pub action: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsoErrorKind {
    /// Device sign-in: the user has not approved yet.
    Pending,
    /// Device sign-in: poll less often.
    SlowDown,
    /// The device code (or sign-in) expired before it was approved.
    Expired,
    /// The user refused, or the account may not do this.
    Denied,
    /// A refresh token or code the service no longer honours: the sign-in has ended.
    InvalidGrant,
    /// The access token is not (or no longer) valid.
    Unauthorized,
    Throttled,
    Unreachable,
    Timeout,
    ServerError,
    Other,
}

impl SsoError {
    fn new(kind: SsoErrorKind, detail: impl Into<String>, action: &str) -> Self {
        Self {
            kind,
            code: None,
            detail: detail.into(),
            action: action.to_owned(),
        }
    }

    /// Whether trying again later may work by itself (network, throttling, the service).
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind,
            SsoErrorKind::Throttled
                | SsoErrorKind::Unreachable
                | SsoErrorKind::Timeout
                | SsoErrorKind::ServerError
        )
    }
}

impl fmt::Display for SsoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            SsoErrorKind::Pending => "the sign-in is not approved yet",
            SsoErrorKind::SlowDown => "IAM Identity Center asked to slow down",
            SsoErrorKind::Expired => "the sign-in code expired before it was approved; sign in again",
            SsoErrorKind::Denied => "the sign-in was refused",
            SsoErrorKind::InvalidGrant => "the sign-in has ended (IAM Identity Center no longer accepts it); sign in again",
            SsoErrorKind::Unauthorized => "the access token is not valid (signed out, or the portal session ended); sign in again",
            SsoErrorKind::Throttled => "IAM Identity Center is throttling requests; RoleKeeper retries later",
            SsoErrorKind::Unreachable => "IAM Identity Center could not be reached; check the network, sso_region and AWS_ENDPOINT_URL_SSO / AWS_ENDPOINT_URL_SSO_OIDC",
            SsoErrorKind::Timeout => "IAM Identity Center did not answer in time; RoleKeeper retries later",
            SsoErrorKind::ServerError => "IAM Identity Center had an internal error; RoleKeeper retries later",
            SsoErrorKind::Other => "IAM Identity Center refused the request",
        };
        write!(f, "{}: {what}", self.action)?;
        match &self.code {
            Some(code) => write!(f, " ({code}: {})", self.detail),
            None => write!(f, " ({})", self.detail),
        }
    }
}

impl std::error::Error for SsoError {}

const CALL_TIMEOUT: Duration = Duration::from_secs(15);

fn http_client_for(url: Option<&String>) -> Option<aws_sdk_ssooidc::config::SharedHttpClient> {
    url.filter(|u| is_plain_http(u))
        .map(|_| plain_http_client())
}

fn oidc(endpoints: &SsoEndpoints) -> aws_sdk_ssooidc::Client {
    let timeouts = aws_sdk_ssooidc::config::timeout::TimeoutConfig::builder()
        .operation_timeout(CALL_TIMEOUT)
        .connect_timeout(Duration::from_secs(3))
        .build();
    let mut builder = aws_sdk_ssooidc::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(endpoints.region.clone()))
        .timeout_config(timeouts);
    if let Some(url) = &endpoints.oidc {
        builder = builder.endpoint_url(url.clone());
    }
    if let Some(client) = http_client_for(endpoints.oidc.as_ref()) {
        builder = builder.http_client(client);
    }
    aws_sdk_ssooidc::Client::from_conf(builder.build())
}

fn portal(endpoints: &SsoEndpoints) -> aws_sdk_sso::Client {
    let timeouts = aws_sdk_sso::config::timeout::TimeoutConfig::builder()
        .operation_timeout(CALL_TIMEOUT)
        .connect_timeout(Duration::from_secs(3))
        .build();
    let mut builder = aws_sdk_sso::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(aws_sdk_sso::config::Region::new(endpoints.region.clone()))
        .timeout_config(timeouts);
    if let Some(url) = &endpoints.portal {
        builder = builder.endpoint_url(url.clone());
    }
    if let Some(client) = http_client_for(endpoints.portal.as_ref()) {
        builder = builder.http_client(client);
    }
    aws_sdk_sso::Client::from_conf(builder.build())
}

/// How a client registers: for the device sign-in, or the browser sign-in back to `redirect`.
#[derive(Debug, Clone)]
pub enum RegisterFor {
    Device,
    AuthCode { issuer_url: String },
}

pub async fn register_client(
    endpoints: &SsoEndpoints,
    client_name: &str,
    scopes: &[String],
    purpose: &RegisterFor,
) -> Result<Registration, SsoError> {
    let action = "RegisterClient";
    let mut call = oidc(endpoints)
        .register_client()
        .client_name(client_name)
        .client_type("public");
    if !scopes.is_empty() {
        call = call.set_scopes(Some(scopes.to_vec()));
    }
    let mut grant_types = Vec::new();
    if let RegisterFor::AuthCode { issuer_url } = purpose {
        grant_types = vec!["authorization_code".to_owned(), "refresh_token".to_owned()];
        call = call
            .set_grant_types(Some(grant_types.clone()))
            .redirect_uris("http://127.0.0.1/oauth/callback")
            .issuer_url(issuer_url);
    }
    let out = call.send().await.map_err(|e| classify(e, action))?;
    let (Some(client_id), Some(client_secret)) = (out.client_id(), out.client_secret()) else {
        return Err(SsoError::new(
            SsoErrorKind::Other,
            "the answer had no client id or secret",
            action,
        ));
    };
    Ok(Registration {
        client_id: client_id.to_owned(),
        client_secret: Secret::new(client_secret),
        expires_at: UNIX_EPOCH
            + Duration::from_secs(u64::try_from(out.client_secret_expires_at()).unwrap_or(0)),
        scopes: scopes.to_vec(),
        grant_types,
    })
}

/// StartDeviceAuthorization's answer.
#[derive(Debug, Clone)]
pub struct DeviceAuthorization {
    pub device_code: Secret,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: Duration,
    pub interval: Duration,
}

pub async fn start_device_authorization(
    endpoints: &SsoEndpoints,
    registration: &Registration,
    start_url: &str,
) -> Result<DeviceAuthorization, SsoError> {
    let action = "StartDeviceAuthorization";
    let out = oidc(endpoints)
        .start_device_authorization()
        .client_id(&registration.client_id)
        .client_secret(registration.client_secret.expose())
        .start_url(start_url)
        .send()
        .await
        .map_err(|e| classify(e, action))?;
    let missing = || SsoError::new(SsoErrorKind::Other, "the answer was incomplete", action);
    let verification_uri = out.verification_uri().ok_or_else(missing)?.to_owned();
    Ok(DeviceAuthorization {
        device_code: Secret::new(out.device_code().ok_or_else(missing)?),
        user_code: out.user_code().ok_or_else(missing)?.to_owned(),
        verification_uri_complete: out
            .verification_uri_complete()
            .map(str::to_owned)
            .unwrap_or_else(|| verification_uri.clone()),
        verification_uri,
        expires_in: Duration::from_secs(u64::try_from(out.expires_in()).unwrap_or(600)),
        interval: Duration::from_secs(u64::try_from(out.interval()).unwrap_or(0).max(1)),
    })
}

/// What CreateToken is given.
#[derive(Debug)]
pub enum Grant<'a> {
    DeviceCode(&'a Secret),
    RefreshToken(&'a Secret),
    AuthCode {
        code: &'a Secret,
        redirect_uri: &'a str,
        verifier: &'a Secret,
    },
}

/// CreateToken's answer.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub access_token: Secret,
    pub expires_in: Duration,
    pub refresh_token: Option<Secret>,
}

pub async fn create_token(
    endpoints: &SsoEndpoints,
    registration: &Registration,
    grant: Grant<'_>,
) -> Result<NewToken, SsoError> {
    let call = oidc(endpoints)
        .create_token()
        .client_id(&registration.client_id)
        .client_secret(registration.client_secret.expose());
    let (call, action) = match grant {
        Grant::DeviceCode(code) => (
            call.grant_type("urn:ietf:params:oauth:grant-type:device_code")
                .device_code(code.expose()),
            "CreateToken (device code)",
        ),
        Grant::RefreshToken(token) => (
            call.grant_type("refresh_token")
                .refresh_token(token.expose()),
            "CreateToken (refresh)",
        ),
        Grant::AuthCode {
            code,
            redirect_uri,
            verifier,
        } => (
            call.grant_type("authorization_code")
                .code(code.expose())
                .redirect_uri(redirect_uri)
                .code_verifier(verifier.expose()),
            "CreateToken (authorization code)",
        ),
    };
    let out = call.send().await.map_err(|e| classify(e, action))?;
    let Some(access_token) = out.access_token() else {
        return Err(SsoError::new(
            SsoErrorKind::Other,
            "the answer had no access token",
            action,
        ));
    };
    Ok(NewToken {
        access_token: Secret::new(access_token),
        expires_in: Duration::from_secs(u64::try_from(out.expires_in()).unwrap_or(0)),
        refresh_token: out.refresh_token().map(Secret::new),
    })
}

/// GetRoleCredentials: the role's keys, expiring when Identity Center says (epoch ms).
pub async fn get_role_credentials(
    endpoints: &SsoEndpoints,
    access_token: &Secret,
    account_id: &str,
    role_name: &str,
) -> Result<Credentials, SsoError> {
    let action = format!("GetRoleCredentials {role_name} in {account_id}");
    let out = portal(endpoints)
        .get_role_credentials()
        .access_token(access_token.expose())
        .account_id(account_id)
        .role_name(role_name)
        .send()
        .await
        .map_err(|e| classify(e, &action))?;
    let incomplete = || SsoError::new(SsoErrorKind::Other, "the answer was incomplete", &action);
    let keys = out.role_credentials().ok_or_else(incomplete)?;
    let millis = u64::try_from(keys.expiration()).unwrap_or(0);
    Ok(Credentials {
        access_key_id: keys.access_key_id().ok_or_else(incomplete)?.to_owned(),
        secret_access_key: Secret::new(keys.secret_access_key().ok_or_else(incomplete)?),
        session_token: keys.session_token().map(Secret::new),
        expiration: Some(UNIX_EPOCH + Duration::from_millis(millis)),
    })
}

/// Every account and role `access_token` can use: ListAccounts, then ListAccountRoles for each
/// account, four accounts at a time (Identity Center throttles around 20 requests a second);
/// a 429 is retried with the SDK's backoff, up to eight attempts a call.
pub async fn list_assignments(
    endpoints: &SsoEndpoints,
    access_token: &Secret,
) -> Result<Vec<super::sync::Assignment>, SsoError> {
    let client = portal_with_retries(endpoints);
    let mut accounts = Vec::new();
    let mut pages = client
        .list_accounts()
        .access_token(access_token.expose())
        .max_results(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify(e, "ListAccounts"))?;
        for account in page.account_list() {
            if let Some(id) = account.account_id() {
                accounts.push((
                    id.to_owned(),
                    account.account_name().unwrap_or(id).to_owned(),
                ));
            }
        }
    }
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(4));
    let mut calls = tokio::task::JoinSet::new();
    for (id, name) in accounts {
        let client = client.clone();
        let token = access_token.clone();
        let permits = std::sync::Arc::clone(&permits);
        calls.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let action = format!("ListAccountRoles {id}");
            let mut roles = Vec::new();
            let mut pages = client
                .list_account_roles()
                .access_token(token.expose())
                .account_id(&id)
                .max_results(100)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| classify(e, &action))?;
                for role in page.role_list() {
                    if let Some(role_name) = role.role_name() {
                        roles.push(super::sync::Assignment {
                            account_id: id.clone(),
                            account_name: name.clone(),
                            role_name: role_name.to_owned(),
                        });
                    }
                }
            }
            Ok::<_, SsoError>(roles)
        });
    }
    let mut all = Vec::new();
    while let Some(joined) = calls.join_next().await {
        match joined {
            Ok(Ok(roles)) => all.extend(roles),
            Ok(Err(e)) => return Err(e),
            Err(e) => {
                return Err(SsoError::new(
                    SsoErrorKind::Other,
                    e.to_string(),
                    "ListAccountRoles",
                ))
            }
        }
    }
    all.sort();
    Ok(all)
}

fn portal_with_retries(endpoints: &SsoEndpoints) -> aws_sdk_sso::Client {
    let retries = aws_sdk_sso::config::retry::RetryConfig::standard().with_max_attempts(8);
    let config = portal(endpoints)
        .config()
        .to_builder()
        .retry_config(retries)
        .build();
    aws_sdk_sso::Client::from_conf(config)
}

/// Logout: ends the portal session of `access_token`. Errors are the caller's to ignore (the
/// AWS CLI ignores them too: the local sign-in is removed either way).
pub async fn logout(endpoints: &SsoEndpoints, access_token: &Secret) -> Result<(), SsoError> {
    portal(endpoints)
        .logout()
        .access_token(access_token.expose())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| classify(e, "Logout"))
}

/// An SDK failure in words.
fn classify<E>(error: SdkError<E, HttpResponse>, action: &str) -> SsoError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let (kind, code, detail) = match &error {
        SdkError::ServiceError(service) => {
            let err = service.err();
            let code = err.code().map(str::to_owned);
            let detail = err
                .message()
                .map(str::to_owned)
                .unwrap_or_else(|| "no message".to_owned());
            let kind = match code.as_deref() {
                Some("AuthorizationPendingException" | "authorization_pending") => {
                    SsoErrorKind::Pending
                }
                Some("SlowDownException" | "slow_down") => SsoErrorKind::SlowDown,
                Some("ExpiredTokenException" | "expired_token") => SsoErrorKind::Expired,
                Some("AccessDeniedException" | "access_denied") => SsoErrorKind::Denied,
                Some("InvalidGrantException" | "invalid_grant") => SsoErrorKind::InvalidGrant,
                Some("UnauthorizedException") => SsoErrorKind::Unauthorized,
                Some("TooManyRequestsException" | "ThrottlingException") => SsoErrorKind::Throttled,
                Some("InternalServerException") => SsoErrorKind::ServerError,
                _ => match service.raw().status().as_u16() {
                    401 => SsoErrorKind::Unauthorized,
                    429 => SsoErrorKind::Throttled,
                    500..=599 => SsoErrorKind::ServerError,
                    _ => SsoErrorKind::Other,
                },
            };
            (kind, code, detail)
        }
        SdkError::TimeoutError(_) => (SsoErrorKind::Timeout, None, "no answer".to_owned()),
        SdkError::DispatchFailure(failure) => {
            let kind = if failure.is_timeout() {
                SsoErrorKind::Timeout
            } else {
                SsoErrorKind::Unreachable
            };
            (kind, None, chain_text(&error))
        }
        SdkError::ResponseError(response) => {
            let kind = match response.raw().status().as_u16() {
                401 => SsoErrorKind::Unauthorized,
                429 => SsoErrorKind::Throttled,
                500..=599 => SsoErrorKind::ServerError,
                _ => SsoErrorKind::Other,
            };
            (kind, None, chain_text(&error))
        }
        _ => (SsoErrorKind::Other, None, chain_text(&error)),
    };
    SsoError {
        kind,
        code,
        detail,
        action: action.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::MapEnv;

    #[test]
    fn endpoints_follow_the_sdks_variables() {
        let env = MapEnv::default()
            .with("AWS_ENDPOINT_URL", "http://127.0.0.1:9/all")
            .with("AWS_ENDPOINT_URL_SSO", "http://127.0.0.1:7");
        let e = SsoEndpoints::from_env(&env, "eu-west-1");
        assert_eq!(e.portal.as_deref(), Some("http://127.0.0.1:7"));
        assert_eq!(e.oidc.as_deref(), Some("http://127.0.0.1:9/all"));
        // The path of an override is dropped for /authorize, as the AWS CLI drops it.
        assert_eq!(e.authorize_url(), "http://127.0.0.1:9/authorize");
        let ignored = SsoEndpoints::from_env(
            &env.with("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
            "eu-west-1",
        );
        assert_eq!(ignored.portal, None);
        assert_eq!(
            ignored.authorize_url(),
            "https://oidc.eu-west-1.amazonaws.com/authorize"
        );
    }
}
