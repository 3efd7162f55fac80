//! `mfa_process` (as aws-vault has it): a command in the profile that prints the current MFA code,
//! e.g. `ykman oath accounts code --single AWS` or a password manager's CLI.
//!
//! It is run without a shell (a shell would make quoting and `$VARS` in a profile file behave
//! differently from machine to machine), split into words by [`split_words`]. Its stderr goes to
//! RoleKeeper's stderr, never into a log (it may say "touch your key", or worse, echo a secret);
//! its stdout is the code and is never shown.

use std::process::Stdio;
use std::time::Duration;

use crate::secret::Secret;

/// How long the command may take: long enough to touch a security key or unlock a password
/// manager, short enough that a hung command does not hold a renewal forever.
pub const MFA_PROCESS_TIMEOUT: Duration = Duration::from_secs(60);

/// Words separated by blanks; `'...'` and `"..."` group words with blanks (no escapes, no
/// variables: what you see is what runs).
pub fn split_words(command: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote: Option<char> = None;
    for c in command.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.get_or_insert_with(String::new).push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                word.get_or_insert_with(String::new);
            }
            (None, c) if c.is_whitespace() => words.extend(word.take()),
            (None, c) => word.get_or_insert_with(String::new).push(c),
        }
    }
    if let Some(q) = quote {
        return Err(format!("has an unclosed {q} quote"));
    }
    words.extend(word);
    if words.is_empty() {
        return Err("is empty".to_owned());
    }
    Ok(words)
}

/// The code in the command's output: six digits once blanks around them are trimmed. Never
/// quotes the output (it may be a secret of something else).
pub fn parse_code(stdout: &[u8]) -> Result<Secret, String> {
    let text = String::from_utf8_lossy(stdout);
    let code = text.trim();
    if super::code::is_mfa_code(code) {
        Ok(Secret::new(code))
    } else {
        Err(format!(
            "printed {} characters that are not a six-digit code",
            code.chars().count()
        ))
    }
}

/// Run `command` and read its code. The error is the reason in words, for
/// [`Error::MfaProcess`](crate::Error::MfaProcess).
pub async fn run(command: &str, timeout: Duration) -> Result<Secret, String> {
    let words = split_words(command)?;
    let (program, args) = words.split_first().ok_or("is empty")?;
    let child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        // A command that times out is dropped with its future: kill it rather than leave it.
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("could not be started ({e})"))?;
    let output = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .map_err(|_| format!("did not finish within {} s", timeout.as_secs()))?
        .map_err(|e| format!("failed ({e})"))?;
    if !output.status.success() {
        return Err(format!("exited with {}", output.status));
    }
    parse_code(&output.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        let ok = |s: &str| split_words(s).expect(s);
        let table: [(&str, &[&str]); 6] = [
            (
                "ykman oath accounts code",
                &["ykman", "oath", "accounts", "code"],
            ),
            ("  a   b\tc ", &["a", "b", "c"]),
            (
                "op item get 'AWS prod' --otp",
                &["op", "item", "get", "AWS prod", "--otp"],
            ),
            (r#"sh -c "echo 123456""#, &["sh", "-c", "echo 123456"]),
            ("a '' b", &["a", "", "b"]),
            ("pre'fix one'\"two\"", &["prefix onetwo"]),
        ];
        for (command, want) in table {
            assert_eq!(ok(command), want, "{command}");
        }
        for (bad, why) in [
            ("", "is empty"),
            ("   ", "is empty"),
            ("a 'b", "unclosed ' quote"),
        ] {
            let got = split_words(bad).expect_err(bad);
            assert!(got.contains(why), "{bad}: {got}");
        }
    }

    #[test]
    fn codes() {
        for (out, ok) in [
            ("123456\n", true),
            ("  654321 \r\n", true),
            ("12345\n", false),
            ("1234567", false),
            ("12345a", false),
            ("", false),
            ("123 456", false),
        ] {
            let got = parse_code(out.as_bytes());
            assert_eq!(got.is_ok(), ok, "{out:?}");
            if let Err(why) = got {
                assert!(!why.contains(out.trim()) || out.trim().is_empty(), "{why}");
            }
        }
    }

    #[tokio::test]
    async fn running_a_command() {
        let long = Duration::from_secs(10);
        let code = run("printf 123456", long).await.expect("runs");
        assert_eq!(code.expose(), "123456");
        let table = [
            ("false", "exited with exit status: 1"),
            ("printf 12345", "printed 5 characters"),
            ("/nonexistent/ykman", "could not be started"),
        ];
        for (command, why) in table {
            let got = run(command, long).await.expect_err(command);
            assert!(got.contains(why), "{command}: {got}");
        }
        let got = run("sleep 5", Duration::from_millis(100))
            .await
            .expect_err("slow");
        assert!(got.contains("did not finish within"), "{got}");
    }
}
