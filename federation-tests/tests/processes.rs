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
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
        let env = vec![
            ("GILDE_DOMAIN".to_string(), format!("localhost:{port}")),
            ("GILDE_BIND".to_string(), format!("127.0.0.1:{port}")),
            ("GILDE_DATA_DIR".to_string(), dir.display().to_string()),
            ("DATABASE_URL".to_string(), dir.join("gilde.db").display().to_string()),
            ("GILDE_INSECURE_FEDERATION".to_string(), "true".to_string()),
            ("GILDE_LOG".to_string(), "warn".to_string()),
        ];
        Process { env, base: format!("http://localhost:{port}"), child: None }
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
    let mut members = Vec::new();
    for node in &cluster.nodes {
        let (_, member) = node.person("lid").await;
        let (_, group) = node.get(&format!("/api/v1/groups/lookup?acct=omgevingswet@{a_domain}"), &member).await;
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
    let group_id = reqwest::Client::new()
        .get(format!("{}/api/v1/groups/lookup?acct=omgevingswet", a.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("lookup")
        .json::<serde_json::Value>()
        .await
        .expect("json")["id"]
        .clone();

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
