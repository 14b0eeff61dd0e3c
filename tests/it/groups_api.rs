//! The groups extension over HTTP.

use reqwest::Method;
use serde_json::json;

use crate::common::{assert_error, Server};

#[tokio::test]
async fn create_join_request_approve_and_read_a_group() {
    let s = Server::start().await;
    let (_, owner) = s.person("owner").await;
    let (anna_id, anna) = s.person("anna").await;

    let (status, open) = s.post("/api/v1/groups", &owner, json!({ "display_name": "Omgevingswet", "note": "Alles over de **Omgevingswet**", "visibility": "public", "scope": "federated" })).await;
    assert_eq!(status, 200, "{open}");
    assert_eq!(open["acct"], "omgevingswet");
    assert_eq!((open["visibility"].as_str(), open["scope"].as_str()), (Some("public"), Some("federated")));
    assert_eq!(open["membership"]["role"], "owner");
    assert!(open["note"].as_str().unwrap_or("").contains("<strong>Omgevingswet</strong>"));
    let open_id = open["id"].as_str().expect("id").to_string();

    let (_, joined) = s.post(&format!("/api/v1/groups/{open_id}/join"), &anna, json!({})).await;
    assert_eq!(joined["member"], true);
    let (status, post) = s.post("/api/v1/statuses", &anna, json!({ "status": "Vraag over vergunningen", "group_id": open_id })).await;
    assert_eq!(status, 200, "{post}");
    assert_eq!(post["group"]["id"], open_id.as_str());
    assert_eq!(post["visibility"], "public");
    let (_, stream) = s.get(&format!("/api/v1/timelines/group/{open_id}"), &owner).await;
    assert_eq!(stream[0]["id"], post["id"]);
    let (_, home) = s.get("/api/v1/timelines/home", &owner).await;
    // In home (a Mastodon timeline) a group's post is the group's boost of it.
    assert_eq!(home[0]["reblog"]["id"], post["id"], "threads of my groups are in my home stream");
    assert_eq!(home[0]["group"]["id"], open_id.as_str());

    let (_, closed) = s.post("/api/v1/groups", &owner, json!({ "name": "hr_team", "display_name": "HR", "visibility": "private" })).await;
    let closed_id = closed["id"].as_str().expect("id").to_string();
    assert_eq!(closed["locked"], true);
    let (_, requested) = s.post_form(&format!("/api/v1/groups/{closed_id}/join"), &anna, &[]).await;
    assert_eq!(requested["requested"], true);
    assert_error(&s.get(&format!("/api/v1/timelines/group/{closed_id}"), &anna).await, 403, "members_only");
    assert_error(&s.post("/api/v1/statuses", &anna, json!({ "status": "let me in", "group_id": closed_id })).await, 403, "not_a_member");
    assert_error(&s.get(&format!("/api/v1/groups/{closed_id}/membership_requests"), &anna).await, 403, "moderator_only");
    let (_, requests) = s.get(&format!("/api/v1/groups/{closed_id}/membership_requests"), &owner).await;
    assert_eq!(requests[0]["id"], anna_id.as_str());
    let (_, notes) = s.get("/api/v1/notifications?types[]=group_join_request", &owner).await;
    assert_eq!(notes.as_array().map(Vec::len), Some(1));
    let (status, _) = s.post(&format!("/api/v1/groups/{closed_id}/membership_requests/{anna_id}/authorize"), &owner, json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(s.get(&format!("/api/v1/timelines/group/{closed_id}"), &anna).await.0, 200);
    let (_, members) = s.get(&format!("/api/v1/groups/{closed_id}/memberships"), &anna).await;
    assert_eq!(members.as_array().map(Vec::len), Some(2));
    let (_, mine) = s.get("/api/v1/groups", &anna).await;
    assert_eq!(mine.as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn secret_groups_invitations_and_moderation() {
    let s = Server::start().await;
    let (_, owner) = s.person("owner").await;
    let (anna_id, anna) = s.person("anna").await;
    let (bob_id, bob) = s.person("bob").await;
    let (_, secret) = s.post("/api/v1/groups", &owner, json!({ "name": "fusie", "display_name": "Fusie", "visibility": "secret" })).await;
    let id = secret["id"].as_str().expect("id").to_string();

    assert_error(&s.get(&format!("/api/v1/groups/{id}"), &anna).await, 404, "group_not_found");
    assert_error(&s.post(&format!("/api/v1/groups/{id}/join"), &anna, json!({})).await, 404, "group_not_found");
    assert_error(&s.get("/api/v1/groups/lookup?acct=fusie", &anna).await, 404, "group_not_found");
    let (_, discover) = s.get("/api/v1/groups?filter=discover", &anna).await;
    assert_eq!(discover.as_array().map(Vec::len), Some(0));

    let (status, _) =
        s.post_form(&format!("/api/v1/groups/{id}/invite"), &owner, &[("account_ids[]", &anna_id), ("account_ids[]", &bob_id)]).await;
    assert_eq!(status, 200);
    let (_, seen) = s.get(&format!("/api/v1/groups/{id}"), &anna).await;
    assert_eq!(seen["membership"]["state"], "invited");
    let (_, invitations) = s.get("/api/v1/notifications?types[]=group_invitation", &anna).await;
    assert_eq!(invitations.as_array().map(Vec::len), Some(1));
    s.post(&format!("/api/v1/groups/{id}/join"), &anna, json!({})).await;
    s.post(&format!("/api/v1/groups/{id}/join"), &bob, json!({})).await;
    let (_, post) = s.post("/api/v1/statuses", &anna, json!({ "status": "secret plans", "group_id": id })).await;
    assert_eq!(post["visibility"], "private");

    assert_error(
        &s.post(&format!("/api/v1/groups/{id}/promote"), &anna, json!({ "account_ids": [bob_id], "role": "moderator" })).await,
        403,
        "moderator_only",
    );
    let (status, _) =
        s.post(&format!("/api/v1/groups/{id}/promote"), &owner, json!({ "account_ids": [anna_id], "role": "moderator" })).await;
    assert_eq!(status, 200);
    let (status, _) = s.post(&format!("/api/v1/groups/{id}/blocks"), &anna, json!({ "account_ids": [bob_id] })).await;
    assert_eq!(status, 200);
    // Banned from a secret group is out of it altogether: it is not found.
    assert_error(&s.post(&format!("/api/v1/groups/{id}/join"), &bob, json!({})).await, 404, "group_not_found");
    let (_, blocks) = s.get(&format!("/api/v1/groups/{id}/blocks"), &anna).await;
    assert_eq!(blocks[0]["id"], bob_id.as_str());

    let (status, updated) =
        s.call(Method::PUT, &format!("/api/v1/groups/{id}"), Some(&anna), Some(json!({ "announcements_only": true }))).await;
    assert_eq!((status, updated["announcements_only"].as_bool()), (200, Some(true)));
    assert_error(
        &s.call(Method::PUT, &format!("/api/v1/groups/{id}"), Some(&anna), Some(json!({ "visibility": "public" }))).await,
        403,
        "owner_only",
    );
    assert_error(&s.post("/api/v1/groups", &anna, json!({ "name": "bad name!", "display_name": "x" })).await, 422, "invalid_name");
    assert_error(&s.post("/api/v1/groups", &anna, json!({ "name": "anna", "display_name": "x" })).await, 409, "name_taken");
    assert_error(&s.post("/api/v1/groups", &anna, json!({ "display_name": "x", "visibility": "hidden" })).await, 422, "invalid_visibility");
}
