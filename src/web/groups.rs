//! Groups: the overview, creating a group, a group's page, its members and, for moderators,
//! requests, invitations, roles and settings.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::items::{GroupItem, PersonItem, PostItem};
use super::posts::{chosen_files, older_than, page_before, write, Draft, Paging, PostForm};
use super::session::CsrfForm;
use super::{is_form_error, redirect, render, render_with, signed_in, submitted, Chrome, Problem, Session};
use crate::context::AppContext;
use crate::db::{GroupId, PersonId};
use crate::error::Error;
use crate::federation::FedConfig;
use crate::http::extract::WithFiles;
use crate::service::groups::{self, GroupListing, GroupUpdate, NewGroupInput};
use crate::service::media::{self, PictureOf, Upload};
use crate::service::membership::{self, MemberView};
use crate::service::posts::{self, NewPostInput, Stream};
use crate::service::{GroupView, MemberState, Role, Scope, Visibility};

#[derive(Template)]
#[template(path = "groups.html")]
struct GroupsPage {
    chrome: Chrome,
    mine: Vec<GroupItem>,
    discover: Vec<GroupItem>,
    acct: String,
    problem: Problem,
}

async fn groups_list(ctx: &AppContext, chrome: Chrome, session: &Session, acct: String, problem: Problem) -> Result<Response, Error> {
    let mine = groups::list(ctx, &session.actor, GroupListing::Mine, None, 80, 0).await?;
    let discover = groups::list(ctx, &session.actor, GroupListing::Discover, None, 80, 0).await?;
    let lang = chrome.lang;
    let status = if problem.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let mine_ids: Vec<_> = mine.iter().map(|g| g.group.id).collect();
    let discover: Vec<GroupView> = discover.into_iter().filter(|g| !mine_ids.contains(&g.group.id)).collect();
    let page = GroupsPage { mine: GroupItem::list(&mine, lang), discover: GroupItem::list(&discover, lang), acct, problem, chrome };
    Ok(render_with(status, &page))
}

pub(crate) async fn groups_page(State(ctx): State<AppContext>, headers: HeaderMap) -> Response {
    signed_in(&ctx, &headers, "groups", |ctx, chrome, session| async move {
        groups_list(&ctx, chrome, &session, String::new(), Problem::none()).await
    })
    .await
}

#[derive(Deserialize)]
pub(crate) struct RemoteGroupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    acct: String,
}

/// Joins (or asks to join) a group of another instance by its address.
pub(crate) async fn join_remote(
    State(ctx): State<AppContext>,
    State(fed): State<FedConfig>,
    headers: HeaderMap,
    Form(form): Form<RemoteGroupForm>,
) -> Response {
    submitted(&ctx, &headers, "groups", &form.csrf.clone(), |ctx, chrome, session| async move {
        let group = match crate::federation::resolve::group(&fed, &form.acct).await {
            Ok(group) => group,
            Err(e) => {
                // A malformed address or a domain this instance does not federate with says so;
                // anything else (no answer, no such group) is "not found".
                let problem = if is_form_error(&e) || e.kind() == crate::error::ErrorKind::Forbidden {
                    Problem::of(chrome.lang, &e, &[])
                } else {
                    Problem::of(chrome.lang, &Error::not_found("group_not_found", "No group was found at this address."), &[])
                };
                return groups_list(&ctx, chrome, &session, form.acct, problem).await;
            }
        };
        membership::join(&ctx, &session.actor, group.id).await?;
        Ok(redirect(&format!("/g/{}", group.id.0)))
    })
    .await
}

#[derive(Template)]
#[template(path = "group_new.html")]
struct NewGroupPage {
    chrome: Chrome,
    form: NewGroupForm,
    problem: Problem,
}

#[derive(Deserialize, Default)]
pub(crate) struct NewGroupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    visibility: String,
    #[serde(default)]
    announcements: Option<String>,
}

pub(crate) async fn new_group_page(State(ctx): State<AppContext>, headers: HeaderMap) -> Response {
    signed_in(&ctx, &headers, "groups", |_ctx, chrome, _session| async move {
        let form = NewGroupForm { scope: "internal".into(), visibility: "public".into(), ..Default::default() };
        Ok(render(&NewGroupPage { chrome, form, problem: Problem::none() }))
    })
    .await
}

pub(crate) async fn create_group(State(ctx): State<AppContext>, headers: HeaderMap, Form(form): Form<NewGroupForm>) -> Response {
    submitted(&ctx, &headers, "groups", &form.csrf.clone(), |ctx, chrome, session| async move {
        let input = (|| {
            Ok::<_, Error>(NewGroupInput {
                name: form.name.clone(),
                display_name: form.display_name.clone(),
                note: form.note.clone(),
                scope: Scope::parse(&form.scope).map_err(|e| e.with_field("scope"))?,
                visibility: Visibility::parse(&form.visibility).map_err(|e| e.with_field("visibility"))?,
                announcements_only: form.announcements.is_some(),
            })
        })();
        let created = match input {
            Ok(input) => groups::create(&ctx, &session.actor, input).await,
            Err(e) => Err(e),
        };
        match created {
            Ok(view) => Ok(redirect(&format!("/g/{}", view.group.id.0))),
            Err(e) if is_form_error(&e) => {
                let problem = Problem::of(chrome.lang, &e, &["name", "display_name", "note", "scope", "visibility"]);
                Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &NewGroupPage { chrome, form, problem }))
            }
            Err(e) => Err(e),
        }
    })
    .await
}

/// The tabs of a group's page, with what the reader may do.
struct GroupHeader {
    group: GroupItem,
    /// The description, sanitised when it was stored.
    about: String,
    /// The viewer's membership state: active, pending, invited, banned, or empty.
    state: String,
    moderator: bool,
    owner: bool,
    tab: &'static str,
}

impl GroupHeader {
    fn new(view: &GroupView, chrome: &Chrome, tab: &'static str) -> GroupHeader {
        let role = view.membership.as_ref().filter(|m| m.state == "active").map(|m| m.role.as_str()).unwrap_or("");
        let admin = chrome.me.as_ref().is_some_and(|m| m.admin) && view.group.domain.is_none();
        GroupHeader {
            group: GroupItem::new(view, chrome.lang),
            about: view.group.note_html.clone(),
            state: view.membership.as_ref().map(|m| m.state.clone()).unwrap_or_default(),
            moderator: role == "owner" || role == "moderator" || admin,
            owner: role == "owner" || admin,
            tab,
        }
    }
}

#[derive(Template)]
#[template(path = "group.html")]
struct GroupPage {
    chrome: Chrome,
    head: GroupHeader,
    readable: bool,
    posts: Vec<PostItem>,
    older: Option<i64>,
    draft: Draft,
}

async fn group_stream(
    ctx: &AppContext,
    chrome: Chrome,
    session: &Session,
    id: i64,
    before: Option<i64>,
    draft: Draft,
) -> Result<Response, Error> {
    let group_id = GroupId(id);
    let view = groups::get(ctx, &session.actor, group_id).await?;
    let (readable, posts) = match posts::stream(ctx, &session.actor, Stream::Group(group_id), page_before(before)).await {
        Ok(views) => (true, PostItem::list(&views, chrome.lang)),
        Err(_) => (false, Vec::new()),
    };
    let status = draft.status();
    let older = older_than(&posts);
    let page = GroupPage { head: GroupHeader::new(&view, &chrome, "posts"), readable, posts, older, draft, chrome };
    Ok(render_with(status, &page))
}

pub(crate) async fn group_page(
    State(ctx): State<AppContext>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(paging): Query<Paging>,
) -> Response {
    signed_in(&ctx, &headers, "groups", |ctx, chrome, session| async move {
        group_stream(&ctx, chrome, &session, id, paging.before, Draft::default()).await
    })
    .await
}

pub(crate) async fn group_join(
    State(ctx): State<AppContext>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    membership_change(ctx, headers, id, form, true).await
}

pub(crate) async fn group_leave(
    State(ctx): State<AppContext>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    membership_change(ctx, headers, id, form, false).await
}

/// Joins (or asks to join, or accepts an invitation) or leaves (or withdraws a request).
async fn membership_change(ctx: AppContext, headers: HeaderMap, id: i64, form: CsrfForm, join: bool) -> Response {
    submitted(&ctx, &headers, "groups", &form.csrf, |ctx, _chrome, session| async move {
        if join {
            membership::join(&ctx, &session.actor, GroupId(id)).await?;
        } else {
            membership::leave(&ctx, &session.actor, GroupId(id)).await?;
        }
        Ok(redirect(&format!("/g/{id}")))
    })
    .await
}

pub(crate) async fn group_post(
    State(ctx): State<AppContext>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    mut form: WithFiles<PostForm>,
) -> Response {
    let files = chosen_files(&mut form);
    let form = form.input;
    submitted(&ctx, &headers, "groups", &form.csrf.clone(), |ctx, chrome, session| async move {
        let input = NewPostInput { text: form.status.clone(), group_id: Some(GroupId(id)), ..Default::default() };
        match write(&ctx, &chrome, &session, &form, files, input).await? {
            None => Ok(redirect(&format!("/g/{id}"))),
            Some(draft) => group_stream(&ctx, chrome, &session, id, None, draft).await,
        }
    })
    .await
}

/// A member in the list, with the role as the reader's language says it.
struct MemberItem {
    person: PersonItem,
    role: String,
    role_text: &'static str,
}

fn member_items(list: &[MemberView], chrome: &Chrome) -> Vec<MemberItem> {
    list.iter()
        .map(|m| MemberItem {
            person: PersonItem::new(&m.person),
            role: m.membership.role.clone(),
            role_text: chrome.lang.t(match m.membership.role.as_str() {
                "owner" => "role_owner",
                "moderator" => "role_moderator",
                _ => "role_member",
            }),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "group_members.html")]
struct MembersPage {
    chrome: Chrome,
    head: GroupHeader,
    members: Vec<MemberItem>,
    requests: Vec<MemberItem>,
    invited: Vec<MemberItem>,
    invitee: String,
    problem: Problem,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
pub(crate) struct MembersQuery {
    #[serde(default)]
    done: Option<String>,
}

async fn members(
    ctx: &AppContext,
    chrome: Chrome,
    session: &Session,
    id: i64,
    invitee: String,
    problem: Problem,
    done: Option<&str>,
) -> Result<Response, Error> {
    let group_id = GroupId(id);
    let view = groups::get(ctx, &session.actor, group_id).await?;
    let head = GroupHeader::new(&view, &chrome, "members");
    let list = membership::members(ctx, &session.actor, group_id, None, 80).await?;
    let (requests, invited) = if head.moderator {
        (
            membership::list_by_state(ctx, &session.actor, group_id, MemberState::Pending, None, 80).await?,
            membership::list_by_state(ctx, &session.actor, group_id, MemberState::Invited, None, 80).await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let status = if problem.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let notice = match done {
        Some("invited") => Some(chrome.lang.t("notice_invited")),
        Some("saved") => Some(chrome.lang.t("notice_saved")),
        _ => None,
    };
    let page = MembersPage {
        members: member_items(&list, &chrome),
        requests: member_items(&requests, &chrome),
        invited: member_items(&invited, &chrome),
        head,
        invitee,
        problem,
        notice,
        chrome,
    };
    Ok(render_with(status, &page))
}

pub(crate) async fn members_page(
    State(ctx): State<AppContext>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<MembersQuery>,
) -> Response {
    signed_in(&ctx, &headers, "groups", |ctx, chrome, session| async move {
        members(&ctx, chrome, &session, id, String::new(), Problem::none(), q.done.as_deref()).await
    })
    .await
}

#[derive(Deserialize)]
pub(crate) struct DecideForm {
    #[serde(default)]
    csrf: String,
    /// `approve` or `reject`.
    #[serde(default)]
    decision: String,
}

pub(crate) async fn decide(
    State(ctx): State<AppContext>,
    headers: HeaderMap,
    Path((id, person)): Path<(i64, i64)>,
    Form(form): Form<DecideForm>,
) -> Response {
    submitted(&ctx, &headers, "groups", &form.csrf.clone(), |ctx, _chrome, session| async move {
        membership::decide_request(&ctx, &session.actor, GroupId(id), PersonId(person), form.decision == "approve").await?;
        Ok(redirect(&format!("/g/{id}/members")))
    })
    .await
}

#[derive(Deserialize)]
pub(crate) struct InviteForm {
    #[serde(default)]
    csrf: String,
    /// `name` of this instance or `name@domain`.
    #[serde(default)]
    person: String,
}

pub(crate) async fn invite(
    State(ctx): State<AppContext>,
    State(fed): State<FedConfig>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<InviteForm>,
) -> Response {
    submitted(&ctx, &headers, "groups", &form.csrf.clone(), |ctx, chrome, session| async move {
        let person = match find_person(&ctx, &fed, &form.person).await {
            Ok(person) => person,
            Err(e) => {
                return members(&ctx, chrome.clone(), &session, id, form.person, Problem::of(chrome.lang, &e, &["person"]), None).await
            }
        };
        match membership::invite(&ctx, &session.actor, GroupId(id), vec![person]).await {
            Ok(_) => Ok(redirect(&format!("/g/{id}/members?done=invited"))),
            Err(e) if is_form_error(&e) => {
                let problem = Problem::of(chrome.lang, &e.with_field("person"), &["person"]);
                members(&ctx, chrome, &session, id, form.person, problem, None).await
            }
            Err(e) => Err(e),
        }
    })
    .await
}

/// A person by `name` (this instance) or `name@domain` (fetched when not known yet).
pub(crate) async fn find_person(ctx: &AppContext, fed: &FedConfig, acct: &str) -> Result<PersonId, Error> {
    let acct = acct.trim();
    if acct.is_empty() {
        return Err(Error::invalid("nobody_invited", "Choose at least one person to invite.").with_field("person"));
    }
    match crate::service::people::lookup(ctx, acct).await {
        Ok(found) => Ok(found.person.id),
        Err(e) if acct.trim_start_matches('@').contains('@') => match crate::federation::resolve::person(fed, acct).await {
            Ok(person) => Ok(person.id),
            Err(_) => Err(e.with_field("person")),
        },
        Err(e) => Err(e.with_field("person")),
    }
}

#[derive(Deserialize)]
pub(crate) struct RoleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
}

pub(crate) async fn set_role(
    State(ctx): State<AppContext>,
    headers: HeaderMap,
    Path((id, person)): Path<(i64, i64)>,
    Form(form): Form<RoleForm>,
) -> Response {
    submitted(&ctx, &headers, "groups", &form.csrf.clone(), |ctx, _chrome, session| async move {
        let role = Role::parse(&form.role)?;
        membership::set_role(&ctx, &session.actor, GroupId(id), vec![PersonId(person)], role).await?;
        Ok(redirect(&format!("/g/{id}/members?done=saved")))
    })
    .await
}

pub(crate) async fn remove(
    State(ctx): State<AppContext>,
    headers: HeaderMap,
    Path((id, person)): Path<(i64, i64)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    submitted(&ctx, &headers, "groups", &form.csrf, |ctx, _chrome, session| async move {
        membership::remove(&ctx, &session.actor, GroupId(id), vec![PersonId(person)], false).await?;
        Ok(redirect(&format!("/g/{id}/members?done=saved")))
    })
    .await
}

#[derive(Template)]
#[template(path = "group_settings.html")]
struct SettingsPage {
    chrome: Chrome,
    head: GroupHeader,
    form: SettingsForm,
    problem: Problem,
    saved: bool,
}

#[derive(Deserialize, Default)]
pub(crate) struct SettingsForm {
    #[serde(default)]
    csrf: String,
    /// Ticked: remove the group's picture.
    #[serde(default)]
    remove_avatar: Option<String>,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    visibility: String,
    #[serde(default)]
    announcements: Option<String>,
    #[serde(default)]
    partner_domains: String,
}

#[derive(Deserialize)]
pub(crate) struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

pub(crate) async fn settings_page(
    State(ctx): State<AppContext>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<SavedQuery>,
) -> Response {
    signed_in(&ctx, &headers, "groups", |ctx, chrome, session| async move {
        let view = groups::get(&ctx, &session.actor, GroupId(id)).await?;
        let head = GroupHeader::new(&view, &chrome, "settings");
        if !head.moderator || head.group.domain.is_some() {
            return Err(Error::forbidden("moderator_only", "Only the group's moderators can do this."));
        }
        let g = &view.group;
        let form = SettingsForm {
            csrf: String::new(),
            remove_avatar: None,
            display_name: g.display_name.clone(),
            note: g.note.clone(),
            scope: g.scope.clone(),
            visibility: g.visibility.clone(),
            announcements: g.announcements_only.then(String::new),
            partner_domains: g.partner_domains.clone(),
        };
        Ok(render(&SettingsPage { head, form, problem: Problem::none(), saved: q.saved.is_some(), chrome }))
    })
    .await
}

pub(crate) async fn settings_submit(
    State(ctx): State<AppContext>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    mut form: WithFiles<SettingsForm>,
) -> Response {
    let picture = form.take_file("avatar").filter(|f| !f.bytes.is_empty());
    let form = form.input;
    submitted(&ctx, &headers, "groups", &form.csrf.clone(), |ctx, chrome, session| async move {
        let view = groups::get(&ctx, &session.actor, GroupId(id)).await?;
        let head = GroupHeader::new(&view, &chrome, "settings");
        let change = match (picture, form.remove_avatar.is_some()) {
            (Some(file), _) => Some(Some(Upload { bytes: file.bytes, file_name: file.file_name, ..Default::default() })),
            (None, true) => Some(None),
            (None, false) => None,
        };
        if let Some(upload) = change {
            match media::set_picture(&ctx, &session.actor, PictureOf::Group(GroupId(id)), upload).await {
                Ok(()) => {}
                Err(e) if is_form_error(&e) => {
                    let problem = Problem::of(chrome.lang, &e, &["file"]);
                    return Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &SettingsPage { chrome, head, form, problem, saved: false }));
                }
                Err(e) => return Err(e),
            }
        }
        let g = &view.group;
        let mut update = GroupUpdate {
            display_name: Some(form.display_name.clone()),
            note: Some(form.note.clone()),
            announcements_only: Some(form.announcements.is_some()),
            ..Default::default()
        };
        // Scope, visibility and partners are the owners'; send them only when they change, so
        // a moderator can still save the rest.
        let parsed = (|| {
            if form.scope != g.scope {
                update.scope = Some(Scope::parse(&form.scope).map_err(|e| e.with_field("scope"))?);
            }
            if form.visibility != g.visibility {
                update.visibility = Some(Visibility::parse(&form.visibility).map_err(|e| e.with_field("visibility"))?);
            }
            let partners: Vec<String> = form.partner_domains.lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect();
            if partners.join("\n") != g.partner_domains {
                update.partner_domains = Some(partners);
            }
            Ok::<_, Error>(update)
        })();
        let saved = match parsed {
            Ok(update) => groups::update(&ctx, &session.actor, GroupId(id), update).await,
            Err(e) => Err(e),
        };
        match saved {
            Ok(_) => Ok(redirect(&format!("/g/{id}/settings?saved=1"))),
            Err(e) if is_form_error(&e) || e.kind() == crate::error::ErrorKind::Forbidden => {
                let fields = ["display_name", "note", "scope", "visibility", "partner_domains"];
                let e = if e.code() == "owner_only" && e.field().is_none() { e.with_field("scope") } else { e };
                let problem = Problem::of(chrome.lang, &e, &fields);
                Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &SettingsPage { head, form, problem, saved: false, chrome }))
            }
            Err(e) => Err(e),
        }
    })
    .await
}
