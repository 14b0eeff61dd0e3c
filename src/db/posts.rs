//! Posts (threads and replies), favourites, mentions, and the stream queries.
//! Every stream query filters on what the viewer may see, so paging never skips or leaks.

use diesel::prelude::*;

use super::schema::{favourites, follows, groups, memberships, mentions, people, posts};
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
    /// The names, descriptions and text of its files, for search.
    pub files_text: String,
    /// Replies to it (not deleted), kept by the database (migration `stored_counts`).
    pub replies_count: i64,
    /// Likes of it, kept by the database.
    pub favourites_count: i64,
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
    let post: Post = diesel::insert_into(posts::table).values(new).returning(posts::all_columns).get_result(conn)?;
    diesel::update(people::table.find(post.author_id)).set(people::posts_count.eq(people::posts_count + 1)).execute(conn)?;
    Ok(post)
}

/// A post that is not deleted.
pub fn find(conn: &mut DbConn, id: PostId) -> DbResult<Option<Post>> {
    Ok(posts::table.find(id).filter(posts::deleted_at.is_null()).select(posts::all_columns).first(conn).optional()?)
}

pub fn get_many(conn: &mut DbConn, ids: &[PostId]) -> DbResult<Vec<Post>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(posts::table
        .filter(super::in_ids(posts::id, ids.iter().copied()))
        .filter(posts::deleted_at.is_null())
        .select(posts::all_columns)
        .load(conn)?)
}

pub fn edit(conn: &mut DbConn, id: PostId, source: &str, html: &str) -> DbResult<Post> {
    edit_at(conn, id, source, html, super::now())
}

/// An edit made at `at` (a remote post's `updated`).
pub fn edit_at(conn: &mut DbConn, id: PostId, source: &str, html: &str, at: chrono::NaiveDateTime) -> DbResult<Post> {
    Ok(diesel::update(posts::table.find(id))
        .set((posts::source.eq(source), posts::content_html.eq(html), posts::edited_at.eq(Some(at))))
        .returning(posts::all_columns)
        .get_result(conn)?)
}

/// What search finds of a post's files.
pub fn set_files_text(conn: &mut DbConn, id: PostId, text: &str) -> DbResult<()> {
    diesel::update(posts::table.find(id)).set(posts::files_text.eq(text)).execute(conn)?;
    Ok(())
}

/// Marks the post deleted and forgets its text; replies stay, as in any forum.
pub fn mark_deleted(conn: &mut DbConn, id: PostId) -> DbResult<()> {
    let author: Option<PersonId> = diesel::update(posts::table.find(id).filter(posts::deleted_at.is_null()))
        .set((posts::deleted_at.eq(Some(super::now())), posts::source.eq(""), posts::content_html.eq(""), posts::files_text.eq("")))
        .returning(posts::author_id)
        .get_result(conn)
        .optional()?;
    if let Some(author) = author {
        diesel::update(people::table.find(author)).set(people::posts_count.eq(people::posts_count - 1)).execute(conn)?;
    }
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

/// Up to this many sources (groups and followed people) the home stream is read source by
/// source; beyond it, one scan of the newest threads finds the page faster.
const HOME_SOURCES_READ_ONE_BY_ONE: usize = 32;

/// Home: threads in the viewer's groups, and threads outside groups by the viewer and by
/// people the viewer follows.
///
/// For a person in a few groups who follows a few people (most people), the newest threads
/// of each source are read from its own index (a group's threads, a person's threads outside
/// groups; all in one statement, `newest_of_sources`) and merged: a few short index reads,
/// where one query over all threads would step through every newer thread of every other
/// group to find a page. For someone with many
/// sources, that one query is the faster: `home_by_scan`. Both give the same page.
pub fn home(conn: &mut DbConn, viewer: PersonId, page: Page) -> DbResult<Vec<Post>> {
    let (groups, followed) = home_sources(conn, viewer)?;
    if groups.len() + followed.len() >= HOME_SOURCES_READ_ONE_BY_ONE {
        return home_by_scan(conn, viewer, page);
    }
    let authors: Vec<PersonId> = std::iter::once(viewer).chain(followed).collect();
    let mut ids = newest_of_sources(conn, &groups, &authors, page)?;
    ids.sort_unstable();
    ids.dedup();
    // The page: the newest ids, or with `min_id` the oldest ones after it.
    let keep = usize::try_from(page.limit).unwrap_or(0);
    if page.min_id.is_some() {
        ids.truncate(keep);
    } else {
        ids = ids.split_off(ids.len().saturating_sub(keep));
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows: Vec<Post> = posts::table.filter(super::in_ids(posts::id, ids.iter().copied())).select(posts::all_columns).load(conn)?;
    rows.sort_unstable_by_key(|p| std::cmp::Reverse(p.id));
    Ok(rows)
}

/// The viewer's groups (active memberships) and the people they follow, up to
/// `HOME_SOURCES_READ_ONE_BY_ONE` of each, in one statement.
fn home_sources(conn: &mut DbConn, viewer: PersonId) -> DbResult<(Vec<GroupId>, Vec<PersonId>)> {
    #[derive(QueryableByName)]
    struct Source {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        is_group: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    let limit = HOME_SOURCES_READ_ONE_BY_ONE as i64;
    let mut statement = super::RawStatement::default();
    statement
        .sql("SELECT CAST(1 AS BIGINT) AS is_group, id FROM (SELECT group_id AS id FROM memberships WHERE person_id = ")
        .int(viewer.0)
        .sql(" AND state = 'active' LIMIT ")
        .int(limit)
        .sql(") AS my_groups UNION ALL SELECT CAST(0 AS BIGINT), id FROM (SELECT followed_id AS id FROM follows WHERE follower_id = ")
        .int(viewer.0)
        .sql(" AND accepted LIMIT ")
        .int(limit)
        .sql(") AS followed");
    let (mut groups, mut followed) = (Vec::new(), Vec::new());
    for source in statement.load::<Source>(conn)? {
        if source.is_group == 1 {
            groups.push(GroupId(source.id));
        } else {
            followed.push(PersonId(source.id));
        }
    }
    Ok((groups, followed))
}

/// The ids of the newest threads of each source (`page.limit` of each, after the page's
/// bounds), in one statement: one arm per source, each read from its own index (a group's
/// threads, a person's threads outside groups). The statement's text depends only on the
/// number of sources and on which bounds the page has, so it stays prepared.
fn newest_of_sources(conn: &mut DbConn, groups: &[GroupId], authors: &[PersonId], page: Page) -> DbResult<Vec<PostId>> {
    let sources = groups.iter().map(|g| ("group_id = ", g.0)).chain(authors.iter().map(|a| ("group_id IS NULL AND author_id = ", a.0)));
    let order = if page.min_id.is_some() { " ORDER BY id ASC LIMIT " } else { " ORDER BY id DESC LIMIT " };
    if groups.is_empty() && authors.is_empty() {
        return Ok(Vec::new());
    }
    let mut statement = super::RawStatement::default();
    for (n, (source, id)) in sources.enumerate() {
        if n > 0 {
            statement.sql(" UNION ALL ");
        }
        statement.sql("SELECT id FROM (SELECT id FROM posts WHERE ").sql(source).int(id);
        statement.sql(" AND root_id IS NULL AND deleted_at IS NULL");
        for (bound, value) in [(" AND id < ", page.max_id), (" AND id > ", page.since_id), (" AND id > ", page.min_id)] {
            if let Some(value) = value {
                statement.sql(bound).int(value);
            }
        }
        statement.sql(order).int(page.limit).sql(&format!(") AS source{n}"));
    }
    let ids: Vec<MatchedId> = statement.load(conn)?;
    Ok(ids.into_iter().map(|m| PostId(m.id)).collect())
}

/// Home in one query over all threads, newest first (see `home`).
pub fn home_by_scan(conn: &mut DbConn, viewer: PersonId, page: Page) -> DbResult<Vec<Post>> {
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

/// An FTS5 query: every word as a prefix (`"word"*`), all of them required.
fn fts5_query(words: &[String]) -> String {
    words.iter().map(|w| format!("\"{}\"*", w.replace('"', "\"\""))).collect::<Vec<_>>().join(" ")
}

/// A PostgreSQL tsquery: every word as a prefix (`word:*`), all of them required.
fn tsquery(words: &[String]) -> String {
    words.iter().map(|w| format!("{w}:*")).collect::<Vec<_>>().join(" & ")
}

/// The posts the viewer may read, not deleted.
fn visible_posts<'a>(viewer: PersonId) -> posts::BoxedQuery<'a, super::MultiBackend> {
    let visible_groups = memberships::table
        .filter(memberships::person_id.eq(viewer))
        .filter(memberships::state.eq("active"))
        .select(memberships::group_id.nullable());
    let public_groups = groups::table.filter(groups::visibility.eq("public")).select(groups::id.nullable());
    posts::table
        .filter(posts::deleted_at.is_null())
        .filter(
            posts::group_id
                .is_null()
                .and(posts::visibility.eq("public"))
                .or(posts::group_id.eq_any(visible_groups))
                .or(posts::group_id.eq_any(public_groups)),
        )
        .into_boxed()
}

#[derive(QueryableByName)]
struct MatchedId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// How many matches are read from the index at a time, and how many times at most for one page.
const MATCH_BATCH: i64 = 400;
const MAX_BATCHES: usize = 60;
/// PostgreSQL reads matches in windows of post ids, this many at first, twice as many each
/// time a window had too few (see `candidates`).
const PG_FIRST_WINDOW: i64 = 50_000;

/// Up to `MATCH_BATCH` ids of posts matching the words, below `upper` and above `lower`,
/// newest first, and where the next batch starts (`None`: no more).
///
/// SQLite's FTS5 index reads its matches newest first at little cost. PostgreSQL's GIN index
/// does not keep an order, and its planner cannot tell a word in every post from a word in
/// none, so it is asked one window of ids at a time, fenced (`OFFSET 0`) so that the index is
/// used: a word in every post costs one small window, a rarer word a few windows growing
/// twice as large each time (each reads the words' whole posting lists), never a pass over
/// every post.
fn candidates(conn: &mut DbConn, words: &[String], upper: i64, lower: i64, window: i64) -> DbResult<(Vec<i64>, Option<i64>)> {
    use diesel::sql_types::{BigInt, Text};
    let (ids, window_start): (Vec<MatchedId>, i64) = match conn {
        DbConn::Sqlite(_) => {
            let ids = diesel::sql_query(
                "SELECT rowid AS id FROM posts_fts WHERE posts_fts MATCH $1 AND rowid < $2 AND rowid > $3 ORDER BY rowid DESC LIMIT $4",
            )
            .bind::<Text, _>(fts5_query(words))
            .bind::<BigInt, _>(upper)
            .bind::<BigInt, _>(lower)
            .bind::<BigInt, _>(MATCH_BATCH)
            .load(conn)?;
            (ids, lower)
        }
        DbConn::Pg(_) => {
            let start = upper.saturating_sub(window).max(lower);
            let ids = diesel::sql_query(
                "SELECT id FROM (SELECT id FROM posts WHERE gilde_words(source || ' ' || files_text) @@ to_tsquery('simple', gilde_fold($1)) \
                 AND id < $2 AND id > $3 OFFSET 0) AS matched ORDER BY id DESC LIMIT $4",
            )
            .bind::<Text, _>(tsquery(words))
            .bind::<BigInt, _>(upper)
            .bind::<BigInt, _>(start)
            .bind::<BigInt, _>(MATCH_BATCH)
            .load(conn)?;
            (ids, start)
        }
    };
    let ids: Vec<i64> = ids.into_iter().map(|m| m.id).collect();
    let next = if ids.len() as i64 >= MATCH_BATCH {
        ids.last().copied()
    } else if window_start > lower {
        Some(window_start + 1)
    } else {
        None
    };
    Ok((ids, next))
}

/// Posts the viewer may read that contain every word of `text` (see `search_words`), newest
/// first. No words (only punctuation): nothing. (`min_id` is read as `since_id`: search pages
/// backwards.)
pub fn search(conn: &mut DbConn, viewer: PersonId, text: &str, page: Page) -> DbResult<Vec<Post>> {
    let words = search_words(text);
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let lower = page.since_id.or(page.min_id).unwrap_or(0);
    let newest: Option<PostId> = posts::table.select(diesel::dsl::max(posts::id)).first(conn)?;
    let mut upper = page.max_id.unwrap_or(i64::MAX).min(newest.map_or(0, |id| id.0) + 1);
    let mut found: Vec<Post> = Vec::new();
    let mut window = PG_FIRST_WINDOW;
    for _ in 0..MAX_BATCHES {
        let (ids, next) = candidates(conn, &words, upper, lower, window)?;
        // A window that was not full: the words are rarer than that; look further at once.
        if (ids.len() as i64) < MATCH_BATCH {
            window = window.saturating_mul(2);
        }
        if !ids.is_empty() {
            let batch: Vec<PostId> = ids.into_iter().map(PostId).collect();
            let visible: Vec<Post> =
                visible_posts(viewer).filter(posts::id.eq_any(batch)).order(posts::id.desc()).select(posts::all_columns).load(conn)?;
            found.extend(visible);
        }
        match next {
            Some(next) if (found.len() as i64) < page.limit => upper = next,
            _ => break,
        }
    }
    found.truncate(page.limit.max(0) as usize);
    Ok(found)
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
        .filter(super::in_ids(favourites::post_id, ids.iter().copied()))
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
    Ok(mentions::table
        .filter(super::in_ids(mentions::post_id, ids.iter().copied()))
        .select((mentions::post_id, mentions::person_id))
        .load(conn)?)
}

pub fn is_mentioned(conn: &mut DbConn, post: PostId, person: PersonId) -> DbResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(mentions::table.find((post, person)))).get_result(conn)?)
}

/// This instance's posts that anyone may read (public posts in federated groups), for the
/// public counts (NodeInfo, the instance document): private, secret and internal ones are not
/// counted.
pub fn count_local_public(conn: &mut DbConn) -> DbResult<i64> {
    let public_groups = groups::table.filter(groups::scope.eq("federated")).filter(groups::domain.is_null()).select(groups::id.nullable());
    Ok(posts::table
        .filter(posts::ap_id.is_null())
        .filter(posts::deleted_at.is_null())
        .filter(posts::visibility.eq("public"))
        .filter(posts::group_id.eq_any(public_groups))
        .count()
        .get_result(conn)?)
}

/// (post, author) for the given posts, deleted ones included.
pub fn authors_of(conn: &mut DbConn, ids: &[PostId]) -> DbResult<Vec<(PostId, PersonId)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(posts::table.filter(super::in_ids(posts::id, ids.iter().copied())).select((posts::id, posts::author_id)).load(conn)?)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing::TestDatabase;
    use crate::db::{follows as follow_rows, memberships as membership_rows, seed, Db};

    fn page(max_id: Option<i64>, since_id: Option<i64>, min_id: Option<i64>, limit: i64) -> Page {
        Page { max_id, since_id, min_id, limit }
    }

    /// Home read source by source gives the same pages as the one query over all threads, on
    /// every way of paging (and both backends, as the suite runs).
    #[tokio::test]
    async fn home_read_source_by_source_is_the_same_as_one_scan() {
        let database = TestDatabase::new();
        let db = Db::connect(&database.url, 2).expect("connect");
        seed::seed(&db, 60, 12, 3000).await.expect("seed");
        db.read(|conn| -> DbResult<()> {
            let people: Vec<PersonId> = people::table.select(people::id).order(people::id.asc()).limit(8).load(conn)?;
            for viewer in people {
                let first = home(conn, viewer, page(None, None, None, 20))?;
                assert_eq!(first.len(), 20, "a full first page for {viewer:?}");
                assert_eq!(
                    first.iter().map(|p| p.id).collect::<Vec<_>>(),
                    home_by_scan(conn, viewer, page(None, None, None, 20))?.iter().map(|p| p.id).collect::<Vec<_>>()
                );
                let middle = first[10].id.0;
                for paging in [
                    page(Some(middle), None, None, 20),
                    page(None, Some(middle), None, 5),
                    page(None, None, Some(middle), 5),
                    page(Some(first[2].id.0), Some(first[15].id.0), None, 40),
                    page(None, None, Some(1), 7),
                ] {
                    let ids = |posts: Vec<Post>| posts.into_iter().map(|p| p.id).collect::<Vec<_>>();
                    let merged = ids(home(conn, viewer, paging)?);
                    assert!(!merged.is_empty(), "{paging:?} finds threads");
                    assert!(merged.windows(2).all(|w| w[0] > w[1]), "newest first: {merged:?}");
                    assert_eq!(merged, ids(home_by_scan(conn, viewer, paging)?), "{viewer:?} {paging:?}");
                }
            }
            Ok(())
        })
        .await
        .expect("read");
    }

    /// The counts kept by the database's triggers equal the rows counted, after follows,
    /// memberships, replies and likes are written, changed and removed.
    #[tokio::test]
    async fn stored_counts_follow_every_change() {
        let database = TestDatabase::new();
        let db = Db::connect(&database.url, 2).expect("connect");
        seed::seed(&db, 30, 4, 40).await.expect("seed");
        db.write(|conn| -> DbResult<()> {
            let people_ids: Vec<PersonId> = people::table.select(people::id).order(people::id.asc()).load(conn)?;
            let group_ids: Vec<GroupId> = groups::table.select(groups::id).order(groups::id.asc()).load(conn)?;
            let (a, b, c) = (people_ids[0], people_ids[1], people_ids[2]);
            // Follows: new, requested then accepted, undone; one of each other at once.
            follow_rows::unfollow(conn, a, b)?;
            follow_rows::follow(conn, a, b, true)?;
            follow_rows::follow(conn, b, a, true)?;
            follow_rows::follow(conn, c, a, false)?;
            follow_rows::answer(conn, c, a, true)?;
            follow_rows::unfollow(conn, b, a)?;
            // Memberships: joined, requested, accepted, left.
            let g = group_ids[0];
            membership_rows::delete(conn, g, a)?;
            membership_rows::put(conn, g, a, "member", "pending", None)?;
            membership_rows::put(conn, g, a, "member", "active", None)?;
            membership_rows::delete(conn, group_ids[1], b)?;
            // Replies and likes: added, one reply deleted, a like taken back.
            let thread: Post =
                posts::table.filter(posts::root_id.is_null()).order(posts::id.asc()).select(posts::all_columns).first(conn)?;
            let reply = |conn: &mut DbConn, author| {
                insert(
                    conn,
                    &NewPost {
                        author_id: author,
                        group_id: thread.group_id,
                        in_reply_to_id: Some(thread.id),
                        root_id: Some(thread.id),
                        visibility: "public",
                        source: "an answer",
                        content_html: "<p>an answer</p>",
                        created_at: crate::db::now(),
                    },
                )
            };
            reply(conn, a)?;
            let second = reply(conn, b)?;
            reply(conn, c)?;
            mark_deleted(conn, second.id)?;
            for person in [a, b, c] {
                favourite(conn, thread.id, person)?;
            }
            unfavourite(conn, thread.id, b)?;

            for (id, followers, following) in follow_rows::counts(conn, &people_ids)? {
                let person: crate::db::people::Person = people::table.find(id).select(people::all_columns).first(conn)?;
                assert_eq!((person.followers_count, person.following_count), (followers, following), "follows of {id:?}");
            }
            let members: std::collections::HashMap<GroupId, i64> = membership_rows::member_counts(conn, &group_ids)?.into_iter().collect();
            for g in &group_ids {
                let stored: i64 = groups::table.find(*g).select(groups::members_count).first(conn)?;
                assert_eq!(stored, members.get(g).copied().unwrap_or(0), "members of {g:?}");
            }
            let thread = find(conn, thread.id)?.expect("thread");
            assert_eq!((thread.replies_count, thread.favourites_count), (2, 2));
            let counted_replies = reply_counts(conn, &[thread.id])?;
            let counted_likes = favourite_counts(conn, &[thread.id])?;
            assert_eq!(counted_replies, vec![(Some(thread.id), 2)]);
            assert_eq!(counted_likes, vec![(thread.id, 2)]);
            Ok(())
        })
        .await
        .expect("write");
    }
}
