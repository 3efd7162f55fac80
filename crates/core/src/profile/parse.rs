//! One profile file, parsed by the rules of the cross-SDK profile-file specification: `#` and `;`
//! comment lines, `[section]` headers with an optional trailing comment, `key = value` properties
//! with ` #`/` ;` inline comments, indented continuation lines, and sub-properties under a key with
//! an empty value. CRLF is accepted. Keys are case-insensitive (kept lower-case).

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use crate::credfile::adopt::ADOPTED_PREFIX;

/// Which of the two files the text came from: section names mean different things in each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `~/.aws/config`: `[profile NAME]`, `[default]`, `[sso-session NAME]`, `[services NAME]`.
    Config,
    /// `~/.aws/credentials`: `[NAME]`.
    Credentials,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SectionKind {
    /// A profile the SDKs will load, with its name.
    Profile,
    /// `[default]` in the config file: loses to `[profile default]` if both exist.
    BareDefault,
    SsoSession,
    Services,
    /// A section the SDKs ignore in this file (e.g. `[foo]` in config, `[profile foo]` in
    /// credentials, or a name with characters the SDKs reject).
    Ignored,
}

#[derive(Debug, Clone)]
pub struct Section {
    pub kind: SectionKind,
    pub name: String,
    /// 1-based line of the `[...]` header.
    pub line: usize,
    pub properties: Vec<Property>,
}

#[derive(Clone)]
pub struct Property {
    /// Lower-cased key.
    pub key: String,
    pub value: String,
    /// 1-based line of the key.
    pub line: usize,
    /// Written as a RoleKeeper adoption comment: invisible to the AWS tools, part of
    /// RoleKeeper's own definition (see `credfile::adopt`).
    pub adopted: bool,
}

impl fmt::Debug for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value: &dyn fmt::Debug = if super::SECRET_KEYS.contains(&self.key.as_str()) {
            &"<redacted>"
        } else {
            &self.value
        };
        f.debug_struct("Property")
            .field("key", &self.key)
            .field("value", value)
            .field("line", &self.line)
            .field("adopted", &self.adopted)
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct ParsedFile {
    pub path: PathBuf,
    pub kind: FileKind,
    pub sections: Vec<Section>,
}

/// A line the SDKs refuse; the whole file is then unusable for them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}, line {line}: {message}")]
pub struct ParseError {
    pub path: PathBuf,
    pub line: usize,
    pub message: String,
}

/// Which AWS readers refuse a construct.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejectors {
    /// The SDKs that follow the profile-file specification (Rust, Java, Go, JavaScript, ...).
    SpecSdks,
    /// botocore, and so boto3 and the AWS CLI.
    Botocore,
    /// Every reader, RoleKeeper too; unlike the others this costs only the one section (a
    /// header that means a profile but names none any reader takes), not the whole file.
    Everyone,
}

/// A line that some AWS readers refuse (the whole file is then unusable for them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quirk {
    pub path: PathBuf,
    pub line: usize,
    pub what: String,
    pub rejected_by: Rejectors,
}

impl fmt::Display for Quirk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let who = match self.rejected_by {
            Rejectors::SpecSdks => "the AWS SDKs for Rust, Java, Go and JavaScript reject",
            Rejectors::Botocore => "the AWS CLI, boto3 and botocore reject",
            Rejectors::Everyone => {
                return write!(
                    f,
                    "{}, line {}: {}; RoleKeeper, the AWS CLI and the SDKs skip that section and \
                     its settings",
                    self.path.display(),
                    self.line,
                    self.what
                )
            }
        };
        write!(
            f,
            "{}, line {}: {}; {who} the whole file, fix that line",
            self.path.display(),
            self.line,
            self.what
        )
    }
}

/// Parse the text of one file by the specification. `path` is used only in errors.
pub fn parse(path: &Path, kind: FileKind, text: &str) -> Result<ParsedFile, ParseError> {
    parse_with(path, kind, text, None)
}

/// Parse like [`parse`], but also accept what botocore accepts and the specification does not
/// (`key: value`, an indented key, an indented `[section]`), recording each as a [`Quirk`].
pub fn parse_lenient(
    path: &Path,
    kind: FileKind,
    text: &str,
) -> Result<(ParsedFile, Vec<Quirk>), ParseError> {
    let mut quirks = Vec::new();
    let parsed = parse_with(path, kind, text, Some(&mut quirks))?;
    Ok((parsed, quirks))
}

fn parse_with(
    path: &Path,
    kind: FileKind,
    text: &str,
    mut lenient: Option<&mut Vec<Quirk>>,
) -> Result<ParsedFile, ParseError> {
    let mut quirk = |line: usize, what: &str| {
        if let Some(q) = lenient.as_deref_mut() {
            q.push(Quirk {
                path: path.to_owned(),
                line,
                what: what.to_owned(),
                rejected_by: Rejectors::SpecSdks,
            });
            true
        } else {
            false
        }
    };
    let mut sections: Vec<Section> = Vec::new();
    // Index of the property that continuation lines extend, in the last section.
    let mut open_property: Option<usize> = None;
    let err = |line: usize, message: &str| ParseError {
        path: path.to_owned(),
        line,
        message: message.to_owned(),
    };

    for (index, raw) in text.split('\n').enumerate() {
        let line_no = index + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(original) = line.strip_prefix(ADOPTED_PREFIX) {
            // RoleKeeper's view only: the AWS tools see a comment.
            if let (Some(section), Some((key, value))) =
                (sections.last_mut(), original.split_once('='))
            {
                let key = key.trim();
                if is_valid_identifier(key) {
                    section.properties.push(Property {
                        key: key.to_ascii_lowercase(),
                        value: strip_value_comment(value).trim().to_owned(),
                        line: line_no,
                        adopted: true,
                    });
                }
            }
            open_property = None;
            continue;
        }
        if line.trim().is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let indented_header = line.starts_with([' ', '\t']) && line.trim_start().starts_with('[');
        if line.starts_with('[')
            || (indented_header && quirk(line_no, "a section header is indented"))
        {
            let header = strip_header_comment(line.trim_start()).trim_end();
            let Some(inner) = header.strip_prefix('[').and_then(|h| h.strip_suffix(']')) else {
                return Err(err(line_no, "Profile definition must end with ']'"));
            };
            let (kind, name) = classify_section(kind, inner.trim());
            sections.push(Section {
                kind,
                name,
                line: line_no,
                properties: Vec::new(),
            });
            open_property = None;
            continue;
        }
        let Some(section) = sections.last_mut() else {
            return Err(err(line_no, "Expected a profile definition"));
        };
        if line.starts_with([' ', '\t']) {
            // A continuation of the previous property.
            let Some(index) = open_property else {
                if line.contains(['=', ':']) && quirk(line_no, "a key is indented") {
                    push_property(section, line.trim(), line_no);
                    continue;
                }
                return Err(err(
                    line_no,
                    "Expected a property definition, found continuation",
                ));
            };
            let property = &mut section.properties[index];
            let text = line.trim();
            if property.value.is_empty() || property.value.starts_with('\n') {
                // Sub-properties: each must be `name = value`.
                let Some((name, _)) = text.split_once('=') else {
                    return Err(err(line_no, "Expected an '=' sign defining a sub-property"));
                };
                if name.trim().is_empty() {
                    return Err(err(line_no, "Sub-property did not have a name"));
                }
            }
            property.value.push('\n');
            property.value.push_str(text);
            continue;
        }
        let colon_first = match (line.find('='), line.find(':')) {
            (None, Some(_)) => true,
            (Some(eq), Some(colon)) => colon < eq,
            _ => false,
        };
        if colon_first {
            if quirk(line_no, "`key: value` uses ':' instead of '='") {
                push_property(section, line, line_no);
                continue;
            }
            return Err(err(line_no, "Expected an '=' sign defining a property"));
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(err(line_no, "Expected an '=' sign defining a property"));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(err(line_no, "Property did not have a name"));
        }
        let value = strip_value_comment(value).trim();
        if !is_valid_identifier(key) {
            // The SDKs drop properties with invalid names silently; so do we.
            open_property = None;
            continue;
        }
        section.properties.push(Property {
            key: key.to_ascii_lowercase(),
            value: value.to_owned(),
            line: line_no,
            adopted: false,
        });
        open_property = Some(section.properties.len() - 1);
    }
    Ok(ParsedFile {
        path: path.to_owned(),
        kind,
        sections,
    })
}

/// A `key: value` or indented `key = value` line, as botocore reads it.
fn push_property(section: &mut Section, line: &str, line_no: usize) {
    let at = line.find(['=', ':']).unwrap_or(line.len());
    let key = line[..at].trim();
    let value = line.get(at + 1..).unwrap_or_default();
    if is_valid_identifier(key) {
        section.properties.push(Property {
            key: key.to_ascii_lowercase(),
            value: strip_value_comment(value).trim().to_owned(),
            line: line_no,
            adopted: false,
        });
    }
}

/// The sections of a parsed file that mean to define a profile but name none that RoleKeeper (or
/// any AWS reader) takes, each as a [`Quirk`] of [`Rejectors::Everyone`] with what to write
/// instead: they would otherwise vanish without a word.
pub fn skipped_sections(file: &ParsedFile) -> Vec<Quirk> {
    file.sections
        .iter()
        .filter(|s| s.kind == SectionKind::Ignored)
        .filter_map(|section| {
            let header = &section.name;
            let what = match file.kind {
                FileKind::Config
                    if ["profile", "sso-session", "services"]
                        .iter()
                        .any(|p| header.starts_with(p)) =>
                {
                    format!(
                        "section [{header}] names no profile: write `[profile NAME]` with one \
                         space, and quote a NAME that has spaces or quotes \
                         (`[profile \"my profile\"]`)"
                    )
                }
                FileKind::Credentials => {
                    "section [] has no name: write the profile's name between the brackets"
                        .to_owned()
                }
                FileKind::Config => return None,
            };
            Some(Quirk {
                path: file.path.clone(),
                line: section.line,
                what,
                rejected_by: Rejectors::Everyone,
            })
        })
        .collect()
}

/// What botocore (and so the AWS CLI) refuses although the specification allows it: a byte-order
/// mark, a section defined twice, a key repeated within a section, a key before any section.
pub fn botocore_rejections(path: &Path, text: &str) -> Vec<Quirk> {
    let mut quirks = Vec::new();
    let mut push = |line: usize, what: String| {
        quirks.push(Quirk {
            path: path.to_owned(),
            line,
            what,
            rejected_by: Rejectors::Botocore,
        });
    };
    if text.starts_with('\u{feff}') {
        push(1, "the file starts with a byte-order mark".to_owned());
    }
    // Hashed, not searched: a list made this quadratic in the number of sections (50 s for
    // `rolekeeper status` on a 20 MB config).
    let mut seen_sections: HashMap<&str, usize> = HashMap::new();
    let mut keys: HashSet<String> = HashSet::new();
    let mut in_section = false;
    for (index, raw) in text.trim_start_matches('\u{feff}').split('\n').enumerate() {
        let line_no = index + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with(['#', ';']) || line.starts_with(ADOPTED_PREFIX)
        {
            continue;
        }
        if let Some(inner) = trimmed.strip_prefix('[') {
            let name = inner.split(']').next().unwrap_or_default();
            match seen_sections.entry(name) {
                Entry::Occupied(first) => push(
                    line_no,
                    format!(
                        "section [{name}] is defined a second time (first at line {})",
                        first.get()
                    ),
                ),
                Entry::Vacant(slot) => {
                    slot.insert(line_no);
                }
            }
            keys.clear();
            in_section = true;
            continue;
        }
        if line.starts_with([' ', '\t']) {
            continue; // a continuation line
        }
        if !in_section {
            push(line_no, "a key comes before any [section]".to_owned());
            continue;
        }
        let key = line
            .split(['=', ':'])
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if keys.contains(&key) {
            push(
                line_no,
                format!("key `{key}` is repeated in the same section"),
            );
        }
        keys.insert(key);
    }
    quirks
}

/// `[profile x] # comment` -> `[profile x]`.
fn strip_header_comment(line: &str) -> &str {
    match line.find(['#', ';']) {
        Some(at) => &line[..at],
        None => line,
    }
}

/// `value # comment` -> `value`; `value#x` stays (a comment needs whitespace before it).
fn strip_value_comment(value: &str) -> &str {
    let bytes = value.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if (*b == b'#' || *b == b';') && i > 0 && (bytes[i - 1] == b' ' || bytes[i - 1] == b'\t') {
            return &value[..i];
        }
    }
    value
}

fn classify_section(file: FileKind, inner: &str) -> (SectionKind, String) {
    match file {
        FileKind::Credentials => {
            // botocore takes any credentials-file section as a profile of that very name, even
            // `[profile x]` (profile `profile x`); the specification's SDKs only identifier
            // names without `profile `. RoleKeeper reads what either reads.
            if inner.is_empty() {
                (SectionKind::Ignored, String::new())
            } else {
                (SectionKind::Profile, inner.to_owned())
            }
        }
        FileKind::Config => {
            if inner == "default" {
                return (SectionKind::BareDefault, "default".to_owned());
            }
            for (prefix, kind) in [
                ("profile", SectionKind::Profile),
                ("sso-session", SectionKind::SsoSession),
                ("services", SectionKind::Services),
            ] {
                if let Some(rest) = inner.strip_prefix(prefix) {
                    if rest.starts_with([' ', '\t']) {
                        return match section_name(rest) {
                            Some(name) => (kind, name),
                            None => (SectionKind::Ignored, inner.to_owned()),
                        };
                    }
                }
            }
            (SectionKind::Ignored, inner.to_owned())
        }
    }
}

/// The name after `profile`, `sso-session` or `services` in a config-file header, as either
/// reader takes it: the specification's SDKs a trimmed name of identifier characters, botocore
/// whatever Python's `shlex.split` makes one word of (`"sp ace"` is `sp ace`, `ünï` is `ünï`;
/// `a b` is two words, which botocore skips, and so do we).
fn section_name(rest: &str) -> Option<String> {
    let rest = rest.trim();
    if is_valid_identifier(rest) {
        return Some(rest.to_owned());
    }
    match shlex_split(rest)?.as_slice() {
        [name] if !name.is_empty() => Some(name.clone()),
        _ => None,
    }
}

/// The profile a config-file section header defines (`inner` is the text between `[` and `]`),
/// read as [`parse`] reads it: for the editor, which must find the same sections.
pub(crate) fn config_profile_name(inner: &str) -> Option<String> {
    match classify_section(FileKind::Config, inner.trim()) {
        (SectionKind::Profile | SectionKind::BareDefault, name) => Some(name),
        _ => None,
    }
}

/// The config-file header that defines profile `name`, quoted the way botocore unquotes it
/// when the name is not a plain identifier (`[profile "sp ace"]`).
pub(crate) fn config_profile_header(name: &str) -> String {
    if name == "default" {
        "[default]".to_owned()
    } else if is_valid_identifier(name) {
        format!("[profile {name}]")
    } else {
        // Inside double quotes `shlex` unescapes only `\"` and `\\`.
        let quoted = name.replace('\\', "\\\\").replace('"', "\\\"");
        format!("[profile \"{quoted}\"]")
    }
}

/// Python's `shlex.split` (POSIX mode, no comments), which botocore's `_parse_section` applies
/// to config-file section names. `None` where Python raises (an unclosed quote, a trailing `\`).
fn shlex_split(text: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\\' => {
                word.push(chars.next()?);
                in_word = true;
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => word.push(c),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => {
                            let next = chars.next()?;
                            if next != '"' && next != '\\' {
                                word.push('\\');
                            }
                            word.push(next);
                        }
                        c => word.push(c),
                    }
                }
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Some(words)
}

/// The characters the SDKs accept in profile and property names.
fn is_valid_identifier(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_reading_accepts_what_botocore_accepts_and_says_so() {
        let text = "[profile a]\nkey: value\n  [profile b]\n  indented = yes\n";
        assert!(parse(Path::new("/c"), FileKind::Config, text).is_err());
        let (f, quirks) = parse_lenient(Path::new("/c"), FileKind::Config, text).expect("lenient");
        assert_eq!(f.sections[0].properties[0].value, "value");
        assert_eq!(f.sections[1].name, "b");
        assert_eq!(f.sections[1].properties[0].key, "indented");
        let lines: Vec<_> = quirks.iter().map(|q| q.line).collect();
        assert_eq!(lines, [2, 3, 4]);
        assert!(
            quirks[0].to_string().contains("/c, line 2: `key: value`"),
            "{}",
            quirks[0]
        );
    }

    #[test]
    fn botocore_rejections_are_found_with_their_lines() {
        let text = "\u{feff}[a]\nk = 1\nK = 2\n[b]\n[a]\n";
        let q = botocore_rejections(Path::new("/k"), text);
        let found: Vec<_> = q.iter().map(|q| (q.line, q.what.as_str())).collect();
        assert_eq!(
            found,
            [
                (1, "the file starts with a byte-order mark"),
                (3, "key `k` is repeated in the same section"),
                (5, "section [a] is defined a second time (first at line 1)"),
            ]
        );
        assert!(
            botocore_rejections(Path::new("/k"), "[a]\nk = 1\n  more\n[b]\nk = 2\n").is_empty()
        );
    }

    fn config(text: &str) -> ParsedFile {
        parse(Path::new("/c"), FileKind::Config, text).expect("parses")
    }

    #[test]
    fn sections_properties_and_line_numbers() {
        let f = config(
            "# top\n[profile a]\nRole_Arn = arn:x # note\n\n[default]\nregion=eu-west-1\r\n",
        );
        assert_eq!(f.sections.len(), 2);
        assert_eq!(f.sections[0].kind, SectionKind::Profile);
        assert_eq!(f.sections[0].name, "a");
        assert_eq!(f.sections[0].line, 2);
        assert_eq!(f.sections[0].properties[0].key, "role_arn");
        assert_eq!(f.sections[0].properties[0].value, "arn:x");
        assert_eq!(f.sections[0].properties[0].line, 3);
        assert_eq!(f.sections[1].kind, SectionKind::BareDefault);
        assert_eq!(f.sections[1].properties[0].value, "eu-west-1");
    }

    #[test]
    fn glued_comment_characters_stay_in_the_value() {
        let f = config("[profile a]\nk = v#x;y\n");
        assert_eq!(f.sections[0].properties[0].value, "v#x;y");
    }

    #[test]
    fn continuation_and_sub_properties() {
        let f = config("[profile a]\ns3 =\n  max_concurrent_requests = 20\nk = one\n  two\n");
        assert_eq!(
            f.sections[0].properties[0].value,
            "\nmax_concurrent_requests = 20"
        );
        assert_eq!(f.sections[0].properties[1].value, "one\ntwo");
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse(
            Path::new("/c"),
            FileKind::Config,
            "[profile a]\nnot a property\n",
        )
        .expect_err("must fail");
        assert_eq!(e.line, 2);
        assert!(e.to_string().contains("/c, line 2"), "{e}");
        let e = parse(Path::new("/c"), FileKind::Config, "k = v\n").expect_err("must fail");
        assert_eq!(e.message, "Expected a profile definition");
        let e = parse(Path::new("/c"), FileKind::Config, "[profile a\n").expect_err("must fail");
        assert_eq!(e.message, "Profile definition must end with ']'");
    }

    #[test]
    fn section_names_depend_on_the_file() {
        let f = config("[foo]\n[profile\tbar]\n[profilebaz]\n");
        let kinds: Vec<_> = f
            .sections
            .iter()
            .map(|s| (s.kind.clone(), s.name.as_str()))
            .collect();
        assert_eq!(kinds[0].0, SectionKind::Ignored);
        assert_eq!(kinds[1], (SectionKind::Profile, "bar"));
        assert_eq!(kinds[2].0, SectionKind::Ignored);
        let c = parse(
            Path::new("/k"),
            FileKind::Credentials,
            "[foo]\n[profile foo]\n",
        )
        .expect("ok");
        assert_eq!(c.sections[0].kind, SectionKind::Profile);
        // botocore's reading: profile `profile foo` (the specification's SDKs skip it).
        assert_eq!(
            (&c.sections[1].kind, c.sections[1].name.as_str()),
            (&SectionKind::Profile, "profile foo")
        );
    }

    /// Section headers as botocore (`shlex.split` of the header, exactly two words) and the
    /// specification read them; RoleKeeper takes a profile either reader takes.
    #[test]
    fn profile_names_botocore_reads() {
        use SectionKind::{BareDefault, Ignored, Profile, SsoSession};
        let cases: &[(FileKind, &str, SectionKind, &str)] = &[
            (FileKind::Config, "[profile \"sp ace\"]", Profile, "sp ace"),
            (FileKind::Config, "[profile 'sp ace']", Profile, "sp ace"),
            (FileKind::Config, "[profile ünï]", Profile, "ünï"),
            (FileKind::Config, "[profile \"ünï ß\"]", Profile, "ünï ß"),
            (FileKind::Config, "[profile \"a\\\"b\"]", Profile, "a\"b"),
            (FileKind::Config, "[profile a\\ b]", Profile, "a b"),
            (
                FileKind::Config,
                "[profile \"default\"]",
                Profile,
                "default",
            ),
            (FileKind::Config, "[profile foo!bar]", Profile, "foo!bar"),
            (
                FileKind::Config,
                "[sso-session \"my sso\"]",
                SsoSession,
                "my sso",
            ),
            (FileKind::Config, "[profile a b]", Ignored, "profile a b"),
            (
                FileKind::Config,
                "[profile \"open]",
                Ignored,
                "profile \"open",
            ),
            (FileKind::Config, "[profile \"\"]", Ignored, "profile \"\""),
            (FileKind::Config, "[profilefoo]", Ignored, "profilefoo"),
            (FileKind::Config, "[default]", BareDefault, "default"),
            (FileKind::Credentials, "[sp ace]", Profile, "sp ace"),
            (FileKind::Credentials, "[ünï]", Profile, "ünï"),
            (FileKind::Credentials, "[profile x]", Profile, "profile x"),
        ];
        for (kind, header, want_kind, want_name) in cases {
            let f = parse(Path::new("/f"), *kind, &format!("{header}\nk = v\n")).expect(header);
            let s = &f.sections[0];
            assert_eq!(
                (&s.kind, s.name.as_str()),
                (want_kind, *want_name),
                "{header}"
            );
            if *want_kind == Profile {
                assert_eq!(s.properties[0].value, "v", "{header}");
            }
        }
    }

    #[test]
    fn headers_written_for_a_name_read_back_as_that_name() {
        for name in [
            "plain",
            "default",
            "sp ace",
            "ünï",
            "a\"b",
            "back\\slash",
            "it's",
        ] {
            let header = config_profile_header(name);
            let inner = header
                .strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .expect("brackets");
            assert_eq!(
                config_profile_name(inner).as_deref(),
                Some(name),
                "{header}"
            );
        }
        assert_eq!(config_profile_header("sp ace"), "[profile \"sp ace\"]");
        assert_eq!(config_profile_header("a-b"), "[profile a-b]");
    }

    #[test]
    fn sections_no_reader_takes_are_reported_with_their_lines() {
        let text = "[profile ok]\n[profile a b]\nk = v\n[plugins]\n[profile \"sp ace\"]\n";
        let f = config(text);
        let skipped = skipped_sections(&f);
        let lines: Vec<_> = skipped.iter().map(|q| q.line).collect();
        assert_eq!(lines, [2]);
        let words = skipped[0].to_string();
        assert!(
            words.starts_with("/c, line 2: section [profile a b] names no profile")
                && words.contains("[profile \"my profile\"]")
                && words.contains("skip that section"),
            "{words}"
        );
        let k = parse(Path::new("/k"), FileKind::Credentials, "[]\n[y]\n").expect("ok");
        let skipped = skipped_sections(&k);
        assert_eq!(skipped.len(), 1);
        assert!(skipped[0]
            .to_string()
            .starts_with("/k, line 1: section [] has no name"));
    }

    #[test]
    fn many_sections_are_checked_in_linear_time() {
        // 200,000 sections: the quadratic search this replaced took minutes here.
        let text: String = (0..200_000)
            .map(|i| format!("[profile p{i}]\nk = v\n"))
            .chain(["[profile p7]\n".to_owned()])
            .collect();
        let q = botocore_rejections(Path::new("/c"), &text);
        assert_eq!(q.len(), 1);
        assert!(q[0].what.contains("(first at line 15)"), "{}", q[0].what);
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let c = parse(
            Path::new("/k"),
            FileKind::Credentials,
            "[a]\naws_secret_access_key = s3cr3t\n",
        )
        .expect("ok");
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }
}
