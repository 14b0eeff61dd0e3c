//! Single sign-on with the organisation's OpenID Connect provider (Entra ID, Keycloak, ...):
//! authorization code with PKCE, a nonce and a state used once; the ID token checked (issuer,
//! audience, signature, expiry, nonce) by the `openidconnect` crate; the person's account made at
//! their first sign-in from the provider's claims, if their e-mail domain and groups allow it.
//!
//! The protocol is the crate's; the rules (who may get in, what account they get) are here.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AccessToken, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde_json::{Map, Value};

use super::{oauth, Actor};
use crate::config::SsoSettings;
use crate::context::AppContext;
use crate::db::sso::{Identity, PendingSignIn};
use crate::db::{self, DbConn};
use crate::error::{Error, ErrorKind, Result};

/// How long a person has at the provider before the begun sign-in expires.
const SIGN_IN_MINUTES: i64 = 10;
/// How long the provider's discovery document (with its signing keys) is kept.
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);
/// Signing keys are read again at most this often when a token names a key not yet seen.
const KEY_REFRESH_MIN: Duration = Duration::from_secs(60);
/// The path the provider sends people back to.
pub const CALLBACK_PATH: &str = "/auth/sso/callback";

/// The connection to the provider: its settings, an HTTP client, and its discovery document.
pub struct Provider {
    settings: SsoSettings,
    http: ProviderHttp,
    discovered: tokio::sync::Mutex<Option<(Instant, CoreProviderMetadata)>>,
}

impl Provider {
    pub fn new(settings: SsoSettings) -> Result<Arc<Provider>> {
        // The provider is the organisation's own, named by its admin: it may live on an
        // internal address. Redirects are not followed (the discovery and token endpoints are
        // fixed addresses).
        let client = reqwest13::Client::builder()
            .redirect(reqwest13::redirect::Policy::none())
            .timeout(Duration::from_secs(15))
            .user_agent(concat!("Gilde/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(Error::internal)?;
        Ok(Arc::new(Provider { settings, http: ProviderHttp(client), discovered: tokio::sync::Mutex::new(None) }))
    }

    pub fn settings(&self) -> &SsoSettings {
        &self.settings
    }

    /// The discovery document, read again when older than an hour or when `fresh` is asked
    /// (a token signed by a key that is not in the kept set).
    async fn metadata(&self, fresh: bool) -> Result<CoreProviderMetadata> {
        let mut kept = self.discovered.lock().await;
        if let Some((at, metadata)) = kept.as_ref() {
            let young = at.elapsed() < if fresh { KEY_REFRESH_MIN } else { DISCOVERY_TTL };
            if young {
                return Ok(metadata.clone());
            }
        }
        let issuer = IssuerUrl::new(self.settings.issuer.clone()).map_err(|e| misconfigured(format!("The issuer is no address: {e}")))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http).await.map_err(|e| {
            use openidconnect::DiscoveryError;
            match e {
                DiscoveryError::Validation(why) => misconfigured(format!(
                    "The provider at {} does not describe itself as that issuer ({why}). Check sso_issuer.",
                    self.settings.issuer
                )),
                DiscoveryError::Parse(why) => misconfigured(format!("The provider's discovery document cannot be read: {why}")),
                other => unavailable(other),
            }
        })?;
        *kept = Some((Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    fn client(&self, ctx: &AppContext, metadata: CoreProviderMetadata) -> Result<ConfiguredClient> {
        let redirect = RedirectUrl::new(format!("{}{CALLBACK_PATH}", ctx.config.base_url())).map_err(Error::internal)?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(self.settings.client_secret.clone())),
        )
        .set_redirect_uri(redirect))
    }
}

type ConfiguredClient = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

fn misconfigured(message: String) -> Error {
    Error::new(ErrorKind::Unavailable, "sso_misconfigured", message)
}

fn unavailable(cause: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Unavailable, "sso_unavailable", "Your organisation's sign-in service cannot be reached. Try again in a moment.")
        .with_cause(cause.to_string())
}

fn not_configured() -> Error {
    Error::not_found("sso_not_configured", "Single sign-on is not set up on this server.")
}

/// The HTTP client the `openidconnect` crate sends its requests with.
struct ProviderHttp(reqwest13::Client);

/// A failed request to the provider.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct ProviderHttpError(String);

/// Responses from the provider are small documents; anything larger is refused.
const MAX_PROVIDER_RESPONSE: usize = 1024 * 1024;

impl<'c> openidconnect::AsyncHttpClient<'c> for ProviderHttp {
    type Error = ProviderHttpError;
    type Future = Pin<Box<dyn Future<Output = std::result::Result<openidconnect::HttpResponse, ProviderHttpError>> + Send + 'c>>;

    fn call(&'c self, request: openidconnect::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let mut sent = self.0.request(parts.method, parts.uri.to_string()).body(body);
            for (name, value) in &parts.headers {
                sent = sent.header(name, value);
            }
            let mut response = sent.send().await.map_err(|e| ProviderHttpError(e.to_string()))?;
            let mut answer = openidconnect::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                answer = answer.header(name, value);
            }
            let mut bytes = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| ProviderHttpError(e.to_string()))? {
                if bytes.len() + chunk.len() > MAX_PROVIDER_RESPONSE {
                    return Err(ProviderHttpError("the provider's answer is too large".into()));
                }
                bytes.extend_from_slice(&chunk);
            }
            answer.body(bytes).map_err(|e| ProviderHttpError(e.to_string()))
        })
    }
}

fn provider(ctx: &AppContext) -> Result<&Arc<Provider>> {
    ctx.sso.as_ref().ok_or_else(not_configured)
}

/// Only a page of this server may be where a sign-in ends (never another site).
pub fn safe_return_to(wanted: Option<&str>) -> String {
    match wanted {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') && path.len() <= 4_000 => path.to_string(),
        _ => "/".to_string(),
    }
}

/// A sign-in begun: where to send the browser, and the state to keep in its cookie.
pub struct Begun {
    pub provider_url: String,
    pub state: String,
}

/// Begins a sign-in: a fresh state, nonce and PKCE verifier, kept (the state hashed) for the
/// callback, which may arrive at any process of the instance.
pub async fn begin(ctx: &AppContext, return_to: Option<&str>) -> Result<Begun> {
    let provider = provider(ctx)?;
    let client = provider.client(ctx, provider.metadata(false).await?)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let now = db::now();
    let pending = PendingSignIn {
        state_hash: oauth::hash(state.secret()),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
        return_to: safe_return_to(return_to),
        expires_at: now + chrono::Duration::minutes(SIGN_IN_MINUTES),
        created_at: now,
    };
    ctx.db.write(move |conn| -> Result<_> { Ok(db::sso::begin(conn, &pending)?) }).await?;
    Ok(Begun { provider_url: url.to_string(), state: state.secret().clone() })
}

/// What the provider sent back to the callback.
pub struct Callback {
    pub state: Option<String>,
    pub code: Option<String>,
    /// The provider's error (`access_denied` when the person cancelled).
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// A finished sign-in: who, and where they were going.
#[derive(Debug)]
pub struct SignedIn {
    pub actor: Actor,
    pub return_to: String,
    /// Whether the account was made just now.
    pub new_account: bool,
}

fn state_refused(code: &'static str, message: &'static str) -> Error {
    Error::new(ErrorKind::Malformed, code, message)
}

/// Finishes a sign-in: the state must be the one this browser began with, unused and not
/// expired; the code is exchanged (with the PKCE verifier), the ID token checked, and the person
/// found or, the first time, given an account.
pub async fn finish(ctx: &AppContext, callback: Callback, browser_state: Option<&str>) -> Result<SignedIn> {
    let provider = provider(ctx)?;
    let Some(state) = callback.state.filter(|s| !s.is_empty()) else {
        return Err(state_refused("sso_state_missing", "This sign-in came back without its state. Start signing in again."));
    };
    if !browser_state.is_some_and(|b| oauth::same(b, &state)) {
        return Err(state_refused(
            "sso_state_mismatch",
            "This sign-in was started in another browser or window, or has expired. Start signing in again.",
        ));
    }
    let state_hash = oauth::hash(&state);
    let pending =
        ctx.db.write(move |conn| -> Result<_> { Ok(db::sso::take(conn, &state_hash)?) }).await?.ok_or_else(|| {
            state_refused("sso_state_unknown", "This sign-in was already used or is not known here. Start signing in again.")
        })?;
    if pending.expires_at < db::now() {
        return Err(state_refused("sso_state_expired", "This sign-in took too long and has expired. Start signing in again."));
    }
    if let Some(error) = callback.error {
        let why = callback.error_description.unwrap_or_default();
        return Err(Error::forbidden("sso_cancelled", "The sign-in was cancelled or refused at your organisation's sign-in service.")
            .with_cause(format!("{error}: {why}")));
    }
    let code = callback
        .code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| state_refused("sso_code_missing", "The sign-in came back without a code."))?;

    let claims = verified_claims(ctx, provider, &pending, code).await?;
    let settings = provider.settings();
    let person = Person::from_claims(settings, &claims)?;
    let issuer = settings.issuer.clone();
    let department_claim = settings.department_claim.clone();
    let (actor, new_account) = ctx
        .db
        .write(move |conn| -> Result<_> {
            if let Some(identity) = db::sso::identity(conn, &issuer, &person.subject)? {
                let account = db::people::account(conn, identity.person_id)?.ok_or_else(super::people::account_disabled)?;
                if account.disabled {
                    return Err(super::people::account_disabled());
                }
                db::sso::signed_in(conn, &issuer, &person.subject, &person.email)?;
                return Ok((Actor { person_id: identity.person_id, is_admin: account.is_admin }, false));
            }
            let made = make_account(conn, &issuer, &person, &department_claim)?;
            Ok((made, true))
        })
        .await?;
    tracing::info!(person = actor.person_id.0, new_account, "signed in through single sign-on");
    Ok(SignedIn { actor, return_to: pending.return_to, new_account })
}

/// Exchanges the code and checks the ID token; the claims of the ID token, completed by the
/// provider's userinfo endpoint (many providers put e-mail and name only there).
async fn verified_claims(ctx: &AppContext, provider: &Provider, pending: &PendingSignIn, code: String) -> Result<Map<String, Value>> {
    let client = provider.client(ctx, provider.metadata(false).await?)?;
    let token_request = client.exchange_code(AuthorizationCode::new(code)).map_err(|e| misconfigured(e.to_string()))?;
    let tokens =
        token_request.set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone())).request_async(&provider.http).await.map_err(
            |e| {
                use openidconnect::RequestTokenError;
                match e {
                    RequestTokenError::Request(cause) => unavailable(cause),
                    other => Error::unauthenticated(
                        "sso_code_refused",
                        "Your organisation's sign-in service did not accept this sign-in. Start again.",
                    )
                    .with_cause(other.to_string()),
                }
            },
        )?;
    let id_token =
        tokens.id_token().ok_or_else(|| Error::unauthenticated("sso_id_token_invalid", "The sign-in service sent no ID token."))?;
    let nonce = Nonce::new(pending.nonce.clone());
    let checked = match id_token.claims(&client.id_token_verifier(), &nonce) {
        Ok(claims) => claims.subject().to_string(),
        Err(first) => {
            // The provider may have rolled its signing keys: read them again, once.
            let fresh = provider.client(ctx, provider.metadata(true).await?)?;
            let verifier = fresh.id_token_verifier();
            let subject = id_token.claims(&verifier, &nonce).map(|c| c.subject().to_string()).map_err(|e| {
                tracing::warn!(error = %e, first = %first, "an ID token from the sign-in service was refused");
                Error::unauthenticated("sso_id_token_invalid", format!("The sign-in could not be verified: {e}. Tell your administrator."))
            });
            subject?
        }
    };
    // Verified: its payload can be read as it is, for the claims the crate does not model.
    let mut claims = token_payload(&id_token.to_string()).ok_or_else(|| Error::internal("a verified ID token has no payload"))?;
    if let Some(extra) = userinfo(provider, &client, tokens.access_token()).await? {
        if extra.get("sub").and_then(Value::as_str) == Some(checked.as_str()) {
            for (name, value) in extra {
                claims.entry(name).or_insert(value);
            }
        } else {
            tracing::warn!("the sign-in service's userinfo names another subject; its claims are not used");
        }
    }
    Ok(claims)
}

fn token_payload(jwt: &str) -> Option<Map<String, Value>> {
    let payload = jwt.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?).ok()
}

/// The provider's userinfo answer as JSON, if it has that endpoint.
async fn userinfo(provider: &Provider, client: &ConfiguredClient, token: &AccessToken) -> Result<Option<Map<String, Value>>> {
    let Some(url) = client.user_info_url() else { return Ok(None) };
    let response = provider
        .http
        .0
        .get(url.url().clone())
        .bearer_auth(token.secret())
        .header("accept", "application/json")
        .send()
        .await
        .map_err(unavailable)?;
    if !response.status().is_success() {
        tracing::warn!(status = %response.status(), "the sign-in service's userinfo endpoint refused");
        return Ok(None);
    }
    let bytes = response.bytes().await.map_err(unavailable)?;
    if bytes.len() > MAX_PROVIDER_RESPONSE {
        return Ok(None);
    }
    Ok(serde_json::from_slice(&bytes).ok())
}

/// Who the claims say the person is, once the instance's rules let them in.
#[derive(Debug, Clone)]
struct Person {
    subject: String,
    email: String,
    name: String,
    preferred: Vec<String>,
    claims: BTreeMap<String, Value>,
}

impl Person {
    fn from_claims(settings: &SsoSettings, claims: &Map<String, Value>) -> Result<Person> {
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let subject = text("sub").ok_or_else(|| Error::unauthenticated("sso_id_token_invalid", "The ID token names nobody."))?;
        let email = text("email").unwrap_or_default().to_ascii_lowercase();
        if !settings.allowed_domains.is_empty() {
            if email.is_empty() {
                return Err(Error::forbidden(
                    "sso_email_missing",
                    "Your organisation's sign-in service did not send an e-mail address, which this server needs to let you in.",
                ));
            }
            let verified = claims.get("email_verified").is_none_or(|v| v.as_bool() != Some(false) && v.as_str() != Some("false"));
            let domain = email.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
            if !verified || !settings.allowed_domains.iter().any(|p| p.matches(domain)) {
                return Err(Error::forbidden(
                    "sso_email_domain_refused",
                    format!("People with an address at {domain} cannot sign in here. Ask your administrator if you should."),
                ));
            }
        }
        if !settings.required_groups.is_empty() {
            let groups: Vec<String> = match claims.get(&settings.group_claim) {
                Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).map(str::to_string).collect(),
                Some(Value::String(one)) => vec![one.clone()],
                _ => Vec::new(),
            };
            if !settings.required_groups.iter().any(|g| groups.contains(g)) {
                return Err(Error::forbidden(
                    "sso_group_refused",
                    "You are not in a group at your organisation that may use this server. Ask your administrator.",
                ));
            }
        }
        let name = text("name")
            .or_else(|| {
                let full = [text("given_name"), text("family_name")].into_iter().flatten().collect::<Vec<_>>().join(" ");
                (!full.is_empty()).then_some(full)
            })
            .unwrap_or_default();
        let preferred = [text("preferred_username"), text("nickname"), (!email.is_empty()).then(|| email.clone()), text("name")]
            .into_iter()
            .flatten()
            .collect();
        Ok(Person { subject, email, name, preferred, claims: claims.iter().map(|(k, v)| (k.clone(), v.clone())).collect() })
    }
}

/// A user name from what the provider calls the person: `anna.de.vries@gemeente-a.nl` gives
/// `anna_de_vries`.
fn name_from(wanted: &str) -> String {
    let local = wanted.split('@').next().unwrap_or(wanted).to_lowercase();
    let mut name = String::new();
    for c in local.chars() {
        let c = match c {
            'a'..='z' | '0'..='9' | '_' => c,
            'à'..='å' => 'a',
            'è'..='ë' => 'e',
            'ì'..='ï' => 'i',
            'ò'..='ö' => 'o',
            'ù'..='ü' => 'u',
            '.' | '-' | ' ' => '_',
            _ => continue,
        };
        if !(c == '_' && name.ends_with('_')) {
            name.push(c);
        }
    }
    name.trim_matches('_').chars().take(26).collect()
}

/// The person's first sign-in: an account (no password: they sign in at the provider) and the
/// identity that ties it to the provider, in the sign-in's one transaction.
fn make_account(conn: &mut DbConn, issuer: &str, person: &Person, department_claim: &str) -> Result<Actor> {
    let base = person.preferred.iter().map(|w| name_from(w)).find(|n| !n.is_empty()).unwrap_or_else(|| "colleague".to_string());
    let mut username = base.clone();
    let mut n = 1;
    while super::name_taken(conn, &username)? {
        n += 1;
        username = format!("{base}{n}");
        if n > 10_000 {
            return Err(Error::internal("no free user name"));
        }
    }
    let display: String =
        if person.name.is_empty() { username.clone() } else { person.name.chars().take(super::people::MAX_DISPLAY_NAME).collect() };
    let department: String = person
        .claims
        .get(department_claim)
        .and_then(Value::as_str)
        .map(|d| d.trim().chars().take(super::people::MAX_DEPARTMENT).collect())
        .unwrap_or_default();
    // No password hash: a password can never match, so only the provider lets them in.
    let row = super::people::insert_local_account(conn, &username, &display, &department, "", false)?;
    let now = db::now();
    db::sso::insert_identity(
        conn,
        &Identity {
            issuer: issuer.to_string(),
            subject: person.subject.clone(),
            person_id: row.id,
            email: person.email.clone(),
            created_at: now,
            last_sign_in_at: now,
        },
    )?;
    Ok(Actor { person_id: row.id, is_admin: false })
}

/// Does this person sign in through the provider (and so have no password here)?
pub async fn signs_in_with_sso(ctx: &AppContext, person: db::PersonId) -> Result<bool> {
    ctx.db.read(move |conn| -> Result<_> { Ok(db::sso::has_identity(conn, person)?) }).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_come_from_what_the_provider_calls_people() {
        assert_eq!(name_from("anna.de.vries@gemeente-a.nl"), "anna_de_vries");
        assert_eq!(name_from("Zoë-Müller"), "zoe_muller");
        assert_eq!(name_from("..."), "");
        assert_eq!(name_from("a-very-long-name-that-goes-on-and-on-and-on"), "a_very_long_name_that_goes");
    }

    #[test]
    fn sign_ins_end_only_on_this_server() {
        assert_eq!(safe_return_to(Some("/oauth/authorize?client_id=x")), "/oauth/authorize?client_id=x");
        for bad in ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"] {
            assert_eq!(safe_return_to(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_return_to(None), "/");
    }

    fn settings(domains: &[&str], groups: &[&str]) -> SsoSettings {
        SsoSettings {
            issuer: "https://login.example".into(),
            client_id: "gilde".into(),
            client_secret: "s".into(),
            allowed_domains: domains.iter().map(|d| crate::config::DomainPattern::parse(d).expect("domain")).collect(),
            group_claim: "groups".into(),
            required_groups: groups.iter().map(|g| g.to_string()).collect(),
            department_claim: "department".into(),
            button_label: None,
        }
    }

    fn claims(value: Value) -> Map<String, Value> {
        value.as_object().cloned().expect("object")
    }

    #[test]
    fn e_mail_domains_and_groups_decide_who_gets_in() {
        let anna = claims(serde_json::json!({"sub": "1", "email": "Anna@Gemeente-A.nl", "groups": ["gilde-users"]}));
        assert!(Person::from_claims(&settings(&["gemeente-a.nl"], &["gilde-users"]), &anna).is_ok());
        let refused = Person::from_claims(&settings(&["gemeente-b.nl"], &[]), &anna).expect_err("other domain");
        assert_eq!(refused.code(), "sso_email_domain_refused");
        let refused = Person::from_claims(&settings(&[], &["admins"]), &anna).expect_err("other group");
        assert_eq!(refused.code(), "sso_group_refused");
        let unverified = claims(serde_json::json!({"sub": "1", "email": "anna@gemeente-a.nl", "email_verified": false}));
        let refused = Person::from_claims(&settings(&["gemeente-a.nl"], &[]), &unverified).expect_err("unverified");
        assert_eq!(refused.code(), "sso_email_domain_refused");
        let no_mail = claims(serde_json::json!({"sub": "1"}));
        assert_eq!(Person::from_claims(&settings(&["gemeente-a.nl"], &[]), &no_mail).expect_err("no e-mail").code(), "sso_email_missing");
        assert!(Person::from_claims(&settings(&[], &[]), &no_mail).is_ok(), "no rules: anyone the provider signs in");
    }
}
