//! Gilde with real fediverse servers nobody here wrote: GoToSocial and snac from the folder
//! named by `GILDE_PEERS_DIR` (`.ci/run` sets it). The verdict is what the peer shows its
//! user: the post in their home timeline, the edit, the deletion. Each scenario runs its steps
//! in order on one set of servers (starting them is the slow part).

use federation_tests::peers::{self, GoToSocial, GtsUser, Snac};
use federation_tests::{eventually, Cluster, Node};
use serde_json::{json, Value};

/// Waits longer than `eventually`: a peer works its queues in the background.
/// A minimal PDF, as a member shares one.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

async fn until<F, Fut>(what: &str, check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(45);
    let mut check = check;
    while std::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("timed out waiting until {what}");
}

async fn create_group(node: &Node, token: &str, name: &str, scope: &str, visibility: &str) -> String {
    let (status, body) = node
        .post(
            "/api/v1/groups",
            token,
            json!({ "name": name, "display_name": name, "note": "Over dit", "scope": scope, "visibility": visibility }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["id"].as_str().expect("group id").to_string()
}

async fn post(node: &Node, token: &str, body: Value) -> Value {
    let (status, post) = node.post("/api/v1/statuses", token, body).await;
    assert_eq!(status, 200, "{post}");
    post
}

async fn member_accts(node: &Node, token: &str, group: &str) -> Vec<String> {
    let (_, members) = node.get(&format!("/api/v1/groups/{group}/memberships"), token).await;
    members.as_array().into_iter().flatten().filter_map(|m| m["account"]["acct"].as_str().map(str::to_string)).collect()
}

async fn group_texts(node: &Node, token: &str, group: &str) -> String {
    node.get(&format!("/api/v1/timelines/group/{group}?limit=40"), token).await.1.to_string()
}

/// Deliveries `node` queued for `domain` that carry `post` (its text or, as a boost does, its
/// address).
async fn deliveries_to(node: &Node, domain: &str, post: &Value) -> usize {
    let text = post["content"].as_str().unwrap_or("\u{0}").replace("<p>", "").replace("</p>", "");
    let uri = post["uri"].as_str().unwrap_or("\u{0}").to_string();
    node.deliveries()
        .await
        .iter()
        .filter(|d| d["inbox"].as_str().is_some_and(|i| i.contains(domain)))
        .filter(|d| {
            let sent = d["activity"].to_string();
            sent.contains(&text) || sent.contains(&format!("\"{uri}\"")) || sent.contains(&format!("{uri}/"))
        })
        .count()
}

async fn joined(gts: &GtsUser, account: &str) -> bool {
    gts.relationship(account).await["following"] == true
}

/// The Gilde side of a peer scenario: instances A and B; anna on A with a public, a private
/// and an internal group; bert on B a member of the public one (to see that what the peer
/// sends reaches a second Gilde instance too).
struct GildeSide {
    cluster: Cluster,
    anna: String,
    public: String,
    private: String,
    internal: String,
}

async fn gilde_side() -> GildeSide {
    let cluster = Cluster::start(&["gemeente-a", "gemeente-b"]).await;
    let (a, b) = (cluster.node("gemeente-a"), cluster.node("gemeente-b"));
    let (_, anna) = a.person("anna").await;
    let (_, bert) = b.person("bert").await;
    let public = create_group(a, &anna, "omgevingswet", "federated", "public").await;
    let private = create_group(a, &anna, "partners", "federated", "private").await;
    let internal = create_group(a, &anna, "intern", "internal", "public").await;
    let (_, on_b) = b.get(&format!("/api/v1/groups/lookup?acct=omgevingswet@{}", a.domain), &bert).await;
    b.post(&format!("/api/v1/groups/{}/join", on_b["id"].as_str().expect("B's id of the group")), &bert, json!({})).await;
    eventually("bert joined", || async { member_accts(a, &anna, &public).await.iter().any(|m| m.starts_with("bert@")) }).await;
    GildeSide { cluster, anna, public, private, internal }
}

#[tokio::test(flavor = "multi_thread")]
async fn gotosocial_follows_reads_replies_and_posts_in_gilde_groups() {
    let Some(dir) = peers::peers_dir() else {
        eprintln!("{} is not set: GoToSocial scenario skipped", peers::ENV);
        return;
    };
    let gts = GoToSocial::start(&dir).await;
    let GildeSide { cluster, anna, public, private, internal } = gilde_side().await;
    let (a, b) = (cluster.node("gemeente-a"), cluster.node("gemeente-b"));
    let alice = gts.user("alice").await;
    // anna's job and her offer to mentor, before GoToSocial first reads her actor.
    let (status, _) = a.call_patch("/api/v1/accounts/update_credentials", &anna, json!({ "job_title": "Planoloog", "mentor": true })).await;
    assert_eq!(status, 200);

    // a. Alice finds the public group by its address, follows it and is taken in.
    let group = alice.find_account(&format!("omgevingswet@{}", a.domain)).await.unwrap_or_else(|| panic!("not found:\n{}", gts.log()));
    alice.post(&format!("/api/v1/accounts/{group}/follow"), &[]).await;
    until("GoToSocial shows alice following the group", || joined(&alice, &group)).await;
    assert!(member_accts(a, &anna, &public).await.contains(&alice.acct), "alice is a member on A");

    // b. A member's post shows in alice's home, by its author; then its edit; then its deletion.
    let thread = post(a, &anna, json!({ "status": "Nieuwe regels voor **dakkapellen**", "group_id": public })).await;
    until("the post is in alice's home", || async { alice.home_status("dakkapellen").await.is_some() }).await;
    let shown = alice.home_status("dakkapellen").await.expect("shown");
    assert_eq!(shown["shown"]["account"]["acct"], format!("anna@{}", a.domain), "by its author: {shown}");
    assert_eq!(shown["outer"]["account"]["acct"], format!("omgevingswet@{}", a.domain), "boosted by the group: {shown}");
    assert_eq!(shown["shown"]["visibility"], "public");
    let thread_id = thread["id"].as_str().expect("id");
    let (status, _) =
        a.call_put(&format!("/api/v1/statuses/{thread_id}"), &anna, json!({ "status": "Nieuwe regels voor **dakramen**" })).await;
    assert_eq!(status, 200);
    until("the edit is in alice's home", || async { alice.home_status("dakramen").await.is_some() }).await;
    let later = post(a, &anna, json!({ "status": "Wordt zo weer verwijderd: schuttingen", "group_id": public })).await;
    until("the second post is in alice's home", || async { alice.home_status("schuttingen").await.is_some() }).await;
    let (status, _) = a.call_delete(&format!("/api/v1/statuses/{}", later["id"].as_str().expect("id")), &anna).await;
    assert_eq!(status, 200);
    until("the deletion reached alice", || async { alice.home_status("schuttingen").await.is_none() }).await;

    // c. Alice replies: the reply is in the thread on A and reaches bert's instance.
    let in_home = alice.home_status("dakramen").await.expect("shown");
    let parent = in_home["shown"]["id"].as_str().expect("id").to_string();
    // As a Mastodon app fills in a reply: it starts with the author's address.
    let reply = format!("@anna@{} Geldt dit ook voor monumenten?", a.domain);
    alice.post("/api/v1/statuses", &[("status", &reply), ("in_reply_to_id", &parent), ("visibility", "public")]).await;
    eventually("the reply is in the thread on A", || async {
        a.get(&format!("/api/v1/statuses/{thread_id}/context"), &anna).await.1.to_string().contains("monumenten")
    })
    .await;
    eventually("the reply reached B", || async { b.stored_posts_containing("monumenten").await == 1 }).await;

    // d. Alice starts a thread by mentioning the group.
    let mention = format!("@omgevingswet@{} Wie weet hoe het zit met zonnepanelen?", a.domain);
    alice.post("/api/v1/statuses", &[("status", &mention), ("visibility", "public")]).await;
    eventually("the thread is in the group on A", || async { group_texts(a, &anna, &public).await.contains("zonnepanelen") }).await;
    eventually("and reached B", || async { b.stored_posts_containing("zonnepanelen").await == 1 }).await;

    // d2. Files: alice's photo, posted into the group by a mention, is kept on A with its alt
    // text; anna's photo and PDF reach alice's home, as GoToSocial shows attachments.
    let photo = alice.upload(gilde::testing::jpeg(640, 480, None), "stalling.jpg", "De nieuwe fietsenstalling").await;
    let mention = format!("@omgevingswet@{} Wat vinden jullie van de stalling?", a.domain);
    alice.post("/api/v1/statuses", &[("status", &mention), ("visibility", "public"), ("media_ids[]", &photo)]).await;
    eventually("alice's photo is kept on A", || async {
        let (_, list) = a.get(&format!("/api/v1/timelines/group/{public}"), &anna).await;
        list.as_array().is_some_and(|l| {
            l.iter().any(|s| {
                let s = if s["reblog"].is_object() { &s["reblog"] } else { s };
                s["content"].as_str().is_some_and(|c| c.contains("stalling"))
                    && s["media_attachments"][0]["url"].as_str().is_some_and(|u| u.starts_with(&a.base))
                    && s["media_attachments"][0]["description"] == "De nieuwe fietsenstalling"
            })
        })
    })
    .await;
    let (_, image) = a.upload(&anna, "file", "/api/v2/media", gilde::testing::jpeg(800, 600, None), "bouwtekening.jpg").await;
    a.call_put(
        &format!("/api/v1/media/{}", image["id"].as_str().expect("id")),
        &anna,
        json!({ "description": "Bouwtekening van de aanbouw" }),
    )
    .await;
    let (_, pdf) = a.upload(&anna, "file", "/api/v2/media", PDF.to_vec(), "vergunning.pdf").await;
    post(a, &anna, json!({ "status": "De bouwtekening en de vergunning", "group_id": public, "media_ids": [image["id"], pdf["id"]] }))
        .await;
    until("anna's photo is in alice's home", || async {
        alice.home_status("bouwtekening").await.is_some_and(|s| s["shown"]["media_attachments"][0]["type"] == "image")
    })
    .await;
    let shown = alice.home_status("bouwtekening").await.expect("shown");
    let photo_on_gts = &shown["shown"]["media_attachments"][0];
    assert_eq!(photo_on_gts["description"], "Bouwtekening van de aanbouw", "alt text: {photo_on_gts}");
    assert!(photo_on_gts["url"].as_str().is_some_and(|u| u.starts_with(&gts.base)), "GoToSocial keeps its copy: {photo_on_gts}");
    assert_eq!(photo_on_gts["meta"]["original"]["width"], 800);
    // GoToSocial keeps images, video and audio; a PDF it shows as a link under the text.
    let pdf_url = pdf["url"].as_str().expect("url");
    assert!(shown["shown"]["content"].as_str().is_some_and(|c| c.contains(pdf_url) && c.contains("vergunning.pdf")), "the PDF: {shown}");

    // e. A private group: following is a request; nothing arrives before approval; after it,
    // posts arrive as followers-only posts, not direct messages.
    let partners = alice.find_account(&format!("partners@{}", a.domain)).await.expect("the private group is found");
    alice.post(&format!("/api/v1/accounts/{partners}/follow"), &[]).await;
    until("the request is pending", || async { alice.relationship(&partners).await["requested"] == true }).await;
    eventually("the request is on A", || async {
        a.get(&format!("/api/v1/groups/{private}/membership_requests"), &anna).await.1.to_string().contains(&alice.acct)
    })
    .await;
    let (_, requests) = a.get(&format!("/api/v1/groups/{private}/membership_requests"), &anna).await;
    let request = requests.as_array().and_then(|r| r.iter().find(|x| x["acct"] == alice.acct.as_str())).cloned().expect("a request");
    let before_approval = post(a, &anna, json!({ "status": "Vertrouwelijk: de begroting", "group_id": private })).await;
    eventually("A sent what it had to", || async { a.instance.ctx.db.read(gilde::db::jobs::pending_count).await.expect("count") == 0 })
        .await;
    assert_eq!(deliveries_to(a, &gts.domain, &before_approval).await, 0, "nothing is sent before the approval");
    let (status, _) = a
        .post(&format!("/api/v1/groups/{private}/membership_requests/{}/authorize", request["id"].as_str().expect("id")), &anna, json!({}))
        .await;
    assert_eq!(status, 200);
    until("alice follows the private group", || joined(&alice, &partners)).await;
    let planning = post(a, &anna, json!({ "status": "Vertrouwelijk: de planning", "group_id": private })).await;
    until("the private post is in alice's home", || async { alice.home_status("de planning").await.is_some() }).await;
    let shown = alice.home_status("de planning").await.expect("shown");
    assert_eq!(shown["shown"]["visibility"], "private", "followers-only, not direct: {shown}");
    assert!(shown["shown"]["content"].as_str().is_some_and(|c| c.contains(&format!("anna@{}", a.domain))), "names its author: {shown}");
    assert!(alice.home_status("de begroting").await.is_none(), "nothing from before the approval");
    assert!(deliveries_to(a, &gts.domain, &planning).await > 0, "what was sent is found by the same check");
    // A private group's photo: A serves it to GoToSocial's signed fetch (a member's server).
    let (_, secret) = a.upload(&anna, "file", "/api/v2/media", gilde::testing::jpeg(300, 200, None), "plattegrond.jpg").await;
    post(a, &anna, json!({ "status": "Vertrouwelijk: de plattegrond", "group_id": private, "media_ids": [secret["id"]] })).await;
    until("the private photo is in alice's home, kept by GoToSocial", || async {
        alice.home_status("de plattegrond").await.is_some_and(|s| {
            s["shown"]["media_attachments"][0]["type"] == "image"
                && s["shown"]["media_attachments"][0]["url"].as_str().is_some_and(|u| u.starts_with(&gts.base))
        })
    })
    .await;
    let private_file = secret["url"].as_str().expect("url");
    let unsigned = reqwest::Client::new().get(private_file).header("user-agent", "test").send().await.expect("fetch");
    assert_eq!(unsigned.status().as_u16(), 404, "not for anyone else");

    // f. An internal group: not discoverable, nothing delivered.
    let internal_post = post(a, &anna, json!({ "status": "Alleen voor ons: de verhuizing", "group_id": internal })).await;
    assert!(alice.find_account(&format!("intern@{}", a.domain)).await.is_none(), "an internal group is not found");
    eventually("A's queue is empty", || async { a.instance.ctx.db.read(gilde::db::jobs::pending_count).await.expect("count") == 0 }).await;
    assert_eq!(deliveries_to(a, &gts.domain, &internal_post).await, 0, "nothing of an internal group is delivered");

    // h. Alice leaves the public group: she is no longer a member on A.
    alice.post(&format!("/api/v1/accounts/{group}/unfollow"), &[]).await;
    eventually("alice left on A", || async { !member_accts(a, &anna, &public).await.contains(&alice.acct) }).await;

    // g. People follow people across servers, both ways (alice is no member of the group now:
    // what she gets of anna comes from following her).
    let (status, on_a) = a.get(&format!("/api/v1/accounts/lookup?acct={}", alice.acct), &anna).await;
    assert_eq!(status, 200, "{on_a}");
    let alice_on_a = on_a["id"].as_str().expect("id").to_string();
    let relationship =
        |token: String, id: String| async move { a.get(&format!("/api/v1/accounts/relationships?id[]={id}"), &token).await.1[0].clone() };
    a.post(&format!("/api/v1/accounts/{alice_on_a}/follow"), &anna, json!({})).await;
    eventually("anna follows alice", || async { relationship(anna.clone(), alice_on_a.clone()).await["following"] == true }).await;
    let bike_photo = alice.upload(gilde::testing::jpeg(400, 300, None), "fietspad.jpg", "Het nieuwe fietspad").await;
    let own = alice
        .post(
            "/api/v1/statuses",
            &[("status", "Openbaar van alice: de nieuwe fietspaden"), ("visibility", "public"), ("media_ids[]", &bike_photo)],
        )
        .await;
    let home_has = |text: &'static str| {
        let anna = anna.clone();
        async move { a.get("/api/v1/timelines/home", &anna).await.1.to_string().contains(text) }
    };
    eventually("alice's post is in anna's home", || home_has("de nieuwe fietspaden")).await;
    eventually("with her photo, kept on A", || async {
        let (_, home) = a.get("/api/v1/timelines/home", &anna).await;
        home.as_array().is_some_and(|l| {
            l.iter().any(|s| {
                s["content"].as_str().is_some_and(|c| c.contains("fietspaden"))
                    && s["media_attachments"][0]["url"].as_str().is_some_and(|u| u.starts_with(&a.base))
                    && s["media_attachments"][0]["description"] == "Het nieuwe fietspad"
            })
        })
    })
    .await;
    // Her edit and her deletion of it reach anna's home too.
    let own_id = own["id"].as_str().expect("id").to_string();
    let (status, body) = alice
        .send(reqwest::Method::PUT, &format!("/api/v1/statuses/{own_id}"), &[("status", "Openbaar van alice: de verbrede fietspaden")])
        .await;
    assert_eq!(status, 200, "{body}");
    eventually("alice's edit is in anna's home", || home_has("de verbrede fietspaden")).await;
    let (status, body) = alice.send(reqwest::Method::DELETE, &format!("/api/v1/statuses/{own_id}"), &[]).await;
    assert_eq!(status, 200, "{body}");
    eventually("alice's deletion reached anna's home", || async { !home_has("fietspaden").await }).await;
    let anna_on_gts = alice.find_account(&format!("anna@{}", a.domain)).await.expect("anna is found");
    // GoToSocial shows anna's profile fields, as Mastodon apps do.
    let profile = alice.get(&format!("/api/v1/accounts/{anna_on_gts}")).await;
    let fields = profile["fields"].as_array().cloned().unwrap_or_default();
    assert!(
        fields.iter().any(|f| f["name"] == "Job title" && f["value"].as_str().is_some_and(|v| v.contains("Planoloog"))),
        "the job title as a profile field: {profile}"
    );
    assert!(fields.iter().any(|f| f["name"] == "Mentor"), "{profile}");
    alice.post(&format!("/api/v1/accounts/{anna_on_gts}/follow"), &[]).await;
    until("alice follows anna", || joined(&alice, &anna_on_gts)).await;
    post(a, &anna, json!({ "status": "Anna schrijft over parkeervergunningen", "group_id": public })).await;
    until("anna's post is in alice's home", || async { alice.home_status("parkeervergunningen").await.is_some() }).await;
    let shown = alice.home_status("parkeervergunningen").await.expect("shown");
    assert_eq!(shown["outer"]["account"]["acct"], format!("anna@{}", a.domain), "from anna herself: {shown}");
    // Unfollow, both ways (each side first shows the follow).
    assert_eq!(alice.relationship(&anna_on_gts).await["followed_by"], true, "GoToSocial knows anna follows alice");
    assert_eq!(relationship(anna.clone(), alice_on_a.clone()).await["followed_by"], true, "A knows alice follows anna");
    a.post(&format!("/api/v1/accounts/{alice_on_a}/unfollow"), &anna, json!({})).await;
    until("GoToSocial no longer counts anna as alice's follower", || async {
        alice.relationship(&anna_on_gts).await["followed_by"] == false
    })
    .await;
    alice.post(&format!("/api/v1/accounts/{anna_on_gts}/unfollow"), &[]).await;
    eventually("A no longer counts alice as anna's follower", || async {
        relationship(anna.clone(), alice_on_a.clone()).await["followed_by"] == false
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn snac_follows_reads_and_replies_in_gilde_groups() {
    let Some(dir) = peers::peers_dir() else {
        eprintln!("{} is not set: snac scenario skipped", peers::ENV);
        return;
    };
    let snac = Snac::start(&dir).await;
    let GildeSide { cluster, anna, public, private, internal } = gilde_side().await;
    let (a, b) = (cluster.node("gemeente-a"), cluster.node("gemeente-b"));
    let password = snac.user("sam");
    let sam = format!("sam@{}", snac.domain);
    let timeline = || async { snac.timeline("sam", &password).await };

    // a. Sam follows the public group by its address and is taken in.
    snac.cli("follow", &["sam", &format!("{}/groups/omgevingswet", a.base)]);
    eventually("sam is a member on A", || async { member_accts(a, &anna, &public).await.contains(&sam) }).await;

    // b. A member's post shows in sam's timeline; then its edit; then its deletion.
    let thread = post(a, &anna, json!({ "status": "Snac leest over **bomenkap**", "group_id": public })).await;
    until("the post is in sam's timeline", || async { timeline().await.contains("bomenkap") }).await;
    let thread_id = thread["id"].as_str().expect("id");
    a.call_put(&format!("/api/v1/statuses/{thread_id}"), &anna, json!({ "status": "Snac leest over **herplant**" })).await;
    until("the edit is in sam's timeline", || async { timeline().await.contains("herplant") }).await;
    let later = post(a, &anna, json!({ "status": "Verdwijnt straks: lantaarnpalen", "group_id": public })).await;
    until("the second post is in sam's timeline", || async { timeline().await.contains("lantaarnpalen") }).await;
    a.call_delete(&format!("/api/v1/statuses/{}", later["id"].as_str().expect("id")), &anna).await;
    until("the deletion reached sam", || async { !timeline().await.contains("lantaarnpalen") }).await;

    // c. Sam replies: the reply is in the thread on A and reaches bert's instance.
    snac.cli("note", &["sam", "Geldt dit ook voor fruitbomen?", "-r", thread["uri"].as_str().expect("uri")]);
    eventually("the reply is in the thread on A", || async {
        a.get(&format!("/api/v1/statuses/{thread_id}/context"), &anna).await.1.to_string().contains("fruitbomen")
    })
    .await;
    eventually("the reply reached B", || async { b.stored_posts_containing("fruitbomen").await == 1 }).await;
    // (d: snac's mention parser reads no port in an address, so it cannot mention a group here.)

    // d2. Anna's photo and PDF show in sam's timeline: the image with its alt text, the PDF as
    // a link.
    let (_, image) = a.upload(&anna, "file", "/api/v2/media", gilde::testing::jpeg(640, 480, None), "kapvergunning.jpg").await;
    a.call_put(&format!("/api/v1/media/{}", image["id"].as_str().expect("id")), &anna, json!({ "description": "De eik aan het plein" }))
        .await;
    let (_, pdf) = a.upload(&anna, "file", "/api/v2/media", PDF.to_vec(), "kapvergunning.pdf").await;
    post(a, &anna, json!({ "status": "Snac ziet de kapvergunning", "group_id": public, "media_ids": [image["id"], pdf["id"]] })).await;
    until("the files are in sam's timeline", || async {
        let page = timeline().await;
        page.contains("Snac ziet de kapvergunning") && page.contains("kapvergunning.pdf")
    })
    .await;
    let page = timeline().await;
    let image_url = image["url"].as_str().expect("url");
    let image_path = image_url.trim_start_matches(&a.base);
    assert!(page.contains(image_path) || page.contains("De eik aan het plein"), "the image is shown: {page}");
    assert!(page.contains("De eik aan het plein"), "with its alt text");

    // e. A private group: a request; nothing before approval; the posts after it.
    snac.cli("follow", &["sam", &format!("{}/groups/partners", a.base)]);
    eventually("the request is on A", || async {
        a.get(&format!("/api/v1/groups/{private}/membership_requests"), &anna).await.1.to_string().contains(&sam)
    })
    .await;
    let before_approval = post(a, &anna, json!({ "status": "Vertrouwelijk: de begroting", "group_id": private })).await;
    eventually("A sent what it had to", || async { a.instance.ctx.db.read(gilde::db::jobs::pending_count).await.expect("count") == 0 })
        .await;
    assert_eq!(deliveries_to(a, &snac.domain, &before_approval).await, 0, "nothing is sent before the approval");
    let (_, requests) = a.get(&format!("/api/v1/groups/{private}/membership_requests"), &anna).await;
    let request = requests.as_array().and_then(|r| r.iter().find(|x| x["acct"] == sam.as_str())).cloned().expect("a request");
    a.post(&format!("/api/v1/groups/{private}/membership_requests/{}/authorize", request["id"].as_str().expect("id")), &anna, json!({}))
        .await;
    eventually("sam is a member of the private group", || async { member_accts(a, &anna, &private).await.contains(&sam) }).await;
    let planning = post(a, &anna, json!({ "status": "Vertrouwelijk: de planning", "group_id": private })).await;
    until("the private post is in sam's timeline", || async { timeline().await.contains("de planning") }).await;
    assert!(!timeline().await.contains("de begroting"), "nothing from before the approval");
    assert!(deliveries_to(a, &snac.domain, &planning).await > 0, "what was sent is found by the same check");

    // f. An internal group: nothing delivered.
    let internal_post = post(a, &anna, json!({ "status": "Alleen voor ons: de verhuizing", "group_id": internal })).await;
    eventually("A's queue is empty", || async { a.instance.ctx.db.read(gilde::db::jobs::pending_count).await.expect("count") == 0 }).await;
    assert_eq!(deliveries_to(a, &snac.domain, &internal_post).await, 0, "nothing of an internal group is delivered");
    assert!(!timeline().await.contains("de verhuizing"));

    // h. Sam leaves the public group.
    snac.cli("unfollow", &["sam", &format!("{}/groups/omgevingswet", a.base)]);
    eventually("sam left on A", || async { !member_accts(a, &anna, &public).await.contains(&sam) }).await;

    // g. People follow people across servers, both ways.
    let (status, on_a) = a.get(&format!("/api/v1/accounts/lookup?acct={sam}"), &anna).await;
    assert_eq!(status, 200, "{on_a}");
    let sam_on_a = on_a["id"].as_str().expect("id").to_string();
    let relationship = || async { a.get(&format!("/api/v1/accounts/relationships?id[]={sam_on_a}"), &anna).await.1[0].clone() };
    a.post(&format!("/api/v1/accounts/{sam_on_a}/follow"), &anna, json!({})).await;
    eventually("anna follows sam", || async { relationship().await["following"] == true }).await;
    let anna_url = format!("{}/users/anna", a.base);
    until("snac counts anna as sam's follower", || async { snac.has_follower("sam", &anna_url) }).await;
    snac.cli("note", &["sam", "Snac voor volgers: de weekmarkt"]);
    until("sam's post is in anna's home", || async { a.get("/api/v1/timelines/home", &anna).await.1.to_string().contains("de weekmarkt") })
        .await;
    snac.cli("follow", &["sam", &anna_url]);
    eventually("A counts sam as anna's follower", || async { relationship().await["followed_by"] == true }).await;
    post(a, &anna, json!({ "status": "Anna voor haar volgers: de kermis", "group_id": public })).await;
    until("anna's post is in sam's timeline", || async { timeline().await.contains("de kermis") }).await;
    a.post(&format!("/api/v1/accounts/{sam_on_a}/unfollow"), &anna, json!({})).await;
    until("snac no longer counts anna as sam's follower", || async { !snac.has_follower("sam", &anna_url) }).await;
    snac.cli("unfollow", &["sam", &anna_url]);
    eventually("A no longer counts sam as anna's follower", || async { relationship().await["followed_by"] == false }).await;
    drop(snac);
}
