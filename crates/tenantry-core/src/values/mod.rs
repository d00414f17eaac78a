//! Parsed input values. Each type can only be built by `parse`, which enforces its rules and
//! limits, so code past the edge never re-checks a string.
//!
//! - [`Email`]: a syntactically valid address, with a normalised form for uniqueness.
//! - [`Text`]: trimmed, bounded, control-character-free text (names, descriptions, serials…).
//! - [`Username`]: a short login handle.
//! - [`Password`]: a bounded secret that is never printed.
//! - [`Preferences`]: a small JSON object.

mod email;
mod password;
mod preferences;
mod text;

pub use email::Email;

/// The case-folded form text is compared, sorted and searched in. One definition for every
/// store, so SQLite and PostgreSQL agree on what "ignoring case" means.
pub fn fold(text: &str) -> String {
    text.to_lowercase()
}

/// The folded text free-text search (`q=`) looks in: the given fields, space-separated.
pub fn search_text<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> String {
    parts
        .into_iter()
        .flatten()
        .map(fold)
        .collect::<Vec<_>>()
        .join(" ")
}
pub use password::Password;
pub use preferences::Preferences;
pub use text::{Text, TextLimit, Username};
