//! What `status` says about a session's MFA: which plan it uses and when the next code is needed.

use std::time::SystemTime;

use serde::Serialize;

use super::cache::{mfa_entry, SessionCache};
use super::obtain::margin;
use super::plan::{choose, in_words, next_code, NextCode, SessionMfa, StepFacts, StepMfa};
use crate::engine::Engine;
use crate::error::Result;
use crate::resolve::Base;

/// A session's MFA, for people: never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MfaOutlook {
    #[serde(flatten)]
    pub plan: SessionMfa,
    /// When the cached MFA session ends (plan `mfa_session`).
    pub mfa_session_ends: Option<SystemTime>,
    #[serde(skip)]
    pub next_code: NextCode,
    /// `MFA session until 21:40 UTC, then a code`, `code at each renewal (next at …)`, `no MFA`.
    pub words: String,
}

impl Engine {
    /// `name`'s MFA plan, given when its credentials in the file expire. Reads the index of
    /// sources (not their keys) and the cached MFA session's expiry from the keychain; a keychain
    /// that cannot be read counts as no MFA session.
    pub async fn mfa_outlook(&self, name: &str, expires: Option<SystemTime>) -> Result<MfaOutlook> {
        let mut plan = self.plan(name)?;
        let mut source = match &plan.base {
            Base::Keys(keys) if keys.session_token.is_none() => Some(keys.from.clone()),
            _ => None,
        };
        if let Base::KeychainSource { name, .. } = &plan.base {
            source = Some(name.clone());
            let info = self.sources().list().unwrap_or_default();
            let serial = info
                .into_iter()
                .find(|i| &i.name == name)
                .and_then(|i| i.mfa_serial);
            if let Some(first) = plan.roles.first_mut() {
                first.mfa_serial = first.mfa_serial.take().or(serial);
            }
        }
        let steps: Vec<StepMfa> = plan
            .roles
            .iter()
            .enumerate()
            .map(|(index, step)| {
                choose(StepFacts {
                    serial: step.mfa_serial.as_deref(),
                    duration: step.duration,
                    from_long_term_keys: index == 0 && source.is_some(),
                })
            })
            .collect();
        let session_mfa = SessionMfa::of(&steps);
        let margin = margin(self);
        let mfa_session_ends = match (&session_mfa, &source) {
            (SessionMfa::MfaSession { serial }, Some(source)) => {
                SessionCache::new(self.secret_store())
                    .expiry(&mfa_entry(source, serial))
                    .await
            }
            _ => None,
        };
        let lead = crate::runner::policy_from_env(self).lead;
        let renewal = expires.map(|at| at - lead);
        let next = next_code(
            &session_mfa,
            mfa_session_ends,
            renewal,
            margin,
            self.clock().now(),
        );
        Ok(MfaOutlook {
            words: in_words(&session_mfa, mfa_session_ends, next),
            plan: session_mfa,
            mfa_session_ends,
            next_code: next,
        })
    }
}
