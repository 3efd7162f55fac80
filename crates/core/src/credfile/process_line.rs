//! The managed `credential_process = rolekeeper credential-process NAME` line of a config-file
//! profile: added by `source import` and by process delivery, removed again byte for byte.

use super::adopt::names_profile;
use super::document::Document;

/// Add `line` to `profile`'s section of a config document, after its last non-blank line
/// (creating the section at the end if there is none). Nothing changes if the line is there.
/// A file that did not end with a line break still does not: [`remove`] then gives back its
/// bytes exactly.
pub fn add(doc: &mut Document, profile: &str, line: &str) {
    let ending = doc.line_ending().as_str();
    let span = doc
        .sections()
        .into_iter()
        .find(|s| names_profile(&s.name, profile));
    let Some(span) = span else {
        let header = crate::profile::config_profile_header(profile);
        doc.append_section(&format!("{header}{ending}{line}{ending}"));
        return;
    };
    if find(doc, profile, line).is_some() {
        return;
    }
    let last = span.end - 1;
    let mut bytes = doc.line_bytes(last).to_vec();
    if bytes.ends_with(b"\n") {
        bytes.extend_from_slice(format!("{line}{ending}").as_bytes());
    } else {
        bytes.extend_from_slice(format!("{ending}{line}").as_bytes());
    }
    doc.set_line(last, bytes);
}

/// Remove `line` from `profile`'s section. Returns whether it was there.
pub fn remove(doc: &mut Document, profile: &str, line: &str) -> bool {
    let Some(index) = find(doc, profile, line) else {
        return false;
    };
    let unterminated = !doc.line_bytes(index).ends_with(b"\n");
    doc.set_line(index, Vec::new());
    if unterminated && index > 0 {
        // The line was last and [`add`] put the line break before it: that break goes too.
        let previous = doc.line_bytes(index - 1);
        let body = previous.strip_suffix(b"\n").unwrap_or(previous);
        let body = body.strip_suffix(b"\r").unwrap_or(body).to_vec();
        doc.set_line(index - 1, body);
    }
    true
}

fn find(doc: &Document, profile: &str, line: &str) -> Option<usize> {
    doc.sections()
        .into_iter()
        .filter(|s| names_profile(&s.name, profile))
        .find_map(|span| (span.header + 1..span.end).find(|&i| doc.line_text(i).trim() == line))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = "credential_process = rolekeeper credential-process prod";

    #[test]
    fn add_then_remove_gives_back_the_bytes() {
        // (file before, file with the line)
        for (before, with) in [
            (
                "[profile prod]\nregion = eu-west-1\n\n[profile b]\n",
                "[profile prod]\nregion = eu-west-1\ncredential_process = rolekeeper credential-process prod\n\n[profile b]\n",
            ),
            (
                "[profile prod]\r\nregion = x",
                "[profile prod]\r\nregion = x\r\ncredential_process = rolekeeper credential-process prod",
            ),
            (
                "[profile prod]\n",
                "[profile prod]\ncredential_process = rolekeeper credential-process prod\n",
            ),
        ] {
            let mut doc = Document::parse(before.as_bytes());
            add(&mut doc, "prod", LINE);
            assert_eq!(String::from_utf8_lossy(&doc.to_bytes()), with, "{before:?}");
            add(&mut doc, "prod", LINE);
            assert_eq!(String::from_utf8_lossy(&doc.to_bytes()), with, "twice: {before:?}");
            assert!(remove(&mut doc, "prod", LINE));
            assert_eq!(String::from_utf8_lossy(&doc.to_bytes()), before);
            assert!(!remove(&mut doc, "prod", LINE));
        }
    }

    #[test]
    fn only_the_named_profile_is_touched() {
        let text = format!("[profile other]\n{LINE}\n");
        let mut doc = Document::parse(text.as_bytes());
        assert!(!remove(&mut doc, "prod", LINE));
        assert_eq!(String::from_utf8_lossy(&doc.to_bytes()), text);
    }
}
