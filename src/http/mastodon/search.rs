//! `GET /api/v2/search`: people, groups (Gilde) and posts.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::entities::{self, Urls};
use crate::context::AppContext;
use crate::federation::resolve::{self, Resolved};
use crate::http::error::ApiResult;
use crate::http::extract::{flex_bool, Auth, Query};
use crate::service::search::{self, SearchKind};
use crate::service::{groups, people, posts};

#[derive(Deserialize)]
pub struct SearchQuery {
    q: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
    /// Look the query up on other servers too (an address `name@domain` or a URL).
    #[serde(default, deserialize_with = "flex_bool")]
    resolve: Option<bool>,
}

pub async fn search(
    State(ctx): State<AppContext>,
    State(fed): State<crate::federation::FedConfig>,
    auth: Auth,
    Query(q): Query<SearchQuery>,
) -> ApiResult<Json<Value>> {
    auth.require("read:search")?;
    let kind = match q.kind.as_deref() {
        None | Some("") => SearchKind::All,
        // People and groups (as accounts).
        Some("accounts") => SearchKind::Accounts,
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
    let offset = q.offset.unwrap_or(0).max(0);
    let mut found = search::search(&ctx, &auth.actor, &q.q, kind, page, offset).await?;
    if q.resolve == Some(true) && offset == 0 {
        // What another server holds comes first; a failed lookup just finds nothing there.
        match resolve::resolve(&fed, &q.q).await {
            Ok(Some(Resolved::Person(p))) if matches!(kind, SearchKind::All | SearchKind::People | SearchKind::Accounts) => {
                let view = people::get(&ctx, p.id).await?;
                found.people.retain(|v| v.person.id != view.person.id);
                found.people.insert(0, view);
            }
            Ok(Some(Resolved::Group(g))) if matches!(kind, SearchKind::All | SearchKind::Groups | SearchKind::Accounts) => {
                if let Ok(view) = groups::get(&ctx, &auth.actor, g.id).await {
                    found.groups.retain(|v| v.group.id != view.group.id);
                    found.groups.insert(0, view);
                }
            }
            Ok(Some(Resolved::Post(id))) if matches!(kind, SearchKind::All | SearchKind::Posts) => {
                if let Ok(view) = posts::get(&ctx, &auth.actor, id).await {
                    found.posts.retain(|v| v.post.id != view.post.id);
                    found.posts.insert(0, view);
                }
            }
            Ok(_) => {}
            Err(e) => tracing::info!(query = %q.q, error = ?e, "search: not resolved on another server"),
        }
    }
    let urls = Urls(&ctx.config);
    // Groups are accounts too (`group: true`), for apps that know nothing of groups.
    let mut accounts: Vec<entities::Account> = found.people.iter().map(|v| entities::account(&urls, v)).collect();
    if kind != SearchKind::Posts {
        accounts.extend(found.groups.iter().map(|v| entities::group_account(&urls, v)));
    }
    Ok(Json(json!({
        "accounts": accounts,
        "statuses": entities::statuses(&urls, &found.posts, false),
        "hashtags": [],
        "groups": found.groups.iter().map(|v| entities::group(&urls, v)).collect::<Vec<_>>(),
    })))
}
