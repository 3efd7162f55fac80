//! A lossless model of a shared credentials (or config) file: the bytes as lines, each line kept
//! exactly as read, terminator included. Writing an unedited document gives back identical bytes;
//! an edit touches only the lines of the section it is about.
//!
//! Parsing never fails: lines RoleKeeper does not understand are kept as they are. Sections are
//! found the way botocore finds them (a line whose first non-blank character is `[`), which is the
//! more permissive of the AWS readers, so RoleKeeper never misses a section another tool sees.

use std::fmt;

/// The line ending a document uses for lines RoleKeeper adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnding {
    Lf,
    CrLf,
}

impl LineEnding {
    pub fn as_str(self) -> &'static str {
        match self {
            LineEnding::Lf => "\n",
            LineEnding::CrLf => "\r\n",
        }
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct Document {
    /// The file's bytes.
    buf: Vec<u8>,
    /// One past the end of each line, terminator included; only the last line may lack one.
    /// One buffer and offsets rather than a vector per line: large files parse without an
    /// allocation per line.
    ends: Vec<usize>,
}

/// Not the content: it may hold secrets.
impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Document {{ {} lines }}", self.ends.len())
    }
}

/// Where one `[section]` is: from its header to the line before the next header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionSpan {
    /// The text between `[` and `]`, trimmed.
    pub name: String,
    /// Index of the header line.
    pub header: usize,
    /// One past the last line that belongs to the section (trailing blank lines excluded: they
    /// separate sections and belong to neither).
    pub end: usize,
}

impl Document {
    pub fn parse(bytes: &[u8]) -> Self {
        Self {
            buf: bytes.to_vec(),
            ends: line_ends(bytes, 0),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.buf.clone()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn line_count(&self) -> usize {
        self.ends.len()
    }

    fn start(&self, index: usize) -> usize {
        if index == 0 {
            0
        } else {
            self.ends[index - 1]
        }
    }

    fn line(&self, index: usize) -> &[u8] {
        &self.buf[self.start(index)..self.ends[index]]
    }

    /// Replace lines `range` with the lines of `new` (which should end with a terminator unless
    /// it becomes the last line). The one primitive every edit goes through.
    fn splice_lines(&mut self, range: std::ops::Range<usize>, new: &[u8]) {
        let from = self.start(range.start);
        let to = if range.end == 0 {
            0
        } else {
            self.ends[range.end - 1]
        };
        self.buf.splice(from..to, new.iter().copied());
        let grown = new.len();
        let shrunk = to - from;
        let tail: Vec<usize> = self.ends[range.end..]
            .iter()
            .map(|e| e + grown - shrunk)
            .collect();
        self.ends.truncate(range.start);
        self.ends.extend(line_ends(new, from));
        self.ends.extend(tail);
    }

    /// CRLF if the first terminated line ends in CRLF, else LF.
    pub fn line_ending(&self) -> LineEnding {
        self.line_ending_of(0..self.ends.len())
    }

    /// [`Document::line_ending`] as decided by the lines of `range` only.
    fn line_ending_of(&self, range: std::ops::Range<usize>) -> LineEnding {
        let first = range.map(|i| self.line(i)).find(|l| l.ends_with(b"\n"));
        match first {
            Some(l) if l.ends_with(b"\r\n") => LineEnding::CrLf,
            _ => LineEnding::Lf,
        }
    }

    /// The text of line `index` without its terminator.
    pub fn line_text(&self, index: usize) -> String {
        let line = self.line(index);
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        String::from_utf8_lossy(body).into_owned()
    }

    /// Line `index`'s bytes, terminator included.
    pub fn line_bytes(&self, index: usize) -> &[u8] {
        self.line(index)
    }

    /// Replace line `index` (its terminator is part of `bytes`).
    pub fn set_line(&mut self, index: usize, bytes: Vec<u8>) {
        self.splice_lines(index..index + 1, &bytes);
    }

    fn is_blank(&self, index: usize) -> bool {
        self.line(index).iter().all(u8::is_ascii_whitespace)
    }

    /// The trimmed text between `[` and `]` of a header line, as bytes; `None` for other lines.
    /// Byte-level and allocation-free: it runs on every line of large files.
    fn header_bytes(line: &[u8]) -> Option<&[u8]> {
        let start = line.iter().position(|b| *b != b' ' && *b != b'\t')?;
        let rest = line[start..].strip_prefix(b"[")?;
        let close = rest.iter().position(|b| *b == b']')?;
        Some(rest[..close].trim_ascii())
    }

    /// One past the last line of the section whose header is at `header`.
    fn span_end(&self, header: usize) -> usize {
        let mut next = header + 1;
        while next < self.ends.len() && Self::header_bytes(self.line(next)).is_none() {
            next += 1;
        }
        let mut end = next;
        while end > header + 1 && self.is_blank(end - 1) {
            end -= 1;
        }
        end
    }

    pub fn sections(&self) -> Vec<SectionSpan> {
        (0..self.ends.len())
            .filter_map(|i| {
                Self::header_bytes(self.line(i)).map(|name| SectionSpan {
                    name: String::from_utf8_lossy(name).into_owned(),
                    header: i,
                    end: self.span_end(i),
                })
            })
            .collect()
    }

    /// The sections named exactly `name` (usually none or one).
    pub fn find_sections(&self, name: &str) -> Vec<SectionSpan> {
        (0..self.ends.len())
            .filter(|&i| Self::header_bytes(self.line(i)) == Some(name.as_bytes()))
            .map(|i| SectionSpan {
                name: name.to_owned(),
                header: i,
                end: self.span_end(i),
            })
            .collect()
    }

    /// The lines of a span, terminators included, as text.
    pub fn span_text(&self, span: &SectionSpan) -> String {
        let from = self.start(span.header);
        let to = if span.end == 0 {
            0
        } else {
            self.ends[span.end - 1]
        };
        String::from_utf8_lossy(&self.buf[from..to]).into_owned()
    }

    /// Replace the lines of `span` with `text` (whole lines, each terminated). Returns the span
    /// of the new lines.
    pub fn replace_span(&mut self, span: &SectionSpan, text: &str) -> SectionSpan {
        let end = span.header + line_ends(text.as_bytes(), 0).len();
        self.splice_lines(span.header..span.end, text.as_bytes());
        SectionSpan {
            name: span.name.clone(),
            header: span.header,
            end,
        }
    }

    /// Append `text` as a new section at the end. Returns what had to be added before it, so that
    /// [`Document::remove_appended`] can give back the original bytes exactly.
    pub fn append_section(&mut self, text: &str) -> Appended {
        let ending = self.line_ending();
        let mut appended = Appended::default();
        if !self.ends.is_empty() {
            let last = self.ends.len() - 1;
            if !self.line(last).ends_with(b"\n") {
                let mut line = self.line(last).to_vec();
                line.extend_from_slice(ending.as_str().as_bytes());
                self.splice_lines(last..last + 1, &line);
                appended.terminated_last_line = true;
            }
            if !self.is_blank(last) {
                let len = self.ends.len();
                self.splice_lines(len..len, ending.as_str().as_bytes());
                appended.blank_separator = true;
            }
        }
        let header = self.ends.len();
        self.splice_lines(header..header, text.as_bytes());
        appended.header = header;
        appended
    }

    /// Remove the lines of `span`, and what [`Document::append_section`] added before it.
    pub fn remove_appended(&mut self, span: &SectionSpan, appended: Appended) {
        let at_end = span.end == self.ends.len();
        self.splice_lines(span.header..span.end, b"");
        if appended.blank_separator && span.header > 0 && self.is_blank(span.header - 1) {
            self.splice_lines(span.header - 1..span.header, b"");
        }
        // The terminator goes only if the section was still last: otherwise the line it ended is
        // no longer the last line and needs it.
        if appended.terminated_last_line && at_end {
            if let Some(last) = self.ends.len().checked_sub(1) {
                // Take off exactly the terminator `append_section` added: the ending the lines
                // above chose (this line had none then). Judging by the line itself would also
                // take a `\r` that was the line's own last byte (found by fuzz/).
                let added = self.line_ending_of(0..last).as_str().as_bytes();
                let line = self.line(last);
                if let Some(kept) = line.strip_suffix(added) {
                    let kept = kept.to_vec();
                    self.splice_lines(last..last + 1, &kept);
                }
            }
        }
    }
}

/// The end offsets (plus `offset`) of the lines of `bytes`.
fn line_ends(bytes: &[u8], offset: usize) -> Vec<usize> {
    let mut ends: Vec<usize> = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| offset + i + 1)
        .collect();
    if ends.last().map_or(0, |e| e - offset) < bytes.len() {
        ends.push(offset + bytes.len());
    }
    ends
}

/// What appending a section added to the document besides the section itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Appended {
    /// The last line had no terminator; one was added.
    pub terminated_last_line: bool,
    /// A blank line was added to separate the section from the one above.
    pub blank_separator: bool,
    /// Index of the appended section's header (not kept in state: it changes with edits).
    #[serde(skip)]
    pub header: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_is_the_identity() {
        for text in [
            "",
            "\n",
            "[a]\nk = v",
            "[a]\r\nk = v\r\n\r\n# c\r\n[b]\r\n",
            "  [weird ] # x\n\tk: v\n;;\n",
            "no section at all\n",
        ] {
            assert_eq!(Document::parse(text.as_bytes()).to_bytes(), text.as_bytes());
        }
        let bytes = b"[a]\nk = \xff\xfe\n";
        assert_eq!(Document::parse(bytes).to_bytes(), bytes);
    }

    #[test]
    fn sections_exclude_trailing_blank_lines() {
        let d = Document::parse(b"# top\n[a]\nk = v\n\n\n[b]\nx = 1\n");
        let s = d.sections();
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].name.as_str(), s[0].header, s[0].end), ("a", 1, 3));
        assert_eq!((s[1].name.as_str(), s[1].header, s[1].end), ("b", 5, 7));
    }

    #[test]
    fn append_then_remove_gives_back_the_bytes() {
        for original in [
            "",
            "[a]\nk = v",
            "[a]\nk = v\n",
            "[a]\nk = v\n\n",
            "[a]\r\nk = v\r\n",
            // A last line ending in a bare `\r` (fuzz/ found these): the `\r` is content.
            "[a]\nk = v\r",
            "k\r",
            "[a]\r\nk = v\r",
        ] {
            let mut d = Document::parse(original.as_bytes());
            let ending = d.line_ending().as_str();
            let appended = d.append_section(&format!("[new]{ending}x = 1{ending}"));
            let span = d
                .sections()
                .into_iter()
                .find(|s| s.name == "new")
                .expect("new section");
            assert!(d.line_text(span.header) == "[new]");
            d.remove_appended(&span, appended);
            assert_eq!(
                String::from_utf8_lossy(&d.to_bytes()),
                original,
                "original {original:?}"
            );
        }
    }

    #[test]
    fn appended_sections_use_the_files_line_ending() {
        let mut d = Document::parse(b"[a]\r\nk = v\r\n");
        assert_eq!(d.line_ending(), LineEnding::CrLf);
        d.append_section("[b]\r\nx = 1\r\n");
        assert_eq!(d.to_bytes(), b"[a]\r\nk = v\r\n\r\n[b]\r\nx = 1\r\n");
    }

    #[test]
    fn debug_never_shows_content() {
        let d = Document::parse(b"[a]\naws_secret_access_key = s3cr3t\n");
        assert!(!format!("{d:?}").contains("s3cr3t"));
    }
}
