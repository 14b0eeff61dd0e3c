//! Groups, local and remote.

use diesel::prelude::*;

use super::memberships::Membership;
use super::schema::{groups, memberships};
use super::{contains_pattern, lower, DbConn, DbResult, GroupId, MediaId, PersonId};

#[derive(Debug, Clone, Queryable, Identifiable)]
#[diesel(table_name = groups)]
pub struct Group {
    pub id: GroupId,
    pub name: String,
    /// `None` for groups hosted here.
    pub domain: Option<String>,
    pub display_name: String,
    pub note: String,
    pub note_html: String,
    /// `internal` or `federated`.
    pub scope: String,
    /// `public`, `private` or `secret`.
    pub visibility: String,
    pub announcements_only: bool,
    pub ap_id: Option<String>,
    pub inbox_url: Option<String>,
    pub shared_inbox_url: Option<String>,
    pub public_key: Option<String>,
    pub private_key: Option<String>,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
    pub last_fetched_at: Option<chrono::NaiveDateTime>,
    /// Domains or `*.suffixes` the group federates with, one per line; empty: as the instance.
    pub partner_domains: String,
    /// A local group's picture (an upload).
    pub avatar_id: Option<MediaId>,
    /// A remote group's picture: the address of its actor's `icon`.
    pub avatar_url: Option<String>,
    /// Active members this instance knows of, kept by the database (migration `stored_counts`).
    pub members_count: i64,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = groups)]
pub struct NewGroup<'a> {
    pub name: &'a str,
    pub domain: Option<&'a str>,
    pub display_name: &'a str,
    pub note: &'a str,
    pub note_html: &'a str,
    pub scope: &'a str,
    pub visibility: &'a str,
    pub announcements_only: bool,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = groups)]
pub struct GroupChanges {
    pub display_name: Option<String>,
    pub note: Option<String>,
    pub note_html: Option<String>,
    pub scope: Option<String>,
    pub visibility: Option<String>,
    pub announcements_only: Option<bool>,
    pub partner_domains: Option<String>,
    pub updated_at: Option<chrono::NaiveDateTime>,
}

pub fn insert(conn: &mut DbConn, new: &NewGroup<'_>) -> DbResult<Group> {
    Ok(diesel::insert_into(groups::table).values(new).returning(groups::all_columns).get_result(conn)?)
}

pub fn find(conn: &mut DbConn, id: GroupId) -> DbResult<Option<Group>> {
    Ok(groups::table.find(id).select(groups::all_columns).first(conn).optional()?)
}

/// Groups by id, each with `person`'s membership in it (in any state), in one statement.
pub fn get_many_with_membership(conn: &mut DbConn, ids: &[GroupId], person: PersonId) -> DbResult<Vec<(Group, Option<Membership>)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(groups::table
        .left_join(memberships::table.on(memberships::group_id.eq(groups::id).and(memberships::person_id.eq(person))))
        .filter(super::in_ids(groups::id, ids.iter().copied()))
        .select((groups::all_columns, memberships::all_columns.nullable()))
        .load(conn)?)
}

pub fn find_by_name(conn: &mut DbConn, name: &str, domain: Option<&str>) -> DbResult<Option<Group>> {
    let query = groups::table.filter(groups::name.eq(name)).select(groups::all_columns);
    Ok(match domain {
        None => query.filter(groups::domain.is_null()).first(conn).optional()?,
        Some(d) => query.filter(groups::domain.eq(d)).first(conn).optional()?,
    })
}

pub fn update(conn: &mut DbConn, id: GroupId, changes: &GroupChanges) -> DbResult<Group> {
    Ok(diesel::update(groups::table.find(id)).set(changes).returning(groups::all_columns).get_result(conn)?)
}

/// Groups `person` belongs to (active members), by name.
pub fn of_member(conn: &mut DbConn, person: PersonId) -> DbResult<Vec<Group>> {
    Ok(groups::table
        .inner_join(memberships::table)
        .filter(memberships::person_id.eq(person))
        .filter(memberships::state.eq("active"))
        .select(groups::all_columns)
        .order(lower(groups::display_name).asc())
        .load(conn)?)
}

/// Groups that anyone on this instance can find: public and private ones (never secret).
/// `query` filters on name or display name.
pub fn discoverable(conn: &mut DbConn, query: Option<&str>, limit: i64, offset: i64) -> DbResult<Vec<Group>> {
    let mut q = groups::table.filter(groups::visibility.ne("secret")).select(groups::all_columns).into_boxed();
    if let Some(text) = query.filter(|t| !t.is_empty()) {
        let pattern = contains_pattern(text);
        q = q.filter(lower(groups::name).like(pattern.clone()).escape('\\').or(lower(groups::display_name).like(pattern).escape('\\')));
    }
    Ok(q.order((lower(groups::display_name).asc(), groups::id.asc())).limit(limit).offset(offset).load(conn)?)
}

/// Secret groups `person` is an active member of or invited to whose name matches.
pub fn secret_of_member_matching(conn: &mut DbConn, person: PersonId, text: &str, limit: i64) -> DbResult<Vec<Group>> {
    let pattern = contains_pattern(text);
    Ok(groups::table
        .inner_join(memberships::table)
        .filter(memberships::person_id.eq(person))
        .filter(memberships::state.eq_any(["active", "invited"]))
        .filter(groups::visibility.eq("secret"))
        .filter(lower(groups::name).like(pattern.clone()).escape('\\').or(lower(groups::display_name).like(pattern).escape('\\')))
        .select(groups::all_columns)
        .limit(limit)
        .load(conn)?)
}

/// Ids of groups whose posts every local person may read.
pub fn public_ids(conn: &mut DbConn) -> DbResult<Vec<GroupId>> {
    Ok(groups::table.filter(groups::visibility.eq("public")).select(groups::id).load(conn)?)
}

/// Stores the group's keys if it has none yet; returns the group as stored.
pub fn set_keys_if_missing(conn: &mut DbConn, id: GroupId, public_key: &str, private_key: &str) -> DbResult<Group> {
    diesel::update(groups::table.find(id).filter(groups::public_key.is_null()))
        .set((groups::public_key.eq(public_key), groups::private_key.eq(private_key)))
        .execute(conn)?;
    Ok(groups::table.find(id).select(groups::all_columns).first(conn)?)
}

pub fn find_by_ap_id(conn: &mut DbConn, ap_id: &str) -> DbResult<Option<Group>> {
    Ok(groups::table.filter(groups::ap_id.eq(ap_id)).select(groups::all_columns).first(conn).optional()?)
}

/// What a remote server says about one of its groups.
#[derive(Debug, Clone)]
pub struct RemoteGroup {
    pub ap_id: String,
    pub name: String,
    pub domain: String,
    pub display_name: String,
    pub note_html: String,
    /// `public` or `private` (a group that approves its members).
    pub visibility: String,
    pub inbox_url: String,
    pub shared_inbox_url: Option<String>,
    pub public_key: String,
}

/// Inserts or updates a remote group by ActivityPub id. Remote groups are always `federated`.
pub fn upsert_remote(conn: &mut DbConn, remote: &RemoteGroup) -> DbResult<Group> {
    let now = super::now();
    if let Some(existing) = find_by_ap_id(conn, &remote.ap_id)? {
        return Ok(diesel::update(groups::table.find(existing.id))
            .set((
                groups::display_name.eq(&remote.display_name),
                groups::note_html.eq(&remote.note_html),
                groups::visibility.eq(&remote.visibility),
                groups::inbox_url.eq(&remote.inbox_url),
                groups::shared_inbox_url.eq(&remote.shared_inbox_url),
                groups::public_key.eq(&remote.public_key),
                groups::updated_at.eq(now),
                groups::last_fetched_at.eq(Some(now)),
            ))
            .returning(groups::all_columns)
            .get_result(conn)?);
    }
    Ok(diesel::insert_into(groups::table)
        .values((
            groups::name.eq(&remote.name),
            groups::domain.eq(Some(&remote.domain)),
            groups::display_name.eq(&remote.display_name),
            groups::note.eq(""),
            groups::note_html.eq(&remote.note_html),
            groups::scope.eq("federated"),
            groups::visibility.eq(&remote.visibility),
            groups::announcements_only.eq(false),
            groups::ap_id.eq(Some(&remote.ap_id)),
            groups::inbox_url.eq(Some(&remote.inbox_url)),
            groups::shared_inbox_url.eq(&remote.shared_inbox_url),
            groups::public_key.eq(Some(&remote.public_key)),
            groups::created_at.eq(now),
            groups::updated_at.eq(now),
            groups::last_fetched_at.eq(Some(now)),
        ))
        .returning(groups::all_columns)
        .get_result(conn)?)
}
