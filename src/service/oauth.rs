//! OAuth 2 as Mastodon does it: registered apps, authorization codes (with PKCE), client
//! credentials, bearer tokens with scopes. Codes and tokens are stored hashed.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Duration;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::Actor;
use crate::context::AppContext;
use crate::db::oauth::{App, NewApp, NewCode, NewToken};
use crate::db::{self, AppId, PersonId};
use crate::error::{Error, Result};

/// The scopes this server grants. Granular scopes (`read:statuses`) are granted by their parent.
pub const SCOPES: &[&str] = &["read", "write", "follow", "push", "profile"];
pub const OOB_REDIRECT: &str = "urn:ietf:wg:oauth:2.0:oob";
const CODE_LIFETIME_MINUTES: i64 = 10;

/// A set of granted scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes(Vec<String>);

impl Scopes {
    /// Parses a space- or plus-separated list; an empty list means `read`.
    pub fn parse(text: &str) -> Result<Scopes> {
        let mut scopes: Vec<String> = Vec::new();
        for s in text.split([' ', '+', ',']).map(str::trim).filter(|s| !s.is_empty()) {
            let base = s.split(':').next().unwrap_or(s);
            let known = SCOPES.contains(&s) || (matches!(base, "read" | "write" | "admin") && s.contains(':'));
            if !known {
                return Err(Error::invalid("invalid_scope", format!("Unknown scope {s:?}.")).with_field("scope"));
            }
            if !scopes.iter().any(|x| x == s) {
                scopes.push(s.to_string());
            }
        }
        if scopes.is_empty() {
            scopes.push("read".to_string());
        }
        Ok(Scopes(scopes))
    }

    /// Does this set allow `wanted` (`read:statuses` is allowed by `read` and by itself)?
    pub fn allows(&self, wanted: &str) -> bool {
        let base = wanted.split(':').next().unwrap_or(wanted);
        self.0.iter().any(|s| {
            s == wanted || s == base || (wanted == "read:follows" && s == "follow") || (wanted == "write:follows" && s == "follow")
        })
    }

    pub fn is_subset_of(&self, other: &Scopes) -> bool {
        self.0.iter().all(|s| other.allows(s))
    }

    pub fn as_string(&self) -> String {
        self.0.join(" ")
    }

    pub fn list(&self) -> &[String] {
        &self.0
    }
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn hash(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    URL_SAFE_NO_PAD.encode(digest)
}

/// Constant-time comparison of two strings.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(Debug, Clone)]
pub struct NewAppInput {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub scopes: String,
    pub website: Option<String>,
}

/// How many redirect URIs an app may register, and how long each (and its website) may be.
const MAX_REDIRECT_URIS: usize = 10;
const MAX_URI_CHARS: usize = 2_000;

/// A redirect URI an app may register: `urn:ietf:wg:oauth:2.0:oob`, an http(s) address, or an
/// app's own scheme (`nl.gemeente.app:/oauth`); never a scheme a browser would run or read
/// (`javascript:`, `data:`, `file:`, ...).
fn check_redirect_uri(uri: &str) -> Result<()> {
    if uri == OOB_REDIRECT {
        return Ok(());
    }
    let refused =
        || Error::invalid("invalid_redirect_uri", format!("{uri:?} is no redirect URI an app may use.")).with_field("redirect_uris");
    let url = url::Url::parse(uri).map_err(|_| refused())?;
    const BROWSER_SCHEMES: &[&str] =
        &["javascript", "data", "file", "vbscript", "blob", "about", "filesystem", "view-source", "ftp", "ws", "wss"];
    if BROWSER_SCHEMES.contains(&url.scheme()) {
        return Err(refused());
    }
    Ok(())
}

pub async fn register_app(ctx: &AppContext, input: NewAppInput) -> Result<App> {
    let name = input.name.trim().to_string();
    if name.is_empty() {
        return Err(Error::invalid("client_name_missing", "An app needs a name (client_name).").with_field("client_name"));
    }
    super::check_length(&name, 200, "client_name")?;
    let uris: Vec<String> = input.redirect_uris.iter().flat_map(|u| u.split_whitespace()).map(str::to_string).collect();
    if uris.is_empty() {
        return Err(Error::invalid("redirect_uris_missing", "An app needs at least one redirect URI.").with_field("redirect_uris"));
    }
    if uris.len() > MAX_REDIRECT_URIS {
        return Err(Error::invalid("too_many_redirect_uris", format!("An app may register at most {MAX_REDIRECT_URIS} redirect URIs."))
            .with_field("redirect_uris"));
    }
    for uri in &uris {
        super::check_length(uri, MAX_URI_CHARS, "redirect_uris")?;
        check_redirect_uri(uri)?;
    }
    let scopes = Scopes::parse(&input.scopes)?;
    let website = input.website.map(|w| w.trim().to_string()).filter(|w| !w.is_empty());
    if let Some(website) = &website {
        super::check_length(website, MAX_URI_CHARS, "website")?;
        let is_web = url::Url::parse(website).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        if !is_web {
            return Err(Error::invalid("invalid_website", "An app's website is an http(s) address.").with_field("website"));
        }
    }
    ctx.db
        .write(move |conn| -> Result<_> {
            let client_id = random_token();
            let client_secret = random_token();
            Ok(db::oauth::insert_app(
                conn,
                &NewApp {
                    client_id: &client_id,
                    client_secret: &client_secret,
                    name: &name,
                    redirect_uris: &uris.join("\n"),
                    scopes: &scopes.as_string(),
                    website: website.as_deref(),
                    created_at: db::now(),
                },
            )?)
        })
        .await
}

/// What the authorize page needs to ask the person, after checking the request.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
}

/// Checks an authorization request; returns the app and the scopes it asks for.
pub async fn check_authorize(ctx: &AppContext, req: &AuthorizeRequest) -> Result<(App, Scopes)> {
    let client_id = req.client_id.clone();
    let app = ctx
        .db
        .read(move |conn| -> Result<_> { Ok(db::oauth::app_by_client_id(conn, &client_id)?) })
        .await?
        .ok_or_else(|| Error::unauthenticated("invalid_client", "This app is not registered here."))?;
    if !app.redirect_uris.lines().any(|u| u == req.redirect_uri) {
        return Err(Error::invalid("invalid_redirect_uri", "The redirect URI is not one the app registered."));
    }
    let scopes = match &req.scope {
        Some(s) => Scopes::parse(s)?,
        None => Scopes::parse(&app.scopes)?,
    };
    if !scopes.is_subset_of(&Scopes::parse(&app.scopes)?) {
        return Err(Error::invalid("invalid_scope", "The app asks for more than it registered for."));
    }
    match (req.code_challenge.as_deref(), req.code_challenge_method.as_deref()) {
        (None, _) => {}
        (Some(c), Some("S256")) if !c.is_empty() => {}
        (Some(_), _) => return Err(Error::invalid("invalid_request", "Only code_challenge_method=S256 is supported.")),
    }
    Ok((app, scopes))
}

/// The person approved: issues a code for the redirect.
pub async fn grant_code(ctx: &AppContext, actor: &Actor, req: AuthorizeRequest) -> Result<String> {
    let (app, scopes) = check_authorize(ctx, &req).await?;
    let code = random_token();
    let code_hash = hash(&code);
    let person = actor.person_id;
    ctx.db
        .write(move |conn| -> Result<_> {
            let now = db::now();
            db::oauth::insert_code(
                conn,
                &NewCode {
                    code_hash: &code_hash,
                    app_id: app.id,
                    person_id: person,
                    redirect_uri: &req.redirect_uri,
                    scopes: &scopes.as_string(),
                    code_challenge: req.code_challenge.as_deref(),
                    code_challenge_method: req.code_challenge_method.as_deref(),
                    expires_at: now + Duration::minutes(CODE_LIFETIME_MINUTES),
                    created_at: now,
                },
            )?;
            Ok(())
        })
        .await?;
    Ok(code)
}

#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub grant_type: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub scope: Option<String>,
}

#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub access_token: String,
    pub scopes: Scopes,
    pub created_at: chrono::NaiveDateTime,
}

fn invalid_grant() -> Error {
    Error::invalid("invalid_grant", "The authorization code is not valid, has expired or was already used.")
}

pub async fn issue_token(ctx: &AppContext, req: TokenRequest) -> Result<IssuedToken> {
    let token = random_token();
    let token_hash = hash(&token);
    // The inner result is the answer; the outer one rolls back. A code that was presented is
    // used up even when the exchange then fails, so a stolen code cannot be tried twice.
    let issued = ctx
        .db
        .write(move |conn| -> Result<Result<IssuedToken>> {
            let app = db::oauth::app_by_client_id(conn, &req.client_id)?
                .ok_or_else(|| Error::unauthenticated("invalid_client", "This app is not registered here."))?;
            let secret_ok = req.client_secret.as_deref().is_some_and(|s| same(s, &app.client_secret));
            let (person, scopes) = match req.grant_type.as_str() {
                "authorization_code" => {
                    let code = req.code.as_deref().ok_or_else(invalid_grant)?;
                    let Some(stored) = db::oauth::take_code(conn, &hash(code))? else { return Ok(Err(invalid_grant())) };
                    if stored.app_id != app.id || stored.expires_at < db::now() {
                        return Ok(Err(invalid_grant()));
                    }
                    if req.redirect_uri.as_deref() != Some(stored.redirect_uri.as_str()) {
                        return Ok(Err(Error::invalid("invalid_grant", "The redirect_uri does not match the authorization request.")));
                    }
                    match stored.code_challenge.as_deref() {
                        Some(challenge) => {
                            let Some(verifier) = req.code_verifier.as_deref() else {
                                return Ok(Err(Error::invalid("invalid_grant", "This code needs its code_verifier (PKCE).")));
                            };
                            if !same(&URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())), challenge) {
                                return Ok(Err(Error::invalid("invalid_grant", "The code_verifier does not match the code_challenge.")));
                            }
                            // A PKCE client proved itself; a public client has no secret to send.
                            if req.client_secret.is_some() && !secret_ok {
                                return Ok(Err(Error::unauthenticated("invalid_client", "The client secret is wrong.")));
                            }
                        }
                        None if !secret_ok => return Ok(Err(Error::unauthenticated("invalid_client", "The client secret is wrong."))),
                        None => {}
                    }
                    (Some(stored.person_id), Scopes::parse(&stored.scopes)?)
                }
                "client_credentials" => {
                    if !secret_ok {
                        return Err(Error::unauthenticated("invalid_client", "The client secret is wrong."));
                    }
                    let scopes = match req.scope.as_deref() {
                        Some(s) => Scopes::parse(s)?,
                        None => Scopes::parse("read")?,
                    };
                    if !scopes.is_subset_of(&Scopes::parse(&app.scopes)?) {
                        return Err(Error::invalid("invalid_scope", "The app asks for more than it registered for."));
                    }
                    (None, scopes)
                }
                other => {
                    return Err(Error::invalid(
                        "unsupported_grant_type",
                        format!("The grant type {other:?} is not supported; use authorization_code or client_credentials."),
                    ))
                }
            };
            let row = db::oauth::insert_token(
                conn,
                &NewToken {
                    token_hash: &token_hash,
                    app_id: Some(app.id),
                    person_id: person,
                    scopes: &scopes.as_string(),
                    created_at: db::now(),
                },
            )?;
            Ok(Ok(IssuedToken { access_token: String::new(), scopes, created_at: row.created_at }))
        })
        .await??;
    Ok(IssuedToken { access_token: token, ..issued })
}

/// Revokes a token of the app; unknown tokens are ignored (RFC 7009).
pub async fn revoke(ctx: &AppContext, client_id: String, client_secret: String, token: String) -> Result<()> {
    ctx.db
        .write(move |conn| -> Result<_> {
            let app = db::oauth::app_by_client_id(conn, &client_id)?
                .filter(|a| same(&a.client_secret, &client_secret))
                .ok_or_else(|| Error::unauthenticated("invalid_client", "The app or its secret is wrong."))?;
            db::oauth::revoke_token(conn, &hash(&token), app.id)?;
            Ok(())
        })
        .await
}

/// Ends a web session (its token, which belongs to no app).
pub async fn end_session(ctx: &AppContext, token: String) -> Result<()> {
    ctx.db.write(move |conn| -> Result<_> { Ok(db::oauth::revoke_personal_token(conn, &hash(&token))?) }).await?;
    Ok(())
}

/// A random secret for a form shown before anyone signs in (the sign-in form).
pub fn new_form_secret() -> String {
    random_token()
}

/// A keyed digest of a session token, for the forms of that session (CSRF): it changes with
/// the session and cannot be made without it.
pub fn form_token(session: &str) -> String {
    hash(&format!("form:{session}"))
}

/// Who a bearer token speaks for.
#[derive(Debug, Clone)]
pub struct TokenOwner {
    pub actor: Option<Actor>,
    pub app: Option<App>,
    pub scopes: Scopes,
}

pub async fn authenticate(ctx: &AppContext, token: &str) -> Result<TokenOwner> {
    let token_hash = hash(token);
    // The token, its app and its person's account in one statement: this runs for every API call.
    let found = ctx.db.read(move |conn| db::oauth::token_with_owner(conn, &token_hash)).await?;
    let (row, app, account) = found.ok_or_else(|| Error::unauthenticated("invalid_token", "The access token is not valid."))?;
    let actor = match row.person_id {
        Some(id) => Some(super::people::actor_of(id, account)?),
        None => None,
    };
    Ok(TokenOwner { actor, app, scopes: Scopes::parse(&row.scopes)? })
}

/// A token for scripts (`gilde admin token NAME`), with read, write and follow scopes.
pub async fn token_for_person(ctx: &AppContext, person: PersonId) -> Result<String> {
    let token = random_token();
    let token_hash = hash(&token);
    ctx.db
        .write(move |conn| -> Result<_> {
            db::oauth::insert_token(
                conn,
                &NewToken {
                    token_hash: &token_hash,
                    app_id: None::<AppId>,
                    person_id: Some(person),
                    scopes: "read write follow",
                    created_at: db::now(),
                },
            )?;
            Ok(())
        })
        .await?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parent_allows_child() {
        let s = Scopes::parse("read write:statuses").expect("valid");
        assert!(s.allows("read:accounts"));
        assert!(s.allows("write:statuses"));
        assert!(!s.allows("write:favourites"));
        assert!(!s.allows("write"));
        assert!(Scopes::parse("read nonsense").is_err());
    }
}

#[cfg(test)]
mod redirect_tests {
    use super::check_redirect_uri;

    #[test]
    fn app_schemes_and_web_addresses_are_allowed_browser_schemes_not() {
        for ok in
            ["urn:ietf:wg:oauth:2.0:oob", "https://app.example/cb", "http://localhost:4000/cb", "nl.gemeente.app:/oauth", "elk://oauth"]
        {
            assert!(check_redirect_uri(ok).is_ok(), "{ok}");
        }
        for bad in ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x", "file:///etc/passwd", "vbscript:x", "niet een uri"] {
            assert!(check_redirect_uri(bad).is_err(), "{bad}");
        }
    }
}
