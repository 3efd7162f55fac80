//! The shared credentials file as RoleKeeper edits it: a lossless document, sections it owns,
//! and writes that are atomic, locked, and never lose a concurrent edit.

pub mod adopt;
pub mod document;
pub mod managed;
pub mod process_line;
pub mod write;

pub use document::{Document, LineEnding};
pub use managed::{Conflict, Ownership, SectionRecord};
