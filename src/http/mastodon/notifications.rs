//! `/api/v1/notifications/...` and the notifications marker.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::entities::{self, Notification, Urls};
use crate::context::AppContext;
use crate::db::NotificationId;
use crate::http::error::ApiResult;
use crate::http::extract::{Auth, Input, Query};
use crate::http::paging::{link_header, PageQuery};
use crate::http::parse_id;
use crate::service::notifications;

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(flatten)]
    page: PageQuery,
    #[serde(default, rename = "types[]", alias = "types")]
    types: Vec<String>,
    #[serde(default, rename = "exclude_types[]", alias = "exclude_types")]
    exclude_types: Vec<String>,
}

pub async fn list(
    State(ctx): State<AppContext>,
    auth: Auth,
    Query(q): Query<ListQuery>,
) -> ApiResult<(HeaderMap, Json<Vec<Notification>>)> {
    auth.require("read:notifications")?;
    let mut kinds: Vec<String> = q.types.iter().flat_map(|t| entities::notification_kinds(t)).collect();
    if kinds.is_empty() && !q.exclude_types.is_empty() {
        let excluded: Vec<String> = q.exclude_types.iter().flat_map(|t| entities::notification_kinds(t)).collect();
        kinds = notifications::KINDS.iter().map(|k| k.to_string()).filter(|k| !excluded.contains(k)).collect();
    }
    let views = notifications::list(&ctx, &auth.actor, kinds, q.page.page(40, 80)?).await?;
    let urls = Urls(&ctx.config);
    // A client that asks for Gilde's group types by name gets them; any other gets Mastodon's.
    let naming = if q.types.iter().chain(&q.exclude_types).any(|t| t.starts_with("group_")) {
        entities::Naming::Groups
    } else {
        entities::Naming::Mastodon
    };
    let ids: Vec<i64> = views.iter().map(|v| v.notification.id.0).collect();
    let link = link_header(&format!("{}/api/v1/notifications", ctx.config.base_url()), &ids);
    Ok((link, Json(views.iter().map(|v| entities::notification(&urls, v, naming)).collect())))
}

pub async fn show(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<String>) -> ApiResult<Json<Notification>> {
    auth.require("read:notifications")?;
    let v = notifications::get(&ctx, &auth.actor, NotificationId(parse_id(&id)?)).await?;
    Ok(Json(entities::notification(&Urls(&ctx.config), &v, entities::Naming::Mastodon)))
}

pub async fn dismiss(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    auth.require("write:notifications")?;
    notifications::dismiss(&ctx, &auth.actor, NotificationId(parse_id(&id)?)).await?;
    Ok(Json(json!({})))
}

/// Mastodon's "clear" deletes; Gilde marks all as read and keeps them, so nothing is lost.
pub async fn clear(State(ctx): State<AppContext>, auth: Auth) -> ApiResult<Json<Value>> {
    auth.require("write:notifications")?;
    notifications::mark_read(&ctx, &auth.actor, None).await?;
    Ok(Json(json!({})))
}

pub async fn unread_count(State(ctx): State<AppContext>, auth: Auth) -> ApiResult<Json<Value>> {
    auth.require("read:notifications")?;
    let count = notifications::unread_count(&ctx, &auth.actor).await?;
    Ok(Json(json!({ "count": count })))
}

pub async fn markers(State(ctx): State<AppContext>, auth: Auth) -> ApiResult<Json<Value>> {
    auth.require("read:statuses")?;
    let count = notifications::unread_count(&ctx, &auth.actor).await?;
    Ok(Json(
        json!({ "notifications": { "last_read_id": "0", "version": 0, "updated_at": entities::time(crate::db::now()), "unread_count": count } }),
    ))
}

#[derive(Deserialize)]
pub struct MarkerInput {
    #[serde(default, rename = "notifications[last_read_id]")]
    form_last_read_id: Option<String>,
    notifications: Option<MarkerPosition>,
}

#[derive(Deserialize)]
pub struct MarkerPosition {
    last_read_id: String,
}

/// Marks notifications up to `notifications[last_read_id]` as read.
pub async fn set_markers(State(ctx): State<AppContext>, auth: Auth, Input(input): Input<MarkerInput>) -> ApiResult<Json<Value>> {
    auth.require("write:statuses")?;
    let id = input.notifications.map(|n| n.last_read_id).or(input.form_last_read_id);
    if let Some(id) = id {
        let id = NotificationId(parse_id(&id)?);
        notifications::mark_read(&ctx, &auth.actor, Some(id)).await?;
        return Ok(Json(
            json!({ "notifications": { "last_read_id": id.to_string(), "version": 1, "updated_at": entities::time(crate::db::now()) } }),
        ));
    }
    Ok(Json(json!({})))
}
