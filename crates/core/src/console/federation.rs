//! The one call to AWS's federation endpoint: `getSigninToken`, over the SDK's own HTTP client
//! (plain HTTP for an `http://` endpoint, rustls otherwise; the proxy variables honoured).
//!
//! The request's query carries the session's keys and the answer a sign-in token: neither is
//! logged, and an error names only the endpoint (without its query) and what went wrong.

use std::fmt;
use std::time::Duration;

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_smithy_http_client::Connector;
use aws_smithy_runtime_api::client::http::HttpConnector;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::byte_stream::ByteStream;

use crate::secret::Secret;

/// How long the endpoint has to answer, connection included.
const TIMEOUT: Duration = Duration::from_secs(15);

/// The federation endpoint did not give a sign-in token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FederationError {
    /// The endpoint, without a query.
    pub endpoint: String,
    pub kind: FederationErrorKind,
    /// What happened, in words (never the request or the answer's token).
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FederationErrorKind {
    /// No connection, or no answer in time.
    Unreachable,
    /// An answer other than 200 (AWS says 400 "Invalid credentials parameter" for a session it
    /// refuses).
    Refused,
    /// The endpoint had a problem (5xx).
    ServerError,
    /// A 200 without a sign-in token.
    BadAnswer,
    /// The endpoint is not a URL (`ROLEKEEPER_SIGNIN_ENDPOINT`).
    BadEndpoint,
}

impl FederationError {
    /// `endpoint` cannot be asked: `detail` says why.
    pub fn bad_endpoint(endpoint: &str, detail: String) -> Self {
        Self {
            endpoint: endpoint.to_owned(),
            kind: FederationErrorKind::BadEndpoint,
            detail,
        }
    }
}

impl fmt::Display for FederationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let advice = match self.kind {
            FederationErrorKind::Unreachable => {
                "check the network (and ROLEKEEPER_SIGNIN_ENDPOINT, if set) and try again"
            }
            FederationErrorKind::Refused => {
                "the session may have expired or been revoked: run `rolekeeper login` for the \
                 profile and try again"
            }
            FederationErrorKind::ServerError => "AWS sign-in had a problem; try again shortly",
            FederationErrorKind::BadAnswer => {
                "is ROLEKEEPER_SIGNIN_ENDPOINT (if set) AWS's federation endpoint?"
            }
            FederationErrorKind::BadEndpoint => {
                "set ROLEKEEPER_SIGNIN_ENDPOINT to an http:// or https:// URL, or unset it"
            }
        };
        write!(
            f,
            "the AWS sign-in endpoint {} gave no console sign-in token: {}; {advice}",
            self.endpoint, self.detail
        )
    }
}

/// `GET request` (a `getSigninToken` URL) and the `SigninToken` of the answer.
pub(crate) async fn signin_token(request: &Secret) -> Result<Secret, FederationError> {
    let url = request.expose();
    let endpoint = url.split('?').next().unwrap_or_default().to_owned();
    let fail = |kind, detail: String| FederationError {
        endpoint: endpoint.clone(),
        kind,
        // Whatever an error says, never the query (the session's keys).
        detail: scrub(&detail, url),
    };
    let http = HttpRequest::get(url)
        .map_err(|e| fail(FederationErrorKind::BadEndpoint, format!("not a URL ({e})")))?;
    let connector = connector(url);
    let sent = tokio::time::timeout(TIMEOUT, async {
        let answer = connector
            .call(http)
            .await
            .map_err(|e| fail(FederationErrorKind::Unreachable, crate::sts::chain_text(&e)))?;
        let status = answer.status().as_u16();
        let body = ByteStream::new(answer.into_body())
            .collect()
            .await
            .map_err(|e| fail(FederationErrorKind::Unreachable, e.to_string()))?
            .into_bytes();
        Ok::<_, FederationError>((status, body))
    })
    .await
    .map_err(|_| {
        fail(
            FederationErrorKind::Unreachable,
            format!("no answer within {} s", TIMEOUT.as_secs()),
        )
    })??;
    let (status, body) = sent;
    if status != 200 {
        let text = String::from_utf8_lossy(&body);
        let text: String = text.trim().chars().take(200).collect();
        let kind = if status >= 500 {
            FederationErrorKind::ServerError
        } else {
            FederationErrorKind::Refused
        };
        return Err(fail(
            kind,
            if text.is_empty() {
                format!("HTTP {status}")
            } else {
                format!("HTTP {status} {text:?}")
            },
        ));
    }
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(rename = "SigninToken")]
        signin_token: String,
    }
    match serde_json::from_slice::<Answer>(&body) {
        Ok(answer) if !answer.signin_token.is_empty() => Ok(Secret::new(answer.signin_token)),
        _ => Err(fail(
            FederationErrorKind::BadAnswer,
            "the answer has no SigninToken".to_owned(),
        )),
    }
}

fn connector(url: &str) -> Connector {
    let builder = Connector::builder().proxy_config(ProxyConfig::from_env());
    if crate::sts::is_plain_http(url) {
        builder.build_http()
    } else {
        builder
            .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
            .build()
    }
}

/// `text` without `url`'s query, should an error quote the request.
fn scrub(text: &str, url: &str) -> String {
    match url.split_once('?') {
        Some((_, query)) if !query.is_empty() => text.replace(query, "<query>"),
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_never_quotes_the_query() {
        let url = "https://signin.example/federation?Action=getSigninToken&Session=SECRETKEY";
        assert_eq!(
            scrub(&format!("error sending request for {url}"), url),
            "error sending request for https://signin.example/federation?<query>"
        );
    }

    #[tokio::test]
    async fn an_endpoint_that_does_not_listen_is_unreachable() {
        // A port nothing listens on: bound, then closed.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(9);
        let request = Secret::new(format!(
            "http://127.0.0.1:{port}/federation?Action=getSigninToken&Session=SECRETKEY"
        ));
        let error = signin_token(&request).await.err();
        let error = error.as_ref().map(ToString::to_string).unwrap_or_default();
        assert!(
            error.contains(&format!("http://127.0.0.1:{port}/federation")),
            "{error}"
        );
        assert!(error.contains("check the network"), "{error}");
        assert!(!error.contains("SECRETKEY"), "{error}");
    }
}
