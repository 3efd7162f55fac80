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
    /// Each line with its terminator; only the last line may lack one.
    lines: Vec<Vec<u8>>,
}

/// Not the content: it may hold secrets.
impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Document {{ {} lines }}", self.lines.len())
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
        let mut lines = Vec::new();
        let mut start = 0;
        for (i, b) in bytes.iter().enumerate() {
            if *b == b'\n' {
                lines.push(bytes[start..=i].to_vec());
                start = i + 1;
            }
        }
        if start < bytes.len() {
            lines.push(bytes[start..].to_vec());
        }
        Self { lines }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.lines.concat()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn line_count(&self) -> usize {
        self.lines.len()
    }

    /// CRLF if the first terminated line ends in CRLF, else LF.
    pub fn line_ending(&self) -> LineEnding {
        match self.lines.iter().find(|l| l.ends_with(b"\n")) {
            Some(l) if l.ends_with(b"\r\n") => LineEnding::CrLf,
            _ => LineEnding::Lf,
        }
    }

    /// The text of line `index` without its terminator.
    pub fn line_text(&self, index: usize) -> String {
        let line = &self.lines[index];
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        String::from_utf8_lossy(body).into_owned()
    }

    /// Line `index`'s bytes, terminator included.
    pub fn line_bytes(&self, index: usize) -> &[u8] {
        &self.lines[index]
    }

    /// Replace line `index` (its terminator is part of `bytes`).
    pub fn set_line(&mut self, index: usize, bytes: Vec<u8>) {
        self.lines[index] = bytes;
    }

    fn is_blank(&self, index: usize) -> bool {
        self.line_text(index).trim().is_empty()
    }

    fn header_name(&self, index: usize) -> Option<String> {
        let text = self.line_text(index);
        let inner = text.trim_start().strip_prefix('[')?;
        let close = inner.find(']')?;
        Some(inner[..close].trim().to_owned())
    }

    pub fn sections(&self) -> Vec<SectionSpan> {
        let headers: Vec<(usize, String)> = (0..self.lines.len())
            .filter_map(|i| self.header_name(i).map(|name| (i, name)))
            .collect();
        let mut spans = Vec::with_capacity(headers.len());
        for (k, (header, name)) in headers.iter().enumerate() {
            let next = headers.get(k + 1).map_or(self.lines.len(), |(i, _)| *i);
            let mut end = next;
            while end > header + 1 && self.is_blank(end - 1) {
                end -= 1;
            }
            spans.push(SectionSpan {
                name: name.clone(),
                header: *header,
                end,
            });
        }
        spans
    }

    /// The lines of a span, terminators included, as text.
    pub fn span_text(&self, span: &SectionSpan) -> String {
        String::from_utf8_lossy(&self.lines[span.header..span.end].concat()).into_owned()
    }

    /// Replace the lines of `span` with `text` (whole lines, each terminated).
    pub fn replace_span(&mut self, span: &SectionSpan, text: &str) {
        let new = Self::parse(text.as_bytes()).lines;
        self.lines.splice(span.header..span.end, new);
    }

    /// Append `text` as a new section at the end. Returns what had to be added before it, so that
    /// [`Document::remove_appended`] can give back the original bytes exactly.
    pub fn append_section(&mut self, text: &str) -> Appended {
        let ending = self.line_ending();
        let mut appended = Appended::default();
        if let Some(last) = self.lines.last_mut() {
            if !last.ends_with(b"\n") {
                last.extend_from_slice(ending.as_str().as_bytes());
                appended.terminated_last_line = true;
            }
            if !self.is_blank(self.lines.len() - 1) {
                self.lines.push(ending.as_str().as_bytes().to_vec());
                appended.blank_separator = true;
            }
        }
        self.lines.extend(Self::parse(text.as_bytes()).lines);
        appended
    }

    /// Remove the lines of `span`, and what [`Document::append_section`] added before it.
    pub fn remove_appended(&mut self, span: &SectionSpan, appended: Appended) {
        let at_end = span.end == self.lines.len();
        self.lines.drain(span.header..span.end);
        if appended.blank_separator && span.header > 0 && self.is_blank(span.header - 1) {
            self.lines.remove(span.header - 1);
        }
        // The terminator goes only if the section was still last: otherwise the line it ended is
        // no longer the last line and needs it.
        if appended.terminated_last_line && at_end {
            if let Some(last) = self.lines.last_mut() {
                if last.ends_with(b"\r\n") {
                    last.truncate(last.len() - 2);
                } else if last.ends_with(b"\n") {
                    last.truncate(last.len() - 1);
                }
            }
        }
    }
}

/// What appending a section added to the document besides the section itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Appended {
    /// The last line had no terminator; one was added.
    pub terminated_last_line: bool,
    /// A blank line was added to separate the section from the one above.
    pub blank_separator: bool,
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
