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

/// Characters left as they are in a file name in an address (the rest percent-encoded).
const FILE_NAME_SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// The address of an uploaded file: its token, then its name (which apps show for documents).
pub fn file_path(token: &str, file_name: &str) -> String {
    format!("/files/{token}/{}", percent_encoding::utf8_percent_encode(file_name, FILE_NAME_SET))
}

/// The address of an image's preview.
pub fn file_preview_path(token: &str) -> String {
    format!("/files/{token}/preview/small.jpg")
}

/// A picture's address: a path on this instance (made absolute), a remote actor's `icon`, or the
/// default picture.
pub fn picture(config: &Config, stored: Option<&str>) -> String {
    match stored {
        Some(path) if path.starts_with('/') => format!("{}{path}", base(config)),
        Some(url) if url.starts_with("https://") || url.starts_with("http://") => url.to_string(),
        _ => format!("{}/static/avatar.png", base(config)),
    }
}

/// A new id for an activity of this instance (`kind`: create, delete, ...).
pub fn new_activity_id(config: &Config, kind: &str) -> String {
    use rand::Rng;
    let nonce: u128 = rand::thread_rng().r#gen();
    format!("{}/activities/{kind}/{nonce:032x}", config.base_url())
}
