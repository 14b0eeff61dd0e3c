//! `/api/v1/accounts/...` and `/api/v1/directory`.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::Deserialize;
use serde_json::Value;

use super::entities::{self, Account, Relationship, Status, Urls};
use crate::context::AppContext;
use crate::db::people::DirectoryFilter;
use crate::db::PersonId;
use crate::http::error::ApiResult;
use crate::http::extract::{Auth, Input, Query};
use crate::http::paging::{link_header, PageQuery};
use crate::http::parse_id;
use crate::service::people::{self, ProfileUpdate};
use crate::service::posts::{self, Stream};

pub async fn verify_credentials(State(ctx): State<AppContext>, auth: Auth) -> ApiResult<Json<Value>> {
    auth.require("read:accounts")?;
    let view = people::get(&ctx, auth.actor.person_id).await?;
    let locale = people::locale(&ctx, auth.actor.person_id).await?;
    Ok(Json(entities::credential_account(&Urls(&ctx.config), &view, auth.actor.is_admin, locale)))
}

#[derive(Deserialize)]
pub struct CredentialsUpdate {
    display_name: Option<String>,
    note: Option<String>,
    /// Gilde: department.
    department: Option<String>,
    /// Gilde: areas of expertise, as a list or comma-separated.
    #[serde(alias = "expertise[]")]
    expertise: Option<Vec<String>>,
    /// Gilde: `nl` or `en`.
    locale: Option<String>,
}

pub async fn update_credentials(
    State(ctx): State<AppContext>,
    auth: Auth,
    Input(input): Input<CredentialsUpdate>,
) -> ApiResult<Json<Value>> {
    auth.require("write:accounts")?;
    let update = ProfileUpdate {
        display_name: input.display_name,
        bio: input.note,
        department: input.department,
        expertise: input.expertise,
        locale: input.locale,
    };
    let view = people::update_profile(&ctx, &auth.actor, update).await?;
    let locale = people::locale(&ctx, auth.actor.person_id).await?;
    Ok(Json(entities::credential_account(&Urls(&ctx.config), &view, auth.actor.is_admin, locale)))
}

pub async fn show(State(ctx): State<AppContext>, _auth: Auth, Path(id): Path<String>) -> ApiResult<Json<Account>> {
    let view = people::get(&ctx, PersonId(parse_id(&id)?)).await?;
    Ok(Json(entities::account(&Urls(&ctx.config), &view)))
}

#[derive(Deserialize)]
pub struct LookupQuery {
    acct: String,
}

/// A person by `name` or `name@domain`; a person of another instance is fetched from it.
pub async fn lookup(
    State(ctx): State<AppContext>,
    State(fed): State<crate::federation::FedConfig>,
    _auth: Auth,
    Query(q): Query<LookupQuery>,
) -> ApiResult<Json<Account>> {
    let view = match people::lookup(&ctx, &q.acct).await {
        Ok(view) => view,
        Err(e) if e.kind() == crate::ErrorKind::NotFound && people::split_acct(&q.acct, &ctx.config.domain).1.is_some() => {
            let person = crate::federation::resolve::person(&fed, &q.acct).await?;
            people::get(&ctx, person.id).await?
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Json(entities::account(&Urls(&ctx.config), &view)))
}

#[derive(Deserialize)]
pub struct IdsQuery {
    #[serde(default, rename = "id[]", alias = "id")]
    ids: Vec<String>,
}

pub async fn relationships(State(ctx): State<AppContext>, auth: Auth, Query(q): Query<IdsQuery>) -> ApiResult<Json<Vec<Relationship>>> {
    auth.require("read:follows")?;
    let ids = q.ids.iter().take(100).filter_map(|i| i.parse().ok().map(PersonId)).collect();
    let rels = people::relationships(&ctx, &auth.actor, ids).await?;
    Ok(Json(rels.iter().map(entities::relationship).collect()))
}

pub async fn statuses(
    State(ctx): State<AppContext>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> ApiResult<(HeaderMap, Json<Vec<Status>>)> {
    auth.require("read:statuses")?;
    let id = PersonId(parse_id(&id)?);
    let views = posts::stream(&ctx, &auth.actor, Stream::Author(id), q.page(20, 40)?).await?;
    let urls = Urls(&ctx.config);
    let ids: Vec<i64> = views.iter().map(|v| v.post.id.0).collect();
    let link = link_header(&format!("{}/api/v1/accounts/{id}/statuses", ctx.config.base_url()), &ids);
    Ok((link, Json(views.iter().map(|v| entities::status(&urls, v)).collect())))
}

async fn relationship_after(ctx: &AppContext, auth: &Auth, id: PersonId) -> ApiResult<Json<Relationship>> {
    let rels = people::relationships(ctx, &auth.actor, vec![id]).await?;
    Ok(Json(entities::relationship(&rels[0])))
}

pub async fn follow(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<String>) -> ApiResult<Json<Relationship>> {
    auth.require("write:follows")?;
    let id = PersonId(parse_id(&id)?);
    people::follow(&ctx, &auth.actor, id).await?;
    relationship_after(&ctx, &auth, id).await
}

pub async fn unfollow(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<String>) -> ApiResult<Json<Relationship>> {
    auth.require("write:follows")?;
    let id = PersonId(parse_id(&id)?);
    people::unfollow(&ctx, &auth.actor, id).await?;
    relationship_after(&ctx, &auth, id).await
}

#[derive(Deserialize)]
pub struct DirectoryQuery {
    offset: Option<i64>,
    limit: Option<i64>,
    local: Option<bool>,
    /// Gilde: part of a name.
    q: Option<String>,
    /// Gilde: department.
    department: Option<String>,
    /// Gilde: an area of expertise.
    expertise: Option<String>,
}

/// The people directory: Mastodon's `/api/v1/directory` with Gilde's filters.
pub async fn directory(State(ctx): State<AppContext>, auth: Auth, Query(q): Query<DirectoryQuery>) -> ApiResult<Json<Vec<Account>>> {
    auth.require("read:accounts")?;
    let filter = DirectoryFilter { name: q.q, department: q.department, expertise: q.expertise, local_only: q.local.unwrap_or(false) };
    let found = people::directory(&ctx, filter, q.limit.unwrap_or(40), q.offset.unwrap_or(0)).await?;
    let urls = Urls(&ctx.config);
    Ok(Json(found.iter().map(|v| entities::account(&urls, v)).collect()))
}
