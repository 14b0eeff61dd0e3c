//! A person's data as a download (the AVG/GDPR right of access), in the shape of Mastodon's
//! archive: `actor.json` (their actor), `outbox.json` (their posts as `Create` activities),
//! `likes.json`, `following_accounts.csv` (as Mastodon imports it), Gilde's `groups.csv` (their
//! memberships) and their files under `media_attachments/`.

use std::io::Write;

use activitypub_federation::traits::Object as _;
use serde_json::{json, Value};

use super::notes;
use super::objects::ApubPerson;
use super::protocol::activity::{Note, NoteKind, Source};
use super::FedConfig;
use crate::context::AppContext;
use crate::db::{self, PersonId};
use crate::error::{Error, Result};

/// Everything read for the archive, in one read transaction.
struct Collected {
    person: db::people::Person,
    notes: Vec<Note>,
    liked: Vec<String>,
    following: Vec<String>,
    groups: Vec<(String, String, String)>,
    media: Vec<db::media::Media>,
}

/// A post outside groups as a `Note`, addressed by its visibility.
fn own_note(ctx: &AppContext, author: &db::people::Person, post: &db::posts::Post) -> Note {
    let followers = format!("{}/followers", notes::person_ap_id(ctx, author));
    let (to, cc) = match post.visibility.as_str() {
        "public" => (vec![notes::PUBLIC.to_string()], vec![followers]),
        "unlisted" => (vec![followers], vec![notes::PUBLIC.to_string()]),
        _ => (vec![followers], Vec::new()),
    };
    Note {
        context: None,
        kind: NoteKind::Note,
        id: notes::post_ap_id(ctx, post),
        attributed_to: notes::person_ap_id(ctx, author),
        content: post.content_html.clone(),
        source: Some(Source { content: post.source.clone(), media_type: "text/markdown" }),
        in_reply_to: None,
        published: crate::http::mastodon::entities::time(post.created_at),
        updated: post.edited_at.map(crate::http::mastodon::entities::time),
        url: None,
        audience: None,
        to,
        cc,
        tag: Vec::new(),
        attachment: Vec::new(),
    }
}

/// A person's archive: zip bytes, and whose (for its file name).
pub struct Archive {
    pub username: String,
    pub bytes: Vec<u8>,
}

/// The archive of the person's data.
pub async fn archive(fed: &FedConfig, person: PersonId) -> Result<Archive> {
    let ctx: &AppContext = fed;
    let ctx2 = ctx.clone();
    let collected = ctx
        .db
        .read(move |conn| -> Result<Collected> {
            let person = db::people::get(conn, person)?;
            let mut notes_out = Vec::new();
            let mut media = Vec::new();
            for post in db::deletion::live_posts_by(conn, person.id)?.into_iter().rev() {
                let files = db::media::of_posts(conn, &[post.id])?;
                let mut note = match post.group_id.map(|g| db::groups::find(conn, g)).transpose()?.flatten() {
                    Some(group) => notes::note(conn, &ctx2, &post, &group)?,
                    None => own_note(&ctx2, &person, &post),
                };
                note.attachment = notes::attachments(&ctx2, &files);
                media.extend(files);
                notes_out.push(note);
            }
            let liked = db::deletion::liked_posts(conn, person.id)?.iter().map(|p| notes::post_ap_id(&ctx2, p)).collect();
            let mut following = Vec::new();
            for (id, _) in db::deletion::followed_by(conn, person.id)? {
                let them = db::people::get(conn, id)?;
                let domain = them.domain.clone().unwrap_or_else(|| ctx2.config.domain.clone());
                following.push(format!("{}@{domain}", them.username));
            }
            let mut groups = Vec::new();
            for m in db::deletion::memberships_of(conn, person.id)? {
                let Some(group) = db::groups::find(conn, m.group_id)? else { continue };
                let domain = group.domain.clone().unwrap_or_else(|| ctx2.config.domain.clone());
                groups.push((format!("{}@{domain}", group.name), m.role, m.state));
            }
            if let Some(avatar) = person.avatar_id {
                media.extend(db::media::find(conn, avatar)?);
            }
            Ok(Collected { person, notes: notes_out, liked, following, groups, media })
        })
        .await?;
    let username = collected.person.username.clone();
    let data = fed.to_request_data();
    let mut actor =
        serde_json::to_value(ApubPerson::new(ctx, collected.person.clone())?.into_json(&data).await?).map_err(Error::internal)?;
    actor["@context"] = json!("https://www.w3.org/ns/activitystreams");
    let items: Vec<Value> = collected
        .notes
        .into_iter()
        .map(|note| {
            let id = format!("{}/activity", note.id);
            notes::create(id, note).to_value()
        })
        .collect();
    let outbox = json!({
        "@context": "https://www.w3.org/ns/activitystreams", "id": "outbox.json", "type": "OrderedCollection",
        "totalItems": items.len(), "orderedItems": items,
    });
    let likes = json!({
        "@context": "https://www.w3.org/ns/activitystreams", "id": "likes.json", "type": "OrderedCollection",
        "totalItems": collected.liked.len(), "orderedItems": collected.liked,
    });
    let mut following = String::from("Account address,Show boosts,Notify on new posts,Languages\n");
    for acct in &collected.following {
        following.push_str(&format!("{acct},true,false,\n"));
    }
    let mut groups = String::from("Group address,Role,State\n");
    for (address, role, state) in &collected.groups {
        groups.push_str(&format!("{address},{role},{state}\n"));
    }
    let mut files = Vec::new();
    for m in &collected.media {
        if let Some(key) = &m.file_key {
            if let Ok(bytes) = ctx.storage.get(key).await {
                files.push((format!("media_attachments/{}/{}", m.token, m.file_name), bytes));
            }
        }
    }
    let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        let json_files = [("actor.json", actor), ("outbox.json", outbox), ("likes.json", likes)];
        for (name, value) in json_files {
            zip.start_file(name, deflated).map_err(Error::internal)?;
            zip.write_all(serde_json::to_string_pretty(&value).map_err(Error::internal)?.as_bytes()).map_err(Error::internal)?;
        }
        for (name, text) in [("following_accounts.csv", following), ("groups.csv", groups)] {
            zip.start_file(name, deflated).map_err(Error::internal)?;
            zip.write_all(text.as_bytes()).map_err(Error::internal)?;
        }
        for (name, bytes) in files {
            zip.start_file(name, stored).map_err(Error::internal)?;
            zip.write_all(&bytes).map_err(Error::internal)?;
        }
        Ok(zip.finish().map_err(Error::internal)?.into_inner())
    })
    .await
    .map_err(Error::internal)??;
    Ok(Archive { username, bytes })
}
