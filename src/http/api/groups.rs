//! The groups extension, shaped like the groups API of Mastodon's pull request #19059:
//! `/api/v1/groups/...` and `/api/v1/timelines/group/:id` (in `mastodon::timelines`).

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::context::AppContext;
use crate::db::{GroupId, PersonId};
use crate::http::error::ApiResult;
use crate::http::extract::{flex_bool, optional_list, Auth, Input, Query};
use crate::http::mastodon::entities::{self, Account, Group, Urls};
use crate::http::parse_id;
use crate::service::groups::{self, GroupListing, GroupUpdate, NewGroupInput};
use crate::service::membership::{self, MemberView};
use crate::service::{GroupView, MemberState, Role, Scope, Visibility};

pub fn router() -> Router<crate::http::AppState> {
    Router::new()
        .route("/api/v1/groups", get(list).post(create))
        .route("/api/v1/groups/lookup", get(lookup))
        .route("/api/v1/groups/{id}", get(show).put(update).patch(update))
        .route("/api/v1/groups/{id}/join", post(join))
        .route("/api/v1/groups/{id}/leave", post(leave))
        .route("/api/v1/groups/{id}/memberships", get(memberships))
        .route("/api/v1/groups/{id}/membership_requests", get(requests))
        .route("/api/v1/groups/{id}/membership_requests/{account_id}/authorize", post(authorize))
        .route("/api/v1/groups/{id}/membership_requests/{account_id}/reject", post(reject))
        .route("/api/v1/groups/{id}/invite", post(invite))
        .route("/api/v1/groups/{id}/kick", post(kick))
        .route("/api/v1/groups/{id}/blocks", get(blocks).post(block).delete(unblock))
        .route("/api/v1/groups/{id}/promote", post(promote))
        .route("/api/v1/groups/{id}/demote", post(demote))
}

fn one(ctx: &AppContext, v: &GroupView) -> Json<Group> {
    Json(entities::group(&Urls(&ctx.config), v))
}

fn group_id(id: &str) -> ApiResult<GroupId> {
    Ok(GroupId(parse_id(id)?))
}

#[derive(Deserialize)]
pub struct ListQuery {
    /// `member` (default): my groups; `discover`: public and private groups of this instance.
    filter: Option<String>,
    q: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

async fn list(State(ctx): State<AppContext>, auth: Auth, Query(q): Query<ListQuery>) -> ApiResult<Json<Vec<Group>>> {
    auth.require("read")?;
    let listing = match q.filter.as_deref() {
        None | Some("") | Some("member") => GroupListing::Mine,
        Some("discover") => GroupListing::Discover,
        Some(_) => return Err(crate::Error::invalid("invalid_filter", "filter must be member or discover.").with_field("filter").into()),
    };
    let found = groups::list(&ctx, &auth.actor, listing, q.q, q.limit.unwrap_or(40), q.offset.unwrap_or(0)).await?;
    let urls = Urls(&ctx.config);
    Ok(Json(found.iter().map(|g| entities::group(&urls, g)).collect()))
}

/// Group settings, as JSON or form data.
#[derive(Deserialize)]
pub struct GroupBody {
    /// The group's handle (a-z, 0-9, _); on creation, made from display_name if absent.
    name: Option<String>,
    display_name: Option<String>,
    note: Option<String>,
    visibility: Option<String>,
    scope: Option<String>,
    #[serde(default, deserialize_with = "flex_bool")]
    announcements_only: Option<bool>,
    /// Domains or `*.suffixes` a federated group federates with; an empty list: as the instance.
    #[serde(default, rename = "partner_domains[]", alias = "partner_domains", deserialize_with = "optional_list")]
    partner_domains: Option<Vec<String>>,
}

fn handle_from(display_name: &str) -> String {
    let mut name: String = display_name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect::<String>()
        .split('_')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    name.truncate(30);
    name
}

async fn create(State(ctx): State<AppContext>, auth: Auth, Input(body): Input<GroupBody>) -> ApiResult<Json<Group>> {
    auth.require("write")?;
    let display_name = body.display_name.unwrap_or_default();
    let name = body.name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| handle_from(&display_name));
    let input = NewGroupInput {
        name,
        display_name,
        note: body.note.unwrap_or_default(),
        scope: Scope::parse(body.scope.as_deref().unwrap_or("internal"))?,
        visibility: Visibility::parse(body.visibility.as_deref().unwrap_or("public"))?,
        announcements_only: body.announcements_only.unwrap_or(false),
    };
    let view = groups::create(&ctx, &auth.actor, input).await?;
    Ok(one(&ctx, &view))
}

async fn show(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<String>) -> ApiResult<Json<Group>> {
    auth.require("read")?;
    let view = groups::get(&ctx, &auth.actor, group_id(&id)?).await?;
    Ok(one(&ctx, &view))
}

#[derive(Deserialize)]
pub struct LookupQuery {
    acct: String,
}

/// A group by `name` or `name@domain`; a group of another instance is fetched from it.
async fn lookup(
    State(ctx): State<AppContext>,
    State(fed): State<crate::federation::FedConfig>,
    auth: Auth,
    Query(q): Query<LookupQuery>,
) -> ApiResult<Json<Group>> {
    auth.require("read")?;
    let view = match groups::lookup(&ctx, &auth.actor, &q.acct).await {
        Ok(view) => view,
        Err(e)
            if e.kind() == crate::ErrorKind::NotFound
                && crate::service::people::split_acct(q.acct.trim_start_matches('!'), &ctx.config.domain).1.is_some() =>
        {
            let group = crate::federation::resolve::group(&fed, &q.acct).await?;
            groups::get(&ctx, &auth.actor, group.id).await?
        }
        Err(e) => return Err(e.into()),
    };
    Ok(one(&ctx, &view))
}

async fn update(
    State(ctx): State<AppContext>,
    auth: Auth,
    Path(id): Path<String>,
    Input(body): Input<GroupBody>,
) -> ApiResult<Json<Group>> {
    auth.require("write")?;
    let update = GroupUpdate {
        display_name: body.display_name,
        note: body.note,
        scope: body.scope.as_deref().map(Scope::parse).transpose()?,
        visibility: body.visibility.as_deref().map(Visibility::parse).transpose()?,
        announcements_only: body.announcements_only,
        partner_domains: body.partner_domains,
    };
    let view = groups::update(&ctx, &auth.actor, group_id(&id)?, update).await?;
    Ok(one(&ctx, &view))
}

/// A member entry: the account, their role and state (PR #19059's GroupMembership).
#[derive(Serialize)]
pub struct GroupMembership {
    id: String,
    group_id: String,
    account: Account,
    role: String,
    state: String,
}

fn member_list(ctx: &AppContext, rows: &[MemberView]) -> Json<Vec<GroupMembership>> {
    let urls = Urls(&ctx.config);
    Json(
        rows.iter()
            .map(|m| GroupMembership {
                id: m.person.person.id.to_string(),
                group_id: m.membership.group_id.to_string(),
                account: entities::account(&urls, &m.person),
                role: m.membership.role.clone(),
                state: m.membership.state.clone(),
            })
            .collect(),
    )
}

/// The viewer's relationship with the group after a change.
fn relationship(v: &GroupView) -> Json<Value> {
    let state = v.membership.as_ref().map(|m| m.state.as_str());
    Json(json!({
        "id": v.group.id.to_string(),
        "member": state == Some("active"),
        "requested": state == Some("pending"),
        "invited": state == Some("invited"),
        "banned": state == Some("banned"),
        "role": v.membership.as_ref().filter(|m| m.state == "active").map(|m| m.role.clone()),
    }))
}

async fn join(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    auth.require("write")?;
    let view = membership::join(&ctx, &auth.actor, group_id(&id)?).await?;
    Ok(relationship(&view))
}

async fn leave(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    auth.require("write")?;
    let view = membership::leave(&ctx, &auth.actor, group_id(&id)?).await?;
    Ok(relationship(&view))
}

#[derive(Deserialize)]
pub struct MembersQuery {
    /// Members after this account id (they are listed by id).
    max_id: Option<String>,
    since_id: Option<String>,
    limit: Option<i64>,
    role: Option<String>,
}

fn after(q: &MembersQuery) -> ApiResult<Option<PersonId>> {
    match q.since_id.as_deref().or(q.max_id.as_deref()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Ok(Some(PersonId(parse_id(s)?))),
    }
}

async fn memberships(
    State(ctx): State<AppContext>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<MembersQuery>,
) -> ApiResult<Json<Vec<GroupMembership>>> {
    auth.require("read")?;
    let mut rows = membership::members(&ctx, &auth.actor, group_id(&id)?, after(&q)?, q.limit.unwrap_or(40)).await?;
    if let Some(role) = q.role.as_deref().filter(|r| !r.is_empty()) {
        let role = Role::parse(role)?;
        rows.retain(|m| m.membership.role == role.as_str());
    }
    Ok(member_list(&ctx, &rows))
}

async fn by_state(ctx: &AppContext, auth: &Auth, id: &str, state: MemberState, q: &MembersQuery) -> ApiResult<Json<Vec<Account>>> {
    auth.require("read")?;
    let rows = membership::list_by_state(ctx, &auth.actor, group_id(id)?, state, after(q)?, q.limit.unwrap_or(40)).await?;
    let urls = Urls(&ctx.config);
    Ok(Json(rows.iter().map(|m| entities::account(&urls, &m.person)).collect()))
}

async fn requests(
    State(ctx): State<AppContext>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<MembersQuery>,
) -> ApiResult<Json<Vec<Account>>> {
    by_state(&ctx, &auth, &id, MemberState::Pending, &q).await
}

async fn blocks(
    State(ctx): State<AppContext>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<MembersQuery>,
) -> ApiResult<Json<Vec<Account>>> {
    by_state(&ctx, &auth, &id, MemberState::Banned, &q).await
}

async fn authorize(State(ctx): State<AppContext>, auth: Auth, Path((id, account)): Path<(String, String)>) -> ApiResult<Json<Value>> {
    auth.require("write")?;
    membership::decide_request(&ctx, &auth.actor, group_id(&id)?, PersonId(parse_id(&account)?), true).await?;
    Ok(Json(json!({})))
}

async fn reject(State(ctx): State<AppContext>, auth: Auth, Path((id, account)): Path<(String, String)>) -> ApiResult<Json<Value>> {
    auth.require("write")?;
    membership::decide_request(&ctx, &auth.actor, group_id(&id)?, PersonId(parse_id(&account)?), false).await?;
    Ok(Json(json!({})))
}

#[derive(Deserialize)]
pub struct AccountIds {
    #[serde(default, rename = "account_ids[]", alias = "account_ids")]
    account_ids: Vec<String>,
    role: Option<String>,
}

fn ids(body: &AccountIds) -> ApiResult<Vec<PersonId>> {
    if body.account_ids.is_empty() {
        return Err(crate::Error::invalid("account_ids_missing", "Name at least one account in account_ids[].")
            .with_field("account_ids")
            .into());
    }
    body.account_ids.iter().map(|s| parse_id(s).map(PersonId)).collect()
}

async fn invite(
    State(ctx): State<AppContext>,
    auth: Auth,
    Path(id): Path<String>,
    Input(body): Input<AccountIds>,
) -> ApiResult<Json<Value>> {
    auth.require("write")?;
    let invited = membership::invite(&ctx, &auth.actor, group_id(&id)?, ids(&body)?).await?;
    Ok(Json(json!({ "invited": invited.iter().map(|p| p.to_string()).collect::<Vec<_>>() })))
}

async fn kick(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<String>, Input(body): Input<AccountIds>) -> ApiResult<Json<Value>> {
    auth.require("write")?;
    membership::remove(&ctx, &auth.actor, group_id(&id)?, ids(&body)?, false).await?;
    Ok(Json(json!({})))
}

async fn block(
    State(ctx): State<AppContext>,
    auth: Auth,
    Path(id): Path<String>,
    Input(body): Input<AccountIds>,
) -> ApiResult<Json<Value>> {
    auth.require("write")?;
    membership::remove(&ctx, &auth.actor, group_id(&id)?, ids(&body)?, true).await?;
    Ok(Json(json!({})))
}

async fn unblock(
    State(ctx): State<AppContext>,
    auth: Auth,
    Path(id): Path<String>,
    Input(body): Input<AccountIds>,
) -> ApiResult<Json<Value>> {
    auth.require("write")?;
    membership::unban(&ctx, &auth.actor, group_id(&id)?, ids(&body)?).await?;
    Ok(Json(json!({})))
}

async fn promote(
    State(ctx): State<AppContext>,
    auth: Auth,
    Path(id): Path<String>,
    Input(body): Input<AccountIds>,
) -> ApiResult<Json<Value>> {
    auth.require("write")?;
    let role = Role::parse(body.role.as_deref().unwrap_or("moderator"))?;
    membership::set_role(&ctx, &auth.actor, group_id(&id)?, ids(&body)?, role).await?;
    Ok(Json(json!({})))
}

async fn demote(
    State(ctx): State<AppContext>,
    auth: Auth,
    Path(id): Path<String>,
    Input(body): Input<AccountIds>,
) -> ApiResult<Json<Value>> {
    auth.require("write")?;
    let role = Role::parse(body.role.as_deref().unwrap_or("member"))?;
    membership::set_role(&ctx, &auth.actor, group_id(&id)?, ids(&body)?, role).await?;
    Ok(Json(json!({})))
}
