//! Groups: create, read, list, change settings.

use super::{
    active_role, check_length, group_access, group_not_found, valid_name, views, Actor, GroupAccess, GroupView, Role, Scope, Visibility,
};
use crate::context::AppContext;
use crate::db::groups::{GroupChanges, NewGroup};
use crate::db::{self, DbConn, GroupId};
use crate::error::{Error, Result};

pub const MAX_DISPLAY_NAME: usize = 100;
pub const MAX_NOTE: usize = 5_000;

#[derive(Debug, Clone)]
pub struct NewGroupInput {
    pub name: String,
    pub display_name: String,
    pub note: String,
    pub scope: Scope,
    pub visibility: Visibility,
    pub announcements_only: bool,
}

/// Creates a group; the creator becomes its owner. Any local person may create one.
pub async fn create(ctx: &AppContext, actor: &Actor, input: NewGroupInput) -> Result<GroupView> {
    let name = valid_name(&input.name, "name")?;
    let display_name = input.display_name.trim().to_string();
    if display_name.is_empty() {
        return Err(Error::invalid("display_name_missing", "A group needs a name people can read.").with_field("display_name"));
    }
    check_length(&display_name, MAX_DISPLAY_NAME, "display_name")?;
    let note = input.note.trim().to_string();
    check_length(&note, MAX_NOTE, "note")?;
    let me = actor.person_id;
    let config = ctx.config.clone();
    ctx.db
        .write(move |conn| {
            if super::name_taken(conn, &name)? {
                return Err(Error::conflict("name_taken", "This name is already taken by a person or a group.").with_field("name"));
            }
            let (note_html, _) = super::posts::render_with_mentions(conn, &note, &config)?;
            let now = db::now();
            let group = db::groups::insert(
                conn,
                &NewGroup {
                    name: &name,
                    domain: None,
                    display_name: &display_name,
                    note: &note,
                    note_html: &note_html,
                    scope: input.scope.as_str(),
                    visibility: input.visibility.as_str(),
                    announcements_only: input.announcements_only,
                    created_at: now,
                    updated_at: now,
                },
            )?;
            db::memberships::put(conn, group.id, me, Role::Owner.as_str(), "active", None)?;
            views::group(conn, me, group)
        })
        .await
}

/// Loads a group with the viewer's access, or "not found" if the viewer may not know of it.
pub(crate) fn load(
    conn: &mut DbConn,
    actor: &Actor,
    id: GroupId,
) -> Result<(db::groups::Group, Option<db::memberships::Membership>, GroupAccess)> {
    let group = db::groups::find(conn, id)?.ok_or_else(group_not_found)?;
    let membership = db::memberships::find(conn, id, actor.person_id)?;
    let access = group_access(&group, membership.as_ref());
    if access == GroupAccess::Hidden {
        return Err(group_not_found());
    }
    Ok((group, membership, access))
}

pub async fn get(ctx: &AppContext, actor: &Actor, id: GroupId) -> Result<GroupView> {
    let actor = *actor;
    ctx.db
        .read(move |conn| {
            let (group, _, _) = load(conn, &actor, id)?;
            views::group(conn, actor.person_id, group)
        })
        .await
}

/// A local group by name, or a known remote one by `name@domain`.
pub async fn lookup(ctx: &AppContext, actor: &Actor, acct: &str) -> Result<GroupView> {
    let (name, domain) = super::people::split_acct(acct.trim_start_matches('!'), &ctx.config.domain);
    let actor = *actor;
    ctx.db
        .read(move |conn| {
            let group = db::groups::find_by_name(conn, &name, domain.as_deref())?.ok_or_else(group_not_found)?;
            let (group, _, _) = load(conn, &actor, group.id)?;
            views::group(conn, actor.person_id, group)
        })
        .await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupListing {
    /// Groups I am an active member of.
    Mine,
    /// Public and private groups anyone here can find.
    Discover,
}

pub async fn list(
    ctx: &AppContext,
    actor: &Actor,
    listing: GroupListing,
    query: Option<String>,
    limit: i64,
    offset: i64,
) -> Result<Vec<GroupView>> {
    let me = actor.person_id;
    let limit = limit.clamp(1, 80);
    ctx.db
        .read(move |conn| {
            let found = match listing {
                GroupListing::Mine => db::groups::of_member(conn, me)?,
                GroupListing::Discover => db::groups::discoverable(conn, query.as_deref(), limit, offset.max(0))?,
            };
            views::groups(conn, me, found)
        })
        .await
}

#[derive(Debug, Clone, Default)]
pub struct GroupUpdate {
    pub display_name: Option<String>,
    pub note: Option<String>,
    pub scope: Option<Scope>,
    pub visibility: Option<Visibility>,
    pub announcements_only: Option<bool>,
    /// Domains or `*.suffixes` a federated group federates with (empty: as the instance).
    pub partner_domains: Option<Vec<String>>,
}

/// At most this many partner domains per group.
pub const MAX_PARTNER_DOMAINS: usize = 100;

/// Checks and normalises a group's partner domains (one per line).
fn partner_domains(list: Vec<String>) -> Result<String> {
    if list.len() > MAX_PARTNER_DOMAINS {
        return Err(Error::invalid("too_many_partners", format!("A group has at most {MAX_PARTNER_DOMAINS} partner domains."))
            .with_field("partner_domains"));
    }
    let mut out: Vec<String> = Vec::new();
    for entry in list.iter().map(|d| d.trim()).filter(|d| !d.is_empty()) {
        crate::config::DomainPattern::parse(entry).map_err(|message| {
            Error::invalid(
                "invalid_partner_domain",
                format!("A partner is a domain (gemeente-b.nl) or all its subdomains (*.gemeente.nl): {message}."),
            )
            .with_field("partner_domains")
        })?;
        let entry = entry.to_ascii_lowercase();
        if !out.contains(&entry) {
            out.push(entry);
        }
    }
    Ok(out.join("\n"))
}

/// Moderators change the name, description and announcements mode; scope and visibility decide
/// who sees the group's content, so only its owners (or an admin) change them.
pub async fn update(ctx: &AppContext, actor: &Actor, id: GroupId, update: GroupUpdate) -> Result<GroupView> {
    let mut changes = GroupChanges { updated_at: Some(db::now()), ..Default::default() };
    if let Some(name) = update.display_name {
        let name = name.trim().to_string();
        if name.is_empty() {
            return Err(Error::invalid("display_name_missing", "A group needs a name people can read.").with_field("display_name"));
        }
        check_length(&name, MAX_DISPLAY_NAME, "display_name")?;
        changes.display_name = Some(name);
    }
    let note = update.note.map(|n| n.trim().to_string());
    if let Some(note) = &note {
        check_length(note, MAX_NOTE, "note")?;
    }
    let partners = update.partner_domains.map(partner_domains).transpose()?;
    let sensitive = update.scope.is_some() || update.visibility.is_some() || partners.is_some();
    changes.partner_domains = partners;
    changes.scope = update.scope.map(|s| s.as_str().to_string());
    changes.visibility = update.visibility.map(|v| v.as_str().to_string());
    changes.announcements_only = update.announcements_only;
    let actor = *actor;
    let config = ctx.config.clone();
    ctx.db
        .write(move |conn| {
            let (group, membership, _) = load(conn, &actor, id)?;
            super::policy::may_configure(&group, active_role(membership.as_ref()), &actor, sensitive)?;
            if let Some(note) = note {
                let (html, _) = super::posts::render_with_mentions(conn, &note, &config)?;
                changes.note_html = Some(html);
                changes.note = Some(note);
            }
            let group = db::groups::update(conn, id, &changes)?;
            views::group(conn, actor.person_id, group)
        })
        .await
}
