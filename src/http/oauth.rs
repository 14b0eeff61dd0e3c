//! OAuth 2 endpoints as Mastodon clients use them: `POST /api/v1/apps`, `/oauth/authorize`
//! (a sign-in form), `/oauth/token`, `/oauth/revoke`, and the discovery document.

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, LOCATION};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiResult;
use super::extract::{string_or_list, Input, MaybeToken, Query};
use crate::context::AppContext;
use crate::error::Error;
use crate::service::oauth::{self, AuthorizeRequest, NewAppInput, TokenRequest, OOB_REDIRECT};
use crate::service::people;

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

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn page(title: &str, body: &str) -> Response {
    let html = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title><style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a}}label{{display:block;margin-top:1rem;font-weight:600}}input{{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}}button{{margin-top:1.5rem;padding:.6rem 1.2rem;font-size:1rem;background:#1d4ed8;color:#fff;border:0;border-radius:4px}}.error{{color:#b91c1c;font-weight:600}}</style></head><body><main>{body}</main></body></html>"#,
        title = escape(title)
    );
    let mut response = Html(html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; form-action 'self' *; frame-ancestors 'none'"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn authorize_form(q: &AuthorizeQuery, app_name: &str, scopes: &str, error: Option<&str>) -> Response {
    let hidden: String = [
        ("response_type", q.response_type.clone().unwrap_or_else(|| "code".into())),
        ("client_id", q.client_id.clone()),
        ("redirect_uri", q.redirect_uri.clone()),
        ("scope", q.scope.clone().unwrap_or_default()),
        ("state", q.state.clone().unwrap_or_default()),
        ("code_challenge", q.code_challenge.clone().unwrap_or_default()),
        ("code_challenge_method", q.code_challenge_method.clone().unwrap_or_default()),
    ]
    .iter()
    .map(|(k, v)| format!(r#"<input type="hidden" name="{k}" value="{}">"#, escape(v)))
    .collect();
    let error = error.map(|e| format!(r#"<p class="error" role="alert" id="login-error">{}</p>"#, escape(e))).unwrap_or_default();
    let body = format!(
        r#"<h1>Sign in to Gilde</h1><p><strong>{app}</strong> asks to use your account ({scopes}).</p>{error}<form method="post" action="/oauth/authorize">{hidden}<label for="username">Name</label><input id="username" name="username" autocomplete="username" required><label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required><button type="submit">Sign in and allow</button></form>"#,
        app = escape(app_name),
        scopes = escape(scopes),
    );
    page("Sign in to Gilde", &body)
}

pub async fn authorize_page(State(ctx): State<AppContext>, Query(q): Query<AuthorizeQuery>) -> Response {
    match oauth::check_authorize(&ctx, &q.request()).await {
        Ok((app, scopes)) => authorize_form(&q, &app.name, &scopes.as_string(), None),
        Err(e) => error_page(&e),
    }
}

fn error_page(e: &Error) -> Response {
    let mut response =
        page("Cannot sign in", &format!(r#"<h1>Cannot sign in</h1><p class="error" role="alert">{}</p>"#, escape(e.message())));
    *response.status_mut() = super::error::status_of(e.kind());
    response
}

#[derive(Deserialize)]
pub struct AuthorizeForm {
    #[serde(flatten)]
    query: AuthorizeQuery,
    username: String,
    password: String,
}

pub async fn authorize_submit(
    State(ctx): State<AppContext>,
    client: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    axum::Form(form): axum::Form<AuthorizeForm>,
) -> Response {
    let q = form.query;
    if let Some(axum::Extension(axum::extract::ConnectInfo(addr))) = client {
        if ctx.limits.sign_in_by_address.check_key(&addr.ip()).is_err() {
            let mut response = error_page(&people::too_many_attempts());
            *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            return response;
        }
    }
    let (app, scopes) = match oauth::check_authorize(&ctx, &q.request()).await {
        Ok(found) => found,
        Err(e) => return error_page(&e),
    };
    let actor = match people::authenticate(&ctx, &form.username, &form.password).await {
        Ok(actor) => actor,
        Err(e) => {
            let mut response = authorize_form(&q, &app.name, &scopes.as_string(), Some(e.message()));
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            return response;
        }
    };
    let code = match oauth::grant_code(&ctx, &actor, q.request()).await {
        Ok(code) => code,
        Err(e) => return error_page(&e),
    };
    if q.redirect_uri == OOB_REDIRECT {
        return page(
            "Authorization code",
            &format!(r#"<h1>Copy this code into the app</h1><p><code id="code">{}</code></p>"#, escape(&code)),
        );
    }
    let mut target = match url::Url::parse(&q.redirect_uri) {
        Ok(u) => u,
        Err(_) => return error_page(&Error::invalid("invalid_redirect_uri", "The redirect URI is not valid.")),
    };
    target.query_pairs_mut().append_pair("code", &code);
    if let Some(state) = q.state.as_deref().filter(|s| !s.is_empty()) {
        target.query_pairs_mut().append_pair("state", state);
    }
    let _ = q.lang;
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
