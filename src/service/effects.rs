//! Effects: what a change means for other servers. A service records an effect in the same
//! transaction as the change; `jobs` turns it into signed deliveries. A crash between the two
//! loses nothing. Services never talk to other servers themselves.

use serde::{Deserialize, Serialize};

use crate::db::{self, DbConn, GroupId, PersonId, PostId};
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum Effect {
    /// A local person asked to join a group of another instance: send it a Follow.
    FollowGroup { person: PersonId, group: GroupId },
    /// A local group took a remote person in: send an Accept of their Follow.
    AcceptMember { group: GroupId, person: PersonId },
    /// A local group turned a remote person's request down: send a Reject of their Follow.
    RejectMember { group: GroupId, person: PersonId, follow_ap_id: String },
    /// A local person left a group of another instance (or withdrew the request): undo the Follow.
    LeaveGroup { person: PersonId, group: GroupId, joined_at: chrono::NaiveDateTime },
    /// A post in a group that federates was written, edited or deleted. In a group of another
    /// instance the author sends the change to the group; a local federated group announces it
    /// to its members' servers.
    PostChanged { post: PostId, change: PostChange },
    /// Someone liked (or stopped liking) a post in a group that federates.
    Liked { post: PostId, person: PersonId, like: bool },
    /// A moderator of a local group invited a person of another instance: send them an Invite.
    InviteMember { group: GroupId, person: PersonId, inviter: PersonId },
    /// A local person asked to follow a person of another instance: send them a Follow.
    FollowPerson { follower: PersonId, followed: PersonId },
    /// A local person stopped following a person of another instance: undo the Follow.
    UnfollowPerson { follower: PersonId, followed: PersonId, since: chrono::NaiveDateTime },
    /// A person of another instance follows a local person: send an Accept of their Follow.
    AcceptFollower { person: PersonId, follower: PersonId },
    /// A local person was taken into a group of another instance: fetch its recent history
    /// from its outbox.
    FetchHistory { group: GroupId },
    /// A remote image (a post's, or a person's picture): fetch it and keep it here.
    CacheMedia { media: crate::db::MediaId },
    /// A local person's account was deleted: tell the servers that knew them (`Delete` of their
    /// actor, signed by them), listed when the account was deleted.
    PersonDeleted {
        person: PersonId,
        inboxes: Vec<String>,
        /// The `Delete`'s id, chosen when the account was deleted (its deliveries are reported
        /// to the admin under it).
        #[serde(default)]
        activity: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostChange {
    Created,
    Updated,
    Deleted,
}

/// Records what other servers must hear of a change to a post, if its group federates.
pub(crate) fn post_changed(conn: &mut DbConn, post: &db::posts::Post, change: PostChange) -> Result<()> {
    let Some(group_id) = post.group_id else { return Ok(()) };
    let Some(group) = db::groups::find(conn, group_id)? else { return Ok(()) };
    post_changed_in(conn, post, &group, change)
}

/// The same, for a caller that has the post's group at hand.
pub(crate) fn post_changed_in(conn: &mut DbConn, post: &db::posts::Post, group: &db::groups::Group, change: PostChange) -> Result<()> {
    if super::policy::federates(group, post.ap_id.is_none()) {
        record(conn, &Effect::PostChanged { post: post.id, change })?;
    }
    Ok(())
}

pub const JOB_KIND: &str = "effect";

/// Records the effect in the caller's transaction.
pub(crate) fn record(conn: &mut DbConn, effect: &Effect) -> Result<()> {
    let payload = serde_json::to_string(effect).map_err(Error::internal)?;
    db::jobs::enqueue(conn, JOB_KIND, &payload, db::now())?;
    Ok(())
}

/// Records that other servers must hear of a like, if the post's group federates: a local
/// person's like of a post in a group of another instance goes to that group; a like in a local
/// federated group is announced by the group.
pub(crate) fn liked(conn: &mut DbConn, post: &db::posts::Post, person: &db::people::Person, like: bool) -> Result<()> {
    let Some(group_id) = post.group_id else { return Ok(()) };
    let Some(group) = db::groups::find(conn, group_id)? else { return Ok(()) };
    if super::policy::federates(&group, person.domain.is_none()) {
        record(conn, &Effect::Liked { post: post.id, person: person.id, like })?;
    }
    Ok(())
}
