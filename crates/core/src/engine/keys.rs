//! The façade's access-key hygiene: what IAM says of each keychain source's key (`source list
//! --keys`, the Sources tab), rotating it (`source rotate`), and finishing a rotation that left a
//! key behind (`--finish`). The sequence itself is `keys::rotate`; this file is the world it acts
//! on: IAM (`iam.rs`), the keychain (`Sources`), STS to verify.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::Engine;
use crate::credentials::Credentials;
use crate::error::{Error, Result};
use crate::iam::{Iam, IamError, IamErrorKind, IamSettings, KeyMetadata, KeyStatus, NewKey};
use crate::keychain::{Source, Sources};
use crate::keys::rotate::{self, Rotated, Steps};
use crate::keys::{
    age_days, age_in_words, key_fingerprint, last_used_in_words, mask, names_key, user_from_arn,
    KeyCache, KeyRecord, Leftover,
};
use crate::mfa::cache::token_entry;
use crate::request::MfaPrompt;
use crate::sts::{Sts, StsSettings};

/// How long a new key is given to start working (IAM is eventually consistent), unless
/// `ROLEKEEPER_KEY_VERIFY_SECONDS` says otherwise.
pub const KEY_VERIFY_TIMEOUT: Duration = Duration::from_secs(30);

/// What `source rotate` may do besides the rotation itself.
#[derive(Debug, Clone, Default)]
pub struct RotateOptions {
    /// Deactivate the old key but keep it (`--finish` deletes it later).
    pub keep_old: bool,
    /// The user's other key (its id, or its masked form), to delete first to make room: what the
    /// user said after seeing [`Error::TwoKeys`].
    pub delete_other: Option<String>,
}

/// A source's key and who it belongs to, with an IAM client to act on it.
struct KeyOwner {
    source: Source,
    user: String,
    arn: String,
    iam: Iam,
    /// The IAM calls are signed with the source's MFA session.
    mfa: bool,
}

impl Engine {
    /// What is kept of every source's key (no IAM call): `keys.json` in the state directory.
    pub fn key_cache(&self) -> KeyCache {
        KeyCache::in_dir(self.state_store().dir(), Arc::clone(&self.fs))
    }

    /// The cached records, by source name.
    pub fn key_records(&self) -> Result<BTreeMap<String, KeyRecord>> {
        Ok(self.key_cache().all()?)
    }

    fn iam_error(name: &str, cause: IamError) -> Error {
        Error::Iam {
            name: name.to_owned(),
            cause,
        }
    }

    /// The source `name`, its IAM user (from the cache when it is about this key, else from
    /// `GetCallerIdentity` with the source's keys), and an IAM client signed as the source's IAM
    /// calls must be (`obtain::iam_caller`).
    async fn key_owner(&self, name: &str, prompt: &dyn MfaPrompt) -> Result<KeyOwner> {
        let sources = self.sources();
        let source = sources.get(name).await?;
        let cached = self
            .key_cache()
            .get(name)?
            .filter(|r| r.is_about(&source.access_key_id) && !r.arn.is_empty());
        let arn = match cached {
            Some(record) => record.arn,
            None => {
                let settings = StsSettings::from_env(self.env(), source.region.as_deref());
                Sts::new(&settings, &long_term(&source))
                    .caller_identity()
                    .await
                    .map_err(|cause| Error::Sts {
                        profile: name.to_owned(),
                        cause,
                    })?
                    .arn
            }
        };
        let Some(user) = user_from_arn(&arn).map(str::to_owned) else {
            return Err(Error::NotAnIamUser {
                name: name.to_owned(),
                arn,
            });
        };
        let snapshot = self.snapshot();
        let obtainer = self.obtainer(&snapshot);
        let caller = crate::obtain::iam_caller(&obtainer, &source, prompt).await?;
        let settings = IamSettings::from_env(self.env(), source.region.as_deref());
        Ok(KeyOwner {
            mfa: source.mfa_serial.is_some(),
            iam: Iam::new(&settings, &caller),
            source,
            user,
            arn,
        })
    }

    /// The user's keys, with the one in the keychain found among them.
    async fn owner_keys(&self, owner: &KeyOwner) -> Result<(Vec<KeyMetadata>, KeyMetadata)> {
        let name = &owner.source.name;
        let keys = owner
            .iam
            .list_access_keys(&owner.user)
            .await
            .map_err(|e| Self::iam_error(name, e))?;
        let current = keys
            .iter()
            .find(|k| k.id == owner.source.access_key_id)
            .cloned()
            .ok_or_else(|| Error::KeyRefused {
                name: name.clone(),
                why: format!(
                    "the keychain's key {} is not one of IAM user {}'s keys ({}); add the \
                     source's current key again with `rolekeeper source add {name}`",
                    mask(&owner.source.access_key_id),
                    owner.user,
                    listed(&keys)
                ),
            })?;
        Ok((keys, current))
    }

    /// Ask IAM about `name`'s key now (its age, its last use) and keep the answer.
    pub async fn check_key(&self, name: &str, prompt: &dyn MfaPrompt) -> Result<KeyRecord> {
        let owner = self.key_owner(name, prompt).await?;
        let (keys, current) = self.owner_keys(&owner).await?;
        let last_used = owner
            .iam
            .last_used(&current.id)
            .await
            .map_err(|e| Self::iam_error(name, e))?;
        let now = self.clock().now();
        let mut kept = None;
        self.key_cache().update(name, |before| {
            // A key a rotation left behind is remembered while IAM still has it.
            let leftover = before
                .and_then(|r| r.leftover)
                .filter(|l| keys.iter().any(|k| l.is(&k.id)));
            let record = KeyRecord {
                key: key_fingerprint(&current.id),
                masked: mask(&current.id),
                user: owner.user.clone(),
                arn: owner.arn.clone(),
                created: current.created,
                last_used: Some(last_used),
                checked: Some(now),
                leftover,
            };
            kept = Some(record.clone());
            Some(record)
        })?;
        kept.ok_or_else(|| Error::KeyRefused {
            name: name.to_owned(),
            why: "the key cache was not updated".to_owned(),
        })
    }

    /// Rotate `name`'s key (see `keys::rotate`). `LimitExceeded` is [`Error::TwoKeys`], which
    /// says what the other key is; the caller asks the user and calls again with
    /// `delete_other`.
    pub async fn rotate_source(
        &self,
        name: &str,
        options: &RotateOptions,
        prompt: &dyn MfaPrompt,
    ) -> Result<Rotated> {
        let owner = self.key_owner(name, prompt).await?;
        let (mut keys, current) = self.owner_keys(&owner).await?;
        if let Some(given) = &options.delete_other {
            self.delete_other(&owner, &keys, &current, given).await?;
            keys.retain(|k| !names_key(given, &k.id));
        }
        let cache = self.key_cache();
        let mut live = Live {
            sources: self.sources(),
            old: owner.source.clone(),
            user: owner.user.clone(),
            arn: owner.arn.clone(),
            iam: owner.iam.clone(),
            mfa: owner.mfa,
            engine: self,
        };
        let rotated = rotate::rotate(&mut live, name, &current.id, options.keep_old).await;
        let now = self.clock().now();
        match rotated {
            Ok(rotated) => {
                cache.update(name, |_| {
                    Some(KeyRecord {
                        key: key_fingerprint(&rotated.new_key),
                        masked: mask(&rotated.new_key),
                        user: owner.user.clone(),
                        arn: owner.arn.clone(),
                        created: Some(now),
                        last_used: None,
                        checked: Some(now),
                        leftover: (rotated.old == rotate::OldKey::Deactivated)
                            .then(|| Leftover::of(&rotated.old_key)),
                    })
                })?;
                // Sessions of the old key are not served again (an MFA session is bound to its
                // key already).
                let entry = token_entry(name);
                self.held.forget(&entry);
                crate::mfa::cache::SessionCache::new(self.secret_store())
                    .forget(&entry)
                    .await;
                Ok(rotated)
            }
            Err(stopped) => {
                let limit = stopped.at == rotate::Step::Create
                    && matches!(&stopped.why, Error::Iam { cause, .. } if cause.kind == IamErrorKind::LimitExceeded);
                if limit {
                    return Err(self.two_keys(&owner, &keys, &current).await);
                }
                // What the keychain holds now, and the key left behind for `--finish`.
                let (holds, created) = match (&stopped.left, &stopped.new_key) {
                    (rotate::Left::Unchanged | rotate::Left::TakenBack { .. }, _) | (_, None) => {
                        (current.id.as_str(), current.created)
                    }
                    (_, Some(new)) => (new.as_str(), Some(now)),
                };
                let leftover = stopped.leftover().map(Leftover::of);
                cache.update(name, |record| {
                    let record = record.filter(|r| r.is_about(holds)).unwrap_or(KeyRecord {
                        key: key_fingerprint(holds),
                        masked: mask(holds),
                        user: owner.user.clone(),
                        arn: owner.arn.clone(),
                        created,
                        last_used: None,
                        checked: Some(now),
                        leftover: None,
                    });
                    Some(KeyRecord { leftover, ..record })
                })?;
                Err(Error::RotationStopped(Box::new(
                    stopped.map_why(|e| e.to_string()),
                )))
            }
        }
    }

    /// The user's key other than the keychain's, said in words for the user to decide on.
    async fn two_keys(
        &self,
        owner: &KeyOwner,
        keys: &[KeyMetadata],
        current: &KeyMetadata,
    ) -> Error {
        let name = &owner.source.name;
        let Some(other) = keys.iter().find(|k| k.id != current.id) else {
            return Error::KeyRefused {
                name: name.clone(),
                why: format!(
                    "IAM says user {} has two access keys already, but lists only the one in the \
                     keychain; try again in a minute",
                    owner.user
                ),
            };
        };
        let now = self.clock().now();
        let last_used = match owner.iam.last_used(&other.id).await {
            Ok(used) => last_used_in_words(&used, now),
            Err(e) => format!("(unknown: {e})"),
        };
        Error::TwoKeys(Box::new(crate::keys::TwoKeys {
            name: name.clone(),
            user: owner.user.clone(),
            other: other.id.clone(),
            status: other.status,
            created: match other.created {
                Some(c) if age_days(c, now) == 0 => "made today".to_owned(),
                Some(c) => format!("made {} ago", age_in_words(c, now)),
                None => "made at an unknown time".to_owned(),
            },
            last_used,
        }))
    }

    /// Delete the key `given` names, which must be the user's other key, never the keychain's.
    async fn delete_other(
        &self,
        owner: &KeyOwner,
        keys: &[KeyMetadata],
        current: &KeyMetadata,
        given: &str,
    ) -> Result<()> {
        let name = &owner.source.name;
        let refuse = |why: String| Error::KeyRefused {
            name: name.clone(),
            why,
        };
        if names_key(given, &current.id) {
            return Err(refuse(format!(
                "{} is the key in the keychain, the one being rotated; --delete-other names the \
                 user's other key",
                mask(&current.id)
            )));
        }
        let Some(other) = keys.iter().find(|k| names_key(given, &k.id)) else {
            return Err(refuse(format!(
                "--delete-other {given} names none of IAM user {}'s keys ({})",
                owner.user,
                listed(keys)
            )));
        };
        owner
            .iam
            .delete_access_key(&owner.user, &other.id)
            .await
            .map_err(|e| Self::iam_error(name, e))?;
        tracing::info!(source = %name, key = %mask(&other.id), "the other key deleted, as asked");
        Ok(())
    }

    /// Deactivate and delete the key a rotation left behind (kept with `--keep-old`, or left
    /// when it stopped). Returns what was done, in words.
    pub async fn finish_rotation(&self, name: &str, prompt: &dyn MfaPrompt) -> Result<String> {
        let record = self.key_cache().get(name)?;
        let Some(left) = record.and_then(|r| r.leftover) else {
            return Err(Error::KeyRefused {
                name: name.to_owned(),
                why: "no rotation left a key behind; `rolekeeper source list --keys` shows the \
                      source's key"
                    .to_owned(),
            });
        };
        let owner = self.key_owner(name, prompt).await?;
        let (keys, current) = self.owner_keys(&owner).await?;
        let clear = || {
            self.key_cache().update(name, |record| {
                record.map(|r| KeyRecord {
                    leftover: None,
                    ..r
                })
            })
        };
        let Some(key) = keys.iter().find(|k| left.is(&k.id)) else {
            clear()?;
            return Ok(format!("The key {} is gone from IAM already.", left.masked));
        };
        if key.id == current.id {
            clear()?;
            return Err(Error::KeyRefused {
                name: name.to_owned(),
                why: format!(
                    "{} is the key in the keychain now; it is not deleted",
                    mask(&key.id)
                ),
            });
        }
        if key.status == KeyStatus::Active {
            owner
                .iam
                .set_status(&owner.user, &key.id, KeyStatus::Inactive)
                .await
                .map_err(|e| Self::iam_error(name, e))?;
        }
        owner
            .iam
            .delete_access_key(&owner.user, &key.id)
            .await
            .map_err(|e| Self::iam_error(name, e))?;
        clear()?;
        Ok(format!(
            "Deleted the key {} of source `{name}`; the keychain holds {}.",
            mask(&key.id),
            mask(&current.id)
        ))
    }

    /// How long a new key is given to work: `ROLEKEEPER_KEY_VERIFY_SECONDS`, else 30 s.
    fn key_verify_timeout(&self) -> Duration {
        self.env()
            .non_empty("ROLEKEEPER_KEY_VERIFY_SECONDS")
            .and_then(|s| s.parse().ok())
            .map(Duration::from_secs)
            .unwrap_or(KEY_VERIFY_TIMEOUT)
    }
}

/// The source's long-term keys as credentials.
fn long_term(source: &Source) -> Credentials {
    Credentials {
        access_key_id: source.access_key_id.clone(),
        secret_access_key: source.secret_access_key.clone(),
        session_token: None,
        expiration: None,
    }
}

/// The user's keys, masked, with their status: for messages.
fn listed(keys: &[KeyMetadata]) -> String {
    if keys.is_empty() {
        return "it has none".to_owned();
    }
    keys.iter()
        .map(|k| format!("{} {}", mask(&k.id), k.status))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rotation's world: IAM as the source's user, the keychain, STS to verify.
struct Live<'a> {
    engine: &'a Engine,
    sources: Sources,
    /// The source as it was, the old key's secret with it: what `restore` writes back.
    old: Source,
    user: String,
    arn: String,
    iam: Iam,
    mfa: bool,
}

impl Live<'_> {
    fn error(&self, cause: IamError) -> Error {
        Engine::iam_error(&self.old.name, cause)
    }

    /// Write `source` to the keychain and read it back.
    async fn put(&self, source: Source) -> Result<()> {
        let (id, secret) = (
            source.access_key_id.clone(),
            source.secret_access_key.clone(),
        );
        self.sources.add(source).await?;
        let back = self.sources.get(&self.old.name).await?;
        if back.access_key_id != id || back.secret_access_key != secret {
            return Err(Error::KeyRefused {
                name: self.old.name.clone(),
                why: "the keychain did not give back the key just stored".to_owned(),
            });
        }
        Ok(())
    }
}

impl Steps for Live<'_> {
    type Error = Error;

    async fn create(&mut self) -> Result<NewKey> {
        self.iam
            .create_access_key(&self.user)
            .await
            .map_err(|e| self.error(e))
    }

    async fn store(&mut self, key: &NewKey) -> Result<()> {
        self.put(Source {
            access_key_id: key.id.clone(),
            secret_access_key: key.secret.clone(),
            ..self.old.clone()
        })
        .await
    }

    async fn restore(&mut self) -> Result<()> {
        self.put(self.old.clone()).await
    }

    /// `GetCallerIdentity` with the new key until it answers as the user, for up to the verify
    /// timeout (1, 2, 3, 4, then every 5 s). Then, unless the calls are signed with an MFA
    /// session, the old key's last calls are signed with the new key: a deactivated key cannot
    /// sign its own deletion.
    async fn verify(&mut self, key: &NewKey) -> Result<()> {
        let clock = self.engine.clock_arc();
        let deadline = clock.now() + self.engine.key_verify_timeout();
        let credentials = Credentials {
            access_key_id: key.id.clone(),
            secret_access_key: key.secret.clone(),
            session_token: None,
            expiration: None,
        };
        let settings = StsSettings::from_env(self.engine.env(), self.old.region.as_deref());
        let sts = Sts::new(&settings, &credentials);
        let mut attempt = 0u64;
        loop {
            attempt += 1;
            let why = match sts.caller_identity().await {
                Ok(identity) if identity.arn == self.arn => break,
                Ok(identity) => format!(
                    "the new key answered as {}, not as {}",
                    identity.arn, self.arn
                ),
                Err(e) => e.to_string(),
            };
            let next = clock.now() + Duration::from_secs(attempt.min(5));
            if next > deadline {
                return Err(Error::KeyRefused {
                    name: self.old.name.clone(),
                    why: format!(
                        "the new key did not work within {} s ({attempt} tries; the last: {why})",
                        self.engine.key_verify_timeout().as_secs()
                    ),
                });
            }
            tracing::debug!(attempt, "the new key does not work yet: {why}");
            clock.sleep_until(next).await;
        }
        if !self.mfa {
            let settings = IamSettings::from_env(self.engine.env(), self.old.region.as_deref());
            self.iam = Iam::new(&settings, &credentials);
        }
        Ok(())
    }

    async fn deactivate(&mut self, id: &str) -> Result<()> {
        self.iam
            .set_status(&self.user, id, KeyStatus::Inactive)
            .await
            .map_err(|e| self.error(e))
    }

    async fn delete(&mut self, id: &str) -> Result<()> {
        self.iam
            .delete_access_key(&self.user, id)
            .await
            .map_err(|e| self.error(e))
    }
}
