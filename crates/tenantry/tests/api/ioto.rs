//! The Ioto surface on the wire: documented requests in, documented shapes out (snapshots),
//! every error as text/plain with Ioto's status, role boundaries and cross-account probes.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp};

/// An Ioto call: POST, JSON body, `Authorization: <token>` (raw, as Ioto's clients send it).
async fn ioto(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> Reply {
    let mut request = Request::post(format!("/compat/ioto{path}"))
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, token);
    }
    app.raw_text(request.body(Body::from(body.to_string())).unwrap())
        .await
}

async fn cognito(app: &TestApp, action: &str, body: Value) -> Reply {
    let request = Request::post("/compat/ioto/cognito")
        .header(
            "x-amz-target",
            format!("AWSCognitoIdentityProviderService.{action}"),
        )
        .header(header::CONTENT_TYPE, "application/x-amz-json-1.1")
        .body(Body::from(body.to_string()))
        .unwrap();
    app.raw_text(request).await
}

#[track_caller]
fn text_error(reply: &Reply, status: StatusCode) -> String {
    assert_eq!(reply.status, status, "{}", reply.body);
    let content_type = reply
        .headers
        .get(header::CONTENT_TYPE)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    reply.body.as_str().unwrap().to_owned()
}

async fn sign_up_and_log_in(app: &TestApp, email: &str) -> (String, Value) {
    let reply = cognito(
        app,
        "SignUp",
        json!({"ClientId": "web", "Username": email, "Password": "a long passphrase",
               "UserAttributes": [{"Name": "email", "Value": email}]}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let tokens = cognito(
        app,
        "InitiateAuth",
        json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": "web",
               "AuthParameters": {"USERNAME": email, "PASSWORD": "a long passphrase"}}),
    )
    .await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
    let access = tokens.body["AuthenticationResult"]["AccessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    (access, tokens.body)
}

const RECORD: &[(&str, &str)] = &[
    (".id", "[id]"),
    (".accountId", "[id]"),
    (".created", "[date]"),
    (".activity", "[date]"),
];

async fn cognito_sign_up_then_user_login(app: TestApp) {
    let (access, tokens) = sign_up_and_log_in(&app, "ann@device.example").await;
    let result = &tokens["AuthenticationResult"];
    assert_eq!(result["TokenType"], "Bearer");
    assert_eq!(result["ExpiresIn"], 3600);
    assert_eq!(
        result["IdToken"].as_str().unwrap().split('.').count(),
        3,
        "a JWT"
    );
    let refresh = result["RefreshToken"].as_str().unwrap().to_owned();

    let login = ioto(&app, "/user/login", Some(&access), json!({})).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    insta::assert_json_snapshot!("ioto_user_login", login.body, {
        ".account.id" => "[id]", ".account.created" => "[date]", ".account.activity" => "[date]",
        ".user.id" => "[id]", ".user.accountId" => "[id]",
        ".user.created" => "[date]", ".user.activity" => "[date]",
    });
    assert_eq!(login.body["user"]["accountId"], login.body["account"]["id"]);

    // Cognito clients keep one refresh token for its whole life; each refresh replaces the
    // access token.
    let mut latest = access.clone();
    for _ in 0..2 {
        let renewed = cognito(
            &app,
            "InitiateAuth",
            json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "AuthParameters": {"REFRESH_TOKEN": refresh}}),
        )
        .await;
        assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.body);
        let fresh = renewed.body["AuthenticationResult"]["AccessToken"]
            .as_str()
            .unwrap();
        assert_eq!(
            ioto(&app, "/user/get", Some(fresh), json!({})).await.status,
            StatusCode::OK
        );
        let stale = ioto(&app, "/user/get", Some(&latest), json!({})).await;
        text_error(&stale, StatusCode::FORBIDDEN);
        latest = fresh.to_owned();
    }
    // "Bearer <token>" works too.
    let bearer = format!("Bearer {latest}");
    assert_eq!(
        ioto(&app, "/account/get", Some(&bearer), json!({}))
            .await
            .status,
        StatusCode::OK
    );
}

async fn cognito_errors_are_cognitos(app: TestApp) {
    sign_up_and_log_in(&app, "ann@device.example").await;
    let wrong = cognito(
        &app,
        "InitiateAuth",
        json!({"AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "ann@device.example", "PASSWORD": "nope nope nope"}}),
    )
    .await;
    let unknown = cognito(
        &app,
        "InitiateAuth",
        json!({"AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "who@device.example", "PASSWORD": "nope nope nope"}}),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong.body, unknown.body, "no hint whether the user exists");
    assert_eq!(wrong.body["__type"], "NotAuthorizedException");
    assert_eq!(
        wrong.headers.get(header::CONTENT_TYPE).unwrap(),
        "application/x-amz-json-1.1"
    );
    let again = cognito(
        &app,
        "SignUp",
        json!({"Username": "ann@device.example", "Password": "another passphrase"}),
    )
    .await;
    assert_eq!(again.body["__type"], "UsernameExistsException");
    let weak = cognito(
        &app,
        "SignUp",
        json!({"Username": "bob@device.example", "Password": "short"}),
    )
    .await;
    assert_eq!(weak.body["__type"], "InvalidPasswordException");
    let flow = cognito(&app, "InitiateAuth", json!({"AuthFlow": "CUSTOM_AUTH"})).await;
    assert_eq!(flow.body["__type"], "InvalidParameterException");
    let action = cognito(&app, "DeleteUser", json!({})).await;
    assert_eq!(action.status, StatusCode::BAD_REQUEST);
}

async fn cloud_api_token_manages_accounts(app: TestApp) {
    let owner = app.owner.clone();
    let created = ioto(
        &app,
        "/account/create",
        Some(&owner),
        json!({"email": "admin@acme.example", "name": "Acme"}),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    insta::assert_json_snapshot!("ioto_account_create", created.body, {
        ".account.id" => "[id]", ".account.created" => "[date]", ".account.activity" => "[date]",
        ".user.id" => "[id]", ".user.accountId" => "[id]",
        ".user.created" => "[date]", ".user.activity" => "[date]",
    });
    let id = created.body["account"]["id"].as_str().unwrap().to_owned();
    let dup = ioto(
        &app,
        "/account/create",
        Some(&owner),
        json!({"email": "ADMIN@acme.example", "name": "Again"}),
    )
    .await;
    text_error(&dup, StatusCode::BAD_REQUEST);

    let got = ioto(&app, "/account/get", Some(&owner), json!({"id": id})).await;
    assert_eq!(got.status, StatusCode::OK);
    insta::assert_json_snapshot!("ioto_account_get", got.body, {
        ".id" => "[id]", ".created" => "[date]", ".activity" => "[date]",
    });
    let by_email = ioto(
        &app,
        "/account/get",
        Some(&owner),
        json!({"email": "admin@acme.example"}),
    )
    .await;
    assert_eq!(by_email.body["id"], id.as_str());

    let updated = ioto(
        &app,
        "/account/updateIdentity",
        Some(&owner),
        json!({"id": id, "name": "Acme Corp"}),
    )
    .await;
    assert_eq!(updated.body["name"], "Acme Corp");

    // /tok/… is the CloudAPI path; find lists top-level accounts, paged.
    ioto(
        &app,
        "/account/create",
        Some(&owner),
        json!({"email": "b@b.example", "name": "B"}),
    )
    .await;
    ioto(
        &app,
        "/account/create",
        Some(&owner),
        json!({"email": "c@c.example", "name": "C"}),
    )
    .await;
    let first = ioto(&app, "/tok/account/find?limit=2", Some(&owner), json!({})).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body["paged"], true);
    assert_eq!(first.body["data"].as_array().unwrap().len(), 2);
    assert!(
        first.body.get("prev").is_none(),
        "no prev on the first page"
    );
    let next = first.body["next"].as_str().unwrap();
    let second = ioto(
        &app,
        "/tok/account/find",
        Some(&owner),
        json!({"_params": {"limit": 2, "next": next}}),
    )
    .await;
    assert_eq!(second.body["data"].as_array().unwrap().len(), 1);
    assert!(
        second.body.get("next").is_none(),
        "no next on the last page"
    );
    let prev = second.body["prev"].as_str().unwrap();
    let back = ioto(
        &app,
        "/tok/account/find",
        Some(&owner),
        json!({"_params": {"limit": 2, "prev": prev}}),
    )
    .await;
    assert_eq!(
        back.body["data"], first.body["data"],
        "prev leads back to the first page"
    );
    let filtered = ioto(
        &app,
        "/tok/account/find?filter=corp",
        Some(&owner),
        json!({}),
    )
    .await;
    assert_eq!(filtered.body["data"].as_array().unwrap().len(), 1);

    let closed = ioto(&app, "/account/close", Some(&owner), json!({"id": id})).await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.body);
    let gone = ioto(&app, "/account/get", Some(&owner), json!({"id": id})).await;
    assert_eq!(
        text_error(&gone, StatusCode::NOT_FOUND),
        "Cannot find account"
    );
}

async fn roles_and_fields_are_enforced(app: TestApp) {
    let (owner, login) = {
        let (access, _) = sign_up_and_log_in(&app, "owner@acme.example").await;
        let login = ioto(&app, "/user/login", Some(&access), json!({})).await;
        (access, login.body)
    };
    let account = login["account"]["id"].as_str().unwrap().to_owned();
    // The owner creates an admin and a user; their passwords are set through the native API
    // here (Ioto's own path is an invitation mail).
    let account_id: i64 = account.parse().unwrap();
    let mut tokens = Vec::new();
    for (email, role) in [
        ("admin@acme.example", "admin"),
        ("user@acme.example", "user"),
    ] {
        let made = ioto(
            &app,
            "/user/create",
            Some(&owner),
            json!({"email": email, "role": role}),
        )
        .await;
        assert_eq!(made.status, StatusCode::OK, "{}", made.body);
        insta::assert_json_snapshot!(format!("ioto_user_create_{role}"), made.body, {
            ".id" => "[id]", ".accountId" => "[id]", ".created" => "[date]", ".activity" => "[date]",
        });
        let id = made.body["id"].as_str().unwrap();
        app.delete(&format!("/api/users/{id}"), &app.owner).await;
        tokens.push(app.user(account_id, email, role).await.1);
    }
    let (admin, user) = (tokens[0].clone(), tokens[1].clone());

    // Endpoint roles.
    let refused = ioto(
        &app,
        "/user/create",
        Some(&user),
        json!({"email": "x@acme.example", "role": "user"}),
    )
    .await;
    assert!(text_error(&refused, StatusCode::FORBIDDEN).contains("admin"));
    let refused = ioto(&app, "/user/getRoles", Some(&user), json!({})).await;
    text_error(&refused, StatusCode::FORBIDDEN);
    let roles = ioto(&app, "/user/getRoles", Some(&admin), json!({})).await;
    assert_eq!(roles.body["owner"]["rank"], 40);
    // Nobody grants above their rank.
    let refused = ioto(
        &app,
        "/user/create",
        Some(&admin),
        json!({"email": "o2@acme.example", "role": "owner"}),
    )
    .await;
    text_error(&refused, StatusCode::FORBIDDEN);
    // Fields marked admin/owner.
    let refused = ioto(
        &app,
        "/user/get",
        Some(&user),
        json!({"email": "admin@acme.example"}),
    )
    .await;
    text_error(&refused, StatusCode::FORBIDDEN);
    let refused = ioto(&app, "/account/get", Some(&admin), json!({"id": account})).await;
    text_error(&refused, StatusCode::FORBIDDEN);
    let refused = ioto(
        &app,
        "/user/find",
        Some(&admin),
        json!({"accountId": account}),
    )
    .await;
    text_error(&refused, StatusCode::FORBIDDEN);
    let refused = ioto(&app, "/account/find?index=gs1", Some(&admin), json!({})).await;
    text_error(&refused, StatusCode::FORBIDDEN);

    // A user finds only themselves; an admin everyone in the account.
    let mine = ioto(&app, "/user/find", Some(&user), json!({})).await;
    assert_eq!(mine.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(mine.body["data"][0]["email"], "user@acme.example");
    let all = ioto(&app, "/user/find", Some(&admin), json!({})).await;
    assert_eq!(all.body["data"].as_array().unwrap().len(), 3);

    // Updates: themselves, or others as admin; role changes; the last owner stays.
    let me = ioto(
        &app,
        "/user/update",
        Some(&user),
        json!({"first": "Uma", "last": "Ser", "preferences": {"theme": "dark"}}),
    )
    .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(
        (
            me.body["first"].as_str(),
            me.body["preferences"]["theme"].as_str()
        ),
        (Some("Uma"), Some("dark"))
    );
    let admin_id = all.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["role"] == "admin")
        .unwrap()["id"]
        .clone();
    let owner_id = login["user"]["id"].clone();
    let refused = ioto(
        &app,
        "/user/update",
        Some(&user),
        json!({"id": admin_id, "first": "X"}),
    )
    .await;
    text_error(&refused, StatusCode::FORBIDDEN);
    let promoted = ioto(
        &app,
        "/user/updateRole",
        Some(&owner),
        json!({"id": admin_id, "role": "owner"}),
    )
    .await;
    assert_eq!(promoted.body["role"], "owner", "{}", promoted.body);
    let demoted = ioto(
        &app,
        "/user/updateRole",
        Some(&owner),
        json!({"id": admin_id, "role": "admin"}),
    )
    .await;
    assert_eq!(demoted.body["role"], "admin");
    let last = ioto(
        &app,
        "/user/remove",
        Some(&app.owner.clone()),
        json!({"id": owner_id}),
    )
    .await;
    assert!(text_error(&last, StatusCode::BAD_REQUEST).contains("last owner"));
    let removed = ioto(
        &app,
        "/user/remove",
        Some(&admin),
        json!({"email": "user@acme.example"}),
    )
    .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    let gone = ioto(
        &app,
        "/user/get",
        Some(&admin),
        json!({"email": "user@acme.example"}),
    )
    .await;
    assert_eq!(text_error(&gone, StatusCode::NOT_FOUND), "Cannot find user");
}

async fn other_accounts_are_out_of_reach(app: TestApp) {
    let (a_owner, _) = sign_up_and_log_in(&app, "a@a.example").await;
    let (b_owner, _) = sign_up_and_log_in(&app, "b@b.example").await;
    let b = ioto(&app, "/user/login", Some(&b_owner), json!({}))
        .await
        .body;
    let b_account = b["account"]["id"].as_str().unwrap().to_owned();
    let b_user = b["user"]["id"].as_str().unwrap().to_owned();
    for (path, body) in [
        ("/account/get", json!({"id": b_account})),
        (
            "/account/updateIdentity",
            json!({"id": b_account, "name": "Mine"}),
        ),
        ("/account/close", json!({"id": b_account})),
        ("/user/get", json!({"id": b_user})),
        ("/user/update", json!({"id": b_user, "first": "Mine"})),
        ("/user/updateRole", json!({"id": b_user, "role": "user"})),
        ("/user/remove", json!({"id": b_user})),
        ("/user/find", json!({"id": b_user})),
    ] {
        let reply = ioto(&app, path, Some(&a_owner), body).await;
        // Not found (outside the caller's reach), never a success.
        assert!(
            matches!(reply.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN)
                || reply.body["data"].as_array().is_some_and(Vec::is_empty),
            "{path}: {} {}",
            reply.status,
            reply.body
        );
    }
    let still = ioto(&app, "/user/login", Some(&b_owner), json!({})).await;
    assert_eq!(still.body["account"]["name"], b["account"]["name"]);
    // The CloudAPI path refuses user tokens.
    let refused = ioto(&app, "/tok/account/find", Some(&a_owner), json!({})).await;
    text_error(&refused, StatusCode::FORBIDDEN);
}

async fn invitations_join_the_inviting_account(app: TestApp) {
    let (owner, _) = sign_up_and_log_in(&app, "owner@acme.example").await;
    let account = ioto(&app, "/account/get", Some(&owner), json!({}))
        .await
        .body["id"]
        .clone();
    let invited = ioto(
        &app,
        "/user/create",
        Some(&owner),
        json!({"email": "new@acme.example", "role": "admin", "sendInvite": true}),
    )
    .await;
    assert_eq!(invited.status, StatusCode::OK, "{}", invited.body);
    assert_eq!(invited.body["accountId"], account);
    let audit = app.get("/api/audit?limit=10", &app.owner).await.body;
    let actions: Vec<&str> = audit["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["action"].as_str())
        .collect();
    assert!(actions.contains(&"invitation.create"), "{actions:?}");
    // Nobody takes over the invited address by signing up with it: that needs the token from
    // the invitation mail.
    let hijack = cognito(
        &app,
        "SignUp",
        json!({"Username": "new@acme.example", "Password": "a long passphrase"}),
    )
    .await;
    assert_eq!(hijack.body["__type"], "UsernameExistsException");
    let forged = cognito(
        &app,
        "SignUp",
        json!({"Username": "new@acme.example", "Password": "a long passphrase",
               "ClientMetadata": {"invitation": "tnt_iv_forged"}}),
    )
    .await;
    assert_eq!(forged.body["__type"], "UsernameExistsException");
    let bad = ioto(
        &app,
        "/user/login",
        Some(&owner),
        json!({"invite": "999999"}),
    )
    .await;
    text_error(&bad, StatusCode::BAD_REQUEST);
}

async fn bad_requests_are_plain_text(app: TestApp) {
    let missing = ioto(&app, "/account/get", None, json!({})).await;
    text_error(&missing, StatusCode::FORBIDDEN);
    let garbage = ioto(&app, "/account/get", Some("not-a-token"), json!({})).await;
    text_error(&garbage, StatusCode::FORBIDDEN);
    let owner = app.owner.clone();
    let malformed = Request::post("/compat/ioto/account/get")
        .header(header::AUTHORIZATION, owner.as_str())
        .body(Body::from("{\"id\":"))
        .unwrap();
    text_error(&app.raw_text(malformed).await, StatusCode::BAD_REQUEST);
    let wrong_type = ioto(&app, "/account/get", Some(&owner), json!({"id": "abc"})).await;
    text_error(&wrong_type, StatusCode::BAD_REQUEST);
    let no_id = ioto(&app, "/account/get", Some(&owner), json!({})).await;
    text_error(&no_id, StatusCode::BAD_REQUEST);
    let get = app
        .raw_text(
            Request::get("/compat/ioto/account/get")
                .header(header::AUTHORIZATION, owner.as_str())
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    text_error(&get, StatusCode::METHOD_NOT_ALLOWED);
    let unknown = ioto(&app, "/device/claim", Some(&owner), json!({})).await;
    text_error(&unknown, StatusCode::NOT_FOUND);
    let bad_limit = ioto(&app, "/account/find?limit=0", Some(&owner), json!({})).await;
    text_error(&bad_limit, StatusCode::BAD_REQUEST);
    let bad_cursor = ioto(
        &app,
        "/account/find",
        Some(&owner),
        json!({"_params": {"next": "forged"}}),
    )
    .await;
    text_error(&bad_cursor, StatusCode::BAD_REQUEST);
    let _ = RECORD;
}

crate::on_both_databases!(
    cognito_sign_up_then_user_login,
    cognito_errors_are_cognitos,
    cloud_api_token_manages_accounts,
    roles_and_fields_are_enforced,
    other_accounts_are_out_of_reach,
    invitations_join_the_inviting_account,
    bad_requests_are_plain_text,
);
