//! The ActivityPub front door: discovery (WebFinger, NodeInfo, host-meta) and actor documents.
//! Wire types live in `protocol/`; what may be shown to whom is decided in `service::actors`.
//! (Inboxes, activities and deliveries arrive with the rest of the federation work.)

pub mod protocol;
mod routes;

pub use routes::router;

/// The media type of ActivityPub documents.
pub const ACTIVITY_JSON: &str = "application/activity+json; charset=utf-8";
