//! The one place where service errors become HTTP responses: `{"error": message, "code": code}`
//! (Mastodon clients read `error`; `code` is stable for programs). Causes are logged, never sent.

use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::error::{Error, ErrorKind};

pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::Malformed => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Logs what the client does not see.
pub fn log(e: &Error) {
    match e.kind() {
        ErrorKind::Internal | ErrorKind::Unavailable => tracing::error!(error = ?e, "request failed"),
        _ => tracing::debug!(error = ?e, "request refused"),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        log(&e);
        let mut body = json!({ "error": e.message(), "code": e.code() });
        if let Some(field) = e.field() {
            body["field"] = json!(field);
        }
        (status_of(e.kind()), Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[track_caller]
pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError(Error::new(ErrorKind::Invalid, code, message.into()))
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let status = r.status();
        let (kind, code) = if status == StatusCode::PAYLOAD_TOO_LARGE {
            (ErrorKind::TooLarge, "body_too_large")
        } else {
            (ErrorKind::Malformed, "malformed_json")
        };
        ApiError(Error::new(kind, code, format!("The request body is not valid JSON for this call: {}", r.body_text())))
    }
}

impl From<FormRejection> for ApiError {
    fn from(r: FormRejection) -> Self {
        ApiError(Error::new(ErrorKind::Malformed, "malformed_form", format!("The form data is not valid for this call: {}", r.body_text())))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError(Error::new(ErrorKind::Malformed, "malformed_query", format!("The query parameters are not valid: {}", r.body_text())))
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        ApiError(Error::not_found("not_found", "Nothing is found at this address."))
    }
}
