//! From effects to signed deliveries. An effect becomes activity JSON and one delivery job per
//! inbox, in one transaction with marking the effect done; a delivery is signed with its actor's
//! key when it is sent (keys never sit in the queue).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use super::notes::{self, group_ap_id, person_ap_id, post_ap_id};
use super::protocol::activity::{Activity, ActivityKind, Object, Tombstone, AS_CONTEXT};
use super::setup::FedConfig;
use crate::context::AppContext;
use crate::db::{self, DbConn, GroupId, PersonId};
use crate::error::{Error, Result};
use crate::service::effects::{Effect, PostChange};
use crate::service::{actors, policy};

pub const JOB_KIND: &str = "deliver";

/// Who signs a delivery.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Signer {
    Person(PersonId),
    Group(GroupId),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Delivery {
    pub inbox: Url,
    pub signer: Signer,
    pub activity: Value,
}

fn new_activity_id(ctx: &AppContext, kind: &str) -> String {
    crate::urls::new_activity_id(&ctx.config, kind)
}

/// The id of a local person's Follow of a group: derived from the membership (its join time),
/// so that leaving can name it in the Undo.
fn follow_id(ctx: &AppContext, group: GroupId, person: PersonId, joined_at: chrono::NaiveDateTime) -> String {
    format!("{}/activities/follow/{group}-{person}-{}", ctx.config.base_url(), joined_at.and_utc().timestamp_micros())
}

fn inbox_of(inbox: &Option<String>, shared: &Option<String>) -> Result<Url> {
    let url = shared.as_deref().or(inbox.as_deref()).ok_or_else(|| Error::internal("the remote actor has no inbox"))?;
    Url::parse(url).map_err(|e| Error::internal(format!("bad inbox {url}: {e}")))
}

/// Turns an effect into deliveries, stored together with marking the effect job done.
pub async fn expand_effect(ctx: &AppContext, job_id: i64, effect: Effect) -> Result<()> {
    // Group-aware servers and microblogs get different forms: what the members' servers run is
    // learned first where it is not known. Mostly it is, and one read does it all.
    let needs_software = matches!(effect, Effect::PostChanged { .. } | Effect::Liked { .. });
    let (ctx2, first) = (ctx.clone(), effect.clone());
    let (deliveries, unknown) = ctx
        .db
        .read(move |conn| -> Result<_> {
            if needs_software {
                let inboxes = member_inboxes_of(conn, &first)?;
                let unknown = super::software::unknown_among(conn, &ctx2, &inboxes)?;
                if !unknown.is_empty() {
                    return Ok((None, unknown));
                }
            }
            Ok((Some(deliveries_of(conn, &ctx2, first)?), Vec::new()))
        })
        .await?;
    let deliveries = match deliveries {
        Some(deliveries) => deliveries,
        None => {
            super::software::ask(ctx, unknown).await?;
            let ctx2 = ctx.clone();
            ctx.db.read(move |conn| deliveries_of(conn, &ctx2, effect)).await?
        }
    };
    let settings = ctx.config.federation.clone();
    let base = format!("{}/", ctx.config.base_url());
    ctx.db
        .write(move |conn| -> Result<_> {
            let now = db::now();
            let deliveries: Vec<(String, Delivery)> = deliveries
                .into_iter()
                // Nothing is ever queued for a domain this instance does not federate with.
                .filter_map(|d| actors::domain_of(&d.inbox).filter(|domain| settings.allows(domain)).map(|domain| (domain, d)))
                .collect();
            record_sent(conn, &base, &deliveries)?;
            let domains: Vec<String> = deliveries.iter().map(|(domain, _)| domain.clone()).collect();
            let dead = db::servers::dead_among(conn, &domains)?;
            for (domain, delivery) in deliveries {
                // A server marked dead is tried rarely (and at once when it is back).
                let run_at = if dead.contains(&domain) { now + crate::jobs::DEAD_RETRY } else { now };
                let payload = serde_json::to_string(&delivery).map_err(Error::internal)?;
                db::jobs::enqueue_for(conn, JOB_KIND, &payload, run_at, Some(&domain))?;
            }
            db::jobs::complete(conn, job_id)?;
            Ok(())
        })
        .await?;
    ctx.jobs_wake.notify_one();
    Ok(())
}

/// The inboxes of the remote members of the group of the post an effect is about.
fn member_inboxes_of(conn: &mut DbConn, effect: &Effect) -> Result<Vec<Url>> {
    let (Effect::PostChanged { post, .. } | Effect::Liked { post, .. }) = effect else { return Ok(Vec::new()) };
    let Some(group) = db::posts::find_any(conn, *post)?.and_then(|p| p.group_id) else { return Ok(Vec::new()) };
    Ok(db::memberships::remote_member_inboxes(conn, group)?.iter().filter_map(|i| Url::parse(i).ok()).collect())
}

/// The deliveries an effect makes.
fn deliveries_of(conn: &mut DbConn, ctx: &AppContext, effect: Effect) -> Result<Vec<Delivery>> {
    match effect {
        Effect::PostChanged { post, change } => post_changed(conn, ctx, post, change),
        Effect::Liked { post, person, like } => liked(conn, ctx, post, person, like),
        follow @ (Effect::FollowPerson { .. } | Effect::UnfollowPerson { .. } | Effect::AcceptFollower { .. }) => {
            person_follow(conn, ctx, follow)
        }
        Effect::PersonDeleted { person, inboxes, activity } => person_deleted(conn, ctx, person, inboxes, activity),
        membership => membership_answer(conn, ctx, membership),
    }
}

/// For a delivery of a person's deletion (a `Delete` whose object is its actor): the activity's
/// id, under which its deliveries are reported to the admin.
pub fn deletion_report_key(payload: &str) -> Option<String> {
    // Most deliveries are not deletions: not parsed for this.
    if !payload.contains("\"Delete\"") {
        return None;
    }
    let delivery: Delivery = serde_json::from_str(payload).ok()?;
    let activity = &delivery.activity;
    let is_self_delete = activity.get("type").and_then(Value::as_str) == Some("Delete")
        && activity.get("actor").is_some()
        && activity.get("object") == activity.get("actor");
    is_self_delete.then(|| activity.get("id").and_then(Value::as_str).map(str::to_string)).flatten()
}

/// Keeps what is sent (each activity, and an activity of this instance embedded in it) under its
/// id, for the servers it goes to, so that they can fetch it (`GET /activities/...`).
fn record_sent(conn: &mut db::DbConn, base: &str, deliveries: &[(String, Delivery)]) -> Result<()> {
    let mut seen: Vec<(String, Value, Vec<String>)> = Vec::new();
    for (domain, delivery) in deliveries {
        let mut activities = vec![&delivery.activity];
        activities.extend(delivery.activity.get("object").filter(|o| o.get("actor").is_some()));
        for activity in activities {
            let Some(id) = activity.get("id").and_then(Value::as_str).filter(|id| id.starts_with(base)) else { continue };
            match seen.iter_mut().find(|(i, _, _)| i == id) {
                Some((_, _, domains)) => domains.push(domain.clone()),
                None => seen.push((id.to_string(), activity.clone(), vec![domain.clone()])),
            }
        }
    }
    for (id, mut activity, domains) in seen {
        if activity.get("@context").is_none() {
            activity["@context"] = notes::context();
        }
        let json = serde_json::to_string(&activity).map_err(Error::internal)?;
        db::sent_activities::record(conn, &id, &json, notes::is_public(&activity), &domains)?;
    }
    Ok(())
}

/// Follow, Accept and Reject: between one person and one group.
fn membership_answer(conn: &mut db::DbConn, ctx: &AppContext, effect: Effect) -> Result<Vec<Delivery>> {
    let (group_id, person_id) = match &effect {
        Effect::FollowGroup { person, group }
        | Effect::AcceptMember { group, person }
        | Effect::RejectMember { group, person, .. }
        | Effect::LeaveGroup { person, group, .. }
        | Effect::InviteMember { group, person, .. } => (*group, *person),
        Effect::PostChanged { .. }
        | Effect::Liked { .. }
        | Effect::FetchHistory { .. }
        | Effect::CacheMedia { .. }
        | Effect::PersonDeleted { .. }
        | Effect::FollowPerson { .. }
        | Effect::UnfollowPerson { .. }
        | Effect::AcceptFollower { .. } => return Ok(Vec::new()),
    };
    let group = db::groups::find(conn, group_id)?.ok_or_else(|| Error::internal("effect for a missing group"))?;
    let person = db::people::get(conn, person_id)?;
    let group_id_url = group_ap_id(ctx, &group);
    let person_id_url = person_ap_id(ctx, &person);
    let to_group = |signer: Signer, activity: Activity| -> Result<Delivery> {
        Ok(Delivery { inbox: inbox_of(&group.inbox_url, &group.shared_inbox_url)?, signer, activity: activity.to_value() })
    };
    let to_person = |signer: Signer, activity: Activity| -> Result<Delivery> {
        Ok(Delivery { inbox: inbox_of(&person.inbox_url, &person.shared_inbox_url)?, signer, activity: activity.to_value() })
    };
    Ok(match effect {
        Effect::FollowGroup { person, .. } => {
            let joined_at = db::memberships::find(conn, group_id, person)?.map_or_else(db::now, |m| m.created_at);
            let id = follow_id(ctx, group_id, person, joined_at);
            let follow = Activity::to_one(ActivityKind::Follow, id, person_id_url, Object::Id(group_id_url.clone()), group_id_url);
            vec![to_group(Signer::Person(person), follow)?]
        }
        Effect::LeaveGroup { person, joined_at, .. } => {
            let follow = Activity::follow(follow_id(ctx, group_id, person, joined_at), person_id_url.clone(), group_id_url.clone());
            let undo = Activity::to_one(ActivityKind::Undo, new_activity_id(ctx, "undo"), person_id_url, follow, group_id_url);
            vec![to_group(Signer::Person(person), undo)?]
        }
        Effect::InviteMember { inviter, .. } => {
            let inviter_url = person_ap_id(ctx, &db::people::get(conn, inviter)?);
            let mut invite = Activity::to_one(
                ActivityKind::Invite,
                new_activity_id(ctx, "invite"),
                inviter_url,
                Object::Id(group_id_url),
                person_id_url.clone(),
            );
            invite.target = Some(person_id_url);
            vec![to_person(Signer::Person(inviter), invite)?]
        }
        Effect::AcceptMember { group: gid, .. } => {
            let membership = db::memberships::find(conn, gid, person_id)?;
            let follow_id = membership.and_then(|m| m.follow_ap_id).unwrap_or_default();
            let follow = Activity::follow(follow_id, person_id_url.clone(), group_id_url.clone());
            vec![to_person(
                Signer::Group(gid),
                Activity::to_one(ActivityKind::Accept, new_activity_id(ctx, "accept"), group_id_url, follow, person_id_url),
            )?]
        }
        Effect::RejectMember { group: gid, follow_ap_id, .. } => {
            let follow = Activity::follow(follow_ap_id, person_id_url.clone(), group_id_url.clone());
            vec![to_person(
                Signer::Group(gid),
                Activity::to_one(ActivityKind::Reject, new_activity_id(ctx, "reject"), group_id_url, follow, person_id_url),
            )?]
        }
        Effect::PostChanged { .. }
        | Effect::Liked { .. }
        | Effect::FetchHistory { .. }
        | Effect::CacheMedia { .. }
        | Effect::PersonDeleted { .. }
        | Effect::FollowPerson { .. }
        | Effect::UnfollowPerson { .. }
        | Effect::AcceptFollower { .. } => Vec::new(),
    })
}

/// The id of a local person's Follow of a person of another instance: derived from when they
/// followed, so that unfollowing can name it in the Undo.
fn person_follow_id(ctx: &AppContext, follower: PersonId, followed: PersonId, since: chrono::NaiveDateTime) -> String {
    format!("{}/activities/follow/person-{followed}-{follower}-{}", ctx.config.base_url(), since.and_utc().timestamp_micros())
}

/// People following people across servers: Follow, its Undo, and the Accept of a remote
/// follower's Follow.
fn person_follow(conn: &mut db::DbConn, ctx: &AppContext, effect: Effect) -> Result<Vec<Delivery>> {
    let delivery = |inbox: Url, signer: Signer, activity: Activity| Delivery { inbox, signer, activity: activity.to_value() };
    Ok(match effect {
        Effect::FollowPerson { follower, followed } => {
            let Some((_, since, _)) = db::follows::find(conn, follower, followed)? else { return Ok(Vec::new()) };
            let (me, them) = (db::people::get(conn, follower)?, db::people::get(conn, followed)?);
            let (me_url, them_url) = (person_ap_id(ctx, &me), person_ap_id(ctx, &them));
            let id = person_follow_id(ctx, follower, followed, since);
            let follow = Activity::to_one(ActivityKind::Follow, id, me_url, Object::Id(them_url.clone()), them_url);
            vec![delivery(inbox_of(&them.inbox_url, &None)?, Signer::Person(follower), follow)]
        }
        Effect::UnfollowPerson { follower, followed, since } => {
            let (me, them) = (db::people::get(conn, follower)?, db::people::get(conn, followed)?);
            let (me_url, them_url) = (person_ap_id(ctx, &me), person_ap_id(ctx, &them));
            let follow = Activity::follow(person_follow_id(ctx, follower, followed, since), me_url.clone(), them_url.clone());
            let undo = Activity::to_one(ActivityKind::Undo, new_activity_id(ctx, "undo"), me_url, follow, them_url);
            vec![delivery(inbox_of(&them.inbox_url, &None)?, Signer::Person(follower), undo)]
        }
        Effect::AcceptFollower { person, follower } => {
            let Some((_, _, Some(follow_id))) = db::follows::find(conn, follower, person)? else { return Ok(Vec::new()) };
            let (me, them) = (db::people::get(conn, person)?, db::people::get(conn, follower)?);
            let (me_url, them_url) = (person_ap_id(ctx, &me), person_ap_id(ctx, &them));
            let follow = Activity::follow(follow_id, them_url.clone(), me_url.clone());
            let accept = Activity::to_one(ActivityKind::Accept, new_activity_id(ctx, "accept"), me_url, follow, them_url);
            vec![delivery(inbox_of(&them.inbox_url, &them.shared_inbox_url)?, Signer::Person(person), accept)]
        }
        _ => Vec::new(),
    })
}

/// `Delete` of a local person's actor, signed by them, to every server that knew them.
fn person_deleted(
    conn: &mut db::DbConn,
    ctx: &AppContext,
    person: PersonId,
    inboxes: Vec<String>,
    activity: Option<String>,
) -> Result<Vec<Delivery>> {
    let me = db::people::get(conn, person)?;
    let me_url = person_ap_id(ctx, &me);
    let id = activity.unwrap_or_else(|| new_activity_id(ctx, "delete"));
    let mut delete = Activity::new(ActivityKind::Delete, id, me_url.clone(), Object::Id(me_url));
    delete.context = Some(notes::context());
    delete.published = Some(notes::now_text());
    delete.to = vec![notes::PUBLIC.to_string()];
    let value = delete.to_value();
    Ok(inboxes
        .into_iter()
        .filter_map(|inbox| Url::parse(&inbox).ok())
        .map(|inbox| Delivery { inbox, signer: Signer::Person(person), activity: value.clone() })
        .collect())
}

/// The activity for a change to a post (`Create`, `Update` or `Delete` of its Note), addressed
/// as its group says (`notes::addressing`). Returns it with the post and its group.
fn post_activity(
    conn: &mut db::DbConn,
    ctx: &AppContext,
    post_id: db::PostId,
    change: PostChange,
) -> Result<(db::posts::Post, db::groups::Group, Activity)> {
    let post = db::posts::find_any(conn, post_id)?.ok_or_else(|| Error::internal("effect for a missing post"))?;
    let group_id = post.group_id.ok_or_else(|| Error::internal("a group post without a group"))?;
    let group = db::groups::find(conn, group_id)?.ok_or_else(|| Error::internal("effect for a missing group"))?;
    let group_url = group_ap_id(ctx, &group);
    let note_id = post_ap_id(ctx, &post);
    if change == PostChange::Deleted {
        let author = db::people::get(conn, post.author_id)?;
        // Deleting is the author's act, or (for a post in a local group) the group's.
        let actor = if group.domain.is_none() && post.ap_id.is_some() { group_url.clone() } else { person_ap_id(ctx, &author) };
        let mut delete =
            Activity::new(ActivityKind::Delete, new_activity_id(ctx, "delete"), actor, Object::Tombstone(Tombstone::of(note_id)));
        delete.context = Some(notes::context());
        delete.published = Some(notes::now_text());
        (delete.to, delete.cc) = notes::addressing(&post, &group_url, notes::local_followers(ctx, &author));
        delete.audience = Some(group_url);
        return Ok((post, group, delete));
    }
    let note = notes::note(conn, ctx, &post, &group)?;
    let kind = if change == PostChange::Updated { "update" } else { "create" };
    let mut activity = notes::create(new_activity_id(ctx, kind), note);
    if change == PostChange::Updated {
        activity.kind = ActivityKind::Update;
        if let Object::Note(note) = &activity.object {
            activity.published = note.updated.clone();
        }
    }
    Ok((post, group, activity))
}

/// The id of a group's boost of a post (the form microblog servers get): one per post, so that
/// it can be taken back when the post is deleted.
fn boost_id(ctx: &AppContext, post: &db::posts::Post) -> String {
    format!("{}/activities/boost/{}", ctx.config.base_url(), post.id)
}

/// What microblog servers (Mastodon, GoToSocial, snac) get for a change to a thread in a local
/// group; they show a group's posts as the group's boosts, take changes only from a post's
/// author, and are not sent replies (they show threads, not every reply).
/// - A public group: a new thread as the group's boost; an edit or deletion by a person of this
///   instance as that person's own activity; the deletion of another server's post as the
///   undoing of the boost.
/// - A private or secret group: the group's own followers-only copy of the thread
///   (`notes::group_copy`), created, updated and deleted by the group (they refuse a boost of a
///   followers-only post and show it only to its author's followers).
fn for_microblogs(
    conn: &mut db::DbConn,
    ctx: &AppContext,
    post: &db::posts::Post,
    group: &db::groups::Group,
    change: PostChange,
    activity: &Activity,
) -> Result<Option<(Signer, Activity)>> {
    if post.in_reply_to_id.is_some() {
        return Ok(None);
    }
    let group_url = group_ap_id(ctx, group);
    let as_group = Signer::Group(group.id);
    if post.visibility != "public" {
        let copy_id = notes::group_copy_id(ctx, post);
        let (kind, object) = match change {
            PostChange::Created => (ActivityKind::Create, Object::Note(Box::new(notes::group_copy(conn, ctx, post, group)?))),
            PostChange::Updated => (ActivityKind::Update, Object::Note(Box::new(notes::group_copy(conn, ctx, post, group)?))),
            PostChange::Deleted => (ActivityKind::Delete, Object::Tombstone(Tombstone::of(copy_id))),
        };
        // Served at its id, as every activity sent (`GET /activities/...`).
        let id = match change {
            PostChange::Created => format!("{}/activities/create/group-copy-{}", ctx.config.base_url(), post.id),
            PostChange::Updated => new_activity_id(ctx, "update"),
            PostChange::Deleted => new_activity_id(ctx, "delete"),
        };
        let mut copy = Activity::new(kind, id, group_url.clone(), object);
        copy.context = Some(notes::context());
        copy.published = Some(notes::now_text());
        copy.to = vec![format!("{group_url}/followers")];
        return Ok(Some((as_group, copy)));
    }
    let local_author = post.ap_id.is_none();
    let boost = || notes::boost(boost_id(ctx, post), &group_url, &post_ap_id(ctx, post), true);
    Ok(match change {
        PostChange::Created => Some((as_group, boost())),
        PostChange::Updated if local_author => Some((Signer::Person(post.author_id), activity.clone())),
        PostChange::Updated => None,
        PostChange::Deleted if local_author && activity.actor != group_url => Some((Signer::Person(post.author_id), activity.clone())),
        PostChange::Deleted => {
            let mut boost = boost();
            boost.context = None;
            let (to, cc) = (boost.to.clone(), boost.cc.clone());
            let mut undo =
                Activity::new(ActivityKind::Undo, format!("{}/undo", boost_id(ctx, post)), group_url, Object::Activity(Box::new(boost)));
            undo.context = Some(notes::context());
            undo.published = Some(notes::now_text());
            (undo.to, undo.cc) = (to, cc);
            Some((as_group, undo))
        }
    })
}

/// A change to a post: a local member's post in a group of another instance goes to that
/// group's inbox; a post in a local federated group is announced by the group to its remote
/// members' servers, and to nobody else. An internal group never gets here.
fn post_changed(conn: &mut db::DbConn, ctx: &AppContext, post_id: db::PostId, change: PostChange) -> Result<Vec<Delivery>> {
    let (post, group, activity) = post_activity(conn, ctx, post_id, change)?;
    let sent = activity.to_value();
    let mut deliveries = if group.domain.is_some() {
        if post.ap_id.is_some() {
            return Ok(Vec::new());
        }
        vec![Delivery {
            inbox: inbox_of(&group.inbox_url, &group.shared_inbox_url)?,
            signer: Signer::Person(post.author_id),
            activity: sent.clone(),
        }]
    } else if group.scope == "federated" {
        let microblog = for_microblogs(conn, ctx, &post, &group, change, &activity)?;
        announce_to_members(conn, ctx, &group, activity.clone(), post.visibility == "public", microblog)?
    } else {
        return Ok(Vec::new());
    };
    // A local author's public threads go to their followers on other servers too, from the
    // author (as Mastodon sends a person's posts to their followers).
    let by_author = activity.actor != group_ap_id(ctx, &group);
    if post.visibility == "public" && post.ap_id.is_none() && post.in_reply_to_id.is_none() && by_author {
        for inbox in db::follows::remote_follower_inboxes(conn, post.author_id)? {
            let inbox = Url::parse(&inbox).map_err(|e| Error::internal(format!("bad inbox {inbox}: {e}")))?;
            let allowed = actors::domain_of(&inbox).is_some_and(|d| crate::service::policy::receives(&group, &d));
            if allowed && !deliveries.iter().any(|d| d.inbox == inbox) {
                deliveries.push(Delivery { inbox, signer: Signer::Person(post.author_id), activity: sent.clone() });
            }
        }
    }
    // People of other instances mentioned in a public post get it from its author (as Mastodon
    // sends mentions); in a private group only members do, through the group.
    if post.visibility == "public" && post.ap_id.is_none() {
        let mentioned: Vec<PersonId> = db::posts::mentions_of(conn, &[post.id])?.into_iter().map(|(_, p)| p).collect();
        for person in db::people::get_many(conn, &mentioned)? {
            let Some(domain) = person.domain.as_deref() else { continue };
            if !crate::service::policy::receives(&group, domain) {
                continue;
            }
            let inbox = inbox_of(&person.inbox_url, &person.shared_inbox_url)?;
            if !deliveries.iter().any(|d| d.inbox == inbox) {
                deliveries.push(Delivery { inbox, signer: Signer::Person(post.author_id), activity: sent.clone() });
            }
        }
    }
    Ok(deliveries)
}

/// The group passes an activity on to its remote members' servers and to nobody else: servers
/// that show threads with their replies (Gilde, Lemmy: `software::wants_replies`) get one
/// `Announce` of it, signed by the group (FEP-1b12); the others (microblogs, and servers whose
/// software is unknown) get `microblog`, where there is something for them.
fn announce_to_members(
    conn: &mut db::DbConn,
    ctx: &AppContext,
    group: &db::groups::Group,
    activity: Activity,
    public: bool,
    microblog: Option<(Signer, Activity)>,
) -> Result<Vec<Delivery>> {
    let announce = notes::announce(new_activity_id(ctx, "announce"), &group_ap_id(ctx, group), activity, public).to_value();
    let microblog = microblog.map(|(signer, activity)| (signer, activity.to_value()));
    let mut deliveries = Vec::new();
    let inboxes = db::memberships::remote_member_inboxes(conn, group.id)?;
    let domains: Vec<String> = inboxes.iter().filter_map(|i| Url::parse(i).ok()).filter_map(|u| actors::domain_of(&u)).collect();
    let software = db::servers::software_of(conn, &domains)?;
    for inbox in inboxes {
        let inbox = Url::parse(&inbox).map_err(|e| Error::internal(format!("bad inbox {inbox}: {e}")))?;
        // Members of before the group narrowed its partners get nothing more.
        let Some(domain) = actors::domain_of(&inbox) else { continue };
        if !crate::service::policy::receives(group, &domain) {
            continue;
        }
        if super::software::wants_replies(software.iter().find(|(d, _)| *d == domain).and_then(|(_, s)| s.as_deref())) {
            deliveries.push(Delivery { inbox, signer: Signer::Group(group.id), activity: announce.clone() });
        } else if let Some((signer, activity)) = &microblog {
            deliveries.push(Delivery { inbox, signer: signer.clone(), activity: activity.clone() });
        }
    }
    Ok(deliveries)
}

/// A like or unlike: a local person's goes to the group of another instance; in a local
/// federated group the group announces it to its remote members' servers.
fn liked(conn: &mut db::DbConn, ctx: &AppContext, post_id: db::PostId, person_id: PersonId, like: bool) -> Result<Vec<Delivery>> {
    let post = db::posts::find_any(conn, post_id)?.ok_or_else(|| Error::internal("effect for a missing post"))?;
    let group_id = post.group_id.ok_or_else(|| Error::internal("a group post without a group"))?;
    let group = db::groups::find(conn, group_id)?.ok_or_else(|| Error::internal("effect for a missing group"))?;
    let liker = db::people::get(conn, person_id)?;
    let liker_url = person_ap_id(ctx, &liker);
    let note_id = post_ap_id(ctx, &post);
    let like_id = format!("{}/activities/like/{}-{}", ctx.config.base_url(), post.id, person_id);
    let like_activity = Activity::new(ActivityKind::Like, like_id.clone(), liker_url.clone(), Object::Id(note_id));
    let mut activity = if like {
        like_activity
    } else {
        let undo_id = format!("{like_id}/undo/{}", db::now().and_utc().timestamp_micros());
        Activity::new(ActivityKind::Undo, undo_id, liker_url, Object::Activity(Box::new(like_activity)))
    };
    activity.context = Some(Value::String(AS_CONTEXT.to_string()));
    let group_url = group_ap_id(ctx, &group);
    if group.domain.is_some() {
        if liker.domain.is_some() {
            return Ok(Vec::new());
        }
        activity.to = vec![group_url];
        return Ok(vec![Delivery {
            inbox: inbox_of(&group.inbox_url, &group.shared_inbox_url)?,
            signer: Signer::Person(person_id),
            activity: activity.to_value(),
        }]);
    }
    if group.scope != "federated" {
        return Ok(Vec::new());
    }
    // A public group's likes are public (Lemmy refuses them otherwise); microblog servers show
    // no likes of others' posts, so they get none.
    announce_to_members(conn, ctx, &group, activity, post.visibility == "public", None)
}

/// Signs and sends one delivery with its actor's key (`key_id`: the actor's `#main-key`), as
/// Mastodon signs (`(request-target) host date digest`, `rsa-sha256`), with Gilde's own signing
/// (`keys`, on the background signers). A 2xx answer is delivered; a final 4xx is a refusal
/// (noted by `setup::NoteRefusals`); anything else is tried again.
async fn send_as(ctx: &AppContext, delivery: &Delivery, key_id: &str, private_pem: &str) -> Result<()> {
    let inbox = &delivery.inbox;
    let Some(host) = actors::domain_of(inbox) else { return Err(Error::internal("an inbox without a host")) };
    if inbox.scheme() != "https" && !(ctx.config.federation.insecure && inbox.scheme() == "http") {
        return Err(Error::forbidden("address_not_allowed", "Deliveries go to https addresses only."));
    }
    // Never to this instance itself, nor to a server blocked since the delivery was queued.
    if host.eq_ignore_ascii_case(&ctx.config.domain) || !ctx.config.federation.allows(&host) {
        tracing::debug!(inbox = %inbox, "a delivery to a server this instance does not deliver to is dropped");
        return Ok(());
    }
    let body = serde_json::to_vec(&delivery.activity).map_err(Error::internal)?;
    let headers = super::signatures::signed_post_headers_in_background(inbox, key_id, private_pem, &body).await?;
    let client = ctx.delivery_client.get().ok_or_else(|| Error::internal("federation is not set up"))?;
    let mut request = client.post(inbox.as_str()).header("content-type", activitypub_federation::FEDERATION_CONTENT_TYPE);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let response =
        request.body(body).send().await.map_err(|e| {
            Error::new(crate::ErrorKind::Unavailable, "remote_unavailable", "The other server did not answer.").with_cause(e)
        })?;
    let status = response.status();
    if status.is_success() || is_final_refusal(status) {
        return Ok(());
    }
    let text: String = response.text().await.unwrap_or_default().chars().take(300).collect();
    Err(Error::new(crate::ErrorKind::Unavailable, "remote_unavailable", "The other server did not take the delivery.")
        .with_cause(format!("{status}: {}", text.trim())))
}

/// A receiver's answer that refuses a delivery for good: a 4xx, but 408 and 429 (those are tried
/// again), as Mastodon counts them.
pub(crate) fn is_final_refusal(status: reqwest13::StatusCode) -> bool {
    status.is_client_error() && status != reqwest13::StatusCode::REQUEST_TIMEOUT && status != reqwest13::StatusCode::TOO_MANY_REQUESTS
}

tokio::task_local! {
    /// The refusal of the delivery being sent, noted by `setup::NoteRefusals`.
    pub(crate) static REFUSAL: std::cell::RefCell<Option<String>>;
}

/// Signs and sends one delivery. An error means: try again later. `Some(reason)`: the receiver
/// refused it for good (a 4xx answer, but 408 and 429): its status and the start of its answer.
pub async fn send(fed: &FedConfig, delivery: &Delivery) -> Result<Option<String>> {
    REFUSAL
        .scope(std::cell::RefCell::new(None), async {
            send_signed(fed, delivery).await?;
            Ok(REFUSAL.with(|r| r.borrow_mut().take()))
        })
        .await
}

/// The signer's key id and private key, in one read. A person or group whose keys were never
/// made gets them now; a group that no longer federates sends nothing.
async fn signing_key(ctx: &AppContext, signer: &Signer) -> Result<(String, String)> {
    let (key_of, ctx2) = (signer.clone(), ctx.clone());
    let found = ctx
        .db
        .read(move |conn| -> Result<_> {
            Ok(match key_of {
                Signer::Person(id) => {
                    let person = db::people::get(conn, id)?;
                    if person.domain.is_some() {
                        return Err(Error::internal("a delivery signed by a person of another server"));
                    }
                    (person_ap_id(&ctx2, &person), person.private_key, person.username)
                }
                Signer::Group(id) => {
                    let group = db::groups::find(conn, id)?.ok_or_else(|| Error::internal("delivery for a missing group"))?;
                    if group.domain.is_some() {
                        return Err(Error::internal("a delivery signed by a group of another server"));
                    }
                    // A group that no longer federates: its lookup below refuses.
                    let key = group.private_key.clone().filter(|_| policy::federates(&group, false));
                    (group_ap_id(&ctx2, &group), key, group.name)
                }
            })
        })
        .await?;
    let (id, key, name) = found;
    let key = match (key, signer) {
        (Some(key), _) => key,
        // No keys yet (or not a signer here): the checks and key making of the actor lookups.
        (None, Signer::Person(_)) => actors::local_person(ctx, &name).await?.private_key.ok_or_else(no_key)?,
        (None, Signer::Group(_)) => actors::local_group(ctx, &name).await?.group.private_key.ok_or_else(no_key)?,
    };
    Ok((format!("{id}#main-key"), key))
}

fn no_key() -> Error {
    Error::internal("a local actor without a private key")
}

async fn send_signed(fed: &FedConfig, delivery: &Delivery) -> Result<()> {
    let ctx: &AppContext = fed;
    let (key_id, private_pem) = signing_key(ctx, &delivery.signer).await?;
    send_as(ctx, delivery, &key_id, &private_pem).await
}
