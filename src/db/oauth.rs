//! OAuth applications, authorization codes and access tokens. Codes and tokens are stored as
//! SHA-256 hashes only.

use diesel::prelude::*;

use super::people::LocalAccount;
use super::schema::{local_accounts, oauth_apps, oauth_codes, oauth_tokens};
use super::{AppId, DbConn, DbResult, PersonId};

#[derive(Debug, Clone, Queryable)]
#[diesel(table_name = oauth_apps)]
pub struct App {
    pub id: AppId,
    pub client_id: String,
    pub client_secret: String,
    pub name: String,
    /// One URI per line.
    pub redirect_uris: String,
    /// Space-separated.
    pub scopes: String,
    pub website: Option<String>,
    pub created_at: chrono::NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = oauth_apps)]
pub struct NewApp<'a> {
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub name: &'a str,
    pub redirect_uris: &'a str,
    pub scopes: &'a str,
    pub website: Option<&'a str>,
    pub created_at: chrono::NaiveDateTime,
}

#[derive(Debug, Clone, Queryable)]
#[diesel(table_name = oauth_codes)]
pub struct Code {
    pub id: i64,
    pub code_hash: String,
    pub app_id: AppId,
    pub person_id: PersonId,
    pub redirect_uri: String,
    pub scopes: String,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub expires_at: chrono::NaiveDateTime,
    pub created_at: chrono::NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = oauth_codes)]
pub struct NewCode<'a> {
    pub code_hash: &'a str,
    pub app_id: AppId,
    pub person_id: PersonId,
    pub redirect_uri: &'a str,
    pub scopes: &'a str,
    pub code_challenge: Option<&'a str>,
    pub code_challenge_method: Option<&'a str>,
    pub expires_at: chrono::NaiveDateTime,
    pub created_at: chrono::NaiveDateTime,
}

#[derive(Debug, Clone, Queryable)]
#[diesel(table_name = oauth_tokens)]
pub struct Token {
    pub id: i64,
    pub token_hash: String,
    pub app_id: Option<AppId>,
    /// `None` for an app-only token (client credentials).
    pub person_id: Option<PersonId>,
    pub scopes: String,
    pub created_at: chrono::NaiveDateTime,
    pub revoked_at: Option<chrono::NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = oauth_tokens)]
pub struct NewToken<'a> {
    pub token_hash: &'a str,
    pub app_id: Option<AppId>,
    pub person_id: Option<PersonId>,
    pub scopes: &'a str,
    pub created_at: chrono::NaiveDateTime,
}

pub fn insert_app(conn: &mut DbConn, new: &NewApp<'_>) -> DbResult<App> {
    Ok(diesel::insert_into(oauth_apps::table).values(new).returning(oauth_apps::all_columns).get_result(conn)?)
}

pub fn app_by_client_id(conn: &mut DbConn, client_id: &str) -> DbResult<Option<App>> {
    Ok(oauth_apps::table.filter(oauth_apps::client_id.eq(client_id)).select(oauth_apps::all_columns).first(conn).optional()?)
}

pub fn insert_code(conn: &mut DbConn, new: &NewCode<'_>) -> DbResult<()> {
    diesel::insert_into(oauth_codes::table).values(new).execute(conn)?;
    Ok(())
}

/// Takes a code: it can be used once.
pub fn take_code(conn: &mut DbConn, code_hash: &str) -> DbResult<Option<Code>> {
    let code: Option<Code> =
        oauth_codes::table.filter(oauth_codes::code_hash.eq(code_hash)).select(oauth_codes::all_columns).first(conn).optional()?;
    if let Some(code) = &code {
        diesel::delete(oauth_codes::table.find(code.id)).execute(conn)?;
    }
    Ok(code)
}

pub fn insert_token(conn: &mut DbConn, new: &NewToken<'_>) -> DbResult<Token> {
    Ok(diesel::insert_into(oauth_tokens::table).values(new).returning(oauth_tokens::all_columns).get_result(conn)?)
}

/// A token, its app (if it was issued to one) and its person's local account (if any).
pub type TokenWithOwner = (Token, Option<App>, Option<LocalAccount>);

/// A valid token with its app and its person's local account, in one statement (this runs for
/// every API call).
pub fn token_with_owner(conn: &mut DbConn, token_hash: &str) -> DbResult<Option<TokenWithOwner>> {
    Ok(oauth_tokens::table
        .left_join(oauth_apps::table)
        .left_join(local_accounts::table.on(oauth_tokens::person_id.eq(local_accounts::person_id.nullable())))
        .filter(oauth_tokens::token_hash.eq(token_hash))
        .filter(oauth_tokens::revoked_at.is_null())
        .select((oauth_tokens::all_columns, oauth_apps::all_columns.nullable(), local_accounts::all_columns.nullable()))
        .first(conn)
        .optional()?)
}

/// Revokes a token of no app (a web session or an admin's token); returns whether one was revoked.
pub fn revoke_personal_token(conn: &mut DbConn, token_hash: &str) -> DbResult<bool> {
    Ok(diesel::update(oauth_tokens::table)
        .filter(oauth_tokens::token_hash.eq(token_hash))
        .filter(oauth_tokens::app_id.is_null())
        .filter(oauth_tokens::revoked_at.is_null())
        .set(oauth_tokens::revoked_at.eq(Some(super::now())))
        .execute(conn)?
        > 0)
}

/// Revokes a token if it belongs to the app; returns whether one was revoked.
pub fn revoke_token(conn: &mut DbConn, token_hash: &str, app: AppId) -> DbResult<bool> {
    Ok(diesel::update(oauth_tokens::table)
        .filter(oauth_tokens::token_hash.eq(token_hash))
        .filter(oauth_tokens::app_id.eq(app))
        .filter(oauth_tokens::revoked_at.is_null())
        .set(oauth_tokens::revoked_at.eq(Some(super::now())))
        .execute(conn)?
        > 0)
}

/// Revokes every token (sessions included) of a person, but `keep` (a token hash); returns how
/// many.
pub fn revoke_all_of(conn: &mut DbConn, person: super::PersonId, keep: Option<&str>) -> DbResult<usize> {
    let mut query = diesel::update(oauth_tokens::table)
        .filter(oauth_tokens::person_id.eq(Some(person)))
        .filter(oauth_tokens::revoked_at.is_null())
        .into_boxed();
    if let Some(keep) = keep {
        query = query.filter(oauth_tokens::token_hash.ne(keep));
    }
    Ok(query.set(oauth_tokens::revoked_at.eq(Some(super::now()))).execute(conn)?)
}
