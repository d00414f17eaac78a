//! Rows as an import or a seed writes them, for the tests of bulk loading.

use tenantry_core::auth::Role;
use tenantry_core::model::user::BulkUser;
use tenantry_core::model::{
    Account, AccountId, AccountPath, AccountStatus, User, UserId, UserStatus,
};
use tenantry_core::values::Preferences;
use time::OffsetDateTime;

/// An active account `id`, a root without `parent`, with its seats and its children's.
pub fn account(
    id: i64,
    parent: Option<&Account>,
    seats: i64,
    children: i64,
    now: OffsetDateTime,
) -> Account {
    let path = match parent {
        Some(p) => p.path.child(AccountId(id)),
        None => AccountPath::root(AccountId(id)),
    };
    Account {
        id: AccountId(id),
        tenant_id: parent.map_or(AccountId(id), |p| p.tenant_id),
        parent_id: parent.map(|p| p.id),
        path,
        name: format!("Bulk {id}"),
        email: None,
        description: None,
        external_id: Some(format!("ext-{id}")),
        status: AccountStatus::Active,
        device_seats: seats,
        used_devices: 0,
        children_seats: children,
        log_retention: 2,
        created: now,
        updated: now,
        activity: now,
    }
}

/// An active, verified user `id` of `account`, without a password.
pub fn user(
    id: i64,
    account: &Account,
    email: String,
    last_name: String,
    now: OffsetDateTime,
) -> BulkUser {
    BulkUser {
        user: User {
            id: UserId(id),
            account_id: account.id,
            tenant_id: account.tenant_id,
            account_path: account.path.clone(),
            email,
            username: None,
            first_name: Some("Bulky".into()),
            last_name: Some(last_name),
            role: Role::User,
            status: UserStatus::Active,
            email_verified: true,
            email_verified_at: Some(now),
            terms_agreed_at: Some(now),
            has_password: false,
            last_login: None,
            locked_until: None,
            preferences: Preferences::default(),
            created: now,
            updated: now,
        },
        password_hash: None,
    }
}
