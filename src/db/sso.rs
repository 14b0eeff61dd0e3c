//! Single sign-on: sign-ins begun at the organisation's provider and not yet finished (stored by
//! the hash of their state, used once), and which person each provider identity is.

use diesel::prelude::*;

use super::schema::{sso_identities, sso_sign_ins};
use super::{DbConn, DbResult, PersonId};

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = sso_sign_ins)]
pub struct PendingSignIn {
    pub state_hash: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// The local page to go to afterwards (`/`, or the authorize page of a Mastodon app).
    pub return_to: String,
    pub expires_at: chrono::NaiveDateTime,
    pub created_at: chrono::NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = sso_identities)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub person_id: PersonId,
    pub email: String,
    pub created_at: chrono::NaiveDateTime,
    pub last_sign_in_at: chrono::NaiveDateTime,
}

/// Records a sign-in that was begun; sign-ins that expired long ago are dropped on the way.
pub fn begin(conn: &mut DbConn, pending: &PendingSignIn) -> DbResult<()> {
    let long_ago = super::now() - chrono::Duration::days(1);
    diesel::delete(sso_sign_ins::table.filter(sso_sign_ins::expires_at.lt(long_ago))).execute(conn)?;
    diesel::insert_into(sso_sign_ins::table).values(pending).execute(conn)?;
    Ok(())
}

/// Takes a begun sign-in by its state's hash: it can be finished once.
pub fn take(conn: &mut DbConn, state_hash: &str) -> DbResult<Option<PendingSignIn>> {
    let pending: Option<PendingSignIn> = sso_sign_ins::table.find(state_hash).first(conn).optional()?;
    if pending.is_some() {
        diesel::delete(sso_sign_ins::table.find(state_hash)).execute(conn)?;
    }
    Ok(pending)
}

pub fn identity(conn: &mut DbConn, issuer: &str, subject: &str) -> DbResult<Option<Identity>> {
    Ok(sso_identities::table.find((issuer, subject)).first(conn).optional()?)
}

pub fn insert_identity(conn: &mut DbConn, identity: &Identity) -> DbResult<()> {
    diesel::insert_into(sso_identities::table).values(identity).execute(conn)?;
    Ok(())
}

/// Notes a sign-in, with the e-mail address the provider gave this time.
pub fn signed_in(conn: &mut DbConn, issuer: &str, subject: &str, email: &str) -> DbResult<()> {
    diesel::update(sso_identities::table.find((issuer, subject)))
        .set((sso_identities::email.eq(email), sso_identities::last_sign_in_at.eq(super::now())))
        .execute(conn)?;
    Ok(())
}

/// Does this person sign in through the provider (and so has no password here)?
pub fn has_identity(conn: &mut DbConn, person: PersonId) -> DbResult<bool> {
    Ok(sso_identities::table.filter(sso_identities::person_id.eq(person)).count().get_result::<i64>(conn)? > 0)
}

/// Makes every begun sign-in expired (for tests of an expired sign-in).
pub fn expire_all_pending(conn: &mut DbConn) -> DbResult<usize> {
    Ok(diesel::update(sso_sign_ins::table).set(sso_sign_ins::expires_at.eq(super::now() - chrono::Duration::minutes(1))).execute(conn)?)
}

/// How many identities tie people to a provider.
pub fn count_identities(conn: &mut DbConn) -> DbResult<i64> {
    Ok(sso_identities::table.count().get_result(conn)?)
}
