//! Scenarios across running instances: two municipalities (A, B) and a company (C).

use federation_tests::Cluster;
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
