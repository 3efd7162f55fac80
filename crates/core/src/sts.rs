//! Calls to AWS STS through `aws-sdk-sts`, and STS failures in words.
//!
//! The endpoint follows the AWS tools' variables: `AWS_ENDPOINT_URL_STS`, then `AWS_ENDPOINT_URL`,
//! both ignored when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`. This module owns every STS call;
//! nothing else builds an STS client.

use std::fmt;
use std::time::{Duration, SystemTime};

use aws_sdk_sts::config::{BehaviorVersion, Region};
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use crate::credentials::Credentials;
use crate::env::Env;
use crate::resolve::StaticKeys;
use crate::secret::Secret;

/// Where and how to reach STS.
#[derive(Debug, Clone)]
pub struct StsSettings {
    pub region: String,
    pub endpoint_url: Option<String>,
    pub timeout: Duration,
}

impl StsSettings {
    pub fn from_env(env: &dyn Env, region: Option<&str>) -> Self {
        Self {
            region: region_from_env(env, region),
            endpoint_url: endpoint_from_env(env, "AWS_ENDPOINT_URL_STS"),
            timeout: Duration::from_secs(10),
        }
    }
}

/// `region`, else `AWS_REGION`, else `AWS_DEFAULT_REGION`, else `us-east-1`.
pub(crate) fn region_from_env(env: &dyn Env, region: Option<&str>) -> String {
    region
        .map(str::to_owned)
        .or_else(|| env.non_empty("AWS_REGION"))
        .or_else(|| env.non_empty("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|| "us-east-1".to_owned())
}

/// A service's endpoint as the AWS tools choose it: `service_var` (`AWS_ENDPOINT_URL_STS`), then
/// `AWS_ENDPOINT_URL`, neither when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`.
pub(crate) fn endpoint_from_env(env: &dyn Env, service_var: &str) -> Option<String> {
    let ignore = env
        .var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if ignore {
        return None;
    }
    env.non_empty(service_var)
        .or_else(|| env.non_empty("AWS_ENDPOINT_URL"))
}

/// What an `AssumeRole` call asks for.
#[derive(Debug, Clone)]
pub struct AssumeRoleRequest {
    pub role_arn: String,
    pub session_name: String,
    pub external_id: Option<String>,
    pub duration: Option<Duration>,
    pub mfa: Option<(String, Secret)>,
}

/// What a `GetSessionToken` call asks for: an MFA session (with a code) for the caller's long-term
/// keys.
#[derive(Debug, Clone)]
pub struct SessionTokenRequest {
    /// `None`: STS's default of 12 h.
    pub duration: Option<Duration>,
    /// The MFA device and its current code.
    pub mfa: Option<(String, Secret)>,
}

/// `GetSessionToken`'s bounds: 15 min to 36 h.
pub const MIN_SESSION_TOKEN_DURATION: Duration = Duration::from_secs(900);
pub const MAX_SESSION_TOKEN_DURATION: Duration = Duration::from_secs(36 * 3600);
/// What RoleKeeper asks for when nothing says otherwise (STS's own default).
pub const DEFAULT_SESSION_TOKEN_DURATION: Duration = Duration::from_secs(12 * 3600);

pub fn validate_session_token_duration(d: Duration) -> Result<(), String> {
    if d < MIN_SESSION_TOKEN_DURATION || d > MAX_SESSION_TOKEN_DURATION {
        return Err(format!(
            "an MFA session lasts from {} s (15 min) to {} s (36 h)",
            MIN_SESSION_TOKEN_DURATION.as_secs(),
            MAX_SESSION_TOKEN_DURATION.as_secs()
        ));
    }
    Ok(())
}

/// An STS failure, classified so callers can decide whether to retry and users know what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StsErrorKind {
    /// The caller may not do this (AccessDenied, a trust policy, a wrong ExternalId or MFA code).
    AccessDenied,
    /// The source keys are unknown, wrong, or expired.
    InvalidCredentials,
    /// Asked for longer than the role allows.
    DurationTooLong,
    /// A request STS refuses (ValidationError and similar).
    InvalidRequest,
    /// Throttled: retry later.
    Throttled,
    /// STS had a problem (5xx).
    ServerError,
    /// STS could not be reached (connection refused, DNS, TLS).
    Unreachable,
    /// No answer in time.
    Timeout,
    /// Anything else.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsError {
    pub kind: StsErrorKind,
    /// The STS error code, when STS sent one (e.g. `AccessDenied`).
    pub code: Option<String>,
    /// STS's own message or the transport error, in words.
    pub detail: String,
    /// The action that failed, e.g. `AssumeRole arn:aws:iam::123456789012:role/Admin`.
    pub action: String,
}

impl StsError {
    /// Worth retrying later without the user doing anything.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind,
            StsErrorKind::Throttled
                | StsErrorKind::ServerError
                | StsErrorKind::Unreachable
                | StsErrorKind::Timeout
        )
    }

    /// STS refused the MFA code itself (an AccessDenied whose message says so).
    pub fn is_mfa_code_rejected(&self) -> bool {
        self.kind == StsErrorKind::AccessDenied
            && self.detail.contains("MultiFactorAuthentication failed")
    }

    fn advice(&self) -> &'static str {
        match self.kind {
            StsErrorKind::AccessDenied if self.is_mfa_code_rejected() => {
                "STS rejected the MFA code; wait for the next code on your device and enter that"
            }
            StsErrorKind::AccessDenied => {
                "check the role's trust policy, the external_id and the MFA code"
            }
            StsErrorKind::InvalidCredentials => {
                "the source keys are wrong or expired; replace them"
            }
            StsErrorKind::DurationTooLong => {
                "ask for a shorter duration or raise the role's MaxSessionDuration"
            }
            StsErrorKind::InvalidRequest => "fix the profile's settings",
            StsErrorKind::Throttled => "STS is throttling requests; try again later",
            StsErrorKind::ServerError => "STS had an internal error; try again shortly",
            StsErrorKind::Unreachable => "check the network, the region and AWS_ENDPOINT_URL_STS",
            StsErrorKind::Timeout => "STS did not answer in time; check the network and try again",
            StsErrorKind::Other => "try again; if it persists, run `rolekeeper doctor`",
        }
    }
}

impl fmt::Display for StsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "STS {} failed: ", self.action)?;
        if let Some(code) = &self.code {
            write!(f, "{code}: ")?;
        }
        write!(f, "{}; {}", self.detail, self.advice())
    }
}

impl std::error::Error for StsError {}

/// An STS client bound to one set of caller credentials.
#[derive(Debug, Clone)]
pub struct Sts {
    client: aws_sdk_sts::Client,
}

impl Sts {
    pub fn new(settings: &StsSettings, caller: &Credentials) -> Self {
        let config = config_builder(settings)
            .credentials_provider(sdk_credentials(caller))
            .timeout_config(timeouts(settings.timeout))
            .build();
        Self {
            client: aws_sdk_sts::Client::from_conf(config),
        }
    }

    pub fn from_keys(settings: &StsSettings, keys: &StaticKeys) -> Self {
        Self::new(
            settings,
            &Credentials {
                access_key_id: keys.access_key_id.clone(),
                secret_access_key: keys.secret_access_key.clone(),
                session_token: keys.session_token.clone(),
                expiration: None,
            },
        )
    }

    pub async fn assume_role(&self, request: &AssumeRoleRequest) -> Result<Credentials, StsError> {
        let action = format!("AssumeRole {}", request.role_arn);
        let mut call = self
            .client
            .assume_role()
            .role_arn(&request.role_arn)
            .role_session_name(&request.session_name)
            .set_external_id(request.external_id.clone())
            .set_duration_seconds(seconds(request.duration));
        if let Some((serial, code)) = &request.mfa {
            call = call.serial_number(serial).token_code(code.expose());
        }
        let output = call.send().await.map_err(|e| classify(e, &action))?;
        to_credentials(output.credentials(), &action)
    }

    /// An MFA session for the caller's long-term keys. The duration is checked here, before any
    /// call, so a bad value is reported in RoleKeeper's words rather than STS's.
    pub async fn get_session_token(
        &self,
        request: &SessionTokenRequest,
    ) -> Result<Credentials, StsError> {
        let action = match &request.mfa {
            Some((serial, _)) => format!("GetSessionToken with MFA device {serial}"),
            None => "GetSessionToken".to_owned(),
        };
        if let Some(d) = request.duration {
            validate_session_token_duration(d).map_err(|detail| StsError {
                kind: StsErrorKind::InvalidRequest,
                code: None,
                detail,
                action: action.clone(),
            })?;
        }
        let mut call = self
            .client
            .get_session_token()
            .set_duration_seconds(seconds(request.duration));
        if let Some((serial, code)) = &request.mfa {
            call = call.serial_number(serial).token_code(code.expose());
        }
        let output = call.send().await.map_err(|e| classify(e, &action))?;
        to_credentials(output.credentials(), &action)
    }
}

/// `caller` as the AWS SDKs take credentials (the same type for every service client).
pub(crate) fn sdk_credentials(caller: &Credentials) -> aws_sdk_sts::config::Credentials {
    aws_sdk_sts::config::Credentials::new(
        caller.access_key_id.clone(),
        caller.secret_access_key.expose().to_owned(),
        caller.session_token.as_ref().map(|t| t.expose().to_owned()),
        caller.expiration,
        "rolekeeper",
    )
}

/// A call's timeouts: `operation` in all, 3 s to connect.
pub(crate) fn timeouts(operation: Duration) -> aws_sdk_sts::config::timeout::TimeoutConfig {
    aws_sdk_sts::config::timeout::TimeoutConfig::builder()
        .operation_timeout(operation)
        .connect_timeout(Duration::from_secs(3))
        .build()
}

/// Who a set of keys belongs to, as `GetCallerIdentity` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    pub account: String,
    /// `arn:aws:iam::123456789012:user/alice` for an IAM user's keys.
    pub arn: String,
}

impl Sts {
    /// `GetCallerIdentity`: whose keys these are. It needs no permission, so it answers for any
    /// key AWS knows and has activated.
    pub async fn caller_identity(&self) -> Result<CallerIdentity, StsError> {
        let action = "GetCallerIdentity";
        let output = self
            .client
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| classify(e, action))?;
        match (output.account(), output.arn()) {
            (Some(account), Some(arn)) => Ok(CallerIdentity {
                account: account.to_owned(),
                arn: arn.to_owned(),
            }),
            _ => Err(StsError {
                kind: StsErrorKind::Other,
                code: None,
                detail: "the answer had no account or ARN".to_owned(),
                action: action.to_owned(),
            }),
        }
    }
}

impl Sts {
    /// A federation token for the caller's long-term keys (an IAM user): a session named
    /// `name` (at most 32 characters), with `policy` and lasting `duration`.
    pub async fn get_federation_token(
        &self,
        name: &str,
        policy: &str,
        duration: Duration,
    ) -> Result<Credentials, StsError> {
        let action = format!("GetFederationToken {name}");
        let output = self
            .client
            .get_federation_token()
            .name(name)
            .policy(policy)
            .set_duration_seconds(seconds(Some(duration)))
            .send()
            .await
            .map_err(|e| classify(e, &action))?;
        to_credentials(output.credentials(), &action)
    }
}

/// The client configuration every STS client starts from: region, endpoint, and for an
/// `http://` endpoint a plain HTTP client.
fn config_builder(settings: &StsSettings) -> aws_sdk_sts::config::Builder {
    let mut builder = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(settings.region.clone()));
    if let Some(url) = &settings.endpoint_url {
        builder = builder.endpoint_url(url.clone());
        if is_plain_http(url) {
            builder = builder.http_client(plain_http_client());
        }
    }
    builder
}

pub(crate) fn is_plain_http(url: &str) -> bool {
    url.get(..7)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"))
}

/// The SDK's default client without TLS, for an `http://` endpoint (moto, a local proxy). The
/// default one loads the system's root certificates and sets up rustls when it first connects,
/// even for `http://`: on Debian that is ~290 PEM files parsed, most of a cold `export`'s own
/// time. Everything else is as in the default (connect and read timeouts, the runtime's sleep,
/// HTTP_PROXY/NO_PROXY from the environment).
pub(crate) fn plain_http_client() -> aws_sdk_sts::config::SharedHttpClient {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::{Builder, ConnectorBuilder};
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector = ConnectorBuilder::default();
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build_http()
    })
}

/// What one request to STS said of the time (`rolekeeper doctor`'s clock check).
#[derive(Debug)]
pub struct DateProbe {
    /// Where the request went (scheme, host and port), or where it would have gone.
    pub endpoint: String,
    /// The `Date` header of STS's answer; `Ok(None)` when the answer had none or an unreadable
    /// one; `Err` when no answer came at all.
    pub date: Result<Option<SystemTime>, StsError>,
}

/// One unsigned `GetCallerIdentity`, no retries, to read the `Date` header of STS's answer.
/// Every HTTP answer carries one, a refusal (`MissingAuthenticationToken`) too, so no keys are
/// needed and none are sent. The header is read by an interceptor before the answer is
/// deserialised.
pub async fn probe_date(settings: &StsSettings) -> DateProbe {
    let seen = date_probe::Seen::default();
    let config = config_builder(settings)
        .allow_no_auth()
        .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
        .timeout_config(timeouts(Duration::from_secs(5)))
        .interceptor(seen.clone())
        .build();
    let client = aws_sdk_sts::Client::from_conf(config);
    let sent = client.get_caller_identity().send().await;
    let (uri, answered, header) = seen.take();
    let endpoint = uri
        .or_else(|| settings.endpoint_url.clone())
        .unwrap_or_else(|| format!("STS in {}", settings.region));
    let date = match (sent, answered) {
        (_, true) => Ok(header.as_deref().and_then(date_probe::parse_http_date)),
        (Err(e), false) => Err(classify(e, "GetCallerIdentity")),
        (Ok(_), false) => Ok(None),
    };
    DateProbe { endpoint, date }
}

mod date_probe {
    use std::sync::{Arc, Mutex};
    use std::time::SystemTime;

    use aws_smithy_runtime_api::box_error::BoxError;
    use aws_smithy_runtime_api::client::interceptors::context::{
        BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    };
    use aws_smithy_runtime_api::client::interceptors::Intercept;
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
    use aws_smithy_types::config_bag::ConfigBag;
    use aws_smithy_types::date_time::{DateTime, Format};

    #[derive(Debug, Default)]
    struct Found {
        /// The request's scheme, host and port.
        uri: Option<String>,
        answered: bool,
        date: Option<String>,
    }

    /// Records where the request goes and the `Date` of the answer.
    #[derive(Debug, Clone, Default)]
    pub(super) struct Seen(Arc<Mutex<Found>>);

    impl Seen {
        pub(super) fn take(&self) -> (Option<String>, bool, Option<String>) {
            match self.0.lock() {
                Ok(mut found) => {
                    let found = std::mem::take(&mut *found);
                    (found.uri, found.answered, found.date)
                }
                Err(_) => (None, false, None),
            }
        }

        fn update(&self, f: impl FnOnce(&mut Found)) {
            if let Ok(mut found) = self.0.lock() {
                f(&mut found);
            }
        }
    }

    impl Intercept for Seen {
        fn name(&self) -> &'static str {
            "RoleKeeperDateProbe"
        }

        fn read_before_transmit(
            &self,
            context: &BeforeTransmitInterceptorContextRef<'_>,
            _: &RuntimeComponents,
            _: &mut ConfigBag,
        ) -> Result<(), BoxError> {
            // Scheme, host and port only: an endpoint URL could carry a path or a query.
            let uri = context.request().uri();
            let origin = match uri.split_once("://") {
                Some((scheme, rest)) => {
                    let host = rest.split(['/', '?']).next().unwrap_or(rest);
                    format!("{scheme}://{host}")
                }
                None => uri.to_owned(),
            };
            self.update(|found| found.uri = Some(origin));
            Ok(())
        }

        fn read_before_deserialization(
            &self,
            context: &BeforeDeserializationInterceptorContextRef<'_>,
            _: &RuntimeComponents,
            _: &mut ConfigBag,
        ) -> Result<(), BoxError> {
            let date = context.response().headers().get("date").map(str::to_owned);
            self.update(|found| {
                found.answered = true;
                found.date = date;
            });
            Ok(())
        }
    }

    /// `Tue, 15 Nov 1994 08:12:31 GMT` (RFC 9110's IMF-fixdate).
    pub(super) fn parse_http_date(text: &str) -> Option<SystemTime> {
        let t = DateTime::from_str(text.trim(), Format::HttpDate).ok()?;
        SystemTime::try_from(t).ok()
    }

    #[cfg(test)]
    mod tests {
        use std::time::{Duration, UNIX_EPOCH};

        use super::parse_http_date;

        #[test]
        fn http_dates() {
            assert_eq!(
                parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
                Some(UNIX_EPOCH + Duration::from_secs(784_111_777))
            );
            assert_eq!(parse_http_date("yesterday"), None);
        }
    }
}

/// `DurationSeconds` as the SDK takes it (validated durations always fit).
fn seconds(duration: Option<Duration>) -> Option<i32> {
    duration.map(|d| i32::try_from(d.as_secs()).unwrap_or(i32::MAX))
}

fn to_credentials(
    c: Option<&aws_sdk_sts::types::Credentials>,
    action: &str,
) -> Result<Credentials, StsError> {
    let c = c.ok_or_else(|| StsError {
        kind: StsErrorKind::Other,
        code: None,
        detail: "the answer had no credentials".to_owned(),
        action: action.to_owned(),
    })?;
    Ok(Credentials {
        access_key_id: c.access_key_id().to_owned(),
        secret_access_key: Secret::new(c.secret_access_key()),
        session_token: Some(Secret::new(c.session_token())),
        expiration: SystemTime::try_from(*c.expiration()).ok(),
    })
}

fn classify<E>(error: SdkError<E, HttpResponse>, action: &str) -> StsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let (kind, code, detail) = match failure(error) {
        Failure::Service {
            code,
            message,
            status,
        } => {
            let kind = match code.as_deref() {
                Some("AccessDenied") => StsErrorKind::AccessDenied,
                Some(
                    "InvalidClientTokenId"
                    | "SignatureDoesNotMatch"
                    | "ExpiredToken"
                    | "UnrecognizedClientException",
                ) => StsErrorKind::InvalidCredentials,
                Some(code) if THROTTLING_CODES.contains(&code) => StsErrorKind::Throttled,
                Some("RequestTimeout" | "RequestTimeoutException") => StsErrorKind::Timeout,
                Some(
                    "ValidationError"
                    | "MalformedPolicyDocument"
                    | "PackedPolicyTooLarge"
                    | "RegionDisabledException",
                ) if message
                    .as_deref()
                    .is_some_and(|m| m.contains("DurationSeconds")) =>
                {
                    StsErrorKind::DurationTooLong
                }
                Some(
                    "ValidationError"
                    | "MalformedPolicyDocument"
                    | "PackedPolicyTooLarge"
                    | "RegionDisabledException",
                ) => StsErrorKind::InvalidRequest,
                _ => status_kind(status),
            };
            (
                kind,
                code,
                message.unwrap_or_else(|| "no message from STS".to_owned()),
            )
        }
        Failure::Timeout(detail) => (StsErrorKind::Timeout, None, detail),
        Failure::Unreachable(detail) => (StsErrorKind::Unreachable, None, detail),
        Failure::Response { status, detail } => (status_kind(status), None, detail),
        Failure::Other(detail) => (StsErrorKind::Other, None, detail),
    };
    StsError {
        kind,
        code,
        detail,
        action: action.to_owned(),
    }
}

/// What the SDK says of a failed call, before a service's own classification (STS here, IAM in
/// `iam.rs`) names its kind.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The service answered with an error: its code, its message (trimmed: STS ends some with a
    /// space) and the HTTP status.
    Service {
        code: Option<String>,
        message: Option<String>,
        status: u16,
    },
    /// No answer in time.
    Timeout(String),
    /// No connection (refused, DNS, TLS).
    Unreachable(String),
    /// An answer that could not be read.
    Response {
        status: u16,
        detail: String,
    },
    Other(String),
}

pub(crate) fn failure<E>(error: SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match &error {
        SdkError::ServiceError(service) => {
            let e = service.err();
            Failure::Service {
                code: e.code().map(str::to_owned),
                message: e.message().map(|m| m.trim().to_owned()),
                status: service.raw().status().as_u16(),
            }
        }
        SdkError::TimeoutError(_) => Failure::Timeout("no answer before the timeout".to_owned()),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            Failure::Timeout(chain_text(&error))
        }
        SdkError::DispatchFailure(_) => Failure::Unreachable(chain_text(&error)),
        SdkError::ResponseError(response) => Failure::Response {
            status: response.raw().status().as_u16(),
            detail: chain_text(&error),
        },
        _ => Failure::Other(chain_text(&error)),
    }
}

/// The codes the SDK's retry classifier treats as throttling (aws-runtime's `THROTTLING_ERRORS`),
/// so what the SDK retried as throttling is reported as throttling.
pub(crate) const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// Classify by HTTP status when STS sent no usable error code (moto's auth errors, proxies).
fn status_kind(status: u16) -> StsErrorKind {
    match status {
        403 => StsErrorKind::AccessDenied,
        429 => StsErrorKind::Throttled,
        500..=599 => StsErrorKind::ServerError,
        400..=499 => StsErrorKind::InvalidRequest,
        _ => StsErrorKind::Other,
    }
}

/// The error and its sources, joined, without Debug noise.
pub(crate) fn chain_text(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod session_token_tests {
    use super::*;

    #[test]
    fn session_token_durations_are_15_min_to_36_h() {
        for (seconds, ok) in [
            (899, false),
            (900, true),
            (12 * 3600, true),
            (36 * 3600, true),
            (36 * 3600 + 1, false),
        ] {
            let got = validate_session_token_duration(Duration::from_secs(seconds));
            assert_eq!(got.is_ok(), ok, "{seconds}: {got:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sts::operation::assume_role::AssumeRoleError;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    /// An STS error answer as the SDK hands it over.
    fn service_error(status: u16, code: &str, message: &str) -> StsError {
        let err =
            AssumeRoleError::generic(ErrorMetadata::builder().code(code).message(message).build());
        let raw = HttpResponse::new(status.try_into().unwrap(), SdkBody::empty());
        classify(
            SdkError::service_error(err, raw),
            "AssumeRole arn:aws:iam::123456789012:role/R",
        )
    }

    #[test]
    fn errors_are_classified_by_code_then_status() {
        let cases = [
            (400, "Throttling", "Rate exceeded", StsErrorKind::Throttled),
            (400, "ThrottlingException", "x", StsErrorKind::Throttled),
            (400, "RequestLimitExceeded", "x", StsErrorKind::Throttled),
            (503, "SlowDown", "x", StsErrorKind::Throttled),
            (500, "InternalFailure", "x", StsErrorKind::ServerError),
            (503, "ServiceUnavailable", "x", StsErrorKind::ServerError),
            (403, "AccessDenied", "x", StsErrorKind::AccessDenied),
            (400, "ExpiredToken", "x", StsErrorKind::InvalidCredentials),
            (
                403,
                "InvalidClientTokenId",
                "x",
                StsErrorKind::InvalidCredentials,
            ),
            (408, "RequestTimeout", "x", StsErrorKind::Timeout),
            (
                400,
                "ValidationError",
                "DurationSeconds exceeds the MaxSessionDuration",
                StsErrorKind::DurationTooLong,
            ),
            (400, "ValidationError", "x", StsErrorKind::InvalidRequest),
            (403, "SomethingNew", "x", StsErrorKind::AccessDenied),
            (502, "SomethingNew", "x", StsErrorKind::ServerError),
        ];
        for (status, code, message, kind) in cases {
            let e = service_error(status, code, message);
            assert_eq!(e.kind, kind, "{status} {code}");
            assert_eq!(e.code.as_deref(), Some(code));
            assert_eq!(
                e.is_transient(),
                matches!(
                    kind,
                    StsErrorKind::Throttled | StsErrorKind::ServerError | StsErrorKind::Timeout
                ),
                "{code}"
            );
        }
    }

    #[test]
    fn only_an_http_endpoint_skips_tls() {
        for (url, plain) in [
            ("http://127.0.0.1:5000", true),
            ("HTTP://localhost", true),
            ("https://sts.eu-west-1.amazonaws.com", false),
            ("http", false),
            ("", false),
        ] {
            assert_eq!(is_plain_http(url), plain, "{url}");
        }
    }

    #[test]
    fn throttling_says_to_try_later() {
        let e = service_error(400, "Throttling", "Rate exceeded");
        assert_eq!(
            e.to_string(),
            "STS AssumeRole arn:aws:iam::123456789012:role/R failed: Throttling: Rate exceeded; \
             STS is throttling requests; try again later"
        );
    }

    #[test]
    fn a_rejected_mfa_code_is_said_in_words() {
        let e = service_error(
            403,
            "AccessDenied",
            "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
        );
        assert_eq!(e.kind, StsErrorKind::AccessDenied);
        assert!(e.is_mfa_code_rejected());
        assert!(!e.is_transient());
        assert!(
            e.to_string().ends_with(
                "STS rejected the MFA code; wait for the next code on your device and enter that"
            ),
            "{e}"
        );
        let denied = service_error(403, "AccessDenied", "User: x is not authorized");
        assert!(!denied.is_mfa_code_rejected());
        assert!(denied
            .to_string()
            .ends_with("check the role's trust policy, the external_id and the MFA code"));
    }
}
