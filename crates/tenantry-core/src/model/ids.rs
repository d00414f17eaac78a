//! Typed ids. All are positive 64-bit integers on the wire and in storage.

use std::fmt;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub i64);

        impl $name {
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    /// An account; a root account's id is also its tenant id.
    AccountId,
    UserId,
    DeviceId,
    SessionId,
    ApiTokenId,
    AuditId,
    InvitationId,
    CertificateTokenId,
    SeatTokenId,
    /// A mail in the outbox.
    MailId,
    /// A single-use email-verification or password-reset token.
    UserTokenId,
);
