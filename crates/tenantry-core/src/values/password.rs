use std::fmt;

/// A password as the client sent it. Bounded so hashing cost stays predictable; `Debug` never
/// prints it, so it cannot leak into a log line by accident.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_LEN: usize = 8;
    /// Long passphrases are welcome; megabyte "passwords" are a denial-of-service attempt.
    pub const MAX_LEN: usize = 1024;

    pub fn parse(raw: &str) -> Result<Password, String> {
        let chars = raw.chars().count();
        if chars < Self::MIN_LEN {
            return Err(format!("must be at least {} characters", Self::MIN_LEN));
        }
        if raw.len() > Self::MAX_LEN {
            return Err(format!("must be at most {} bytes", Self::MAX_LEN));
        }
        Ok(Password(raw.to_owned()))
    }

    /// A candidate from a login form: only the upper bound applies, since an old password may
    /// predate the current minimum and a short wrong guess must still cost a hash.
    pub fn candidate(raw: &str) -> Result<Password, String> {
        if raw.len() > Self::MAX_LEN {
            return Err(format!("must be at most {} bytes", Self::MAX_LEN));
        }
        Ok(Password(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_redaction() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("long enough").is_ok());
        assert!(Password::parse(&"x".repeat(1025)).is_err());
        assert!(Password::candidate("x").is_ok());
        let p = Password::parse("hunter2hunter2").unwrap();
        assert_eq!(format!("{p:?}"), "Password(***)");
    }
}
