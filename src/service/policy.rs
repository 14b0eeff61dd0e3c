//! The rules every door asks (the web, the client API, the inbox): who may post in a group,
//! moderate and configure it, whether a change federates and which servers receive it. One
//! answer each, so no door decides on its own.

use super::{Actor, Role};
use crate::db::groups::Group;
use crate::db::memberships::Membership;
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

/// May a person with this membership post in the group (`starts_thread`: a new thread, not a
/// reply)? The same rule for a person here and for one of another server posting to a group
/// hosted here.
pub fn may_post(group: &Group, membership: Option<&Membership>, starts_thread: bool) -> Result<()> {
    match membership.map(|m| m.state.as_str()) {
        Some("banned") => return Err(Error::forbidden("banned", "You cannot post in this group: a moderator removed you from it.")),
        Some("active") => {}
        _ => return Err(Error::forbidden("not_a_member", "Join this group to post in it.")),
    }
    if starts_thread && group.announcements_only && !super::active_role(membership).is_some_and(Role::moderates) {
        return Err(Error::forbidden("announcements_only", "In this group only moderators start new threads; you can reply to them."));
    }
    Ok(())
}

/// Does a change to a post in this group go to other servers? An internal group never
/// federates; a group of another instance hears only of its local members' posts
/// (`by_local_person`); a local federated group passes everything on to its members' servers.
pub fn federates(group: &Group, by_local_person: bool) -> bool {
    if group.domain.is_some() {
        by_local_person
    } else {
        group.scope == "federated"
    }
}

/// Does a server of `domain` receive this group's content? Only when the group has not narrowed
/// its partners, or `domain` is one of them (besides the instance's own allow- and blocklist).
pub fn receives(group: &Group, domain: &str) -> bool {
    let patterns = super::actors::partner_patterns(group);
    patterns.is_empty() || patterns.iter().any(|p| p.matches(domain))
}

/// Refuses a domain outside the group's partners, with the reason.
pub fn check_partner(group: &Group, domain: &str) -> Result<()> {
    if receives(group, domain) {
        Ok(())
    } else {
        Err(Error::forbidden(
            "domain_not_partner",
            format!("The group {} federates only with its partner organisations, and {domain} is not one of them.", group.name),
        ))
    }
}
