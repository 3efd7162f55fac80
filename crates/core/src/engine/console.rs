//! The façade's AWS console sign-in (`rolekeeper console`, the tray's and the manager's "Open
//! console"): which credentials, from the one serving order; the federation endpoint; the
//! browser. The decisions are `crate::console`'s, as data.

use super::{CredentialRequest, Engine, MfaPrompt};
use crate::console::{
    self, ConsoleKind, ConsoleRequest, ConsoleSignIn, ConsoleTarget, FederationError,
    ALLOW_ALL_POLICY, DEFAULT_FEDERATION_DURATION, NO_MFA_CONTEXT_NOTE,
};
use crate::credentials::Credentials;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::snapshot::Snapshot;
use crate::sts::{Sts, StsSettings};

impl Engine {
    /// What opening the console for `name` needs, from its plan alone (no network, no
    /// keychain), with `request`'s length checked for it: the first step of every caller.
    pub fn console_target(
        &self,
        snapshot: &Snapshot,
        name: &str,
        request: &ConsoleRequest,
    ) -> Result<ConsoleTarget> {
        let plan = snapshot.plan(name)?;
        let kind = console::console_kind(&plan).map_err(|why| Error::ConsoleRefused {
            profile: name.to_owned(),
            why: why.to_owned(),
        })?;
        if let Some(d) = request.duration {
            console::validate_duration(kind, d).map_err(|why| Error::InvalidDuration {
                seconds: d.as_secs(),
                why,
            })?;
        }
        let region = console::region_of(&plan, snapshot.env());
        let partition = match &region {
            Some(region) => console::partition_of(&plan, region),
            None => console::partition_of(&plan, ""),
        };
        let browser = snapshot
            .profiles()
            .ok()
            .and_then(|set| set.get(name))
            .and_then(|p| p.text(console::BROWSER_KEY))
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned);
        Ok(ConsoleTarget {
            profile: name.to_owned(),
            kind,
            partition,
            region: region.unwrap_or_else(|| partition.default_region().to_owned()),
            browser,
        })
    }

    /// The credentials the console signs in with, outside a running loop: a session in the one
    /// serving order (an active session is used as it is, no AssumeRole), or an IAM user's
    /// long-term keys (from the keychain or the profile). The desktop asks its loop for a
    /// session instead (`EngineClient::serve`), and this for keys.
    pub async fn console_credentials(
        &self,
        snapshot: &Snapshot,
        target: &ConsoleTarget,
        mfa: &dyn MfaPrompt,
    ) -> Result<Credentials> {
        match target.kind {
            ConsoleKind::Session { .. } => {
                self.serve(
                    snapshot,
                    &target.profile,
                    &CredentialRequest::default(),
                    mfa,
                )
                .await
            }
            ConsoleKind::IamUser => self.console_keys(snapshot, target, mfa).await,
        }
    }

    /// An IAM user's long-term keys for the console.
    pub async fn console_keys(
        &self,
        snapshot: &Snapshot,
        target: &ConsoleTarget,
        mfa: &dyn MfaPrompt,
    ) -> Result<Credentials> {
        let request = CredentialRequest {
            long_term_keys: true,
            ..CredentialRequest::default()
        };
        Ok(self
            .obtain(snapshot, &target.profile, &request, mfa)
            .await?
            .credentials)
    }

    /// Sign in to the console with `credentials` (an IAM user's keys are exchanged for a
    /// federation token first): the login URL, which carries the sign-in token.
    pub async fn console_sign_in(
        &self,
        target: &ConsoleTarget,
        credentials: &Credentials,
        request: &ConsoleRequest,
    ) -> Result<ConsoleSignIn> {
        let profile = &target.profile;
        let mut notes = Vec::new();
        let federated;
        let session = match target.kind {
            ConsoleKind::Session { .. } => credentials,
            ConsoleKind::IamUser => {
                let settings = StsSettings::from_env(self.env(), Some(&target.region));
                let name = console::federated_user_name(profile);
                let duration = request.duration.unwrap_or(DEFAULT_FEDERATION_DURATION);
                tracing::debug!(profile = %profile, federated_user = %name, ?duration, "getting a federation token");
                federated = Sts::new(&settings, credentials)
                    .get_federation_token(&name, ALLOW_ALL_POLICY, duration)
                    .await
                    .map_err(|cause| Error::Sts {
                        profile: profile.clone(),
                        cause,
                    })?;
                notes.push(NO_MFA_CONTEXT_NOTE.to_owned());
                &federated
            }
        };
        if session.session_token.is_none() {
            return Err(Error::ConsoleRefused {
                profile: profile.clone(),
                why: "its credentials are long-term keys, not a session".to_owned(),
            });
        }
        let (session_duration, note) = console::session_duration(target.kind, request.duration);
        notes.extend(note);
        let endpoint = console::federation_endpoint(self.env(), target.partition);
        let bad_endpoint = |why: String| Error::Federation {
            profile: profile.clone(),
            cause: FederationError::bad_endpoint(&endpoint, why),
        };
        let token_request = console::token_request_url(&endpoint, session, session_duration)
            .map_err(bad_endpoint)?;
        tracing::debug!(profile = %profile, kind = ?target.kind, partition = ?target.partition, session_duration = ?session_duration, "asking for a console sign-in token");
        let token: Secret = console::federation::signin_token(&token_request)
            .await
            .map_err(|cause| Error::Federation {
                profile: profile.clone(),
                cause,
            })?;
        let destination = request
            .destination
            .resolve(target.partition, &target.region);
        let url = console::login_url(&endpoint, &destination, &token).map_err(bad_endpoint)?;
        Ok(ConsoleSignIn {
            url,
            kind: target.kind,
            session_duration,
            notes,
        })
    }

    /// Whether [`Engine::open_console`] has a browser to open for `target`: checked before
    /// anything is asked of AWS.
    pub fn console_browser_ready(&self, target: &ConsoleTarget) -> Result<()> {
        if target.browser.is_some() || crate::sso::login::browser_available(self.env()) {
            Ok(())
        } else {
            Err(Error::NoBrowser {
                profile: target.profile.clone(),
                why: "BROWSER is not set and there is no display".to_owned(),
            })
        }
    }

    /// Open the login URL in the profile's `rolekeeper_console_browser`, else the desktop's
    /// browser (`$BROWSER`, then `xdg-open` or `open`), as the IAM Identity Center sign-in does.
    pub fn open_console(&self, target: &ConsoleTarget, url: &Secret) -> Result<()> {
        self.console_browser_ready(target)?;
        let no_browser = |why: String| Error::NoBrowser {
            profile: target.profile.clone(),
            why,
        };
        if let Some(command) = &target.browser {
            return if crate::sso::login::open_with(command, url.expose()) {
                Ok(())
            } else {
                Err(no_browser(format!(
                    "its {} command could not be started",
                    console::BROWSER_KEY
                )))
            };
        }
        if crate::sso::login::open_browser(self.env(), url.expose()) {
            Ok(())
        } else {
            Err(no_browser("no browser command could be started".to_owned()))
        }
    }
}
