//! Who is calling and what they may do.
//!
//! - [`role`]: the ranked roles and the permission catalogue they map onto.
//! - [`principal`]: the authenticated caller and the scope/permission checks every service runs.
//! - [`lockout`]: brute-force protection of logins (per user and per client address).
//! - [`password`]: argon2id hashing, off the async executor and behind a semaphore.
//! - [`secret`]: random bearer secrets and the hashes they are stored as.
//! - [`derived`]: secrets a vendor API shows again, derived from a stored nonce.
//! - [`credential_cache`]: the principals of recently seen bearer tokens, dropped the moment
//!   the database's revocation counter moves.
//! - [`certificate_token`]: ControlByWeb certificate request tokens, derived rather than stored.
//! - [`org_secrets`]: Cloud Elements' user and organization secrets, derived likewise.

pub mod certificate_token;
pub mod credential_cache;
pub mod derived;
pub mod lockout;
pub mod org_secrets;
pub mod password;
pub mod principal;
pub mod role;
pub mod secret;

pub use password::{HashParams, PasswordHasher};
pub use principal::{Caller, Principal, ServicePrincipal, UserPrincipal};
pub use role::{Permission, Role};
pub use secret::{SecretKind, SecretToken, TokenHash};
