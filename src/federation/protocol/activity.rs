//! What Gilde sends, as types: activities and the notes in them. `federation::notes` and
//! `federation::deliver` fill them from rows; nothing is built as loose JSON. A field that has
//! no value is left out (never `null`).

use serde::Serialize;
use serde_json::Value;

pub const AS_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";

/// The kinds of activity Gilde sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ActivityKind {
    Follow,
    Accept,
    Reject,
    Undo,
    Create,
    Update,
    Delete,
    Announce,
    Like,
    Invite,
}

/// What an activity is about: an address, another activity, a note, or what is left of a
/// deleted one. (Each serialises with its own `type`, or as a plain address.)
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Object {
    Id(String),
    Activity(Box<Activity>),
    Note(Box<Note>),
    Tombstone(Tombstone),
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
    #[serde(rename = "type")]
    pub kind: ActivityKind,
    pub id: String,
    pub actor: String,
    pub object: Object,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<String>,
}

impl Activity {
    /// An activity with nothing but what every activity has; the rest is set by field.
    pub fn new(kind: ActivityKind, id: String, actor: String, object: Object) -> Activity {
        Activity { context: None, kind, id, actor, object, target: None, audience: None, published: None, to: Vec::new(), cc: Vec::new() }
    }

    /// An activity for one recipient (`to`), with the ActivityStreams context: follows and
    /// their answers, invitations.
    pub fn to_one(kind: ActivityKind, id: String, actor: String, object: Object, to: String) -> Activity {
        let mut activity = Activity::new(kind, id, actor, object);
        activity.context = Some(Value::String(AS_CONTEXT.to_string()));
        activity.to = vec![to];
        activity
    }

    /// A Follow as an Accept, Reject or Undo names it (embedded, without context).
    pub fn follow(id: String, actor: String, object: String) -> Object {
        Object::Activity(Box::new(Activity::new(ActivityKind::Follow, id, actor, Object::Id(object))))
    }

    /// As sent (with `@context` when it has one): JSON for the delivery queue.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Tombstone {
    #[serde(rename = "type")]
    pub kind: TombstoneKind,
    pub id: String,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub enum TombstoneKind {
    Tombstone,
}

impl Tombstone {
    pub fn of(id: String) -> Tombstone {
        Tombstone { kind: TombstoneKind::Tombstone, id }
    }
}

#[derive(Debug, Clone, Copy, Serialize)]
pub enum NoteKind {
    Note,
}

/// A post as a `Note`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
    #[serde(rename = "type")]
    pub kind: NoteKind,
    pub id: String,
    pub attributed_to: String,
    pub content: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<String>,
    pub published: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tag: Vec<Mention>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachment: Vec<NoteAttachment>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub enum AttachmentKind {
    Image,
    Document,
}

/// A file attached to a note, as Mastodon sends them: `name` is the alt text (a document's
/// name), with `blurhash` and the size of an image.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NoteAttachment {
    #[serde(rename = "type")]
    pub kind: AttachmentKind,
    pub media_type: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blurhash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<i64>,
    /// Mastodon's focal point.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub focal_point: Option<[f64; 2]>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    pub content: String,
    pub media_type: &'static str,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub enum MentionKind {
    Mention,
}

/// A person a note mentions, as Mastodon tags them.
#[derive(Debug, Clone, Serialize)]
pub struct Mention {
    #[serde(rename = "type")]
    pub kind: MentionKind,
    pub href: String,
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_fields_are_left_out_not_null() {
        let note = Note {
            context: None,
            kind: NoteKind::Note,
            id: "https://a.example/posts/1".into(),
            attributed_to: "https://a.example/users/anna".into(),
            content: "<p>x</p>".into(),
            source: None,
            in_reply_to: None,
            published: "2026-12-01T10:00:00Z".into(),
            updated: None,
            url: None,
            audience: None,
            to: vec![],
            cc: vec![],
            tag: vec![],
            attachment: vec![],
        };
        let create = Activity::new(
            ActivityKind::Create,
            "https://a.example/activities/create/1".into(),
            note.attributed_to.clone(),
            Object::Note(Box::new(note)),
        );
        let json = serde_json::to_string(&create).expect("JSON");
        assert!(!json.contains("null"), "{json}");
        assert!(json.contains(r#""type":"Create""#) && json.contains(r#""type":"Note""#), "{json}");
        let undo = Activity::new(ActivityKind::Undo, "u".into(), "a".into(), Object::Activity(Box::new(create)));
        assert_eq!(undo.to_value()["object"]["object"]["type"], "Note");
        let delete = Activity::new(ActivityKind::Delete, "d".into(), "a".into(), Object::Tombstone(Tombstone::of("x".into())));
        assert_eq!(delete.to_value()["object"], serde_json::json!({ "type": "Tombstone", "id": "x" }));
    }
}
