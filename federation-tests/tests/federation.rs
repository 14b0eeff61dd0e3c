//! Scenarios across running instances: two municipalities (A, B) and a company (C).

use federation_tests::{eventually, Cluster};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn three_instances_run_side_by_side_with_their_own_data() {
    let cluster = Cluster::start(&["gemeente-a", "gemeente-b", "bedrijf-c"]).await;
    let http = reqwest::Client::new();
    let mut domains = Vec::new();
    for node in &cluster.nodes {
        let info: serde_json::Value =
            http.get(format!("{}/api/v2/instance", node.base)).send().await.expect("get").json().await.expect("json");
        assert_eq!(info["title"], node.name.as_str());
        domains.push(info["domain"].as_str().expect("domain").to_string());
    }
    domains.sort();
    domains.dedup();
    assert_eq!(domains.len(), 3, "each instance has its own address");
    let a = cluster.node("gemeente-a");
    let b = cluster.node("gemeente-b");
    let (_, token) = a.person("anna").await;
    assert_eq!(b.get("/api/v1/accounts/verify_credentials", &token).await.0, 401, "a token of A means nothing on B");
    assert_eq!(a.get("/api/v1/accounts/verify_credentials", &token).await.0, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_instance_finds_people_and_federated_groups_of_another() {
    let cluster = Cluster::start(&["gemeente-a", "gemeente-b"]).await;
    let a = cluster.node("gemeente-a");
    let b = cluster.node("gemeente-b");
    let (_, anna) = a.person("anna").await;
    let (_, bert) = b.person("bert").await;
    for (name, scope, visibility) in [
        ("omgevingswet", "federated", "public"),
        ("partners", "federated", "private"),
        ("intern", "internal", "public"),
        ("fusie", "federated", "secret"),
    ] {
        let (status, body) = a
            .post(
                "/api/v1/groups",
                &anna,
                json!({ "name": name, "display_name": name, "note": "Over **dit**", "scope": scope, "visibility": visibility }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    // B's person looks up A's public group by its address: B fetches it (signed) and stores it.
    let (status, group) = b.get(&format!("/api/v1/groups/lookup?acct=omgevingswet@{}", a.domain), &bert).await;
    assert_eq!(status, 200, "{group}");
    assert_eq!(group["acct"], format!("omgevingswet@{}", a.domain));
    assert_eq!(group["domain"], a.domain.as_str());
    assert_eq!(group["scope"], "federated");
    assert_eq!(group["locked"], false);
    assert!(group["note"].as_str().is_some_and(|n| n.contains("<strong>dit</strong>")), "{group}");
    let (_, again) = b.get(&format!("/api/v1/groups/lookup?acct=!omgevingswet@{}", a.domain), &bert).await;
    assert_eq!(again["id"], group["id"], "a second lookup finds the stored group");

    let (_, private) = b.get(&format!("/api/v1/groups/lookup?acct=partners@{}", a.domain), &bert).await;
    assert_eq!(private["locked"], true, "a private group needs approval: {private}");

    let (status, person) = b.get(&format!("/api/v1/accounts/lookup?acct=anna@{}", a.domain), &bert).await;
    assert_eq!(status, 200, "{person}");
    assert_eq!(person["acct"], format!("anna@{}", a.domain));
    assert_eq!(person["uri"], format!("{}/users/anna", a.base));

    // Internal and secret groups do not exist for B.
    for name in ["intern", "fusie", "nothing"] {
        let (status, body) = b.get(&format!("/api/v1/groups/lookup?acct={name}@{}", a.domain), &bert).await;
        assert_eq!(status, 404, "{name}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_blocked_or_unlisted_domain_is_refused_with_a_reason() {
    let cluster = Cluster::start_with(&["gemeente-a", "gemeente-b"], |name, config| {
        if name == "gemeente-b" {
            // B federates only with *.gemeente.nl: A (on localhost) is outside the list.
            config.federation.allowlist = Some(vec![gilde::config::DomainPattern::parse("*.gemeente.nl").expect("pattern")]);
        }
    })
    .await;
    let a = cluster.node("gemeente-a");
    let b = cluster.node("gemeente-b");
    let (_, anna) = a.person("anna").await;
    a.post("/api/v1/groups", &anna, json!({ "name": "omgevingswet", "display_name": "Omgevingswet", "scope": "federated" })).await;
    let (_, bert) = b.person("bert").await;
    let (status, body) = b.get(&format!("/api/v1/groups/lookup?acct=omgevingswet@{}", a.domain), &bert).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "domain_not_allowed");
    assert!(body["error"].as_str().is_some_and(|e| e.contains(&a.domain)), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_insecure_test_mode_loopback_addresses_are_never_fetched() {
    let cluster = Cluster::start_with(&["gemeente-a", "gemeente-b"], |name, config| {
        if name == "gemeente-b" {
            config.federation.insecure = false;
        }
    })
    .await;
    let a = cluster.node("gemeente-a");
    let b = cluster.node("gemeente-b");
    let (_, anna) = a.person("anna").await;
    a.post("/api/v1/groups", &anna, json!({ "name": "omgevingswet", "display_name": "Omgevingswet", "scope": "federated" })).await;
    let (_, bert) = b.person("bert").await;
    for acct in [format!("omgevingswet@{}", a.domain), "omgevingswet@127.0.0.1".to_string(), "omgevingswet@localhost".to_string()] {
        let (status, body) = b.get(&format!("/api/v1/groups/lookup?acct={acct}"), &bert).await;
        assert_eq!(status, 403, "{acct}: {body}");
        assert_eq!(body["code"], "address_not_allowed", "{acct}: {body}");
    }
}

async fn membership_state(node: &federation_tests::Node, token: &str, group_id: &str) -> Option<String> {
    let (_, group) = node.get(&format!("/api/v1/groups/{group_id}"), token).await;
    group["membership"]["state"].as_str().map(str::to_string)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_of_b_joins_a_public_group_of_a() {
    let cluster = Cluster::start(&["gemeente-a", "gemeente-b"]).await;
    let a = cluster.node("gemeente-a");
    let b = cluster.node("gemeente-b");
    let (_, anna) = a.person("anna").await;
    let (_, bert) = b.person("bert").await;
    let (_, on_a) =
        a.post("/api/v1/groups", &anna, json!({ "name": "omgevingswet", "display_name": "Omgevingswet", "scope": "federated" })).await;
    let (_, on_b) = b.get(&format!("/api/v1/groups/lookup?acct=omgevingswet@{}", a.domain), &bert).await;
    let group_b = on_b["id"].as_str().expect("id").to_string();

    let (status, joined) = b.post(&format!("/api/v1/groups/{group_b}/join"), &bert, json!({})).await;
    assert_eq!(status, 200, "{joined}");
    assert_eq!(joined["requested"], true, "B waits for A's answer: {joined}");

    // B sends a signed Follow; A verifies it, takes bert in and answers with an Accept.
    eventually("bert is a member on B", || async { membership_state(b, &bert, &group_b).await.as_deref() == Some("active") }).await;
    let group_a = on_a["id"].as_str().expect("id");
    let (_, members) = a.get(&format!("/api/v1/groups/{group_a}/memberships"), &anna).await;
    let accts: Vec<&str> = members.as_array().expect("list").iter().filter_map(|m| m["account"]["acct"].as_str()).collect();
    assert!(accts.contains(&format!("bert@{}", b.domain).as_str()), "{accts:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_private_group_holds_the_request_for_its_moderator() {
    let cluster = Cluster::start(&["gemeente-a", "gemeente-b"]).await;
    let a = cluster.node("gemeente-a");
    let b = cluster.node("gemeente-b");
    let (_, anna) = a.person("anna").await;
    let (_, bert) = b.person("bert").await;
    let (_, berta) = b.person("berta").await;
    let (_, on_a) = a
        .post(
            "/api/v1/groups",
            &anna,
            json!({ "name": "partners", "display_name": "Partners", "scope": "federated", "visibility": "private" }),
        )
        .await;
    let group_a = on_a["id"].as_str().expect("id").to_string();
    let (_, on_b) = b.get(&format!("/api/v1/groups/lookup?acct=partners@{}", a.domain), &bert).await;
    let group_b = on_b["id"].as_str().expect("id").to_string();

    for token in [&bert, &berta] {
        b.post(&format!("/api/v1/groups/{group_b}/join"), token, json!({})).await;
    }
    // Both requests reach A and wait for anna.
    let requests_path = format!("/api/v1/groups/{group_a}/membership_requests");
    eventually("both requests arrive at A", || async { a.get(&requests_path, &anna).await.1.as_array().map(Vec::len) == Some(2) }).await;
    let requests = a.get(&requests_path, &anna).await.1.as_array().cloned().unwrap_or_default();
    let id_of = |name: &str| {
        requests.iter().find(|r| r["acct"] == format!("{name}@{}", b.domain)).and_then(|r| r["id"].as_str()).expect("request").to_string()
    };
    let (bert_on_a, berta_on_a) = (id_of("bert"), id_of("berta"));
    assert_eq!(membership_state(b, &bert, &group_b).await.as_deref(), Some("pending"));

    a.post(&format!("/api/v1/groups/{group_a}/membership_requests/{bert_on_a}/authorize"), &anna, json!({})).await;
    a.post(&format!("/api/v1/groups/{group_a}/membership_requests/{berta_on_a}/reject"), &anna, json!({})).await;
    eventually("the approval reaches B", || async { membership_state(b, &bert, &group_b).await.as_deref() == Some("active") }).await;
    eventually("the refusal reaches B", || async { membership_state(b, &berta, &group_b).await.is_none() }).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unsigned_activity_is_refused_and_changes_nothing() {
    let cluster = Cluster::start(&["gemeente-a", "gemeente-b"]).await;
    let a = cluster.node("gemeente-a");
    let b = cluster.node("gemeente-b");
    let (_, anna) = a.person("anna").await;
    b.person("bert").await;
    let (_, group) =
        a.post("/api/v1/groups", &anna, json!({ "name": "omgevingswet", "display_name": "Omgevingswet", "scope": "federated" })).await;
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Follow",
        "id": format!("{}/activities/follow/forged", b.base),
        "actor": format!("{}/users/bert", b.base),
        "object": format!("{}/groups/omgevingswet", a.base),
    });
    let res = reqwest::Client::new()
        .post(format!("{}/groups/omgevingswet/inbox", a.base))
        .header("content-type", "application/activity+json")
        .body(follow.to_string())
        .send()
        .await
        .expect("post");
    assert_eq!(res.status().as_u16(), 401, "an unsigned activity must be refused");
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["code"], "signature_invalid");
    let (_, members) = a.get(&format!("/api/v1/groups/{}/memberships", group["id"].as_str().expect("id")), &anna).await;
    assert_eq!(members.as_array().map(Vec::len), Some(1), "only the owner: {members}");
}

/// Starts A and B, creates a federated group on A owned by anna, and lets bert of B join it.
/// Returns (anna's token, bert's token, A's group id, B's id for the group).
async fn joined_group(a: &federation_tests::Node, b: &federation_tests::Node, visibility: &str) -> (String, String, String, String) {
    let (_, anna) = a.person("anna").await;
    let (_, bert) = b.person("bert").await;
    let (_, on_a) = a
        .post(
            "/api/v1/groups",
            &anna,
            json!({ "name": "omgevingswet", "display_name": "Omgevingswet", "scope": "federated", "visibility": visibility }),
        )
        .await;
    let group_a = on_a["id"].as_str().expect("id").to_string();
    let (_, on_b) = b.get(&format!("/api/v1/groups/lookup?acct=omgevingswet@{}", a.domain), &bert).await;
    let group_b = on_b["id"].as_str().expect("id").to_string();
    b.post(&format!("/api/v1/groups/{group_b}/join"), &bert, json!({})).await;
    if visibility != "public" {
        let path = format!("/api/v1/groups/{group_a}/membership_requests");
        eventually("the request reaches A", || async { a.get(&path, &anna).await.1.as_array().map(Vec::len) == Some(1) }).await;
        let request = a.get(&path, &anna).await.1[0]["id"].as_str().expect("id").to_string();
        a.post(&format!("{path}/{request}/authorize"), &anna, json!({})).await;
    }
    eventually("bert is a member on B", || async { membership_state(b, &bert, &group_b).await.as_deref() == Some("active") }).await;
    (anna, bert, group_a, group_b)
}

async fn timeline_texts(node: &federation_tests::Node, token: &str, group: &str) -> Vec<String> {
    let (_, list) = node.get(&format!("/api/v1/timelines/group/{group}"), token).await;
    list.as_array().into_iter().flatten().filter_map(|s| s["text"].as_str().map(str::to_string)).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn posts_and_replies_travel_through_the_group_both_ways() {
    let cluster = Cluster::start(&["gemeente-a", "gemeente-b"]).await;
    let (a, b) = (cluster.node("gemeente-a"), cluster.node("gemeente-b"));
    let (anna, bert, group_a, group_b) = joined_group(a, b, "public").await;

    // anna posts on A: the group announces it, bert reads it on B.
    let (_, from_a) = a.post("/api/v1/statuses", &anna, json!({ "status": "Nieuwe **regels** per 1 januari", "group_id": group_a })).await;
    eventually("anna's post reaches B", || async { timeline_texts(b, &bert, &group_b).await.iter().any(|t| t.contains("regels")) }).await;
    let (_, on_b) = b.get(&format!("/api/v1/timelines/group/{group_b}"), &bert).await;
    let copy =
        on_b.as_array().and_then(|l| l.iter().find(|s| s["text"].as_str().is_some_and(|t| t.contains("regels")))).expect("post").clone();
    assert_eq!(copy["account"]["acct"], format!("anna@{}", a.domain));
    assert_eq!(copy["uri"], from_a["uri"], "the same post, by its id");
    assert!(copy["content"].as_str().is_some_and(|c| c.contains("<strong>regels</strong>")), "{copy}");

    // bert posts into the group from B: it goes to A, which stores and announces it.
    let (status, from_b) = b.post("/api/v1/statuses", &bert, json!({ "status": "Vraag uit gemeente B", "group_id": group_b })).await;
    assert_eq!(status, 200, "{from_b}");
    eventually("bert's post reaches A", || async { timeline_texts(a, &anna, &group_a).await.iter().any(|t| t.contains("gemeente B")) })
        .await;

    // bert replies on B to anna's post: the reply reaches A in its thread.
    let (status, reply) = b.post("/api/v1/statuses", &bert, json!({ "status": "Dank, duidelijk", "in_reply_to_id": copy["id"] })).await;
    assert_eq!(status, 200, "{reply}");
    let context = format!("/api/v1/statuses/{}/context", from_a["id"].as_str().expect("id"));
    eventually("the reply is in the thread on A", || async {
        a.get(&context, &anna).await.1["descendants"]
            .as_array()
            .is_some_and(|d| d.iter().any(|s| s["text"].as_str() == Some("Dank, duidelijk")))
    })
    .await;
    // Each post exactly once on each side, though it also came back in the group's announce.
    assert_eq!(a.stored_posts_containing("Vraag uit gemeente B").await, 1);
    assert_eq!(b.stored_posts_containing("Vraag uit gemeente B").await, 1);
    assert_eq!(b.stored_posts_containing("regels").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn internal_and_private_content_reaches_no_one_it_should_not() {
    let cluster = Cluster::start(&["gemeente-a", "gemeente-b", "bedrijf-c"]).await;
    let (a, b, c) = (cluster.node("gemeente-a"), cluster.node("gemeente-b"), cluster.node("bedrijf-c"));
    let (anna, bert, group_a, group_b) = joined_group(a, b, "private").await;
    // C knows the private group (its name and description are public) but has no member in it.
    let (_, carl) = c.person("carl").await;
    let (status, _) = c.get(&format!("/api/v1/groups/lookup?acct=omgevingswet@{}", a.domain), &carl).await;
    assert_eq!(status, 200);
    // An internal group of A, with a member and a post.
    let (_, intern) = a.post("/api/v1/groups", &anna, json!({ "name": "intern", "display_name": "Intern", "scope": "internal" })).await;
    a.post("/api/v1/statuses", &anna, json!({ "status": "intern-geheim: reorganisatie", "group_id": intern["id"] })).await;

    a.post("/api/v1/statuses", &anna, json!({ "status": "partner-vertrouwelijk: offerte", "group_id": group_a })).await;
    eventually("the private post reaches the member's server", || async {
        timeline_texts(b, &bert, &group_b).await.iter().any(|t| t.contains("offerte"))
    })
    .await;
    // Let any other delivery of A finish before looking at what arrived where.
    eventually("A's queue is empty", || async { a.instance.ctx.db.read(gilde::db::jobs::pending_count).await.expect("count") == 0 }).await;

    assert_eq!(c.stored_posts_containing("offerte").await, 0, "a non-member's server never receives private content");
    for node in [b, c] {
        assert_eq!(node.stored_posts_containing("intern-geheim").await, 0, "nothing of an internal group leaves A");
    }
    let deliveries = a.deliveries().await;
    assert!(!deliveries.is_empty());
    for d in &deliveries {
        let text = d.to_string();
        assert!(!text.contains("intern-geheim"), "an internal post was queued: {text}");
        assert!(d["inbox"].as_str().is_some_and(|i| i.starts_with(&b.base)), "only B's inbox: {text}");
        if text.contains("offerte") {
            assert!(!text.contains("activitystreams#Public"), "private content is never addressed to Public: {text}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn leaving_removal_and_bans_reach_the_other_side() {
    let cluster = Cluster::start(&["gemeente-a", "gemeente-b"]).await;
    let (a, b) = (cluster.node("gemeente-a"), cluster.node("gemeente-b"));
    let (anna, bert, group_a, group_b) = joined_group(a, b, "public").await;
    let members = format!("/api/v1/groups/{group_a}/memberships");
    let bert_acct = format!("bert@{}", b.domain);
    let has = |list: &serde_json::Value, acct: &str| list.as_array().is_some_and(|l| l.iter().any(|m| m["account"]["acct"] == acct));
    assert!(has(&a.get(&members, &anna).await.1, &bert_acct));

    // bert leaves on B: an Undo of his Follow reaches A.
    b.post(&format!("/api/v1/groups/{group_b}/leave"), &bert, json!({})).await;
    eventually("A forgets bert", || async { !has(&a.get(&members, &anna).await.1, &bert_acct) }).await;

    // bert joins again; anna removes him: B hears it and drops the membership.
    b.post(&format!("/api/v1/groups/{group_b}/join"), &bert, json!({})).await;
    eventually("bert is back", || async { membership_state(b, &bert, &group_b).await.as_deref() == Some("active") }).await;
    let bert_on_a = a
        .get(&members, &anna)
        .await
        .1
        .as_array()
        .and_then(|l| l.iter().find(|m| m["account"]["acct"] == bert_acct.as_str()).map(|m| m["id"].clone()))
        .expect("bert on A");
    a.post(&format!("/api/v1/groups/{group_a}/blocks"), &anna, json!({ "account_ids": [bert_on_a] })).await;
    eventually("B drops bert's membership", || async { membership_state(b, &bert, &group_b).await.is_none() }).await;

    // Banned: asking again is answered with a Reject, not left pending.
    let (_, asked) = b.post(&format!("/api/v1/groups/{group_b}/join"), &bert, json!({})).await;
    assert_eq!(asked["requested"], true, "{asked}");
    eventually("the new request is turned down", || async { membership_state(b, &bert, &group_b).await.is_none() }).await;
    assert!(!has(&a.get(&members, &anna).await.1, &bert_acct));
}

#[tokio::test(flavor = "multi_thread")]
async fn edits_and_deletes_travel_through_the_group() {
    let cluster = Cluster::start(&["gemeente-a", "gemeente-b"]).await;
    let (a, b) = (cluster.node("gemeente-a"), cluster.node("gemeente-b"));
    let (anna, bert, group_a, group_b) = joined_group(a, b, "public").await;
    let (_, by_anna) = a.post("/api/v1/statuses", &anna, json!({ "status": "Versie een", "group_id": group_a })).await;
    let (_, by_bert) = b.post("/api/v1/statuses", &bert, json!({ "status": "Bert schrijft", "group_id": group_b })).await;
    b.post("/api/v1/statuses", &bert, json!({ "status": "Nog een van bert", "group_id": group_b })).await;
    eventually("both posts are on both sides", || async {
        let (on_a, on_b) = (timeline_texts(a, &anna, &group_a).await, timeline_texts(b, &bert, &group_b).await);
        ["Versie een", "Bert schrijft", "Nog een van bert"].iter().all(|t| on_a.iter().any(|x| x == t) && on_b.iter().any(|x| x == t))
    })
    .await;

    // anna edits on A: B shows the new text.
    a.call_put(&format!("/api/v1/statuses/{}", by_anna["id"].as_str().expect("id")), &anna, json!({ "status": "Versie twee" })).await;
    eventually("the edit reaches B", || async { timeline_texts(b, &bert, &group_b).await.iter().any(|t| t == "Versie twee") }).await;

    // bert deletes his own post on B: it goes from A too.
    b.call_delete(&format!("/api/v1/statuses/{}", by_bert["id"].as_str().expect("id")), &bert).await;
    eventually("the delete reaches A", || async { !timeline_texts(a, &anna, &group_a).await.iter().any(|t| t == "Bert schrijft") }).await;

    // anna, the group's owner, deletes bert's other post on A: the group tells B.
    let on_a = a.get(&format!("/api/v1/timelines/group/{group_a}"), &anna).await.1;
    let spare_on_a =
        on_a.as_array().and_then(|l| l.iter().find(|s| s["text"] == "Nog een van bert")).map(|s| s["id"].clone()).expect("on A");
    a.call_delete(&format!("/api/v1/statuses/{}", spare_on_a.as_str().expect("id")), &anna).await;
    eventually("the moderator's delete reaches B", || async {
        !timeline_texts(b, &bert, &group_b).await.iter().any(|t| t == "Nog een van bert")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_activities_delivered_again_change_nothing() {
    let cluster = Cluster::start(&["gemeente-a", "gemeente-b"]).await;
    let (a, b) = (cluster.node("gemeente-a"), cluster.node("gemeente-b"));
    let (anna, bert, group_a, group_b) = joined_group(a, b, "public").await;
    b.post("/api/v1/statuses", &bert, json!({ "status": "Eenmalig bericht", "group_id": group_b })).await;
    eventually("the post reaches A", || async { timeline_texts(a, &anna, &group_a).await.iter().any(|t| t == "Eenmalig bericht") }).await;
    let members_path = format!("/api/v1/groups/{group_a}/memberships");
    let before = a.get(&members_path, &anna).await.1.as_array().map(Vec::len);

    // B sends its Follow and the Create again, signed anew, with the same activity ids.
    let resent = b.instance.ctx.db.write(|c| gilde::db::jobs::requeue_done(c, "deliver")).await.expect("requeue");
    assert!(resent >= 2, "the Follow and the Create: {resent}");
    b.instance.ctx.jobs_wake.notify_one();
    eventually("B delivered everything again", || async {
        b.instance.ctx.db.read(gilde::db::jobs::pending_count).await.expect("count") == 0
    })
    .await;
    eventually("A's queue is quiet", || async { a.instance.ctx.db.read(gilde::db::jobs::pending_count).await.expect("count") == 0 }).await;
    assert_eq!(a.stored_posts_containing("Eenmalig bericht").await, 1, "stored once");
    assert_eq!(b.stored_posts_containing("Eenmalig bericht").await, 1);
    assert_eq!(a.get(&members_path, &anna).await.1.as_array().map(Vec::len), before, "still one membership");
    assert_eq!(membership_state(b, &bert, &group_b).await.as_deref(), Some("active"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delivery_to_a_server_that_is_down_arrives_when_it_is_back() {
    let mut cluster = Cluster::start(&["gemeente-a", "gemeente-b"]).await;
    let (anna, bert, group_a, group_b) = {
        let (a, b) = (cluster.node("gemeente-a"), cluster.node("gemeente-b"));
        joined_group(a, b, "public").await
    };
    // B goes down; anna posts on A; A's delivery to B fails and waits for a retry.
    cluster.stop("gemeente-b").await;
    let a = cluster.node("gemeente-a");
    let (_, post) = a.post("/api/v1/statuses", &anna, json!({ "status": "Terwijl B plat lag", "group_id": group_a })).await;
    // The delivery names the post (whichever form B's server gets: an announce of the note, or of
    // its id when A has not yet learned what B runs).
    let uri = post["uri"].as_str().expect("uri").to_string();
    eventually("A's first attempt failed and was kept", || async {
        a.instance.ctx.db.read(gilde::db::jobs::pending_count).await.expect("count") == 1
            && a.deliveries().await.iter().any(|d| d.to_string().contains(&uri))
    })
    .await;
    // B comes back on the same address with the same database; A retries (now, not in 30 s).
    cluster.restart("gemeente-b").await;
    let (a, b) = (cluster.node("gemeente-a"), cluster.node("gemeente-b"));
    a.instance.ctx.db.write(gilde::db::jobs::run_all_now).await.expect("retry now");
    a.instance.ctx.jobs_wake.notify_one();
    eventually("the post arrives at B", || async { timeline_texts(b, &bert, &group_b).await.iter().any(|t| t == "Terwijl B plat lag") })
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn likes_are_counted_on_both_sides() {
    let cluster = Cluster::start(&["gemeente-a", "gemeente-b"]).await;
    let (a, b) = (cluster.node("gemeente-a"), cluster.node("gemeente-b"));
    let (anna, bert, group_a, group_b) = joined_group(a, b, "public").await;
    let (_, post) = a.post("/api/v1/statuses", &anna, json!({ "status": "Graag een duim", "group_id": group_a })).await;
    eventually("the post reaches B", || async { timeline_texts(b, &bert, &group_b).await.iter().any(|t| t == "Graag een duim") }).await;
    let on_b = b.get(&format!("/api/v1/timelines/group/{group_b}"), &bert).await.1;
    let copy_id = on_b
        .as_array()
        .and_then(|l| l.iter().find(|s| s["text"] == "Graag een duim"))
        .map(|s| s["id"].as_str().unwrap_or("").to_string())
        .expect("copy");
    let count_on_a =
        || async { a.get(&format!("/api/v1/statuses/{}", post["id"].as_str().unwrap_or("")), &anna).await.1["favourites_count"].as_i64() };

    // bert likes on B: A counts it and tells anna.
    let (status, liked) = b.post(&format!("/api/v1/statuses/{copy_id}/favourite"), &bert, json!({})).await;
    assert_eq!((status, liked["favourites_count"].as_i64()), (200, Some(1)), "{liked}");
    eventually("A counts bert's like", || async { count_on_a().await == Some(1) }).await;
    let (_, notes) = a.get("/api/v1/notifications?types[]=favourite", &anna).await;
    assert_eq!(notes[0]["account"]["acct"], format!("bert@{}", b.domain));

    // anna likes too on A: the group announces it, B counts two.
    a.post(&format!("/api/v1/statuses/{}/favourite", post["id"].as_str().expect("id")), &anna, json!({})).await;
    eventually("B counts two likes", || async {
        b.get(&format!("/api/v1/statuses/{copy_id}"), &bert).await.1["favourites_count"].as_i64() == Some(2)
    })
    .await;

    // bert takes his like back: A counts one.
    b.post(&format!("/api/v1/statuses/{copy_id}/unfavourite"), &bert, json!({})).await;
    eventually("A counts one like again", || async { count_on_a().await == Some(1) }).await;
}

/// Queues an activity on `node`, signed by its local person `name` when sent: the real signing
/// and delivery path, with JSON shaped as another implementation (Mastodon) would send it.
async fn send_raw(node: &federation_tests::Node, name: &str, inbox: &str, activity: serde_json::Value) {
    let ctx = &node.instance.ctx;
    let person = gilde::service::people::lookup(ctx, name).await.expect("person");
    let delivery = gilde::federation::deliver::Delivery {
        inbox: inbox.parse().expect("inbox"),
        signer: gilde::federation::deliver::Signer::Person(person.person.id),
        activity,
    };
    let payload = serde_json::to_string(&delivery).expect("json");
    ctx.db.write(move |c| gilde::db::jobs::enqueue(c, "deliver", &payload, gilde::db::now())).await.expect("enqueue");
    ctx.jobs_wake.notify_one();
}

fn mastodon_note(b: &federation_tests::Node, author: &str, n: u32, group_url: &str, text: &str) -> serde_json::Value {
    let actor = format!("{}/users/{author}", b.base);
    let note_id = format!("{actor}/statuses/{n}");
    let public = "https://www.w3.org/ns/activitystreams#Public";
    json!({
        "@context": ["https://www.w3.org/ns/activitystreams", { "sensitive": "as:sensitive", "toot": "http://joinmastodon.org/ns#" }],
        "id": format!("{note_id}/activity"),
        "type": "Create",
        "actor": actor,
        "to": [public],
        "cc": [format!("{actor}/followers"), group_url],
        "object": {
            "id": note_id,
            "type": "Note",
            "attributedTo": actor,
            "inReplyTo": null,
            "sensitive": false,
            "content": format!(r#"<p><span class="h-card" translate="no"><a href="{group_url}" class="u-url mention">@<span>omgevingswet</span></a></span> {text}</p>"#),
            "to": [public],
            "cc": [format!("{actor}/followers"), group_url],
            "tag": [{ "type": "Mention", "href": group_url, "name": "@omgevingswet" }],
        },
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mastodon_style_mention_of_a_public_group_starts_a_thread_in_it() {
    let cluster = Cluster::start(&["gemeente-a", "gemeente-b"]).await;
    let (a, b) = (cluster.node("gemeente-a"), cluster.node("gemeente-b"));
    let (anna, _bert, group_a, _group_b) = joined_group(a, b, "public").await;
    b.person("berta").await;
    let group_url = format!("{}/groups/omgevingswet", a.base);
    let inbox = format!("{}/inbox", a.base);

    send_raw(b, "bert", &inbox, mastodon_note(b, "bert", 1, &group_url, "Hoe zit het met de termijnen?")).await;
    eventually("the mention becomes a thread on A", || async {
        timeline_texts(a, &anna, &group_a).await.iter().any(|t| t.contains("termijnen"))
    })
    .await;
    let (_, stream) = a.get(&format!("/api/v1/timelines/group/{group_a}"), &anna).await;
    let thread = stream
        .as_array()
        .and_then(|l| l.iter().find(|s| s["text"].as_str().is_some_and(|t| t.contains("termijnen"))))
        .expect("thread")
        .clone();
    assert_eq!(thread["text"], "Hoe zit het met de termijnen?", "the group mention is not part of the text");
    assert!(!thread["content"].as_str().unwrap_or("").contains("h-card"), "{thread}");
    assert_eq!(thread["account"]["acct"], format!("bert@{}", b.domain));

    // berta never joined: her mention is refused, and stored nowhere.
    send_raw(b, "berta", &inbox, mastodon_note(b, "berta", 2, &group_url, "Ik ben geen lid")).await;
    eventually("B's delivery is done", || async { b.instance.ctx.db.read(gilde::db::jobs::pending_count).await.expect("count") == 0 })
        .await;
    assert_eq!(a.stored_posts_containing("geen lid").await, 0, "posting rules apply to every door");
}

/// An unsigned GET as any server or script could make it: (status, JSON body).
async fn fetch_unsigned(url: &str) -> (u16, serde_json::Value) {
    let res = reqwest::Client::new().get(url).header("accept", "application/activity+json").send().await.expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

/// The address of a post of `node` (its `uri`).
fn uri(status: &serde_json::Value) -> String {
    status["uri"].as_str().expect("uri").to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn objects_are_served_only_to_whom_the_visibility_table_allows() {
    let cluster = Cluster::start(&["gemeente-a", "gemeente-b", "bedrijf-c"]).await;
    let (a, b, c) = (cluster.node("gemeente-a"), cluster.node("gemeente-b"), cluster.node("bedrijf-c"));
    let (anna, _bert, private_group, _) = joined_group(a, b, "private").await;
    let (_, open) = a
        .post("/api/v1/groups", &anna, json!({ "name": "open", "display_name": "Open", "scope": "federated", "visibility": "public" }))
        .await;
    let (_, intern) = a.post("/api/v1/groups", &anna, json!({ "name": "intern", "display_name": "Intern", "scope": "internal" })).await;
    let (_, secret) = a
        .post("/api/v1/groups", &anna, json!({ "name": "geheim", "display_name": "Geheim", "scope": "federated", "visibility": "secret" }))
        .await;
    assert!(secret["id"].is_string(), "{secret}");
    let (_, open_post) =
        a.post("/api/v1/statuses", &anna, json!({ "status": "openbaar-bericht over afval", "group_id": open["id"] })).await;
    let (_, private_post) =
        a.post("/api/v1/statuses", &anna, json!({ "status": "besloten-bericht over budget", "group_id": private_group })).await;
    let (_, intern_post) = a.post("/api/v1/statuses", &anna, json!({ "status": "intern-bericht", "group_id": intern["id"] })).await;

    // A public group's actor, outbox, followers and posts are everyone's.
    let (status, outbox) = fetch_unsigned(&format!("{}/groups/open/outbox", a.base)).await;
    assert_eq!((status, outbox["type"].as_str(), outbox["totalItems"].as_i64()), (200, Some("OrderedCollection"), Some(1)), "{outbox}");
    let (_, page) = fetch_unsigned(outbox["first"].as_str().expect("first")).await;
    let item = &page["orderedItems"][0];
    assert_eq!((item["type"].as_str(), item["actor"].as_str()), (Some("Announce"), Some(format!("{}/groups/open", a.base).as_str())));
    assert!(item["object"]["object"]["content"].as_str().is_some_and(|c| c.contains("openbaar-bericht")), "{page}");
    let (status, note) = fetch_unsigned(&uri(&open_post)).await;
    assert_eq!((status, note["type"].as_str()), (200, Some("Note")), "{note}");
    assert_eq!(note["audience"], format!("{}/groups/open", a.base));
    let (status, followers) = fetch_unsigned(&format!("{}/groups/open/followers", a.base)).await;
    assert_eq!((status, followers["totalItems"].as_i64()), (200, Some(1)), "{followers}");
    let (status, featured) = fetch_unsigned(&format!("{}/groups/open/featured", a.base)).await;
    assert_eq!((status, featured["type"].as_str()), (200, Some("OrderedCollection")));

    // A private group's content needs a signed request from a member's server.
    let (status, body) = fetch_unsigned(&format!("{}/groups/omgevingswet/outbox", a.base)).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("signature_required")), "{body}");
    let (status, _) = fetch_unsigned(&uri(&private_post)).await;
    assert_eq!(status, 401);
    let (status, actor) = fetch_unsigned(&format!("{}/groups/omgevingswet", a.base)).await;
    assert_eq!((status, actor["manuallyApprovesFollowers"].as_bool()), (200, Some(true)), "the description is public");
    // A signature that does not verify is refused, not taken as anonymous.
    let res = reqwest::Client::new()
        .get(uri(&private_post))
        .header("accept", "application/activity+json")
        .header("date", "Mon, 23 Nov 2026 10:00:00 GMT")
        .header(
            "signature",
            format!(r#"keyId="{}/actor#main-key",algorithm="rsa-sha256",headers="(request-target) host date",signature="AAAA""#, c.base),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 401);

    // An internal group does not exist for other servers; a secret one not for unsigned requests.
    let intern_name = intern["name"].as_str().unwrap_or("intern");
    for url in [
        format!("{}/groups/{intern_name}", a.base),
        format!("{}/groups/{intern_name}/outbox", a.base),
        format!("{}/groups/{intern_name}/followers", a.base),
        uri(&intern_post),
        format!("{}/groups/geheim", a.base),
        format!("{}/groups/geheim/outbox", a.base),
    ] {
        assert_eq!(fetch_unsigned(&url).await.0, 404, "{url} must not be found");
    }

    // C searches by address, with C's signed fetch: the public post is found and stored; the
    // private one is refused to C (no member there), so C stores nothing of it.
    let (_, carl) = c.person("carl").await;
    let search = |q: String| format!("/api/v2/search?resolve=true&type=statuses&q={}", urlencode(&q));
    let (_, found) = c.get(&search(uri(&open_post)), &carl).await;
    assert!(found["statuses"][0]["content"].as_str().is_some_and(|t| t.contains("openbaar-bericht")), "{found}");
    let (_, found) = c.get(&search(uri(&private_post)), &carl).await;
    assert_eq!(found["statuses"].as_array().map(Vec::len), Some(0), "{found}");
    assert_eq!(c.stored_posts_containing("besloten-bericht").await, 0);
    assert_eq!(c.stored_posts_containing("openbaar-bericht").await, 1);
    // On B (bert is a member) the post arrived; B shows it to its members only.
    let (_, bert2) = b.person("bert2").await;
    let (_, found) = b.get(&search(uri(&private_post)), &bert2).await;
    assert_eq!(found["statuses"].as_array().map(Vec::len), Some(0), "bert2 is no member: {found}");
    assert_eq!(b.stored_posts_containing("besloten-bericht").await, 1);
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn joining_a_group_fetches_its_recent_history() {
    let cluster = Cluster::start(&["gemeente-a", "gemeente-b"]).await;
    let (a, b) = (cluster.node("gemeente-a"), cluster.node("gemeente-b"));
    let (_, anna) = a.person("anna").await;
    let (_, group) = a
        .post("/api/v1/groups", &anna, json!({ "name": "wonen", "display_name": "Wonen", "scope": "federated", "visibility": "private" }))
        .await;
    let group_a = group["id"].as_str().expect("id").to_string();
    // More history than one outbox page (20), with a thread and a reply.
    let (_, first) = a.post("/api/v1/statuses", &anna, json!({ "status": "historie-0 eerste draad", "group_id": group_a })).await;
    a.post("/api/v1/statuses", &anna, json!({ "status": "historie-antwoord op de eerste", "in_reply_to_id": first["id"] })).await;
    for n in 1..25 {
        a.post("/api/v1/statuses", &anna, json!({ "status": format!("historie-{n} draad"), "group_id": group_a })).await;
    }

    // Before joining, B cannot read it (see the scenario above); bert asks, anna approves.
    let (_, bert) = b.person("bert").await;
    let (_, on_b) = b.get(&format!("/api/v1/groups/lookup?acct=wonen@{}", a.domain), &bert).await;
    let group_b = on_b["id"].as_str().expect("id").to_string();
    b.post(&format!("/api/v1/groups/{group_b}/join"), &bert, json!({})).await;
    let requests = format!("/api/v1/groups/{group_a}/membership_requests");
    eventually("the request reaches A", || async { a.get(&requests, &anna).await.1.as_array().map(Vec::len) == Some(1) }).await;
    let request = a.get(&requests, &anna).await.1[0]["id"].as_str().expect("id").to_string();
    a.post(&format!("{requests}/{request}/authorize"), &anna, json!({})).await;

    eventually("the group's history arrives on B", || async { b.stored_posts_containing("historie-").await == 26 }).await;
    let texts = timeline_texts(b, &bert, &group_b).await;
    assert!(texts.iter().any(|t| t == "historie-24 draad") && texts.iter().any(|t| t == "historie-5 draad"), "{texts:?}");
    let (_, stream) = b.get(&format!("/api/v1/timelines/group/{group_b}?limit=40"), &bert).await;
    let thread =
        stream.as_array().and_then(|l| l.iter().find(|s| s["text"] == "historie-0 eerste draad")).expect("the first thread").clone();
    let (_, context) = b.get(&format!("/api/v1/statuses/{}/context", thread["id"].as_str().expect("id")), &bert).await;
    assert_eq!(context["descendants"][0]["text"], "historie-antwoord op de eerste", "the reply is in its thread");
    assert_eq!(thread["uri"], first["uri"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_company_invites_a_partner_who_joins_its_secret_group_from_home() {
    let cluster = Cluster::start(&["gemeente-a", "gemeente-b", "bedrijf-c"]).await;
    let (a, b, c) = (cluster.node("gemeente-a"), cluster.node("gemeente-b"), cluster.node("bedrijf-c"));
    let (_, cora) = c.person("cora").await;
    let (_, bert) = b.person("bert").await;
    let (_, bob) = b.person("bob").await;
    let (_, aart) = a.person("aart").await;
    let (_, group) = c
        .post(
            "/api/v1/groups",
            &cora,
            json!({ "name": "aanbesteding", "display_name": "Aanbesteding", "scope": "federated", "visibility": "secret" }),
        )
        .await;
    let group_c = group["id"].as_str().expect("id").to_string();
    c.post("/api/v1/statuses", &cora, json!({ "status": "tender-voorbereiding gestart", "group_id": group_c })).await;
    let group_url = format!("{}/groups/aanbesteding", c.base);

    // Before any invitation, no other server finds the secret group, signed or not.
    let (_, found) = b.get(&format!("/api/v2/search?resolve=true&type=groups&q={}", urlencode(&group_url)), &bert).await;
    assert_eq!(found["groups"].as_array().map(Vec::len), Some(0), "{found}");

    // cora invites bert of B: the invitation reaches B.
    let (_, remote_bert) = c.get(&format!("/api/v1/accounts/lookup?acct=bert@{}", b.domain), &cora).await;
    let (status, body) = c.post(&format!("/api/v1/groups/{group_c}/invite"), &cora, json!({ "account_ids": [remote_bert["id"]] })).await;
    assert_eq!(status, 200, "{body}");
    eventually("bert is told of the invitation on B", || async {
        b.get("/api/v1/notifications?types[]=group_invitation", &bert).await.1.as_array().is_some_and(|l| !l.is_empty())
    })
    .await;
    let (_, notes) = b.get("/api/v1/notifications?types[]=group_invitation", &bert).await;
    let invitation = &notes[0];
    assert_eq!(invitation["account"]["acct"], format!("cora@{}", c.domain), "{invitation}");
    let group_b = invitation["group"]["id"].as_str().expect("the group is shown to the invitee").to_string();
    assert_eq!(membership_state(b, &bert, &group_b).await.as_deref(), Some("invited"));
    // The secret group stays hidden from everyone else on B.
    assert_eq!(b.get(&format!("/api/v1/groups/{group_b}"), &bob).await.0, 404);

    // bert accepts on B; C takes him in, and B fetches the group's history.
    let (status, body) = b.post(&format!("/api/v1/groups/{group_b}/join"), &bert, json!({})).await;
    assert_eq!(status, 200, "{body}");
    eventually("bert is a member on B", || async { membership_state(b, &bert, &group_b).await.as_deref() == Some("active") }).await;
    let members = c.get(&format!("/api/v1/groups/{group_c}/memberships"), &cora).await.1;
    assert!(members.as_array().is_some_and(|l| l.iter().any(|m| m["account"]["acct"] == format!("bert@{}", b.domain))), "{members}");
    eventually("the history reaches B", || async { timeline_texts(b, &bert, &group_b).await.iter().any(|t| t.contains("tender")) }).await;

    // A has no member or invitee: C does not show A the group, and A stores nothing of it.
    let (_, found) = a.get(&format!("/api/v2/search?resolve=true&type=groups&q={}", urlencode(&group_url)), &aart).await;
    assert_eq!(found["groups"].as_array().map(Vec::len), Some(0), "{found}");
    assert_eq!(a.stored_posts_containing("tender").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_narrowed_to_partner_domains_refuses_and_sends_nothing_elsewhere() {
    let cluster = Cluster::start(&["gemeente-a", "gemeente-b", "bedrijf-c"]).await;
    let (a, b, c) = (cluster.node("gemeente-a"), cluster.node("gemeente-b"), cluster.node("bedrijf-c"));
    let (_, anna) = a.person("anna").await;
    let (_, group) = a
        .post("/api/v1/groups", &anna, json!({ "name": "regio", "display_name": "Regio", "scope": "federated", "visibility": "public" }))
        .await;
    let group_a = group["id"].as_str().expect("id").to_string();
    // A bad entry is refused with the field named, and changes nothing.
    let (status, body) = a.call_put(&format!("/api/v1/groups/{group_a}"), &anna, json!({ "partner_domains": ["niet een domein!"] })).await;
    assert_eq!((status, body["code"].as_str(), body["field"].as_str()), (422, Some("invalid_partner_domain"), Some("partner_domains")));
    let (status, body) = a.call_put(&format!("/api/v1/groups/{group_a}"), &anna, json!({ "partner_domains": [b.domain] })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["partner_domains"], json!([b.domain]));

    // B is a partner: bert joins. C is not: carl's request is refused at A.
    let (_, bert) = b.person("bert").await;
    let (_, carl) = c.person("carl").await;
    let (_, on_b) = b.get(&format!("/api/v1/groups/lookup?acct=regio@{}", a.domain), &bert).await;
    let group_b = on_b["id"].as_str().expect("id").to_string();
    b.post(&format!("/api/v1/groups/{group_b}/join"), &bert, json!({})).await;
    eventually("bert is a member", || async { membership_state(b, &bert, &group_b).await.as_deref() == Some("active") }).await;
    // C's signed fetch of the group is refused, so C cannot find it ...
    let (status, body) = c.get(&format!("/api/v1/groups/lookup?acct=regio@{}", a.domain), &carl).await;
    assert_ne!(status, 200, "{body}");
    // ... and a Follow from C, sent anyway over the real signing path, is refused at A.
    let group_url = format!("{}/groups/regio", a.base);
    let carl_url = format!("{}/users/carl", c.base);
    let follow = json!({ "@context": "https://www.w3.org/ns/activitystreams", "type": "Follow",
        "id": format!("{carl_url}/follows/1"), "actor": carl_url, "object": group_url, "to": [group_url] });
    send_raw(c, "carl", &format!("{}/inbox", a.base), follow).await;
    eventually("C's delivery is done", || async { c.instance.ctx.db.read(gilde::db::jobs::pending_count).await.expect("count") == 0 })
        .await;
    let members = a.get(&format!("/api/v1/groups/{group_a}/memberships"), &anna).await.1;
    assert!(members.to_string().contains("bert") && !members.to_string().contains("carl"), "{members}");

    // anna posts: it goes to B only; the content is not served to unsigned requests any more.
    let (_, post) = a.post("/api/v1/statuses", &anna, json!({ "status": "regionale-afspraak", "group_id": group_a })).await;
    eventually("the post reaches B", || async { b.stored_posts_containing("regionale-afspraak").await == 1 }).await;
    eventually("A's queue is empty", || async { a.instance.ctx.db.read(gilde::db::jobs::pending_count).await.expect("count") == 0 }).await;
    assert!(a.deliveries().await.iter().all(|d| d["inbox"].as_str().is_some_and(|i| i.starts_with(&b.base))), "only B");
    assert_eq!(c.stored_posts_containing("regionale-afspraak").await, 0);
    assert_eq!(fetch_unsigned(&uri(&post)).await.0, 401);
    let (_, found) = c.get(&format!("/api/v2/search?resolve=true&type=statuses&q={}", urlencode(&uri(&post))), &carl).await;
    assert_eq!(found["statuses"].as_array().map(Vec::len), Some(0), "{found}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_server_is_tried_rarely_and_gets_everything_when_it_is_back() {
    // A marks a server dead at its first failure (the default is after three days).
    let mut cluster = Cluster::start_with(&["gemeente-a", "gemeente-b"], |name, config| {
        if name == "gemeente-a" {
            config.federation.dead_after = std::time::Duration::ZERO;
        }
    })
    .await;
    let (anna, bert, group_a, group_b) = {
        let (a, b) = (cluster.node("gemeente-a"), cluster.node("gemeente-b"));
        joined_group(a, b, "public").await
    };
    let b_domain = cluster.node("gemeente-b").domain.clone();
    cluster.stop("gemeente-b").await;
    let a = cluster.node("gemeente-a");
    a.post("/api/v1/statuses", &anna, json!({ "status": "eerste-terwijl-b-plat-lag", "group_id": group_a })).await;
    let dead = |a: &federation_tests::Node| {
        let domain = b_domain.clone();
        let db = a.instance.ctx.db.clone();
        async move { db.read(move |c| gilde::db::servers::is_dead(c, &domain)).await.expect("read") }
    };
    eventually("B is marked dead", || dead(a)).await;
    // A later post to a dead server is not tried now but in a day.
    let (_, second) = a.post("/api/v1/statuses", &anna, json!({ "status": "tweede-terwijl-b-plat-lag", "group_id": group_a })).await;
    let second_uri = second["uri"].as_str().expect("uri").to_string();
    eventually("both deliveries wait", || async {
        a.deliveries().await.iter().any(|d| d.to_string().contains(&second_uri))
            && a.instance.ctx.db.read(gilde::db::jobs::pending_count).await.expect("count") == 2
    })
    .await;
    let in_twelve_hours = gilde::db::now() + gilde::jobs::DEAD_RETRY / 2;
    let due_soon = a.instance.ctx.db.read(move |c| gilde::db::jobs::due_by(c, in_twelve_hours)).await.expect("look");
    assert_eq!(due_soon, 0, "nothing for a dead server within hours");

    // B is back and sends something to A: A sees B alive and sends what waited, at once.
    let restarted_at = gilde::db::now();
    cluster.restart("gemeente-b").await;
    let (a, b) = (cluster.node("gemeente-a"), cluster.node("gemeente-b"));
    b.post("/api/v1/statuses", &bert, json!({ "status": "B is weer in de lucht", "group_id": group_b })).await;
    eventually("what waited arrives at B", || async {
        let texts = timeline_texts(b, &bert, &group_b).await;
        texts.iter().any(|t| t == "eerste-terwijl-b-plat-lag") && texts.iter().any(|t| t == "tweede-terwijl-b-plat-lag")
    })
    .await;
    // What waited was due only in a day: it arrived because A took B back, and recorded it. (With
    // `dead_after` zero, one later hiccup of B's, busy catching up, marks it dead again: the
    // moment it was back stays recorded.)
    eventually("A recorded B as back", || async {
        let domain = b_domain.clone();
        let server = a.instance.ctx.db.read(move |c| gilde::db::servers::find(c, &domain)).await.expect("read");
        server.and_then(|s| s.last_success_at).is_some_and(|at| at >= restarted_at)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn replies_found_by_their_thread_and_mentions_of_people_elsewhere_arrive() {
    let cluster = Cluster::start(&["gemeente-a", "gemeente-b", "bedrijf-c"]).await;
    let (a, b, c) = (cluster.node("gemeente-a"), cluster.node("gemeente-b"), cluster.node("bedrijf-c"));
    let (anna, bert, group_a, group_b) = joined_group(a, b, "public").await;
    let (_, thread) =
        a.post("/api/v1/statuses", &anna, json!({ "status": "Wie heeft ervaring met warmtenetten?", "group_id": group_a })).await;

    // A reply as Mastodon sends it: to the author's followers and Public, naming only the post
    // it answers (not the group), to A's shared inbox.
    let actor = format!("{}/users/bert", b.base);
    let note_id = format!("{actor}/statuses/77");
    let public = "https://www.w3.org/ns/activitystreams#Public";
    let reply = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{note_id}/activity"), "type": "Create", "actor": actor,
        "to": [public], "cc": [format!("{actor}/followers"), format!("{}/users/anna", a.base)],
        "object": { "id": note_id, "type": "Note", "attributedTo": actor, "inReplyTo": uri(&thread),
            "content": "<p>Wij hebben er een in Zuid</p>", "to": [public], "cc": [format!("{actor}/followers")] },
    });
    send_raw(b, "bert", &format!("{}/inbox", a.base), reply).await;
    let context = format!("/api/v1/statuses/{}/context", thread["id"].as_str().expect("id"));
    eventually("the reply is in the thread on A", || async {
        a.get(&context, &anna).await.1["descendants"].as_array().is_some_and(|d| d.iter().any(|s| s["text"] == "Wij hebben er een in Zuid"))
    })
    .await;

    // anna mentions bob of B, who is not in the group: the post reaches bob on B, who is told.
    let (_, bob) = b.person("bob").await;
    let (status, _) = a.get(&format!("/api/v1/accounts/lookup?acct=bob@{}", b.domain), &anna).await;
    assert_eq!(status, 200);
    let (_, mention) =
        a.post("/api/v1/statuses", &anna, json!({ "status": format!("@bob@{} weet jij dit?", b.domain), "group_id": group_a })).await;
    assert!(mention["mentions"].to_string().contains("bob"), "{mention}");
    eventually("bob is told on B", || async {
        b.get("/api/v1/notifications?types[]=mention", &bob)
            .await
            .1
            .as_array()
            .is_some_and(|l| l.iter().any(|n| n["status"]["text"].as_str().is_some_and(|t| t.contains("weet jij dit"))))
    })
    .await;
    assert_eq!(b.stored_posts_containing("weet jij dit").await, 1, "once, though the group announced it too");
    // C has no member in the group: a mention of carl reaches C all the same, from its author.
    let (_, carl) = c.person("carl").await;
    a.get(&format!("/api/v1/accounts/lookup?acct=carl@{}", c.domain), &anna).await;
    a.post("/api/v1/statuses", &anna, json!({ "status": format!("@carl@{} graag jouw offerte", c.domain), "group_id": group_a })).await;
    eventually("carl is told on C", || async {
        c.get("/api/v1/notifications?types[]=mention", &carl)
            .await
            .1
            .as_array()
            .is_some_and(|l| l.iter().any(|n| n["status"]["text"].as_str().is_some_and(|t| t.contains("graag jouw offerte"))))
    })
    .await;
    let _ = (bert, group_b);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mastodon_app_on_b_joins_and_posts_in_a_group_of_a_with_plain_calls() {
    let cluster = Cluster::start(&["gemeente-a", "gemeente-b"]).await;
    let (a, b) = (cluster.node("gemeente-a"), cluster.node("gemeente-b"));
    let (_, anna) = a.person("anna").await;
    let (_, bert) = b.person("bert").await;
    let (_, group) = a
        .post(
            "/api/v1/groups",
            &anna,
            json!({ "name": "omgevingswet", "display_name": "Omgevingswet", "scope": "federated", "visibility": "public" }),
        )
        .await;
    let group_a = group["id"].as_str().expect("id").to_string();

    // On B the group of A is an account, found by its address; following it joins it.
    let (status, account) = b.get(&format!("/api/v1/accounts/lookup?acct=omgevingswet@{}", a.domain), &bert).await;
    assert_eq!(status, 200, "{account}");
    assert_eq!((account["group"].as_bool(), account["acct"].as_str()), (Some(true), Some(format!("omgevingswet@{}", a.domain).as_str())));
    let account_id = account["id"].as_str().expect("id").to_string();
    b.post(&format!("/api/v1/accounts/{account_id}/follow"), &bert, json!({})).await;
    eventually("bert follows (is in) the group", || async {
        b.get(&format!("/api/v1/accounts/relationships?id[]={account_id}"), &bert).await.1[0]["following"] == true
    })
    .await;

    // A plain status that mentions the group by its address goes to A's group.
    let (status, posted) = b.post("/api/v1/statuses", &bert, json!({ "status": format!("@omgevingswet@{} vraag uit B", a.domain) })).await;
    assert_eq!(status, 200, "{posted}");
    eventually("the thread is in the group on A", || async {
        timeline_texts(a, &anna, &group_a).await.iter().any(|t| t.contains("vraag uit B"))
    })
    .await;
    // anna's post reaches bert's home on B, boosted by the group.
    a.post("/api/v1/statuses", &anna, json!({ "status": "antwoord-van-a", "group_id": group_a })).await;
    eventually("anna's post is in bert's home, boosted by the group", || async {
        b.get("/api/v1/timelines/home", &bert)
            .await
            .1
            .as_array()
            .is_some_and(|l| l.iter().any(|s| s["account"]["id"] == account_id.as_str() && s["reblog"]["text"] == "antwoord-van-a"))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_private_group_across_three_instances_reaches_every_member() {
    let cluster = Cluster::start(&["gemeente-a", "gemeente-b", "bedrijf-c"]).await;
    let (a, b, c) = (cluster.node("gemeente-a"), cluster.node("gemeente-b"), cluster.node("bedrijf-c"));
    let (anna, bert, group_a, _) = joined_group(a, b, "private").await;
    // carla on C asks too and is approved.
    let (_, carla) = c.person("carla").await;
    let (_, on_c) = c.get(&format!("/api/v1/groups/lookup?acct=omgevingswet@{}", a.domain), &carla).await;
    let group_c = on_c["id"].as_str().expect("id").to_string();
    c.post(&format!("/api/v1/groups/{group_c}/join"), &carla, json!({})).await;
    let path = format!("/api/v1/groups/{group_a}/membership_requests");
    eventually("carla's request reaches A", || async { a.get(&path, &anna).await.1.as_array().map(Vec::len) == Some(1) }).await;
    let request = a.get(&path, &anna).await.1[0]["id"].as_str().expect("id").to_string();
    a.post(&format!("{path}/{request}/authorize"), &anna, json!({})).await;
    eventually("carla is a member on C", || async { membership_state(c, &carla, &group_c).await.as_deref() == Some("active") }).await;

    // bert on B writes in A's private group: C takes it from B, its origin, which serves it to C
    // because A lists C among the servers with members.
    let (_, on_b) = b.get(&format!("/api/v1/groups/lookup?acct=omgevingswet@{}", a.domain), &bert).await;
    b.post("/api/v1/statuses", &bert, json!({ "status": "Van bert, voor alle partners", "group_id": on_b["id"] })).await;
    eventually("bert's post reaches C", || async {
        timeline_texts(c, &carla, &group_c).await.iter().any(|t| t.contains("voor alle partners"))
    })
    .await;
    // A server without members is not served it, signed or not.
    let (_, post_on_b) = b.get(&format!("/api/v1/timelines/group/{}", on_b["id"].as_str().expect("id")), &bert).await;
    let uri = post_on_b[0]["uri"].as_str().expect("uri").to_string();
    let unsigned = reqwest::Client::new().get(&uri).header("accept", "application/activity+json").send().await.expect("GET");
    assert_eq!(unsigned.status().as_u16(), 404, "not for anyone unsigned");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_of_another_instance_is_not_reconfigured_or_moderated_here() {
    let cluster = Cluster::start(&["gemeente-a", "gemeente-b"]).await;
    let (a, b) = (cluster.node("gemeente-a"), cluster.node("gemeente-b"));
    let (_, bert, _, group_b) = joined_group(a, b, "private").await;
    // Even B's admin: the group is A's.
    let ctx = &b.instance.ctx;
    let admin = gilde::service::people::create_account(
        ctx,
        gilde::service::people::NewAccount {
            username: "beheer".into(),
            password: "correct horse battery".into(),
            display_name: None,
            is_admin: true,
        },
    )
    .await
    .expect("admin");
    let admin_token = gilde::service::oauth::token_for_person(ctx, admin.id).await.expect("token");
    let (_, bert_account) = b.get("/api/v1/accounts/verify_credentials", &bert).await;
    for token in [&admin_token, &bert] {
        let (status, body) = b.call_put(&format!("/api/v1/groups/{group_b}"), token, json!({ "display_name": "Overgenomen" })).await;
        assert_eq!(status, 403, "{body}");
        assert!(body["code"] == "remote_group" || body["code"] == "moderator_only", "{body}");
    }
    let (status, body) = b.call_put(&format!("/api/v1/groups/{group_b}"), &admin_token, json!({ "visibility": "public" })).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("remote_group")), "{body}");
    let (status, body) =
        b.post(&format!("/api/v1/groups/{group_b}/kick"), &admin_token, json!({ "account_ids": [bert_account["id"]] })).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("remote_group")), "{body}");
    let (_, group) = b.get(&format!("/api/v1/groups/{group_b}"), &bert).await;
    assert_eq!(group["display_name"], "Omgevingswet", "unchanged: {group}");
}

/// A GET signed by a node's instance actor (as that server fetches files): the status.
async fn fetch_signed_by(node: &federation_tests::Node, url: &str) -> u16 {
    let actor = gilde::federation::objects::InstanceActor::load(&node.instance.ctx).await.expect("instance actor");
    let (key_id, pem) = actor.signing_key();
    let parsed = url::Url::parse(url).expect("url");
    let mut request = reqwest::Client::new().get(url);
    for (name, value) in gilde::federation::signatures::signed_get_headers(&parsed, &key_id, pem).expect("sign") {
        request = request.header(name, value);
    }
    request.send().await.expect("fetch").status().as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn files_travel_with_posts_and_stay_within_a_private_group() {
    let cluster = Cluster::start(&["gemeente-a", "gemeente-b", "bedrijf-c"]).await;
    let (a, b, c) = (cluster.node("gemeente-a"), cluster.node("gemeente-b"), cluster.node("bedrijf-c"));
    let (anna, bert, group_a, group_b) = joined_group(a, b, "private").await;
    // anna's picture is set before B first reads her actor (with her first post).
    let (status, me) =
        a.upload(&anna, "avatar", "/api/v1/accounts/update_credentials", gilde::testing::jpeg(200, 200, None), "anna.jpg").await;
    assert_eq!(status, 200, "{me}");

    // anna shares a photo and a PDF in the private group.
    let (_, photo) = a.upload(&anna, "file", "/api/v2/media", gilde::testing::jpeg(800, 600, None), "bezoek.jpg").await;
    a.call_put(&format!("/api/v1/media/{}", photo["id"].as_str().expect("id")), &anna, json!({ "description": "Het werkbezoek" })).await;
    let pdf_bytes = gilde::testing::pdf_with_text("Offerte herinrichting Kadegebied");
    let (_, pdf) = a.upload(&anna, "file", "/api/v2/media", pdf_bytes.clone(), "offerte.pdf").await;
    let (status, post) = a
        .post(
            "/api/v1/statuses",
            &anna,
            json!({ "status": "Verslag werkbezoek", "group_id": group_a, "media_ids": [photo["id"], pdf["id"]] }),
        )
        .await;
    assert_eq!(status, 200, "{post}");
    let pdf_url = post["media_attachments"][1]["url"].as_str().expect("url").to_string();

    // On B, bert sees both, kept on B (fetched from A, signed): he is not signed in at A.
    let on_b = || async {
        let (_, list) = b.get(&format!("/api/v1/timelines/group/{group_b}"), &bert).await;
        list.as_array().and_then(|l| l.iter().find(|s| s["text"].as_str().is_some_and(|t| t.contains("werkbezoek"))).cloned())
    };
    eventually("the photo and the PDF are kept on B", || async {
        on_b().await.is_some_and(|s| (0..2).all(|i| s["media_attachments"][i]["url"].as_str().is_some_and(|u| u.starts_with(&b.base))))
    })
    .await;
    let copy = on_b().await.expect("post on B");
    let files = copy["media_attachments"].as_array().expect("files");
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["type"], "image");
    assert_eq!(files[0]["description"], "Het werkbezoek", "alt text travels");
    assert_eq!(files[0]["meta"]["original"]["width"], 800);
    assert!(files[0]["remote_url"].as_str().is_some_and(|u| u.starts_with(&a.base)));
    assert_eq!(files[1]["type"], "unknown");
    assert_eq!(files[1]["remote_url"], pdf_url.as_str());
    let res = reqwest::Client::new().get(files[1]["url"].as_str().expect("url")).bearer_auth(&bert).send().await.expect("fetch");
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.bytes().await.expect("body").to_vec(), pdf_bytes, "the PDF as anna shared it");
    // Its text is found on B, by the member.
    let (_, found) = b.get("/api/v2/search?type=statuses&q=kadegebied", &bert).await;
    assert_eq!(found["statuses"].as_array().map(Vec::len), Some(1), "{found}");
    let res = reqwest::Client::new().get(files[0]["url"].as_str().expect("url")).bearer_auth(&bert).send().await.expect("fetch");
    assert_eq!(res.status().as_u16(), 200);
    let res = reqwest::Client::new().get(files[0]["url"].as_str().expect("url")).send().await.expect("fetch");
    assert_eq!(res.status().as_u16(), 404, "B keeps the private group's photo for members only");
    // anna's picture reached B, and is kept there.
    eventually("anna's picture is kept on B", || async {
        on_b().await.is_some_and(|s| s["account"]["avatar"].as_str().is_some_and(|u| u.starts_with(&format!("{}/files/", b.base))))
    })
    .await;

    // A serves the PDF to its members' servers by signed fetch only.
    assert_eq!(fetch_signed_by(b, &pdf_url).await, 200, "a member's server");
    assert_eq!(fetch_signed_by(c, &pdf_url).await, 404, "a server without members");
    assert_eq!(fetch_unsigned(&pdf_url).await.0, 404, "anyone");

    // bert's photo from B reaches A, which keeps it (fetched from B, which serves it to the
    // group's server).
    let (_, from_b) = b.upload(&bert, "file", "/api/v2/media", gilde::testing::jpeg(320, 240, None), "kade.jpg").await;
    let (status, posted) =
        b.post("/api/v1/statuses", &bert, json!({ "status": "Foto van de kade", "group_id": group_b, "media_ids": [from_b["id"]] })).await;
    assert_eq!(status, 200, "{posted}");
    eventually("bert's photo is kept on A", || async {
        let (_, list) = a.get(&format!("/api/v1/timelines/group/{group_a}"), &anna).await;
        list.as_array().is_some_and(|l| {
            l.iter().any(|s| {
                s["text"].as_str().is_some_and(|t| t.contains("kade"))
                    && s["media_attachments"][0]["url"].as_str().is_some_and(|u| u.starts_with(&a.base))
            })
        })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_account_is_removed_on_the_servers_that_knew_it() {
    let cluster = Cluster::start(&["gemeente-a", "gemeente-b"]).await;
    let (a, b) = (cluster.node("gemeente-a"), cluster.node("gemeente-b"));
    let (anna, _bert, group_a, group_b) = joined_group(a, b, "public").await;
    let bert_token = _bert;
    let (status, _) = b.post("/api/v1/statuses", &bert_token, json!({ "status": "Bert was hier", "group_id": group_b })).await;
    assert_eq!(status, 200);
    eventually("bert's post reached A", || async { a.stored_posts_containing("Bert was hier").await == 1 }).await;
    let members = |node: &'static str| {
        let (n, token, group) = if node == "a" { (a, anna.clone(), group_a.clone()) } else { (b, bert_token.clone(), group_b.clone()) };
        async move { n.get(&format!("/api/v1/groups/{group}/memberships"), &token).await.1.as_array().map_or(0, Vec::len) }
    };
    assert_eq!(members("a").await, 2);

    // B's admin deletes bert: A hears it (Delete of his actor) and removes him and his post.
    let bert = gilde::service::people::lookup(&b.instance.ctx, "bert").await.expect("bert").person.id;
    gilde::service::deletion::erase_account(&b.instance.ctx, bert).await.expect("delete");
    assert_eq!(b.stored_posts_containing("Bert was hier").await, 0, "gone on B");
    eventually("bert is no member on A any more", || async { members("a").await == 1 }).await;
    eventually("his post is gone on A", || async { a.stored_posts_containing("Bert was hier").await == 0 }).await;
    // It was the Delete of his actor that told A (his profile is emptied there).
    let bert_url = format!("{}/users/bert", b.base);
    assert!(
        b.deliveries().await.iter().any(|d| d["activity"]["type"] == "Delete" && d["activity"]["object"] == bert_url.as_str()),
        "B sent the Delete of bert's actor"
    );
    let domain = b.domain.clone();
    eventually("A emptied bert's profile", || {
        let domain = domain.clone();
        async move {
            let row = a
                .instance
                .ctx
                .db
                .read(move |conn| -> gilde::Result<_> { Ok(gilde::db::people::find_by_name(conn, "bert", Some(&domain))?) })
                .await
                .expect("read");
            row.is_some_and(|p| p.display_name.is_empty())
        }
    })
    .await;
    // B's actor for bert answers 410 Gone with a Tombstone, as Mastodon's does.
    let gone =
        reqwest::Client::new().get(&bert_url).header("accept", "application/activity+json").send().await.expect("fetch bert's actor");
    assert_eq!(gone.status().as_u16(), 410);
    assert_eq!(gone.json::<serde_json::Value>().await.expect("json")["type"], "Tombstone");
    // B's admin sees, per server, that the deletion arrived.
    let beheer = gilde::service::people::create_account(
        &b.instance.ctx,
        gilde::service::people::NewAccount {
            username: "beheer".into(),
            password: "correct horse battery".into(),
            display_name: None,
            is_admin: true,
        },
    )
    .await
    .expect("an admin")
    .id;
    let admin = gilde::service::Actor { person_id: beheer, is_admin: true };
    eventually("the deletion is reported delivered to A", || async {
        let reports = gilde::service::deletion::deletion_reports(&b.instance.ctx, &admin).await.expect("reports");
        reports
            .first()
            .is_some_and(|(d, servers)| d.username == "bert" && servers.iter().any(|s| s.domain == a.domain && s.state == "delivered"))
    })
    .await;
    let page = admin_page(b, "beheer", "/admin/deletions").await;
    assert!(page.contains(&format!("data-domain=\"{}\" data-state=\"deletion_delivered\"", a.domain)), "{page}");
}

/// An admin page of `node` as `name` sees it (signed in with a session made for them).
async fn admin_page(node: &federation_tests::Node, name: &str, path: &str) -> String {
    let ctx = &node.instance.ctx;
    let person = gilde::service::people::lookup(ctx, name).await.expect("person").person.id;
    let session = gilde::service::oauth::token_for_person(ctx, person).await.expect("session");
    let res = reqwest::Client::new()
        .get(format!("{}{path}", node.base))
        .header("cookie", format!("gilde_session={session}"))
        .send()
        .await
        .expect("page");
    assert_eq!(res.status().as_u16(), 200, "{path}");
    res.text().await.expect("html")
}

#[tokio::test(flavor = "multi_thread")]
async fn profile_fields_travel_as_property_values() {
    let cluster = Cluster::start(&["gemeente-a", "gemeente-b"]).await;
    let (a, b) = (cluster.node("gemeente-a"), cluster.node("gemeente-b"));
    let (_, anna) = a.person("anna").await;
    let (_, bert) = b.person("bert").await;
    let res = reqwest::Client::new()
        .patch(format!("{}/api/v1/accounts/update_credentials", a.base))
        .bearer_auth(&anna)
        .json(&json!({ "department": "Ruimte", "job_title": "Planoloog", "org_unit": "Team Kade", "mentor": true }))
        .send()
        .await
        .expect("update");
    assert_eq!(res.status().as_u16(), 200);
    let (status, on_b) = b.get(&format!("/api/v1/accounts/lookup?acct=anna@{}", a.domain), &bert).await;
    assert_eq!(status, 200, "{on_b}");
    assert_eq!(
        (on_b["department"].as_str(), on_b["job_title"].as_str(), on_b["org_unit"].as_str(), on_b["mentor"].as_bool()),
        (Some("Ruimte"), Some("Planoloog"), Some("Team Kade"), Some(true)),
        "B read the fields from anna's actor: {on_b}"
    );
}
