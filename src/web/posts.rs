//! The home stream, threads, writing posts and replies (with a preview), and likes.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::items::{GroupItem, PostItem};
use super::{is_form_error, redirect, render_with, signed_in, submitted, Chrome, Problem};
use crate::context::AppContext;
use crate::db::{GroupId, MediaId, Page, PostId};
use crate::error::Error;
use crate::http::extract::{FilePart, WithFiles};
use crate::service::groups::{self, GroupListing};
use crate::service::media::{self, Purpose, Upload};
use crate::service::posts::{self, NewPostInput, Stream};

/// A post being written: its text, the files already uploaded for it, a preview, and what
/// went wrong.
#[derive(Default)]
pub(crate) struct Draft {
    pub text: String,
    pub alt: String,
    pub attached: Vec<AttachedItem>,
    pub preview: Option<String>,
    pub problem: Problem,
}

/// A file uploaded for a post not yet written: kept when the form is shown again.
pub(crate) struct AttachedItem {
    pub id: i64,
    pub name: String,
    pub preview: Option<String>,
}

impl Draft {
    pub(crate) fn status(&self) -> StatusCode {
        if self.problem.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        }
    }
}

/// A form that writes a post: `action` is `preview` or `post`.
#[derive(Deserialize)]
pub(crate) struct PostForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub action: String,
    /// On the home page: the group to post in.
    #[serde(default)]
    pub group: Option<String>,
    /// Files uploaded before (the form was shown again), to keep.
    #[serde(default)]
    pub media_ids: Vec<String>,
    /// Alt text for the images sent without script.
    #[serde(default)]
    pub alt: String,
    /// Alt text per file, in the order of the files (the page's script adds these).
    #[serde(default)]
    pub alts: Vec<String>,
}

/// The files of a compose form: those chosen in `files` (a browser sends an empty part when
/// none is chosen).
pub(crate) fn chosen_files(form: &mut WithFiles<PostForm>) -> Vec<FilePart> {
    std::mem::take(&mut form.files).into_iter().filter(|f| f.field == "files" && !f.bytes.is_empty()).collect()
}

/// Previews or writes a post. `Ok(None)`: written. `Ok(Some(draft))`: to show again, with its
/// preview or its problem.
pub(crate) async fn write(
    ctx: &AppContext,
    chrome: &Chrome,
    session: &super::Session,
    form: &PostForm,
    files: Vec<FilePart>,
    mut input: NewPostInput,
) -> Result<Option<Draft>, Error> {
    let mut draft = Draft { text: form.status.clone(), alt: form.alt.clone(), ..Default::default() };
    let mut media_ids: Vec<MediaId> = form.media_ids.iter().filter_map(|id| id.trim().parse().ok()).map(MediaId).collect();
    for (i, file) in files.into_iter().enumerate() {
        let alt = form.alts.get(i).map(|a| a.trim()).filter(|a| !a.is_empty()).unwrap_or(form.alt.trim());
        let upload =
            Upload { bytes: file.bytes, file_name: file.file_name, description: (!alt.is_empty()).then(|| alt.to_string()), focus: None };
        match media::upload(ctx, &session.actor, upload, Purpose::Attachment).await {
            Ok(m) => media_ids.push(m.id),
            Err(e) if is_form_error(&e) => {
                draft.problem = Problem::of(chrome.lang, &e, &["file"]);
                break;
            }
            Err(e) => return Err(e),
        }
    }
    for id in &media_ids {
        // Only the writer's own uploads not yet posted are kept.
        if let Ok(m) = media::get(ctx, &session.actor, *id).await {
            if m.post_id.is_none() {
                let preview = m.preview_key.is_some().then(|| crate::urls::file_preview_path(&m.token));
                draft.attached.push(AttachedItem { id: m.id.0, name: m.file_name, preview });
            }
        }
    }
    if draft.problem.is_some() {
        return Ok(Some(draft));
    }
    input.media_ids = draft.attached.iter().map(|a| MediaId(a.id)).collect();
    if form.action == "preview" {
        if form.status.trim().is_empty() && !draft.attached.is_empty() {
            return Ok(Some(draft));
        }
        match posts::preview(ctx, &form.status).await {
            Ok(html) => draft.preview = Some(html),
            Err(e) if is_form_error(&e) => draft.problem = Problem::of(chrome.lang, &e, &["status"]),
            Err(e) => return Err(e),
        }
        return Ok(Some(draft));
    }
    match posts::create(ctx, &session.actor, input).await {
        Ok(_) => Ok(None),
        Err(e) if is_form_error(&e) => {
            draft.problem = Problem::of(chrome.lang, &e, &["status", "media_ids"]);
            Ok(Some(draft))
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    posts: Vec<PostItem>,
    groups: Vec<GroupItem>,
    chosen: i64,
    draft: Draft,
    newest: i64,
    older: Option<i64>,
}

#[derive(Deserialize)]
pub(crate) struct Paging {
    #[serde(default)]
    pub before: Option<i64>,
}

const PAGE_SIZE: i64 = 20;

pub(crate) fn page_before(before: Option<i64>) -> Page {
    Page { limit: PAGE_SIZE, max_id: before, ..Default::default() }
}

/// The id to page on from, when the page is full.
pub(crate) fn older_than(items: &[PostItem]) -> Option<i64> {
    (items.len() as i64 >= PAGE_SIZE).then(|| items.last().map(|p| p.id)).flatten()
}

async fn home_page(
    ctx: &AppContext,
    chrome: Chrome,
    session: &super::Session,
    before: Option<i64>,
    draft: Draft,
    chosen: i64,
) -> Result<Response, Error> {
    let views = posts::stream(ctx, &session.actor, Stream::Home, page_before(before)).await?;
    let mine = groups::list(ctx, &session.actor, GroupListing::Mine, None, 80, 0).await?;
    let lang = chrome.lang;
    let posts = PostItem::list(&views, lang);
    let status = draft.status();
    let page = HomePage {
        newest: posts.first().map_or(0, |p| p.id),
        older: older_than(&posts),
        posts,
        groups: GroupItem::list(&mine, lang),
        chosen,
        draft,
        chrome,
    };
    Ok(render_with(status, &page))
}

pub(crate) async fn home(State(ctx): State<AppContext>, headers: HeaderMap, Query(paging): Query<Paging>) -> Response {
    signed_in(&ctx, &headers, "home", |ctx, chrome, session| async move {
        home_page(&ctx, chrome, &session, paging.before, Draft::default(), 0).await
    })
    .await
}

/// Writes a post from the home page, in one of my groups.
pub(crate) async fn home_post(State(ctx): State<AppContext>, headers: HeaderMap, mut form: WithFiles<PostForm>) -> Response {
    let files = chosen_files(&mut form);
    let form = form.input;
    submitted(&ctx, &headers, "home", &form.csrf.clone(), |ctx, chrome, session| async move {
        let group = form.group.as_deref().and_then(|g| g.parse::<i64>().ok()).filter(|g| *g > 0);
        let input = NewPostInput { text: form.status.clone(), group_id: group.map(GroupId), ..Default::default() };
        match write(&ctx, &chrome, &session, &form, files, input).await? {
            None => Ok(redirect("/")),
            Some(draft) => home_page(&ctx, chrome, &session, None, draft, group.unwrap_or(0)).await,
        }
    })
    .await
}

#[derive(Deserialize)]
pub(crate) struct LiveQuery {
    #[serde(default)]
    after: i64,
}

/// For the page's script: how many threads arrived in the home stream after `after`.
pub(crate) async fn live_home(State(ctx): State<AppContext>, headers: HeaderMap, Query(q): Query<LiveQuery>) -> Response {
    let Some(session) = super::session(&ctx, &headers).await else {
        return (StatusCode::UNAUTHORIZED, axum::Json(serde_json::json!({ "error": "not_signed_in" }))).into_response();
    };
    let page = Page { limit: 40, since_id: Some(q.after), ..Default::default() };
    match posts::stream(&ctx, &session.actor, Stream::Home, page).await {
        Ok(views) => axum::Json(serde_json::json!({ "new": views.len() })).into_response(),
        Err(e) => crate::http::error::ApiError(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "thread.html")]
struct ThreadPage {
    chrome: Chrome,
    ancestors: Vec<PostItem>,
    /// The post itself (a list of one, as the post list shows it).
    focus: Vec<PostItem>,
    post_id: i64,
    replies: Vec<PostItem>,
    /// May the reader answer (a member of the post's group, or a post outside groups)?
    can_reply: bool,
    draft: Draft,
}

async fn thread(ctx: &AppContext, chrome: Chrome, session: &super::Session, id: i64, draft: Draft) -> Result<Response, Error> {
    let id = PostId(id);
    let view = posts::get(ctx, &session.actor, id).await?;
    let context = posts::context(ctx, &session.actor, id).await?;
    let lang = chrome.lang;
    let can_reply = view.group.as_ref().is_none_or(|g| g.membership.as_ref().is_some_and(|m| m.state == "active"));
    let status = draft.status();
    let page = ThreadPage {
        ancestors: PostItem::list(&context.ancestors, lang),
        focus: vec![PostItem::new(&view, lang)],
        post_id: view.post.id.0,
        replies: PostItem::list(&context.descendants, lang),
        can_reply,
        draft,
        chrome,
    };
    Ok(render_with(status, &page))
}

pub(crate) async fn thread_page(State(ctx): State<AppContext>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    signed_in(&ctx, &headers, "home", |ctx, chrome, session| async move { thread(&ctx, chrome, &session, id, Draft::default()).await })
        .await
}

pub(crate) async fn reply(
    State(ctx): State<AppContext>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    mut form: WithFiles<PostForm>,
) -> Response {
    let files = chosen_files(&mut form);
    let form = form.input;
    submitted(&ctx, &headers, "home", &form.csrf.clone(), |ctx, chrome, session| async move {
        let input = NewPostInput { text: form.status.clone(), in_reply_to_id: Some(PostId(id)), ..Default::default() };
        match write(&ctx, &chrome, &session, &form, files, input).await? {
            None => Ok(redirect(&format!("/p/{id}#replies"))),
            Some(draft) => thread(&ctx, chrome, &session, id, draft).await,
        }
    })
    .await
}

#[derive(Deserialize)]
pub(crate) struct LikeForm {
    #[serde(default)]
    csrf: String,
    /// `1` to like, `0` to take the like back.
    #[serde(default)]
    like: String,
}

pub(crate) async fn like(State(ctx): State<AppContext>, headers: HeaderMap, Path(id): Path<i64>, Form(form): Form<LikeForm>) -> Response {
    let back = back_to(&headers, &format!("/p/{id}"));
    submitted(&ctx, &headers, "home", &form.csrf.clone(), |ctx, _chrome, session| async move {
        posts::favourite(&ctx, &session.actor, PostId(id), form.like != "0").await?;
        Ok(redirect(&format!("{back}#post-{id}")))
    })
    .await
}

/// The page of this site the form was sent from (its `Referer`, sent by browsers for
/// same-origin forms), or `fallback`: never another site's address.
pub(crate) fn back_to(headers: &HeaderMap, fallback: &str) -> String {
    headers
        .get(axum::http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .filter(|u| {
            headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok())
                == Some(&u[url::Position::BeforeHost..url::Position::AfterPort])
        })
        .map(|u| u[url::Position::BeforePath..url::Position::AfterQuery].to_string())
        .unwrap_or_else(|| fallback.to_string())
}
