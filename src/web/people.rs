//! People: profiles (one's own to edit), the directory, notifications and search.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::items::{GroupItem, PersonItem, PostItem};
use super::session::CsrfForm;
use super::{is_form_error, redirect, render, render_with, signed_in, submitted, Chrome, Problem};
use crate::context::AppContext;
use crate::db::people::DirectoryFilter;
use crate::db::{Page, PersonId};
use crate::error::Error;
use crate::http::extract::WithFiles;
use crate::service::media::{self, PictureOf, Upload};
use crate::service::posts::{self, Stream};
use crate::service::search::{self, SearchKind};
use crate::service::{notifications, people};

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    chrome: Chrome,
    person: PersonItem,
    me: bool,
    following: bool,
    posts: Vec<PostItem>,
}

pub(crate) async fn profile_page(State(ctx): State<AppContext>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    signed_in(&ctx, &headers, "people", |ctx, chrome, session| async move {
        let id = PersonId(id);
        let view = people::get(&ctx, id).await?;
        let relation = people::relationships(&ctx, &session.actor, vec![id]).await?;
        let views = posts::stream(&ctx, &session.actor, Stream::Author(id), Page { limit: 20, ..Default::default() }).await?;
        let page = ProfilePage {
            person: PersonItem::new(&view),
            me: id == session.actor.person_id,
            following: relation.first().is_some_and(|r| r.following),
            posts: PostItem::list(&views, chrome.lang),
            chrome,
        };
        Ok(render(&page))
    })
    .await
}

/// `/@name`, the address mentions link to.
pub(crate) async fn profile_by_name(State(ctx): State<AppContext>, headers: HeaderMap, Path(name): Path<String>) -> Response {
    signed_in(&ctx, &headers, "people", |ctx, _chrome, _session| async move {
        let view = people::lookup(&ctx, &name).await?;
        Ok(redirect(&format!("/u/{}", view.person.id.0)))
    })
    .await
}

pub(crate) async fn follow(State(ctx): State<AppContext>, headers: HeaderMap, Path(id): Path<i64>, Form(form): Form<CsrfForm>) -> Response {
    follow_change(ctx, headers, id, form, true).await
}

pub(crate) async fn unfollow(
    State(ctx): State<AppContext>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    follow_change(ctx, headers, id, form, false).await
}

async fn follow_change(ctx: AppContext, headers: HeaderMap, id: i64, form: CsrfForm, follow: bool) -> Response {
    submitted(&ctx, &headers, "people", &form.csrf, |ctx, _chrome, session| async move {
        if follow {
            people::follow(&ctx, &session.actor, PersonId(id)).await?;
        } else {
            people::unfollow(&ctx, &session.actor, PersonId(id)).await?;
        }
        Ok(redirect(&format!("/u/{id}")))
    })
    .await
}

#[derive(Template)]
#[template(path = "profile_edit.html")]
struct EditPage {
    chrome: Chrome,
    form: ProfileForm,
    problem: Problem,
    saved: bool,
    /// The current picture's address.
    avatar: String,
    has_avatar: bool,
}

#[derive(Deserialize, Default)]
pub(crate) struct ProfileForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    job_title: String,
    #[serde(default)]
    org_unit: String,
    /// Ticked: available as a mentor.
    #[serde(default)]
    mentor: Option<String>,
    /// Comma-separated.
    #[serde(default)]
    expertise: String,
    /// `nl`, `en`, or empty: as the browser.
    #[serde(default)]
    locale: String,
    /// Ticked: remove the picture.
    #[serde(default)]
    remove_avatar: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

pub(crate) async fn edit_page(State(ctx): State<AppContext>, headers: HeaderMap, Query(q): Query<SavedQuery>) -> Response {
    signed_in(&ctx, &headers, "people", |ctx, chrome, session| async move {
        let view = people::get(&ctx, session.actor.person_id).await?;
        let locale = people::locale(&ctx, session.actor.person_id).await?;
        let p = &view.person;
        let form = ProfileForm {
            csrf: String::new(),
            display_name: p.display_name.clone(),
            note: p.bio.clone(),
            department: p.department.clone(),
            job_title: p.job_title.clone(),
            org_unit: p.org_unit.clone(),
            mentor: p.mentor.then(String::new),
            expertise: view.expertise.join(", "),
            locale: locale.unwrap_or_default(),
            remove_avatar: None,
        };
        let (avatar, has_avatar) = (super::items::picture(p.avatar_url.as_deref()), p.avatar_id.is_some());
        Ok(render(&EditPage { chrome, form, problem: Problem::none(), saved: q.saved.is_some(), avatar, has_avatar }))
    })
    .await
}

pub(crate) async fn edit_submit(State(ctx): State<AppContext>, headers: HeaderMap, mut form: WithFiles<ProfileForm>) -> Response {
    let picture = form.take_file("avatar").filter(|f| !f.bytes.is_empty());
    let form = form.input;
    submitted(&ctx, &headers, "people", &form.csrf.clone(), |ctx, chrome, session| async move {
        let current = people::get(&ctx, session.actor.person_id).await?.person;
        let (avatar, has_avatar) = (super::items::picture(current.avatar_url.as_deref()), current.avatar_id.is_some());
        let change = match (picture, form.remove_avatar.is_some()) {
            (Some(file), _) => Some(Some(Upload { bytes: file.bytes, file_name: file.file_name, ..Default::default() })),
            (None, true) => Some(None),
            (None, false) => None,
        };
        if let Some(upload) = change {
            match media::set_picture(&ctx, &session.actor, PictureOf::Me, upload).await {
                Ok(()) => {}
                Err(e) if is_form_error(&e) => {
                    let problem = Problem::of(chrome.lang, &e, &["file"]);
                    return Ok(render_with(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        &EditPage { chrome, form, problem, saved: false, avatar, has_avatar },
                    ));
                }
                Err(e) => return Err(e),
            }
        }
        let update = people::ProfileUpdate {
            display_name: Some(form.display_name.clone()),
            bio: Some(form.note.clone()),
            department: Some(form.department.clone()),
            job_title: Some(form.job_title.clone()),
            org_unit: Some(form.org_unit.clone()),
            mentor: Some(form.mentor.is_some()),
            expertise: Some(vec![form.expertise.clone()]),
            locale: Some(form.locale.clone()),
        };
        match people::update_profile(&ctx, &session.actor, update).await {
            Ok(_) => Ok(redirect("/settings/profile?saved=1")),
            Err(e) if is_form_error(&e) => {
                let problem =
                    Problem::of(chrome.lang, &e, &["display_name", "note", "department", "job_title", "org_unit", "expertise", "locale"]);
                Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &EditPage { chrome, form, problem, saved: false, avatar, has_avatar }))
            }
            Err(e) => Err(e),
        }
    })
    .await
}

#[derive(Template)]
#[template(path = "directory.html")]
struct DirectoryPage {
    chrome: Chrome,
    people: Vec<PersonItem>,
    departments: Vec<String>,
    q: DirectoryQuery,
    next: Option<i64>,
}

#[derive(Deserialize, Default)]
pub(crate) struct DirectoryQuery {
    #[serde(default)]
    name: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    expertise: String,
    /// `1`: only people available as mentors.
    #[serde(default)]
    mentor: String,
    #[serde(default)]
    offset: i64,
}

impl DirectoryQuery {
    /// The query string of the next page.
    fn next_page(&self, offset: &i64) -> String {
        let pairs = [
            ("name", self.name.as_str()),
            ("department", self.department.as_str()),
            ("expertise", self.expertise.as_str()),
            ("mentor", self.mentor.as_str()),
        ];
        let mut query: Vec<String> = pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", urlencoding(v))).collect();
        query.push(format!("offset={offset}"));
        query.join("&")
    }
}

fn urlencoding(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

const DIRECTORY_PAGE: i64 = 40;

pub(crate) async fn directory_page(State(ctx): State<AppContext>, headers: HeaderMap, Query(q): Query<DirectoryQuery>) -> Response {
    signed_in(&ctx, &headers, "people", |ctx, chrome, _session| async move {
        let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let filter = DirectoryFilter {
            name: some(&q.name),
            department: some(&q.department),
            expertise: some(&q.expertise).map(|e| e.trim_start_matches('#').to_lowercase()),
            local_only: false,
            mentors_only: q.mentor == "1",
        };
        let found = people::directory(&ctx, filter, DIRECTORY_PAGE, q.offset).await?;
        let departments = people::departments(&ctx).await?;
        let next = (found.len() as i64 >= DIRECTORY_PAGE).then_some(q.offset.max(0) + DIRECTORY_PAGE);
        Ok(render(&DirectoryPage { chrome, people: PersonItem::list(&found), departments, q, next }))
    })
    .await
}

/// A notification as a sentence: who did what, and where to look.
struct NotificationItem {
    who: String,
    who_id: i64,
    what: &'static str,
    link: String,
    target: String,
    when: String,
    datetime: String,
    unread: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    chrome: Chrome,
    items: Vec<NotificationItem>,
}

pub(crate) async fn notifications_page(State(ctx): State<AppContext>, headers: HeaderMap) -> Response {
    signed_in(&ctx, &headers, "notifications", |ctx, chrome, session| async move {
        let list = notifications::list(&ctx, &session.actor, Vec::new(), Page { limit: 40, ..Default::default() }).await?;
        let lang = chrome.lang;
        let items = list
            .iter()
            .map(|n| {
                let kind = n.notification.kind.as_str();
                let group_id = n.notification.group_id.map_or(0, |g| g.0);
                let (link, target) = match (&n.post, &n.group) {
                    (Some(post), _) => (format!("/p/{}", post.post.id.0), excerpt(&post.post.source)),
                    (None, Some(group)) if kind == "join_request" => (format!("/g/{group_id}/members"), group.group.display_name.clone()),
                    (None, Some(group)) => (format!("/g/{group_id}"), group.group.display_name.clone()),
                    (None, None) => (format!("/u/{}", n.actor.person.id.0), String::new()),
                };
                NotificationItem {
                    who: PersonItem::new(&n.actor).name,
                    who_id: n.actor.person.id.0,
                    what: lang.t(match kind {
                        "mention" => "notif_mention",
                        "reply" => "notif_reply",
                        "favourite" => "notif_favourite",
                        "follow" => "notif_follow",
                        "join_request" => "notif_join_request",
                        "request_approved" => "notif_request_approved",
                        _ => "notif_invitation",
                    }),
                    link,
                    target,
                    when: lang.date_time(n.notification.created_at),
                    datetime: crate::http::mastodon::entities::time(n.notification.created_at),
                    unread: n.notification.read_at.is_none(),
                }
            })
            .collect();
        // Seen now: the count in the navigation goes on the next page (they stay marked here).
        if let Some(newest) = list.first() {
            notifications::mark_read(&ctx, &session.actor, Some(newest.notification.id)).await?;
        }
        Ok(render(&NotificationsPage { chrome, items }))
    })
    .await
}

/// The start of a post's text, for a notification.
fn excerpt(source: &str) -> String {
    let text: String = source.chars().take(80).collect();
    if source.chars().count() > 80 {
        format!("{text}…")
    } else {
        text
    }
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    chrome: Chrome,
    q: String,
    searched: bool,
    problem: Problem,
    people: Vec<PersonItem>,
    groups: Vec<GroupItem>,
    posts: Vec<PostItem>,
}

#[derive(Deserialize)]
pub(crate) struct SearchQuery {
    #[serde(default)]
    q: Option<String>,
}

pub(crate) async fn search_page(State(ctx): State<AppContext>, headers: HeaderMap, Query(query): Query<SearchQuery>) -> Response {
    signed_in(&ctx, &headers, "search", |ctx, chrome, session| async move {
        let lang = chrome.lang;
        let mut page = SearchPage {
            q: query.q.clone().unwrap_or_default(),
            searched: query.q.is_some(),
            problem: Problem::none(),
            people: Vec::new(),
            groups: Vec::new(),
            posts: Vec::new(),
            chrome,
        };
        if let Some(q) = &query.q {
            match search::search(&ctx, &session.actor, q, SearchKind::All, Page { limit: 20, ..Default::default() }, 0).await {
                Ok(found) => {
                    page.people = PersonItem::list(&found.people);
                    page.groups = GroupItem::list(&found.groups, lang);
                    page.posts = PostItem::list(&found.posts, lang);
                }
                Err(e) if is_form_error(&e) => page.problem = Problem::of(lang, &e, &["q"]),
                Err(e) => return Err::<Response, Error>(e),
            }
        }
        let status = if page.problem.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
        Ok(render_with(status, &page))
    })
    .await
}
