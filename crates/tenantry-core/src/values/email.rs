use std::fmt;
use std::str::FromStr;

/// A syntactically valid email address (RFC 5321 limits). The address is kept as the user typed
/// it; [`Email::normalized`] is the lower-cased form that uniqueness is decided on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Email, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("must not be empty".to_owned());
        }
        if raw.len() > Self::MAX_LEN {
            return Err(format!("must be at most {} bytes", Self::MAX_LEN));
        }
        // email_address accepts display-name forms such as "Ann <a@b.c>"; only bare addresses
        // are meaningful here.
        if raw.contains(['<', '>', ' ']) {
            return Err("must be a bare email address".to_owned());
        }
        match email_address::EmailAddress::from_str(raw) {
            Ok(_) if raw.contains('@') => Ok(Email(raw.to_owned())),
            _ => Err("must be a valid email address".to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-insensitive identity of the address.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_normalizes_case() {
        let email = Email::parse(" Ann.Lee@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "Ann.Lee@Example.COM");
        assert_eq!(email.normalized(), "ann.lee@example.com");
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "Ann <ann@example.com>",
            "a b@c.d",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
    }
}
