//! `/api/v1/media`, `/api/v2/media`: uploading files, describing them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use super::entities::{self, MediaAttachment, Urls};
use crate::context::AppContext;
use crate::db::MediaId;
use crate::http::error::ApiResult;
use crate::http::extract::{Auth, Input, WithFiles};
use crate::http::parse_id;
use crate::service::media::{self, Purpose, Upload};

#[derive(Deserialize)]
pub struct MediaFields {
    description: Option<String>,
    focus: Option<String>,
}

fn one(ctx: &AppContext, m: &crate::db::media::Media) -> Json<MediaAttachment> {
    Json(entities::media_attachment(&Urls(&ctx.config), m))
}

/// `POST /api/v1/media` and `/api/v2/media`: the file in `file`. Processing is done before the
/// answer, so v2 answers 200 (not 202) with the finished attachment.
pub async fn upload(
    State(ctx): State<AppContext>,
    auth: Auth,
    mut form: WithFiles<MediaFields>,
) -> ApiResult<(StatusCode, Json<MediaAttachment>)> {
    auth.require("write:media")?;
    let Some(file) = form.take_file("file") else {
        return Err(crate::Error::invalid("file_missing", "Send the file as multipart form data in the field \"file\".")
            .with_field("file")
            .into());
    };
    let upload = Upload { bytes: file.bytes, file_name: file.file_name, description: form.input.description, focus: form.input.focus };
    let m = media::upload(&ctx, &auth.actor, upload, Purpose::Attachment).await?;
    Ok((StatusCode::OK, one(&ctx, &m)))
}

pub async fn show(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<String>) -> ApiResult<Json<MediaAttachment>> {
    auth.require("write:media")?;
    let m = media::get(&ctx, &auth.actor, MediaId(parse_id(&id)?)).await?;
    Ok(one(&ctx, &m))
}

/// `DELETE /api/v1/media/:id` (Mastodon 4.4): an upload not attached to a post.
pub async fn delete(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<String>) -> ApiResult<Json<serde_json::Value>> {
    auth.require("write:media")?;
    media::remove_upload(&ctx, &auth.actor, MediaId(parse_id(&id)?)).await?;
    Ok(Json(serde_json::json!({})))
}

pub async fn update(
    State(ctx): State<AppContext>,
    auth: Auth,
    Path(id): Path<String>,
    Input(input): Input<MediaFields>,
) -> ApiResult<Json<MediaAttachment>> {
    auth.require("write:media")?;
    let m = media::describe(&ctx, &auth.actor, MediaId(parse_id(&id)?), input.description, input.focus).await?;
    Ok(one(&ctx, &m))
}
