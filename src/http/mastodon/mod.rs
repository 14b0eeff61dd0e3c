//! The Mastodon-compatible client API (`/api/v1`, `/api/v2`).

pub mod accounts;
pub mod entities;
pub mod instance;
pub mod media;
pub mod notifications;
pub mod search;
pub mod statuses;
pub mod timelines;

use axum::routing::{get, post};
use axum::Router;

/// `upload_limit`: the body size allowed where files are sent.
pub fn router(upload_limit: usize) -> Router<crate::http::AppState> {
    let uploads = axum::extract::DefaultBodyLimit::max(upload_limit);
    Router::new()
        .route("/api/v1/media", post(media::upload).layer(uploads))
        .route("/api/v2/media", post(media::upload).layer(uploads))
        .route("/api/v1/media/{id}", get(media::show).put(media::update).delete(media::delete))
        .route("/api/v1/instance", get(instance::v1))
        .route("/api/v2/instance", get(instance::v2))
        .route("/api/v1/accounts/verify_credentials", get(accounts::verify_credentials))
        .route("/api/v1/accounts/update_credentials", axum::routing::patch(accounts::update_credentials).layer(uploads))
        .route("/api/v1/accounts/lookup", get(accounts::lookup))
        .route("/api/v1/accounts/change_password", post(accounts::change_password))
        .route("/api/v1/accounts/export", get(accounts::export))
        .route("/api/v1/accounts/relationships", get(accounts::relationships))
        .route("/api/v1/accounts/{id}", get(accounts::show))
        .route("/api/v1/accounts/{id}/statuses", get(accounts::statuses))
        .route("/api/v1/accounts/{id}/follow", post(accounts::follow))
        .route("/api/v1/accounts/{id}/unfollow", post(accounts::unfollow))
        .route("/api/v1/directory", get(accounts::directory))
        .route("/api/v1/follow_requests", get(accounts::follow_requests))
        .route("/api/v1/follow_requests/{id}/authorize", post(accounts::authorize_follow_request))
        .route("/api/v1/follow_requests/{id}/reject", post(accounts::reject_follow_request))
        .route("/api/v1/statuses", post(statuses::create))
        .route("/api/v1/statuses/{id}", get(statuses::show).put(statuses::edit).delete(statuses::delete))
        .route("/api/v1/statuses/{id}/context", get(statuses::context))
        .route("/api/v1/statuses/{id}/favourite", post(statuses::favourite))
        .route("/api/v1/statuses/{id}/unfavourite", post(statuses::unfavourite))
        .route("/api/v1/timelines/home", get(timelines::home))
        .route("/api/v1/timelines/public", get(timelines::public))
        .route("/api/v1/timelines/group/{id}", get(timelines::group))
        .route("/api/v1/notifications", get(notifications::list))
        .route("/api/v1/notifications/clear", post(notifications::clear))
        .route("/api/v1/notifications/unread_count", get(notifications::unread_count))
        .route("/api/v1/notifications/{id}", get(notifications::show))
        .route("/api/v1/notifications/{id}/dismiss", post(notifications::dismiss))
        .route("/api/v1/markers", get(notifications::markers).post(notifications::set_markers))
        .route("/api/v2/search", get(search::search))
}
