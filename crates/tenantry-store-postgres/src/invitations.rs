//! Invitations (each written with its mail), and tenants created together with their first
//! user.

use sqlx::{FromRow, PgConnection, PgPool};
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
use crate::errors::{StoreError, db};
use crate::outbox::{self, Owner};
use crate::{accounts, tx, user_tokens, users};

macro_rules! invitation_columns {
    () => {
        "id, tenant_id, account_id, account_path, user_id, email, role, created_at, expires_at, \
         accepted_at, revoked_at"
    };
}

#[derive(FromRow)]
struct InvitationRow {
    id: i64,
    tenant_id: i64,
    account_id: i64,
    account_path: String,
    user_id: i64,
    email: String,
    role: String,
    created_at: OffsetDateTime,
    expires_at: OffsetDateTime,
    accepted_at: Option<OffsetDateTime>,
    revoked_at: Option<OffsetDateTime>,
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
            created: row.created_at,
            expires: row.expires_at,
            accepted: row.accepted_at,
            revoked: row.revoked_at,
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

async fn fetch(
    conn: &mut PgConnection,
    id: InvitationId,
) -> Result<Option<Invitation>, StoreError> {
    let row: Option<InvitationRow> = sqlx::query_as(concat!(
        "SELECT ",
        invitation_columns!(),
        " FROM invitations WHERE id = $1"
    ))
    .bind(id.get())
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Invitation::try_from).transpose()?)
}

pub(crate) async fn insert_tenant(
    pool: &PgPool,
    account: NewAccount,
    user: NewUser,
    verification: Option<(NewUserToken, NewMail)>,
    audit: AuditDraft,
) -> Result<(Account, User)> {
    tx::write(pool, |conn| {
        Box::pin(insert_tenant_tx(
            conn,
            account.clone(),
            user.clone(),
            verification.clone(),
            audit.clone(),
        ))
    })
    .await
}

async fn insert_tenant_tx(
    conn: &mut PgConnection,
    account: NewAccount,
    user: NewUser,
    verification: Option<(NewUserToken, NewMail)>,
    audit: AuditDraft,
) -> Result<(Account, User), StoreError> {
    let account_audit = AuditDraft {
        action: "account.create",
        ..audit.clone()
    };
    let account = accounts::insert_tx(conn, account, account_audit).await?;
    let user_audit = AuditDraft {
        action: "user.create",
        ..audit
    };
    let user = NewUser {
        account_id: account.id,
        ..user
    };
    let user = users::insert_tx(conn, user, user_audit.clone()).await?;
    if let Some((token, mail)) = verification {
        let token = NewUserToken {
            user_id: user.id,
            ..token
        };
        let token_audit = AuditDraft {
            action: "user.verification_requested",
            ..user_audit
        };
        user_tokens::insert_tx(conn, &token, &mail, &token_audit).await?;
    }
    Ok((account, user))
}

pub(crate) async fn insert(
    pool: &PgPool,
    new: NewInvitation,
    mail: NewMail,
    audit: AuditDraft,
) -> Result<Invitation> {
    tx::write(pool, |conn| {
        Box::pin(insert_tx(conn, new.clone(), mail.clone(), audit.clone()))
    })
    .await
}

async fn insert_tx(
    conn: &mut PgConnection,
    new: NewInvitation,
    mail: NewMail,
    audit: AuditDraft,
) -> Result<Invitation, StoreError> {
    let user = match new.invitee {
        Invitee::Existing(id) => users::fetch(conn, id)
            .await?
            .ok_or(Error::NotFound(Resource::User))?,
        Invitee::New(user) => {
            let user_audit = AuditDraft {
                action: "user.create",
                ..audit.clone()
            };
            users::insert_tx(conn, *user, user_audit).await?
        }
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO invitations (tenant_id, account_id, account_path, user_id, email, role, \
         token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         RETURNING id",
    )
    .bind(user.tenant_id.get())
    .bind(user.account_id.get())
    .bind(user.account_path.as_str())
    .bind(user.id.get())
    .bind(&user.email)
    .bind(user.role.as_str())
    .bind(new.token_hash.as_bytes().as_slice())
    .bind(new.now)
    .bind(new.expires)
    .fetch_one(&mut *conn)
    .await?;
    let invitation = fetch(conn, InvitationId(id))
        .await?
        .ok_or_else(|| Error::internal("the new invitation vanished"))?;
    outbox::enqueue(conn, &mail, owner(&invitation)).await?;
    audit::record(conn, &audit, target(&invitation)).await?;
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
    pool: &PgPool,
    id: InvitationId,
    renewal: InvitationRenewal,
    mail: NewMail,
    audit: AuditDraft,
) -> Result<Invitation> {
    tx::write(pool, |conn| {
        Box::pin(renew_tx(
            conn,
            id,
            renewal.clone(),
            mail.clone(),
            audit.clone(),
        ))
    })
    .await
}

async fn renew_tx(
    conn: &mut PgConnection,
    id: InvitationId,
    renewal: InvitationRenewal,
    mail: NewMail,
    audit: AuditDraft,
) -> Result<Invitation, StoreError> {
    let done = sqlx::query(
        "UPDATE invitations SET token_hash = $1, expires_at = $2 \
         WHERE id = $3 AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(renewal.token_hash.as_bytes().as_slice())
    .bind(renewal.expires)
    .bind(id.get())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::conflict(
            "only invitations that were neither accepted nor revoked can be sent again",
        )
        .into());
    }
    let invitation = fetch(conn, id)
        .await?
        .ok_or(Error::NotFound(Resource::Invitation))?;
    let superseded = "cancelled: the invitation was sent again";
    outbox::cancel(
        conn,
        invitation.user_id,
        Some(MailKind::Invitation),
        superseded,
    )
    .await?;
    outbox::enqueue(conn, &mail, owner(&invitation)).await?;
    audit::record(conn, &audit, target(&invitation)).await?;
    Ok(invitation)
}

pub(crate) async fn revoke(
    pool: &PgPool,
    id: InvitationId,
    audit: AuditDraft,
) -> Result<Invitation> {
    tx::write(pool, |conn| Box::pin(revoke_tx(conn, id, audit.clone()))).await
}

async fn revoke_tx(
    conn: &mut PgConnection,
    id: InvitationId,
    audit: AuditDraft,
) -> Result<Invitation, StoreError> {
    let done = sqlx::query(
        "UPDATE invitations SET revoked_at = COALESCE(revoked_at, $1) \
         WHERE id = $2 AND accepted_at IS NULL",
    )
    .bind(audit.at)
    .bind(id.get())
    .execute(&mut *conn)
    .await?;
    let invitation = fetch(conn, id)
        .await?
        .ok_or(Error::NotFound(Resource::Invitation))?;
    if done.rows_affected() == 0 {
        return Err(Error::conflict("the invitation was accepted already").into());
    }
    let revoked = "cancelled: the invitation was revoked";
    outbox::cancel(
        conn,
        invitation.user_id,
        Some(MailKind::Invitation),
        revoked,
    )
    .await?;
    audit::record(conn, &audit, target(&invitation)).await?;
    Ok(invitation)
}

pub(crate) async fn list(
    pool: &PgPool,
    within: Option<&AccountPath>,
    filter: &InvitationFilter,
) -> Result<Vec<Invitation>> {
    let (low, high) = within.map_or((None, None), |p| {
        let (low, high) = p.subtree_range();
        (Some(low), Some(high))
    });
    let rows: Vec<InvitationRow> = sqlx::query_as(concat!(
        "SELECT ",
        invitation_columns!(),
        " FROM invitations \
         WHERE ($1::text IS NULL OR (account_path >= $1 AND account_path < $2::text)) \
           AND ($3::timestamptz IS NULL \
             OR (accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $3)) \
           AND ($4::bigint IS NULL OR id < $4) \
         ORDER BY id DESC LIMIT $5"
    ))
    .bind(low)
    .bind(high)
    .bind(filter.pending_at)
    .bind(filter.before.map(InvitationId::get))
    .bind(i64::from(filter.limit))
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.into_iter().map(Invitation::try_from).collect()
}

pub(crate) async fn get(pool: &PgPool, id: InvitationId) -> Result<Option<Invitation>> {
    let mut conn = pool.acquire().await.map_err(db)?;
    fetch(&mut conn, id).await.map_err(StoreError::into_core)
}

pub(crate) async fn by_token(
    pool: &PgPool,
    hash: &TokenHash,
) -> Result<Option<(Invitation, TokenHash)>> {
    let found: Option<InvitationRowWithHash> = sqlx::query_as(concat!(
        "SELECT ",
        invitation_columns!(),
        ", token_hash FROM invitations WHERE token_hash = $1"
    ))
    .bind(hash.as_bytes().as_slice())
    .fetch_optional(pool)
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
    pool: &PgPool,
    user: UserId,
    now: OffsetDateTime,
) -> Result<Option<Invitation>> {
    let row: Option<InvitationRow> = sqlx::query_as(concat!(
        "SELECT ",
        invitation_columns!(),
        " FROM invitations WHERE user_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL \
          AND expires_at > $2 ORDER BY id DESC LIMIT 1"
    ))
    .bind(user.get())
    .bind(now)
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    row.map(Invitation::try_from).transpose()
}

pub(crate) async fn accept(
    pool: &PgPool,
    id: InvitationId,
    password_hash: Option<String>,
    audit: AuditDraft,
) -> Result<User> {
    tx::write(pool, |conn| {
        Box::pin(accept_tx(conn, id, password_hash.clone(), audit.clone()))
    })
    .await
}

async fn accept_tx(
    conn: &mut PgConnection,
    id: InvitationId,
    password_hash: Option<String>,
    audit: AuditDraft,
) -> Result<User, StoreError> {
    let user_id: Option<i64> = sqlx::query_scalar(
        "UPDATE invitations SET accepted_at = $1 WHERE id = $2 AND accepted_at IS NULL \
         AND revoked_at IS NULL AND expires_at > $1 RETURNING user_id",
    )
    .bind(audit.at)
    .bind(id.get())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(user_id) = user_id else {
        return Err(Error::conflict("the invitation is no longer pending").into());
    };
    // A password chosen meanwhile (e.g. through a reset) is never overwritten by a stale link.
    let updated = sqlx::query(
        "UPDATE users SET email_verified = TRUE, \
         email_verified_at = COALESCE(email_verified_at, $2), \
         password_hash = COALESCE($1, password_hash), updated_at = $2 \
         WHERE id = $3 AND ($1::text IS NULL OR password_hash IS NULL)",
    )
    .bind(password_hash)
    .bind(audit.at)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(Error::conflict("the user has set a password already").into());
    }
    let invitation = fetch(conn, id)
        .await?
        .ok_or(Error::NotFound(Resource::User))?;
    let user = users::fetch(conn, UserId(user_id))
        .await?
        .ok_or(Error::NotFound(Resource::User))?;
    audit::record(conn, &audit, target(&invitation)).await?;
    Ok(user)
}
