//! Backfill: when a local person is taken into a group of another instance, its recent history
//! is fetched from the group's outbox (signed, so a private group's server can check that this
//! instance has a member) and stored as if the group had announced it. What is here already is
//! skipped; a post that cannot be stored (its thread is older than the pages fetched) is left out.

use serde_json::Value;
use url::Url;

use super::protocol::ActorDocument;
use super::setup::FedConfig;
use crate::context::AppContext;
use crate::db::{self, GroupId};
use crate::error::{Error, Result};

/// Pages of the outbox fetched at most (20 posts a page at Gilde).
const MAX_PAGES: usize = 3;
/// Items taken from the outbox at most, whatever its page size.
const MAX_ITEMS: usize = 100;

async fn fetch(fed: &FedConfig, url: &Url) -> Result<Value> {
    let data = fed.to_request_data();
    Ok(activitypub_federation::fetch::fetch_object_http::<AppContext, Value>(url, &data).await?.object)
}

fn link(value: &Value) -> Option<Url> {
    match value {
        Value::String(s) => Url::parse(s).ok(),
        Value::Object(_) => value.get("id").and_then(Value::as_str).and_then(|s| Url::parse(s).ok()),
        _ => None,
    }
}

/// Fetches and stores a remote group's recent history; returns how many items were stored or
/// already here.
pub async fn fetch_history(fed: &FedConfig, group: GroupId) -> Result<usize> {
    let ctx: &AppContext = fed;
    let row = ctx.db.read(move |conn| -> Result<_> { Ok(db::groups::find(conn, group)?) }).await?;
    let Some(row) = row else { return Ok(0) };
    let Some(ap_id) = row.ap_id.clone() else { return Ok(0) };
    let group_url = Url::parse(&ap_id).map_err(Error::internal)?;
    let actor: ActorDocument =
        serde_json::from_value(fetch(fed, &group_url).await?).map_err(|e| Error::invalid("bad_actor", e.to_string()))?;
    let Some(outbox_url) = actor.outbox else { return Ok(0) };
    let outbox = fetch(fed, &outbox_url).await?;

    let mut items: Vec<Value> = Vec::new();
    let mut next = match outbox.get("orderedItems") {
        Some(Value::Array(list)) => {
            items.extend(list.iter().cloned());
            None
        }
        _ => outbox.get("first").and_then(link),
    };
    if let Some(Value::Object(_)) = outbox.get("first") {
        // The first page is embedded.
        let page = outbox["first"].clone();
        items.extend(page.get("orderedItems").and_then(Value::as_array).cloned().unwrap_or_default());
        next = page.get("next").and_then(link);
    }
    let mut pages = 0;
    while let Some(url) = next.take() {
        if pages >= MAX_PAGES || items.len() >= MAX_ITEMS || actors_domain(&url) != actors_domain(&group_url) {
            break;
        }
        let page = fetch(fed, &url).await?;
        items.extend(page.get("orderedItems").and_then(Value::as_array).cloned().unwrap_or_default());
        next = page.get("next").and_then(link);
        pages += 1;
    }
    items.truncate(MAX_ITEMS);

    // Oldest first, so a reply finds the post it answers.
    let mut stored = 0;
    for item in items.into_iter().rev() {
        let data = fed.to_request_data();
        let by_group = item.get("actor").and_then(Value::as_str) == Some(group_url.as_str());
        let result = match item.get("type").and_then(Value::as_str) {
            Some("Announce") if by_group => {
                super::activities::announced(&data, &group_url, item.get("object").unwrap_or(&Value::Null)).await
            }
            // Outboxes as Lemmy and Mastodon keep them: the Create itself, its note naming the group.
            Some("Create") => super::activities::announced(&data, &group_url, &item).await,
            _ => continue,
        };
        match result {
            Ok(()) => stored += 1,
            Err(e) => tracing::debug!(group = %group_url, error = %e, "a history item was left out"),
        }
    }
    tracing::info!(group = %group_url, items = stored, "fetched the group's history");
    Ok(stored)
}

fn actors_domain(url: &Url) -> Option<String> {
    crate::service::actors::domain_of(url)
}
