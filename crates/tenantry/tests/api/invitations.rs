//! Invitations, sign-up, verification and password reset on the wire: the native endpoints,
//! and the HTML pages the mailed links open.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

use crate::helpers::{PASSWORD, Reply, TestApp};

async fn page(app: &TestApp, path: &str) -> Reply {
    app.raw_text(Request::get(path).body(Body::empty()).unwrap())
        .await
}

async fn submit(app: &TestApp, path: &str, form: &[(&str, &str)]) -> Reply {
    let body = serde_urlencoded::to_string(form).unwrap();
    let request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    app.raw_text(request).await
}

fn html(reply: &Reply) -> &str {
    reply.body.as_str().unwrap()
}

async fn an_invitation_is_followed_from_its_link(app: TestApp) {
    let acme = app.account(None, "Acme", 0).await;
    let (_, admin) = app.user(acme, "admin@acme.test", "admin").await;
    let body = json!({ "email": "new@acme.test", "role": "user", "first_name": "Nia" });
    let invitation = app
        .post(&format!("/api/accounts/{acme}/invitations"), &admin, body)
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(invitation["status"], "pending");
    assert_eq!(invitation["email"], "new@acme.test");
    let listed = app
        .get(
            &format!("/api/accounts/{acme}/invitations?pending=true"),
            &admin,
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(listed.as_array().unwrap().len(), 1);

    let token = app.mailed_token("invitation", "new@acme.test").await;
    let form = page(&app, &format!("/invitations/accept?token={token}")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(form.headers[header::REFERRER_POLICY], "no-referrer");
    assert_eq!(form.headers[header::CACHE_CONTROL], "no-store");
    assert!(html(&form).contains(&format!("value=\"{token}\"")));
    let incomplete = page(&app, "/invitations/accept").await;
    assert_eq!(incomplete.status, StatusCode::BAD_REQUEST);

    let differ = [
        ("token", token.as_str()),
        ("password", "a fresh passphrase"),
        ("confirm", "another passphrase"),
    ];
    let refused = submit(&app, "/invitations/accept", &differ).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&refused).contains("differ"));
    let same = [
        ("token", token.as_str()),
        ("password", "a fresh passphrase"),
        ("confirm", "a fresh passphrase"),
    ];
    let accepted = submit(&app, "/invitations/accept", &same).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", html(&accepted));
    assert!(html(&accepted).contains("new@acme.test"));
    let again = submit(&app, "/invitations/accept", &same).await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a link works once"
    );

    let login = json!({ "email": "new@acme.test", "password": "a fresh passphrase" });
    let tokens = app
        .call(Method::POST, "/api/auth/login", None, Some(login))
        .await
        .expect(StatusCode::OK);
    let me = app
        .get("/api/me", tokens["access_token"].as_str().unwrap())
        .await
        .expect(StatusCode::OK);
    assert_eq!(me["user"]["email_verified"], true);
    assert_eq!(me["user"]["first_name"], "Nia");

    let reused = json!({ "token": token, "password": "yet another one" });
    app.call(Method::POST, "/api/invitations/accept", None, Some(reused))
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");

    // The outbox shows the mail to its tenant's administrators, never its token.
    let mails = app.get("/api/mail", &admin).await.expect(StatusCode::OK);
    assert_eq!(mails.as_array().unwrap().len(), 1);
    assert_eq!(mails[0]["kind"], "invitation");
    assert!(!mails.to_string().contains(&token));
    assert_eq!(
        mails[0]["link"],
        "/invitations/accept?token=[token withheld]"
    );
    app.get("/api/mail?status=bogus", &admin)
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
}

async fn invitations_are_resent_and_revoked(app: TestApp) {
    let acme = app.account(None, "Acme", 0).await;
    let (_, admin) = app.user(acme, "admin@acme.test", "admin").await;
    let (_, plain) = app.user(acme, "plain@acme.test", "user").await;
    let body = json!({ "email": "x@acme.test" });
    let invitation = app
        .post(
            &format!("/api/accounts/{acme}/invitations"),
            &admin,
            body.clone(),
        )
        .await
        .expect(StatusCode::CREATED);
    let id = invitation["id"].as_i64().unwrap();
    app.post(&format!("/api/accounts/{acme}/invitations"), &plain, body)
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");
    app.post(
        &format!("/api/invitations/{id}/resend"),
        &admin,
        json!(null),
    )
    .await
    .expect(StatusCode::OK);
    let revoked = app
        .delete(&format!("/api/invitations/{id}"), &admin)
        .await
        .expect(StatusCode::OK);
    assert_eq!(revoked["status"], "revoked");
    app.post(
        &format!("/api/invitations/{id}/resend"),
        &admin,
        json!(null),
    )
    .await
    .expect_error(StatusCode::CONFLICT, "conflict");
    let other = app.account(None, "Globex", 0).await;
    let (_, stranger) = app.user(other, "admin@globex.test", "owner").await;
    app.get(&format!("/api/invitations/{id}"), &stranger)
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
}

async fn recovery_answers_the_same_for_every_address(app: TestApp) {
    let acme = app.account(None, "Acme", 0).await;
    app.user(acme, "ann@acme.test", "user").await;
    let mut answers = Vec::new();
    for address in ["ann@acme.test", "nobody@acme.test"] {
        let reply = app
            .call(
                Method::POST,
                "/api/auth/password/forgot",
                None,
                Some(json!({ "email": address })),
            )
            .await;
        answers.push((reply.status, reply.body));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0].0, StatusCode::ACCEPTED);
    let token = app.mailed_token("password_reset", "ann@acme.test").await;

    let form = page(&app, &format!("/password/reset?token={token}")).await;
    assert_eq!(form.status, StatusCode::OK);
    let reset = json!({ "token": token, "password": "short" });
    app.call(Method::POST, "/api/auth/password/reset", None, Some(reset))
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let reset = json!({ "token": token, "password": "my new passphrase" });
    app.call(
        Method::POST,
        "/api/auth/password/reset",
        None,
        Some(reset.clone()),
    )
    .await
    .expect(StatusCode::NO_CONTENT);
    app.call(Method::POST, "/api/auth/password/reset", None, Some(reset))
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let old = json!({ "email": "ann@acme.test", "password": PASSWORD });
    app.call(Method::POST, "/api/auth/login", None, Some(old))
        .await
        .expect(StatusCode::UNAUTHORIZED);

    // Sign-up answers the same for a new and a registered address.
    let mut answers = Vec::new();
    for address in ["fresh@new.test", "ann@acme.test"] {
        let body = json!({ "email": address, "password": "a long passphrase" });
        let reply = app
            .call(Method::POST, "/api/auth/signup", None, Some(body))
            .await;
        answers.push((reply.status, reply.body));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0].0, StatusCode::ACCEPTED);
    let verify = app.mailed_token("verify_email", "fresh@new.test").await;
    let confirm = page(&app, &format!("/email/verify?token={verify}")).await;
    assert_eq!(confirm.status, StatusCode::OK);
    let confirmed = submit(&app, "/email/verify", &[("token", verify.as_str())]).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", html(&confirmed));
    let login = json!({ "email": "fresh@new.test", "password": "a long passphrase" });
    let tokens = app
        .call(Method::POST, "/api/auth/login", None, Some(login))
        .await
        .expect(StatusCode::OK);
    let access = tokens["access_token"].as_str().unwrap();
    let me = app.get("/api/me", access).await.expect(StatusCode::OK);
    assert_eq!(me["user"]["email_verified"], true);
    app.post("/api/me/verification", access, json!(null))
        .await
        .expect_error(StatusCode::CONFLICT, "conflict");
    let bad = json!({ "email": "not an address" });
    app.call(Method::POST, "/api/auth/password/forgot", None, Some(bad))
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
}

crate::on_both_databases!(
    an_invitation_is_followed_from_its_link,
    invitations_are_resent_and_revoked,
    recovery_answers_the_same_for_every_address,
);
