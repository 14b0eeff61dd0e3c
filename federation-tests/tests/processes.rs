//! Gilde as admins run it: real `gilde serve` processes, killed without warning.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use federation_tests::{eventually, Cluster};
use serde_json::json;

/// The `gilde` binary cargo built beside this test (`cargo test --workspace` builds it).
fn gilde_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary");
    let dir = exe.parent().and_then(Path::parent).expect("target folder");
    let binary = dir.join("gilde");
    assert!(binary.exists(), "{} is missing: run the suite with `cargo test --workspace`", binary.display());
    binary
}

struct Process {
    env: Vec<(String, String)>,
    base: String,
    child: Option<std::process::Child>,
}

impl Process {
    fn new(dir: &Path) -> Process {
        Process::on(dir, &dir.join("gilde.db").display().to_string(), None)
    }

    /// A process on `database`; `domain`: the instance's public name when another process
    /// already serves it (several processes of one instance), else its own address.
    fn on(dir: &Path, database: &str, domain: Option<&str>) -> Process {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
        let env = vec![
            ("GILDE_DOMAIN".to_string(), domain.map_or_else(|| format!("localhost:{port}"), str::to_string)),
            ("GILDE_BIND".to_string(), format!("127.0.0.1:{port}")),
            ("GILDE_DATA_DIR".to_string(), dir.display().to_string()),
            ("DATABASE_URL".to_string(), database.to_string()),
            ("GILDE_INSECURE_FEDERATION".to_string(), "true".to_string()),
            ("GILDE_LOG".to_string(), "warn".to_string()),
        ];
        Process { env, base: format!("http://localhost:{port}"), child: None }
    }

    fn set(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_string(), value.to_string()));
    }

    /// SIGTERM, and the exit status once it exited (within `limit`).
    async fn terminate(&mut self, limit: std::time::Duration) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill -TERM");
        assert!(status.success());
        let started = std::time::Instant::now();
        loop {
            if let Some(exit) = child.try_wait().expect("wait") {
                return exit;
            }
            assert!(started.elapsed() < limit, "gilde serve did not stop on SIGTERM within {limit:?}");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    fn run(&self, args: &[&str], stdin: &str) -> String {
        use std::io::Write;
        let mut child = Command::new(gilde_binary())
            .args(args)
            .envs(self.env.iter().cloned())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run gilde");
        child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write");
        let out = child.wait_with_output().expect("wait");
        assert!(out.status.success(), "gilde {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    async fn serve(&mut self) {
        let child = Command::new(gilde_binary())
            .arg("serve")
            .envs(self.env.iter().cloned())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gilde serve");
        self.child = Some(child);
        let health = format!("{}/health", self.base);
        eventually("gilde serve answers", || async { reqwest::get(&health).await.is_ok_and(|r| r.status().is_success()) }).await;
    }

    /// SIGKILL: no shutdown, no flushing, as a crash or `kill -9`.
    fn kill_9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("kill -9");
            child.wait().expect("reap");
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill_9();
    }
}

/// A member on each node of `cluster` joins the group `omgevingswet` of the instance at `domain`;
/// returns once every one is in.
async fn members_join(cluster: &Cluster, domain: &str) {
    let mut members = Vec::new();
    for node in &cluster.nodes {
        let (_, member) = node.person("lid").await;
        let (_, group) = node.get(&format!("/api/v1/groups/lookup?acct=omgevingswet@{domain}"), &member).await;
        let id = group["id"].as_str().expect("group").to_string();
        node.post(&format!("/api/v1/groups/{id}/join"), &member, json!({})).await;
        members.push((node, member, id));
    }
    for (node, member, id) in &members {
        eventually("the member is in", || async {
            node.get(&format!("/api/v1/groups/{id}"), member).await.1["membership"]["state"] == "active"
        })
        .await;
    }
}

/// The id of the group `omgevingswet` on the instance at `base`, as the token's owner sees it.
async fn group_id(base: &str, token: &str) -> serde_json::Value {
    reqwest::Client::new()
        .get(format!("{base}/api/v1/groups/lookup?acct=omgevingswet"))
        .bearer_auth(token)
        .send()
        .await
        .expect("lookup")
        .json::<serde_json::Value>()
        .await
        .expect("json")["id"]
        .clone()
}

async fn api_post(base: &str, token: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
    let res = reqwest::Client::new().post(format!("{base}{path}")).bearer_auth(token).json(&body).send().await.expect("request");
    assert!(res.status().is_success(), "{path}: {}", res.status());
    res.json().await.expect("json")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_process_killed_in_the_middle_of_a_fan_out_resumes_and_sends_everything_once() {
    let dir = tempfile::tempdir().expect("data folder");
    let mut a = Process::new(dir.path());
    a.run(&["admin", "user", "create", "anna", "--password-stdin"], "a good long password\n");
    let token = a.run(&["admin", "token", "anna"], "").trim().to_string();
    a.run(&["admin", "group", "create", "omgevingswet", "--owner", "anna", "--scope", "federated", "--visibility", "public"], "");
    a.serve().await;
    let a_domain = a.base.trim_start_matches("http://").to_string();

    // Two receiving instances, each with a member of A's group.
    let cluster = Cluster::start(&["gemeente-b", "bedrijf-c"]).await;
    members_join(&cluster, &a_domain).await;
    let group_id = group_id(&a.base, &token).await;

    // Twenty posts in quick succession; once the first has arrived, kill -9 while the fan-out
    // is under way.
    for n in 0..20 {
        api_post(&a.base, &token, "/api/v1/statuses", json!({ "status": format!("doorgaan-{n:02}"), "group_id": group_id })).await;
    }
    eventually("the fan-out has begun", || async { cluster.nodes[0].stored_posts_containing("doorgaan-").await > 0 }).await;
    a.kill_9();
    let arrived_before = cluster.nodes[0].stored_posts_containing("doorgaan-").await;

    // Restarted on the same database, A finishes the work: every post reaches every member's
    // server, and each exactly once.
    a.serve().await;
    for node in &cluster.nodes {
        eventually("all twenty posts arrive", || async { node.stored_posts_containing("doorgaan-").await == 20 }).await;
        for n in 0..20 {
            assert_eq!(node.stored_posts_containing(&format!("doorgaan-{n:02}")).await, 1, "post {n} once on {}", node.name);
        }
    }
    eprintln!("before the kill, {arrived_before} of 20 posts had reached B");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_gilde_serve_gracefully_and_ready_says_when_it_can_serve() {
    let dir = tempfile::tempdir().expect("dir");
    let mut p = Process::new(dir.path());
    p.serve().await;
    let ready = reqwest::get(format!("{}/ready", p.base)).await.expect("ready");
    assert_eq!(ready.status().as_u16(), 200);
    assert_eq!(ready.json::<serde_json::Value>().await.expect("json")["status"], "ready");
    let mut child = p.child.take().expect("running");
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill -TERM");
    assert!(status.success());
    let started = std::time::Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().expect("wait") {
            break exit;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(15), "gilde serve did not stop on SIGTERM");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "a clean exit on SIGTERM: {exit:?}");
}

/// An inbox that holds every request without answering (a server that hangs), until it is told
/// to answer; then it accepts deliveries and notes the activities' ids.
#[derive(Clone, Default)]
struct Tarpit {
    answering: std::sync::Arc<std::sync::atomic::AtomicBool>,
    arrived: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    held: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// Every request that came in.
    requests: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// When answering: how long each answer takes (milliseconds).
    delay_ms: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Tarpit {
    async fn start() -> (Tarpit, String) {
        let tarpit = Tarpit::default();
        let state = tarpit.clone();
        let app = axum::Router::new().route(
            "/inbox",
            axum::routing::post(move |body: String| {
                let state = state.clone();
                async move {
                    state.requests.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let delay = state.delay_ms.load(std::sync::atomic::Ordering::SeqCst);
                    if delay > 0 {
                        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
                    }
                    if !state.answering.load(std::sync::atomic::Ordering::SeqCst) {
                        state.held.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        std::future::pending::<()>().await;
                    }
                    let activity: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                    state.arrived.lock().expect("lock").push(activity["id"].as_str().unwrap_or("").to_string());
                    axum::http::StatusCode::ACCEPTED
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        // By name: the federation library sends only to inboxes with a domain name.
        (tarpit, format!("localhost:{}", addr.port()))
    }
}

/// Queues deliveries from `person` of activities `name-0..n` to the tarpit's inbox, as a fan-out
/// would.
async fn queue_deliveries(db: &gilde::db::Db, person: &str, base: &str, tarpit: &str, name: &str, n: usize) {
    let person = person.to_string();
    let (base, tarpit, name) = (base.to_string(), tarpit.to_string(), name.to_string());
    db.write(move |conn| {
        let anna = gilde::db::people::find_by_name(conn, &person, None)?.expect("person").id;
        for i in 0..n {
            let delivery = gilde::federation::deliver::Delivery {
                inbox: url::Url::parse(&format!("http://{tarpit}/inbox")).expect("url"),
                signer: gilde::federation::deliver::Signer::Person(anna),
                activity: json!({"type": "Create", "id": format!("{base}/activities/create/{name}-{i}"), "actor": format!("{base}/users/{person}")}),
            };
            let payload = serde_json::to_string(&delivery).expect("json");
            gilde::db::jobs::enqueue_for(conn, "deliver", &payload, gilde::db::now(), Some(&tarpit))?;
        }
        Ok::<_, gilde::db::DbError>(())
    })
    .await
    .expect("queue deliveries");
}

async fn delivery_states(db: &gilde::db::Db) -> Vec<(i32, bool, bool)> {
    db.read(|conn| gilde::db::jobs::states(conn, "deliver")).await.expect("jobs")
}

#[tokio::test(flavor = "multi_thread")]
async fn on_sigterm_jobs_in_flight_are_released_for_others() {
    let dir = tempfile::tempdir().expect("dir");
    let mut a = Process::new(dir.path());
    a.set("GILDE_SHUTDOWN_GRACE_SECONDS", "1");
    a.run(&["admin", "user", "create", "anna", "--password-stdin"], "a good long password\n");
    let (tarpit, tarpit_host) = Tarpit::start().await;
    let database = gilde::config::DatabaseUrl::Sqlite(dir.path().join("gilde.db"));
    let db = gilde::db::Db::connect(&database, 2).expect("database");
    queue_deliveries(&db, "anna", &a.base, &tarpit_host, "vrijdag", 3).await;
    a.serve().await;
    // The deliveries run one after another (one server, in order): the first hangs.
    eventually("a delivery is under way", || async { tarpit.held.load(std::sync::atomic::Ordering::SeqCst) > 0 }).await;
    let exit = a.terminate(std::time::Duration::from_secs(10)).await;
    assert!(exit.success(), "a clean exit: {exit:?}");
    let states = delivery_states(&db).await;
    assert_eq!(states.len(), 3);
    assert!(
        states.iter().all(|(attempts, done, claimed)| !done && !claimed && *attempts == 0),
        "released, attempts not counted: {states:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_processes_on_one_postgresql_database_share_the_work_and_take_over_a_killed_ones_claims() {
    let database = gilde::db::testing::TestDatabase::new();
    let gilde::config::DatabaseUrl::Postgres(url) = database.url.clone() else {
        eprintln!("skipped on SQLite (one process per database): this scenario runs in the PostgreSQL pass (GILDE_TEST_DATABASE_URL)");
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let mut a = Process::on(dir.path(), &url, None);
    a.set("GILDE_JOB_CLAIM_SECONDS", "3");
    let domain = a.base.trim_start_matches("http://").to_string();
    let mut b = Process::on(dir.path(), &url, Some(&domain));
    b.set("GILDE_JOB_CLAIM_SECONDS", "3");
    a.run(&["admin", "user", "create", "anna", "--password-stdin"], "a good long password\n");
    let token = a.run(&["admin", "token", "anna"], "").trim().to_string();
    a.run(&["admin", "group", "create", "omgevingswet", "--owner", "anna", "--scope", "federated", "--visibility", "public"], "");
    let db = gilde::db::Db::connect(&database.url, 2).expect("database");

    // A takes deliveries to a server that hangs, and is killed while it holds them.
    let (tarpit, tarpit_host) = Tarpit::start().await;
    queue_deliveries(&db, "anna", &a.base, &tarpit_host, "vastgelopen", 3).await;
    a.serve().await;
    eventually("A is delivering", || async { tarpit.held.load(std::sync::atomic::Ordering::SeqCst) > 0 }).await;
    a.kill_9();
    assert!(delivery_states(&db).await.iter().all(|(_, done, claimed)| !done && *claimed), "A's claims are held");

    // B serves the same instance; once A's claims expire, B takes the deliveries over.
    tarpit.answering.store(true, std::sync::atomic::Ordering::SeqCst);
    b.serve().await;
    a.serve().await;
    eventually("B (or A, restarted) delivers what A held", || async { tarpit.arrived.lock().expect("lock").len() >= 3 }).await;
    let mut arrived = tarpit.arrived.lock().expect("lock").clone();
    arrived.sort();
    arrived.dedup();
    assert_eq!(arrived.len(), 3, "each of the three, once");

    // Both processes serve the instance's API, and their work is shared: members on two other
    // servers get every post, each exactly once, and no job ran twice.
    let cluster = Cluster::start(&["gemeente-b", "bedrijf-c"]).await;
    members_join(&cluster, &domain).await;
    let group = group_id(&b.base, &token).await;
    for n in 0..10 {
        let via = if n % 2 == 0 { &a.base } else { &b.base };
        api_post(via, &token, "/api/v1/statuses", json!({ "status": format!("gedeeld-{n:02}"), "group_id": group })).await;
    }
    for node in &cluster.nodes {
        eventually("all ten posts arrive", || async { node.stored_posts_containing("gedeeld-").await == 10 }).await;
        for n in 0..10 {
            assert_eq!(node.stored_posts_containing(&format!("gedeeld-{n:02}")).await, 1, "post {n} once on {}", node.name);
        }
    }
    let states = delivery_states(&db).await;
    let fan_out: Vec<_> = states.iter().skip(3).collect();
    assert!(fan_out.len() >= 20, "a delivery per post and server: {}", fan_out.len());
    assert!(fan_out.iter().all(|(attempts, done, _)| *done && *attempts == 1), "every delivery ran once: {fan_out:?}");
    let taken_over: Vec<_> = states.iter().take(3).collect();
    assert!(taken_over.iter().all(|(attempts, done, _)| *done && *attempts == 2), "A's attempt, then the takeover: {taken_over:?}");
}

/// The `gilde` service's `environment:` in `docker/compose.yaml`, `${...}` filled from `vars`.
fn compose_environment(vars: &[(&str, &str)]) -> Vec<(String, String)> {
    let compose = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docker/compose.yaml")).expect("compose.yaml");
    let mut in_gilde = false;
    let mut in_environment = false;
    let mut env = Vec::new();
    for line in compose.lines() {
        let indent = line.len() - line.trim_start().len();
        let text = line.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        match indent {
            0 => in_gilde = false,
            2 => {
                in_gilde = text == "gilde:";
                in_environment = false;
            }
            4 => in_environment = in_gilde && text == "environment:",
            6 if in_environment => {
                let (key, value) = text.split_once(": ").unwrap_or_else(|| panic!("KEY: value, not {text:?}"));
                env.push((key.to_string(), substitute(value, vars)));
            }
            _ => {}
        }
    }
    assert!(!env.is_empty(), "the gilde service has an environment");
    env
}

/// Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?error}` (an unset NAME is an error).
fn substitute(value: &str, vars: &[(&str, &str)]) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("closing brace") + start;
        let inner = &rest[start + 2..end];
        let (name, fallback) = match inner.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (inner.split(":?").next().unwrap_or(inner), None),
        };
        let set = vars.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        out.push_str(set.or(fallback).unwrap_or_else(|| panic!("{name} must be set for compose")));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn the_compose_files_gilde_serves_on_postgresql_and_reports_healthy() {
    // What the image is: an unprivileged user, a health check with `gilde health`, and a
    // build context without build output or packages.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dockerfile = std::fs::read_to_string(root.join("docker/Dockerfile")).expect("Dockerfile");
    let user = dockerfile.lines().rev().find_map(|l| l.strip_prefix("USER ")).expect("a USER line");
    assert!(!user.starts_with('0') && !user.starts_with("root"), "not root: {user}");
    assert!(dockerfile.lines().any(|l| l.starts_with("HEALTHCHECK") && l.ends_with(r#"CMD ["gilde", "health"]"#)));
    let ignored = std::fs::read_to_string(root.join(".dockerignore")).expect(".dockerignore");
    for needed in ["target", "**/node_modules", ".git", "data"] {
        assert!(ignored.lines().any(|l| l.trim() == needed), ".dockerignore lists {needed}");
    }

    // Every setting compose passes is one Gilde knows (a typo would be ignored silently).
    let env = compose_environment(&[("GILDE_DOMAIN", "gilde.example.org"), ("POSTGRES_PASSWORD", "geheim")]);
    let known: Vec<String> = gilde::config::KEYS.iter().map(|k| gilde::config::env_name(k)).collect();
    for (key, _) in &env {
        assert!(known.contains(key), "compose sets {key}, which Gilde does not know");
    }
    let database = env.iter().find(|(k, _)| k == "DATABASE_URL").map(|(_, v)| v.as_str());
    assert_eq!(database, Some("postgres://gilde:geheim@db:5432/gilde"));

    let test_database = gilde::db::testing::TestDatabase::new();
    let gilde::config::DatabaseUrl::Postgres(url) = test_database.url.clone() else {
        eprintln!("the compose file runs Gilde on PostgreSQL: its start is tested in the PostgreSQL pass (GILDE_TEST_DATABASE_URL)");
        return;
    };
    // Run as the container would (its environment, the image's own data folder and ports
    // taken by nothing else), on the test's PostgreSQL database.
    let dir = tempfile::tempdir().expect("data");
    let free = || std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let (port, metrics_port) = (free(), free());
    let mut p = Process::on(dir.path(), &url, None);
    for (key, value) in compose_environment(&[("GILDE_DOMAIN", &format!("localhost:{port}")), ("POSTGRES_PASSWORD", "geheim")]) {
        let value = match key.as_str() {
            "DATABASE_URL" => url.clone(),
            "GILDE_DATA_DIR" => dir.path().display().to_string(),
            "GILDE_BIND" => value.replace(":8080", &format!(":{port}")),
            "GILDE_METRICS_BIND" => value.replace(":9090", &format!(":{metrics_port}")),
            _ => value,
        };
        p.set(&key, &value);
    }
    p.set("GILDE_INSECURE_FEDERATION", "true");
    p.base = format!("http://localhost:{port}");
    p.serve().await;
    assert_eq!(p.run(&["health"], "").trim(), "ready", "the image's health check passes");
    let metrics = reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics")).await.expect("metrics");
    assert_eq!(metrics.status().as_u16(), 200, "metrics on their own port");
    let login = reqwest::get(format!("{}/login", p.base)).await.expect("login page");
    assert_eq!(login.status().as_u16(), 200);

    // Stopped, the health check fails (exit status 1, a reason).
    p.terminate(std::time::Duration::from_secs(15)).await;
    let out = Command::new(gilde_binary()).arg("health").envs(p.env.iter().cloned()).output().expect("gilde health");
    assert!(!out.status.success(), "not healthy when nothing answers");
    assert!(String::from_utf8_lossy(&out.stderr).contains("/ready"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_hangs_does_not_hold_up_deliveries_to_others() {
    let cluster = Cluster::start(&["gemeente-a"]).await;
    let a = cluster.node("gemeente-a");
    a.person("anna").await;
    let db = &a.instance.ctx.db;
    let (hanging, hanging_host) = Tarpit::start().await;
    let (quick, quick_host) = Tarpit::start().await;
    quick.answering.store(true, std::sync::atomic::Ordering::SeqCst);
    queue_deliveries(db, "anna", &a.base, &hanging_host, "vast", 1).await;
    a.instance.ctx.jobs_wake.notify_waiters();
    eventually("the delivery to the hanging server is under way", || async { hanging.held.load(std::sync::atomic::Ordering::SeqCst) == 1 })
        .await;
    // While it hangs, deliveries to another server go out.
    queue_deliveries(db, "anna", &a.base, &quick_host, "vlot", 5).await;
    a.instance.ctx.jobs_wake.notify_waiters();
    eventually("the other server gets its five", || async { quick.arrived.lock().expect("lock").len() == 5 }).await;
    let states = delivery_states(db).await;
    let (attempts, done, claimed) = states[0];
    assert!(!done && claimed && attempts == 1, "the hanging delivery is still under way, not failed and retried: {states:?}");
    assert_eq!(hanging.requests.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delivery_slower_than_its_claim_is_sent_once() {
    let cluster = Cluster::start_with(&["gemeente-a"], |_, config| config.job_claim_seconds = 1).await;
    let a = cluster.node("gemeente-a");
    a.person("anna").await;
    let db = &a.instance.ctx.db;
    let (slow, slow_host) = Tarpit::start().await;
    slow.answering.store(true, std::sync::atomic::Ordering::SeqCst);
    slow.delay_ms.store(4_000, std::sync::atomic::Ordering::SeqCst);
    queue_deliveries(db, "anna", &a.base, &slow_host, "traag", 1).await;
    a.instance.ctx.jobs_wake.notify_waiters();
    eventually("the slow server took the delivery", || async { slow.arrived.lock().expect("lock").len() == 1 }).await;
    eventually("the delivery is done", || async { delivery_states(db).await.iter().all(|(_, done, _)| *done) }).await;
    assert_eq!(slow.requests.load(std::sync::atomic::Ordering::SeqCst), 1, "sent once, though it took four claims' time");
    assert_eq!(delivery_states(db).await[0].0, 1, "one attempt");
}
