//! Self-service sign-up: a new address gets a tenant of its own; an invited address, with the
//! invitation token, joins the inviting account.

use tenantry_core::Error;
use tenantry_core::auth::Role;

use crate::harness::{Harness, password};

pub async fn sign_up_makes_tenants_and_completes_invitations(h: Harness) {
    use tenantry_core::model::MailKind;
    use tenantry_core::services::onboarding::SignUp;
    let email = crate::harness::email;
    let pw = password("a long passphrase");
    let outcome = h
        .services
        .onboarding
        .sign_up(&email("new@tenant.test"), &pw, None, None, None)
        .await
        .unwrap();
    let SignUp::NewTenant { account, user } = outcome else {
        panic!("expected a new tenant");
    };
    assert!(account.is_root());
    assert_eq!(user.role, Role::Owner);
    assert_eq!(user.account_id, account.id);
    assert!(!user.email_verified);
    // The verification mail was queued with the tenant, for the new tenant's eyes only.
    h.mailed_token(MailKind::VerifyEmail, "new@tenant.test")
        .await;
    h.services
        .auth
        .login("new@tenant.test", "a long passphrase", None)
        .await
        .unwrap();
    let err = h
        .services
        .onboarding
        .sign_up(&email("NEW@tenant.test"), &pw, None, None, None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");

    // An invited user completes the invitation with its token, and only with it.
    let acme = h.root("Acme", 0).await;
    let mut command = crate::harness::user_command("invited@acme.test", Role::Admin);
    command.password = None;
    let invited = h
        .services
        .users
        .create(&h.service, acme.id, command)
        .await
        .unwrap();
    let invitation = h
        .services
        .invitations
        .invite_user(&h.service, invited.id)
        .await
        .unwrap();
    assert_eq!(invitation.user_id, invited.id);
    let token = h
        .mailed_token(MailKind::Invitation, "invited@acme.test")
        .await;
    for wrong in [None, Some("tnt_iv_wrong")] {
        let err = h
            .services
            .onboarding
            .sign_up(&email("invited@acme.test"), &pw, None, wrong, None)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    }
    let outcome = h
        .services
        .onboarding
        .sign_up(
            &email("invited@acme.test"),
            &pw,
            None,
            Some(token.as_str()),
            None,
        )
        .await
        .unwrap();
    let SignUp::AcceptedInvitation { user } = outcome else {
        panic!("expected the invitation to be accepted");
    };
    assert_eq!(user.account_id, acme.id);
    assert!(user.email_verified && user.has_password);
    h.services
        .auth
        .login("invited@acme.test", "a long passphrase", None)
        .await
        .unwrap();
    let err = h
        .services
        .onboarding
        .sign_up(
            &email("invited@acme.test"),
            &pw,
            None,
            Some(token.as_str()),
            None,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Conflict(_)),
        "a token works once: {err:?}"
    );
    let err = h
        .services
        .invitations
        .invite_user(&h.service, invited.id)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Conflict(_)),
        "no invitation once a password is set"
    );
}

pub async fn disabled_invitees_do_not_sign_up_through_old_links(h: Harness) {
    use tenantry_core::model::{MailKind, UserStatus};
    use tenantry_core::services::users::UpdateUser;
    let acme = h.root("Acme", 0).await;
    let mut command = crate::harness::user_command("off@acme.test", Role::User);
    command.password = None;
    let invitation = h
        .services
        .invitations
        .invite(&h.service, acme.id, command)
        .await
        .unwrap();
    let token = h.mailed_token(MailKind::Invitation, "off@acme.test").await;
    let disable = UpdateUser {
        status: Some(UserStatus::Disabled),
        ..UpdateUser::default()
    };
    h.services
        .users
        .update(&h.service, invitation.user_id, disable)
        .await
        .unwrap();
    // The same rule as the native accept: Ioto's SignUp with the token is refused too.
    let err = h
        .services
        .onboarding
        .sign_up(
            &crate::harness::email("off@acme.test"),
            &password("a long passphrase"),
            None,
            Some(token.as_str()),
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    let user = h.store.user(invitation.user_id).await.unwrap().unwrap();
    assert!(!user.has_password);
}
