//! `/v1/accounts/{AccountId}/users`: the documented records, create/read/update/delete, and
//! the permissions each needs.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{delete, documented, form, get, keys, post, refused, send_json, success, tree};
use crate::helpers::{PASSWORD, TestApp};

const USER_KEYS: &[&str] = &[
    "id",
    "account_id",
    "username",
    "first_name",
    "last_name",
    "email",
    "email_verified_at",
    "account_admin",
    "terms_agreed",
];

fn by_username<'a>(list: &'a Value, username: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username)
        .unwrap_or_else(|| panic!("{username} not in {list}"))
}

async fn users_are_managed_within_the_subtree(app: TestApp) {
    let t = tree(&app).await;
    // The list covers the account and every account below it, with account names.
    let listed = get(&app, &format!("/v1/accounts/{}/users", t.a), &t.alice)
        .await
        .expect(StatusCode::OK);
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    let alice = by_username(&listed, "alice");
    let mut list_keys = documented(USER_KEYS);
    list_keys.push("account_name".to_owned());
    list_keys.sort();
    assert_eq!(keys(alice), list_keys);
    assert_eq!(alice["account_id"], t.a);
    assert_eq!(alice["account_name"], "Branch A");
    assert_eq!(alice["first_name"], "Alice");
    assert_eq!(alice["last_name"], Value::Null);
    assert_eq!(alice["email"], "alice@abc.test");
    assert_eq!(alice["email_verified_at"], Value::Null);
    assert_eq!(alice["account_admin"], 1);
    assert_eq!(alice["terms_agreed"], 1);
    let vic = by_username(&listed, "vic");
    assert_eq!(vic["account_name"], "Site A1");
    assert_eq!(vic["account_admin"], 0);
    assert_eq!(vic["terms_agreed"], 0);
    let vic_id = vic["id"].as_i64().unwrap();

    // One user: a one-element list, without account_name, only under their own account.
    let one = get(
        &app,
        &format!("/v1/accounts/{}/users/{vic_id}", t.a1),
        &t.alice,
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(one.as_array().unwrap().len(), 1);
    assert_eq!(keys(&one[0]), documented(USER_KEYS));
    refused(
        get(
            &app,
            &format!("/v1/accounts/{}/users/{vic_id}", t.a),
            &t.alice,
        )
        .await,
        StatusCode::NOT_FOUND,
    );
    refused(
        get(
            &app,
            &format!("/v1/accounts/{}/users/999999", t.a1),
            &t.alice,
        )
        .await,
        StatusCode::NOT_FOUND,
    );

    // Create: username, email and password required, reported per field.
    let missing = send_json(
        &app,
        Method::POST,
        &format!("/v1/accounts/{}/users", t.a1),
        Some(&t.alice),
        json!({}),
    )
    .await
    .expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing["errors"]["username"].is_array(), "{missing}");
    let created = success(
        send_json(
            &app,
            Method::POST,
            &format!("/v1/accounts/{}/users", t.a1),
            Some(&t.alice),
            json!({"username": "wes", "email": "wes@abc.test", "password": PASSWORD,
                   "first_name": "Wes", "last_name": "Tern", "account_admin": "1"}),
        )
        .await,
    );
    let wes = created["user_id"].as_i64().unwrap();
    for clash in [
        json!({"username": "WES", "email": "other@abc.test", "password": PASSWORD}),
        json!({"username": "other", "email": "Wes@abc.test", "password": PASSWORD}),
    ] {
        refused(
            send_json(
                &app,
                Method::POST,
                &format!("/v1/accounts/{}/users", t.a1),
                Some(&t.alice),
                clash,
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let bad = send_json(
        &app,
        Method::POST,
        &format!("/v1/accounts/{}/users", t.a1),
        Some(&t.alice),
        json!({"username": "x y", "email": "not-an-address", "password": "short"}),
    )
    .await
    .expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad["errors"].is_object(), "{bad}");
    super::access_token(&app, "wes").await;

    // Update (POST or PUT): fields, role, password; an empty name clears it.
    success(
        form(
            &app,
            Method::PUT,
            &format!("/v1/accounts/{}/users/{wes}", t.a1),
            Some(&t.alice),
            "first_name=Wesley&last_name=&account_admin=0&terms_agreed=1",
        )
        .await,
    );
    let updated = &get(
        &app,
        &format!("/v1/accounts/{}/users/{wes}", t.a1),
        &t.alice,
    )
    .await
    .expect(StatusCode::OK)[0];
    assert_eq!(updated["first_name"], "Wesley");
    assert_eq!(updated["last_name"], Value::Null);
    assert_eq!(updated["account_admin"], 0);
    assert_eq!(updated["terms_agreed"], 1);
    // The same flag again changes nothing and succeeds.
    success(
        post(
            &app,
            &format!("/v1/accounts/{}/users/{wes}", t.a1),
            &t.alice,
            "account_admin=0",
        )
        .await,
    );
    success(
        post(
            &app,
            &format!("/v1/accounts/{}/users/{wes}", t.a1),
            &t.alice,
            "password=a+brand+new+passphrase",
        )
        .await,
    );
    let relogin = form(
        &app,
        Method::POST,
        "/v1/auth/token",
        None,
        "grant_type=password&username=wes&password=a+brand+new+passphrase",
    )
    .await
    .expect(StatusCode::OK);
    let wes_token = relogin["access_token"].as_str().unwrap().to_owned();

    // Delete: never yourself; then gone.
    refused(
        delete(
            &app,
            &format!("/v1/accounts/{}/users/{wes}", t.a1),
            &wes_token,
        )
        .await,
        StatusCode::FORBIDDEN,
    );
    success(
        delete(
            &app,
            &format!("/v1/accounts/{}/users/{wes}", t.a1),
            &t.alice,
        )
        .await,
    );
    refused(
        get(
            &app,
            &format!("/v1/accounts/{}/users/{wes}", t.a1),
            &t.alice,
        )
        .await,
        StatusCode::NOT_FOUND,
    );
}

async fn user_permissions_are_enforced(app: TestApp) {
    let t = tree(&app).await;
    let listed = get(&app, &format!("/v1/accounts/{}/users", t.root), &t.boss)
        .await
        .expect(StatusCode::OK);
    let alice = by_username(&listed, "alice")["id"].as_i64().unwrap();
    let boss = by_username(&listed, "boss")["id"].as_i64().unwrap();
    let vic = by_username(&listed, "vic")["id"].as_i64().unwrap();
    let password = PASSWORD.replace(' ', "+");
    // Vic, not an administrator, may neither list, add, edit nor delete users.
    refused(
        get(&app, &format!("/v1/accounts/{}/users", t.a1), &t.vic).await,
        StatusCode::FORBIDDEN,
    );
    refused(
        post(
            &app,
            &format!("/v1/accounts/{}/users", t.a1),
            &t.vic,
            &format!("username=z&email=z@abc.test&password={password}"),
        )
        .await,
        StatusCode::FORBIDDEN,
    );
    // Vic edits his own profile, but not his role.
    success(
        post(
            &app,
            &format!("/v1/accounts/{}/users/{vic}", t.a1),
            &t.vic,
            "first_name=Victor",
        )
        .await,
    );
    refused(
        post(
            &app,
            &format!("/v1/accounts/{}/users/{vic}", t.a1),
            &t.vic,
            "account_admin=1",
        )
        .await,
        StatusCode::FORBIDDEN,
    );
    // Alice cannot reach users above her account, nor change her own role.
    refused(
        get(
            &app,
            &format!("/v1/accounts/{}/users/{boss}", t.root),
            &t.alice,
        )
        .await,
        StatusCode::FORBIDDEN,
    );
    refused(
        post(
            &app,
            &format!("/v1/accounts/{}/users/{boss}", t.root),
            &t.alice,
            "first_name=X",
        )
        .await,
        StatusCode::FORBIDDEN,
    );
    refused(
        delete(
            &app,
            &format!("/v1/accounts/{}/users/{boss}", t.root),
            &t.alice,
        )
        .await,
        StatusCode::FORBIDDEN,
    );
    refused(
        post(
            &app,
            &format!("/v1/accounts/{}/users/{alice}", t.a),
            &t.alice,
            "account_admin=0",
        )
        .await,
        StatusCode::FORBIDDEN,
    );
    // An administrator cannot make someone an owner-rank user through the flag: admin is the
    // most `account_admin=1` grants, so Alice can promote Vic.
    success(
        post(
            &app,
            &format!("/v1/accounts/{}/users/{vic}", t.a1),
            &t.alice,
            "account_admin=1",
        )
        .await,
    );
    let vic_now = &get(
        &app,
        &format!("/v1/accounts/{}/users/{vic}", t.a1),
        &t.alice,
    )
    .await
    .expect(StatusCode::OK)[0];
    assert_eq!(vic_now["account_admin"], 1);
    assert_eq!(vic_now["first_name"], "Victor");
    // Another tenant's administrator sees nothing of this one.
    let other = app.account(None, "Other Co", 10).await;
    app.post(
        &format!("/api/accounts/{other}/users"),
        &app.owner,
        json!({"email": "eve@other.test", "username": "eve", "role": "admin", "password": PASSWORD}),
    )
    .await
    .expect(StatusCode::CREATED);
    let eve = super::access_token(&app, "eve").await;
    for path in [
        format!("/v1/accounts/{}/users", t.root),
        format!("/v1/accounts/{}/users/{alice}", t.a),
    ] {
        refused(get(&app, &path, &eve).await, StatusCode::FORBIDDEN);
    }
    refused(
        delete(&app, &format!("/v1/accounts/{}/users/{alice}", t.a), &eve).await,
        StatusCode::FORBIDDEN,
    );
    refused(
        post(
            &app,
            &format!("/v1/accounts/{}/users", t.a),
            &eve,
            &format!("username=mole&email=mole@abc.test&password={password}"),
        )
        .await,
        StatusCode::FORBIDDEN,
    );
    // Under her own account's URL, this tenant's user ids look exactly like ids of nobody.
    let foreign = get(&app, &format!("/v1/accounts/{other}/users/{alice}"), &eve).await;
    let nobody = get(&app, &format!("/v1/accounts/{other}/users/987654321"), &eve).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert_eq!(foreign.body, nobody.body);
}

crate::on_both_databases!(
    users_are_managed_within_the_subtree,
    user_permissions_are_enforced,
);
