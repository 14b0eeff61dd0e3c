//! Posts on the wire: a post as a `Note`, wrapped in the `Create` its author sent and the
//! `Announce` its group passes on. Deliveries and the served objects (the post's own address,
//! the group's outbox) build them here, so both say the same.

use serde_json::{json, Value};

use crate::context::AppContext;
use crate::db::{self, DbConn};
use crate::error::{Error, Result};
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

/// `to` and `cc` of a post in a group: a public group's posts are public (the group in `cc`);
/// a private or secret group's go only to the group, never to Public.
pub fn addressing(post: &db::posts::Post, group_url: &str) -> (Value, Value) {
    if post.visibility == "public" {
        (json!([PUBLIC]), json!([group_url]))
    } else {
        (json!([group_url]), json!([]))
    }
}

/// A post in a group as a `Note` (without `@context`).
pub fn note(conn: &mut DbConn, ctx: &AppContext, post: &db::posts::Post, group: &db::groups::Group) -> Result<Value> {
    let author = db::people::get(conn, post.author_id)?;
    let parent = match post.in_reply_to_id {
        Some(id) => db::posts::find_any(conn, id)?,
        None => None,
    };
    let group_url = group_ap_id(ctx, group);
    let (to, cc) = addressing(post, &group_url);
    let mut note = json!({
        "type": "Note",
        "id": post_ap_id(ctx, post),
        "attributedTo": person_ap_id(ctx, &author),
        "content": post.content_html,
        "source": { "content": post.source, "mediaType": "text/markdown" },
        "inReplyTo": parent.as_ref().map(|p| post_ap_id(ctx, p)),
        "published": crate::http::mastodon::entities::time(post.created_at),
        "audience": group_url,
        "to": to,
        "cc": cc,
    });
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

/// The author's `Create` of a note; its id is derived from the note's, so it is stable.
pub fn create(note: Value) -> Result<Value> {
    let id = note.get("id").and_then(Value::as_str).ok_or_else(|| Error::internal("a note without an id"))?;
    Ok(json!({
        "@context": context(),
        "type": "Create",
        "id": format!("{id}#create"),
        "actor": note["attributedTo"],
        "audience": note["audience"],
        "to": note["to"],
        "cc": note["cc"],
        "object": note,
    }))
}

/// The group passes an activity on (FEP-1b12). `public`: addressed to Public with the group's
/// followers in `cc`; otherwise only to the followers, never Public.
pub fn announce(id: String, group_url: &str, activity: Value, public: bool) -> Value {
    let followers = format!("{group_url}/followers");
    let (to, cc) = if public { (json!([PUBLIC]), json!([followers])) } else { (json!([followers]), json!([])) };
    json!({
        "@context": context(),
        "type": "Announce",
        "id": id,
        "actor": group_url,
        "object": activity,
        "audience": group_url,
        "to": to,
        "cc": cc,
    })
}
