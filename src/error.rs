//! The service layer's error: a kind (mapped to an HTTP status once, at the edge), a stable code
//! for clients, a message a person understands, and a cause that is logged but never sent.

use std::borrow::Cow;
use std::fmt;
use std::panic::Location;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input is well-formed but not acceptable (422).
    Invalid,
    /// The input cannot be parsed at all (400).
    Malformed,
    /// No valid credentials (401).
    Unauthenticated,
    /// Known person, not allowed (403).
    Forbidden,
    /// Does not exist, or the viewer may not know it exists (404).
    NotFound,
    /// The state does not allow it (409).
    Conflict,
    /// Too large (413).
    TooLarge,
    /// Too many attempts; try again later (429).
    RateLimited,
    /// A dependency is down (503).
    Unavailable,
    /// A bug or an unexpected failure (500).
    Internal,
}

pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

pub struct Error {
    kind: ErrorKind,
    code: &'static str,
    message: Cow<'static, str>,
    field: Option<&'static str>,
    cause: Option<BoxError>,
    location: &'static Location<'static>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    #[track_caller]
    pub fn new(kind: ErrorKind, code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Error { kind, code, message: message.into(), field: None, cause: None, location: Location::caller() }
    }

    #[track_caller]
    pub fn invalid(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Invalid, code, message)
    }

    #[track_caller]
    pub fn malformed(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Malformed, code, message)
    }

    #[track_caller]
    pub fn forbidden(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Forbidden, code, message)
    }

    #[track_caller]
    pub fn not_found(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::NotFound, code, message)
    }

    #[track_caller]
    pub fn conflict(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Conflict, code, message)
    }

    #[track_caller]
    pub fn unauthenticated(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Unauthenticated, code, message)
    }

    #[track_caller]
    pub fn internal(cause: impl Into<BoxError>) -> Self {
        let mut e = Self::new(ErrorKind::Internal, "internal_error", "Something went wrong on the server. Please try again later.");
        e.cause = Some(cause.into());
        e
    }

    /// The form field the error is about, for forms that show errors next to the field.
    pub fn with_field(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }

    pub fn with_cause(mut self, cause: impl Into<BoxError>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    pub fn code(&self) -> &'static str {
        self.code
    }
    pub fn message(&self) -> &str {
        &self.message
    }
    pub fn field(&self) -> Option<&'static str> {
        self.field
    }
    pub fn cause(&self) -> Option<&BoxError> {
        self.cause.as_ref()
    }
    pub fn location(&self) -> &'static Location<'static> {
        self.location
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} {} at {}: {}", self.kind, self.code, self.location, self.message)?;
        if let Some(cause) = &self.cause {
            write!(f, " (cause: {cause})")?;
        }
        Ok(())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

impl From<crate::db::DbError> for Error {
    #[track_caller]
    fn from(e: crate::db::DbError) -> Self {
        use crate::db::DbErrorKind;
        let mut err = match e.kind() {
            DbErrorKind::NotFound => Error::not_found("not_found", "This record does not exist."),
            DbErrorKind::UniqueViolation => Error::conflict("already_exists", "This already exists."),
            DbErrorKind::Unavailable => Error::new(
                ErrorKind::Unavailable,
                "database_unavailable",
                "The database is not reachable right now. Please try again later.",
            ),
            DbErrorKind::Other => {
                Error::new(ErrorKind::Internal, "internal_error", "Something went wrong on the server. Please try again later.")
            }
        };
        err.location = Location::caller();
        err.cause = Some(Box::new(e));
        err
    }
}
