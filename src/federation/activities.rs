//! Incoming activities. Each passes the same service rules as the client API.

use activitypub_federation::config::Data;
use activitypub_federation::protocol::verification::verify_domains_match;
use activitypub_federation::traits::Activity;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::context::AppContext;
use crate::error::{Error, Result};
use activitypub_federation::fetch::object_id::ObjectId;

use super::objects::{ApubActor, ApubPerson};
use super::protocol::post::{PostObject, Reference};
use crate::service::media::RemoteFile;
use crate::service::posts::{self, RemoteChange, RemoteGroup, RemotePostInput};
use crate::service::{actors, membership, people};

/// An activity as it arrives: its id and actor, and what kind it is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InboxActivity {
    pub id: Url,
    pub actor: Url,
    /// The group it is about, where it names one (FEP-1b12).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "super::protocol::post::first_url")]
    pub audience: Option<Url>,
    #[serde(flatten)]
    pub kind: Kind,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Kind {
    /// Ask to join a group (members are the group's followers).
    Follow { object: Url },
    /// A group (or a person) took the follower in; `object` is the Follow (or its id).
    Accept { object: Reference },
    /// A group (or a person) turned the follower down.
    Reject { object: Reference },
    /// Take something back: a Follow (leaving a group, unfollowing a person) or a Like.
    Undo { object: Reference },
    /// A member's post sent to a group (`object` is the Note).
    Create { object: Value },
    /// Someone likes a post (`object` is its id).
    Like { object: Reference },
    /// An author edited a post (`object` is the Note).
    Update { object: Value },
    /// An author (or a group) deleted a post (`object` is its id or a Tombstone).
    Delete { object: Reference },
    /// A group passes on what its members posted (`object` is the Create, or the Note).
    Announce { object: Value },
    /// A moderator of a group of another instance invites a person of this one (`object`: the
    /// group, `target`: the person).
    Invite { object: Url, target: Url },
    /// Anything Gilde does not handle yet: accepted and ignored, as servers expect.
    #[serde(other)]
    Other,
}

#[async_trait::async_trait]
impl Activity for InboxActivity {
    type DataType = AppContext;
    type Error = Error;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        &self.actor
    }

    async fn verify(&self, _data: &Data<AppContext>) -> Result<()> {
        verify_domains_match(&self.id, &self.actor).map_err(|e| Error::invalid("wrong_domain", e.to_string()))?;
        Ok(())
    }

    async fn receive(self, data: &Data<AppContext>) -> Result<()> {
        let signer = ObjectId::<ApubActor>::from(self.actor.clone()).dereference(data).await?;
        self.receive_from(signer, data).await
    }
}

impl InboxActivity {
    /// Acts on an activity whose signature `signer` (its actor, read or fetched to verify it)
    /// made.
    pub async fn receive_from(self, signer: ApubActor, data: &Data<AppContext>) -> Result<()> {
        let ctx: &AppContext = data;
        // The signature verified: the sender's server is up.
        if let Some(domain) = actors::domain_of(&self.actor) {
            // It is up now: a good moment to learn what it runs, if that is not known yet.
            if actors::server_answered(ctx, &domain).await?.is_none() {
                super::software::learn_from_sender(ctx, &self.actor);
            }
        }
        match self.kind {
            Kind::Follow { object } => {
                let ApubActor::Person(follower) = signer else {
                    return Err(Error::invalid("unknown_actor", "The follower is unknown."));
                };
                let follower = follower.row;
                match local_path(ctx, &object) {
                    Some(("groups", group)) => {
                        membership::remote_follow(ctx, group, follower.id, self.id.to_string()).await?;
                    }
                    Some(("users", name)) => people::remote_follow(ctx, name, follower.id, self.id.to_string()).await?,
                    _ => return Err(Error::not_found("not_found", "Nothing is found at this address.")),
                }
            }
            Kind::Accept { object } => answer(ctx, &self.actor, &object, true).await?,
            Kind::Create { object } => created(data, &signer, &self.actor, &object).await?,
            Kind::Undo { object } => undone(ctx, &self.actor, &object).await?,
            Kind::Update { object } => edited_here(ctx, &self.actor, &object).await?,
            Kind::Like { object } => like_here(ctx, &self.actor, object.id.as_ref(), true).await?,
            Kind::Delete { object } => deleted_here(ctx, &self.actor, &object).await?,
            Kind::Announce { object } => announced(data, &self.actor, &object).await?,
            Kind::Reject { object } => answer(ctx, &self.actor, &object, false).await?,
            Kind::Invite { object, target } => invited(data, &self.actor, &object, &target).await?,
            Kind::Other => {}
        }
        Ok(())
    }
}

/// `users` or `groups` and the name, for an address of an actor of this instance.
fn local_path<'a>(ctx: &AppContext, url: &'a Url) -> Option<(&'static str, &'a str)> {
    let rest = url.as_str().strip_prefix(&format!("{}/", ctx.config.base_url()))?;
    let (kind, name) = rest.split_once('/')?;
    let kind = match kind {
        "users" => "users",
        "groups" => "groups",
        _ => return None,
    };
    (!name.is_empty() && !name.contains('/')).then_some((kind, name))
}

/// A person of another instance answered a local person's Follow.
async fn person_answer(ctx: &AppContext, actor: &Url, follow: &Reference, accepted: bool) -> Result<()> {
    let (Some(follower), Some(followed)) = (follow.actor.clone(), actors::person_by_ap_id(ctx, actor).await?) else { return Ok(()) };
    if followed.domain.is_none() {
        return Ok(());
    }
    let Some(follower) = actors::person_by_ap_id(ctx, &follower).await?.filter(|p| p.domain.is_none()) else { return Ok(()) };
    people::remote_follow_answer(ctx, follower.id, followed.id, accepted).await
}

async fn answer(ctx: &AppContext, group_id: &Url, follow: &Reference, accepted: bool) -> Result<()> {
    let Some(group) = actors::group_by_ap_id(ctx, group_id).await? else { return person_answer(ctx, group_id, follow, accepted).await };
    if group.group.domain.is_none() {
        return Err(Error::invalid("not_remote", "A local group does not answer through the inbox."));
    }
    let Some(person_id) = follow.actor.clone() else { return Ok(()) };
    let Some(person) = actors::person_by_ap_id(ctx, &person_id).await? else { return Ok(()) };
    if person.domain.is_some() {
        return Ok(());
    }
    membership::remote_answer(ctx, group.group.id, person.id, accepted).await
}

fn url_field(value: &Value, key: &str) -> Option<Url> {
    value.get(key).and_then(Value::as_str).and_then(|s| Url::parse(s).ok())
}

/// Reads a post (`Note`, `Page`, `Article`), or says why it is none Gilde takes.
fn read_post(object: &Value) -> Result<PostObject> {
    PostObject::parse(object)
        .map_err(|reason| Error::invalid("unsupported_object", "Only notes, pages and articles are accepted as posts.").with_cause(reason))
}

fn note_input(note: &PostObject, author: crate::db::PersonId, group: RemoteGroup) -> RemotePostInput {
    RemotePostInput {
        ap_id: note.id.to_string(),
        author,
        group,
        in_reply_to: note.in_reply_to.as_ref().map(Url::to_string),
        content_html: note.html(),
        source: note.source_text(),
        public: note.is_public(),
        published: note.published,
        mentions: note.mentions(),
        files: remote_files(note),
    }
}

/// A note's files, as the service records them.
fn remote_files(note: &PostObject) -> Vec<RemoteFile> {
    note.files()
        .map(|f| RemoteFile {
            url: f.url.to_string(),
            media_type: f.media_type.clone(),
            name: PostObject::alt_text(f).to_string(),
            blurhash: f.blurhash.clone(),
            width: f.width,
            height: f.height,
        })
        .collect()
}

/// A member of another instance posted to a group hosted here (signed by the author, `signer`).
async fn created(data: &Data<AppContext>, signer: &ApubActor, actor: &Url, object: &Value) -> Result<()> {
    let ctx: &AppContext = data;
    let prefix = format!("{}/groups/", ctx.config.base_url());
    let note = match read_post(object) {
        Ok(note) => note,
        // Something else a server sends its followers (a poll, say): not for Gilde, ignored;
        // refused only when it is meant for a group here.
        Err(e) => {
            let for_a_group_here = ["audience", "to", "cc"].iter().any(|k| object.get(*k).is_some_and(|v| v.to_string().contains(&prefix)));
            return if for_a_group_here { Err(e) } else { Ok(()) };
        }
    };
    verify_domains_match(&note.id, actor).map_err(|e| Error::invalid("wrong_domain", e.to_string()))?;
    if note.attributed_to.as_ref() != Some(actor) {
        return Err(Error::invalid("wrong_author", "The note is not by the actor who sent it."));
    }
    let named = note.addressed().find_map(|u| u.as_str().strip_prefix(&prefix).map(str::to_string));
    let named_group = named.is_some();
    let group_name = match (named, &note.in_reply_to) {
        (Some(name), _) => name,
        // A reply that names only the post it answers (Mastodon sends replies so): it belongs
        // to that post's group.
        (None, Some(parent)) => match posts::local_group_of(ctx, parent.as_str()).await? {
            Some(name) => name,
            None => return Ok(()),
        },
        // A post of a group of the author's own server that mentions someone here; or a
        // person's own public post, sent to their followers.
        (None, None) if note.audience.is_some() => return mentioned_here(data, actor, object, &note).await,
        (None, None) => return personal(ctx, actor, &note).await,
    };
    let ApubActor::Person(author) = signer else {
        return Err(Error::invalid("unknown_actor", "The author is unknown."));
    };
    let group_name = group_name.trim_end_matches("/followers").to_ascii_lowercase();
    // A Mastodon-style post starts with a mention of the group: that mention is not the text.
    let group_url = format!("{prefix}{group_name}");
    let mut input = note_input(&note, author.row.id, RemoteGroup::Here(group_name));
    if let Some(stripped) = strip_group_mention(&input.content_html, &group_url) {
        input.content_html = stripped;
        input.source = None;
    }
    match posts::receive_remote(ctx, input).await {
        Ok(_) => Ok(()),
        // A reply to a post of a group that is not shown to other servers (internal), or to a
        // post that is not there for this sender: as if the post did not exist.
        Err(e) if e.kind() == crate::ErrorKind::NotFound && !named_group => Ok(()),
        Err(e) => Err(e),
    }
}

/// A person's own public post outside any group (a Mastodon user's toot), kept for their
/// followers here; anything not public is ignored.
async fn personal(ctx: &AppContext, actor: &Url, note: &PostObject) -> Result<()> {
    if !note.is_public() {
        return Ok(());
    }
    let Some(author) = actors::person_by_ap_id(ctx, actor).await? else { return Ok(()) };
    posts::receive_remote_personal(ctx, note.id.to_string(), author.id, note.html(), note.published, remote_files(note)).await?;
    Ok(())
}

/// A post of another instance's group that mentions a person of this one: stored in that
/// group (as the group would announce it), the person told. Only for a group of the author's own
/// server; anything else is ignored.
async fn mentioned_here(data: &Data<AppContext>, actor: &Url, object: &Value, note: &PostObject) -> Result<()> {
    let Some(group_url) = note.audience.clone() else { return Ok(()) };
    if verify_domains_match(&group_url, actor).is_err() {
        return Ok(());
    }
    let person_prefix = format!("{}/users/", data.config.base_url());
    if !note.mentions().iter().any(|m| m.starts_with(&person_prefix)) {
        return Ok(());
    }
    ObjectId::<super::objects::ApubGroup>::from(group_url.clone()).dereference(data).await?;
    announced(data, &group_url, object).await
}

/// A note's HTML without its first link to the group (Mastodon's `<span class="h-card"><a href=…>@<span>group</span></a></span>`);
/// `None` when it has none.
fn strip_group_mention(html: &str, group_url: &str) -> Option<String> {
    static PATTERNS: std::sync::LazyLock<[regex::Regex; 2]> = std::sync::LazyLock::new(|| {
        [
            regex::Regex::new(r#"<span class="h-card"[^>]*>\s*<a [^>]*href="([^"]*)"[^>]*>.*?</a>\s*</span>\s*"#).expect("valid regex"),
            regex::Regex::new(r#"<a [^>]*href="([^"]*)"[^>]*>.*?</a>\s*"#).expect("valid regex"),
        ]
    });
    if !html.contains(group_url) {
        return None;
    }
    PATTERNS.iter().find_map(|pattern| {
        let link = pattern.captures_iter(html).find(|c| c.get(1).is_some_and(|href| href.as_str() == group_url))?;
        let whole = link.get(0)?;
        Some(format!("{}{}", &html[..whole.start()], &html[whole.end()..]))
    })
}

/// A group of another instance passes on a post (signed by the group). The group is trusted for
/// what it announces about itself, as FEP-1b12 describes: the note must name that group as its
/// audience, and this instance must know the group (a member here joined it).
pub(crate) async fn announced(data: &Data<AppContext>, group_url: &Url, object: &Value) -> Result<()> {
    let ctx: &AppContext = data;
    let Some(group) = actors::group_by_ap_id(ctx, group_url).await? else { return Ok(()) };
    if group.group.domain.is_none() {
        return Err(Error::invalid("not_remote", "A local group is not announced through the inbox."));
    }
    // Announced by its id (as groups announce to microblog servers): taken from its origin.
    let fetched;
    let object = match object {
        Value::String(id) => {
            let id = Url::parse(id).map_err(|_| Error::invalid("bad_id", "The announced object's id is not a URL."))?;
            if id.as_str().starts_with(&format!("{}/", ctx.config.base_url())) {
                return Ok(());
            }
            fetched = fetch_from_origin(data, &id).await?;
            &fetched
        }
        other => other,
    };
    let local = |u: &Url| u.as_str().starts_with(&format!("{}/", ctx.config.base_url()));
    // An activity about one of its posts (read as a direct one is), or the post itself.
    let note = match serde_json::from_value::<InboxActivity>(object.clone()) {
        Ok(InboxActivity { kind: Kind::Create { object: note }, .. }) => note,
        Ok(InboxActivity { kind: Kind::Like { .. }, .. }) => return announced_like(data, group.group.id, object, true).await,
        Ok(InboxActivity { kind: Kind::Undo { .. }, .. }) => return announced_like(data, group.group.id, object, false).await,
        Ok(InboxActivity { kind: Kind::Update { object: note }, audience, .. }) => {
            let note = read_post(&note)?;
            // The change must be about this group.
            if audience.as_ref() != Some(group_url) && note.audience.as_ref() != Some(group_url) {
                return Err(Error::invalid("wrong_audience", "A group announces only its own posts."));
            }
            // An edit counts only as its origin states it: another server's post is read there;
            // a post of this instance is never changed from outside.
            if local(&note.id) {
                return Err(Error::forbidden("local_object", "A post of this instance is not changed from outside."));
            }
            let id = note.id.clone();
            let stated = if same_origin(&id, group_url) {
                check_origin(note, &id)?
            } else {
                checked_note(&fetch_from_origin(data, &id).await?, &id)?
            };
            return posts::receive_remote_change(ctx, id.to_string(), None, Some(group.group.id), edit_of(&stated), false).await;
        }
        Ok(InboxActivity { kind: Kind::Delete { object: deleted }, audience, .. }) => {
            // A deletion the group announces removes the post from the group (its moderators'
            // right, for any post in it); a Tombstone names no audience: the activity does.
            if audience.as_ref() != Some(group_url) {
                return Err(Error::invalid("wrong_audience", "A group announces only its own posts."));
            }
            let Some(id) = deleted.id else { return Ok(()) };
            return posts::receive_remote_change(ctx, id.to_string(), None, Some(group.group.id), RemoteChange::Deleted, false).await;
        }
        Ok(_) => return Ok(()),
        Err(_) => object.clone(),
    };
    let note_id = object_id(&note).ok_or_else(|| Error::invalid("no_id", "The note has no id."))?;
    // A post of this instance coming back: it is here already (and never taken from outside).
    if local(&note_id) {
        return Ok(());
    }
    // Another server's post is taken from that server, not from the group's copy of it.
    let note = if same_origin(&note_id, group_url) {
        checked_note(&note, &note_id)?
    } else {
        checked_note(&fetch_from_origin(data, &note_id).await?, &note_id)?
    };
    // A thread names the group; a reply may name only the post it answers (as Mastodon's do),
    // which must then be in this group (`posts::receive_remote` checks).
    if !note.names(group_url) && note.in_reply_to.is_none() {
        return Err(Error::invalid("wrong_audience", "A group announces only its own posts."));
    }
    let author_url = note.attributed_to.clone().ok_or_else(|| Error::invalid("no_author", "The note has no author."))?;
    let author: ApubPerson = ObjectId::<ApubPerson>::from(author_url).dereference(data).await?;
    posts::receive_remote(ctx, note_input(&note, author.row.id, RemoteGroup::Elsewhere(group.group.id))).await?;
    Ok(())
}

/// Are both addresses of one server (the same host and port)?
fn same_origin(a: &Url, b: &Url) -> bool {
    actors::domain_of(a).is_some_and(|d| Some(d) == actors::domain_of(b))
}

/// A note as its origin states it: its id is the one expected and its author is of the same
/// server (a server speaks only for its own people).
fn checked_note(object: &Value, id: &Url) -> Result<PostObject> {
    check_origin(read_post(object)?, id)
}

/// A post read already, checked as `checked_note` does.
fn check_origin(note: PostObject, id: &Url) -> Result<PostObject> {
    if &note.id != id {
        return Err(Error::invalid("wrong_id", "The object has another id than the one announced."));
    }
    let author = note.attributed_to.as_ref().ok_or_else(|| Error::invalid("no_author", "The note has no author."))?;
    if !same_origin(author, id) {
        return Err(Error::invalid("wrong_origin", "A note's author is of another server than the note."));
    }
    Ok(note)
}

/// Fetches an object from its own server (signed by this instance), and checks that what came
/// back is the object asked for.
async fn fetch_from_origin(data: &Data<AppContext>, id: &Url) -> Result<Value> {
    let fetched = activitypub_federation::fetch::fetch_object_http::<AppContext, Value>(id, data).await?.object;
    if url_field(&fetched, "id").as_ref() != Some(id) {
        return Err(Error::invalid("wrong_id", "The fetched object has another id than the one asked for."));
    }
    Ok(fetched)
}

/// A moderator of a group of another instance invites a local person: they see the invitation
/// and may accept it (a Follow, which the group's server takes in at once). The inviter speaks
/// for a group of their own server only.
async fn invited(data: &Data<AppContext>, actor: &Url, group_url: &Url, person_url: &Url) -> Result<()> {
    let ctx: &AppContext = data;
    verify_domains_match(actor, group_url)
        .map_err(|_| Error::invalid("wrong_domain", "An invitation comes from the group's own server."))?;
    let inviter = actors::person_by_ap_id(ctx, actor).await?.ok_or_else(|| Error::invalid("unknown_actor", "The inviter is unknown."))?;
    let Some(person) = actors::person_by_ap_id(ctx, person_url).await? else {
        return Err(Error::not_found("person_not_found", "This person does not exist."));
    };
    if person.domain.is_some() {
        return Err(Error::invalid("not_local", "Invitations go to people of this instance."));
    }
    // Fetched with this instance's signature: a secret group shows itself to invitees' servers.
    let group: super::objects::ApubGroup = ObjectId::<super::objects::ApubGroup>::from(group_url.clone()).dereference(data).await?;
    membership::remote_invited(ctx, group.found.group.id, person.id, inviter.id).await
}

/// A person of another instance takes back their Follow: they leave the group.
async fn undone(ctx: &AppContext, actor: &Url, object: &Reference) -> Result<()> {
    if object.is("Like") {
        if object.actor.as_ref() != Some(actor) {
            return Err(Error::invalid("wrong_actor", "Only the one who liked can undo a like."));
        }
        return like_here(ctx, actor, object.object.as_ref(), false).await;
    }
    if !object.is("Follow") {
        return Ok(());
    }
    if object.actor.as_ref() != Some(actor) {
        return Err(Error::invalid("wrong_actor", "Only the follower can undo a Follow."));
    }
    let Some(followed) = &object.object else { return Ok(()) };
    let Some(person) = actors::person_by_ap_id(ctx, actor).await? else { return Ok(()) };
    match local_path(ctx, followed) {
        Some(("groups", group)) => membership::remote_leave(ctx, group, person.id).await,
        Some(("users", name)) => people::remote_unfollow(ctx, name, person.id).await,
        _ => Ok(()),
    }
}

/// The id of an object given by id or embedded.
fn object_id(object: &Value) -> Option<Url> {
    match object {
        Value::String(s) => Url::parse(s).ok(),
        other => url_field(other, "id"),
    }
}

fn edit_of(note: &PostObject) -> RemoteChange {
    RemoteChange::Edited { content_html: note.html(), source: note.source_text(), updated: note.updated }
}

/// An author edits or deletes their post: in a group hosted here (the group passes it on), or
/// their own post outside groups that people here follow.
async fn edited_here(ctx: &AppContext, actor: &Url, object: &Value) -> Result<()> {
    let note = read_post(object)?;
    changed_here(ctx, actor, &note.id, edit_of(&note)).await
}

async fn deleted_here(ctx: &AppContext, actor: &Url, object: &Reference) -> Result<()> {
    let Some(id) = &object.id else { return Ok(()) };
    // A person deleting themself (signed by them, as Mastodon sends it); a Delete of anyone else's
    // actor is ignored.
    if id == actor {
        let Some(person) = actors::person_by_ap_id(ctx, actor).await? else { return Ok(()) };
        if person.domain.is_none() {
            return Ok(());
        }
        return crate::service::deletion::erase_remote_person(ctx, person.id).await;
    }
    changed_here(ctx, actor, id, RemoteChange::Deleted).await
}

async fn changed_here(ctx: &AppContext, actor: &Url, ap_id: &Url, change: RemoteChange) -> Result<()> {
    verify_domains_match(ap_id, actor).map_err(|e| Error::invalid("wrong_domain", e.to_string()))?;
    let Some(author) = actors::person_by_ap_id(ctx, actor).await? else { return Ok(()) };
    let key = ap_id.to_string();
    let post = ctx.db.read(move |conn| -> Result<_> { Ok(crate::db::posts::find_by_ap_id(conn, &key)?) }).await?;
    let Some(post) = post else { return Ok(()) };
    // A post in a group (the group passes the change on), or the author's own post outside groups.
    posts::receive_remote_change(ctx, ap_id.to_string(), Some(author.id), post.group_id, change, post.group_id.is_some()).await
}

/// A person of another instance likes (or stops liking) a post in a group hosted here.
async fn like_here(ctx: &AppContext, actor: &Url, post: Option<&Url>, like: bool) -> Result<()> {
    let Some(post) = post else { return Ok(()) };
    let Some(person) = actors::person_by_ap_id(ctx, actor).await? else { return Ok(()) };
    posts::receive_remote_like(ctx, post.to_string(), person.id, None, like, true).await
}

/// A group of another instance passes on a like of a post in it.
async fn announced_like(data: &Data<AppContext>, group: crate::db::GroupId, activity: &Value, like: bool) -> Result<()> {
    let ctx: &AppContext = data;
    // The Like itself, or (for an Undo) the Like it takes back.
    let reference: Reference =
        serde_json::from_value(if like { activity.clone() } else { activity.get("object").cloned().unwrap_or(Value::Null) })
            .unwrap_or_default();
    let (true, Some(liker), Some(post)) = (reference.is("Like"), reference.actor, reference.object) else { return Ok(()) };
    // A like from this instance coming back: it is here already.
    if liker.as_str().starts_with(&format!("{}/", ctx.config.base_url())) {
        return Ok(());
    }
    let liker: ApubPerson = ObjectId::<ApubPerson>::from(liker).dereference(data).await?;
    posts::receive_remote_like(ctx, post.to_string(), liker.row.id, Some(group), like, false).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        let path = crate::testing::manifest_dir().join("src/federation/fixtures").join(name);
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).expect("JSON")
    }

    #[test]
    fn lemmys_documents_are_read() {
        let pid = crate::db::PersonId(1);
        let gid = RemoteGroup::Elsewhere(crate::db::GroupId(1));
        for name in ["create_page", "announce_create_page", "create_note", "like_note"] {
            let doc = fixture(&format!("lemmy/{name}.json"));
            let activity: InboxActivity = serde_json::from_value(doc.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!matches!(activity.kind, Kind::Other), "{name} is an activity Gilde handles");
        }
        // A thread: the Page's title first, its text, then its link.
        let page = fixture("lemmy/create_page.json")["object"].clone();
        let input = note_input(&read_post(&page).expect("a Page is taken"), pid, gid.clone());
        assert_eq!(
            input.content_html,
            "<p><strong>test post</strong></p><p>test body</p>\n<p><a href=\"https://lemmy.ml/pictrs/image/xl8W7FZfk9.jpg\">https://lemmy.ml/pictrs/image/xl8W7FZfk9.jpg</a></p>"
        );
        assert_eq!(input.source, None, "with a title the HTML is the text");
        assert!(input.public);
        // A Page with a title only (as a community announces it).
        let announced = fixture("lemmy/announce_create_page.json")["object"]["object"].clone();
        assert_eq!(note_input(&read_post(&announced).expect("taken"), pid, gid.clone()).content_html, "<p><strong>post 4</strong></p>");
        // A comment is a reply, with its markdown source.
        let comment = fixture("lemmy/create_note.json")["object"].clone();
        let input = note_input(&read_post(&comment).expect("a comment is taken"), pid, gid);
        assert_eq!(input.in_reply_to.as_deref(), Some("http://ds9.lemmy.ml/post/1"));
        assert_eq!(input.source.as_deref(), Some("hello"));
        // Anything else is refused with a reason.
        let question = serde_json::json!({ "type": "Question", "id": "https://x.example/q/1" });
        assert!(read_post(&question).is_err());
    }

    #[test]
    fn what_gotosocial_and_snac_send_is_read() {
        let expected = [
            ("follow", "Follow"),
            ("undo_follow", "Undo"),
            ("accept_follow", "Accept"),
            ("create_reply", "Create"),
            ("create_personal_post", "Create"),
            ("create_thread_by_mention", "Create"),
        ];
        let mut read = 0;
        for peer in ["gotosocial", "snac"] {
            for (name, kind) in expected {
                let path = crate::testing::manifest_dir().join(format!("src/federation/fixtures/{peer}/{name}.json"));
                if !path.exists() {
                    assert!(peer == "snac" && name == "create_thread_by_mention", "{peer}/{name} is missing");
                    continue;
                }
                let doc = fixture(&format!("{peer}/{name}.json"));
                let activity: InboxActivity = serde_json::from_value(doc.clone()).unwrap_or_else(|e| panic!("{peer}/{name}: {e}"));
                let got = serde_json::to_value(&activity.kind).expect("JSON")["type"].clone();
                assert_eq!(got, kind, "{peer}/{name}");
                if kind == "Create" {
                    let note = &doc["object"];
                    let post = read_post(note).unwrap_or_else(|e| panic!("{peer}/{name}: {e:?}"));
                    let input = note_input(&post, crate::db::PersonId(1), RemoteGroup::Elsewhere(crate::db::GroupId(1)));
                    assert!(!input.content_html.is_empty(), "{peer}/{name}");
                    assert!(input.public, "{peer}/{name} is public");
                    assert_eq!(input.in_reply_to.is_some(), name == "create_reply", "{peer}/{name}");
                }
                read += 1;
            }
        }
        assert_eq!(read, 11);
    }

    #[test]
    fn a_mention_tagged_twice_counts_once() {
        let note = serde_json::json!({ "tag": [
            { "type": "Mention", "href": "https://a.example/users/anna" },
            { "type": "Hashtag", "href": "https://a.example/tags/x" },
            { "type": "Mention", "href": "https://a.example/users/anna" },
            { "type": "Mention", "href": "https://a.example/users/bert" }
        ]});
        let with = |tags: Value| serde_json::json!({ "type": "Note", "id": "https://a.example/n/1", "tag": tags });
        assert_eq!(
            read_post(&with(note["tag"].clone())).expect("note").mentions(),
            vec!["https://a.example/users/anna", "https://a.example/users/bert"]
        );
        let single = with(serde_json::json!({ "type": "Mention", "href": "https://a.example/users/anna" }));
        assert_eq!(read_post(&single).expect("note").mentions(), vec!["https://a.example/users/anna"]);
    }

    #[test]
    fn a_leading_group_mention_is_removed_and_nothing_else() {
        let html = r#"<p><span class="h-card" translate="no"><a href="https://b.nl/groups/wonen" class="u-url mention">@<span>wonen</span></a></span> Wie weet hoe dit zit? Zie <a href="https://example.org">dit</a></p>"#;
        assert_eq!(
            strip_group_mention(html, "https://b.nl/groups/wonen").as_deref(),
            Some(r#"<p>Wie weet hoe dit zit? Zie <a href="https://example.org">dit</a></p>"#)
        );
        assert_eq!(strip_group_mention("<p>geen vermelding</p>", "https://b.nl/groups/wonen"), None);
        // Only the group's own link goes, wherever it is; links elsewhere and to others stay.
        let other_first = r#"<p><a href="https://example.org">dit</a> en <span class="h-card"><a href="https://b.nl/groups/wonen">@<span>wonen</span></a></span> ja</p>"#;
        assert_eq!(
            strip_group_mention(other_first, "https://b.nl/groups/wonen").as_deref(),
            Some(r#"<p><a href="https://example.org">dit</a> en ja</p>"#)
        );
        let plain_link = r#"<p>Zie <a href="https://b.nl/groups/wonen/x">x</a> <a href="https://b.nl/groups/wonen">@wonen</a> nu</p>"#;
        assert_eq!(
            strip_group_mention(plain_link, "https://b.nl/groups/wonen").as_deref(),
            Some(r#"<p>Zie <a href="https://b.nl/groups/wonen/x">x</a> nu</p>"#)
        );
    }
}
