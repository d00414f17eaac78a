//! `/v1/accounts/{AccountId}`: the tree flat and nested, seat moves, seat tokens, deletion, and
//! seat conservation under concurrent moves.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{ACCOUNT_KEYS, delete, documented, get, keys, post, refused, success, tree};
use crate::helpers::TestApp;

fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| a["account_id"].as_i64().unwrap())
        .collect()
}

async fn account(app: &TestApp, id: i64, token: &str) -> Value {
    get(app, &format!("/v1/accounts/{id}"), token)
        .await
        .expect(StatusCode::OK)
}

async fn the_tree_reads_flat_and_nested(app: TestApp) {
    let t = tree(&app).await;
    let root = account(&app, t.root, &t.boss).await;
    assert_eq!(keys(&root), documented(ACCOUNT_KEYS), "{root}");
    assert_eq!(
        root,
        json!({"account_id": t.root, "device_seats": 100, "account_name": "ABC Company",
               "logging": 1, "suspended": 0, "used_devices": 0, "parent_free_devices": 0})
    );
    let a = account(&app, t.a, &t.boss).await;
    assert_eq!(a["device_seats"], 30);
    assert_eq!(a["parent_free_devices"], 70);
    let a1 = account(&app, t.a1, &t.boss).await;
    assert_eq!(a1["device_seats"], 10);
    assert_eq!(a1["parent_free_devices"], 20);

    let b = success(
        post(
            &app,
            &format!("/v1/accounts/{}/children", t.root),
            &t.boss,
            "account_name=Branch+B&device_seats=5",
        )
        .await,
    )["account_id"]
        .as_i64()
        .unwrap();
    let children = get(&app, &format!("/v1/accounts/{}/children", t.root), &t.boss)
        .await
        .expect(StatusCode::OK);
    assert_eq!(ids(&children), [t.root, t.a, b]);
    let all = get(
        &app,
        &format!("/v1/accounts/{}/allChildren", t.root),
        &t.boss,
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(ids(&all), [t.root, t.a, t.a1, b]);
    for record in all.as_array().unwrap() {
        assert_eq!(keys(record), documented(ACCOUNT_KEYS));
    }
    // The parent's free seats after handing 30 and 5 down.
    assert_eq!(all[1]["parent_free_devices"], 65);

    for spelling in ["descendants", "decendants"] {
        let nested = get(
            &app,
            &format!("/v1/accounts/{}/{spelling}", t.root),
            &t.boss,
        )
        .await
        .expect(StatusCode::OK);
        let nested = nested.as_array().unwrap();
        assert_eq!(nested.len(), 1);
        let top = &nested[0];
        assert_eq!(top["account_id"], t.root);
        let kids = top["children"].as_array().unwrap();
        assert_eq!(ids(&top["children"]), [t.a, b]);
        assert_eq!(ids(&kids[0]["children"]), [t.a1]);
        assert_eq!(kids[0]["children"][0]["children"], json!([]));
        assert_eq!(kids[1]["children"], json!([]));
        let mut node_keys = documented(ACCOUNT_KEYS);
        node_keys.push("children".to_owned());
        node_keys.sort();
        assert_eq!(keys(top), node_keys);
    }

    // Alice sees her branch and below, nothing above.
    let hers = get(&app, &format!("/v1/accounts/{}/allChildren", t.a), &t.alice)
        .await
        .expect(StatusCode::OK);
    assert_eq!(ids(&hers), [t.a, t.a1]);
    for path in [
        format!("/v1/accounts/{}", t.root),
        format!("/v1/accounts/{}/children", t.root),
        format!("/v1/accounts/{b}"),
    ] {
        let body = refused(get(&app, &path, &t.alice).await, StatusCode::FORBIDDEN);
        assert_eq!(body["message"], "This action is unauthorized.");
    }
    refused(
        get(&app, &format!("/v1/accounts/{}/siblings", t.a), &t.alice).await,
        StatusCode::NOT_FOUND,
    );
}

async fn seats_move_only_from_above_and_tokens_add_them(app: TestApp) {
    let t = tree(&app).await;
    let path_a = format!("/v1/accounts/{}", t.a);
    let path_a1 = format!("/v1/accounts/{}", t.a1);
    // From the parent: 20 more seats for Branch A.
    success(post(&app, &path_a, &t.boss, "device_seats=50").await);
    assert_eq!(account(&app, t.a, &t.boss).await["parent_free_devices"], 50);
    assert_eq!(
        account(&app, t.a1, &t.boss).await["parent_free_devices"],
        40
    );
    // Not below what A handed down to A1, not beyond the parent's free seats, never negative.
    for too_much in ["device_seats=5", "device_seats=1000", "device_seats=-1"] {
        let body = refused(
            post(&app, &path_a, &t.boss, too_much).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        assert!(
            body["errors"].is_object() || body["message"].is_string(),
            "{body}"
        );
    }
    refused(
        post(&app, &path_a, &t.boss, "device_seats=ten").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert_eq!(account(&app, t.a, &t.boss).await["device_seats"], 50);
    // Nobody changes their own account's seats, not even its administrator.
    refused(
        post(&app, &path_a, &t.alice, "device_seats=60").await,
        StatusCode::FORBIDDEN,
    );
    refused(
        post(
            &app,
            &format!("/v1/accounts/{}", t.root),
            &t.boss,
            "device_seats=500",
        )
        .await,
        StatusCode::FORBIDDEN,
    );
    // Alice manages the seats of the account below hers; Boss (two levels up) may too.
    success(post(&app, &path_a1, &t.alice, "device_seats=25").await);
    assert_eq!(
        account(&app, t.a1, &t.alice).await["parent_free_devices"],
        25
    );
    success(post(&app, &path_a1, &t.boss, "device_seats=12").await);
    assert_eq!(
        account(&app, t.a1, &t.alice).await["parent_free_devices"],
        38
    );
    // The name changes with "Edit Accounts", the log retention only from above; Vic may do
    // neither.
    success(post(&app, &path_a, &t.alice, "account_name=Branch+Alpha").await);
    refused(
        post(&app, &path_a, &t.alice, "logging=3").await,
        StatusCode::FORBIDDEN,
    );
    success(post(&app, &path_a, &t.boss, "logging=3").await);
    let renamed = account(&app, t.a, &t.alice).await;
    assert_eq!(renamed["account_name"], "Branch Alpha");
    assert_eq!(renamed["logging"], 3);
    // The vendor's own example form re-sends every field: on one's own account, with the
    // values as they are, that is no change and succeeds; an empty seat token is no token.
    success(
        post(
            &app,
            &path_a,
            &t.alice,
            "account_name=Branch+Alpha&device_seats=50&suspended=false&device_seat_token=",
        )
        .await,
    );
    refused(
        post(&app, &path_a, &t.alice, "device_seats=51&suspended=false").await,
        StatusCode::FORBIDDEN,
    );
    refused(
        post(&app, &path_a1, &t.vic, "account_name=Mine").await,
        StatusCode::FORBIDDEN,
    );

    // A device seat token adds seats to the redeeming account, once, without taking any from
    // the accounts above it.
    let minted = app
        .post("/api/seat-tokens", &app.owner, json!({"seats": 25}))
        .await
        .expect(StatusCode::CREATED);
    let token = minted["token"].as_str().unwrap();
    let combined = format!("device_seat_token={token}&account_name=Other");
    refused(
        post(&app, &path_a, &t.alice, &combined).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    refused(
        post(&app, &path_a, &t.vic, &format!("device_seat_token={token}")).await,
        StatusCode::FORBIDDEN,
    );
    success(
        post(
            &app,
            &path_a,
            &t.alice,
            &format!("device_seat_token={token}"),
        )
        .await,
    );
    let grown = account(&app, t.a, &t.alice).await;
    assert_eq!(grown["device_seats"], 75);
    assert_eq!(
        grown["parent_free_devices"], 50,
        "the parent's free seats must not change"
    );
    assert_eq!(account(&app, t.root, &t.boss).await["device_seats"], 125);
    let again = refused(
        post(
            &app,
            &path_a,
            &t.alice,
            &format!("device_seat_token={token}"),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert!(
        again["message"].as_str().unwrap().contains("already"),
        "{again}"
    );
    refused(
        post(&app, &path_a, &t.alice, "device_seat_token=tnt_ds_unknown").await,
        StatusCode::NOT_FOUND,
    );
    refused(
        post(&app, &path_a, &t.alice, "device_seat_token=nonsense").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    // Only operators mint them.
    app.post("/api/seat-tokens", &t.boss, json!({"seats": 5}))
        .await
        .expect(StatusCode::FORBIDDEN);
}

async fn deletion_follows_the_vendor_rules(app: TestApp) {
    let t = tree(&app).await;
    // Never your own account.
    refused(
        delete(&app, &format!("/v1/accounts/{}", t.a), &t.alice).await,
        StatusCode::FORBIDDEN,
    );
    // Not while it has children.
    let body = refused(
        delete(&app, &format!("/v1/accounts/{}", t.a), &t.boss).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert!(
        body["message"].as_str().unwrap().contains("child"),
        "{body}"
    );
    // Not while it has users (Vic) or devices.
    let body = refused(
        delete(&app, &format!("/v1/accounts/{}", t.a1), &t.alice).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert!(
        body["message"].as_str().unwrap().contains("users"),
        "{body}"
    );
    let vic = get(&app, &format!("/v1/accounts/{}/users", t.a1), &t.alice)
        .await
        .expect(StatusCode::OK)[0]["id"]
        .as_i64()
        .unwrap();
    success(
        delete(
            &app,
            &format!("/v1/accounts/{}/users/{vic}", t.a1),
            &t.alice,
        )
        .await,
    );
    app.post(
        &format!("/api/accounts/{}/devices", t.a1),
        &app.owner,
        json!({"name": "Relay", "serial": "X-1"}),
    )
    .await
    .expect(StatusCode::CREATED);
    let body = refused(
        delete(&app, &format!("/v1/accounts/{}", t.a1), &t.alice).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert!(
        body["message"].as_str().unwrap().contains("devices"),
        "{body}"
    );
    let device = app
        .get(&format!("/api/accounts/{}/devices", t.a1), &app.owner)
        .await
        .expect(StatusCode::OK)["data"][0]["id"]
        .as_i64()
        .unwrap();
    app.delete(&format!("/api/devices/{device}"), &app.owner)
        .await
        .expect(StatusCode::NO_CONTENT);
    // Empty now: it goes, and its 10 seats return to Branch A.
    assert_eq!(
        account(&app, t.a1, &t.alice).await["parent_free_devices"],
        20
    );
    success(delete(&app, &format!("/v1/accounts/{}", t.a1), &t.alice).await);
    refused(
        get(&app, &format!("/v1/accounts/{}", t.a1), &t.alice).await,
        StatusCode::FORBIDDEN,
    );
    let children = get(&app, &format!("/v1/accounts/{}/children", t.a), &t.alice)
        .await
        .expect(StatusCode::OK);
    assert_eq!(ids(&children), [t.a]);
    let a = account(&app, t.a, &t.alice).await;
    assert_eq!(a["device_seats"], 30);
    // Alice's own account can't go (her own), and it still has a user (her) anyway.
    refused(
        delete(&app, &format!("/v1/accounts/{}", t.a), &t.boss).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    // "Delete Accounts" is needed.
    let c = success(
        post(
            &app,
            &format!("/v1/accounts/{}/children", t.a),
            &t.alice,
            "account_name=C",
        )
        .await,
    )["account_id"]
        .as_i64()
        .unwrap();
    let password = crate::helpers::PASSWORD.replace(' ', "+");
    success(
        post(
            &app,
            &format!("/v1/accounts/{}/users", t.a),
            &t.alice,
            &format!("username=val&email=val@abc.test&password={password}"),
        )
        .await,
    );
    let val = super::access_token(&app, "val").await;
    refused(
        delete(&app, &format!("/v1/accounts/{c}"), &val).await,
        StatusCode::FORBIDDEN,
    );
    success(delete(&app, &format!("/v1/accounts/{c}"), &t.alice).await);
}

/// Many seat changes under one parent at once, between its children: whatever interleaving
/// the database picks, the parent's free seats plus its children's allocations stay exactly
/// what the parent has.
async fn concurrent_seat_moves_neither_create_nor_lose_seats(app: TestApp) {
    let t = tree(&app).await;
    let mut children = vec![t.a];
    for name in ["B", "C", "D"] {
        let id = success(
            post(
                &app,
                &format!("/v1/accounts/{}/children", t.root),
                &t.boss,
                &format!("account_name={name}&device_seats=5"),
            )
            .await,
        )["account_id"]
            .as_i64()
            .unwrap();
        children.push(id);
    }
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for round in 0..12 {
        for (k, child) in children.iter().enumerate() {
            let app = app.clone();
            let boss = t.boss.clone();
            let child = *child;
            // Sizes that together exceed the root's 100 seats, so some moves must be refused.
            let seats = 10 + ((round + k) % 4) * 12;
            tasks.push(tokio::spawn(async move {
                post(
                    &app,
                    &format!("/v1/accounts/{child}"),
                    &boss,
                    &format!("device_seats={seats}"),
                )
                .await
                .status
            }));
        }
    }
    let mut refused_moves = 0;
    for task in tasks {
        let status = task.await.unwrap();
        match status {
            StatusCode::OK => {}
            StatusCode::UNPROCESSABLE_ENTITY => refused_moves += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    let mut allocated = 0;
    let mut parent_free = None;
    for child in &children {
        let record = account(&app, *child, &t.boss).await;
        allocated += record["device_seats"].as_i64().unwrap();
        let free = record["parent_free_devices"].as_i64().unwrap();
        assert_eq!(*parent_free.get_or_insert(free), free);
    }
    let free = parent_free.unwrap();
    assert!(free >= 0);
    assert_eq!(
        free + allocated,
        100,
        "seats were created or lost ({refused_moves} refused)"
    );
    let a1 = account(&app, t.a1, &t.boss).await;
    assert_eq!(
        a1["device_seats"], 10,
        "the grandchild's allocation must be untouched"
    );
}

crate::on_both_databases!(
    the_tree_reads_flat_and_nested,
    seats_move_only_from_above_and_tokens_add_them,
    deletion_follows_the_vendor_rules,
    concurrent_seat_moves_neither_create_nor_lose_seats,
);
