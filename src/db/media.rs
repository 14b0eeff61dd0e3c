//! Files: uploads (images and documents) and remote posts' attachments.

use diesel::prelude::*;

use super::schema::{groups, media, people, posts};
use super::{DbConn, DbResult, MediaId, PersonId, PostId};

#[derive(Debug, Clone, Queryable, Identifiable)]
#[diesel(table_name = media)]
pub struct Media {
    pub id: MediaId,
    pub owner_id: PersonId,
    /// `None` while an upload waits to be attached to a post.
    pub post_id: Option<PostId>,
    pub position: i64,
    /// `image` or `document`.
    pub kind: String,
    pub content_type: String,
    pub file_name: String,
    pub size: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub preview_width: Option<i64>,
    pub preview_height: Option<i64>,
    pub description: String,
    /// `x,y` in -1..1, or empty.
    pub focus: String,
    pub blurhash: Option<String>,
    pub file_key: Option<String>,
    pub preview_key: Option<String>,
    pub token: String,
    pub remote_url: Option<String>,
    pub created_at: chrono::NaiveDateTime,
    /// A document's text, for search.
    pub text: String,
}

impl Media {
    pub fn is_image(&self) -> bool {
        self.kind == "image"
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = media)]
pub struct NewMedia<'a> {
    pub owner_id: PersonId,
    pub post_id: Option<PostId>,
    pub position: i64,
    pub kind: &'a str,
    pub content_type: &'a str,
    pub file_name: &'a str,
    pub size: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub preview_width: Option<i64>,
    pub preview_height: Option<i64>,
    pub description: &'a str,
    pub focus: &'a str,
    pub blurhash: Option<&'a str>,
    pub file_key: Option<&'a str>,
    pub preview_key: Option<&'a str>,
    pub token: &'a str,
    pub remote_url: Option<&'a str>,
    pub created_at: chrono::NaiveDateTime,
    pub text: &'a str,
}

pub fn insert(conn: &mut DbConn, new: &NewMedia<'_>) -> DbResult<Media> {
    Ok(diesel::insert_into(media::table).values(new).returning(media::all_columns).get_result(conn)?)
}

pub fn find(conn: &mut DbConn, id: MediaId) -> DbResult<Option<Media>> {
    Ok(media::table.find(id).select(media::all_columns).first(conn).optional()?)
}

pub fn find_by_token(conn: &mut DbConn, token: &str) -> DbResult<Option<Media>> {
    Ok(media::table.filter(media::token.eq(token)).select(media::all_columns).first(conn).optional()?)
}

pub fn get_many(conn: &mut DbConn, ids: &[MediaId]) -> DbResult<Vec<Media>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(media::table.filter(media::id.eq_any(ids)).select(media::all_columns).load(conn)?)
}

/// The attachments of these posts, in their order.
pub fn of_posts(conn: &mut DbConn, posts: &[PostId]) -> DbResult<Vec<Media>> {
    if posts.is_empty() {
        return Ok(Vec::new());
    }
    Ok(media::table
        .filter(super::in_ids(media::post_id, posts.iter().copied()))
        .select(media::all_columns)
        .order((media::post_id.asc(), media::position.asc(), media::id.asc()))
        .load(conn)?)
}

pub fn set_description(conn: &mut DbConn, id: MediaId, description: &str, focus: &str) -> DbResult<Media> {
    Ok(diesel::update(media::table.find(id))
        .set((media::description.eq(description), media::focus.eq(focus)))
        .returning(media::all_columns)
        .get_result(conn)?)
}

/// Attaches an upload to a post, at `position`.
pub fn attach(conn: &mut DbConn, id: MediaId, post: PostId, position: i64) -> DbResult<()> {
    diesel::update(media::table.find(id)).set((media::post_id.eq(Some(post)), media::position.eq(position))).execute(conn)?;
    Ok(())
}

/// Removes rows and returns them, so their files can be removed after the transaction.
pub fn delete_many(conn: &mut DbConn, ids: &[MediaId]) -> DbResult<Vec<Media>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = get_many(conn, ids)?;
    let as_picture: Vec<Option<MediaId>> = ids.iter().map(|i| Some(*i)).collect();
    diesel::update(people::table.filter(people::avatar_id.eq_any(&as_picture)))
        .set((people::avatar_id.eq(None::<MediaId>), people::avatar_url.eq(None::<String>)))
        .execute(conn)?;
    diesel::update(groups::table.filter(groups::avatar_id.eq_any(&as_picture)))
        .set((groups::avatar_id.eq(None::<MediaId>), groups::avatar_url.eq(None::<String>)))
        .execute(conn)?;
    diesel::delete(media::table.filter(media::id.eq_any(ids))).execute(conn)?;
    Ok(rows)
}

/// The attachments of a post, removed (the post is deleted).
pub fn delete_of_post(conn: &mut DbConn, post: PostId) -> DbResult<Vec<Media>> {
    let ids: Vec<MediaId> = media::table.filter(media::post_id.eq(Some(post))).select(media::id).load(conn)?;
    delete_many(conn, &ids)
}

/// Uploads never attached to a post nor used as a picture, made before `before`.
pub fn unattached_before(conn: &mut DbConn, before: chrono::NaiveDateTime, limit: i64) -> DbResult<Vec<MediaId>> {
    let avatars_people = people::table.filter(people::avatar_id.is_not_null()).select(people::avatar_id);
    let avatars_groups = groups::table.filter(groups::avatar_id.is_not_null()).select(groups::avatar_id);
    Ok(media::table
        .filter(media::post_id.is_null())
        .filter(media::created_at.lt(before))
        .filter(media::id.nullable().ne_all(avatars_people))
        .filter(media::id.nullable().ne_all(avatars_groups))
        .select(media::id)
        .limit(limit)
        .load(conn)?)
}

/// Every file a person owns (for deleting an account).
pub fn owned_by(conn: &mut DbConn, owner: PersonId) -> DbResult<Vec<MediaId>> {
    Ok(media::table.filter(media::owner_id.eq(owner)).select(media::id).load(conn)?)
}

/// The post a file belongs to, if any (and not deleted).
pub fn post_of(conn: &mut DbConn, m: &Media) -> DbResult<Option<super::posts::Post>> {
    let Some(post_id) = m.post_id else { return Ok(None) };
    Ok(posts::table.find(post_id).filter(posts::deleted_at.is_null()).select(posts::all_columns).first(conn).optional()?)
}

/// Is this file someone's or some group's picture?
pub fn is_picture(conn: &mut DbConn, id: MediaId) -> DbResult<bool> {
    let person: i64 = people::table.filter(people::avatar_id.eq(Some(id))).count().get_result(conn)?;
    let group: i64 = groups::table.filter(groups::avatar_id.eq(Some(id))).count().get_result(conn)?;
    Ok(person + group > 0)
}

/// A person's picture: a local upload (its id and its address, a path on this instance) or a
/// remote actor's `icon` (its address only).
pub fn set_person_avatar(conn: &mut DbConn, person: PersonId, avatar: Option<MediaId>, url: Option<&str>) -> DbResult<()> {
    diesel::update(people::table.find(person)).set((people::avatar_id.eq(avatar), people::avatar_url.eq(url))).execute(conn)?;
    Ok(())
}

/// A group's picture, as for a person.
pub fn set_group_avatar(conn: &mut DbConn, group: super::GroupId, avatar: Option<MediaId>, url: Option<&str>) -> DbResult<()> {
    diesel::update(groups::table.find(group)).set((groups::avatar_id.eq(avatar), groups::avatar_url.eq(url))).execute(conn)?;
    Ok(())
}

/// What a fetched remote image became when it was kept here.
#[derive(Debug, Clone)]
pub struct Cached {
    pub content_type: String,
    pub size: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub preview_width: Option<i64>,
    pub preview_height: Option<i64>,
    pub blurhash: Option<String>,
    pub file_key: String,
    pub preview_key: Option<String>,
    pub text: String,
}

pub fn set_cached(conn: &mut DbConn, id: MediaId, c: &Cached) -> DbResult<()> {
    diesel::update(media::table.find(id))
        .set((
            media::content_type.eq(&c.content_type),
            media::size.eq(c.size),
            media::width.eq(c.width),
            media::height.eq(c.height),
            media::preview_width.eq(c.preview_width),
            media::preview_height.eq(c.preview_height),
            media::blurhash.eq(&c.blurhash),
            media::file_key.eq(Some(&c.file_key)),
            media::preview_key.eq(&c.preview_key),
            media::text.eq(&c.text),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whoever has this file as their picture now shows it from `path`.
pub fn repoint_picture(conn: &mut DbConn, id: MediaId, path: &str) -> DbResult<()> {
    diesel::update(people::table.filter(people::avatar_id.eq(Some(id)))).set(people::avatar_url.eq(Some(path))).execute(conn)?;
    diesel::update(groups::table.filter(groups::avatar_id.eq(Some(id)))).set(groups::avatar_url.eq(Some(path))).execute(conn)?;
    Ok(())
}
