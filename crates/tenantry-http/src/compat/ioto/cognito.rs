//! A Cognito-compatible login for Ioto's clients: `POST /compat/ioto/cognito` with the header
//! `X-Amz-Target: AWSCognitoIdentityProviderService.<Action>` and an `x-amz-json-1.1` body.
//!
//! - `InitiateAuth` with `AuthFlow` `USER_PASSWORD_AUTH` (`USERNAME`, `PASSWORD`) or
//!   `REFRESH_TOKEN_AUTH` (`REFRESH_TOKEN`) answers `{"AuthenticationResult": {"AccessToken",
//!   "IdToken", "RefreshToken", "TokenType": "Bearer", "ExpiresIn": 3600}}`. The access token is
//!   what every other Ioto call takes. A refresh keeps its refresh token valid, as Cognito does.
//! - `SignUp` (`Username`, `Password`, `UserAttributes`) creates the user and their account and
//!   answers `{"UserConfirmed": true, "UserSub": "<user id>"}`. An invited user passes their
//!   invitation token as `ClientMetadata: {"invitation": …}` and joins the inviting account.
//!
//! Errors are Cognito's: HTTP 400 with `{"__type": "NotAuthorizedException", "message": …}`.
//! The ID token is a JWT (HS256, signed with the installation's key) with the user's claims.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};
use tenantry_core::Error;
use tenantry_core::services::auth::IssuedTokens;
use tenantry_core::services::onboarding::SignUp;
use tenantry_core::values::{Email, Password, Text, TextLimit};

use crate::extract::LoginOrigin;
use crate::state::AppState;
use tenantry_core::services::auth::Origin;

const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

struct CognitoError {
    kind: &'static str,
    message: String,
    status: StatusCode,
}

fn fail(kind: &'static str, message: impl Into<String>) -> CognitoError {
    CognitoError {
        kind,
        message: message.into(),
        status: StatusCode::BAD_REQUEST,
    }
}

impl From<Error> for CognitoError {
    fn from(error: Error) -> Self {
        match error {
            Error::Unauthenticated(message)
                if message == tenantry_core::services::auth::BAD_CREDENTIALS =>
            {
                fail("NotAuthorizedException", "Incorrect username or password.")
            }
            Error::Unauthenticated(message) if message.contains("token") => {
                fail("NotAuthorizedException", "Invalid Refresh Token")
            }
            Error::Unauthenticated(message) => fail("NotAuthorizedException", message),
            Error::Conflict(_) => fail("UsernameExistsException", "User already exists"),
            Error::Forbidden(message) => fail("NotAuthorizedException", message),
            Error::RateLimited { .. } => CognitoError {
                kind: "TooManyRequestsException",
                message: "Too many requests".into(),
                status: StatusCode::TOO_MANY_REQUESTS,
            },
            Error::Invalid { message, .. } => fail("InvalidParameterException", message),
            Error::NotFound(_) | Error::OutOfScope(_) => {
                fail("NotAuthorizedException", "Incorrect username or password.")
            }
            Error::Unavailable(detail) => {
                tracing::warn!(error = %detail, "database unavailable");
                CognitoError {
                    kind: "InternalErrorException",
                    message: "Service temporarily unavailable".into(),
                    status: StatusCode::SERVICE_UNAVAILABLE,
                }
            }
            Error::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                CognitoError {
                    kind: "InternalErrorException",
                    message: "Internal error".into(),
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                }
            }
        }
    }
}

fn reply(status: StatusCode, body: Value, error_type: Option<&str>) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    if let Some(kind) = error_type.and_then(|k| HeaderValue::from_str(k).ok()) {
        headers.insert("x-amzn-errortype", kind);
    }
    response
}

impl IntoResponse for CognitoError {
    fn into_response(self) -> Response {
        let body = json!({ "__type": self.kind, "message": self.message });
        reply(self.status, body, Some(self.kind))
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InitiateAuth {
    auth_flow: Option<String>,
    #[serde(default)]
    auth_parameters: std::collections::HashMap<String, String>,
    client_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Attribute {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Value")]
    value: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SignUpRequest {
    username: Option<String>,
    password: Option<String>,
    #[serde(default)]
    user_attributes: Vec<Attribute>,
    /// `{"invitation": "<token>"}` completes an invitation (the token from the invitation mail).
    #[serde(default)]
    client_metadata: std::collections::HashMap<String, String>,
}

pub async fn cognito(
    State(app): State<AppState>,
    LoginOrigin(origin): LoginOrigin,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match handle(&app, &origin, &headers, &body).await {
        Ok(value) => reply(StatusCode::OK, value, None),
        Err(error) => error.into_response(),
    }
}

async fn handle(
    app: &AppState,
    origin: &Origin,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, CognitoError> {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix(TARGET_PREFIX))
        .ok_or_else(|| fail("MissingAction", "X-Amz-Target is missing or not Cognito's"))?;
    let request_id = origin.request_id.clone();
    let parse = |what: &str| {
        let what = what.to_owned();
        move |e: serde_json::Error| fail("SerializationException", format!("{what}: {e}"))
    };
    match target {
        "InitiateAuth" => {
            let request: InitiateAuth =
                serde_json::from_slice(body).map_err(parse("InitiateAuth"))?;
            initiate_auth(app, request, origin).await
        }
        "SignUp" => {
            let request: SignUpRequest = serde_json::from_slice(body).map_err(parse("SignUp"))?;
            sign_up(app, request, request_id).await
        }
        other => Err(fail(
            "UnknownOperationException",
            format!("{other} is not supported; use InitiateAuth or SignUp"),
        )),
    }
}

async fn initiate_auth(
    app: &AppState,
    request: InitiateAuth,
    origin: &Origin,
) -> Result<Value, CognitoError> {
    let request_id = origin.request_id.clone();
    let param = |name: &str| {
        request.auth_parameters.get(name).cloned().ok_or_else(|| {
            fail(
                "InvalidParameterException",
                format!("Missing AuthParameters.{name}"),
            )
        })
    };
    let audience = request.client_id.clone().unwrap_or_default();
    match request.auth_flow.as_deref() {
        Some("USER_PASSWORD_AUTH") => {
            let tokens = app
                .services
                .auth
                .login_from(&param("USERNAME")?, &param("PASSWORD")?, origin)
                .await?;
            Ok(authentication_result(app, &tokens, &audience, true))
        }
        Some("REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN") => {
            let tokens = app
                .services
                .auth
                .refresh_access(&param("REFRESH_TOKEN")?, request_id)
                .await?;
            Ok(authentication_result(app, &tokens, &audience, false))
        }
        Some(other) => Err(fail(
            "InvalidParameterException",
            format!(
                "AuthFlow {other} is not supported; use USER_PASSWORD_AUTH or REFRESH_TOKEN_AUTH"
            ),
        )),
        None => Err(fail("InvalidParameterException", "Missing AuthFlow")),
    }
}

fn authentication_result(
    app: &AppState,
    tokens: &IssuedTokens,
    audience: &str,
    with_refresh: bool,
) -> Value {
    let mut result = json!({
        "AccessToken": tokens.access_token.expose(),
        "IdToken": id_token(app, tokens, audience),
        "TokenType": "Bearer",
        "ExpiresIn": tokens.expires_in,
    });
    if with_refresh {
        result["RefreshToken"] = Value::String(tokens.refresh_token.expose().to_owned());
    }
    json!({ "AuthenticationResult": result, "ChallengeParameters": {} })
}

/// A JWT (HS256) with the claims Cognito's ID tokens carry that clients read.
fn id_token(app: &AppState, tokens: &IssuedTokens, audience: &str) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let now = app.services.now().unix_timestamp();
    let user = &tokens.user;
    let claims = json!({
        "sub": user.id.to_string(),
        "email": user.email,
        "email_verified": user.email_verified,
        "cognito:username": user.email,
        "given_name": user.first_name,
        "family_name": user.last_name,
        "custom:accountId": user.account_id.to_string(),
        "custom:role": user.role.as_str(),
        "token_use": "id",
        "aud": audience,
        "iss": "tenantry",
        "auth_time": now,
        "iat": now,
        "exp": now + tokens.expires_in,
    });
    let header = b64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = b64.encode(claims.to_string());
    let signing_input = format!("{header}.{payload}");
    let signature = b64.encode(app.services.sign(signing_input.as_bytes()));
    format!("{signing_input}.{signature}")
}

async fn sign_up(
    app: &AppState,
    request: SignUpRequest,
    request_id: Option<String>,
) -> Result<Value, CognitoError> {
    let attribute = |name: &str| {
        request
            .user_attributes
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.clone())
    };
    let address = attribute("email")
        .or_else(|| request.username.clone())
        .ok_or_else(|| fail("InvalidParameterException", "Missing Username"))?;
    let email = Email::parse(&address)
        .map_err(|m| fail("InvalidParameterException", format!("email {m}")))?;
    let password = Password::parse(request.password.as_deref().unwrap_or_default())
        .map_err(|m| fail("InvalidPasswordException", format!("Password {m}")))?;
    let name = attribute("name")
        .map(|n| Text::parse(&n, TextLimit::NAME))
        .transpose()
        .map_err(|m| fail("InvalidParameterException", format!("name {m}")))?;
    let outcome = app
        .services
        .onboarding
        .sign_up(
            &email,
            &password,
            name,
            request
                .client_metadata
                .get("invitation")
                .map(String::as_str),
            request_id,
        )
        .await?;
    let user = match outcome {
        SignUp::NewTenant { user, .. } | SignUp::AcceptedInvitation { user } => user,
    };
    Ok(json!({ "UserConfirmed": true, "UserSub": user.id.to_string() }))
}
