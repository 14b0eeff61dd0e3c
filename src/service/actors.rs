//! What other servers may see of this instance. The rules of the federation table in the design
//! brief about what is served live here: nothing of an internal group is shown to another
//! server (not found, as if it did not exist); a secret group's actor only to signed requests
//! from servers of its members and invitees; public and private federated groups are shown,
//! private ones as needing approval. A public group's content is everyone's; a private or
//! secret group's only for signed requests from its members' servers.

use super::{group_not_found, person_not_found, post_not_found, Scope, Visibility};
use crate::context::AppContext;
use crate::db::groups::Group;
use crate::db::people::Person;
use crate::db::posts::Post;
use crate::db::PostId;
use crate::db::{self, DbConn};
use crate::error::{Error, ErrorKind, Result};
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

/// Who asks for something of this instance: another server whose signature verified, or
/// someone unknown (an unsigned request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requester {
    Anonymous,
    Server(String),
}

/// A local group that federates (any visibility); internal and remote groups are not found.
/// A group hosted here that other servers may see, by name; "not found" for any other.
pub(crate) fn federated_group_here(conn: &mut DbConn, name: &str) -> Result<Group> {
    load_federated_group(conn, &name.to_ascii_lowercase())
}

fn load_federated_group(conn: &mut DbConn, name: &str) -> Result<Group> {
    let group = db::groups::find_by_name(conn, name, None)?.ok_or_else(group_not_found)?;
    let federated = Scope::parse(&group.scope).is_ok_and(|s| s == Scope::Federated);
    if group.domain.is_some() || !federated {
        return Err(group_not_found());
    }
    Ok(group)
}

/// The domains a group narrowed its federation to (empty: as the instance allows).
pub fn partner_patterns(group: &Group) -> Vec<crate::config::DomainPattern> {
    group.partner_domains.lines().filter_map(|l| crate::config::DomainPattern::parse(l).ok()).collect()
}

/// May `requester` know that this federated group exists? Public and private groups are shown
/// to everyone; a secret one only to servers of its members and invitees.
fn check_group_shown(conn: &mut DbConn, group: &Group, requester: &Requester) -> Result<()> {
    if let Requester::Server(domain) = requester {
        super::policy::check_partner(group, domain)?;
    }
    if shown_to_other_servers(group) {
        return Ok(());
    }
    match requester {
        Requester::Server(domain) if db::memberships::has_member_on(conn, group.id, domain, &["active", "invited"])? => Ok(()),
        _ => Err(group_not_found()),
    }
}

/// May `requester` read this group's content (posts, history, members)? A public group's is
/// everyone's; a private or secret group's only for signed requests from its members' servers.
pub fn check_group_content(conn: &mut DbConn, group: &Group, requester: &Requester) -> Result<()> {
    check_group_shown(conn, group, requester)?;
    // A public group that narrowed its partners shows its content to their servers only.
    if Visibility::parse(&group.visibility)? == Visibility::Public {
        return match requester {
            Requester::Anonymous if !partner_patterns(group).is_empty() => Err(Error::unauthenticated(
                "signature_required",
                "This group's content is only for its partner organisations' servers: sign the request (authorized fetch).",
            )),
            _ => Ok(()),
        };
    }
    match requester {
        Requester::Anonymous => Err(Error::unauthenticated(
            "signature_required",
            "This group's content is only for its members' servers: sign the request (authorized fetch).",
        )),
        Requester::Server(domain) if db::memberships::has_member_on(conn, group.id, domain, &["active"])? => Ok(()),
        Requester::Server(_) => Err(Error::not_found("not_found", "Nothing is found at this address.")),
    }
}

/// A local federated group, with keys and moderators; "not found" for internal groups.
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

/// A local group as `requester` may see it: "not found" for internal groups, and for secret
/// groups unless the requester is a server of its members or invitees.
pub async fn shown_group(ctx: &AppContext, name: &str, requester: &Requester) -> Result<FederatedGroup> {
    let found = local_group(ctx, name).await?;
    let group = found.group.clone();
    let requester = requester.clone();
    ctx.db.read(move |conn| check_group_shown(conn, &group, &requester)).await?;
    Ok(found)
}

/// How many of a group's posts one page of its outbox holds.
pub const OUTBOX_PAGE: i64 = 20;

/// A page of a local group's history for `requester`, newest first: the group, the posts
/// (before `before`) and how many posts it holds in all.
pub async fn group_history(ctx: &AppContext, name: &str, requester: &Requester, before: Option<PostId>) -> Result<(Group, Vec<Post>, i64)> {
    let name = name.to_ascii_lowercase();
    let requester = requester.clone();
    ctx.db
        .read(move |conn| {
            let group = load_federated_group(conn, &name)?;
            check_group_content(conn, &group, &requester)?;
            let posts = db::posts::group_history(conn, group.id, before, OUTBOX_PAGE)?;
            let total = db::posts::count_in_group(conn, group.id)?;
            Ok((group, posts, total))
        })
        .await
}

/// How many active members a local group has, for `requester` (its followers collection).
/// A group's member count and, for a signed request of a server that may read its content, the
/// servers with members (this one first): a member's server asks, to know to whom it may serve
/// its own people's posts in the group.
pub async fn group_member_count(ctx: &AppContext, name: &str, requester: &Requester) -> Result<(i64, Option<Vec<String>>)> {
    let name = name.to_ascii_lowercase();
    let requester = requester.clone();
    let own = ctx.config.domain.clone();
    ctx.db
        .read(move |conn| {
            let group = load_federated_group(conn, &name)?;
            check_group_content(conn, &group, &requester)?;
            let count = group.members_count;
            let servers = match requester {
                Requester::Server(_) => Some(std::iter::once(own).chain(db::memberships::member_servers(conn, group.id)?).collect()),
                Requester::Anonymous => None,
            };
            Ok((count, servers))
        })
        .await
}

/// The group (its id) of a post of this instance in a private or secret group of another
/// instance; `None` for any other post.
pub async fn remote_private_group_of(ctx: &AppContext, id: PostId) -> Result<Option<String>> {
    ctx.db
        .read(move |conn| -> Result<_> {
            let Some(post) = db::posts::find(conn, id)?.filter(|p| p.ap_id.is_none() && p.visibility != "public") else { return Ok(None) };
            let Some(group) = post.group_id.map(|g| db::groups::find(conn, g)).transpose()?.flatten() else { return Ok(None) };
            Ok(if group.domain.is_some() { group.ap_id } else { None })
        })
        .await
}

/// A post of this instance in a private group of another instance, for a server that group's
/// server lists among those with members (`member_servers`, as it answered this instance).
pub async fn served_post_to_member_server(
    ctx: &AppContext,
    id: PostId,
    requester: &Requester,
    member_servers: &[String],
) -> Result<(Post, Group)> {
    let listed = match requester {
        Requester::Server(domain) => member_servers.iter().any(|s| s.eq_ignore_ascii_case(domain)),
        Requester::Anonymous => false,
    };
    if !listed {
        return Err(post_not_found());
    }
    ctx.db
        .read(move |conn| {
            let post = db::posts::find(conn, id)?.filter(|p| p.ap_id.is_none()).ok_or_else(post_not_found)?;
            let group = post.group_id.map(|g| db::groups::find(conn, g)).transpose()?.flatten().ok_or_else(post_not_found)?;
            if group.domain.is_none() {
                return Err(post_not_found());
            }
            Ok((post, group))
        })
        .await
}

/// An activity this instance sent, for a requester that may have it: anyone for a public
/// one, else a signed request from a server it went to. Anything else is not found, exactly as
/// an id that never existed.
pub async fn sent_activity(ctx: &AppContext, ap_id: String, requester: &Requester) -> Result<String> {
    let domain = match requester {
        Requester::Server(domain) => Some(domain.clone()),
        Requester::Anonymous => None,
    };
    let found = ctx.db.read(move |conn| -> Result<_> { Ok(db::sent_activities::find(conn, &ap_id)?) }).await?;
    found
        .filter(|a| a.shown_to(domain.as_deref()))
        .map(|a| a.json)
        .ok_or_else(|| Error::not_found("not_found", "Nothing is found at this address."))
}

/// A post of this instance as `requester` may fetch it, with its group. A post in a local group
/// follows the group's rules; a local member's post in a group of another instance is public
/// if the group is, and otherwise only for that group's server. Posts outside groups, and
/// everything of internal groups, are not served.
pub async fn served_post(ctx: &AppContext, id: PostId, requester: &Requester) -> Result<(Post, Group)> {
    let requester = requester.clone();
    ctx.db
        .read(move |conn| {
            let post = db::posts::find(conn, id)?.filter(|p| p.ap_id.is_none()).ok_or_else(post_not_found)?;
            let group = check_served(conn, &post, &requester)?;
            Ok((post, group))
        })
        .await
}

/// May this local post be served to another server (or to anyone, `Anonymous`)? Returns its
/// group; "not found" when it may not.
pub(crate) fn check_served(conn: &mut DbConn, post: &Post, requester: &Requester) -> Result<Group> {
    let group = match post.group_id {
        Some(g) => db::groups::find(conn, g)?.ok_or_else(post_not_found)?,
        None => return Err(post_not_found()),
    };
    match &group.domain {
        None => {
            let federated = Scope::parse(&group.scope).is_ok_and(|s| s == Scope::Federated);
            if !federated {
                return Err(post_not_found());
            }
            check_group_content(conn, &group, requester).map_err(|e| if e.kind() == ErrorKind::NotFound { post_not_found() } else { e })?;
        }
        Some(domain) => {
            let allowed = post.visibility == "public" || *requester == Requester::Server(domain.clone());
            if !allowed {
                return Err(post_not_found());
            }
        }
    }
    Ok(group)
}

/// A thread of a local private or secret group as the group's own copy (what microblog
/// servers show its followers), for its members' servers only; not found for anyone else.
pub async fn served_group_copy(ctx: &AppContext, id: PostId, requester: &Requester) -> Result<(Post, Group)> {
    let requester = requester.clone();
    ctx.db
        .read(move |conn| {
            let post = db::posts::find(conn, id)?.filter(|p| p.in_reply_to_id.is_none()).ok_or_else(post_not_found)?;
            let group = match post.group_id {
                Some(g) => db::groups::find(conn, g)?.ok_or_else(post_not_found)?,
                None => return Err(post_not_found()),
            };
            let federated = Scope::parse(&group.scope).is_ok_and(|s| s == Scope::Federated);
            if group.domain.is_some() || !federated || post.visibility == "public" {
                return Err(post_not_found());
            }
            match &requester {
                Requester::Server(domain) if db::memberships::has_member_on(conn, group.id, domain, &["active"])? => Ok((post, group)),
                _ => Err(post_not_found()),
            }
        })
        .await
}

/// A local person's posts that anyone may read (those in public federated groups), newest first.
pub async fn person_public_posts(ctx: &AppContext, name: &str, before: Option<PostId>) -> Result<(Person, Vec<Post>, i64)> {
    let person = local_person(ctx, name).await?;
    ctx.db
        .read(move |conn| {
            let (posts, total) = db::posts::by_author_in_public_federated_groups(conn, person.id, before, OUTBOX_PAGE)?;
            Ok((person, posts, total))
        })
        .await
}

/// How many people follow a local person, and how many they follow (their collections show
/// the numbers only, as Mastodon's do by default).
pub async fn person_follow_counts(ctx: &AppContext, name: &str) -> Result<(i64, i64)> {
    let person = local_person(ctx, name).await?;
    Ok((person.followers_count, person.following_count))
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
            check_group_shown(conn, &group, &Requester::Anonymous)?;
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

/// A server answered (a delivery to it succeeded, or it sent a signed activity): if it was
/// failing or marked dead, it is alive again and its waiting deliveries are sent now.
/// Returns what the server runs, where known (read with its state, so a caller need not ask again).
///
/// A server seen up (nothing failing) is not read again for a minute: a busy server sends many
/// activities a second. A failure this process records forgets it at once
/// (`server_failed`); one recorded by another process is noticed within that minute.
pub async fn server_answered(ctx: &AppContext, domain: &str) -> Result<Option<String>> {
    if let Some(software) = seen_up(ctx, domain) {
        return Ok(software);
    }
    let key = domain.to_string();
    let server = ctx.db.read(move |conn| -> Result<_> { Ok(db::servers::find(conn, &key)?) }).await?;
    let failing = server.as_ref().is_some_and(|s| s.failing_since.is_some());
    let software = server.and_then(|s| s.software);
    if failing {
        let key = domain.to_string();
        if ctx.db.write(move |conn| -> Result<_> { Ok(db::servers::record_alive(conn, &key, db::now())?) }).await? {
            server_revived(ctx, domain);
        }
    }
    if let Ok(mut up) = ctx.servers_up.lock() {
        // Bounded: a flood of new servers cannot grow it without end.
        if up.len() >= SEEN_UP_MAX {
            up.clear();
        }
        up.insert(domain.to_string(), (std::time::Instant::now(), software.clone()));
    }
    Ok(software)
}

/// How long a server seen up is taken to be up without reading its state again.
const SEEN_UP_FOR: std::time::Duration = std::time::Duration::from_secs(60);
/// How many servers seen up are remembered.
const SEEN_UP_MAX: usize = 10_000;

/// What a server seen up lately runs (where known), if it was seen up lately.
fn seen_up(ctx: &AppContext, domain: &str) -> Option<Option<String>> {
    let up = ctx.servers_up.lock().ok()?;
    up.get(domain).filter(|(at, _)| at.elapsed() < SEEN_UP_FOR).map(|(_, software)| software.clone())
}

/// A delivery to a server failed (recorded): it is no longer taken to be up.
pub fn server_failed(ctx: &AppContext, domain: &str) {
    if let Ok(mut up) = ctx.servers_up.lock() {
        up.remove(domain);
    }
}

/// A server that was failing answers again (recorded): what it runs is asked again, and its
/// waiting deliveries (due now) are looked for.
pub fn server_revived(ctx: &AppContext, domain: &str) {
    tracing::info!(domain, "a server that was failing answers again");
    // What it runs may have been unreadable while it was down: ask again.
    if let Ok(mut unknown) = ctx.unknown_software.lock() {
        unknown.remove(domain);
    }
    ctx.jobs_wake.notify_one();
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

/// Trims what another server sent to the sizes Gilde keeps, and sanitises its HTML: a name is
/// plain text (no markup, no control characters), a description sanitised HTML.
fn clean_remote_text(name: &str, html: &str) -> (String, String) {
    let mut plain = String::with_capacity(name.len());
    let mut in_tag = false;
    for c in name.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if in_tag || c.is_control() => {}
            c => plain.push(c),
        }
    }
    let name: String = plain.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(super::people::MAX_DISPLAY_NAME).collect();
    let html: String = super::text::sanitize(html).chars().take(super::groups::MAX_NOTE).collect();
    (name, html)
}

/// A remote actor's username as Mastodon accepts one: 1 to 100 characters, letters, digits and
/// `_`, with `.` and `-` inside (no markup ever reaches an address).
pub fn valid_remote_username(name: &str) -> bool {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let inner = |c: char| ok_char(c) || c == '.' || c == '-';
    !name.is_empty()
        && name.len() <= 100
        && name.chars().all(inner)
        && name.chars().next().is_some_and(ok_char)
        && name.chars().last().is_some_and(ok_char)
}

/// Checks what a remote actor document names: its username, and that its inboxes are http(s)
/// addresses on the actor's own server (an actor cannot send this instance's deliveries
/// elsewhere).
fn check_remote_actor(username: &str, domain: &str, inboxes: &[Option<&str>]) -> Result<()> {
    if !valid_remote_username(username) {
        return Err(Error::invalid("invalid_remote_actor", "The other server's actor has no valid username."));
    }
    for inbox in inboxes.iter().flatten() {
        let url = url::Url::parse(inbox).map_err(|_| Error::invalid("invalid_remote_actor", "The actor's inbox is not an address."))?;
        let same_server = domain_of(&url).is_some_and(|d| d.eq_ignore_ascii_case(domain));
        if !matches!(url.scheme(), "http" | "https") || !same_server {
            return Err(Error::invalid("invalid_remote_actor", "The actor's inbox is not on its own server."));
        }
    }
    Ok(())
}

/// Stores (or updates) a person another server described.
pub async fn store_remote_person(ctx: &AppContext, mut remote: db::people::RemotePerson) -> Result<Person> {
    check_domain_allowed(ctx, &remote.domain)?;
    check_remote_actor(&remote.username, &remote.domain, &[Some(&remote.inbox_url), remote.shared_inbox_url.as_deref()])?;
    remote.username = remote.username.to_ascii_lowercase();
    (remote.display_name, remote.bio_html) = clean_remote_text(&remote.display_name, &remote.bio_html);
    if remote.display_name.is_empty() {
        remote.display_name = remote.username.clone();
    }
    ctx.db
        .write(move |conn| -> Result<_> {
            if db::people::find_by_ap_id(conn, &remote.ap_id)?.is_some_and(|p| p.deleted_at.is_some()) {
                return Err(person_deleted());
            }
            Ok(db::people::upsert_remote(conn, &remote)?)
        })
        .await
}

/// Stores (or updates) a group another server described.
pub async fn store_remote_group(ctx: &AppContext, mut remote: db::groups::RemoteGroup) -> Result<Group> {
    check_domain_allowed(ctx, &remote.domain)?;
    check_remote_actor(&remote.name, &remote.domain, &[Some(&remote.inbox_url), remote.shared_inbox_url.as_deref()])?;
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
    let found = ctx.db.read(move |conn| -> Result<_> { Ok(db::people::find_by_ap_id(conn, &id)?) }).await?;
    // A person their server deleted stays deleted: nothing from them is accepted again, and
    // they are not fetched anew.
    if found.as_ref().is_some_and(|p| p.deleted_at.is_some()) {
        return Err(person_deleted());
    }
    Ok(found)
}

fn person_deleted() -> Error {
    Error::forbidden("person_deleted", "This person was deleted by their server; nothing from them is accepted any more.")
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

#[cfg(test)]
mod remote_data_tests {
    use super::*;

    #[test]
    fn remote_usernames_are_addresses_not_markup() {
        for good in ["anna", "Anna_B", "j.de-vries", "x1"] {
            assert!(valid_remote_username(good), "{good}");
        }
        for bad in ["", "<b>anna</b>", "an na", "anna@b.nl", ".anna", "anna-", "ánna", &"a".repeat(101)] {
            assert!(!valid_remote_username(bad), "{bad}");
        }
    }

    #[test]
    fn remote_inboxes_are_on_the_actors_own_server() {
        assert!(check_remote_actor("anna", "b.nl", &[Some("https://b.nl/users/anna/inbox"), Some("https://b.nl/inbox")]).is_ok());
        assert!(check_remote_actor("anna", "b.nl", &[Some("https://c.nl/inbox")]).is_err(), "another server");
        assert!(check_remote_actor("anna", "b.nl", &[Some("ftp://b.nl/inbox")]).is_err(), "not http");
        assert!(check_remote_actor("<i>x</i>", "b.nl", &[]).is_err(), "markup in the name");
    }

    #[test]
    fn remote_names_are_plain_text_within_limits() {
        let (name, _) = clean_remote_text("  Anna <script>alert(1)</script>de\u{0007} Vries ", "");
        assert_eq!(name, "Anna alert(1)de Vries");
        let (long, _) = clean_remote_text(&"x".repeat(5_000), "");
        assert_eq!(long.chars().count(), super::super::people::MAX_DISPLAY_NAME);
    }
}
