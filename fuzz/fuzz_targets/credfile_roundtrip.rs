//! Fuzz target for the lossless credentials-file model (`rolekeeper_core::credfile`): the same
//! properties `crates/core/tests/credfile_props.rs` states for proptest, on inputs libFuzzer grows
//! from coverage instead of from a grammar, so it reaches byte sequences the generators never make
//! (lone `\r`, NUL, invalid UTF-8, headers without `]`, a last line of blanks without a newline).
//!
//! For any bytes:
//! 1. parsing and writing back unchanged gives identical bytes;
//! 2. adding a managed section keeps the original bytes as a prefix (only a terminator for an
//!    unterminated last line, a blank separator and the section are added) and changes no other
//!    section's text; refreshing it changes no other section either;
//! 3. removing it gives back the original bytes exactly.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use rolekeeper_core::credfile::managed;
use rolekeeper_core::credfile::{Document, LineEnding};
use rolekeeper_core::{Credentials, Secret};

/// The managed section's name. A fixed name: an input that already has such a section makes
/// `upsert` refuse (a conflict), which is the documented behaviour and ends that run early.
const NAME: &str = "rk-fuzz";

fn creds(n: u64) -> Credentials {
    Credentials {
        access_key_id: format!("ASIA{n:016}"),
        secret_access_key: Secret::new(format!("secret/{n}+x")),
        session_token: Some(Secret::new(format!("token{n}"))),
        expiration: Some(UNIX_EPOCH + Duration::from_secs(1_800_000_000 + n)),
    }
}

/// Every section's text except the managed one, without a final `ending` (appending after a last
/// line that has none gives it one; that is allowed, and undone on removal). Like
/// `other_sections` in credfile_props.rs, except that it strips exactly the ending the original
/// document uses rather than any `\n` or `\r\n`: a last line may end in a bare `\r` of its own,
/// which proptest's generators never produce but libFuzzer does.
fn other_sections(doc: &Document, ending: LineEnding) -> Vec<Vec<u8>> {
    doc.sections()
        .iter()
        .filter(|s| s.name != NAME)
        .map(|s| {
            let text = doc.span_text(s).into_bytes();
            match text.strip_suffix(ending.as_str().as_bytes()) {
                Some(t) => t.to_vec(),
                None => text,
            }
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let mut doc = Document::parse(data);
    assert_eq!(
        doc.to_bytes(),
        data,
        "an unedited document must write back the same bytes"
    );

    // Decided once, from the original: appending can change what `line_ending` would say of a
    // file that had no terminated line.
    let ending = doc.line_ending();
    let before = other_sections(&doc, ending);
    let Ok(record) = managed::upsert(&mut doc, NAME, &creds(1), None, false) else {
        return; // the input has a section of that name: RoleKeeper must not touch it
    };
    let written = doc.to_bytes();
    assert!(
        written.starts_with(data),
        "adding a section changed bytes of the original file"
    );
    assert_eq!(
        other_sections(&doc, ending),
        before,
        "adding a section changed another section"
    );

    let record = managed::upsert(&mut doc, NAME, &creds(2), Some(&record), false)
        .unwrap_or_else(|c| panic!("refreshing RoleKeeper's own, unedited section: {c:?}"));
    assert_eq!(
        other_sections(&doc, ending),
        before,
        "a refresh changed another section"
    );

    assert_eq!(
        managed::remove(&mut doc, NAME, Some(&record), false),
        Ok(true)
    );
    assert_eq!(
        doc.to_bytes(),
        data,
        "removing the section did not give back the original bytes"
    );
});
