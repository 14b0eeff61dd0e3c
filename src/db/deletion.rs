//! What deleting an account removes, table by table (the service decides the order and what is
//! told to other servers).

use diesel::prelude::*;

use super::schema::{
    follows, local_accounts, memberships, notifications, oauth_codes, oauth_tokens, people, person_expertise, posts, sso_identities,
};
use super::{DbConn, DbResult, PersonId};

/// The person's posts that are not deleted.
pub fn live_posts_by(conn: &mut DbConn, person: PersonId) -> DbResult<Vec<super::posts::Post>> {
    Ok(posts::table
        .filter(posts::author_id.eq(person))
        .filter(posts::deleted_at.is_null())
        .select(posts::all_columns)
        .order(posts::id.desc())
        .load(conn)?)
}

/// Every membership of the person, in any state.
pub fn memberships_of(conn: &mut DbConn, person: PersonId) -> DbResult<Vec<super::memberships::Membership>> {
    Ok(memberships::table.filter(memberships::person_id.eq(person)).select(memberships::all_columns).load(conn)?)
}

/// Whom the person follows (or asked to): (followed, since).
pub fn followed_by(conn: &mut DbConn, person: PersonId) -> DbResult<Vec<(PersonId, chrono::NaiveDateTime)>> {
    Ok(follows::table.filter(follows::follower_id.eq(person)).select((follows::followed_id, follows::created_at)).load(conn)?)
}

/// Removes the person's memberships, follows (both ways), notifications (theirs and about
/// them), sign-in codes and tokens (sessions are tokens), expertise, account and single sign-on
/// identity; empties the profile. The person's row stays, so their name stays taken.
pub fn erase_person(conn: &mut DbConn, person: PersonId) -> DbResult<()> {
    diesel::delete(memberships::table.filter(memberships::person_id.eq(person))).execute(conn)?;
    diesel::delete(follows::table.filter(follows::follower_id.eq(person).or(follows::followed_id.eq(person)))).execute(conn)?;
    diesel::delete(notifications::table.filter(notifications::recipient_id.eq(person).or(notifications::actor_id.eq(person))))
        .execute(conn)?;
    diesel::delete(oauth_codes::table.filter(oauth_codes::person_id.eq(person))).execute(conn)?;
    diesel::delete(oauth_tokens::table.filter(oauth_tokens::person_id.eq(Some(person)))).execute(conn)?;
    diesel::delete(person_expertise::table.filter(person_expertise::person_id.eq(person))).execute(conn)?;
    diesel::delete(local_accounts::table.filter(local_accounts::person_id.eq(person))).execute(conn)?;
    diesel::delete(sso_identities::table.filter(sso_identities::person_id.eq(person))).execute(conn)?;
    diesel::update(people::table.find(person))
        .set((
            people::display_name.eq(""),
            people::bio.eq(""),
            people::bio_html.eq(""),
            people::department.eq(""),
            people::job_title.eq(""),
            people::org_unit.eq(""),
            people::mentor.eq(false),
            people::avatar_id.eq(None::<super::MediaId>),
            people::avatar_url.eq(None::<String>),
            people::updated_at.eq(super::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// How many admin accounts there are besides this person.
pub fn other_admins(conn: &mut DbConn, person: PersonId) -> DbResult<i64> {
    Ok(local_accounts::table
        .filter(local_accounts::is_admin.eq(true))
        .filter(local_accounts::person_id.ne(person))
        .count()
        .get_result(conn)?)
}

/// The posts the person liked (not deleted), newest like first.
pub fn liked_posts(conn: &mut DbConn, person: PersonId) -> DbResult<Vec<super::posts::Post>> {
    use super::schema::favourites;
    Ok(favourites::table
        .inner_join(posts::table.on(posts::id.eq(favourites::post_id)))
        .filter(favourites::person_id.eq(person))
        .filter(posts::deleted_at.is_null())
        .order(favourites::created_at.desc())
        .select(posts::all_columns)
        .load(conn)?)
}
