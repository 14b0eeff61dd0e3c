//! Joining, leaving, requests, invitations, roles, removals and bans.

use super::groups::load;
use super::{
    active_role, group_not_found, person_not_found, views, Actor, GroupAccess, GroupView, MemberState, PersonView, Role, Visibility,
};
use crate::context::AppContext;
use crate::db::memberships::Membership;
use crate::db::{self, DbConn, GroupId, PersonId};
use crate::error::{Error, Result};

/// Join a public group, ask to join a private one, or accept an invitation (the only way into a
/// secret group). Returns the group with the new membership.
pub async fn join(ctx: &AppContext, actor: &Actor, group_id: GroupId) -> Result<GroupView> {
    let actor = *actor;
    let config = ctx.config.clone();
    let view = ctx
        .db
        .write(move |conn| {
            let (group, membership, _) = load(conn, &actor, group_id)?;
            let me = actor.person_id;
            let state = membership.as_ref().map(|m| m.state.as_str());
            match state {
                Some("banned") => return Err(Error::forbidden("banned", "You cannot join this group: a moderator removed you from it.")),
                Some("active") | Some("pending") => return views::group(conn, me, group),
                // A group of another instance decides there: ask it, and wait for its answer.
                _ if group.domain.is_some() => {
                    super::actors::check_domain_allowed_for(&config, group.domain.as_deref().unwrap_or(""))?;
                    db::memberships::put(conn, group_id, me, Role::Member.as_str(), MemberState::Pending.as_str(), None)?;
                    super::effects::record(conn, &super::effects::Effect::FollowGroup { person: me, group: group_id })?;
                }
                Some("invited") => {
                    let role = membership.as_ref().map_or("member", |m| m.role.as_str()).to_string();
                    db::memberships::put(
                        conn,
                        group_id,
                        me,
                        &role,
                        MemberState::Active.as_str(),
                        membership.and_then(|m| m.invited_by_id),
                    )?;
                }
                _ => match Visibility::parse(&group.visibility)? {
                    Visibility::Public => {
                        db::memberships::put(conn, group_id, me, Role::Member.as_str(), MemberState::Active.as_str(), None)?;
                    }
                    Visibility::Private => {
                        db::memberships::put(conn, group_id, me, Role::Member.as_str(), MemberState::Pending.as_str(), None)?;
                        for moderator in db::memberships::moderators(conn, group_id)? {
                            super::notifications::notify(conn, moderator, "join_request", me, None, Some(group_id))?;
                        }
                    }
                    Visibility::Secret => return Err(group_not_found()),
                },
            }
            views::group(conn, me, group)
        })
        .await?;
    ctx.jobs_wake.notify_one();
    Ok(view)
}

/// Leave a group, withdraw a request or decline an invitation. The last owner cannot leave.
pub async fn leave(ctx: &AppContext, actor: &Actor, group_id: GroupId) -> Result<GroupView> {
    let actor = *actor;
    let view = ctx
        .db
        .write(move |conn| {
            let (group, membership, _) = load(conn, &actor, group_id)?;
            match membership.as_ref().map(|m| (m.state.as_str(), m.role.as_str())) {
                None => {}
                Some(("banned", _)) => {}
                Some(("active", "owner")) if db::memberships::count_owners(conn, group_id)? <= 1 => {
                    return Err(Error::conflict(
                        "last_owner",
                        "You are this group's only owner: make someone else an owner before you leave.",
                    ));
                }
                Some(_) => {
                    db::memberships::delete(conn, group_id, actor.person_id)?;
                    if group.domain.is_some() {
                        let joined_at = membership.as_ref().map_or_else(db::now, |m| m.created_at);
                        super::effects::record(
                            conn,
                            &super::effects::Effect::LeaveGroup { person: actor.person_id, group: group_id, joined_at },
                        )?;
                    }
                }
            }
            // After leaving a secret group, the viewer may no longer see it.
            let group = db::groups::find(conn, group.id)?.ok_or_else(group_not_found)?;
            views::group(conn, actor.person_id, group)
        })
        .await?;
    ctx.jobs_wake.notify_one();
    Ok(view)
}

/// Checks that `actor` moderates the group (or is an admin) and returns their role.
fn require_moderator(conn: &mut DbConn, actor: &Actor, group_id: GroupId) -> Result<(db::groups::Group, Option<Role>)> {
    let (group, membership, _) = load(conn, actor, group_id)?;
    let role = active_role(membership.as_ref());
    super::policy::may_moderate(&group, role, actor)?;
    Ok((group, role))
}

#[derive(Debug, Clone)]
pub struct MemberView {
    pub membership: Membership,
    pub person: PersonView,
}

fn member_views(conn: &mut DbConn, rows: Vec<Membership>) -> Result<Vec<MemberView>> {
    let ids: Vec<PersonId> = rows.iter().map(|m| m.person_id).collect();
    let people = views::people_by_ids(conn, &ids)?;
    Ok(rows
        .into_iter()
        .filter_map(|membership| {
            let person = people.iter().find(|p| p.person.id == membership.person_id)?.clone();
            Some(MemberView { membership, person })
        })
        .collect())
}

/// Active members. Who may see the list: anyone with full access to the group.
pub async fn members(ctx: &AppContext, actor: &Actor, group_id: GroupId, after: Option<PersonId>, limit: i64) -> Result<Vec<MemberView>> {
    let actor = *actor;
    let limit = limit.clamp(1, 80);
    ctx.db
        .read(move |conn| {
            let (_, _, access) = load(conn, &actor, group_id)?;
            if access != GroupAccess::Full {
                return Err(Error::forbidden("members_only", "Only members can see who is in this group."));
            }
            let rows = db::memberships::list(conn, group_id, "active", after, limit)?;
            member_views(conn, rows)
        })
        .await
}

/// Requests to join (moderators), or invitations and bans (moderators), by state.
pub async fn list_by_state(
    ctx: &AppContext,
    actor: &Actor,
    group_id: GroupId,
    state: MemberState,
    after: Option<PersonId>,
    limit: i64,
) -> Result<Vec<MemberView>> {
    let actor = *actor;
    let limit = limit.clamp(1, 80);
    ctx.db
        .read(move |conn| {
            require_moderator(conn, &actor, group_id)?;
            let rows = db::memberships::list(conn, group_id, state.as_str(), after, limit)?;
            member_views(conn, rows)
        })
        .await
}

/// Approves or refuses a join request; the person is told if approved.
pub async fn decide_request(ctx: &AppContext, actor: &Actor, group_id: GroupId, person: PersonId, approve: bool) -> Result<()> {
    let actor = *actor;
    ctx.db
        .write(move |conn| {
            require_moderator(conn, &actor, group_id)?;
            let remote_follow = match db::memberships::find(conn, group_id, person)? {
                Some(m) if m.state == "pending" => m.follow_ap_id,
                _ => return Err(Error::not_found("request_not_found", "There is no request to join from this person.")),
            };
            if approve {
                db::memberships::put(conn, group_id, person, Role::Member.as_str(), MemberState::Active.as_str(), None)?;
                super::notifications::notify(conn, person, "request_approved", actor.person_id, None, Some(group_id))?;
                if remote_follow.is_some() {
                    super::effects::record(conn, &super::effects::Effect::AcceptMember { group: group_id, person })?;
                }
            } else {
                db::memberships::delete(conn, group_id, person)?;
                if let Some(follow_ap_id) = remote_follow {
                    super::effects::record(conn, &super::effects::Effect::RejectMember { group: group_id, person, follow_ap_id })?;
                }
            }
            Ok(())
        })
        .await?;
    ctx.jobs_wake.notify_one();
    Ok(())
}

/// People waiting for the actor to decide on their request to join (in any group the actor
/// moderates), newest first; each person once. Mastodon apps show them as follow requests.
pub async fn requests_to_decide(ctx: &AppContext, actor: &Actor, limit: i64) -> Result<Vec<PersonView>> {
    let actor = *actor;
    ctx.db
        .read(move |conn| {
            let page = db::Page { limit: limit.clamp(1, 80) * 4, ..Default::default() };
            let mut ids: Vec<PersonId> = Vec::new();
            for m in db::memberships::pending_for_moderator(conn, actor.person_id, page)? {
                if !ids.contains(&m.person_id) && ids.len() < limit.clamp(1, 80) as usize {
                    ids.push(m.person_id);
                }
            }
            let mut people = views::people_by_ids(conn, &ids)?;
            people.sort_by_key(|p| ids.iter().position(|id| *id == p.person.id));
            Ok(people)
        })
        .await
}

/// Decides every waiting request of `person` in the groups the actor moderates (a Mastodon
/// app's "authorize"/"reject" names only the person).
pub async fn decide_requests_of(ctx: &AppContext, actor: &Actor, person: PersonId, approve: bool) -> Result<()> {
    let me = actor.person_id;
    let groups: Vec<GroupId> = ctx
        .db
        .read(move |conn| -> Result<_> {
            let page = db::Page { limit: 1_000, ..Default::default() };
            Ok(db::memberships::pending_for_moderator(conn, me, page)?
                .into_iter()
                .filter(|m| m.person_id == person)
                .map(|m| m.group_id)
                .collect())
        })
        .await?;
    if groups.is_empty() {
        return Err(Error::not_found("request_not_found", "This person has no request waiting for you."));
    }
    for group in groups {
        decide_request(ctx, actor, group, person, approve).await?;
    }
    Ok(())
}

/// Invites people; an invitation is the only way into a secret group. Active members and
/// banned people are skipped; a pending request is approved by the invitation.
pub async fn invite(ctx: &AppContext, actor: &Actor, group_id: GroupId, people: Vec<PersonId>) -> Result<Vec<PersonId>> {
    if people.is_empty() {
        return Err(Error::invalid("nobody_invited", "Choose at least one person to invite.").with_field("account_ids"));
    }
    if people.len() > 100 {
        return Err(Error::invalid("too_many_invitations", "Invite at most 100 people at once.").with_field("account_ids"));
    }
    let actor = *actor;
    let config = ctx.config.clone();
    let invited = ctx
        .db
        .write(move |conn| {
            let (group, _) = require_moderator(conn, &actor, group_id)?;
            let mut invited = Vec::new();
            for person in people {
                let invitee = db::people::find(conn, person)?.ok_or_else(person_not_found)?;
                if let Some(domain) = &invitee.domain {
                    if group.scope != "federated" || group.domain.is_some() {
                        return Err(Error::invalid(
                            "not_federated",
                            "Only people of this instance can be invited: this group does not federate.",
                        )
                        .with_field("account_ids"));
                    }
                    super::actors::check_domain_allowed_for(&config, domain)?;
                    super::policy::check_partner(&group, domain)?;
                }
                match db::memberships::find(conn, group_id, person)?.map(|m| m.state) {
                    Some(s) if s == "active" || s == "banned" || s == "invited" => continue,
                    Some(s) if s == "pending" => {
                        db::memberships::put(
                            conn,
                            group_id,
                            person,
                            Role::Member.as_str(),
                            MemberState::Active.as_str(),
                            Some(actor.person_id),
                        )?;
                        super::notifications::notify(conn, person, "request_approved", actor.person_id, None, Some(group_id))?;
                        if invitee.domain.is_some() {
                            super::effects::record(conn, &super::effects::Effect::AcceptMember { group: group_id, person })?;
                        }
                    }
                    _ => {
                        db::memberships::put(
                            conn,
                            group_id,
                            person,
                            Role::Member.as_str(),
                            MemberState::Invited.as_str(),
                            Some(actor.person_id),
                        )?;
                        if invitee.domain.is_some() {
                            // Their server hears of it; they accept there.
                            super::effects::record(
                                conn,
                                &super::effects::Effect::InviteMember { group: group_id, person, inviter: actor.person_id },
                            )?;
                        } else {
                            super::notifications::notify(conn, person, "invitation", actor.person_id, None, Some(group_id))?;
                        }
                    }
                }
                invited.push(person);
            }
            Ok(invited)
        })
        .await?;
    ctx.jobs_wake.notify_one();
    Ok(invited)
}

/// Checks that a moderator may act on `target`: owners act on everyone else, moderators only on members.
fn may_act_on(actor_role: Option<Role>, actor: &Actor, target: &Membership) -> Result<()> {
    let target_role = Role::parse(&target.role)?;
    if target.person_id == actor.person_id {
        return Err(Error::invalid("not_on_yourself", "You cannot do this to yourself."));
    }
    let ok = actor.is_admin || actor_role == Some(Role::Owner) || (actor_role == Some(Role::Moderator) && target_role == Role::Member);
    if ok {
        Ok(())
    } else {
        Err(Error::forbidden("outranked", "Only an owner can do this to a moderator or owner."))
    }
}

/// Removes a member (they may ask or be invited again), or bans them (they may not come back
/// until unbanned).
pub async fn remove(ctx: &AppContext, actor: &Actor, group_id: GroupId, people: Vec<PersonId>, ban: bool) -> Result<()> {
    let actor = *actor;
    ctx.db
        .write(move |conn| {
            let (_, role) = require_moderator(conn, &actor, group_id)?;
            for person in people {
                let target = db::memberships::find(conn, group_id, person)?;
                if let Some(target) = &target {
                    may_act_on(role, &actor, target)?;
                } else if !ban {
                    return Err(Error::not_found("not_a_member", "This person is not in the group."));
                }
                // A remote member's server hears of it as a Reject of their Follow.
                if let Some(follow_ap_id) =
                    target.as_ref().filter(|m| m.state == "active" || m.state == "pending").and_then(|m| m.follow_ap_id.clone())
                {
                    super::effects::record(conn, &super::effects::Effect::RejectMember { group: group_id, person, follow_ap_id })?;
                }
                if ban {
                    db::people::find(conn, person)?.ok_or_else(person_not_found)?;
                    db::memberships::put(conn, group_id, person, Role::Member.as_str(), MemberState::Banned.as_str(), None)?;
                } else {
                    db::memberships::delete(conn, group_id, person)?;
                }
            }
            Ok(())
        })
        .await?;
    ctx.jobs_wake.notify_one();
    Ok(())
}

pub async fn unban(ctx: &AppContext, actor: &Actor, group_id: GroupId, people: Vec<PersonId>) -> Result<()> {
    let actor = *actor;
    ctx.db
        .write(move |conn| {
            require_moderator(conn, &actor, group_id)?;
            for person in people {
                match db::memberships::find(conn, group_id, person)? {
                    Some(m) if m.state == "banned" => {
                        db::memberships::delete(conn, group_id, person)?;
                    }
                    _ => return Err(Error::not_found("not_banned", "This person is not banned from the group.")),
                }
            }
            Ok(())
        })
        .await
}

/// Promotes or demotes an active member. Only owners (or an admin) change roles; the last owner
/// cannot be demoted.
pub async fn set_role(ctx: &AppContext, actor: &Actor, group_id: GroupId, people: Vec<PersonId>, role: Role) -> Result<()> {
    let actor = *actor;
    ctx.db
        .write(move |conn| {
            let (_, my_role) = require_moderator(conn, &actor, group_id)?;
            if my_role != Some(Role::Owner) && !actor.is_admin {
                return Err(Error::forbidden("owner_only", "Only the group's owners can change roles."));
            }
            for person in people {
                let target = match db::memberships::find(conn, group_id, person)? {
                    Some(m) if m.state == "active" => m,
                    _ => return Err(Error::not_found("not_a_member", "This person is not a member of the group.")),
                };
                if target.role == "owner" && role != Role::Owner && db::memberships::count_owners(conn, group_id)? <= 1 {
                    return Err(Error::conflict("last_owner", "A group needs at least one owner."));
                }
                db::memberships::put(conn, group_id, person, role.as_str(), MemberState::Active.as_str(), target.invited_by_id)?;
            }
            Ok(())
        })
        .await
}

/// A person of another instance asks to join a local group (their Follow arrived at its inbox).
/// A public group takes them in at once; a private group holds the request for a moderator;
/// anything else (internal, secret without an invitation, banned) is refused.
pub async fn remote_follow(ctx: &AppContext, group_name: &str, person: PersonId, follow_ap_id: String) -> Result<MemberState> {
    let name = group_name.to_ascii_lowercase();
    let state = ctx
        .db
        .write(move |conn| {
            let group = db::groups::find_by_name(conn, &name, None)?.ok_or_else(group_not_found)?;
            if group.scope != "federated" {
                return Err(group_not_found());
            }
            let follower = db::people::get(conn, person)?;
            super::policy::check_partner(&group, follower.domain.as_deref().unwrap_or(""))?;
            let existing = db::memberships::find(conn, group.id, person)?;
            let state = match (existing.as_ref().map(|m| m.state.as_str()), Visibility::parse(&group.visibility)?) {
                // A banned person is told no, so their server does not wait for an answer.
                (Some("banned"), _) => {
                    super::effects::record(
                        conn,
                        &super::effects::Effect::RejectMember { group: group.id, person, follow_ap_id: follow_ap_id.clone() },
                    )?;
                    return Ok(MemberState::Banned);
                }
                (Some("active"), _) => MemberState::Active,
                (Some("invited"), _) | (_, Visibility::Public) => MemberState::Active,
                (_, Visibility::Private) => MemberState::Pending,
                (_, Visibility::Secret) => return Err(group_not_found()),
            };
            let role = existing.as_ref().map_or("member", |m| m.role.as_str()).to_string();
            db::memberships::put(conn, group.id, person, &role, state.as_str(), existing.and_then(|m| m.invited_by_id))?;
            db::memberships::set_follow_id(conn, group.id, person, &follow_ap_id)?;
            match state {
                MemberState::Active => super::effects::record(conn, &super::effects::Effect::AcceptMember { group: group.id, person })?,
                _ => {
                    for moderator in db::memberships::moderators(conn, group.id)? {
                        super::notifications::notify(conn, moderator, "join_request", person, None, Some(group.id))?;
                    }
                }
            }
            Ok(state)
        })
        .await?;
    ctx.jobs_wake.notify_one();
    Ok(state)
}

/// A group of another instance answered a local person's request to join.
pub async fn remote_answer(ctx: &AppContext, group: GroupId, person: PersonId, accepted: bool) -> Result<()> {
    let result = ctx
        .db
        .write(move |conn| {
            let membership = db::memberships::find(conn, group, person)?;
            match (membership.as_ref().map(|m| m.state.as_str()), accepted) {
                (Some("pending"), true) => {
                    db::memberships::put(conn, group, person, Role::Member.as_str(), MemberState::Active.as_str(), None)?;
                    // The group's earlier posts are fetched now (what is here already is skipped).
                    super::effects::record(conn, &super::effects::Effect::FetchHistory { group })?;
                }
                (Some("pending") | Some("active"), false) => {
                    db::memberships::delete(conn, group, person)?;
                }
                // An answer nobody asked for changes nothing.
                _ => {}
            }
            Ok(())
        })
        .await;
    ctx.jobs_wake.notify_one();
    result
}

/// A group of another instance invited a local person. Someone already in the group (or
/// asking, or banned) is left as they are.
pub async fn remote_invited(ctx: &AppContext, group: GroupId, person: PersonId, inviter: PersonId) -> Result<()> {
    ctx.db
        .write(move |conn| {
            let remote = db::groups::find(conn, group)?.is_some_and(|g| g.domain.is_some());
            if !remote {
                return Err(Error::invalid("not_remote", "A local group does not invite through the inbox."));
            }
            if db::memberships::find(conn, group, person)?.is_none() {
                db::memberships::put(conn, group, person, Role::Member.as_str(), MemberState::Invited.as_str(), Some(inviter))?;
                super::notifications::notify(conn, person, "invitation", inviter, None, Some(group))?;
            }
            Ok(())
        })
        .await
}

/// A person of another instance left a local group (their Undo of the Follow arrived). A ban
/// stays in place.
pub async fn remote_leave(ctx: &AppContext, group_name: &str, person: PersonId) -> Result<()> {
    let name = group_name.to_ascii_lowercase();
    ctx.db
        .write(move |conn| {
            let group = db::groups::find_by_name(conn, &name, None)?.ok_or_else(group_not_found)?;
            match db::memberships::find(conn, group.id, person)? {
                Some(m) if m.state != "banned" => {
                    db::memberships::delete(conn, group.id, person)?;
                }
                _ => {}
            }
            Ok(())
        })
        .await
}
