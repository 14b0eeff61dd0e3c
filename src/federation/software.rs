//! What other servers run, from their NodeInfo: Gilde sends a group's replies only to servers
//! that show threads with their replies (Gilde, Lemmy and the like). Followers on Mastodon and
//! other microblogs get the threads (top-level posts), not every reply, as the design brief says.

use std::time::Duration;

use serde_json::Value;

use crate::context::AppContext;
use crate::db;
use crate::error::Result;

/// Software that shows a group's threads with their replies.
pub const THREAD_AWARE: &[&str] = &["gilde", "lemmy", "mbin", "kbin", "piefed", "friendica", "hubzilla", "streams", "nodebb"];

/// Does a server running `software` want every reply of a group's threads?
pub fn wants_replies(software: Option<&str>) -> bool {
    software.is_some_and(|s| THREAD_AWARE.contains(&s))
}

/// Reads a server's NodeInfo `software.name` (lower case), or `None` if it cannot be read.
async fn fetch_software(client: &reqwest13::Client, scheme: &str, domain: &str) -> Option<String> {
    let links: Value = client.get(format!("{scheme}://{domain}/.well-known/nodeinfo")).send().await.ok()?.json().await.ok()?;
    let href = links.get("links")?.as_array()?.iter().find_map(|l| {
        let rel = l.get("rel")?.as_str()?;
        rel.starts_with("http://nodeinfo.diaspora.software/ns/schema/2.").then(|| l.get("href")?.as_str().map(str::to_string)).flatten()
    })?;
    let href_url = url::Url::parse(&href).ok()?;
    // NodeInfo of another server is not followed.
    if crate::service::actors::domain_of(&href_url).as_deref() != Some(domain) {
        return None;
    }
    let info: Value = client.get(href_url).send().await.ok()?.json().await.ok()?;
    let name = info.get("software")?.get("name")?.as_str()?.trim().to_ascii_lowercase();
    (!name.is_empty() && name.len() <= 100).then_some(name)
}

/// Makes sure the software of the servers of these inboxes is known (each is asked once; a
/// server that does not answer is asked again next time).
pub async fn learn(ctx: &AppContext, inboxes: Vec<url::Url>) -> Result<()> {
    let mut servers: Vec<(String, String)> =
        inboxes.iter().filter_map(|u| Some((u.scheme().to_string(), crate::service::actors::domain_of(u)?))).collect();
    servers.sort();
    servers.dedup();
    let domains: Vec<String> = servers.iter().map(|(_, d)| d.clone()).collect();
    let lookup = domains.clone();
    let known = ctx.db.read(move |conn| -> Result<_> { Ok(db::servers::software_of(conn, &lookup)?) }).await?;
    let mut client = None;
    for (scheme, domain) in servers {
        if known.iter().any(|(d, s)| *d == domain && s.is_some()) {
            continue;
        }
        if client.is_none() {
            client = Some(super::setup::http_client(ctx, Duration::from_secs(5))?);
        }
        let Some(client) = client.as_ref() else { continue };
        if let Some(software) = fetch_software(client, &scheme, &domain).await {
            tracing::debug!(domain, software, "learned what a server runs");
            ctx.db.write(move |conn| -> Result<_> { Ok(db::servers::set_software(conn, &domain, &software)?) }).await?;
        }
    }
    Ok(())
}
