//! A hostile server against a running Gilde: what it may not do is refused with a clear status,
//! and changes nothing.

use federation_tests::hostile::{Hostile, Signing};
use federation_tests::{eventually, Cluster, Node};
use serde_json::json;

async fn public_group(a: &Node) -> (String, String) {
    let (_, anna) = a.person("anna").await;
    let (status, group) =
        a.post("/api/v1/groups", &anna, json!({ "name": "omgevingswet", "display_name": "Omgevingswet", "scope": "federated" })).await;
    assert_eq!(status, 200, "{group}");
    (anna, group["id"].as_str().expect("id").to_string())
}

fn follow(hostile: &Hostile, a: &Node, n: u32) -> Vec<u8> {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams", "type": "Follow",
        "id": format!("{}/follows/{n}", hostile.base), "actor": hostile.actor("mallory"),
        "object": format!("{}/groups/omgevingswet", a.base)
    })
    .to_string()
    .into_bytes()
}

async fn members(a: &Node, anna: &str, group: &str) -> usize {
    a.get(&format!("/api/v1/groups/{group}/memberships"), anna).await.1.as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread")]
async fn signatures_are_checked_as_mastodon_checks_them() {
    let cluster = Cluster::start(&["gemeente-a"]).await;
    let a = cluster.node("gemeente-a");
    let (anna, group) = public_group(a).await;
    let hostile = Hostile::start().await;
    let inbox = format!("{}/groups/omgevingswet/inbox", a.base);
    let mallory = hostile.actor("mallory");

    let refused: Vec<(&str, Signing)> = vec![
        ("dated two hours ago (expired)", Signing { date_offset: -2 * 3600, ..Signing::default() }),
        ("dated 61 minutes ahead", Signing { date_offset: 61 * 60, ..Signing::default() }),
        ("Date not signed", Signing { headers: vec!["(request-target)", "host", "digest"], ..Signing::default() }),
        ("Digest not signed", Signing { headers: vec!["(request-target)", "host", "date"], ..Signing::default() }),
        ("Host not signed", Signing { headers: vec!["(request-target)", "date", "digest"], ..Signing::default() }),
        ("made for another host", Signing { host: Some("elsewhere.example".into()), ..Signing::default() }),
        ("no Digest header", Signing { digest: false, ..Signing::default() }),
        ("a signature that is no base64", Signing { signature: Some("%%%niet-base64%%%".into()), ..Signing::default() }),
        ("a signature that does not verify", Signing { signature: Some("c2lnbmF0dXVy".into()), ..Signing::default() }),
    ];
    for (n, (what, how)) in refused.iter().enumerate() {
        let (status, body) = hostile.post(&inbox, &mallory, &follow(&hostile, a, n as u32), how).await;
        assert_eq!(status, 401, "{what}: {body}");
        assert!(body["code"].as_str().is_some_and(|c| c.starts_with("signature")), "{what}: {body}");
    }
    assert_eq!(members(a, &anna, &group).await, 1, "nothing refused changed the group");

    // Within the window (an hour of skew either way), with everything signed: accepted.
    for (n, offset) in [(100, -64 * 60), (101, 59 * 60), (102, 0)] {
        let (status, body) =
            hostile.post(&inbox, &mallory, &follow(&hostile, a, n), &Signing { date_offset: offset, ..Signing::default() }).await;
        assert_eq!(status, 202, "dated {offset} s from now: {body}");
    }
    eventually("mallory joined", || async { members(a, &anna, &group).await == 2 }).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn what_cannot_be_read_is_a_clear_4xx_and_unknown_activities_are_ignored() {
    let cluster = Cluster::start_with(&["gemeente-a"], |_, config| config.max_body_bytes = 64 * 1024).await;
    let a = cluster.node("gemeente-a");
    let (anna, group) = public_group(a).await;
    let hostile = Hostile::start().await;
    let inbox = format!("{}/inbox", a.base);
    let mallory = hostile.actor("mallory");
    let signed = Signing::default();

    let (status, body) = hostile.post(&inbox, &mallory, b"{ dit is geen json", &signed).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("malformed_json")), "{body}");
    let (status, body) = hostile.post(&inbox, &mallory, br#"{"hallo": "wereld"}"#, &signed).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("malformed_activity")), "{body}");
    let (status, body) = hostile.post(&inbox, &mallory, br#"{"type": "Follow", "id": 7, "actor": "x", "object": "y"}"#, &signed).await;
    assert_eq!(status, 400, "ids that are no URLs: {body}");
    let big = format!(r#"{{"type": "Note", "content": "{}"}}"#, "x".repeat(100 * 1024));
    let (status, body) = hostile.post(&inbox, &mallory, big.as_bytes(), &signed).await;
    assert_eq!((status, body["code"].as_str()), (413, Some("body_too_large")), "{body}");

    // An activity Gilde does not handle, well-formed and signed: accepted and ignored.
    let unknown = json!({
        "@context": "https://www.w3.org/ns/activitystreams", "type": "Wobble",
        "id": format!("{}/wobbles/1", hostile.base), "actor": mallory, "object": format!("{}/groups/omgevingswet", a.base)
    });
    let (status, body) = hostile.post(&inbox, &mallory, unknown.to_string().as_bytes(), &signed).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(members(a, &anna, &group).await, 1);

    // A thread whose note tags the same person twice is taken, not refused.
    let (status, _) = hostile.post(&inbox, &mallory, &follow(&hostile, a, 1), &signed).await;
    assert_eq!(status, 202);
    eventually("mallory joined", || async { members(a, &anna, &group).await == 2 }).await;
    let anna_url = format!("{}/users/anna", a.base);
    let note = json!({
        "type": "Note", "id": format!("{}/notes/1", hostile.base), "attributedTo": mallory,
        "content": "<p>Twee keer genoemd</p>", "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [format!("{}/groups/omgevingswet", a.base)], "audience": format!("{}/groups/omgevingswet", a.base),
        "tag": [{ "type": "Mention", "href": anna_url }, { "type": "Mention", "href": anna_url }]
    });
    let create = json!({
        "@context": "https://www.w3.org/ns/activitystreams", "type": "Create", "id": format!("{}/notes/1/create", hostile.base),
        "actor": mallory, "to": note["to"], "cc": note["cc"], "object": note
    });
    let (status, body) = hostile.post(&inbox, &mallory, create.to_string().as_bytes(), &signed).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(a.stored_posts_containing("Twee keer genoemd").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_delivery_is_recorded_with_its_reason() {
    let cluster = Cluster::start(&["gemeente-a"]).await;
    let a = cluster.node("gemeente-a");
    let (anna, group) = public_group(a).await;
    let hostile = Hostile::start().await;
    // Mallory's server takes her Follow's answer, then refuses it.
    hostile.answer("/users/mallory/inbox", 403, r#"{"error":"Geweigerd door beleid"}"#);
    let (status, _) =
        hostile.post(&format!("{}/inbox", a.base), &hostile.actor("mallory"), &follow(&hostile, a, 1), &Signing::default()).await;
    assert_eq!(status, 202);
    eventually("mallory joined", || async { members(a, &anna, &group).await == 2 }).await;
    let domain = hostile.domain.clone();
    eventually("A recorded the refusal", || async {
        let domain = domain.clone();
        let server = a.instance.ctx.db.read(move |conn| gilde::db::servers::find(conn, &domain)).await.expect("read");
        server.and_then(|s| s.last_refusal).is_some_and(|r| r.starts_with("403") && r.contains("Geweigerd door beleid"))
    })
    .await;
    assert_eq!(a.instance.ctx.db.read(gilde::db::jobs::pending_count).await.expect("count"), 0, "a refusal is final, not retried");
}
