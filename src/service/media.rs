//! Attachments and pictures: uploading, describing, attaching to posts, who may fetch a file,
//! and removing files nobody needs any more. The bytes are handled by `crate::media`.

use super::actors::{check_served, Requester};
use super::Actor;
use crate::context::AppContext;
use crate::db::media::{Media, NewMedia};
use crate::db::{self, DbConn, MediaId, PostId};
use crate::error::{Error, ErrorKind, Result};
use crate::media::{self as files, Kind, ProcessError};

/// Alt text longer than this is refused (Mastodon's limit).
pub const DESCRIPTION_MAX_CHARS: usize = 1_500;

/// An upload as a front door received it.
#[derive(Debug, Default)]
pub struct Upload {
    pub bytes: Vec<u8>,
    /// The name the client gave the file, if any.
    pub file_name: Option<String>,
    pub description: Option<String>,
    /// Mastodon's focal point, `x,y`.
    pub focus: Option<String>,
}

/// What an upload is for: an attachment (waits for a post) or a picture (used at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Attachment,
    Picture,
}

fn file_not_found() -> Error {
    Error::not_found("file_not_found", "This file does not exist or is not visible to you.")
}

fn not_found() -> Error {
    Error::not_found("media_not_found", "This file does not exist or is not yours.")
}

#[track_caller]
fn refused(e: ProcessError) -> Error {
    match e {
        ProcessError::Unsupported(found) => Error::invalid(
            "unsupported_file_type",
            format!("Files of this type ({found}) cannot be shared. Share images (JPEG, PNG, GIF, WebP) or documents (PDF, OpenDocument, Office)."),
        ),
        ProcessError::TooLarge { size, limit, kind } => Error::new(
            ErrorKind::TooLarge,
            "file_too_large",
            format!("This file is {:.1} MB; {kind} may be at most {:.1} MB.", size as f64 / 1_048_576.0, limit as f64 / 1_048_576.0),
        ),
        ProcessError::TooManyPixels { width, height, limit } => Error::invalid(
            "image_too_large",
            format!("This image is {width}×{height} pixels; at most {} megapixels are accepted.", limit / 1_000_000),
        ),
        ProcessError::Corrupt(_) => Error::invalid("unreadable_image", "This image cannot be read: the file is damaged or incomplete."),
        ProcessError::SuspiciousArchive => Error::invalid(
            "suspicious_document",
            "This document cannot be accepted: it unpacks to far more than its size (a zip bomb?).",
        ),
        ProcessError::Empty => Error::invalid("empty_file", "The file is empty."),
    }
    .with_field("file")
}

#[track_caller]
fn check_description(text: Option<String>) -> Result<Option<String>> {
    let Some(text) = text else { return Ok(None) };
    let text = text.trim().to_string();
    super::check_length(&text, DESCRIPTION_MAX_CHARS, "description")?;
    Ok(Some(text))
}

/// `x,y` with both in -1..1; empty for none.
#[track_caller]
fn check_focus(text: Option<String>) -> Result<Option<String>> {
    let Some(text) = text.map(|t| t.trim().to_string()) else { return Ok(None) };
    if text.is_empty() {
        return Ok(Some(String::new()));
    }
    let parsed: Option<(f64, f64)> = text.split_once(',').and_then(|(x, y)| Some((x.trim().parse().ok()?, y.trim().parse().ok()?)));
    match parsed {
        Some((x, y)) if (-1.0..=1.0).contains(&x) && (-1.0..=1.0).contains(&y) => Ok(Some(format!("{x},{y}"))),
        _ => Err(Error::invalid("invalid_focus", "The focal point is two numbers from -1 to 1: x,y.").with_field("focus")),
    }
}

/// A token no one can guess, for the file's address.
fn new_token() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..32).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}

/// Processes bytes on a blocking thread; at most `media_slots` at once (an image may take a few
/// hundred megabytes while it is decoded).
async fn process(ctx: &AppContext, bytes: Vec<u8>) -> Result<std::result::Result<files::Processed, ProcessError>> {
    let limits = ctx.config.media;
    let _slot = ctx.media_slots.acquire().await.map_err(Error::internal)?;
    tokio::task::spawn_blocking(move || files::process(&bytes, &limits)).await.map_err(Error::internal)
}

/// Where a processed file and its preview were stored.
struct Stored {
    file_key: String,
    preview_key: Option<String>,
}

/// Stores a processed file and its preview under the token's keys (their bytes are moved out of
/// `processed`). Nothing is left behind when either fails.
async fn store(ctx: &AppContext, token: &str, processed: &mut files::Processed) -> Result<Stored> {
    let file_key = format!("{}/{token}-original.{}", &token[..2], processed.extension);
    ctx.storage.put(&file_key, std::mem::take(&mut processed.bytes)).await.map_err(Error::internal)?;
    let Some(preview) = processed.preview.as_mut() else { return Ok(Stored { file_key, preview_key: None }) };
    let preview_key = format!("{}/{token}-preview.jpg", &token[..2]);
    if let Err(e) = ctx.storage.put(&preview_key, std::mem::take(&mut preview.bytes)).await {
        let _ = ctx.storage.delete(&file_key).await;
        return Err(Error::internal(e));
    }
    Ok(Stored { file_key, preview_key: Some(preview_key) })
}

/// Removes what `store` stored (its row could not be written).
async fn unstore(ctx: &AppContext, stored: &Stored) {
    let _ = ctx.storage.delete(&stored.file_key).await;
    if let Some(key) = &stored.preview_key {
        let _ = ctx.storage.delete(key).await;
    }
}

/// Checks, processes and stores an upload of the actor's. Nothing is kept when it is refused.
pub async fn upload(ctx: &AppContext, actor: &Actor, upload: Upload, purpose: Purpose) -> Result<Media> {
    let description = check_description(upload.description)?;
    let focus = check_focus(upload.focus)?;
    let mut processed = process(ctx, upload.bytes).await?.map_err(refused)?;
    if purpose == Purpose::Picture && processed.kind != Kind::Image {
        return Err(Error::invalid("picture_not_an_image", "A picture must be an image (JPEG, PNG, GIF or WebP).").with_field("file"));
    }
    let token = new_token();
    let file_name = files::clean_file_name(upload.file_name.as_deref(), processed.extension);
    let size = processed.bytes.len() as i64;
    let stored = store(ctx, &token, &mut processed).await?;
    // A document without alt text is described by its name, as Mastodon apps show it.
    let description = description.unwrap_or_else(|| if processed.kind == Kind::Document { file_name.clone() } else { String::new() });
    let me = actor.person_id;
    let keys = (stored.file_key.clone(), stored.preview_key.clone());
    let inserted = ctx
        .db
        .write(move |conn| {
            Ok(db::media::insert(
                conn,
                &NewMedia {
                    owner_id: me,
                    post_id: None,
                    position: 0,
                    kind: processed.kind.as_str(),
                    content_type: processed.content_type,
                    file_name: &file_name,
                    size,
                    width: processed.width.map(i64::from),
                    height: processed.height.map(i64::from),
                    preview_width: processed.preview.as_ref().map(|p| i64::from(p.width)),
                    preview_height: processed.preview.as_ref().map(|p| i64::from(p.height)),
                    description: &description,
                    focus: focus.as_deref().unwrap_or(""),
                    blurhash: processed.blurhash.as_deref(),
                    file_key: Some(&keys.0),
                    preview_key: keys.1.as_deref(),
                    token: &token,
                    remote_url: None,
                    created_at: db::now(),
                    text: &processed.text,
                },
            )?)
        })
        .await;
    if inserted.is_err() {
        unstore(ctx, &stored).await;
    }
    inserted
}

/// One of the actor's own uploads.
pub async fn get(ctx: &AppContext, actor: &Actor, id: MediaId) -> Result<Media> {
    let me = actor.person_id;
    ctx.db.read(move |conn| db::media::find(conn, id)?.filter(|m| m.owner_id == me).ok_or_else(not_found)).await
}

/// Sets the alt text and focal point of one of the actor's uploads.
pub async fn describe(ctx: &AppContext, actor: &Actor, id: MediaId, description: Option<String>, focus: Option<String>) -> Result<Media> {
    let description = check_description(description)?;
    let focus = check_focus(focus)?;
    let me = actor.person_id;
    ctx.db
        .write(move |conn| {
            let media = db::media::find(conn, id)?.filter(|m| m.owner_id == me).ok_or_else(not_found)?;
            let description = description.unwrap_or(media.description.clone());
            let focus = focus.unwrap_or(media.focus.clone());
            Ok(db::media::set_description(conn, id, &description, &focus)?)
        })
        .await
}

/// Attaches the actor's uploads to a post, in the order given, replacing what was attached.
/// Returns what was detached (to be removed with its files). Part of the post's transaction.
pub(crate) fn attach(conn: &mut DbConn, actor: &Actor, post: PostId, ids: &[MediaId], max: usize) -> Result<Vec<MediaId>> {
    let mut wanted: Vec<MediaId> = Vec::with_capacity(ids.len());
    for id in ids {
        if !wanted.contains(id) {
            wanted.push(*id);
        }
    }
    if wanted.len() > max {
        return Err(Error::invalid("too_many_attachments", format!("A post has at most {max} files.")).with_field("media_ids"));
    }
    let rows = db::media::get_many(conn, &wanted)?;
    for id in &wanted {
        let Some(m) = rows.iter().find(|m| m.id == *id) else {
            return Err(Error::invalid("media_not_found", "This file does not exist or is not yours.").with_field("media_ids"));
        };
        if m.owner_id != actor.person_id || m.post_id.is_some_and(|p| p != post) || db::media::is_picture(conn, m.id)? {
            return Err(Error::invalid("media_not_found", "This file does not exist or is not yours.").with_field("media_ids"));
        }
    }
    let current: Vec<MediaId> = db::media::of_posts(conn, &[post])?.into_iter().map(|m| m.id).collect();
    for (position, id) in wanted.iter().enumerate() {
        db::media::attach(conn, *id, post, position as i64)?;
    }
    // What search finds of them (attaching changes none of it).
    db::posts::set_files_text(conn, post, &files_text(&rows))?;
    Ok(current.into_iter().filter(|id| !wanted.contains(id)).collect())
}

/// What search finds of a post's files: their names, descriptions and (documents) text.
fn files_text(media: &[Media]) -> String {
    let mut text = String::new();
    for m in media {
        for part in [m.file_name.as_str(), m.description.as_str(), m.text.as_str()] {
            if !part.is_empty() && !text.contains(part) {
                text.push_str(part);
                text.push('\n');
            }
        }
    }
    text
}

/// Removes the stored files of rows already deleted from the database. A file that cannot be
/// removed is logged (and found again by no one: its row is gone).
pub(crate) async fn remove_files(ctx: &AppContext, rows: Vec<Media>) {
    for m in rows {
        for key in [m.file_key, m.preview_key].into_iter().flatten() {
            if let Err(e) = ctx.storage.delete(&key).await {
                tracing::warn!(error = %e, key, "could not remove a file");
            }
        }
    }
}

/// Removes uploads left unattached for a day (never posted, nor used as a picture). Returns how
/// many were removed.
pub async fn remove_unattached(ctx: &AppContext) -> Result<usize> {
    remove_unattached_older_than(ctx, chrono::TimeDelta::days(1)).await
}

/// Removes uploads left unattached for longer than `age`.
pub async fn remove_unattached_older_than(ctx: &AppContext, age: chrono::TimeDelta) -> Result<usize> {
    let before = db::now() - age;
    let rows = ctx
        .db
        .write(move |conn| -> Result<_> {
            let ids = db::media::unattached_before(conn, before, 500)?;
            Ok(db::media::delete_many(conn, &ids)?)
        })
        .await?;
    let n = rows.len();
    remove_files(ctx, rows).await;
    Ok(n)
}

/// Who asks for a file: a person signed in here, or another server (or anyone: anonymous).
#[derive(Debug, Clone)]
pub enum FileViewer {
    Person(Actor),
    Remote(Requester),
}

/// Which of a file's variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Original,
    Preview,
}

/// A file to send, with what the front door needs to send it safely.
#[derive(Debug)]
pub struct FileOut {
    pub bytes: Vec<u8>,
    pub content_type: String,
    pub file_name: String,
    pub is_document: bool,
    /// Anyone may fetch it: it may be cached by shared caches.
    pub public: bool,
}

/// May this viewer fetch this file? A file follows its post: whoever may read the post may
/// fetch it (a member for a private group; a member's server by signed fetch). An upload not yet
/// posted is its owner's only. Pictures of people and groups are public.
fn may_fetch(conn: &mut DbConn, viewer: &FileViewer, media: &Media) -> Result<(bool, bool)> {
    if media.post_id.is_none() {
        if db::media::is_picture(conn, media.id)? {
            return Ok((true, true));
        }
        let mine = matches!(viewer, FileViewer::Person(a) if a.person_id == media.owner_id);
        return Ok((mine, false));
    }
    let Some(post) = db::media::post_of(conn, media)? else { return Ok((false, false)) };
    let public = match post.group_id {
        Some(_) => check_served(conn, &post, &Requester::Anonymous).is_ok(),
        None => post.visibility == "public" || post.visibility == "unlisted",
    };
    if public {
        return Ok((true, true));
    }
    let allowed = match viewer {
        FileViewer::Person(actor) => super::posts::can_see(conn, actor, &post)?,
        FileViewer::Remote(requester @ Requester::Server(_)) => check_served(conn, &post, requester).is_ok(),
        FileViewer::Remote(Requester::Anonymous) => false,
    };
    Ok((allowed, false))
}

/// A file by its address, if the viewer may fetch it; "not found" otherwise (as for a file that
/// does not exist, so its existence is not given away).
pub async fn open(ctx: &AppContext, viewer: FileViewer, token: String, variant: Variant) -> Result<FileOut> {
    let (media, public) = ctx
        .db
        .read(move |conn| {
            let media = db::media::find_by_token(conn, &token)?.ok_or_else(file_not_found)?;
            let (allowed, public) = may_fetch(conn, &viewer, &media)?;
            if !allowed {
                return Err(file_not_found());
            }
            Ok((media, public))
        })
        .await?;
    read_file(ctx, media, public, variant).await
}

/// The post a file belongs to, if any.
pub async fn post_of_file(ctx: &AppContext, token: String) -> Result<Option<PostId>> {
    ctx.db.read(move |conn| -> Result<_> { Ok(db::media::find_by_token(conn, &token)?.and_then(|m| m.post_id)) }).await
}

/// A file of a local member's post in a private group of another instance, for a server that
/// group's server lists among those with members (as for the post itself).
pub async fn open_for_member_server(
    ctx: &AppContext,
    token: String,
    variant: Variant,
    requester: &Requester,
    member_servers: &[String],
) -> Result<FileOut> {
    let post = post_of_file(ctx, token.clone()).await?.ok_or_else(file_not_found)?;
    super::actors::served_post_to_member_server(ctx, post, requester, member_servers).await.map_err(|_| file_not_found())?;
    let media = ctx.db.read(move |conn| db::media::find_by_token(conn, &token)?.ok_or_else(file_not_found)).await?;
    read_file(ctx, media, false, variant).await
}

async fn read_file(ctx: &AppContext, media: Media, public: bool, variant: Variant) -> Result<FileOut> {
    let (key, content_type) = match (variant, &media.preview_key) {
        (Variant::Preview, Some(key)) => (key.clone(), "image/jpeg".to_string()),
        _ => (media.file_key.clone().ok_or_else(file_not_found)?, media.content_type.clone()),
    };
    let bytes = ctx.storage.get(&key).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            file_not_found()
        } else {
            Error::internal(e)
        }
    })?;
    Ok(FileOut { bytes, content_type, file_name: media.file_name, is_document: media.kind == "document", public })
}

/// Whose picture an upload becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PictureOf {
    Me,
    Group(crate::db::GroupId),
}

/// Sets (or, with `None`, removes) the picture of the actor or of a group they moderate. The
/// picture before it is removed with its files.
pub async fn set_picture(ctx: &AppContext, actor: &Actor, of: PictureOf, upload: Option<Upload>) -> Result<()> {
    let actor = *actor;
    if let PictureOf::Group(group) = of {
        // Checked before the upload is processed, and again when it is set.
        ctx.db.read(move |conn| check_group_picture(conn, &actor, group)).await?;
    }
    let media = match upload {
        Some(upload) => Some(self::upload(ctx, &actor, upload, Purpose::Picture).await?),
        None => None,
    };
    let removed = ctx
        .db
        .write(move |conn| -> Result<_> {
            let new = media.as_ref().map(|m| (m.id, crate::urls::file_path(&m.token, &m.file_name)));
            let (id, path) = (new.as_ref().map(|n| n.0), new.as_ref().map(|n| n.1.as_str()));
            let old = match of {
                PictureOf::Me => {
                    let old = db::people::get(conn, actor.person_id)?.avatar_id;
                    db::media::set_person_avatar(conn, actor.person_id, id, path)?;
                    old
                }
                PictureOf::Group(group) => {
                    let old = check_group_picture(conn, &actor, group)?;
                    db::media::set_group_avatar(conn, group, id, path)?;
                    old
                }
            };
            Ok(db::media::delete_many(conn, &old.into_iter().collect::<Vec<_>>())?)
        })
        .await?;
    remove_files(ctx, removed).await;
    Ok(())
}

/// May the actor change this group's picture? Returns the picture it has.
fn check_group_picture(conn: &mut DbConn, actor: &Actor, group: crate::db::GroupId) -> Result<Option<MediaId>> {
    let (group, membership, _) = super::groups::load(conn, actor, group)?;
    super::policy::may_configure(&group, super::active_role(membership.as_ref()), actor, false)?;
    Ok(group.avatar_id)
}

/// A file attached to a post of another server, as its server describes it.
#[derive(Debug, Clone)]
pub struct RemoteFile {
    pub url: String,
    pub media_type: Option<String>,
    pub name: String,
    pub blurhash: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// An address another server gave for a file: http(s) only (http in the test mode only).
fn remote_address(config: &crate::config::Config, url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let ok = parsed.scheme() == "https" || (parsed.scheme() == "http" && config.federation.insecure);
    (ok && parsed.host_str().is_some() && url.len() <= 2_000).then(|| parsed.to_string())
}

/// A blurhash as it may be: short, of its own alphabet.
fn clean_blurhash(hash: Option<&str>) -> Option<String> {
    let hash = hash?;
    let valid = (6..=100).contains(&hash.len()) && hash.bytes().all(|b| b.is_ascii_alphanumeric() || b"#$%*+,-.:;=?@[]^_{|}~".contains(&b));
    valid.then(|| hash.to_string())
}

/// Records a remote post's files (at most the instance's limit per post), in the post's
/// transaction. Images are fetched and kept here by a job (`CacheMedia`), so readers never load
/// them from the other server; other files stay links to it.
pub(crate) fn attach_remote(
    conn: &mut DbConn,
    config: &crate::config::Config,
    post: PostId,
    author: crate::db::PersonId,
    files: &[RemoteFile],
) -> Result<()> {
    for (position, file) in files.iter().take(config.media.max_attachments.max(4)).enumerate() {
        let Some(url) = remote_address(config, &file.url) else { continue };
        let media_type: String = file
            .media_type
            .as_deref()
            .unwrap_or("application/octet-stream")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || "/.+-".contains(*c))
            .take(100)
            .collect();
        let image = files::IMAGE_TYPES.contains(&media_type.as_str());
        let name = url.rsplit('/').next().unwrap_or("").split(['?', '#']).next().unwrap_or("");
        let name = percent_encoding::percent_decode_str(name).decode_utf8_lossy().into_owned();
        let extension: String =
            name.rsplit_once('.').map_or("bin".to_string(), |(_, e)| e.chars().filter(char::is_ascii_alphanumeric).take(8).collect());
        let file_name = files::clean_file_name(Some(&name), if extension.is_empty() { "bin" } else { &extension });
        let description: String = file.name.trim().chars().take(DESCRIPTION_MAX_CHARS).collect();
        let token = new_token();
        let media = db::media::insert(
            conn,
            &NewMedia {
                owner_id: author,
                post_id: Some(post),
                position: position as i64,
                kind: if image { "image" } else { "document" },
                content_type: &media_type,
                file_name: &file_name,
                size: 0,
                width: file.width.map(i64::from),
                height: file.height.map(i64::from),
                preview_width: None,
                preview_height: None,
                description: &description,
                focus: "",
                blurhash: clean_blurhash(file.blurhash.as_deref()).as_deref(),
                file_key: None,
                preview_key: None,
                token: &token,
                remote_url: Some(&url),
                created_at: db::now(),
                text: "",
            },
        )?;
        if kept_here(media.kind.as_str(), &media.content_type) {
            super::effects::record(conn, &super::effects::Effect::CacheMedia { media: media.id })?;
        }
    }
    let media = db::media::of_posts(conn, &[post])?;
    if !media.is_empty() {
        db::posts::set_files_text(conn, post, &files_text(&media))?;
    }
    Ok(())
}

/// A remote person's picture: a new `icon` is recorded (and fetched to be kept here); a removed
/// one is forgotten. Until it is fetched, the API shows the other server's address.
pub async fn remote_picture(
    ctx: &AppContext,
    person: crate::db::people::Person,
    icon: Option<String>,
) -> Result<crate::db::people::Person> {
    let icon = icon.and_then(|i| remote_address(&ctx.config, &i));
    let current = match person.avatar_id {
        Some(id) => ctx.db.read(move |conn| -> Result<_> { Ok(db::media::find(conn, id)?) }).await?,
        None => None,
    };
    if current.as_ref().and_then(|m| m.remote_url.clone()) == icon && (icon.is_some() || person.avatar_url.is_none()) {
        return Ok(person);
    }
    let id = person.id;
    let (person, removed) = ctx
        .db
        .write(move |conn| -> Result<_> {
            let removed = db::media::delete_many(conn, &current.iter().map(|m| m.id).collect::<Vec<_>>())?;
            match &icon {
                Some(url) => {
                    let token = new_token();
                    let media = db::media::insert(
                        conn,
                        &NewMedia {
                            owner_id: id,
                            post_id: None,
                            position: 0,
                            kind: "image",
                            content_type: "image/jpeg",
                            file_name: "picture.jpg",
                            size: 0,
                            width: None,
                            height: None,
                            preview_width: None,
                            preview_height: None,
                            description: "",
                            focus: "",
                            blurhash: None,
                            file_key: None,
                            preview_key: None,
                            token: &token,
                            remote_url: Some(url),
                            created_at: db::now(),
                            text: "",
                        },
                    )?;
                    db::media::set_person_avatar(conn, id, Some(media.id), Some(url))?;
                    super::effects::record(conn, &super::effects::Effect::CacheMedia { media: media.id })?;
                }
                None => db::media::set_person_avatar(conn, id, None, None)?,
            }
            Ok((db::people::get(conn, id)?, removed))
        })
        .await?;
    remove_files(ctx, removed).await;
    ctx.jobs_wake.notify_one();
    Ok(person)
}

/// A remote group's picture: its address on the group's server (shown by apps; not kept here).
pub async fn remote_group_picture(
    ctx: &AppContext,
    group: crate::db::groups::Group,
    icon: Option<String>,
) -> Result<crate::db::groups::Group> {
    let icon = icon.and_then(|i| remote_address(&ctx.config, &i));
    if group.avatar_url == icon {
        return Ok(group);
    }
    let id = group.id;
    ctx.db
        .write(move |conn| -> Result<_> {
            db::media::set_group_avatar(conn, id, None, icon.as_deref())?;
            db::groups::find(conn, id)?.ok_or_else(super::group_not_found)
        })
        .await
}

/// Does Gilde fetch and keep a remote file of this kind and declared type? Images, and the
/// documents it accepts as uploads (so a private group's memo opens for members here, who are
/// not signed in at its origin); not video or audio.
fn kept_here(kind: &str, content_type: &str) -> bool {
    kind == "image" || files::DOCUMENT_TYPES.iter().any(|(t, _)| *t == content_type)
}

/// A remote file still to be fetched: its address, and whether it is an image.
pub async fn to_cache(ctx: &AppContext, id: MediaId) -> Result<Option<(String, bool)>> {
    ctx.db
        .read(move |conn| -> Result<_> {
            Ok(db::media::find(conn, id)?
                .filter(|m| m.file_key.is_none() && kept_here(&m.kind, &m.content_type))
                .and_then(|m| m.remote_url.map(|url| (url, m.kind == "image"))))
        })
        .await
}

/// Keeps a fetched remote file: processed as an upload is (an image re-encoded here, a document
/// checked and read for search), then the row points at the kept file. A file that is not what
/// its server said, or not acceptable, is left a link.
pub async fn store_cached(ctx: &AppContext, id: MediaId, bytes: Vec<u8>) -> Result<()> {
    let processed = process(ctx, bytes).await?;
    let expected = ctx.db.read(move |conn| -> Result<_> { Ok(db::media::find(conn, id)?.map(|m| (m.token, m.kind))) }).await?;
    let Some((token, kind)) = expected else { return Ok(()) };
    let mut processed = match processed {
        // Kept only as what its server said it is (an image stays an image).
        Ok(p) if p.kind.as_str() == kind => p,
        Ok(_) | Err(_) => {
            tracing::info!(media = %id, "a remote file could not be kept; it stays a link");
            return Ok(());
        }
    };
    let size = processed.bytes.len() as i64;
    let stored = store(ctx, &token, &mut processed).await?;
    let cached = db::media::Cached {
        content_type: processed.content_type.to_string(),
        size,
        width: processed.width.map(i64::from),
        height: processed.height.map(i64::from),
        preview_width: processed.preview.as_ref().map(|p| i64::from(p.width)),
        preview_height: processed.preview.as_ref().map(|p| i64::from(p.height)),
        blurhash: processed.blurhash.clone(),
        file_key: stored.file_key.clone(),
        preview_key: stored.preview_key.clone(),
        text: processed.text.clone(),
    };
    let kept = ctx
        .db
        .write(move |conn| -> Result<_> {
            let Some(media) = db::media::find(conn, id)? else { return Ok(false) };
            db::media::set_cached(conn, id, &cached)?;
            // A document's text now counts for search.
            if let Some(post) = media.post_id {
                let files = db::media::of_posts(conn, &[post])?;
                db::posts::set_files_text(conn, post, &files_text(&files))?;
            }
            // A person's picture now points at the copy kept here.
            let path = crate::urls::file_path(&media.token, &media.file_name);
            db::media::repoint_picture(conn, id, &path)?;
            Ok(true)
        })
        .await?;
    if !kept {
        unstore(ctx, &stored).await;
    }
    Ok(())
}

/// Removes one of the actor's uploads that is not (yet) attached to a post, with its files.
pub async fn remove_upload(ctx: &AppContext, actor: &Actor, id: MediaId) -> Result<()> {
    let me = actor.person_id;
    let removed = ctx
        .db
        .write(move |conn| -> Result<_> {
            let media = db::media::find(conn, id)?.filter(|m| m.owner_id == me).ok_or_else(not_found)?;
            if media.post_id.is_some() || db::media::is_picture(conn, id)? {
                return Err(Error::invalid("media_in_use", "This file belongs to a post or is a picture: remove it there."));
            }
            Ok(db::media::delete_many(conn, &[id])?)
        })
        .await?;
    remove_files(ctx, removed).await;
    Ok(())
}
