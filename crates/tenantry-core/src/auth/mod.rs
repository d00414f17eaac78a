//! Who is calling and what they may do.
//!
//! - [`role`]: the ranked roles and the permission catalogue they map onto.
//! - [`principal`]: the authenticated caller and the scope/permission checks every service runs.
//! - [`password`]: argon2id hashing, off the async executor and behind a semaphore.
//! - [`secret`]: random bearer secrets and the hashes they are stored as.
//! - [`certificate_token`]: ControlByWeb certificate request tokens, derived rather than stored.

pub mod certificate_token;
pub mod password;
pub mod principal;
pub mod role;
pub mod secret;

pub use password::{HashParams, PasswordHasher};
pub use principal::{Caller, Principal, ServicePrincipal, UserPrincipal};
pub use role::{Permission, Role};
pub use secret::{SecretKind, SecretToken, TokenHash};
