//! The federation configuration of a running instance: its HTTP client, which refuses private
//! and loopback addresses unless the instance runs in the explicit insecure test mode; the
//! allowlist and blocklist; and the instance actor that signs every fetch.

use std::time::Duration;

use activitypub_federation::config::{FederationConfig, UrlVerifier};
use activitypub_federation::resolver::ValidatingDnsResolver;
use url::Url;

use super::objects::InstanceActor;
use crate::config::FederationSettings;
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::actors::domain_of;

pub type FedConfig = FederationConfig<AppContext>;

/// Applies the instance's allowlist and blocklist to every URL fetched or delivered to.
#[derive(Clone)]
struct DomainPolicy(FederationSettings);

#[async_trait::async_trait]
impl UrlVerifier for DomainPolicy {
    async fn verify(&self, url: &Url) -> std::result::Result<(), activitypub_federation::error::Error> {
        match domain_of(url) {
            Some(domain) if self.0.allows(&domain) => Ok(()),
            _ => Err(activitypub_federation::error::Error::UrlVerificationError("this instance does not federate with that domain")),
        }
    }
}

/// An HTTP client for other servers: no redirects, bounded time, and (unless in the insecure
/// test mode) no loopback or private addresses, checked at the moment of connecting.
pub fn http_client(ctx: &AppContext, timeout: Duration) -> Result<reqwest13::Client> {
    reqwest13::Client::builder()
        .redirect(reqwest13::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .dns_resolver(ValidatingDnsResolver::new(Vec::new(), !ctx.config.federation.insecure))
        .user_agent(format!("Gilde/{} (+{})", env!("CARGO_PKG_VERSION"), ctx.config.base_url()))
        .build()
        .map_err(|e| Error::internal(format!("cannot build the HTTP client: {e}")))
}

/// Notes what a server answered when it refused a delivery (4xx, but 408 and 429: those are
/// tried again), for the delivery being sent (`deliver::REFUSAL`); the federation library
/// itself counts such an answer as delivered and keeps nothing of it.
struct NoteRefusals;

#[async_trait::async_trait]
impl reqwest_middleware::Middleware for NoteRefusals {
    async fn handle(
        &self,
        req: reqwest13::Request,
        extensions: &mut axum::http::Extensions,
        next: reqwest_middleware::Next<'_>,
    ) -> reqwest_middleware::Result<reqwest13::Response> {
        let is_post = req.method() == reqwest13::Method::POST;
        let response = next.run(req, extensions).await?;
        let status = response.status();
        if !is_post || !super::deliver::is_final_refusal(status) || super::deliver::REFUSAL.try_with(|_| ()).is_err() {
            return Ok(response);
        }
        let headers = response.headers().clone();
        let body = response.bytes().await.unwrap_or_default();
        let start: String = String::from_utf8_lossy(&body).chars().take(300).collect();
        let reason = format!("{} {}", status.as_u16(), start.trim());
        let _ = super::deliver::REFUSAL.try_with(|r| *r.borrow_mut() = Some(reason));
        let mut rebuilt = axum::http::Response::builder().status(status);
        if let Some(h) = rebuilt.headers_mut() {
            *h = headers;
        }
        let rebuilt = rebuilt.body(body).map_err(|e| reqwest_middleware::Error::Middleware(e.into()))?;
        Ok(reqwest13::Response::from(rebuilt))
    }
}

pub async fn build(ctx: &AppContext) -> Result<FedConfig> {
    let settings = ctx.config.federation.clone();
    let client = reqwest_middleware::ClientBuilder::new(http_client(ctx, Duration::from_secs(10))?).with(NoteRefusals).build();
    let _ = ctx.delivery_client.set(client.clone());
    let instance = InstanceActor::load(ctx).await?;
    FederationConfig::builder()
        .domain(ctx.config.domain.clone())
        .app_data(ctx.clone())
        // The library's debug mode allows http, ports and local addresses: only in test mode.
        .debug(settings.insecure)
        .http_signature_compat(true)
        .client(client)
        .url_verifier(Box::new(DomainPolicy(settings)))
        .signed_fetch_actor(&instance)
        .build()
        .await
        .map_err(|e| Error::internal(format!("federation configuration: {e}")))
}

impl From<activitypub_federation::error::Error> for Error {
    #[track_caller]
    fn from(e: activitypub_federation::error::Error) -> Self {
        use activitypub_federation::error::Error as F;
        match &e {
            // A 404 arrives as a body that is no WebFinger or actor document.
            F::NotFound | F::WebfingerResolveFailed(_) | F::ObjectDeleted(_) | F::ParseFetchedObject(..) => {
                Error::not_found("remote_not_found", "Nothing was found at that address.").with_cause(e)
            }
            // The library reports a signature that does not verify only as text.
            F::ActivitySignatureInvalid | F::ActivityBodyDigestInvalid => {
                Error::unauthenticated("signature_invalid", "The request is not signed, or its signature or digest does not verify.")
                    .with_cause(e)
            }
            F::Other(message) if message.to_ascii_lowercase().contains("signature") => {
                Error::unauthenticated("signature_invalid", "The request is not signed, or its signature or digest does not verify.")
                    .with_cause(e)
            }
            F::UrlVerificationError(_) | F::DomainResolveError(_) | F::ResolveInternalIpError(..) => {
                Error::forbidden("address_not_allowed", "This instance does not fetch from that address.").with_cause(e)
            }
            _ => Error::new(crate::ErrorKind::Unavailable, "remote_unavailable", "The other server did not answer as expected.")
                .with_cause(e),
        }
    }
}
