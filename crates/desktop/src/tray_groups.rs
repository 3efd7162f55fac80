//! "All profiles (N)": every profile of a long list, in alphabetical groups small enough for a
//! submenu to fit a screen, labelled like a dictionary's thumb index ("A–C", or the prefixes
//! that tell a group of one long letter from its neighbours: "acct-042 – acct-066"). Pure: the
//! tray draws what [`groups`] returns.

use crate::tray::SessionRow;

/// At most this many profiles in one group (and, up to 625 profiles, at most this many groups):
/// a menu of 25 lines fits a laptop's screen.
pub const GROUP_SIZE: usize = 25;

/// One submenu of "All profiles".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileGroup {
    /// "A–C", "S", or "sandbox-a – sandbox-m" (empty when one group holds every profile).
    pub range: String,
    pub rows: Vec<SessionRow>,
}

impl ProfileGroup {
    /// Its submenu's label: the range, how many, and how many of them are active.
    pub fn label(&self) -> String {
        let active = self.rows.iter().filter(|r| r.active).count();
        match active {
            0 => format!("{} ({})", self.range, self.rows.len()),
            a => format!("{} ({}, {a} active)", self.range, self.rows.len()),
        }
    }
}

/// Every row, sorted by name (ignoring case), in consecutive groups of at most
/// `max(GROUP_SIZE, ⌈n / GROUP_SIZE⌉)`: the profiles of a first letter stay together when
/// they fit, neighbouring letters share a group while they fit, and a letter with more
/// profiles than a group holds is cut into even parts.
pub fn groups(mut rows: Vec<SessionRow>) -> Vec<ProfileGroup> {
    rows.sort_by_cached_key(|r| r.name.to_lowercase());
    let size = GROUP_SIZE.max(rows.len().div_ceil(GROUP_SIZE));
    if rows.len() <= size {
        return vec![ProfileGroup {
            range: String::new(),
            rows,
        }];
    }
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    let spans = spans(&names, size);
    let mut labels: Vec<String> = spans.iter().map(|span| span.label(&names)).collect();
    // Cut from the back so the indices of the spans still to cut stay right.
    let mut groups = Vec::with_capacity(spans.len());
    for span in spans.iter().rev() {
        let rows = rows.split_off(span.start);
        let range = labels.pop().unwrap_or_default();
        groups.push(ProfileGroup { range, rows });
    }
    groups.reverse();
    groups
}

/// `start..end` of the sorted names; `split`: a part of one letter cut into several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
    split: bool,
}

impl Span {
    fn label(&self, names: &[&str]) -> String {
        let (first, last) = (names[self.start], names[self.end - 1]);
        if self.split {
            return split_label(
                first,
                last,
                self.start.checked_sub(1).map(|i| names[i]),
                names.get(self.end).copied(),
            );
        }
        let (a, b) = (initial(first), initial(last));
        if a == b {
            a.to_string()
        } else {
            format!("{a}–{b}")
        }
    }
}

/// The range of a part of one letter from `first` to `last`, between the names `before` and
/// `after` (if any): where it meets another part of its letter, the shortest beginnings that
/// tell the two apart; both ends as long as the longer of them ("acme-041-r – acme-049-r").
fn split_label(first: &str, last: &str, before: Option<&str>, after: Option<&str>) -> String {
    let telling = |name: &str, other: Option<&str>| match other {
        Some(other) if initial(other) == initial(name) => distinct_prefix(name, other),
        _ => 1,
    };
    let long = telling(first, before).max(telling(last, after));
    let cut = |name: &str| name.chars().take(long).collect::<String>();
    format!("{} – {}", cut(first), cut(last))
}

/// The spans of `names` (sorted, more than `size`), as [`groups`] describes.
fn spans(names: &[&str], size: usize) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut open: Option<Span> = None;
    let mut start = 0;
    while start < names.len() {
        let letter = initial(names[start]);
        let end = start
            + names[start..]
                .iter()
                .take_while(|n| initial(n) == letter)
                .count();
        let len = end - start;
        match open {
            Some(ref mut span) if span.end - span.start + len <= size => span.end = end,
            _ => {
                spans.extend(open.take());
                if len <= size {
                    open = Some(Span {
                        start,
                        end,
                        split: false,
                    });
                } else {
                    let parts = len.div_ceil(size);
                    for part in 0..parts {
                        spans.push(Span {
                            start: start + len * part / parts,
                            end: start + len * (part + 1) / parts,
                            split: true,
                        });
                    }
                }
            }
        }
        start = end;
    }
    spans.extend(open);
    spans
}

/// A name's first character, upper-cased: its letter in the index.
fn initial(name: &str) -> char {
    name.chars()
        .next()
        .and_then(|c| c.to_uppercase().next())
        .unwrap_or(' ')
}

/// How long the shortest beginning of `name` is that `other` does not share (ignoring case).
fn distinct_prefix(name: &str, other: &str) -> usize {
    let shared = name
        .chars()
        .zip(other.chars())
        .take_while(|(a, b)| a.to_lowercase().eq(b.to_lowercase()))
        .count();
    shared + 1
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn row(name: &str, active: bool) -> SessionRow {
        SessionRow {
            name: name.to_owned(),
            label: format!("{name} — off"),
            active,
            renewable: true,
            console: true,
        }
    }

    fn rows(names: &[String]) -> Vec<SessionRow> {
        names.iter().map(|n| row(n, false)).collect()
    }

    fn ranges(groups: &[ProfileGroup]) -> Vec<(String, usize)> {
        groups
            .iter()
            .map(|g| (g.range.clone(), g.rows.len()))
            .collect()
    }

    /// Profiles as `sso sync` names them (`{account_name}-{role_name}`): accounts of one
    /// organisation, three roles each.
    pub(crate) fn synced(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| {
                let role = ["admin", "dev", "readonly"][i % 3];
                format!("acme-{:03}-{role}", i / 3)
            })
            .collect()
    }

    /// Names of many shapes: letters of different sizes, upper case, digits.
    fn assorted() -> Vec<String> {
        let mut names = Vec::new();
        for (prefix, n) in [
            ("analytics", 8),
            ("Billing", 6),
            ("build", 5),
            ("data", 12),
            ("dev", 40),
            ("edge", 3),
            ("prod", 30),
            ("sandbox", 70),
            ("2fa-test", 2),
        ] {
            names.extend((0..n).map(|i| format!("{prefix}-{i:02}")));
        }
        names
    }

    #[test]
    fn a_short_list_is_one_group_in_order() {
        let groups = groups(rows(&["b".into(), "A".into(), "c".into()]));
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].range, "");
        let names: Vec<&str> = groups[0].rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["A", "b", "c"]);
        assert!(super::groups(Vec::new())[0].rows.is_empty());
    }

    #[test]
    fn one_long_letter_is_cut_where_its_names_differ() {
        let groups = groups(rows(&synced(300)));
        assert_eq!(groups.len(), 12);
        assert!(groups.iter().all(|g| g.rows.len() == 25), "{groups:?}");
        assert_eq!(groups[0].range, "acme-000-a – acme-008-a");
        assert_eq!(groups[1].range, "acme-008-d – acme-016-d");
        assert_eq!(groups[11].range, "acme-091-r – acme-099-r");
        assert_eq!(groups[5].range, "acme-041-r – acme-049-r");
        assert_eq!(groups[11].label(), "acme-091-r – acme-099-r (25)");
        assert_eq!(groups[11].rows[0].name, "acme-091-readonly");
    }

    #[test]
    fn letters_share_groups_while_they_fit() {
        let expected = [
            ("2–B", 21),
            ("data-0 – dev-04", 17),
            ("dev-05 – dev-21", 17),
            ("dev-22 – dev-39", 18),
            ("E", 3),
            ("prod-00 – prod-14", 15),
            ("prod-15 – prod-29", 15),
            ("sandbox-00 – sandbox-22", 23),
            ("sandbox-23 – sandbox-45", 23),
            ("sandbox-46 – sandbox-69", 24),
        ];
        let expected: Vec<(String, usize)> = expected
            .iter()
            .map(|(r, n)| ((*r).to_owned(), *n))
            .collect();
        assert_eq!(ranges(&groups(rows(&assorted()))), expected);
    }

    #[test]
    fn every_profile_is_in_exactly_one_small_group_in_order() {
        for (what, names) in [
            ("synced", synced(300)),
            ("assorted", assorted()),
            ("large", synced(1000)),
        ] {
            let groups = groups(rows(&names));
            let size = GROUP_SIZE.max(names.len().div_ceil(GROUP_SIZE));
            assert!(groups
                .iter()
                .all(|g| !g.rows.is_empty() && g.rows.len() <= size));
            assert!(
                groups.len() <= GROUP_SIZE.max(names.len().div_ceil(size)),
                "{what}"
            );
            let listed: Vec<String> = groups
                .iter()
                .flat_map(|g| g.rows.iter().map(|r| r.name.to_lowercase()))
                .collect();
            let mut sorted: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
            sorted.sort();
            assert_eq!(listed, sorted, "{what}");
        }
    }

    #[test]
    fn a_group_says_how_many_of_its_profiles_are_active() {
        let group = ProfileGroup {
            range: "A–C".to_owned(),
            rows: vec![row("a", true), row("b", false)],
        };
        assert_eq!(group.label(), "A–C (2, 1 active)");
    }
}
