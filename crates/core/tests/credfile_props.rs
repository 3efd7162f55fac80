//! Property tests of the lossless credentials-file model: for generated files (CRLF and LF,
//! comments, blank lines, tabs, odd spacing, unknown keys, sections RoleKeeper does not
//! understand, no final newline) and generated edits, no byte RoleKeeper does not own changes.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::{Duration, UNIX_EPOCH};

use proptest::prelude::*;
use rolekeeper_core::credfile::managed::{self, SectionRecord};
use rolekeeper_core::credfile::Document;
use rolekeeper_core::{Credentials, Secret};

fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("   ".to_owned()),
        "# [a-z =;#]{0,12}",
        "; [a-z ]{0,8}",
        "\\[[a-z]{1,4}\\]",
        "\\[profile [a-z]{1,4}\\]",
        " *\\[ ?[a-z]{1,3} ?\\] *(# c)?",
        "[a-z_]{1,10} ?= ?[A-Za-z0-9/+]{0,12}",
        "[a-z_]{1,6}\t=\t[a-z]{0,5}",
        "[a-z_]{1,6}: [a-z]{0,5}",
        "  [a-z]{1,6} = [a-z]{0,4}",
        "[^\n\r\\[]{0,20}",
    ]
}

fn file() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(line(), 0..25),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(lines, crlf, final_newline)| {
            let ending = if crlf { "\r\n" } else { "\n" };
            let mut text = lines.join(ending);
            if final_newline && !text.is_empty() {
                text.push_str(ending);
            }
            text
        })
}

fn creds(n: u32) -> Credentials {
    Credentials {
        access_key_id: format!("ASIA{n:016}"),
        secret_access_key: Secret::new(format!("secret/{n}+x")),
        session_token: Some(Secret::new(format!("token{n}"))),
        expiration: Some(UNIX_EPOCH + Duration::from_secs(1_800_000_000 + u64::from(n))),
    }
}

/// Every section's text except those named `skip`, without one final line terminator: appending
/// after a last line that has none must give that line one (and removing takes it back).
fn other_sections(doc: &Document, skip: &[&str]) -> Vec<String> {
    doc.sections()
        .iter()
        .filter(|s| !skip.contains(&s.name.as_str()))
        .map(|s| {
            let text = doc.span_text(s);
            let text = text
                .strip_suffix('\n')
                .map(|t| t.strip_suffix('\r').unwrap_or(t));
            text.map(str::to_owned).unwrap_or_else(|| doc.span_text(s))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_round_trip(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        prop_assert_eq!(Document::parse(&bytes).to_bytes(), bytes);
    }

    #[test]
    fn generated_files_round_trip(text in file()) {
        prop_assert_eq!(Document::parse(text.as_bytes()).to_bytes(), text.as_bytes());
    }

    /// Add two managed sections, refresh them several times, remove them: every other section is
    /// the same at each step, and at the end the file is byte for byte what it was.
    #[test]
    fn managed_edits_touch_nothing_else(text in file(), refreshes in 1u32..4) {
        let names = ["rk-one", "rk-two"];
        let mut doc = Document::parse(text.as_bytes());
        let before = other_sections(&doc, &names);
        let mut records: Vec<Option<SectionRecord>> = vec![None, None];
        for round in 0..refreshes {
            for (i, name) in names.iter().enumerate() {
                let record = managed::upsert(&mut doc, name, &creds(round * 2 + i as u32), records[i].as_ref(), false)
                    .expect("upsert into a file without these names");
                records[i] = Some(record);
                prop_assert_eq!(&other_sections(&doc, &names), &before);
            }
        }
        let written = String::from_utf8(doc.to_bytes()).expect("utf8");
        let ending = if Document::parse(text.as_bytes()).line_ending().as_str() == "\r\n" { "\r\n" } else { "\n" };
        let want = format!("aws_session_token = token{}{ending}", (refreshes - 1) * 2 + 1);
        prop_assert!(written.contains(&want), "last refresh missing: {}", written);
        for (i, name) in names.iter().enumerate().rev() {
            prop_assert_eq!(managed::remove(&mut doc, name, records[i].as_ref(), false), Ok(true));
        }
        let end = doc.to_bytes();
        prop_assert_eq!(String::from_utf8_lossy(&end), text);
    }

    /// What the specification's reader sees of other profiles does not change when RoleKeeper
    /// writes its section.
    #[test]
    fn readers_see_the_same_other_profiles(text in file()) {
        use std::path::Path;
        use rolekeeper_core::profile::{parse, FileKind, ProfileSet};
        let empty = parse(Path::new("c"), FileKind::Config, "").unwrap();
        let Ok(original) = parse(Path::new("k"), FileKind::Credentials, &text) else { return Ok(()) };
        let mut doc = Document::parse(text.as_bytes());
        if managed::upsert(&mut doc, "rk-new", &creds(7), None, false).is_err() {
            return Ok(());
        }
        let after_text = String::from_utf8(doc.to_bytes()).unwrap();
        let after = parse(Path::new("k"), FileKind::Credentials, &after_text).expect("still parses");
        let view = |f| {
            let set = ProfileSet::merge(&empty, f);
            set.profiles()
                .filter(|p| p.name != "rk-new")
                .map(|p| format!("{}: {:?}", p.name, p))
                .collect::<Vec<_>>()
        };
        prop_assert_eq!(view(&original), view(&after));
        let set = ProfileSet::merge(&empty, &after);
        prop_assert_eq!(set.get("rk-new").and_then(|p| p.text("aws_access_key_id")), Some("ASIA0000000000000007"));
    }
}
