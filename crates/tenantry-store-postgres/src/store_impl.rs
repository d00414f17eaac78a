//! `Store` for PostgreSQL: each method delegates to the module of its record family.

use async_trait::async_trait;
use tenantry_core::Result;
use tenantry_core::auth::lockout::LockoutPolicy;
use tenantry_core::auth::org_secrets::SecretOwnerKind;
use tenantry_core::auth::{Role, TokenHash};
use tenantry_core::model::account::{AccountChanges, NewAccount};
use tenantry_core::model::api_token::NewApiToken;
use tenantry_core::model::device::{DeviceChanges, DeviceStatistics, NewDevice};
use tenantry_core::model::device_tokens::{NewCertificateToken, NewSeatToken};
use tenantry_core::model::dump::{DumpRow, TableSpec};
use tenantry_core::model::invitation::{InvitationFilter, InvitationRenewal, NewInvitation};
use tenantry_core::model::mail::{MailFilter, MailOutcome, NewMail};
use tenantry_core::model::secrets::{NewSecret, StoredSecret};
use tenantry_core::model::session::{NewSession, SessionTokens};
use tenantry_core::model::user::{
    BulkUser, LoginName, LoginNames, LoginRecord, NewUser, UserChanges,
};
use tenantry_core::model::user_token::{NewUserToken, TokenRedemption};
use tenantry_core::model::{
    Account, AccountId, AccountPath, ApiToken, ApiTokenId, AuditDraft, AuditRecord,
    CertificateToken, Device, DeviceId, Invitation, InvitationId, MailId, OutboxMail, SeatToken,
    Session, SessionId, User, UserId, UserToken, UserTokenId,
};
use tenantry_core::query::ListRequest;
use tenantry_core::store::{AccountDeletion, Scope, Store};
use time::{Duration, OffsetDateTime};

use crate::errors::db;
use crate::{
    PostgresStore, accounts, api_tokens, bulk, deferred_indexes, device_tokens, devices, dump,
    invariants, invitations, lists, lockout, org_secrets, outbox, secrets, sessions, user_tokens,
    users,
};

#[async_trait]
impl Store for PostgresStore {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn health(&self) -> Result<tenantry_core::model::health::StoreHealth> {
        PostgresStore::health(self).await
    }

    async fn dump_rows(
        &self,
        table: &'static TableSpec,
        tenant: Option<AccountId>,
        after: Option<i64>,
        limit: u32,
    ) -> Result<Vec<DumpRow>> {
        dump::rows(&self.pool, table, tenant, after, limit).await
    }

    async fn load_rows(&self, table: &'static TableSpec, rows: &[DumpRow]) -> Result<u64> {
        dump::load(&self.pool, table, rows).await
    }

    async fn prepare_load(&self) -> Result<u64> {
        deferred_indexes::set_aside(&self.pool).await
    }

    async fn finish_load(&self) -> Result<()> {
        deferred_indexes::rebuild(&self.pool).await?;
        dump::finish(&self.pool).await?;
        self.refresh_statistics().await
    }

    async fn insert_account(&self, new: NewAccount, audit: AuditDraft) -> Result<Account> {
        accounts::insert(&self.pool, new, audit).await
    }

    async fn account(&self, id: AccountId) -> Result<Option<Account>> {
        accounts::get(&self.pool, id).await
    }

    async fn update_account(
        &self,
        id: AccountId,
        changes: AccountChanges,
        audit: AuditDraft,
    ) -> Result<Account> {
        accounts::update(&self.pool, id, changes, audit).await
    }

    async fn delete_account(
        &self,
        id: AccountId,
        rule: AccountDeletion,
        audit: AuditDraft,
    ) -> Result<()> {
        accounts::delete(&self.pool, id, rule, audit).await
    }

    async fn list_accounts(&self, scope: &Scope, request: &ListRequest) -> Result<Vec<Account>> {
        lists::accounts(&self.pool, scope, request).await
    }

    async fn move_seats(
        &self,
        parent: AccountId,
        child: AccountId,
        delta: i64,
        audit: AuditDraft,
    ) -> Result<(Account, Account)> {
        accounts::move_seats(&self.pool, parent, child, delta, audit).await
    }

    async fn insert_user(&self, new: NewUser, audit: AuditDraft) -> Result<User> {
        users::insert(&self.pool, new, audit).await
    }

    async fn user(&self, id: UserId) -> Result<Option<User>> {
        users::get(&self.pool, id).await
    }

    async fn user_with_account(&self, id: UserId) -> Result<Option<(User, Account)>> {
        users::with_account(&self.pool, id).await
    }

    async fn login_record(&self, name: &LoginName) -> Result<Option<LoginRecord>> {
        users::login_record(&self.pool, name).await
    }

    async fn login_records(&self, names: &LoginNames) -> Result<Vec<LoginRecord>> {
        users::login_records(&self.pool, names).await
    }

    async fn password_hash(&self, id: UserId) -> Result<Option<String>> {
        users::password_hash(&self.pool, id).await
    }

    async fn update_user(
        &self,
        id: UserId,
        changes: UserChanges,
        audit: AuditDraft,
    ) -> Result<User> {
        users::update(&self.pool, id, changes, audit).await
    }

    async fn delete_user(
        &self,
        id: UserId,
        expected_role: Option<Role>,
        audit: AuditDraft,
    ) -> Result<()> {
        users::delete(&self.pool, id, expected_role, audit).await
    }

    async fn list_users(&self, scope: &Scope, request: &ListRequest) -> Result<Vec<User>> {
        lists::users(&self.pool, scope, request).await
    }

    async fn insert_session(&self, new: NewSession, audit: AuditDraft) -> Result<SessionId> {
        sessions::insert(&self.pool, new, audit).await
    }

    async fn session_by_access(
        &self,
        hash: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<Option<Session>> {
        sessions::by_access(&self.pool, hash, now).await
    }

    async fn rotate_session(
        &self,
        refresh: &TokenHash,
        tokens: SessionTokens,
        audit: AuditDraft,
    ) -> Result<Option<Session>> {
        sessions::rotate(&self.pool, refresh, tokens, audit).await
    }

    async fn delete_session(&self, id: SessionId, audit: AuditDraft) -> Result<()> {
        sessions::delete(&self.pool, id, audit).await
    }

    async fn purge_expired_sessions(&self, now: OffsetDateTime) -> Result<u64> {
        // Address windows are minutes long; a day-old one is long closed.
        lockout::purge_address_failures(&self.pool, now - Duration::days(1)).await?;
        sessions::purge_expired(&self.pool, now).await
    }

    async fn record_login_failure(
        &self,
        user: UserId,
        policy: &LockoutPolicy,
        audit: AuditDraft,
    ) -> Result<Option<OffsetDateTime>> {
        lockout::record_failure(&self.pool, user, policy, audit).await
    }

    async fn unlock_user(&self, user: UserId, audit: AuditDraft) -> Result<User> {
        lockout::unlock(&self.pool, user, audit).await
    }

    async fn address_login_failures(
        &self,
        address: &str,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<Option<(i64, OffsetDateTime)>> {
        lockout::address_failures(&self.pool, address, now, window).await
    }

    async fn record_address_login_failure(
        &self,
        address: &str,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<()> {
        lockout::record_address_failure(&self.pool, address, now, window).await
    }

    async fn insert_api_token(&self, new: NewApiToken, audit: AuditDraft) -> Result<ApiToken> {
        api_tokens::insert(&self.pool, new, audit).await
    }

    async fn api_token_by_hash(&self, hash: &TokenHash) -> Result<Option<(ApiToken, TokenHash)>> {
        api_tokens::by_hash(&self.pool, hash).await
    }

    async fn auth_epoch(&self) -> Result<i64> {
        sessions::auth_epoch(&self.epoch).await
    }

    async fn list_api_tokens(&self) -> Result<Vec<ApiToken>> {
        api_tokens::list(&self.pool).await
    }

    async fn revoke_api_token(&self, id: ApiTokenId, audit: AuditDraft) -> Result<ApiToken> {
        api_tokens::revoke(&self.pool, id, audit).await
    }

    async fn insert_device(&self, new: NewDevice, audit: AuditDraft) -> Result<Device> {
        devices::insert(&self.pool, new, audit).await
    }

    async fn device(&self, id: DeviceId) -> Result<Option<Device>> {
        devices::get(&self.pool, id).await
    }

    async fn update_device(
        &self,
        id: DeviceId,
        changes: DeviceChanges,
        audit: AuditDraft,
    ) -> Result<Device> {
        devices::update(&self.pool, id, changes, audit).await
    }

    async fn delete_device(&self, id: DeviceId, audit: AuditDraft) -> Result<()> {
        devices::delete(&self.pool, id, audit).await
    }

    async fn device_statistics(&self, account: &Account) -> Result<DeviceStatistics> {
        devices::statistics(&self.pool, account).await
    }

    async fn list_devices(&self, scope: &Scope, request: &ListRequest) -> Result<Vec<Device>> {
        lists::devices(&self.pool, scope, request).await
    }

    async fn list_audit(&self, scope: &Scope, request: &ListRequest) -> Result<Vec<AuditRecord>> {
        lists::audit(&self.pool, scope, request).await
    }

    async fn count(&self, scope: &Scope, request: &ListRequest, cap: u64) -> Result<u64> {
        lists::count(&self.pool, scope, request, cap).await
    }

    async fn installation_secret(&self, name: &str) -> Result<[u8; 32]> {
        secrets::get_or_create(&self.pool, name).await
    }

    async fn insert_tenant(
        &self,
        account: NewAccount,
        user: NewUser,
        verification: Option<(NewUserToken, NewMail)>,
        audit: AuditDraft,
    ) -> Result<(Account, User)> {
        invitations::insert_tenant(&self.pool, account, user, verification, audit).await
    }

    async fn insert_invitation(
        &self,
        new: NewInvitation,
        mail: NewMail,
        audit: AuditDraft,
    ) -> Result<Invitation> {
        invitations::insert(&self.pool, new, mail, audit).await
    }

    async fn invitation(&self, id: InvitationId) -> Result<Option<Invitation>> {
        invitations::get(&self.pool, id).await
    }

    async fn invitation_by_token(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<(Invitation, TokenHash)>> {
        invitations::by_token(&self.pool, hash).await
    }

    async fn pending_invitation(
        &self,
        user: UserId,
        now: OffsetDateTime,
    ) -> Result<Option<Invitation>> {
        invitations::pending(&self.pool, user, now).await
    }

    async fn accept_invitation(
        &self,
        id: InvitationId,
        password_hash: Option<String>,
        audit: AuditDraft,
    ) -> Result<User> {
        invitations::accept(&self.pool, id, password_hash, audit).await
    }

    async fn renew_invitation(
        &self,
        id: InvitationId,
        renewal: InvitationRenewal,
        mail: NewMail,
        audit: AuditDraft,
    ) -> Result<Invitation> {
        invitations::renew(&self.pool, id, renewal, mail, audit).await
    }

    async fn revoke_invitation(&self, id: InvitationId, audit: AuditDraft) -> Result<Invitation> {
        invitations::revoke(&self.pool, id, audit).await
    }

    async fn invitations(
        &self,
        within: Option<&AccountPath>,
        filter: &InvitationFilter,
    ) -> Result<Vec<Invitation>> {
        invitations::list(&self.pool, within, filter).await
    }

    async fn insert_user_token(
        &self,
        new: NewUserToken,
        mail: NewMail,
        audit: AuditDraft,
    ) -> Result<UserToken> {
        user_tokens::insert(&self.pool, new, mail, audit).await
    }

    async fn user_token_by_hash(&self, hash: &TokenHash) -> Result<Option<(UserToken, TokenHash)>> {
        user_tokens::by_hash(&self.pool, hash).await
    }

    async fn redeem_user_token(
        &self,
        id: UserTokenId,
        redemption: TokenRedemption,
        audit: AuditDraft,
    ) -> Result<User> {
        user_tokens::redeem(&self.pool, id, redemption, audit).await
    }

    async fn claim_mail(
        &self,
        now: OffsetDateTime,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<OutboxMail>> {
        outbox::claim(&self.pool, now, lease, limit).await
    }

    async fn settle_mail(
        &self,
        id: MailId,
        claimed_until: OffsetDateTime,
        outcome: MailOutcome,
        now: OffsetDateTime,
    ) -> Result<bool> {
        outbox::settle(&self.pool, id, claimed_until, outcome, now).await
    }

    async fn release_mail(&self, id: MailId, claimed_until: OffsetDateTime) -> Result<bool> {
        outbox::release(&self.pool, id, claimed_until).await
    }

    async fn mail(&self, id: MailId) -> Result<Option<OutboxMail>> {
        outbox::get(&self.pool, id).await
    }

    async fn mails(
        &self,
        within: Option<&AccountPath>,
        filter: &MailFilter,
    ) -> Result<Vec<OutboxMail>> {
        outbox::list(&self.pool, within, filter).await
    }

    async fn insert_certificate_token(
        &self,
        new: NewCertificateToken,
        audit: AuditDraft,
    ) -> Result<CertificateToken> {
        device_tokens::insert_certificate(&self.pool, new, audit).await
    }

    async fn certificate_tokens(
        &self,
        account: AccountId,
        now: OffsetDateTime,
    ) -> Result<Vec<CertificateToken>> {
        device_tokens::certificates(&self.pool, account, now).await
    }

    async fn certificate_token_by_hash(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<(CertificateToken, TokenHash)>> {
        device_tokens::certificate_by_hash(&self.pool, hash).await
    }

    async fn delete_certificate_token(
        &self,
        account: AccountId,
        hash: &TokenHash,
        audit: AuditDraft,
    ) -> Result<()> {
        device_tokens::delete_certificate(&self.pool, account, hash, audit).await
    }

    async fn insert_seat_token(&self, new: NewSeatToken, audit: AuditDraft) -> Result<SeatToken> {
        device_tokens::insert_seat(&self.pool, new, audit).await
    }

    async fn redeem_seat_token(
        &self,
        hash: &TokenHash,
        account: AccountId,
        audit: AuditDraft,
    ) -> Result<Account> {
        device_tokens::redeem_seat(&self.pool, hash, account, audit).await
    }

    async fn ensure_secret(&self, new: NewSecret) -> Result<StoredSecret> {
        org_secrets::ensure(&self.pool, new).await
    }

    async fn rotate_secret(&self, new: NewSecret, audit: AuditDraft) -> Result<StoredSecret> {
        org_secrets::rotate(&self.pool, new, audit).await
    }

    async fn secret_by_hash(
        &self,
        kind: SecretOwnerKind,
        hash: &TokenHash,
    ) -> Result<Option<(StoredSecret, TokenHash)>> {
        org_secrets::by_hash(&self.pool, kind, hash).await
    }

    async fn account_roles(&self, account: AccountId) -> Result<Vec<String>> {
        org_secrets::account_roles(&self.pool, account).await
    }

    async fn set_account_role(
        &self,
        account: AccountId,
        key: &str,
        granted: bool,
        audit: AuditDraft,
    ) -> Result<bool> {
        org_secrets::set_account_role(&self.pool, account, key, granted, audit).await
    }

    async fn refresh_statistics(&self) -> Result<()> {
        sqlx::query("ANALYZE")
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn bulk_insert_accounts(&self, accounts: &[Account]) -> Result<()> {
        bulk::accounts(&self.pool, accounts).await
    }

    async fn bulk_insert_users(&self, users: &[BulkUser]) -> Result<()> {
        bulk::users(&self.pool, users).await
    }

    async fn invariant_violations(&self) -> Result<Vec<String>> {
        invariants::violations(&self.pool).await
    }
}
