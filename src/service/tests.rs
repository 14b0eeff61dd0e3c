//! Rules of the service layer, denials included. Each test has its own database: SQLite, or
//! PostgreSQL when `GILDE_TEST_DATABASE_URL` is set.

use super::groups::{GroupListing, GroupUpdate};
use super::people::{NewAccount, ProfileUpdate};
use super::posts::{NewPostInput, Stream};
use super::*;
use crate::db::people::DirectoryFilter;
use crate::db::Page;
use crate::testing::{TestContext, PASSWORD};

fn page() -> Page {
    Page { limit: 20, ..Default::default() }
}

async fn post(t: &TestContext, actor: &Actor, text: &str, group: Option<&GroupView>) -> Result<PostView> {
    posts::create(&t.ctx, actor, NewPostInput { text: text.into(), group_id: group.map(|g| g.group.id), ..Default::default() }).await
}

async fn reply(t: &TestContext, actor: &Actor, to: &PostView, text: &str) -> Result<PostView> {
    posts::create(&t.ctx, actor, NewPostInput { text: text.into(), in_reply_to_id: Some(to.post.id), ..Default::default() }).await
}

fn code<T: std::fmt::Debug>(r: Result<T>) -> &'static str {
    r.expect_err("expected a refusal").code()
}

#[tokio::test]
async fn accounts_names_and_passwords() {
    let t = TestContext::new();
    let anna = t.person("anna").await;
    let logged_in = people::authenticate(&t.ctx, "Anna", PASSWORD).await.expect("login");
    assert_eq!(logged_in.person_id, anna.person_id);
    assert_eq!(code(people::authenticate(&t.ctx, "anna", "wrong password").await), "invalid_credentials");
    assert_eq!(code(people::authenticate(&t.ctx, "nobody", PASSWORD).await), "invalid_credentials");
    let dup = people::create_account(
        &t.ctx,
        NewAccount { username: "ANNA".into(), password: PASSWORD.into(), display_name: None, is_admin: false },
    )
    .await;
    assert_eq!(code(dup), "name_taken");
    let bad = people::create_account(
        &t.ctx,
        NewAccount { username: "an na".into(), password: PASSWORD.into(), display_name: None, is_admin: false },
    )
    .await;
    assert_eq!(code(bad), "invalid_name");
    let short = people::create_account(
        &t.ctx,
        NewAccount { username: "bob".into(), password: "short".into(), display_name: None, is_admin: false },
    )
    .await;
    assert_eq!(code(short), "password_too_short");
    // People and groups share one namespace, so @name is never ambiguous.
    t.group(&anna, "omgevingswet", Visibility::Public).await;
    let clash = people::create_account(
        &t.ctx,
        NewAccount { username: "omgevingswet".into(), password: PASSWORD.into(), display_name: None, is_admin: false },
    )
    .await;
    assert_eq!(code(clash), "name_taken");
    assert_eq!(people::count_accounts(&t.ctx).await.expect("count"), 1);
}

#[tokio::test]
async fn guessing_passwords_is_rate_limited_per_name() {
    let t = TestContext::new();
    t.person("anna").await;
    t.person("bob").await;
    for _ in 0..10 {
        assert_eq!(code(people::authenticate(&t.ctx, "anna", "guess").await), "invalid_credentials");
    }
    let limited = people::authenticate(&t.ctx, "anna", PASSWORD).await.expect_err("limited");
    assert_eq!((limited.code(), limited.kind()), ("too_many_attempts", crate::ErrorKind::RateLimited));
    people::authenticate(&t.ctx, "bob", PASSWORD).await.expect("another name is not affected");
}

#[tokio::test]
async fn profile_and_directory() {
    let t = TestContext::new();
    let anna = t.person("anna").await;
    let bob = t.person("bob").await;
    let update = ProfileUpdate {
        display_name: Some("Anna de Vries".into()),
        bio: Some("Works on **permits**".into()),
        department: Some("Ruimtelijke Ordening".into()),
        expertise: Some(vec!["#Omgevingswet".into(), "GIS, omgevingswet".into()]),
        locale: Some("nl".into()),
        ..Default::default()
    };
    let view = people::update_profile(&t.ctx, &anna, update).await.expect("update");
    assert_eq!(view.expertise, vec!["gis".to_string(), "omgevingswet".to_string()]);
    assert!(view.person.bio_html.contains("<strong>permits</strong>"));
    people::update_profile(&t.ctx, &bob, ProfileUpdate { department: Some("ICT".into()), ..Default::default() }).await.expect("bob");

    let by_tag =
        people::directory(&t.ctx, DirectoryFilter { expertise: Some("GIS".into()), ..Default::default() }, 20, 0).await.expect("dir");
    assert_eq!(by_tag.iter().map(|p| p.person.id).collect::<Vec<_>>(), vec![anna.person_id]);
    let by_dept =
        people::directory(&t.ctx, DirectoryFilter { department: Some("ict".into()), ..Default::default() }, 20, 0).await.expect("dir");
    assert_eq!(by_dept.iter().map(|p| p.person.id).collect::<Vec<_>>(), vec![bob.person_id]);
    let by_name =
        people::directory(&t.ctx, DirectoryFilter { name: Some("vries".into()), ..Default::default() }, 20, 0).await.expect("dir");
    assert_eq!(by_name.len(), 1);
    let none = people::directory(&t.ctx, DirectoryFilter { name: Some("100%_".into()), ..Default::default() }, 20, 0).await.expect("dir");
    assert!(none.is_empty(), "LIKE wildcards in the filter are literal");

    let too_many = ProfileUpdate { expertise: Some((0..21).map(|i| format!("t{i}")).collect()), ..Default::default() };
    assert_eq!(code(people::update_profile(&t.ctx, &anna, too_many).await), "too_many_tags");
    let bad_locale = ProfileUpdate { locale: Some("fr".into()), ..Default::default() };
    assert_eq!(code(people::update_profile(&t.ctx, &anna, bad_locale).await), "invalid_locale");
    assert_eq!(people::locale(&t.ctx, anna.person_id).await.expect("locale").as_deref(), Some("nl"));
}

#[tokio::test]
async fn following_people_fills_home_and_notifies() {
    let t = TestContext::new();
    let anna = t.person("anna").await;
    let bob = t.person("bob").await;
    let hello = post(&t, &bob, "Hello from Bob", None).await.expect("post");
    assert!(posts::stream(&t.ctx, &anna, Stream::Home, page()).await.expect("home").is_empty());
    people::follow(&t.ctx, &anna, bob.person_id).await.expect("follow");
    people::follow(&t.ctx, &anna, bob.person_id).await.expect("following twice changes nothing");
    let home = posts::stream(&t.ctx, &anna, Stream::Home, page()).await.expect("home");
    assert_eq!(home.iter().map(|p| p.post.id).collect::<Vec<_>>(), vec![hello.post.id]);
    let rel = people::relationships(&t.ctx, &bob, vec![anna.person_id]).await.expect("rel");
    assert!(rel[0].followed_by && !rel[0].following);
    let bob_view = people::get(&t.ctx, bob.person_id).await.expect("bob");
    assert_eq!((bob_view.followers_count, bob_view.posts_count), (1, 1));
    // The count is kept as posts come and go (deleting twice counts once).
    let second = post(&t, &bob, "A second one", None).await.expect("post");
    assert_eq!(people::get(&t.ctx, bob.person_id).await.expect("bob").posts_count, 2);
    posts::delete(&t.ctx, &bob, second.post.id).await.expect("delete");
    let _ = posts::delete(&t.ctx, &bob, second.post.id).await;
    assert_eq!(people::get(&t.ctx, bob.person_id).await.expect("bob").posts_count, 1);
    let n = notifications::list(&t.ctx, &bob, vec![], page()).await.expect("notifications");
    assert_eq!(n.len(), 1, "one follow notification, not two");
    assert_eq!(n[0].notification.kind, "follow");
    assert_eq!(code(people::follow(&t.ctx, &anna, anna.person_id).await), "cannot_follow_self");
    people::unfollow(&t.ctx, &anna, bob.person_id).await.expect("unfollow");
    assert!(posts::stream(&t.ctx, &anna, Stream::Home, page()).await.expect("home").is_empty());
}

#[tokio::test]
async fn public_group_join_post_and_leave() {
    let t = TestContext::new();
    let owner = t.person("owner").await;
    let anna = t.person("anna").await;
    let g = t.group(&owner, "wonen", Visibility::Public).await;
    assert_eq!(g.members_count, 1);
    assert_eq!(g.membership.as_ref().map(|m| m.role.as_str()), Some("owner"));

    // A public group can be read before joining, but not posted in.
    assert_eq!(code(post(&t, &anna, "Hi", Some(&g)).await), "not_a_member");
    let first = post(&t, &owner, "Welcome", Some(&g)).await.expect("owner posts");
    assert_eq!(posts::stream(&t.ctx, &anna, Stream::Group(g.group.id), page()).await.expect("read").len(), 1);

    let joined = membership::join(&t.ctx, &anna, g.group.id).await.expect("join");
    assert_eq!(joined.membership.as_ref().map(|m| m.state.as_str()), Some("active"));
    assert_eq!(joined.members_count, 2);
    let reply = reply(&t, &anna, &first, "Thanks!").await.expect("reply");
    assert_eq!(reply.post.group_id, Some(g.group.id), "a reply stays in its group");
    let home = posts::stream(&t.ctx, &anna, Stream::Home, page()).await.expect("home");
    assert_eq!(home.iter().map(|p| p.post.id).collect::<Vec<_>>(), vec![first.post.id], "home shows threads, not replies");
    assert_eq!(home[0].replies_count, 1);

    assert_eq!(code(membership::leave(&t.ctx, &owner, g.group.id).await), "last_owner");
    membership::leave(&t.ctx, &anna, g.group.id).await.expect("leave");
    assert_eq!(code(post(&t, &anna, "Still here?", Some(&g)).await), "not_a_member");
    let mine = groups::list(&t.ctx, &anna, GroupListing::Mine, None, 20, 0).await.expect("mine");
    assert!(mine.is_empty());
}

#[tokio::test]
async fn private_group_requests_and_decisions() {
    let t = TestContext::new();
    let owner = t.person("owner").await;
    let anna = t.person("anna").await;
    let bob = t.person("bob").await;
    let g = t.group(&owner, "hr", Visibility::Private).await;
    post(&t, &owner, "Confidential", Some(&g)).await.expect("post");

    let seen = groups::get(&t.ctx, &anna, g.group.id).await.expect("a private group shows its name");
    assert_eq!(seen.group.note, "About hr");
    assert_eq!(code(posts::stream(&t.ctx, &anna, Stream::Group(g.group.id), page()).await), "members_only");
    assert_eq!(code(membership::members(&t.ctx, &anna, g.group.id, None, 20).await), "members_only");

    let requested = membership::join(&t.ctx, &anna, g.group.id).await.expect("request");
    assert_eq!(requested.membership.as_ref().map(|m| m.state.as_str()), Some("pending"));
    assert_eq!(code(posts::stream(&t.ctx, &anna, Stream::Group(g.group.id), page()).await), "members_only");
    let n = notifications::list(&t.ctx, &owner, vec!["join_request".into()], page()).await.expect("n");
    assert_eq!(n.len(), 1);

    // Only moderators decide.
    assert_eq!(code(membership::list_by_state(&t.ctx, &bob, g.group.id, MemberState::Pending, None, 20).await), "moderator_only");
    assert_eq!(code(membership::decide_request(&t.ctx, &bob, g.group.id, anna.person_id, true).await), "moderator_only");
    let pending = membership::list_by_state(&t.ctx, &owner, g.group.id, MemberState::Pending, None, 20).await.expect("pending");
    assert_eq!(pending.len(), 1);
    membership::decide_request(&t.ctx, &owner, g.group.id, anna.person_id, true).await.expect("approve");
    assert_eq!(posts::stream(&t.ctx, &anna, Stream::Group(g.group.id), page()).await.expect("read").len(), 1);
    let n = notifications::list(&t.ctx, &anna, vec![], page()).await.expect("n");
    assert_eq!(n[0].notification.kind, "request_approved");

    membership::join(&t.ctx, &bob, g.group.id).await.expect("request");
    membership::decide_request(&t.ctx, &owner, g.group.id, bob.person_id, false).await.expect("refuse");
    assert_eq!(code(posts::stream(&t.ctx, &bob, Stream::Group(g.group.id), page()).await), "members_only");
    assert_eq!(code(membership::decide_request(&t.ctx, &owner, g.group.id, bob.person_id, true).await), "request_not_found");
}

#[tokio::test]
async fn secret_group_is_invisible_until_invited() {
    let t = TestContext::new();
    let owner = t.person("owner").await;
    let anna = t.person("anna").await;
    let g = t.group(&owner, "fusie", Visibility::Secret).await;
    let p = post(&t, &owner, "We merge with the next town", Some(&g)).await.expect("post");

    assert_eq!(code(groups::get(&t.ctx, &anna, g.group.id).await), "group_not_found");
    assert_eq!(code(membership::join(&t.ctx, &anna, g.group.id).await), "group_not_found");
    assert_eq!(code(posts::get(&t.ctx, &anna, p.post.id).await), "post_not_found");
    let found = search::search(&t.ctx, &anna, "fusie", search::SearchKind::All, page(), 0).await.expect("search");
    assert!(found.groups.is_empty() && found.posts.is_empty(), "search does not reveal a secret group");
    let found = search::search(&t.ctx, &anna, "merge", search::SearchKind::Posts, page(), 0).await.expect("search");
    assert!(found.posts.is_empty());
    assert!(groups::list(&t.ctx, &anna, GroupListing::Discover, None, 20, 0).await.expect("discover").is_empty());

    assert_eq!(code(membership::invite(&t.ctx, &anna, g.group.id, vec![anna.person_id]).await), "group_not_found");
    membership::invite(&t.ctx, &owner, g.group.id, vec![anna.person_id]).await.expect("invite");
    let invited = groups::get(&t.ctx, &anna, g.group.id).await.expect("an invitee sees the group");
    assert_eq!(invited.membership.as_ref().map(|m| m.state.as_str()), Some("invited"));
    assert_eq!(code(posts::get(&t.ctx, &anna, p.post.id).await), "post_not_found", "but not its posts");
    let n = notifications::list(&t.ctx, &anna, vec![], page()).await.expect("n");
    assert_eq!(n[0].notification.kind, "invitation");
    membership::join(&t.ctx, &anna, g.group.id).await.expect("accept invitation");
    assert_eq!(posts::get(&t.ctx, &anna, p.post.id).await.expect("member reads").post.id, p.post.id);
    assert_eq!(p.post.visibility, "private", "posts of a secret group are never public");
}

#[tokio::test]
async fn moderation_remove_ban_roles_and_announcements() {
    let t = TestContext::new();
    let owner = t.person("owner").await;
    let moder = t.person("moder").await;
    let anna = t.person("anna").await;
    let g = t.group(&owner, "nieuws", Visibility::Public).await;
    let gid = g.group.id;
    for p in [&moder, &anna] {
        membership::join(&t.ctx, p, gid).await.expect("join");
    }
    assert_eq!(code(membership::set_role(&t.ctx, &anna, gid, vec![moder.person_id], Role::Moderator).await), "moderator_only");
    membership::set_role(&t.ctx, &owner, gid, vec![moder.person_id], Role::Moderator).await.expect("promote");
    assert_eq!(code(membership::set_role(&t.ctx, &moder, gid, vec![anna.person_id], Role::Moderator).await), "owner_only");
    assert_eq!(code(membership::set_role(&t.ctx, &owner, gid, vec![owner.person_id], Role::Member).await), "last_owner");

    // Announcements mode: only moderators start threads; members still reply.
    assert_eq!(
        code(groups::update(&t.ctx, &anna, gid, GroupUpdate { announcements_only: Some(true), ..Default::default() }).await),
        "moderator_only"
    );
    groups::update(&t.ctx, &moder, gid, GroupUpdate { announcements_only: Some(true), ..Default::default() })
        .await
        .expect("moderator sets mode");
    assert_eq!(
        code(groups::update(&t.ctx, &moder, gid, GroupUpdate { visibility: Some(Visibility::Secret), ..Default::default() }).await),
        "owner_only"
    );
    assert_eq!(code(post(&t, &anna, "New thread", Some(&g)).await), "announcements_only");
    let news = post(&t, &moder, "News!", Some(&g)).await.expect("moderator posts");
    reply(&t, &anna, &news, "Great").await.expect("members reply");

    // A moderator cannot remove the owner; a removed member can rejoin, a banned one cannot.
    assert_eq!(code(membership::remove(&t.ctx, &moder, gid, vec![owner.person_id], false).await), "outranked");
    membership::remove(&t.ctx, &moder, gid, vec![anna.person_id], false).await.expect("remove");
    membership::join(&t.ctx, &anna, gid).await.expect("rejoin");
    membership::remove(&t.ctx, &moder, gid, vec![anna.person_id], true).await.expect("ban");
    assert_eq!(code(membership::join(&t.ctx, &anna, gid).await), "banned");
    assert_eq!(code(reply(&t, &anna, &news, "Let me in").await), "banned");
    membership::unban(&t.ctx, &moder, gid, vec![anna.person_id]).await.expect("unban");
    membership::join(&t.ctx, &anna, gid).await.expect("join after unban");
    membership::set_role(&t.ctx, &owner, gid, vec![moder.person_id], Role::Member).await.expect("demote");
    assert_eq!(code(membership::remove(&t.ctx, &moder, gid, vec![anna.person_id], false).await), "moderator_only");
}

#[tokio::test]
async fn posts_edit_delete_like_and_limits() {
    let t = TestContext::with_config(|c| c.max_post_chars = 50);
    let owner = t.person("owner").await;
    let anna = t.person("anna").await;
    let bob = t.person("bob").await;
    let g = t.group(&owner, "team", Visibility::Public).await;
    membership::join(&t.ctx, &anna, g.group.id).await.expect("join");
    membership::join(&t.ctx, &bob, g.group.id).await.expect("join");

    assert_eq!(code(post(&t, &anna, "   ", Some(&g)).await), "empty_post");
    assert_eq!(code(post(&t, &anna, &"x".repeat(51), Some(&g)).await), "post_too_long");
    post(&t, &anna, &"é".repeat(50), Some(&g)).await.expect("50 characters fit, whatever their bytes");
    let p = post(&t, &anna, "Draft", Some(&g)).await.expect("post");

    assert_eq!(code(posts::edit(&t.ctx, &bob, p.post.id, "Hacked".into(), None).await), "not_author");
    let edited = posts::edit(&t.ctx, &anna, p.post.id, "Final *text*".into(), None).await.expect("edit");
    assert!(edited.post.content_html.contains("<em>text</em>") && edited.post.edited_at.is_some());

    let liked = posts::favourite(&t.ctx, &bob, p.post.id, true).await.expect("like");
    assert!(liked.favourited && liked.favourites_count == 1);
    posts::favourite(&t.ctx, &bob, p.post.id, true).await.expect("liking twice changes nothing");
    assert_eq!(posts::get(&t.ctx, &anna, p.post.id).await.expect("get").favourites_count, 1);
    let n = notifications::list(&t.ctx, &anna, vec!["favourite".into()], page()).await.expect("n");
    assert_eq!(n.len(), 1);

    assert_eq!(code(posts::delete(&t.ctx, &bob, p.post.id).await), "not_allowed_to_delete");
    posts::delete(&t.ctx, &owner, p.post.id).await.expect("a group moderator deletes");
    assert_eq!(code(posts::get(&t.ctx, &anna, p.post.id).await), "post_not_found");
    let mine = post(&t, &bob, "Mine", None).await.expect("profile post");
    posts::delete(&t.ctx, &bob, mine.post.id).await.expect("author deletes");
    assert!(
        notifications::list(&t.ctx, &anna, vec!["favourite".into()], page()).await.expect("n").is_empty(),
        "notifications of deleted posts go"
    );
}

#[tokio::test]
async fn mentions_and_replies_notify_only_those_who_can_read() {
    let t = TestContext::new();
    let anna = t.person("anna").await;
    let bob = t.person("bob").await;
    let carol = t.person("carol").await;
    let g = t.group(&anna, "geheim", Visibility::Private).await;
    let p = post(&t, &anna, "Hi @bob and @carol@gilde.test, see `@nobody`", None).await.expect("post");
    assert_eq!(p.mentions.len(), 2);
    assert!(p.post.content_html.contains(r#"href="http://gilde.test/@bob""#), "{}", p.post.content_html);
    for who in [&bob, &carol] {
        let n = notifications::list(&t.ctx, who, vec!["mention".into()], page()).await.expect("n");
        assert_eq!(n.len(), 1);
    }
    // A mention in a private group does not reach someone outside it.
    post(&t, &anna, "Only for members, @bob", Some(&g)).await.expect("post");
    assert_eq!(notifications::list(&t.ctx, &bob, vec!["mention".into()], page()).await.expect("n").len(), 1);

    let r = reply(&t, &bob, &p, "Thanks").await.expect("reply");
    let n = notifications::list(&t.ctx, &anna, vec!["reply".into()], page()).await.expect("n");
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].post.as_ref().map(|v| v.post.id), Some(r.post.id));
    assert_eq!(notifications::unread_count(&t.ctx, &anna).await.expect("count"), 1);
    notifications::mark_read(&t.ctx, &anna, None).await.expect("read");
    assert_eq!(notifications::unread_count(&t.ctx, &anna).await.expect("count"), 0);
    assert_eq!(code(notifications::list(&t.ctx, &anna, vec!["bogus".into()], page()).await), "invalid_notification_type");
}

#[tokio::test]
async fn followers_only_posts_and_thread_context() {
    let t = TestContext::new();
    let anna = t.person("anna").await;
    let bob = t.person("bob").await;
    let eve = t.person("eve").await;
    people::follow(&t.ctx, &bob, anna.person_id).await.expect("follow");
    let p = posts::create(
        &t.ctx,
        &anna,
        NewPostInput { text: "followers only".into(), visibility: Some("private".into()), ..Default::default() },
    )
    .await
    .expect("post");
    assert_eq!(code(posts::get(&t.ctx, &eve, p.post.id).await), "post_not_found");
    assert!(posts::stream(&t.ctx, &eve, Stream::Author(anna.person_id), page()).await.expect("profile").is_empty());
    assert_eq!(posts::stream(&t.ctx, &bob, Stream::Author(anna.person_id), page()).await.expect("profile").len(), 1);
    let r1 = reply(&t, &bob, &p, "level 1").await.expect("r1");
    assert_eq!(r1.post.visibility, "private", "a reply is never more visible than its parent");
    let r2 = reply(&t, &anna, &r1, "level 2").await.expect("r2");
    let ctx = posts::context(&t.ctx, &bob, r1.post.id).await.expect("context");
    assert_eq!(ctx.ancestors.iter().map(|v| v.post.id).collect::<Vec<_>>(), vec![p.post.id]);
    assert_eq!(ctx.descendants.iter().map(|v| v.post.id).collect::<Vec<_>>(), vec![r2.post.id]);
    let bad =
        posts::create(&t.ctx, &anna, NewPostInput { text: "dm".into(), visibility: Some("direct".into()), ..Default::default() }).await;
    assert_eq!(code(bad), "direct_not_supported");
}

#[tokio::test]
async fn streams_page_by_id() {
    let t = TestContext::new();
    let anna = t.person("anna").await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(post(&t, &anna, &format!("post {i}"), None).await.expect("post").post.id.0);
    }
    let get = |max_id, since_id, min_id, limit| {
        let ctx = t.ctx.clone();
        async move {
            posts::stream(&ctx, &anna, Stream::Home, Page { max_id, since_id, min_id, limit })
                .await
                .expect("stream")
                .into_iter()
                .map(|v| v.post.id.0)
                .collect::<Vec<_>>()
        }
    };
    let newest: Vec<i64> = ids.iter().rev().copied().collect();
    assert_eq!(get(None, None, None, 3).await, newest[..3]);
    assert_eq!(get(Some(newest[2]), None, None, 3).await, newest[3..6]);
    assert_eq!(get(None, Some(ids[4]), None, 10).await, newest[..2]);
    assert_eq!(get(None, None, Some(ids[1]), 2).await, vec![ids[3], ids[2]], "min_id gives the page just after it, newest first");
}

#[tokio::test]
async fn public_stream_and_search_respect_visibility() {
    let t = TestContext::new();
    let anna = t.person("anna").await;
    let bob = t.person("bob").await;
    let open = t.group(&anna, "open", Visibility::Public).await;
    let closed = t.group(&anna, "closed", Visibility::Private).await;
    post(&t, &anna, "kennisdeling in open", Some(&open)).await.expect("post");
    post(&t, &anna, "kennisdeling in closed", Some(&closed)).await.expect("post");
    post(&t, &anna, "kennisdeling unlisted", None).await.expect("post");
    let public = posts::stream(&t.ctx, &bob, Stream::Public, page()).await.expect("public");
    assert_eq!(public.iter().map(|p| p.post.source.as_str()).collect::<Vec<_>>(), vec!["kennisdeling unlisted", "kennisdeling in open"]);
    let found = search::search(&t.ctx, &bob, "KENNISDELING", search::SearchKind::Posts, page(), 0).await.expect("search");
    assert_eq!(found.posts.len(), 2, "the private group's post is not found by non-members");
    let found = search::search(&t.ctx, &anna, "kennisdeling", search::SearchKind::Posts, page(), 0).await.expect("search");
    assert_eq!(found.posts.len(), 3);
    let found = search::search(&t.ctx, &bob, "clo", search::SearchKind::Groups, page(), 0).await.expect("search");
    assert_eq!(found.groups.len(), 1, "private groups can be found by name");
    assert_eq!(code(search::search(&t.ctx, &bob, " ", search::SearchKind::All, page(), 0).await), "empty_query");
}

#[tokio::test]
async fn search_finds_every_word_as_a_prefix_and_follows_edits_and_deletions() {
    let t = TestContext::new();
    let anna = t.person("anna").await;
    let open = t.group(&anna, "open", Visibility::Public).await;
    let permits = post(&t, &anna, "Nieuwe vergunningen voor de Omgevingswet", Some(&open)).await.expect("post");
    let cafe = post(&t, &anna, "Overleg in het café, om 10:00", Some(&open)).await.expect("post");
    let app = post(&t, &anna, "Probeer de app Mastodon.py eens", Some(&open)).await.expect("post");
    post(&t, &anna, "Fietsenstalling", Some(&open)).await.expect("post");
    let found = |q: &'static str| {
        let ctx = t.ctx.clone();
        async move {
            let found = search::search(&ctx, &anna, q, search::SearchKind::Posts, page(), 0).await.expect("search");
            found.posts.iter().map(|p| p.post.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(found("vergunning").await, vec![permits.post.id], "a word finds longer words it starts");
    assert_eq!(found("omgevingswet Vergunning").await, vec![permits.post.id], "every word, in any order, any case");
    assert!(found("vergunning fiets").await.is_empty(), "all words must be there");
    assert_eq!(found("cafe").await, vec![cafe.post.id], "accents are folded");
    assert!(found("gunning").await.is_empty(), "words match from their start");
    assert_eq!(found("mastodon.py").await, vec![app.post.id], "punctuation separates words, in the text and the search");
    assert_eq!(found("py").await, vec![app.post.id]);
    assert!(found("%_\"*").await.is_empty(), "punctuation alone finds nothing and breaks nothing");

    posts::edit(&t.ctx, &anna, cafe.post.id, "Overleg in de kantine".into(), None).await.expect("edit");
    assert!(found("cafe").await.is_empty(), "the index follows an edit");
    assert_eq!(found("kantine").await, vec![cafe.post.id]);
    posts::delete(&t.ctx, &anna, cafe.post.id).await.expect("delete");
    assert!(found("kantine").await.is_empty(), "deleted posts are not found");
}

#[tokio::test]
async fn search_reaches_past_many_newer_matches_the_reader_may_not_see() {
    let t = TestContext::new();
    let anna = t.person("anna").await;
    let bob = t.person("bob").await;
    let open = t.group(&anna, "open", Visibility::Public).await;
    let closed = t.group(&anna, "closed", Visibility::Private).await;
    let visible = post(&t, &anna, "begroting voor iedereen", Some(&open)).await.expect("post");
    // More newer matches than SQLite reads from its index at once, all closed to bob.
    for n in 0..450 {
        post(&t, &anna, &format!("begroting intern {n}"), Some(&closed)).await.expect("post");
    }
    let found = search::search(&t.ctx, &bob, "begroting", search::SearchKind::Posts, page(), 0).await.expect("search");
    assert_eq!(found.posts.iter().map(|p| p.post.id).collect::<Vec<_>>(), vec![visible.post.id]);
    let found = search::search(&t.ctx, &anna, "begroting", search::SearchKind::Posts, page(), 0).await.expect("search");
    assert_eq!(found.posts.len(), 20, "a full page for a member");
    assert!(found.posts.windows(2).all(|w| w[0].post.id > w[1].post.id), "newest first");
}

#[tokio::test]
async fn a_failed_write_changes_nothing() {
    let t = TestContext::new();
    let owner = t.person("owner").await;
    let g = t.group(&owner, "team", Visibility::Public).await;
    let anna = t.person("anna").await;
    // The invitation list fails on its second (unknown) person: the first is not invited either.
    let r = membership::invite(&t.ctx, &owner, g.group.id, vec![anna.person_id, crate::db::PersonId(999_999)]).await;
    assert_eq!(code(r), "person_not_found");
    let invited = membership::list_by_state(&t.ctx, &owner, g.group.id, MemberState::Invited, None, 20).await.expect("list");
    assert!(invited.is_empty());
    assert!(notifications::list(&t.ctx, &anna, vec![], page()).await.expect("n").is_empty());
}

async fn remote_person(t: &TestContext, name: &str, domain: &str) -> crate::db::PersonId {
    let remote = crate::db::people::RemotePerson {
        ap_id: format!("https://{domain}/users/{name}"),
        username: name.into(),
        domain: domain.into(),
        display_name: name.into(),
        bio_html: String::new(),
        inbox_url: format!("https://{domain}/users/{name}/inbox"),
        shared_inbox_url: Some(format!("https://{domain}/inbox")),
        public_key: String::new(),
        ..Default::default()
    };
    actors::store_remote_person(&t.ctx, remote).await.expect("remote person").id
}

#[tokio::test]
async fn a_group_narrowed_to_partners_refuses_other_domains_with_the_reason() {
    let t = TestContext::new();
    let owner = t.person("owner").await;
    let input = groups::NewGroupInput {
        name: "regio".into(),
        display_name: "Regio".into(),
        note: String::new(),
        scope: Scope::Federated,
        visibility: Visibility::Public,
        announcements_only: false,
    };
    let group = groups::create(&t.ctx, &owner, input).await.expect("group").group.id;
    let update =
        |list: Vec<&str>| GroupUpdate { partner_domains: Some(list.into_iter().map(str::to_string).collect()), ..Default::default() };
    let bad = groups::update(&t.ctx, &owner, group, update(vec!["geen domein"])).await;
    assert_eq!(code(bad), "invalid_partner_domain");
    groups::update(&t.ctx, &owner, group, update(vec!["*.gemeente.nl", "partner.example"])).await.expect("partners");
    let outsider = remote_person(&t, "piet", "bedrijf.example").await;
    let insider = remote_person(&t, "mia", "zwolle.gemeente.nl").await;
    let refused =
        membership::remote_follow(&t.ctx, "regio", outsider, "https://bedrijf.example/follows/1".into()).await.expect_err("refused");
    assert_eq!(refused.code(), "domain_not_partner");
    assert!(refused.message().contains("bedrijf.example"), "{}", refused.message());
    let state = membership::remote_follow(&t.ctx, "regio", insider, "https://zwolle.gemeente.nl/follows/1".into()).await.expect("partner");
    assert_eq!(state, MemberState::Active);
    // An empty list federates as the instance allows again.
    groups::update(&t.ctx, &owner, group, update(vec![])).await.expect("cleared");
    membership::remote_follow(&t.ctx, "regio", outsider, "https://bedrijf.example/follows/2".into()).await.expect("open again");
}

#[tokio::test]
async fn a_server_seen_up_is_not_read_again_until_a_failure_is_recorded_here() {
    let t = TestContext::new();
    let domain = "b.example";
    t.ctx.db.write(|conn| -> Result<_> { Ok(crate::db::servers::set_software(conn, domain, "gilde")?) }).await.expect("server");
    let failing = |t: &TestContext| {
        let db = t.ctx.db.clone();
        async move {
            db.read(|conn| -> Result<_> { Ok(crate::db::servers::find(conn, domain)?.and_then(|s| s.failing_since).is_some()) })
                .await
                .expect("read")
        }
    };
    let record_failure = |t: &TestContext| {
        let db = t.ctx.db.clone();
        async move {
            db.write(|conn| -> Result<_> {
                Ok(crate::db::servers::record_failure(conn, domain, crate::db::now(), chrono::TimeDelta::days(3))?)
            })
            .await
            .expect("failure")
        }
    };
    assert_eq!(actors::server_answered(&t.ctx, domain).await.expect("answered").as_deref(), Some("gilde"));
    // Another process records a failure: this one takes the server to be up for a while more,
    // without reading its state for each activity it sends.
    record_failure(&t).await;
    assert_eq!(actors::server_answered(&t.ctx, domain).await.expect("answered").as_deref(), Some("gilde"));
    assert!(failing(&t).await, "not read again within the minute");
    // A failure recorded here is noticed at once: the next activity it sends revives it.
    actors::server_failed(&t.ctx, domain);
    assert_eq!(actors::server_answered(&t.ctx, domain).await.expect("answered").as_deref(), Some("gilde"));
    assert!(!failing(&t).await, "revived by the activity it sent");
}
