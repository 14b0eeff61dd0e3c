//! The HTTP edge: one router for the client API, OAuth and discovery. Handlers parse and convert;
//! the service layer decides.

pub mod api;
pub mod error;
pub mod extract;
pub mod files;
pub mod mastodon;
pub mod oauth;
pub mod paging;

use axum::extract::DefaultBodyLimit;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, Method};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::TraceLayer;

use crate::context::AppContext;
use crate::error::Error;
use error::{ApiError, ApiResult};

/// What handlers can extract: the core context, and the federation configuration for handlers
/// that fetch from or serve to other servers.
#[derive(Clone, axum::extract::FromRef)]
pub struct AppState {
    pub ctx: AppContext,
    pub federation: crate::federation::FedConfig,
}

pub fn router(ctx: AppContext, federation: crate::federation::FedConfig) -> Router {
    let max_body = ctx.config.max_body_bytes;
    let upload_limit = upload_body_limit(&ctx.config);
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allow_headers(Any)
        .expose_headers([axum::http::header::LINK]);
    Router::new()
        .merge(mastodon::router(upload_limit))
        .merge(api::router())
        .merge(crate::federation::router())
        .merge(crate::web::router(upload_limit))
        .route("/api/v1/apps", post(oauth::create_app))
        .route("/api/v1/apps/verify_credentials", get(oauth::verify_app))
        .route("/oauth/authorize", get(oauth::authorize_page).post(oauth::authorize_submit))
        .route("/oauth/token", post(oauth::token))
        .route("/oauth/revoke", post(oauth::revoke))
        .route("/.well-known/oauth-authorization-server", get(oauth::metadata))
        .route("/files/{token}/{name}", get(files::original))
        .route("/files/{token}/preview/small.jpg", get(files::preview))
        .route("/static/avatar.png", get(avatar))
        .route("/static/header.png", get(avatar))
        .route("/health", get(|| async { "ok" }))
        .route("/ready", get(ready))
        .route("/metrics", get(crate::metrics::behind_token))
        .route_layer(axum::middleware::from_fn_with_state(ctx.clone(), crate::metrics::count_requests))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(ctx.clone(), limit_writes))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(cors)
        .layer(TraceLayer::new_for_http())
        .with_state(AppState { ctx, federation })
}

/// The largest body that carries a file: the largest file, and room for the other fields.
pub fn upload_body_limit(config: &crate::config::Config) -> usize {
    config.media.image_max_bytes.max(config.media.document_max_bytes).max(config.max_body_bytes) + 64 * 1024
}

/// Writes are limited (`write_rate_per_minute`) per credential (bearer token or web
/// session: many colleagues may share one address behind their organisation's proxy), else per
/// client address. Reads are not limited, nor federation inboxes, whose senders are verified
/// servers that deliver in bursts.
async fn limit_writes(
    axum::extract::State(ctx): axum::extract::State<AppContext>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let method = request.method();
    let write = !(method == Method::GET || method == Method::HEAD || method == Method::OPTIONS);
    let inbox = request.uri().path() == "/inbox" || request.uri().path().ends_with("/inbox");
    if write && !inbox {
        if let Some(key) = writer(&request) {
            if let Err(not_until) = ctx.limits.writes.check_key(&key) {
                let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
                let mut response = ApiError(Error::new(
                    crate::error::ErrorKind::RateLimited,
                    "rate_limited",
                    "Too many changes in a short time. Please wait a moment and try again.",
                ))
                .into_response();
                if let Ok(value) = HeaderValue::from_str(&(wait.as_secs() + 1).to_string()) {
                    response.headers_mut().insert(axum::http::header::RETRY_AFTER, value);
                }
                return response;
            }
        }
    }
    next.run(request).await
}

/// Who is writing, for the write limit: the credential sent, else the client's address.
fn writer(request: &axum::extract::Request) -> Option<String> {
    let headers = request.headers();
    let bearer = headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let session = crate::web::session_token(headers);
    match bearer.map(str::to_string).or(session).filter(|t| !t.is_empty()) {
        Some(token) => Some(format!("token:{token}")),
        None => request.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| format!("address:{}", c.0.ip())),
    }
}

/// Ready for traffic: the database answers and every migration of this build is applied (a load
/// balancer or orchestrator asks this; `/health` only says the process is alive).
async fn ready(axum::extract::State(ctx): axum::extract::State<AppContext>) -> axum::response::Response {
    match ctx.db.read(|conn| -> crate::error::Result<bool> { Ok(crate::db::ready(conn)?) }).await {
        Ok(true) => axum::Json(serde_json::json!({ "status": "ready" })).into_response(),
        Ok(false) => {
            ApiError(Error::new(crate::ErrorKind::Unavailable, "not_ready", "Migrations are pending: run `gilde migrate`.")).into_response()
        }
        Err(e) => {
            ApiError(Error::new(crate::ErrorKind::Unavailable, "not_ready", "The database cannot be reached.").with_cause(e.to_string()))
                .into_response()
        }
    }
}

async fn not_found() -> ApiError {
    ApiError(Error::not_found("not_found", "Nothing is found at this address."))
}

/// Parses an id from a path; anything else is "not found", as for an unknown id.
pub fn parse_id(text: &str) -> ApiResult<i64> {
    text.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| ApiError(Error::not_found("not_found", "Nothing is found at this address.")))
}

/// The default avatar and header: a 1x1 grey PNG.
async fn avatar() -> impl IntoResponse {
    const PNG: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
        0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3A, 0x7E, 0x9B, 0x55, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63,
        0xB8, 0x0B, 0x00, 0x00, 0xDC, 0x00, 0xDB, 0x7E, 0x19, 0x44, 0xA6, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60,
        0x82,
    ];
    ([(CONTENT_TYPE, HeaderValue::from_static("image/png")), (CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"))], PNG)
}
