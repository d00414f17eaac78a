use std::fmt;

/// The limits each kind of free text obeys.
#[derive(Debug, Clone, Copy)]
pub struct TextLimit {
    pub min: usize,
    pub max: usize,
}

impl TextLimit {
    pub const NAME: TextLimit = TextLimit { min: 1, max: 200 };
    pub const PERSON_NAME: TextLimit = TextLimit { min: 0, max: 100 };
    pub const DESCRIPTION: TextLimit = TextLimit { min: 0, max: 2000 };
    pub const EXTERNAL_ID: TextLimit = TextLimit { min: 1, max: 255 };
    pub const SERIAL: TextLimit = TextLimit { min: 1, max: 128 };
    pub const TOKEN_NAME: TextLimit = TextLimit { min: 1, max: 100 };
}

/// Trimmed text within a [`TextLimit`], free of control characters (which break logs and
/// terminals and have no business in names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(String);

impl Text {
    pub fn parse(raw: &str, limit: TextLimit) -> Result<Text, String> {
        let trimmed = raw.trim();
        let chars = trimmed.chars().count();
        if chars < limit.min {
            return Err(if limit.min == 1 {
                "must not be empty".to_owned()
            } else {
                format!("must be at least {} characters", limit.min)
            });
        }
        if chars > limit.max {
            return Err(format!("must be at most {} characters", limit.max));
        }
        if trimmed.chars().any(char::is_control) {
            return Err("must not contain control characters".to_owned());
        }
        Ok(Text(trimmed.to_owned()))
    }

    /// Parses optional text where an empty string means "no value".
    pub fn parse_optional(raw: &str, limit: TextLimit) -> Result<Option<Text>, String> {
        if raw.trim().is_empty() {
            return Ok(None);
        }
        Text::parse(raw, limit).map(Some)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A login handle: 1–64 characters of letters, digits, `.`, `_`, `-` and `@`. Unique across the
/// service regardless of case, like email addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub const MAX_LEN: usize = 64;

    pub fn parse(raw: &str) -> Result<Username, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("must not be empty".to_owned());
        }
        if raw.chars().count() > Self::MAX_LEN {
            return Err(format!("must be at most {} characters", Self::MAX_LEN));
        }
        let allowed = |c: char| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@');
        if !raw.chars().all(allowed) {
            return Err("may contain only letters, digits, '.', '_', '-' and '@'".to_owned());
        }
        Ok(Username(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form compared for uniqueness.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(
            Text::parse("  Acme  ", TextLimit::NAME).unwrap().as_str(),
            "Acme"
        );
        assert!(Text::parse("   ", TextLimit::NAME).is_err());
        assert!(Text::parse(&"x".repeat(201), TextLimit::NAME).is_err());
        assert!(Text::parse(&"é".repeat(200), TextLimit::NAME).is_ok());
        assert!(Text::parse("a\u{0}b", TextLimit::NAME).is_err());
        assert_eq!(
            Text::parse_optional("  ", TextLimit::DESCRIPTION).unwrap(),
            None
        );
    }

    #[test]
    fn usernames_reject_spaces_and_symbols() {
        assert!(Username::parse("ann.smith-2").is_ok());
        assert!(Username::parse("ann smith").is_err());
        assert!(Username::parse("ann;drop").is_err());
        assert_eq!(Username::parse("Ann").unwrap().normalized(), "ann");
    }
}
