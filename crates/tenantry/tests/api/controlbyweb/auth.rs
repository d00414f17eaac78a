//! `POST /v1/auth/token`: both grants, form and JSON, OAuth errors, 24-hour tokens, and
//! suspension.

use axum::http::{Method, StatusCode};
use serde_json::json;

use super::{
    ACCOUNT_KEYS, BASE, documented, form, get, keys, login, post, refused, send_json, success, tree,
};
use crate::helpers::{PASSWORD, TestApp};

async fn password_and_refresh_grants_speak_oauth(app: TestApp) {
    let t = tree(&app).await;
    let answer = login(&app, "alice").await;
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["expires_in"], 86_400);
    let user_id = answer["user_id"].as_i64().unwrap();
    assert_eq!(answer["user"]["id"], user_id);
    assert_eq!(answer["user"]["username"], "alice");
    assert_eq!(answer["user"]["account_id"], t.a);
    assert_eq!(answer["user"]["account_admin"], 1);
    assert_eq!(answer["user"]["terms_agreed"], 1);
    assert_eq!(answer["user"]["account_name"], "Branch A");
    assert_eq!(keys(&answer["account"]), documented(ACCOUNT_KEYS));
    assert_eq!(answer["account"]["account_id"], t.a);
    let permissions: Vec<&str> = answer["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    for named in [
        "Edit Accounts",
        "Add Accounts",
        "Delete Accounts",
        "Add Users",
        "Edit Users",
    ] {
        assert!(
            permissions.contains(&named),
            "{named} missing from {permissions:?}"
        );
    }
    let all = answer["all_permissions"].as_array().unwrap();
    assert!(permissions.iter().all(|p| all.iter().any(|a| a == p)));
    assert!(
        all.len() > permissions.len(),
        "an admin lacks some permission"
    );

    // A non-administrator gets only the view permissions.
    let vic = login(&app, "vic").await;
    let vic_permissions = vic["permissions"].as_array().unwrap();
    assert!(!vic_permissions.iter().any(|p| p == "Edit Accounts"));
    assert_eq!(vic["user"]["account_admin"], 0);

    // JSON bodies and email addresses work as well as forms and usernames.
    let by_email = send_json(
        &app,
        Method::POST,
        "/v1/auth/token",
        None,
        json!({"grant_type": "password", "username": "alice@abc.test", "password": PASSWORD}),
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(by_email["user_id"], user_id);

    // The token works on every other call.
    let access = answer["access_token"].as_str().unwrap();
    let account = get(&app, &format!("/v1/accounts/{}", t.a), access)
        .await
        .expect(StatusCode::OK);
    assert_eq!(account["account_name"], "Branch A");

    // Refresh: new tokens, and the old refresh token is spent.
    let refresh = answer["refresh_token"].as_str().unwrap();
    let renewed = form(
        &app,
        Method::POST,
        "/v1/auth/token",
        None,
        &format!("grant_type=refresh_token&refresh_token={refresh}"),
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(renewed["expires_in"], 86_400);
    assert_eq!(renewed["user_id"], user_id);
    assert_ne!(renewed["access_token"], answer["access_token"]);
    let again = form(
        &app,
        Method::POST,
        "/v1/auth/token",
        None,
        &format!("grant_type=refresh_token&refresh_token={refresh}"),
    )
    .await
    .expect(StatusCode::UNAUTHORIZED);
    assert_eq!(again["error"], "invalid_grant");

    // Wrong password and unknown user answer the same.
    let wrong = form(
        &app,
        Method::POST,
        "/v1/auth/token",
        None,
        "grant_type=password&username=alice&password=not+it+at+all",
    )
    .await;
    let unknown = form(
        &app,
        Method::POST,
        "/v1/auth/token",
        None,
        "grant_type=password&username=nobody&password=not+it+at+all",
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.body["error"], "invalid_grant");

    let no_grant = form(&app, Method::POST, "/v1/auth/token", None, "username=alice").await;
    assert_eq!(
        no_grant.expect(StatusCode::BAD_REQUEST)["error"],
        "invalid_request"
    );
    let half = form(
        &app,
        Method::POST,
        "/v1/auth/token",
        None,
        "grant_type=password&username=alice",
    )
    .await;
    assert_eq!(
        half.expect(StatusCode::BAD_REQUEST)["error"],
        "invalid_request"
    );
    let other = form(
        &app,
        Method::POST,
        "/v1/auth/token",
        None,
        "grant_type=client_credentials",
    )
    .await;
    assert_eq!(
        other.expect(StatusCode::BAD_REQUEST)["error"],
        "unsupported_grant_type"
    );

    // Without a token, or with a bad one: Laravel's 401.
    let anonymous = form(
        &app,
        Method::GET,
        &format!("/v1/accounts/{}", t.a),
        None,
        "",
    )
    .await;
    assert_eq!(
        anonymous.expect(StatusCode::UNAUTHORIZED)["message"],
        "Unauthenticated."
    );
    let forged = get(&app, &format!("/v1/accounts/{}", t.a), "tnt_at_forged").await;
    assert_eq!(
        forged.expect(StatusCode::UNAUTHORIZED)["message"],
        "Unauthenticated."
    );
    let _ = BASE;
}

async fn suspension_stops_logins_in_that_account_only(app: TestApp) {
    let t = tree(&app).await;
    // Alice (in Branch A) may not suspend her own account.
    refused(
        post(
            &app,
            &format!("/v1/accounts/{}", t.a),
            &t.alice,
            "suspended=true",
        )
        .await,
        StatusCode::FORBIDDEN,
    );
    // Her parent's administrator may; her token stops working at once.
    success(
        post(
            &app,
            &format!("/v1/accounts/{}", t.a),
            &t.boss,
            "suspended=true",
        )
        .await,
    );
    let record = get(&app, &format!("/v1/accounts/{}", t.a), &t.boss)
        .await
        .expect(StatusCode::OK);
    assert_eq!(record["suspended"], 1);
    get(&app, &format!("/v1/accounts/{}", t.a), &t.alice)
        .await
        .expect(StatusCode::UNAUTHORIZED);
    let attempt = form(
        &app,
        Method::POST,
        "/v1/auth/token",
        None,
        &format!(
            "grant_type=password&username=alice&password={}",
            PASSWORD.replace(' ', "+")
        ),
    )
    .await;
    assert_eq!(
        attempt.expect(StatusCode::UNAUTHORIZED)["message"],
        "Account suspended"
    );
    // Children of a suspended account are unaffected.
    let vic = login(&app, "vic").await;
    assert_eq!(vic["account"]["suspended"], 0);
    // Unsuspended, Alice can log in again (with a new token: the old one stays dead).
    success(
        post(
            &app,
            &format!("/v1/accounts/{}", t.a),
            &t.boss,
            "suspended=0",
        )
        .await,
    );
    get(&app, &format!("/v1/accounts/{}", t.a), &t.alice)
        .await
        .expect(StatusCode::UNAUTHORIZED);
    login(&app, "alice").await;
}

crate::on_both_databases!(
    password_and_refresh_grants_speak_oauth,
    suspension_stops_logins_in_that_account_only,
);
