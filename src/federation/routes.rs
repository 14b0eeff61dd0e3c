//! Discovery and actor documents.

use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use url::Url;

use activitypub_federation::traits::Object;

use super::objects::{ApubGroup, ApubPerson, InstanceActor};
use super::serve::{self, activity_json, SignedBy};
use super::setup::FedConfig;
use crate::context::AppContext;
use crate::error::Error;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::Query;
use crate::service::actors::{self, Named};
use crate::urls;

pub fn router() -> Router<crate::http::AppState> {
    Router::new()
        .route("/.well-known/webfinger", get(webfinger))
        .route("/.well-known/nodeinfo", get(nodeinfo_links))
        .route("/nodeinfo/2.1", get(nodeinfo))
        .route("/.well-known/host-meta", get(host_meta))
        .route("/users/{name}", get(person))
        .route("/groups/{name}", get(group))
        .route("/users/{name}/outbox", get(serve::person_outbox))
        .route("/users/{name}/followers", get(serve::person_followers))
        .route("/users/{name}/following", get(serve::person_following))
        .route("/users/{name}/featured", get(serve::person_featured))
        .route("/groups/{name}/outbox", get(serve::group_outbox))
        .route("/groups/{name}/followers", get(serve::group_followers))
        .route("/groups/{name}/featured", get(serve::group_featured))
        .route("/posts/{id}", get(serve::post))
        .route("/posts/{id}/group-copy", get(serve::group_copy))
        .route("/activities/{*rest}", get(serve::activity))
        .route("/actor", get(instance_actor))
        .route("/inbox", axum::routing::post(super::inbox::receive))
        .route("/users/{name}/inbox", axum::routing::post(super::inbox::receive))
        .route("/groups/{name}/inbox", axum::routing::post(super::inbox::receive))
}

fn url(text: String) -> ApiResult<Url> {
    Url::parse(&text).map_err(|e| ApiError(Error::internal(format!("bad local URL {text}: {e}"))))
}

fn not_found() -> ApiError {
    ApiError(Error::not_found("not_found", "Nothing is found at this address."))
}

#[derive(Deserialize)]
pub struct WebfingerQuery {
    resource: String,
}

/// `acct:name@domain` (also `acct:!name@domain`, as Lemmy looks up groups) or an actor's URL.
async fn webfinger(State(ctx): State<AppContext>, Query(q): Query<WebfingerQuery>) -> ApiResult<Response> {
    let config = &ctx.config;
    let name = if let Some(acct) = q.resource.strip_prefix("acct:") {
        let (name, domain) = acct.rsplit_once('@').ok_or_else(not_found)?;
        if !domain.eq_ignore_ascii_case(&config.domain) {
            return Err(not_found());
        }
        name.to_string()
    } else if let Some(rest) = q.resource.strip_prefix(&format!("{}/", config.base_url())) {
        rest.strip_prefix("users/")
            .or_else(|| rest.strip_prefix("groups/"))
            .or_else(|| rest.strip_prefix('@'))
            .or_else(|| (rest == "actor").then_some("actor"))
            .ok_or_else(not_found)?
            .to_string()
    } else {
        return Err(not_found());
    };
    // The instance actor (its preferredUsername is the host, as Mastodon's and GoToSocial's):
    // servers look up the owner of every signing key by WebFinger.
    if name.eq_ignore_ascii_case(&super::objects::InstanceActor::username(config)) || name == "actor" {
        let subject = format!("acct:{}@{}", super::objects::InstanceActor::username(config), config.domain);
        let links = vec![(url(urls::instance_actor(config))?, Some("Application"))];
        return Ok(jrd(activitypub_federation::fetch::webfinger::build_webfinger_response_with_type(subject, links)));
    }
    let found = actors::resolve_name(&ctx, &name).await.map_err(|_| not_found())?;
    let (subject, links) = match &found {
        Named::Person(n) => (format!("acct:{n}@{}", config.domain), vec![(url(urls::person_id(config, n))?, Some("Person"))]),
        Named::Group(n) => (format!("acct:{n}@{}", config.domain), vec![(url(urls::group_id(config, n))?, Some("Group"))]),
    };
    Ok(jrd(activitypub_federation::fetch::webfinger::build_webfinger_response_with_type(subject, links)))
}

fn jrd(body: activitypub_federation::fetch::webfinger::Webfinger) -> Response {
    let mut response = Json(body).into_response();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/jrd+json; charset=utf-8"));
    response
}

async fn nodeinfo_links(State(ctx): State<AppContext>) -> Json<serde_json::Value> {
    Json(json!({
        "links": [{
            "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
            "href": format!("{}/nodeinfo/2.1", ctx.config.base_url()),
        }]
    }))
}

async fn nodeinfo(State(ctx): State<AppContext>) -> ApiResult<Response> {
    let stats = crate::service::instance::stats(&ctx).await?;
    let body = json!({
        "version": "2.1",
        "software": {
            "name": "gilde",
            "version": env!("CARGO_PKG_VERSION"),
            "repository": env!("CARGO_PKG_REPOSITORY"),
        },
        "protocols": ["activitypub"],
        "services": { "inbound": [], "outbound": [] },
        "openRegistrations": false,
        "usage": { "users": { "total": stats.people }, "localPosts": stats.posts },
        "metadata": { "nodeName": ctx.config.instance_name },
    });
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.1#\""));
    Ok(response)
}

async fn host_meta(State(ctx): State<AppContext>) -> Response {
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">
  <Link rel="lrdd" template="{}/.well-known/webfinger?resource={{uri}}"/>
</XRD>
"#,
        ctx.config.base_url()
    );
    ([(CONTENT_TYPE, HeaderValue::from_static("application/xrd+xml; charset=utf-8"))], xml).into_response()
}

async fn person(State(fed): State<FedConfig>, Path(name): Path<String>) -> ApiResult<Response> {
    let ctx: &AppContext = &fed;
    let row = actors::local_person(ctx, &name).await.map_err(|_| not_found())?;
    if let Some(deleted) = row.deleted_at {
        // Gone, as Mastodon answers for a deleted account: other servers drop what they keep.
        let tombstone = serde_json::json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": crate::urls::person_id(&ctx.config, &row.username),
            "type": "Tombstone",
            "formerType": "Person",
            "deleted": crate::http::mastodon::entities::time(deleted),
        });
        let mut response = activity_json(&tombstone);
        *response.status_mut() = axum::http::StatusCode::GONE;
        return Ok(response);
    }
    let data = fed.to_request_data();
    let doc = ApubPerson::new(ctx, row)?.into_json(&data).await?;
    Ok(activity_json(&doc))
}

/// A group's actor: internal groups are not found; a secret group only for signed requests
/// from its members' and invitees' servers.
async fn group(State(fed): State<FedConfig>, SignedBy(requester): SignedBy, Path(name): Path<String>) -> ApiResult<Response> {
    let ctx: &AppContext = &fed;
    let found = actors::shown_group(ctx, &name, &requester).await.map_err(|_| not_found())?;
    let data = fed.to_request_data();
    let doc = ApubGroup::new(ctx, found.into())?.into_json(&data).await?;
    Ok(activity_json(&doc))
}

async fn instance_actor(State(ctx): State<AppContext>) -> ApiResult<Response> {
    let doc = InstanceActor::load(&ctx).await?.document(&ctx)?;
    Ok(activity_json(&doc))
}
