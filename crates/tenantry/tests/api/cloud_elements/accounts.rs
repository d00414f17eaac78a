//! `/accounts`: the seed's requests replayed, its answers compared field for field, the soft
//! delete, CEQL, and paging by offset and by token.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Org, ce, error, get, keys, org, sorted};
use crate::helpers::{PASSWORD, TestApp};

const ACCOUNT_KEYS: &[&str] = &[
    "id",
    "name",
    "description",
    "active",
    "companyId",
    "createdDate",
    "externalId",
    "defaultAccount",
    "type",
];

fn today() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    )
}

async fn create(app: &TestApp, acme: &Org, body: Value) -> Value {
    ce(app, Method::POST, "/accounts", &acme.auth, Some(body))
        .await
        .expect(StatusCode::OK)
}

async fn accounts_replay_the_seed(app: TestApp) {
    let acme = org(&app, "Company Default Account", "you@yourcompany.com").await;
    // The Default account, as the seed's first example shows it.
    let listed = get(&app, "/accounts", &acme.auth)
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        listed,
        json!([{"id": acme.root, "name": "Company Default Account",
                "description": "Auto created default account for the entire company",
                "active": true, "companyId": acme.root, "createdDate": today(),
                "externalId": "you@yourcompany.com", "defaultAccount": true, "type": "Default"}])
    );
    // POST /accounts with the seed's body.
    let created = create(
        &app,
        &acme,
        json!({"name": "Account For Docs",
               "description": "This account is used to demonstrate a POST /instances request",
               "externalId": "notsorandomId"}),
    )
    .await;
    assert_eq!(keys(&created), sorted(ACCOUNT_KEYS));
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["name"], "Account For Docs");
    assert_eq!(created["active"], true);
    assert_eq!(created["companyId"], acme.root);
    assert_eq!(created["externalId"], "notsorandomId");
    assert_eq!(created["defaultAccount"], false);
    assert_eq!(created["type"], "CompanyAccount");
    // Only externalId: name and description default to it. Without it: 400. Twice: 409.
    let minimal = create(&app, &acme, json!({"externalId": "1984"})).await;
    assert_eq!(minimal["name"], "1984");
    assert_eq!(minimal["description"], "1984");
    error(
        ce(
            &app,
            Method::POST,
            "/accounts",
            &acme.auth,
            Some(json!({"name": "x"})),
        )
        .await,
        StatusCode::BAD_REQUEST,
    );
    error(
        ce(
            &app,
            Method::POST,
            "/accounts/",
            &acme.auth,
            Some(json!({"externalId": "1984"})),
        )
        .await,
        StatusCode::CONFLICT,
    );
    // GET and the seed's PATCH.
    let path = format!("/accounts/{id}");
    assert_eq!(
        get(&app, &path, &acme.auth).await.expect(StatusCode::OK),
        created
    );
    let patched = ce(
        &app,
        Method::PATCH,
        &path,
        &acme.auth,
        Some(json!({"name": "Updated Account",
                    "description": "This account is used to demonstrate a PATCH /instances request",
                    "externalId": "newRandomId"})),
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(patched["name"], "Updated Account");
    assert_eq!(patched["externalId"], "newRandomId");
    assert_eq!(patched["createdDate"], today());
    error(
        ce(&app, Method::PATCH, &path, &acme.auth, Some(json!({}))).await,
        StatusCode::BAD_REQUEST,
    );

    // Deactivation takes the account's users with it, and hides it from the list.
    let user = ce(
        &app,
        Method::POST,
        &format!("/accounts/{id}/users"),
        &acme.auth,
        Some(
            json!({"firstName": "Neta", "lastName": "Alfaro", "email": "Alfaro@mycompany.com",
                    "password": PASSWORD}),
        ),
    )
    .await
    .expect(StatusCode::OK);
    let off = ce(
        &app,
        Method::PATCH,
        &path,
        &acme.auth,
        Some(json!({"active": false})),
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(off["active"], false);
    let users = get(&app, &format!("/accounts/{id}/users"), &acme.auth)
        .await
        .expect(StatusCode::OK);
    assert_eq!(users[0]["active"], false);
    assert_eq!(users[0]["enabled"], false);
    let ids: Vec<i64> = get(&app, "/accounts", &acme.auth)
        .await
        .expect(StatusCode::OK)
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert!(!ids.contains(&id), "{ids:?}");
    let inactive = get(&app, "/accounts?where=active%3Dfalse", &acme.auth)
        .await
        .expect(StatusCode::OK);
    assert_eq!(inactive.as_array().unwrap().len(), 1);
    assert_eq!(inactive[0]["id"], id);
    // Reactivated, the account is back but its users stay deactivated.
    let on = ce(
        &app,
        Method::PATCH,
        &path,
        &acme.auth,
        Some(json!({"active": true})),
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(on["active"], true);
    let user_now = get(&app, &format!("/users/{}", user["id"]), &acme.auth)
        .await
        .expect(StatusCode::OK);
    assert_eq!(user_now["active"], false);

    // DELETE: 200, empty; the account is then inactive. The Default account cannot go.
    let deleted = ce(&app, Method::DELETE, &path, &acme.auth, None).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(deleted.body, Value::Null);
    assert_eq!(
        get(&app, &path, &acme.auth).await.expect(StatusCode::OK)["active"],
        false
    );
    ce(&app, Method::DELETE, &path, &acme.auth, None)
        .await
        .expect(StatusCode::OK);
    error(
        ce(
            &app,
            Method::DELETE,
            &format!("/accounts/{}", acme.root),
            &acme.auth,
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
    );
    error(
        ce(
            &app,
            Method::PATCH,
            &format!("/accounts/{}", acme.root),
            &acme.auth,
            Some(json!({"active": false})),
        )
        .await,
        StatusCode::BAD_REQUEST,
    );
    // Ids that are not ids, or nobody's, are simply not found.
    for missing in [
        "/accounts/-1",
        "/accounts/0",
        "/accounts/abc",
        "/accounts/99999999",
    ] {
        for method in [Method::GET, Method::PATCH, Method::DELETE] {
            let body = (method == Method::PATCH).then(|| json!({"name": "x"}));
            error(
                ce(&app, method, missing, &acme.auth, body).await,
                StatusCode::NOT_FOUND,
            );
        }
    }
}

async fn accounts_are_the_organization_administrators(app: TestApp) {
    let acme = org(&app, "Acme", "boss@acme.test").await;
    let other = org(&app, "Other", "boss@other.test").await;
    let theirs = ce(
        &app,
        Method::POST,
        "/accounts",
        &other.auth,
        Some(json!({"externalId": "o-1"})),
    )
    .await
    .expect(StatusCode::OK)["id"]
        .as_i64()
        .unwrap();
    // Another organization's account: 403.
    for method in [Method::GET, Method::DELETE] {
        error(
            ce(
                &app,
                method,
                &format!("/accounts/{theirs}"),
                &acme.auth,
                None,
            )
            .await,
            StatusCode::FORBIDDEN,
        );
    }
    // A user of the Default account who is not its administrator: 401 on /accounts.
    app.post(
        &format!("/api/accounts/{}/users", acme.root),
        &app.owner,
        json!({"email": "staff@acme.test", "role": "admin", "password": PASSWORD}),
    )
    .await
    .expect(StatusCode::CREATED);
    let staff = super::authorization(&app, "staff@acme.test").await;
    for (method, path) in [
        (Method::GET, "/accounts".to_owned()),
        (Method::POST, "/accounts".to_owned()),
        (Method::GET, format!("/accounts/{}", acme.root)),
        (Method::GET, format!("/accounts/{}/users", acme.root)),
    ] {
        let body = (method == Method::POST).then(|| json!({"externalId": "x"}));
        error(
            ce(&app, method, &path, &staff, body).await,
            StatusCode::UNAUTHORIZED,
        );
    }
    // But /users is theirs too, for the part of the tree they administer.
    get(&app, "/users", &staff).await.expect(StatusCode::OK);
    // Another organization's user, looked up by address, is as absent as nobody.
    let foreign = error(
        get(&app, "/users/'boss@other.test'", &acme.auth).await,
        StatusCode::NOT_FOUND,
    );
    let nobody = error(
        get(&app, "/users/nobody@acme.test", &acme.auth).await,
        StatusCode::NOT_FOUND,
    );
    assert_eq!(foreign["message"], nobody["message"]);
    error(
        get(&app, "/users/a@", &acme.auth).await,
        StatusCode::NOT_FOUND,
    );
}

async fn ceql_and_both_kinds_of_paging(app: TestApp) {
    let acme = org(&app, "Acme", "boss@acme.test").await;
    for n in 0..250 {
        let name = if n % 2 == 0 {
            format!("Acc {n:03}")
        } else {
            format!("Customer {n:03}")
        };
        ce(
            &app,
            Method::POST,
            "/accounts",
            &acme.auth,
            Some(json!({"name": name, "externalId": format!("x-{n}")})),
        )
        .await
        .expect(StatusCode::OK);
    }
    // The first page: 200 by default, with the total and a token for the next.
    let first = get(&app, "/accounts", &acme.auth).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.headers["elements-total-count"], "251");
    assert_eq!(first.headers["elements-returned-count"], "200");
    let token = first.headers["elements-next-page-token"]
        .to_str()
        .unwrap()
        .to_owned();
    let by_token = get(&app, &format!("/accounts?nextPage={token}"), &acme.auth).await;
    assert_eq!(by_token.headers["elements-returned-count"], "51");
    assert!(by_token.headers.get("elements-next-page-token").is_none());
    let by_offset = get(&app, "/accounts?offset=200&pageSize=200", &acme.auth).await;
    assert_eq!(by_offset.body, by_token.body);
    assert!(by_offset.headers.get("elements-next-page-token").is_none());
    // Walking by offset and by token meets every account exactly once.
    let mut seen = Vec::new();
    for offset in (0..251).step_by(60) {
        let page = get(
            &app,
            &format!("/accounts?offset={offset}&pageSize=60"),
            &acme.auth,
        )
        .await
        .expect(StatusCode::OK);
        seen.extend(
            page.as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_i64().unwrap()),
        );
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (251, 251));
    let page2 = get(&app, "/accounts?page=2&pageSize=100", &acme.auth)
        .await
        .expect(StatusCode::OK);
    assert_eq!(page2[0]["id"], seen[100]);
    // pageSize: at least 1, at most 200 (larger asks get 200).
    error(
        get(&app, "/accounts?pageSize=0", &acme.auth).await,
        StatusCode::BAD_REQUEST,
    );
    error(
        get(&app, "/accounts?pageSize=many", &acme.auth).await,
        StatusCode::BAD_REQUEST,
    );
    error(
        get(&app, "/accounts?offset=-5", &acme.auth).await,
        StatusCode::BAD_REQUEST,
    );
    error(
        get(&app, "/accounts?nextPage=forged", &acme.auth).await,
        StatusCode::BAD_REQUEST,
    );
    let capped = get(&app, "/accounts?pageSize=500", &acme.auth).await;
    assert_eq!(capped.headers["elements-returned-count"], "200");

    // CEQL from the vendor's reference, with our fields.
    let count = |body: &Value| body.as_array().unwrap().len();
    let like = get(
        &app,
        "/accounts?where=name%20LIKE%20%27Acc%25%27&pageSize=200",
        &acme.auth,
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(count(&like), 125);
    let dated = get(
        &app,
        "/accounts?where=createdDate%3E%272017-01-15%27&pageSize=5",
        &acme.auth,
    )
    .await;
    assert_eq!(dated.headers["elements-total-count"], "251");
    let ids = format!("{},{}", seen[3], seen[7]);
    let listed = get(
        &app,
        &format!("/accounts?where=id%20in%20({ids})"),
        &acme.auth,
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(count(&listed), 2);
    let exact = get(
        &app,
        "/accounts?where=name%3D%27Customer%20001%27%20AND%20type%3D%27CompanyAccount%27",
        &acme.auth,
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(count(&exact), 1);
    let default = get(&app, "/accounts?where=defaultAccount%3Dtrue", &acme.auth)
        .await
        .expect(StatusCode::OK);
    assert_eq!(default[0]["id"], acme.root);
    for bad in [
        "name%3D",
        "nosuchfield%3D1",
        "name%20LIKE%201",
        "(name%3D%27a%27",
    ] {
        let body = error(
            get(&app, &format!("/accounts?where={bad}"), &acme.auth).await,
            StatusCode::BAD_REQUEST,
        );
        assert!(body["message"].as_str().unwrap().contains("CEQL"), "{body}");
    }
}

crate::on_both_databases!(
    accounts_replay_the_seed,
    accounts_are_the_organization_administrators,
    ceql_and_both_kinds_of_paging,
);
