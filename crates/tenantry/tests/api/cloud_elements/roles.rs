//! Role grants and the vendor's refusals, in the order it checks them: an unknown key (400),
//! another organization's record (403), a role above the caller's or one's own roles (403), a
//! missing id (404), a role already held (409).

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{ce, error, get, org};
use crate::helpers::{PASSWORD, TestApp};

fn role_keys(roles: &Value) -> Vec<String> {
    roles
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap().to_owned())
        .collect()
}

async fn user_roles_follow_the_vendor_rules(app: TestApp) {
    let acme = org(&app, "Acme", "boss@acme.test").await;
    let other = org(&app, "Other", "boss@other.test").await;
    let account = ce(
        &app,
        Method::POST,
        "/accounts",
        &acme.auth,
        Some(json!({"externalId": "c-1"})),
    )
    .await
    .expect(StatusCode::OK)["id"]
        .as_i64()
        .unwrap();
    let user = ce(
        &app,
        Method::POST,
        &format!("/accounts/{account}/users"),
        &acme.auth,
        Some(json!({"firstName": "U", "lastName": "One", "email": "u1@acme.test", "password": PASSWORD})),
    )
    .await
    .expect(StatusCode::OK)["id"]
    .as_i64()
    .unwrap();
    let roles = format!("/users/{user}/roles");
    assert_eq!(
        role_keys(&get(&app, &roles, &acme.auth).await.expect(StatusCode::OK)),
        ["user"]
    );
    assert_eq!(
        role_keys(
            &get(&app, &format!("/users/{}/roles", acme.admin), &acme.auth)
                .await
                .expect(StatusCode::OK)
        ),
        ["org-admin", "admin", "org"]
    );
    // Unknown key: 400 before anything else (even for a user that does not exist).
    error(
        ce(&app, Method::PUT, &format!("{roles}/foo"), &acme.auth, None).await,
        StatusCode::BAD_REQUEST,
    );
    error(
        ce(
            &app,
            Method::PUT,
            "/users/99999999/roles/foo",
            &acme.auth,
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
    );
    // Another organization's user: 403. A missing one: 404.
    error(
        ce(
            &app,
            Method::PUT,
            &format!("{roles}/admin"),
            &other.auth,
            None,
        )
        .await,
        StatusCode::FORBIDDEN,
    );
    error(
        ce(
            &app,
            Method::PUT,
            "/users/99999999/roles/admin",
            &acme.auth,
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
    );
    // Above anyone's rank, or your own roles: 403.
    error(
        ce(
            &app,
            Method::PUT,
            &format!("{roles}/sys-admin"),
            &acme.auth,
            None,
        )
        .await,
        StatusCode::FORBIDDEN,
    );
    error(
        ce(
            &app,
            Method::PUT,
            &format!("/users/{}/roles/admin", acme.admin),
            &acme.auth,
            None,
        )
        .await,
        StatusCode::FORBIDDEN,
    );
    // Granting: the role record comes back; again is 409.
    let granted = ce(
        &app,
        Method::PUT,
        &format!("{roles}/admin"),
        &acme.auth,
        None,
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(granted["key"], "admin");
    assert_eq!(granted["features"], json!([]));
    error(
        ce(
            &app,
            Method::PUT,
            &format!("{roles}/admin"),
            &acme.auth,
            None,
        )
        .await,
        StatusCode::CONFLICT,
    );
    error(
        ce(
            &app,
            Method::PUT,
            &format!("{roles}/user"),
            &acme.auth,
            None,
        )
        .await,
        StatusCode::CONFLICT,
    );
    assert_eq!(
        role_keys(&get(&app, &roles, &acme.auth).await.expect(StatusCode::OK)),
        ["admin", "user"]
    );
    // Everyone holds their membership role, whichever of the two a client names.
    error(
        ce(&app, Method::PUT, &format!("{roles}/org"), &acme.auth, None).await,
        StatusCode::CONFLICT,
    );
    // org-admin is only for users of the Default account.
    error(
        ce(
            &app,
            Method::PUT,
            &format!("{roles}/org-admin"),
            &acme.auth,
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
    );
    // An administrator below may not grant past their own rank, nor touch the organization's.
    let company = acme.auth.rsplit(' ').next().unwrap().to_owned();
    let secret = app
        .post(
            &format!("/api/users/{user}/secret/rotate"),
            &app.owner,
            json!({}),
        )
        .await
        .expect(StatusCode::OK)["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let admin_below = format!("User {secret}, Organization {company}");
    error(
        ce(
            &app,
            Method::DELETE,
            &format!("/users/{}/roles/org-admin", acme.admin),
            &admin_below,
            None,
        )
        .await,
        StatusCode::FORBIDDEN,
    );
    // Withdrawing: 200; a role not held is 404; membership roles stay.
    let withdrawn = ce(
        &app,
        Method::DELETE,
        &format!("{roles}/admin"),
        &acme.auth,
        None,
    )
    .await;
    assert_eq!(withdrawn.status, StatusCode::OK);
    error(
        ce(
            &app,
            Method::DELETE,
            &format!("{roles}/admin"),
            &acme.auth,
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
    );
    error(
        ce(
            &app,
            Method::DELETE,
            &format!("{roles}/user"),
            &acme.auth,
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
    );
    // In the Default account: org-admin can be granted, and withdrawn.
    let staff = ce(
        &app,
        Method::POST,
        &format!("/accounts/{}/users", acme.root),
        &acme.auth,
        Some(json!({"firstName": "S", "lastName": "Taff", "email": "staff@acme.test", "password": PASSWORD,
                    "roles": [{"key": "org"}]})),
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(role_keys(&staff["roles"]), ["org"]);
    let staff = staff["id"].as_i64().unwrap();
    ce(
        &app,
        Method::PUT,
        &format!("/users/{staff}/roles/org-admin"),
        &acme.auth,
        None,
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(
        role_keys(
            &get(&app, &format!("/users/{staff}/roles"), &acme.auth)
                .await
                .expect(StatusCode::OK)
        ),
        ["org-admin", "admin", "org"]
    );
    error(
        ce(
            &app,
            Method::DELETE,
            &format!("/users/{staff}/roles/admin"),
            &acme.auth,
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
    );
    ce(
        &app,
        Method::DELETE,
        &format!("/users/{staff}/roles/org-admin"),
        &acme.auth,
        None,
    )
    .await
    .expect(StatusCode::OK);
    // Roles through PATCH: the whole set at once.
    let patched = ce(
        &app,
        Method::PATCH,
        &format!("/users/{staff}"),
        &acme.auth,
        Some(json!({"roles": [{"key": "org"}]})),
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(role_keys(&patched["roles"]), ["org"]);
    error(
        ce(
            &app,
            Method::PATCH,
            &format!("/users/{staff}"),
            &acme.auth,
            Some(json!({"roles": [{"key": "sys-admin"}]})),
        )
        .await,
        StatusCode::FORBIDDEN,
    );
}

async fn account_roles_follow_the_vendor_rules(app: TestApp) {
    let acme = org(&app, "Acme", "boss@acme.test").await;
    let other = org(&app, "Other", "boss@other.test").await;
    let account = ce(
        &app,
        Method::POST,
        "/accounts",
        &acme.auth,
        Some(json!({"externalId": "r-1"})),
    )
    .await
    .expect(StatusCode::OK)["id"]
        .as_i64()
        .unwrap();
    let path = format!("/accounts/{account}/roles");
    // A new account has none.
    assert_eq!(
        get(&app, &path, &acme.auth).await.expect(StatusCode::OK),
        json!([])
    );
    error(
        ce(&app, Method::PUT, &format!("{path}/foo"), &acme.auth, None).await,
        StatusCode::BAD_REQUEST,
    );
    error(
        ce(
            &app,
            Method::PUT,
            "/accounts/1/roles/foo",
            &other.auth,
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
    );
    error(
        ce(
            &app,
            Method::PUT,
            &format!("{path}/admin"),
            &other.auth,
            None,
        )
        .await,
        StatusCode::FORBIDDEN,
    );
    error(
        ce(
            &app,
            Method::PUT,
            &format!("{path}/sys-admin"),
            &acme.auth,
            None,
        )
        .await,
        StatusCode::FORBIDDEN,
    );
    error(
        ce(
            &app,
            Method::PUT,
            "/accounts/99999999/roles/admin",
            &acme.auth,
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
    );
    let granted = ce(
        &app,
        Method::PUT,
        &format!("{path}/admin"),
        &acme.auth,
        None,
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(granted["name"], "Administrator");
    error(
        ce(
            &app,
            Method::PUT,
            &format!("{path}/admin"),
            &acme.auth,
            None,
        )
        .await,
        StatusCode::CONFLICT,
    );
    assert_eq!(
        role_keys(&get(&app, &path, &acme.auth).await.expect(StatusCode::OK)),
        ["admin"]
    );
    ce(
        &app,
        Method::DELETE,
        &format!("{path}/admin"),
        &acme.auth,
        None,
    )
    .await
    .expect(StatusCode::OK);
    error(
        ce(
            &app,
            Method::DELETE,
            &format!("{path}/admin"),
            &acme.auth,
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
    );
}

crate::on_both_databases!(
    user_roles_follow_the_vendor_rules,
    account_roles_follow_the_vendor_rules,
);
