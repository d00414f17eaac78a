//! Onboarding and recovery: self-service sign-up, email verification and password reset.
//!
//! Every mail these flows send is queued in the transaction of the change that needs it (see
//! [`crate::model::mail`]). The endpoints that take an email address answer the same whether
//! or not the address is registered, after the same hashing work.

use std::sync::Arc;

use serde_json::json;
use time::OffsetDateTime;
use time::macros::format_description;

use super::Deps;
use crate::auth::{Caller, Role, SecretKind, SecretToken, TokenHash};
use crate::error::{Error, Result};
use crate::model::account::NewAccount;
use crate::model::mail::NewMail;
use crate::model::user::{LoginName, NewUser};
use crate::model::user_token::{NewUserToken, TokenRedemption};
use crate::model::{
    Account, AccountId, AccountStatus, Actor, AuditDraft, MailKind, User, UserId, UserStatus,
    UserToken, UserTokenPurpose,
};
use crate::values::{Email, Password, Preferences, Text};

/// What a sign-up did.
#[derive(Debug)]
pub enum SignUp {
    /// A new tenant with the signed-up user as its owner.
    NewTenant {
        account: Box<Account>,
        user: Box<User>,
    },
    /// The user had been invited: they set their password and joined the inviting account.
    AcceptedInvitation { user: Box<User> },
}

#[derive(Clone)]
pub struct OnboardingService {
    deps: Arc<Deps>,
}

impl OnboardingService {
    pub(super) fn new(deps: Arc<Deps>) -> Self {
        Self { deps }
    }

    /// Self-service sign-up. With the token of a pending invitation for this address, the
    /// invited user sets their password and joins the inviting account (the token proves they
    /// received the invitation mail); without one, the address must be new, and its owner gets
    /// a tenant of their own, named after them, with themselves as its owner.
    pub async fn sign_up(
        &self,
        email: &Email,
        password: &Password,
        name: Option<Text>,
        invitation_token: Option<&str>,
        request_id: Option<String>,
    ) -> Result<SignUp> {
        let now = self.deps.clock.now();
        let audit = AuditDraft {
            actor: Actor::Anonymous,
            action: "account.signup",
            request_id,
            details: serde_json::Value::Null,
            at: now,
        };
        if let Some(record) = self
            .deps
            .store
            .login_record(&LoginName::Email(email.normalized()))
            .await?
        {
            let pending = match invitation_token {
                Some(token) => super::invitations::joinable(&self.deps, token)
                    .await?
                    .filter(|invitation| invitation.user_id == record.user.id),
                None => None,
            };
            return match pending {
                Some(invitation) => {
                    let hash = self.deps.hasher.hash(password).await?;
                    let audit = AuditDraft {
                        actor: Actor::User(record.user.id),
                        action: "invitation.accept",
                        ..audit
                    };
                    let user = self
                        .deps
                        .store
                        .accept_invitation(invitation.id, Some(hash), audit)
                        .await?;
                    Ok(SignUp::AcceptedInvitation {
                        user: Box::new(user),
                    })
                }
                None => Err(Error::conflict(
                    "a user with this email address already exists",
                )),
            };
        }
        if !self.deps.config.allow_signup {
            return Err(Error::forbidden("sign-up is disabled on this installation"));
        }
        let hash = self.deps.hasher.hash(password).await?;
        let account = NewAccount {
            parent_id: None,
            name: name.map_or_else(|| email.as_str().to_owned(), Text::into_string),
            email: Some(email.as_str().to_owned()),
            description: None,
            external_id: None,
            status: AccountStatus::Active,
            device_seats: 0,
            log_retention: crate::model::account::DEFAULT_LOG_RETENTION,
            now,
        };
        let user = NewUser {
            account_id: AccountId(0),
            email: email.as_str().to_owned(),
            email_normalized: email.normalized(),
            username: None,
            username_normalized: None,
            first_name: None,
            last_name: None,
            role: Role::Owner,
            status: UserStatus::Active,
            email_verified: false,
            terms_agreed: false,
            password_hash: Some(hash),
            preferences: Preferences::default(),
            now,
        };
        let (_token, verification) = self.verification(UserId(0), email.as_str(), now);
        let (account, user) = self
            .deps
            .store
            .insert_tenant(account, user, Some(verification), audit)
            .await?;
        Ok(SignUp::NewTenant {
            account: Box::new(account),
            user: Box::new(user),
        })
    }

    /// Sign-up that reveals nothing about which addresses are registered: a new address gets a
    /// tenant and a verification mail; a registered one gets a password-reset mail instead (its
    /// owner may have forgotten they have an account). Both cost one password hash and answer
    /// no sooner than [`ServiceConfig::quiet_answer_time`](super::ServiceConfig).
    pub async fn sign_up_quietly(
        &self,
        email: &Email,
        password: &Password,
        name: Option<Text>,
        request_id: Option<String>,
    ) -> Result<()> {
        // Checked first: a disabled sign-up must not answer differently for registered addresses.
        if !self.deps.config.allow_signup {
            return Err(Error::forbidden("sign-up is disabled on this installation"));
        }
        let started = std::time::Instant::now();
        let outcome = match self
            .sign_up(email, password, name, None, request_id.clone())
            .await
        {
            Ok(_) => Ok(()),
            Err(Error::Conflict(_)) => {
                // Spend the hashing work a new sign-up spends, so timing tells nothing.
                self.deps.hasher.hash(password).await?;
                self.queue_reset(email, request_id).await
            }
            Err(other) => Err(other),
        };
        self.quiet_answer(started).await;
        outcome
    }

    /// Mails the caller a new email-verification link (their address is not verified yet).
    pub async fn request_verification(&self, caller: &Caller) -> Result<()> {
        let Some(me) = caller.principal.as_user() else {
            return Err(Error::forbidden("only users verify an email address"));
        };
        let user = self.deps.user(me.user_id).await?;
        if user.email_verified {
            return Err(Error::conflict("the email address is already verified"));
        }
        let now = self.deps.clock.now();
        let (_token, (new, mail)) = self.verification(user.id, &user.email, now);
        let audit = caller.audit("user.verification_requested", now);
        self.deps.store.insert_user_token(new, mail, audit).await?;
        Ok(())
    }

    /// Confirms an address with the token from a verification mail.
    pub async fn verify_email(&self, token: &str, request_id: Option<String>) -> Result<User> {
        let found = self
            .usable_token(token, UserTokenPurpose::VerifyEmail)
            .await?;
        let audit = self.anonymous(found.user_id, "user.email_verified", request_id);
        self.deps
            .store
            .redeem_user_token(found.id, TokenRedemption::VerifyEmail, audit)
            .await
    }

    /// Mails a password-reset link to the address if an active user has it. Answers the same
    /// either way, and no sooner than the quiet answer time.
    pub async fn forgot_password(&self, email: &Email, request_id: Option<String>) -> Result<()> {
        let started = std::time::Instant::now();
        let outcome = self.queue_reset(email, request_id).await;
        self.quiet_answer(started).await;
        outcome
    }

    /// Waits out the rest of the quiet answer time (plus a little jitter) since `started`.
    async fn quiet_answer(&self, started: std::time::Instant) {
        let jitter = std::time::Duration::from_millis(rand::random_range(0..25));
        let floor = self.deps.config.quiet_answer_time + jitter;
        if let Some(rest) = floor.checked_sub(started.elapsed()) {
            tokio::time::sleep(rest).await;
        }
    }

    async fn queue_reset(&self, email: &Email, request_id: Option<String>) -> Result<()> {
        let record = self
            .deps
            .store
            .login_record(&LoginName::Email(email.normalized()))
            .await?;
        let Some(record) = record.filter(|r| {
            r.user.status == UserStatus::Active && r.account_status == AccountStatus::Active
        }) else {
            return Ok(());
        };
        let now = self.deps.clock.now();
        let token = SecretToken::generate(SecretKind::PasswordReset);
        let expires = now + self.deps.config.password_reset_ttl;
        let new = NewUserToken {
            user_id: record.user.id,
            purpose: UserTokenPurpose::PasswordReset,
            token_hash: token.hash(),
            expires,
            now,
        };
        let mail = NewMail {
            kind: MailKind::PasswordReset,
            recipient: record.user.email.clone(),
            params: json!({ "expires": human_time(expires) }),
            token: Some(token.expose().to_owned()),
            now,
        };
        let audit = self.anonymous(record.user.id, "user.password_reset_requested", request_id);
        self.deps.store.insert_user_token(new, mail, audit).await?;
        Ok(())
    }

    /// Sets a new password with the token from a reset mail. Every session of the user ends,
    /// any lockout is lifted, and the address counts as verified.
    pub async fn reset_password(
        &self,
        token: &str,
        password: &Password,
        request_id: Option<String>,
    ) -> Result<User> {
        let found = self
            .usable_token(token, UserTokenPurpose::PasswordReset)
            .await?;
        let password_hash = self.deps.hasher.hash(password).await?;
        let audit = self.anonymous(found.user_id, "user.password_reset", request_id);
        self.deps
            .store
            .redeem_user_token(
                found.id,
                TokenRedemption::ResetPassword { password_hash },
                audit,
            )
            .await
    }

    /// The stored token `presented` stands for, if it has this purpose and can still be used.
    /// Every way of failing answers the same.
    async fn usable_token(&self, presented: &str, purpose: UserTokenPurpose) -> Result<UserToken> {
        let refused = || Error::invalid_field("token", "is invalid, used or expired");
        if presented.len() > TokenHash::MAX_PRESENTED_LEN {
            return Err(refused());
        }
        let hash = TokenHash::of(presented);
        let now = self.deps.clock.now();
        self.deps
            .store
            .user_token_by_hash(&hash)
            .await?
            .filter(|(token, stored)| {
                stored.ct_eq(&hash) && token.purpose == purpose && token.is_usable(now)
            })
            .map(|(token, _)| token)
            .ok_or_else(refused)
    }

    /// A verification token for `user` and its mail.
    fn verification(
        &self,
        user: UserId,
        email: &str,
        now: OffsetDateTime,
    ) -> (SecretToken, (NewUserToken, NewMail)) {
        let token = SecretToken::generate(SecretKind::VerifyEmail);
        let expires = now + self.deps.config.email_verification_ttl;
        let new = NewUserToken {
            user_id: user,
            purpose: UserTokenPurpose::VerifyEmail,
            token_hash: token.hash(),
            expires,
            now,
        };
        let mail = NewMail {
            kind: MailKind::VerifyEmail,
            recipient: email.to_owned(),
            params: json!({ "expires": human_time(expires) }),
            token: Some(token.expose().to_owned()),
            now,
        };
        (token, (new, mail))
    }

    fn anonymous(
        &self,
        user: UserId,
        action: &'static str,
        request_id: Option<String>,
    ) -> AuditDraft {
        AuditDraft {
            actor: Actor::User(user),
            action,
            request_id,
            details: serde_json::Value::Null,
            at: self.deps.clock.now(),
        }
    }
}

/// A time as mails show it, e.g. `2026-11-29 14:05 UTC`.
pub fn human_time(at: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_else(|_| at.to_string())
}
