//! The rules. Every front door (client API, web UI, federation inbox) calls these functions, so a
//! rule lives in exactly one place. Services take plain arguments and return domain types; they
//! know nothing of HTTP, JSON or HTML.

pub mod accounts;
pub mod actors;
pub mod deletion;
pub mod effects;
pub mod groups;
pub mod instance;
pub mod media;
pub mod membership;
pub mod notifications;
pub mod oauth;
pub mod people;
pub mod policy;
pub mod posts;
pub mod search;
pub mod sso;
pub mod text;
mod views;

pub use views::{GroupView, NotificationView, PersonView, PostView};

use crate::db::{self, PersonId};
use crate::error::{Error, Result};

/// Refuses an actor who is not an admin of this instance.
pub fn require_admin(actor: &Actor) -> Result<()> {
    if actor.is_admin {
        Ok(())
    } else {
        Err(Error::forbidden("admin_only", "Only the instance's admins can do this."))
    }
}

/// The signed-in local person on whose behalf a service acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub person_id: PersonId,
    pub is_admin: bool,
}

macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),* $(,)? }, $code:literal, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }

            #[track_caller]
            pub fn parse(text: &str) -> Result<Self> {
                match text.trim().to_ascii_lowercase().as_str() {
                    $($text => Ok($name::$variant),)*
                    _ => Err(Error::invalid($code, format!(concat!($what, " must be one of: {}."), [$($text),*].join(", ")))),
                }
            }
        }
    };
}

string_enum!(
    /// Whether a group stays on this instance or federates.
    Scope { Internal = "internal", Federated = "federated" }, "invalid_scope", "The scope"
);
string_enum!(
    /// Who can find a group and read it.
    Visibility { Public = "public", Private = "private", Secret = "secret" }, "invalid_visibility", "The visibility"
);
string_enum!(
    /// A member's role in a group.
    Role { Owner = "owner", Moderator = "moderator", Member = "member" }, "invalid_role", "The role"
);
string_enum!(
    /// Where a person stands with a group.
    MemberState { Active = "active", Pending = "pending", Invited = "invited", Banned = "banned" }, "invalid_state", "The state"
);

impl Role {
    pub fn moderates(self) -> bool {
        matches!(self, Role::Owner | Role::Moderator)
    }
}

/// How much of a group a viewer may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum GroupAccess {
    /// Not even that it exists.
    Hidden,
    /// Name, description and member count; no posts, no member list.
    Listed,
    /// Everything.
    Full,
}

/// The one rule for seeing a group (local viewers; remote ones arrive with federation).
pub fn group_access(group: &db::groups::Group, membership: Option<&db::memberships::Membership>) -> GroupAccess {
    let state = membership.map(|m| m.state.as_str());
    let visibility = Visibility::parse(&group.visibility).unwrap_or(Visibility::Secret);
    match (visibility, state) {
        (_, Some("active")) => GroupAccess::Full,
        // A public group stays readable for everyone here; a ban takes away posting, not reading.
        (Visibility::Public, _) => GroupAccess::Full,
        (Visibility::Private, _) => GroupAccess::Listed,
        (Visibility::Secret, Some("invited")) => GroupAccess::Listed,
        (Visibility::Secret, _) => GroupAccess::Hidden,
    }
}

/// The viewer's role if they are an active member.
pub fn active_role(membership: Option<&db::memberships::Membership>) -> Option<Role> {
    membership.filter(|m| m.state == "active").and_then(|m| Role::parse(&m.role).ok())
}

#[track_caller]
pub(crate) fn group_not_found() -> Error {
    Error::not_found("group_not_found", "This group does not exist, or you cannot see it.")
}

#[track_caller]
pub(crate) fn post_not_found() -> Error {
    Error::not_found("post_not_found", "This post does not exist, or you cannot see it.")
}

#[track_caller]
pub(crate) fn person_not_found() -> Error {
    Error::not_found("person_not_found", "This person does not exist.")
}

/// Limits a page size to 1..=max, with a default.
pub fn page(max_id: Option<i64>, since_id: Option<i64>, min_id: Option<i64>, limit: Option<i64>, default: i64, max: i64) -> db::Page {
    db::Page { max_id, since_id, min_id, limit: limit.unwrap_or(default).clamp(1, max) }
}

/// Checks a name used for people and groups (they share one namespace, so `@name` is unambiguous).
#[track_caller]
pub(crate) fn valid_name(raw: &str, field: &'static str) -> Result<String> {
    let name = raw.trim().to_ascii_lowercase();
    let ok = !name.is_empty() && name.len() <= 30 && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(name)
    } else {
        Err(Error::invalid("invalid_name", "A name has 1 to 30 characters: letters a-z, digits and _.").with_field(field))
    }
}

/// Checks the length of a free text field (counted in characters).
#[track_caller]
pub(crate) fn check_length(text: &str, max: usize, field: &'static str) -> Result<()> {
    let n = text.chars().count();
    if n > max {
        Err(Error::invalid("too_long", format!("This text is too long: {n} characters, at most {max} are allowed.")).with_field(field))
    } else {
        Ok(())
    }
}

/// Is the name free among local people and local groups?
pub(crate) fn name_taken(conn: &mut db::DbConn, name: &str) -> Result<bool> {
    Ok(db::people::find_by_name(conn, name, None)?.is_some() || db::groups::find_by_name(conn, name, None)?.is_some())
}

#[cfg(test)]
mod tests;
