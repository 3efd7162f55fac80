//! AWS shared config and credentials files, read the way the AWS SDKs read them.
//!
//! [`parse`] turns the text of one file into sections with line numbers (the line numbers are what
//! make errors useful); [`ProfileSet`] merges `~/.aws/config` and `~/.aws/credentials` into
//! profiles with the SDKs' precedence rules.

pub mod examine;
mod kind;
mod parse;
pub(crate) use parse::{config_profile_header, config_profile_name};
mod set;

pub use kind::ProfileKind;

pub use parse::{
    botocore_rejections, parse, parse_lenient, skipped_sections, FileKind, ParseError, ParsedFile,
    Property, Quirk, Rejectors, Section, SectionKind,
};
pub use set::{Origin, Profile, ProfileSet, Value};

/// Keys whose values are secrets: never printed, never logged.
pub const SECRET_KEYS: &[&str] = &[
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
];
