//! OAuth 2 endpoints as Mastodon clients use them: `POST /api/v1/apps`, `/oauth/authorize`
//! (a sign-in form), `/oauth/token`, `/oauth/revoke`, and the discovery document.

use axum::extract::State;
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiResult;
use super::extract::{string_or_list, Input, MaybeToken, Query};
use crate::context::AppContext;
use crate::error::Error;
use crate::service::oauth::{self, AuthorizeRequest, NewAppInput, TokenRequest, OOB_REDIRECT};
use crate::service::people;
use crate::web::authorize::{self, Shown, SignIn};

#[derive(Deserialize)]
pub struct AppForm {
    client_name: Option<String>,
    #[serde(default, rename = "redirect_uris[]", alias = "redirect_uris", deserialize_with = "string_or_list")]
    redirect_uris: Vec<String>,
    scopes: Option<String>,
    website: Option<String>,
}

fn app_json(app: &crate::db::oauth::App, with_secret: bool) -> Value {
    let uris: Vec<&str> = app.redirect_uris.lines().collect();
    let mut v = json!({
        "id": app.id.to_string(),
        "name": app.name,
        "website": app.website,
        "scopes": app.scopes.split(' ').collect::<Vec<_>>(),
        "redirect_uri": uris.join("\n"),
        "redirect_uris": uris,
        "vapid_key": "",
    });
    if with_secret {
        v["client_id"] = json!(app.client_id);
        v["client_secret"] = json!(app.client_secret);
        v["client_secret_expires_at"] = json!(0);
    }
    v
}

pub async fn create_app(State(ctx): State<AppContext>, Input(form): Input<AppForm>) -> ApiResult<Json<Value>> {
    let app = oauth::register_app(
        &ctx,
        NewAppInput {
            name: form.client_name.unwrap_or_default(),
            redirect_uris: form.redirect_uris,
            scopes: form.scopes.unwrap_or_else(|| "read".into()),
            website: form.website,
        },
    )
    .await?;
    Ok(Json(app_json(&app, true)))
}

pub async fn verify_app(MaybeToken(owner): MaybeToken) -> ApiResult<Json<Value>> {
    let owner = owner.ok_or_else(|| Error::unauthenticated("token_required", "This call needs an access token."))?;
    let app = owner.app.ok_or_else(|| Error::not_found("no_app", "This token does not belong to an app."))?;
    Ok(Json(app_json(&app, false)))
}

#[derive(Deserialize, Clone)]
pub struct AuthorizeQuery {
    #[serde(default)]
    response_type: Option<String>,
    client_id: String,
    redirect_uri: String,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    #[serde(default)]
    lang: Option<String>,
}

impl AuthorizeQuery {
    fn request(&self) -> AuthorizeRequest {
        AuthorizeRequest {
            client_id: self.client_id.clone(),
            redirect_uri: self.redirect_uri.clone(),
            scope: self.scope.clone(),
            code_challenge: self.code_challenge.clone().filter(|c| !c.is_empty()),
            code_challenge_method: self.code_challenge_method.clone().filter(|c| !c.is_empty()),
        }
    }
}

fn hidden_fields(q: &AuthorizeQuery) -> Vec<(&'static str, String)> {
    vec![
        ("response_type", q.response_type.clone().unwrap_or_else(|| "code".into())),
        ("client_id", q.client_id.clone()),
        ("redirect_uri", q.redirect_uri.clone()),
        ("scope", q.scope.clone().unwrap_or_default()),
        ("state", q.state.clone().unwrap_or_default()),
        ("code_challenge", q.code_challenge.clone().unwrap_or_default()),
        ("code_challenge_method", q.code_challenge_method.clone().unwrap_or_default()),
        ("lang", q.lang.clone().unwrap_or_default()),
    ]
}

fn shown(ctx: &AppContext, q: &AuthorizeQuery, headers: &HeaderMap, status: StatusCode, what: Shown<'_>) -> Response {
    let lang = authorize::lang(q.lang.as_deref().filter(|l| !l.is_empty()), headers);
    authorize::page(ctx, lang, status, what, &q.redirect_uri)
}

/// How this browser can approve the app: with its web session (after signing in, also through
/// single sign-on, which comes back here), else a name and password or the single sign-on button.
async fn sign_in_way(ctx: &AppContext, headers: &HeaderMap, query: &str, lang: crate::web::i18n::Lang) -> SignIn {
    if let Some(session) = crate::web::session(ctx, headers).await {
        if let Ok(me) = people::signed_in_summary(ctx, &session.actor).await {
            return SignIn::Session { name: me.display_name, csrf: oauth::form_token(&session.token) };
        }
    }
    let here = format!("/oauth/authorize?{query}");
    let sso = crate::web::sso_label(ctx, lang)
        .map(|label| (label, format!("/auth/sso?return_to={}", url::form_urlencoded::byte_serialize(here.as_bytes()).collect::<String>())));
    SignIn::Credentials { password: ctx.config.password_sign_in, sso }
}

pub async fn authorize_page(
    State(ctx): State<AppContext>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Query(q): Query<AuthorizeQuery>,
) -> Response {
    match oauth::check_authorize(&ctx, &q.request()).await {
        Ok((app, scopes)) => {
            let lang = authorize::lang(q.lang.as_deref().filter(|l| !l.is_empty()), &headers);
            let way = sign_in_way(&ctx, &headers, uri.query().unwrap_or(""), lang).await;
            let form = Shown::Form { app: &app.name, scopes: &scopes.as_string(), hidden: hidden_fields(&q), error: None, way };
            shown(&ctx, &q, &headers, StatusCode::OK, form)
        }
        Err(e) => shown(&ctx, &q, &headers, super::error::status_of(e.kind()), Shown::Refused(&e)),
    }
}

#[derive(Deserialize)]
pub struct AuthorizeForm {
    #[serde(flatten)]
    query: AuthorizeQuery,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    /// Present when the person approves with their web session.
    #[serde(default)]
    csrf: Option<String>,
}

pub async fn authorize_submit(
    State(ctx): State<AppContext>,
    headers: HeaderMap,
    client: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    axum::Form(form): axum::Form<AuthorizeForm>,
) -> Response {
    let q = form.query;
    if let Some(axum::Extension(axum::extract::ConnectInfo(addr))) = client {
        if ctx.limits.sign_in_by_address.check_key(&addr.ip()).is_err() {
            return shown(&ctx, &q, &headers, StatusCode::TOO_MANY_REQUESTS, Shown::Refused(&people::too_many_attempts()));
        }
    }
    let (app, scopes) = match oauth::check_authorize(&ctx, &q.request()).await {
        Ok(found) => found,
        Err(e) => return shown(&ctx, &q, &headers, super::error::status_of(e.kind()), Shown::Refused(&e)),
    };
    let signed_in = match form.csrf.as_deref() {
        Some(csrf) => match crate::web::session(&ctx, &headers).await {
            Some(session) if crate::web::form_ok(&session, csrf) => Ok(session.actor),
            _ => Err(crate::web::form_expired()),
        },
        None => people::authenticate(&ctx, &form.username, &form.password).await,
    };
    let actor = match signed_in {
        Ok(actor) => actor,
        Err(e) => {
            let lang = authorize::lang(q.lang.as_deref().filter(|l| !l.is_empty()), &headers);
            let query = serde_urlencoded::to_string(hidden_fields(&q)).unwrap_or_default();
            let way = sign_in_way(&ctx, &headers, &query, lang).await;
            let form = Shown::Form { app: &app.name, scopes: &scopes.as_string(), hidden: hidden_fields(&q), error: Some(&e), way };
            let status = if e.kind() == crate::error::ErrorKind::Unauthenticated {
                StatusCode::UNAUTHORIZED
            } else {
                super::error::status_of(e.kind())
            };
            return shown(&ctx, &q, &headers, status, form);
        }
    };
    let code = match oauth::grant_code(&ctx, &actor, q.request()).await {
        Ok(code) => code,
        Err(e) => return shown(&ctx, &q, &headers, super::error::status_of(e.kind()), Shown::Refused(&e)),
    };
    if q.redirect_uri == OOB_REDIRECT {
        return shown(&ctx, &q, &headers, StatusCode::OK, Shown::Code(&code));
    }
    let mut target = match url::Url::parse(&q.redirect_uri) {
        Ok(u) => u,
        Err(_) => {
            let e = Error::invalid("invalid_redirect_uri", "The redirect URI is not valid.");
            return shown(&ctx, &q, &headers, StatusCode::UNPROCESSABLE_ENTITY, Shown::Refused(&e));
        }
    };
    target.query_pairs_mut().append_pair("code", &code);
    if let Some(state) = q.state.as_deref().filter(|s| !s.is_empty()) {
        target.query_pairs_mut().append_pair("state", state);
    }
    (StatusCode::FOUND, [(LOCATION, target.to_string())]).into_response()
}

#[derive(Deserialize)]
pub struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    scope: Option<String>,
}

/// OAuth errors in RFC 6749's shape (`error`, `error_description`), with Gilde's `code`.
fn oauth_error(e: Error) -> Response {
    super::error::log(&e);
    let error = match e.code() {
        "invalid_client" | "invalid_grant" | "invalid_scope" | "unsupported_grant_type" => e.code(),
        _ => "invalid_request",
    };
    let status = if error == "invalid_client" { StatusCode::UNAUTHORIZED } else { StatusCode::BAD_REQUEST };
    (status, Json(json!({ "error": error, "error_description": e.message(), "code": e.code() }))).into_response()
}

pub async fn token(State(ctx): State<AppContext>, Input(form): Input<TokenForm>) -> Response {
    let Some(client_id) = form.client_id.filter(|c| !c.is_empty()) else {
        return oauth_error(Error::unauthenticated("invalid_client", "client_id is missing."));
    };
    let req = TokenRequest {
        grant_type: form.grant_type.unwrap_or_default(),
        client_id,
        client_secret: form.client_secret.filter(|s| !s.is_empty()),
        code: form.code,
        redirect_uri: form.redirect_uri,
        code_verifier: form.code_verifier,
        scope: form.scope,
    };
    match oauth::issue_token(&ctx, req).await {
        Ok(t) => Json(json!({
            "access_token": t.access_token,
            "token_type": "Bearer",
            "scope": t.scopes.as_string(),
            "created_at": t.created_at.and_utc().timestamp(),
        }))
        .into_response(),
        Err(e) => oauth_error(e),
    }
}

#[derive(Deserialize)]
pub struct RevokeForm {
    client_id: Option<String>,
    client_secret: Option<String>,
    token: Option<String>,
}

pub async fn revoke(State(ctx): State<AppContext>, Input(form): Input<RevokeForm>) -> Response {
    let (Some(id), Some(secret), Some(token)) = (form.client_id, form.client_secret, form.token) else {
        return oauth_error(Error::invalid("invalid_request", "client_id, client_secret and token are needed."));
    };
    match oauth::revoke(&ctx, id, secret, token).await {
        Ok(()) => Json(json!({})).into_response(),
        Err(e) => oauth_error(e),
    }
}

/// RFC 8414 metadata, as Mastodon serves it, so clients can discover the endpoints.
pub async fn metadata(State(ctx): State<AppContext>) -> Json<Value> {
    let base = ctx.config.base_url();
    Json(json!({
        "issuer": format!("{base}/"),
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "app_registration_endpoint": format!("{base}/api/v1/apps"),
        "scopes_supported": oauth::SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "service_documentation": format!("{base}/"),
    }))
}
