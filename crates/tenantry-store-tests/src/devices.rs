//! Devices: scope, seat counting, uniqueness, paging.

use tenantry_core::Error;
use tenantry_core::auth::Role;
use tenantry_core::query::ListResource;
use tenantry_core::services::Within;

use crate::harness::{Harness, first, next};
use crate::seats::{assert_consistent, device};

pub async fn devices_are_scoped_and_counted(h: Harness) {
    let acme = h.root("Acme", 5).await;
    let child = h.child(&acme, "Child", 2).await;
    let other = h.root("Other", 5).await;
    let (_, child_user) = h.user(&child, "u@child.test", Role::User).await;
    let (_, child_admin) = h.user(&child, "a@child.test", Role::Admin).await;
    let upstairs = h
        .services
        .devices
        .create(&h.service, acme.id, device("UP-1", false))
        .await
        .unwrap();
    let err = h
        .services
        .devices
        .create(&child_user, child.id, device("C-1", false))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Forbidden(_)),
        "users only view devices"
    );
    let mine = h
        .services
        .devices
        .create(&child_admin, child.id, device("C-1", false))
        .await
        .unwrap();
    assert_eq!(mine.tenant_id, acme.id);
    assert_eq!(
        h.services.devices.get(&child_user, mine.id).await.unwrap(),
        mine
    );
    let err = h
        .services
        .devices
        .get(&child_user, upstairs.id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OutOfScope(_)));
    let err = h
        .services
        .devices
        .create(&child_admin, other.id, device("X-1", false))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OutOfScope(_)));
    let err = h
        .services
        .devices
        .delete(&child_user, mine.id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)));
    let subtree = h
        .services
        .devices
        .list(
            &h.service,
            Within::Subtree(acme.id),
            first(ListResource::Devices, 10),
        )
        .await
        .unwrap();
    assert_eq!(subtree.items.len(), 2);
    let own = h
        .services
        .devices
        .list(
            &h.service,
            Within::Account(acme.id),
            first(ListResource::Devices, 10),
        )
        .await
        .unwrap();
    assert_eq!(own.items, vec![upstairs]);
    h.services
        .devices
        .delete(&child_admin, mine.id)
        .await
        .unwrap();
    assert_eq!(h.reload(&child).await.used_devices, 0);
    assert_consistent(&h, &acme).await;
}

pub async fn serials_are_unique_per_tenant(h: Harness) {
    let acme = h.root("Acme", 5).await;
    let child = h.child(&acme, "Child", 2).await;
    let other = h.root("Other", 5).await;
    h.services
        .devices
        .create(&h.service, acme.id, device("SN-1", false))
        .await
        .unwrap();
    let err = h
        .services
        .devices
        .create(&h.service, child.id, device("SN-1", false))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    assert_eq!(
        h.reload(&child).await.used_devices,
        0,
        "the failed insert took no seat"
    );
    h.services
        .devices
        .create(&h.service, other.id, device("SN-1", false))
        .await
        .expect("another tenant may reuse a serial");
}

pub async fn device_lists_page(h: Harness) {
    let acme = h.root("Acme", 0).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            h.services
                .devices
                .create(&h.service, acme.id, device(&format!("T-{i}"), true))
                .await
                .unwrap()
                .id,
        );
    }
    let request = first(ListResource::Devices, 3);
    let first_page = h
        .services
        .devices
        .list(&h.service, Within::Account(acme.id), request.clone())
        .await
        .unwrap();
    let second = h
        .services
        .devices
        .list(
            &h.service,
            Within::Account(acme.id),
            next(request, first_page.next_cursor.as_deref()),
        )
        .await
        .unwrap();
    let seen: Vec<_> = first_page
        .items
        .iter()
        .chain(&second.items)
        .map(|d| d.id)
        .collect();
    assert_eq!(seen, ids);
    assert_eq!(second.next_cursor, None);
}
