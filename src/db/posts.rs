//! Posts (threads and replies), favourites, mentions, and the stream queries.
//! Every stream query filters on what the viewer may see, so paging never skips or leaks.

use diesel::prelude::*;

use super::schema::{favourites, follows, groups, memberships, mentions, posts};
use super::{contains_pattern, lower, paginate, DbConn, DbResult, GroupId, Page, PersonId, PostId, Sql};

#[derive(Debug, Clone, Queryable, Identifiable)]
#[diesel(table_name = posts)]
pub struct Post {
    pub id: PostId,
    pub ap_id: Option<String>,
    pub author_id: PersonId,
    pub group_id: Option<GroupId>,
    pub in_reply_to_id: Option<PostId>,
    /// The thread's first post; `None` for a thread's first post itself.
    pub root_id: Option<PostId>,
    /// `public`, `unlisted` or `private` (followers or group members only).
    pub visibility: String,
    pub source: String,
    pub content_html: String,
    pub created_at: chrono::NaiveDateTime,
    pub edited_at: Option<chrono::NaiveDateTime>,
    pub deleted_at: Option<chrono::NaiveDateTime>,
}

impl Post {
    /// The id of the thread this post belongs to.
    pub fn thread_id(&self) -> PostId {
        self.root_id.unwrap_or(self.id)
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = posts)]
pub struct NewPost<'a> {
    pub author_id: PersonId,
    pub group_id: Option<GroupId>,
    pub in_reply_to_id: Option<PostId>,
    pub root_id: Option<PostId>,
    pub visibility: &'a str,
    pub source: &'a str,
    pub content_html: &'a str,
    pub created_at: chrono::NaiveDateTime,
}

type BoxedPosts<'a> = posts::BoxedQuery<'a, Sql>;

fn visible_roots<'a>() -> BoxedPosts<'a> {
    posts::table.filter(posts::root_id.is_null()).filter(posts::deleted_at.is_null()).into_boxed()
}

pub fn insert(conn: &mut DbConn, new: &NewPost<'_>) -> DbResult<Post> {
    Ok(diesel::insert_into(posts::table).values(new).returning(posts::all_columns).get_result(conn)?)
}

/// A post that is not deleted.
pub fn find(conn: &mut DbConn, id: PostId) -> DbResult<Option<Post>> {
    Ok(posts::table.find(id).filter(posts::deleted_at.is_null()).select(posts::all_columns).first(conn).optional()?)
}

pub fn get_many(conn: &mut DbConn, ids: &[PostId]) -> DbResult<Vec<Post>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(posts::table.filter(posts::id.eq_any(ids)).filter(posts::deleted_at.is_null()).select(posts::all_columns).load(conn)?)
}

pub fn edit(conn: &mut DbConn, id: PostId, source: &str, html: &str) -> DbResult<Post> {
    Ok(diesel::update(posts::table.find(id))
        .set((posts::source.eq(source), posts::content_html.eq(html), posts::edited_at.eq(Some(super::now()))))
        .returning(posts::all_columns)
        .get_result(conn)?)
}

/// Marks the post deleted and forgets its text; replies stay, as in any forum.
pub fn mark_deleted(conn: &mut DbConn, id: PostId) -> DbResult<()> {
    diesel::update(posts::table.find(id))
        .set((posts::deleted_at.eq(Some(super::now())), posts::source.eq(""), posts::content_html.eq("")))
        .execute(conn)?;
    diesel::delete(favourites::table.filter(favourites::post_id.eq(id))).execute(conn)?;
    Ok(())
}

/// Every reply in a thread (not deleted), oldest first.
pub fn thread_replies(conn: &mut DbConn, root: PostId) -> DbResult<Vec<Post>> {
    Ok(posts::table
        .filter(posts::root_id.eq(root))
        .filter(posts::deleted_at.is_null())
        .select(posts::all_columns)
        .order(posts::id.asc())
        .load(conn)?)
}

/// Home: threads in the viewer's groups, and threads outside groups by the viewer and by
/// people the viewer follows.
pub fn home(conn: &mut DbConn, viewer: PersonId, page: Page) -> DbResult<Vec<Post>> {
    let my_groups = memberships::table
        .filter(memberships::person_id.eq(viewer))
        .filter(memberships::state.eq("active"))
        .select(memberships::group_id.nullable());
    let followed = follows::table.filter(follows::follower_id.eq(viewer)).filter(follows::accepted.eq(true)).select(follows::followed_id);
    let query = visible_roots().filter(
        posts::group_id
            .eq_any(my_groups)
            .or(posts::group_id.is_null().and(posts::author_id.eq(viewer).or(posts::author_id.eq_any(followed)))),
    );
    let rows = paginate!(query, posts::id, page).select(posts::all_columns).load(conn)?;
    Ok(super::newest_first(rows, page))
}

/// Public: public threads outside groups and threads of public groups.
pub fn public(conn: &mut DbConn, page: Page) -> DbResult<Vec<Post>> {
    let public_groups = groups::table.filter(groups::visibility.eq("public")).select(groups::id.nullable());
    let query =
        visible_roots().filter(posts::group_id.is_null().and(posts::visibility.eq("public")).or(posts::group_id.eq_any(public_groups)));
    let rows = paginate!(query, posts::id, page).select(posts::all_columns).load(conn)?;
    Ok(super::newest_first(rows, page))
}

/// Threads of one group.
pub fn group(conn: &mut DbConn, group: GroupId, page: Page) -> DbResult<Vec<Post>> {
    let query = visible_roots().filter(posts::group_id.eq(group));
    let rows = paginate!(query, posts::id, page).select(posts::all_columns).load(conn)?;
    Ok(super::newest_first(rows, page))
}

/// A group's history for its outbox: threads and replies, not deleted, newest first, before
/// `before` when given.
pub fn group_history(conn: &mut DbConn, group: GroupId, before: Option<PostId>, limit: i64) -> DbResult<Vec<Post>> {
    let mut query =
        posts::table.filter(posts::group_id.eq(group)).filter(posts::deleted_at.is_null()).select(posts::all_columns).into_boxed();
    if let Some(before) = before {
        query = query.filter(posts::id.lt(before));
    }
    Ok(query.order(posts::id.desc()).limit(limit).load(conn)?)
}

/// How many posts (threads and replies, not deleted) a group holds.
pub fn count_in_group(conn: &mut DbConn, group: GroupId) -> DbResult<i64> {
    Ok(posts::table.filter(posts::group_id.eq(group)).filter(posts::deleted_at.is_null()).count().get_result(conn)?)
}

/// A local person's posts in local public federated groups (what anyone may read), newest
/// first, before `before` when given; and how many there are.
pub fn by_author_in_public_federated_groups(
    conn: &mut DbConn,
    author: PersonId,
    before: Option<PostId>,
    limit: i64,
) -> DbResult<(Vec<Post>, i64)> {
    let open_groups = || {
        groups::table
            .filter(groups::domain.is_null())
            .filter(groups::scope.eq("federated"))
            .filter(groups::visibility.eq("public"))
            .select(groups::id.nullable())
    };
    let total = posts::table
        .filter(posts::author_id.eq(author))
        .filter(posts::deleted_at.is_null())
        .filter(posts::group_id.eq_any(open_groups()))
        .count()
        .get_result(conn)?;
    let mut query = posts::table
        .filter(posts::author_id.eq(author))
        .filter(posts::deleted_at.is_null())
        .filter(posts::group_id.eq_any(open_groups()))
        .select(posts::all_columns)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(posts::id.lt(before));
    }
    Ok((query.order(posts::id.desc()).limit(limit).load(conn)?, total))
}

/// Posts (threads and replies) by `author` that `viewer` may see. `sees_private`: the viewer is
/// the author or follows them.
pub fn by_author(conn: &mut DbConn, author: PersonId, viewer: PersonId, sees_private: bool, page: Page) -> DbResult<Vec<Post>> {
    let visible_groups = memberships::table
        .filter(memberships::person_id.eq(viewer))
        .filter(memberships::state.eq("active"))
        .select(memberships::group_id.nullable());
    let public_groups = groups::table.filter(groups::visibility.eq("public")).select(groups::id.nullable());
    let own_visibility: Vec<&str> = if sees_private { vec!["public", "unlisted", "private"] } else { vec!["public", "unlisted"] };
    let query = posts::table
        .filter(posts::deleted_at.is_null())
        .filter(posts::author_id.eq(author))
        .filter(
            posts::group_id
                .is_null()
                .and(posts::visibility.eq_any(own_visibility))
                .or(posts::group_id.eq_any(visible_groups))
                .or(posts::group_id.eq_any(public_groups)),
        )
        .into_boxed();
    let rows = paginate!(query, posts::id, page).select(posts::all_columns).load(conn)?;
    Ok(super::newest_first(rows, page))
}

/// Posts whose text contains `text`, among those every local person or the viewer's groups may see.
/// The words of a search, as the index holds them: letters and digits, at most 10 words.
pub fn search_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).take(10).map(str::to_lowercase).collect()
}

/// Posts whose text has every word (each as the start of a word), by the full-text index of
/// each backend.
fn words_match(
    conn: &DbConn,
    words: &[String],
) -> Box<dyn BoxableExpression<posts::table, super::MultiBackend, SqlType = diesel::sql_types::Bool>> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Bool, Text};
    match conn {
        DbConn::Sqlite(_) => {
            let query = words.iter().map(|w| format!("\"{}\"*", w.replace('"', "\"\""))).collect::<Vec<_>>().join(" ");
            Box::new(sql::<Bool>("posts.id IN (SELECT rowid FROM posts_fts WHERE posts_fts MATCH ").bind::<Text, _>(query).sql(")"))
        }
        DbConn::Pg(_) => {
            let query = words.iter().map(|w| format!("{w}:*")).collect::<Vec<_>>().join(" & ");
            Box::new(sql::<Bool>("gilde_words(posts.source) @@ to_tsquery('simple', gilde_fold(").bind::<Text, _>(query).sql("))"))
        }
    }
}

/// Posts the viewer may read that contain every word of `text` (see `search_words`), newest
/// first. No words (only punctuation): nothing.
pub fn search(conn: &mut DbConn, viewer: PersonId, text: &str, page: Page) -> DbResult<Vec<Post>> {
    let words = search_words(text);
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let visible_groups = memberships::table
        .filter(memberships::person_id.eq(viewer))
        .filter(memberships::state.eq("active"))
        .select(memberships::group_id.nullable());
    let public_groups = groups::table.filter(groups::visibility.eq("public")).select(groups::id.nullable());
    let query = posts::table
        .filter(posts::deleted_at.is_null())
        .filter(words_match(conn, &words))
        .filter(
            posts::group_id
                .is_null()
                .and(posts::visibility.eq("public"))
                .or(posts::group_id.eq_any(visible_groups))
                .or(posts::group_id.eq_any(public_groups)),
        )
        .into_boxed();
    let rows = paginate!(query, posts::id, page).select(posts::all_columns).load(conn)?;
    Ok(super::newest_first(rows, page))
}

/// Replies (not deleted) per post.
pub fn reply_counts(conn: &mut DbConn, ids: &[PostId]) -> DbResult<Vec<(Option<PostId>, i64)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(posts::table
        .filter(posts::in_reply_to_id.eq_any(ids))
        .filter(posts::deleted_at.is_null())
        .group_by(posts::in_reply_to_id)
        .select((posts::in_reply_to_id, diesel::dsl::count_star()))
        .load(conn)?)
}

pub fn favourite_counts(conn: &mut DbConn, ids: &[PostId]) -> DbResult<Vec<(PostId, i64)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(favourites::table
        .filter(favourites::post_id.eq_any(ids))
        .group_by(favourites::post_id)
        .select((favourites::post_id, diesel::dsl::count_star()))
        .load(conn)?)
}

/// Of `ids`, the posts `person` likes.
pub fn favourited_by(conn: &mut DbConn, person: PersonId, ids: &[PostId]) -> DbResult<Vec<PostId>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(favourites::table
        .filter(favourites::person_id.eq(person))
        .filter(favourites::post_id.eq_any(ids))
        .select(favourites::post_id)
        .load(conn)?)
}

/// Adds a like; returns false when it was there already.
pub fn favourite(conn: &mut DbConn, post: PostId, person: PersonId) -> DbResult<bool> {
    let exists: bool = diesel::select(diesel::dsl::exists(favourites::table.find((post, person)))).get_result(conn)?;
    if exists {
        return Ok(false);
    }
    diesel::insert_into(favourites::table)
        .values((favourites::post_id.eq(post), favourites::person_id.eq(person), favourites::created_at.eq(super::now())))
        .execute(conn)?;
    Ok(true)
}

pub fn unfavourite(conn: &mut DbConn, post: PostId, person: PersonId) -> DbResult<bool> {
    Ok(diesel::delete(favourites::table.find((post, person))).execute(conn)? > 0)
}

pub fn add_mention(conn: &mut DbConn, post: PostId, person: PersonId) -> DbResult<()> {
    diesel::insert_into(mentions::table).values((mentions::post_id.eq(post), mentions::person_id.eq(person))).execute(conn)?;
    Ok(())
}

pub fn clear_mentions(conn: &mut DbConn, post: PostId) -> DbResult<()> {
    diesel::delete(mentions::table.filter(mentions::post_id.eq(post))).execute(conn)?;
    Ok(())
}

/// (post, person) mention pairs of the given posts.
pub fn mentions_of(conn: &mut DbConn, ids: &[PostId]) -> DbResult<Vec<(PostId, PersonId)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(mentions::table.filter(mentions::post_id.eq_any(ids)).select((mentions::post_id, mentions::person_id)).load(conn)?)
}

pub fn is_mentioned(conn: &mut DbConn, post: PostId, person: PersonId) -> DbResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(mentions::table.find((post, person)))).get_result(conn)?)
}

pub fn count_local(conn: &mut DbConn) -> DbResult<i64> {
    Ok(posts::table.filter(posts::ap_id.is_null()).filter(posts::deleted_at.is_null()).count().get_result(conn)?)
}

/// (post, author) for the given posts, deleted ones included.
pub fn authors_of(conn: &mut DbConn, ids: &[PostId]) -> DbResult<Vec<(PostId, PersonId)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(posts::table.filter(posts::id.eq_any(ids)).select((posts::id, posts::author_id)).load(conn)?)
}

/// A post by ActivityPub id (remote posts store theirs).
pub fn find_by_ap_id(conn: &mut DbConn, ap_id: &str) -> DbResult<Option<Post>> {
    Ok(posts::table.filter(posts::ap_id.eq(ap_id)).select(posts::all_columns).first(conn).optional()?)
}

/// Stores a post that arrived from another server (its `ap_id` set).
pub fn insert_remote(conn: &mut DbConn, new: &NewPost<'_>, ap_id: &str) -> DbResult<Post> {
    let post = insert(conn, new)?;
    diesel::update(posts::table.find(post.id)).set(posts::ap_id.eq(Some(ap_id))).execute(conn)?;
    Ok(Post { ap_id: Some(ap_id.to_string()), ..post })
}

/// How many stored posts (any group, any visibility, deleted ones included) contain `text`:
/// for admins and tests that must show something never arrived.
pub fn count_containing(conn: &mut DbConn, text: &str) -> DbResult<i64> {
    Ok(posts::table
        .filter(
            lower(posts::source)
                .like(contains_pattern(text))
                .escape('\\')
                .or(lower(posts::content_html).like(contains_pattern(text)).escape('\\')),
        )
        .count()
        .get_result(conn)?)
}

/// A post even if deleted (a Delete must still name it).
pub fn find_any(conn: &mut DbConn, id: PostId) -> DbResult<Option<Post>> {
    Ok(posts::table.find(id).select(posts::all_columns).first(conn).optional()?)
}
