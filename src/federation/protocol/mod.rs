//! ActivityPub wire types (JSON-LD as other servers read it), kept apart from database rows.

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
    pub name: String,
    /// HTML.
    #[serde(default)]
    pub summary: String,
    pub url: Url,
    pub inbox: Url,
    pub outbox: Url,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub followers: Option<Url>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub following: Option<Url>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub featured: Option<Url>,
    pub endpoints: Endpoints,
    pub public_key: PublicKey,
    #[serde(default)]
    pub manually_approves_followers: bool,
    /// Absent means listed, as most servers send no such field.
    #[serde(default = "listed")]
    pub discoverable: bool,
    /// A group's owners and moderators.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributed_to: Vec<Url>,
    /// Custom profile fields (Mastodon's `PropertyValue`): department, expertise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachment: Vec<PropertyValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
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
