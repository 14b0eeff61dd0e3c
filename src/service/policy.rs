//! Who may change a group, asked by every door (the web, the client API, the inbox): one answer
//! each, so no door decides it on its own.

use super::{Actor, Role};
use crate::db::groups::Group;
use crate::error::{Error, Result};

/// A group hosted by another server is moderated and configured there, by its own moderators:
/// here it is only a copy (no local role, not even an admin's, changes it).
fn hosted_here(group: &Group) -> Result<()> {
    match &group.domain {
        None => Ok(()),
        Some(domain) => {
            Err(Error::forbidden("remote_group", format!("This group is hosted by {domain}: its moderators there decide about it.")))
        }
    }
}

/// May `actor` (with `role` in the group) moderate it: decide requests, invite, remove, ban?
pub fn may_moderate(group: &Group, role: Option<Role>, actor: &Actor) -> Result<()> {
    hosted_here(group)?;
    if role.is_some_and(Role::moderates) || actor.is_admin {
        Ok(())
    } else {
        Err(Error::forbidden("moderator_only", "Only the group's moderators can do this."))
    }
}

/// May `actor` change the group's settings? `sensitive`: who can see and join it (scope,
/// visibility, partners), which only owners (and admins) change.
pub fn may_configure(group: &Group, role: Option<Role>, actor: &Actor, sensitive: bool) -> Result<()> {
    hosted_here(group)?;
    let allowed = actor.is_admin || if sensitive { role == Some(Role::Owner) } else { role.is_some_and(Role::moderates) };
    match (allowed, sensitive) {
        (true, _) => Ok(()),
        (false, true) => Err(Error::forbidden("owner_only", "Only the group's owners can change who can see and join it.")),
        (false, false) => Err(Error::forbidden("moderator_only", "Only the group's moderators can change its settings.")),
    }
}
