//! The web UI: server-rendered pages (askama templates, checked when compiling) in Dutch and
//! English, working without JavaScript; `gilde.js` only enhances (inline reply, a notice of new
//! posts, local times). A thin front door like the others: every rule is in `service/`.
//!
//! Sessions are tokens of no app (as `admin token` makes), kept in an `HttpOnly`,
//! `SameSite=Lax` cookie (`Secure` when the instance runs behind https). Every form carries a
//! token derived from the session (the sign-in form: a random one also set as a cookie), and
//! every page is sent with a strict Content-Security-Policy: no inline scripts or styles.

mod account;
mod admin;
pub mod authorize;
mod groups;
pub mod i18n;
mod items;
mod people;
mod posts;
mod session;
mod sso;

use askama::Template;
use axum::http::header::{ACCEPT_LANGUAGE, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::context::AppContext;
use crate::error::{Error, ErrorKind};
use crate::service::{oauth, people as people_service};
use i18n::Lang;
pub(crate) use session::{form_ok, session, session_token, sso_label, Session};

/// `upload_limit`: the body size allowed where files are sent (writing posts, pictures).
pub fn router(upload_limit: usize) -> Router<crate::http::AppState> {
    let uploads = axum::extract::DefaultBodyLimit::max(upload_limit);
    Router::new()
        .route("/", get(posts::home).post(posts::home_post).layer(uploads))
        .route("/live/home", get(posts::live_home))
        .route("/login", get(session::login_page).post(session::login_submit))
        .route("/logout", post(session::logout))
        .route("/auth/sso", get(sso::begin))
        .route(crate::service::sso::CALLBACK_PATH, get(sso::callback))
        .route("/p/{id}", get(posts::thread_page))
        .route("/p/{id}/reply", post(posts::reply).layer(uploads))
        .route("/p/{id}/like", post(posts::like))
        .route("/groups", get(groups::groups_page))
        .route("/new-group", get(groups::new_group_page).post(groups::create_group))
        .route("/groups/join-remote", post(groups::join_remote))
        .route("/g/{id}", get(groups::group_page))
        .route("/g/{id}/join", post(groups::group_join))
        .route("/g/{id}/leave", post(groups::group_leave))
        .route("/g/{id}/post", post(groups::group_post).layer(uploads))
        .route("/g/{id}/members", get(groups::members_page))
        .route("/g/{id}/requests/{person}", post(groups::decide))
        .route("/g/{id}/invite", post(groups::invite))
        .route("/g/{id}/role/{person}", post(groups::set_role))
        .route("/g/{id}/remove/{person}", post(groups::remove))
        .route("/g/{id}/settings", get(groups::settings_page).post(groups::settings_submit).layer(uploads))
        .route("/people", get(people::directory_page))
        .route("/u/{id}", get(people::profile_page))
        .route("/@{name}", get(people::profile_by_name))
        .route("/u/{id}/follow", post(people::follow))
        .route("/u/{id}/unfollow", post(people::unfollow))
        .route("/settings/account", get(account::page))
        .route("/settings/password", post(account::change_password))
        .route("/settings/delete", post(account::delete))
        .route("/settings/export", get(account::export))
        .route("/settings/profile", get(people::edit_page).post(people::edit_submit).layer(uploads))
        .route("/notifications", get(people::notifications_page))
        .route("/search", get(people::search_page))
        .route("/admin", get(admin::people_page).post(admin::create_account))
        .route("/admin/accounts/{id}/delete", post(admin::delete_account))
        .route("/admin/accounts/{id}/state", post(admin::set_disabled))
        .route("/admin/accounts/{id}/password", post(admin::reset_password))
        .route("/admin/deletions", get(admin::deletions_page))
        .route("/admin/federation", get(admin::federation_page).post(admin::federation_submit))
        .route("/static/gilde.css", get(stylesheet))
        .route("/static/gilde.js", get(script))
        .route("/static/icon.svg", get(icon))
        .route("/favicon.ico", get(icon))
        .layer(axum::middleware::map_response(security_headers))
        .layer(axum::middleware::from_fn(server_timing))
}

/// Tells the browser (and the benchmark) how long the server took for a page:
/// `Server-Timing: app;dur=1.23` (milliseconds).
async fn server_timing(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let started = std::time::Instant::now();
    let mut response = next.run(request).await;
    let took = started.elapsed().as_secs_f64() * 1000.0;
    if let Ok(value) = HeaderValue::from_str(&format!("app;dur={took:.2}")) {
        response.headers_mut().insert("server-timing", value);
    }
    response
}

/// What every page is sent with.
pub(crate) async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; form-action 'self'; \
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

async fn script() -> Response {
    ([(CONTENT_TYPE, "text/javascript; charset=utf-8"), (CACHE_CONTROL, "public, max-age=3600")], include_str!("gilde.js")).into_response()
}

async fn icon() -> Response {
    ([(CONTENT_TYPE, "image/svg+xml"), (CACHE_CONTROL, "public, max-age=86400")], include_str!("icon.svg")).into_response()
}

fn browser_lang(headers: &HeaderMap) -> Lang {
    Lang::choose(None, headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

pub(crate) fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_string())]).into_response()
}

pub(crate) fn render(page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => ([(CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a page did not render");
            (StatusCode::INTERNAL_SERVER_ERROR, "The page could not be shown.").into_response()
        }
    }
}

/// A page rendered with a status other than 200 (a form sent back with its errors).
pub(crate) fn render_with(status: StatusCode, page: &impl Template) -> Response {
    let mut response = render(page);
    *response.status_mut() = status;
    response
}

/// The signed-in person, as the frame shows them.
#[derive(Clone)]
pub(crate) struct Me {
    pub id: i64,
    pub name: String,
    pub unread: i64,
    pub admin: bool,
}

/// What every page's frame shows: language, instance name, the signed-in person and the
/// session's form token, and which section of the navigation is current.
#[derive(Clone)]
pub(crate) struct Chrome {
    pub lang: Lang,
    pub instance: String,
    pub me: Option<Me>,
    pub csrf: String,
    pub section: &'static str,
}

impl Chrome {
    /// The navigation's entries: (section, address, text key).
    pub fn nav(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        let mut entries = vec![
            ("home", "/", "nav_home"),
            ("groups", "/groups", "nav_groups"),
            ("people", "/people", "nav_people"),
            ("notifications", "/notifications", "nav_notifications"),
            ("search", "/search", "nav_search"),
        ];
        if self.me.as_ref().is_some_and(|m| m.admin) {
            entries.push(("admin", "/admin", "nav_admin"));
        }
        entries
    }
}

/// The frame of a signed-in person's page.
async fn chrome(ctx: &AppContext, headers: &HeaderMap, session: &Session, section: &'static str) -> Result<Chrome, Error> {
    let me = people_service::signed_in_summary(ctx, &session.actor).await?;
    let lang = Lang::choose(me.locale.as_deref(), headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()));
    Ok(Chrome {
        lang,
        instance: ctx.config.instance_name.clone(),
        me: Some(Me {
            id: session.actor.person_id.0,
            name: me.display_name,
            unread: me.unread_notifications,
            admin: session.actor.is_admin,
        }),
        csrf: oauth::form_token(&session.token),
        section,
    })
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    title: &'static str,
    message: String,
}

/// An error as a page, in the frame and the person's language.
fn error_page(chrome: Chrome, e: &Error) -> Response {
    let status = crate::http::error::status_of(e.kind());
    let title = chrome.lang.t(match e.kind() {
        ErrorKind::NotFound => "error_title_not_found",
        ErrorKind::Forbidden | ErrorKind::Unauthenticated => "error_title_forbidden",
        ErrorKind::Invalid | ErrorKind::Malformed | ErrorKind::Conflict | ErrorKind::TooLarge => "error_title_invalid",
        ErrorKind::RateLimited => "error_title_too_many",
        ErrorKind::Unavailable | ErrorKind::Internal => "error_title_internal",
    });
    let page = ErrorPage { title, message: chrome.lang.error(e), chrome };
    render_with(status, &page)
}

/// Runs a page for a signed-in person: to the sign-in page without a session; errors as pages.
pub(crate) async fn signed_in<F, Fut>(ctx: &AppContext, headers: &HeaderMap, section: &'static str, page: F) -> Response
where
    F: FnOnce(AppContext, Chrome, Session) -> Fut,
    Fut: std::future::Future<Output = Result<Response, Error>>,
{
    let Some(session) = session(ctx, headers).await else { return redirect("/login") };
    let chrome = match chrome(ctx, headers, &session, section).await {
        Ok(chrome) => chrome,
        Err(e) => return crate::http::error::ApiError(e).into_response(),
    };
    match page(ctx.clone(), chrome.clone(), session).await {
        Ok(response) => response,
        Err(e) => error_page(chrome, &e),
    }
}

/// As `signed_in`, for a form: its token must match the session's, else nothing changes.
pub(crate) async fn submitted<F, Fut>(ctx: &AppContext, headers: &HeaderMap, section: &'static str, csrf: &str, page: F) -> Response
where
    F: FnOnce(AppContext, Chrome, Session) -> Fut,
    Fut: std::future::Future<Output = Result<Response, Error>>,
{
    let csrf = csrf.to_string();
    signed_in(ctx, headers, section, move |ctx, chrome, session| async move {
        if !form_ok(&session, &csrf) {
            return Err(form_expired());
        }
        page(ctx, chrome, session).await
    })
    .await
}

pub(crate) fn form_expired() -> Error {
    Error::forbidden("form_expired", "This form has expired. Please try again.")
}

/// A form's problem: shown next to its field when the form has that field, else above the form.
#[derive(Clone, Default)]
pub(crate) struct Problem {
    field: &'static str,
    message: String,
}

impl Problem {
    pub fn none() -> Problem {
        Problem::default()
    }

    /// The error of a service call, for a form with these fields.
    pub fn of(lang: Lang, e: &Error, fields: &[&'static str]) -> Problem {
        let field = e.field().filter(|f| fields.contains(f)).unwrap_or("");
        Problem { field, message: lang.error(e) }
    }

    /// The message for `field`, if the problem is there.
    pub fn on(&self, field: &str) -> Option<&str> {
        (!self.message.is_empty() && self.field == field).then_some(self.message.as_str())
    }

    /// A problem of the whole form.
    pub fn general(&self) -> Option<&str> {
        self.on("")
    }

    pub fn is_some(&self) -> bool {
        !self.message.is_empty()
    }
}

/// Whether an error belongs to the form (shown with it) rather than a page of its own.
pub(crate) fn is_form_error(e: &Error) -> bool {
    matches!(e.kind(), ErrorKind::Invalid | ErrorKind::Malformed | ErrorKind::Conflict | ErrorKind::TooLarge) || e.field().is_some()
}
