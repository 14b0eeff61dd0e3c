//! The addresses of local people, groups and posts: built here and nowhere else.

use crate::config::Config;

pub fn base(config: &Config) -> String {
    config.base_url()
}

/// A local person's ActivityPub id.
pub fn person_id(config: &Config, username: &str) -> String {
    format!("{}/users/{username}", config.base_url())
}

/// A local person's profile page.
pub fn person_page(config: &Config, username: &str) -> String {
    format!("{}/@{username}", config.base_url())
}

/// A local group's ActivityPub id (and page).
pub fn group_id(config: &Config, name: &str) -> String {
    format!("{}/groups/{name}", config.base_url())
}

pub fn post_id(config: &Config, id: impl std::fmt::Display) -> String {
    format!("{}/posts/{id}", config.base_url())
}

/// The instance actor, which signs fetches on behalf of the instance.
pub fn instance_actor(config: &Config) -> String {
    format!("{}/actor", config.base_url())
}

/// The shared inbox of the instance.
pub fn shared_inbox(config: &Config) -> String {
    format!("{}/inbox", config.base_url())
}
