//! `/settings/account`: change one's password, delete one's account.

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::{is_form_error, redirect, render, render_with, signed_in, submitted, Chrome, Problem};
use crate::context::AppContext;
use crate::service::{accounts, sso};

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    /// A problem with the password form, or with the deletion form.
    password_problem: Problem,
    delete_problem: Problem,
    changed: bool,
    /// Signs in through single sign-on: no password here.
    sso: bool,
}

#[derive(Deserialize)]
pub(crate) struct ChangedQuery {
    #[serde(default)]
    changed: Option<String>,
}

pub(crate) async fn page(State(ctx): State<AppContext>, headers: HeaderMap, Query(q): Query<ChangedQuery>) -> Response {
    signed_in(&ctx, &headers, "people", |ctx, chrome, session| async move {
        Ok(render(&AccountPage {
            chrome,
            password_problem: Problem::none(),
            delete_problem: Problem::none(),
            changed: q.changed.is_some(),
            sso: sso::signs_in_with_sso(&ctx, session.actor.person_id).await?,
        }))
    })
    .await
}

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

/// Changes the password; this browser stays signed in, every other session and app is signed out.
pub(crate) async fn change_password(State(ctx): State<AppContext>, headers: HeaderMap, Form(form): Form<PasswordForm>) -> Response {
    submitted(&ctx, &headers, "people", &form.csrf.clone(), |ctx, chrome, session| async move {
        match accounts::change_password(&ctx, &session.actor, &form.current_password, &form.new_password, Some(&session.token)).await {
            Ok(()) => Ok(redirect("/settings/account?changed=1")),
            Err(e) if is_form_error(&e) => {
                let password_problem = Problem::of(chrome.lang, &e, &["current_password", "new_password"]);
                let sso = sso::signs_in_with_sso(&ctx, session.actor.person_id).await?;
                let page = AccountPage { chrome, password_problem, delete_problem: Problem::none(), changed: false, sso };
                Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
            }
            Err(e) => Err(e),
        }
    })
    .await
}

#[derive(Deserialize)]
pub(crate) struct DeleteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
    /// The box ticked by people who sign in through single sign-on (they have no password here).
    #[serde(default)]
    confirm: Option<String>,
}

/// Deletes the signed-in person's account, confirmed with their password; then signed out.
pub(crate) async fn delete(State(ctx): State<AppContext>, headers: HeaderMap, Form(form): Form<DeleteForm>) -> Response {
    submitted(&ctx, &headers, "people", &form.csrf.clone(), |ctx, chrome, session| async move {
        match accounts::delete_own_account(&ctx, &session.actor, &form.password, form.confirm.is_some()).await {
            Ok(()) => Ok(redirect("/login")),
            Err(e) if is_form_error(&e) => {
                let delete_problem = Problem::of(chrome.lang, &e, &["password", "confirm"]);
                let sso = sso::signs_in_with_sso(&ctx, session.actor.person_id).await?;
                let page = AccountPage { chrome, password_problem: Problem::none(), delete_problem, changed: false, sso };
                Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
            }
            Err(e) => Err(e),
        }
    })
    .await
}

/// Downloads the signed-in person's data as an archive (Mastodon's archive shape).
pub(crate) async fn export(State(fed): State<crate::federation::FedConfig>, headers: HeaderMap) -> Response {
    let ctx: AppContext = (*fed).clone();
    signed_in(&ctx, &headers, "people", |_ctx, _chrome, session| async move {
        let archive = crate::federation::export::archive(&fed, session.actor.person_id).await?;
        let name = archive.username;
        let mut response = axum::response::IntoResponse::into_response(archive.bytes);
        let h = response.headers_mut();
        h.insert(axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/zip"));
        h.insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
        if let Ok(value) = axum::http::HeaderValue::from_str(&format!("attachment; filename=\"gilde-archive-{name}.zip\"")) {
            h.insert(axum::http::header::CONTENT_DISPOSITION, value);
        }
        Ok(response)
    })
    .await
}
