//! What other servers see: WebFinger, NodeInfo, host-meta and actor documents, and what they
//! must not see (internal and secret groups).

use gilde::service::groups::NewGroupInput;
use gilde::service::{self, Scope, Visibility};
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::Server;

async fn fetch(s: &Server, path: &str, accept: &str) -> (u16, String, Value) {
    let res = s.http.get(format!("{}{path}", s.base)).header("accept", accept).send().await.expect("get");
    let status = res.status().as_u16();
    let content_type = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let text = res.text().await.expect("body");
    (status, content_type, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn group(s: &Server, owner: &str, name: &str, scope: Scope, visibility: Visibility) {
    let ctx = &s.instance.ctx;
    let person = service::people::lookup(ctx, owner).await.expect("owner");
    let actor = service::people::actor(ctx, person.person.id).await.expect("actor");
    let input = NewGroupInput {
        name: name.into(),
        display_name: name.to_uppercase(),
        note: "About it".into(),
        scope,
        visibility,
        announcements_only: false,
    };
    service::groups::create(ctx, &actor, input).await.expect("group");
}

const AP: &str = "application/activity+json";

#[tokio::test]
async fn webfinger_finds_people_and_federated_groups_only() {
    let s = Server::start().await;
    s.person("anna").await;
    group(&s, "anna", "omgevingswet", Scope::Federated, Visibility::Public).await;
    group(&s, "anna", "intern", Scope::Internal, Visibility::Public).await;
    group(&s, "anna", "fusie", Scope::Federated, Visibility::Secret).await;
    let domain = s.base.trim_start_matches("http://").to_string();

    let (status, content_type, body) =
        fetch(&s, &format!("/.well-known/webfinger?resource=acct:anna@{domain}"), "application/jrd+json").await;
    assert_eq!(status, 200, "{body}");
    assert!(content_type.starts_with("application/jrd+json"), "{content_type}");
    assert_eq!(body["subject"], format!("acct:anna@{domain}"));
    let link = body["links"].as_array().expect("links").iter().find(|l| l["rel"] == "self").expect("self link").clone();
    assert_eq!(link["href"], format!("{}/users/anna", s.base));
    assert_eq!(link["type"], "application/activity+json");

    for resource in
        [format!("acct:omgevingswet@{domain}"), format!("acct:!omgevingswet@{domain}"), format!("{}/groups/omgevingswet", s.base)]
    {
        let (status, _, body) = fetch(&s, &format!("/.well-known/webfinger?resource={resource}"), "application/jrd+json").await;
        assert_eq!(status, 200, "{resource}: {body}");
        assert!(body.to_string().contains(&format!("{}/groups/omgevingswet", s.base)), "{body}");
        assert!(body.to_string().contains("\"Group\""), "{body}");
    }
    // An internal group and a secret group do not exist for other servers; nor do other domains.
    for resource in [
        format!("acct:intern@{domain}"),
        format!("acct:fusie@{domain}"),
        "acct:anna@elsewhere.example".to_string(),
        format!("acct:nobody@{domain}"),
    ] {
        let (status, _, _) = fetch(&s, &format!("/.well-known/webfinger?resource={resource}"), "application/jrd+json").await;
        assert_eq!(status, 404, "{resource}");
    }
}

#[tokio::test]
async fn actor_documents_carry_keys_inboxes_and_moderators() {
    let s = Server::start().await;
    s.person("anna").await;
    s.person("bob").await;
    group(&s, "anna", "omgevingswet", Scope::Federated, Visibility::Public).await;
    group(&s, "bob", "partners", Scope::Federated, Visibility::Private).await;
    group(&s, "anna", "intern", Scope::Internal, Visibility::Public).await;
    group(&s, "anna", "fusie", Scope::Federated, Visibility::Secret).await;

    let (status, content_type, person) = fetch(&s, "/users/anna", AP).await;
    assert_eq!(status, 200, "{person}");
    assert!(content_type.starts_with("application/activity+json"), "{content_type}");
    assert_eq!(person["type"], "Person");
    assert_eq!(person["id"], format!("{}/users/anna", s.base));
    assert_eq!(person["preferredUsername"], "anna");
    for key in ["inbox", "outbox", "followers", "featured"] {
        assert!(person[key].as_str().is_some_and(|u| u.starts_with(&s.base)), "{key} in {person}");
    }
    assert_eq!(person["endpoints"]["sharedInbox"], format!("{}/inbox", s.base));
    assert_eq!(person["publicKey"]["id"], format!("{}/users/anna#main-key", s.base));
    assert_eq!(person["publicKey"]["owner"], person["id"]);
    let pem = person["publicKey"]["publicKeyPem"].as_str().expect("pem").to_string();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"), "{pem}");
    let (_, _, again) = fetch(&s, "/users/anna", AP).await;
    assert_eq!(again["publicKey"]["publicKeyPem"], pem.as_str(), "the key is made once and kept");

    let (status, _, g) = fetch(&s, "/groups/omgevingswet", AP).await;
    assert_eq!(status, 200, "{g}");
    assert_eq!(g["type"], "Group");
    assert_eq!(g["manuallyApprovesFollowers"], false);
    assert_eq!(g["attributedTo"], serde_json::json!([format!("{}/users/anna", s.base)]));
    assert!(g["publicKey"]["publicKeyPem"].as_str().is_some_and(|k| k.contains("PUBLIC KEY") && k != pem));
    let (_, _, private) = fetch(&s, "/groups/partners", AP).await;
    assert_eq!(private["manuallyApprovesFollowers"], true);
    assert_eq!(private["attributedTo"], serde_json::json!([format!("{}/users/bob", s.base)]));

    assert_eq!(fetch(&s, "/groups/intern", AP).await.0, 404, "an internal group is never served");
    assert_eq!(fetch(&s, "/groups/fusie", AP).await.0, 404, "a secret group is not found without a member's signature");
    assert_eq!(fetch(&s, "/users/nobody", AP).await.0, 404);
    // No keys were made for what was not served.
    let ctx = &s.instance.ctx;
    let intern = service::groups::lookup(
        ctx,
        &service::people::actor(ctx, service::people::lookup(ctx, "anna").await.expect("anna").person.id).await.expect("actor"),
        "intern",
    )
    .await
    .expect("intern");
    assert!(intern.group.public_key.is_none());

    let (status, _, app) = fetch(&s, "/actor", AP).await;
    assert_eq!(status, 200);
    assert_eq!(app["type"], "Application");
    assert!(app["preferredUsername"].as_str().is_some_and(|n| !n.is_empty()));
    assert!(app["publicKey"]["publicKeyPem"].as_str().is_some_and(|k| k.contains("PUBLIC KEY")));
}

#[tokio::test]
async fn nodeinfo_and_host_meta() {
    let s = Server::start().await;
    s.person("anna").await;
    let (status, _, links) = fetch(&s, "/.well-known/nodeinfo", "application/json").await;
    assert_eq!(status, 200);
    assert_eq!(links["links"][0]["rel"], "http://nodeinfo.diaspora.software/ns/schema/2.1");
    let href = links["links"][0]["href"].as_str().expect("href").to_string();
    let (status, _, info) = fetch(&s, href.trim_start_matches(&s.base), "application/json").await;
    assert_eq!(status, 200);
    assert_eq!(info["version"], "2.1");
    assert_eq!(info["software"]["name"], "gilde");
    assert_eq!(info["protocols"], serde_json::json!(["activitypub"]));
    assert_eq!(info["usage"]["users"]["total"], 1);
    let (status, content_type, xml) = fetch(&s, "/.well-known/host-meta", "application/xrd+xml").await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("application/xrd+xml"));
    assert!(xml.as_str().is_some_and(|x| x.contains(&format!("{}/.well-known/webfinger?resource={{uri}}", s.base))), "{xml}");
}

#[tokio::test]
async fn public_counts_count_only_what_anyone_may_read() {
    let s = Server::start().await;
    let (_, token) = s.person("anna").await;
    for (name, scope, visibility) in [
        ("open", "federated", "public"),
        ("dicht", "federated", "private"),
        ("geheim", "federated", "secret"),
        ("intern", "internal", "public"),
    ] {
        let (status, group) = s
            .call(
                Method::POST,
                "/api/v1/groups",
                Some(&token),
                Some(json!({ "name": name, "display_name": name, "scope": scope, "visibility": visibility })),
            )
            .await;
        assert_eq!(status, 200, "{group}");
        for n in 0..2 {
            let body = json!({ "status": format!("{name} {n}"), "group_id": group["id"] });
            assert_eq!(s.call(Method::POST, "/api/v1/statuses", Some(&token), Some(body)).await.0, 200);
        }
    }
    let (_, nodeinfo) = s.call(Method::GET, "/nodeinfo/2.1", None, None).await;
    assert_eq!(nodeinfo["usage"]["localPosts"], 2, "only the public federated group's posts: {nodeinfo}");
    let (_, instance) = s.call(Method::GET, "/api/v1/instance", None, None).await;
    assert_eq!(instance["stats"]["status_count"], 2, "{instance}");
}
