//! Invitations: each is written with its mail, its link works once, only those with authority
//! over the account manage it, and links mailed to an old address die with it.

use tenantry_core::Error;
use tenantry_core::auth::Role;
use tenantry_core::model::mail::MailFilter;
use tenantry_core::model::{InvitationId, MailKind, MailStatus};

use crate::harness::{Harness, email, password, user_command};

fn invite_command(address: &str, role: Role) -> tenantry_core::services::users::CreateUser {
    let mut command = user_command(address, role);
    command.password = None;
    command
}

pub async fn invitations_are_mailed_and_accepted_once(h: Harness) {
    let acme = h.root("Acme", 0).await;
    let (_, admin) = h.user(&acme, "admin@acme.test", Role::Admin).await;
    let invitation = h
        .services
        .invitations
        .invite(&admin, acme.id, invite_command("new@acme.test", Role::User))
        .await
        .unwrap();
    assert_eq!(invitation.account_id, acme.id);
    assert_eq!(invitation.role, Role::User);
    let invited = h.store.user(invitation.user_id).await.unwrap().unwrap();
    assert!(!invited.has_password && !invited.email_verified);

    // The mail waits in the outbox with the token, filed under the inviting tenant.
    let mails = h
        .store
        .mails(
            Some(&acme.path),
            &MailFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].kind, MailKind::Invitation);
    assert_eq!(mails[0].status, MailStatus::Pending);
    assert_eq!(mails[0].params["account_name"], "Acme");
    let token = h.mailed_token(MailKind::Invitation, "new@acme.test").await;

    let pw = password("a fresh passphrase");
    for wrong in ["tnt_iv_nope", "", &"x".repeat(5000)] {
        let err = h
            .services
            .invitations
            .accept(wrong, &pw, None)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
    }
    let user = h
        .services
        .invitations
        .accept(&token, &pw, None)
        .await
        .unwrap();
    assert_eq!(user.id, invited.id);
    assert!(user.has_password && user.email_verified);
    h.services
        .auth
        .login("new@acme.test", "a fresh passphrase", None)
        .await
        .unwrap();
    let err = h
        .services
        .invitations
        .accept(&token, &pw, None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Invalid { .. }),
        "a token works once: {err:?}"
    );

    // Inviting a registered address is a conflict; re-inviting a password-less user is not.
    let err = h
        .services
        .invitations
        .invite(&admin, acme.id, invite_command("NEW@acme.test", Role::User))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    let again = h
        .services
        .invitations
        .invite(
            &admin,
            acme.id,
            invite_command("later@acme.test", Role::User),
        )
        .await
        .unwrap();
    let twice = h
        .services
        .invitations
        .invite(
            &admin,
            acme.id,
            invite_command("later@acme.test", Role::User),
        )
        .await
        .unwrap();
    assert_eq!(again.user_id, twice.user_id);
    assert_ne!(again.id, twice.id);
    let err = h
        .services
        .invitations
        .invite(
            &admin,
            acme.id,
            invite_command("later@acme.test", Role::Admin),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Conflict(_)),
        "a re-invitation never changes the role: {err:?}"
    );

    let trail = h.newest_audit(100).await;
    let actions: Vec<&str> = trail.iter().map(|r| r.action.as_str()).collect();
    for expected in ["invitation.create", "invitation.accept", "user.create"] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from {actions:?}"
        );
    }
}

pub async fn invitations_are_managed_only_with_authority(h: Harness) {
    let acme = h.root("Acme", 0).await;
    let globex = h.root("Globex", 0).await;
    let (_, admin) = h.user(&acme, "admin@acme.test", Role::Admin).await;
    let (_, plain) = h.user(&acme, "plain@acme.test", Role::User).await;
    let (_, stranger) = h.user(&globex, "admin@globex.test", Role::Owner).await;

    let err = h
        .services
        .invitations
        .invite(&plain, acme.id, invite_command("x@acme.test", Role::User))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
    let err = h
        .services
        .invitations
        .invite(&admin, acme.id, invite_command("x@acme.test", Role::Owner))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Forbidden(_)),
        "nobody invites above their rank: {err:?}"
    );
    let err = h
        .services
        .invitations
        .invite(
            &stranger,
            acme.id,
            invite_command("x@acme.test", Role::User),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::NotFound(_) | Error::OutOfScope(_)),
        "{err:?}"
    );
    let err = h
        .services
        .invitations
        .invite(&admin, acme.id, {
            let mut c = invite_command("x@acme.test", Role::User);
            c.password = Some(password("chosen by the admin"));
            c
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err:?}");

    let invitation = h
        .services
        .invitations
        .invite(&admin, acme.id, invite_command("x@acme.test", Role::User))
        .await
        .unwrap();
    let first_token = h.mailed_token(MailKind::Invitation, "x@acme.test").await;
    for caller in [&stranger] {
        let err = h
            .services
            .invitations
            .get(caller, invitation.id)
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::NotFound(_) | Error::OutOfScope(_)),
            "{err:?}"
        );
        let err = h
            .services
            .invitations
            .revoke(caller, invitation.id)
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::NotFound(_) | Error::OutOfScope(_)),
            "{err:?}"
        );
        let listed = h
            .services
            .invitations
            .list(caller, acme.id, false, None, 100)
            .await;
        assert!(listed.is_err());
    }
    let err = h
        .services
        .invitations
        .resend(&plain, invitation.id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)), "{err:?}");

    // Resending replaces the token; the old link stops working.
    h.clock.advance(time::Duration::seconds(1));
    h.services
        .invitations
        .resend(&admin, invitation.id)
        .await
        .unwrap();
    let second_token = h.mailed_token(MailKind::Invitation, "x@acme.test").await;
    assert_ne!(first_token, second_token);
    let pw = password("a fresh passphrase");
    assert!(
        h.services
            .invitations
            .accept(&first_token, &pw, None)
            .await
            .is_err()
    );

    // Revoking stops the new one too; a revoked invitation is not resent.
    let revoked = h
        .services
        .invitations
        .revoke(&admin, invitation.id)
        .await
        .unwrap();
    assert!(revoked.revoked.is_some());
    assert!(
        h.services
            .invitations
            .accept(&second_token, &pw, None)
            .await
            .is_err()
    );
    let err = h
        .services
        .invitations
        .resend(&admin, invitation.id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");

    let all = h
        .services
        .invitations
        .list(&admin, acme.id, false, None, 100)
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    let pending = h
        .services
        .invitations
        .list(&admin, acme.id, true, None, 100)
        .await
        .unwrap();
    assert!(pending.is_empty());
    let err = h
        .services
        .invitations
        .get(&admin, InvitationId(999_999))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");

    // Expired invitations cannot be accepted, but can be sent again.
    let late = h
        .services
        .invitations
        .invite(
            &admin,
            acme.id,
            invite_command("late@acme.test", Role::User),
        )
        .await
        .unwrap();
    let late_token = h.mailed_token(MailKind::Invitation, "late@acme.test").await;
    h.clock.advance(time::Duration::days(8));
    assert!(
        h.services
            .invitations
            .accept(&late_token, &pw, None)
            .await
            .is_err()
    );
    h.services
        .invitations
        .resend(&admin, late.id)
        .await
        .unwrap();
    let renewed = h.mailed_token(MailKind::Invitation, "late@acme.test").await;
    h.services
        .invitations
        .accept(&renewed, &pw, None)
        .await
        .unwrap();
    let err = h
        .services
        .invitations
        .revoke(&admin, late.id)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Conflict(_)),
        "accepted invitations stay: {err:?}"
    );
}

pub async fn a_changed_address_voids_what_was_mailed_to_the_old_one(h: Harness) {
    use tenantry_core::services::users::UpdateUser;
    let acme = h.root("Acme", 0).await;
    let (user, caller) = h.user(&acme, "ann@acme.test", Role::User).await;
    h.services
        .onboarding
        .request_verification(&caller)
        .await
        .unwrap();
    let verify = h.mailed_token(MailKind::VerifyEmail, "ann@acme.test").await;
    let reset = h.reset_link("ann@acme.test").await;
    let invitation = h
        .services
        .invitations
        .invite(
            &h.service,
            acme.id,
            invite_command("typo@acme.test", Role::User),
        )
        .await
        .unwrap();
    let invited = h.mailed_token(MailKind::Invitation, "typo@acme.test").await;

    for (id, address) in [
        (user.id, "ann@elsewhere.test"),
        (invitation.user_id, "right@acme.test"),
    ] {
        let change = UpdateUser {
            email: Some(email(address)),
            ..UpdateUser::default()
        };
        h.services
            .users
            .update(&h.service, id, change)
            .await
            .unwrap();
    }
    let pw = password("a fresh passphrase");
    assert!(
        h.services
            .onboarding
            .verify_email(&verify, None)
            .await
            .is_err()
    );
    assert!(
        h.services
            .onboarding
            .reset_password(&reset, &pw, None)
            .await
            .is_err()
    );
    assert!(
        h.services
            .invitations
            .accept(&invited, &pw, None)
            .await
            .is_err()
    );
    let revoked = h.store.invitation(invitation.id).await.unwrap().unwrap();
    assert!(revoked.revoked.is_some());
    let mails = h
        .store
        .mails(
            None,
            &MailFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(
        mails
            .iter()
            .all(|m| m.token.is_none() && m.status != MailStatus::Pending),
        "mails to the old addresses are withdrawn: {mails:?}"
    );
}

pub async fn stale_invitations_never_override_a_chosen_password(h: Harness) {
    let acme = h.root("Acme", 0).await;
    h.services
        .invitations
        .invite(
            &h.service,
            acme.id,
            invite_command("new@acme.test", Role::User),
        )
        .await
        .unwrap();
    let invited = h.mailed_token(MailKind::Invitation, "new@acme.test").await;
    // The invitee sets a password another way first.
    let reset = h.reset_link("new@acme.test").await;
    h.services
        .onboarding
        .reset_password(&reset, &password("chosen by the invitee"), None)
        .await
        .unwrap();
    let err = h
        .services
        .invitations
        .accept(&invited, &password("someone else's idea"), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
    h.services
        .auth
        .login("new@acme.test", "chosen by the invitee", None)
        .await
        .unwrap();

    // Nor does a disabled user join through an old link.
    let second = h
        .services
        .invitations
        .invite(
            &h.service,
            acme.id,
            invite_command("off@acme.test", Role::User),
        )
        .await
        .unwrap();
    let token = h.mailed_token(MailKind::Invitation, "off@acme.test").await;
    let disable = tenantry_core::services::users::UpdateUser {
        status: Some(tenantry_core::model::UserStatus::Disabled),
        ..Default::default()
    };
    h.services
        .users
        .update(&h.service, second.user_id, disable)
        .await
        .unwrap();
    assert!(
        h.services
            .invitations
            .accept(&token, &password("whatever it is"), None)
            .await
            .is_err()
    );
    let err = h
        .services
        .invitations
        .invite_user(&h.service, second.user_id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
}
