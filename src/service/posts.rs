//! Posts: write, reply, edit, delete, like; and the streams that read them.

use std::collections::{HashMap, HashSet};

use super::groups::load as load_group;
use super::text::{self, MentionRef};
use super::{active_role, check_length, group_access, post_not_found, views, Actor, GroupAccess, PostView, Role, Visibility};
use crate::config::Config;
use crate::context::AppContext;
use crate::db::posts::{NewPost, Post};
use crate::db::{self, DbConn, GroupId, MediaId, Page, PersonId, PostId};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Default)]
pub struct NewPostInput {
    pub text: String,
    pub group_id: Option<GroupId>,
    pub in_reply_to_id: Option<PostId>,
    /// For posts outside groups: `public` (default), `unlisted` or `private` (followers).
    pub visibility: Option<String>,
    /// The author's uploads to attach, in this order.
    pub media_ids: Vec<MediaId>,
}

/// Renders source text and resolves its mentions to known people. Returns the HTML and the
/// people mentioned.
pub(crate) fn render_with_mentions(conn: &mut DbConn, source: &str, config: &Config) -> Result<(String, Vec<PersonId>)> {
    let mut links: HashMap<MentionRef, String> = HashMap::new();
    let mut people = Vec::new();
    for mention in text::mentions(source) {
        let domain = mention.domain.as_deref().filter(|d| *d != config.domain);
        let Some(person) = db::people::find_by_name(conn, &mention.name, domain)? else { continue };
        let url = match (&person.domain, &person.ap_id) {
            (None, _) => crate::urls::person_page(config, &person.username),
            (Some(_), Some(ap_id)) => ap_id.clone(),
            (Some(d), None) => format!("https://{d}/@{}", person.username),
        };
        links.insert(mention, url);
        if !people.contains(&person.id) {
            people.push(person.id);
        }
    }
    Ok((text::render(source, &links), people))
}

/// Checks a post's text; it may be empty when files are attached (`with_files`).
#[track_caller]
fn check_text(text: &str, config: &Config, with_files: bool) -> Result<String> {
    let text = text.trim().to_string();
    if text.is_empty() && !with_files {
        return Err(Error::invalid("empty_post", "A post needs some text.").with_field("status"));
    }
    let n = text.chars().count();
    if n > config.max_post_chars {
        return Err(Error::invalid(
            "post_too_long",
            format!("This post has {n} characters; at most {} are allowed.", config.max_post_chars),
        )
        .with_field("status"));
    }
    Ok(text)
}

/// May the viewer read this post?
pub(crate) fn can_see(conn: &mut DbConn, viewer: &Actor, post: &Post) -> Result<bool> {
    if let Some(group_id) = post.group_id {
        let Some(group) = db::groups::find(conn, group_id)? else { return Ok(false) };
        let membership = db::memberships::find(conn, group_id, viewer.person_id)?;
        return Ok(group_access(&group, membership.as_ref()) == GroupAccess::Full);
    }
    Ok(match post.visibility.as_str() {
        "public" | "unlisted" => true,
        _ => {
            post.author_id == viewer.person_id
                || db::follows::is_following(conn, viewer.person_id, post.author_id)?
                || db::posts::is_mentioned(conn, post.id, viewer.person_id)?
        }
    })
}

/// Loads a post the viewer may read, or "not found".
pub(crate) fn load_visible(conn: &mut DbConn, viewer: &Actor, id: PostId) -> Result<Post> {
    let post = db::posts::find(conn, id)?.ok_or_else(post_not_found)?;
    if can_see(conn, viewer, &post)? {
        Ok(post)
    } else {
        Err(post_not_found())
    }
}

fn visibility_rank(v: &str) -> u8 {
    match v {
        "public" => 0,
        "unlisted" => 1,
        _ => 2,
    }
}

/// What a post would look like (sanitised HTML, mentions linked), without storing anything.
pub async fn preview(ctx: &AppContext, text: &str) -> Result<String> {
    let config = ctx.config.clone();
    let text = check_text(text, &config, false)?;
    ctx.db.read(move |conn| Ok(render_with_mentions(conn, &text, &config)?.0)).await
}

/// Writes a thread (in a group or on one's profile) or a reply.
pub async fn create(ctx: &AppContext, actor: &Actor, input: NewPostInput) -> Result<PostView> {
    let view = create_in_transaction(ctx, actor, input).await?;
    ctx.jobs_wake.notify_one();
    Ok(view)
}

/// The group a new post (not a reply, no group given) mentions, for apps that know nothing of
/// groups: `@name` for a group here, `@name@domain` for one elsewhere (a person of that name
/// comes first). A group the author may not see is refused as unknown; more than one group is
/// refused, so nothing is published where the author did not mean it.
fn group_by_mention(conn: &mut DbConn, actor: &Actor, text: &str, config: &Config) -> Result<Option<GroupId>> {
    let mut found: Vec<GroupId> = Vec::new();
    for MentionRef { name, domain } in text::mentions(text) {
        let name = name.to_ascii_lowercase();
        let domain = domain.map(|d| d.to_ascii_lowercase()).filter(|d| *d != config.domain.to_ascii_lowercase());
        if db::people::find_by_name(conn, &name, domain.as_deref())?.is_some() {
            continue;
        }
        let Some(group) = db::groups::find_by_name(conn, &name, domain.as_deref())? else { continue };
        // "Not found" for a group the author may not know of.
        load_group(conn, actor, group.id)?;
        if !found.contains(&group.id) {
            found.push(group.id);
        }
    }
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        _ => Err(Error::invalid("one_group_only", "A post goes to one group: mention only one group.").with_field("status")),
    }
}

async fn create_in_transaction(ctx: &AppContext, actor: &Actor, input: NewPostInput) -> Result<PostView> {
    let config = ctx.config.clone();
    let text = check_text(&input.text, &config, !input.media_ids.is_empty())?;
    let requested = match input.visibility.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => None,
        Some(v @ ("public" | "unlisted" | "private")) => Some(v.to_string()),
        Some("direct") => {
            return Err(Error::invalid("direct_not_supported", "Direct messages are not supported; post in a private group instead.")
                .with_field("visibility"))
        }
        Some(_) => {
            return Err(Error::invalid("invalid_visibility", "The visibility must be public, unlisted or private.").with_field("visibility"))
        }
    };
    let actor = *actor;
    ctx.db
        .write(move |conn| {
            let me = actor.person_id;
            let parent = match input.in_reply_to_id {
                Some(id) => Some(load_visible(conn, &actor, id)?),
                None => None,
            };
            let group_id = match (&parent, input.group_id) {
                (Some(p), Some(g)) if p.group_id != Some(g) => {
                    return Err(
                        Error::invalid("reply_outside_group", "A reply stays in the group of the post it answers.").with_field("group_id")
                    )
                }
                (Some(p), _) => p.group_id,
                (None, Some(g)) => Some(g),
                // As in Mastodon apps: a post that mentions a group starts a thread in it.
                (None, None) => group_by_mention(conn, &actor, &text, &config)?,
            };
            let visibility = if let Some(group_id) = group_id {
                let (group, membership, _) = load_group(conn, &actor, group_id)?;
                super::policy::may_post(&group, membership.as_ref(), parent.is_none())?;
                match Visibility::parse(&group.visibility)? {
                    Visibility::Public => "public".to_string(),
                    Visibility::Private | Visibility::Secret => "private".to_string(),
                }
            } else {
                let wanted = requested.unwrap_or_else(|| "public".to_string());
                match &parent {
                    // A reply is never more visible than what it answers.
                    Some(p) if visibility_rank(&p.visibility) > visibility_rank(&wanted) => p.visibility.clone(),
                    _ => wanted,
                }
            };
            let (html, mentioned) = render_with_mentions(conn, &text, &config)?;
            let post = db::posts::insert(
                conn,
                &NewPost {
                    author_id: me,
                    group_id,
                    in_reply_to_id: parent.as_ref().map(|p| p.id),
                    root_id: parent.as_ref().map(Post::thread_id),
                    visibility: &visibility,
                    source: &text,
                    content_html: &html,
                    created_at: db::now(),
                },
            )?;
            super::media::attach(conn, &actor, post.id, &input.media_ids, config.media.max_attachments)?;
            super::effects::post_changed(conn, &post, super::effects::PostChange::Created)?;
            let mut notified: HashSet<PersonId> = HashSet::new();
            for person in &mentioned {
                db::posts::add_mention(conn, post.id, *person)?;
            }
            // As in Mastodon, a reply implicitly mentions whom it answers, so they can read it.
            if let Some(parent) = &parent {
                if parent.author_id != me && !mentioned.contains(&parent.author_id) {
                    db::posts::add_mention(conn, post.id, parent.author_id)?;
                }
            }
            for person in mentioned {
                if person != me && notify_if_visible(conn, person, &post, "mention")? {
                    notified.insert(person);
                }
            }
            if let Some(parent) = &parent {
                if parent.author_id != me && !notified.contains(&parent.author_id) {
                    notify_if_visible(conn, parent.author_id, &post, "reply")?;
                }
            }
            Ok(views::posts(conn, me, vec![post])?.remove(0))
        })
        .await
}

/// Notifies a local person about a post, if they may read it.
fn notify_if_visible(conn: &mut DbConn, recipient: PersonId, post: &Post, kind: &str) -> Result<bool> {
    let Some(account) = db::people::account(conn, recipient)? else { return Ok(false) };
    let viewer = Actor { person_id: recipient, is_admin: account.is_admin };
    if !can_see(conn, &viewer, post)? {
        return Ok(false);
    }
    super::notifications::notify(conn, recipient, kind, post.author_id, Some(post.id), post.group_id)
}

pub async fn get(ctx: &AppContext, actor: &Actor, id: PostId) -> Result<PostView> {
    let actor = *actor;
    ctx.db
        .read(move |conn| {
            let post = load_visible(conn, &actor, id)?;
            Ok(views::posts(conn, actor.person_id, vec![post])?.remove(0))
        })
        .await
}

/// The author edits the text and, when `media_ids` is given, which files are attached (files
/// left out are removed); mentions are updated.
pub async fn edit(ctx: &AppContext, actor: &Actor, id: PostId, text: String, media_ids: Option<Vec<MediaId>>) -> Result<PostView> {
    let config = ctx.config.clone();
    let actor = *actor;
    let (view, removed) = ctx
        .db
        .write(move |conn| {
            let post = load_visible(conn, &actor, id)?;
            if post.author_id != actor.person_id {
                return Err(Error::forbidden("not_author", "Only the author can edit a post."));
            }
            let has_files = match &media_ids {
                Some(ids) => !ids.is_empty(),
                None => !db::media::of_posts(conn, &[id])?.is_empty(),
            };
            let text = check_text(&text, &config, has_files)?;
            let removed = match &media_ids {
                Some(ids) => {
                    let detached = super::media::attach(conn, &actor, id, ids, config.media.max_attachments)?;
                    db::media::delete_many(conn, &detached)?
                }
                None => Vec::new(),
            };
            let (html, mentioned) = render_with_mentions(conn, &text, &config)?;
            let post = db::posts::edit(conn, id, &text, &html)?;
            super::effects::post_changed(conn, &post, super::effects::PostChange::Updated)?;
            db::posts::clear_mentions(conn, id)?;
            let mut mentioned = mentioned;
            if let Some(parent) = post.in_reply_to_id.map(|p| db::posts::find(conn, p)).transpose()?.flatten() {
                if parent.author_id != actor.person_id && !mentioned.contains(&parent.author_id) {
                    mentioned.push(parent.author_id);
                }
            }
            for person in mentioned {
                db::posts::add_mention(conn, id, person)?;
            }
            Ok((views::posts(conn, actor.person_id, vec![post])?.remove(0), removed))
        })
        .await?;
    super::media::remove_files(ctx, removed).await;
    ctx.jobs_wake.notify_one();
    Ok(view)
}

/// The author, a moderator of the post's group, or an admin deletes a post. Returns the post as
/// it was, so a client can offer "delete and redraft".
pub async fn delete(ctx: &AppContext, actor: &Actor, id: PostId) -> Result<PostView> {
    let actor = *actor;
    let (view, removed) = ctx
        .db
        .write(move |conn| {
            let post = load_visible(conn, &actor, id)?;
            let mut allowed = post.author_id == actor.person_id || actor.is_admin;
            if !allowed {
                if let Some(group_id) = post.group_id {
                    let membership = db::memberships::find(conn, group_id, actor.person_id)?;
                    allowed = active_role(membership.as_ref()).is_some_and(Role::moderates);
                }
            }
            if !allowed {
                return Err(Error::forbidden("not_allowed_to_delete", "Only the author or a moderator of the group can delete this post."));
            }
            super::effects::post_changed(conn, &post, super::effects::PostChange::Deleted)?;
            let view = views::posts(conn, actor.person_id, vec![post])?.remove(0);
            db::posts::mark_deleted(conn, id)?;
            let removed = db::media::delete_of_post(conn, id)?;
            Ok((view, removed))
        })
        .await?;
    super::media::remove_files(ctx, removed).await;
    ctx.jobs_wake.notify_one();
    Ok(view)
}

pub async fn favourite(ctx: &AppContext, actor: &Actor, id: PostId, like: bool) -> Result<PostView> {
    let actor = *actor;
    let view = ctx
        .db
        .write(move |conn| -> Result<_> {
            let post = load_visible(conn, &actor, id)?;
            let changed =
                if like { db::posts::favourite(conn, id, actor.person_id)? } else { db::posts::unfavourite(conn, id, actor.person_id)? };
            if changed && like && post.author_id != actor.person_id {
                super::notifications::notify(conn, post.author_id, "favourite", actor.person_id, Some(id), post.group_id)?;
            }
            if changed {
                let me = db::people::get(conn, actor.person_id)?;
                super::effects::liked(conn, &post, &me, like)?;
            }
            // Read again: the like count on the row changed with the like.
            let post = db::posts::find(conn, id)?.ok_or_else(post_not_found)?;
            Ok(views::posts(conn, actor.person_id, vec![post])?.remove(0))
        })
        .await?;
    ctx.jobs_wake.notify_one();
    Ok(view)
}

/// A like (or unlike) from another server. `hosted_here`: it reached a local group, where the
/// liker must be able to read the post (a member, for a private group) and the group passes it
/// on; otherwise a group of another instance announced it, for a post in that group.
pub async fn receive_remote_like(
    ctx: &AppContext,
    post_ap_id: String,
    person: PersonId,
    group: Option<GroupId>,
    like: bool,
    hosted_here: bool,
) -> Result<()> {
    let config = ctx.config.clone();
    ctx.db
        .write(move |conn| {
            let Some(post) = post_by_ap_id(conn, &config, &post_ap_id)? else { return Ok(()) };
            if group.is_some_and(|g| post.group_id != Some(g)) {
                return Err(Error::invalid("wrong_group", "This post does not belong to this group."));
            }
            if hosted_here {
                let Some(group_id) = post.group_id else { return Ok(()) };
                let group = db::groups::find(conn, group_id)?.ok_or_else(super::group_not_found)?;
                super::policy::check_partner(&group, db::people::get(conn, person)?.domain.as_deref().unwrap_or(""))?;
                let membership = db::memberships::find(conn, group_id, person)?;
                if group_access(&group, membership.as_ref()) != GroupAccess::Full
                    || membership.as_ref().is_some_and(|m| m.state == "banned")
                {
                    // Of a group others may not know of (internal, secret), the post is not
                    // there for them: the same answer as for a post that does not exist.
                    let hidden = group.scope != "federated" || group.visibility == "secret";
                    if hidden && membership.is_none() {
                        return Ok(());
                    }
                    return Err(Error::forbidden("not_a_member", "Only members like posts in this group."));
                }
            }
            let changed = if like { db::posts::favourite(conn, post.id, person)? } else { db::posts::unfavourite(conn, post.id, person)? };
            if changed && like {
                super::notifications::notify(conn, post.author_id, "favourite", person, Some(post.id), post.group_id)?;
            }
            if changed && hosted_here {
                let liker = db::people::get(conn, person)?;
                super::effects::liked(conn, &post, &liker, like)?;
            }
            Ok(())
        })
        .await?;
    ctx.jobs_wake.notify_one();
    Ok(())
}

/// A post's place in its thread: what it answers (oldest first) and the answers below it.
#[derive(Debug)]
pub struct Context {
    pub ancestors: Vec<PostView>,
    pub descendants: Vec<PostView>,
}

pub async fn context(ctx: &AppContext, actor: &Actor, id: PostId) -> Result<Context> {
    let actor = *actor;
    ctx.db
        .read(move |conn| {
            let post = load_visible(conn, &actor, id)?;
            let root = post.thread_id();
            let mut all: HashMap<PostId, Post> = db::posts::thread_replies(conn, root)?.into_iter().map(|p| (p.id, p)).collect();
            if let Some(root_post) = db::posts::find(conn, root)? {
                all.insert(root, root_post);
            }
            let mut ancestors = Vec::new();
            let mut cursor = post.in_reply_to_id;
            while let Some(parent_id) = cursor {
                let Some(parent) = all.get(&parent_id) else { break };
                cursor = parent.in_reply_to_id;
                ancestors.push(parent.clone());
                if ancestors.len() > all.len() {
                    break;
                }
            }
            ancestors.reverse();
            let mut children: HashMap<PostId, Vec<PostId>> = HashMap::new();
            for p in all.values() {
                if let Some(parent) = p.in_reply_to_id {
                    children.entry(parent).or_default().push(p.id);
                }
            }
            let mut below = Vec::new();
            let mut stack = vec![post.id];
            while let Some(next) = stack.pop() {
                for child in children.get(&next).into_iter().flatten() {
                    below.push(*child);
                    stack.push(*child);
                }
            }
            below.sort_unstable();
            let descendants: Vec<Post> = below.into_iter().filter_map(|id| all.get(&id).cloned()).collect();
            // Profile threads may hold replies of other visibilities.
            let mut visible_descendants = Vec::with_capacity(descendants.len());
            for d in descendants {
                if can_see(conn, &actor, &d)? {
                    visible_descendants.push(d);
                }
            }
            Ok(Context {
                ancestors: views::posts(conn, actor.person_id, ancestors)?,
                descendants: views::posts(conn, actor.person_id, visible_descendants)?,
            })
        })
        .await
}

/// Which stream to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Threads of my groups and of people I follow, and my own.
    Home,
    /// Public threads of this instance.
    Public,
    /// Threads of one group.
    Group(GroupId),
    /// Posts by one person, as far as the viewer may see them.
    Author(PersonId),
}

pub async fn stream(ctx: &AppContext, actor: &Actor, stream: Stream, page: Page) -> Result<Vec<PostView>> {
    let actor = *actor;
    ctx.db
        .read(move |conn| {
            let me = actor.person_id;
            let posts = match stream {
                Stream::Home => db::posts::home(conn, me, page)?,
                Stream::Public => db::posts::public(conn, page)?,
                Stream::Group(id) => {
                    let (_, _, access) = load_group(conn, &actor, id)?;
                    if access != GroupAccess::Full {
                        return Err(Error::forbidden("members_only", "Only members can read this group's posts."));
                    }
                    db::posts::group(conn, id, page)?
                }
                Stream::Author(author) => {
                    db::people::find(conn, author)?.ok_or_else(super::person_not_found)?;
                    let sees_private = author == me || db::follows::is_following(conn, me, author)?;
                    db::posts::by_author(conn, author, me, sees_private, page)?
                }
            };
            views::posts(conn, me, posts)
        })
        .await
}

/// A post that arrived from another server, as the service needs it.
#[derive(Debug, Clone)]
pub struct RemotePostInput {
    pub ap_id: String,
    pub author: PersonId,
    pub group: RemoteGroup,
    /// The ActivityPub id of the post it answers.
    pub in_reply_to: Option<String>,
    /// HTML as sent (sanitised here).
    pub content_html: String,
    /// Markdown or plain source, if the sender gave one.
    pub source: Option<String>,
    pub public: bool,
    /// When it was written, as the sender says (never later than now).
    pub published: Option<chrono::NaiveDateTime>,
    /// The ActivityPub ids of the people it mentions (local ones are told).
    pub mentions: Vec<String>,
    /// Its files.
    pub files: Vec<super::media::RemoteFile>,
}

/// The group a post from another server is for.
#[derive(Debug, Clone)]
pub enum RemoteGroup {
    /// A group hosted here that other servers may see, by name: a member of another instance
    /// posted to it. "Not found" for any other (an internal group, say), as if it did not exist.
    Here(String),
    /// A group of another instance, stored here, which announced the post.
    Elsewhere(GroupId),
}

/// The local post with this ActivityPub id: a post of this instance (by its address) or a stored remote one.
fn post_by_ap_id(conn: &mut DbConn, config: &Config, ap_id: &str) -> Result<Option<Post>> {
    let prefix = format!("{}/posts/", config.base_url());
    if let Some(id) = ap_id.strip_prefix(&prefix) {
        return Ok(id.parse().ok().map(PostId).map(|id| db::posts::find(conn, id)).transpose()?.flatten());
    }
    Ok(db::posts::find_by_ap_id(conn, ap_id)?)
}

/// The local group a post belongs to, found by its ActivityPub id (for a reply that names only
/// the post it answers, as Mastodon sends replies): its name, if the group is hosted here.
pub async fn local_group_of(ctx: &AppContext, ap_id: &str) -> Result<Option<String>> {
    let config = ctx.config.clone();
    let ap_id = ap_id.to_string();
    ctx.db
        .read(move |conn| {
            let Some(post) = post_by_ap_id(conn, &config, &ap_id)? else { return Ok(None) };
            let Some(group) = post.group_id else { return Ok(None) };
            Ok(db::groups::find(conn, group)?.filter(|g| g.domain.is_none()).map(|g| g.name))
        })
        .await
}

/// Stores a post that reached a group from another server. For a group hosted here
/// (`RemoteGroup::Here`: the post came to a local group's inbox) the same rules as for a local post apply (the author must be an
/// active member; in announcements mode only moderators start threads) and the group then
/// announces it to its members' servers. Otherwise it is a group of another instance announcing
/// its content to this one. The same post arriving twice changes nothing.
pub async fn receive_remote(ctx: &AppContext, mut input: RemotePostInput) -> Result<Option<PostId>> {
    let config = ctx.config.clone();
    let limit = config.max_post_chars.max(20_000);
    let (html, source) = (std::mem::take(&mut input.content_html), input.source.take());
    let stored = ctx
        .db
        .write_after(
            // Sanitised before the write transaction: other writers need not wait for it.
            move || -> Result<_> {
                let html = text::sanitize(&html);
                let source = source.unwrap_or_else(|| text::strip_html(&html));
                check_length(&source, limit, "content")?;
                Ok((html, source))
            },
            move |conn, (html, source)| {
                if post_by_ap_id(conn, &config, &input.ap_id)?.is_some() {
                    return Ok(None);
                }
                let (group, hosted_here) = match &input.group {
                    RemoteGroup::Here(name) => (super::actors::federated_group_here(conn, name)?, true),
                    RemoteGroup::Elsewhere(id) => {
                        let group = db::groups::find(conn, *id)?.ok_or_else(super::group_not_found)?;
                        if group.domain.is_none() {
                            return Err(Error::invalid("wrong_group", "This post does not belong to this group."));
                        }
                        (group, false)
                    }
                };
                let parent = match &input.in_reply_to {
                    Some(id) => Some(
                        post_by_ap_id(conn, &config, id)?
                            .ok_or_else(|| Error::not_found("parent_not_found", "The post this answers is unknown."))?,
                    ),
                    None => None,
                };
                if parent.as_ref().is_some_and(|p| p.group_id != Some(group.id)) {
                    return Err(Error::invalid("reply_outside_group", "A reply stays in the group of the post it answers."));
                }
                if hosted_here {
                    let author = db::people::get(conn, input.author)?;
                    super::policy::check_partner(&group, author.domain.as_deref().unwrap_or(""))?;
                    let membership = db::memberships::find(conn, group.id, input.author)?;
                    // Of a group others may not know of (secret), a stranger's post gets the same
                    // answer as one to a group that does not exist.
                    if membership.is_none() && group.visibility == "secret" {
                        return Err(super::group_not_found());
                    }
                    super::policy::may_post(&group, membership.as_ref(), parent.is_none())?;
                }
                let visibility = match Visibility::parse(&group.visibility)? {
                    Visibility::Public if input.public => "public",
                    _ => "private",
                };
                let post = db::posts::insert_remote(
                    conn,
                    &NewPost {
                        author_id: input.author,
                        group_id: Some(group.id),
                        in_reply_to_id: parent.as_ref().map(|p| p.id),
                        root_id: parent.as_ref().map(Post::thread_id),
                        visibility,
                        source: &source,
                        content_html: &html,
                        created_at: input.published.filter(|p| *p <= db::now()).unwrap_or_else(db::now),
                    },
                    &input.ap_id,
                )?;
                super::media::attach_remote(conn, &config, post.id, input.author, &input.files)?;
                if let Some(parent) = &parent {
                    if parent.author_id != input.author {
                        notify_if_visible(conn, parent.author_id, &post, "reply")?;
                    }
                }
                let person_prefix = format!("{}/users/", config.base_url());
                for mentioned in input.mentions.iter().take(50) {
                    let Some(name) = mentioned.strip_prefix(&person_prefix) else { continue };
                    let Some(person) = db::people::find_by_name(conn, name, None)? else { continue };
                    db::posts::add_mention(conn, post.id, person.id)?;
                    if parent.as_ref().is_none_or(|p| p.author_id != person.id) {
                        notify_if_visible(conn, person.id, &post, "mention")?;
                    }
                }
                if hosted_here {
                    super::effects::post_changed_in(conn, &post, &group, super::effects::PostChange::Created)?;
                }
                Ok(Some(post.id))
            },
        )
        .await?;
    ctx.jobs_wake.notify_one();
    Ok(stored)
}

/// A public post of a person of another instance, outside any group, as their server sends it to
/// their followers: kept when someone here follows them (it shows in their home), ignored
/// otherwise.
pub async fn receive_remote_personal(
    ctx: &AppContext,
    ap_id: String,
    author: PersonId,
    content_html: String,
    published: Option<chrono::NaiveDateTime>,
    files: Vec<super::media::RemoteFile>,
) -> Result<Option<PostId>> {
    let config = ctx.config.clone();
    let limit = config.max_post_chars.max(20_000);
    let stored = ctx
        .db
        .write_after(
            // Sanitised before the write transaction: other writers need not wait for it.
            move || -> Result<_> {
                let html = text::sanitize(&content_html);
                let source = text::strip_html(&html);
                check_length(&source, limit, "content")?;
                Ok((html, source))
            },
            move |conn, (html, source)| -> Result<_> {
                if post_by_ap_id(conn, &config, &ap_id)?.is_some() || !db::follows::has_local_follower(conn, author)? {
                    return Ok(None);
                }
                let post = db::posts::insert_remote(
                    conn,
                    &NewPost {
                        author_id: author,
                        group_id: None,
                        in_reply_to_id: None,
                        root_id: None,
                        visibility: "public",
                        source: &source,
                        content_html: &html,
                        created_at: published.filter(|p| *p <= db::now()).unwrap_or_else(db::now),
                    },
                    &ap_id,
                )?;
                super::media::attach_remote(conn, &config, post.id, author, &files)?;
                Ok(Some(post.id))
            },
        )
        .await?;
    ctx.jobs_wake.notify_one();
    Ok(stored)
}

/// What another server changed about a post it sent earlier.
#[derive(Debug, Clone)]
pub enum RemoteChange {
    /// `updated`: when it was edited, as its origin says; an older edit never replaces a newer.
    Edited {
        content_html: String,
        source: Option<String>,
        updated: Option<chrono::NaiveDateTime>,
    },
    Deleted,
}

/// Applies an edit or delete of a post that came from another server. `by`: the person who
/// must be its author (`None` when a group of another instance announces the change, which it
/// may do for posts in it). `group`: the group the post is in (`None`: a person's own post
/// outside groups, which only its author changes). `hosted_here`: the change reached a local
/// group, which then passes it on to its members' servers.
pub async fn receive_remote_change(
    ctx: &AppContext,
    ap_id: String,
    by: Option<PersonId>,
    group: Option<GroupId>,
    change: RemoteChange,
    hosted_here: bool,
) -> Result<()> {
    let config = ctx.config.clone();
    ctx.db
        .write(move |conn| {
            // A post of this instance is never edited from outside (a group of another instance
            // may remove it from the group: `Deleted`).
            let local = ap_id.starts_with(&format!("{}/", config.base_url()));
            if local && matches!(change, RemoteChange::Edited { .. }) {
                return Err(Error::forbidden("local_object", "A post of this instance is not changed from outside."));
            }
            let Some(post) = post_by_ap_id(conn, &config, &ap_id)? else { return Ok(()) };
            // A deleted post stays deleted: a late edit does not bring its text back.
            if post.deleted_at.is_some() {
                return Ok(());
            }
            if post.group_id != group || (group.is_none() && by.is_none()) {
                return Err(Error::invalid("wrong_group", "This post does not belong to this group."));
            }
            if by.is_some_and(|by| by != post.author_id) {
                return Err(Error::forbidden("not_author", "Only the author changes a post this way."));
            }
            let kind = match change {
                RemoteChange::Edited { content_html, source, updated } => {
                    let at = updated.filter(|u| *u <= db::now()).unwrap_or_else(db::now);
                    if post.edited_at.is_some_and(|known| known >= at) {
                        return Ok(());
                    }
                    let html = text::sanitize(&content_html);
                    let source = source.unwrap_or_else(|| text::strip_html(&html));
                    check_length(&source, config.max_post_chars.max(20_000), "content")?;
                    db::posts::edit_at(conn, post.id, &source, &html, at)?;
                    super::effects::PostChange::Updated
                }
                RemoteChange::Deleted => {
                    db::posts::mark_deleted(conn, post.id)?;
                    super::effects::PostChange::Deleted
                }
            };
            if hosted_here {
                super::effects::post_changed(conn, &post, kind)?;
            }
            Ok(())
        })
        .await?;
    ctx.jobs_wake.notify_one();
    Ok(())
}
