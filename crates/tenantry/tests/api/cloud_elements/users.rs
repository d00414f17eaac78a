//! Users: the seed's create replayed and compared, the 404 for an account without users,
//! secrets behind the password header, updates, deactivation and the hard delete.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

use super::{BASE, ce, error, get, keys, org, sorted};
use crate::helpers::{PASSWORD, TestApp};

/// The seed's example answer to `POST /accounts/{id}/users`, keys only.
const CREATED_KEYS: &[&str] = &[
    "id",
    "createdDate",
    "firstName",
    "email",
    "active",
    "lastName",
    "accountExpired",
    "accountLocked",
    "credentialsExpired",
    "roles",
    "secret",
    "lastLoginDate",
    "emailValid",
    "accountNonExpired",
    "credentialsNonExpired",
    "accountNonLocked",
    "enabled",
    "fullName",
];

async fn users_replay_the_seed(app: TestApp) {
    let acme = org(&app, "Acme", "boss@acme.test").await;
    let account = ce(
        &app,
        Method::POST,
        "/accounts",
        &acme.auth,
        Some(json!({"externalId": "4022"})),
    )
    .await
    .expect(StatusCode::OK)["id"]
        .as_i64()
        .unwrap();
    let users = format!("/accounts/{account}/users");
    // No users yet: the vendor's 404.
    let none = error(get(&app, &users, &acme.auth).await, StatusCode::NOT_FOUND);
    assert_eq!(none["message"], "No users found");
    // The seed's request, with an address field.
    let created = ce(
        &app,
        Method::POST,
        &users,
        &acme.auth,
        Some(
            json!({"firstName": "First", "lastName": "Last", "email": "FirstLast@company.com",
                    "password": PASSWORD, "roles": [{"key": "admin"}], "city": "Denver"}),
        ),
    )
    .await
    .expect(StatusCode::OK);
    let mut expected = sorted(CREATED_KEYS);
    expected.push("city".to_owned());
    expected.sort();
    assert_eq!(keys(&created), expected, "{created}");
    assert_eq!(created["fullName"], "First Last");
    assert_eq!(created["lastLoginDate"], "1970-01-01");
    assert_eq!(created["active"], true);
    assert_eq!(created["enabled"], true);
    assert_eq!(created["accountExpired"], false);
    assert_eq!(created["city"], "Denver");
    let roles: Vec<&str> = created["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["admin", "user"]);
    assert_eq!(
        created["roles"][0],
        json!({"id": 3, "name": "Administrator", "key": "admin", "active": true,
               "description": "Cloud Elements Application Administrator.", "features": []})
    );
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 44);
    let id = created["id"].as_i64().unwrap();
    // Duplicate email: 409; empty body or missing fields: 400.
    let again = json!({"firstName": "F", "lastName": "L", "email": "firstlast@company.com", "password": PASSWORD});
    error(
        ce(&app, Method::POST, &users, &acme.auth, Some(again)).await,
        StatusCode::CONFLICT,
    );
    error(
        ce(&app, Method::POST, &users, &acme.auth, Some(json!({}))).await,
        StatusCode::BAD_REQUEST,
    );
    error(
        ce(&app, Method::POST, &users, &acme.auth, None).await,
        StatusCode::BAD_REQUEST,
    );

    // Reading: the list, one by id or by (quoted) email, never the secret without the password.
    let listed = get(&app, &users, &acme.auth).await.expect(StatusCode::OK);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(listed[0].get("secret").is_none() && listed[0].get("roles").is_none());
    assert_eq!(listed[0]["password"], "secured");
    let by_email = get(
        &app,
        &format!("{users}/'FirstLast@company.com'"),
        &acme.auth,
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(by_email["id"], id);
    let plain = get(&app, &format!("/users/{id}"), &acme.auth)
        .await
        .expect(StatusCode::OK);
    assert!(plain.get("secret").is_none());
    let with_password = |password: &str| {
        Request::get(format!("{BASE}/api-v2/users/{id}"))
            .header(header::AUTHORIZATION, acme.auth.as_str())
            .header("elements-user-password", password)
            .body(Body::empty())
            .unwrap()
    };
    let revealed = app
        .raw(with_password(PASSWORD))
        .await
        .expect(StatusCode::OK);
    assert_eq!(revealed["secret"], secret.as_str());
    error(
        app.raw(with_password("a wrong password here")).await,
        StatusCode::FORBIDDEN,
    );

    // The user's own secrets work on /users (their part of the tree), not on /accounts.
    let company = acme.auth.rsplit(' ').next().unwrap();
    let theirs = format!("User {secret}, Organization {company}");
    let seen = get(&app, "/users", &theirs).await.expect(StatusCode::OK);
    assert_eq!(seen[0]["id"], id);
    error(
        get(&app, "/accounts", &theirs).await,
        StatusCode::UNAUTHORIZED,
    );

    // CEQL over users, and the paging headers.
    let found = get(
        &app,
        "/users?where=firstName%3D%27first%27%20AND%20active%3Dtrue",
        &acme.auth,
    )
    .await;
    assert_eq!(found.headers["elements-total-count"], "1");
    assert_eq!(found.body[0]["id"], id);

    // Update: fields, then deactivation (their secrets stop working), then the hard delete.
    let patched = ce(
        &app,
        Method::PATCH,
        &format!("/users/{id}"),
        &acme.auth,
        Some(json!({"firstName": "Neta", "password": "a brand new passphrase"})),
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(patched["fullName"], "Neta Last");
    assert_eq!(patched["password"], "secured");
    assert_eq!(patched["city"], "Denver");
    // Address fields sent replace those stored; the others stay. An empty PATCH is a 400.
    let moved = ce(
        &app,
        Method::PATCH,
        &format!("/users/{id}"),
        &acme.auth,
        Some(json!({"street1": "1 Main St"})),
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(
        (moved["city"].clone(), moved["street1"].clone()),
        (json!("Denver"), json!("1 Main St"))
    );
    error(
        ce(
            &app,
            Method::PATCH,
            &format!("/users/{id}"),
            &acme.auth,
            Some(json!({})),
        )
        .await,
        StatusCode::BAD_REQUEST,
    );
    let off = ce(
        &app,
        Method::PATCH,
        &format!("/users/{id}"),
        &acme.auth,
        Some(json!({"active": false})),
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(
        (off["active"].clone(), off["enabled"].clone()),
        (Value::Bool(false), Value::Bool(false))
    );
    assert!(off.get("password").is_none());
    error(get(&app, "/users", &theirs).await, StatusCode::UNAUTHORIZED);
    let account_patch = ce(
        &app,
        Method::PATCH,
        &format!("{users}/{id}"),
        &acme.auth,
        Some(json!({"lastName": "Alfaro"})),
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(account_patch["lastName"], "Alfaro");
    let deleted = ce(
        &app,
        Method::DELETE,
        &format!("/users/{id}"),
        &acme.auth,
        None,
    )
    .await;
    assert_eq!(
        (deleted.status, deleted.body),
        (StatusCode::OK, Value::Null)
    );
    error(
        get(&app, &format!("/users/{id}"), &acme.auth).await,
        StatusCode::NOT_FOUND,
    );
    error(
        get(&app, "/users/-1", &acme.auth).await,
        StatusCode::NOT_FOUND,
    );
    // Nobody deletes themselves.
    error(
        ce(
            &app,
            Method::DELETE,
            &format!("/users/{}", acme.admin),
            &acme.auth,
            None,
        )
        .await,
        StatusCode::FORBIDDEN,
    );
}

async fn wire_habits_hold(app: TestApp) {
    let acme = org(&app, "Acme", "boss@acme.test").await;
    // Not JSON: 415. A literal null body on PUT and DELETE is fine.
    let xml = Request::post(format!("{BASE}/api-v2/accounts"))
        .header(header::AUTHORIZATION, acme.auth.as_str())
        .header(header::CONTENT_TYPE, "application/xml")
        .body(Body::from("<account/>"))
        .unwrap();
    error(app.raw(xml).await, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let account = ce(
        &app,
        Method::POST,
        "/accounts",
        &acme.auth,
        Some(json!({"externalId": "n"})),
    )
    .await
    .expect(StatusCode::OK)["id"]
        .as_i64()
        .unwrap();
    ce(
        &app,
        Method::PUT,
        &format!("/accounts/{account}/roles/admin"),
        &acme.auth,
        Some(Value::Null),
    )
    .await
    .expect(StatusCode::OK);
    ce(
        &app,
        Method::DELETE,
        &format!("/accounts/{account}/roles/admin"),
        &acme.auth,
        Some(Value::Null),
    )
    .await
    .expect(StatusCode::OK);
    // Malformed JSON: 400; a wrong verb: 405; nowhere: 404.
    let broken = Request::post(format!("{BASE}/api-v2/accounts"))
        .header(header::AUTHORIZATION, acme.auth.as_str())
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"externalId\":"))
        .unwrap();
    error(app.raw(broken).await, StatusCode::BAD_REQUEST);
    error(
        ce(&app, Method::PUT, "/accounts", &acme.auth, None).await,
        StatusCode::METHOD_NOT_ALLOWED,
    );
    error(
        get(&app, "/instances", &acme.auth).await,
        StatusCode::NOT_FOUND,
    );
    // Creates answer 200, never 201.
    let created = ce(
        &app,
        Method::POST,
        "/accounts",
        &acme.auth,
        Some(json!({"externalId": "m"})),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK);
    // No field is ever sent as null.
    fn no_nulls(value: &Value) -> bool {
        match value {
            Value::Null => false,
            Value::Array(items) => items.iter().all(no_nulls),
            Value::Object(map) => map.values().all(no_nulls),
            _ => true,
        }
    }
    let listed = get(&app, "/accounts", &acme.auth)
        .await
        .expect(StatusCode::OK);
    assert!(no_nulls(&listed), "{listed}");
    let users = get(&app, "/users", &acme.auth).await.expect(StatusCode::OK);
    assert!(no_nulls(&users), "{users}");
}

crate::on_both_databases!(users_replay_the_seed, wire_habits_hold);
