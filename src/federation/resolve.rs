//! Finding people and groups of other instances by address (`name@domain`), with a signed
//! WebFinger lookup and fetch, and storing them.

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
