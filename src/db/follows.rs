//! Person-to-person follows.

use diesel::prelude::*;

use super::schema::follows;
use super::{DbConn, DbResult, PersonId};

/// Adds the follow; following someone twice changes nothing.
pub fn follow(conn: &mut DbConn, follower: PersonId, followed: PersonId, accepted: bool) -> DbResult<bool> {
    if is_following(conn, follower, followed)? {
        return Ok(false);
    }
    diesel::insert_into(follows::table)
        .values((
            follows::follower_id.eq(follower),
            follows::followed_id.eq(followed),
            follows::accepted.eq(accepted),
            follows::created_at.eq(super::now()),
        ))
        .execute(conn)?;
    Ok(true)
}

/// A follow: whether it was accepted, when it was made, and a remote follower's Follow id.
pub fn find(conn: &mut DbConn, follower: PersonId, followed: PersonId) -> DbResult<Option<(bool, chrono::NaiveDateTime, Option<String>)>> {
    Ok(follows::table
        .find((follower, followed))
        .select((follows::accepted, follows::created_at, follows::follow_ap_id))
        .first(conn)
        .optional()?)
}

/// The other server answered a follow: accepted, or (`false`) turned down and removed.
pub fn answer(conn: &mut DbConn, follower: PersonId, followed: PersonId, accepted: bool) -> DbResult<bool> {
    let n = if accepted {
        diesel::update(follows::table.find((follower, followed))).set(follows::accepted.eq(true)).execute(conn)?
    } else {
        diesel::delete(follows::table.find((follower, followed))).execute(conn)?
    };
    Ok(n > 0)
}

pub fn set_follow_ap_id(conn: &mut DbConn, follower: PersonId, followed: PersonId, ap_id: &str) -> DbResult<()> {
    diesel::update(follows::table.find((follower, followed))).set(follows::follow_ap_id.eq(Some(ap_id))).execute(conn)?;
    Ok(())
}

/// Does anyone of this instance follow `person` (accepted)?
pub fn has_local_follower(conn: &mut DbConn, person: PersonId) -> DbResult<bool> {
    let local = super::schema::people::table.filter(super::schema::people::domain.is_null()).select(super::schema::people::id);
    Ok(diesel::select(diesel::dsl::exists(
        follows::table
            .filter(follows::followed_id.eq(person))
            .filter(follows::accepted.eq(true))
            .filter(follows::follower_id.eq_any(local)),
    ))
    .get_result(conn)?)
}

/// The inboxes of `person`'s followers on other servers (a server's shared inbox once).
pub fn remote_follower_inboxes(conn: &mut DbConn, person: PersonId) -> DbResult<Vec<String>> {
    use super::schema::people;
    let rows: Vec<(Option<String>, Option<String>)> = follows::table
        .inner_join(people::table.on(people::id.eq(follows::follower_id)))
        .filter(follows::followed_id.eq(person))
        .filter(follows::accepted.eq(true))
        .filter(people::domain.is_not_null())
        .select((people::shared_inbox_url, people::inbox_url))
        .load(conn)?;
    let mut inboxes: Vec<String> = rows.into_iter().filter_map(|(shared, inbox)| shared.or(inbox)).collect();
    inboxes.sort();
    inboxes.dedup();
    Ok(inboxes)
}

/// Of `others`, the ones `person` asked to follow and that have not answered yet.
pub fn requested_among(conn: &mut DbConn, person: PersonId, others: &[PersonId]) -> DbResult<Vec<PersonId>> {
    Ok(follows::table
        .filter(follows::follower_id.eq(person))
        .filter(follows::followed_id.eq_any(others))
        .filter(follows::accepted.eq(false))
        .select(follows::followed_id)
        .load(conn)?)
}

pub fn unfollow(conn: &mut DbConn, follower: PersonId, followed: PersonId) -> DbResult<bool> {
    let n = diesel::delete(follows::table.find((follower, followed))).execute(conn)?;
    Ok(n > 0)
}

pub fn is_following(conn: &mut DbConn, follower: PersonId, followed: PersonId) -> DbResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(follows::table.find((follower, followed)))).get_result(conn)?)
}

/// Of `others`, the ones `person` follows (accepted).
pub fn following_among(conn: &mut DbConn, person: PersonId, others: &[PersonId]) -> DbResult<Vec<PersonId>> {
    Ok(follows::table
        .filter(follows::follower_id.eq(person))
        .filter(follows::followed_id.eq_any(others))
        .filter(follows::accepted.eq(true))
        .select(follows::followed_id)
        .load(conn)?)
}

/// Of `others`, the ones that follow `person`.
pub fn followers_among(conn: &mut DbConn, person: PersonId, others: &[PersonId]) -> DbResult<Vec<PersonId>> {
    Ok(follows::table
        .filter(follows::followed_id.eq(person))
        .filter(follows::follower_id.eq_any(others))
        .filter(follows::accepted.eq(true))
        .select(follows::follower_id)
        .load(conn)?)
}

/// (person, followers, following) counts.
pub fn counts(conn: &mut DbConn, ids: &[PersonId]) -> DbResult<Vec<(PersonId, i64, i64)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let followers: Vec<(PersonId, i64)> = follows::table
        .filter(follows::followed_id.eq_any(ids))
        .filter(follows::accepted.eq(true))
        .group_by(follows::followed_id)
        .select((follows::followed_id, diesel::dsl::count_star()))
        .load(conn)?;
    let following: Vec<(PersonId, i64)> = follows::table
        .filter(follows::follower_id.eq_any(ids))
        .filter(follows::accepted.eq(true))
        .group_by(follows::follower_id)
        .select((follows::follower_id, diesel::dsl::count_star()))
        .load(conn)?;
    let find = |list: &[(PersonId, i64)], id: PersonId| list.iter().find(|(p, _)| *p == id).map_or(0, |(_, n)| *n);
    Ok(ids.iter().map(|id| (*id, find(&followers, *id), find(&following, *id))).collect())
}
