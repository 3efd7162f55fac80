//! Rotating a source's key, as a sequence of steps each of which may fail: create the new key,
//! store it in the keychain (read back), verify it with STS, deactivate the old key, delete it.
//! Whatever fails, the keychain is left holding a key that works, and [`Stopped`] says where it
//! stopped, what the keychain and IAM hold now and what is left to do.
//!
//! The order follows from that rule. The new key goes into the keychain before anything happens
//! to the old one; the old one is touched only once the new one has been seen to work. A new key
//! that cannot be stored or does not work is taken back (the old key written to the keychain
//! again) and deleted from IAM, so the user is not left at IAM's limit of two keys.
//!
//! [`Steps`] is the world the sequence acts on (IAM, the keychain, STS): the engine's own in
//! `engine/keys.rs`, a scripted one in the tests below.

use std::fmt;
use std::future::Future;

use super::mask;
use crate::iam::NewKey;

/// One step of a rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Create,
    Store,
    Verify,
    Deactivate,
    Delete,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::Create => "creating the new key (CreateAccessKey)",
            Step::Store => "storing the new key in the keychain",
            Step::Verify => "verifying the new key (GetCallerIdentity)",
            Step::Deactivate => "deactivating the old key (UpdateAccessKey)",
            Step::Delete => "deleting the old key (DeleteAccessKey)",
        })
    }
}

/// What a rotation acts on. Each step's error says, in words, what failed.
pub trait Steps {
    type Error: fmt::Display;
    /// A new key for the user (`CreateAccessKey`).
    fn create(&mut self) -> impl Future<Output = Result<NewKey, Self::Error>> + Send;
    /// Put `key` in the keychain in place of the old one, and read it back.
    fn store(&mut self, key: &NewKey) -> impl Future<Output = Result<(), Self::Error>> + Send;
    /// Put the old key back in the keychain, and read it back.
    fn restore(&mut self) -> impl Future<Output = Result<(), Self::Error>> + Send;
    /// Whether `key` works for the user, retrying for a while (IAM is eventually consistent).
    fn verify(&mut self, key: &NewKey) -> impl Future<Output = Result<(), Self::Error>> + Send;
    /// `UpdateAccessKey id Inactive`.
    fn deactivate(&mut self, id: &str) -> impl Future<Output = Result<(), Self::Error>> + Send;
    /// `DeleteAccessKey id`.
    fn delete(&mut self, id: &str) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// What became of the old key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OldKey {
    Deleted,
    /// Deactivated and kept (`--keep-old`): `--finish` deletes it.
    Deactivated,
}

/// A rotation that went through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotated {
    pub source: String,
    pub new_key: String,
    pub old_key: String,
    pub old: OldKey,
}

impl fmt::Display for Rotated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Rotated source `{}`: the keychain holds the new key {}, which works",
            self.source,
            mask(&self.new_key)
        )?;
        match self.old {
            OldKey::Deleted => write!(f, "; the old key {} is deleted.", mask(&self.old_key)),
            OldKey::Deactivated => write!(
                f,
                "; the old key {} is inactive and kept: delete it with `rolekeeper source rotate \
                 {} --finish`.",
                mask(&self.old_key),
                self.source
            ),
        }
    }
}

/// Where things are after a rotation stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Left {
    /// Nothing changed: the keychain holds the old key, which works.
    Unchanged,
    /// The new key was taken back: the keychain holds the old key again, which works. `deleted`:
    /// the new key is gone from IAM too (else it is left there, unused).
    TakenBack { deleted: bool },
    /// The keychain holds the new key, which did not work, and the old one could not be put
    /// back (`why`); the old key is still active in IAM.
    NewUnverified { why: String },
    /// The keychain holds the new key, which works; the old key is still active.
    OldActive,
    /// The keychain holds the new key, which works; the old key is inactive, not deleted.
    OldInactive,
}

/// A rotation that stopped at `at` because of `why`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stopped<E> {
    pub source: String,
    pub at: Step,
    pub why: E,
    pub left: Left,
    pub old_key: String,
    /// The new key, once created.
    pub new_key: Option<String>,
}

impl<E> Stopped<E> {
    /// The key left in IAM that `--finish` deactivates and deletes, if any.
    pub fn leftover(&self) -> Option<&str> {
        match self.left {
            Left::TakenBack { deleted: false } => self.new_key.as_deref(),
            Left::OldActive | Left::OldInactive => Some(&self.old_key),
            _ => None,
        }
    }

    pub fn map_why<F>(self, f: impl FnOnce(E) -> F) -> Stopped<F> {
        Stopped {
            source: self.source,
            at: self.at,
            why: f(self.why),
            left: self.left,
            old_key: self.old_key,
            new_key: self.new_key,
        }
    }
}

impl<E: fmt::Display> fmt::Display for Stopped<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let old = mask(&self.old_key);
        let new = self.new_key.as_deref().map(mask).unwrap_or_default();
        let finish = format!("`rolekeeper source rotate {} --finish`", self.source);
        write!(
            f,
            "rotating the key of source `{}` stopped while {}: {}. ",
            self.source, self.at, self.why
        )?;
        match &self.left {
            Left::Unchanged => write!(
                f,
                "Nothing changed: the keychain still holds the key {old}, which still works."
            ),
            Left::TakenBack { deleted: true } => write!(
                f,
                "The keychain holds the old key {old} again, which still works; the new key \
                 {new} was deleted from IAM."
            ),
            Left::TakenBack { deleted: false } => write!(
                f,
                "The keychain holds the old key {old} again, which still works; the new key \
                 {new} could not be deleted and is left in IAM, unused: delete it with {finish}."
            ),
            Left::NewUnverified { why } => write!(
                f,
                "The keychain holds the new key {new}, which did not work yet, and the old key \
                 could not be put back ({why}); the old key {old} is still active in IAM. Wait a \
                 minute and check with `rolekeeper source list --keys`; if the new key still \
                 does not work, store the old key again with `rolekeeper source add {}`.",
                self.source
            ),
            Left::OldActive => write!(
                f,
                "The new key {new} is stored and works; the old key {old} is still active: \
                 deactivate and delete it with {finish}."
            ),
            Left::OldInactive => write!(
                f,
                "The new key {new} is stored and works; the old key {old} is inactive but not \
                 deleted: delete it with {finish}."
            ),
        }
    }
}

/// Rotate the key `old_key` of `source` through `steps`. See the module documentation.
pub async fn rotate<S: Steps>(
    steps: &mut S,
    source: &str,
    old_key: &str,
    keep_old: bool,
) -> Result<Rotated, Stopped<S::Error>> {
    let stop = |at, why, left, new_key: Option<&str>| Stopped {
        source: source.to_owned(),
        at,
        why,
        left,
        old_key: old_key.to_owned(),
        new_key: new_key.map(str::to_owned),
    };
    let new = match steps.create().await {
        Ok(new) => new,
        Err(why) => return Err(stop(Step::Create, why, Left::Unchanged, None)),
    };
    let taken_back = match steps.store(&new).await {
        Ok(()) => match steps.verify(&new).await {
            Ok(()) => None,
            Err(why) => Some((Step::Verify, why)),
        },
        Err(why) => Some((Step::Store, why)),
    };
    if let Some((at, why)) = taken_back {
        let left = match steps.restore().await {
            Ok(()) => Left::TakenBack {
                deleted: steps.delete(&new.id).await.is_ok(),
            },
            // A store that failed most likely left the old key where it was; only a stored key
            // that did not verify leaves the keychain without a working key.
            Err(restore) if at == Step::Verify => Left::NewUnverified {
                why: restore.to_string(),
            },
            Err(_) => Left::TakenBack {
                deleted: steps.delete(&new.id).await.is_ok(),
            },
        };
        return Err(stop(at, why, left, Some(&new.id)));
    }
    if let Err(why) = steps.deactivate(old_key).await {
        return Err(stop(Step::Deactivate, why, Left::OldActive, Some(&new.id)));
    }
    let old = if keep_old {
        OldKey::Deactivated
    } else {
        match steps.delete(old_key).await {
            Ok(()) => OldKey::Deleted,
            Err(why) => return Err(stop(Step::Delete, why, Left::OldInactive, Some(&new.id))),
        }
    };
    Ok(Rotated {
        source: source.to_owned(),
        new_key: new.id,
        old_key: old_key.to_owned(),
        old,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::secret::Secret;

    const OLD: &str = "AKIAOLDKEYEXAMPLE678";
    const NEW: &str = "AKIANEWKEYEXAMPLE234";

    /// IAM and the keychain as a map, with the calls that fail.
    #[derive(Debug, Default)]
    struct World {
        /// Key id → active.
        iam: BTreeMap<String, bool>,
        keychain: String,
        /// Calls that fail: `create`, `store`, `restore`, `verify`, `deactivate`, `delete:ID`.
        failing: Vec<String>,
        calls: Vec<String>,
    }

    impl World {
        fn new(failing: &[&str]) -> Self {
            Self {
                iam: BTreeMap::from([(OLD.to_owned(), true)]),
                keychain: OLD.to_owned(),
                failing: failing.iter().map(|s| (*s).to_owned()).collect(),
                calls: Vec::new(),
            }
        }

        fn call(&mut self, name: String) -> Result<(), String> {
            self.calls.push(name.clone());
            if self.failing.contains(&name) {
                // The call's name only: a real step's error masks the key too.
                Err(format!(
                    "{} failed",
                    name.split(':').next().unwrap_or_default()
                ))
            } else {
                Ok(())
            }
        }

        /// Whether the key in the keychain works: active in IAM, and not a new key that fails
        /// to verify.
        fn keychain_works(&self) -> bool {
            let verifies = self.keychain == OLD || !self.failing.iter().any(|f| f == "verify");
            self.iam.get(&self.keychain) == Some(&true) && verifies
        }
    }

    impl Steps for World {
        type Error = String;
        async fn create(&mut self) -> Result<NewKey, String> {
            self.call("create".into())?;
            self.iam.insert(NEW.to_owned(), true);
            Ok(NewKey {
                id: NEW.to_owned(),
                secret: Secret::new("new-secret"),
            })
        }
        async fn store(&mut self, key: &NewKey) -> Result<(), String> {
            self.call("store".into())?;
            self.keychain = key.id.clone();
            Ok(())
        }
        async fn restore(&mut self) -> Result<(), String> {
            self.call("restore".into())?;
            self.keychain = OLD.to_owned();
            Ok(())
        }
        async fn verify(&mut self, _: &NewKey) -> Result<(), String> {
            self.call("verify".into())
        }
        async fn deactivate(&mut self, id: &str) -> Result<(), String> {
            self.call("deactivate".into())?;
            self.iam.insert(id.to_owned(), false);
            Ok(())
        }
        async fn delete(&mut self, id: &str) -> Result<(), String> {
            self.call(format!("delete:{id}"))?;
            self.iam.remove(id);
            Ok(())
        }
    }

    #[allow(clippy::result_large_err)] // a test's helper
    fn run(world: &mut World, keep_old: bool) -> Result<Rotated, Stopped<String>> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        runtime.block_on(rotate(world, "dev", OLD, keep_old))
    }

    #[test]
    fn every_failure_leaves_a_working_key_and_says_where_it_stopped() {
        let delete_new = format!("delete:{NEW}");
        let delete_old = format!("delete:{OLD}");
        // Failing calls, --keep-old; where it stops and what is left (None: it went through);
        // the keychain's key, IAM's keys (id, active) and the key left for --finish afterwards.
        struct Case<'a>(
            &'a [&'a str],
            bool,
            Option<(Step, Left)>,
            &'a str,
            &'a [(&'a str, bool)],
            Option<&'a str>,
        );
        let taken_back = |deleted| Left::TakenBack { deleted };
        let table = [
            Case(&[], false, None, NEW, &[(NEW, true)], None),
            Case(&[], true, None, NEW, &[(NEW, true), (OLD, false)], None),
            Case(
                &["create"],
                false,
                Some((Step::Create, Left::Unchanged)),
                OLD,
                &[(OLD, true)],
                None,
            ),
            Case(
                &["store"],
                false,
                Some((Step::Store, taken_back(true))),
                OLD,
                &[(OLD, true)],
                None,
            ),
            Case(
                &["store", &delete_new],
                false,
                Some((Step::Store, taken_back(false))),
                OLD,
                &[(NEW, true), (OLD, true)],
                Some(NEW),
            ),
            Case(
                &["verify"],
                false,
                Some((Step::Verify, taken_back(true))),
                OLD,
                &[(OLD, true)],
                None,
            ),
            Case(
                &["verify", &delete_new],
                true,
                Some((Step::Verify, taken_back(false))),
                OLD,
                &[(NEW, true), (OLD, true)],
                Some(NEW),
            ),
            Case(
                &["deactivate"],
                false,
                Some((Step::Deactivate, Left::OldActive)),
                NEW,
                &[(NEW, true), (OLD, true)],
                Some(OLD),
            ),
            Case(
                &[&delete_old],
                false,
                Some((Step::Delete, Left::OldInactive)),
                NEW,
                &[(NEW, true), (OLD, false)],
                Some(OLD),
            ),
        ];
        for Case(failing, keep_old, stops, keychain, iam, leftover) in table {
            let mut world = World::new(failing);
            let got = run(&mut world, keep_old);
            let case = format!("{failing:?} keep_old={keep_old}: {got:?}");
            match (&got, stops) {
                (Ok(rotated), None) => {
                    assert_eq!(rotated.new_key, NEW, "{case}");
                    let old = if keep_old {
                        OldKey::Deactivated
                    } else {
                        OldKey::Deleted
                    };
                    assert_eq!(rotated.old, old, "{case}");
                }
                (Err(stopped), Some((at, left))) => {
                    assert_eq!(stopped.at, at, "{case}");
                    assert_eq!(stopped.left, left, "{case}");
                    assert_eq!(stopped.leftover(), leftover, "{case}");
                    let text = stopped.to_string();
                    assert!(text.contains(&at.to_string()), "{text}");
                    assert!(
                        !text.contains(OLD) && !text.contains(NEW),
                        "ids masked: {text}"
                    );
                }
                _ => panic!("{case}"),
            }
            assert_eq!(world.keychain, keychain, "{case}");
            assert!(world.keychain_works(), "{case}");
            let expected: BTreeMap<String, bool> =
                iam.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
            assert_eq!(world.iam, expected, "{case}");
            // The old key is never touched before the new one has been seen to work.
            if let Some(verify) = world.calls.iter().position(|c| c == "verify") {
                let touched = world
                    .calls
                    .iter()
                    .position(|c| c == "deactivate" || *c == delete_old);
                assert!(
                    touched.is_none_or(|t| t > verify),
                    "{case}: {:?}",
                    world.calls
                );
            }
        }
    }

    #[test]
    fn the_message_says_exactly_where_it_stopped() {
        let mut world = World::new(&["deactivate"]);
        let stopped = run(&mut world, false).expect_err("stops");
        assert_eq!(
            stopped.to_string(),
            "rotating the key of source `dev` stopped while deactivating the old key \
             (UpdateAccessKey): deactivate failed. The new key AKIA…E234 is stored and works; the \
             old key AKIA…E678 is still active: deactivate and delete it with `rolekeeper source \
             rotate dev --finish`."
        );
        let mut world = World::new(&["create"]);
        let stopped = run(&mut world, false).expect_err("stops");
        assert!(stopped.to_string().ends_with(
            "Nothing changed: the keychain still holds the key AKIA…E678, which still works."
        ));
    }

    #[test]
    fn a_new_key_that_works_but_cannot_be_put_back_is_said_plainly() {
        let mut world = World::new(&["verify", "restore"]);
        let stopped = run(&mut world, false).expect_err("stops");
        assert_eq!(stopped.at, Step::Verify);
        assert!(matches!(stopped.left, Left::NewUnverified { .. }));
        assert_eq!(stopped.leftover(), None);
        assert!(stopped.to_string().contains("restore failed"), "{stopped}");
    }
}
