//! Single sign-on pages: `/auth/sso` sends the browser to the organisation's provider,
//! `/auth/sso/callback` is where it comes back. The rules are in `service::sso`.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use super::session::{cookie, set_cookie, start_session};
use super::{browser_lang, redirect, render_with, Chrome};
use crate::context::AppContext;
use crate::error::Error;
use crate::service::sso;

/// The browser's half of a begun sign-in: the state, checked against the one that comes back.
const STATE_COOKIE: &str = "gilde_sso";

#[derive(Template)]
#[template(path = "sso_error.html")]
struct SsoErrorPage {
    chrome: Chrome,
    message: String,
    retry: String,
}

/// Why signing in did not work, with a way to start again.
fn sso_error(ctx: &AppContext, headers: &HeaderMap, e: &Error, return_to: &str) -> Response {
    crate::http::error::log(e);
    let lang = browser_lang(headers);
    let chrome = Chrome { lang, instance: ctx.config.instance_name.clone(), me: None, csrf: String::new(), section: "" };
    let retry = format!("/auth/sso?return_to={}", url::form_urlencoded::byte_serialize(return_to.as_bytes()).collect::<String>());
    let page = SsoErrorPage { message: lang.error(e), retry, chrome };
    let mut response = render_with(crate::http::error::status_of(e.kind()), &page);
    response.headers_mut().append(SET_COOKIE, set_cookie(ctx, STATE_COOKIE, "", 0));
    response
}

#[derive(Deserialize)]
pub(crate) struct BeginQuery {
    return_to: Option<String>,
}

pub(crate) async fn begin(State(ctx): State<AppContext>, headers: HeaderMap, Query(q): Query<BeginQuery>) -> Response {
    let return_to = sso::safe_return_to(q.return_to.as_deref());
    match sso::begin(&ctx, Some(&return_to)).await {
        Ok(begun) => {
            let mut response = redirect(&begun.provider_url);
            response.headers_mut().append(SET_COOKIE, set_cookie(&ctx, STATE_COOKIE, &begun.state, 15 * 60));
            response
        }
        Err(e) => sso_error(&ctx, &headers, &e, &return_to),
    }
}

#[derive(Deserialize)]
pub(crate) struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

pub(crate) async fn callback(State(ctx): State<AppContext>, headers: HeaderMap, Query(q): Query<CallbackQuery>) -> Response {
    let browser_state = cookie(&headers, STATE_COOKIE);
    let callback = sso::Callback { state: q.state, code: q.code, error: q.error, error_description: q.error_description };
    let signed_in = match sso::finish(&ctx, callback, browser_state.as_deref()).await {
        Ok(signed_in) => signed_in,
        Err(e) => return sso_error(&ctx, &headers, &e, "/"),
    };
    start_session(&ctx, &signed_in.actor, &signed_in.return_to, STATE_COOKIE).await
}
