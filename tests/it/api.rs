//! The Mastodon-compatible API over real HTTP: shapes, OAuth, errors, paging.

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{assert_error, Server, PASSWORD};
use crate::openapi::assert_shape;

#[tokio::test]
async fn entities_match_mastodons_shapes() {
    let s = Server::start().await;
    let (anna_id, anna) = s.person("anna").await;
    let (bob_id, bob) = s.person("bob").await;

    let (status, me) = s.get("/api/v1/accounts/verify_credentials", &anna).await;
    assert_eq!(status, 200);
    assert_shape("CredentialAccount", &me);
    let (_, account) = s.get(&format!("/api/v1/accounts/{bob_id}"), &anna).await;
    assert_shape("Account", &account);
    assert_eq!(account["acct"], "bob");

    let (status, post) = s.post("/api/v1/statuses", &anna, json!({ "status": "Hi @bob, see **this**" })).await;
    assert_eq!(status, 200, "{post}");
    assert_shape("Status", &post);
    assert_eq!(post["mentions"][0]["id"], bob_id);
    let (_, reply) = s.post("/api/v1/statuses", &bob, json!({ "status": "Thanks", "in_reply_to_id": post["id"] })).await;
    assert_shape("Status", &reply);
    assert_eq!(reply["in_reply_to_account_id"], anna_id);
    let (_, context) = s.get(&format!("/api/v1/statuses/{}/context", post["id"].as_str().expect("id")), &anna).await;
    assert_shape("Context", &context);
    let (_, rel) = s.post(&format!("/api/v1/accounts/{bob_id}/follow"), &anna, json!({})).await;
    assert_shape("Relationship", &rel);
    assert_eq!(rel["following"], true);
    let (_, rels) = s.get(&format!("/api/v1/accounts/relationships?id[]={bob_id}"), &anna).await;
    assert_eq!(rels[0]["following"], true);
    let (_, notifications) = s.get("/api/v1/notifications", &bob).await;
    let list = notifications.as_array().expect("a list");
    assert_eq!(list.iter().map(|n| n["type"].as_str().unwrap_or("")).collect::<Vec<_>>(), vec!["follow", "mention"]);
    for n in list {
        assert_shape("Notification", n);
    }
    let (_, found) = s.get("/api/v2/search?q=anna", &bob).await;
    assert_shape("Search", &found);
    assert_eq!(found["accounts"][0]["id"], anna_id);
    let (_, v1) = s.call(Method::GET, "/api/v1/instance", None, None).await;
    assert_shape("V1Instance", &v1);
    let (_, v2) = s.call(Method::GET, "/api/v2/instance", None, None).await;
    assert_shape("Instance", &v2);
    assert_eq!(v2["configuration"]["statuses"]["max_characters"], 5000);
}

async fn authorize(s: &Server, client_id: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut form: Vec<(&str, &str)> = vec![
        ("client_id", client_id),
        ("redirect_uri", "https://app.example/cb"),
        ("response_type", "code"),
        ("scope", "read write"),
        ("state", "s1"),
        ("username", "anna"),
        ("password", PASSWORD),
    ];
    for (key, value) in extra {
        form.retain(|(k, _)| k != key);
        form.push((key, value));
    }
    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    no_redirect.post(format!("{}/oauth/authorize", s.base)).form(&form).send().await.expect("authorize")
}

fn code_of(res: &reqwest::Response) -> String {
    let location = res.headers()["location"].to_str().expect("location");
    let url = url::Url::parse(location).expect("url");
    assert!(location.starts_with("https://app.example/cb?"), "{location}");
    assert_eq!(url.query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.to_string()).as_deref(), Some("s1"));
    url.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.to_string()).expect("code")
}

#[tokio::test]
async fn oauth_with_pkce_client_credentials_and_revocation() {
    let s = Server::start().await;
    s.person("anna").await;
    let (_, meta) = s.call(Method::GET, "/.well-known/oauth-authorization-server", None, None).await;
    assert_eq!(meta["token_endpoint"], format!("{}/oauth/token", s.base));
    assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));

    let (status, app) = s
        .call(
            Method::POST,
            "/api/v1/apps",
            None,
            Some(json!({ "client_name": "Test", "redirect_uris": "https://app.example/cb", "scopes": "read write" })),
        )
        .await;
    assert_eq!(status, 200, "{app}");
    assert_shape("CredentialApplication", &app);
    let client_id = app["client_id"].as_str().expect("client_id").to_string();
    let secret = app["client_secret"].as_str().expect("secret").to_string();

    let page = s
        .http
        .get(format!("{}/oauth/authorize?client_id={client_id}&redirect_uri=https://app.example/cb&response_type=code&scope=read", s.base))
        .header("accept-language", "nl-NL")
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"].to_str().expect("csp").to_string();
    assert!(csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("form-action 'self' https://app.example;"), "the app's redirect may follow the form: {csp}");
    let html = page.text().await.expect("html");
    assert!(html.contains(r#"<label for="password">Wachtwoord</label>"#) && html.contains("Test"), "{html}");
    assert!(html.contains("<h1>Inloggen met een app</h1>") && html.contains(r#"href="/static/gilde.css""#), "the web UI's look, in Dutch");
    let wrong_uri = s
        .http
        .get(format!("{}/oauth/authorize?client_id={client_id}&redirect_uri=https://evil.example/&response_type=code", s.base))
        .send()
        .await
        .expect("page");
    assert_eq!(wrong_uri.status(), 422, "an unregistered redirect is refused, not followed");

    // PKCE (RFC 7636 appendix B's example pair).
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let res = authorize(&s, &client_id, &[("code_challenge", challenge), ("code_challenge_method", "S256")]).await;
    assert_eq!(res.status(), 302);
    let code = code_of(&res);
    let token_form = |code: &str, verifier: &str| json!({ "grant_type": "authorization_code", "client_id": client_id, "code": code, "redirect_uri": "https://app.example/cb", "code_verifier": verifier });
    let (status, body) =
        s.call(Method::POST, "/oauth/token", None, Some(token_form(&code, "wrong-verifier-wrong-verifier-wrong-verifier"))).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    // The failed attempt used the code up, as a stolen code must not be retried.
    let (status, _) = s.call(Method::POST, "/oauth/token", None, Some(token_form(&code, verifier))).await;
    assert_eq!(status, 400);
    let code = code_of(&authorize(&s, &client_id, &[("code_challenge", challenge), ("code_challenge_method", "S256")]).await);
    let (status, token) = s.call(Method::POST, "/oauth/token", None, Some(token_form(&code, verifier))).await;
    assert_eq!(status, 200, "{token}");
    assert_shape("Token", &token);
    assert_eq!(token["scope"], "read write");
    let access = token["access_token"].as_str().expect("token").to_string();
    assert_eq!(s.get("/api/v1/accounts/verify_credentials", &access).await.0, 200);

    // Without PKCE the secret is required.
    let code = code_of(&authorize(&s, &client_id, &[]).await);
    let (status, _) = s.call(Method::POST, "/oauth/token", None, Some(json!({ "grant_type": "authorization_code", "client_id": client_id, "code": code, "redirect_uri": "https://app.example/cb" }))).await;
    assert_eq!(status, 401);

    // A wrong password shows the form again with the error, and issues nothing.
    let wrong = authorize(&s, &client_id, &[("password", "nope")]).await;
    assert_eq!(wrong.status(), 401);

    let (status, app_token) = s
        .call(
            Method::POST,
            "/oauth/token",
            None,
            Some(json!({ "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret, "scope": "read" })),
        )
        .await;
    assert_eq!(status, 200);
    let app_token = app_token["access_token"].as_str().expect("token").to_string();
    let (status, verified) = s.get("/api/v1/apps/verify_credentials", &app_token).await;
    assert_eq!((status, verified["name"].as_str()), (200, Some("Test")));
    assert_error(&s.get("/api/v1/timelines/home", &app_token).await, 403, "user_token_required");

    let (status, _) = s
        .call(Method::POST, "/oauth/revoke", None, Some(json!({ "client_id": client_id, "client_secret": secret, "token": access })))
        .await;
    assert_eq!(status, 200);
    assert_error(&s.get("/api/v1/accounts/verify_credentials", &access).await, 401, "invalid_token");
}

#[tokio::test]
async fn scopes_limit_what_a_token_does() {
    let s = Server::start().await;
    s.person("anna").await;
    let (_, app) = s
        .call(
            Method::POST,
            "/api/v1/apps",
            None,
            Some(json!({ "client_name": "Reader", "redirect_uris": "https://app.example/cb", "scopes": "read" })),
        )
        .await;
    let client_id = app["client_id"].as_str().expect("id");
    let res = authorize(&s, client_id, &[("scope", "read")]).await;
    let code = code_of(&res);
    let (_, token) = s
        .call(Method::POST, "/oauth/token", None, Some(json!({ "grant_type": "authorization_code", "client_id": client_id, "client_secret": app["client_secret"], "code": code, "redirect_uri": "https://app.example/cb" })))
        .await;
    let read_only = token["access_token"].as_str().expect("token");
    assert_eq!(s.get("/api/v1/timelines/home", read_only).await.0, 200);
    assert_error(&s.post("/api/v1/statuses", read_only, json!({ "status": "hi" })).await, 403, "insufficient_scope");
    // An app cannot be granted more than it registered for.
    let res = authorize(&s, client_id, &[]).await;
    assert_eq!(res.status(), 422);
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let s = Server::start_with(|c| c.max_post_chars = 100).await;
    let (_, anna) = s.person("anna").await;
    let (_, bob) = s.person("bob").await;

    let malformed = s
        .http
        .post(format!("{}/api/v1/statuses", s.base))
        .bearer_auth(&anna)
        .header("content-type", "application/json")
        .body("{\"status\": ")
        .send()
        .await
        .expect("send");
    assert_eq!(malformed.status(), 400);
    let body: Value = malformed.json().await.expect("json");
    assert_eq!(body["code"], "malformed_json");

    assert_error(&s.post("/api/v1/statuses", &anna, json!({ "status": "x".repeat(101) })).await, 422, "post_too_long");
    assert_error(&s.post("/api/v1/statuses", &anna, json!({ "status": "  " })).await, 422, "empty_post");
    assert_error(&s.post("/api/v1/statuses", &anna, json!({})).await, 422, "empty_post");
    assert_error(&s.post("/api/v1/statuses", &anna, json!({ "status": "hi", "in_reply_to_id": "987654" })).await, 404, "post_not_found");
    assert_error(&s.post("/api/v1/statuses", &anna, json!({ "status": "hi", "group_id": "987654" })).await, 404, "group_not_found");
    assert_error(&s.post("/api/v1/statuses", &anna, json!({ "status": "hi", "visibility": "everyone" })).await, 422, "invalid_visibility");
    assert_error(&s.get("/api/v1/statuses/987654", &anna).await, 404, "post_not_found");
    assert_error(&s.get("/api/v1/statuses/not-a-number", &anna).await, 404, "not_found");
    assert_error(&s.get("/api/v1/accounts/987654", &anna).await, 404, "person_not_found");
    assert_error(&s.get("/api/v1/no/such/route", &anna).await, 404, "not_found");
    assert_error(&s.call(Method::GET, "/api/v1/timelines/home", None, None).await, 401, "token_required");
    assert_error(&s.call(Method::GET, "/api/v1/timelines/home", Some("forged"), None).await, 401, "invalid_token");
    assert_error(&s.get("/api/v1/timelines/home?limit=abc", &anna).await, 422, "invalid_limit");
    assert_eq!(home_len(&s, &anna).await, 0, "nothing was written");

    let (_, post) = s.post("/api/v1/statuses", &anna, json!({ "status": "mine" })).await;
    let id = post["id"].as_str().expect("id");
    assert_error(
        &s.call(Method::PUT, &format!("/api/v1/statuses/{id}"), Some(&bob), Some(json!({ "status": "hacked" }))).await,
        403,
        "not_author",
    );
    assert_error(&s.call(Method::DELETE, &format!("/api/v1/statuses/{id}"), Some(&bob), None).await, 403, "not_allowed_to_delete");
    let (_, still) = s.get(&format!("/api/v1/statuses/{id}"), &anna).await;
    assert_eq!(still["text"], "mine");

    let big = s
        .http
        .post(format!("{}/api/v1/statuses", s.base))
        .bearer_auth(&anna)
        .header("content-type", "application/json")
        .body(vec![b' '; 2 * 1024 * 1024])
        .send()
        .await
        .expect("send");
    assert_eq!(big.status(), 413);
    assert_eq!(home_len(&s, &anna).await, 1);
}

async fn home_len(s: &Server, token: &str) -> usize {
    s.get("/api/v1/timelines/home?limit=40", token).await.1.as_array().map(Vec::len).unwrap_or(999)
}

#[tokio::test]
async fn form_data_edits_deletes_and_link_paging() {
    let s = Server::start().await;
    let (_, anna) = s.person("anna").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let (status, post) = s.post_form("/api/v1/statuses", &anna, &[("status", &format!("post {i}"))]).await;
        assert_eq!(status, 200, "{post}");
        ids.push(post["id"].as_str().expect("id").to_string());
    }
    let res = s.http.get(format!("{}/api/v1/timelines/home?limit=2", s.base)).bearer_auth(&anna).send().await.expect("home");
    let link = res.headers()["link"].to_str().expect("link").to_string();
    let page: Value = res.json().await.expect("json");
    assert_eq!(
        page.as_array().map(|p| p.iter().map(|s| s["id"].as_str().unwrap_or("").to_string()).collect::<Vec<_>>()),
        Some(vec![ids[4].clone(), ids[3].clone()])
    );
    assert!(link.contains(&format!("max_id={}>; rel=\"next\"", ids[3])), "{link}");
    let next = link.split(['<', '>']).nth(1).expect("next url");
    let (_, page2) = s.get(next.trim_start_matches(&s.base), &anna).await;
    assert_eq!(page2[0]["id"].as_str(), Some(ids[2].as_str()));

    let (status, edited) =
        s.call(Method::PUT, &format!("/api/v1/statuses/{}", ids[0]), Some(&anna), Some(json!({ "status": "edited" }))).await;
    assert_eq!(status, 200);
    assert!(edited["edited_at"].is_string());
    let (status, _) = s.call(Method::DELETE, &format!("/api/v1/statuses/{}", ids[0]), Some(&anna), None).await;
    assert_eq!(status, 200);
    assert_error(&s.get(&format!("/api/v1/statuses/{}", ids[0]), &anna).await, 404, "post_not_found");
}

#[tokio::test]
async fn profile_directory_and_notifications_read_state() {
    let s = Server::start().await;
    let (anna_id, anna) = s.person("anna").await;
    let (_, bob) = s.person("bob").await;
    let (status, me) = s
        .call(
            Method::PATCH,
            "/api/v1/accounts/update_credentials",
            Some(&anna),
            Some(json!({ "display_name": "Anna", "department": "Vergunningen", "expertise": ["Omgevingswet", "GIS"] })),
        )
        .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["department"], "Vergunningen");
    let (_, dir) = s.get("/api/v1/directory?expertise=gis", &bob).await;
    assert_eq!(dir.as_array().map(|d| d.len()), Some(1));
    assert_eq!(dir[0]["id"], anna_id);
    let (_, dir) = s.get("/api/v1/directory?department=ICT", &bob).await;
    assert_eq!(dir.as_array().map(|d| d.len()), Some(0));
    let (_, lookup) = s.get("/api/v1/accounts/lookup?acct=anna", &bob).await;
    assert_eq!(lookup["id"], anna_id);

    s.post("/api/v1/statuses", &bob, json!({ "status": "Hello @anna" })).await;
    let (_, unread) = s.get("/api/v1/notifications/unread_count", &anna).await;
    assert_eq!(unread["count"], 1);
    let (_, list) = s.get("/api/v1/notifications", &anna).await;
    let id = list[0]["id"].as_str().expect("id");
    let (status, _) = s.post("/api/v1/markers", &anna, json!({ "notifications": { "last_read_id": id } })).await;
    assert_eq!(status, 200);
    let (_, unread) = s.get("/api/v1/notifications/unread_count", &anna).await;
    assert_eq!(unread["count"], 0);
}

#[tokio::test]
async fn a_trailing_slash_reaches_the_same_endpoint() {
    let s = Server::start().await;
    let (status, body) = s.call(Method::GET, "/api/v1/instance/", None, None).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["version"].as_str().is_some_and(|v| v.starts_with("4.")), "{body}");
}

#[tokio::test]
async fn sign_in_attempts_from_one_address_are_limited() {
    let s = Server::start().await;
    let (_, app) =
        s.call(Method::POST, "/api/v1/apps", None, Some(json!({ "client_name": "T", "redirect_uris": "https://app.example/cb" }))).await;
    let client_id = app["client_id"].as_str().expect("id").to_string();
    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let mut statuses = Vec::new();
    // Different names each time, so only the per-address limit can apply (burst of 30).
    for i in 0..31 {
        let name = format!("nobody{i}");
        let form =
            [("client_id", client_id.as_str()), ("redirect_uri", "https://app.example/cb"), ("username", &name), ("password", "guess")];
        statuses.push(no_redirect.post(format!("{}/oauth/authorize", s.base)).form(&form).send().await.expect("post").status().as_u16());
    }
    assert!(statuses[..30].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(statuses[30], 429, "{statuses:?}");
}

#[tokio::test]
async fn writes_are_limited_per_credential_and_reads_and_inboxes_are_not() {
    let s = Server::start_with(|c| c.write_rate_per_minute = 3).await;
    let (_, anna) = s.person("anna").await;
    let (_, bob) = s.person("bob").await;
    for n in 0..3 {
        assert_eq!(s.post("/api/v1/statuses", &anna, json!({ "status": format!("bericht {n}") })).await.0, 200);
    }
    let refused = s
        .http
        .post(format!("{}/api/v1/statuses", s.base))
        .bearer_auth(&anna)
        .json(&json!({ "status": "te veel" }))
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status().as_u16(), 429);
    let wait: u64 = refused.headers()["retry-after"].to_str().expect("header").parse().expect("seconds");
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    let body: serde_json::Value = refused.json().await.expect("json");
    assert_eq!(body["code"], "rate_limited", "{body}");
    assert_eq!(s.instance.ctx.db.read(|c| gilde::db::posts::count_containing(c, "te veel")).await.expect("count"), 0, "nothing stored");
    // Reads go on; another person (perhaps behind the same proxy) still writes; an inbox is
    // not limited here (an unsigned delivery is refused for its missing signature instead).
    assert_eq!(s.get("/api/v1/timelines/home", &anna).await.0, 200);
    assert_eq!(s.post("/api/v1/statuses", &bob, json!({ "status": "van bob" })).await.0, 200);
    for _ in 0..5 {
        let res = s.http.post(format!("{}/inbox", s.base)).json(&json!({ "type": "Create" })).send().await.expect("inbox");
        assert_ne!(res.status().as_u16(), 429);
    }
}

#[tokio::test]
async fn app_registration_has_limits_and_refuses_browser_schemes() {
    let s = Server::start().await;
    let register = |body: serde_json::Value| s.call(Method::POST, "/api/v1/apps", None, Some(body));
    let many: Vec<String> = (0..10_000).map(|i| format!("https://app.example/cb{i}")).collect();
    let (status, body) = register(json!({ "client_name": "T", "redirect_uris": many.join("\n") })).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("too_many_redirect_uris")), "{body}");
    let big = format!("https://app.example/{}", "x".repeat(500_000));
    let (status, body) = register(json!({ "client_name": "T", "redirect_uris": "https://app.example/cb", "website": big })).await;
    assert!(status == 422 || status == 413, "{status} {body}");
    for bad in ["javascript:alert(1)", "data:text/html,<script>x</script>", "file:///etc/passwd"] {
        let (status, body) = register(json!({ "client_name": "T", "redirect_uris": bad })).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("invalid_redirect_uri")), "{bad}: {body}");
    }
    let (status, body) =
        register(json!({ "client_name": "T", "redirect_uris": "https://app.example/cb", "website": "javascript:x" })).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("invalid_website")), "{body}");
    // What apps use is fine: an app's own scheme, the out-of-band URN, a web address.
    for good in ["nl.gemeente.app:/oauth", "urn:ietf:wg:oauth:2.0:oob", "https://app.example/cb"] {
        let (status, body) = register(json!({ "client_name": "T", "redirect_uris": good, "website": "https://app.example" })).await;
        assert_eq!(status, 200, "{good}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ready_says_the_database_answers_with_every_migration_applied() {
    let s = Server::start().await;
    let res = s.http.get(format!("{}/ready", s.base)).send().await.expect("ready");
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.json::<serde_json::Value>().await.expect("json")["status"], "ready");
}

#[tokio::test(flavor = "multi_thread")]
async fn profiles_carry_a_job_title_an_organisation_unit_and_mentors_are_found() {
    let s = Server::start().await;
    let (_, anna) = s.person("anna").await;
    let (_, bob) = s.person("bob").await;
    let (status, me) = s
        .call(
            Method::PATCH,
            "/api/v1/accounts/update_credentials",
            Some(&anna),
            Some(json!({ "job_title": "Beleidsmedewerker", "org_unit": "Team Wonen", "mentor": true })),
        )
        .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(
        (me["job_title"].as_str(), me["org_unit"].as_str(), me["mentor"].as_bool()),
        (Some("Beleidsmedewerker"), Some("Team Wonen"), Some(true))
    );
    assert!(
        me["fields"].as_array().is_some_and(|f| f.iter().any(|f| f["name"] == "Job title" && f["value"] == "Beleidsmedewerker")),
        "{me}"
    );
    let (_, mentors) = s.get("/api/v1/directory?mentor=true", &bob).await;
    let names: Vec<&str> = mentors.as_array().expect("list").iter().filter_map(|a| a["username"].as_str()).collect();
    assert_eq!(names, vec!["anna"], "only mentors");
    let (_, everyone) = s.get("/api/v1/directory", &bob).await;
    assert!(everyone.as_array().is_some_and(|l| l.len() >= 2));
    let long = "x".repeat(500);
    assert_error(
        &s.call(Method::PATCH, "/api/v1/accounts/update_credentials", Some(&anna), Some(json!({ "job_title": long }))).await,
        422,
        "too_long",
    );
}
