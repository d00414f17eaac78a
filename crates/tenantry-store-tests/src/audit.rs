//! The audit trail: every change recorded with actor and request id, visible within scope.

use tenantry_core::Error;
use tenantry_core::auth::Role;
use tenantry_core::query::ListResource;
use tenantry_core::services::Within;

use crate::harness::{Harness, account_command, first};

pub async fn changes_are_audited_with_request_ids(h: Harness) {
    let acme = h.root("Acme", 5).await;
    let (admin_user, admin) = h.user(&acme, "admin@acme.test", Role::Admin).await;
    let child = h
        .services
        .accounts
        .create(&admin, account_command(Some(acme.id), "Child", 1))
        .await
        .unwrap();
    let page = h.newest_audit(100).await;
    let newest = &page[0];
    assert_eq!(newest.action, "account.create");
    assert_eq!(newest.actor, format!("user:{}", admin_user.id));
    assert_eq!(newest.target_type, "account");
    assert_eq!(newest.target_id, Some(child.id.get()));
    assert_eq!(newest.tenant_id, Some(acme.id));
    assert_eq!(newest.account_path, Some(child.path.clone()));
    assert_eq!(newest.request_id.as_deref(), Some("req-test"));
    let actions: Vec<&str> = page.iter().map(|r| r.action.as_str()).collect();
    for expected in ["user.login", "user.create", "service_token.create"] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from {actions:?}"
        );
    }
    // Newest first, strictly.
    assert!(page.windows(2).all(|w| w[0].id > w[1].id));
}

pub async fn audit_is_scoped_to_the_subtree(h: Harness) {
    let acme = h.root("Acme", 5).await;
    let child = h.child(&acme, "Child", 1).await;
    let other = h.root("Other", 5).await;
    h.user(&other, "x@other.test", Role::Admin).await;
    let (_, child_admin) = h.user(&child, "admin@child.test", Role::Admin).await;
    let (_, child_user) = h.user(&child, "user@child.test", Role::User).await;
    let visible = h
        .services
        .audit
        .list(
            &child_admin,
            Within::Visible,
            first(ListResource::Audit, 100),
        )
        .await
        .unwrap();
    assert!(!visible.items.is_empty());
    for record in &visible.items {
        let path = record
            .account_path
            .as_ref()
            .expect("tenant records have a path");
        assert!(child.path.contains(path), "{record:?} is outside the child");
    }
    let err = h
        .services
        .audit
        .list(&child_user, Within::Visible, first(ListResource::Audit, 10))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)));
}
