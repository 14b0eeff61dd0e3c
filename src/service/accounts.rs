//! Accounts over their life: a person changes their password or deletes their own account; an
//! admin resets a password, disables an account (signed out everywhere, no door lets them in,
//! not listed) and enables it again.

use super::people::{check_password, hash_password, verify_password};
use super::{person_not_found, require_admin, Actor};
use crate::context::AppContext;
use crate::db::{self, PersonId};
use crate::error::{Error, Result};

/// The person's own password, checked (slowly, off the async threads).
async fn password_matches(ctx: &AppContext, person: PersonId, password: String) -> Result<bool> {
    let account = ctx.db.read(move |conn| -> Result<_> { Ok(db::people::account(conn, person)?) }).await?.ok_or_else(person_not_found)?;
    tokio::task::spawn_blocking(move || verify_password(&account.password_hash, &password)).await.map_err(Error::internal)
}

#[track_caller]
fn managed_by_sso() -> Error {
    Error::invalid(
        "password_managed_by_sso",
        "This person signs in with their organisation's account; their password is kept there, not here.",
    )
}

#[track_caller]
fn wrong_password() -> Error {
    Error::invalid("wrong_password", "The current password is not right.").with_field("current_password")
}

/// Changes the actor's password, given the current one. Every other session and token of theirs
/// is signed out; `keep` (the token of this request) stays.
pub async fn change_password(ctx: &AppContext, actor: &Actor, current: &str, new: &str, keep: Option<&str>) -> Result<()> {
    if super::sso::signs_in_with_sso(ctx, actor.person_id).await? {
        return Err(managed_by_sso());
    }
    check_password(new).map_err(|e| e.with_field("new_password"))?;
    if !password_matches(ctx, actor.person_id, current.to_string()).await? {
        return Err(wrong_password());
    }
    let new = new.to_string();
    let hash = tokio::task::spawn_blocking(move || hash_password(&new)).await.map_err(Error::internal)??;
    let keep = keep.map(super::oauth::hash);
    let me = actor.person_id;
    ctx.db
        .write(move |conn| -> Result<_> {
            db::people::set_password(conn, me, &hash)?;
            db::oauth::revoke_all_of(conn, me, keep.as_deref())?;
            Ok(())
        })
        .await
}

/// An admin gives someone a new password (generated, returned once to be handed over); the
/// person is signed out everywhere.
pub async fn reset_password(ctx: &AppContext, admin: &Actor, person: PersonId) -> Result<String> {
    require_admin(admin)?;
    if super::sso::signs_in_with_sso(ctx, person).await? {
        return Err(managed_by_sso());
    }
    let password = generated_password();
    let plain = password.clone();
    let hash = tokio::task::spawn_blocking(move || hash_password(&plain)).await.map_err(Error::internal)??;
    ctx.db
        .write(move |conn| -> Result<_> {
            db::people::account(conn, person)?.ok_or_else(person_not_found)?;
            db::people::set_password(conn, person, &hash)?;
            db::oauth::revoke_all_of(conn, person, None)?;
            Ok(())
        })
        .await?;
    Ok(password)
}

/// A password for someone to change later: 20 letters and digits (no look-alikes).
pub fn generated_password() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20).map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char).collect()
}

/// An admin disables an account (signed out everywhere; no sign-in, token or session works; not
/// listed) or enables it again. An admin does not disable themself.
pub async fn set_disabled(ctx: &AppContext, admin: &Actor, person: PersonId, disabled: bool) -> Result<()> {
    require_admin(admin)?;
    if disabled && person == admin.person_id {
        return Err(Error::invalid("cannot_disable_self", "You cannot disable your own account."));
    }
    ctx.db
        .write(move |conn| -> Result<_> {
            db::people::account(conn, person)?.ok_or_else(person_not_found)?;
            db::people::set_disabled(conn, person, disabled)?;
            if disabled {
                db::oauth::revoke_all_of(conn, person, None)?;
            }
            Ok(())
        })
        .await
}

/// The actor deletes their own account, confirmed with their password (see `deletion`).
///
/// People who sign in through single sign-on have no password here: being signed in (and the
/// confirmation the page asks for) is their proof.
pub async fn delete_own_account(ctx: &AppContext, actor: &Actor, password: &str, confirmed: bool) -> Result<()> {
    if super::sso::signs_in_with_sso(ctx, actor.person_id).await? {
        if !confirmed {
            return Err(Error::invalid("confirm_deletion", "Tick the box to confirm the deletion.").with_field("confirm"));
        }
    } else if !password_matches(ctx, actor.person_id, password.to_string()).await? {
        return Err(wrong_password().with_field("password"));
    }
    super::deletion::erase_account(ctx, actor.person_id).await
}
