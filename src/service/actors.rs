//! What other servers may see of this instance's actors. The rules of the federation table in the
//! design brief that concern actors live here: an internal group is never shown to another
//! server (not found, as if it did not exist); a secret group only to servers with members or
//! invitees (signed requests arrive with federation; until then it is not found); public and
//! private federated groups are shown, private ones as needing approval.

use super::{group_not_found, person_not_found, Scope, Visibility};
use crate::context::AppContext;
use crate::db::groups::Group;
use crate::db::people::Person;
use crate::db::{self, DbConn};
use crate::error::{Error, Result};
use crate::keys::{self, Keypair};

/// A local group as other servers see it.
pub struct FederatedGroup {
    pub group: Group,
    /// Owners and moderators (listed as `attributedTo`).
    pub moderators: Vec<Person>,
    /// New members need a moderator's approval (private and secret groups).
    pub manually_approves: bool,
}

/// May other servers know this group exists (unsigned requests)?
pub fn shown_to_other_servers(group: &Group) -> bool {
    let federated = Scope::parse(&group.scope).is_ok_and(|s| s == Scope::Federated);
    let visibility = Visibility::parse(&group.visibility).unwrap_or(Visibility::Secret);
    group.domain.is_none() && federated && visibility != Visibility::Secret
}

/// Keys for an actor that has none yet are made outside the transaction (it takes a while) and
/// stored only if no other request stored some first.
async fn new_keys() -> Result<Keypair> {
    tokio::task::spawn_blocking(keys::generate).await.map_err(|e| Error::internal(e.to_string()))?
}

/// A local person, with keys.
pub async fn local_person(ctx: &AppContext, name: &str) -> Result<Person> {
    let name = name.to_ascii_lowercase();
    let lookup = name.clone();
    let person =
        ctx.db.read(move |conn| -> Result<_> { db::people::find_by_name(conn, &lookup, None)?.ok_or_else(person_not_found) }).await?;
    if person.public_key.is_some() {
        return Ok(person);
    }
    let pair = new_keys().await?;
    ctx.db
        .write(move |conn| -> Result<_> { Ok(db::people::set_keys_if_missing(conn, person.id, &pair.public_pem, &pair.private_pem)?) })
        .await
}

fn load_federated_group(conn: &mut DbConn, name: &str) -> Result<Group> {
    let group = db::groups::find_by_name(conn, name, None)?.ok_or_else(group_not_found)?;
    if !shown_to_other_servers(&group) {
        return Err(group_not_found());
    }
    Ok(group)
}

/// A local group that other servers may see, with keys and moderators; "not found" otherwise.
pub async fn local_group(ctx: &AppContext, name: &str) -> Result<FederatedGroup> {
    let name = name.to_ascii_lowercase();
    let lookup = name.clone();
    let mut group = ctx.db.read(move |conn| load_federated_group(conn, &lookup)).await?;
    if group.public_key.is_none() {
        let pair = new_keys().await?;
        let id = group.id;
        group = ctx
            .db
            .write(move |conn| -> Result<_> { Ok(db::groups::set_keys_if_missing(conn, id, &pair.public_pem, &pair.private_pem)?) })
            .await?;
    }
    ctx.db
        .read(move |conn| {
            let ids = db::memberships::moderators(conn, group.id)?;
            let mut moderators = db::people::get_many(conn, &ids)?;
            moderators.sort_by_key(|p| p.id);
            let manually_approves = Visibility::parse(&group.visibility)? != Visibility::Public;
            Ok(FederatedGroup { group, moderators, manually_approves })
        })
        .await
}

/// What a WebFinger `acct:` name stands for here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Named {
    Person(String),
    Group(String),
}

/// Resolves a name for WebFinger: a local person, or a group other servers may see.
pub async fn resolve_name(ctx: &AppContext, name: &str) -> Result<Named> {
    let name = name.trim_start_matches(['!', '@']).to_ascii_lowercase();
    ctx.db
        .read(move |conn| {
            if let Some(person) = db::people::find_by_name(conn, &name, None)? {
                return Ok(Named::Person(person.username));
            }
            let group = load_federated_group(conn, &name)?;
            Ok(Named::Group(group.name))
        })
        .await
}

/// The instance actor's keys, made on first use.
pub async fn instance_keys(ctx: &AppContext) -> Result<Keypair> {
    const PUBLIC: &str = "instance_actor_public_key";
    const PRIVATE: &str = "instance_actor_private_key";
    let stored = ctx.db.read(|conn| -> Result<_> { Ok((db::settings::get(conn, PUBLIC)?, db::settings::get(conn, PRIVATE)?)) }).await?;
    if let (Some(public_pem), Some(private_pem)) = stored {
        return Ok(Keypair { public_pem, private_pem });
    }
    let pair = new_keys().await?;
    ctx.db
        .write(move |conn| -> Result<_> {
            // Private first: whoever stored it first wins, and the public key follows it.
            let private_pem = db::settings::get_or_insert(conn, PRIVATE, &pair.private_pem)?;
            let public_pem = if private_pem == pair.private_pem {
                db::settings::get_or_insert(conn, PUBLIC, &pair.public_pem)?
            } else {
                db::settings::get(conn, PUBLIC)?.ok_or_else(|| Error::internal("instance key pair is incomplete"))?
            };
            Ok(Keypair { public_pem, private_pem })
        })
        .await
}

/// The domain part (`host` or `host:port`) of an ActivityPub id.
pub fn domain_of(url: &url::Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    })
}

/// Refuses a domain this instance does not federate with.
pub fn check_domain_allowed(ctx: &AppContext, domain: &str) -> Result<()> {
    check_domain_allowed_for(&ctx.config, domain)
}

pub fn check_domain_allowed_for(config: &crate::config::Config, domain: &str) -> Result<()> {
    if config.federation.allows(domain) {
        Ok(())
    } else {
        Err(Error::forbidden("domain_not_allowed", format!("This instance does not federate with {domain}.")))
    }
}

/// Trims what another server sent to the sizes Gilde keeps, and sanitises its HTML.
fn clean_remote_text(name: &str, html: &str) -> (String, String) {
    let name: String = name.trim().chars().take(super::people::MAX_DISPLAY_NAME).collect();
    let html: String = super::text::sanitize(html).chars().take(super::groups::MAX_NOTE).collect();
    (name, html)
}

/// Stores (or updates) a person another server described.
pub async fn store_remote_person(ctx: &AppContext, mut remote: db::people::RemotePerson) -> Result<Person> {
    check_domain_allowed(ctx, &remote.domain)?;
    remote.username = remote.username.to_ascii_lowercase();
    (remote.display_name, remote.bio_html) = clean_remote_text(&remote.display_name, &remote.bio_html);
    if remote.display_name.is_empty() {
        remote.display_name = remote.username.clone();
    }
    ctx.db.write(move |conn| -> Result<_> { Ok(db::people::upsert_remote(conn, &remote)?) }).await
}

/// Stores (or updates) a group another server described.
pub async fn store_remote_group(ctx: &AppContext, mut remote: db::groups::RemoteGroup) -> Result<Group> {
    check_domain_allowed(ctx, &remote.domain)?;
    remote.name = remote.name.to_ascii_lowercase();
    (remote.display_name, remote.note_html) = clean_remote_text(&remote.display_name, &remote.note_html);
    if remote.display_name.is_empty() {
        remote.display_name = remote.name.clone();
    }
    ctx.db.write(move |conn| -> Result<_> { Ok(db::groups::upsert_remote(conn, &remote)?) }).await
}

/// The person with this ActivityPub id: a local one (by their address here) or a stored remote one.
pub async fn person_by_ap_id(ctx: &AppContext, id: &url::Url) -> Result<Option<Person>> {
    let local_prefix = format!("{}/users/", ctx.config.base_url());
    if let Some(name) = id.as_str().strip_prefix(&local_prefix) {
        return match local_person(ctx, name).await {
            Ok(p) => Ok(Some(p)),
            Err(e) if e.kind() == crate::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        };
    }
    let id = id.to_string();
    ctx.db.read(move |conn| -> Result<_> { Ok(db::people::find_by_ap_id(conn, &id)?) }).await
}

/// The group with this ActivityPub id: a local one other servers may see, or a stored remote one.
pub async fn group_by_ap_id(ctx: &AppContext, id: &url::Url) -> Result<Option<FederatedGroup>> {
    let local_prefix = format!("{}/groups/", ctx.config.base_url());
    if let Some(name) = id.as_str().strip_prefix(&local_prefix) {
        return match local_group(ctx, name).await {
            Ok(g) => Ok(Some(g)),
            Err(e) if e.kind() == crate::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        };
    }
    let id = id.to_string();
    ctx.db
        .read(move |conn| -> Result<_> {
            Ok(db::groups::find_by_ap_id(conn, &id)?.map(|group| {
                let manually_approves = group.visibility != "public";
                FederatedGroup { group, moderators: Vec::new(), manually_approves }
            }))
        })
        .await
}
