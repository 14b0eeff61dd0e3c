//! JSON entities in Mastodon's shapes (field names as in Mastodon's API), plus Gilde's groups
//! extension. Conversions from domain views live here and nowhere else.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use chrono::NaiveDateTime;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::config::Config;
use crate::db::people::Person;
use crate::service::people::Relationship as RelationshipView;
use crate::service::{GroupView, NotificationView, PersonView, PostView};
use crate::urls;

/// A moment as Mastodon writes it: `2026-12-02T09:30:00.000Z` (written directly: this runs for
/// every date of every status of a timeline).
pub fn time(t: NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write;
    let mut out = String::with_capacity(24);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond() / 1_000_000 % 1000
    );
    out
}

/// URLs of people, groups and posts. Local ones are derived from the instance's domain.
pub struct Urls<'a>(pub &'a Config);

impl Urls<'_> {
    /// The person's profile page.
    pub fn person(&self, p: &Person) -> String {
        match (&p.domain, &p.ap_id) {
            (None, _) => urls::person_page(self.0, &p.username),
            (Some(_), Some(ap)) => ap.clone(),
            (Some(d), None) => format!("https://{d}/@{}", p.username),
        }
    }
    /// The person's ActivityPub id.
    pub fn person_id(&self, p: &Person) -> String {
        match &p.ap_id {
            Some(ap) => ap.clone(),
            None => urls::person_id(self.0, &p.username),
        }
    }
    pub fn acct(&self, p: &Person) -> String {
        match &p.domain {
            None => p.username.clone(),
            Some(d) => format!("{}@{d}", p.username),
        }
    }
    /// A person's or a group's picture (the default one when they have none).
    pub fn picture(&self, stored: Option<&str>) -> String {
        urls::picture(self.0, stored)
    }
    pub fn file(&self, token: &str, file_name: &str) -> String {
        format!("{}{}", self.0.base_url(), urls::file_path(token, file_name))
    }
    pub fn file_preview(&self, token: &str) -> String {
        format!("{}{}", self.0.base_url(), urls::file_preview_path(token))
    }
    pub fn header(&self) -> String {
        format!("{}/static/header.png", self.0.base_url())
    }
}

#[derive(Serialize, Clone)]
pub struct Field {
    pub name: String,
    pub value: String,
    pub verified_at: Option<String>,
}

#[derive(Serialize, Clone)]
pub struct Account {
    pub id: String,
    pub username: String,
    pub acct: String,
    pub display_name: String,
    pub locked: bool,
    pub bot: bool,
    pub discoverable: bool,
    pub indexable: bool,
    pub group: bool,
    pub created_at: String,
    pub note: String,
    pub url: String,
    pub uri: String,
    pub avatar: String,
    pub avatar_static: String,
    pub header: String,
    pub header_static: String,
    pub followers_count: i64,
    pub following_count: i64,
    pub statuses_count: i64,
    pub last_status_at: Option<String>,
    pub emojis: Vec<Value>,
    pub fields: Vec<Field>,
    /// Gilde: the person's department.
    pub department: String,
    /// Gilde: job title and organisation unit.
    pub job_title: String,
    pub org_unit: String,
    /// Gilde: available as a mentor.
    pub mentor: bool,
    /// Gilde: areas of expertise.
    pub expertise: Vec<String>,
}

pub fn account(urls: &Urls<'_>, v: &PersonView) -> Account {
    let p = &v.person;
    let url = urls.person(p);
    let mut fields = Vec::new();
    for (name, value) in [("Department", &p.department), ("Job title", &p.job_title), ("Organisation unit", &p.org_unit)] {
        if !value.is_empty() {
            fields.push(Field { name: name.into(), value: crate::service::text::escape_html(value), verified_at: None });
        }
    }
    if p.mentor {
        fields.push(Field { name: "Mentor".into(), value: "Available as a mentor".into(), verified_at: None });
    }
    if !v.expertise.is_empty() {
        fields.push(Field {
            name: "Expertise".into(),
            value: crate::service::text::escape_html(&v.expertise.join(", ")),
            verified_at: None,
        });
    }
    Account {
        id: p.id.to_string(),
        username: p.username.clone(),
        acct: urls.acct(p),
        display_name: p.display_name.clone(),
        locked: false,
        bot: false,
        discoverable: true,
        indexable: false,
        group: false,
        created_at: time(p.created_at.date().and_hms_opt(0, 0, 0).unwrap_or(p.created_at)),
        note: p.bio_html.clone(),
        uri: urls.person_id(p),
        url,
        avatar: urls.picture(p.avatar_url.as_deref()),
        avatar_static: urls.picture(p.avatar_url.as_deref()),
        header: urls.header(),
        header_static: urls.header(),
        followers_count: v.followers_count,
        following_count: v.following_count,
        statuses_count: v.posts_count,
        last_status_at: None,
        emojis: Vec::new(),
        fields,
        department: p.department.clone(),
        job_title: p.job_title.clone(),
        org_unit: p.org_unit.clone(),
        mentor: p.mentor,
        expertise: v.expertise.clone(),
    }
}

/// Groups are accounts too (`group: true`), for Mastodon apps that know nothing of the groups
/// extension. Their account ids live far above any person's id (and below 2^53, so apps
/// written in JavaScript keep them exact): account id = `GROUP_ACCOUNT_BASE` + group id.
pub const GROUP_ACCOUNT_BASE: i64 = 1 << 50;

/// What an account id of the client API names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountRef {
    Person(crate::db::PersonId),
    Group(crate::db::GroupId),
}

impl AccountRef {
    pub fn from_id(id: i64) -> AccountRef {
        if id >= GROUP_ACCOUNT_BASE {
            AccountRef::Group(crate::db::GroupId(id - GROUP_ACCOUNT_BASE))
        } else {
            AccountRef::Person(crate::db::PersonId(id))
        }
    }
}

pub fn group_account_id(group: crate::db::GroupId) -> String {
    (GROUP_ACCOUNT_BASE + group.0).to_string()
}

/// A group as a Mastodon account: its address as `acct`, its description as `note`, `locked`
/// for private and secret groups, its members as followers.
pub fn group_account(urls: &Urls<'_>, v: &GroupView) -> Account {
    let g = group(urls, v);
    Account {
        id: group_account_id(v.group.id),
        username: v.group.name.clone(),
        acct: g.acct,
        display_name: g.display_name,
        locked: g.locked,
        bot: false,
        discoverable: v.group.visibility != "secret" && v.group.scope == "federated",
        indexable: false,
        group: true,
        created_at: time(v.group.created_at.date().and_hms_opt(0, 0, 0).unwrap_or(v.group.created_at)),
        note: g.note,
        url: g.url,
        uri: g.uri,
        avatar: urls.picture(v.group.avatar_url.as_deref()),
        avatar_static: urls.picture(v.group.avatar_url.as_deref()),
        header: urls.header(),
        header_static: urls.header(),
        followers_count: v.members_count,
        following_count: 0,
        statuses_count: 0,
        last_status_at: None,
        emojis: Vec::new(),
        fields: Vec::new(),
        department: String::new(),
        job_title: String::new(),
        org_unit: String::new(),
        mentor: false,
        expertise: Vec::new(),
    }
}

/// The viewer's relationship with a group account: following = a member, requested = asked.
pub fn group_relationship(v: &GroupView) -> Relationship {
    let state = v.membership.as_ref().map(|m| m.state.as_str());
    Relationship {
        id: group_account_id(v.group.id),
        following: state == Some("active"),
        showing_reblogs: true,
        notifying: false,
        languages: None,
        followed_by: false,
        blocking: false,
        blocked_by: state == Some("banned"),
        muting: false,
        muting_notifications: false,
        requested: state == Some("pending"),
        requested_by: false,
        domain_blocking: false,
        endorsed: false,
        note: String::new(),
    }
}

/// The signed-in person's own account, with `source` for editing and `role`.
pub fn credential_account(urls: &Urls<'_>, v: &PersonView, is_admin: bool, locale: Option<String>) -> Value {
    let mut value = serde_json::to_value(account(urls, v)).unwrap_or(Value::Null);
    value["source"] = serde_json::json!({
        "privacy": "public",
        "sensitive": false,
        "language": locale,
        "note": v.person.bio,
        "fields": [],
        "follow_requests_count": 0,
        "indexable": false,
        "hide_collections": false,
        "discoverable": true,
        "attribution_domains": [],
    });
    value["role"] = serde_json::json!({
        "id": if is_admin { "3" } else { "-99" },
        "name": if is_admin { "Admin" } else { "" },
        "color": "",
        "permissions": if is_admin { "1" } else { "0" },
        "highlighted": is_admin,
    });
    value
}

#[derive(Serialize, Clone)]
pub struct Mention {
    pub id: String,
    pub username: String,
    pub url: String,
    pub acct: String,
}

#[derive(Serialize, Clone)]
pub struct Membership {
    pub role: String,
    pub state: String,
}

/// Gilde's groups extension: the Group entity.
#[derive(Serialize, Clone)]
pub struct Group {
    pub id: String,
    /// The group's handle: `name` here, `name@domain` for a remote group.
    pub acct: String,
    pub display_name: String,
    pub note: String,
    pub url: String,
    pub uri: String,
    pub avatar: String,
    pub avatar_static: String,
    pub header: String,
    pub header_static: String,
    /// `public`, `private` or `secret`.
    pub visibility: String,
    /// `internal` (stays on this instance) or `federated`.
    pub scope: String,
    pub locked: bool,
    pub announcements_only: bool,
    pub members_count: i64,
    pub created_at: String,
    pub domain: Option<String>,
    /// The domains a federated group of this instance federates with (empty: as the instance).
    pub partner_domains: Vec<String>,
    /// The viewer's membership, or null.
    pub membership: Option<Membership>,
}

pub fn group(urls: &Urls<'_>, v: &GroupView) -> Group {
    let g = &v.group;
    let url = match (&g.domain, &g.ap_id) {
        (None, _) => crate::urls::group_id(urls.0, &g.name),
        (Some(_), Some(ap)) => ap.clone(),
        (Some(d), None) => format!("https://{d}/groups/{}", g.name),
    };
    Group {
        id: g.id.to_string(),
        acct: match &g.domain {
            None => g.name.clone(),
            Some(d) => format!("{}@{d}", g.name),
        },
        display_name: g.display_name.clone(),
        note: g.note_html.clone(),
        uri: g.ap_id.clone().unwrap_or_else(|| url.clone()),
        url,
        avatar: urls.picture(g.avatar_url.as_deref()),
        avatar_static: urls.picture(g.avatar_url.as_deref()),
        header: urls.header(),
        header_static: urls.header(),
        locked: g.visibility != "public",
        visibility: g.visibility.clone(),
        scope: g.scope.clone(),
        announcements_only: g.announcements_only,
        members_count: v.members_count,
        created_at: time(g.created_at),
        domain: g.domain.clone(),
        partner_domains: g.partner_domains.lines().map(str::to_string).collect(),
        membership: v.membership.as_ref().map(|m| Membership { role: m.role.clone(), state: m.state.clone() }),
    }
}

#[derive(Serialize, Clone)]
pub struct Status {
    pub id: String,
    pub uri: String,
    pub url: String,
    pub created_at: String,
    pub edited_at: Option<String>,
    pub account: Shared<Account>,
    pub content: String,
    /// Gilde: the markdown source.
    pub text: String,
    pub visibility: String,
    pub sensitive: bool,
    pub spoiler_text: String,
    pub media_attachments: Vec<MediaAttachment>,
    pub application: Option<Value>,
    pub mentions: Vec<Mention>,
    pub tags: Vec<Value>,
    pub emojis: Vec<Value>,
    pub reblogs_count: i64,
    pub favourites_count: i64,
    pub replies_count: i64,
    pub in_reply_to_id: Option<String>,
    pub in_reply_to_account_id: Option<String>,
    pub reblog: Option<Box<Status>>,
    pub poll: Option<Value>,
    pub card: Option<Value>,
    pub language: Option<String>,
    pub favourited: bool,
    pub reblogged: bool,
    pub muted: bool,
    pub bookmarked: bool,
    pub pinned: bool,
    pub filtered: Vec<Value>,
    /// Gilde: the group this post belongs to.
    pub group_id: Option<String>,
    pub group: Option<Shared<Group>>,
}

/// An entity that appears many times in one response (a group in each of its posts, twice when
/// the post is the group's boost; an author in each of their posts): built once, written as
/// JSON once, and copied as JSON text after that. Only for JSON (`serde_json`) output.
pub struct Shared<T>(Arc<(T, OnceLock<Option<Box<RawValue>>>)>);

impl<T> Shared<T> {
    pub fn new(value: T) -> Self {
        Shared(Arc::new((value, OnceLock::new())))
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Arc::clone(&self.0))
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0 .0
    }
}

impl<T: Serialize> Serialize for Shared<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (value, json) = &*self.0;
        match json.get_or_init(|| serde_json::value::to_raw_value(value).ok()) {
            Some(raw) => raw.serialize(serializer),
            None => value.serialize(serializer),
        }
    }
}

/// Builds the statuses of one response, each account and group among them once (`Shared`).
#[derive(Default)]
pub struct Statuses {
    accounts: HashMap<crate::db::PersonId, Shared<Account>>,
    groups: HashMap<crate::db::GroupId, Shared<Group>>,
    group_accounts: HashMap<crate::db::GroupId, Shared<Account>>,
}

impl Statuses {
    fn account(&mut self, urls: &Urls<'_>, v: &PersonView) -> Shared<Account> {
        self.accounts.entry(v.person.id).or_insert_with(|| Shared::new(account(urls, v))).clone()
    }

    fn group(&mut self, urls: &Urls<'_>, v: &GroupView) -> Shared<Group> {
        self.groups.entry(v.group.id).or_insert_with(|| Shared::new(group(urls, v))).clone()
    }

    fn group_account(&mut self, urls: &Urls<'_>, v: &GroupView) -> Shared<Account> {
        self.group_accounts.entry(v.group.id).or_insert_with(|| Shared::new(group_account(urls, v))).clone()
    }

    /// A post as a status.
    pub fn status(&mut self, urls: &Urls<'_>, v: &PostView) -> Status {
        let p = &v.post;
        let url = match &p.ap_id {
            Some(ap) => ap.clone(),
            None => format!("{}/@{}/{}", urls.0.base_url(), v.author.person.username, p.id),
        };
        Status {
            id: p.id.to_string(),
            uri: p.ap_id.clone().unwrap_or_else(|| crate::urls::post_id(urls.0, p.id)),
            url,
            created_at: time(p.created_at),
            edited_at: p.edited_at.map(time),
            account: self.account(urls, &v.author),
            content: p.content_html.clone(),
            text: p.source.clone(),
            visibility: p.visibility.clone(),
            sensitive: false,
            spoiler_text: String::new(),
            media_attachments: v.media.iter().map(|m| media_attachment(urls, m)).collect(),
            application: None,
            mentions: v
                .mentions
                .iter()
                .map(|m| Mention { id: m.id.to_string(), username: m.username.clone(), url: urls.person(m), acct: urls.acct(m) })
                .collect(),
            tags: Vec::new(),
            emojis: Vec::new(),
            reblogs_count: 0,
            favourites_count: v.favourites_count,
            replies_count: v.replies_count,
            in_reply_to_id: p.in_reply_to_id.map(|i| i.to_string()),
            in_reply_to_account_id: v.in_reply_to_author.map(|i| i.to_string()),
            reblog: None,
            poll: None,
            card: None,
            language: None,
            favourited: v.favourited,
            reblogged: false,
            muted: false,
            bookmarked: false,
            pinned: false,
            filtered: Vec::new(),
            group_id: p.group_id.map(|g| g.to_string()),
            group: v.group.as_ref().map(|g| self.group(urls, g)),
        }
    }

    /// A post for a Mastodon timeline: a group's post as the group's boost of it; others as they
    /// are.
    pub fn in_timeline(&mut self, urls: &Urls<'_>, v: &PostView) -> Status {
        let original = self.status(urls, v);
        let Some(g) = &v.group else { return original };
        // The boost carries what Mastodon's boosts carry: who boosted, when, and the post inside;
        // its own text, files, mentions and counts stay empty.
        Status {
            id: (GROUP_BOOST_BASE + v.post.id.0).to_string(),
            uri: format!("{}#announce", original.uri),
            url: original.url.clone(),
            created_at: original.created_at.clone(),
            edited_at: None,
            account: self.group_account(urls, g),
            content: String::new(),
            text: String::new(),
            visibility: original.visibility.clone(),
            sensitive: false,
            spoiler_text: String::new(),
            media_attachments: Vec::new(),
            application: None,
            mentions: Vec::new(),
            tags: Vec::new(),
            emojis: Vec::new(),
            reblogs_count: 0,
            favourites_count: 0,
            replies_count: 0,
            in_reply_to_id: None,
            in_reply_to_account_id: None,
            reblog: None,
            poll: None,
            card: None,
            language: None,
            favourited: false,
            reblogged: false,
            muted: false,
            bookmarked: false,
            pinned: false,
            filtered: Vec::new(),
            group_id: original.group_id.clone(),
            group: original.group.clone(),
        }
        .with_reblog(original)
    }
}

/// A post as a status (one alone: a list is built with `Statuses`).
pub fn status(urls: &Urls<'_>, v: &PostView) -> Status {
    Statuses::default().status(urls, v)
}

/// Posts as the statuses of one response; with `as_group_boosts`, a group's post as the group's
/// boost of it (`Statuses::in_timeline`), as Mastodon timelines show them.
pub fn statuses(urls: &Urls<'_>, views: &[PostView], as_group_boosts: bool) -> Vec<Status> {
    let mut builder = Statuses::default();
    views.iter().map(|v| if as_group_boosts { builder.in_timeline(urls, v) } else { builder.status(urls, v) }).collect()
}

/// A group's post, as Mastodon apps show a Lemmy community's: boosted by the group (its
/// account), the post itself in `reblog`. The boost's id is `GROUP_BOOST_BASE` + the post's id
/// (ids of statuses given back by apps are mapped back: `post_id_of`).
pub const GROUP_BOOST_BASE: i64 = 1 << 51;

/// The post a status id names (a group's boost names its post).
pub fn post_id_of(id: i64) -> crate::db::PostId {
    crate::db::PostId(if id >= GROUP_BOOST_BASE { id - GROUP_BOOST_BASE } else { id })
}

impl Status {
    fn with_reblog(mut self, original: Status) -> Status {
        self.reblog = Some(Box::new(original));
        self
    }
}

#[derive(Serialize)]
pub struct Relationship {
    pub id: String,
    pub following: bool,
    pub showing_reblogs: bool,
    pub notifying: bool,
    pub languages: Option<Vec<String>>,
    pub followed_by: bool,
    pub blocking: bool,
    pub blocked_by: bool,
    pub muting: bool,
    pub muting_notifications: bool,
    pub requested: bool,
    pub requested_by: bool,
    pub domain_blocking: bool,
    pub endorsed: bool,
    pub note: String,
}

pub fn relationship(r: &RelationshipView) -> Relationship {
    Relationship {
        id: r.id.to_string(),
        following: r.following,
        showing_reblogs: r.following,
        notifying: false,
        languages: None,
        followed_by: r.followed_by,
        blocking: false,
        blocked_by: false,
        muting: false,
        muting_notifications: false,
        requested: r.requested,
        requested_by: false,
        domain_blocking: false,
        endorsed: false,
        note: String::new(),
    }
}

#[derive(Serialize)]
pub struct Notification {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub group_key: String,
    pub created_at: String,
    pub account: Account,
    pub status: Option<Status>,
    /// Gilde: the group, for group notifications.
    pub group: Option<Group>,
    /// Gilde: whether it was read.
    pub read: bool,
}

/// Mastodon's notification type for each of Gilde's kinds. A reply is a mention in Mastodon
/// (the reply mentions whom it answers); group events carry Gilde's own types.
/// How notification types are named: as Mastodon apps know them (a join request is a
/// `follow_request`, an approval a `follow` by the group), or with Gilde's group types for
/// clients of the groups extension (which ask for them by name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    Mastodon,
    Groups,
}

pub fn notification_type(kind: &str, naming: Naming) -> &str {
    match (kind, naming) {
        ("reply", _) => "mention",
        ("join_request", Naming::Mastodon) => "follow_request",
        ("request_approved", Naming::Mastodon) => "follow",
        ("join_request", Naming::Groups) => "group_join_request",
        ("request_approved", Naming::Groups) => "group_request_approved",
        ("invitation", _) => "group_invitation",
        (other, _) => other,
    }
}

/// Gilde's kinds for a Mastodon type (the inverse of `notification_type`).
pub fn notification_kinds(mastodon_type: &str) -> Vec<String> {
    let kinds: &[&str] = match mastodon_type {
        "mention" => &["mention", "reply"],
        "follow_request" => &["join_request"],
        "follow" => &["follow", "request_approved"],
        "group_join_request" => &["join_request"],
        "group_request_approved" => &["request_approved"],
        "group_invitation" => &["invitation"],
        other => return vec![other.to_string()],
    };
    kinds.iter().map(|k| k.to_string()).collect()
}

pub fn notification(urls: &Urls<'_>, v: &NotificationView, naming: Naming) -> Notification {
    let n = &v.notification;
    // In a Mastodon app, an approved request reads as the group following back.
    let account = match (&v.group, n.kind.as_str(), naming) {
        (Some(g), "request_approved", Naming::Mastodon) => group_account(urls, g),
        _ => account(urls, &v.actor),
    };
    Notification {
        id: n.id.to_string(),
        kind: notification_type(&n.kind, naming).to_string(),
        group_key: format!("ungrouped-{}", n.id),
        created_at: time(n.created_at),
        account,
        status: v.post.as_ref().map(|p| status(urls, p)),
        group: v.group.as_ref().map(|g| group(urls, g)),
        read: n.read_at.is_some(),
    }
}

/// Sizes of an image or of its preview.
#[derive(Serialize, Clone)]
pub struct MetaDetails {
    pub width: i64,
    pub height: i64,
    pub size: String,
    pub aspect: f64,
}

#[derive(Serialize, Clone)]
pub struct Focus {
    pub x: f64,
    pub y: f64,
}

#[derive(Serialize, Clone, Default)]
pub struct MediaMeta {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original: Option<MetaDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub small: Option<MetaDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub focus: Option<Focus>,
    /// Gilde: a document's size in bytes and its type, for apps that show them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_size: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
}

/// An attachment: an image (`image`) or a document (`unknown`, as Mastodon apps show any file
/// they cannot display: a link named by the file).
#[derive(Serialize, Clone)]
pub struct MediaAttachment {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub url: String,
    pub preview_url: Option<String>,
    pub remote_url: Option<String>,
    pub preview_remote_url: Option<String>,
    pub text_url: Option<String>,
    pub meta: MediaMeta,
    pub description: Option<String>,
    pub blurhash: Option<String>,
}

fn meta_details(width: Option<i64>, height: Option<i64>) -> Option<MetaDetails> {
    let (width, height) = (width?, height?);
    Some(MetaDetails {
        width,
        height,
        size: format!("{width}x{height}"),
        aspect: if height > 0 { width as f64 / height as f64 } else { 1.0 },
    })
}

pub fn media_attachment(urls: &Urls<'_>, m: &crate::db::media::Media) -> MediaAttachment {
    let url = match (&m.remote_url, &m.file_key) {
        (Some(remote), None) => remote.clone(),
        _ => urls.file(&m.token, &m.file_name),
    };
    let preview_url = match (&m.remote_url, &m.preview_key) {
        (_, Some(_)) => Some(urls.file_preview(&m.token)),
        (Some(remote), None) if m.is_image() => Some(remote.clone()),
        _ => None,
    };
    let focus = m.focus.split_once(',').and_then(|(x, y)| Some(Focus { x: x.parse().ok()?, y: y.parse().ok()? }));
    let image = m.is_image();
    MediaAttachment {
        id: m.id.to_string(),
        kind: if image { "image" } else { "unknown" },
        url,
        preview_url,
        remote_url: m.remote_url.clone(),
        preview_remote_url: None,
        text_url: None,
        meta: MediaMeta {
            original: meta_details(m.width, m.height),
            small: meta_details(m.preview_width, m.preview_height),
            focus: if image { Some(focus.unwrap_or(Focus { x: 0.0, y: 0.0 })) } else { None },
            file_size: (!image).then_some(m.size),
            mime_type: (!image).then(|| m.content_type.clone()),
        },
        description: if m.description.is_empty() { None } else { Some(m.description.clone()) },
        blurhash: m.blurhash.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Inner {
        name: String,
        count: i64,
        list: Vec<&'static str>,
    }

    #[derive(Serialize)]
    struct Outer {
        first: Shared<Inner>,
        second: Option<Shared<Inner>>,
        plain: Inner,
    }

    fn inner() -> Inner {
        Inner { name: "Wonen \"& zorg\" <b>".into(), count: 42, list: vec!["a", "ü"] }
    }

    #[test]
    fn a_shared_entity_is_written_as_the_entity_itself_every_time_it_appears() {
        let shared = Shared::new(inner());
        let outer = Outer { first: shared.clone(), second: Some(shared), plain: inner() };
        let text = serde_json::to_string(&outer).expect("JSON");
        let plain = serde_json::to_string(&inner()).expect("JSON");
        assert_eq!(text, format!(r#"{{"first":{plain},"second":{plain},"plain":{plain}}}"#));
        // Into a JSON tree too (responses built with `json!`).
        let tree = serde_json::to_value(&outer).expect("tree");
        assert_eq!(tree["first"], tree["plain"]);
        assert_eq!(tree["second"]["name"], "Wonen \"& zorg\" <b>");
    }
}
