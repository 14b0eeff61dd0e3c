//! Deleting an account (by an admin, or by the person with their password). In one
//! transaction: the servers that knew the person are sent a `Delete` of their actor; the
//! person's posts are deleted (each deletion federates as any deletion does), their files
//! removed, the groups of other instances they were in are left and the people of other
//! instances they followed unfollowed;
//! their memberships, follows, notifications, sessions and tokens, and their account go. Their
//! name stays taken (as on Mastodon), so no one else takes over their address; the profile is
//! emptied.

use super::effects::{self, Effect, PostChange};
use super::{person_not_found, Actor};
use crate::context::AppContext;
use crate::db::{self, PersonId};
use crate::error::{Error, Result};

/// An admin deletes someone's account.
pub async fn delete_account(ctx: &AppContext, actor: &Actor, person: PersonId) -> Result<()> {
    if !actor.is_admin {
        return Err(Error::forbidden("admin_only", "Only administrators of this instance can do this."));
    }
    erase_account(ctx, person).await
}

/// Deletes an account, for a door that has checked who may (an admin; the person themself,
/// with their password; whoever runs the command line).
pub async fn erase_account(ctx: &AppContext, person: PersonId) -> Result<()> {
    let config = ctx.config.clone();
    let removed = ctx
        .db
        .write(move |conn| -> Result<_> {
            let account = db::people::account(conn, person)?.ok_or_else(person_not_found)?;
            if account.is_admin && db::deletion::other_admins(conn, person)? == 0 {
                return Err(Error::invalid("last_admin", "This is the only administrator: make someone else administrator first."));
            }
            let memberships = db::deletion::memberships_of(conn, person)?;
            for m in memberships.iter().filter(|m| m.role == "owner" && m.state == "active") {
                let group = db::groups::find(conn, m.group_id)?.ok_or_else(super::group_not_found)?;
                if group.domain.is_none() && db::memberships::count_owners(conn, group.id)? <= 1 {
                    return Err(Error::invalid(
                        "sole_owner",
                        format!("This person is the only owner of the group \"{}\": make someone else owner first.", group.display_name),
                    ));
                }
            }
            // Whoever knew the person elsewhere hears that they are gone: their followers' servers,
            // the servers of groups and people they followed, and of the members of their groups.
            let mut inboxes = db::follows::remote_follower_inboxes(conn, person)?;
            for m in &memberships {
                let Some(group) = db::groups::find(conn, m.group_id)? else { continue };
                match &group.domain {
                    Some(_) => inboxes.extend(group.shared_inbox_url.clone().or(group.inbox_url.clone())),
                    None if group.scope == "federated" => inboxes.extend(db::memberships::remote_member_inboxes(conn, group.id)?),
                    None => {}
                }
            }
            for (followed, _) in db::deletion::followed_by(conn, person)? {
                let them = db::people::get(conn, followed)?;
                if them.domain.is_some() {
                    inboxes.extend(them.shared_inbox_url.or(them.inbox_url));
                }
            }
            inboxes.sort();
            inboxes.dedup();
            // The admin sees, per server, whether the deletion arrived.
            let activity = crate::urls::new_activity_id(&config, "delete");
            let mut domains: Vec<String> =
                inboxes.iter().filter_map(|i| url::Url::parse(i).ok()).filter_map(|u| super::actors::domain_of(&u)).collect();
            domains.sort();
            domains.dedup();
            let username = db::people::get(conn, person)?.username;
            db::deletion::record_deletion(conn, person, &username, &activity, &domains)?;
            if !inboxes.is_empty() {
                effects::record(conn, &Effect::PersonDeleted { person, inboxes, activity: Some(activity) })?;
            }
            let files = remove_posts_and_files(conn, person)?;
            for m in &memberships {
                let remote = db::groups::find(conn, m.group_id)?.is_some_and(|g| g.domain.is_some());
                if remote && (m.state == "active" || m.state == "pending") {
                    effects::record(conn, &Effect::LeaveGroup { person, group: m.group_id, joined_at: m.created_at })?;
                }
            }
            for (followed, since) in db::deletion::followed_by(conn, person)? {
                if db::people::get(conn, followed)?.domain.is_some() {
                    effects::record(conn, &Effect::UnfollowPerson { follower: person, followed, since })?;
                }
            }
            db::deletion::erase_person(conn, person)?;
            Ok(files)
        })
        .await?;
    super::media::remove_files(ctx, removed).await;
    ctx.jobs_wake.notify_one();
    Ok(())
}

/// The latest account deletions, each with whether it reached each server that knew the person
/// (admins only).
pub async fn deletion_reports(
    ctx: &AppContext,
    actor: &Actor,
) -> Result<Vec<(db::deletion::AccountDeletion, Vec<db::deletion::DeletionDelivery>)>> {
    super::require_admin(actor)?;
    ctx.db.read(|conn| -> Result<_> { Ok(db::deletion::recent_deletions(conn, 50)?) }).await
}

/// A person of another instance deleted themself (their server sent `Delete` of their actor):
/// their posts here go (in a local group, the group tells its members' servers, as for any
/// deletion), with their files, memberships, follows both ways and the notifications about them;
/// their profile is emptied.
pub async fn erase_remote_person(ctx: &AppContext, person: PersonId) -> Result<()> {
    let removed = ctx
        .db
        .write(move |conn| -> Result<_> {
            let row = db::people::get(conn, person)?;
            if row.domain.is_none() {
                return Err(Error::invalid("not_remote", "Only a person of another instance is deleted this way."));
            }
            let files = remove_posts_and_files(conn, person)?;
            db::deletion::erase_person(conn, person)?;
            Ok(files)
        })
        .await?;
    super::media::remove_files(ctx, removed).await;
    ctx.jobs_wake.notify_one();
    Ok(())
}

/// Deletes the person's posts (each deletion federates as any does: `post_changed` tells other
/// servers of a local person's post, and a local group of a remote person's) and removes every
/// file of theirs. Returns the removed files' rows, whose bytes go after the transaction.
fn remove_posts_and_files(conn: &mut db::DbConn, person: PersonId) -> Result<Vec<db::media::Media>> {
    let mut files = Vec::new();
    for post in db::deletion::live_posts_by(conn, person)? {
        effects::post_changed(conn, &post, PostChange::Deleted)?;
        db::posts::mark_deleted(conn, post.id)?;
        files.extend(db::media::delete_of_post(conn, post.id)?);
    }
    let owned = db::media::owned_by(conn, person)?;
    files.extend(db::media::delete_many(conn, &owned)?);
    Ok(files)
}
