//! The ActivityPub front door: discovery (WebFinger, NodeInfo, host-meta), actor documents, and
//! resolving actors of other instances. Wire types live in `protocol/`, database rows are wrapped
//! in `objects`, and what may be shown to whom is decided in `service::actors`.

pub mod activities;
pub mod backfill;
pub mod deliver;
pub mod export;
pub mod inbox;
pub mod media;
pub mod notes;
pub mod objects;
pub mod protocol;
pub mod resolve;
mod routes;
pub mod serve;
pub mod setup;
pub mod signatures;
pub mod software;

pub use routes::router;
pub use setup::FedConfig;

/// The media type of ActivityPub documents.
pub const ACTIVITY_JSON: &str = "application/activity+json; charset=utf-8";
