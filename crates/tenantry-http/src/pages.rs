//! The small HTML pages that the links in Tenantry's mails open: accept an invitation (choose a
//! password), reset a password, confirm an email address. Each is a plain form posting back to
//! its own path, so a newcomer can follow a mailed link with nothing but a browser.
//!
//! The token travels in the link's query string, so every page forbids referrers (the token
//! must not leak to another site), caching and framing, and allows no script at all.

use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;
use tenantry_core::Error;
use tenantry_core::mail::templates::escape;
use tenantry_core::values::Password;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/invitations/accept", get(accept_form).post(accept_submit))
        .route("/password/reset", get(reset_form).post(reset_submit))
        .route("/email/verify", get(verify_form).post(verify_submit))
}

#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    token: String,
    password: String,
    confirm: String,
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    token: String,
}

async fn accept_form(State(app): State<AppState>, Query(q): Query<TokenQuery>) -> Response {
    password_page(
        &app,
        "Accept your invitation",
        "/invitations/accept",
        q.token,
    )
}

async fn reset_form(State(app): State<AppState>, Query(q): Query<TokenQuery>) -> Response {
    password_page(&app, "Choose a new password", "/password/reset", q.token)
}

async fn verify_form(State(app): State<AppState>, Query(q): Query<TokenQuery>) -> Response {
    let Some(token) = q.token.filter(|t| !t.is_empty()) else {
        return missing_token(&app);
    };
    let body = format!(
        "<form method=\"post\" action=\"/email/verify\">\n\
         <input type=\"hidden\" name=\"token\" value=\"{}\">\n\
         <button type=\"submit\">Confirm my email address</button>\n</form>",
        escape(&token)
    );
    page(&app, StatusCode::OK, "Confirm your email address", &body)
}

async fn accept_submit(
    State(app): State<AppState>,
    form: Result<Form<PasswordForm>, FormRejection>,
) -> Response {
    let (token, password) = match checked_password(form) {
        Ok(parsed) => parsed,
        Err(message) => return failure(&app, "Accept your invitation", &message),
    };
    match app
        .services
        .invitations
        .accept(&token, &password, None)
        .await
    {
        Ok(user) => {
            let body = format!(
                "<p>Welcome! The password of <b>{}</b> is set. You can now log in.</p>",
                escape(&user.email)
            );
            page(&app, StatusCode::OK, "Invitation accepted", &body)
        }
        Err(error) => failure(&app, "Accept your invitation", &explain(&error)),
    }
}

async fn reset_submit(
    State(app): State<AppState>,
    form: Result<Form<PasswordForm>, FormRejection>,
) -> Response {
    let (token, password) = match checked_password(form) {
        Ok(parsed) => parsed,
        Err(message) => return failure(&app, "Choose a new password", &message),
    };
    match app
        .services
        .onboarding
        .reset_password(&token, &password, None)
        .await
    {
        Ok(_) => page(
            &app,
            StatusCode::OK,
            "Password changed",
            "<p>Your new password is set, and every earlier session has ended. \
             You can now log in.</p>",
        ),
        Err(error) => failure(&app, "Choose a new password", &explain(&error)),
    }
}

async fn verify_submit(
    State(app): State<AppState>,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return failure(
            &app,
            "Confirm your email address",
            "The form was incomplete.",
        );
    };
    match app
        .services
        .onboarding
        .verify_email(&form.token, None)
        .await
    {
        Ok(user) => {
            let body = format!(
                "<p>Thank you: <b>{}</b> is confirmed.</p>",
                escape(&user.email)
            );
            page(&app, StatusCode::OK, "Email address confirmed", &body)
        }
        Err(error) => failure(&app, "Confirm your email address", &explain(&error)),
    }
}

fn checked_password(
    form: Result<Form<PasswordForm>, FormRejection>,
) -> Result<(String, Password), String> {
    let Ok(Form(form)) = form else {
        return Err("The form was incomplete.".to_owned());
    };
    if form.password != form.confirm {
        return Err("The two passwords differ.".to_owned());
    }
    let password = Password::parse(&form.password).map_err(|m| format!("The password {m}."))?;
    Ok((form.token, password))
}

/// What went wrong, in words for the person at the browser; internals stay in the log.
fn explain(error: &Error) -> String {
    match error {
        Error::Invalid { .. } | Error::Conflict(_) | Error::NotFound(_) => {
            "This link is invalid, was used already, or has expired. Ask for a new one.".to_owned()
        }
        Error::RateLimited { .. } => "Too many attempts; try again later.".to_owned(),
        _ => {
            tracing::error!(error = %error, "a mailed-link page failed");
            "Something went wrong on our side; please try again later.".to_owned()
        }
    }
}

fn password_page(app: &AppState, title: &str, action: &str, token: Option<String>) -> Response {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return missing_token(app);
    };
    let body = format!(
        "<form method=\"post\" action=\"{action}\">\n\
         <input type=\"hidden\" name=\"token\" value=\"{}\">\n\
         <p><label>Password (at least 8 characters)<br>\
         <input type=\"password\" name=\"password\" autocomplete=\"new-password\" minlength=\"8\" required></label></p>\n\
         <p><label>Repeat the password<br>\
         <input type=\"password\" name=\"confirm\" autocomplete=\"new-password\" minlength=\"8\" required></label></p>\n\
         <button type=\"submit\">Save</button>\n</form>",
        escape(&token)
    );
    page(app, StatusCode::OK, title, &body)
}

fn missing_token(app: &AppState) -> Response {
    page(
        app,
        StatusCode::BAD_REQUEST,
        "Link incomplete",
        "<p>This link lacks its token. Open the whole link from the mail.</p>",
    )
}

fn failure(app: &AppState, title: &str, message: &str) -> Response {
    let body = format!("<p class=\"error\">{}</p>", escape(message));
    page(app, StatusCode::UNPROCESSABLE_ENTITY, title, &body)
}

fn page(app: &AppState, status: StatusCode, title: &str, body: &str) -> Response {
    let product = escape(&app.product_name);
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>{title} · {product}</title>\
         <style>body{{font-family:sans-serif;max-width:30em;margin:3em auto;padding:0 1em}}\
         .error{{color:#a00}}</style></head>\n<body>\n<h1>{title}</h1>\n{body}\n\
         <p><small>{product}</small></p>\n</body></html>\n",
        title = escape(title),
    );
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
             frame-ancestors 'none'",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}
