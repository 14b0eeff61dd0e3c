//! Fetching other servers' files to keep them here (a post's images and documents, people's
//! pictures): signed by the instance actor (a private group's server checks that this server has
//! members), through the client that refuses private addresses, within the size limits.

use std::time::Duration;

use url::Url;

use super::objects::InstanceActor;
use super::FedConfig;
use crate::context::AppContext;
use crate::db::MediaId;
use crate::error::{Error, Result};
use crate::service::media;

fn fetch_failed(cause: impl std::fmt::Display) -> Error {
    Error::new(crate::error::ErrorKind::Unavailable, "fetch_failed", "A file could not be fetched from its server.")
        .with_cause(cause.to_string())
}

/// Fetches a remote file and keeps it. A file that is gone or refused is left a link; a server
/// that does not answer is tried again later (the job fails).
pub async fn cache(fed: &FedConfig, id: MediaId) -> Result<()> {
    let ctx: &AppContext = fed;
    let Some((address, image)) = media::to_cache(ctx, id).await? else { return Ok(()) };
    let url = Url::parse(&address).map_err(Error::internal)?;
    let allowed = crate::service::actors::domain_of(&url).is_some_and(|d| ctx.config.federation.allows(&d));
    if !allowed {
        return Ok(());
    }
    let instance = InstanceActor::load(ctx).await?;
    let (key_id, private_pem) = instance.signing_key();
    let client = super::setup::http_client(ctx, Duration::from_secs(60))?;
    let mut request = client.get(url.clone());
    for (name, value) in super::signatures::signed_get_headers(&url, &key_id, private_pem)? {
        request = request.header(name, value);
    }
    let mut response = request.send().await.map_err(fetch_failed)?;
    let status = response.status();
    if status.is_client_error() {
        tracing::info!(%url, status = status.as_u16(), "a remote file was refused; it stays a link");
        return Ok(());
    }
    if !status.is_success() {
        return Err(fetch_failed(format!("{url} answered {status}")));
    }
    let limit = if image { ctx.config.media.image_max_bytes } else { ctx.config.media.document_max_bytes };
    if response.content_length().is_some_and(|n| n as usize > limit) {
        return Ok(());
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(fetch_failed)? {
        if bytes.len() + chunk.len() > limit {
            tracing::info!(%url, "a remote file is larger than files here may be; it stays a link");
            return Ok(());
        }
        bytes.extend_from_slice(&chunk);
    }
    media::store_cached(ctx, id, bytes).await
}
