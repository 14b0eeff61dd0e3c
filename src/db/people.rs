//! People (local and remote actors), local accounts and expertise tags.

use diesel::prelude::*;

use super::schema::{local_accounts, people, person_expertise};
use super::{contains_pattern, lower, DbConn, DbResult, MediaId, PersonId};

#[derive(Debug, Clone, Queryable, Identifiable)]
#[diesel(table_name = people)]
pub struct Person {
    pub id: PersonId,
    pub username: String,
    /// `None` for people of this instance.
    pub domain: Option<String>,
    pub display_name: String,
    pub bio: String,
    pub bio_html: String,
    pub department: String,
    pub ap_id: Option<String>,
    pub inbox_url: Option<String>,
    pub shared_inbox_url: Option<String>,
    pub public_key: Option<String>,
    pub private_key: Option<String>,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
    pub last_fetched_at: Option<chrono::NaiveDateTime>,
    /// A local person's picture (an upload).
    pub avatar_id: Option<MediaId>,
    /// A remote person's picture: the address of their actor's `icon`.
    pub avatar_url: Option<String>,
    pub job_title: String,
    /// The part of the organisation they work in (a team, a section), below the department.
    pub org_unit: String,
    /// Available as a mentor (the directory can list only them).
    pub mentor: bool,
    /// When the person was deleted (their own server's `Delete`, or here); the row stays so
    /// the name stays taken and a deleted person of another server never returns.
    pub deleted_at: Option<chrono::NaiveDateTime>,
    /// Posts (not deleted) they wrote, kept as posts are written and deleted.
    pub posts_count: i64,
    /// Accepted follows of and by this person, kept by the database (migration `stored_counts`).
    pub followers_count: i64,
    pub following_count: i64,
}

impl Person {
    pub fn is_local(&self) -> bool {
        self.domain.is_none()
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = people)]
pub struct NewPerson<'a> {
    pub username: &'a str,
    pub domain: Option<&'a str>,
    pub display_name: &'a str,
    pub bio: &'a str,
    pub bio_html: &'a str,
    pub department: &'a str,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = people)]
pub struct ProfileChanges {
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub bio_html: Option<String>,
    pub department: Option<String>,
    pub job_title: Option<String>,
    pub org_unit: Option<String>,
    pub mentor: Option<bool>,
    pub updated_at: Option<chrono::NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable)]
#[diesel(table_name = local_accounts)]
pub struct LocalAccount {
    pub person_id: PersonId,
    pub password_hash: String,
    pub is_admin: bool,
    pub locale: Option<String>,
    pub disabled: bool,
    pub created_at: chrono::NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = local_accounts)]
pub struct NewLocalAccount<'a> {
    pub person_id: PersonId,
    pub password_hash: &'a str,
    pub is_admin: bool,
    pub locale: Option<&'a str>,
    pub created_at: chrono::NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, new: &NewPerson<'_>) -> DbResult<Person> {
    Ok(diesel::insert_into(people::table).values(new).returning(people::all_columns).get_result(conn)?)
}

pub fn insert_account(conn: &mut DbConn, new: &NewLocalAccount<'_>) -> DbResult<()> {
    diesel::insert_into(local_accounts::table).values(new).execute(conn)?;
    Ok(())
}

pub fn get(conn: &mut DbConn, id: PersonId) -> DbResult<Person> {
    Ok(people::table.find(id).select(people::all_columns).first(conn)?)
}

pub fn find(conn: &mut DbConn, id: PersonId) -> DbResult<Option<Person>> {
    Ok(people::table.find(id).select(people::all_columns).first(conn).optional()?)
}

pub fn get_many(conn: &mut DbConn, ids: &[PersonId]) -> DbResult<Vec<Person>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(people::table.filter(super::in_ids(people::id, ids.iter().copied())).select(people::all_columns).load(conn)?)
}

/// A person by username (already lower-cased) and domain (`None`: this instance).
pub fn find_by_name(conn: &mut DbConn, username: &str, domain: Option<&str>) -> DbResult<Option<Person>> {
    let query = people::table.filter(people::username.eq(username)).select(people::all_columns);
    Ok(match domain {
        None => query.filter(people::domain.is_null()).first(conn).optional()?,
        Some(d) => query.filter(people::domain.eq(d)).first(conn).optional()?,
    })
}

pub fn account(conn: &mut DbConn, id: PersonId) -> DbResult<Option<LocalAccount>> {
    Ok(local_accounts::table.find(id).select(local_accounts::all_columns).first(conn).optional()?)
}

pub fn count_accounts(conn: &mut DbConn) -> DbResult<i64> {
    Ok(local_accounts::table.count().get_result(conn)?)
}

pub fn list_accounts(conn: &mut DbConn) -> DbResult<Vec<(Person, LocalAccount)>> {
    Ok(people::table
        .inner_join(local_accounts::table)
        .select((people::all_columns, local_accounts::all_columns))
        .order(people::id.asc())
        .load(conn)?)
}

pub fn set_password(conn: &mut DbConn, id: PersonId, hash: &str) -> DbResult<()> {
    diesel::update(local_accounts::table.find(id)).set(local_accounts::password_hash.eq(hash)).execute(conn)?;
    Ok(())
}

pub fn set_locale(conn: &mut DbConn, id: PersonId, locale: Option<&str>) -> DbResult<()> {
    diesel::update(local_accounts::table.find(id)).set(local_accounts::locale.eq(locale)).execute(conn)?;
    Ok(())
}

pub fn update_profile(conn: &mut DbConn, id: PersonId, changes: &ProfileChanges) -> DbResult<Person> {
    Ok(diesel::update(people::table.find(id)).set(changes).returning(people::all_columns).get_result(conn)?)
}

pub fn set_expertise(conn: &mut DbConn, id: PersonId, tags: &[String]) -> DbResult<()> {
    diesel::delete(person_expertise::table.filter(person_expertise::person_id.eq(id))).execute(conn)?;
    for tag in tags {
        diesel::insert_into(person_expertise::table)
            .values((person_expertise::person_id.eq(id), person_expertise::tag.eq(tag)))
            .execute(conn)?;
    }
    Ok(())
}

/// Expertise tags of the given people, as (person, tag) pairs in tag order.
pub fn expertise(conn: &mut DbConn, ids: &[PersonId]) -> DbResult<Vec<(PersonId, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(person_expertise::table
        .filter(super::in_ids(person_expertise::person_id, ids.iter().copied()))
        .select((person_expertise::person_id, person_expertise::tag))
        .order(person_expertise::tag.asc())
        .load(conn)?)
}

#[derive(Debug, Default, Clone)]
pub struct DirectoryFilter {
    /// Part of the username or display name.
    pub name: Option<String>,
    /// Exact department, case-insensitive.
    pub department: Option<String>,
    /// Exact expertise tag (tags are stored lower case).
    pub expertise: Option<String>,
    pub local_only: bool,
    /// Only people available as mentors.
    pub mentors_only: bool,
}

/// People matching the filter, by display name.
pub fn directory(conn: &mut DbConn, filter: &DirectoryFilter, limit: i64, offset: i64) -> DbResult<Vec<Person>> {
    let mut query = people::table.select(people::all_columns).into_boxed();
    if let Some(name) = filter.name.as_deref().filter(|n| !n.is_empty()) {
        let pattern = contains_pattern(name);
        query = query
            .filter(lower(people::username).like(pattern.clone()).escape('\\').or(lower(people::display_name).like(pattern).escape('\\')));
    }
    if let Some(department) = filter.department.as_deref().filter(|d| !d.is_empty()) {
        query = query.filter(lower(people::department).eq(department.to_lowercase()));
    }
    if let Some(tag) = filter.expertise.as_deref().filter(|t| !t.is_empty()) {
        let with_tag = person_expertise::table.filter(person_expertise::tag.eq(tag.to_lowercase())).select(person_expertise::person_id);
        query = query.filter(people::id.eq_any(with_tag));
    }
    if filter.local_only {
        query = query.filter(people::domain.is_null());
    }
    if filter.mentors_only {
        query = query.filter(people::mentor.eq(true));
    }
    // Disabled and deleted accounts are not listed.
    let gone = local_accounts::table.filter(local_accounts::disabled.eq(true)).select(local_accounts::person_id);
    let accounts = local_accounts::table.select(local_accounts::person_id);
    query = query.filter(people::id.ne_all(gone)).filter(people::domain.is_not_null().or(people::id.eq_any(accounts)));
    Ok(query.order((lower(people::display_name).asc(), people::id.asc())).limit(limit).offset(offset).load(conn)?)
}

/// Departments in use by local people, for the directory's filter.
pub fn departments(conn: &mut DbConn) -> DbResult<Vec<String>> {
    Ok(people::table
        .filter(people::domain.is_null())
        .filter(people::department.ne(""))
        .select(people::department)
        .distinct()
        .order(people::department.asc())
        .load(conn)?)
}

/// Stores the actor's keys if it has none yet; returns the person as stored.
pub fn set_keys_if_missing(conn: &mut DbConn, id: PersonId, public_key: &str, private_key: &str) -> DbResult<Person> {
    diesel::update(people::table.find(id).filter(people::public_key.is_null()))
        .set((people::public_key.eq(public_key), people::private_key.eq(private_key)))
        .execute(conn)?;
    get(conn, id)
}

/// A person by ActivityPub id (remote people store theirs).
pub fn find_by_ap_id(conn: &mut DbConn, ap_id: &str) -> DbResult<Option<Person>> {
    Ok(people::table.filter(people::ap_id.eq(ap_id)).select(people::all_columns).first(conn).optional()?)
}

/// What a remote server says about one of its people.
#[derive(Debug, Clone, Default)]
pub struct RemotePerson {
    pub ap_id: String,
    pub username: String,
    pub domain: String,
    pub display_name: String,
    pub bio_html: String,
    pub inbox_url: String,
    pub shared_inbox_url: Option<String>,
    pub public_key: String,
    /// Profile fields their server sends (`PropertyValue` attachments Gilde knows).
    pub department: String,
    pub job_title: String,
    pub org_unit: String,
    pub mentor: bool,
}

/// Inserts or updates a remote person by ActivityPub id.
pub fn upsert_remote(conn: &mut DbConn, remote: &RemotePerson) -> DbResult<Person> {
    let now = super::now();
    if let Some(existing) = find_by_ap_id(conn, &remote.ap_id)? {
        return Ok(diesel::update(people::table.find(existing.id))
            .set((
                people::display_name.eq(&remote.display_name),
                people::bio_html.eq(&remote.bio_html),
                people::inbox_url.eq(&remote.inbox_url),
                people::shared_inbox_url.eq(&remote.shared_inbox_url),
                people::public_key.eq(&remote.public_key),
                people::department.eq(&remote.department),
                people::job_title.eq(&remote.job_title),
                people::org_unit.eq(&remote.org_unit),
                people::mentor.eq(remote.mentor),
                people::updated_at.eq(now),
                people::last_fetched_at.eq(Some(now)),
            ))
            .returning(people::all_columns)
            .get_result(conn)?);
    }
    Ok(diesel::insert_into(people::table)
        .values((
            people::username.eq(&remote.username),
            people::domain.eq(Some(&remote.domain)),
            people::display_name.eq(&remote.display_name),
            people::bio.eq(""),
            people::bio_html.eq(&remote.bio_html),
            people::department.eq(&remote.department),
            people::job_title.eq(&remote.job_title),
            people::org_unit.eq(&remote.org_unit),
            people::mentor.eq(remote.mentor),
            people::ap_id.eq(Some(&remote.ap_id)),
            people::inbox_url.eq(Some(&remote.inbox_url)),
            people::shared_inbox_url.eq(&remote.shared_inbox_url),
            people::public_key.eq(Some(&remote.public_key)),
            people::created_at.eq(now),
            people::updated_at.eq(now),
            people::last_fetched_at.eq(Some(now)),
        ))
        .returning(people::all_columns)
        .get_result(conn)?)
}

/// Disables or enables a local account.
pub fn set_disabled(conn: &mut DbConn, id: PersonId, disabled: bool) -> DbResult<()> {
    diesel::update(local_accounts::table.find(id)).set(local_accounts::disabled.eq(disabled)).execute(conn)?;
    Ok(())
}
