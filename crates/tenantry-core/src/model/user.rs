use std::fmt;
use std::str::FromStr;

use time::OffsetDateTime;

use super::account::{AccountPath, AccountStatus};
use super::ids::{AccountId, UserId};
use crate::auth::Role;
use crate::values::Preferences;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    Active,
    /// Cannot log in; existing sessions stop working at once.
    Disabled,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Disabled => "disabled",
        }
    }
}

impl fmt::Display for UserStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for UserStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "active" => Ok(UserStatus::Active),
            "disabled" => Ok(UserStatus::Disabled),
            _ => Err("must be one of: active, disabled".to_owned()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub account_id: AccountId,
    pub tenant_id: AccountId,
    pub account_path: AccountPath,
    pub email: String,
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub role: Role,
    pub status: UserStatus,
    pub email_verified: bool,
    /// When the address was verified; set together with `email_verified`.
    pub email_verified_at: Option<OffsetDateTime>,
    /// When the user agreed to the terms of service, if they have.
    pub terms_agreed_at: Option<OffsetDateTime>,
    /// Whether a password is set; a user created without one cannot log in until they set it.
    pub has_password: bool,
    pub last_login: Option<OffsetDateTime>,
    /// Locked out of logging in until then, after repeated wrong passwords.
    pub locked_until: Option<OffsetDateTime>,
    pub preferences: Preferences,
    pub created: OffsetDateTime,
    pub updated: OffsetDateTime,
}

/// The folded text free-text search looks in for a user.
pub fn search_text(
    email: &str,
    username: Option<&str>,
    first_name: Option<&str>,
    last_name: Option<&str>,
) -> String {
    crate::values::search_text([Some(email), username, first_name, last_name])
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub account_id: AccountId,
    pub email: String,
    pub email_normalized: String,
    pub username: Option<String>,
    pub username_normalized: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub role: Role,
    pub status: UserStatus,
    pub email_verified: bool,
    /// Agreed to the terms when created (recorded as `now`).
    pub terms_agreed: bool,
    pub password_hash: Option<String>,
    pub preferences: Preferences,
    pub now: OffsetDateTime,
}

/// A partial update; `None` leaves a field alone, `Some(None)` clears a nullable field.
#[derive(Debug, Clone)]
pub struct UserChanges {
    /// New address with its normalised form; changing it clears `email_verified`.
    pub email: Option<(String, String)>,
    pub username: Option<Option<(String, String)>>,
    pub first_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
    pub password_hash: Option<String>,
    pub preferences: Option<Preferences>,
    /// `Some(true)` records agreement to the terms now (keeping an earlier date); `Some(false)`
    /// withdraws it.
    pub terms_agreed: Option<bool>,
    /// Sessions to keep when the change ends the others (password change, disabling).
    pub end_sessions: EndSessions,
    /// Refuse with `Conflict` unless the user still has this role (the one the caller's
    /// authority was checked against).
    pub expected_role: Option<Role>,
    pub now: OffsetDateTime,
}

/// Which of the user's sessions a change ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EndSessions {
    #[default]
    None,
    All,
    AllExcept(super::ids::SessionId),
}

impl UserChanges {
    /// A change of nothing yet, made at `now`.
    pub fn at(now: OffsetDateTime) -> Self {
        Self {
            email: None,
            username: None,
            first_name: None,
            last_name: None,
            role: None,
            status: None,
            password_hash: None,
            preferences: None,
            terms_agreed: None,
            end_sessions: EndSessions::None,
            expected_role: None,
            now,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.email.is_none()
            && self.username.is_none()
            && self.first_name.is_none()
            && self.last_name.is_none()
            && self.role.is_none()
            && self.status.is_none()
            && self.password_hash.is_none()
            && self.preferences.is_none()
            && self.terms_agreed.is_none()
    }

    /// Names of the fields this change touches, for the audit record (never the values: one of
    /// them may be a password hash).
    pub fn field_names(&self) -> Vec<&'static str> {
        let fields = [
            ("email", self.email.is_some()),
            ("username", self.username.is_some()),
            ("first_name", self.first_name.is_some()),
            ("last_name", self.last_name.is_some()),
            ("role", self.role.is_some()),
            ("status", self.status.is_some()),
            ("password", self.password_hash.is_some()),
            ("preferences", self.preferences.is_some()),
            ("terms_agreed", self.terms_agreed.is_some()),
        ];
        fields
            .iter()
            .filter(|(_, set)| *set)
            .map(|(n, _)| *n)
            .collect()
    }
}

/// How a user names themselves at login: ControlByWeb clients send a username, the others an
/// email address. Both are unique across the installation; the value is normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginName {
    Email(String),
    Username(String),
}

/// What a name typed at login can stand for: an email address, a username, or both at once
/// (usernames may contain `@`), each normalised. Each may name a different user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginNames {
    pub email: Option<String>,
    pub username: Option<String>,
}

/// What login needs: the user, their password hash and their account's state, in one read.
#[derive(Debug, Clone)]
pub struct LoginRecord {
    pub user: User,
    pub password_hash: Option<String>,
    pub account_status: AccountStatus,
}

/// A complete user row for bulk loading: the user as it is stored, with its password hash.
#[derive(Debug, Clone)]
pub struct BulkUser {
    pub user: User,
    pub password_hash: Option<String>,
}
