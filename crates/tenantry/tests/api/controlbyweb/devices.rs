//! Devices of a subtree, `devices/info`, and certificate request tokens that devices use to
//! join an account.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Iso8601;

use super::{ACCOUNT_KEYS, delete, documented, form, get, keys, post, refused, success, tree};
use crate::helpers::TestApp;

async fn add_device(app: &TestApp, account: i64, serial: &str, cell: bool, connected: bool) -> i64 {
    let id = app
        .post(
            &format!("/api/accounts/{account}/devices"),
            &app.owner,
            json!({"name": format!("Relay {serial}"), "serial": serial, "is_cell": cell}),
        )
        .await
        .expect(StatusCode::CREATED)["id"]
        .as_i64()
        .unwrap();
    if connected {
        let device = app
            .patch(
                &format!("/api/devices/{id}"),
                &app.owner,
                json!({"connected": true}),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(device["connected"], true);
    }
    id
}

async fn devices_and_their_statistics(app: TestApp) {
    let t = tree(&app).await;
    // Branch A: three devices, one connected, one cellular; Site A1: two, one connected.
    add_device(&app, t.a, "A-1", false, true).await;
    add_device(&app, t.a, "A-2", true, false).await;
    add_device(&app, t.a, "A-3", false, false).await;
    add_device(&app, t.a1, "A1-1", false, true).await;
    add_device(&app, t.a1, "A1-2", false, false).await;
    let info = get(
        &app,
        &format!("/v1/accounts/{}/devices/info", t.a),
        &t.alice,
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(
        info,
        json!({"max": 20, "used": 3, "connected": 1, "disconnected": 2, "cell": 1,
               "logRetentionID": 1, "childAccountsCount": 1, "childAccountsMax": 10,
               "childAccountsUsed": 2, "childAccountsConnected": 1,
               "childAccountsDisconnected": 1, "childAccountCell": 0, "totalMax": 30,
               "totalUsed": 5, "totalConnected": 2, "totalDisconnected": 3, "totalCell": 1})
    );
    let listed = get(&app, &format!("/v1/accounts/{}/devices", t.a), &t.vic).await;
    refused(listed, StatusCode::FORBIDDEN);
    let listed = get(&app, &format!("/v1/accounts/{}/devices", t.a), &t.alice)
        .await
        .expect(StatusCode::OK);
    let devices = listed.as_array().unwrap();
    assert_eq!(devices.len(), 5);
    let in_a1: Vec<&Value> = devices.iter().filter(|d| d["account_id"] == t.a1).collect();
    assert_eq!(in_a1.len(), 2);
    assert_eq!(keys(&in_a1[0]["account"]), documented(ACCOUNT_KEYS));
    assert_eq!(in_a1[0]["account"]["account_name"], "Site A1");
    assert_eq!(in_a1[0]["account"]["used_devices"], 2);
    assert!(devices.iter().all(|d| d["device_id"].is_i64()));
    let cellular: Vec<&Value> = devices.iter().filter(|d| d["cell"] == 1).collect();
    assert_eq!(cellular.len(), 1);
    // Vic sees the devices of his own account.
    let his = get(&app, &format!("/v1/accounts/{}/devices", t.a1), &t.vic)
        .await
        .expect(StatusCode::OK);
    assert_eq!(his.as_array().unwrap().len(), 2);
    let his_info = get(&app, &format!("/v1/accounts/{}/devices/info", t.a1), &t.vic)
        .await
        .expect(StatusCode::OK);
    assert_eq!(his_info["used"], 2);
    assert_eq!(his_info["childAccountsCount"], 0);
    refused(
        get(&app, &format!("/v1/accounts/{}/devices/info", t.a), &t.vic).await,
        StatusCode::FORBIDDEN,
    );
}

fn laravel_time(value: &Value) -> OffsetDateTime {
    let text = value.as_str().unwrap();
    assert_eq!(text.len(), 27, "{text}");
    assert!(text.ends_with('Z'), "{text}");
    OffsetDateTime::parse(text, &Iso8601::DEFAULT).unwrap()
}

async fn certificate_tokens_let_devices_join(app: TestApp) {
    let t = tree(&app).await;
    let path = format!("/v1/accounts/{}/tokens", t.a);
    assert_eq!(
        get(&app, &path, &t.alice).await.expect(StatusCode::OK),
        json!({})
    );
    // The vendor's curl uses GET to create; POST works too.
    let first = get(&app, &format!("{path}/create"), &t.alice)
        .await
        .expect(StatusCode::OK);
    let second = form(
        &app,
        Method::POST,
        &format!("{path}/create"),
        Some(&t.alice),
        "",
    )
    .await
    .expect(StatusCode::OK);
    for token in [&first, &second] {
        let text = token["token"].as_str().unwrap();
        assert_eq!(text.len(), 32);
        assert!(text.bytes().all(|b| b.is_ascii_alphanumeric()), "{text}");
        let lifetime = laravel_time(&token["expires"]) - laravel_time(&token["created_at"]);
        assert_eq!(lifetime, time::Duration::hours(12));
    }
    assert_ne!(first["token"], second["token"]);
    let listed = get(&app, &path, &t.alice).await.expect(StatusCode::OK);
    let listed = listed.as_object().unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.keys().all(|k| k.parse::<i64>().is_ok()));
    assert!(listed.values().any(|v| v["token"] == first["token"]));

    // A device joins with the token, more than once (multi-use), taking seats of Branch A.
    let token = first["token"].as_str().unwrap();
    for serial in ["J-1", "J-2"] {
        let device = app
            .call(
                Method::POST,
                "/api/devices/enrol",
                None,
                Some(json!({"token": token, "name": "Joiner", "serial": serial})),
            )
            .await
            .expect(StatusCode::CREATED);
        assert_eq!(device["account_id"], t.a);
    }
    let info = get(
        &app,
        &format!("/v1/accounts/{}/devices/info", t.a),
        &t.alice,
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(info["used"], 2);

    // Not into a suspended account.
    success(
        post(
            &app,
            &format!("/v1/accounts/{}", t.a),
            &t.boss,
            "suspended=1",
        )
        .await,
    );
    app.call(
        Method::POST,
        "/api/devices/enrol",
        None,
        Some(json!({"token": token, "name": "Joiner", "serial": "J-S"})),
    )
    .await
    .expect(StatusCode::FORBIDDEN);
    success(
        post(
            &app,
            &format!("/v1/accounts/{}", t.a),
            &t.boss,
            "suspended=0",
        )
        .await,
    );
    let alice = super::access_token(&app, "alice").await;
    let t = super::Tree { alice, ..t };

    // Deleted, it stops working at once.
    success(delete(&app, &format!("{path}/{token}"), &t.alice).await);
    refused(
        delete(&app, &format!("{path}/{token}"), &t.alice).await,
        StatusCode::NOT_FOUND,
    );
    app.call(
        Method::POST,
        "/api/devices/enrol",
        None,
        Some(json!({"token": token, "name": "Late", "serial": "J-3"})),
    )
    .await
    .expect(StatusCode::UNAUTHORIZED);
    assert_eq!(
        get(&app, &path, &t.alice)
            .await
            .expect(StatusCode::OK)
            .as_object()
            .unwrap()
            .len(),
        1
    );

    // Only for your own account and below, and only with "Manage Tokens".
    refused(get(&app, &path, &t.vic).await, StatusCode::FORBIDDEN);
    refused(
        get(&app, &format!("{path}/create"), &t.vic).await,
        StatusCode::FORBIDDEN,
    );
    refused(
        get(&app, &format!("/v1/accounts/{}/tokens", t.root), &t.alice).await,
        StatusCode::FORBIDDEN,
    );
    let second_token = second["token"].as_str().unwrap();
    refused(
        delete(
            &app,
            &format!("/v1/accounts/{}/tokens/{second_token}", t.a1),
            &t.alice,
        )
        .await,
        StatusCode::NOT_FOUND,
    );
    get(
        &app,
        &format!("/v1/accounts/{}/tokens/create", t.a1),
        &t.alice,
    )
    .await
    .expect(StatusCode::OK);
    // The native API shows the same tokens and deletes them by id, keeping them out of URLs.
    let native = app
        .get(
            &format!("/api/accounts/{}/certificate-tokens", t.a),
            &t.alice,
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(native.as_array().unwrap().len(), 1);
    assert_eq!(native[0]["token"], second["token"]);
    let id = native[0]["id"].as_i64().unwrap();
    app.delete(
        &format!("/api/accounts/{}/certificate-tokens/{id}", t.a),
        &t.alice,
    )
    .await
    .expect(StatusCode::NO_CONTENT);
    assert_eq!(
        get(&app, &path, &t.alice).await.expect(StatusCode::OK),
        json!({})
    );
}

crate::on_both_databases!(
    devices_and_their_statistics,
    certificate_tokens_let_devices_join,
);
