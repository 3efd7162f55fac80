//! Activating and deactivating sessions, and listing them: where each session is delivered
//! (a section of the credentials file, or `credential_process` in `~/.aws/config`) and the
//! length chosen for it, remembered in the state file so every renewal keeps to the choice.

use std::path::PathBuf;
use std::time::Duration;

use super::{ActivateOptions, Activation, CredentialRequest, Engine, MfaPrompt, SessionStatus};
use crate::credentials::Credentials;
use crate::delivery::{self, Outcome, Purpose};
use crate::error::{Error, Result};
use crate::snapshot::Snapshot;
use crate::state::{Delivery, SessionChoice, Terms};

/// What delivering a batch of renewals did.
pub(crate) struct Renewed {
    /// The credentials file written (a symlink's target).
    pub target: PathBuf,
    /// Each session's outcome.
    pub outcomes: Vec<(String, Outcome)>,
    /// The state file as the last write left it (see `StateStore::stamp`).
    pub stamp: Option<crate::state::FileStamp>,
}

impl Engine {
    /// The session length chosen for `name` when it was activated, if any.
    pub fn chosen_duration(&self, name: &str) -> Result<Option<Duration>> {
        Ok(self
            .snapshot()
            .state()?
            .choices
            .get(name)
            .and_then(|c| c.duration_seconds)
            .map(Duration::from_secs))
    }

    /// How `name` is delivered (file unless chosen otherwise).
    pub fn delivery_of(&self, name: &str) -> Result<Delivery> {
        self.snapshot().delivery_of(name)
    }

    /// Obtain `name`'s credentials now, deliver them as chosen (a managed section of the
    /// credentials file, or a managed `credential_process` line in `~/.aws/config` with the
    /// session kept in the keychain), remember the choice, and mark the session active so the
    /// running engine keeps it fresh. Activating an active session again renews it, and moves
    /// it when the delivery changes.
    pub async fn activate(
        &self,
        name: &str,
        request: &CredentialRequest,
        mfa: &dyn MfaPrompt,
        options: ActivateOptions,
    ) -> Result<Activation> {
        let snapshot = self.snapshot();
        let mut earlier = snapshot.state()?.choice(name);
        if options.forget_duration {
            earlier.duration_seconds = None;
        }
        let choice = SessionChoice {
            duration_seconds: request
                .duration
                .map(|d| d.as_secs())
                .or(earlier.duration_seconds),
            delivery: options.delivery.unwrap_or(earlier.delivery),
            expires: None,
            issued: None,
        };
        if choice.delivery == Delivery::Process {
            check_process_delivery(&snapshot, name, options)?;
        }
        let request = CredentialRequest {
            duration: choice.duration_seconds.map(Duration::from_secs),
            ..request.clone()
        };
        let credentials = self
            .obtain(&snapshot, name, &request, mfa)
            .await?
            .credentials;
        let locations = snapshot.locations().clone();
        let store = self.state_store();
        let mut activation = Activation {
            name: name.to_owned(),
            expiration: credentials.expiration,
            credentials_path: snapshot.credentials_target().to_owned(),
            backup: None,
            adopted: Vec::new(),
            config_path: locations.config.clone(),
            shadowed_by: None,
            delivery: choice.delivery,
            duration: request.duration,
        };
        match choice.delivery {
            Delivery::File => {
                // Moving from process delivery: the config line goes first (the file section
                // written next then serves the tools).
                if earlier.delivery == Delivery::Process {
                    delivery::stop_serving_by_process(&locations.config, name)?;
                }
                let (written, _) = delivery::write_session(
                    &locations.credentials,
                    &store,
                    (name, &credentials, Purpose::Activate),
                    options.force,
                    self.clock.now(),
                )?;
                activation.credentials_path = written.target;
                activation.backup = written.backup;
                // The credentials are in place before the config stops defining the role, so
                // the AWS tools never see the profile without a way to get credentials.
                if options.adopt && delivery::shadowed_by(snapshot.profiles()?, name).is_some() {
                    activation.adopted = delivery::adopt_profile(&locations.config, name)?;
                }
            }
            Delivery::Process => {
                // The config changes first; nothing changes unless the state can then record it
                // (a full or read-only state directory fails here, before any file is touched).
                delivery::update_state(&locations.credentials, &store, |_| ())?;
                activation.adopted = delivery::serve_by_process(&locations.config, name)?;
                // Moving from file delivery: the section leaves the credentials file.
                if has_file_section(&snapshot, name)? {
                    let stamp = delivery::stamp(self.clock.now());
                    delivery::remove_session(
                        &locations.credentials,
                        &store,
                        name,
                        options.force,
                        &stamp,
                    )?;
                }
                delivery::record_process_sessions(
                    &locations.credentials,
                    &store,
                    &[(name, &credentials, Purpose::Activate)],
                    self.clock.now(),
                )?;
            }
        }
        let duration_seconds = choice.duration_seconds;
        let delivery = choice.delivery;
        delivery::update_state(&locations.credentials, &store, |state| {
            let kept = state.choices.entry(name.to_owned()).or_default();
            kept.duration_seconds = duration_seconds;
            kept.delivery = delivery;
            if delivery == Delivery::File {
                kept.expires = None;
                kept.issued = None;
            }
        })?;
        // Adopting changed the config file since the snapshot was taken: read it again then.
        activation.shadowed_by = if activation.adopted.is_empty() {
            snapshot.shadowed_by(name)
        } else {
            self.snapshot().shadowed_by(name)
        };
        Ok(activation)
    }

    /// Stop keeping `name` fresh and give back what delivering it changed: its section of the
    /// credentials file, or its `credential_process` line, and the adopted role lines, byte for
    /// byte. `Ok(false)` if neither file had anything of it.
    pub fn deactivate(&self, name: &str, force: bool) -> Result<bool> {
        let stamp = delivery::stamp(self.clock.now());
        let locations = self.locations();
        // Nothing changes unless the state can record it: a full or read-only state directory
        // fails here, before either file is touched.
        delivery::update_state(&locations.credentials, &self.state_store(), |_| ())?;
        // The role definition comes back first, so the AWS tools can resolve the profile
        // themselves before RoleKeeper's credentials leave. A managed credential_process line
        // goes whatever the state says: a process delivery cut short before the state recorded
        // it leaves one.
        let snapshot = self.snapshot();
        let delivery = snapshot.delivery_of(name)?;
        let by_process = delivery::stop_serving_by_process(&locations.config, name)?;
        // A process-delivered session has no section to remove; a section of that name in the
        // credentials file is then someone else's and stays (removing it would be a conflict).
        let from_file = if delivery == Delivery::Process && !has_file_section(&snapshot, name)? {
            false
        } else {
            delivery::remove_session(
                &locations.credentials,
                &self.state_store(),
                name,
                force,
                &stamp,
            )?
        };
        delivery::update_state(&locations.credentials, &self.state_store(), |state| {
            state.active.remove(name);
            if let Some(choice) = state.choices.get_mut(name) {
                choice.expires = None;
                choice.issued = None;
            }
        })?;
        Ok(by_process || from_file)
    }

    /// Every session RoleKeeper delivers, with its expiry and how it is delivered.
    pub fn sessions(&self) -> Result<Vec<SessionStatus>> {
        self.snapshot().sessions()
    }

    /// Deliver renewals of active sessions, each obtained on the terms given with it, as each is
    /// delivered: the file-delivered ones in one write of the credentials file, the
    /// process-delivered ones (already in the keychain) in one write of the state. Returns the
    /// credentials file and each session's outcome: a renewal of a session deactivated or
    /// changed meanwhile is not delivered (`Stale`), a file-delivered session's section may be
    /// in conflict and left alone.
    pub(crate) fn deliver_renewed(
        &self,
        snapshot: &Snapshot,
        renewed: &[(String, Credentials, Terms)],
    ) -> Result<Renewed> {
        let now = self.clock.now();
        let (by_process, by_file): (Vec<_>, Vec<_>) = renewed
            .iter()
            .map(|(n, c, terms)| (n.as_str(), c, Purpose::Renew(*terms)))
            .partition(|(_, _, purpose)| {
                matches!(purpose, Purpose::Renew(t) if t.delivery == Delivery::Process)
            });
        let path = snapshot.locations().credentials.clone();
        let mut outcomes = Vec::with_capacity(renewed.len());
        let mut target = snapshot.credentials_target().to_owned();
        let mut stamp = None;
        if !by_process.is_empty() {
            outcomes.extend(delivery::record_process_sessions(
                &path,
                &self.state_store(),
                &by_process,
                now,
            )?);
        }
        if !by_file.is_empty() {
            let written =
                delivery::write_sessions(&path, &self.state_store(), &by_file, false, now)?;
            target = written.written.target;
            outcomes.extend(written.outcomes);
            stamp = written.stamp;
        }
        Ok(Renewed {
            target,
            outcomes,
            stamp,
        })
    }

    /// A session renewed outside the refresh engine (`login`, a caller that found it stale):
    /// delivered as it is delivered, if it is active (checked again under the lock).
    pub(crate) fn deliver_one(
        &self,
        snapshot: &Snapshot,
        name: &str,
        credentials: &Credentials,
    ) -> Result<()> {
        let Some(terms) = snapshot.state()?.active_terms(name) else {
            return Ok(());
        };
        let path = snapshot.locations().credentials.clone();
        let session = (name, credentials, Purpose::Renew(terms));
        let now = self.clock.now();
        match terms.delivery {
            Delivery::Process => {
                delivery::record_process_sessions(&path, &self.state_store(), &[session], now)
                    .map(|_| ())
            }
            Delivery::File => {
                delivery::write_session(&path, &self.state_store(), session, false, now).map(|_| ())
            }
        }
    }
}

/// Process delivery puts `credential_process` in the profile's section of `~/.aws/config`,
/// so it needs a role profile there (the AWS tools read a static profile's keys from the
/// credentials file before they look at `credential_process`), and adoption of its role
/// lines.
fn check_process_delivery(snapshot: &Snapshot, name: &str, options: ActivateOptions) -> Result<()> {
    let set = snapshot.profiles()?;
    let why = match set.get(name) {
        None => None, // resolving it fails next, in the usual words
        Some(profile)
            if profile.get("role_arn").is_none()
                && profile.get("sso_account_id").is_none()
                && profile.get("sso_role_name").is_none() =>
        {
            Some(
                "it is not a role profile of the config file, and the AWS tools would read its \
             keys from the credentials file before running credential_process; deliver it \
             as a file",
            )
        }
        Some(_) if !options.adopt => Some(
            "it needs the profile's role lines adopted (the AWS tools would otherwise assume \
             the role themselves); activate it without --no-adopt",
        ),
        Some(_) => None,
    };
    match why {
        Some(why) => Err(Error::DeliveryRefused {
            profile: name.to_owned(),
            why: why.to_owned(),
        }),
        None => Ok(()),
    }
}

/// Whether the credentials file has a section RoleKeeper wrote for `name`.
fn has_file_section(snapshot: &Snapshot, name: &str) -> Result<bool> {
    Ok(snapshot
        .state()?
        .files
        .get(&snapshot.credentials_target().display().to_string())
        .is_some_and(|r| r.sections.contains_key(name)))
}
