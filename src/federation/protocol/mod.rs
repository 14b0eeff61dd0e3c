//! ActivityPub wire types (JSON-LD as other servers read it), kept apart from database rows.

pub mod activity;
pub mod post;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use url::Url;

/// The JSON-LD context of actor documents.
pub fn actor_context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "toot": "http://joinmastodon.org/ns#",
            "featured": { "@id": "toot:featured", "@type": "@id" },
            "discoverable": "toot:discoverable",
            "schema": "http://schema.org#",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value"
        }
    ])
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PublicKey {
    pub id: String,
    pub owner: Url,
    pub public_key_pem: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    pub shared_inbox: Url,
}

/// The kinds of actor Gilde serves and reads.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum ActorKind {
    Person,
    Group,
    Application,
}

/// A Person, Group or Application document.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorDocument {
    #[serde(rename = "@context")]
    pub context: Value,
    #[serde(rename = "type")]
    pub kind: ActorKind,
    pub id: Url,
    pub preferred_username: String,
    /// Absent or null for some servers.
    #[serde(default, deserialize_with = "string_or_null")]
    pub name: String,
    /// HTML.
    #[serde(default, deserialize_with = "string_or_null")]
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "first_url")]
    pub url: Option<Url>,
    pub inbox: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox: Option<Url>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub followers: Option<Url>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub following: Option<Url>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub featured: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<Endpoints>,
    pub public_key: PublicKey,
    #[serde(default)]
    pub manually_approves_followers: bool,
    /// Absent means listed, as most servers send no such field.
    #[serde(default = "listed")]
    pub discoverable: bool,
    /// A group's owners and moderators (one address or a list; Lemmy names a collection).
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "lenient_list")]
    pub attributed_to: Vec<Url>,
    /// Custom profile fields (Mastodon's `PropertyValue`): department, expertise. Other kinds of
    /// attachment are skipped when read.
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "lenient_list")]
    pub attachment: Vec<PropertyValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// The actor's picture; read leniently (an Image, a list of them, or an address).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "icon")]
    pub icon: Option<Icon>,
}

/// A picture: `{"type": "Image", "url": ..., "mediaType": ...}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Icon {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}

fn icon<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Icon>, D::Error> {
    fn url_of(v: &Value) -> Option<Url> {
        match v {
            Value::String(s) => Url::parse(s).ok(),
            Value::Object(o) => o.get("url").or_else(|| o.get("href")).and_then(url_of),
            Value::Array(items) => items.iter().find_map(url_of),
            _ => None,
        }
    }
    Ok(url_of(&Value::deserialize(d)?).map(|url| Icon { kind: "Image".into(), url, media_type: None }))
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PropertyValue {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub value: String,
}

fn listed() -> bool {
    true
}

fn string_or_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// One value or a list of them; items that do not parse are skipped (other servers add kinds
/// Gilde does not read).
fn lenient_list<'de, D: serde::Deserializer<'de>, T: serde::de::DeserializeOwned>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items.into_iter().filter_map(|v| serde_json::from_value(v).ok()).collect(),
        Value::Null => Vec::new(),
        one => serde_json::from_value(one).ok().into_iter().collect(),
    })
}

/// A profile's `url`: a string, a Link object or a list of them; the first address is kept.
fn first_url<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Url>, D::Error> {
    fn url_of(v: &Value) -> Option<Url> {
        match v {
            Value::String(s) => Url::parse(s).ok(),
            Value::Object(o) => o.get("href").and_then(Value::as_str).and_then(|s| Url::parse(s).ok()),
            Value::Array(items) => items.iter().find_map(url_of),
            _ => None,
        }
    }
    Ok(url_of(&Value::deserialize(d)?))
}

/// An `OrderedCollection` (outbox, followers, featured): its size, and either its items or
/// the address of its first page.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderedCollection {
    #[serde(rename = "@context")]
    pub context: Value,
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub total_items: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordered_items: Option<Vec<Value>>,
    /// A Gilde group's followers collection, to a member's server: the servers with members.
    #[serde(rename = "memberServers", default, skip_serializing_if = "Option::is_none")]
    pub member_servers: Option<Vec<String>>,
}

/// The JSON-LD context of a group's followers collection with Gilde's `memberServers`.
pub fn member_servers_context() -> Value {
    json!(["https://www.w3.org/ns/activitystreams", { "memberServers": concat!(env!("CARGO_PKG_REPOSITORY"), "/ns#memberServers") }])
}

impl OrderedCollection {
    pub fn paged(id: String, total_items: i64, first: String) -> Self {
        OrderedCollection {
            context: json!("https://www.w3.org/ns/activitystreams"),
            kind: "OrderedCollection".into(),
            id,
            total_items,
            first: Some(first),
            ordered_items: None,
            member_servers: None,
        }
    }

    /// Only the size: the items are not shown (as Mastodon shows followers).
    pub fn count_only(id: String, total_items: i64) -> Self {
        OrderedCollection { ordered_items: None, ..Self::whole(id, Vec::new()) }.with_total(total_items)
    }

    fn with_total(mut self, total_items: i64) -> Self {
        self.total_items = total_items;
        self
    }

    pub fn whole(id: String, items: Vec<Value>) -> Self {
        OrderedCollection {
            context: json!("https://www.w3.org/ns/activitystreams"),
            kind: "OrderedCollection".into(),
            id,
            total_items: items.len() as i64,
            first: None,
            ordered_items: Some(items),
            member_servers: None,
        }
    }
}

/// One page of an `OrderedCollection`, newest first; `next` is the page after it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderedCollectionPage {
    #[serde(rename = "@context")]
    pub context: Value,
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub part_of: String,
    pub total_items: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    pub ordered_items: Vec<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actor_documents_of_other_servers_are_read_leniently() {
        // Shaped as Lemmy sends a community: attributedTo names a collection, no url, no name.
        let lemmy = json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "type": "Group", "id": "https://lemmy.example/c/wonen", "preferredUsername": "wonen",
            "inbox": "https://lemmy.example/c/wonen/inbox", "outbox": "https://lemmy.example/c/wonen/outbox",
            "attributedTo": "https://lemmy.example/c/wonen/moderators", "summary": null,
            "publicKey": { "id": "https://lemmy.example/c/wonen#main-key", "owner": "https://lemmy.example/c/wonen", "publicKeyPem": "PEM" },
            "endpoints": { "sharedInbox": "https://lemmy.example/inbox" }
        });
        let doc: ActorDocument = serde_json::from_value(lemmy).expect("a Lemmy community reads");
        assert_eq!((doc.name.as_str(), doc.summary.as_str(), doc.url), ("", "", None));
        assert_eq!(doc.attributed_to.len(), 1);
        // A minimal actor (as a small Fedify server serves it): no outbox, no endpoints; a
        // Misskey-style attachment list with an item Gilde does not read.
        let minimal = json!({
            "@context": "https://www.w3.org/ns/activitystreams", "type": "Person", "id": "https://peer.example/users/p",
            "preferredUsername": "p", "inbox": "https://peer.example/users/p/inbox",
            "url": [{ "type": "Link", "href": "https://peer.example/@p" }],
            "attachment": [{ "type": "PropertyValue", "name": "Team", "value": "Wonen" }, { "type": "Image", "url": "x" }],
            "publicKey": { "id": "https://peer.example/users/p#main-key", "owner": "https://peer.example/users/p", "publicKeyPem": "PEM" }
        });
        let doc: ActorDocument = serde_json::from_value(minimal).expect("a minimal actor reads");
        assert_eq!(doc.url.map(|u| u.to_string()), Some("https://peer.example/@p".to_string()));
        assert!(doc.outbox.is_none() && doc.endpoints.is_none());
        assert_eq!(doc.attachment.len(), 1, "only the PropertyValue");
    }
}
