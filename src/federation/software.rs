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

/// How long a server whose NodeInfo could not be read is taken as unknown before it is asked
/// again (its deliveries meanwhile get threads only).
const ASK_AGAIN_AFTER: Duration = Duration::from_secs(3600);

/// Servers asked for their NodeInfo at once.
const ASKED_AT_ONCE: usize = 32;
/// How long a delivery's expansion waits for servers' NodeInfo at most.
const LEARN_AT_MOST: Duration = Duration::from_secs(3);

/// Makes sure the software of the servers of these inboxes is known (each is asked once; a
/// server that does not answer is asked again after an hour, not on every reply).
pub async fn learn(ctx: &AppContext, inboxes: Vec<url::Url>) -> Result<()> {
    let ctx2 = ctx.clone();
    let unknown = ctx.db.read(move |conn| -> Result<_> { Ok(unknown_among(conn, &ctx2, &inboxes)?) }).await?;
    ask(ctx, unknown).await
}

/// Servers whose software is to be asked: (scheme, domain) of those of these inboxes whose
/// software is not known, leaving out those that did not answer within the last hour.
pub fn unknown_among(conn: &mut db::DbConn, ctx: &AppContext, inboxes: &[url::Url]) -> db::DbResult<Vec<(String, String)>> {
    let mut servers: Vec<(String, String)> =
        inboxes.iter().filter_map(|u| Some((u.scheme().to_string(), crate::service::actors::domain_of(u)?))).collect();
    servers.sort();
    servers.dedup();
    let domains: Vec<String> = servers.iter().map(|(_, d)| d.clone()).collect();
    let known = db::servers::software_of(conn, &domains)?;
    Ok(servers
        .into_iter()
        .filter(|(_, domain)| !known.iter().any(|(d, s)| d == domain && s.is_some()))
        .filter(|(_, domain)| !asked_in_vain_lately(ctx, domain))
        .collect())
}

/// Was this server asked what it runs within the hour, without an answer?
fn asked_in_vain_lately(ctx: &AppContext, domain: &str) -> bool {
    ctx.unknown_software.lock().is_ok_and(|failed| failed.get(domain).is_some_and(|at| at.elapsed() < ASK_AGAIN_AFTER))
}

/// Asks these servers (scheme, domain) what they run, and keeps what they say.
pub async fn ask(ctx: &AppContext, unknown: Vec<(String, String)>) -> Result<()> {
    if unknown.is_empty() {
        return Ok(());
    }
    // Asked at once (a bounded number at a time), and waited for a bounded time: one slow or
    // dead server must not hold up a post to everyone. Who has not answered by then gets the
    // threads-only form this time, and is asked again later.
    let client = super::setup::http_client(ctx, Duration::from_secs(5))?;
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(ASKED_AT_ONCE));
    let mut asking = tokio::task::JoinSet::new();
    let mut unanswered: std::collections::HashSet<String> = unknown.iter().map(|(_, d)| d.clone()).collect();
    for (scheme, domain) in unknown {
        let (client, slots) = (client.clone(), slots.clone());
        asking.spawn(async move {
            let _slot = slots.acquire_owned().await.ok()?;
            Some((domain.clone(), fetch_software(&client, &scheme, &domain).await))
        });
    }
    let mut learned = Vec::new();
    let _ = tokio::time::timeout(LEARN_AT_MOST, async {
        while let Some(answer) = asking.join_next().await {
            if let Ok(Some((domain, Some(software)))) = answer {
                tracing::debug!(domain, software, "learned what a server runs");
                unanswered.remove(&domain);
                learned.push((domain, software));
            }
        }
    })
    .await;
    asking.abort_all();
    // Who did not answer (in time, or at all) is asked again in an hour.
    if let Ok(mut failed) = ctx.unknown_software.lock() {
        for domain in unanswered {
            tracing::debug!(domain, "could not read what a server runs; asking again in an hour");
            failed.insert(domain, std::time::Instant::now());
        }
    }
    if !learned.is_empty() {
        ctx.db
            .write(move |conn| -> Result<_> {
                for (domain, software) in &learned {
                    db::servers::set_software(conn, domain, software)?;
                }
                Ok(())
            })
            .await?;
    }
    Ok(())
}

/// Learns what the server of an actor that just sent a signed activity runs, in the background
/// (it is up now: a good moment to ask, and the inbox does not wait for it).
pub fn learn_from_sender(ctx: &AppContext, actor: &url::Url) {
    let Some(domain) = crate::service::actors::domain_of(actor) else { return };
    if asked_in_vain_lately(ctx, &domain) {
        return;
    }
    let ctx = ctx.clone();
    let Ok(inbox) = actor.join("/") else { return };
    tokio::spawn(async move {
        if let Err(e) = learn(&ctx, vec![inbox]).await {
            tracing::debug!(error = %e, "could not learn what a server runs");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[tokio::test]
    async fn a_server_without_nodeinfo_is_asked_once_an_hour_not_for_every_reply() {
        let t = crate::testing::TestContext::new();
        // A server that answers every request with 404, counting them.
        let asked = Arc::new(AtomicUsize::new(0));
        let counter = asked.clone();
        let app = axum::Router::new().fallback(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { axum::http::StatusCode::NOT_FOUND }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let inbox = url::Url::parse(&format!("http://localhost:{port}/inbox")).expect("url");
        learn(&t.ctx, vec![inbox.clone()]).await.expect("learn");
        assert_eq!(asked.load(Ordering::SeqCst), 1, "asked for its NodeInfo once");
        learn(&t.ctx, vec![inbox.clone()]).await.expect("learn");
        learn(&t.ctx, vec![inbox]).await.expect("learn");
        assert_eq!(asked.load(Ordering::SeqCst), 1, "not asked again within the hour");
    }
}
