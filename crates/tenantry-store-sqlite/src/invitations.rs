//! Invitations (each written with its mail), and tenants created together with their first
//! user.

use sqlx::{FromRow, SqliteConnection};
use tenantry_core::auth::TokenHash;
use tenantry_core::model::account::NewAccount;
use tenantry_core::model::invitation::{
    InvitationFilter, InvitationRenewal, Invitee, NewInvitation,
};
use tenantry_core::model::mail::NewMail;
use tenantry_core::model::user::NewUser;
use tenantry_core::model::user_token::NewUserToken;
use tenantry_core::model::{
    Account, AccountId, AccountPath, AuditDraft, Invitation, InvitationId, MailKind, User, UserId,
};
use tenantry_core::{Error, Resource, Result};
use time::OffsetDateTime;

use crate::audit::{self, Target};
use crate::errors::db;
use crate::group_commit::{Writer, begin_write, commit};
use crate::outbox::{self, Owner};
use crate::readers::Readers;
use crate::timestamps::{from_db, from_db_opt, to_db};
use crate::{accounts, user_tokens, users};

const COLUMNS: &str = "id, tenant_id, account_id, account_path, user_id, email, role, \
                       created_at, expires_at, accepted_at, revoked_at";

#[derive(FromRow)]
struct InvitationRow {
    id: i64,
    tenant_id: i64,
    account_id: i64,
    account_path: String,
    user_id: i64,
    email: String,
    role: String,
    created_at: i64,
    expires_at: i64,
    accepted_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl TryFrom<InvitationRow> for Invitation {
    type Error = Error;

    fn try_from(row: InvitationRow) -> Result<Invitation> {
        Ok(Invitation {
            id: InvitationId(row.id),
            tenant_id: AccountId(row.tenant_id),
            account_id: AccountId(row.account_id),
            account_path: AccountPath::from_stored(row.account_path),
            user_id: UserId(row.user_id),
            email: row.email,
            role: row
                .role
                .parse()
                .map_err(|_| Error::internal("unexpected stored role"))?,
            created: from_db(row.created_at)?,
            expires: from_db(row.expires_at)?,
            accepted: from_db_opt(row.accepted_at)?,
            revoked: from_db_opt(row.revoked_at)?,
        })
    }
}

fn target(invitation: &Invitation) -> Target<'_> {
    Target {
        kind: "invitation",
        id: Some(invitation.id.get()),
        tenant_id: Some(invitation.tenant_id.get()),
        path: Some(&invitation.account_path),
    }
}

async fn fetch(conn: &mut SqliteConnection, id: InvitationId) -> Result<Option<Invitation>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM invitations WHERE id = ?"));
    let row: Option<InvitationRow> = sqlx::query_as(sql)
        .bind(id.get())
        .fetch_optional(conn)
        .await
        .map_err(db)?;
    row.map(Invitation::try_from).transpose()
}

pub(crate) async fn insert_tenant(
    writer: &Writer,
    account: NewAccount,
    user: NewUser,
    verification: Option<(NewUserToken, NewMail)>,
    audit: AuditDraft,
) -> Result<(Account, User)> {
    let mut tx = begin_write(writer).await?;
    let account_audit = AuditDraft {
        action: "account.create",
        ..audit.clone()
    };
    let account = accounts::insert_in(&mut tx, account, account_audit).await?;
    let user_audit = AuditDraft {
        action: "user.create",
        ..audit
    };
    let user = NewUser {
        account_id: account.id,
        ..user
    };
    let user = users::insert_in(&mut tx, user, user_audit.clone()).await?;
    if let Some((token, mail)) = verification {
        let token = NewUserToken {
            user_id: user.id,
            ..token
        };
        let token_audit = AuditDraft {
            action: "user.verification_requested",
            ..user_audit
        };
        user_tokens::insert_in(&mut tx, &token, &mail, &token_audit).await?;
    }
    commit(tx).await?;
    Ok((account, user))
}

pub(crate) async fn insert(
    writer: &Writer,
    new: NewInvitation,
    mail: NewMail,
    audit: AuditDraft,
) -> Result<Invitation> {
    let mut tx = begin_write(writer).await?;
    let user = match new.invitee {
        Invitee::Existing(id) => users::fetch(&mut tx, id)
            .await?
            .ok_or(Error::NotFound(Resource::User))?,
        Invitee::New(user) => {
            let user_audit = AuditDraft {
                action: "user.create",
                ..audit.clone()
            };
            users::insert_in(&mut tx, *user, user_audit).await?
        }
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO invitations (tenant_id, account_id, account_path, user_id, email, role, \
         token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(user.tenant_id.get())
    .bind(user.account_id.get())
    .bind(user.account_path.as_str())
    .bind(user.id.get())
    .bind(&user.email)
    .bind(user.role.as_str())
    .bind(new.token_hash.as_bytes().as_slice())
    .bind(to_db(new.now))
    .bind(to_db(new.expires))
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let invitation = fetch(&mut tx, InvitationId(id))
        .await?
        .ok_or_else(|| Error::internal("the new invitation vanished"))?;
    outbox::enqueue(&mut tx, &mail, owner(&invitation)).await?;
    audit::record(&mut tx, &audit, target(&invitation)).await?;
    commit(tx).await?;
    Ok(invitation)
}

fn owner(invitation: &Invitation) -> Owner<'_> {
    Owner {
        tenant_id: invitation.tenant_id,
        path: &invitation.account_path,
        user_id: invitation.user_id,
    }
}

pub(crate) async fn renew(
    writer: &Writer,
    id: InvitationId,
    renewal: InvitationRenewal,
    mail: NewMail,
    audit: AuditDraft,
) -> Result<Invitation> {
    let mut tx = begin_write(writer).await?;
    let done = sqlx::query(
        "UPDATE invitations SET token_hash = ?, expires_at = ? \
         WHERE id = ? AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(renewal.token_hash.as_bytes().as_slice())
    .bind(to_db(renewal.expires))
    .bind(id.get())
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(Error::conflict(
            "only invitations that were neither accepted nor revoked can be sent again",
        ));
    }
    let invitation = fetch(&mut tx, id)
        .await?
        .ok_or(Error::NotFound(Resource::Invitation))?;
    let superseded = "cancelled: the invitation was sent again";
    outbox::cancel(
        &mut tx,
        invitation.user_id,
        Some(MailKind::Invitation),
        superseded,
    )
    .await?;
    outbox::enqueue(&mut tx, &mail, owner(&invitation)).await?;
    audit::record(&mut tx, &audit, target(&invitation)).await?;
    commit(tx).await?;
    Ok(invitation)
}

pub(crate) async fn revoke(
    writer: &Writer,
    id: InvitationId,
    audit: AuditDraft,
) -> Result<Invitation> {
    let mut tx = begin_write(writer).await?;
    let done = sqlx::query(
        "UPDATE invitations SET revoked_at = COALESCE(revoked_at, ?) \
         WHERE id = ? AND accepted_at IS NULL",
    )
    .bind(to_db(audit.at))
    .bind(id.get())
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    let invitation = fetch(&mut tx, id)
        .await?
        .ok_or(Error::NotFound(Resource::Invitation))?;
    if done.rows_affected() == 0 {
        return Err(Error::conflict("the invitation was accepted already"));
    }
    let revoked = "cancelled: the invitation was revoked";
    outbox::cancel(
        &mut tx,
        invitation.user_id,
        Some(MailKind::Invitation),
        revoked,
    )
    .await?;
    audit::record(&mut tx, &audit, target(&invitation)).await?;
    commit(tx).await?;
    Ok(invitation)
}

pub(crate) async fn list(
    readers: &Readers,
    within: Option<&AccountPath>,
    filter: &InvitationFilter,
) -> Result<Vec<Invitation>> {
    let (low, high) = within.map_or((None, None), |p| {
        let (low, high) = p.subtree_range();
        (Some(low), Some(high))
    });
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM invitations \
         WHERE (?1 IS NULL OR (account_path >= ?1 AND account_path < ?2)) \
           AND (?3 IS NULL OR (accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?3)) \
           AND (?4 IS NULL OR id < ?4) \
         ORDER BY id DESC LIMIT ?5"
    ));
    let rows: Vec<InvitationRow> = sqlx::query_as(sql)
        .bind(low)
        .bind(high)
        .bind(filter.pending_at.map(to_db))
        .bind(filter.before.map(InvitationId::get))
        .bind(i64::from(filter.limit))
        .fetch_all(&mut *readers.acquire().await?)
        .await
        .map_err(db)?;
    rows.into_iter().map(Invitation::try_from).collect()
}

pub(crate) async fn get(readers: &Readers, id: InvitationId) -> Result<Option<Invitation>> {
    let mut conn = readers.acquire().await?;
    fetch(&mut conn, id).await
}

pub(crate) async fn by_token(
    readers: &Readers,
    hash: &TokenHash,
) -> Result<Option<(Invitation, TokenHash)>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, token_hash FROM invitations WHERE token_hash = ?"
    ));
    let found: Option<InvitationRowWithHash> = sqlx::query_as(sql)
        .bind(hash.as_bytes().as_slice())
        .fetch_optional(&mut *readers.acquire().await?)
        .await
        .map_err(db)?;
    match found {
        Some(found) => {
            let stored = TokenHash::from_bytes(&found.token_hash)
                .ok_or_else(|| Error::internal("stored invitation hash has the wrong length"))?;
            Ok(Some((Invitation::try_from(found.row)?, stored)))
        }
        None => Ok(None),
    }
}

#[derive(FromRow)]
struct InvitationRowWithHash {
    #[sqlx(flatten)]
    row: InvitationRow,
    token_hash: Vec<u8>,
}

pub(crate) async fn pending(
    readers: &Readers,
    user: UserId,
    now: OffsetDateTime,
) -> Result<Option<Invitation>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM invitations WHERE user_id = ? AND accepted_at IS NULL \
         AND revoked_at IS NULL AND expires_at > ? ORDER BY id DESC LIMIT 1"
    ));
    let row: Option<InvitationRow> = sqlx::query_as(sql)
        .bind(user.get())
        .bind(to_db(now))
        .fetch_optional(&mut *readers.acquire().await?)
        .await
        .map_err(db)?;
    row.map(Invitation::try_from).transpose()
}

pub(crate) async fn accept(
    writer: &Writer,
    id: InvitationId,
    password_hash: Option<String>,
    audit: AuditDraft,
) -> Result<User> {
    let mut tx = begin_write(writer).await?;
    let now = to_db(audit.at);
    let user_id: Option<i64> = sqlx::query_scalar(
        "UPDATE invitations SET accepted_at = ? WHERE id = ? AND accepted_at IS NULL \
         AND revoked_at IS NULL AND expires_at > ? RETURNING user_id",
    )
    .bind(now)
    .bind(id.get())
    .bind(now)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    let Some(user_id) = user_id else {
        return Err(Error::conflict("the invitation is no longer pending"));
    };
    // A password chosen meanwhile (e.g. through a reset) is never overwritten by a stale link.
    let updated = sqlx::query(
        "UPDATE users SET email_verified = 1, \
         email_verified_at = COALESCE(email_verified_at, ?), \
         password_hash = COALESCE(?, password_hash), updated_at = ? \
         WHERE id = ? AND (? IS NULL OR password_hash IS NULL)",
    )
    .bind(now)
    .bind(password_hash.clone())
    .bind(now)
    .bind(user_id)
    .bind(password_hash)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    if updated.rows_affected() == 0 {
        return Err(Error::conflict("the user has set a password already"));
    }
    let invitation = fetch(&mut tx, id)
        .await?
        .ok_or(Error::NotFound(Resource::User))?;
    let user = users::fetch(&mut tx, UserId(user_id))
        .await?
        .ok_or(Error::NotFound(Resource::User))?;
    audit::record(&mut tx, &audit, target(&invitation)).await?;
    commit(tx).await?;
    Ok(user)
}
