//! `Engine::mfa_outlook`: what `status` and the windows say about a session's MFA (the type is
//! `mfa::MfaOutlook`, below the façade).

use std::time::SystemTime;

use super::Engine;
use crate::error::Result;
use crate::mfa::cache::{mfa_entry, SessionCache};
use crate::mfa::plan::{choose, in_words, next_code, SessionMfa, StepFacts, StepMfa};
use crate::mfa::MfaOutlook;
use crate::resolve::Base;
use crate::snapshot::Snapshot;

impl Engine {
    /// `name`'s MFA plan, given when its credentials in the file expire. Reads the index of
    /// sources (not their keys) and the cached MFA session's expiry from the keychain; a keychain
    /// that cannot be read counts as no MFA session.
    pub async fn mfa_outlook(
        &self,
        snapshot: &Snapshot,
        name: &str,
        expires: Option<SystemTime>,
    ) -> Result<MfaOutlook> {
        // The plan has a keychain source's device as its first role's default already.
        let plan = snapshot.plan(name)?;
        let source = match &plan.base {
            Base::Keys(keys) if keys.session_token.is_none() => Some(keys.from.clone()),
            Base::KeychainSource { name, .. } => Some(name.clone()),
            _ => None,
        };
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
        let margin = snapshot.cache_margin();
        let mfa_session_ends = match (&session_mfa, &source) {
            (SessionMfa::MfaSession { serial }, Some(source)) => {
                SessionCache::new(self.secret_store())
                    .expiry(&mfa_entry(source, serial))
                    .await
            }
            _ => None,
        };
        let lead = snapshot.policy().lead;
        let renewal = expires.map(|at| at - lead);
        let next = next_code(
            &session_mfa,
            mfa_session_ends,
            renewal,
            margin,
            snapshot.clock().now(),
        );
        Ok(MfaOutlook {
            words: in_words(&session_mfa, mfa_session_ends, next),
            plan: session_mfa,
            mfa_session_ends,
            next_code: next,
        })
    }
}
