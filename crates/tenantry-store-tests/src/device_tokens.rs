//! ControlByWeb's tokens: certificate request tokens (multi-use, 12 hours, derived rather than
//! stored) and device seat tokens (single use, new seats for the whole chain above).

use std::sync::Arc;

use tenantry_core::Error;
use tenantry_core::auth::Role;
use tenantry_core::model::Actor;
use time::Duration;

use crate::harness::Harness;
use crate::seats::{assert_consistent, device};

pub async fn certificate_tokens_work_for_twelve_hours(h: Harness) {
    let root = h.root("Root", 10).await;
    let branch = h.child(&root, "Branch", 5).await;
    let (_, admin) = h.user(&branch, "admin@tokens.test", Role::Admin).await;
    let tokens = &h.services.device_tokens;
    let shown = tokens
        .create_certificate_token(&admin, branch.id)
        .await
        .unwrap();
    assert_eq!(shown.token.len(), 32);
    assert_eq!(
        shown.record.expires - shown.record.created,
        Duration::hours(12)
    );
    // Listed again, the same token is recomputed from what was stored.
    let listed = tokens.certificate_tokens(&admin, branch.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].token, shown.token);
    // Multi-use: two devices join with it.
    for serial in ["C-1", "C-2"] {
        let joined = h
            .services
            .devices
            .enrol(&shown.token, device(serial, false), None)
            .await
            .unwrap();
        assert_eq!(joined.account_id, branch.id);
    }
    assert_eq!(h.reload(&branch).await.used_devices, 2);
    // Not above the caller's account, and nothing for a look-alike token.
    let err = tokens
        .certificate_tokens(&admin, root.id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OutOfScope(_)), "{err:?}");
    let forged = "A".repeat(32);
    let err = h
        .services
        .devices
        .enrol(&forged, device("C-3", false), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthenticated(_)), "{err:?}");
    // Twelve hours on, it is neither listed nor accepted.
    h.clock.advance(Duration::hours(12));
    assert!(
        tokens
            .certificate_tokens(&admin, branch.id)
            .await
            .unwrap()
            .is_empty()
    );
    let err = h
        .services
        .devices
        .enrol(&shown.token, device("C-4", false), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthenticated(_)), "{err:?}");
    // Deleting needs the token of this very account.
    let fresh = tokens
        .create_certificate_token(&admin, branch.id)
        .await
        .unwrap();
    let other = h.child(&branch, "Other", 0).await;
    let err = tokens
        .delete_certificate_token(&admin, other.id, &fresh.token)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    tokens
        .delete_certificate_token(&admin, branch.id, &fresh.token)
        .await
        .unwrap();
    assert!(
        tokens
            .certificate_tokens(&admin, branch.id)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn seat_tokens_add_seats_once_along_the_chain(h: Harness) {
    let root = h.root("Root", 20).await;
    let middle = h.child(&root, "Middle", 10).await;
    let leaf = h.child(&middle, "Leaf", 4).await;
    let (_, leaf_admin) = h.user(&leaf, "leaf@tokens.test", Role::Admin).await;
    let tokens = &h.services.device_tokens;
    let err = tokens
        .mint_seat_token(&leaf_admin, 5, None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
    for bad in [0, -1, tenantry_core::seats::MAX_SEATS + 1] {
        assert!(tokens.mint_seat_token(&h.service, bad, None).await.is_err());
    }
    let (_, secret) = tokens
        .mint_seat_token_as(Actor::Cli, 6, None)
        .await
        .unwrap();
    let before = (h.reload(&root).await, h.reload(&middle).await);
    let grown = tokens
        .redeem_seat_token(&leaf_admin, leaf.id, secret.expose())
        .await
        .unwrap();
    assert_eq!(grown.device_seats, 10);
    let (root_after, middle_after) = (h.reload(&root).await, h.reload(&middle).await);
    assert_eq!(root_after.device_seats, before.0.device_seats + 6);
    assert_eq!(middle_after.device_seats, before.1.device_seats + 6);
    assert_eq!(root_after.free_seats(), before.0.free_seats());
    assert_eq!(middle_after.free_seats(), before.1.free_seats());
    assert_consistent(&h, &root).await;
    let err = tokens
        .redeem_seat_token(&leaf_admin, leaf.id, secret.expose())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    // Expired tokens are refused.
    let (_, short) = tokens
        .mint_seat_token(&h.service, 3, Some(Duration::hours(1)))
        .await
        .unwrap();
    h.clock.advance(Duration::hours(2));
    let err = tokens
        .redeem_seat_token(&leaf_admin, leaf.id, short.expose())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    assert_consistent(&h, &root).await;
}

/// Two accounts race to redeem one token: it pays out exactly once.
pub async fn a_seat_token_is_redeemed_once_under_races(h: Harness) {
    let root = h.root("Root", 0).await;
    let mut children = Vec::new();
    for k in 0..4 {
        children.push(h.child(&root, &format!("Child {k}"), 0).await);
    }
    let h = Arc::new(h);
    let (_, secret) = h
        .services
        .device_tokens
        .mint_seat_token(&h.service, 7, None)
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for child in &children {
        for _ in 0..3 {
            let h = h.clone();
            let token = secret.expose().to_owned();
            let id = child.id;
            tasks.push(tokio::spawn(async move {
                h.services
                    .device_tokens
                    .redeem_seat_token(&h.service, id, &token)
                    .await
            }));
        }
    }
    let mut successes = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => successes += 1,
            Err(Error::Conflict(_)) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(successes, 1);
    let root = h.reload(&root).await;
    assert_eq!(root.device_seats, 7);
    assert_eq!(root.children_seats, 7);
    assert_consistent(&h, &root).await;
}

pub async fn device_statistics_split_own_and_below(h: Harness) {
    let root = h.root("Root", 20).await;
    let child = h.child(&root, "Child", 8).await;
    let grandchild = h.child(&child, "Grandchild", 3).await;
    let devices = &h.services.devices;
    let mut cell = device("S-1", false);
    cell.is_cell = true;
    let first = devices.create(&h.service, root.id, cell).await.unwrap();
    devices
        .create(&h.service, root.id, device("S-2", false))
        .await
        .unwrap();
    devices
        .create(&h.service, root.id, device("T-1", true))
        .await
        .unwrap();
    let below = devices
        .create(&h.service, grandchild.id, device("S-3", false))
        .await
        .unwrap();
    for id in [first.id, below.id] {
        let update = tenantry_core::services::devices::UpdateDevice {
            connected: Some(true),
            ..Default::default()
        };
        assert!(
            devices
                .update(&h.service, id, update)
                .await
                .unwrap()
                .connected
        );
    }
    let (_, stats) = devices.statistics(&h.service, root.id).await.unwrap();
    assert_eq!(
        (stats.own.used, stats.own.connected, stats.own.cell),
        (2, 1, 1)
    );
    assert_eq!(
        (stats.below.used, stats.below.connected, stats.below.cell),
        (1, 1, 0)
    );
    assert_eq!(stats.accounts_below, 2);
    let (_, stats) = devices.statistics(&h.service, grandchild.id).await.unwrap();
    assert_eq!(
        (stats.own.used, stats.below.used, stats.accounts_below),
        (1, 0, 0)
    );
}
