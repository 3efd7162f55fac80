//! A value that must never be shown: access key secrets, session tokens, MFA codes.
//!
//! `Debug` and `Display` print a placeholder and there is deliberately no `Serialize` impl, so a
//! secret cannot reach a log line, an error message or an IPC payload by accident. The only way to
//! the value is [`Secret::expose`], which is easy to grep for.

use std::fmt;

/// A secret string. Compare with [`Secret::expose`]; clone freely (the copy is as protected).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself. Call this only where the value leaves for its one legitimate place:
    /// STS, the credentials file, or the output the user asked for.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

const PLACEHOLDER: &str = "<redacted>";

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(PLACEHOLDER)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(PLACEHOLDER)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("wJalrXUtnFEMI/K7MDENG");
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(format!("{s}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some(<redacted>)");
        assert_eq!(s.expose(), "wJalrXUtnFEMI/K7MDENG");
    }
}
