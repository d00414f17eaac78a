//! The storage port. Each method is one unit of work with its transaction inside: invariants that
//! span rows (seat totals, unique emails, "no delete while children exist") are enforced within
//! that transaction, and the audit record of a change is written in it too.
//!
//! Stores do no authorization; the services in [`crate::services`] decide who may call what.
//! Errors: `Conflict` for uniqueness and state clashes, `Invalid` for broken seat rules,
//! `NotFound` for a missing target, `Unavailable` when the database cannot be reached.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use crate::auth::lockout::LockoutPolicy;
use crate::auth::org_secrets::SecretOwnerKind;
use crate::auth::{Role, TokenHash};
use crate::error::Result;
use crate::model::account::{AccountChanges, NewAccount};
use crate::model::api_token::NewApiToken;
use crate::model::device::{DeviceChanges, DeviceStatistics, NewDevice};
use crate::model::device_tokens::{NewCertificateToken, NewSeatToken};
use crate::model::invitation::{InvitationFilter, InvitationRenewal, NewInvitation};
use crate::model::mail::{MailFilter, MailOutcome, NewMail};
use crate::model::secrets::{NewSecret, StoredSecret};
use crate::model::session::{NewSession, SessionTokens};
use crate::model::user::{BulkUser, LoginName, LoginNames, LoginRecord, NewUser, UserChanges};
use crate::model::user_token::{NewUserToken, TokenRedemption};
use crate::model::{
    Account, AccountId, AccountPath, ApiToken, ApiTokenId, AuditDraft, AuditRecord,
    CertificateToken, Device, DeviceId, Invitation, InvitationId, MailId, OutboxMail, SeatToken,
    Session, SessionId, User, UserId, UserToken, UserTokenId,
};
use crate::query::ListRequest;

/// Which rows a list covers, relative to the account tree.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Everything (service tokens only).
    All,
    /// Rows of exactly this account; for the accounts list, its direct children.
    Account {
        tenant_id: AccountId,
        account_id: AccountId,
        path: AccountPath,
    },
    /// Rows of this account and of every account below it; for the accounts list, the account
    /// itself and all its descendants.
    Subtree(AccountPath),
    /// Rows of the accounts strictly below this one; for the accounts list, its descendants.
    Below(AccountPath),
}

/// The conditions an account deletion is made under, checked inside its transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccountDeletion {
    /// Refuse with `Forbidden` if one of the account's users holds a role above this.
    pub outranked_by: Option<Role>,
    /// Refuse with `Conflict` while the account has users or devices (ControlByWeb's rule);
    /// otherwise they are deleted with it.
    pub only_if_empty: bool,
}

impl AccountDeletion {
    /// The refusal for an account that still has users or devices, when the rule asks for an
    /// empty one; stores call it with what they found inside the deleting transaction.
    pub fn check_empty(&self, has_users: bool, has_devices: bool) -> Result<()> {
        if !self.only_if_empty {
            return Ok(());
        }
        let blockers: Vec<&str> = [(has_users, "users"), (has_devices, "devices")]
            .into_iter()
            .filter_map(|(present, name)| present.then_some(name))
            .collect();
        if blockers.is_empty() {
            return Ok(());
        }
        Err(crate::error::Error::conflict(format!(
            "the account still has {}; delete them first",
            blockers.join(" and ")
        )))
    }
}

impl Scope {
    /// The scope of one account's own rows (for accounts: its children).
    pub fn account(account: &Account) -> Scope {
        Scope::Account {
            tenant_id: account.tenant_id,
            account_id: account.id,
            path: account.path.clone(),
        }
    }
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Cheap liveness check of the database connection.
    async fn ping(&self) -> Result<()>;
    /// Schema version, connection pool and outbox backlog, for `/readyz` and `/metrics`.
    async fn health(&self) -> Result<crate::model::health::StoreHealth>;

    // Export and import (see [`crate::model::dump`]).

    /// Up to `limit` rows of `table` (of one tenant, or all), after key `after` in key order;
    /// tables without a key come whole.
    async fn dump_rows(
        &self,
        table: &'static crate::model::dump::TableSpec,
        tenant: Option<AccountId>,
        after: Option<i64>,
        limit: u32,
    ) -> Result<Vec<crate::model::dump::DumpRow>>;
    /// Inserts rows of `table` in one transaction, keeping rows already there (same key or
    /// any other unique value); returns how many were new. Rows must pass
    /// [`crate::model::dump::check_row`].
    async fn load_rows(
        &self,
        table: &'static crate::model::dump::TableSpec,
        rows: &[crate::model::dump::DumpRow],
    ) -> Result<u64>;
    /// Before loading: if the installation holds no account and no user, sets its non-unique
    /// secondary indexes aside (recorded in the database) so rows load without maintaining
    /// them; returns how many. [`Store::finish_load`] builds them again, and so does the next
    /// start if the load never finished.
    async fn prepare_load(&self) -> Result<u64>;
    /// After loading: rebuilds the indexes set aside, moves id sequences past the loaded ids
    /// and refreshes the planner's statistics.
    async fn finish_load(&self) -> Result<()>;

    // Accounts.

    /// Inserts an account; a child's seats come out of its parent's free seats.
    async fn insert_account(&self, new: NewAccount, audit: AuditDraft) -> Result<Account>;
    async fn account(&self, id: AccountId) -> Result<Option<Account>>;
    /// Applies changes; a seat change moves the difference from or to the parent (or, for a
    /// root, checks the allocation still covers what is used and handed down). A status other
    /// than active ends the sessions of the account's users.
    async fn update_account(
        &self,
        id: AccountId,
        changes: AccountChanges,
        audit: AuditDraft,
    ) -> Result<Account>;
    /// Deletes an account with its users, devices, sessions and tokens; refused with `Conflict`
    /// while it has child accounts, and as `rule` says. Its seats return to the parent.
    async fn delete_account(
        &self,
        id: AccountId,
        rule: AccountDeletion,
        audit: AuditDraft,
    ) -> Result<()>;
    /// Accounts in `scope` matching the request, in its order, after its keyset: at most
    /// `request.fetch_limit()` of them.
    async fn list_accounts(&self, scope: &Scope, request: &ListRequest) -> Result<Vec<Account>>;
    /// Moves `delta` seats from `parent` to its direct child `child` (negative: back).
    async fn move_seats(
        &self,
        parent: AccountId,
        child: AccountId,
        delta: i64,
        audit: AuditDraft,
    ) -> Result<(Account, Account)>;

    // Users.

    async fn insert_user(&self, new: NewUser, audit: AuditDraft) -> Result<User>;
    async fn user(&self, id: UserId) -> Result<Option<User>>;
    /// A user and the account they belong to, as `me` shows them. A store that can reads both
    /// in one round trip; this default takes two. `None` if there is no such user.
    async fn user_with_account(&self, id: UserId) -> Result<Option<(User, Account)>> {
        let Some(user) = self.user(id).await? else {
            return Ok(None);
        };
        // Deleting an account deletes its users, so a missing account means a missing user.
        Ok(self
            .account(user.account_id)
            .await?
            .map(|account| (user, account)))
    }
    /// The user with this normalised email or username, their password hash and account status.
    async fn login_record(&self, name: &LoginName) -> Result<Option<LoginRecord>>;
    /// The users `names` stand for, once each: the one whose email address it is first. By
    /// default one [`Store::login_record`] a name; a store whose every read is a round trip
    /// does it in one.
    async fn login_records(&self, names: &LoginNames) -> Result<Vec<LoginRecord>> {
        let mut found: Vec<LoginRecord> = Vec::with_capacity(2);
        if let Some(email) = &names.email {
            found.extend(self.login_record(&LoginName::Email(email.clone())).await?);
        }
        if let Some(username) = &names.username
            && let Some(record) = self
                .login_record(&LoginName::Username(username.clone()))
                .await?
            && found.iter().all(|r| r.user.id != record.user.id)
        {
            found.push(record);
        }
        Ok(found)
    }
    async fn password_hash(&self, id: UserId) -> Result<Option<String>>;
    /// Applies changes; a role change away from owner is refused with `Conflict` if the user is
    /// the last owner of their account.
    async fn update_user(
        &self,
        id: UserId,
        changes: UserChanges,
        audit: AuditDraft,
    ) -> Result<User>;
    /// Deletes a user and their sessions. With `expected_role`, refused with `Conflict` if the
    /// user's role changed since the caller's authority over it was checked. Refused with
    /// `Conflict` if the user is the last owner of their account.
    async fn delete_user(
        &self,
        id: UserId,
        expected_role: Option<Role>,
        audit: AuditDraft,
    ) -> Result<()>;
    /// Users in `scope` matching the request (see [`Store::list_accounts`]).
    async fn list_users(&self, scope: &Scope, request: &ListRequest) -> Result<Vec<User>>;

    // Sessions.

    /// Starts a session after a successful login, recording the login on the user and account.
    /// Refused as bad credentials if, by now, the user's password hash is no longer the one
    /// verified, or the user or account is no longer active.
    async fn insert_session(&self, new: NewSession, audit: AuditDraft) -> Result<SessionId>;
    /// The live session whose access token has this hash, with its user's and account's state.
    async fn session_by_access(
        &self,
        hash: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<Option<Session>>;
    /// Atomically swaps the session holding this unexpired refresh token onto new tokens. A
    /// refresh token works once; a second use finds nothing.
    async fn rotate_session(
        &self,
        refresh: &TokenHash,
        tokens: SessionTokens,
        audit: AuditDraft,
    ) -> Result<Option<Session>>;
    async fn delete_session(&self, id: SessionId, audit: AuditDraft) -> Result<()>;
    /// Removes sessions whose refresh token has expired, and address failure windows that
    /// closed long ago; returns how many sessions.
    async fn purge_expired_sessions(&self, now: OffsetDateTime) -> Result<u64>;

    // Brute-force protection (see [`crate::auth::lockout`]).

    /// Counts a wrong password for `user` and, at the policy's threshold, locks them; when a
    /// lock begins it is recorded with `audit`. Returns until when the user is now locked.
    async fn record_login_failure(
        &self,
        user: UserId,
        policy: &LockoutPolicy,
        audit: AuditDraft,
    ) -> Result<Option<OffsetDateTime>>;
    /// Lifts a user's lock and forgets their failures.
    async fn unlock_user(&self, user: UserId, audit: AuditDraft) -> Result<User>;
    /// Failed logins from `address` in the window that began at the returned time, if that
    /// window is still open at `now`.
    async fn address_login_failures(
        &self,
        address: &str,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<Option<(i64, OffsetDateTime)>>;
    /// Counts a failed login from `address`, in the open window or a new one.
    async fn record_address_login_failure(
        &self,
        address: &str,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<()>;

    // Service tokens.

    async fn insert_api_token(&self, new: NewApiToken, audit: AuditDraft) -> Result<ApiToken>;
    /// The token with this hash, and the stored hash itself for a constant-time confirmation.
    async fn api_token_by_hash(&self, hash: &TokenHash) -> Result<Option<(ApiToken, TokenHash)>>;
    /// The revocation counter: bumped, in the same transaction, by every change to what a bearer
    /// token stands for (sessions ended or rotated; users disabled, deleted, moved or given
    /// another role; accounts suspended or deleted; service tokens revoked). See
    /// [`crate::auth::credential_cache`]. A store calls
    /// [`committed_writes::note`](crate::committed_writes::note) after
    /// committing any write that may move the counter (ours: after every write transaction).
    async fn auth_epoch(&self) -> Result<i64>;
    async fn list_api_tokens(&self) -> Result<Vec<ApiToken>>;
    /// Marks a token revoked; `NotFound` if there is no such token.
    async fn revoke_api_token(&self, id: ApiTokenId, audit: AuditDraft) -> Result<ApiToken>;

    // Devices.

    /// Inserts a device; a non-test device takes one free seat of its account.
    async fn insert_device(&self, new: NewDevice, audit: AuditDraft) -> Result<Device>;
    async fn device(&self, id: DeviceId) -> Result<Option<Device>>;
    async fn update_device(
        &self,
        id: DeviceId,
        changes: DeviceChanges,
        audit: AuditDraft,
    ) -> Result<Device>;
    async fn delete_device(&self, id: DeviceId, audit: AuditDraft) -> Result<()>;
    /// Device counts of an account and of everything below it.
    async fn device_statistics(&self, account: &Account) -> Result<DeviceStatistics>;
    /// Devices in `scope` matching the request (see [`Store::list_accounts`]).
    async fn list_devices(&self, scope: &Scope, request: &ListRequest) -> Result<Vec<Device>>;

    // Audit.

    /// Audit records in `scope` matching the request (see [`Store::list_accounts`]).
    async fn list_audit(&self, scope: &Scope, request: &ListRequest) -> Result<Vec<AuditRecord>>;

    /// How many rows of `request.resource` in `scope` match its filter and search, counting no
    /// further than `cap + 1` (so the answer says "more than `cap`" without a full count).
    async fn count(&self, scope: &Scope, request: &ListRequest, cap: u64) -> Result<u64>;

    /// A random 32-byte secret of the installation, created on first use and the same for every
    /// server on the database (e.g. the key that signs list cursors).
    async fn installation_secret(&self, name: &str) -> Result<[u8; 32]>;

    // Tenants and invitations.

    /// Creates a root account and its first user in one transaction (sign-up, Ioto's
    /// `account/create`). The user's `account_id` is ignored: it becomes the new account. With
    /// `verification`, the new user's email-verification token and its mail are recorded in the
    /// same transaction (the token's `user_id` is ignored too).
    async fn insert_tenant(
        &self,
        account: NewAccount,
        user: NewUser,
        verification: Option<(NewUserToken, NewMail)>,
        audit: AuditDraft,
    ) -> Result<(Account, User)>;

    /// Records an invitation, for an existing user or a new one created with it, and queues its
    /// mail, all in one transaction.
    async fn insert_invitation(
        &self,
        new: NewInvitation,
        mail: NewMail,
        audit: AuditDraft,
    ) -> Result<Invitation>;
    async fn invitation(&self, id: InvitationId) -> Result<Option<Invitation>>;
    /// The invitation whose token has this hash, and the stored hash for a constant-time check.
    async fn invitation_by_token(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<(Invitation, TokenHash)>>;
    /// The user's newest invitation that is neither accepted, revoked nor expired.
    async fn pending_invitation(
        &self,
        user: UserId,
        now: OffsetDateTime,
    ) -> Result<Option<Invitation>>;
    /// Accepts a pending invitation: marks it accepted, verifies the user's email and, if
    /// given, sets their password. `Conflict` if it is no longer pending.
    async fn accept_invitation(
        &self,
        id: InvitationId,
        password_hash: Option<String>,
        audit: AuditDraft,
    ) -> Result<User>;
    /// Gives an invitation that was neither accepted nor revoked a new token and expiry (the old
    /// token stops working) and queues its mail again. `Conflict` otherwise.
    async fn renew_invitation(
        &self,
        id: InvitationId,
        renewal: InvitationRenewal,
        mail: NewMail,
        audit: AuditDraft,
    ) -> Result<Invitation>;
    /// Revokes an invitation that was not accepted (again: no change). `Conflict` if accepted.
    async fn revoke_invitation(&self, id: InvitationId, audit: AuditDraft) -> Result<Invitation>;
    /// Invitations of the accounts in `within` (everything with `None`), newest first.
    async fn invitations(
        &self,
        within: Option<&AccountPath>,
        filter: &InvitationFilter,
    ) -> Result<Vec<Invitation>>;

    // Email verification and password reset.

    /// Records a single-use token for a user and queues its mail in one transaction. A new
    /// password-reset token uses up the user's earlier unused ones.
    async fn insert_user_token(
        &self,
        new: NewUserToken,
        mail: NewMail,
        audit: AuditDraft,
    ) -> Result<UserToken>;
    /// The token with this hash, and the stored hash for a constant-time check.
    async fn user_token_by_hash(&self, hash: &TokenHash) -> Result<Option<(UserToken, TokenHash)>>;
    /// Uses a token up and applies its effect, in one transaction. `Conflict` if it was used
    /// already or has expired by `audit.at`.
    async fn redeem_user_token(
        &self,
        id: UserTokenId,
        redemption: TokenRedemption,
        audit: AuditDraft,
    ) -> Result<User>;

    // The mail outbox.

    /// Claims up to `limit` pending mails that are due at `now` and not claimed by another
    /// dispatcher, for `lease`; each claim counts as an attempt. Dispatchers on one database
    /// never claim the same mail at once.
    async fn claim_mail(
        &self,
        now: OffsetDateTime,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<OutboxMail>>;
    /// Records how a delivery attempt ended and releases the claim, if the mail is still
    /// pending under the claim that ends at `claimed_until`; false (and no change) when that
    /// claim ran out and another dispatcher took the mail. Sent and failed mails lose their token.
    async fn settle_mail(
        &self,
        id: MailId,
        claimed_until: OffsetDateTime,
        outcome: MailOutcome,
        now: OffsetDateTime,
    ) -> Result<bool>;
    /// Gives back a claim without an attempt (the claim was too nearly spent to start one):
    /// the mail is due again at once, its attempt uncounted. False if the claim was lost.
    async fn release_mail(&self, id: MailId, claimed_until: OffsetDateTime) -> Result<bool>;
    async fn mail(&self, id: MailId) -> Result<Option<OutboxMail>>;
    /// Mails of the accounts in `within` (everything with `None`), newest first.
    async fn mails(
        &self,
        within: Option<&AccountPath>,
        filter: &MailFilter,
    ) -> Result<Vec<OutboxMail>>;

    // ControlByWeb tokens.

    async fn insert_certificate_token(
        &self,
        new: NewCertificateToken,
        audit: AuditDraft,
    ) -> Result<CertificateToken>;
    /// The account's certificate tokens that have not expired by `now`, oldest first.
    async fn certificate_tokens(
        &self,
        account: AccountId,
        now: OffsetDateTime,
    ) -> Result<Vec<CertificateToken>>;
    /// The certificate token with this hash, and the stored hash for a constant-time check.
    async fn certificate_token_by_hash(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<(CertificateToken, TokenHash)>>;
    /// Deletes the account's certificate token with this hash; `NotFound` if it has none.
    async fn delete_certificate_token(
        &self,
        account: AccountId,
        hash: &TokenHash,
        audit: AuditDraft,
    ) -> Result<()>;
    async fn insert_seat_token(&self, new: NewSeatToken, audit: AuditDraft) -> Result<SeatToken>;
    /// Redeems the unexpired, unredeemed seat token with this hash for `account`, adding its
    /// seats to the account's allocation in the same transaction. The seats are new to the
    /// tree: each ancestor's allocation (and what it hands down) grows by as much, so only the
    /// redeeming account's free seats change. `NotFound` if there is no
    /// such token, `Conflict` if it was redeemed already or has expired.
    async fn redeem_seat_token(
        &self,
        hash: &TokenHash,
        account: AccountId,
        audit: AuditDraft,
    ) -> Result<Account>;

    // Cloud Elements: secrets and account roles.

    /// The owner's secret; if there is none yet, `new` becomes it. Concurrent first uses all
    /// get the one that was stored first.
    async fn ensure_secret(&self, new: NewSecret) -> Result<StoredSecret>;
    /// Replaces the owner's secret; the old one stops working at once.
    async fn rotate_secret(&self, new: NewSecret, audit: AuditDraft) -> Result<StoredSecret>;
    /// The secret of `kind` with this hash, and the stored hash for a constant-time check.
    async fn secret_by_hash(
        &self,
        kind: SecretOwnerKind,
        hash: &TokenHash,
    ) -> Result<Option<(StoredSecret, TokenHash)>>;
    /// The role keys granted to an account, sorted.
    async fn account_roles(&self, account: AccountId) -> Result<Vec<String>>;
    /// Grants (`granted`) or withdraws a role key on an account; `false` if that changed
    /// nothing (already granted, or not granted).
    async fn set_account_role(
        &self,
        account: AccountId,
        key: &str,
        granted: bool,
        audit: AuditDraft,
    ) -> Result<bool>;

    // Bulk loading.

    /// Inserts complete account rows as given — ids, paths and seat counters included — for
    /// seeding and import, in one transaction. The caller makes them consistent (parents first,
    /// counters right); [`Store::invariant_violations`] checks the result. No audit records.
    async fn bulk_insert_accounts(&self, accounts: &[Account]) -> Result<()>;

    /// Inserts complete user rows as given (see [`Store::bulk_insert_accounts`]).
    async fn bulk_insert_users(&self, users: &[BulkUser]) -> Result<()>;

    /// Refreshes the query planner's statistics after a bulk load, so it plans for the data
    /// as it now is.
    async fn refresh_statistics(&self) -> Result<()>;

    // Consistency.

    /// Recomputes every denormalised counter and derived column from the rows and describes
    /// each disagreement (seat counters, free seats, paths, tenants, orphans, duplicate emails).
    /// Empty means consistent.
    async fn invariant_violations(&self) -> Result<Vec<String>>;
}
