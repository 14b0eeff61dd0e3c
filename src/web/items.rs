//! Posts, groups and people as the pages show them: only what a template needs, in the
//! reader's language.

use super::i18n::Lang;
use crate::service::{GroupView, PersonView, PostView};

/// A post in a stream or a thread.
pub(crate) struct PostItem {
    pub id: i64,
    pub author: String,
    pub author_id: i64,
    /// The author's home instance, for people of other instances.
    pub author_domain: Option<String>,
    pub group: Option<String>,
    pub group_id: i64,
    pub internal: bool,
    /// Sanitised when the post was stored; rendered as is.
    pub html: String,
    pub datetime: String,
    pub when: String,
    pub replies: i64,
    pub likes: i64,
    pub liked: bool,
}

impl PostItem {
    pub fn new(v: &PostView, lang: Lang) -> PostItem {
        let group = v.group.as_ref().map(|g| match &g.group.domain {
            Some(domain) => format!("{} ({domain})", g.group.display_name),
            None => g.group.display_name.clone(),
        });
        PostItem {
            id: v.post.id.0,
            author: v.author.person.display_name.clone(),
            author_id: v.author.person.id.0,
            author_domain: v.author.person.domain.clone(),
            group,
            group_id: v.post.group_id.map_or(0, |g| g.0),
            internal: v.group.as_ref().is_some_and(|g| g.group.scope == "internal"),
            html: v.post.content_html.clone(),
            datetime: crate::http::mastodon::entities::time(v.post.created_at),
            when: lang.date_time(v.post.created_at),
            replies: v.replies_count,
            likes: v.favourites_count,
            liked: v.favourited,
        }
    }

    pub fn list(views: &[PostView], lang: Lang) -> Vec<PostItem> {
        views.iter().map(|v| PostItem::new(v, lang)).collect()
    }
}

/// A group in a list or at the top of its page.
pub(crate) struct GroupItem {
    pub id: i64,
    pub name: String,
    /// `name` or `name@domain`: how others find it.
    pub address: String,
    pub domain: Option<String>,
    pub internal: bool,
    pub locked: bool,
    pub visibility: &'static str,
    pub announcements: bool,
    pub members: i64,
}

impl GroupItem {
    pub fn new(v: &GroupView, lang: Lang) -> GroupItem {
        GroupItem {
            id: v.group.id.0,
            name: v.group.display_name.clone(),
            address: match &v.group.domain {
                Some(domain) => format!("{}@{domain}", v.group.name),
                None => v.group.name.clone(),
            },
            domain: v.group.domain.clone(),
            internal: v.group.scope == "internal",
            locked: v.group.visibility != "public",
            visibility: lang.t(match v.group.visibility.as_str() {
                "public" => "visibility_public",
                "private" => "visibility_private",
                _ => "visibility_secret",
            }),
            announcements: v.group.announcements_only,
            members: v.members_count,
        }
    }

    pub fn list(views: &[GroupView], lang: Lang) -> Vec<GroupItem> {
        views.iter().map(|v| GroupItem::new(v, lang)).collect()
    }
}

/// A person in a list or at the top of their profile.
pub(crate) struct PersonItem {
    pub id: i64,
    pub name: String,
    /// `@username` or `@username@domain`.
    pub handle: String,
    pub domain: Option<String>,
    pub department: String,
    pub expertise: Vec<String>,
    /// Sanitised when it was stored.
    pub bio: String,
    pub followers: i64,
    pub posts: i64,
}

impl PersonItem {
    pub fn new(v: &PersonView) -> PersonItem {
        let p = &v.person;
        PersonItem {
            id: p.id.0,
            name: if p.display_name.is_empty() { p.username.clone() } else { p.display_name.clone() },
            handle: match &p.domain {
                Some(domain) => format!("@{}@{domain}", p.username),
                None => format!("@{}", p.username),
            },
            domain: p.domain.clone(),
            department: p.department.clone(),
            expertise: v.expertise.clone(),
            bio: p.bio_html.clone(),
            followers: v.followers_count,
            posts: v.posts_count,
        }
    }

    pub fn list(views: &[PersonView]) -> Vec<PersonItem> {
        views.iter().map(PersonItem::new).collect()
    }
}
