//! `/api/v1/accounts/...` and `/api/v1/directory`.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::Deserialize;
use serde_json::Value;

use super::entities::{self, Account, AccountRef, Relationship, Status, Urls};
use crate::context::AppContext;
use crate::db::people::DirectoryFilter;
use crate::db::PersonId;
use crate::http::error::ApiResult;
use crate::http::extract::{Auth, Query, WithFiles};
use crate::http::paging::{link_header, PageQuery};
use crate::http::parse_id;
use crate::service::media::{self, PictureOf, Upload};
use crate::service::people::{self, ProfileUpdate};
use crate::service::posts::{self, Stream};
use crate::service::{groups, membership};

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
    /// Gilde: job title.
    job_title: Option<String>,
    /// Gilde: organisation unit (team, section).
    org_unit: Option<String>,
    /// Gilde: available as a mentor.
    #[serde(default, deserialize_with = "crate::http::extract::flex_bool")]
    mentor: Option<bool>,
    /// Gilde: areas of expertise, as a list or comma-separated.
    #[serde(alias = "expertise[]")]
    expertise: Option<Vec<String>>,
    /// Gilde: `nl` or `en`.
    locale: Option<String>,
}

pub async fn update_credentials(
    State(ctx): State<AppContext>,
    auth: Auth,
    mut form: WithFiles<CredentialsUpdate>,
) -> ApiResult<Json<Value>> {
    auth.require("write:accounts")?;
    // The picture first: a refused file changes nothing. (Headers are not kept: Gilde shows none.)
    if let Some(file) = form.take_file("avatar") {
        let upload = Upload { bytes: file.bytes, file_name: file.file_name, ..Default::default() };
        media::set_picture(&ctx, &auth.actor, PictureOf::Me, Some(upload)).await?;
    }
    let input = form.input;
    let update = ProfileUpdate {
        display_name: input.display_name,
        bio: input.note,
        department: input.department,
        job_title: input.job_title,
        org_unit: input.org_unit,
        mentor: input.mentor,
        expertise: input.expertise,
        locale: input.locale,
    };
    let view = people::update_profile(&ctx, &auth.actor, update).await?;
    let locale = people::locale(&ctx, auth.actor.person_id).await?;
    Ok(Json(entities::credential_account(&Urls(&ctx.config), &view, auth.actor.is_admin, locale)))
}

pub async fn show(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<String>) -> ApiResult<Json<Account>> {
    let urls = Urls(&ctx.config);
    match AccountRef::from_id(parse_id(&id)?) {
        AccountRef::Person(id) => Ok(Json(entities::account(&urls, &people::get(&ctx, id).await?))),
        // A group the viewer may not see is "not found", as every other door says.
        AccountRef::Group(id) => Ok(Json(entities::group_account(&urls, &groups::get(&ctx, &auth.actor, id).await?))),
    }
}

#[derive(Deserialize)]
pub struct LookupQuery {
    acct: String,
}

/// A person or a group by `name` or `name@domain`; one of another instance is fetched from it
/// (a person first, then a group, as the address may name either).
pub async fn lookup(
    State(ctx): State<AppContext>,
    State(fed): State<crate::federation::FedConfig>,
    auth: Auth,
    Query(q): Query<LookupQuery>,
) -> ApiResult<Json<Account>> {
    let urls = Urls(&ctx.config);
    let person_error = match people::lookup(&ctx, &q.acct).await {
        Ok(view) => return Ok(Json(entities::account(&urls, &view))),
        Err(e) if e.kind() == crate::ErrorKind::NotFound => e,
        Err(e) => return Err(e.into()),
    };
    match groups::lookup(&ctx, &auth.actor, &q.acct).await {
        Ok(view) => return Ok(Json(entities::group_account(&urls, &view))),
        Err(e) if e.kind() == crate::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    if people::split_acct(&q.acct, &ctx.config.domain).1.is_none() {
        return Err(person_error.into());
    }
    match crate::federation::resolve::person(&fed, &q.acct).await {
        Ok(person) => Ok(Json(entities::account(&urls, &people::get(&ctx, person.id).await?))),
        Err(e) if e.kind() == crate::ErrorKind::NotFound => {
            let group = crate::federation::resolve::group(&fed, &q.acct).await.map_err(|_| e)?;
            Ok(Json(entities::group_account(&urls, &groups::get(&ctx, &auth.actor, group.id).await?)))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct IdsQuery {
    #[serde(default, rename = "id[]", alias = "id")]
    ids: Vec<String>,
}

pub async fn relationships(State(ctx): State<AppContext>, auth: Auth, Query(q): Query<IdsQuery>) -> ApiResult<Json<Vec<Relationship>>> {
    auth.require("read:follows")?;
    let refs: Vec<AccountRef> = q.ids.iter().take(100).filter_map(|i| i.parse().ok()).map(AccountRef::from_id).collect();
    let person_ids = refs.iter().filter_map(|r| if let AccountRef::Person(p) = r { Some(*p) } else { None }).collect();
    let people_rels = people::relationships(&ctx, &auth.actor, person_ids).await?;
    let mut out = Vec::new();
    for r in refs {
        match r {
            AccountRef::Person(id) => out.extend(people_rels.iter().filter(|rel| rel.id == id).map(entities::relationship)),
            // Groups the viewer may not see are left out, as unknown accounts are.
            AccountRef::Group(id) => {
                if let Ok(view) = groups::get(&ctx, &auth.actor, id).await {
                    out.push(entities::group_relationship(&view));
                }
            }
        }
    }
    Ok(Json(out))
}

pub async fn statuses(
    State(ctx): State<AppContext>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> ApiResult<(HeaderMap, Json<Vec<Status>>)> {
    auth.require("read:statuses")?;
    let raw = parse_id(&id)?;
    // A group account's statuses are the group's stream (members only for private groups).
    let stream = match AccountRef::from_id(raw) {
        AccountRef::Person(id) => Stream::Author(id),
        AccountRef::Group(id) => Stream::Group(id),
    };
    // A group account's statuses are its boosts of its members' posts.
    let boosted = matches!(stream, Stream::Group(_));
    let views = posts::stream(&ctx, &auth.actor, stream, q.page(20, 40)?).await?;
    let urls = Urls(&ctx.config);
    let ids: Vec<i64> = views.iter().map(|v| v.post.id.0).collect();
    let link = link_header(&format!("{}/api/v1/accounts/{id}/statuses", ctx.config.base_url()), &ids);
    Ok((link, Json(entities::statuses(&urls, &views, boosted))))
}

async fn relationship_after(ctx: &AppContext, auth: &Auth, id: PersonId) -> ApiResult<Json<Relationship>> {
    let rels = people::relationships(ctx, &auth.actor, vec![id]).await?;
    Ok(Json(entities::relationship(&rels[0])))
}

/// Following a person, or joining a group (a public one at once; a private one is a request,
/// shown as `requested` until a moderator decides).
pub async fn follow(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<String>) -> ApiResult<Json<Relationship>> {
    auth.require("write:follows")?;
    match AccountRef::from_id(parse_id(&id)?) {
        AccountRef::Person(id) => {
            people::follow(&ctx, &auth.actor, id).await?;
            relationship_after(&ctx, &auth, id).await
        }
        AccountRef::Group(id) => Ok(Json(entities::group_relationship(&membership::join(&ctx, &auth.actor, id).await?))),
    }
}

/// Unfollowing a person, or leaving a group (or withdrawing the request).
pub async fn unfollow(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<String>) -> ApiResult<Json<Relationship>> {
    auth.require("write:follows")?;
    match AccountRef::from_id(parse_id(&id)?) {
        AccountRef::Person(id) => {
            people::unfollow(&ctx, &auth.actor, id).await?;
            relationship_after(&ctx, &auth, id).await
        }
        AccountRef::Group(id) => Ok(Json(entities::group_relationship(&membership::leave(&ctx, &auth.actor, id).await?))),
    }
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
    /// Gilde: only people available as mentors.
    #[serde(default, deserialize_with = "crate::http::extract::flex_bool")]
    mentor: Option<bool>,
}

/// The people directory: Mastodon's `/api/v1/directory` with Gilde's filters.
pub async fn directory(State(ctx): State<AppContext>, auth: Auth, Query(q): Query<DirectoryQuery>) -> ApiResult<Json<Vec<Account>>> {
    auth.require("read:accounts")?;
    let filter = DirectoryFilter {
        name: q.q,
        department: q.department,
        expertise: q.expertise,
        local_only: q.local.unwrap_or(false),
        mentors_only: q.mentor.unwrap_or(false),
    };
    let found = people::directory(&ctx, filter, q.limit.unwrap_or(40), q.offset.unwrap_or(0)).await?;
    let urls = Urls(&ctx.config);
    Ok(Json(found.iter().map(|v| entities::account(&urls, v)).collect()))
}

#[derive(Deserialize)]
pub struct LimitQuery {
    limit: Option<i64>,
}

/// `GET /api/v1/follow_requests`: people asking to join the groups the viewer moderates.
pub async fn follow_requests(State(ctx): State<AppContext>, auth: Auth, Query(q): Query<LimitQuery>) -> ApiResult<Json<Vec<Account>>> {
    auth.require("read:follows")?;
    let people = membership::requests_to_decide(&ctx, &auth.actor, q.limit.unwrap_or(40)).await?;
    let urls = Urls(&ctx.config);
    Ok(Json(people.iter().map(|v| entities::account(&urls, v)).collect()))
}

/// `POST /api/v1/follow_requests/:id/authorize`: lets the person into the groups they asked for.
pub async fn authorize_follow_request(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<String>) -> ApiResult<Json<Relationship>> {
    decide_follow_request(ctx, auth, id, true).await
}

/// `POST /api/v1/follow_requests/:id/reject`.
pub async fn reject_follow_request(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<String>) -> ApiResult<Json<Relationship>> {
    decide_follow_request(ctx, auth, id, false).await
}

async fn decide_follow_request(ctx: AppContext, auth: Auth, id: String, approve: bool) -> ApiResult<Json<Relationship>> {
    auth.require("write:follows")?;
    let person = match AccountRef::from_id(parse_id(&id)?) {
        AccountRef::Person(p) => p,
        AccountRef::Group(_) => return Err(crate::Error::not_found("request_not_found", "Groups do not ask to join.").into()),
    };
    membership::decide_requests_of(&ctx, &auth.actor, person, approve).await?;
    relationship_after(&ctx, &auth, person).await
}

#[derive(Deserialize)]
pub struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// `POST /api/v1/accounts/change_password` (Gilde): the token's owner changes their password;
/// every other session and token of theirs is signed out, this token stays.
pub async fn change_password(
    State(ctx): State<AppContext>,
    auth: Auth,
    headers: axum::http::HeaderMap,
    crate::http::extract::Input(input): crate::http::extract::Input<PasswordChange>,
) -> ApiResult<Json<Value>> {
    auth.require("write:accounts")?;
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' ').map(|(_, t)| t.trim().to_string()));
    crate::service::accounts::change_password(&ctx, &auth.actor, &input.current_password, &input.new_password, token.as_deref()).await?;
    Ok(Json(serde_json::json!({})))
}

/// `GET /api/v1/accounts/export` (Gilde): the token's owner downloads their data, the same
/// archive as on `/settings/export` (Mastodon's archive shape: `actor.json`, `outbox.json`,
/// `likes.json`, `following_accounts.csv`, Gilde's `groups.csv`, and their files).
pub async fn export(State(fed): State<crate::federation::FedConfig>, auth: Auth) -> ApiResult<axum::response::Response> {
    use axum::http::{header, HeaderValue};
    use axum::response::IntoResponse;
    auth.require("read:accounts")?;
    let archive = crate::federation::export::archive(&fed, auth.actor.person_id).await?;
    let mut response = archive.bytes.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"gilde-archive-{}.zip\"", archive.username)) {
        h.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
