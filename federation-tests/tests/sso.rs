//! Single sign-on against a real OpenID Connect provider: panva's `oidc-provider` from npm
//! (`sso/provider.mjs`, pinned in `sso/package-lock.json`), driven over HTTP as a browser would
//! (cookies kept, every redirect followed by hand so each step can be checked).
//!
//! The provider's people: anna and bram (gemeente-a.nl, in the group gilde-users), outsider
//! (another e-mail domain), nogroup (not in gilde-users). Any password signs them in at the
//! provider's development sign-in form.

use federation_tests::sso::{register, settings, Provider};
use federation_tests::{Cluster, Node};

fn provider() -> &'static Provider {
    federation_tests::sso::provider(env!("CARGO_TARGET_TMPDIR"))
}

/// A browser: keeps cookies, follows no redirect by itself.
fn browser() -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("accept-language", reqwest::header::HeaderValue::from_static("en"));
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .expect("client")
}

/// One step of a browser's visit.
struct Step {
    status: u16,
    location: Option<String>,
    url: String,
    body: String,
}

async fn get(browser: &reqwest::Client, url: &str) -> Step {
    let res = browser.get(url).send().await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
    step(url, res).await
}

async fn step(url: &str, res: reqwest::Response) -> Step {
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(|l| url::Url::parse(url).expect("url").join(l).expect("location").to_string());
    Step { status, location, url: url.to_string(), body: res.text().await.unwrap_or_default() }
}

/// Follows redirects from `start`; at the provider's sign-in form, signs in as `login`. Returns
/// the last step (not a redirect) and the callback address the provider sent the browser to.
async fn sign_in(browser: &reqwest::Client, start: &str, login: &str) -> (Step, Option<String>) {
    let mut url = start.to_string();
    let mut callback = None;
    for _ in 0..12 {
        let mut at = get(browser, &url).await;
        if url.contains("/auth/sso/callback") {
            callback = Some(url.clone());
        }
        if at.status == 200 && at.url.contains("/interaction/") {
            let res = browser
                .post(&at.url)
                .form(&[("prompt", "login"), ("login", login), ("password", "any password")])
                .send()
                .await
                .expect("submit the provider's sign-in form");
            at = step(&url, res).await;
        }
        match at.location.clone() {
            Some(next) if (300..400).contains(&at.status) => url = next,
            _ => return (at, callback),
        }
    }
    panic!("too many redirects from {start}");
}

async fn accounts(node: &Node) -> i64 {
    node.instance.ctx.db.read(|conn| Ok::<_, gilde::error::Error>(gilde::db::people::count_accounts(conn)?)).await.expect("count")
}

async fn identities(node: &Node) -> i64 {
    node.instance.ctx.db.read(|conn| Ok::<_, gilde::error::Error>(gilde::db::sso::count_identities(conn)?)).await.expect("count")
}

async fn person_named(node: &Node, name: &str) -> Option<gilde::db::people::Person> {
    let name = name.to_string();
    node.instance
        .ctx
        .db
        .read(move |conn| Ok::<_, gilde::error::Error>(gilde::db::people::find_by_name(conn, &name, None)?))
        .await
        .expect("find")
}

#[tokio::test(flavor = "multi_thread")]
async fn people_sign_in_through_their_organisations_provider() {
    let issuer = provider().issuer.clone();
    let cluster = Cluster::start_with(&["gemeente-a", "sso-only"], |name, config| {
        let client = format!("{name}-{}", config.domain.replace(':', "-"));
        config.sso = Some(settings(&issuer, &client, &["gemeente-a.nl", "*.gemeente-a.nl"], &["gilde-users"]));
        config.password_sign_in = name != "sso-only";
    })
    .await;
    let (a, only) = (cluster.node("gemeente-a"), cluster.node("sso-only"));
    register(a).await;
    register(only).await;
    a.person("jan").await;

    // The sign-in page offers the organisation's account beside the password form.
    let page = get(&browser(), &format!("{}/login", a.base)).await;
    assert!(page.body.contains("Inloggen met je Gemeente A-account") && page.body.contains("id=\"sso-sign-in\""));
    assert!(page.body.contains("name=\"password\""), "password sign-in stays on here");

    // Anna's first sign-in makes her account from the provider's claims.
    let before = accounts(a).await;
    let anna = browser();
    let (end, callback) = sign_in(&anna, &format!("{}/auth/sso", a.base), "anna").await;
    let callback = callback.expect("the provider sent the browser back to Gilde");
    assert!(callback.contains("code=") && callback.contains("state="), "{callback}");
    assert_eq!((end.status, end.url.as_str()), (200, format!("{}/", a.base).as_str()), "signed in, home: {}", end.body);
    assert!(end.body.contains("Anna de Vries"), "her name is shown");
    assert_eq!(accounts(a).await, before + 1);
    let person = person_named(a, "anna_de_vries").await.expect("the account is named after her preferred user name");
    assert_eq!((person.display_name.as_str(), person.department.as_str()), ("Anna de Vries", "Ruimtelijke ordening"));

    // The callback cannot be used twice (its state is spent): a clear page, not a session.
    let replay = get(&browser(), &callback).await;
    assert_eq!(replay.status, 400);
    assert!(replay.body.contains("id=\"sso-error\""), "{}", replay.body);
    // Even with the state's cookie (someone who copied both), a used state does not work twice.
    let state = url::Url::parse(&callback).expect("url").query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.to_string());
    let replay_with_cookie =
        browser().get(&callback).header("cookie", format!("gilde_sso={}", state.expect("state"))).send().await.expect("replay");
    assert_eq!(replay_with_cookie.status().as_u16(), 400);
    let body = replay_with_cookie.text().await.expect("body");
    assert!(body.contains("already used"), "{body}");

    // Her second sign-in (another browser) finds the same account.
    let (end, _) = sign_in(&browser(), &format!("{}/auth/sso", a.base), "anna").await;
    assert!(end.body.contains("Anna de Vries"));
    assert_eq!((accounts(a).await, identities(a).await), (before + 1, 1), "no second account");
    // A colleague whose user name is free gets their own.
    let (end, _) = sign_in(&browser(), &format!("{}/auth/sso", a.base), "bram").await;
    assert!(end.body.contains("Bram Jansen"));
    assert!(person_named(a, "bram").await.is_some());

    // Her password cannot be changed here (she has none); her account page says why.
    let account = get(&anna, &format!("{}/settings/account", a.base)).await;
    assert!(account.body.contains("id=\"sso-account\"") && !account.body.contains("name=\"new_password\""));

    // Password sign-in switched off: no form, and a POST to /login is refused.
    let page = get(&browser(), &format!("{}/login", only.base)).await;
    assert!(page.body.contains("id=\"sso-sign-in\"") && !page.body.contains("name=\"password\""), "{}", page.body);
    only.person("piet").await;
    let refused = browser()
        .post(format!("{}/login", only.base))
        .form(&[("username", "piet"), ("password", "correct horse battery"), ("csrf", "x")])
        .send()
        .await
        .expect("post");
    assert_ne!(refused.status().as_u16(), 303, "no session by password");
    let authenticated = gilde::service::people::authenticate(&only.instance.ctx, "piet", "correct horse battery").await;
    assert_eq!(authenticated.expect_err("password sign-in is off").code(), "password_sign_in_off");
    // ... and single sign-on works there.
    let (end, _) = sign_in(&browser(), &format!("{}/auth/sso", only.base), "anna").await;
    assert!(end.body.contains("Anna de Vries"), "{}", end.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn mastodon_apps_sign_in_through_the_same_single_sign_on() {
    let issuer = provider().issuer.clone();
    let cluster = Cluster::start_with(&["gemeente-a"], |_, config| {
        let client = format!("apps-{}", config.domain.replace(':', "-"));
        config.sso = Some(settings(&issuer, &client, &["gemeente-a.nl"], &[]));
        config.password_sign_in = false;
    })
    .await;
    let a = cluster.node("gemeente-a");
    register(a).await;
    let app = a.register_app("Tusky", "https://app.example/callback").await;
    let client_id = app.0.as_str();
    let verifier = "a-code-verifier-that-is-long-enough-for-pkce-0123456789";
    let challenge = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
    };
    let authorize = format!(
        "{}/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri={}&scope=read+write&state=app-state&code_challenge={challenge}&code_challenge_method=S256",
        a.base,
        url::form_urlencoded::byte_serialize(b"https://app.example/callback").collect::<String>()
    );

    // The app's sign-in page offers only the organisation's account (password sign-in is off).
    let phone = browser();
    let page = get(&phone, &authorize).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("name=\"password\""), "{}", page.body);
    let start = page.body.split("id=\"sso-sign-in\" href=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("the SSO button");
    let start = format!("{}{}", a.base, start.replace("&amp;", "&"));

    // Through the provider and back to the app's page, now signed in: one button to allow.
    let (back, _) = sign_in(&phone, &start, "anna").await;
    assert_eq!(back.status, 200, "{}", back.body);
    assert!(back.url.starts_with(&format!("{}/oauth/authorize?", a.base)), "back at the app's page: {}", back.url);
    assert!(back.body.contains("id=\"signed-in-as\">Anna de Vries"), "{}", back.body);
    let csrf = back.body.split("name=\"csrf\" value=\"").nth(1).and_then(|r| r.split('"').next()).expect("form token").to_string();
    let form = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", "https://app.example/callback"),
        ("scope", "read write"),
        ("state", "app-state"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("csrf", csrf.as_str()),
    ];
    // A forged approval (no form token of this session) is refused.
    let mut forged = form;
    forged[7].1 = "forged";
    let refused = phone.post(format!("{}/oauth/authorize", a.base)).form(&forged).send().await.expect("post");
    assert_eq!(refused.status().as_u16(), 403);
    let approved = phone.post(format!("{}/oauth/authorize", a.base)).form(&form).send().await.expect("approve");
    assert_eq!(approved.status().as_u16(), 302);
    let to = url::Url::parse(approved.headers()["location"].to_str().expect("location")).expect("url");
    assert_eq!(to.host_str(), Some("app.example"));
    let code = to.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.to_string()).expect("code");
    assert!(to.query_pairs().any(|(k, v)| k == "state" && v == "app-state"));

    // The app exchanges the code (with its PKCE verifier) and acts as Anna.
    let token = a.exchange_code(&app, &code, "https://app.example/callback", Some(verifier)).await;
    let (status, me) = a.get("/api/v1/accounts/verify_credentials", &token).await;
    assert_eq!((status, me["username"].as_str()), (200, Some("anna_de_vries")));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_sign_ins_get_a_clear_page_and_no_account() {
    let issuer = provider().issuer.clone();
    let names = ["rules", "wrong-issuer", "tamper-audience", "tamper-signature"];
    let cluster = Cluster::start_with(&names, |name, config| {
        let port = config.domain.replace(':', "-");
        let (issuer, client) = match name {
            "wrong-issuer" => (format!("{issuer}/wrong-issuer"), format!("wrong-{port}")),
            "rules" => (issuer.clone(), format!("rules-{port}")),
            tamper => (issuer.clone(), format!("{tamper}-{port}")),
        };
        config.sso = Some(settings(&issuer, &client, &["gemeente-a.nl"], &["gilde-users"]));
    })
    .await;
    for name in names {
        register(cluster.node(name)).await;
    }
    let rules = cluster.node("rules");
    let before = accounts(rules).await;

    // An e-mail address outside the allowed domains, and a person outside the allowed groups.
    for (login, code, text) in [("outsider", 403, "elders.example"), ("nogroup", 403, "not in a group")] {
        let (end, _) = sign_in(&browser(), &format!("{}/auth/sso", rules.base), login).await;
        assert_eq!(end.status, code, "{login}: {}", end.body);
        assert!(end.body.contains("id=\"sso-error\"") && end.body.contains(text), "{login}: {}", end.body);
    }
    assert_eq!(accounts(rules).await, before, "no account for people the rules keep out");

    // A callback without this browser's state cookie (a link someone was sent).
    let stranger = browser();
    let (_, callback) = {
        let someone = browser();
        // Stop at the callback: take the address the provider sends back, and hand it over.
        let mut url = format!("{}/auth/sso", rules.base);
        let mut callback = None;
        for _ in 0..10 {
            if url.contains("/auth/sso/callback") {
                callback = Some(url.clone());
                break;
            }
            let mut at = get(&someone, &url).await;
            if at.status == 200 && at.url.contains("/interaction/") {
                let res =
                    someone.post(&at.url).form(&[("prompt", "login"), ("login", "anna"), ("password", "x")]).send().await.expect("post");
                at = step(&url, res).await;
            }
            url = at.location.expect("a redirect");
        }
        ((), callback)
    };
    let callback = callback.expect("the callback address");
    let refused = get(&stranger, &callback).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("another browser"), "{}", refused.body);

    // A sign-in that took too long.
    let slow = browser();
    let begun = get(&slow, &format!("{}/auth/sso", rules.base)).await;
    assert_eq!(begun.status, 303);
    rules.instance.ctx.db.write(|conn| Ok::<_, gilde::error::Error>(gilde::db::sso::expire_all_pending(conn)?)).await.expect("expire");
    let (end, _) = sign_in(&slow, &begun.location.expect("to the provider"), "anna").await;
    assert_eq!(end.status, 400, "{}", end.body);
    assert!(end.body.contains("expired"), "{}", end.body);
    assert_eq!(accounts(rules).await, before);

    // A provider that does not call itself what the configuration says.
    let page = get(&browser(), &format!("{}/auth/sso", cluster.node("wrong-issuer").base)).await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(page.body.contains("does not describe itself as that issuer"), "{}", page.body);

    // ID tokens for another audience, or with a signature that is not the provider's.
    for name in ["tamper-audience", "tamper-signature"] {
        let node = cluster.node(name);
        let (end, _) = sign_in(&browser(), &format!("{}/auth/sso", node.base), "anna").await;
        assert_eq!(end.status, 401, "{name}: {}", end.body);
        assert!(end.body.contains("could not be verified"), "{name}: {}", end.body);
        assert_eq!(accounts(node).await, 0, "{name}: no account");
    }

    // A person the admin disabled does not get in through single sign-on either; enabled, she does.
    let (end, _) = sign_in(&browser(), &format!("{}/auth/sso", rules.base), "anna").await;
    assert_eq!(end.status, 200);
    let anna = person_named(rules, "anna_de_vries").await.expect("anna").id;
    let (admin, _) = rules.person("beheer").await;
    let ctx = &rules.instance.ctx;
    let admin_actor = gilde::service::Actor { person_id: admin, is_admin: true };
    gilde::service::accounts::set_disabled(ctx, &admin_actor, anna, true).await.expect("disable");
    let (end, _) = sign_in(&browser(), &format!("{}/auth/sso", rules.base), "anna").await;
    assert_eq!(end.status, 403, "{}", end.body);
    assert!(end.body.contains("disabled"), "{}", end.body);
    gilde::service::accounts::set_disabled(ctx, &admin_actor, anna, false).await.expect("enable");
    let (end, _) = sign_in(&browser(), &format!("{}/auth/sso", rules.base), "anna").await;
    assert_eq!(end.status, 200, "{}", end.body);
}
