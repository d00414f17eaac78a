//! Invitations: an administrator invites someone by email to an account with a role; the mail
//! carries a single-use link with which the invitee sets a password, which also verifies their
//! address. Invitations can be listed, sent again (with a new token) and revoked.
//!
//! Invitation and mail are written in one transaction, so an invitation never exists without
//! its mail, nor a mail without its invitation.

use std::sync::Arc;

use serde_json::json;

use super::Deps;
use super::onboarding::human_time;
use super::users::{CreateUser, new_user};
use crate::auth::{Caller, Permission, SecretKind, SecretToken, TokenHash};
use crate::error::{Error, Resource, Result};
use crate::model::invitation::{InvitationFilter, InvitationRenewal, Invitee, NewInvitation};
use crate::model::mail::NewMail;
use crate::model::user::LoginName;
use crate::model::{
    AccountId, AccountStatus, Invitation, InvitationId, MailKind, User, UserId, UserStatus,
};
use crate::values::Password;

/// The most invitations one list answer holds.
pub const MAX_LIST: u32 = 500;

#[derive(Clone)]
pub struct InvitationService {
    deps: Arc<Deps>,
}

impl InvitationService {
    pub(super) fn new(deps: Arc<Deps>) -> Self {
        Self { deps }
    }

    /// Invites `command.email` to `account_id`. A new address gets a password-less user,
    /// created with the invitation; a password-less user already in that account with that role
    /// is invited again; any other registered address is a conflict. Needs "Add Users" over the account
    /// and a rank at least the role's.
    pub async fn invite(
        &self,
        caller: &Caller,
        account_id: AccountId,
        command: CreateUser,
    ) -> Result<Invitation> {
        let account = self.deps.account(account_id).await?;
        caller.require(Permission::AddUsers, &account.path, Resource::Account)?;
        caller.require_rank_at_least(command.role, "inviting a user with this role")?;
        if command.password.is_some() {
            return Err(Error::invalid_field(
                "password",
                "is chosen by the invited user, not by the inviter",
            ));
        }
        let existing = self
            .deps
            .store
            .login_record(&LoginName::Email(command.email.normalized()))
            .await?;
        if let Some(record) = existing {
            // Inviting again is sending again; a different role would be a silent role change.
            if record.user.account_id == account_id
                && !record.user.has_password
                && record.user.role == command.role
            {
                return self.invite_user(caller, record.user.id).await;
            }
            return Err(Error::conflict(
                "a user with this email address already exists",
            ));
        }
        let now = self.deps.clock.now();
        let email = command.email.as_str().to_owned();
        let role = command.role;
        let invitee = Invitee::New(Box::new(new_user(account_id, command, None, now)));
        let audit = caller
            .audit("invitation.create", now)
            .with_details(json!({ "role": role.as_str(), "new_user": true }));
        self.record(caller, invitee, &account.name, email, audit)
            .await
    }

    /// Invites a user who exists and has no password yet (Ioto's `sendInvite`).
    pub async fn invite_user(&self, caller: &Caller, id: UserId) -> Result<Invitation> {
        let user = self.deps.user(id).await?;
        caller.require(Permission::AddUsers, &user.account_path, Resource::User)?;
        caller.require_rank_at_least(user.role, "inviting this user")?;
        if user.has_password {
            return Err(Error::conflict("the user has already set a password"));
        }
        if user.status != UserStatus::Active {
            return Err(Error::conflict("the user is disabled"));
        }
        let account = self.deps.account(user.account_id).await?;
        let audit = caller.audit("invitation.create", self.deps.clock.now());
        self.record(
            caller,
            Invitee::Existing(id),
            &account.name,
            user.email,
            audit,
        )
        .await
    }

    /// Invitations to an account and the accounts below it, newest first. Needs "View Users".
    pub async fn list(
        &self,
        caller: &Caller,
        account_id: AccountId,
        pending_only: bool,
        before: Option<InvitationId>,
        limit: u32,
    ) -> Result<Vec<Invitation>> {
        let account = self.deps.account(account_id).await?;
        caller.require(Permission::ViewUsers, &account.path, Resource::Account)?;
        let filter = InvitationFilter {
            pending_at: pending_only.then(|| self.deps.clock.now()),
            before,
            limit: limit.clamp(1, MAX_LIST),
        };
        self.deps
            .store
            .invitations(Some(&account.path), &filter)
            .await
    }

    /// One invitation. Needs "View Users" over its account.
    pub async fn get(&self, caller: &Caller, id: InvitationId) -> Result<Invitation> {
        let invitation = self.find(id).await?;
        caller.require(
            Permission::ViewUsers,
            &invitation.account_path,
            Resource::Invitation,
        )?;
        Ok(invitation)
    }

    /// Revokes an invitation that was not accepted: its link stops working.
    pub async fn revoke(&self, caller: &Caller, id: InvitationId) -> Result<Invitation> {
        let invitation = self.managed(caller, id).await?;
        let audit = caller.audit("invitation.revoke", self.deps.clock.now());
        self.deps
            .store
            .revoke_invitation(invitation.id, audit)
            .await
    }

    /// Sends an invitation again with a new link and a fresh expiry; the old link stops
    /// working. Invitations that were accepted or revoked cannot be resent.
    pub async fn resend(&self, caller: &Caller, id: InvitationId) -> Result<Invitation> {
        let invitation = self.managed(caller, id).await?;
        let account = self.deps.account(invitation.account_id).await?;
        let now = self.deps.clock.now();
        let token = SecretToken::generate(SecretKind::Invitation);
        let renewal = InvitationRenewal {
            token_hash: token.hash(),
            expires: now + self.deps.config.invitation_ttl,
            now,
        };
        let mail = self
            .mail(
                caller,
                &account.name,
                invitation.email,
                &token,
                renewal.expires,
            )
            .await?;
        let audit = caller.audit("invitation.resend", now);
        self.deps
            .store
            .renew_invitation(id, renewal, mail, audit)
            .await
    }

    /// The invitee accepts with the token from their mail and chooses a password; their
    /// address becomes verified. Every way of failing answers the same.
    pub async fn accept(
        &self,
        token: &str,
        password: &Password,
        request_id: Option<String>,
    ) -> Result<User> {
        let invitation = joinable(&self.deps, token)
            .await?
            .ok_or_else(|| Error::invalid_field("token", "is invalid, used, revoked or expired"))?;
        let now = self.deps.clock.now();
        let password_hash = self.deps.hasher.hash(password).await?;
        let audit = crate::model::AuditDraft {
            actor: crate::model::Actor::User(invitation.user_id),
            action: "invitation.accept",
            request_id,
            details: serde_json::Value::Null,
            at: now,
        };
        self.deps
            .store
            .accept_invitation(invitation.id, Some(password_hash), audit)
            .await
    }

    /// The caller accepts an invitation addressed to them (e.g. Ioto's `user/login` with
    /// `invite`): their email becomes verified.
    pub async fn accept_own(&self, caller: &Caller, id: InvitationId) -> Result<User> {
        let Some(me) = caller.principal.as_user() else {
            return Err(Error::forbidden("only users accept invitations"));
        };
        let now = self.deps.clock.now();
        let invitation = self
            .deps
            .store
            .invitation(id)
            .await?
            .filter(|i| i.user_id == me.user_id)
            .ok_or_else(|| Error::invalid_field("invite", "is not an invitation for you"))?;
        if invitation.accepted.is_some() {
            return self.deps.user(me.user_id).await;
        }
        if !invitation.is_pending(now) {
            return Err(Error::invalid_field("invite", "has expired or was revoked"));
        }
        let audit = caller.audit("invitation.accept", now);
        self.deps
            .store
            .accept_invitation(invitation.id, None, audit)
            .await
    }

    async fn find(&self, id: InvitationId) -> Result<Invitation> {
        self.deps
            .store
            .invitation(id)
            .await?
            .ok_or(Error::NotFound(Resource::Invitation))
    }

    /// An invitation the caller may resend or revoke: "Add Users" over its account, and a rank
    /// at least the invited role's.
    async fn managed(&self, caller: &Caller, id: InvitationId) -> Result<Invitation> {
        let invitation = self.find(id).await?;
        caller.require(
            Permission::AddUsers,
            &invitation.account_path,
            Resource::Invitation,
        )?;
        caller.require_rank_at_least(invitation.role, "managing this invitation")?;
        if invitation.accepted.is_some() {
            return Err(Error::conflict("the invitation was accepted already"));
        }
        Ok(invitation)
    }

    async fn record(
        &self,
        caller: &Caller,
        invitee: Invitee,
        account_name: &str,
        email: String,
        audit: crate::model::AuditDraft,
    ) -> Result<Invitation> {
        let now = audit.at;
        let token = SecretToken::generate(SecretKind::Invitation);
        let expires = now + self.deps.config.invitation_ttl;
        let mail = self
            .mail(caller, account_name, email, &token, expires)
            .await?;
        let new = NewInvitation {
            invitee,
            token_hash: token.hash(),
            expires,
            now,
        };
        self.deps.store.insert_invitation(new, mail, audit).await
    }

    /// The invitation mail, signed with the inviter's name where there is one.
    async fn mail(
        &self,
        caller: &Caller,
        account_name: &str,
        email: String,
        token: &SecretToken,
        expires: time::OffsetDateTime,
    ) -> Result<NewMail> {
        let inviter = match caller.user_id() {
            Some(id) => {
                let user = self.deps.user(id).await?;
                let name = [user.first_name.as_deref(), user.last_name.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                if name.is_empty() { user.email } else { name }
            }
            None => String::new(),
        };
        Ok(NewMail {
            kind: MailKind::Invitation,
            recipient: email,
            params: json!({
                "account_name": account_name,
                "inviter": inviter,
                "expires": human_time(expires),
            }),
            token: Some(token.expose().to_owned()),
            now: self.deps.clock.now(),
        })
    }
}

/// The invitation `token` stands for, if its user can still join through it: the invitation is
/// pending, and the user is active, has no password yet and belongs to an active account. The
/// one rule for every way of accepting by token (the native accept, Ioto's `SignUp`).
pub(super) async fn joinable(deps: &Deps, token: &str) -> Result<Option<Invitation>> {
    if token.len() > TokenHash::MAX_PRESENTED_LEN {
        return Ok(None);
    }
    let now = deps.clock.now();
    let hash = TokenHash::of(token);
    let Some(invitation) = deps
        .store
        .invitation_by_token(&hash)
        .await?
        .filter(|(invitation, stored)| stored.ct_eq(&hash) && invitation.is_pending(now))
        .map(|(invitation, _)| invitation)
    else {
        return Ok(None);
    };
    let user = deps.user(invitation.user_id).await?;
    let account = deps.account(user.account_id).await?;
    let can_join = !user.has_password
        && user.status == UserStatus::Active
        && account.status == AccountStatus::Active;
    Ok(can_join.then_some(invitation))
}
