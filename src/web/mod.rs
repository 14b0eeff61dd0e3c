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
use axum::extract::{Form, Request, State};
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

fn redirect(to: &'static str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to)]).into_response()
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

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    lang: Lang,
    instance: String,
    csrf: String,
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
    let page = LoginPage {
        lang: browser_lang(headers),
        instance: ctx.config.instance_name.clone(),
        csrf: csrf.clone(),
        username,
        form_error,
        field_error,
    };
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
    if !oauth::same(&oauth::form_token(&session.token), &form.csrf) {
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
    lang: Lang,
    instance: String,
    csrf: String,
    me: String,
    posts: Vec<PostItem>,
}

async fn home(State(ctx): State<AppContext>, headers: HeaderMap, _request: Request) -> Response {
    let Some(session) = session(&ctx, &headers).await else { return redirect("/login") };
    match home_page(&ctx, &headers, &session).await {
        Ok(page) => render(&page),
        Err(e) => crate::http::error::ApiError(e).into_response(),
    }
}

async fn home_page(ctx: &AppContext, headers: &HeaderMap, session: &Session) -> Result<HomePage, Error> {
    let me = people::get(ctx, session.actor.person_id).await?;
    let locale = people::locale(ctx, session.actor.person_id).await?;
    let lang = Lang::choose(locale.as_deref(), headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()));
    let page = crate::db::Page { limit: 20, ..Default::default() };
    let views = posts::stream(ctx, &session.actor, Stream::Home, page).await?;
    Ok(HomePage {
        lang,
        instance: ctx.config.instance_name.clone(),
        csrf: oauth::form_token(&session.token),
        me: me.person.display_name,
        posts: views.iter().map(|v| PostItem::new(v, lang)).collect(),
    })
}
