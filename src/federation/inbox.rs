//! Every inbox (`/inbox`, `/users/:name/inbox`, `/groups/:name/inbox`). Before the federation
//! library verifies the signature and the digest, Gilde checks what Mastodon checks and the
//! library does not: the signature covers `(request-target)`, `Host`, `Date` and (for a body)
//! `Digest`; its time window is Mastodon's; the signed `Host` is this instance. Answers are
//! plain: 400 for what cannot be read, 401 for a missing or bad signature, 413 for a body over
//! the limit, 202 for an activity Gilde does not handle; never a 5xx for something a sender
//! can cause. A refusal is logged with its reason (at info, without the body).

use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::traits::{Activity, Actor};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, TimeDelta, Utc};

use super::activities::InboxActivity;
use super::objects::ApubActor;
use super::setup::FedConfig;
use crate::context::AppContext;
use crate::error::{Error, ErrorKind, Result};
use crate::http::error::{ApiError, ApiResult};

/// A signature is good for 5 minutes after it was made, unless it says otherwise.
const DEFAULT_LIFETIME: TimeDelta = TimeDelta::minutes(5);
/// A signature may say it is good for at most 12 hours.
const MAX_LIFETIME: TimeDelta = TimeDelta::hours(12);
/// Clocks differ: one hour either way is allowed.
const CLOCK_SKEW: TimeDelta = TimeDelta::hours(1);

fn unsigned(reason: impl Into<String>) -> Error {
    Error::unauthenticated("signature_invalid", "The request is not signed, or its signature or digest does not verify.")
        .with_cause(reason.into())
}

/// The parameters of a `Signature` header (`keyId="…",headers="…",signature="…"`).
pub fn signature_params(header: &str) -> Vec<(String, String)> {
    let mut params = Vec::new();
    let mut rest = header.trim();
    while !rest.is_empty() {
        let Some((name, after)) = rest.split_once('=') else { break };
        let name = name.trim().trim_start_matches(',').trim().to_ascii_lowercase();
        let after = after.trim_start();
        let (value, remainder) = if let Some(quoted) = after.strip_prefix('"') {
            match quoted.find('"') {
                Some(end) => (&quoted[..end], &quoted[end + 1..]),
                None => (quoted, ""),
            }
        } else {
            match after.find(',') {
                Some(end) => (&after[..end], &after[end..]),
                None => (after, ""),
            }
        };
        params.push((name, value.trim().to_string()));
        rest = remainder.trim_start().trim_start_matches(',').trim_start();
    }
    params
}

/// Checks a signed request as Mastodon does, before its signature is verified: which headers
/// it covers, when it was made and until when it holds, and for which host it was made.
pub fn check_signature_scope(headers: &HeaderMap, has_body: bool, own_host: &str, now: DateTime<Utc>) -> Result<()> {
    let header = headers.get("signature").ok_or_else(|| unsigned("no Signature header"))?;
    let header = header.to_str().map_err(|_| unsigned("the Signature header is not text"))?;
    let params = signature_params(header);
    let param = |name: &str| params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    let covered: Vec<String> = param("headers").unwrap_or("date").split_whitespace().map(str::to_ascii_lowercase).collect();
    let covers = |name: &str| covered.iter().any(|c| c == name);
    for required in ["(request-target)", "host"] {
        if !covers(required) {
            return Err(unsigned(format!("the signature does not cover {required}")));
        }
    }
    if !covers("date") && !covers("(created)") {
        return Err(unsigned("the signature covers neither Date nor (created)"));
    }
    if has_body && !covers("digest") {
        return Err(unsigned("the signature does not cover Digest"));
    }
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("");
    if !host.eq_ignore_ascii_case(own_host) {
        return Err(unsigned(format!("the signature was made for {host:?}, not for this instance")));
    }
    let seconds = |name: &str| -> Result<Option<DateTime<Utc>>> {
        match param(name) {
            None => Ok(None),
            Some(v) => {
                let s: i64 = v.parse().map_err(|_| unsigned(format!("{name} is not a time")))?;
                Ok(Some(DateTime::from_timestamp(s, 0).ok_or_else(|| unsigned(format!("{name} is out of range")))?))
            }
        }
    };
    let created = match (seconds("created")?, covers("date")) {
        (Some(created), _) => created,
        (None, _) => {
            let date = headers.get("date").and_then(|d| d.to_str().ok()).ok_or_else(|| unsigned("no Date header"))?;
            DateTime::parse_from_rfc2822(date).map_err(|_| unsigned(format!("Date {date:?} is not a date")))?.with_timezone(&Utc)
        }
    };
    let expires = seconds("expires")?.unwrap_or(created + DEFAULT_LIFETIME);
    if expires - created > MAX_LIFETIME {
        return Err(unsigned("the signature claims to hold for more than 12 hours"));
    }
    if created > now + CLOCK_SKEW {
        return Err(unsigned("the signature is dated in the future"));
    }
    if expires < now - CLOCK_SKEW {
        return Err(unsigned("the signature has expired"));
    }
    Ok(())
}

/// What a sender may be told: its own mistakes keep their status (400, 401, 403, 404, 413, 422); trouble fetching the signer's key is a signature that cannot be verified (401); a
/// fault of this instance stays 500, so the sender tries again later.
fn answer(e: Error) -> Error {
    match e.kind() {
        ErrorKind::Unavailable | ErrorKind::NotFound if e.code().starts_with("remote_") => {
            Error::unauthenticated("signature_unverifiable", "The signer's key could not be fetched from its server.")
                .with_cause(e.to_string())
        }
        _ => e,
    }
}

/// Receives one activity: checked, verified, and passed to the service rules.
pub async fn receive(State(fed): State<FedConfig>, parts: Parts, body: Body) -> ApiResult<StatusCode> {
    let ctx: &AppContext = &fed;
    let result = receive_checked(&fed, parts, body).await;
    match result {
        Ok(()) => Ok(StatusCode::ACCEPTED),
        Err(e) => {
            let e = answer(e);
            if e.kind() != ErrorKind::Internal {
                // The reason, never the body (a cause is cut short: a parser's message may quote a value).
                let cause: String = e.cause().map(|c| c.to_string()).unwrap_or_default().chars().take(300).collect();
                tracing::info!(
                    code = e.code(),
                    reason = e.message(),
                    cause,
                    domain = ctx.config.domain.as_str(),
                    "inbox refused an activity"
                );
            }
            Err(ApiError(e))
        }
    }
}

async fn receive_checked(fed: &FedConfig, parts: Parts, body: Body) -> Result<()> {
    let ctx: &AppContext = fed;
    let limit = ctx.config.max_body_bytes;
    let bytes: Bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| Error::new(ErrorKind::TooLarge, "body_too_large", format!("An activity may be at most {limit} bytes.")))?;
    check_signature_scope(&parts.headers, !bytes.is_empty(), &ctx.config.domain, Utc::now())?;
    // Read before anything is fetched: what is no activity is refused at once.
    let json: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| Error::new(ErrorKind::Malformed, "malformed_json", format!("The body is not JSON: {e}")))?;
    let activity: InboxActivity = serde_json::from_value(json)
        .map_err(|e| Error::new(ErrorKind::Malformed, "malformed_activity", format!("The body is no activity Gilde can read: {e}")))?;
    check_id(ctx, &activity.id)?;
    let data = fed.to_request_data();
    activity.verify(&data).await?;
    // The signer, fetched from its server if unknown (signed by this instance's actor).
    let signer = ObjectId::<ApubActor>::from(activity.actor.clone()).dereference(&data).await?;
    let target = parts.uri.path_and_query().map_or(parts.uri.path(), |p| p.as_str());
    super::signatures::verify_inbox_post(&parts.headers, &parts.method, target, &bytes, signer.public_key_pem())?;
    activity.receive_from(signer, &data).await
}

/// An activity's id: http(s) (plain http only in the insecure test mode), of a domain this
/// instance federates with, and never one of this instance's own: nothing with an id here comes
/// from outside.
fn check_id(ctx: &AppContext, id: &url::Url) -> Result<()> {
    let scheme_ok = id.scheme() == "https" || (id.scheme() == "http" && ctx.config.federation.insecure);
    if !scheme_ok {
        return Err(Error::new(ErrorKind::Malformed, "bad_id", "An activity's id must be an https address."));
    }
    let domain =
        crate::service::actors::domain_of(id).ok_or_else(|| Error::new(ErrorKind::Malformed, "bad_id", "An activity's id has no host."))?;
    if domain.eq_ignore_ascii_case(&ctx.config.domain) {
        return Err(Error::invalid("local_id", "An activity with an id of this instance does not come from outside."));
    }
    crate::service::actors::check_domain_allowed(ctx, &domain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(signature: &str, date: &str, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("signature", HeaderValue::from_str(signature).expect("header"));
        h.insert("date", HeaderValue::from_str(date).expect("header"));
        h.insert("host", HeaderValue::from_str(host).expect("header"));
        h
    }

    const FULL: &str =
        r#"keyId="https://b.example/users/x#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="c2ln""#;

    fn check(signature: &str, date: DateTime<Utc>, host: &str, body: bool) -> std::result::Result<(), String> {
        let h = headers(signature, &date.format("%a, %d %b %Y %H:%M:%S GMT").to_string(), host);
        check_signature_scope(&h, body, "a.example", Utc::now()).map_err(|e| format!("{e:?}"))
    }

    #[test]
    fn the_signature_must_cover_date_digest_host_and_the_target() {
        let now = Utc::now();
        assert!(check(FULL, now, "a.example", true).is_ok());
        let no_date = FULL.replace(" date", "");
        assert!(check(&no_date, now, "a.example", true).expect_err("refused").contains("Date"));
        let no_digest = FULL.replace(" digest", "");
        assert!(check(&no_digest, now, "a.example", true).expect_err("refused").contains("Digest"));
        assert!(check(&no_digest, now, "a.example", false).is_ok(), "a GET has no digest");
        let no_host = FULL.replace(" host", "");
        assert!(check(&no_host, now, "a.example", true).expect_err("refused").contains("host"));
        let no_target = FULL.replace("(request-target) ", "");
        assert!(check(&no_target, now, "a.example", true).expect_err("refused").contains("request-target"));
    }

    #[test]
    fn a_signature_for_another_host_is_refused() {
        assert!(check(FULL, Utc::now(), "c.example", true).expect_err("refused").contains("c.example"));
        assert!(check(FULL, Utc::now(), "A.EXAMPLE", true).is_ok(), "host names are not case-sensitive");
    }

    #[test]
    fn the_time_window_is_mastodons() {
        let now = Utc::now();
        // Plain draft-cavage: good from an hour before its date to 65 minutes after.
        assert!(check(FULL, now - TimeDelta::minutes(64), "a.example", true).is_ok());
        assert!(check(FULL, now - TimeDelta::minutes(66), "a.example", true).expect_err("refused").contains("expired"));
        assert!(check(FULL, now + TimeDelta::minutes(59), "a.example", true).is_ok());
        assert!(check(FULL, now + TimeDelta::minutes(61), "a.example", true).expect_err("refused").contains("future"));
        // A stated expiry: later (up to 12 hours) or earlier.
        let created = now - TimeDelta::hours(5);
        let with = |expires: DateTime<Utc>| {
            format!(
                r#"keyId="k",headers="(request-target) host (created) (expires) digest",created={},expires={},signature="c2ln""#,
                created.timestamp(),
                expires.timestamp()
            )
        };
        assert!(check(&with(created + TimeDelta::hours(6)), now, "a.example", true).is_ok(), "states a six-hour life");
        assert!(check(&with(created + TimeDelta::hours(13)), now, "a.example", true).expect_err("refused").contains("12 hours"));
        assert!(check(&with(created + TimeDelta::minutes(1)), now, "a.example", true).expect_err("refused").contains("expired"));
    }

    #[test]
    fn signature_parameters_are_read_with_and_without_quotes() {
        let params = signature_params(r#"keyId="a,b",created=1700000000, headers="(request-target) host",signature="x=""#);
        assert_eq!(params[0], ("keyid".to_string(), "a,b".to_string()));
        assert_eq!(params[1], ("created".to_string(), "1700000000".to_string()));
        assert_eq!(params[2], ("headers".to_string(), "(request-target) host".to_string()));
        assert_eq!(params[3], ("signature".to_string(), "x=".to_string()));
    }
}
