//! The records Tenantry keeps, and the commands that create or change them.
//!
//! - [`ids`]: typed integer ids, so an account id cannot be passed where a user id belongs.
//! - [`account`]: the account forest, its materialised [`account::AccountPath`] and seat counters.
//! - [`user`], [`device`], [`session`], [`api_token`], [`audit`], [`invitation`]: one record
//!   family each.
//! - [`device_tokens`]: certificate request tokens and device seat tokens (ControlByWeb).
//! - [`secrets`]: user and organization secrets (Cloud Elements).
//! - [`mail`]: the mail outbox; [`user_token`]: email-verification and password-reset tokens.

pub mod account;
pub mod api_token;
pub mod audit;
pub mod device;
pub mod device_tokens;
pub mod dump;
pub mod health;
pub mod ids;
pub mod invitation;
pub mod mail;
pub mod secrets;
pub mod session;
pub mod user;
pub mod user_token;

pub use account::{Account, AccountPath, AccountStatus};
pub use api_token::ApiToken;
pub use audit::{Actor, AuditDraft, AuditRecord};
pub use device::Device;
pub use device_tokens::{CertificateToken, SeatToken};
pub use ids::{
    AccountId, ApiTokenId, AuditId, CertificateTokenId, DeviceId, InvitationId, MailId,
    SeatTokenId, SessionId, UserId, UserTokenId,
};
pub use invitation::Invitation;
pub use mail::{MailKind, MailStatus, OutboxMail};
pub use session::Session;
pub use user::{User, UserStatus};
pub use user_token::{UserToken, UserTokenPurpose};
