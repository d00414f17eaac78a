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
pub use password::Password;
pub use preferences::Preferences;
pub use text::{Text, TextLimit, Username};
