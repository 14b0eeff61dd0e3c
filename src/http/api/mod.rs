//! Gilde's extensions to the client API.

pub mod groups;

pub use groups::router;
