//! Users and roles over HTTP.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;

async fn create_read_update_delete(app: TestApp) {
    let acme = app.account(None, "Acme", 0).await;
    let (_, admin) = app.user(acme, "admin@acme.test", "admin").await;
    let user = app
        .post(
            &format!("/api/accounts/{acme}/users"),
            &admin,
            json!({
                "email": "Ann@Acme.test", "username": "ann", "first_name": "Ann",
                "last_name": "Lee", "preferences": {"theme": "dark"}
            }),
        )
        .await
        .expect(StatusCode::CREATED);
    let id = user["id"].as_i64().unwrap();
    assert_eq!(user["email"], "Ann@Acme.test");
    assert_eq!(user["role"], "user", "role defaults to user");
    assert_eq!(user["has_password"], false);
    assert_eq!(user["preferences"]["theme"], "dark");
    assert!(user.get("password").is_none() && user.get("password_hash").is_none());

    app.post(
        &format!("/api/accounts/{acme}/users"),
        &admin,
        json!({"email": "ann@ACME.test"}),
    )
    .await
    .expect_error(StatusCode::CONFLICT, "conflict");
    app.post(
        &format!("/api/accounts/{acme}/users"),
        &admin,
        json!({"email": "other@acme.test", "username": "ANN"}),
    )
    .await
    .expect_error(StatusCode::CONFLICT, "conflict");

    let changed = app
        .patch(
            &format!("/api/users/{id}"),
            &admin,
            json!({"last_name": null, "status": "disabled"}),
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(changed["last_name"], Value::Null);
    assert_eq!(changed["first_name"], "Ann");
    assert_eq!(changed["status"], "disabled");
    assert_eq!(
        app.get(&format!("/api/users/{id}"), &admin)
            .await
            .expect(StatusCode::OK)["status"],
        "disabled"
    );
    assert_eq!(
        app.delete(&format!("/api/users/{id}"), &admin).await.status,
        StatusCode::NO_CONTENT
    );
    app.get(&format!("/api/users/{id}"), &admin)
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
}

async fn roles_are_ranked(app: TestApp) {
    let acme = app.account(None, "Acme", 0).await;
    let (admin_id, admin) = app.user(acme, "admin@acme.test", "admin").await;
    let (owner_id, owner) = app.user(acme, "owner@acme.test", "owner").await;
    let (user_id, user) = app.user(acme, "user@acme.test", "user").await;
    app.post(
        &format!("/api/accounts/{acme}/users"),
        &admin,
        json!({"email": "o2@acme.test", "role": "owner"}),
    )
    .await
    .expect_error(StatusCode::FORBIDDEN, "forbidden");
    app.put(
        &format!("/api/users/{admin_id}/role"),
        &admin,
        json!({"role": "user"}),
    )
    .await
    .expect_error(StatusCode::FORBIDDEN, "forbidden");
    app.put(
        &format!("/api/users/{owner_id}/role"),
        &admin,
        json!({"role": "user"}),
    )
    .await
    .expect_error(StatusCode::FORBIDDEN, "forbidden");
    app.put(
        &format!("/api/users/{user_id}/role"),
        &user,
        json!({"role": "admin"}),
    )
    .await
    .expect_error(StatusCode::FORBIDDEN, "forbidden");
    app.put(
        &format!("/api/users/{user_id}/role"),
        &admin,
        json!({"role": "root"}),
    )
    .await
    .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let promoted = app
        .put(
            &format!("/api/users/{user_id}/role"),
            &owner,
            json!({"role": "admin"}),
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(promoted["role"], "admin");
    // The promotion shows in the promoted user's live session.
    let me = app.get("/api/me", &user).await.expect(StatusCode::OK);
    assert!(
        me["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("Edit Users"))
    );
}

async fn lists_page_through_an_account_and_its_subtree(app: TestApp) {
    let acme = app.account(None, "Acme", 0).await;
    let child = app.account(Some(acme), "Child", 0).await;
    let mut expected = Vec::new();
    for i in 0..7 {
        let body = json!({"email": format!("u{i}@acme.test")});
        let user = app
            .post(&format!("/api/accounts/{acme}/users"), &app.owner, body)
            .await
            .expect(StatusCode::CREATED);
        expected.push(user["id"].as_i64().unwrap());
    }
    app.post(
        &format!("/api/accounts/{child}/users"),
        &app.owner,
        json!({"email": "c@child.test"}),
    )
    .await
    .expect(StatusCode::CREATED);
    let mut seen = Vec::new();
    let mut path = format!("/api/accounts/{acme}/users?limit=3");
    loop {
        let page = app.get(&path, &app.owner).await.expect(StatusCode::OK);
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["id"].as_i64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/accounts/{acme}/users?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, expected);
    let all = app
        .get(
            &format!("/api/accounts/{acme}/users?subtree=true"),
            &app.owner,
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(all["data"].as_array().unwrap().len(), 8);
}

crate::on_both_databases!(
    create_read_update_delete,
    roles_are_ranked,
    lists_page_through_an_account_and_its_subtree
);
