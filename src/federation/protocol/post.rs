//! A post as other servers send it: a `Note` (microblogs, comments), a `Page` (a thread of
//! Lemmy, Mbin or PieFed, with a title) or an `Article`. Read leniently, as servers write them
//! (one address or a list, a link as a string or an object, tags of kinds Gilde does not read),
//! and strictly where it matters (its kind, its id).

use chrono::{DateTime, FixedOffset, NaiveDateTime, SubsecRound};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use url::Url;

pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// The kinds of object taken as posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum PostKind {
    Note,
    Page,
    Article,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostObject {
    #[serde(rename = "type")]
    pub kind: PostKind,
    pub id: Url,
    #[serde(default, deserialize_with = "first_url")]
    pub attributed_to: Option<Url>,
    #[serde(default, deserialize_with = "text")]
    pub content: String,
    /// A Page's or Article's title.
    #[serde(default, deserialize_with = "text")]
    pub name: String,
    #[serde(default)]
    pub source: Option<Source>,
    #[serde(default, deserialize_with = "first_url")]
    pub in_reply_to: Option<Url>,
    #[serde(default, deserialize_with = "time")]
    pub published: Option<NaiveDateTime>,
    #[serde(default, deserialize_with = "time")]
    pub updated: Option<NaiveDateTime>,
    #[serde(default, deserialize_with = "urls")]
    pub to: Vec<Url>,
    #[serde(default, deserialize_with = "urls")]
    pub cc: Vec<Url>,
    #[serde(default, deserialize_with = "first_url")]
    pub audience: Option<Url>,
    #[serde(default, deserialize_with = "list")]
    pub tag: Vec<Tag>,
    #[serde(default, deserialize_with = "list")]
    pub attachment: Vec<Attachment>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    #[serde(default, deserialize_with = "text")]
    pub content: String,
}

/// A tag Gilde reads: a `Mention` of a person (others are skipped).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type")]
pub enum Tag {
    Mention { href: Url },
}

/// An attachment Gilde reads: the `Link` a link aggregator's thread shares, and files (Mastodon
/// sends every file as a `Document`, GoToSocial images as `Image`). Others are skipped.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type")]
pub enum Attachment {
    Link {
        href: Url,
    },
    #[serde(alias = "Image", alias = "Video", alias = "Audio")]
    Document(FileAttachment),
}

/// A file attached to a post.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileAttachment {
    #[serde(deserialize_with = "required_url")]
    pub url: Url,
    #[serde(default)]
    pub media_type: Option<String>,
    /// Alt text (or a document's name), as Mastodon sends it.
    #[serde(default, deserialize_with = "text")]
    pub name: String,
    /// Alt text, as GoToSocial sends it.
    #[serde(default, deserialize_with = "text")]
    pub summary: String,
    #[serde(default)]
    pub blurhash: Option<String>,
    #[serde(default)]
    pub width: Option<u32>,
    #[serde(default)]
    pub height: Option<u32>,
}

impl PostObject {
    /// The files attached (not the shared link).
    pub fn files(&self) -> impl Iterator<Item = &FileAttachment> {
        self.attachment.iter().filter_map(|a| match a {
            Attachment::Document(file) => Some(file),
            Attachment::Link { .. } => None,
        })
    }

    /// A file's alt text: its `name`, else its `summary`.
    pub fn alt_text(file: &FileAttachment) -> &str {
        if file.name.trim().is_empty() {
            &file.summary
        } else {
            &file.name
        }
    }

    fn shared_link(&self) -> Option<&Url> {
        self.attachment.iter().find_map(|a| match a {
            Attachment::Link { href } => Some(href),
            Attachment::Document(_) => None,
        })
    }
}

impl PostObject {
    /// Reads a post; says what is wrong when it is none Gilde takes.
    pub fn parse(value: &Value) -> Result<PostObject, String> {
        serde_json::from_value(value.clone()).map_err(|e| e.to_string())
    }

    /// Everyone it is addressed to: `audience`, `to` and `cc`.
    pub fn addressed(&self) -> impl Iterator<Item = &Url> {
        self.audience.iter().chain(&self.to).chain(&self.cc)
    }

    /// Addressed to everyone (Public in `to` or `cc`)?
    pub fn is_public(&self) -> bool {
        self.to.iter().chain(&self.cc).any(|u| u.as_str() == PUBLIC)
    }

    /// Does it name `group` (as its audience, or in `to`/`cc`)?
    pub fn names(&self, group: &Url) -> bool {
        self.addressed().any(|u| u == group)
    }

    /// Its HTML: a Page's or Article's title as the first line (bold), its text, and the link it
    /// shares after the text. (Gilde's posts have no title of their own.)
    pub fn html(&self) -> String {
        let mut html = String::new();
        let title = self.name.trim();
        if self.kind != PostKind::Note && !title.is_empty() {
            html.push_str(&format!("<p><strong>{}</strong></p>", crate::service::text::escape_html(title)));
        }
        html.push_str(&self.content);
        if let Some(href) = self.shared_link() {
            let href = crate::service::text::escape_html(href.as_str());
            html.push_str(&format!(r#"<p><a href="{href}">{href}</a></p>"#));
        }
        html
    }

    /// The markdown or plain source, where the HTML is just the text (no title, no link added).
    pub fn source_text(&self) -> Option<String> {
        let plain = self.kind == PostKind::Note && self.shared_link().is_none();
        self.source.as_ref().filter(|_| plain).map(|s| s.content.clone()).filter(|s| !s.is_empty())
    }

    /// The people it mentions, each once (a tag repeated is no error).
    pub fn mentions(&self) -> Vec<String> {
        let mut hrefs: Vec<String> = Vec::new();
        for Tag::Mention { href } in &self.tag {
            if !hrefs.iter().any(|h| h == href.as_str()) {
                hrefs.push(href.to_string());
            }
        }
        hrefs
    }
}

fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        _ => String::new(),
    })
}

fn url_of(v: &Value) -> Option<Url> {
    match v {
        Value::String(s) => Url::parse(s).ok(),
        Value::Object(o) => o.get("id").or_else(|| o.get("href")).and_then(Value::as_str).and_then(|s| Url::parse(s).ok()),
        Value::Array(items) => items.iter().find_map(url_of),
        _ => None,
    }
}

/// One address that must be there (a file's `url`: a string, a Link, or a list of them).
fn required_url<'de, D: Deserializer<'de>>(d: D) -> Result<Url, D::Error> {
    url_of(&Value::deserialize(d)?).ok_or_else(|| serde::de::Error::custom("no address"))
}

/// One address, given as a string, an object with an `id` (or `href`), or a list (the first).
pub(crate) fn first_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Url>, D::Error> {
    Ok(url_of(&Value::deserialize(d)?))
}

/// Addresses, one or a list; what is no address is skipped.
fn urls<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Url>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items.iter().filter_map(url_of).collect(),
        one => url_of(&one).into_iter().collect(),
    })
}

/// One item or a list; items of kinds Gilde does not read are skipped.
fn list<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items.into_iter().filter_map(|v| serde_json::from_value(v).ok()).collect(),
        Value::Null => Vec::new(),
        one => serde_json::from_value(one).ok().into_iter().collect(),
    })
}

/// An RFC 3339 time, in UTC to the microsecond; anything else is no time.
fn time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDateTime>, D::Error> {
    Ok(Value::deserialize(d)?
        .as_str()
        .and_then(|s| DateTime::<FixedOffset>::parse_from_rfc3339(s).ok())
        .map(|t| t.naive_utc().trunc_subsecs(6)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn posts_are_read_as_servers_write_them() {
        let note = json!({
            "type": "Note", "id": "https://b.example/notes/1", "attributedTo": ["https://b.example/users/bert"],
            "content": "<p>Hoi</p>", "to": "https://www.w3.org/ns/activitystreams#Public", "cc": ["https://a.example/groups/g", 7],
            "inReplyTo": { "id": "https://a.example/posts/1", "type": "Note" }, "published": "2026-11-01T10:00:00.123456789+01:00",
            "tag": [{ "type": "Hashtag", "href": "https://b.example/tags/x" }, { "type": "Mention", "href": "https://a.example/users/anna" },
                    { "type": "Mention", "href": "https://a.example/users/anna" }],
            "source": { "content": "Hoi", "mediaType": "text/markdown" }
        });
        let post = PostObject::parse(&note).expect("a note");
        assert!(post.is_public());
        assert!(post.names(&Url::parse("https://a.example/groups/g").expect("url")));
        assert_eq!(post.attributed_to.as_ref().map(Url::as_str), Some("https://b.example/users/bert"));
        assert_eq!(post.in_reply_to.as_ref().map(Url::as_str), Some("https://a.example/posts/1"));
        assert_eq!(post.mentions(), vec!["https://a.example/users/anna"]);
        assert_eq!(post.published.map(|p| p.to_string()).as_deref(), Some("2026-11-01 09:00:00.123456"));
        assert_eq!((post.html().as_str(), post.source_text().as_deref()), ("<p>Hoi</p>", Some("Hoi")));
        let question = json!({ "type": "Question", "id": "https://b.example/q/1" });
        assert!(PostObject::parse(&question).expect_err("no post").contains("Question"));
        let no_id = json!({ "type": "Note", "content": "x" });
        assert!(PostObject::parse(&no_id).is_err());
    }
}

/// An object named by its id, or embedded: what Gilde reads of it (the Follow an Accept
/// answers, the Like an Undo takes back, the Tombstone of a Delete, the post a Like is about).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Reference {
    pub id: Option<Url>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub actor: Option<Url>,
    /// What an embedded activity is about (its `object`), by id.
    pub object: Option<Url>,
}

impl<'de> Deserialize<'de> for Reference {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Reference, D::Error> {
        let value = Value::deserialize(d)?;
        Ok(match &value {
            Value::String(s) => Reference { id: Url::parse(s).ok(), ..Reference::default() },
            Value::Object(o) => Reference {
                id: o.get("id").and_then(url_of),
                kind: o.get("type").and_then(Value::as_str).map(str::to_string),
                actor: o.get("actor").and_then(url_of),
                object: o.get("object").and_then(url_of),
            },
            _ => Reference::default(),
        })
    }
}

impl Reference {
    /// Is it an embedded object of this kind (`Follow`, `Like`, ...)?
    pub fn is(&self, kind: &str) -> bool {
        self.kind.as_deref() == Some(kind)
    }
}
