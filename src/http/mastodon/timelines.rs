//! `/api/v1/timelines/...`.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;

use super::entities::{self, Status, Urls};
use crate::context::AppContext;
use crate::db::GroupId;
use crate::http::error::ApiResult;
use crate::http::extract::{Auth, Query};
use crate::http::paging::{link_header, PageQuery};
use crate::http::parse_id;
use crate::service::posts::{self, Stream};

async fn read(ctx: &AppContext, auth: &Auth, stream: Stream, q: &PageQuery, path: &str) -> ApiResult<(HeaderMap, Json<Vec<Status>>)> {
    auth.require("read:statuses")?;
    // Home shows a group's posts as the group's boosts (as Mastodon shows a Lemmy community's);
    // the extension's group stream shows the posts themselves.
    let boosted = matches!(stream, Stream::Home);
    let views = posts::stream(ctx, &auth.actor, stream, q.page(20, 40)?).await?;
    let urls = Urls(&ctx.config);
    let ids: Vec<i64> = views.iter().map(|v| v.post.id.0).collect();
    let link = link_header(&format!("{}{path}", ctx.config.base_url()), &ids);
    Ok((link, Json(entities::statuses(&urls, &views, boosted))))
}

pub async fn home(State(ctx): State<AppContext>, auth: Auth, Query(q): Query<PageQuery>) -> ApiResult<(HeaderMap, Json<Vec<Status>>)> {
    read(&ctx, &auth, Stream::Home, &q, "/api/v1/timelines/home").await
}

pub async fn public(State(ctx): State<AppContext>, auth: Auth, Query(q): Query<PageQuery>) -> ApiResult<(HeaderMap, Json<Vec<Status>>)> {
    read(&ctx, &auth, Stream::Public, &q, "/api/v1/timelines/public").await
}

pub async fn group(
    State(ctx): State<AppContext>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> ApiResult<(HeaderMap, Json<Vec<Status>>)> {
    let id = parse_id(&id)?;
    read(&ctx, &auth, Stream::Group(GroupId(id)), &q, &format!("/api/v1/timelines/group/{id}")).await
}
