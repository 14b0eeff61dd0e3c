//! Posts on the wire: a post as a `Note`, wrapped in the `Create` its author sent and the
//! `Announce` its group passes on. Deliveries and the served objects (the post's own address,
//! the group's outbox) build them here, so both say the same.

use serde_json::{json, Value};

use crate::context::AppContext;
use crate::db::{self, DbConn};
use crate::error::Result;
use crate::urls;

pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

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
pub fn addressing(post: &db::posts::Post, group_url: &str, author_followers: Option<String>) -> (Value, Value) {
    if post.visibility == "public" {
        (json!([PUBLIC]), json!([group_url]))
    } else {
        let mut to = vec![json!(format!("{group_url}/followers"))];
        to.extend(author_followers.map(Value::String));
        (json!(to), json!([group_url]))
    }
}

/// The followers collection of a post's author, where the author is a person of this instance.
pub fn local_followers(ctx: &AppContext, author: &db::people::Person) -> Option<String> {
    author.domain.is_none().then(|| format!("{}/followers", person_ap_id(ctx, author)))
}

/// A post in a group as a `Note` (without `@context`).
pub fn note(conn: &mut DbConn, ctx: &AppContext, post: &db::posts::Post, group: &db::groups::Group) -> Result<Value> {
    let author = db::people::get(conn, post.author_id)?;
    let parent = match post.in_reply_to_id {
        Some(id) => db::posts::find_any(conn, id)?,
        None => None,
    };
    let group_url = group_ap_id(ctx, group);
    let (to, cc) = addressing(post, &group_url, local_followers(ctx, &author));
    let mut note = json!({
        "type": "Note",
        "id": post_ap_id(ctx, post),
        "attributedTo": person_ap_id(ctx, &author),
        "content": post.content_html,
        "source": { "content": post.source, "mediaType": "text/markdown" },
        "published": crate::http::mastodon::entities::time(post.created_at),
        "audience": group_url,
        "to": to,
        "cc": cc,
    });
    if let Some(parent) = &parent {
        note["inReplyTo"] = json!(post_ap_id(ctx, parent));
    }
    if post.ap_id.is_none() {
        note["url"] = json!(post_ap_id(ctx, post));
    }
    // Mentioned people, as Mastodon tags them (and, on a public post, in `cc` so they see it).
    let mentioned: Vec<db::PersonId> = db::posts::mentions_of(conn, &[post.id])?.into_iter().map(|(_, p)| p).collect();
    if !mentioned.is_empty() {
        let people = db::people::get_many(conn, &mentioned)?;
        let tags: Vec<Value> = people
            .iter()
            .map(|p| {
                let domain = p.domain.clone().unwrap_or_else(|| ctx.config.domain.clone());
                json!({ "type": "Mention", "href": person_ap_id(ctx, p), "name": format!("@{}@{domain}", p.username) })
            })
            .collect();
        note["tag"] = json!(tags);
        if post.visibility == "public" {
            if let Some(cc) = note["cc"].as_array_mut() {
                cc.extend(people.iter().map(|p| json!(person_ap_id(ctx, p))));
            }
        }
    }
    if let Some(edited) = post.edited_at {
        note["updated"] = json!(crate::http::mastodon::entities::time(edited));
    }
    Ok(note)
}

/// The id of a private group's own copy of a thread (see `group_copy`).
pub fn group_copy_id(ctx: &AppContext, post: &db::posts::Post) -> String {
    format!("{}/group-copy", urls::post_id(&ctx.config, post.id))
}

/// A thread of a private or secret group as the group's own followers-only note, for microblog
/// servers: they show a followers-only post only to its author's followers and refuse a boost of
/// it, so the group's followers there see the group's copy, which names the author and links to
/// the original.
pub fn group_copy(conn: &mut DbConn, ctx: &AppContext, post: &db::posts::Post, group: &db::groups::Group) -> Result<Value> {
    let mut note = note(conn, ctx, post, group)?;
    let author = db::people::get(conn, post.author_id)?;
    let author_url = person_ap_id(ctx, &author);
    let domain = author.domain.clone().unwrap_or_else(|| ctx.config.domain.clone());
    let name = crate::service::text::escape_html(if author.display_name.is_empty() { &author.username } else { &author.display_name });
    let byline = format!(
        r#"<p><a href="{author_url}" class="u-url mention">@<span>{}@{domain}</span></a> ({name}):</p>"#,
        crate::service::text::escape_html(&author.username)
    );
    let group_url = group_ap_id(ctx, group);
    note["id"] = json!(group_copy_id(ctx, post));
    note["attributedTo"] = json!(group_url);
    note["content"] = json!(format!("{byline}{}", post.content_html));
    note["url"] = json!(post_ap_id(ctx, post));
    note["to"] = json!([format!("{group_url}/followers")]);
    note["cc"] = json!([]);
    if let Some(o) = note.as_object_mut() {
        o.remove("source");
    }
    Ok(note)
}

/// The author's `Create` of a note, with the given id.
pub fn create(id: String, note: Value) -> Value {
    json!({
        "@context": context(),
        "type": "Create",
        "id": id,
        "actor": note["attributedTo"],
        "audience": note["audience"],
        "published": note["published"],
        "to": note["to"],
        "cc": note["cc"],
        "object": note,
    })
}

/// `to` and `cc` of what a group passes on: a public group's go to Public with its followers in
/// `cc`; otherwise only to its followers, never Public.
fn group_addressing(group_url: &str, public: bool) -> (Value, Value) {
    let followers = format!("{group_url}/followers");
    if public {
        (json!([PUBLIC]), json!([followers]))
    } else {
        (json!([followers]), json!([]))
    }
}

/// The group passes an activity on (FEP-1b12), as group-aware servers (Gilde, Lemmy) read it.
pub fn announce(id: String, group_url: &str, activity: Value, public: bool) -> Value {
    let (to, cc) = group_addressing(group_url, public);
    json!({
        "@context": context(),
        "type": "Announce",
        "id": id,
        "actor": group_url,
        "object": activity,
        "audience": group_url,
        "published": crate::http::mastodon::entities::time(db::now()),
        "to": to,
        "cc": cc,
    })
}

/// The group boosts a post, as microblog servers (Mastodon, GoToSocial, snac) read it: an
/// `Announce` of the note by its own id, which they fetch from its origin (as Lemmy sends to
/// Mastodon); no `audience` (they know no groups).
pub fn boost(id: String, group_url: &str, note_id: &str, public: bool) -> Value {
    let mut boost = announce(id, group_url, json!(note_id), public);
    if let Some(fields) = boost.as_object_mut() {
        fields.remove("audience");
    }
    boost
}
