//! Domain types handed to the front doors: rows with what a reader needs beside them, loaded in
//! a few batched queries (never one query per item).

use std::collections::{HashMap, HashSet};

use crate::db::groups::Group;
use crate::db::memberships::Membership;
use crate::db::notifications::Notification;
use crate::db::people::Person;
use crate::db::posts::Post;
use crate::db::{self, DbConn, GroupId, PersonId, PostId};
use crate::error::Result;

#[derive(Debug, Clone)]
pub struct PersonView {
    pub person: Person,
    pub expertise: Vec<String>,
    pub followers_count: i64,
    pub following_count: i64,
    pub posts_count: i64,
}

#[derive(Debug, Clone)]
pub struct GroupView {
    pub group: Group,
    pub members_count: i64,
    /// The viewer's membership, in any state.
    pub membership: Option<Membership>,
}

impl GroupView {
    /// A group with the viewer's membership in it (the member count is kept on the row).
    fn new(group: Group, membership: Option<Membership>) -> Self {
        GroupView { members_count: group.members_count, membership, group }
    }
}

#[derive(Debug, Clone)]
pub struct PostView {
    pub post: Post,
    pub author: PersonView,
    pub group: Option<GroupView>,
    pub replies_count: i64,
    pub favourites_count: i64,
    pub favourited: bool,
    pub mentions: Vec<Person>,
    /// The author of the post this one answers.
    pub in_reply_to_author: Option<PersonId>,
    /// Attached files, in order.
    pub media: Vec<crate::db::media::Media>,
}

#[derive(Debug, Clone)]
pub struct NotificationView {
    pub notification: Notification,
    pub actor: PersonView,
    pub post: Option<PostView>,
    pub group: Option<GroupView>,
}

pub(crate) fn people(conn: &mut DbConn, persons: Vec<Person>) -> Result<Vec<PersonView>> {
    let ids: Vec<PersonId> = persons.iter().map(|p| p.id).collect();
    let mut tags: HashMap<PersonId, Vec<String>> = HashMap::new();
    for (id, tag) in db::people::expertise(conn, &ids)? {
        tags.entry(id).or_default().push(tag);
    }
    Ok(persons
        .into_iter()
        .map(|person| PersonView {
            expertise: tags.remove(&person.id).unwrap_or_default(),
            followers_count: person.followers_count,
            following_count: person.following_count,
            posts_count: person.posts_count,
            person,
        })
        .collect())
}

/// One person, read again first: a write in the same transaction (a follow) may have changed
/// the counts the database keeps on the row.
pub(crate) fn person(conn: &mut DbConn, person: Person) -> Result<PersonView> {
    let person = db::people::find(conn, person.id)?.unwrap_or(person);
    Ok(people(conn, vec![person])?.remove(0))
}

pub(crate) fn groups(conn: &mut DbConn, viewer: PersonId, groups: Vec<Group>) -> Result<Vec<GroupView>> {
    let ids: Vec<GroupId> = groups.iter().map(|g| g.id).collect();
    let mut mine: HashMap<GroupId, Membership> =
        db::memberships::of_person_in(conn, viewer, &ids)?.into_iter().map(|m| (m.group_id, m)).collect();
    Ok(groups
        .into_iter()
        .map(|group| {
            let membership = mine.remove(&group.id);
            GroupView::new(group, membership)
        })
        .collect())
}

/// One group, read again first: a write in the same transaction (a join, its first owner) may
/// have changed the member count the database keeps on the row.
pub(crate) fn group(conn: &mut DbConn, viewer: PersonId, group: Group) -> Result<GroupView> {
    let group = db::groups::find(conn, group.id)?.unwrap_or(group);
    Ok(groups(conn, viewer, vec![group])?.remove(0))
}

/// Hydrates posts the viewer may see (the caller checked that).
pub(crate) fn posts(conn: &mut DbConn, viewer: PersonId, posts: Vec<Post>) -> Result<Vec<PostView>> {
    let ids: Vec<PostId> = posts.iter().map(|p| p.id).collect();
    let mention_pairs = db::posts::mentions_of(conn, &ids)?;
    let mut person_ids: Vec<PersonId> = posts.iter().map(|p| p.author_id).chain(mention_pairs.iter().map(|(_, p)| *p)).collect();
    person_ids.sort_unstable();
    person_ids.dedup();
    let persons = people_by_ids(conn, &person_ids)?;
    let persons: HashMap<PersonId, PersonView> = persons.into_iter().map(|p| (p.person.id, p)).collect();
    let mut group_ids: Vec<GroupId> = posts.iter().filter_map(|p| p.group_id).collect();
    group_ids.sort_unstable();
    group_ids.dedup();
    let group_views = groups_by_ids(conn, viewer, &group_ids)?;
    let group_views: HashMap<GroupId, GroupView> = group_views.into_iter().map(|g| (g.group.id, g)).collect();
    let liked: HashSet<PostId> = db::posts::favourited_by(conn, viewer, &ids)?.into_iter().collect();
    let parent_ids: Vec<PostId> = posts.iter().filter_map(|p| p.in_reply_to_id).collect();
    let parent_authors: HashMap<PostId, PersonId> = db::posts::authors_of(conn, &parent_ids)?.into_iter().collect();
    let mut media: HashMap<PostId, Vec<crate::db::media::Media>> = HashMap::new();
    for m in db::media::of_posts(conn, &ids)? {
        if let Some(post) = m.post_id {
            media.entry(post).or_default().push(m);
        }
    }
    let mut out = Vec::with_capacity(posts.len());
    for post in posts {
        let Some(author) = persons.get(&post.author_id).cloned() else { continue };
        let mentions = mention_pairs
            .iter()
            .filter(|(p, _)| *p == post.id)
            .filter_map(|(_, person)| persons.get(person).map(|v| v.person.clone()))
            .collect();
        out.push(PostView {
            author,
            group: post.group_id.and_then(|g| group_views.get(&g).cloned()),
            replies_count: post.replies_count,
            favourites_count: post.favourites_count,
            favourited: liked.contains(&post.id),
            mentions,
            in_reply_to_author: post.in_reply_to_id.and_then(|p| parent_authors.get(&p).copied()),
            media: media.remove(&post.id).unwrap_or_default(),
            post,
        });
    }
    Ok(out)
}

pub(crate) fn people_by_ids(conn: &mut DbConn, ids: &[PersonId]) -> Result<Vec<PersonView>> {
    let found = db::people::get_many(conn, ids)?;
    people(conn, found)
}

pub(crate) fn groups_by_ids(conn: &mut DbConn, viewer: PersonId, ids: &[GroupId]) -> Result<Vec<GroupView>> {
    Ok(db::groups::get_many_with_membership(conn, ids, viewer)?
        .into_iter()
        .map(|(group, membership)| GroupView::new(group, membership))
        .collect())
}
