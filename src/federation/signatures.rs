//! Signed GETs ("authorized fetch"): who asks for an object. The federation library verifies the
//! signatures of inbox POSTs itself but offers no check for GETs with the axum feature, so
//! Gilde verifies them here, as Mastodon signs them: `(request-target)`, `host` and `date`,
//! RSA-SHA256, the key named by `keyId` (usually the other server's instance actor).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use activitypub_federation::config::Data;
use axum::http::{HeaderMap, Method, Uri};
use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::actors::{self, Requester};

/// How far a signature's `Date` may lie from now (clocks differ).
const MAX_AGE: Duration = Duration::from_secs(60 * 60);
/// How long a fetched key is trusted before it is fetched again.
const KEY_TTL: Duration = Duration::from_secs(10 * 60);
/// Keys kept in memory at most; the cache is emptied when it is full.
const KEY_CACHE_MAX: usize = 10_000;

/// Public keys of other servers' actors, by key id.
#[derive(Clone, Default)]
pub struct KeyCache(Arc<Mutex<HashMap<String, (String, Instant)>>>);

impl KeyCache {
    fn get(&self, key_id: &str) -> Option<String> {
        let map = self.0.lock().ok()?;
        map.get(key_id).filter(|(_, at)| at.elapsed() < KEY_TTL).map(|(pem, _)| pem.clone())
    }

    fn put(&self, key_id: &str, pem: &str) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= KEY_CACHE_MAX {
                map.clear();
            }
            map.insert(key_id.to_string(), (pem.to_string(), Instant::now()));
        }
    }

    fn forget(&self, key_id: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(key_id);
        }
    }
}

fn invalid(reason: impl std::fmt::Display) -> Error {
    Error::unauthenticated("signature_invalid", "The request's signature does not verify.").with_cause(reason.to_string())
}

/// Who sent this GET: `Anonymous` without a `Signature` header, the signer's server when the
/// signature verifies, an error (401) when a signature is present and does not verify.
pub async fn requester(data: &Data<AppContext>, headers: &HeaderMap, method: &Method, uri: &Uri) -> Result<Requester> {
    let Some(signature) = headers.get("signature") else { return Ok(Requester::Anonymous) };
    let signature = signature.to_str().map_err(invalid)?.to_string();
    let mut header_map = BTreeMap::new();
    for (name, value) in headers {
        if let Ok(value) = value.to_str() {
            header_map.insert(name.to_string(), value.to_string());
        }
    }
    if !header_map.contains_key("host") {
        header_map.insert("host".to_string(), data.config.domain.clone());
    }
    header_map.insert("signature".to_string(), signature);
    let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let config = http_signature_normalization::Config::new().mastodon_compat().set_expiration(MAX_AGE);
    let unverified = config.begin_verify(method.as_str(), path_and_query, header_map).map_err(invalid)?;
    let key_id = unverified.key_id().to_string();
    let key_url = Url::parse(&key_id).map_err(invalid)?;
    let domain = actors::domain_of(&key_url).ok_or_else(|| invalid("the key id has no host"))?;
    actors::check_domain_allowed(data, &domain)?;

    let cache = &data.signing_keys;
    let (pem, cached) = match cache.get(&key_id) {
        Some(pem) => (pem, true),
        None => (fetch_key(data, &key_url).await?, false),
    };
    let check = |pem: &str| verifies(&unverified, pem);
    if check(&pem) {
        cache.put(&key_id, &pem);
        return Ok(Requester::Server(domain));
    }
    if cached {
        // The key may have changed since it was cached: fetch it once more.
        cache.forget(&key_id);
        let fresh = fetch_key(data, &key_url).await?;
        if check(&fresh) {
            cache.put(&key_id, &fresh);
            return Ok(Requester::Server(domain));
        }
    }
    Err(invalid(format!("the signature does not verify with the key {key_id}")))
}

/// Does the parsed signature verify with this public key (RSA-SHA256)?
fn verifies(unverified: &http_signature_normalization::verify::Unverified, pem: &str) -> bool {
    let Ok(signature) = base64::engine::general_purpose::STANDARD.decode(unverified.signature()) else { return false };
    crate::keys::verify(pem, unverified.signing_string().as_bytes(), &signature)
}

/// Verifies a signed request against a known key, as a receiving server does: the signature
/// (Mastodon's profile, at most an hour old) and, when a body is given, its `Digest`. Returns the
/// key id. For tools and benchmarks that stand in for other servers.
pub fn verify_with_key(headers: &HeaderMap, method: &Method, path_and_query: &str, body: Option<&[u8]>, pem: &str) -> Result<String> {
    verify_request(headers, method, path_and_query, body, pem, MAX_AGE)
}

/// Verifies an inbox POST whose time window `inbox::check_signature_scope` has checked (as
/// Mastodon does: up to 12 hours when the signature says so): the signature with the signer's
/// key and the body's `Digest`.
pub fn verify_inbox_post(headers: &HeaderMap, method: &Method, path_and_query: &str, body: &[u8], pem: &str) -> Result<String> {
    verify_request(headers, method, path_and_query, Some(body), pem, Duration::from_secs(14 * 60 * 60))
}

fn verify_request(
    headers: &HeaderMap,
    method: &Method,
    path_and_query: &str,
    body: Option<&[u8]>,
    pem: &str,
    max_age: Duration,
) -> Result<String> {
    let mut header_map = BTreeMap::new();
    for (name, value) in headers {
        if let Ok(value) = value.to_str() {
            header_map.insert(name.to_string(), value.to_string());
        }
    }
    let config = http_signature_normalization::Config::new().mastodon_compat().set_expiration(max_age);
    let unverified = config.begin_verify(method.as_str(), path_and_query, header_map).map_err(invalid)?;
    if !verifies(&unverified, pem) {
        return Err(invalid("the signature does not verify"));
    }
    if let Some(body) = body {
        let expected = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body));
        let digest = headers.get("digest").and_then(|d| d.to_str().ok()).unwrap_or("");
        // `SHA-256=…`, the algorithm's name in any case (some servers write `sha-256`).
        let matches =
            |part: &str| part.trim().split_once('=').is_some_and(|(alg, value)| alg.eq_ignore_ascii_case("SHA-256") && value == expected);
        if !digest.split(',').any(matches) {
            return Err(invalid("the body does not match its digest"));
        }
    }
    Ok(unverified.key_id().to_string())
}

/// Fetches the document a key id names (an actor with `publicKey`, or the key itself) and
/// returns the key's PEM. The key must belong to an actor of the key's own domain.
async fn fetch_key(data: &Data<AppContext>, key_url: &Url) -> Result<String> {
    let mut document_url = key_url.clone();
    document_url.set_fragment(None);
    let fetched = activitypub_federation::fetch::fetch_object_http::<AppContext, Value>(&document_url, data).await.map_err(invalid)?;
    let doc = fetched.object;
    let key = doc.get("publicKey").unwrap_or(&doc);
    let owner = key.get("owner").and_then(Value::as_str).and_then(|o| Url::parse(o).ok()).ok_or_else(|| invalid("the key has no owner"))?;
    if actors::domain_of(&owner) != actors::domain_of(key_url) {
        return Err(invalid("the key's owner is on another server"));
    }
    key.get("publicKeyPem").and_then(Value::as_str).map(str::to_string).ok_or_else(|| invalid("the document holds no public key"))
}

/// The headers of a POST (a delivery) signed as Mastodon signs them (`(request-target) host date
/// digest`, `rsa-sha256`, with the body's `Digest`).
pub fn signed_post_headers(url: &Url, key_id: &str, private_pem: &str, body: &[u8]) -> Result<Vec<(&'static str, String)>> {
    signed_headers("post", url, key_id, private_pem, Some(body))
}

/// The headers of a GET signed as Mastodon signs them (`(request-target) host date`), for
/// fetches the federation library does not make itself (files).
pub fn signed_get_headers(url: &Url, key_id: &str, private_pem: &str) -> Result<Vec<(&'static str, String)>> {
    signed_headers("get", url, key_id, private_pem, None)
}

/// The same, signed on the background signers (`keys::sign_in_background`): for deliveries.
pub async fn signed_post_headers_in_background(
    url: &Url,
    key_id: &str,
    private_pem: &str,
    body: &[u8],
) -> Result<Vec<(&'static str, String)>> {
    let (mut headers, signing_string) = headers_to_sign("post", url, Some(body));
    let signature = crate::keys::sign_in_background(private_pem, signing_string.into_bytes()).await?;
    add_signature(&mut headers, key_id, &signature);
    Ok(headers)
}

/// `host`, `date`, `digest` (when there is a body) and the `signature` over them and the
/// request target, as Mastodon signs.
fn signed_headers(method: &str, url: &Url, key_id: &str, private_pem: &str, body: Option<&[u8]>) -> Result<Vec<(&'static str, String)>> {
    let (mut headers, signing_string) = headers_to_sign(method, url, body);
    let signature = crate::keys::sign(private_pem, signing_string.as_bytes())?;
    add_signature(&mut headers, key_id, &signature);
    Ok(headers)
}

/// The headers a signature covers, and the text that is signed.
fn headers_to_sign(method: &str, url: &Url, body: Option<&[u8]>) -> (Vec<(&'static str, String)>, String) {
    let host = actors::domain_of(url).unwrap_or_default();
    let date = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let mut headers = vec![("host", host), ("date", date)];
    if let Some(body) = body {
        headers.push(("digest", format!("SHA-256={}", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body)))));
    }
    let mut signing_string = format!("(request-target): {method} {target}");
    for (name, value) in &headers {
        signing_string.push_str(&format!("\n{name}: {value}"));
    }
    (headers, signing_string)
}

/// The `Signature` header over `headers` (and the request target).
fn add_signature(headers: &mut Vec<(&'static str, String)>, key_id: &str, signature: &[u8]) {
    let names = headers.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(" ");
    let signature = base64::engine::general_purpose::STANDARD.encode(signature);
    headers.push((
        "signature",
        format!(r#"keyId="{key_id}",algorithm="rsa-sha256",headers="(request-target) {names}",signature="{signature}""#),
    ));
}
