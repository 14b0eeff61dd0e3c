//! Federation benchmark: fan-out of one post to a group's remote followers, and ingestion of
//! signed incoming activities. Run it built with optimisations:
//!
//!     cargo run --release -p federation-tests --bin federation-bench [-- FOLLOWERS SERVERS POSTS]
//!
//! (defaults 10000 500 400). One Gilde instance runs in this process (SQLite in a temporary
//! folder, or PostgreSQL when `GILDE_TEST_DATABASE_URL` is set). A receiving server, also in
//! this process, stands in for the other servers: it listens on SERVERS loopback ports
//! (`localhost:PORT` is one server each) and verifies every delivery's HTTP signature and
//! digest with the group's public key, as a real server would.
//!
//! Fan-out: FOLLOWERS remote people, spread evenly over the SERVERS, are members of a public
//! group; one post is written; the clock runs until every server has a verified delivery
//! (one per shared inbox, not one per follower). The first post also asks every server what
//! software it runs; a second post is timed too.
//!
//! Ingestion: POSTS signed `Create`s from members of another group (on 10 servers) are sent to
//! the instance's inbox, 16 at a time (`SENDERS=N` for another number); the clock runs until all are accepted (202). The senders'
//! requests are signed before the clock starts, so the figure is Gilde's work alone (the
//! group's announces to the members' servers are queued and sent meanwhile, on the same cores).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use gilde::db::testing::TestDatabase;
use gilde::federation::objects::ApubPerson;
use gilde::service::groups::NewGroupInput;
use gilde::service::posts::NewPostInput;
use gilde::service::{Scope, Visibility};
use serde_json::json;
use url::Url;

#[derive(Clone)]
struct Receiver {
    group_key: Arc<tokio::sync::OnceCell<String>>,
    verified: Arc<AtomicUsize>,
    refused: Arc<AtomicUsize>,
    done: Arc<tokio::sync::Notify>,
    /// When the first and the middle delivery were verified.
    first: Arc<std::sync::OnceLock<Instant>>,
    half: Arc<std::sync::OnceLock<Instant>>,
    servers: usize,
}

async fn inbox(State(r): State<Receiver>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> StatusCode {
    let Some(pem) = r.group_key.get() else { return StatusCode::SERVICE_UNAVAILABLE };
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    match gilde::federation::signatures::verify_with_key(&headers, &method, path, Some(&body), pem) {
        Ok(_) => {
            let n = r.verified.fetch_add(1, Ordering::SeqCst) + 1;
            let _ = r.first.set(Instant::now());
            if n == r.servers / 2 {
                let _ = r.half.set(Instant::now());
            }
            r.done.notify_one();
            StatusCode::ACCEPTED
        }
        Err(_) => {
            r.refused.fetch_add(1, Ordering::SeqCst);
            StatusCode::UNAUTHORIZED
        }
    }
}

/// A request body and the headers that sign it.
type SignedRequest = (Vec<u8>, Vec<(&'static str, String)>);

/// A person of the stand-in server on `port` (its shared inbox is that server's `/inbox`).
fn remote_person(port: u16, name: &str, public_key: String) -> gilde::db::people::RemotePerson {
    gilde::db::people::RemotePerson {
        ap_id: format!("http://localhost:{port}/users/{name}"),
        username: name.to_string(),
        domain: format!("localhost:{port}"),
        display_name: name.to_string(),
        bio_html: String::new(),
        inbox_url: format!("http://localhost:{port}/users/{name}/inbox"),
        shared_inbox_url: Some(format!("http://localhost:{port}/inbox")),
        public_key,
        ..Default::default()
    }
}

/// A size from this process's `/proc/self/status` (`VmRSS:` now, `VmHWM:` the peak), in MB.
fn memory_mb(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line[field.len()..].trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb / 1024.0)
}

fn print_memory(before: Option<f64>, peak: Option<f64>) {
    match (before, peak) {
        (Some(before), Some(peak)) => println!(
            "memory during the fan-out: {before:.0} MB resident before, {peak:.0} MB at the peak (this whole process: the instance and the stand-in servers)"
        ),
        _ => println!("memory during the fan-out: not measured (needs Linux's /proc)"),
    }
}

/// Posts `text` in the group and waits until the stand-in servers have verified `verified`
/// deliveries in all (every one must verify); how long that took.
async fn post_to_everyone(
    ctx: &gilde::AppContext,
    owner: &gilde::service::Actor,
    group: gilde::db::GroupId,
    text: &str,
    receiver: &Receiver,
    verified: usize,
) -> std::time::Duration {
    let started = Instant::now();
    gilde::service::posts::create(ctx, owner, NewPostInput { text: text.into(), group_id: Some(group), ..Default::default() })
        .await
        .expect("post");
    while receiver.verified.load(Ordering::SeqCst) < verified {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(1), receiver.done.notified()).await;
        assert!(started.elapsed().as_secs() < 600, "the fan-out did not finish in 10 minutes");
    }
    assert_eq!(receiver.refused.load(Ordering::SeqCst), 0, "every delivery must verify");
    started.elapsed()
}

fn arg(n: usize, default: usize) -> usize {
    std::env::args().nth(n).and_then(|a| a.parse().ok()).unwrap_or(default)
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).with_writer(std::io::stderr).init();
    let followers = arg(1, 10_000);
    let servers = arg(2, 500).max(1);
    let posts = arg(3, 400);

    // The instance under test.
    let database = TestDatabase::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let domain = format!("localhost:{}", listener.local_addr().expect("addr").port());
    let mut config = gilde::Config::for_tests(&domain, database.dir(), database.url.clone());
    config.db_pool_size = 8;
    let backend = if matches!(database.url, gilde::config::DatabaseUrl::Postgres(_)) { "PostgreSQL" } else { "SQLite" };
    let instance = gilde::start(config, listener).await.expect("start");
    let ctx = instance.ctx.clone();

    // The receiving servers.
    let receiver = Receiver {
        group_key: Arc::default(),
        verified: Arc::default(),
        refused: Arc::default(),
        done: Arc::default(),
        first: Arc::default(),
        half: Arc::default(),
        servers,
    };
    let app = axum::Router::new().route("/inbox", axum::routing::post(inbox)).with_state(receiver.clone());
    let mut ports = Vec::new();
    for _ in 0..servers {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a receiver");
        ports.push(l.local_addr().expect("addr").port());
        let app = app.clone();
        tokio::spawn(async move { axum::serve(l, app).await });
    }

    // A public federated group whose members are FOLLOWERS people on the SERVERS.
    let owner = gilde::service::people::create_account(
        &ctx,
        gilde::service::people::NewAccount {
            username: "anna".into(),
            password: "correct horse battery".into(),
            display_name: None,
            is_admin: false,
        },
    )
    .await
    .expect("owner");
    let owner = gilde::service::Actor { person_id: owner.id, is_admin: false };
    let new_group = |name: &str| NewGroupInput {
        name: name.into(),
        display_name: name.into(),
        note: String::new(),
        scope: Scope::Federated,
        visibility: Visibility::Public,
        announcements_only: false,
    };
    let group = gilde::service::groups::create(&ctx, &owner, new_group("groot")).await.expect("group").group;
    let found = gilde::service::actors::local_group(&ctx, "groot").await.expect("group keys");
    receiver.group_key.set(found.group.public_key.clone().expect("key")).expect("once");
    let seeded = Instant::now();
    let ports2 = ports.clone();
    let group_id = group.id;
    ctx.db
        .write(move |conn| -> gilde::Result<()> {
            for i in 0..followers {
                let remote = remote_person(ports2[i % ports2.len()], &format!("f{i}"), String::new());
                let person = gilde::db::people::upsert_remote(conn, &remote)?;
                gilde::db::memberships::put(conn, group_id, person.id, "member", "active", None)?;
            }
            Ok(())
        })
        .await
        .expect("seed followers");
    eprintln!("seeded {followers} followers on {servers} servers in {:.1?}", seeded.elapsed());

    // Fan-out. Memory: the process's peak resident size is reset first (Linux), so the peak
    // read after it is the fan-out's.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let resident_before = memory_mb("VmRSS:");
    let started = Instant::now();
    let fan_out = post_to_everyone(&ctx, &owner, group.id, "Eén bericht voor iedereen", &receiver, servers).await;
    let resident_peak = memory_mb("VmHWM:");
    let since_post = |at: &std::sync::OnceLock<Instant>| at.get().map_or(0.0, |at| at.duration_since(started).as_secs_f64());
    let (first, half) = (since_post(&receiver.first), since_post(&receiver.half));

    // A second post: what the members' servers run is known now (the first post asked them;
    // the stand-ins do not say, and are not asked again for a while), as on a live instance.
    eprintln!("second fan-out begins (pid {})", std::process::id());
    let fan_out_again = post_to_everyone(&ctx, &owner, group.id, "Nog een bericht voor iedereen", &receiver, 2 * servers).await;

    if std::env::var_os("FANOUT_ONLY").is_some() {
        // For profiling the fan-out alone.
        println!("fan-out: {servers} deliveries in {:.2} s (the first after {first:.2} s, half after {half:.2} s)", fan_out.as_secs_f64());
        println!("fan-out of a second post: {servers} deliveries in {:.2} s", fan_out_again.as_secs_f64());
        print_memory(resident_before, resident_peak);
        return;
    }

    // Ingestion: members of a second group (10 servers, 5 people each) post to it.
    let small = gilde::service::groups::create(&ctx, &owner, new_group("klein")).await.expect("group").group;
    let mut senders = Vec::new();
    for i in 0..50 {
        let port = ports[i % 10.min(ports.len())];
        let keys = tokio::task::spawn_blocking(gilde::keys::generate).await.expect("keys").expect("keys");
        let remote = remote_person(port, &format!("s{i}"), keys.public_pem.clone());
        let small_id = small.id;
        let mut person = ctx
            .db
            .write(move |conn| -> gilde::Result<_> {
                let person = gilde::db::people::upsert_remote(conn, &remote)?;
                gilde::db::memberships::put(conn, small_id, person.id, "member", "active", None)?;
                Ok(person)
            })
            .await
            .expect("sender");
        person.private_key = Some(keys.private_pem);
        senders.push(ApubPerson::new(&ctx, person).expect("actor"));
    }
    // The senders' side: each signs as Mastodon does (with Gilde's signing, as another Gilde
    // would) and posts to the shared inbox.
    let group_url = format!("http://{domain}/groups/klein");
    let inbox_url: Url = format!("http://{domain}/inbox").parse().expect("inbox");
    // Signed before the clock starts (a signature holds for an hour): the figure is Gilde's
    // side only, as a load tool's requests cost the server nothing to make.
    let signed: Vec<SignedRequest> = (0..posts)
        .map(|n| {
            let sender = &senders[n % senders.len()];
            let actor = sender.row.ap_id.clone().expect("ap id");
            let note_id = format!("{actor}/notes/{n}");
            let body = serde_json::to_vec(&json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "type": "Create", "id": format!("{note_id}/create"), "actor": actor,
                "to": [group_url], "audience": group_url,
                "object": { "type": "Note", "id": note_id, "attributedTo": actor, "audience": group_url,
                    "to": [group_url], "content": format!("<p>inkomend-{n}</p>") },
            }))
            .expect("json");
            let private = sender.row.private_key.clone().expect("key");
            let headers = gilde::federation::signatures::signed_post_headers(&inbox_url, &format!("{actor}#main-key"), &private, &body)
                .expect("sign");
            (body, headers)
        })
        .collect();
    let signed = Arc::new(std::sync::Mutex::new(signed.into_iter()));
    let http = reqwest::Client::new();
    let senders: usize = std::env::var("SENDERS").ok().and_then(|n| n.parse().ok()).unwrap_or(16);
    // For a profiler to attach to the ingestion alone.
    eprintln!("ingestion begins (pid {})", std::process::id());
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..senders {
        let (signed, http, inbox_url) = (signed.clone(), http.clone(), inbox_url.clone());
        workers.spawn(async move {
            loop {
                let Some((body, headers)) = signed.lock().expect("lock").next() else { return };
                let mut request = http.post(inbox_url.as_str()).header("content-type", "application/activity+json");
                for (name, value) in headers {
                    request = request.header(name, value);
                }
                let res = request.body(body).send().await.expect("send");
                assert_eq!(res.status().as_u16(), 202, "accepted");
            }
        });
    }
    while workers.join_next().await.is_some() {}
    let ingestion = started.elapsed();
    let stored = ctx.db.read(|conn| gilde::db::posts::count_containing(conn, "inkomend-")).await.expect("count");
    assert_eq!(stored as usize, posts, "every activity was stored");

    if std::env::var_os("NO_RATES").is_some() {
        // For profiling the ingestion alone.
        println!("ingestion: {posts} signed Creates accepted in {:.2} s", ingestion.as_secs_f64());
        return;
    }
    // The signing library's own rate on this machine, for comparison with `openssl speed rsa2048`.
    let (sign_rate, verify_rate) = tokio::task::spawn_blocking(rsa_rates).await.expect("rsa");
    let (native_sign, native_verify) = tokio::task::spawn_blocking(native_rates).await.expect("aws-lc-rs");
    println!("backend: {backend}");
    println!("rsa crate (the federation library's, now used only for its own fetches), one core: {sign_rate:.0} signs/s, {verify_rate:.0} verifies/s");
    println!("aws-lc-rs (gilde::keys: deliveries, inbox), one core: {native_sign:.0} signs/s, {native_verify:.0} verifies/s");
    println!(
        "fan-out: 1 post to {followers} followers on {servers} servers: {servers} deliveries in {:.2} s = {:.0} deliveries/s (each signed, sent and verified)",
        fan_out.as_secs_f64(),
        servers as f64 / fan_out.as_secs_f64()
    );
    println!("fan-out: the first delivery verified after {first:.2} s, half of them after {half:.2} s");
    println!(
        "fan-out of a second post (the servers' software known): {servers} deliveries in {:.2} s = {:.0} deliveries/s",
        fan_out_again.as_secs_f64(),
        servers as f64 / fan_out_again.as_secs_f64()
    );
    print_memory(resident_before, resident_peak);
    println!(
        "ingestion: {posts} signed Creates accepted in {:.2} s = {:.0} activities/s ({senders} senders, signed beforehand)",
        ingestion.as_secs_f64(),
        posts as f64 / ingestion.as_secs_f64()
    );
    instance.stop().await.expect("stop");
}

/// Signs and verifies with Gilde's own signing (`gilde::keys`, aws-lc-rs) for two seconds each.
fn native_rates() -> (f64, f64) {
    let keys = gilde::keys::generate().expect("keys");
    let message = b"(request-target): post /inbox";
    let started = Instant::now();
    let (mut signs, mut signature) = (0, Vec::new());
    while started.elapsed().as_secs_f64() < 2.0 {
        signature = gilde::keys::sign(&keys.private_pem, message).expect("sign");
        signs += 1;
    }
    let sign_rate = signs as f64 / started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut verifies = 0;
    while started.elapsed().as_secs_f64() < 2.0 {
        assert!(gilde::keys::verify(&keys.public_pem, message, &signature));
        verifies += 1;
    }
    (sign_rate, verifies as f64 / started.elapsed().as_secs_f64())
}

/// Signs and verifies with the `rsa` crate (as the federation library does) for two seconds
/// each; returns the rates per second on one core.
fn rsa_rates() -> (f64, f64) {
    use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
    use rsa::{Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
    use sha2::{Digest, Sha256};
    let keys = gilde::keys::generate().expect("keys");
    let private = RsaPrivateKey::from_pkcs8_pem(&keys.private_pem).expect("private key");
    let public = RsaPublicKey::from_public_key_pem(&keys.public_pem).expect("public key");
    let digest = Sha256::digest(b"(request-target): post /inbox");
    let started = Instant::now();
    let mut signs = 0;
    let mut signature = Vec::new();
    while started.elapsed().as_secs_f64() < 2.0 {
        signature = private.sign(Pkcs1v15Sign::new::<Sha256>(), &digest).expect("sign");
        signs += 1;
    }
    let sign_rate = signs as f64 / started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut verifies = 0;
    while started.elapsed().as_secs_f64() < 2.0 {
        public.verify(Pkcs1v15Sign::new::<Sha256>(), &digest, &signature).expect("verify");
        verifies += 1;
    }
    (sign_rate, verifies as f64 / started.elapsed().as_secs_f64())
}
