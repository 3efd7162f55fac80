//! `rolekeeper sso sync`: one profile per account and role a sign-in can use, written into
//! `~/.aws/config` with the lossless editor.
//!
//! A profile RoleKeeper wrote carries a marker line with the sign-in's name and a fingerprint of
//! the lines below it. A re-sync updates such a profile only while the fingerprint still holds
//! (nobody edited it), never touches a profile without the marker (the user's), and removes one
//! whose account or role is gone only when asked (`--prune`). Nothing else in the file moves.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::credfile::document::SectionSpan;
use crate::credfile::managed::fingerprint;
use crate::credfile::Document;

/// One account and role the sign-in can use.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Assignment {
    pub account_id: String,
    pub account_name: String,
    pub role_name: String,
}

/// How the profiles are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncOptions {
    /// `{account_name}`, `{account_id}` and `{role_name}` stand for the assignment's.
    pub template: String,
    /// `region = ` in each profile, when given.
    pub region: Option<String>,
    /// Remove RoleKeeper's profiles whose account or role is gone.
    pub prune: bool,
}

pub const DEFAULT_TEMPLATE: &str = "{account_name}-{role_name}";

const MARKER: &str = "# Synced by RoleKeeper from sso-session";

/// What a sync changes (or would change, in a dry run).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncPlan {
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub removed: Vec<String>,
    /// RoleKeeper's profiles edited by hand since: left alone.
    pub kept_edited: Vec<String>,
    /// Vanished assignments whose profile stays (no `--prune`).
    pub stale: Vec<String>,
    /// The change as a diff of whole sections (`-`/`+` lines).
    pub diff: String,
}

impl SyncPlan {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.updated.is_empty() && self.removed.is_empty()
    }
}

/// A profile name from the template: lower-cased, anything but letters, digits, `-`, `_` and `.`
/// made `-`, runs of `-` folded, no `-` at either end.
pub fn profile_name(template: &str, a: &Assignment) -> String {
    let raw = template
        .replace("{account_name}", &a.account_name)
        .replace("{account_id}", &a.account_id)
        .replace("{role_name}", &a.role_name);
    let mut name = String::new();
    for c in raw.to_lowercase().chars() {
        let c = if c.is_ascii_alphanumeric() || matches!(c, '_' | '.') {
            c
        } else {
            '-'
        };
        if c == '-' && (name.is_empty() || name.ends_with('-')) {
            continue;
        }
        name.push(c);
    }
    while name.ends_with('-') {
        name.pop();
    }
    if name.is_empty() {
        a.account_id.clone()
    } else {
        name
    }
}

/// A synced profile's section.
fn section_text(
    session: &str,
    name: &str,
    a: &Assignment,
    region: Option<&str>,
    nl: &str,
) -> String {
    let mut body = format!(
        "sso_session = {session}{nl}sso_account_id = {}{nl}sso_role_name = {}{nl}",
        a.account_id, a.role_name
    );
    if let Some(region) = region {
        body.push_str(&format!("region = {region}{nl}"));
    }
    format!(
        "[profile {name}]{nl}{MARKER} {session} ({}); edit it and RoleKeeper leaves it alone{nl}{body}",
        fingerprint(&body)
    )
}

/// A section's marker, if RoleKeeper synced it: the sign-in, and whether the lines below it are
/// still as written.
fn marker_of(doc: &Document, span: &SectionSpan) -> Option<(String, bool)> {
    let text = doc.span_text(span);
    let mut lines = text.split_inclusive('\n');
    lines.next()?; // the header
    let marker = lines.next()?;
    let rest = marker.trim_end().strip_prefix(MARKER)?.trim();
    let (session, tail) = rest.split_once(' ')?;
    let fp = tail.strip_prefix('(')?.split_once(')')?.0;
    let body: String = lines.collect::<String>().replace("\r\n", "\n");
    let body = body.trim_end_matches('\n').to_owned() + "\n";
    Some((session.to_owned(), fingerprint(&body) == fp))
}

/// The profile name in a config header (`profile NAME`, or `default`).
fn header_profile(name: &str) -> Option<String> {
    crate::profile::config_profile_name(name)
}

/// Plan and apply the sync of `assignments` from sign-in `session` to `doc`.
pub fn apply(
    doc: &mut Document,
    session: &str,
    assignments: &[Assignment],
    options: &SyncOptions,
) -> SyncPlan {
    let nl = doc.line_ending().as_str();
    // Who holds each profile name now: ours (with its assignment key) or the user's.
    let mut user_names: BTreeSet<String> = BTreeSet::new();
    let mut ours: BTreeMap<String, (SectionSpan, bool)> = BTreeMap::new();
    for span in doc.sections() {
        let Some(name) = header_profile(&span.name) else {
            continue;
        };
        match marker_of(doc, &span) {
            Some((from, unedited)) if from == session => {
                ours.insert(name, (span, unedited));
            }
            _ => {
                user_names.insert(name);
            }
        }
    }
    // Names: the template's, then with the account id, then numbered; never a user's name, and
    // the same assignment gets the same name every time (the order is the assignments').
    let mut sorted = assignments.to_vec();
    sorted.sort();
    sorted.dedup();
    let mut taken: BTreeSet<String> = user_names.clone();
    let mut wanted: BTreeMap<String, Assignment> = BTreeMap::new();
    for a in &sorted {
        let base = profile_name(&options.template, a);
        let mut candidates = vec![base.clone(), format!("{base}-{}", a.account_id)];
        candidates.extend(
            (2..)
                .take(1000)
                .map(|n| format!("{base}-{}-{n}", a.account_id)),
        );
        if let Some(name) = candidates.into_iter().find(|n| !taken.contains(n)) {
            taken.insert(name.clone());
            wanted.insert(name, a.clone());
        }
    }
    let mut plan = SyncPlan::default();
    let mut diff = String::new();
    // Removals and updates first, from the end of the file, so spans stay valid.
    let mut existing: Vec<(String, SectionSpan, bool)> = ours
        .into_iter()
        .map(|(name, (span, unedited))| (name, span, unedited))
        .collect();
    existing.sort_by_key(|(_, span, _)| std::cmp::Reverse(span.header));
    for (name, span, unedited) in existing {
        let old = doc.span_text(&span);
        match wanted.remove(&name) {
            Some(a) => {
                if !unedited {
                    plan.kept_edited.push(name);
                    continue;
                }
                let new = section_text(session, &name, &a, options.region.as_deref(), nl);
                if old.replace("\r\n", "\n").trim_end() != new.replace("\r\n", "\n").trim_end() {
                    push_diff(&mut diff, &old, "-");
                    push_diff(&mut diff, &new, "+");
                    doc.replace_span(&span, &new);
                    plan.updated.push(name);
                }
            }
            None if options.prune && unedited => {
                push_diff(&mut diff, &old, "-");
                remove_section(doc, &span);
                plan.removed.push(name);
            }
            None if !unedited => plan.kept_edited.push(name),
            None => plan.stale.push(name),
        }
    }
    for (name, a) in wanted {
        let text = section_text(session, &name, &a, options.region.as_deref(), nl);
        push_diff(&mut diff, &text, "+");
        doc.append_section(&text);
        plan.added.push(name);
    }
    for list in [
        &mut plan.added,
        &mut plan.updated,
        &mut plan.removed,
        &mut plan.kept_edited,
        &mut plan.stale,
    ] {
        list.sort();
    }
    plan.diff = diff;
    plan
}

fn push_diff(diff: &mut String, text: &str, sign: &str) {
    for line in text.lines() {
        diff.push_str(sign);
        diff.push(' ');
        diff.push_str(line);
        diff.push('\n');
    }
}

/// Remove a synced section and the blank line that separated it from the one before.
fn remove_section(doc: &mut Document, span: &SectionSpan) {
    let mut from = span.clone();
    if from.header > 0 && doc.line_text(from.header - 1).trim().is_empty() {
        from.header -= 1;
    }
    let mut end = span.end;
    while end < doc.line_count() && doc.line_text(end).trim().is_empty() {
        end += 1;
        if from.header < span.header {
            break; // one separator is enough
        }
    }
    from.end = end;
    doc.replace_span(&from, "");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(id: &str, name: &str, role: &str) -> Assignment {
        Assignment {
            account_id: id.into(),
            account_name: name.into(),
            role_name: role.into(),
        }
    }

    fn options(prune: bool) -> SyncOptions {
        SyncOptions {
            template: DEFAULT_TEMPLATE.into(),
            region: Some("eu-west-1".into()),
            prune,
        }
    }

    #[test]
    fn names_are_lower_cased_and_safe() {
        for (name, role, want) in [
            (
                "Prod Account",
                "AdministratorAccess",
                "prod-account-administratoraccess",
            ),
            ("dev/eu (main)", "Read_Only", "dev-eu-main-read_only"),
            ("--", "--", "111"),
        ] {
            assert_eq!(profile_name(DEFAULT_TEMPLATE, &a("111", name, role)), want);
        }
        assert_eq!(
            profile_name("{account_id}.{role_name}", &a("111", "x", "Admin")),
            "111.admin"
        );
    }

    #[test]
    fn a_resync_keeps_the_users_bytes_and_is_idempotent() {
        let user =
            "# my notes\n[profile dev-admin]\nregion = us-east-1 ; mine\n\n[default]\nregion = x\n";
        let mut doc = Document::parse(user.as_bytes());
        let assignments = [a("111", "dev", "Admin"), a("222", "prod", "ReadOnly")];
        let plan = apply(&mut doc, "corp", &assignments, &options(false));
        // The user's `dev-admin` keeps its name; ours gets the account id.
        assert_eq!(plan.added, ["dev-admin-111", "prod-readonly"]);
        let text = String::from_utf8(doc.to_bytes()).expect("utf8");
        assert!(text.starts_with(user), "{text}");
        let again = apply(&mut doc, "corp", &assignments, &options(false));
        assert!(again.is_empty(), "{again:?}");
        assert_eq!(String::from_utf8(doc.to_bytes()).expect("utf8"), text);

        // Edited by hand: left alone. Gone: kept without --prune, removed with it.
        let edited = text.replace(
            "sso_role_name = ReadOnly",
            "sso_role_name = ReadOnly\noutput = json",
        );
        let mut doc = Document::parse(edited.as_bytes());
        let plan = apply(&mut doc, "corp", &assignments[..1], &options(false));
        assert_eq!(plan.kept_edited, ["prod-readonly"]);
        let mut doc = Document::parse(text.as_bytes());
        let plan = apply(&mut doc, "corp", &assignments[..1], &options(false));
        assert_eq!(plan.stale, ["prod-readonly"]);
        let plan = apply(&mut doc, "corp", &assignments[..1], &options(true));
        assert_eq!(plan.removed, ["prod-readonly"]);
        assert!(
            plan.diff.contains("- sso_role_name = ReadOnly"),
            "{}",
            plan.diff
        );
        let pruned = String::from_utf8(doc.to_bytes()).expect("utf8");
        assert!(
            pruned.starts_with(user) && !pruned.contains("prod-readonly"),
            "{pruned}"
        );
    }
}
