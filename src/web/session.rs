//! Signing in and out, and the session of a request.

use askama::Template;
use axum::extract::{Form, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{browser_lang, redirect, render_with, Chrome};
use crate::context::AppContext;
use crate::error::ErrorKind;
use crate::service::{oauth, people, Actor};

pub(crate) const SESSION_COOKIE: &str = "gilde_session";
/// How long a web session lasts.
pub(crate) const SESSION_DAYS: i64 = 30;
const FORM_COOKIE: &str = "gilde_form";

pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

pub(crate) fn set_cookie(ctx: &AppContext, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if ctx.config.https { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The signed-in person of this request, with their session token.
pub(crate) struct Session {
    pub actor: Actor,
    pub token: String,
}

/// The session token a browser sent, not yet checked.
pub(crate) fn session_token(headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE).filter(|t| !t.is_empty())
}

pub(crate) async fn session(ctx: &AppContext, headers: &HeaderMap) -> Option<Session> {
    let token = session_token(headers)?;
    let owner = oauth::authenticate(ctx, &token).await.ok()?;
    // Only sessions (tokens of no app) sign in to the web UI.
    if owner.app.is_some() {
        return None;
    }
    Some(Session { actor: owner.actor?, token })
}

/// Checks a form's token against the session's.
pub(crate) fn form_ok(session: &Session, csrf: &str) -> bool {
    oauth::same(&oauth::form_token(&session.token), csrf)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    username: String,
    form_error: Option<&'static str>,
    field_error: Option<&'static str>,
    /// The single sign-on button's text, when the instance has single sign-on.
    sso: Option<String>,
    /// Whether the name and password form is shown.
    password: bool,
}

/// The single sign-on button's text: the admin's, else "Sign in with your organisation's account".
pub(crate) fn sso_label(ctx: &AppContext, lang: super::i18n::Lang) -> Option<String> {
    let settings = ctx.config.sso.as_ref()?;
    Some(settings.button_label.clone().unwrap_or_else(|| lang.t("sso_button").to_string()))
}

pub(crate) async fn login_page(State(ctx): State<AppContext>, headers: HeaderMap) -> Response {
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
    let lang = browser_lang(headers);
    let chrome = Chrome { lang, instance: ctx.config.instance_name.clone(), me: None, csrf: csrf.clone(), section: "" };
    let page = LoginPage { chrome, username, form_error, field_error, sso: sso_label(ctx, lang), password: ctx.config.password_sign_in };
    let mut response = render_with(status, &page);
    response.headers_mut().append(SET_COOKIE, set_cookie(ctx, FORM_COOKIE, &csrf, 3600));
    response
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

pub(crate) async fn login_submit(
    State(ctx): State<AppContext>,
    headers: HeaderMap,
    client: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = browser_lang(&headers);
    if let Some(axum::Extension(axum::extract::ConnectInfo(addr))) = client {
        if ctx.limits.sign_in_by_address.check_key(&addr.ip()).is_err() {
            return login_form(&ctx, &headers, StatusCode::TOO_MANY_REQUESTS, form.username, Some(lang.t("error_too_many")), None);
        }
    }
    let expected = cookie(&headers, FORM_COOKIE).unwrap_or_default();
    if expected.is_empty() || !oauth::same(&expected, &form.csrf) {
        return login_form(&ctx, &headers, StatusCode::FORBIDDEN, form.username, Some(lang.t("error_form_expired")), None);
    }
    let actor = match people::authenticate(&ctx, &form.username, &form.password).await {
        Ok(actor) => actor,
        Err(e) if e.kind() == ErrorKind::RateLimited => {
            return login_form(&ctx, &headers, StatusCode::TOO_MANY_REQUESTS, form.username, Some(lang.t("error_too_many")), None)
        }
        Err(e) if e.code() == "password_sign_in_off" => {
            return login_form(&ctx, &headers, StatusCode::FORBIDDEN, form.username, Some(lang.t("error_password_sign_in_off")), None)
        }
        Err(e) if e.code() == "account_disabled" => {
            return login_form(&ctx, &headers, StatusCode::FORBIDDEN, form.username, Some(lang.t("error_account_disabled")), None)
        }
        Err(_) => return login_form(&ctx, &headers, StatusCode::UNAUTHORIZED, form.username, None, Some(lang.t("error_wrong_password"))),
    };
    start_session(&ctx, &actor, "/", FORM_COOKIE).await
}

/// A new web session for the person: its cookie set, the cookie of the finished sign-in
/// (`spent_cookie`) cleared, and the browser sent on to `to`.
pub(crate) async fn start_session(ctx: &AppContext, actor: &Actor, to: &str, spent_cookie: &str) -> Response {
    let token = match oauth::token_for_person(ctx, actor.person_id).await {
        Ok(token) => token,
        Err(e) => return crate::http::error::ApiError(e).into_response(),
    };
    let mut response = redirect(to);
    response.headers_mut().append(SET_COOKIE, set_cookie(ctx, SESSION_COOKIE, &token, SESSION_DAYS * 24 * 3600));
    response.headers_mut().append(SET_COOKIE, set_cookie(ctx, spent_cookie, "", 0));
    response
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

pub(crate) async fn logout(State(ctx): State<AppContext>, headers: HeaderMap, Form(form): Form<CsrfForm>) -> Response {
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
