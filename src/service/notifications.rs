//! Notifications: written in the same transaction as what caused them.

use std::collections::HashMap;

use super::{views, Actor, NotificationView};
use crate::context::AppContext;
use crate::db::notifications::NewNotification;
use crate::db::{self, DbConn, GroupId, NotificationId, Page, PersonId, PostId};
use crate::error::{Error, Result};

/// The kinds of notification.
pub const KINDS: &[&str] = &["mention", "reply", "favourite", "follow", "join_request", "request_approved", "invitation"];

/// Records a notification for a local person; nobody is notified of their own action.
/// Returns whether one was written.
pub(crate) fn notify(
    conn: &mut DbConn,
    recipient: PersonId,
    kind: &str,
    actor: PersonId,
    post: Option<PostId>,
    group: Option<GroupId>,
) -> Result<bool> {
    if recipient == actor || db::people::account(conn, recipient)?.is_none() {
        return Ok(false);
    }
    db::notifications::insert(
        conn,
        &NewNotification { recipient_id: recipient, kind, actor_id: actor, post_id: post, group_id: group, created_at: db::now() },
    )?;
    Ok(true)
}

pub async fn list(ctx: &AppContext, actor: &Actor, kinds: Vec<String>, page: Page) -> Result<Vec<NotificationView>> {
    for kind in &kinds {
        if !KINDS.contains(&kind.as_str()) {
            return Err(Error::invalid(
                "invalid_notification_type",
                format!("Unknown notification type {kind:?}; known types are: {}.", KINDS.join(", ")),
            ));
        }
    }
    let actor = *actor;
    ctx.db
        .read(move |conn| {
            let rows = db::notifications::list(conn, actor.person_id, &kinds, page)?;
            hydrate(conn, &actor, rows)
        })
        .await
}

fn hydrate(conn: &mut DbConn, actor: &Actor, rows: Vec<db::notifications::Notification>) -> Result<Vec<NotificationView>> {
    let mut actor_ids: Vec<PersonId> = rows.iter().map(|n| n.actor_id).collect();
    actor_ids.sort_unstable();
    actor_ids.dedup();
    let people: HashMap<PersonId, _> = views::people_by_ids(conn, &actor_ids)?.into_iter().map(|p| (p.person.id, p)).collect();
    let mut post_ids: Vec<PostId> = rows.iter().filter_map(|n| n.post_id).collect();
    post_ids.sort_unstable();
    post_ids.dedup();
    let mut visible = Vec::new();
    for post in db::posts::get_many(conn, &post_ids)? {
        if super::posts::can_see(conn, actor, &post)? {
            visible.push(post);
        }
    }
    let posts: HashMap<PostId, _> = views::posts(conn, actor.person_id, visible)?.into_iter().map(|p| (p.post.id, p)).collect();
    let mut group_ids: Vec<GroupId> = rows.iter().filter_map(|n| n.group_id).collect();
    group_ids.sort_unstable();
    group_ids.dedup();
    let groups: HashMap<GroupId, _> =
        views::groups_by_ids(conn, actor.person_id, &group_ids)?.into_iter().map(|g| (g.group.id, g)).collect();
    Ok(rows
        .into_iter()
        .filter_map(|notification| {
            let actor = people.get(&notification.actor_id)?.clone();
            let post = match notification.post_id {
                // A post that was deleted or can no longer be seen takes its notification with it.
                Some(id) => Some(posts.get(&id)?.clone()),
                None => None,
            };
            let group = notification.group_id.and_then(|id| groups.get(&id).cloned());
            Some(NotificationView { notification, actor, post, group })
        })
        .collect())
}

pub async fn get(ctx: &AppContext, actor: &Actor, id: NotificationId) -> Result<NotificationView> {
    let actor = *actor;
    ctx.db
        .read(move |conn| {
            let row = db::notifications::find(conn, actor.person_id, id)?
                .ok_or_else(|| Error::not_found("notification_not_found", "This notification does not exist."))?;
            hydrate(conn, &actor, vec![row])?
                .pop()
                .ok_or_else(|| Error::not_found("notification_not_found", "This notification does not exist."))
        })
        .await
}

/// Marks notifications read, all or up to and including `up_to`.
pub async fn mark_read(ctx: &AppContext, actor: &Actor, up_to: Option<NotificationId>) -> Result<usize> {
    let me = actor.person_id;
    ctx.db.write(move |conn| -> Result<_> { Ok(db::notifications::mark_read(conn, me, up_to)?) }).await
}

pub async fn dismiss(ctx: &AppContext, actor: &Actor, id: NotificationId) -> Result<()> {
    let me = actor.person_id;
    ctx.db
        .write(move |conn| {
            if db::notifications::dismiss(conn, me, id)? {
                Ok(())
            } else {
                Err(Error::not_found("notification_not_found", "This notification does not exist."))
            }
        })
        .await
}

pub async fn unread_count(ctx: &AppContext, actor: &Actor) -> Result<i64> {
    let me = actor.person_id;
    ctx.db.read(move |conn| -> Result<_> { Ok(db::notifications::unread_count(conn, me)?) }).await
}
