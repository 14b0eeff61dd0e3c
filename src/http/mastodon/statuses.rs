//! `/api/v1/statuses/...`.

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::entities::{self, Status, Urls};
use crate::context::AppContext;
use crate::db::{GroupId, MediaId};
use crate::http::error::ApiResult;
use crate::http::extract::{Auth, Input};
use crate::http::parse_id;
use crate::service::posts::{self, NewPostInput};
use crate::service::PostView;

fn one(ctx: &AppContext, v: &PostView) -> Json<Status> {
    Json(entities::status(&Urls(&ctx.config), v))
}

#[derive(Deserialize)]
pub struct NewStatus {
    status: Option<String>,
    in_reply_to_id: Option<String>,
    visibility: Option<String>,
    /// Gilde: post in this group.
    group_id: Option<String>,
    #[serde(default, rename = "media_ids[]", alias = "media_ids")]
    media_ids: Vec<String>,
    poll: Option<Value>,
    spoiler_text: Option<String>,
}

fn optional_id(value: Option<String>, field: &'static str) -> ApiResult<Option<i64>> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => {
            v.parse().map(Some).map_err(|_| crate::Error::invalid("invalid_id", format!("{field} must be an id.")).with_field(field).into())
        }
    }
}

/// Ids of uploads, as apps send them (strings).
fn media_ids(list: &[String]) -> ApiResult<Vec<MediaId>> {
    list.iter()
        .filter(|v| !v.trim().is_empty())
        .map(|v| {
            v.trim()
                .parse()
                .map(MediaId)
                .map_err(|_| crate::Error::invalid("invalid_id", "media_ids must be ids.").with_field("media_ids").into())
        })
        .collect()
}

pub async fn create(State(ctx): State<AppContext>, auth: Auth, Input(input): Input<NewStatus>) -> ApiResult<Json<Status>> {
    auth.require("write:statuses")?;
    if input.poll.is_some() {
        return Err(crate::Error::invalid("polls_not_supported", "Polls are not supported.").with_field("poll").into());
    }
    let mut text = input.status.unwrap_or_default();
    if let Some(spoiler) = input.spoiler_text.filter(|s| !s.trim().is_empty()) {
        text = format!("**{}**\n\n{text}", spoiler.trim());
    }
    let new = NewPostInput {
        text,
        group_id: optional_id(input.group_id, "group_id")?.map(GroupId),
        in_reply_to_id: optional_id(input.in_reply_to_id, "in_reply_to_id")?.map(entities::post_id_of),
        visibility: input.visibility,
        media_ids: media_ids(&input.media_ids)?,
    };
    let view = posts::create(&ctx, &auth.actor, new).await?;
    Ok(one(&ctx, &view))
}

pub async fn show(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<String>) -> ApiResult<Json<Status>> {
    auth.require("read:statuses")?;
    let view = posts::get(&ctx, &auth.actor, entities::post_id_of(parse_id(&id)?)).await?;
    Ok(one(&ctx, &view))
}

#[derive(Deserialize)]
pub struct EditStatus {
    status: Option<String>,
    /// When given, the files the post keeps (and new ones); absent: unchanged.
    #[serde(default, rename = "media_ids[]", alias = "media_ids")]
    media_ids: Option<Vec<String>>,
}

pub async fn edit(
    State(ctx): State<AppContext>,
    auth: Auth,
    Path(id): Path<String>,
    Input(input): Input<EditStatus>,
) -> ApiResult<Json<Status>> {
    auth.require("write:statuses")?;
    let media = input.media_ids.as_deref().map(media_ids).transpose()?;
    let view = posts::edit(&ctx, &auth.actor, entities::post_id_of(parse_id(&id)?), input.status.unwrap_or_default(), media).await?;
    Ok(one(&ctx, &view))
}

pub async fn delete(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<String>) -> ApiResult<Json<Status>> {
    auth.require("write:statuses")?;
    let view = posts::delete(&ctx, &auth.actor, entities::post_id_of(parse_id(&id)?)).await?;
    Ok(one(&ctx, &view))
}

pub async fn context(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    auth.require("read:statuses")?;
    let c = posts::context(&ctx, &auth.actor, entities::post_id_of(parse_id(&id)?)).await?;
    let urls = Urls(&ctx.config);
    let mut statuses = entities::Statuses::default();
    let mut list = |v: &[PostView]| v.iter().map(|p| statuses.status(&urls, p)).collect::<Vec<_>>();
    Ok(Json(json!({ "ancestors": list(&c.ancestors), "descendants": list(&c.descendants) })))
}

pub async fn favourite(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<String>) -> ApiResult<Json<Status>> {
    auth.require("write:favourites")?;
    let view = posts::favourite(&ctx, &auth.actor, entities::post_id_of(parse_id(&id)?), true).await?;
    Ok(one(&ctx, &view))
}

pub async fn unfavourite(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<String>) -> ApiResult<Json<Status>> {
    auth.require("write:favourites")?;
    let view = posts::favourite(&ctx, &auth.actor, entities::post_id_of(parse_id(&id)?), false).await?;
    Ok(one(&ctx, &view))
}
