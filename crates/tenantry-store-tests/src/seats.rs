//! Device seats: `free(a) = seats(a) − used(a) − Σ seats(children)`, never negative.

use std::collections::HashMap;

use tenantry_core::Error;
use tenantry_core::model::{Account, AccountId};
use tenantry_core::query::{ListRequest, ListResource};
use tenantry_core::services::accounts::UpdateAccount;
use tenantry_core::services::devices::CreateDevice;
use tenantry_core::store::Scope;
use tenantry_core::values::{Text, TextLimit};

use crate::harness::Harness;

pub fn device(serial: &str, is_test: bool) -> CreateDevice {
    CreateDevice {
        name: Text::parse("Sensor", TextLimit::NAME).unwrap(),
        serial: Text::parse(serial, TextLimit::SERIAL).unwrap(),
        is_test,
        is_cell: false,
    }
}

/// Recomputes every counter of the tree under `root` from the rows themselves and checks the
/// stored counters and the invariant against them.
pub async fn assert_consistent(h: &Harness, root: &Account) {
    let mut accounts = vec![h.reload(root).await];
    accounts.extend(
        h.store
            .list_accounts(
                &Scope::Below(root.path.clone()),
                &ListRequest::all(ListResource::Accounts, 1000),
            )
            .await
            .unwrap(),
    );
    let devices = h
        .store
        .list_devices(
            &Scope::Subtree(root.path.clone()),
            &ListRequest::all(ListResource::Devices, 1000),
        )
        .await
        .unwrap();
    let mut children_seats: HashMap<AccountId, i64> = HashMap::new();
    for account in &accounts {
        if let Some(parent) = account.parent_id {
            *children_seats.entry(parent).or_default() += account.device_seats;
        }
    }
    for account in &accounts {
        let used = devices
            .iter()
            .filter(|d| d.account_id == account.id && !d.is_test)
            .count() as i64;
        assert_eq!(account.used_devices, used, "used_devices of {}", account.id);
        assert_eq!(
            account.children_seats,
            children_seats.get(&account.id).copied().unwrap_or(0),
            "children_seats of {}",
            account.id
        );
        assert!(
            account.free_seats() >= 0,
            "free seats of {} negative",
            account.id
        );
    }
}

pub async fn moves_conserve_seats(h: Harness) {
    let root = h.root("Acme", 10).await;
    let child = h.child(&root, "Child", 3).await;
    let (parent, child) = h
        .services
        .accounts
        .move_seats(&h.service, root.id, child.id, 4)
        .await
        .unwrap();
    assert_eq!(child.device_seats, 7);
    assert_eq!(parent.free_seats(), 3);
    let (parent, child) = h
        .services
        .accounts
        .move_seats(&h.service, root.id, child.id, -5)
        .await
        .unwrap();
    assert_eq!(child.device_seats, 2);
    assert_eq!(parent.free_seats(), 8);
    // Each move is audited on the parent: its tenant, its path, and it as the target.
    let audit = h.newest_audit(10).await;
    let moves: Vec<_> = audit
        .iter()
        .filter(|r| r.action == "account.seats.move")
        .map(|r| {
            (
                r.target_type.as_str(),
                r.target_id,
                r.tenant_id,
                r.account_path.clone(),
            )
        })
        .collect();
    let on_parent = (
        "account",
        Some(root.id.get()),
        Some(root.id),
        Some(root.path.clone()),
    );
    assert_eq!(moves, [on_parent.clone(), on_parent]);
    let err = h
        .services
        .accounts
        .move_seats(&h.service, root.id, child.id, 9)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
    let err = h
        .services
        .accounts
        .move_seats(&h.service, root.id, child.id, -3)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
    let err = h
        .services
        .accounts
        .create(
            &h.service,
            crate::harness::account_command(Some(root.id), "Big", 9),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
    assert_consistent(&h, &root).await;
}

pub async fn moves_only_between_parent_and_direct_child(h: Harness) {
    let root = h.root("Acme", 10).await;
    let a = h.child(&root, "A", 5).await;
    let a1 = h.child(&a, "A1", 1).await;
    let err = h
        .services
        .accounts
        .move_seats(&h.service, root.id, a1.id, 1)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
    let err = h
        .services
        .accounts
        .move_seats(&h.service, a.id, root.id, 1)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
    let err = h
        .services
        .accounts
        .move_seats(&h.service, root.id, a.id, 0)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
}

pub async fn devices_need_a_free_seat(h: Harness) {
    let root = h.root("Acme", 3).await;
    let child = h.child(&root, "Child", 2).await;
    let dev = h
        .services
        .devices
        .create(&h.service, root.id, device("R-1", false))
        .await
        .unwrap();
    let err = h
        .services
        .devices
        .create(&h.service, root.id, device("R-2", false))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
    h.services
        .devices
        .create(&h.service, root.id, device("R-T", true))
        .await
        .expect("test devices take no seat");
    for serial in ["C-1", "C-2"] {
        h.services
            .devices
            .create(&h.service, child.id, device(serial, false))
            .await
            .unwrap();
    }
    // The child's seats are all in use, so none can move back up.
    let err = h
        .services
        .accounts
        .move_seats(&h.service, root.id, child.id, -1)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
    h.services.devices.delete(&h.service, dev.id).await.unwrap();
    let root_now = h.reload(&root).await;
    assert_eq!(root_now.used_devices, 0);
    assert_eq!(root_now.free_seats(), 1);
    assert_consistent(&h, &root).await;
}

pub async fn root_allocation_covers_commitments(h: Harness) {
    let root = h.root("Acme", 10).await;
    h.child(&root, "Child", 4).await;
    h.services
        .devices
        .create(&h.service, root.id, device("R-1", false))
        .await
        .unwrap();
    let to = |n| UpdateAccount {
        device_seats: Some(n),
        ..UpdateAccount::default()
    };
    let err = h
        .services
        .accounts
        .update(&h.service, root.id, to(4))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
    let root = h
        .services
        .accounts
        .update(&h.service, root.id, to(5))
        .await
        .unwrap();
    assert_eq!(root.free_seats(), 0);
    assert_consistent(&h, &root).await;
}

pub async fn concurrent_moves_keep_the_invariant(h: Harness) {
    let root = h.root("Acme", 20).await;
    let mut children = Vec::new();
    for i in 0..3 {
        children.push(h.child(&root, &format!("C{i}"), 2).await);
    }
    let mut tasks = Vec::new();
    for i in 0..60_i64 {
        let services = h.services.clone();
        let caller = h.service.clone();
        let root_id = root.id;
        let child = children[(i % 3) as usize].id;
        tasks.push(tokio::spawn(async move {
            match i % 4 {
                0 | 1 => services
                    .accounts
                    .move_seats(&caller, root_id, child, if i % 4 == 0 { 3 } else { -2 })
                    .await
                    .map(|_| ()),
                2 => services
                    .devices
                    .create(&caller, child, device(&format!("D-{i}"), false))
                    .await
                    .map(|_| ()),
                _ => services
                    .devices
                    .create(&caller, root_id, device(&format!("R-{i}"), false))
                    .await
                    .map(|_| ()),
            }
        }));
    }
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) | Err(Error::Invalid { .. }) => {}
            Err(other) => panic!("unexpected error under contention: {other:?}"),
        }
    }
    assert_consistent(&h, &root).await;
    let root = h.reload(&root).await;
    assert_eq!(root.device_seats, 20, "moves never create or destroy seats");
}
