//! Database rows as ActivityPub objects: `ApubPerson`, `ApubGroup` and the instance actor wrap
//! the rows; their wire form is `protocol::ActorDocument`.

use activitypub_federation::config::Data;
use activitypub_federation::protocol::verification::verify_domains_match;
use activitypub_federation::traits::{Actor, Object};
use chrono::{DateTime, Utc};
use url::Url;

use super::protocol::{actor_context, ActorDocument, ActorKind, Endpoints, Icon, PropertyValue, PublicKey};
use crate::context::AppContext;
use crate::db::groups::RemoteGroup;
use crate::db::people::{Person, RemotePerson};
use crate::error::{Error, Result};
use crate::service::actors::{self, FederatedGroup};
use crate::urls;

fn parse(text: &str) -> Result<Url> {
    Url::parse(text).map_err(|e| Error::internal(format!("bad URL {text}: {e}")))
}

/// Local actors are never refetched ("just refreshed"); remote ones after the library's interval.
fn refreshed_at(domain: &Option<String>, last_fetched_at: Option<chrono::NaiveDateTime>) -> Option<DateTime<Utc>> {
    match domain {
        None => Some(Utc::now()),
        Some(_) => last_fetched_at.map(|t| t.and_utc()),
    }
}

/// A stored inbox, or (local actors store none) `{id}/inbox`. (`Url::join` would replace the
/// last path segment: `/users/anna` + `inbox` is `/users/inbox`.)
fn inbox_or_default(stored: Option<&str>, id: &Url) -> Url {
    stored.and_then(|u| Url::parse(u).ok()).unwrap_or_else(|| parse(&format!("{id}/inbox")).unwrap_or_else(|_| id.clone()))
}

/// The parts every actor document shares.
struct Parts {
    kind: ActorKind,
    id: Url,
    page: String,
    preferred_username: String,
    name: String,
    summary: String,
    public_key_pem: String,
    with_collections: bool,
}

/// A person's profile fields as `PropertyValue`s (as Mastodon shows them), by the names Gilde
/// sends and reads.
fn profile_fields(p: &Person) -> Vec<(&'static str, String)> {
    let mut fields = Vec::new();
    for (name, value) in [("Department", &p.department), ("Job title", &p.job_title), ("Organisation unit", &p.org_unit)] {
        if !value.is_empty() {
            fields.push((name, value.clone()));
        }
    }
    if p.mentor {
        fields.push(("Mentor", "Available as a mentor".to_string()));
    }
    fields
}

#[derive(Default)]
struct ProfileFields {
    department: String,
    job_title: String,
    org_unit: String,
    mentor: bool,
}

/// Profile fields of another server's actor, by name (English or Dutch, case ignored); their
/// HTML values as plain text.
fn read_profile_fields(list: &[PropertyValue]) -> ProfileFields {
    let mut fields = ProfileFields::default();
    for field in list.iter().filter(|f| f.kind == "PropertyValue") {
        let value: String = crate::service::text::strip_html(&field.value).trim().chars().take(200).collect();
        match field.name.trim().to_lowercase().as_str() {
            "department" | "afdeling" => fields.department = value,
            "job title" | "functie" => fields.job_title = value,
            "organisation unit" | "organization unit" | "team" | "organisatieonderdeel" => fields.org_unit = value,
            "mentor" => fields.mentor = !value.trim().is_empty(),
            _ => {}
        }
    }
    fields
}

/// A local actor's picture (a path here) as its `icon`.
fn icon(config: &crate::config::Config, stored: Option<&str>) -> Option<Icon> {
    let path = stored.filter(|p| p.starts_with('/'))?;
    let media_type = match path.rsplit('.').next() {
        Some("png") => "image/png",
        _ => "image/jpeg",
    };
    let url = Url::parse(&format!("{}{path}", config.base_url())).ok()?;
    Some(Icon { kind: "Image".into(), url, media_type: Some(media_type.into()) })
}

fn document(ctx: &AppContext, p: Parts) -> Result<ActorDocument> {
    let collection = |suffix: &str| -> Result<Option<Url>> {
        if p.with_collections {
            Ok(Some(parse(&format!("{}/{suffix}", p.id))?))
        } else {
            Ok(None)
        }
    };
    Ok(ActorDocument {
        context: actor_context(),
        kind: p.kind,
        preferred_username: p.preferred_username,
        name: p.name,
        summary: p.summary,
        url: Some(parse(&p.page)?),
        inbox: parse(&format!("{}/inbox", p.id))?,
        outbox: Some(parse(&format!("{}/outbox", p.id))?),
        followers: collection("followers")?,
        following: None,
        featured: collection("featured")?,
        endpoints: Some(Endpoints { shared_inbox: parse(&urls::shared_inbox(&ctx.config))? }),
        public_key: PublicKey { id: format!("{}#main-key", p.id), owner: p.id.clone(), public_key_pem: p.public_key_pem },
        id: p.id,
        manually_approves_followers: false,
        discoverable: true,
        attributed_to: Vec::new(),
        attachment: Vec::new(),
        published: None,
        icon: None,
    })
}

/// Checks a fetched actor document before it is stored.
fn check_document(ctx: &AppContext, json: &ActorDocument, expected_domain: &Url, kind: ActorKind) -> Result<String> {
    verify_domains_match(&json.id, expected_domain).map_err(|e| Error::invalid("wrong_domain", e.to_string()))?;
    if json.kind != kind {
        return Err(Error::invalid("wrong_type", format!("expected a {kind:?}, got a {:?}", json.kind)));
    }
    if json.public_key.owner != json.id {
        return Err(Error::invalid("wrong_key_owner", "the public key does not belong to this actor"));
    }
    let domain = actors::domain_of(&json.id).ok_or_else(|| Error::invalid("no_domain", "the actor's id has no host"))?;
    actors::check_domain_allowed(ctx, &domain)?;
    Ok(domain)
}

#[derive(Debug, Clone)]
pub struct ApubPerson {
    pub row: Person,
    id: Url,
}

impl ApubPerson {
    pub fn new(ctx: &AppContext, row: Person) -> Result<Self> {
        let id = parse(&match &row.ap_id {
            Some(ap) => ap.clone(),
            None => urls::person_id(&ctx.config, &row.username),
        })?;
        Ok(ApubPerson { row, id })
    }
}

#[async_trait::async_trait]
impl Object for ApubPerson {
    type DataType = AppContext;
    type Kind = ActorDocument;
    type Error = Error;

    fn id(&self) -> &Url {
        &self.id
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        refreshed_at(&self.row.domain, self.row.last_fetched_at)
    }

    async fn read_from_id(id: Url, data: &Data<AppContext>) -> Result<Option<Self>> {
        match actors::person_by_ap_id(data, &id).await? {
            Some(row) => Ok(Some(ApubPerson::new(data, row)?)),
            None => Ok(None),
        }
    }

    async fn into_json(self, data: &Data<AppContext>) -> Result<ActorDocument> {
        let config = &data.config;
        let p = &self.row;
        let mut doc = document(
            data,
            Parts {
                kind: ActorKind::Person,
                id: self.id.clone(),
                page: urls::person_page(config, &p.username),
                preferred_username: p.username.clone(),
                name: p.display_name.clone(),
                summary: p.bio_html.clone(),
                public_key_pem: p.public_key.clone().unwrap_or_default(),
                with_collections: true,
            },
        )?;
        doc.following = Some(parse(&format!("{}/following", self.id))?);
        for (name, value) in profile_fields(p) {
            doc.attachment.push(PropertyValue {
                kind: "PropertyValue".into(),
                name: name.into(),
                value: crate::service::text::sanitize(&value),
            });
        }
        doc.published = Some(crate::http::mastodon::entities::time(p.created_at));
        doc.icon = icon(config, p.avatar_url.as_deref());
        Ok(doc)
    }

    async fn verify(json: &ActorDocument, expected_domain: &Url, data: &Data<AppContext>) -> Result<()> {
        check_document(data, json, expected_domain, ActorKind::Person).map(|_| ())
    }

    async fn from_json(json: ActorDocument, data: &Data<AppContext>) -> Result<Self> {
        let domain = check_document(data, &json, &json.id, ActorKind::Person)?;
        let fields = read_profile_fields(&json.attachment);
        let remote = RemotePerson {
            department: fields.department,
            job_title: fields.job_title,
            org_unit: fields.org_unit,
            mentor: fields.mentor,
            ap_id: json.id.to_string(),
            username: json.preferred_username,
            domain,
            display_name: json.name,
            bio_html: json.summary,
            inbox_url: json.inbox.to_string(),
            shared_inbox_url: json.endpoints.map(|e| e.shared_inbox.to_string()),
            public_key: json.public_key.public_key_pem,
        };
        let icon = json.icon.map(|i| i.url.to_string());
        let row = actors::store_remote_person(data, remote).await?;
        let row = crate::service::media::remote_picture(data, row, icon).await?;
        ApubPerson::new(data, row)
    }
}

impl Actor for ApubPerson {
    fn public_key_pem(&self) -> &str {
        self.row.public_key.as_deref().unwrap_or("")
    }
    fn private_key_pem(&self) -> Option<String> {
        self.row.private_key.clone()
    }
    fn inbox(&self) -> Url {
        inbox_or_default(self.row.inbox_url.as_deref(), &self.id)
    }
    fn shared_inbox(&self) -> Option<Url> {
        self.row.shared_inbox_url.as_deref().and_then(|u| Url::parse(u).ok())
    }
}

#[derive(Debug, Clone)]
pub struct ApubGroup {
    pub found: FederatedGroupRow,
    id: Url,
}

/// `FederatedGroup` with `Debug`/`Clone`, as the library needs.
#[derive(Debug, Clone)]
pub struct FederatedGroupRow {
    pub group: crate::db::groups::Group,
    pub moderators: Vec<Person>,
    pub manually_approves: bool,
}

impl From<FederatedGroup> for FederatedGroupRow {
    fn from(f: FederatedGroup) -> Self {
        FederatedGroupRow { group: f.group, moderators: f.moderators, manually_approves: f.manually_approves }
    }
}

impl ApubGroup {
    pub fn new(ctx: &AppContext, found: FederatedGroupRow) -> Result<Self> {
        let id = parse(&match &found.group.ap_id {
            Some(ap) => ap.clone(),
            None => urls::group_id(&ctx.config, &found.group.name),
        })?;
        Ok(ApubGroup { found, id })
    }
}

#[async_trait::async_trait]
impl Object for ApubGroup {
    type DataType = AppContext;
    type Kind = ActorDocument;
    type Error = Error;

    fn id(&self) -> &Url {
        &self.id
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        refreshed_at(&self.found.group.domain, self.found.group.last_fetched_at)
    }

    async fn read_from_id(id: Url, data: &Data<AppContext>) -> Result<Option<Self>> {
        match actors::group_by_ap_id(data, &id).await? {
            Some(found) => Ok(Some(ApubGroup::new(data, found.into())?)),
            None => Ok(None),
        }
    }

    async fn into_json(self, data: &Data<AppContext>) -> Result<ActorDocument> {
        let config = &data.config;
        let g = &self.found.group;
        let mut doc = document(
            data,
            Parts {
                kind: ActorKind::Group,
                id: self.id.clone(),
                page: urls::group_id(config, &g.name),
                preferred_username: g.name.clone(),
                name: g.display_name.clone(),
                summary: g.note_html.clone(),
                public_key_pem: g.public_key.clone().unwrap_or_default(),
                with_collections: true,
            },
        )?;
        doc.manually_approves_followers = self.found.manually_approves;
        // A secret group is not listed anywhere (its actor is shown only to member servers).
        doc.discoverable = g.visibility != "secret";
        doc.attributed_to = self.found.moderators.iter().map(|p| parse(&urls::person_id(config, &p.username))).collect::<Result<_>>()?;
        doc.published = Some(crate::http::mastodon::entities::time(g.created_at));
        doc.icon = icon(config, g.avatar_url.as_deref());
        Ok(doc)
    }

    async fn verify(json: &ActorDocument, expected_domain: &Url, data: &Data<AppContext>) -> Result<()> {
        check_document(data, json, expected_domain, ActorKind::Group).map(|_| ())
    }

    async fn from_json(json: ActorDocument, data: &Data<AppContext>) -> Result<Self> {
        let domain = check_document(data, &json, &json.id, ActorKind::Group)?;
        let remote = RemoteGroup {
            ap_id: json.id.to_string(),
            name: json.preferred_username,
            domain,
            display_name: json.name,
            note_html: json.summary,
            visibility: match (json.manually_approves_followers, json.discoverable) {
                (false, _) => "public".into(),
                (true, true) => "private".into(),
                (true, false) => "secret".into(),
            },
            inbox_url: json.inbox.to_string(),
            shared_inbox_url: json.endpoints.map(|e| e.shared_inbox.to_string()),
            public_key: json.public_key.public_key_pem,
        };
        let icon = json.icon.map(|i| i.url.to_string());
        let group = actors::store_remote_group(data, remote).await?;
        let group = crate::service::media::remote_group_picture(data, group, icon).await?;
        let manually_approves = group.visibility != "public";
        ApubGroup::new(data, FederatedGroupRow { group, moderators: Vec::new(), manually_approves })
    }
}

impl Actor for ApubGroup {
    fn public_key_pem(&self) -> &str {
        self.found.group.public_key.as_deref().unwrap_or("")
    }
    fn private_key_pem(&self) -> Option<String> {
        self.found.group.private_key.clone()
    }
    fn inbox(&self) -> Url {
        inbox_or_default(self.found.group.inbox_url.as_deref(), &self.id)
    }
    fn shared_inbox(&self) -> Option<Url> {
        self.found.group.shared_inbox_url.as_deref().and_then(|u| Url::parse(u).ok())
    }
}

/// The instance actor: signs every fetch this instance makes.
#[derive(Debug, Clone)]
pub struct InstanceActor {
    id: Url,
    public_key_pem: String,
    private_key_pem: String,
}

impl InstanceActor {
    pub async fn load(ctx: &AppContext) -> Result<Self> {
        let keys = actors::instance_keys(ctx).await?;
        Ok(InstanceActor {
            id: parse(&urls::instance_actor(&ctx.config))?,
            public_key_pem: keys.public_pem,
            private_key_pem: keys.private_pem,
        })
    }

    /// The key that signs fetches: its id and the private key.
    pub fn signing_key(&self) -> (String, &str) {
        (format!("{}#main-key", self.id), &self.private_key_pem)
    }

    /// The instance actor's name: this instance's host (without a port).
    pub fn username(config: &crate::config::Config) -> String {
        config.domain.split(':').next().unwrap_or("gilde").to_string()
    }

    pub fn document(&self, ctx: &AppContext) -> Result<ActorDocument> {
        let config = &ctx.config;
        let mut doc = document(
            ctx,
            Parts {
                kind: ActorKind::Application,
                id: self.id.clone(),
                page: config.base_url(),
                preferred_username: Self::username(config),
                name: config.instance_name.clone(),
                summary: String::new(),
                public_key_pem: self.public_key_pem.clone(),
                with_collections: false,
            },
        )?;
        doc.manually_approves_followers = true;
        doc.discoverable = false;
        Ok(doc)
    }
}

#[async_trait::async_trait]
impl Object for InstanceActor {
    type DataType = AppContext;
    type Kind = ActorDocument;
    type Error = Error;

    fn id(&self) -> &Url {
        &self.id
    }
    async fn read_from_id(_id: Url, _data: &Data<AppContext>) -> Result<Option<Self>> {
        Ok(None)
    }
    async fn into_json(self, data: &Data<AppContext>) -> Result<ActorDocument> {
        self.document(data)
    }
    async fn verify(_json: &ActorDocument, _expected_domain: &Url, _data: &Data<AppContext>) -> Result<()> {
        Err(Error::invalid("not_supported", "instance actors are not stored"))
    }
    async fn from_json(_json: ActorDocument, _data: &Data<AppContext>) -> Result<Self> {
        Err(Error::invalid("not_supported", "instance actors are not stored"))
    }
}

impl Actor for InstanceActor {
    fn public_key_pem(&self) -> &str {
        &self.public_key_pem
    }
    fn private_key_pem(&self) -> Option<String> {
        Some(self.private_key_pem.clone())
    }
    fn inbox(&self) -> Url {
        inbox_or_default(None, &self.id)
    }
}

/// A person or a group: whoever signed an incoming activity.
#[derive(Debug, Clone)]
pub enum ApubActor {
    Person(ApubPerson),
    Group(ApubGroup),
}

#[async_trait::async_trait]
impl Object for ApubActor {
    type DataType = AppContext;
    type Kind = ActorDocument;
    type Error = Error;

    fn id(&self) -> &Url {
        match self {
            ApubActor::Person(p) => p.id(),
            ApubActor::Group(g) => g.id(),
        }
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        match self {
            ApubActor::Person(p) => p.last_refreshed_at(),
            ApubActor::Group(g) => g.last_refreshed_at(),
        }
    }

    async fn read_from_id(id: Url, data: &Data<AppContext>) -> Result<Option<Self>> {
        if let Some(p) = ApubPerson::read_from_id(id.clone(), data).await? {
            return Ok(Some(ApubActor::Person(p)));
        }
        Ok(ApubGroup::read_from_id(id, data).await?.map(ApubActor::Group))
    }

    async fn into_json(self, data: &Data<AppContext>) -> Result<ActorDocument> {
        match self {
            ApubActor::Person(p) => p.into_json(data).await,
            ApubActor::Group(g) => g.into_json(data).await,
        }
    }

    async fn verify(json: &ActorDocument, expected_domain: &Url, data: &Data<AppContext>) -> Result<()> {
        match json.kind {
            ActorKind::Person => ApubPerson::verify(json, expected_domain, data).await,
            ActorKind::Group => ApubGroup::verify(json, expected_domain, data).await,
            ActorKind::Application => Err(Error::invalid("wrong_type", "an instance actor does not send activities here")),
        }
    }

    async fn from_json(json: ActorDocument, data: &Data<AppContext>) -> Result<Self> {
        match json.kind {
            ActorKind::Group => Ok(ApubActor::Group(ApubGroup::from_json(json, data).await?)),
            _ => Ok(ApubActor::Person(ApubPerson::from_json(json, data).await?)),
        }
    }
}

impl Actor for ApubActor {
    fn public_key_pem(&self) -> &str {
        match self {
            ApubActor::Person(p) => p.public_key_pem(),
            ApubActor::Group(g) => g.public_key_pem(),
        }
    }
    fn private_key_pem(&self) -> Option<String> {
        match self {
            ApubActor::Person(p) => p.private_key_pem(),
            ApubActor::Group(g) => g.private_key_pem(),
        }
    }
    fn inbox(&self) -> Url {
        match self {
            ApubActor::Person(p) => p.inbox(),
            ApubActor::Group(g) => g.inbox(),
        }
    }
    fn shared_inbox(&self) -> Option<Url> {
        match self {
            ApubActor::Person(p) => p.shared_inbox(),
            ApubActor::Group(g) => g.shared_inbox(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_actors_inbox_is_below_its_id() {
        let id = Url::parse("https://gemeente-a.nl/users/anna").expect("url");
        assert_eq!(inbox_or_default(None, &id).as_str(), "https://gemeente-a.nl/users/anna/inbox");
        assert_eq!(inbox_or_default(Some("https://b.nl/inbox"), &id).as_str(), "https://b.nl/inbox");
    }
}
