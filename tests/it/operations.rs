//! What an instance's operators watch: Prometheus metrics behind a token or on their own
//! address.

use crate::common::Server;

const TOKEN: &str = "metrics-token-for-the-monitoring";

async fn metrics(url: &str, token: Option<&str>) -> (u16, String) {
    let mut request = reqwest::Client::new().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let res = request.send().await.expect("metrics");
    (res.status().as_u16(), res.text().await.expect("text"))
}

/// The value of one series in Prometheus's text format.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| line.strip_prefix(series).and_then(|rest| rest.trim().parse().ok()))
}

#[tokio::test]
async fn prometheus_metrics_count_requests_jobs_and_failing_servers() {
    let separate = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr");
    let s = Server::start_with(|config| {
        config.metrics_token = Some(TOKEN.to_string());
        config.metrics_bind = Some(separate);
    })
    .await;
    let url = format!("{}/metrics", s.base);
    assert_eq!(metrics(&url, None).await.0, 401, "not without the token");
    assert_eq!(metrics(&url, Some("a-wrong-token-of-some-length")).await.0, 401);

    // Requests by route (the pattern, not the address) and status, with their latency.
    let (_, token) = s.person("anna").await;
    for _ in 0..2 {
        assert_eq!(s.get("/api/v1/instance", &token).await.0, 200);
    }
    assert_eq!(s.get("/api/v1/accounts/999999", &token).await.0, 404);
    let (status, text) = metrics(&url, Some(TOKEN)).await;
    assert_eq!(status, 200);
    assert_eq!(value(&text, r#"gilde_http_requests_total{method="GET",route="/api/v1/instance",status="200"}"#), Some(2.0), "{text}");
    assert_eq!(value(&text, r#"gilde_http_requests_total{method="GET",route="/api/v1/accounts/{id}",status="404"}"#), Some(1.0));
    assert_eq!(value(&text, r#"gilde_http_request_duration_seconds_count{method="GET",route="/api/v1/instance"}"#), Some(2.0));
    assert!(text.trim_end().ends_with("# EOF"), "OpenMetrics text");

    // Jobs by kind and outcome: a delivery to a server that is down fails, and will be retried.
    let anna = gilde::service::people::lookup(&s.instance.ctx, "anna").await.expect("anna").person.id;
    let delivery = gilde::federation::deliver::Delivery {
        inbox: url::Url::parse("http://127.0.0.1:9/inbox").expect("url"),
        signer: gilde::federation::deliver::Signer::Person(anna),
        activity: serde_json::json!({"type": "Create", "id": format!("{}/activities/create/1", s.base)}),
    };
    let payload = serde_json::to_string(&delivery).expect("payload");
    s.instance
        .ctx
        .db
        .write(move |conn| gilde::db::jobs::enqueue_for(conn, "deliver", &payload, gilde::db::now(), Some("127.0.0.1:9")))
        .await
        .expect("a delivery");
    s.instance.ctx.jobs_wake.notify_waiters();
    let started = std::time::Instant::now();
    loop {
        let text = metrics(&url, Some(TOKEN)).await.1;
        if value(&text, r#"gilde_jobs_total{kind="deliver",outcome="retry"}"#) == Some(1.0) {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "the failed delivery is counted: {text}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // The queue's depth and the failing servers, read from the database when scraped.
    let db = &s.instance.ctx.db;
    db.write(|conn| {
        let later = gilde::db::now() + chrono::Duration::hours(1);
        gilde::db::jobs::enqueue_for(conn, "deliver", "{}", later, Some("traag.example"))?;
        gilde::db::servers::record_failure(conn, "traag.example", gilde::db::now(), chrono::Duration::hours(72))
    })
    .await
    .expect("a waiting delivery to a failing server");
    let text = metrics(&url, Some(TOKEN)).await.1;
    assert_eq!(value(&text, r#"gilde_jobs_waiting{kind="deliver"}"#), Some(2.0), "the retried one and this one: {text}");
    assert_eq!(value(&text, r#"gilde_servers{state="failing"}"#), Some(2.0), "127.0.0.1:9 and traag.example");
    assert_eq!(value(&text, r#"gilde_servers{state="dead"}"#), Some(0.0));

    // The separate address needs no token (it is meant to stay internal).
    let (status, text) = metrics(&format!("http://{separate}/metrics"), None).await;
    assert_eq!(status, 200);
    assert!(text.contains("gilde_http_requests_total"), "{text}");
}

#[tokio::test]
async fn without_a_metrics_setting_there_are_no_metrics() {
    let s = Server::start().await;
    let (status, body) = metrics(&format!("{}/metrics", s.base), Some(TOKEN)).await;
    assert_eq!(status, 404, "{body}");
}
