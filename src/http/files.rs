//! `/files/<token>/<name>`: uploaded files, to whoever may read the post they belong to (a
//! person signed in by session or token, or another server by signed fetch). Sent so that a
//! browser never runs them: the stored type (sniffed at upload), `nosniff`, a sandbox CSP, and
//! documents as downloads.

use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE, VARY, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::error::ApiResult;
use super::extract::MaybeToken;
use crate::context::AppContext;
use crate::federation::serve::SignedBy;
use crate::federation::FedConfig;
use crate::service::actors::{self, Requester};
use crate::service::media::{self, FileOut, FileViewer, Variant};

async fn viewer(ctx: &AppContext, token: MaybeToken, headers: &HeaderMap, signed: SignedBy) -> FileViewer {
    if let Some(actor) = token.0.and_then(|owner| owner.actor) {
        return FileViewer::Person(actor);
    }
    if let Some(session) = crate::web::session(ctx, headers).await {
        return FileViewer::Person(session.actor);
    }
    FileViewer::Remote(signed.0)
}

pub async fn original(
    State(fed): State<FedConfig>,
    token: MaybeToken,
    signed: SignedBy,
    headers: HeaderMap,
    Path((file_token, _name)): Path<(String, String)>,
) -> ApiResult<Response> {
    let viewer = viewer(&fed, token, &headers, signed).await;
    Ok(send(open(&fed, viewer, file_token, Variant::Original).await?))
}

pub async fn preview(
    State(fed): State<FedConfig>,
    token: MaybeToken,
    signed: SignedBy,
    headers: HeaderMap,
    Path(file_token): Path<String>,
) -> ApiResult<Response> {
    let viewer = viewer(&fed, token, &headers, signed).await;
    Ok(send(open(&fed, viewer, file_token, Variant::Preview).await?))
}

/// Opens a file for the viewer. A local member's file in a private group of another instance is
/// also for the servers that group's server lists as having members (asked of it, as for posts).
async fn open(fed: &FedConfig, viewer: FileViewer, token: String, variant: Variant) -> crate::error::Result<FileOut> {
    let ctx: &AppContext = fed;
    match media::open(ctx, viewer.clone(), token.clone(), variant).await {
        Err(e) if e.kind() == crate::ErrorKind::NotFound => {
            let FileViewer::Remote(requester @ Requester::Server(_)) = &viewer else { return Err(e) };
            let Some(post) = media::post_of_file(ctx, token.clone()).await? else { return Err(e) };
            let Some(group_url) = actors::remote_private_group_of(ctx, post).await? else { return Err(e) };
            let servers = crate::federation::serve::member_servers(fed, &group_url).await;
            media::open_for_member_server(ctx, token, variant, requester, &servers).await
        }
        other => other,
    }
}

fn send(file: FileOut) -> Response {
    let content_type = HeaderValue::from_str(&file.content_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let cache = if file.public { "public, max-age=31536000, immutable" } else { "private, max-age=3600" };
    let disposition = {
        let encoded = percent_encoding::utf8_percent_encode(&file.file_name, percent_encoding::NON_ALPHANUMERIC);
        let ascii: String =
            file.file_name.chars().map(|c| if c.is_ascii_alphanumeric() || " .-_()".contains(c) { c } else { '_' }).collect();
        let kind = if file.is_document { "attachment" } else { "inline" };
        HeaderValue::from_str(&format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"))
            .unwrap_or(HeaderValue::from_static("attachment"))
    };
    let mut response = file.bytes.into_response();
    let h = response.headers_mut();
    h.insert(CONTENT_TYPE, content_type);
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    h.insert(CONTENT_DISPOSITION, disposition);
    h.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(VARY, HeaderValue::from_static("Authorization, Cookie, Signature"));
    h.insert("Cross-Origin-Resource-Policy", HeaderValue::from_static("cross-origin"));
    response
}
