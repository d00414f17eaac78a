//! The console login, `getSecrets`, and how the secrets authenticate (and stop doing so).

use axum::http::{StatusCode, header};
use serde_json::json;

use super::{console_login, error, get, get_secrets, org, session_cookie};
use crate::helpers::{PASSWORD, TestApp};

async fn console_login_gives_secrets_that_authenticate(app: TestApp) {
    let acme = org(&app, "Acme", "you@acme.test").await;
    // The form login: exactly 200, with a session cookie; bad credentials 401.
    let login = console_login(&app, "you@acme.test", PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK);
    let set_cookie = login.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    let cookie = session_cookie(&login);
    error(
        console_login(&app, "you@acme.test", "not the password").await,
        StatusCode::UNAUTHORIZED,
    );
    error(
        console_login(&app, "nobody@acme.test", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
    );

    // getSecrets: the same secrets every time, shaped like the vendor's.
    let answer = get_secrets(&app, &cookie).await;
    assert_eq!(answer.headers[header::CACHE_CONTROL], "no-store");
    let secrets = answer.expect(StatusCode::OK);
    let again = get_secrets(&app, &cookie).await.expect(StatusCode::OK);
    assert_eq!(secrets, again);
    let user = secrets["user"].as_str().unwrap();
    let company = secrets["company"].as_str().unwrap();
    assert_eq!(user.len(), 44, "{user}");
    assert!(user.ends_with('='));
    assert_eq!(company.len(), 32);
    assert!(company.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(acme.auth, format!("User {user}, Organization {company}"));
    error(
        get_secrets(&app, "JSESSIONID=tnt_at_forged").await,
        StatusCode::UNAUTHORIZED,
    );
    error(get_secrets(&app, "other=1").await, StatusCode::UNAUTHORIZED);

    // The header works, in any case and order; anything else is 401.
    get(&app, "/accounts", &acme.auth)
        .await
        .expect(StatusCode::OK);
    let reordered = format!("organization {company}, user {user}, Element whatever");
    get(&app, "/accounts", &reordered)
        .await
        .expect(StatusCode::OK);
    for bad in [
        format!("User {user}"),
        format!("Bearer {user}"),
        format!("User {user}, Organization 00000000000000000000000000000000"),
        format!("User AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=, Organization {company}"),
        String::new(),
    ] {
        error(get(&app, "/accounts", &bad).await, StatusCode::UNAUTHORIZED);
    }
    // Another organization's user secret with this organization's secret: refused.
    let other = org(&app, "Other", "them@other.test").await;
    let their_user = other.auth.split(',').next().unwrap().to_owned();
    error(
        get(
            &app,
            "/accounts",
            &format!("{their_user}, Organization {company}"),
        )
        .await,
        StatusCode::UNAUTHORIZED,
    );

    // Rotation through the native API: the old secret stops working at once.
    let rotated = app
        .post(
            &format!("/api/users/{}/secret/rotate", acme.admin),
            &app.owner,
            json!({}),
        )
        .await
        .expect(StatusCode::OK)["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(rotated, user);
    error(
        get(&app, "/accounts", &acme.auth).await,
        StatusCode::UNAUTHORIZED,
    );
    let fresh = format!("User {rotated}, Organization {company}");
    get(&app, "/accounts", &fresh).await.expect(StatusCode::OK);
    assert_eq!(
        get_secrets(&app, &cookie).await.expect(StatusCode::OK)["user"],
        rotated
    );
    let company_now = app
        .post(
            &format!("/api/accounts/{}/organization-secret/rotate", acme.root),
            &app.owner,
            json!({}),
        )
        .await
        .expect(StatusCode::OK)["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    error(
        get(&app, "/accounts", &fresh).await,
        StatusCode::UNAUTHORIZED,
    );
    get(
        &app,
        "/accounts",
        &format!("User {rotated}, Organization {company_now}"),
    )
    .await
    .expect(StatusCode::OK);
    // A company account is no organization.
    let sub = app
        .post(
            "/api/accounts",
            &app.owner,
            json!({"parent_id": acme.root, "name": "Sub"}),
        )
        .await
        .expect(StatusCode::CREATED)["id"]
        .as_i64()
        .unwrap();
    app.post(
        &format!("/api/accounts/{sub}/organization-secret/rotate"),
        &app.owner,
        json!({}),
    )
    .await
    .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");

    // A disabled user's secrets stop working.
    app.patch(
        &format!("/api/users/{}", acme.admin),
        &app.owner,
        json!({"status": "disabled"}),
    )
    .await
    .expect(StatusCode::OK);
    error(
        get(
            &app,
            "/accounts",
            &format!("User {rotated}, Organization {company_now}"),
        )
        .await,
        StatusCode::UNAUTHORIZED,
    );
}

crate::on_both_databases!(console_login_gives_secrets_that_authenticate);
