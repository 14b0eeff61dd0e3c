//! The web UI: server-rendered pages (askama templates, checked when compiling) in Dutch and
//! English, working without JavaScript. A thin front door like the others: every rule is in
//! `service/`.
//!
//! Sessions are tokens of no app (as `admin token` makes), kept in an `HttpOnly`,
//! `SameSite=Lax` cookie (`Secure` when the instance runs behind https). Every form carries a
//! token derived from the session (the sign-in form: a random one also set as a cookie), and
//! every page is sent with a strict Content-Security-Policy: no inline scripts or styles.

pub mod i18n;

use askama::Template;
use axum::extract::{Form, State};
use axum::http::header::{ACCEPT_LANGUAGE, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use crate::context::AppContext;
use crate::error::{Error, ErrorKind};
use crate::service::posts::{self, Stream};
use crate::service::{oauth, people, Actor, PostView};
use i18n::Lang;

const SESSION_COOKIE: &str = "gilde_session";
const FORM_COOKIE: &str = "gilde_form";

pub fn router() -> Router<crate::http::AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/groups", get(groups_page))
        .route("/groups/join-remote", post(join_remote))
        .route("/g/{id}", get(group_page))
        .route("/g/{id}/join", post(group_join))
        .route("/g/{id}/leave", post(group_leave))
        .route("/g/{id}/post", post(group_post))
        .route("/static/gilde.css", get(stylesheet))
        .layer(axum::middleware::map_response(security_headers))
}

/// What every page is sent with.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    response
}

async fn stylesheet() -> Response {
    ([(CONTENT_TYPE, "text/css; charset=utf-8"), (CACHE_CONTROL, "public, max-age=3600")], include_str!("gilde.css")).into_response()
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn set_cookie(ctx: &AppContext, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if ctx.config.https { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn browser_lang(headers: &HeaderMap) -> Lang {
    Lang::choose(None, headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_string())]).into_response()
}

fn render(page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => ([(CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a page did not render");
            (StatusCode::INTERNAL_SERVER_ERROR, "The page could not be shown.").into_response()
        }
    }
}

/// The signed-in person of this request, with their session token.
struct Session {
    actor: Actor,
    token: String,
}

async fn session(ctx: &AppContext, headers: &HeaderMap) -> Option<Session> {
    let token = cookie(headers, SESSION_COOKIE)?;
    let owner = oauth::authenticate(ctx, &token).await.ok()?;
    // Only sessions (tokens of no app) sign in to the web UI.
    if owner.app.is_some() {
        return None;
    }
    Some(Session { actor: owner.actor?, token })
}

/// What every page's frame shows: language, instance name, the signed-in person and the
/// session's form token, and which section of the navigation is current.
struct Chrome {
    lang: Lang,
    instance: String,
    me: Option<String>,
    csrf: String,
    section: &'static str,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    username: String,
    form_error: Option<&'static str>,
    field_error: Option<&'static str>,
}

async fn login_page(State(ctx): State<AppContext>, headers: HeaderMap) -> Response {
    if session(&ctx, &headers).await.is_some() {
        return redirect("/");
    }
    login_form(&ctx, &headers, StatusCode::OK, String::new(), None, None)
}

/// The sign-in form, with a fresh form token (also set as a cookie: the form must come back
/// from this browser).
fn login_form(
    ctx: &AppContext,
    headers: &HeaderMap,
    status: StatusCode,
    username: String,
    form_error: Option<&'static str>,
    field_error: Option<&'static str>,
) -> Response {
    let csrf = oauth::new_form_secret();
    let chrome =
        Chrome { lang: browser_lang(headers), instance: ctx.config.instance_name.clone(), me: None, csrf: csrf.clone(), section: "" };
    let page = LoginPage { chrome, username, form_error, field_error };
    let mut response = render(&page);
    *response.status_mut() = status;
    response.headers_mut().append(SET_COOKIE, set_cookie(ctx, FORM_COOKIE, &csrf, 3600));
    response
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

async fn login_submit(State(ctx): State<AppContext>, headers: HeaderMap, Form(form): Form<LoginForm>) -> Response {
    let lang = browser_lang(&headers);
    let expected = cookie(&headers, FORM_COOKIE).unwrap_or_default();
    if expected.is_empty() || !oauth::same(&expected, &form.csrf) {
        return login_form(&ctx, &headers, StatusCode::FORBIDDEN, form.username, Some(lang.t("error_form_expired")), None);
    }
    let actor = match people::authenticate(&ctx, &form.username, &form.password).await {
        Ok(actor) => actor,
        Err(e) if e.kind() == ErrorKind::RateLimited => {
            return login_form(&ctx, &headers, StatusCode::TOO_MANY_REQUESTS, form.username, Some(lang.t("error_too_many")), None)
        }
        Err(_) => return login_form(&ctx, &headers, StatusCode::UNAUTHORIZED, form.username, None, Some(lang.t("error_wrong_password"))),
    };
    let token = match oauth::token_for_person(&ctx, actor.person_id).await {
        Ok(token) => token,
        Err(e) => return crate::http::error::ApiError(e).into_response(),
    };
    let mut response = redirect("/");
    response.headers_mut().append(SET_COOKIE, set_cookie(&ctx, SESSION_COOKIE, &token, 30 * 24 * 3600));
    response.headers_mut().append(SET_COOKIE, set_cookie(&ctx, FORM_COOKIE, "", 0));
    response
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(State(ctx): State<AppContext>, headers: HeaderMap, Form(form): Form<CsrfForm>) -> Response {
    let Some(session) = session(&ctx, &headers).await else { return redirect("/login") };
    if !form_ok(&session, &form.csrf) {
        return (StatusCode::FORBIDDEN, "This form has expired.").into_response();
    }
    if let Err(e) = oauth::end_session(&ctx, session.token).await {
        return crate::http::error::ApiError(e).into_response();
    }
    let mut response = redirect("/login");
    response.headers_mut().append(SET_COOKIE, set_cookie(&ctx, SESSION_COOKIE, "", 0));
    response
}

/// A post as the stream shows it.
struct PostItem {
    author: String,
    group: Option<String>,
    group_id: i64,
    internal: bool,
    /// Sanitised when the post was stored; rendered as is.
    html: String,
    datetime: String,
    when: String,
}

impl PostItem {
    fn new(v: &PostView, lang: Lang) -> PostItem {
        let group = v.group.as_ref().map(|g| match &g.group.domain {
            Some(domain) => format!("{} ({domain})", g.group.display_name),
            None => g.group.display_name.clone(),
        });
        let when = match lang {
            Lang::Nl => v.post.created_at.format("%d-%m-%Y %H:%M"),
            Lang::En => v.post.created_at.format("%Y-%m-%d %H:%M"),
        };
        PostItem {
            author: v.author.person.display_name.clone(),
            group,
            group_id: v.post.group_id.map_or(0, |g| g.0),
            internal: v.group.as_ref().is_some_and(|g| g.group.scope == "internal"),
            html: v.post.content_html.clone(),
            datetime: crate::http::mastodon::entities::time(v.post.created_at),
            when: when.to_string(),
        }
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    posts: Vec<PostItem>,
}

/// The frame of a signed-in person's page.
async fn chrome(ctx: &AppContext, headers: &HeaderMap, session: &Session, section: &'static str) -> Result<Chrome, Error> {
    let me = people::get(ctx, session.actor.person_id).await?;
    let locale = people::locale(ctx, session.actor.person_id).await?;
    let lang = Lang::choose(locale.as_deref(), headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()));
    Ok(Chrome {
        lang,
        instance: ctx.config.instance_name.clone(),
        me: Some(me.person.display_name),
        csrf: oauth::form_token(&session.token),
        section,
    })
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    title: String,
    message: String,
}

/// An error as a page, in the frame (the message is the service's, in English for now).
fn error_page(chrome: Chrome, e: &Error) -> Response {
    let status = crate::http::error::status_of(e.kind());
    let page = ErrorPage { title: status.canonical_reason().unwrap_or("Error").to_string(), message: e.message().to_string(), chrome };
    let mut response = render(&page);
    *response.status_mut() = status;
    response
}

/// Runs a page for a signed-in person: to the sign-in page without a session; errors as pages.
async fn signed_in<F, Fut>(ctx: &AppContext, headers: &HeaderMap, section: &'static str, page: F) -> Response
where
    F: FnOnce(AppContext, Chrome, Session) -> Fut,
    Fut: std::future::Future<Output = Result<Response, (Chrome, Error)>>,
{
    let Some(session) = session(ctx, headers).await else { return redirect("/login") };
    let chrome = match chrome(ctx, headers, &session, section).await {
        Ok(chrome) => chrome,
        Err(e) => return crate::http::error::ApiError(e).into_response(),
    };
    match page(ctx.clone(), chrome, session).await {
        Ok(response) => response,
        Err((chrome, e)) => error_page(chrome, &e),
    }
}

/// Checks a form's token against the session's.
fn form_ok(session: &Session, csrf: &str) -> bool {
    oauth::same(&oauth::form_token(&session.token), csrf)
}

async fn home(State(ctx): State<AppContext>, headers: HeaderMap) -> Response {
    signed_in(&ctx, &headers, "home", |ctx, chrome, session| async move {
        let page = crate::db::Page { limit: 20, ..Default::default() };
        match posts::stream(&ctx, &session.actor, Stream::Home, page).await {
            Ok(views) => {
                let posts = views.iter().map(|v| PostItem::new(v, chrome.lang)).collect();
                Ok(render(&HomePage { chrome, posts }))
            }
            Err(e) => Err((chrome, e)),
        }
    })
    .await
}

/// A group in a list.
struct GroupItem {
    id: i64,
    name: String,
    domain: Option<String>,
    internal: bool,
    locked: bool,
    visibility: &'static str,
    members: i64,
}

impl GroupItem {
    fn new(v: &crate::service::GroupView, lang: Lang) -> GroupItem {
        GroupItem {
            id: v.group.id.0,
            name: v.group.display_name.clone(),
            domain: v.group.domain.clone(),
            internal: v.group.scope == "internal",
            locked: v.group.visibility != "public",
            visibility: lang.t(match v.group.visibility.as_str() {
                "public" => "visibility_public",
                "private" => "visibility_private",
                _ => "visibility_secret",
            }),
            members: v.members_count,
        }
    }
}

#[derive(Template)]
#[template(path = "groups.html")]
struct GroupsPage {
    chrome: Chrome,
    mine: Vec<GroupItem>,
    discover: Vec<GroupItem>,
    acct: String,
    acct_error: Option<&'static str>,
}

async fn groups_list(
    ctx: &AppContext,
    chrome: Chrome,
    session: &Session,
    acct: String,
    acct_error: Option<&'static str>,
) -> Result<Response, (Chrome, Error)> {
    use crate::service::groups::{self, GroupListing};
    let mine = match groups::list(ctx, &session.actor, GroupListing::Mine, None, 80, 0).await {
        Ok(list) => list,
        Err(e) => return Err((chrome, e)),
    };
    let discover = match groups::list(ctx, &session.actor, GroupListing::Discover, None, 80, 0).await {
        Ok(list) => list,
        Err(e) => return Err((chrome, e)),
    };
    let lang = chrome.lang;
    let mine_ids: Vec<_> = mine.iter().map(|g| g.group.id).collect();
    let page = GroupsPage {
        mine: mine.iter().map(|g| GroupItem::new(g, lang)).collect(),
        discover: discover.iter().filter(|g| !mine_ids.contains(&g.group.id)).map(|g| GroupItem::new(g, lang)).collect(),
        acct,
        acct_error,
        chrome,
    };
    let mut response = render(&page);
    if acct_error.is_some() {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

async fn groups_page(State(ctx): State<AppContext>, headers: HeaderMap) -> Response {
    signed_in(
        &ctx,
        &headers,
        "groups",
        |ctx, chrome, session| async move { groups_list(&ctx, chrome, &session, String::new(), None).await },
    )
    .await
}

#[derive(Deserialize)]
struct RemoteGroupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    acct: String,
}

/// Joins (or asks to join) a group of another instance by its address.
async fn join_remote(
    State(ctx): State<AppContext>,
    State(fed): State<crate::federation::FedConfig>,
    headers: HeaderMap,
    Form(form): Form<RemoteGroupForm>,
) -> Response {
    signed_in(&ctx, &headers, "groups", |ctx, chrome, session| async move {
        if !form_ok(&session, &form.csrf) {
            let message = chrome.lang.t("error_form_expired");
            return groups_list(&ctx, chrome, &session, form.acct, Some(message)).await;
        }
        let group = match crate::federation::resolve::group(&fed, &form.acct).await {
            Ok(group) => group,
            Err(_) => {
                let message = chrome.lang.t("error_group_not_found");
                return groups_list(&ctx, chrome, &session, form.acct, Some(message)).await;
            }
        };
        match crate::service::membership::join(&ctx, &session.actor, group.id).await {
            Ok(_) => Ok(redirect(&format!("/g/{}", group.id.0))),
            Err(e) => Err((chrome, e)),
        }
    })
    .await
}

#[derive(Template)]
#[template(path = "group.html")]
struct GroupPage {
    chrome: Chrome,
    group: GroupItem,
    /// The description, sanitised when it was stored.
    about: String,
    /// The viewer's membership state: active, pending, invited, banned, or empty.
    state: String,
    readable: bool,
    posts: Vec<PostItem>,
}

async fn group_page(State(ctx): State<AppContext>, headers: HeaderMap, axum::extract::Path(id): axum::extract::Path<i64>) -> Response {
    signed_in(&ctx, &headers, "groups", |ctx, chrome, session| async move {
        let group_id = crate::db::GroupId(id);
        let view = match crate::service::groups::get(&ctx, &session.actor, group_id).await {
            Ok(view) => view,
            Err(e) => return Err((chrome, e)),
        };
        let page = crate::db::Page { limit: 20, ..Default::default() };
        let (readable, posts) = match posts::stream(&ctx, &session.actor, Stream::Group(group_id), page).await {
            Ok(views) => (true, views.iter().map(|v| PostItem::new(v, chrome.lang)).collect()),
            Err(_) => (false, Vec::new()),
        };
        let page = GroupPage {
            group: GroupItem::new(&view, chrome.lang),
            about: view.group.note_html.clone(),
            state: view.membership.as_ref().map(|m| m.state.clone()).unwrap_or_default(),
            readable,
            posts,
            chrome,
        };
        Ok(render(&page))
    })
    .await
}

async fn group_join(
    State(ctx): State<AppContext>,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    group_action(ctx, headers, id, form, true).await
}

async fn group_leave(
    State(ctx): State<AppContext>,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    group_action(ctx, headers, id, form, false).await
}

async fn group_action(ctx: AppContext, headers: HeaderMap, id: i64, form: CsrfForm, join: bool) -> Response {
    signed_in(&ctx, &headers, "groups", |ctx, chrome, session| async move {
        if !form_ok(&session, &form.csrf) {
            return Err((chrome, Error::forbidden("form_expired", "This form has expired. Please try again.")));
        }
        let group = crate::db::GroupId(id);
        let done = if join {
            crate::service::membership::join(&ctx, &session.actor, group).await
        } else {
            crate::service::membership::leave(&ctx, &session.actor, group).await
        };
        match done {
            Ok(_) => Ok(redirect(&format!("/g/{id}"))),
            Err(e) => Err((chrome, e)),
        }
    })
    .await
}

#[derive(Deserialize)]
struct PostForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
}

async fn group_post(
    State(ctx): State<AppContext>,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<i64>,
    Form(form): Form<PostForm>,
) -> Response {
    signed_in(&ctx, &headers, "groups", |ctx, chrome, session| async move {
        if !form_ok(&session, &form.csrf) {
            return Err((chrome, Error::forbidden("form_expired", "This form has expired. Please try again.")));
        }
        let input = posts::NewPostInput { text: form.text, group_id: Some(crate::db::GroupId(id)), ..Default::default() };
        match posts::create(&ctx, &session.actor, input).await {
            Ok(_) => Ok(redirect(&format!("/g/{id}"))),
            Err(e) => Err((chrome, e)),
        }
    })
    .await
}
