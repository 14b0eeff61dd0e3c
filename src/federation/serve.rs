//! What other servers fetch besides actor documents: posts at their own address, the outboxes
//! (paged), followers, following and featured collections. Whether a requester may have them is
//! decided in `service::actors`; the requester is known from a signed GET (`signatures`).

use axum::extract::{FromRef, FromRequestParts, Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::notes;
use super::protocol::{OrderedCollection, OrderedCollectionPage};
use super::setup::FedConfig;
use super::ACTIVITY_JSON;
use crate::context::AppContext;
use crate::db::{self, PostId};
use crate::error::Result;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::Query;
use crate::service::actors::{self, Requester};
use crate::urls;

/// The server that signed this request, if any (`Anonymous` when unsigned). A signature that
/// does not verify is refused (401).
pub struct SignedBy(pub Requester);

impl<S: Send + Sync> FromRequestParts<S> for SignedBy
where
    FedConfig: FromRef<S>,
{
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        let fed = FedConfig::from_ref(state);
        let data = fed.to_request_data();
        Ok(SignedBy(super::signatures::requester(&data, &parts.headers, &parts.method, &parts.uri).await?))
    }
}

pub fn activity_json<T: Serialize>(body: &T) -> Response {
    let mut response = Json(body).into_response();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(ACTIVITY_JSON));
    response
}

#[derive(Deserialize)]
pub struct PageQuery {
    /// Any value asks for a page rather than the collection.
    page: Option<String>,
    /// The page holds what is older than this post.
    before: Option<i64>,
}

/// A post of this instance as a `Note`.
pub async fn post(State(fed): State<FedConfig>, SignedBy(requester): SignedBy, Path(id): Path<i64>) -> ApiResult<Response> {
    let ctx: &AppContext = &fed;
    let (post, group) = match actors::served_post(ctx, PostId(id), &requester).await {
        Ok(found) => found,
        // A local member's post in a private group of another instance: for the servers that
        // group's server says have members (other members' servers check it here, at its origin).
        Err(e) if e.kind() == crate::ErrorKind::NotFound && matches!(requester, Requester::Server(_)) => {
            let Some(group_url) = actors::remote_private_group_of(ctx, PostId(id)).await? else { return Err(e.into()) };
            let servers = member_servers(&fed, &group_url).await;
            actors::served_post_to_member_server(ctx, PostId(id), &requester, &servers).await?
        }
        Err(e) => return Err(e.into()),
    };
    let ctx2 = ctx.clone();
    let mut note = ctx.db.read(move |conn| notes::note(conn, &ctx2, &post, &group)).await?;
    note.context = Some(notes::context());
    Ok(activity_json(&note))
}

/// A thread of a private group as the group's own copy (`notes::group_copy`), for members'
/// servers.
pub async fn group_copy(State(fed): State<FedConfig>, SignedBy(requester): SignedBy, Path(id): Path<i64>) -> ApiResult<Response> {
    let ctx: &AppContext = &fed;
    let (post, group) = actors::served_group_copy(ctx, PostId(id), &requester).await?;
    let ctx2 = ctx.clone();
    let mut note = ctx.db.read(move |conn| notes::group_copy(conn, &ctx2, &post, &group)).await?;
    note.context = Some(notes::context());
    Ok(activity_json(&note))
}

/// An activity this instance sent, at its id (`/activities/...`).
pub async fn activity(State(fed): State<FedConfig>, SignedBy(requester): SignedBy, uri: axum::http::Uri) -> ApiResult<Response> {
    let ctx: &AppContext = &fed;
    let json = actors::sent_activity(ctx, format!("{}{}", ctx.config.base_url(), uri.path()), &requester).await?;
    let mut response = json.into_response();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(ACTIVITY_JSON));
    Ok(response)
}

/// The servers with members in a group of another Gilde instance, as its followers collection
/// tells this instance (a member's server); none when it cannot be read.
pub(crate) async fn member_servers(fed: &FedConfig, group_url: &str) -> Vec<String> {
    let Ok(url) = url::Url::parse(&format!("{group_url}/followers")) else { return Vec::new() };
    let data = fed.to_request_data();
    match activitypub_federation::fetch::fetch_object_http::<AppContext, OrderedCollection>(&url, &data).await {
        Ok(fetched) => fetched.object.member_servers.unwrap_or_default(),
        Err(e) => {
            tracing::debug!(group = group_url, error = %e, "could not read a group's member servers");
            Vec::new()
        }
    }
}

/// A group's outbox: its posts (threads and replies) as the `Announce`s of their `Create`s,
/// newest first, 20 a page, for whoever may read the group's content.
pub async fn group_outbox(
    State(fed): State<FedConfig>,
    SignedBy(requester): SignedBy,
    Path(name): Path<String>,
    Query(q): Query<PageQuery>,
) -> ApiResult<Response> {
    let ctx: &AppContext = &fed;
    let (group, posts, total) = actors::group_history(ctx, &name, &requester, q.before.map(PostId)).await?;
    let outbox = format!("{}/outbox", urls::group_id(&ctx.config, &group.name));
    if q.page.is_none() {
        return Ok(activity_json(&OrderedCollection::paged(outbox.clone(), total, format!("{outbox}?page=true"))));
    }
    let ctx2 = ctx.clone();
    let group2 = group.clone();
    let items = ctx
        .db
        .read(move |conn| -> Result<Vec<Value>> {
            let group_url = notes::group_ap_id(&ctx2, &group2);
            posts
                .iter()
                .map(|post| {
                    let note = notes::note(conn, &ctx2, post, &group2)?;
                    let id = format!("{}#announce", notes::post_ap_id(&ctx2, post));
                    let create = notes::create(format!("{}#create", notes::post_ap_id(&ctx2, post)), note);
                    Ok(notes::announce(id, &group_url, create, post.visibility == "public").to_value())
                })
                .collect()
        })
        .await?;
    Ok(activity_json(&page(&outbox, q.before, total, items)))
}

/// A person's outbox: their posts that anyone may read, as `Create`s.
pub async fn person_outbox(State(fed): State<FedConfig>, Path(name): Path<String>, Query(q): Query<PageQuery>) -> ApiResult<Response> {
    let ctx: &AppContext = &fed;
    let (person, posts, total) = actors::person_public_posts(ctx, &name, q.before.map(PostId)).await?;
    let outbox = format!("{}/outbox", urls::person_id(&ctx.config, &person.username));
    if q.page.is_none() {
        return Ok(activity_json(&OrderedCollection::paged(outbox.clone(), total, format!("{outbox}?page=true"))));
    }
    let ctx2 = ctx.clone();
    let items = ctx
        .db
        .read(move |conn| -> Result<Vec<Value>> {
            posts
                .iter()
                .map(|post| {
                    let group_id = post.group_id.ok_or_else(|| crate::Error::internal("a group post without a group"))?;
                    let group = db::groups::find(conn, group_id)?.ok_or_else(|| crate::Error::internal("a post's group is missing"))?;
                    Ok(notes::create(format!("{}#create", notes::post_ap_id(&ctx2, post)), notes::note(conn, &ctx2, post, &group)?)
                        .to_value())
                })
                .collect()
        })
        .await?;
    Ok(activity_json(&page(&outbox, q.before, total, items)))
}

/// The local post id an outbox item is about (for the next page's cursor).
fn item_post_id(item: &Value) -> Option<i64> {
    let create = if item["type"] == "Announce" { &item["object"] } else { item };
    let id = create["object"]["id"].as_str()?;
    id.rsplit('/').next()?.parse().ok()
}

fn page(outbox: &str, before: Option<i64>, total: i64, items: Vec<Value>) -> OrderedCollectionPage {
    let next = if items.len() as i64 == actors::OUTBOX_PAGE {
        items.last().and_then(item_post_id).map(|last| format!("{outbox}?page=true&before={last}"))
    } else {
        None
    };
    let id = match before {
        Some(b) => format!("{outbox}?page=true&before={b}"),
        None => format!("{outbox}?page=true"),
    };
    OrderedCollectionPage {
        context: serde_json::json!("https://www.w3.org/ns/activitystreams"),
        kind: "OrderedCollectionPage".into(),
        id,
        part_of: outbox.to_string(),
        total_items: total,
        next,
        ordered_items: items,
    }
}

/// A group's followers (its members): how many, for whoever may read the group's content.
pub async fn group_followers(State(fed): State<FedConfig>, SignedBy(requester): SignedBy, Path(name): Path<String>) -> ApiResult<Response> {
    let ctx: &AppContext = &fed;
    let (count, servers) = actors::group_member_count(ctx, &name, &requester).await?;
    let id = format!("{}/followers", urls::group_id(&ctx.config, &name.to_ascii_lowercase()));
    let mut collection = OrderedCollection::count_only(id, count);
    if servers.is_some() {
        collection.context = super::protocol::member_servers_context();
        collection.member_servers = servers;
    }
    Ok(activity_json(&collection))
}

/// A group's featured posts: Gilde has no pinned posts yet, so the collection is empty (for
/// whoever may see the group).
pub async fn group_featured(State(fed): State<FedConfig>, SignedBy(requester): SignedBy, Path(name): Path<String>) -> ApiResult<Response> {
    let ctx: &AppContext = &fed;
    let found = actors::shown_group(ctx, &name, &requester).await?;
    Ok(activity_json(&OrderedCollection::whole(format!("{}/featured", urls::group_id(&ctx.config, &found.group.name)), Vec::new())))
}

/// A person's followers and following: the numbers only.
pub async fn person_followers(State(fed): State<FedConfig>, Path(name): Path<String>) -> ApiResult<Response> {
    person_count(&fed, &name, "followers").await
}

pub async fn person_following(State(fed): State<FedConfig>, Path(name): Path<String>) -> ApiResult<Response> {
    person_count(&fed, &name, "following").await
}

async fn person_count(ctx: &AppContext, name: &str, which: &str) -> ApiResult<Response> {
    let (followers, following) = actors::person_follow_counts(ctx, name).await?;
    let count = if which == "followers" { followers } else { following };
    let id = format!("{}/{which}", urls::person_id(&ctx.config, &name.to_ascii_lowercase()));
    Ok(activity_json(&OrderedCollection::count_only(id, count)))
}

/// A person's featured posts: none (Gilde has no pinned posts yet).
pub async fn person_featured(State(fed): State<FedConfig>, Path(name): Path<String>) -> ApiResult<Response> {
    let ctx: &AppContext = &fed;
    let person = actors::local_person(ctx, &name).await?;
    Ok(activity_json(&OrderedCollection::whole(format!("{}/featured", urls::person_id(&ctx.config, &person.username)), Vec::new())))
}
