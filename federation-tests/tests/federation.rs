//! Scenarios across running instances. (Federation scenarios arrive with the federation issue.)

use federation_tests::Cluster;

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
    // Data written on one instance stays there: an account on A is unknown on B.
    let a = cluster.node("gemeente-a");
    let person = gilde::service::people::create_account(
        &a.instance.ctx,
        gilde::service::people::NewAccount {
            username: "anna".into(),
            password: "correct horse battery".into(),
            display_name: None,
            is_admin: false,
        },
    )
    .await
    .expect("create");
    let token = gilde::service::oauth::token_for_person(&a.instance.ctx, person.id).await.expect("token");
    let b = cluster.node("gemeente-b");
    let on_b = http.get(format!("{}/api/v1/accounts/verify_credentials", b.base)).bearer_auth(&token).send().await.expect("get");
    assert_eq!(on_b.status(), 401);
    let on_a = http.get(format!("{}/api/v1/accounts/verify_credentials", a.base)).bearer_auth(&token).send().await.expect("get");
    assert_eq!(on_a.status(), 200);
}
