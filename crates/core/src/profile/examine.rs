//! Reading one profile file the one way RoleKeeper reads files: strictly by the specification,
//! else leniently as botocore does, keeping what both found (what `load_profiles`, the snapshot
//! and `doctor` share).

use super::{
    botocore_rejections, parse, parse_lenient, skipped_sections, FileKind, ParseError, ParsedFile,
    Quirk,
};

/// One file as [`examine_bytes`] read it.
pub(crate) struct Examined {
    /// `false`: missing, read as empty.
    pub exists: bool,
    pub parsed: std::result::Result<ParsedFile, Unparseable>,
    /// Lines some AWS readers refuse.
    pub warnings: Vec<Quirk>,
}

impl Examined {
    /// What the AWS tools read of the file, with the lines some of them refuse; the
    /// specification's error when no reader gets through it.
    pub(crate) fn usable(self) -> std::result::Result<(ParsedFile, Vec<Quirk>), ParseError> {
        match self.parsed {
            Ok(parsed) => Ok((parsed, self.warnings)),
            Err(unparseable) => Err(unparseable.strict),
        }
    }
}

/// Read one file's bytes (`None`: missing, read as empty) the one way RoleKeeper reads files:
/// strictly by the specification, else leniently as botocore does (recording what the SDKs
/// refuse), keeping what both found.
pub(crate) fn examine_bytes(
    path: &std::path::Path,
    kind: FileKind,
    bytes: Option<&[u8]>,
) -> Examined {
    let exists = bytes.is_some();
    let text = String::from_utf8_lossy(bytes.unwrap_or_default());
    let mut warnings = botocore_rejections(path, &text);
    let parsed = match parse(path, kind, &text) {
        Ok(parsed) => Ok(parsed),
        Err(strict) => match parse_lenient(path, kind, &text) {
            Ok((parsed, quirks)) => {
                warnings.extend(quirks);
                Ok(parsed)
            }
            Err(lenient) => Err(Unparseable { strict, lenient }),
        },
    };
    if let Ok(parsed) = &parsed {
        warnings.extend(skipped_sections(parsed));
    }
    Examined {
        exists,
        parsed,
        warnings,
    }
}

/// A file neither the specification's reader nor botocore's leniency can read.
pub(crate) struct Unparseable {
    /// Where the specification's reader stopped (what other commands report).
    pub strict: ParseError,
    /// Where the lenient reader stopped: a line no AWS reader gets past.
    pub lenient: ParseError,
}
