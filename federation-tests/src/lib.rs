//! The harness for federation tests: several real Gilde instances in one process, each on its
//! own loopback port with its own database, driven only through their public HTTP APIs.
//!
//! Instances are named `localhost:PORT` (ActivityPub ids need a host name, not an IP address)
//! and run in the insecure test mode, which allows http and loopback addresses.

pub mod hostile;
pub mod peers;
pub mod sso;

use gilde::config::Config;
use gilde::db::testing::TestDatabase;
use gilde::RunningInstance;

/// One instance of the cluster, e.g. "gemeente-a".
pub struct Node {
    config: Config,
    pub name: String,
    /// `localhost:PORT`
    pub domain: String,
    /// `http://localhost:PORT`
    pub base: String,
    pub instance: RunningInstance,
    _database: TestDatabase,
}

pub struct Cluster {
    pub nodes: Vec<Node>,
    stopped: Vec<(Config, String, TestDatabase)>,
}

impl Cluster {
    /// Starts one instance per name, each with its own database (SQLite, or a fresh PostgreSQL
    /// database when `GILDE_TEST_DATABASE_URL` is set).
    pub async fn start(names: &[&str]) -> Cluster {
        Self::start_with(names, |_, _| {}).await
    }

    /// As `start`, changing each instance's configuration first.
    pub async fn start_with(names: &[&str], change: impl Fn(&str, &mut Config)) -> Cluster {
        // The instances' logs, when RUST_LOG asks for them (shown for failing tests).
        if std::env::var_os("RUST_LOG").is_some() {
            let _ =
                tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).with_test_writer().try_init();
        }
        let mut nodes = Vec::new();
        for name in names {
            let database = TestDatabase::new();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
            let addr = listener.local_addr().expect("local address");
            let domain = format!("localhost:{}", addr.port());
            let mut config = Config::for_tests(&domain, database.dir(), database.url.clone());
            config.instance_name = (*name).to_string();
            change(name, &mut config);
            let instance = gilde::start(config.clone(), listener).await.unwrap_or_else(|e| panic!("start {name}: {e:?}"));
            nodes.push(Node { config, name: (*name).to_string(), base: format!("http://{domain}"), domain, instance, _database: database });
        }
        Cluster { nodes, stopped: Vec::new() }
    }

    /// Stops an instance (its database is kept), as a server going down.
    pub async fn stop(&mut self, name: &str) {
        let at = self.nodes.iter().position(|n| n.name == name).unwrap_or_else(|| panic!("no node {name}"));
        let node = self.nodes.remove(at);
        node.instance.stop().await.expect("stop");
        self.stopped.push((node.config, node.name, node._database));
    }

    /// Starts a stopped instance again on the same address with the same database.
    pub async fn restart(&mut self, name: &str) {
        let at = self.stopped.iter().position(|(_, n, _)| n == name).unwrap_or_else(|| panic!("{name} is not stopped"));
        let (config, name, database) = self.stopped.remove(at);
        let port = config.domain.rsplit_once(':').and_then(|(_, p)| p.parse::<u16>().ok()).expect("port");
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("bind the same port again");
        let instance = gilde::start(config.clone(), listener).await.unwrap_or_else(|e| panic!("restart {name}: {e:?}"));
        let domain = config.domain.clone();
        self.nodes.push(Node { config, name, base: format!("http://{domain}"), domain, instance, _database: database });
    }

    pub fn node(&self, name: &str) -> &Node {
        self.nodes.iter().find(|n| n.name == name).unwrap_or_else(|| panic!("no node {name}"))
    }
}

impl Node {
    /// Posts this node stored that contain `text`, whatever their group or visibility.
    pub async fn stored_posts_containing(&self, text: &str) -> i64 {
        let text = text.to_string();
        self.instance.ctx.db.read(move |conn| gilde::db::posts::count_containing(conn, &text)).await.expect("scan")
    }

    /// The deliveries this node queued, as JSON.
    pub async fn deliveries(&self) -> Vec<serde_json::Value> {
        let payloads = self.instance.ctx.db.read(|conn| gilde::db::jobs::payloads(conn, "deliver")).await.expect("jobs");
        payloads.iter().map(|p| serde_json::from_str(p).expect("delivery JSON")).collect()
    }

    /// A local person on this node and an API token for them.
    pub async fn person(&self, name: &str) -> (gilde::db::PersonId, String) {
        let ctx = &self.instance.ctx;
        let person = gilde::service::people::create_account(
            ctx,
            gilde::service::people::NewAccount {
                username: name.into(),
                password: "correct horse battery".into(),
                display_name: None,
                is_admin: false,
            },
        )
        .await
        .expect("create person");
        let token = gilde::service::oauth::token_for_person(ctx, person.id).await.expect("token");
        (person.id, token)
    }

    /// Registers a Mastodon app (scopes read and write) with one redirect URI: (client id, secret).
    pub async fn register_app(&self, name: &str, redirect_uri: &str) -> (String, String) {
        let app: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/api/v1/apps", self.base))
            .form(&[("client_name", name), ("redirect_uris", redirect_uri), ("scopes", "read write")])
            .send()
            .await
            .expect("register app")
            .json()
            .await
            .expect("app");
        (app["client_id"].as_str().expect("id").to_string(), app["client_secret"].as_str().expect("secret").to_string())
    }

    /// An app exchanges an authorization code (with its PKCE verifier, if any) for a token.
    pub async fn exchange_code(&self, app: &(String, String), code: &str, redirect_uri: &str, verifier: Option<&str>) -> String {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("client_id", app.0.as_str()),
            ("client_secret", app.1.as_str()),
            ("code", code),
            ("redirect_uri", redirect_uri),
        ];
        form.extend(verifier.map(|v| ("code_verifier", v)));
        let token: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/oauth/token", self.base))
            .form(&form)
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("json");
        token["access_token"].as_str().unwrap_or_else(|| panic!("no access token: {token}")).to_string()
    }

    /// GET on this node's client API as the token's owner: (status, JSON body).
    pub async fn get(&self, path: &str, token: &str) -> (u16, serde_json::Value) {
        let res = reqwest::Client::new().get(format!("{}{path}", self.base)).bearer_auth(token).send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// PUT JSON on this node's client API.
    pub async fn call_put(&self, path: &str, token: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let res = reqwest::Client::new().put(format!("{}{path}", self.base)).bearer_auth(token).json(&body).send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// PATCH JSON on this node's client API.
    pub async fn call_patch(&self, path: &str, token: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let res =
            reqwest::Client::new().patch(format!("{}{path}", self.base)).bearer_auth(token).json(&body).send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// DELETE on this node's client API.
    pub async fn call_delete(&self, path: &str, token: &str) -> (u16, serde_json::Value) {
        let res = reqwest::Client::new().delete(format!("{}{path}", self.base)).bearer_auth(token).send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// Uploads a file through the media API (multipart, as apps do): (status, attachment).
    pub async fn upload(&self, token: &str, field: &str, path: &str, bytes: Vec<u8>, name: &str) -> (u16, serde_json::Value) {
        let form =
            reqwest::multipart::Form::new().part(field.to_string(), reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()));
        let request = if path.contains("update_credentials") {
            reqwest::Client::new().patch(format!("{}{path}", self.base))
        } else {
            reqwest::Client::new().post(format!("{}{path}", self.base))
        };
        let res = request.bearer_auth(token).multipart(form).send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// POST JSON on this node's client API.
    pub async fn post(&self, path: &str, token: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let res = reqwest::Client::new().post(format!("{}{path}", self.base)).bearer_auth(token).json(&body).send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(serde_json::Value::Null))
    }
}

/// Waits until `check` holds, polling every 50 ms, for at most 15 seconds; panics with `what`
/// otherwise. (No fixed sleeps: a scenario waits exactly as long as it needs.)
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while std::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

/// A folder with a test's npm packages: `files` (with `package.json` and `package-lock.json`)
/// are copied from `source` into `cache/NAME-HASH`, named by the lock file's hash, and
/// `npm ci` runs there unless every path in `installed` is there already.
pub fn npm_folder(source: &std::path::Path, files: &[&str], cache: &std::path::Path, name: &str, installed: &[&str]) -> std::path::PathBuf {
    let lock = std::fs::read(source.join("package-lock.json")).expect("a committed package-lock.json");
    let hash = lock.iter().fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100000001b3));
    let dir = cache.join(format!("{name}-{hash:016x}"));
    std::fs::create_dir_all(&dir).expect("package folder");
    for file in files.iter().chain(&["package.json", "package-lock.json"]) {
        std::fs::copy(source.join(file), dir.join(file)).unwrap_or_else(|e| panic!("copy {file}: {e}"));
    }
    if !installed.iter().all(|path| dir.join(path).exists()) {
        let status = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status()
            .expect("npm is needed for this test");
        assert!(status.success(), "npm ci in {} failed", dir.display());
    }
    dir
}
