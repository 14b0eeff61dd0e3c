//! Finding people and groups of other instances by address (`name@domain`), with a signed
//! WebFinger lookup and fetch, and storing them.

use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::fetch::webfinger::webfinger_resolve_actor;

use super::objects::{ApubGroup, ApubPerson};
use super::setup::FedConfig;
use crate::db::groups::Group;
use crate::db::people::Person;
use crate::error::{Error, Result};
use crate::service::actors::check_domain_allowed;

fn split(acct: &str) -> Result<(String, String)> {
    let acct = acct.trim().trim_start_matches(['@', '!']).to_ascii_lowercase();
    match acct.split_once('@') {
        Some((name, domain)) if !name.is_empty() && !domain.is_empty() => Ok((name.to_string(), domain.to_string())),
        _ => Err(Error::invalid("invalid_address", "An address looks like name@domain.")),
    }
}

/// A person of another instance, fetched and stored (or refreshed).
pub async fn person(fed: &FedConfig, acct: &str) -> Result<Person> {
    let (name, domain) = split(acct)?;
    check_domain_allowed(fed, &domain)?;
    let data = fed.to_request_data();
    let found: ApubPerson = webfinger_resolve_actor(&format!("{name}@{domain}"), &data).await?;
    Ok(found.row)
}

/// A group of another instance, fetched and stored (or refreshed).
pub async fn group(fed: &FedConfig, acct: &str) -> Result<Group> {
    let (name, domain) = split(acct)?;
    check_domain_allowed(fed, &domain)?;
    let data = fed.to_request_data();
    let found: ApubGroup = webfinger_resolve_actor(&format!("{name}@{domain}"), &data).await?;
    Ok(found.found.group)
}

/// What an address of another instance turned out to be.
pub enum Resolved {
    Person(Person),
    Group(Group),
    Post(crate::db::PostId),
}

/// Resolves what someone pasted into search: `name@domain` (a person, else a group) or the
/// address of an actor or a post. A post is stored if it belongs to a group of its own server
/// (a group's server is trusted for what is in the group, as when it announces). The fetch is
/// signed by the instance actor, so a private group's server answers only if it has members here.
pub async fn resolve(fed: &FedConfig, query: &str) -> Result<Option<Resolved>> {
    let query = query.trim();
    if !query.starts_with("https://") && !query.starts_with("http://") {
        if split(query).is_err() {
            return Ok(None);
        }
        if let Ok(found) = person(fed, query).await {
            return Ok(Some(Resolved::Person(found)));
        }
        return Ok(group(fed, query).await.ok().map(Resolved::Group));
    }
    let url = url::Url::parse(query).map_err(|_| Error::invalid("invalid_address", "This is not a valid address."))?;
    let domain = crate::service::actors::domain_of(&url).ok_or_else(|| Error::invalid("invalid_address", "This address has no host."))?;
    if domain.eq_ignore_ascii_case(&fed.config.domain) {
        return Ok(None);
    }
    check_domain_allowed(fed, &domain)?;
    let data = fed.to_request_data();
    let fetched = activitypub_federation::fetch::fetch_object_http::<crate::context::AppContext, serde_json::Value>(&url, &data).await?;
    let object = fetched.object;
    match object.get("type").and_then(serde_json::Value::as_str) {
        Some("Person") => {
            let found: ApubPerson = ObjectId::<ApubPerson>::from(url).dereference(&data).await?;
            Ok(Some(Resolved::Person(found.row)))
        }
        Some("Group") => {
            let found: ApubGroup = ObjectId::<ApubGroup>::from(url).dereference(&data).await?;
            Ok(Some(Resolved::Group(found.found.group)))
        }
        Some("Note") => {
            let Some(group_url) = object.get("audience").and_then(serde_json::Value::as_str).and_then(|u| url::Url::parse(u).ok()) else {
                return Ok(None);
            };
            if crate::service::actors::domain_of(&group_url) != Some(domain) {
                return Ok(None);
            }
            // Known (stored) before the note is, as when the group announces.
            ObjectId::<ApubGroup>::from(group_url.clone()).dereference(&data).await?;
            super::activities::announced(&data, &group_url, &object).await?;
            let key = url.to_string();
            let post = fed.db.read(move |conn| -> Result<_> { Ok(crate::db::posts::find_by_ap_id(conn, &key)?) }).await?;
            Ok(post.map(|p| Resolved::Post(p.id)))
        }
        _ => Ok(None),
    }
}
