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
    /// A local person wrote in a group of another instance: send the post to the group.
    SendPostToGroup { post: PostId },
    /// A post is new in a local federated group: the group announces it to its members' servers.
    AnnouncePost { post: PostId },
}

pub const JOB_KIND: &str = "effect";

/// Records the effect in the caller's transaction.
pub(crate) fn record(conn: &mut DbConn, effect: &Effect) -> Result<()> {
    let payload = serde_json::to_string(effect).map_err(Error::internal)?;
    db::jobs::enqueue(conn, JOB_KIND, &payload, db::now())?;
    Ok(())
}
