//! Incoming activities. Each passes the same service rules as the client API.

use activitypub_federation::config::Data;
use activitypub_federation::protocol::verification::verify_domains_match;
use activitypub_federation::traits::Activity;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::{actors, membership};

/// An activity as it arrives: its id and actor, and what kind it is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InboxActivity {
    pub id: Url,
    pub actor: Url,
    #[serde(flatten)]
    pub kind: Kind,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Kind {
    /// Ask to join a group (members are the group's followers).
    Follow { object: Url },
    /// A group took the follower in; `object` is the Follow (or its id).
    Accept { object: Value },
    /// A group turned the follower down.
    Reject { object: Value },
    /// Anything Gilde does not handle yet: accepted and ignored, as servers expect.
    #[serde(other)]
    Other,
}

/// The actor of the Follow an Accept or Reject answers, when the Follow is embedded.
fn follower_of(object: &Value) -> Option<Url> {
    object.get("actor").and_then(Value::as_str).and_then(|a| Url::parse(a).ok())
}

#[async_trait::async_trait]
impl Activity for InboxActivity {
    type DataType = AppContext;
    type Error = Error;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        &self.actor
    }

    async fn verify(&self, _data: &Data<AppContext>) -> Result<()> {
        verify_domains_match(&self.id, &self.actor).map_err(|e| Error::invalid("wrong_domain", e.to_string()))?;
        Ok(())
    }

    async fn receive(self, data: &Data<AppContext>) -> Result<()> {
        let ctx: &AppContext = data;
        match self.kind {
            Kind::Follow { object } => {
                let prefix = format!("{}/groups/", ctx.config.base_url());
                let group = object
                    .as_str()
                    .strip_prefix(&prefix)
                    .ok_or_else(|| Error::not_found("not_found", "Only groups can be followed here."))?;
                let person = actors::person_by_ap_id(ctx, &self.actor)
                    .await?
                    .ok_or_else(|| Error::invalid("unknown_actor", "The follower is unknown."))?;
                membership::remote_follow(ctx, group, person.id, self.id.to_string()).await?;
            }
            Kind::Accept { object } => answer(ctx, &self.actor, &object, true).await?,
            Kind::Reject { object } => answer(ctx, &self.actor, &object, false).await?,
            Kind::Other => {}
        }
        Ok(())
    }
}

async fn answer(ctx: &AppContext, group_id: &Url, follow: &Value, accepted: bool) -> Result<()> {
    let Some(group) = actors::group_by_ap_id(ctx, group_id).await? else { return Ok(()) };
    if group.group.domain.is_none() {
        return Err(Error::invalid("not_remote", "A local group does not answer through the inbox."));
    }
    let Some(person_id) = follower_of(follow) else { return Ok(()) };
    let Some(person) = actors::person_by_ap_id(ctx, &person_id).await? else { return Ok(()) };
    if person.domain.is_some() {
        return Ok(());
    }
    membership::remote_answer(ctx, group.group.id, person.id, accepted).await
}
