//! Extractors: who is calling (bearer token), and request input as JSON or form data.

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::{ApiError, ApiResult};
use crate::context::AppContext;
use crate::error::Error;
use crate::service::oauth::{self, TokenOwner};
use crate::service::Actor;

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// A token owner, if a token was sent; an invalid token is refused, never ignored.
pub struct MaybeToken(pub Option<TokenOwner>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeToken
where
    AppContext: FromRef<S>,
{
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        let ctx = AppContext::from_ref(state);
        match bearer(parts) {
            None => Ok(MaybeToken(None)),
            Some(token) => Ok(MaybeToken(Some(oauth::authenticate(&ctx, token).await?))),
        }
    }
}

/// A signed-in person, with the token's scopes.
pub struct Auth {
    pub actor: Actor,
    pub owner: TokenOwner,
}

impl Auth {
    /// Refuses the call unless the token carries `scope` (e.g. `write:statuses`).
    pub fn require(&self, scope: &str) -> ApiResult<()> {
        if self.owner.scopes.allows(scope) {
            Ok(())
        } else {
            Err(Error::forbidden("insufficient_scope", format!("This access token does not allow this action (needs the {scope} scope)."))
                .into())
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Auth
where
    AppContext: FromRef<S>,
{
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        let MaybeToken(owner) = MaybeToken::from_request_parts(parts, state).await?;
        let owner = owner.ok_or_else(|| Error::unauthenticated("token_required", "Sign in first: this call needs an access token."))?;
        let actor = owner
            .actor
            .ok_or_else(|| Error::forbidden("user_token_required", "This call needs a token of a signed-in person, not of an app."))?;
        Ok(Auth { actor, owner })
    }
}

/// Request input as JSON, as form data (`application/x-www-form-urlencoded`, with `name[]`
/// for lists) or as multipart form data, as Mastodon clients send any of them. Files in a
/// multipart body are refused here: calls that take files use `WithFiles`.
pub struct Input<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Input<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> ApiResult<Self> {
        let WithFiles { input, files } = WithFiles::<T>::from_request(req, state).await?;
        if let Some(file) = files.first() {
            return Err(Error::invalid("unexpected_file", format!("This call takes no files (got one in {:?}).", file.field)).into());
        }
        Ok(Input(input))
    }
}

/// A file sent in a multipart body.
#[derive(Debug)]
pub struct FilePart {
    /// The form field it came in (`file`, `avatar`, ...).
    pub field: String,
    /// The name the client gave it.
    pub file_name: Option<String>,
    pub bytes: Vec<u8>,
}

/// Request input as `Input` reads it, and the files of a multipart body.
pub struct WithFiles<T> {
    pub input: T,
    pub files: Vec<FilePart>,
}

impl<T> WithFiles<T> {
    /// Takes the file sent in this field, if any.
    pub fn take_file(&mut self, field: &str) -> Option<FilePart> {
        let at = self.files.iter().position(|f| f.field == field)?;
        Some(self.files.remove(at))
    }
}

fn too_large() -> Error {
    Error::new(crate::ErrorKind::TooLarge, "body_too_large", "The request body is too large.")
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for WithFiles<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> ApiResult<Self> {
        let content_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
        let query = req.uri().query().map(str::to_string);
        if content_type.starts_with("multipart/form-data") {
            let mut multipart = axum::extract::Multipart::from_request(req, state)
                .await
                .map_err(|e| Error::malformed("malformed_multipart", format!("The multipart body cannot be read: {}", e.body_text())))?;
            let mut pairs: Vec<(String, String)> = Vec::new();
            let mut files = Vec::new();
            loop {
                let field = match multipart.next_field().await {
                    Ok(Some(field)) => field,
                    Ok(None) => break,
                    Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large().into()),
                    Err(e) => {
                        return Err(Error::malformed(
                            "malformed_multipart",
                            format!("The multipart body cannot be read: {}", e.body_text()),
                        )
                        .into())
                    }
                };
                let name = field.name().unwrap_or("").to_string();
                let file_name = field.file_name().map(str::to_string);
                let bytes = field.bytes().await.map_err(|e| {
                    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                        too_large()
                    } else {
                        Error::malformed("malformed_multipart", format!("The multipart body cannot be read: {}", e.body_text()))
                    }
                })?;
                if file_name.is_some() {
                    files.push(FilePart { field: name, file_name, bytes: bytes.to_vec() });
                } else {
                    pairs.push((name, String::from_utf8_lossy(&bytes).into_owned()));
                }
            }
            let text = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
            let input: T = serde_html_form::from_str(&text)
                .map_err(|e| Error::malformed("malformed_form", format!("The form data is not valid for this call: {e}")))?;
            return Ok(WithFiles { input, files });
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|_| too_large())?;
        if content_type.starts_with("application/json") {
            let input: T = serde_json::from_slice(&bytes)
                .map_err(|e| Error::malformed("malformed_json", format!("The request body is not valid JSON for this call: {e}")))?;
            return Ok(WithFiles { input, files: Vec::new() });
        }
        // Form data in the body; some clients put the parameters in the query string instead.
        let text = if bytes.is_empty() { query.unwrap_or_default() } else { String::from_utf8_lossy(&bytes).into_owned() };
        let input: T = serde_html_form::from_str(&text)
            .map_err(|e| Error::malformed("malformed_form", format!("The form data is not valid for this call: {e}")))?;
        Ok(WithFiles { input, files: Vec::new() })
    }
}

/// Query parameters, with `name[]` lists.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<Self> {
        let text = parts.uri.query().unwrap_or("");
        serde_html_form::from_str(text)
            .map(Query)
            .map_err(|e| Error::malformed("malformed_query", format!("The query parameters are not valid: {e}")).into())
    }
}

/// For `#[serde(deserialize_with)]`: a list sent as one string or as a list.
pub fn string_or_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match <OneOrMany as serde::Deserialize>::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(list) => list,
    })
}

/// For `#[serde(deserialize_with)]`: an optional list sent as one string or as a list (an
/// absent field stays `None`, so it changes nothing).
pub fn optional_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    string_or_list(d).map(Some)
}

/// For `#[serde(deserialize_with)]`: a boolean sent as JSON `true` or as form text `true`/`1`.
pub fn flex_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Flex {
        Bool(bool),
        Text(String),
    }
    match <Flex as serde::Deserialize>::deserialize(d)? {
        Flex::Bool(b) => Ok(Some(b)),
        Flex::Text(t) => match t.to_ascii_lowercase().as_str() {
            "true" | "1" | "on" | "yes" => Ok(Some(true)),
            "false" | "0" | "off" | "no" | "" => Ok(Some(false)),
            _ => Err(serde::de::Error::custom(format!("expected true or false, found {t:?}"))),
        },
    }
}
