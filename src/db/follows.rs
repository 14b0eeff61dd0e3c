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
