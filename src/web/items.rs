//! Posts, groups and people as the pages show them: only what a template needs, in the
//! reader's language.

use super::i18n::Lang;
use crate::db::media::Media;
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
    /// The author's picture.
    pub avatar: String,
    pub images: Vec<ImageItem>,
    pub documents: Vec<DocumentItem>,
}

/// The address of a picture for the web UI: a file kept here, or the default picture. (A remote
/// actor's icon shows once it is fetched and kept here: pages load no images from other
/// servers, which would tell them who reads what.)
pub(crate) fn picture(stored: Option<&str>) -> String {
    match stored {
        Some(path) if path.starts_with("/files/") => path.to_string(),
        _ => "/static/avatar.png".to_string(),
    }
}

/// An image in a post: a thumbnail that opens the image.
pub(crate) struct ImageItem {
    pub url: String,
    pub preview: String,
    pub alt: String,
    pub width: i64,
    pub height: i64,
}

/// A document in a post, as a card.
pub(crate) struct DocumentItem {
    pub url: String,
    pub name: String,
    /// `PDF`, `Word`, ...
    pub kind: &'static str,
    /// `1.2 MB`, `640 kB`.
    pub size: String,
}

/// A size for people: kB under a megabyte, else MB with one decimal.
pub(crate) fn human_size(bytes: i64, lang: Lang) -> String {
    let text = if bytes < 1_000_000 { format!("{} kB", (bytes + 999) / 1000) } else { format!("{:.1} MB", bytes as f64 / 1_000_000.0) };
    if lang == Lang::Nl {
        text.replace('.', ",")
    } else {
        text
    }
}

fn attachments(media: &[Media], lang: Lang) -> (Vec<ImageItem>, Vec<DocumentItem>) {
    let mut images = Vec::new();
    let mut documents = Vec::new();
    for m in media {
        let url = match (&m.remote_url, &m.file_key) {
            (Some(remote), None) => remote.clone(),
            _ => crate::urls::file_path(&m.token, &m.file_name),
        };
        // A remote image not (yet) kept here is a link to it, as a document is.
        if m.is_image() && m.file_key.is_some() {
            let preview = if m.preview_key.is_some() { crate::urls::file_preview_path(&m.token) } else { url.clone() };
            images.push(ImageItem {
                url,
                preview,
                alt: m.description.clone(),
                width: m.preview_width.or(m.width).unwrap_or(0),
                height: m.preview_height.or(m.height).unwrap_or(0),
            });
        } else {
            documents.push(DocumentItem {
                url,
                name: if m.is_image() && !m.description.is_empty() { m.description.clone() } else { m.file_name.clone() },
                kind: crate::media::document_label(&m.content_type),
                size: if m.size > 0 { human_size(m.size, lang) } else { String::new() },
            });
        }
    }
    (images, documents)
}

impl PostItem {
    pub fn new(v: &PostView, lang: Lang) -> PostItem {
        let group = v.group.as_ref().map(|g| match &g.group.domain {
            Some(domain) => format!("{} ({domain})", g.group.display_name),
            None => g.group.display_name.clone(),
        });
        let (images, documents) = attachments(&v.media, lang);
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
            avatar: picture(v.author.person.avatar_url.as_deref()),
            images,
            documents,
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
    pub avatar: String,
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
            avatar: picture(v.group.avatar_url.as_deref()),
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
    pub job_title: String,
    pub org_unit: String,
    pub mentor: bool,
    pub expertise: Vec<String>,
    /// Sanitised when it was stored.
    pub bio: String,
    pub followers: i64,
    pub posts: i64,
    pub avatar: String,
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
            job_title: p.job_title.clone(),
            org_unit: p.org_unit.clone(),
            mentor: p.mentor,
            expertise: v.expertise.clone(),
            bio: p.bio_html.clone(),
            followers: v.followers_count,
            posts: v.posts_count,
            avatar: picture(p.avatar_url.as_deref()),
        }
    }

    pub fn list(views: &[PersonView]) -> Vec<PersonItem> {
        views.iter().map(PersonItem::new).collect()
    }
}
