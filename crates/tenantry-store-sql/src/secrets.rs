//! Where each kind of Cloud Elements secret lives, for both stores: its table and owner
//! column, and the owner a row's id stands for.

use tenantry_core::auth::org_secrets::{SecretOwner, SecretOwnerKind};
use tenantry_core::model::{AccountId, UserId};

/// The table and owner column of a kind of secret.
pub fn table(kind: SecretOwnerKind) -> (&'static str, &'static str) {
    match kind {
        SecretOwnerKind::User => ("user_secrets", "user_id"),
        SecretOwnerKind::Organization => ("organization_secrets", "account_id"),
    }
}

/// The id stored in the owner column.
pub fn owner_id(owner: SecretOwner) -> i64 {
    match owner {
        SecretOwner::User(id) => id.get(),
        SecretOwner::Organization(id) => id.get(),
    }
}

/// The owner an owner-column id stands for.
pub fn owner(kind: SecretOwnerKind, id: i64) -> SecretOwner {
    match kind {
        SecretOwnerKind::User => SecretOwner::User(UserId(id)),
        SecretOwnerKind::Organization => SecretOwner::Organization(AccountId(id)),
    }
}
