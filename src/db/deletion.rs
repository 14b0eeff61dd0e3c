//! What deleting an account removes, table by table (the service decides the order and what is
//! told to other servers).

use diesel::prelude::*;

use super::schema::{
    account_deletions, deletion_deliveries, follows, local_accounts, memberships, notifications, oauth_codes, oauth_tokens, people,
    person_expertise, posts, sso_identities,
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
            people::deleted_at.eq(Some(super::now())),
            people::avatar_id.eq(None::<super::MediaId>),
            people::avatar_url.eq(None::<String>),
            people::updated_at.eq(super::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// An account deletion, for the admin.
#[derive(Debug, Clone, Queryable)]
pub struct AccountDeletion {
    pub id: i64,
    pub person_id: PersonId,
    pub username: String,
    /// The id of the `Delete` of the person's actor sent to the servers that knew them.
    pub activity_id: String,
    pub deleted_at: chrono::NaiveDateTime,
}

/// Whether the deletion reached one server.
#[derive(Debug, Clone, Queryable)]
pub struct DeletionDelivery {
    pub deletion_id: i64,
    pub domain: String,
    /// `waiting`, `delivered`, `retrying`, `refused` or `failed`.
    pub state: String,
    pub detail: Option<String>,
    pub updated_at: chrono::NaiveDateTime,
}

/// Records a deletion and the servers it is to reach (each `waiting`; `domains` without
/// repeats).
pub fn record_deletion(conn: &mut DbConn, person: PersonId, username: &str, activity_id: &str, domains: &[String]) -> DbResult<i64> {
    let now = super::now();
    let id: i64 = diesel::insert_into(account_deletions::table)
        .values((
            account_deletions::person_id.eq(person),
            account_deletions::username.eq(username),
            account_deletions::activity_id.eq(activity_id),
            account_deletions::deleted_at.eq(now),
        ))
        .returning(account_deletions::id)
        .get_result(conn)?;
    for domain in domains {
        diesel::insert_into(deletion_deliveries::table)
            .values((
                deletion_deliveries::deletion_id.eq(id),
                deletion_deliveries::domain.eq(domain),
                deletion_deliveries::state.eq("waiting"),
                deletion_deliveries::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(id)
}

/// Notes how the delivery of a deletion's `Delete` to a server went.
pub fn report_delivery(conn: &mut DbConn, activity_id: &str, domain: &str, state: &str, detail: Option<&str>) -> DbResult<()> {
    let ids = account_deletions::table.filter(account_deletions::activity_id.eq(activity_id)).select(account_deletions::id);
    let detail: Option<String> = detail.map(|d| d.chars().take(500).collect());
    diesel::update(
        deletion_deliveries::table.filter(deletion_deliveries::deletion_id.eq_any(ids)).filter(deletion_deliveries::domain.eq(domain)),
    )
    .set((deletion_deliveries::state.eq(state), deletion_deliveries::detail.eq(detail), deletion_deliveries::updated_at.eq(super::now())))
    .execute(conn)?;
    Ok(())
}

/// The latest deletions, newest first, each with its servers.
pub fn recent_deletions(conn: &mut DbConn, limit: i64) -> DbResult<Vec<(AccountDeletion, Vec<DeletionDelivery>)>> {
    let deletions: Vec<AccountDeletion> =
        account_deletions::table.order(account_deletions::id.desc()).limit(limit).select(account_deletions::all_columns).load(conn)?;
    let ids: Vec<i64> = deletions.iter().map(|d| d.id).collect();
    let deliveries: Vec<DeletionDelivery> = deletion_deliveries::table
        .filter(deletion_deliveries::deletion_id.eq_any(&ids))
        .order(deletion_deliveries::domain.asc())
        .select(deletion_deliveries::all_columns)
        .load(conn)?;
    Ok(deletions
        .into_iter()
        .map(|d| {
            let mine = deliveries.iter().filter(|x| x.deletion_id == d.id).cloned().collect();
            (d, mine)
        })
        .collect())
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
