//! Posts on the wire: a post as a `Note`, wrapped in the `Create` its author sent and the
//! `Announce` its group passes on. Deliveries and the served objects (the post's own address,
//! the group's outbox) build them here, so both say the same.

use serde_json::{json, Value};

use super::protocol::activity::{Activity, ActivityKind, Object};
use super::protocol::activity::{AttachmentKind, Mention, MentionKind, Note, NoteAttachment, NoteKind, Source};
use crate::context::AppContext;
use crate::db::{self, DbConn};
use crate::error::Result;
use crate::urls;

pub use super::protocol::post::PUBLIC;

/// The JSON-LD context of posts and the activities about them (`audience` as FEP-1b12 uses it).
pub fn context() -> Value {
    json!(["https://www.w3.org/ns/activitystreams", { "audience": { "@id": "as:audience", "@type": "@id" } }])
}

pub fn person_ap_id(ctx: &AppContext, p: &db::people::Person) -> String {
    p.ap_id.clone().unwrap_or_else(|| urls::person_id(&ctx.config, &p.username))
}

pub fn group_ap_id(ctx: &AppContext, g: &db::groups::Group) -> String {
    g.ap_id.clone().unwrap_or_else(|| urls::group_id(&ctx.config, &g.name))
}

pub fn post_ap_id(ctx: &AppContext, p: &db::posts::Post) -> String {
    p.ap_id.clone().unwrap_or_else(|| urls::post_id(&ctx.config, p.id))
}

/// Is this addressed to everyone (Public in `to` or `cc`)?
pub fn is_public(object: &Value) -> bool {
    ["to", "cc"].iter().any(|key| match object.get(*key) {
        Some(Value::String(s)) => s == PUBLIC,
        Some(Value::Array(list)) => list.iter().any(|v| v.as_str() == Some(PUBLIC)),
        _ => false,
    })
}

/// `to` and `cc` of a post in a group: a public group's posts are public (the group in `cc`);
/// a private or secret group's go to the group and its followers, never to Public. Where the
/// author is a person of this instance, their followers collection is named too: Mastodon-like
/// servers take a post addressed to its author's followers as followers-only (otherwise they
/// would show it as a direct message).
pub fn addressing(post: &db::posts::Post, group_url: &str, author_followers: Option<String>) -> (Vec<String>, Vec<String>) {
    if post.visibility == "public" {
        (vec![PUBLIC.to_string()], vec![group_url.to_string()])
    } else {
        let mut to = vec![format!("{group_url}/followers")];
        to.extend(author_followers);
        (to, vec![group_url.to_string()])
    }
}

/// The followers collection of a post's author, where the author is a person of this instance.
pub fn local_followers(ctx: &AppContext, author: &db::people::Person) -> Option<String> {
    author.domain.is_none().then(|| format!("{}/followers", person_ap_id(ctx, author)))
}

fn time(at: chrono::NaiveDateTime) -> String {
    crate::http::mastodon::entities::time(at)
}

/// Now, as activities state when they were published.
pub fn now_text() -> String {
    time(db::now())
}

/// A post in a group as a `Note` (without `@context`).
pub fn note(conn: &mut DbConn, ctx: &AppContext, post: &db::posts::Post, group: &db::groups::Group) -> Result<Note> {
    let author = db::people::get(conn, post.author_id)?;
    let parent = match post.in_reply_to_id {
        Some(id) => db::posts::find_any(conn, id)?,
        None => None,
    };
    let group_url = group_ap_id(ctx, group);
    let (to, mut cc) = addressing(post, &group_url, local_followers(ctx, &author));
    // Mentioned people, as Mastodon tags them (and, on a public post, in `cc` so they see it).
    let mentioned: Vec<db::PersonId> = db::posts::mentions_of(conn, &[post.id])?.into_iter().map(|(_, p)| p).collect();
    let people = if mentioned.is_empty() { Vec::new() } else { db::people::get_many(conn, &mentioned)? };
    let tag = people
        .iter()
        .map(|p| {
            let domain = p.domain.clone().unwrap_or_else(|| ctx.config.domain.clone());
            Mention { kind: MentionKind::Mention, href: person_ap_id(ctx, p), name: format!("@{}@{domain}", p.username) }
        })
        .collect();
    if post.visibility == "public" {
        cc.extend(people.iter().map(|p| person_ap_id(ctx, p)));
    }
    Ok(Note {
        context: None,
        kind: NoteKind::Note,
        id: post_ap_id(ctx, post),
        attributed_to: person_ap_id(ctx, &author),
        content: post.content_html.clone(),
        source: Some(Source { content: post.source.clone(), media_type: "text/markdown" }),
        in_reply_to: parent.as_ref().map(|p| post_ap_id(ctx, p)),
        published: time(post.created_at),
        updated: post.edited_at.map(time),
        url: post.ap_id.is_none().then(|| post_ap_id(ctx, post)),
        audience: Some(group_url),
        to,
        cc,
        tag,
        attachment: attachments(ctx, &db::media::of_posts(conn, &[post.id])?),
    })
}

/// A post's files as a note's `attachment`: their addresses here (fetched under the post's
/// rules: a private group's files only by its members' servers, signed), or a remote post's
/// own addresses.
pub fn attachments(ctx: &AppContext, media: &[db::media::Media]) -> Vec<NoteAttachment> {
    media
        .iter()
        .map(|m| {
            let url = match (&m.remote_url, &m.file_key) {
                (Some(remote), _) => remote.clone(),
                _ => format!("{}{}", ctx.config.base_url(), urls::file_path(&m.token, &m.file_name)),
            };
            let image = m.is_image();
            let focal_point = m.focus.split_once(',').and_then(|(x, y)| Some([x.parse().ok()?, y.parse().ok()?]));
            NoteAttachment {
                kind: if image { AttachmentKind::Image } else { AttachmentKind::Document },
                media_type: m.content_type.clone(),
                url,
                name: (!m.description.is_empty()).then(|| m.description.clone()),
                blurhash: m.blurhash.clone(),
                width: m.width,
                height: m.height,
                focal_point: if image { focal_point } else { None },
            }
        })
        .collect()
}

/// The id of a private group's own copy of a thread (see `group_copy`).
pub fn group_copy_id(ctx: &AppContext, post: &db::posts::Post) -> String {
    format!("{}/group-copy", urls::post_id(&ctx.config, post.id))
}

/// A thread of a private or secret group as the group's own followers-only note, for microblog
/// servers: they show a followers-only post only to its author's followers and refuse a boost of
/// it, so the group's followers there see the group's copy, which names the author and links to
/// the original.
pub fn group_copy(conn: &mut DbConn, ctx: &AppContext, post: &db::posts::Post, group: &db::groups::Group) -> Result<Note> {
    let original = note(conn, ctx, post, group)?;
    let author = db::people::get(conn, post.author_id)?;
    let domain = author.domain.clone().unwrap_or_else(|| ctx.config.domain.clone());
    let name = crate::service::text::escape_html(if author.display_name.is_empty() { &author.username } else { &author.display_name });
    let byline = format!(
        r#"<p><a href="{}" class="u-url mention">@<span>{}@{domain}</span></a> ({name}):</p>"#,
        original.attributed_to,
        crate::service::text::escape_html(&author.username)
    );
    let group_url = group_ap_id(ctx, group);
    Ok(Note {
        id: group_copy_id(ctx, post),
        attributed_to: group_url.clone(),
        content: format!("{byline}{}", post.content_html),
        source: None,
        url: Some(post_ap_id(ctx, post)),
        to: vec![format!("{group_url}/followers")],
        cc: Vec::new(),
        ..original
    })
}

/// The author's `Create` of a note, with the given id (addressed as the note).
pub fn create(id: String, note: Note) -> Activity {
    let (actor, audience, published, to, cc) =
        (note.attributed_to.clone(), note.audience.clone(), note.published.clone(), note.to.clone(), note.cc.clone());
    let mut create = Activity::new(ActivityKind::Create, id, actor, Object::Note(Box::new(note)));
    create.context = Some(context());
    create.audience = audience;
    create.published = Some(published);
    create.to = to;
    create.cc = cc;
    create
}

/// `to` and `cc` of what a group passes on: a public group's go to Public with its followers in
/// `cc`; otherwise only to its followers, never Public.
pub fn group_addressing(group_url: &str, public: bool) -> (Vec<String>, Vec<String>) {
    let followers = format!("{group_url}/followers");
    if public {
        (vec![PUBLIC.to_string()], vec![followers])
    } else {
        (vec![followers], Vec::new())
    }
}

/// The group passes an activity on (FEP-1b12), as group-aware servers (Gilde, Lemmy) read it.
pub fn announce(id: String, group_url: &str, mut activity: Activity, public: bool) -> Activity {
    activity.context = None;
    let mut announce = Activity::new(ActivityKind::Announce, id, group_url.to_string(), Object::Activity(Box::new(activity)));
    announce.context = Some(context());
    announce.audience = Some(group_url.to_string());
    announce.published = Some(now_text());
    (announce.to, announce.cc) = group_addressing(group_url, public);
    announce
}

/// The group boosts a post, as microblog servers (Mastodon, GoToSocial, snac) read it: an
/// `Announce` of the note by its own id, which they fetch from its origin (as Lemmy sends to
/// Mastodon); no `audience` (they know no groups).
pub fn boost(id: String, group_url: &str, note_id: &str, public: bool) -> Activity {
    let mut boost = Activity::new(ActivityKind::Announce, id, group_url.to_string(), Object::Id(note_id.to_string()));
    boost.context = Some(context());
    boost.published = Some(now_text());
    (boost.to, boost.cc) = group_addressing(group_url, public);
    boost
}
