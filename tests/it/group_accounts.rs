//! Groups through the plain Mastodon API, for apps that know nothing of the groups extension:
//! a group is an account (`group: true`), following it is joining, its statuses are its stream.

use serde_json::json;

use crate::common::{assert_error, Server};
use crate::openapi::assert_shape;

#[tokio::test]
async fn a_group_is_an_account_that_people_follow_to_join() {
    let s = Server::start().await;
    let (_, owner) = s.person("owner").await;
    let (_, bob) = s.person("bob").await;
    let (_, open) = s.post("/api/v1/groups", &owner, json!({ "name": "wonen", "display_name": "Wonen", "note": "Over **wonen**" })).await;
    let (_, closed) =
        s.post("/api/v1/groups", &owner, json!({ "name": "budget", "display_name": "Budget", "visibility": "private" })).await;
    let (_, secret) = s.post("/api/v1/groups", &owner, json!({ "name": "fusie", "display_name": "Fusie", "visibility": "secret" })).await;
    let (_, post) = s.post("/api/v1/statuses", &owner, json!({ "status": "Welkom in Wonen", "group_id": open["id"] })).await;

    // Found by its address, as an account with group: true, in Mastodon's Account shape.
    let (status, account) = s.get("/api/v1/accounts/lookup?acct=wonen", &bob).await;
    assert_eq!(status, 200, "{account}");
    assert_shape("Account", &account);
    assert_eq!(
        (account["group"].as_bool(), account["acct"].as_str(), account["locked"].as_bool()),
        (Some(true), Some("wonen"), Some(false))
    );
    assert!(account["note"].as_str().is_some_and(|n| n.contains("<strong>wonen</strong>")), "{account}");
    assert_eq!(account["followers_count"], 1, "the owner is its only member");
    let id = account["id"].as_str().expect("id").to_string();
    assert!(id.parse::<i64>().is_ok_and(|n| (1 << 50..1 << 53).contains(&n)), "numeric, far from people's ids, exact in JavaScript: {id}");
    let (_, same) = s.get(&format!("/api/v1/accounts/{id}"), &bob).await;
    assert_eq!(same["acct"], "wonen");
    let (_, locked) = s.get("/api/v1/accounts/lookup?acct=budget", &bob).await;
    assert_eq!(locked["locked"], true);

    // A secret group is not found by those who may not see it, by address or by id.
    assert_error(&s.get("/api/v1/accounts/lookup?acct=fusie", &bob).await, 404, "person_not_found");
    let secret_account = (1i64 << 50) + secret["id"].as_str().expect("id").parse::<i64>().expect("number");
    assert_eq!(s.get(&format!("/api/v1/accounts/{secret_account}"), &bob).await.0, 404);
    let (_, owner_view) = s.get(&format!("/api/v1/accounts/{secret_account}"), &owner).await;
    assert_eq!((owner_view["group"].as_bool(), owner_view["locked"].as_bool()), (Some(true), Some(true)));

    // Its statuses are the group's stream, each post boosted by the group (as Mastodon shows a
    // Lemmy community's posts), with the group on the status for apps that know groups.
    let (_, statuses) = s.get(&format!("/api/v1/accounts/{id}/statuses"), &bob).await;
    assert_shape("Status", &statuses[0]);
    assert_eq!((statuses[0]["account"]["id"].as_str(), statuses[0]["reblog"]["id"].as_str()), (Some(id.as_str()), post["id"].as_str()));
    assert_eq!(statuses[0]["reblog"]["account"]["acct"], "owner");
    assert_eq!(statuses[0]["group"]["id"], open["id"]);
    // The boost's id pages and opens as its post.
    let boost_id = statuses[0]["id"].as_str().expect("id").to_string();
    assert_ne!(boost_id, post["id"].as_str().unwrap_or(""));
    let (_, opened) = s.get(&format!("/api/v1/statuses/{boost_id}"), &bob).await;
    assert_eq!(opened["id"], post["id"]);
    let (_, older) = s.get(&format!("/api/v1/accounts/{id}/statuses?max_id={boost_id}"), &bob).await;
    assert_eq!(older.as_array().map(Vec::len), Some(0), "nothing older than the only post");

    // Follow is join; the relationship says so; unfollow is leave.
    let (status, rel) = s.post(&format!("/api/v1/accounts/{id}/follow"), &bob, json!({})).await;
    assert_eq!(status, 200, "{rel}");
    assert_shape("Relationship", &rel);
    assert_eq!((rel["id"].as_str(), rel["following"].as_bool(), rel["requested"].as_bool()), (Some(id.as_str()), Some(true), Some(false)));
    let (_, groups) = s.get("/api/v1/groups", &bob).await;
    assert!(groups.as_array().is_some_and(|g| g.iter().any(|g| g["id"] == open["id"])), "bob is a member: {groups}");
    let (_, rels) = s.get(&format!("/api/v1/accounts/relationships?id[]={id}"), &bob).await;
    assert_eq!(rels[0]["following"], true);
    let (_, home) = s.get("/api/v1/timelines/home", &bob).await;
    assert_eq!(home[0]["reblog"]["id"], post["id"], "the joined group's threads are in home, boosted by the group");
    let (_, rel) = s.post(&format!("/api/v1/accounts/{id}/unfollow"), &bob, json!({})).await;
    assert_eq!(rel["following"], false);

    // Following a private group asks to join: requested until a moderator decides; its stream
    // stays closed meanwhile.
    let closed_account = locked["id"].as_str().expect("id").to_string();
    let (_, rel) = s.post(&format!("/api/v1/accounts/{closed_account}/follow"), &bob, json!({})).await;
    assert_eq!((rel["following"].as_bool(), rel["requested"].as_bool()), (Some(false), Some(true)), "{rel}");
    assert_ne!(s.get(&format!("/api/v1/accounts/{closed_account}/statuses"), &bob).await.0, 200);
    let _ = closed;

    // Search finds groups among accounts.
    let (_, found) = s.get("/api/v2/search?q=wonen&type=accounts", &bob).await;
    assert!(found["accounts"].as_array().is_some_and(|a| a.iter().any(|a| a["id"] == id.as_str() && a["group"] == true)), "{found}");
}

#[tokio::test]
async fn mentioning_a_group_posts_in_it_with_its_rules() {
    let s = Server::start().await;
    let (_, owner) = s.person("owner").await;
    let (_, bob) = s.person("bob").await;
    let (_, open) = s.post("/api/v1/groups", &owner, json!({ "name": "wonen", "display_name": "Wonen" })).await;
    s.post("/api/v1/groups", &owner, json!({ "name": "budget", "display_name": "Budget", "visibility": "private" })).await;
    s.post("/api/v1/groups", &owner, json!({ "name": "fusie", "display_name": "Fusie", "visibility": "secret" })).await;
    s.post(&format!("/api/v1/groups/{}/join", open["id"].as_str().expect("id")), &bob, json!({})).await;

    // A plain Mastodon status that mentions the group becomes a thread in it.
    let (status, thread) = s.post("/api/v1/statuses", &bob, json!({ "status": "@wonen Wie weet iets van huurtoeslag?" })).await;
    assert_eq!(status, 200, "{thread}");
    assert_eq!(thread["group"]["id"], open["id"], "{thread}");
    assert_eq!(thread["visibility"], "public");
    // A reply to it stays in the group, whatever it mentions.
    let (_, reply) = s.post("/api/v1/statuses", &owner, json!({ "status": "@bob ja, zie de site", "in_reply_to_id": thread["id"] })).await;
    assert_eq!(reply["group"]["id"], open["id"]);
    // A private group's post is never public, whatever the app asks for.
    let (_, private) = s.post("/api/v1/statuses", &owner, json!({ "status": "@budget cijfers Q3", "visibility": "public" })).await;
    assert_eq!((private["group"]["acct"].as_str(), private["visibility"].as_str()), (Some("budget"), Some("private")), "{private}");

    // Refused with a clear error, and published nowhere: a group bob is not in, one he may not
    // see, two groups at once.
    assert_error(&s.post("/api/v1/statuses", &bob, json!({ "status": "@budget mag ik meelezen?" })).await, 403, "not_a_member");
    assert_error(&s.post("/api/v1/statuses", &bob, json!({ "status": "@fusie hallo?" })).await, 404, "group_not_found");
    assert_error(&s.post("/api/v1/statuses", &owner, json!({ "status": "@wonen en @budget samen" })).await, 422, "one_group_only");
    let (_, mine) = s.get(&format!("/api/v1/accounts/{}/statuses", thread["account"]["id"].as_str().expect("id")), &bob).await;
    assert_eq!(mine.as_array().map(Vec::len), Some(1), "only the thread: {mine}");
}

#[tokio::test]
async fn join_requests_are_follow_requests_for_moderators_in_mastodon_apps() {
    let s = Server::start().await;
    let (_, owner) = s.person("owner").await;
    let (bob_id, bob) = s.person("bob").await;
    let (_, carol) = s.person("carol").await;
    s.post("/api/v1/groups", &owner, json!({ "name": "budget", "display_name": "Budget", "visibility": "private" })).await;
    let (_, group) = s.get("/api/v1/accounts/lookup?acct=budget", &bob).await;
    let group_account = group["id"].as_str().expect("id").to_string();
    s.post(&format!("/api/v1/accounts/{group_account}/follow"), &bob, json!({})).await;
    s.post(&format!("/api/v1/accounts/{group_account}/follow"), &carol, json!({})).await;

    // The moderator sees the requests as follow requests, and is notified as Mastodon does.
    let (_, requests) = s.get("/api/v1/follow_requests", &owner).await;
    let names: Vec<&str> = requests.as_array().into_iter().flatten().filter_map(|a| a["acct"].as_str()).collect();
    assert_eq!(names, vec!["carol", "bob"], "newest first");
    assert_shape("Account", &requests[0]);
    let (_, notes) = s.get("/api/v1/notifications", &owner).await;
    assert!(notes.as_array().is_some_and(|l| l.iter().any(|n| n["type"] == "follow_request" && n["account"]["acct"] == "bob")), "{notes}");
    assert_shape("Notification", &notes[0]);
    // Not a moderator: nothing to decide.
    assert_eq!(s.get("/api/v1/follow_requests", &carol).await.1.as_array().map(Vec::len), Some(0));
    assert_error(&s.post(&format!("/api/v1/follow_requests/{bob_id}/authorize"), &carol, json!({})).await, 404, "request_not_found");

    // Authorize lets bob in; he hears of it as the group following him; reject turns carol away.
    let (status, rel) = s.post(&format!("/api/v1/follow_requests/{bob_id}/authorize"), &owner, json!({})).await;
    assert_eq!(status, 200, "{rel}");
    assert_shape("Relationship", &rel);
    let (_, rels) = s.get(&format!("/api/v1/accounts/relationships?id[]={group_account}"), &bob).await;
    assert_eq!((rels[0]["following"].as_bool(), rels[0]["requested"].as_bool()), (Some(true), Some(false)));
    let (_, notes) = s.get("/api/v1/notifications?types[]=follow", &bob).await;
    assert_eq!((notes[0]["type"].as_str(), notes[0]["account"]["acct"].as_str()), (Some("follow"), Some("budget")), "{notes}");
    assert_eq!(notes[0]["account"]["group"], true);
    let carol_id = requests[0]["id"].as_str().expect("id").to_string();
    s.post(&format!("/api/v1/follow_requests/{carol_id}/reject"), &owner, json!({})).await;
    let (_, rels) = s.get(&format!("/api/v1/accounts/relationships?id[]={group_account}"), &carol).await;
    assert_eq!((rels[0]["following"].as_bool(), rels[0]["requested"].as_bool()), (Some(false), Some(false)));
    assert_eq!(s.get("/api/v1/follow_requests", &owner).await.1.as_array().map(Vec::len), Some(0));
}
