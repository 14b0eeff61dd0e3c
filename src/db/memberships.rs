//! Membership of people in groups: role (owner, moderator, member) and state
//! (active, pending request, invited, banned).

use diesel::prelude::*;

use super::schema::memberships;
use super::{DbConn, DbResult, GroupId, Page, PersonId};

#[derive(Debug, Clone, Queryable)]
#[diesel(table_name = memberships)]
pub struct Membership {
    pub group_id: GroupId,
    pub person_id: PersonId,
    /// `owner`, `moderator` or `member`.
    pub role: String,
    /// `active`, `pending`, `invited` or `banned`.
    pub state: String,
    pub invited_by_id: Option<PersonId>,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
    /// For a remote person: the id of the Follow they sent.
    pub follow_ap_id: Option<String>,
}

pub fn find(conn: &mut DbConn, group: GroupId, person: PersonId) -> DbResult<Option<Membership>> {
    Ok(memberships::table.find((group, person)).select(memberships::all_columns).first(conn).optional()?)
}

/// The viewer's memberships in the given groups.
pub fn of_person_in(conn: &mut DbConn, person: PersonId, groups: &[GroupId]) -> DbResult<Vec<Membership>> {
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    Ok(memberships::table
        .filter(memberships::person_id.eq(person))
        .filter(super::in_ids(memberships::group_id, groups.iter().copied()))
        .select(memberships::all_columns)
        .load(conn)?)
}

/// Creates or replaces the membership row of `person` in `group`.
pub fn put(
    conn: &mut DbConn,
    group: GroupId,
    person: PersonId,
    role: &str,
    state: &str,
    invited_by: Option<PersonId>,
) -> DbResult<Membership> {
    let now = super::now();
    if find(conn, group, person)?.is_some() {
        Ok(diesel::update(memberships::table.find((group, person)))
            .set((
                memberships::role.eq(role),
                memberships::state.eq(state),
                memberships::invited_by_id.eq(invited_by),
                memberships::updated_at.eq(now),
            ))
            .returning(memberships::all_columns)
            .get_result(conn)?)
    } else {
        Ok(diesel::insert_into(memberships::table)
            .values((
                memberships::group_id.eq(group),
                memberships::person_id.eq(person),
                memberships::role.eq(role),
                memberships::state.eq(state),
                memberships::invited_by_id.eq(invited_by),
                memberships::created_at.eq(now),
                memberships::updated_at.eq(now),
            ))
            .returning(memberships::all_columns)
            .get_result(conn)?)
    }
}

pub fn delete(conn: &mut DbConn, group: GroupId, person: PersonId) -> DbResult<bool> {
    Ok(diesel::delete(memberships::table.find((group, person))).execute(conn)? > 0)
}

/// Memberships of a group in one state, oldest first, paged by person id.
pub fn list(conn: &mut DbConn, group: GroupId, state: &str, after: Option<PersonId>, limit: i64) -> DbResult<Vec<Membership>> {
    let mut q = memberships::table
        .filter(memberships::group_id.eq(group))
        .filter(memberships::state.eq(state))
        .select(memberships::all_columns)
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(memberships::person_id.gt(after));
    }
    Ok(q.order(memberships::person_id.asc()).limit(limit).load(conn)?)
}

/// Owners and moderators of a group (the people who decide on requests).
pub fn moderators(conn: &mut DbConn, group: GroupId) -> DbResult<Vec<PersonId>> {
    Ok(memberships::table
        .filter(memberships::group_id.eq(group))
        .filter(memberships::state.eq("active"))
        .filter(memberships::role.eq_any(["owner", "moderator"]))
        .select(memberships::person_id)
        .load(conn)?)
}

pub fn count_owners(conn: &mut DbConn, group: GroupId) -> DbResult<i64> {
    Ok(memberships::table
        .filter(memberships::group_id.eq(group))
        .filter(memberships::state.eq("active"))
        .filter(memberships::role.eq("owner"))
        .count()
        .get_result(conn)?)
}

/// Active members per group.
pub fn member_counts(conn: &mut DbConn, groups: &[GroupId]) -> DbResult<Vec<(GroupId, i64)>> {
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    Ok(memberships::table
        .filter(memberships::group_id.eq_any(groups))
        .filter(memberships::state.eq("active"))
        .group_by(memberships::group_id)
        .select((memberships::group_id, diesel::dsl::count_star()))
        .load(conn)?)
}

/// Join requests waiting in the groups `moderator` moderates, newest first, paged by a
/// synthetic cursor (not needed yet: at most `page.limit`).
pub fn pending_for_moderator(conn: &mut DbConn, moderator: PersonId, page: Page) -> DbResult<Vec<Membership>> {
    let moderated = memberships::table
        .filter(memberships::person_id.eq(moderator))
        .filter(memberships::state.eq("active"))
        .filter(memberships::role.eq_any(["owner", "moderator"]))
        .select(memberships::group_id);
    let moderated: Vec<GroupId> = moderated.load(conn)?;
    Ok(memberships::table
        .filter(memberships::group_id.eq_any(moderated))
        .filter(memberships::state.eq("pending"))
        .select(memberships::all_columns)
        .order(memberships::created_at.desc())
        .limit(page.limit)
        .load(conn)?)
}

pub fn set_follow_id(conn: &mut DbConn, group: GroupId, person: PersonId, follow_ap_id: &str) -> DbResult<()> {
    diesel::update(memberships::table.find((group, person))).set(memberships::follow_ap_id.eq(Some(follow_ap_id))).execute(conn)?;
    Ok(())
}

/// Distinct inboxes (shared ones where known) of the remote active members of a group: where
/// its content goes. Local members and other states never appear.
pub fn remote_member_inboxes(conn: &mut DbConn, group: GroupId) -> DbResult<Vec<String>> {
    use super::schema::people;
    let rows: Vec<(Option<String>, Option<String>)> = memberships::table
        .inner_join(people::table.on(people::id.eq(memberships::person_id)))
        .filter(memberships::group_id.eq(group))
        .filter(memberships::state.eq("active"))
        .filter(people::domain.is_not_null())
        .select((people::shared_inbox_url, people::inbox_url))
        .load(conn)?;
    let mut inboxes: Vec<String> = rows.into_iter().filter_map(|(shared, own)| shared.or(own)).collect();
    inboxes.sort();
    inboxes.dedup();
    Ok(inboxes)
}

/// The other servers with active members in the group (their domains, sorted).
pub fn member_servers(conn: &mut DbConn, group: GroupId) -> DbResult<Vec<String>> {
    use super::schema::people;
    let mut domains: Vec<String> = memberships::table
        .inner_join(people::table.on(people::id.eq(memberships::person_id)))
        .filter(memberships::group_id.eq(group))
        .filter(memberships::state.eq("active"))
        .filter(people::domain.is_not_null())
        .select(people::domain.assume_not_null())
        .distinct()
        .load(conn)?;
    domains.sort();
    Ok(domains)
}

/// Whether a person of `domain` is in the group in one of `states` (e.g. active members, or
/// invitees too): such a server may see what the group shows its members.
pub fn has_member_on(conn: &mut DbConn, group: GroupId, domain: &str, states: &[&str]) -> DbResult<bool> {
    use super::schema::people;
    let found: i64 = memberships::table
        .inner_join(people::table.on(people::id.eq(memberships::person_id)))
        .filter(memberships::group_id.eq(group))
        .filter(memberships::state.eq_any(states))
        .filter(people::domain.eq(domain))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}
