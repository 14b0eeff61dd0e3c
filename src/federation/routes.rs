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

use super::protocol::{actor_context, ActorDocument, ActorKind, Endpoints, PropertyValue, PublicKey};
use super::ACTIVITY_JSON;
use crate::config::Config;
use crate::context::AppContext;
use crate::error::Error;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::Query;
use crate::http::mastodon::entities::time;
use crate::service::actors::{self, Named};
use crate::urls;

pub fn router() -> Router<AppContext> {
    Router::new()
        .route("/.well-known/webfinger", get(webfinger))
        .route("/.well-known/nodeinfo", get(nodeinfo_links))
        .route("/nodeinfo/2.1", get(nodeinfo))
        .route("/.well-known/host-meta", get(host_meta))
        .route("/users/{name}", get(person))
        .route("/groups/{name}", get(group))
        .route("/actor", get(instance_actor))
}

fn url(text: String) -> ApiResult<Url> {
    Url::parse(&text).map_err(|e| ApiError(Error::internal(format!("bad local URL {text}: {e}"))))
}

fn activity_json(doc: &ActorDocument) -> Response {
    let mut response = Json(doc).into_response();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(ACTIVITY_JSON));
    response
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
            .ok_or_else(not_found)?
            .to_string()
    } else {
        return Err(not_found());
    };
    let found = actors::resolve_name(&ctx, &name).await.map_err(|_| not_found())?;
    let (subject, links) = match &found {
        Named::Person(n) => (format!("acct:{n}@{}", config.domain), vec![(url(urls::person_id(config, n))?, Some("Person"))]),
        Named::Group(n) => (format!("acct:{n}@{}", config.domain), vec![(url(urls::group_id(config, n))?, Some("Group"))]),
    };
    let body = activitypub_federation::fetch::webfinger::build_webfinger_response_with_type(subject, links);
    let mut response = Json(body).into_response();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/jrd+json; charset=utf-8"));
    Ok(response)
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

struct ActorParts {
    kind: ActorKind,
    id: String,
    page: String,
    preferred_username: String,
    name: String,
    summary: String,
    public_key_pem: String,
    with_collections: bool,
}

fn document(config: &Config, parts: ActorParts) -> ApiResult<ActorDocument> {
    let id = url(parts.id.clone())?;
    let collections = |suffix: &str| -> ApiResult<Option<Url>> {
        if parts.with_collections {
            Ok(Some(url(format!("{}/{suffix}", parts.id))?))
        } else {
            Ok(None)
        }
    };
    Ok(ActorDocument {
        context: actor_context(),
        kind: parts.kind,
        preferred_username: parts.preferred_username,
        name: parts.name,
        summary: parts.summary,
        url: url(parts.page)?,
        inbox: url(format!("{}/inbox", parts.id))?,
        outbox: url(format!("{}/outbox", parts.id))?,
        followers: collections("followers")?,
        following: None,
        featured: collections("featured")?,
        endpoints: Endpoints { shared_inbox: url(urls::shared_inbox(config))? },
        public_key: PublicKey { id: format!("{}#main-key", parts.id), owner: id.clone(), public_key_pem: parts.public_key_pem },
        id,
        manually_approves_followers: false,
        discoverable: true,
        attributed_to: Vec::new(),
        attachment: Vec::new(),
        published: None,
    })
}

async fn person(State(ctx): State<AppContext>, Path(name): Path<String>) -> ApiResult<Response> {
    let person = actors::local_person(&ctx, &name).await.map_err(|_| not_found())?;
    let config = &ctx.config;
    let mut doc = document(
        config,
        ActorParts {
            kind: ActorKind::Person,
            id: urls::person_id(config, &person.username),
            page: urls::person_page(config, &person.username),
            preferred_username: person.username.clone(),
            name: person.display_name.clone(),
            summary: person.bio_html.clone(),
            public_key_pem: person.public_key.clone().unwrap_or_default(),
            with_collections: true,
        },
    )?;
    doc.following = Some(url(format!("{}/following", urls::person_id(config, &person.username)))?);
    if !person.department.is_empty() {
        doc.attachment.push(PropertyValue {
            kind: "PropertyValue".into(),
            name: "Department".into(),
            value: crate::service::text::sanitize(&person.department),
        });
    }
    doc.published = Some(time(person.created_at));
    Ok(activity_json(&doc))
}

async fn group(State(ctx): State<AppContext>, Path(name): Path<String>) -> ApiResult<Response> {
    let found = actors::local_group(&ctx, &name).await.map_err(|_| not_found())?;
    let config = &ctx.config;
    let g = &found.group;
    let mut doc = document(
        config,
        ActorParts {
            kind: ActorKind::Group,
            id: urls::group_id(config, &g.name),
            page: urls::group_id(config, &g.name),
            preferred_username: g.name.clone(),
            name: g.display_name.clone(),
            summary: g.note_html.clone(),
            public_key_pem: g.public_key.clone().unwrap_or_default(),
            with_collections: true,
        },
    )?;
    doc.manually_approves_followers = found.manually_approves;
    doc.attributed_to = found.moderators.iter().map(|p| url(urls::person_id(config, &p.username))).collect::<ApiResult<_>>()?;
    doc.published = Some(time(g.created_at));
    Ok(activity_json(&doc))
}

async fn instance_actor(State(ctx): State<AppContext>) -> ApiResult<Response> {
    let keys = actors::instance_keys(&ctx).await?;
    let config = &ctx.config;
    let mut doc = document(
        config,
        ActorParts {
            kind: ActorKind::Application,
            id: urls::instance_actor(config),
            page: config.base_url(),
            preferred_username: config.domain.split(':').next().unwrap_or("gilde").to_string(),
            name: config.instance_name.clone(),
            summary: String::new(),
            public_key_pem: keys.public_pem,
            with_collections: false,
        },
    )?;
    doc.manually_approves_followers = true;
    doc.discoverable = false;
    Ok(activity_json(&doc))
}
