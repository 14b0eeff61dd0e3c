//! People: local accounts, profiles, following and the directory.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use super::effects::Effect;
use super::{check_length, person_not_found, valid_name, views, Actor, PersonView};
use crate::context::AppContext;
use crate::db::people::{DirectoryFilter, LocalAccount, NewLocalAccount, NewPerson, Person, ProfileChanges};
use crate::db::{self, PersonId};
use crate::error::{Error, Result};

pub const MIN_PASSWORD: usize = 8;
const MAX_PASSWORD: usize = 1_000;
pub const MAX_DISPLAY_NAME: usize = 100;
pub const MAX_BIO: usize = 2_000;
pub const MAX_DEPARTMENT: usize = 100;
pub const MAX_EXPERTISE_TAGS: usize = 20;
pub const MAX_TAG: usize = 50;

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: String,
    pub password: String,
    pub display_name: Option<String>,
    pub is_admin: bool,
}

/// Hashes a password with argon2 (a slow hash, on a blocking thread).
pub(crate) fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| Error::internal(e.to_string()))
}

/// Does the password match the stored hash? (Slow: call it on a blocking thread.)
pub(crate) fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

pub(crate) fn check_password(password: &str) -> Result<()> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        return Err(
            Error::invalid("password_too_short", format!("A password has at least {MIN_PASSWORD} characters.")).with_field("password")
        );
    }
    if n > MAX_PASSWORD {
        return Err(
            Error::invalid("password_too_long", format!("A password has at most {MAX_PASSWORD} characters.")).with_field("password")
        );
    }
    Ok(())
}

/// An admin creates an account for someone (from the admin pages).
pub async fn create_account_as_admin(ctx: &AppContext, actor: &Actor, new: NewAccount) -> Result<Person> {
    super::require_admin(actor)?;
    create_account(ctx, new).await
}

/// Creates a local account. Names are shared with groups, so `@name` always means one thing.
pub async fn create_account(ctx: &AppContext, new: NewAccount) -> Result<Person> {
    let username = valid_name(&new.username, "username")?;
    check_password(&new.password)?;
    let display_name = new.display_name.unwrap_or_default().trim().to_string();
    check_length(&display_name, MAX_DISPLAY_NAME, "display_name")?;
    let hash = tokio::task::spawn_blocking({
        let password = new.password.clone();
        move || hash_password(&password)
    })
    .await
    .map_err(|e| Error::internal(e.to_string()))??;
    ctx.db
        .write(move |conn| {
            if super::name_taken(conn, &username)? {
                return Err(Error::conflict("name_taken", "This name is already taken by a person or a group.").with_field("username"));
            }
            let display = if display_name.is_empty() { username.as_str() } else { display_name.as_str() };
            let person = insert_local_account(conn, &username, display, "", &hash, new.is_admin)?;
            Ok(person)
        })
        .await
}

/// Writes a local person and their account (a free, valid name is the caller's to check). An
/// empty `password_hash` is an account no password opens (single sign-on).
pub(crate) fn insert_local_account(
    conn: &mut db::DbConn,
    username: &str,
    display_name: &str,
    department: &str,
    password_hash: &str,
    is_admin: bool,
) -> Result<Person> {
    let now = db::now();
    let person = db::people::insert(
        conn,
        &NewPerson { username, domain: None, display_name, bio: "", bio_html: "", department, created_at: now, updated_at: now },
    )?;
    db::people::insert_account(conn, &NewLocalAccount { person_id: person.id, password_hash, is_admin, locale: None, created_at: now })?;
    Ok(person)
}

#[track_caller]
pub(crate) fn account_disabled() -> Error {
    Error::forbidden("account_disabled", "This account is disabled. Ask your administrator.")
}

/// Checks a local username and password; the same error for an unknown name and a wrong password.
pub async fn authenticate(ctx: &AppContext, username: &str, password: &str) -> Result<Actor> {
    if !ctx.config.password_sign_in {
        return Err(Error::forbidden(
            "password_sign_in_off",
            "Signing in with a password is switched off here: sign in with your organisation's account.",
        ));
    }
    let name = username.trim().trim_start_matches('@').to_ascii_lowercase();
    // Counted before the check, so guessing costs attempts whether or not a guess is right.
    if ctx.limits.sign_in_by_name.check_key(&name).is_err() {
        return Err(too_many_attempts());
    }
    let password = password.to_string();
    let found: Option<(Person, LocalAccount)> = ctx
        .db
        .read(move |conn| -> Result<_> {
            let Some(person) = db::people::find_by_name(conn, &name, None)? else { return Ok(None) };
            Ok(db::people::account(conn, person.id)?.map(|a| (person, a)))
        })
        .await?;
    let refused = || Error::unauthenticated("invalid_credentials", "The name or password is not right.");
    let Some((person, account)) = found else {
        // Spend the same time as a real check, so the response does not tell which names exist.
        let _ = tokio::task::spawn_blocking(|| hash_password("timing-equaliser")).await;
        return Err(refused());
    };
    let disabled = account.disabled;
    let ok = tokio::task::spawn_blocking(move || verify_password(&account.password_hash, &password))
        .await
        .map_err(|e| Error::internal(e.to_string()))?;
    // Told only to whoever knows the password, so the answer does not reveal who is disabled.
    if ok && disabled {
        return Err(account_disabled());
    }
    if ok {
        Ok(Actor { person_id: person.id, is_admin: account.is_admin })
    } else {
        Err(refused())
    }
}

#[track_caller]
pub fn too_many_attempts() -> Error {
    Error::new(crate::ErrorKind::RateLimited, "too_many_attempts", "Too many sign-in attempts. Wait a few minutes and try again.")
}

/// The acting person for a local person id (used after a token or session is checked).
pub async fn actor(ctx: &AppContext, id: PersonId) -> Result<Actor> {
    let account = ctx.db.read(move |conn| -> Result<_> { Ok(db::people::account(conn, id)?) }).await?;
    actor_of(id, account)
}

/// The acting person for a local person id and its account row, if there is one.
pub(crate) fn actor_of(id: PersonId, account: Option<db::people::LocalAccount>) -> Result<Actor> {
    match account {
        Some(a) if !a.disabled => Ok(Actor { person_id: id, is_admin: a.is_admin }),
        Some(_) => Err(account_disabled()),
        None => Err(Error::unauthenticated("invalid_token", "The access token is not valid.")),
    }
}

pub async fn get(ctx: &AppContext, id: PersonId) -> Result<PersonView> {
    ctx.db
        .read(move |conn| {
            let person = db::people::find(conn, id)?.ok_or_else(person_not_found)?;
            views::person(conn, person)
        })
        .await
}

/// Finds a person by `name` or `name@domain` (this instance's own domain means local).
pub async fn lookup(ctx: &AppContext, acct: &str) -> Result<PersonView> {
    let (name, domain) = split_acct(acct, &ctx.config.domain);
    ctx.db
        .read(move |conn| {
            let person = db::people::find_by_name(conn, &name, domain.as_deref())?.ok_or_else(person_not_found)?;
            views::person(conn, person)
        })
        .await
}

/// Splits `@name@domain` into a lower-case name and a domain (`None` for this instance).
pub fn split_acct(acct: &str, own_domain: &str) -> (String, Option<String>) {
    let acct = acct.trim().trim_start_matches('@').to_ascii_lowercase();
    match acct.split_once('@') {
        Some((name, domain)) if domain != own_domain => (name.to_string(), Some(domain.to_string())),
        Some((name, _)) => (name.to_string(), None),
        None => (acct, None),
    }
}

#[derive(Debug, Clone, Default)]
pub struct ProfileUpdate {
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub department: Option<String>,
    pub job_title: Option<String>,
    pub org_unit: Option<String>,
    pub mentor: Option<bool>,
    pub expertise: Option<Vec<String>>,
    pub locale: Option<String>,
}

pub async fn update_profile(ctx: &AppContext, actor: &Actor, update: ProfileUpdate) -> Result<PersonView> {
    let mut changes = ProfileChanges { updated_at: Some(db::now()), ..Default::default() };
    if let Some(name) = update.display_name {
        let name = name.trim().to_string();
        check_length(&name, MAX_DISPLAY_NAME, "display_name")?;
        changes.display_name = Some(name);
    }
    if let Some(department) = update.department {
        let department = department.trim().to_string();
        check_length(&department, MAX_DEPARTMENT, "department")?;
        changes.department = Some(department);
    }
    if let Some(title) = update.job_title {
        let title = title.trim().to_string();
        check_length(&title, MAX_DEPARTMENT, "job_title")?;
        changes.job_title = Some(title);
    }
    if let Some(unit) = update.org_unit {
        let unit = unit.trim().to_string();
        check_length(&unit, MAX_DEPARTMENT, "org_unit")?;
        changes.org_unit = Some(unit);
    }
    changes.mentor = update.mentor;
    let bio = update.bio.map(|b| b.trim().to_string());
    if let Some(bio) = &bio {
        check_length(bio, MAX_BIO, "note")?;
    }
    let expertise = match update.expertise {
        Some(tags) => Some(normalise_tags(&tags)?),
        None => None,
    };
    let locale = match update.locale.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(l @ ("nl" | "en")) => Some(Some(l.to_string())),
        Some(_) => return Err(Error::invalid("invalid_locale", "The language must be nl or en.").with_field("locale")),
    };
    let id = actor.person_id;
    let config = ctx.config.clone();
    ctx.db
        .write(move |conn| {
            if let Some(bio) = bio {
                let (html, _) = super::posts::render_with_mentions(conn, &bio, &config)?;
                changes.bio_html = Some(html);
                changes.bio = Some(bio);
            }
            let person = db::people::update_profile(conn, id, &changes)?;
            if let Some(tags) = expertise {
                db::people::set_expertise(conn, id, &tags)?;
            }
            if let Some(locale) = locale {
                db::people::set_locale(conn, id, locale.as_deref())?;
            }
            views::person(conn, person)
        })
        .await
}

/// Expertise tags: trimmed, lower case, without a leading #, no repeats.
fn normalise_tags(tags: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for tag in tags.iter().flat_map(|t| t.split(',')) {
        let tag = tag.trim().trim_start_matches('#').to_lowercase();
        if tag.is_empty() || out.contains(&tag) {
            continue;
        }
        check_length(&tag, MAX_TAG, "expertise")?;
        out.push(tag);
    }
    if out.len() > MAX_EXPERTISE_TAGS {
        return Err(Error::invalid("too_many_tags", format!("At most {MAX_EXPERTISE_TAGS} areas of expertise.")).with_field("expertise"));
    }
    Ok(out)
}

/// Follows a person. A person of another instance is asked (a Follow is sent); until their server
/// accepts, the follow is a request.
pub async fn follow(ctx: &AppContext, actor: &Actor, target: PersonId) -> Result<()> {
    if target == actor.person_id {
        return Err(Error::invalid("cannot_follow_self", "You cannot follow yourself."));
    }
    let me = actor.person_id;
    ctx.db
        .write(move |conn| -> Result<()> {
            let person = db::people::find(conn, target)?.ok_or_else(person_not_found)?;
            let remote = person.domain.is_some();
            if db::follows::follow(conn, me, target, !remote)? {
                if remote {
                    super::effects::record(conn, &Effect::FollowPerson { follower: me, followed: target })?;
                } else {
                    super::notifications::notify(conn, target, "follow", me, None, None)?;
                }
            }
            Ok(())
        })
        .await?;
    ctx.jobs_wake.notify_one();
    Ok(())
}

pub async fn unfollow(ctx: &AppContext, actor: &Actor, target: PersonId) -> Result<()> {
    let me = actor.person_id;
    ctx.db
        .write(move |conn| -> Result<()> {
            let person = db::people::find(conn, target)?.ok_or_else(person_not_found)?;
            let existing = db::follows::find(conn, me, target)?;
            db::follows::unfollow(conn, me, target)?;
            if let (Some((_, since, _)), Some(_)) = (existing, person.domain) {
                super::effects::record(conn, &Effect::UnfollowPerson { follower: me, followed: target, since })?;
            }
            Ok(())
        })
        .await?;
    ctx.jobs_wake.notify_one();
    Ok(())
}

/// A person of another instance follows a local person (`Follow`, id `follow_ap_id`): taken at
/// once, and answered with an Accept.
pub async fn remote_follow(ctx: &AppContext, name: &str, follower: PersonId, follow_ap_id: String) -> Result<()> {
    let person = super::actors::local_person(ctx, name).await?;
    ctx.db
        .write(move |conn| -> Result<()> {
            if db::follows::follow(conn, follower, person.id, true)? {
                super::notifications::notify(conn, person.id, "follow", follower, None, None)?;
            }
            db::follows::set_follow_ap_id(conn, follower, person.id, &follow_ap_id)?;
            super::effects::record(conn, &Effect::AcceptFollower { person: person.id, follower })
        })
        .await?;
    ctx.jobs_wake.notify_one();
    Ok(())
}

/// A person of another instance stops following a local person (an `Undo` of their Follow).
pub async fn remote_unfollow(ctx: &AppContext, name: &str, follower: PersonId) -> Result<()> {
    let person = super::actors::local_person(ctx, name).await?;
    ctx.db.write(move |conn| -> Result<_> { Ok(db::follows::unfollow(conn, follower, person.id).map(|_| ())?) }).await
}

/// A person of another instance answered a local person's Follow.
pub async fn remote_follow_answer(ctx: &AppContext, follower: PersonId, followed: PersonId, accepted: bool) -> Result<()> {
    ctx.db.write(move |conn| -> Result<_> { Ok(db::follows::answer(conn, follower, followed, accepted).map(|_| ())?) }).await
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relationship {
    pub id: PersonId,
    pub following: bool,
    pub followed_by: bool,
    /// Asked to follow a person of another instance, not answered yet.
    pub requested: bool,
}

pub async fn relationships(ctx: &AppContext, actor: &Actor, ids: Vec<PersonId>) -> Result<Vec<Relationship>> {
    let me = actor.person_id;
    ctx.db
        .read(move |conn| -> Result<_> {
            let following = db::follows::following_among(conn, me, &ids)?;
            let followers = db::follows::followers_among(conn, me, &ids)?;
            let requested = db::follows::requested_among(conn, me, &ids)?;
            Ok(ids
                .iter()
                .map(|id| Relationship {
                    id: *id,
                    following: following.contains(id),
                    followed_by: followers.contains(id),
                    requested: requested.contains(id),
                })
                .collect())
        })
        .await
}

pub async fn directory(ctx: &AppContext, filter: DirectoryFilter, limit: i64, offset: i64) -> Result<Vec<PersonView>> {
    let limit = limit.clamp(1, 80);
    let offset = offset.max(0);
    ctx.db
        .read(move |conn| {
            let found = db::people::directory(conn, &filter, limit, offset)?;
            views::people(conn, found)
        })
        .await
}

pub async fn departments(ctx: &AppContext) -> Result<Vec<String>> {
    ctx.db.read(|conn| -> Result<_> { Ok(db::people::departments(conn)?) }).await
}

/// Local accounts with their admin flag, for the admin pages.
pub async fn accounts_for_admin(ctx: &AppContext, actor: &Actor) -> Result<Vec<(Person, LocalAccount)>> {
    super::require_admin(actor)?;
    list_accounts(ctx).await
}

/// Local accounts with their admin flag, for the CLI.
pub async fn list_accounts(ctx: &AppContext) -> Result<Vec<(Person, LocalAccount)>> {
    ctx.db.read(|conn| -> Result<_> { Ok(db::people::list_accounts(conn)?) }).await
}

pub async fn count_accounts(ctx: &AppContext) -> Result<i64> {
    ctx.db.read(|conn| -> Result<_> { Ok(db::people::count_accounts(conn)?) }).await
}

/// What every page shows of the signed-in person: name, chosen language and unread
/// notifications, in one read.
#[derive(Debug, Clone)]
pub struct SignedInSummary {
    pub display_name: String,
    pub locale: Option<String>,
    pub unread_notifications: i64,
}

pub async fn signed_in_summary(ctx: &AppContext, actor: &Actor) -> Result<SignedInSummary> {
    let id = actor.person_id;
    ctx.db
        .read(move |conn| {
            let person = db::people::find(conn, id)?.ok_or_else(person_not_found)?;
            Ok(SignedInSummary {
                display_name: person.display_name,
                locale: db::people::account(conn, id)?.and_then(|a| a.locale),
                unread_notifications: db::notifications::unread_count(conn, id)?,
            })
        })
        .await
}

pub async fn locale(ctx: &AppContext, id: PersonId) -> Result<Option<String>> {
    ctx.db.read(move |conn| -> Result<_> { Ok(db::people::account(conn, id)?.and_then(|a| a.locale)) }).await
}
