//! Mastodon-style paging: `max_id`, `since_id`, `min_id`, `limit`, and a `Link` header with
//! the next and previous pages.

use axum::http::{HeaderMap, HeaderValue};
use serde::Deserialize;

use super::error::ApiResult;
use crate::db::Page;
use crate::error::Error;

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    pub max_id: Option<String>,
    pub since_id: Option<String>,
    pub min_id: Option<String>,
    pub limit: Option<String>,
}

fn id(value: &Option<String>, name: &'static str) -> ApiResult<Option<i64>> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        // A group's boost stands for its post (apps page with the ids they were given).
        Some(v) => v
            .parse()
            .map(|n| Some(crate::http::mastodon::entities::post_id_of(n).0))
            .map_err(|_| Error::invalid("invalid_id", format!("{name} must be an id.")).with_field(name).into()),
    }
}

impl PageQuery {
    /// At most `max` items (Mastodon: 40 for statuses, 80 for accounts and notifications).
    pub fn page(&self, default: i64, max: i64) -> ApiResult<Page> {
        let limit = match self.limit.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            None => None,
            Some(v) => Some(v.parse::<i64>().map_err(|_| Error::invalid("invalid_limit", "limit must be a number.").with_field("limit"))?),
        };
        Ok(crate::service::page(
            id(&self.max_id, "max_id")?,
            id(&self.since_id, "since_id")?,
            id(&self.min_id, "min_id")?,
            limit,
            default,
            max,
        ))
    }
}

/// `Link: <...?max_id=oldest>; rel="next", <...?min_id=newest>; rel="prev"` for a page of ids
/// (newest first). `url` is the full URL of the list without paging parameters.
pub fn link_header(url: &str, ids: &[i64]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let (Some(newest), Some(oldest)) = (ids.first(), ids.last()) {
        let sep = if url.contains('?') { '&' } else { '?' };
        let value = format!(r#"<{url}{sep}max_id={oldest}>; rel="next", <{url}{sep}min_id={newest}>; rel="prev""#);
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(axum::http::header::LINK, v);
        }
    }
    headers
}
