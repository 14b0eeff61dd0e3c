//! The HTTP edge: one router for the client API, OAuth and discovery. Handlers parse and convert;
//! the service layer decides.

pub mod api;
pub mod error;
pub mod extract;
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
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allow_headers(Any)
        .expose_headers([axum::http::header::LINK]);
    Router::new()
        .merge(mastodon::router())
        .merge(api::router())
        .merge(crate::federation::router())
        .merge(crate::web::router())
        .route("/api/v1/apps", post(oauth::create_app))
        .route("/api/v1/apps/verify_credentials", get(oauth::verify_app))
        .route("/oauth/authorize", get(oauth::authorize_page).post(oauth::authorize_submit))
        .route("/oauth/token", post(oauth::token))
        .route("/oauth/revoke", post(oauth::revoke))
        .route("/.well-known/oauth-authorization-server", get(oauth::metadata))
        .route("/static/avatar.png", get(avatar))
        .route("/static/header.png", get(avatar))
        .route("/health", get(|| async { "ok" }))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(cors)
        .layer(TraceLayer::new_for_http())
        .with_state(AppState { ctx, federation })
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
