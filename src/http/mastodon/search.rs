//! `GET /api/v2/search`: people, groups (Gilde) and posts.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::entities::{self, Urls};
use crate::context::AppContext;
use crate::http::error::ApiResult;
use crate::http::extract::{Auth, Query};
use crate::service::search::{self, SearchKind};

#[derive(Deserialize)]
pub struct SearchQuery {
    q: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

pub async fn search(State(ctx): State<AppContext>, auth: Auth, Query(q): Query<SearchQuery>) -> ApiResult<Json<Value>> {
    auth.require("read:search")?;
    let kind = match q.kind.as_deref() {
        None | Some("") => SearchKind::All,
        Some("accounts") => SearchKind::People,
        Some("statuses") => SearchKind::Posts,
        Some("groups") => SearchKind::Groups,
        Some("hashtags") => return Ok(Json(json!({ "accounts": [], "statuses": [], "hashtags": [], "groups": [] }))),
        Some(_) => {
            return Err(crate::Error::invalid("invalid_search_type", "type must be accounts, statuses, hashtags or groups.")
                .with_field("type")
                .into())
        }
    };
    let page = crate::service::page(None, None, None, q.limit, 20, 40);
    let found = search::search(&ctx, &auth.actor, &q.q, kind, page, q.offset.unwrap_or(0).max(0)).await?;
    let urls = Urls(&ctx.config);
    Ok(Json(json!({
        "accounts": found.people.iter().map(|v| entities::account(&urls, v)).collect::<Vec<_>>(),
        "statuses": found.posts.iter().map(|v| entities::status(&urls, v)).collect::<Vec<_>>(),
        "hashtags": [],
        "groups": found.groups.iter().map(|v| entities::group(&urls, v)).collect::<Vec<_>>(),
    })))
}
