//! The admin pages: the instance's people (and new accounts), and whom it federates with.

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::{is_form_error, redirect, render, render_with, signed_in, submitted, Chrome, Problem};
use crate::context::AppContext;
use crate::error::Error;
use crate::service::instance::{self, FederationLists};
use crate::service::people::{self, NewAccount};
use crate::service::Actor;

struct AccountItem {
    id: i64,
    username: String,
    name: String,
    department: String,
    admin: bool,
    disabled: bool,
    since: String,
}

#[derive(Template)]
#[template(path = "admin_people.html")]
struct PeoplePage {
    chrome: Chrome,
    accounts: Vec<AccountItem>,
    form: AccountForm,
    problem: Problem,
    created: Option<String>,
    deleted: Option<String>,
    /// A password an admin just set: (name, password), shown once.
    reset: Option<(String, String)>,
}

#[derive(Deserialize, Default)]
pub(crate) struct AccountForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    admin: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct CreatedQuery {
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    deleted: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct DeleteForm {
    #[serde(default)]
    csrf: String,
    /// Ticked: the admin confirms.
    #[serde(default)]
    confirm: Option<String>,
}

/// The instance's accounts, as the admin page lists them.
async fn account_items(ctx: &AppContext, chrome: &Chrome, actor: &Actor) -> Result<Vec<AccountItem>, Error> {
    Ok(people::accounts_for_admin(ctx, actor)
        .await?
        .into_iter()
        .map(|(person, account)| AccountItem {
            id: person.id.0,
            name: person.display_name.clone(),
            department: person.department.clone(),
            admin: account.is_admin,
            disabled: account.disabled,
            since: chrome.lang.date_time(person.created_at),
            username: person.username,
        })
        .collect())
}

async fn people_list(
    ctx: &AppContext,
    chrome: Chrome,
    actor: &Actor,
    form: AccountForm,
    problem: Problem,
    created: Option<String>,
    deleted: Option<String>,
) -> Result<Response, Error> {
    let accounts = account_items(ctx, &chrome, actor).await?;
    let status = if problem.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render_with(status, &PeoplePage { chrome, accounts, form, problem, created, deleted, reset: None }))
}

pub(crate) async fn people_page(State(ctx): State<AppContext>, headers: HeaderMap, Query(q): Query<CreatedQuery>) -> Response {
    signed_in(&ctx, &headers, "admin", |ctx, chrome, session| async move {
        people_list(&ctx, chrome, &session.actor, AccountForm::default(), Problem::none(), q.created, q.deleted).await
    })
    .await
}

pub(crate) async fn create_account(State(ctx): State<AppContext>, headers: HeaderMap, Form(form): Form<AccountForm>) -> Response {
    submitted(&ctx, &headers, "admin", &form.csrf.clone(), |ctx, chrome, session| async move {
        let new = NewAccount {
            username: form.username.trim().to_string(),
            password: form.password.clone(),
            display_name: Some(form.display_name.trim().to_string()).filter(|n| !n.is_empty()),
            is_admin: form.admin.is_some(),
        };
        match people::create_account_as_admin(&ctx, &session.actor, new).await {
            Ok(person) => Ok(redirect(&format!("/admin?created={}", person.username))),
            Err(e) if is_form_error(&e) => {
                let problem = Problem::of(chrome.lang, &e, &["username", "display_name", "password"]);
                let form = AccountForm { password: String::new(), ..form };
                people_list(&ctx, chrome, &session.actor, form, problem, None, None).await
            }
            Err(e) => Err(e),
        }
    })
    .await
}

#[derive(Deserialize)]
pub(crate) struct StateForm {
    #[serde(default)]
    csrf: String,
    /// `1` to disable, `0` to enable.
    #[serde(default)]
    disabled: String,
}

/// Disables or enables an account.
pub(crate) async fn set_disabled(
    State(ctx): State<AppContext>,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<i64>,
    Form(form): Form<StateForm>,
) -> Response {
    submitted(&ctx, &headers, "admin", &form.csrf.clone(), |ctx, chrome, session| async move {
        match crate::service::accounts::set_disabled(&ctx, &session.actor, crate::db::PersonId(id), form.disabled == "1").await {
            Ok(()) => Ok(redirect("/admin#accounts")),
            Err(e) if is_form_error(&e) => {
                let problem = Problem::of(chrome.lang, &e, &[]);
                people_list(&ctx, chrome, &session.actor, AccountForm::default(), problem, None, None).await
            }
            Err(e) => Err(e),
        }
    })
    .await
}

/// Gives someone a new password, shown once on the page (never in an address).
pub(crate) async fn reset_password(
    State(ctx): State<AppContext>,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<i64>,
    Form(form): Form<DeleteForm>,
) -> Response {
    submitted(&ctx, &headers, "admin", &form.csrf.clone(), |ctx, chrome, session| async move {
        let person = crate::db::PersonId(id);
        let name = people::get(&ctx, person).await?.person.username;
        let password = crate::service::accounts::reset_password(&ctx, &session.actor, person).await?;
        let accounts = account_items(&ctx, &chrome, &session.actor).await?;
        let page = PeoplePage {
            chrome,
            accounts,
            form: AccountForm::default(),
            problem: Problem::none(),
            created: None,
            deleted: None,
            reset: Some((name, password)),
        };
        let mut response = render(&page);
        response.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
        Ok(response)
    })
    .await
}

/// Deletes an account (with its posts and files), once the admin ticked the confirmation.
pub(crate) async fn delete_account(
    State(ctx): State<AppContext>,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<i64>,
    Form(form): Form<DeleteForm>,
) -> Response {
    submitted(&ctx, &headers, "admin", &form.csrf.clone(), |ctx, chrome, session| async move {
        let person = crate::db::PersonId(id);
        let result = if form.confirm.is_none() {
            Err(Error::invalid("confirm_deletion", "Tick the box to confirm the deletion."))
        } else {
            let name = people::get(&ctx, person).await?.person.username;
            crate::service::deletion::delete_account(&ctx, &session.actor, person).await.map(|()| name)
        };
        match result {
            Ok(name) => Ok(redirect(&format!("/admin?deleted={name}"))),
            Err(e) if is_form_error(&e) => {
                let problem = Problem::of(chrome.lang, &e, &[]);
                people_list(&ctx, chrome, &session.actor, AccountForm::default(), problem, None, None).await
            }
            Err(e) => Err(e),
        }
    })
    .await
}

/// A server in the admin's list.
struct ServerItem {
    domain: String,
    software: String,
    /// "ok", "failing" or "dead".
    state: &'static str,
    since: String,
    last_success: String,
    waiting: i64,
    /// "2026-12-01 10:00: 403 {…}", or empty.
    last_refusal: String,
}

async fn server_items(ctx: &AppContext, chrome: &Chrome, actor: &Actor) -> Result<Vec<ServerItem>, Error> {
    let lang = chrome.lang;
    let when = |at: Option<chrono::NaiveDateTime>| at.map(|at| lang.date_time(at)).unwrap_or_default();
    Ok(instance::servers(ctx, actor)
        .await?
        .into_iter()
        .map(|s| ServerItem {
            state: if s.dead_since.is_some() {
                "dead"
            } else if s.failing_since.is_some() {
                "failing"
            } else {
                "ok"
            },
            since: when(s.dead_since.or(s.failing_since)),
            last_success: when(s.last_success_at),
            software: s.software.unwrap_or_default(),
            waiting: s.waiting,
            last_refusal: s.last_refusal.map(|(reason, at)| format!("{}: {reason}", lang.date_time(at))).unwrap_or_default(),
            domain: s.domain,
        })
        .collect())
}

#[derive(Template)]
#[template(path = "admin_federation.html")]
struct FederationPage {
    chrome: Chrome,
    servers: Vec<ServerItem>,
    lists: FederationLists,
    blocked: String,
    allowed: String,
    problem: Problem,
    saved: bool,
}

#[derive(Deserialize)]
pub(crate) struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

pub(crate) async fn federation_page(State(ctx): State<AppContext>, headers: HeaderMap, Query(q): Query<SavedQuery>) -> Response {
    signed_in(&ctx, &headers, "admin", |ctx, chrome, session| async move {
        let lists = instance::federation_lists(&ctx, &session.actor).await?;
        let servers = server_items(&ctx, &chrome, &session.actor).await?;
        let (blocked, allowed) = (lists.blocked.join("\n"), lists.allowed.join("\n"));
        Ok(render(&FederationPage { chrome, servers, lists, blocked, allowed, problem: Problem::none(), saved: q.saved.is_some() }))
    })
    .await
}

#[derive(Deserialize)]
pub(crate) struct FederationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    blocked: String,
    #[serde(default)]
    allowed: String,
}

pub(crate) async fn federation_submit(State(ctx): State<AppContext>, headers: HeaderMap, Form(form): Form<FederationForm>) -> Response {
    submitted(&ctx, &headers, "admin", &form.csrf.clone(), |ctx, chrome, session| async move {
        let lines = |text: &str| text.lines().map(str::to_string).collect::<Vec<_>>();
        match instance::set_federation_lists(&ctx, &session.actor, lines(&form.blocked), lines(&form.allowed)).await {
            Ok(()) => Ok(redirect("/admin/federation?saved=1")),
            Err(e) if is_form_error(&e) => {
                let lists = instance::federation_lists(&ctx, &session.actor).await?;
                let servers = server_items(&ctx, &chrome, &session.actor).await?;
                let problem = Problem::of(chrome.lang, &e, &["blocked", "allowed"]);
                let page = FederationPage { chrome, servers, lists, blocked: form.blocked, allowed: form.allowed, problem, saved: false };
                Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
            }
            Err(e) => Err(e),
        }
    })
    .await
}

/// One account deletion on the admin's page, with each server's state.
struct DeletionItem {
    username: String,
    when: String,
    /// (domain, state key, detail)
    servers: Vec<(String, &'static str, String)>,
}

#[derive(Template)]
#[template(path = "admin_deletions.html")]
struct DeletionsPage {
    chrome: Chrome,
    deletions: Vec<DeletionItem>,
}

/// Account deletions, and per server whether the `Delete` arrived.
pub(crate) async fn deletions_page(State(ctx): State<AppContext>, headers: HeaderMap) -> Response {
    signed_in(&ctx, &headers, "admin", |ctx, chrome, session| async move {
        let reports = crate::service::deletion::deletion_reports(&ctx, &session.actor).await?;
        let deletions = reports
            .into_iter()
            .map(|(deletion, servers)| DeletionItem {
                username: deletion.username,
                when: chrome.lang.date_time(deletion.deleted_at),
                servers: servers
                    .into_iter()
                    .map(|s| {
                        let key = match s.state.as_str() {
                            "delivered" => "deletion_delivered",
                            "refused" => "deletion_refused",
                            "failed" => "deletion_failed",
                            "retrying" => "deletion_retrying",
                            _ => "deletion_waiting",
                        };
                        (s.domain, key, s.detail.unwrap_or_default())
                    })
                    .collect(),
            })
            .collect();
        Ok(render(&DeletionsPage { chrome, deletions }))
    })
    .await
}
