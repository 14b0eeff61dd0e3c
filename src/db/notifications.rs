//! Notifications for local people.

use diesel::prelude::*;

use super::schema::notifications;
use super::{paginate, DbConn, DbResult, GroupId, NotificationId, Page, PersonId, PostId};

#[derive(Debug, Clone, Queryable)]
#[diesel(table_name = notifications)]
pub struct Notification {
    pub id: NotificationId,
    pub recipient_id: PersonId,
    /// `mention`, `reply`, `favourite`, `follow`, `join_request`, `request_approved`, `invitation`.
    pub kind: String,
    pub actor_id: PersonId,
    pub post_id: Option<PostId>,
    pub group_id: Option<GroupId>,
    pub created_at: chrono::NaiveDateTime,
    pub read_at: Option<chrono::NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = notifications)]
pub struct NewNotification<'a> {
    pub recipient_id: PersonId,
    pub kind: &'a str,
    pub actor_id: PersonId,
    pub post_id: Option<PostId>,
    pub group_id: Option<GroupId>,
    pub created_at: chrono::NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, new: &NewNotification<'_>) -> DbResult<()> {
    diesel::insert_into(notifications::table).values(new).execute(conn)?;
    Ok(())
}

pub fn list(conn: &mut DbConn, recipient: PersonId, kinds: &[String], page: Page) -> DbResult<Vec<Notification>> {
    let mut query = notifications::table.filter(notifications::recipient_id.eq(recipient)).into_boxed();
    if !kinds.is_empty() {
        query = query.filter(notifications::kind.eq_any(kinds.to_vec()));
    }
    let rows = paginate!(query, notifications::id, page).select(notifications::all_columns).load(conn)?;
    Ok(super::newest_first(rows, page))
}

pub fn find(conn: &mut DbConn, recipient: PersonId, id: NotificationId) -> DbResult<Option<Notification>> {
    Ok(notifications::table
        .find(id)
        .filter(notifications::recipient_id.eq(recipient))
        .select(notifications::all_columns)
        .first(conn)
        .optional()?)
}

pub fn mark_read(conn: &mut DbConn, recipient: PersonId, up_to: Option<NotificationId>) -> DbResult<usize> {
    let mut query = diesel::update(notifications::table)
        .filter(notifications::recipient_id.eq(recipient))
        .filter(notifications::read_at.is_null())
        .into_boxed();
    if let Some(id) = up_to {
        query = query.filter(notifications::id.le(id));
    }
    Ok(query.set(notifications::read_at.eq(Some(super::now()))).execute(conn)?)
}

pub fn dismiss(conn: &mut DbConn, recipient: PersonId, id: NotificationId) -> DbResult<bool> {
    Ok(diesel::delete(notifications::table.find(id).filter(notifications::recipient_id.eq(recipient))).execute(conn)? > 0)
}

pub fn unread_count(conn: &mut DbConn, recipient: PersonId) -> DbResult<i64> {
    Ok(notifications::table
        .filter(notifications::recipient_id.eq(recipient))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)?)
}
