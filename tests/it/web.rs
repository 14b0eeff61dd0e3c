//! The web UI's first pages over HTTP: sign in and out, the home stream, languages, and the
//! security every page has. (Browser tests come with the pages that need them.)

use reqwest::header::{ACCEPT_LANGUAGE, CONTENT_SECURITY_POLICY, COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use serde_json::json;

use crate::common::{Server, PASSWORD};

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(Policy::none()).build().expect("client")
}

fn cookie_value(res: &reqwest::Response, name: &str) -> Option<(String, String)> {
    res.headers().get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
        let (pair, _) = v.split_once(';').unwrap_or((v, ""));
        let (k, value) = pair.split_once('=')?;
        (k == name).then(|| (value.to_string(), v.to_string()))
    })
}

fn hidden_csrf(html: &str) -> String {
    let re = regex::Regex::new(r#"name="csrf" value="([^"]+)""#).expect("regex");
    re.captures(html).map(|c| c[1].to_string()).expect("a csrf field")
}

#[tokio::test]
async fn sign_in_read_home_and_sign_out_in_dutch_or_english() {
    let s = Server::start().await;
    let (_, anna) = s.person("anna").await;
    let (_, group) = s.post("/api/v1/groups", &anna, json!({ "name": "wonen", "display_name": "Wonen" })).await;
    s.post("/api/v1/statuses", &anna, json!({ "status": "Welkom **allemaal** <script>alert(1)</script>", "group_id": group["id"] })).await;
    let web = client();

    // Without a session, home sends you to the sign-in page, in the browser's language.
    let res = web.get(&s.base).send().await.expect("home");
    assert_eq!((res.status().as_u16(), res.headers().get(LOCATION).and_then(|v| v.to_str().ok())), (303, Some("/login")));
    let res = web.get(format!("{}/login", s.base)).header(ACCEPT_LANGUAGE, "nl-NL,nl;q=0.9").send().await.expect("login");
    let csp = res.headers().get(CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "a strict CSP: {csp}");
    let (form_secret, _) = cookie_value(&res, "gilde_form").expect("a form cookie");
    let html = res.text().await.expect("html");
    assert!(html.contains("<h1>Inloggen</h1>") && html.contains(r#"<html lang="nl">"#), "Dutch: {html}");
    assert!(html.contains(r#"<label for="username">Gebruikersnaam</label>"#), "labelled fields");
    let csrf = hidden_csrf(&html);
    let en = web.get(format!("{}/login", s.base)).header(ACCEPT_LANGUAGE, "en-GB").send().await.expect("login").text().await.expect("html");
    assert!(en.contains("<h1>Sign in</h1>"), "English");

    // A form without its token is refused; a wrong password is shown next to the field.
    let res = web.post(format!("{}/login", s.base)).form(&[("username", "anna"), ("password", PASSWORD)]).send().await.expect("post");
    assert_eq!(res.status().as_u16(), 403);
    let res = web
        .post(format!("{}/login", s.base))
        .header(COOKIE, format!("gilde_form={form_secret}"))
        .header(ACCEPT_LANGUAGE, "nl")
        .form(&[("csrf", csrf.as_str()), ("username", "anna"), ("password", "fout wachtwoord")])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status().as_u16(), 401);
    let html = res.text().await.expect("html");
    assert!(html.contains(r#"id="username-error">De gebruikersnaam of het wachtwoord klopt niet."#), "{html}");

    // Signing in sets an HttpOnly, SameSite=Lax session cookie (not Secure on plain http).
    let res = web
        .post(format!("{}/login", s.base))
        .header(COOKIE, format!("gilde_form={form_secret}"))
        .form(&[("csrf", csrf.as_str()), ("username", "anna"), ("password", PASSWORD)])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status().as_u16(), 303);
    let (session, header) = cookie_value(&res, "gilde_session").expect("a session cookie");
    assert!(header.contains("HttpOnly") && header.contains("SameSite=Lax") && !header.contains("Secure"), "{header}");

    // Home shows the group's post, sanitised, marked as internal, in English for an English browser.
    let res = web.get(&s.base).header(COOKIE, format!("gilde_session={session}")).header(ACCEPT_LANGUAGE, "en").send().await.expect("home");
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.expect("html");
    assert!(html.contains("Welkom <strong>allemaal</strong>"), "{html}");
    assert!(!html.contains("<script>alert"), "user content only ever sanitised");
    assert!(
        html.contains(r#"class="group" href="/g/"#)
            && html.contains(">Wonen</a>")
            && html.contains(r#"<span class="badge">internal</span>"#),
        "{html}"
    );
    assert!(html.contains("Sign out"), "{html}");

    // Sign out needs the session's form token; then the session is over.
    let res = web
        .post(format!("{}/logout", s.base))
        .header(COOKIE, format!("gilde_session={session}"))
        .form(&[("csrf", "nope")])
        .send()
        .await
        .expect("out");
    assert_eq!(res.status().as_u16(), 403);
    let csrf = hidden_csrf(&html);
    let res = web
        .post(format!("{}/logout", s.base))
        .header(COOKIE, format!("gilde_session={session}"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("out");
    assert_eq!(res.status().as_u16(), 303);
    let res = web.get(&s.base).header(COOKIE, format!("gilde_session={session}")).send().await.expect("home");
    assert_eq!(res.status().as_u16(), 303, "the session no longer signs in");
}

/// A page for a signed-in browser (in Dutch): status and HTML.
async fn page(s: &Server, web: &reqwest::Client, session: &str, path: &str) -> (u16, String) {
    let res = web
        .get(format!("{}{path}", s.base))
        .header(COOKIE, format!("gilde_session={session}"))
        .header(ACCEPT_LANGUAGE, "nl")
        .send()
        .await
        .expect("get");
    (res.status().as_u16(), res.text().await.expect("html"))
}

/// Submits a form as a signed-in browser; returns the status.
async fn submit(s: &Server, web: &reqwest::Client, session: &str, path: &str, form: &[(&str, String)]) -> u16 {
    web.post(format!("{}{path}", s.base))
        .header(COOKIE, format!("gilde_session={session}"))
        .form(form)
        .send()
        .await
        .expect("post")
        .status()
        .as_u16()
}

/// Signs `name` in through the form; returns the session cookie's value.
async fn sign_in(s: &Server, web: &reqwest::Client, name: &str) -> String {
    sign_in_with(s, web, name, PASSWORD).await.expect("session")
}

#[tokio::test]
async fn groups_pages_show_clear_states_and_take_posts() {
    let s = Server::start().await;
    let (_, owner) = s.person("owner").await;
    s.person("bob").await;
    let (_, open) =
        s.post("/api/v1/groups", &owner, json!({ "name": "wonen", "display_name": "Wonen", "note": "Alles over **wonen**" })).await;
    let (_, closed) = s
        .post(
            "/api/v1/groups",
            &owner,
            json!({ "name": "budget", "display_name": "Budget", "visibility": "private", "scope": "federated" }),
        )
        .await;
    let (_, secret) = s.post("/api/v1/groups", &owner, json!({ "name": "fusie", "display_name": "Fusie", "visibility": "secret" })).await;
    s.post("/api/v1/statuses", &owner, json!({ "status": "begroting-2027", "group_id": closed["id"] })).await;
    let web = client();
    let bob = sign_in(&s, &web, "bob").await;
    // The overview lists what bob may join, marks internal groups, and hides the secret one.
    let (status, html) = page(&s, &web, &bob, "/groups").await;
    assert_eq!(status, 200);
    assert!(html.contains(">Wonen</a>") && html.contains(">Budget</a>") && !html.contains("Fusie"), "{html}");
    assert!(html.contains(r#"<span class="badge">intern</span>"#), "internal groups are marked: {html}");
    let csrf = hidden_csrf(&html);
    // A private group shows its description and "request to join"; after asking, "pending";
    // its posts stay closed.
    let closed_id = closed["id"].as_str().expect("id").to_string();
    let (_, html) = page(&s, &web, &bob, &format!("/g/{closed_id}")).await;
    assert!(html.contains("Vraag lidmaatschap aan") && html.contains("Alleen leden") && !html.contains("begroting-2027"), "{html}");
    assert_eq!(submit(&s, &web, &bob, &format!("/g/{closed_id}/join"), &[("csrf", csrf.clone())]).await, 303);
    let (_, html) = page(&s, &web, &bob, &format!("/g/{closed_id}")).await;
    assert!(html.contains("Aanvraag in behandeling"), "{html}");

    // A secret group is not found; a form without its token changes nothing.
    assert_eq!(page(&s, &web, &bob, &format!("/g/{}", secret["id"].as_str().expect("id"))).await.0, 404);
    let open_id = open["id"].as_str().expect("id").to_string();
    assert_eq!(submit(&s, &web, &bob, &format!("/g/{open_id}/join"), &[("csrf", "fout".into())]).await, 403);
    let (_, html) = page(&s, &web, &bob, &format!("/g/{open_id}")).await;
    assert!(html.contains("Lid worden") && html.contains("Alles over <strong>wonen</strong>"), "{html}");

    // Joining a public group, then posting in it from its page.
    assert_eq!(submit(&s, &web, &bob, &format!("/g/{open_id}/join"), &[("csrf", csrf.clone())]).await, 303);
    assert_eq!(
        submit(
            &s,
            &web,
            &bob,
            &format!("/g/{open_id}/post"),
            &[("csrf", csrf.clone()), ("status", "Eerste bericht via de **webinterface**".into())]
        )
        .await,
        303
    );
    let (_, html) = page(&s, &web, &bob, &format!("/g/{open_id}")).await;
    assert!(html.contains("Groep verlaten") && html.contains("via de <strong>webinterface</strong>"), "{html}");
    let (_, home) = page(&s, &web, &bob, "/").await;
    assert!(home.contains("webinterface"), "the post is in bob's home");
}

/// Submits a form as a signed-in browser; returns the status, where it sends you, and the HTML.
async fn send(s: &Server, web: &reqwest::Client, session: &str, path: &str, form: &[(&str, &str)]) -> (u16, String, String) {
    let res = web
        .post(format!("{}{path}", s.base))
        .header(COOKIE, format!("gilde_session={session}"))
        .header(ACCEPT_LANGUAGE, "nl")
        .form(form)
        .send()
        .await
        .expect("post");
    let status = res.status().as_u16();
    let location = res.headers().get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    (status, location, res.text().await.expect("html"))
}

#[tokio::test]
async fn moderators_members_people_and_admins_work_through_the_pages() {
    let s = Server::start().await;
    let ctx = &s.instance.ctx;
    gilde::service::people::create_account(
        ctx,
        gilde::service::people::NewAccount { username: "beheer".into(), password: PASSWORD.into(), display_name: None, is_admin: true },
    )
    .await
    .expect("admin");
    s.person("bob").await;
    let web = client();
    let owner = sign_in(&s, &web, "beheer").await;
    let bob = sign_in(&s, &web, "bob").await;
    let (_, html) = page(&s, &web, &owner, "/groups").await;
    let csrf_owner = hidden_csrf(&html);
    let (_, html) = page(&s, &web, &bob, "/groups").await;
    let csrf_bob = hidden_csrf(&html);

    // Creating a group: a mistake is shown next to its field, in Dutch, and nothing is made.
    let form =
        [("csrf", csrf_owner.as_str()), ("name", "inkoop"), ("display_name", " "), ("scope", "federated"), ("visibility", "private")];
    let (status, _, html) = send(&s, &web, &owner, "/new-group", &form).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains(r#"id="display_name-error">Een groep heeft een leesbare naam nodig."#), "{html}");
    assert!(html.contains(r#"value="inkoop""#), "what was typed is kept");
    let form =
        [("csrf", csrf_owner.as_str()), ("name", "inkoop"), ("display_name", "Inkoop"), ("scope", "federated"), ("visibility", "private")];
    let (status, location, _) = send(&s, &web, &owner, "/new-group", &form).await;
    assert_eq!(status, 303);
    let group = location.trim_start_matches("/g/").to_string();
    assert!(group.parse::<i64>().is_ok(), "{location}");

    // Bob asks to join; the owner sees one unread notification and the request, and approves.
    assert_eq!(send(&s, &web, &bob, &format!("/g/{group}/join"), &[("csrf", &csrf_bob)]).await.0, 303);
    let (_, html) = page(&s, &web, &owner, "/notifications").await;
    assert!(html.contains(r#"<span class="count" id="unread">1"#), "unread count in the navigation: {html}");
    assert!(html.contains("vraagt lidmaatschap aan van"), "{html}");
    let (_, html) = page(&s, &web, &owner, &format!("/g/{group}/members")).await;
    let bob_id = regex::Regex::new(r#"/requests/(\d+)""#).expect("re").captures(&html).map(|c| c[1].to_string()).expect("bob's request");
    let path = format!("/g/{group}/requests/{bob_id}");
    assert_eq!(send(&s, &web, &bob, &path, &[("csrf", &csrf_bob), ("decision", "approve")]).await.0, 403, "not bob's to decide");
    assert_eq!(send(&s, &web, &owner, &path, &[("csrf", &csrf_owner), ("decision", "approve")]).await.0, 303);
    let (_, html) = page(&s, &web, &bob, "/notifications").await;
    assert!(html.contains("keurde je aanvraag goed voor"), "{html}");

    // Bob previews a post (nothing is stored), then posts it; an empty post is refused next
    // to the text field.
    let post_path = format!("/g/{group}/post");
    let (status, _, html) =
        send(&s, &web, &bob, &post_path, &[("csrf", &csrf_bob), ("status", "Wie kent **GIS**?"), ("action", "preview")]).await;
    assert_eq!(status, 200);
    assert!(html.contains("<strong>GIS</strong>") && html.contains(">Wie kent **GIS**?</textarea>"), "{html}");
    assert_eq!(s.instance.ctx.db.read(|c| gilde::db::posts::count_containing(c, "GIS")).await.expect("count"), 0);
    let (status, _, html) = send(&s, &web, &bob, &post_path, &[("csrf", &csrf_bob), ("status", "  "), ("action", "post")]).await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"id="compose-error">Een bericht heeft tekst nodig."#), "{html}");
    assert_eq!(send(&s, &web, &bob, &post_path, &[("csrf", &csrf_bob), ("status", "Wie kent **GIS**?"), ("action", "post")]).await.0, 303);

    // The owner opens the thread from the group, replies and likes.
    let (_, html) = page(&s, &web, &owner, &format!("/g/{group}")).await;
    let post = regex::Regex::new(r#"href="/p/(\d+)""#).expect("re").captures(&html).map(|c| c[1].to_string()).expect("a thread link");
    let (status, location, _) =
        send(&s, &web, &owner, &format!("/p/{post}/reply"), &[("csrf", &csrf_owner), ("status", "Ja, @bob: team Geo"), ("action", "post")])
            .await;
    assert_eq!((status, location.as_str()), (303, format!("/p/{post}#replies").as_str()));
    assert_eq!(send(&s, &web, &owner, &format!("/p/{post}/like"), &[("csrf", &csrf_owner), ("like", "1")]).await.0, 303);
    let (status, html) = page(&s, &web, &bob, &format!("/p/{post}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Reacties (1)") && html.contains("team Geo") && html.contains("Vind ik leuk (1)"), "{html}");
    assert!(html.contains(r#"class="u-url mention""#), "the mention links bob's profile");

    // Bob fills in his profile; the directory finds him by department and expertise; his
    // language choice wins over the browser's.
    let form = [
        ("csrf", csrf_bob.as_str()),
        ("display_name", "Bob de Bouwer"),
        ("department", "Team Wonen"),
        ("expertise", "GIS, #Inkoop"),
        ("note", "Ik help graag."),
        ("locale", "en"),
    ];
    assert_eq!(send(&s, &web, &bob, "/settings/profile", &form).await.0, 303);
    let (_, html) = page(&s, &web, &owner, "/people?department=Team+Wonen").await;
    assert!(html.contains("Bob de Bouwer") && !html.contains("@beheer"), "{html}");
    let (_, html) = page(&s, &web, &owner, "/people?expertise=inkoop").await;
    assert!(html.contains("Bob de Bouwer") && html.contains("#gis"), "{html}");
    let (_, html) = page(&s, &web, &owner, "/people?expertise=privacy").await;
    assert!(!html.contains("Bob de Bouwer"), "{html}");
    let (_, html) = page(&s, &web, &bob, "/").await;
    assert!(html.contains(r#"<html lang="en">"#) && html.contains("Notifications"), "the profile's language wins");
    let form = [("csrf", csrf_bob.as_str()), ("display_name", "Bob"), ("expertise", &"x".repeat(200)), ("locale", "en")];
    let (status, _, html) = send(&s, &web, &bob, "/settings/profile", &form).await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"id="expertise-error""#), "{html}");

    // Search finds the post; an empty search says why.
    let (_, html) = page(&s, &web, &owner, "/search?q=GIS").await;
    assert!(html.contains("Wie kent <strong>GIS</strong>?"), "{html}");
    let (status, html) = page(&s, &web, &owner, "/search?q=+").await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"id="q-error">Typ iets om naar te zoeken."#), "{html}");

    // Roles: the owner makes bob a moderator; a moderator may not change who the group is for.
    let path = format!("/g/{group}/role/{bob_id}");
    assert_eq!(send(&s, &web, &owner, &path, &[("csrf", &csrf_owner), ("role", "moderator")]).await.0, 303);
    let (status, html) = page(&s, &web, &bob, &format!("/g/{group}/settings")).await;
    assert_eq!(status, 200, "{html}");
    let form = [("csrf", csrf_bob.as_str()), ("display_name", "Inkoop"), ("note", ""), ("scope", "internal"), ("visibility", "private")];
    let (status, _, html) = send(&s, &web, &bob, &format!("/g/{group}/settings"), &form).await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"id="scope-error">Only the group&#39;s owners"#), "in bob's language, next to the field: {html}");
    let form = [
        ("csrf", csrf_owner.as_str()),
        ("display_name", "Inkoop & aanbesteden"),
        ("note", ""),
        ("scope", "federated"),
        ("visibility", "private"),
        ("partner_domains", "gemeente-b.nl\n*.rijksoverheid.nl"),
    ];
    assert_eq!(send(&s, &web, &owner, &format!("/g/{group}/settings"), &form).await.0, 303);
    let (_, html) = page(&s, &web, &owner, &format!("/g/{group}/settings")).await;
    assert!(html.contains("Inkoop &#38; aanbesteden") && html.contains("gemeente-b.nl\n*.rijksoverheid.nl</textarea>"), "{html}");

    // Admin pages: only for admins; accounts are made there; blocking a domain takes effect.
    assert_eq!(page(&s, &web, &bob, "/admin").await.0, 403);
    let form = [("csrf", csrf_owner.as_str()), ("username", "carla"), ("display_name", "Carla"), ("password", "kort")];
    let (status, _, html) = send(&s, &web, &owner, "/admin", &form).await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"id="password-error">Een wachtwoord heeft minstens 8 tekens."#), "{html}");
    let form = [("csrf", csrf_owner.as_str()), ("username", "carla"), ("display_name", "Carla"), ("password", "lang genoeg wachtwoord")];
    assert_eq!(send(&s, &web, &owner, "/admin", &form).await.0, 303);
    let (_, html) = page(&s, &web, &owner, "/admin").await;
    assert!(html.contains(">carla</a>"), "{html}");
    let (status, _, html) =
        send(&s, &web, &owner, "/admin/federation", &[("csrf", &csrf_owner), ("blocked", "niet geldig!"), ("allowed", "")]).await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"id="blocked-error""#), "{html}");
    assert!(s.instance.ctx.config.federation.allows("kwaad.example"));
    let form = [("csrf", csrf_owner.as_str()), ("blocked", "kwaad.example\n*.spam.example"), ("allowed", "")];
    assert_eq!(send(&s, &web, &owner, "/admin/federation", &form).await.0, 303);
    assert!(!s.instance.ctx.config.federation.allows("kwaad.example") && !s.instance.ctx.config.federation.allows("x.spam.example"));
    assert!(s.instance.ctx.config.federation.allows("gemeente-b.nl"));
    // A server that kept failing for days is listed as unreachable, with its waiting deliveries.
    s.instance
        .ctx
        .db
        .write(|c| -> gilde::db::DbResult<()> {
            let days = chrono::TimeDelta::days(1);
            let start = gilde::db::now() - days * 4;
            gilde::db::servers::record_failure(c, "traag.example", start, days * 3)?;
            gilde::db::servers::record_failure(c, "traag.example", start + days * 3, days * 3)?;
            gilde::db::jobs::enqueue_for(c, "deliver", "{}", gilde::db::now(), Some("traag.example"))?;
            Ok(())
        })
        .await
        .expect("a failing server");
    let (_, html) = page(&s, &web, &owner, "/admin/federation").await;
    assert!(html.contains("kwaad.example\n*.spam.example</textarea>"), "{html}");
    assert!(
        regex::Regex::new(
            r#"<td>traag\.example</td><td></td><td><strong class="error">onbereikbaar sinds [^<]+</strong></td><td></td><td>1</td>"#
        )
        .expect("re")
        .is_match(&html),
        "{html}"
    );

    // Joining a group elsewhere by its address: a blocked domain and a malformed address say
    // why, next to the field, and nothing is fetched.
    let (status, _, html) =
        send(&s, &web, &owner, "/groups/join-remote", &[("csrf", &csrf_owner), ("acct", "omgeving@kwaad.example")]).await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"id="acct-error">Deze server federeert niet met dat domein."#), "{html}");
    assert!(html.contains(r#"value="omgeving@kwaad.example""#), "what was typed is kept");
    let (status, _, html) = send(&s, &web, &owner, "/groups/join-remote", &[("csrf", &csrf_owner), ("acct", "omgeving")]).await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"id="acct-error">Een adres ziet eruit als naam@domein."#), "{html}");
}

#[tokio::test]
async fn a_full_stream_page_stays_light_and_the_live_notice_counts_new_posts() {
    let s = Server::start().await;
    let (_, anna) = s.person("anna").await;
    let (_, group) = s.post("/api/v1/groups", &anna, json!({ "name": "wonen", "display_name": "Wonen" })).await;
    // 20 long posts with markdown: a full page, as heavy as posts usually get.
    let text = "Een **lange** alinea over het _omgevingsplan_ met [een link](https://example.org/plan) en een lijst:\n\n- een\n- twee\n\n"
        .repeat(8);
    for _ in 0..20 {
        assert_eq!(s.post("/api/v1/statuses", &anna, json!({ "status": text, "group_id": group["id"] })).await.0, 200);
    }
    let web = client();
    let session = sign_in(&s, &web, "anna").await;
    for path in ["/", &format!("/g/{}", group["id"].as_str().expect("id"))] {
        let (status, html) = page(&s, &web, &session, path).await;
        assert_eq!(status, 200);
        assert_eq!(html.matches(r#"<article class="post""#).count(), 20, "a full page");
        assert!(html.len() < 100_000, "{path} weighs {} bytes", html.len());
    }
    for asset in ["/static/gilde.css", "/static/gilde.js"] {
        let body = web.get(format!("{}{asset}", s.base)).send().await.expect("asset").bytes().await.expect("bytes");
        assert!(!body.is_empty() && body.len() < 20_000, "{asset}: {} bytes", body.len());
    }

    // The live notice: how many threads arrived after the newest one shown.
    let (_, html) = page(&s, &web, &session, "/").await;
    let newest = regex::Regex::new(r#"data-newest="(\d+)""#).expect("re").captures(&html).map(|c| c[1].to_string()).expect("newest");
    let live = |after: String| {
        let web = web.clone();
        let url = format!("{}/live/home?after={after}", s.base);
        let session = session.clone();
        async move {
            let res = web.get(url).header(COOKIE, format!("gilde_session={session}")).send().await.expect("live");
            (res.status().as_u16(), res.json::<serde_json::Value>().await.expect("json"))
        }
    };
    assert_eq!(live(newest.clone()).await, (200, json!({ "new": 0 })));
    s.post("/api/v1/statuses", &anna, json!({ "status": "Nog een", "group_id": group["id"] })).await;
    assert_eq!(live(newest.clone()).await, (200, json!({ "new": 1 })));
    let res = web.get(format!("{}/live/home?after=0", s.base)).send().await.expect("live");
    assert_eq!(res.status().as_u16(), 401, "not without a session");
}

#[tokio::test]
async fn an_admin_deletes_an_account_with_its_posts_and_files() {
    let s = Server::start().await;
    let ctx = &s.instance.ctx;
    gilde::service::people::create_account(
        ctx,
        gilde::service::people::NewAccount { username: "beheer".into(), password: PASSWORD.into(), display_name: None, is_admin: true },
    )
    .await
    .expect("admin");
    let (_, admin_token) = s.person("owner").await;
    let (anna_id, anna) = s.person("anna").await;
    let (_, group) = s.post("/api/v1/groups", &admin_token, serde_json::json!({ "name": "wonen", "display_name": "Wonen" })).await;
    let group_id = group["id"].as_str().expect("id").to_string();
    s.post(&format!("/api/v1/groups/{group_id}/join"), &anna, serde_json::json!({})).await;
    // anna's picture, a post with a photo, and an upload not yet posted.
    let upload = |field: &'static str, path: &'static str| {
        let form = reqwest::multipart::Form::new()
            .part(field, reqwest::multipart::Part::bytes(gilde::testing::jpeg(64, 64, None)).file_name("foto.jpg"));
        let request = if path.contains("update_credentials") {
            s.http.patch(format!("{}{path}", s.base))
        } else {
            s.http.post(format!("{}{path}", s.base))
        };
        request.bearer_auth(&anna).multipart(form).send()
    };
    assert_eq!(upload("avatar", "/api/v1/accounts/update_credentials").await.expect("avatar").status().as_u16(), 200);
    let photo: serde_json::Value = upload("file", "/api/v2/media").await.expect("photo").json().await.expect("json");
    let (status, post) = s
        .post("/api/v1/statuses", &anna, serde_json::json!({ "status": "Mijn foto", "group_id": group_id, "media_ids": [photo["id"]] }))
        .await;
    assert_eq!(status, 200, "{post}");
    upload("file", "/api/v2/media").await.expect("unposted");
    let media_dir = ctx.config.data_dir.join("media");
    let count_files = || crate::common::count_files(&media_dir);
    assert_eq!(count_files(), 6, "three images, each with a preview");

    let web = client();
    let beheer = sign_in(&s, &web, "beheer").await;
    let (_, html) = page(&s, &web, &beheer, "/admin").await;
    let csrf = hidden_csrf(&html);
    let path = format!("/admin/accounts/{anna_id}/delete");
    assert_eq!(submit(&s, &web, &beheer, &path, &[("csrf", csrf.clone())]).await, 422, "the confirmation is needed");
    assert_eq!(count_files(), 6, "nothing happened");
    assert_eq!(submit(&s, &web, &beheer, &path, &[("csrf", csrf.clone()), ("confirm", "1".into())]).await, 303);
    assert_eq!(count_files(), 0, "every file of anna's is gone");
    assert_eq!(s.get("/api/v1/accounts/verify_credentials", &anna).await.0, 401, "her tokens are gone");
    assert_eq!(s.get(&format!("/api/v1/statuses/{}", post["id"].as_str().expect("id")), &admin_token).await.0, 404, "her post is gone");
    let again = gilde::service::people::create_account(
        ctx,
        gilde::service::people::NewAccount { username: "anna".into(), password: PASSWORD.into(), display_name: None, is_admin: false },
    )
    .await;
    assert!(again.is_err(), "her name stays taken");
    // The only owner of a group is not deleted before someone else owns it.
    let owner_id = gilde::service::people::lookup(ctx, "owner").await.expect("owner").person.id;
    let (status, html) =
        send_form(&s, &web, &beheer, &format!("/admin/accounts/{owner_id}/delete"), &[("csrf", csrf.as_str()), ("confirm", "1")]).await;
    assert_eq!(status, 422);
    assert!(html.contains("enige eigenaar"), "the page says why");
}

async fn send_form(s: &Server, web: &reqwest::Client, session: &str, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let res = web
        .post(format!("{}{path}", s.base))
        .header(COOKIE, format!("gilde_session={session}"))
        .header(ACCEPT_LANGUAGE, "nl")
        .form(form)
        .send()
        .await
        .expect("post");
    (res.status().as_u16(), res.text().await.expect("html"))
}

/// Signs in through the form with a password; returns the session cookie's value, if signed in.
async fn sign_in_with(s: &Server, web: &reqwest::Client, name: &str, password: &str) -> Option<String> {
    let res = web.get(format!("{}/login", s.base)).send().await.expect("login");
    let (form_secret, _) = cookie_value(&res, "gilde_form").expect("form cookie");
    let csrf = hidden_csrf(&res.text().await.expect("html"));
    let res = web
        .post(format!("{}/login", s.base))
        .header(COOKIE, format!("gilde_form={form_secret}"))
        .form(&[("csrf", csrf.as_str()), ("username", name), ("password", password)])
        .send()
        .await
        .expect("post");
    cookie_value(&res, "gilde_session").map(|c| c.0).filter(|v| !v.is_empty())
}

#[tokio::test]
async fn people_change_their_password_and_admins_reset_disable_and_enable_accounts() {
    let s = Server::start().await;
    let ctx = &s.instance.ctx;
    gilde::service::people::create_account(
        ctx,
        gilde::service::people::NewAccount { username: "beheer".into(), password: PASSWORD.into(), display_name: None, is_admin: true },
    )
    .await
    .expect("admin");
    let (anna_id, anna_token) = s.person("anna").await;
    let web = client();

    // anna changes her password on the web: this browser stays in, her app token is signed out.
    let anna = sign_in(&s, &web, "anna").await;
    let (status, html) = page(&s, &web, &anna, "/settings/account").await;
    assert_eq!(status, 200);
    let csrf = hidden_csrf(&html);
    let wrong = [("csrf", csrf.clone()), ("current_password", "niet dit".into()), ("new_password", "een nieuw wachtwoord".into())];
    assert_eq!(submit(&s, &web, &anna, "/settings/password", &wrong).await, 422);
    let right = [("csrf", csrf.clone()), ("current_password", PASSWORD.into()), ("new_password", "een nieuw wachtwoord".into())];
    assert_eq!(submit(&s, &web, &anna, "/settings/password", &right).await, 303);
    assert_eq!(page(&s, &web, &anna, "/").await.0, 200, "still signed in here");
    assert_eq!(s.get("/api/v1/accounts/verify_credentials", &anna_token).await.0, 401, "the app is signed out");
    assert!(sign_in_with(&s, &web, "anna", PASSWORD).await.is_none(), "the old password no longer works");
    assert!(sign_in_with(&s, &web, "anna", "een nieuw wachtwoord").await.is_some());

    // Through the API (Gilde's extension): the calling token stays, others go.
    let first = gilde::service::oauth::token_for_person(ctx, gilde::db::PersonId(anna_id.parse().expect("id"))).await.expect("token");
    let second = gilde::service::oauth::token_for_person(ctx, gilde::db::PersonId(anna_id.parse().expect("id"))).await.expect("token");
    let change = serde_json::json!({ "current_password": "een nieuw wachtwoord", "new_password": "nog een ander wachtwoord" });
    assert_eq!(s.post("/api/v1/accounts/change_password", &first, change).await.0, 200);
    assert_eq!(s.get("/api/v1/accounts/verify_credentials", &first).await.0, 200);
    assert_eq!(s.get("/api/v1/accounts/verify_credentials", &second).await.0, 401);

    // The admin disables anna: signed out everywhere, no sign-in, not listed; then enables her.
    let beheer = sign_in(&s, &web, "beheer").await;
    let (_, html) = page(&s, &web, &beheer, "/admin").await;
    let admin_csrf = hidden_csrf(&html);
    let state = format!("/admin/accounts/{anna_id}/state");
    assert_eq!(submit(&s, &web, &beheer, &state, &[("csrf", admin_csrf.clone()), ("disabled", "1".into())]).await, 303);
    assert_eq!(s.get("/api/v1/accounts/verify_credentials", &first).await.0, 401, "tokens are revoked");
    assert!(sign_in_with(&s, &web, "anna", "nog een ander wachtwoord").await.is_none(), "no sign-in");
    // No other door either: a Mastodon app's sign-in page gives no code, and a token made for
    // her (as `gilde admin token` would) is refused.
    let (_, app) = s
        .post(
            "/api/v1/apps",
            "",
            serde_json::json!({"client_name": "Tusky", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read"}),
        )
        .await;
    let client_id = app["client_id"].as_str().expect("client id");
    let oauth = s
        .http
        .post(format!("{}/oauth/authorize", s.base))
        .form(&[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", "urn:ietf:wg:oauth:2.0:oob"),
            ("scope", "read"),
            ("username", "anna"),
            ("password", "nog een ander wachtwoord"),
        ])
        .send()
        .await
        .expect("authorize");
    assert_eq!(oauth.status().as_u16(), 403);
    assert!(!oauth.text().await.expect("page").contains("id=\"code\""), "no code for a disabled person");
    let made = gilde::service::oauth::token_for_person(ctx, gilde::db::PersonId(anna_id.parse().expect("id"))).await.expect("token");
    assert_eq!(s.get("/api/v1/accounts/verify_credentials", &made).await.0, 403, "a disabled person's token is refused");
    let (_, listed) = s.get("/api/v1/directory?local=true", &beheer_token(&s).await).await;
    assert!(!listed.to_string().contains("\"anna\""), "not listed: {listed}");
    assert_eq!(submit(&s, &web, &beheer, &state, &[("csrf", admin_csrf.clone()), ("disabled", "0".into())]).await, 303);
    assert!(sign_in_with(&s, &web, "anna", "nog een ander wachtwoord").await.is_some(), "enabled again");
    let (_, listed) = s.get("/api/v1/directory?local=true", &beheer_token(&s).await).await;
    assert!(listed.to_string().contains("\"anna\""), "listed again: {listed}");
    let own = format!("/admin/accounts/{}/state", gilde::service::people::lookup(ctx, "beheer").await.expect("beheer").person.id);
    assert_eq!(submit(&s, &web, &beheer, &own, &[("csrf", admin_csrf.clone()), ("disabled", "1".into())]).await, 422, "not oneself");

    // The admin gives anna a new password, shown once on the page.
    let (status, html) =
        send_form(&s, &web, &beheer, &format!("/admin/accounts/{anna_id}/password"), &[("csrf", admin_csrf.as_str())]).await;
    assert_eq!(status, 200);
    let start = html.find("<code>").expect("the new password is shown") + 6;
    let new_password = &html[start..start + 20];
    assert!(sign_in_with(&s, &web, "anna", "nog een ander wachtwoord").await.is_none());
    let anna = sign_in_with(&s, &web, "anna", new_password).await.expect("the new password works");

    // anna deletes her own account, with her password.
    let (_, html) = page(&s, &web, &anna, "/settings/account").await;
    let csrf = hidden_csrf(&html);
    assert_eq!(submit(&s, &web, &anna, "/settings/delete", &[("csrf", csrf.clone()), ("password", "fout".into())]).await, 422);
    assert_eq!(submit(&s, &web, &anna, "/settings/delete", &[("csrf", csrf), ("password", new_password.to_string())]).await, 303);
    assert!(sign_in_with(&s, &web, "anna", new_password).await.is_none(), "the account is gone");
}

async fn beheer_token(s: &Server) -> String {
    let person = gilde::service::people::lookup(&s.instance.ctx, "beheer").await.expect("beheer").person.id;
    gilde::service::oauth::token_for_person(&s.instance.ctx, person).await.expect("token")
}

#[tokio::test]
async fn the_directory_finds_mentors_by_their_profile() {
    let s = Server::start().await;
    s.person("anna").await;
    s.person("bob").await;
    let web = client();
    let anna = sign_in(&s, &web, "anna").await;
    let (_, html) = page(&s, &web, &anna, "/settings/profile").await;
    let csrf = hidden_csrf(&html);
    let form = [
        ("csrf", csrf),
        ("display_name", "Anna".to_string()),
        ("job_title", "Beleidsadviseur".to_string()),
        ("org_unit", "Team Wonen".to_string()),
        ("mentor", "1".to_string()),
    ];
    assert_eq!(submit(&s, &web, &anna, "/settings/profile", &form).await, 303);
    let (_, mentors) = page(&s, &web, &anna, "/people?mentor=1").await;
    assert!(mentors.contains("/u/") && mentors.contains("Beleidsadviseur"), "anna is listed with her job");
    assert!(!mentors.contains("bob"), "bob offers no mentoring");
    let (_, everyone) = page(&s, &web, &anna, "/people").await;
    assert!(everyone.contains("bob"));
}

#[tokio::test]
async fn a_person_downloads_their_data_as_an_archive() {
    use std::io::Read;
    let s = Server::start().await;
    let (_, anna_token) = s.person("anna").await;
    let (bob_id, bob_token) = s.person("bob").await;
    let (_, group) = s.post("/api/v1/groups", &bob_token, serde_json::json!({ "name": "wonen", "display_name": "Wonen" })).await;
    let group_id = group["id"].as_str().expect("id").to_string();
    s.post(&format!("/api/v1/groups/{group_id}/join"), &anna_token, serde_json::json!({})).await;
    s.post(&format!("/api/v1/accounts/{bob_id}/follow"), &anna_token, serde_json::json!({})).await;
    let photo_bytes = gilde::testing::jpeg(64, 48, None);
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(photo_bytes).file_name("kade.jpg"));
    let photo: serde_json::Value = s
        .http
        .post(format!("{}/api/v2/media", s.base))
        .bearer_auth(&anna_token)
        .multipart(form)
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("json");
    let (status, _) = s
        .post(
            "/api/v1/statuses",
            &anna_token,
            serde_json::json!({ "status": "Mijn bijdrage", "group_id": group_id, "media_ids": [photo["id"]] }),
        )
        .await;
    assert_eq!(status, 200);
    let (_, bobs) = s.post("/api/v1/statuses", &bob_token, serde_json::json!({ "status": "Van bob", "group_id": group_id })).await;
    s.post(&format!("/api/v1/statuses/{}/favourite", bobs["id"].as_str().expect("id")), &anna_token, serde_json::json!({})).await;

    let web = client();
    let anna = sign_in(&s, &web, "anna").await;
    let res = web.get(format!("{}/settings/export", s.base)).header(COOKIE, format!("gilde_session={anna}")).send().await.expect("export");
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "application/zip");
    let bytes = res.bytes().await.expect("zip").to_vec();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip archive");
    let mut read = |name: &str| {
        let mut text = String::new();
        archive.by_name(name).unwrap_or_else(|_| panic!("{name} in the archive")).read_to_string(&mut text).expect("read");
        text
    };
    let actor: serde_json::Value = serde_json::from_str(&read("actor.json")).expect("json");
    assert_eq!(actor["preferredUsername"], "anna");
    let outbox: serde_json::Value = serde_json::from_str(&read("outbox.json")).expect("json");
    assert_eq!(outbox["orderedItems"][0]["type"], "Create");
    assert!(outbox["orderedItems"][0]["object"]["content"].as_str().is_some_and(|c| c.contains("Mijn bijdrage")), "{outbox}");
    assert_eq!(outbox["orderedItems"][0]["object"]["attachment"][0]["type"], "Image");
    assert_eq!(outbox["totalItems"], 1, "only anna's own posts");
    let likes: serde_json::Value = serde_json::from_str(&read("likes.json")).expect("json");
    assert_eq!(likes["orderedItems"][0], bobs["uri"]);
    assert!(read("following_accounts.csv").contains("bob@"), "whom anna follows");
    assert!(read("groups.csv").contains("wonen@"), "anna's groups");
    let file = format!("media_attachments/{}/kade.jpg", photo["url"].as_str().expect("url").split('/').nth_back(1).expect("token"));
    let mut kept = Vec::new();
    archive.by_name(&file).unwrap_or_else(|_| panic!("{file}")).read_to_end(&mut kept).expect("read");
    assert!(kept.starts_with(&[0xFF, 0xD8]), "the photo as kept");
    // Not without signing in.
    let res = client().get(format!("{}/settings/export", s.base)).send().await.expect("export");
    assert!(res.status().is_redirection(), "{}", res.status());
    // The same archive through the API, for the token's owner (Gilde's extension).
    let res = client().get(format!("{}/api/v1/accounts/export", s.base)).bearer_auth(&anna_token).send().await.expect("export");
    assert_eq!((res.status().as_u16(), res.headers()["content-type"].to_str().ok()), (200, Some("application/zip")));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(res.bytes().await.expect("zip").to_vec())).expect("a zip archive");
    let mut outbox = String::new();
    archive.by_name("outbox.json").expect("outbox.json").read_to_string(&mut outbox).expect("read");
    assert!(outbox.contains("Mijn bijdrage"), "{outbox}");
    let res = client().get(format!("{}/api/v1/accounts/export", s.base)).send().await.expect("export");
    assert_eq!(res.status().as_u16(), 401, "not without a token");
}
