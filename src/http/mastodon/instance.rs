//! `GET /api/v1/instance` and `/api/v2/instance`.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::context::AppContext;
use crate::http::error::ApiResult;

/// The Mastodon API version Gilde follows, for clients that check it.
pub const MASTODON_VERSION: &str = "4.3.0";

pub fn version() -> String {
    format!("{MASTODON_VERSION} (compatible; Gilde {})", env!("CARGO_PKG_VERSION"))
}

fn configuration(ctx: &AppContext) -> Value {
    let media = ctx.config.media;
    let supported: Vec<&str> =
        crate::media::IMAGE_TYPES.iter().copied().chain(crate::media::DOCUMENT_TYPES.iter().map(|(t, _)| *t)).collect();
    json!({
        "urls": { "streaming": null, "status": null },
        "accounts": { "max_featured_tags": 0, "max_pinned_statuses": 0 },
        "statuses": { "max_characters": ctx.config.max_post_chars, "max_media_attachments": media.max_attachments, "characters_reserved_per_url": 23 },
        "media_attachments": {
            "supported_mime_types": supported,
            "description_limit": crate::service::media::DESCRIPTION_MAX_CHARS,
            "image_size_limit": media.image_max_bytes,
            "image_matrix_limit": media.image_max_pixels,
            "video_size_limit": 0,
            "video_frame_rate_limit": 0,
            "video_matrix_limit": 0,
            // Gilde: documents (PDF, OpenDocument, Office), attached as type `unknown`.
            "document_size_limit": media.document_max_bytes,
        },
        "polls": { "max_options": 0, "max_characters_per_option": 0, "min_expiration": 0, "max_expiration": 0 },
        "translation": { "enabled": false },
    })
}

pub async fn v1(State(ctx): State<AppContext>) -> ApiResult<Json<Value>> {
    let (users, posts) = stats(&ctx).await?;
    Ok(Json(json!({
        "uri": ctx.config.domain,
        "title": ctx.config.instance_name,
        "short_description": "",
        "description": "",
        "email": "",
        "version": version(),
        "urls": { "streaming_api": format!("{}/api/v1/streaming", ctx.config.base_url()) },
        "stats": { "user_count": users, "status_count": posts, "domain_count": 0 },
        "thumbnail": null,
        "languages": ["nl", "en"],
        "registrations": false,
        "approval_required": true,
        "invites_enabled": false,
        "configuration": configuration(&ctx),
        "contact_account": null,
        "rules": [],
    })))
}

pub async fn v2(State(ctx): State<AppContext>) -> ApiResult<Json<Value>> {
    let (users, _) = stats(&ctx).await?;
    let mut config = configuration(&ctx);
    config["vapid"] = json!({ "public_key": "" });
    Ok(Json(json!({
        "domain": ctx.config.domain,
        "title": ctx.config.instance_name,
        "version": version(),
        "source_url": "https://example.invalid/gilde",
        "description": "",
        "usage": { "users": { "active_month": users } },
        "thumbnail": { "url": format!("{}/static/header.png", ctx.config.base_url()) },
        "icon": [],
        "languages": ["nl", "en"],
        "configuration": config,
        "registrations": { "enabled": false, "approval_required": true, "message": null },
        "api_versions": { "mastodon": 2 },
        "contact": { "email": "", "account": null },
        "rules": [],
    })))
}

async fn stats(ctx: &AppContext) -> ApiResult<(i64, i64)> {
    let stats = crate::service::instance::stats(ctx).await?;
    Ok((stats.people, stats.posts))
}
