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

/// A hostile server's group that anna on A looked up and asked to join, so A takes announces
/// from it (the precondition of every attack below).
async fn hostile_group_known_to(a: &Node, anna: &str, hostile: &Hostile) -> String {
    let group = hostile.serve_actor("evil", "Group");
    let (status, found) = a.get(&format!("/api/v1/groups/lookup?acct=evil@{}", hostile.domain), anna).await;
    assert_eq!(status, 200, "{found}");
    a.post(&format!("/api/v1/groups/{}/join", found["id"].as_str().expect("id")), anna, json!({})).await;
    group
}

fn announce(hostile: &Hostile, group: &str, n: u32, object: serde_json::Value) -> Vec<u8> {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams", "type": "Announce",
        "id": format!("{}/announces/{n}", hostile.base), "actor": group, "object": object,
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [format!("{group}/followers")]
    })
    .to_string()
    .into_bytes()
}

fn create(id: &str, author: &str, group: &str, text: &str) -> serde_json::Value {
    json!({
        "type": "Create", "id": format!("{id}#create"), "actor": author,
        "object": {
            "type": "Note", "id": id, "attributedTo": author, "content": text, "audience": group,
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [group]
        }
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hostile_group_can_neither_forge_nor_squat_nor_rewrite_posts() {
    let cluster = Cluster::start(&["gemeente-a", "gemeente-b"]).await;
    let (a, b) = (cluster.node("gemeente-a"), cluster.node("gemeente-b"));
    let (anna, own_group) = public_group(a).await;
    let hostile = Hostile::start().await;
    let evil = hostile_group_known_to(a, &anna, &hostile).await;
    let inbox = format!("{}/inbox", a.base);
    let signed = Signing::default();

    // The announce path works for the hostile group's own people (so the refusals below are
    // the origin rule, not a group A ignores).
    let mallory = hostile.actor("mallory");
    let own = create(&format!("{}/notes/1", hostile.base), &mallory, &evil, "Mallory's eigen bericht");
    let (status, body) = hostile.post(&inbox, &evil, &announce(&hostile, &evil, 1, own), &signed).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(a.stored_posts_containing("Mallory's eigen bericht").await, 1);

    // 1. A note attributed to a person of another server (B): not stored as theirs.
    let (_, bert) = b.person("bert").await;
    let bert_url = format!("{}/users/bert", b.base);
    let forged = create(&format!("{}/notes/2", hostile.base), &bert_url, &evil, "Bert zou dit gezegd hebben");
    let (status, body) = hostile.post(&inbox, &evil, &announce(&hostile, &evil, 2, forged), &signed).await;
    assert!((400..500).contains(&status), "refused: {status} {body}");
    // The same with a note id on B's domain: A asks B, which has no such post.
    let forged = create(&format!("{}/posts/4242", b.base), &bert_url, &evil, "Bert zou dit ook gezegd hebben");
    let (status, body) = hostile.post(&inbox, &evil, &announce(&hostile, &evil, 3, forged), &signed).await;
    assert!((400..500).contains(&status), "refused: {status} {body}");
    assert_eq!(a.stored_posts_containing("gezegd hebben").await, 0, "nothing forged is stored");

    // 2. Squatting: a fake text under the id of B's real post is not taken; B's real text is
    // what A would store, and only from B (here: it is not the hostile group's post at all).
    let (_, group_b) = b.post("/api/v1/groups", &bert, json!({ "name": "wonen", "display_name": "Wonen", "scope": "federated" })).await;
    let (_, real) = b.post("/api/v1/statuses", &bert, json!({ "status": "Het echte bericht van bert", "group_id": group_b["id"] })).await;
    let real_id = real["uri"].as_str().expect("uri").to_string();
    let squat = create(&real_id, &bert_url, &evil, "Een vervalste tekst");
    let (status, body) = hostile.post(&inbox, &evil, &announce(&hostile, &evil, 4, squat), &signed).await;
    assert!((400..500).contains(&status), "refused: {status} {body}");
    assert_eq!(a.stored_posts_containing("vervalste").await, 0);
    assert_eq!(a.stored_posts_containing("Het echte bericht").await, 0, "nor stored under the hostile group");

    // 3. Rewriting a post of this instance: refused, the text unchanged.
    let (_, post) = a.post("/api/v1/statuses", &anna, json!({ "status": "Anna's eigen tekst", "group_id": own_group })).await;
    let update = json!({
        "type": "Update", "id": format!("{}/updates/1", hostile.base), "actor": evil, "audience": evil,
        "object": { "type": "Note", "id": post["uri"], "attributedTo": format!("{}/users/anna", a.base), "content": "Overgenomen!", "audience": evil }
    });
    let (status, body) = hostile.post(&inbox, &evil, &announce(&hostile, &evil, 5, update), &signed).await;
    assert!((400..500).contains(&status), "refused: {status} {body}");
    let (_, after) = a.get(&format!("/api/v1/statuses/{}", post["id"].as_str().expect("id")), &anna).await;
    assert!(after["content"].as_str().is_some_and(|c| c.contains("Anna's eigen tekst")), "{after}");
    // Nothing with an id of this instance comes from outside, as an activity either.
    let local_id = json!({ "@context": "https://www.w3.org/ns/activitystreams", "type": "Like", "id": format!("{}/activities/like/x", a.base), "actor": mallory, "object": post["uri"] });
    let (status, body) = hostile.post(&inbox, &mallory, local_id.to_string().as_bytes(), &signed).await;
    assert!((400..500).contains(&status), "refused: {status} {body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn secret_and_internal_things_answer_exactly_as_nothing_does() {
    let cluster = Cluster::start(&["gemeente-a"]).await;
    let a = cluster.node("gemeente-a");
    let (_, anna) = a.person("anna").await;
    let mut posts = Vec::new();
    for (name, scope, visibility) in [("geheim", "federated", "secret"), ("intern", "internal", "private")] {
        let (status, group) =
            a.post("/api/v1/groups", &anna, json!({ "name": name, "display_name": name, "scope": scope, "visibility": visibility })).await;
        assert_eq!(status, 200, "{group}");
        let (_, post) = a.post("/api/v1/statuses", &anna, json!({ "status": format!("In {name}"), "group_id": group["id"] })).await;
        posts.push(post["uri"].as_str().expect("uri").to_string());
    }
    let hostile = Hostile::start().await;
    let mallory = hostile.actor("mallory");
    let signed = Signing::default();
    let http = reqwest::Client::new();
    let get = |url: String| {
        let http = http.clone();
        async move {
            let res = http.get(&url).header("accept", "application/activity+json").send().await.expect("GET");
            (res.status().as_u16(), res.text().await.unwrap_or_default())
        }
    };
    // What a group and a post that never existed answer.
    let missing_post = format!("{}/posts/999999", a.base);
    for suffix in ["", "/outbox", "/outbox?page=true", "/followers", "/featured"] {
        let nothing = get(format!("{}/groups/nietbestaand{suffix}", a.base)).await;
        for name in ["geheim", "intern"] {
            assert_eq!(get(format!("{}/groups/{name}{suffix}", a.base)).await, nothing, "GET /groups/{name}{suffix}");
        }
    }
    let nothing = get(missing_post.clone()).await;
    for post in &posts {
        assert_eq!(get(post.clone()).await, nothing, "GET {post}");
    }
    let webfinger = |name: &str| get(format!("{}/.well-known/webfinger?resource=acct:{name}@{}", a.base, a.domain));
    let nothing = webfinger("nietbestaand").await;
    assert_eq!(webfinger("geheim").await, nothing);
    assert_eq!(webfinger("intern").await, nothing);

    // At the inbox: following, replying to, liking.
    let inbox = format!("{}/inbox", a.base);
    let mut n = 0;
    let mut send = |kind: &str, object: serde_json::Value| {
        n += 1;
        json!({ "@context": "https://www.w3.org/ns/activitystreams", "type": kind, "id": format!("{}/x/{n}", hostile.base), "actor": mallory, "object": object })
            .to_string()
    };
    let follow_nothing = send("Follow", json!(format!("{}/groups/nietbestaand", a.base)));
    let nothing = hostile.post(&inbox, &mallory, follow_nothing.as_bytes(), &signed).await;
    for name in ["geheim", "intern"] {
        let follow = send("Follow", json!(format!("{}/groups/{name}", a.base)));
        assert_eq!(hostile.post(&inbox, &mallory, follow.as_bytes(), &signed).await, nothing, "Follow of {name}");
    }
    let like_nothing = send("Like", json!(missing_post));
    let nothing = hostile.post(&inbox, &mallory, like_nothing.as_bytes(), &signed).await;
    for post in &posts {
        let like = send("Like", json!(post));
        assert_eq!(hostile.post(&inbox, &mallory, like.as_bytes(), &signed).await, nothing, "Like of {post}");
    }
    let reply = |n: u32, parent: &str| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams", "type": "Create", "id": format!("{}/replies/{n}/create", hostile.base),
            "actor": mallory, "object": { "type": "Note", "id": format!("{}/replies/{n}", hostile.base), "attributedTo": mallory,
            "content": "Ik weet dat dit bestaat", "inReplyTo": parent, "to": ["https://www.w3.org/ns/activitystreams#Public"] }
        })
        .to_string()
    };
    let nothing = hostile.post(&inbox, &mallory, reply(0, &missing_post).as_bytes(), &signed).await;
    for (i, post) in posts.iter().enumerate() {
        assert_eq!(hostile.post(&inbox, &mallory, reply(i as u32 + 1, post).as_bytes(), &signed).await, nothing, "reply to {post}");
    }
    assert_eq!(a.stored_posts_containing("Ik weet dat dit bestaat").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_post_to_a_secret_group_answers_as_one_to_no_group() {
    let cluster = Cluster::start(&["gemeente-a"]).await;
    let a = cluster.node("gemeente-a");
    let (_, anna) = a.person("anna").await;
    a.post("/api/v1/groups", &anna, json!({ "name": "geheim", "display_name": "Geheim", "scope": "federated", "visibility": "secret" }))
        .await;
    let hostile = Hostile::start().await;
    let mallory = hostile.actor("mallory");
    let thread = |n: u32, group: &str| {
        let group = format!("{}/groups/{group}", a.base);
        json!({
            "@context": "https://www.w3.org/ns/activitystreams", "type": "Create", "id": format!("{}/t/{n}/create", hostile.base),
            "actor": mallory, "object": { "type": "Note", "id": format!("{}/t/{n}", hostile.base), "attributedTo": mallory,
            "content": "Hallo groep", "audience": group, "to": [group] }
        })
        .to_string()
    };
    let inbox = format!("{}/inbox", a.base);
    let nothing = hostile.post(&inbox, &mallory, thread(1, "nietbestaand").as_bytes(), &Signing::default()).await;
    assert_eq!(hostile.post(&inbox, &mallory, thread(2, "geheim").as_bytes(), &Signing::default()).await, nothing);
    assert_eq!(a.stored_posts_containing("Hallo groep").await, 0);
}

/// Whether a JSON value holds a `null` anywhere.
fn has_null(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Null => true,
        serde_json::Value::Array(items) => items.iter().any(has_null),
        serde_json::Value::Object(map) => map.values().any(has_null),
        _ => false,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_activity_sent_can_be_fetched_by_whom_it_went_to_and_holds_no_null() {
    let cluster = Cluster::start(&["gemeente-a"]).await;
    let a = cluster.node("gemeente-a");
    let (anna, public) = public_group(a).await;
    let (_, private) = a
        .post(
            "/api/v1/groups",
            &anna,
            json!({ "name": "partners", "display_name": "Partners", "scope": "federated", "visibility": "private" }),
        )
        .await;
    let private = private["id"].as_str().expect("id").to_string();
    let hostile = Hostile::start().await;
    let mallory = hostile.actor("mallory");
    hostile.answer("/users/mallory/inbox", 202, "");
    // mallory joins both groups (the private one approved), follows anna; anna posts, edits,
    // deletes, likes and replies in both.
    for (n, group) in [(1, "omgevingswet"), (2, "partners")] {
        let follow = json!({ "@context": "https://www.w3.org/ns/activitystreams", "type": "Follow", "id": format!("{}/follows/{n}", hostile.base), "actor": mallory, "object": format!("{}/groups/{group}", a.base) });
        let (status, body) = hostile.post(&format!("{}/inbox", a.base), &mallory, follow.to_string().as_bytes(), &Signing::default()).await;
        assert_eq!(status, 202, "{body}");
    }
    let path = format!("/api/v1/groups/{private}/membership_requests");
    eventually("the request reaches A", || async { a.get(&path, &anna).await.1.as_array().map(Vec::len) == Some(1) }).await;
    let request = a.get(&path, &anna).await.1[0]["id"].as_str().expect("id").to_string();
    a.post(&format!("{path}/{request}/authorize"), &anna, json!({})).await;
    let follow_anna = json!({ "@context": "https://www.w3.org/ns/activitystreams", "type": "Follow", "id": format!("{}/follows/3", hostile.base), "actor": mallory, "object": format!("{}/users/anna", a.base) });
    hostile.post(&format!("{}/inbox", a.base), &mallory, follow_anna.to_string().as_bytes(), &Signing::default()).await;
    let mut deleted = Vec::new();
    for group in [&public, &private] {
        let (_, post) = a.post("/api/v1/statuses", &anna, json!({ "status": "Een draad", "group_id": group })).await;
        deleted.push(post["uri"].as_str().expect("uri").to_string());
        let id = post["id"].as_str().expect("id").to_string();
        a.call_put(&format!("/api/v1/statuses/{id}"), &anna, json!({ "status": "Een bewerkte draad" })).await;
        a.post(&format!("/api/v1/statuses/{id}/favourite"), &anna, json!({})).await;
        a.post("/api/v1/statuses", &anna, json!({ "status": "Een antwoord", "in_reply_to_id": id })).await;
        a.call_delete(&format!("/api/v1/statuses/{id}"), &anna).await;
    }
    eventually("A sent everything", || async { a.instance.ctx.db.read(gilde::db::jobs::pending_count).await.expect("count") == 0 }).await;

    let deliveries = a.deliveries().await;
    assert!(deliveries.len() >= 8, "the flows above made deliveries: {}", deliveries.len());
    let http = reqwest::Client::new();
    for delivery in &deliveries {
        let activity = &delivery["activity"];
        assert!(!has_null(activity), "no null in what is sent: {activity}");
        let id = activity["id"].as_str().expect("an id").to_string();
        // Whom it went to fetches it, signed, and gets that activity.
        let (status, body) = hostile.get(&id, &mallory).await;
        assert_eq!(status, 200, "{id}: {body}");
        let fetched: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(fetched["id"], activity["id"], "{id}");
        assert_eq!(fetched["type"], activity["type"], "{id}");
        // Unsigned, only what is public.
        let public = ["to", "cc"].iter().any(|k| activity[k].to_string().contains("https://www.w3.org/ns/activitystreams#Public"));
        let unsigned = http.get(&id).header("accept", "application/activity+json").send().await.expect("GET").status().as_u16();
        assert_eq!(unsigned, if public { 200 } else { 404 }, "{id} unsigned (public: {public})");
        // An embedded object of this instance can be fetched too (but the threads deleted above).
        if let Some(inner) = activity["object"]["id"].as_str().filter(|i| i.starts_with(&a.base)) {
            let (status, body) = hostile.get(inner, &mallory).await;
            let gone = deleted.iter().any(|d| inner.starts_with(d.as_str()));
            assert!(status == 200 || (status == 404 && gone), "{inner}: {status} {body}");
        }
    }
}

/// Everything the instances in this test binary log at info (and above), for tests that read
/// the log. Installed once, for the whole binary.
fn captured_log() -> std::sync::Arc<std::sync::Mutex<Vec<u8>>> {
    static LOG: std::sync::OnceLock<std::sync::Arc<std::sync::Mutex<Vec<u8>>>> = std::sync::OnceLock::new();
    LOG.get_or_init(|| {
        let log: std::sync::Arc<std::sync::Mutex<Vec<u8>>> = std::sync::Arc::default();
        let sink = log.clone();
        let writer = move || Capture(sink.clone());
        let _ = tracing_subscriber::fmt().with_env_filter("gilde=info").with_ansi(false).with_writer(writer).try_init();
        log
    })
    .clone()
}

struct Capture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_activity_is_logged_with_its_reason_and_without_its_body() {
    let log = captured_log();
    let cluster = Cluster::start(&["gemeente-a"]).await;
    let a = cluster.node("gemeente-a");
    let hostile = Hostile::start().await;
    let mallory = hostile.actor("mallory");
    let body = br#"{ "geheime-inhoud-7f3a": niet json"#;
    let (status, _) = hostile.post(&format!("{}/inbox", a.base), &mallory, body, &Signing::default()).await;
    assert_eq!(status, 400);
    let stale = Signing { date_offset: -3 * 3600, ..Signing::default() };
    let (status, _) = hostile.post(&format!("{}/inbox", a.base), &mallory, &follow(&hostile, a, 9), &stale).await;
    assert_eq!(status, 401);
    let text = String::from_utf8_lossy(&log.lock().expect("lock")).to_string();
    let refusals: Vec<&str> = text.lines().filter(|l| l.contains("inbox refused an activity") && l.contains(&a.domain)).collect();
    assert!(refusals.iter().any(|l| l.contains("INFO") && l.contains("malformed_json")), "{text}");
    assert!(refusals.iter().any(|l| l.contains("signature_invalid") && l.contains("expired")), "{text}");
    assert!(!text.contains("geheime-inhoud-7f3a"), "the body is never logged: {text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn lemmy_style_pages_are_taken_with_their_title_and_public_likes_are_public() {
    let cluster = Cluster::start(&["gemeente-a"]).await;
    let a = cluster.node("gemeente-a");
    let (anna, group) = public_group(a).await;
    let hostile = Hostile::start().await;
    // It says it runs Lemmy (a group-aware server: it gets announces of likes).
    hostile.serve(
        "/.well-known/nodeinfo",
        json!({ "links": [{ "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": format!("{}/nodeinfo/2.1", hostile.base) }] }),
    );
    hostile.serve("/nodeinfo/2.1", json!({ "version": "2.1", "software": { "name": "lemmy", "version": "0.19.5" } }));
    let community = hostile_group_known_to(a, &anna, &hostile).await;
    let mallory = hostile.actor("mallory");
    let signed = Signing::default();
    let public = "https://www.w3.org/ns/activitystreams#Public";

    // A community of a link aggregator (shaped as Lemmy's documents) announces a thread of its
    // own server: a Page with a title and a link.
    let page = json!({
        "type": "Page", "id": format!("{}/post/1", hostile.base), "attributedTo": mallory, "to": [community, public],
        "audience": community, "name": "Nieuwe fietsroute", "content": "<p>Wat vinden jullie?</p>",
        "attachment": [{ "type": "Link", "href": "https://fiets.example/route" }], "published": "2026-11-30T10:00:00Z"
    });
    let create = json!({ "type": "Create", "id": format!("{}/activities/create/1", hostile.base), "actor": mallory, "to": [public], "cc": [community], "object": page });
    let (status, body) = hostile.post(&format!("{}/inbox", a.base), &community, &announce(&hostile, &community, 1, create), &signed).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(a.stored_posts_containing("Nieuwe fietsroute").await, 1, "the title is kept");
    assert_eq!(a.stored_posts_containing("fiets.example/route").await, 1, "and the link");

    // A user of such a server starts a thread in a Gilde group with a Page.
    let follow = follow(&hostile, a, 1);
    assert_eq!(hostile.post(&format!("{}/inbox", a.base), &mallory, &follow, &signed).await.0, 202);
    eventually("mallory joined", || async { members(a, &anna, &group).await == 2 }).await;
    let group_url = format!("{}/groups/omgevingswet", a.base);
    let thread = json!({
        "@context": "https://www.w3.org/ns/activitystreams", "type": "Create", "id": format!("{}/activities/create/2", hostile.base),
        "actor": mallory, "to": [public], "cc": [group_url], "audience": group_url,
        "object": { "type": "Page", "id": format!("{}/post/2", hostile.base), "attributedTo": mallory, "to": [group_url, public],
                    "audience": group_url, "name": "Vraag over parkeren", "content": "<p>Hoe zit het?</p>" }
    });
    let (status, body) = hostile.post(&format!("{}/inbox", a.base), &mallory, thread.to_string().as_bytes(), &signed).await;
    assert_eq!(status, 202, "{body}");
    let (_, timeline) = a.get(&format!("/api/v1/timelines/group/{group}"), &anna).await;
    let shown = timeline
        .as_array()
        .and_then(|l| l.iter().find(|s| s["content"].as_str().is_some_and(|c| c.contains("Vraag over parkeren"))))
        .cloned();
    let shown = shown.unwrap_or_else(|| panic!("the thread is in the group: {timeline}"));
    assert!(
        shown["content"].as_str().is_some_and(|c| c.contains("<strong>Vraag over parkeren</strong>") && c.contains("Hoe zit het?")),
        "{shown}"
    );

    // anna likes it: the group's announce of the like is public, as Lemmy requires.
    a.post(&format!("/api/v1/statuses/{}/favourite", shown["id"].as_str().expect("id")), &anna, json!({})).await;
    eventually("the like is announced", || async {
        a.deliveries().await.iter().any(|d| d["activity"]["type"] == "Announce" && d["activity"]["object"]["type"] == "Like")
    })
    .await;
    let deliveries = a.deliveries().await;
    let like = deliveries.iter().find(|d| d["activity"]["object"]["type"] == "Like").expect("the like");
    assert!(like["activity"]["to"].to_string().contains(public), "addressed to Public: {like}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_older_edit_never_overwrites_a_newer_one() {
    let cluster = Cluster::start(&["gemeente-a"]).await;
    let a = cluster.node("gemeente-a");
    let (anna, _) = public_group(a).await;
    let hostile = Hostile::start().await;
    let group = hostile_group_known_to(a, &anna, &hostile).await;
    let mallory = hostile.actor("mallory");
    let note_id = format!("{}/notes/volgorde", hostile.base);
    let (status, body) = hostile
        .post(
            &format!("{}/inbox", a.base),
            &group,
            &announce(&hostile, &group, 1, create(&note_id, &mallory, &group, "Versie een")),
            &Signing::default(),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let edit = |n: u32, text: &str, updated: &str| {
        let note = json!({
            "type": "Note", "id": note_id, "attributedTo": mallory, "content": text, "audience": group, "updated": updated,
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [group]
        });
        let update =
            json!({ "type": "Update", "id": format!("{}/updates/{n}", hostile.base), "actor": mallory, "audience": group, "object": note });
        announce(&hostile, &group, 10 + n, update)
    };
    let inbox = format!("{}/inbox", a.base);
    assert_eq!(hostile.post(&inbox, &group, &edit(1, "Versie drie", "2026-11-30T12:00:00Z"), &Signing::default()).await.0, 202);
    assert_eq!(a.stored_posts_containing("Versie drie").await, 1);
    // An edit made earlier, arriving later: it changes nothing.
    assert_eq!(hostile.post(&inbox, &group, &edit(2, "Versie twee", "2026-11-30T11:00:00Z"), &Signing::default()).await.0, 202);
    assert_eq!(a.stored_posts_containing("Versie twee").await, 0, "an older edit never overwrites a newer one");
    assert_eq!(a.stored_posts_containing("Versie drie").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_deleting_themself_is_removed_here_and_no_one_else_can_delete_them() {
    let cluster = Cluster::start(&["gemeente-a"]).await;
    let a = cluster.node("gemeente-a");
    let (anna, group) = public_group(a).await;
    let hostile = Hostile::start().await;
    let inbox = format!("{}/inbox", a.base);
    let mallory = hostile.actor("mallory");
    let eve = hostile.actor("eve");
    let signed = Signing::default();
    let (status, _) = hostile.post(&inbox, &mallory, &follow(&hostile, a, 1), &signed).await;
    assert_eq!(status, 202);
    eventually("mallory joined", || async { members(a, &anna, &group).await == 2 }).await;
    let group_url = format!("{}/groups/omgevingswet", a.base);
    let post = create(&format!("{}/notes/weg", hostile.base), &mallory, &group_url, "<p>Straks verwijderd</p>");
    let (status, body) = hostile.post(&inbox, &mallory, post.to_string().as_bytes(), &signed).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(a.stored_posts_containing("Straks verwijderd").await, 1);
    let delete = |actor: &str, object: &str, n: u32| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams", "type": "Delete", "id": format!("{}/deletes/{n}", hostile.base),
            "actor": actor, "object": object, "to": ["https://www.w3.org/ns/activitystreams#Public"]
        })
        .to_string()
    };
    // eve cannot delete mallory.
    let (status, _) = hostile.post(&inbox, &eve, delete(&eve, &mallory, 1).as_bytes(), &signed).await;
    assert!(status < 500, "{status}");
    assert_eq!(members(a, &anna, &group).await, 2, "mallory is still a member");
    assert_eq!(a.stored_posts_containing("Straks verwijderd").await, 1);
    // mallory deletes themself: their post and membership are gone here.
    let (status, body) = hostile.post(&inbox, &mallory, delete(&mallory, &mallory, 2).as_bytes(), &signed).await;
    assert_eq!(status, 202, "{body}");
    eventually("mallory is no member any more", || async { members(a, &anna, &group).await == 1 }).await;
    assert_eq!(a.stored_posts_containing("Straks verwijderd").await, 0, "their post is gone");
    // Deleted stays deleted: their server cannot bring them back with a new post, nor by
    // following the group again.
    let again = create(&format!("{}/notes/terug", hostile.base), &mallory, &group_url, "<p>Ik ben terug</p>");
    let (status, _) = hostile.post(&inbox, &mallory, again.to_string().as_bytes(), &signed).await;
    assert!((400..500).contains(&status), "refused: {status}");
    let (status, _) = hostile.post(&inbox, &mallory, &follow(&hostile, a, 3), &signed).await;
    assert!((400..500).contains(&status), "refused: {status}");
    assert_eq!(a.stored_posts_containing("Ik ben terug").await, 0);
    assert_eq!(members(a, &anna, &group).await, 1, "not a member again");
}
