//! Real fediverse servers nobody here wrote, for interoperability scenarios: GoToSocial (a
//! Mastodon-API server, strict about federation as Mastodon is) and snac (a minimal server
//! driven by its command line). Their binaries come from the folder named by
//! `GILDE_PEERS_DIR` (`.ci/run` sets it to `../shared/peers`); they are never copied into
//! the repository. Without the variable the scenarios are skipped; with it, a peer that does
//! not start fails the test loudly.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::process::{Child, Command};

pub const ENV: &str = "GILDE_PEERS_DIR";

/// The peers folder, when the environment names one (it must then hold the peers).
pub fn peers_dir() -> Option<PathBuf> {
    let dir = std::env::var(ENV).ok().filter(|v| !v.is_empty())?;
    let dir = PathBuf::from(dir);
    let dir = if dir.is_absolute() { dir } else { std::env::current_dir().expect("current dir").join(dir) };
    assert!(dir.join("gotosocial/gotosocial").exists(), "{ENV}={} holds no gotosocial/gotosocial", dir.display());
    assert!(dir.join("snac/snac").exists(), "{ENV}={} holds no snac/snac", dir.display());
    Some(dir)
}

/// A free loopback port (the peers need theirs before they start: it is part of their host name).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local address").port()
}

/// Every request to a peer names itself (GoToSocial answers 418 without a User-Agent).
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent("gilde-federation-tests")
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .expect("HTTP client")
}

async fn wait_until_up(name: &str, url: &str, child: &mut Child, log: &Path) {
    let http = client();
    let deadline = Instant::now() + Duration::from_secs(90);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{name} exited at start ({status}); its log:\n{}", std::fs::read_to_string(log).unwrap_or_default());
        }
        if http.get(url).send().await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{name} did not answer {url} within 90 s; its log:\n{}", std::fs::read_to_string(log).unwrap_or_default());
}

fn log_file(dir: &Path, name: &str) -> (std::fs::File, PathBuf) {
    let path = dir.join(name);
    (std::fs::File::create(&path).expect("log file"), path)
}

/// A running GoToSocial on `localhost:PORT`, with its own SQLite database in a temporary folder.
pub struct GoToSocial {
    pub domain: String,
    pub base: String,
    binary: PathBuf,
    config: PathBuf,
    bin_dir: PathBuf,
    log: PathBuf,
    _child: Child,
    _dir: tempfile::TempDir,
}

impl GoToSocial {
    pub async fn start(peers: &Path) -> GoToSocial {
        let dir = tempfile::tempdir().expect("temporary folder");
        let port = free_port();
        let domain = format!("localhost:{port}");
        // GoToSocial runs ffmpeg and ffprobe (Debian's, on PATH) to read the images and files
        // the scenarios exchange: federation-tests/peers/install-ffmpeg.sh installs them.
        for tool in ["ffmpeg", "ffprobe"] {
            let found = std::process::Command::new(tool).arg("-version").output().is_ok_and(|o| o.status.success());
            assert!(found, "GoToSocial needs {tool} on PATH: run federation-tests/peers/install-ffmpeg.sh");
        }
        let bin_dir = dir.path().join("bin");
        std::fs::create_dir_all(&bin_dir).expect("bin folder");
        let web = peers.join("gotosocial/web");
        let config = dir.path().join("config.yaml");
        let data = dir.path();
        std::fs::write(
            &config,
            format!(
                r#"host: "{domain}"
protocol: "http"
bind-address: "127.0.0.1"
port: {port}
db-type: "sqlite"
db-address: "{data}/gts.db"
storage-local-base-path: "{data}/storage"
letsencrypt-enabled: false
accounts-registration-open: false
http-client:
  allow-ips: ["127.0.0.0/8", "::1/128"]
  insecure-outgoing: true
advanced-rate-limit-requests: 0
log-level: "info"
web-template-base-dir: "{web}/template/"
web-asset-base-dir: "{web}/assets/"
"#,
                data = data.display(),
                web = web.display(),
            ),
        )
        .expect("config");
        let binary = peers.join("gotosocial/gotosocial");
        let (log, log_path) = log_file(dir.path(), "gotosocial.log");
        let mut child = Command::new(&binary)
            .args(["--config-path", config.to_str().expect("path"), "server", "start"])
            .env("PATH", path_with(&bin_dir))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let base = format!("http://{domain}");
        wait_until_up("GoToSocial", &format!("{base}/api/v1/instance"), &mut child, &log_path).await;
        GoToSocial { domain, base, binary, config, bin_dir, log: log_path, _child: child, _dir: dir }
    }

    fn admin(&self, args: &[&str]) {
        let out = std::process::Command::new(&self.binary)
            .args(["--config-path", self.config.to_str().expect("path"), "admin", "account"])
            .args(args)
            .env("PATH", path_with(&self.bin_dir))
            .output()
            .expect("run gotosocial admin");
        let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && !text.contains("error executing command"), "gotosocial admin {args:?} failed:\n{text}");
    }

    /// GoToSocial's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A confirmed, unlocked account and a token for it (the ordinary OAuth code flow).
    pub async fn user(&self, name: &str) -> GtsUser {
        let email = format!("{name}@example.org");
        let password = "Wachtw00rd!Lang";
        self.admin(&["create", "--username", name, "--email", &email, "--password", password]);
        self.admin(&["confirm", "--username", name]);
        let token = self.sign_in(&email, password).await;
        let user = GtsUser { base: self.base.clone(), token, acct: format!("{name}@{}", self.domain), http: client() };
        // Accounts made on the command line start locked: open it, as most people's are.
        let (status, body) = user.send(reqwest::Method::PATCH, "/api/v1/accounts/update_credentials", &[("locked", "false")]).await;
        assert_eq!(status, 200, "unlock {name}: {body}");
        user
    }

    async fn sign_in(&self, email: &str, password: &str) -> String {
        let http = client();
        let base = &self.base;
        let redirect = "urn:ietf:wg:oauth:2.0:oob";
        let app: Value = http
            .post(format!("{base}/api/v1/apps"))
            .form(&[("client_name", "gilde-tests"), ("redirect_uris", redirect), ("scopes", "read write follow")])
            .send()
            .await
            .expect("register app")
            .json()
            .await
            .expect("app JSON");
        let client_id = app["client_id"].as_str().expect("client_id").to_string();
        let secret = app["client_secret"].as_str().expect("client_secret").to_string();
        let mut cookies = Cookies::default();
        let query =
            [("client_id", client_id.as_str()), ("redirect_uri", redirect), ("response_type", "code"), ("scope", "read write follow")];
        let res = http.get(format!("{base}/oauth/authorize")).query(&query).send().await.expect("authorize");
        cookies.take(&res);
        let res = http
            .post(format!("{base}/auth/sign_in"))
            .header("cookie", cookies.header())
            .form(&[("username", email), ("password", password)])
            .send()
            .await
            .expect("sign in");
        assert!(res.status().is_redirection(), "GoToSocial sign-in answered {}", res.status());
        cookies.take(&res);
        let res = http.get(format!("{base}/oauth/authorize")).header("cookie", cookies.header()).send().await.expect("consent page");
        cookies.take(&res);
        let res = http.post(format!("{base}/oauth/authorize")).header("cookie", cookies.header()).send().await.expect("consent");
        let location = res.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or("").to_string();
        let code = location.split("code=").nth(1).unwrap_or_else(|| panic!("no code in the redirect {location:?} ({})", res.status()));
        let token: Value = http
            .post(format!("{base}/oauth/token"))
            .form(&[
                ("client_id", client_id.as_str()),
                ("client_secret", secret.as_str()),
                ("redirect_uri", redirect),
                ("grant_type", "authorization_code"),
                ("code", code),
            ])
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("token JSON");
        token["access_token"].as_str().unwrap_or_else(|| panic!("no token: {token}")).to_string()
    }
}

fn path_with(dir: &Path) -> String {
    format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default())
}

/// The session cookies of an OAuth sign-in, kept by hand (no redirects are followed).
#[derive(Default)]
struct Cookies(Vec<(String, String)>);

impl Cookies {
    fn take(&mut self, res: &reqwest::Response) {
        for value in res.headers().get_all("set-cookie") {
            let Some((name, rest)) = value.to_str().ok().and_then(|v| v.split_once('=')) else { continue };
            let value = rest.split(';').next().unwrap_or("").to_string();
            self.0.retain(|(n, _)| n != name);
            self.0.push((name.to_string(), value));
        }
    }

    fn header(&self) -> String {
        self.0.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; ")
    }
}

/// A person on GoToSocial, driven through its Mastodon client API as their app would.
pub struct GtsUser {
    pub base: String,
    pub token: String,
    /// `name@localhost:PORT`
    pub acct: String,
    http: reqwest::Client,
}

impl GtsUser {
    pub async fn send(&self, method: reqwest::Method, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let mut request = self.http.request(method.clone(), format!("{}{path}", self.base)).bearer_auth(&self.token);
        if method != reqwest::Method::GET {
            request = request.form(form);
        }
        let res = request.send().await.expect("request to GoToSocial");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> Value {
        let (status, body) = self.send(reqwest::Method::GET, path, &[]).await;
        assert_eq!(status, 200, "GET {path} on GoToSocial: {body}");
        body
    }

    /// Uploads a file as the app does (`/api/v2/media`, multipart); the attachment's id once
    /// GoToSocial has processed it.
    pub async fn upload(&self, bytes: Vec<u8>, name: &str, description: &str) -> String {
        let form = reqwest::multipart::Form::new()
            .part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()))
            .text("description", description.to_string());
        let res =
            self.http.post(format!("{}/api/v2/media", self.base)).bearer_auth(&self.token).multipart(form).send().await.expect("upload");
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert!(status == 200 || status == 202, "upload to GoToSocial: {status} {body}");
        body["id"].as_str().expect("media id").to_string()
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Value {
        let (status, body) = self.send(reqwest::Method::POST, path, form).await;
        assert_eq!(status, 200, "POST {path} on GoToSocial: {body}");
        body
    }

    /// Finds an account by its address (`name@domain`), fetching it if need be: its id here.
    pub async fn find_account(&self, acct: &str) -> Option<String> {
        let found =
            self.get(&format!("/api/v2/search?resolve=true&type=accounts&q=%40{}", acct.replace('@', "%40").replace(':', "%3A"))).await;
        found["accounts"].as_array()?.iter().find(|a| a["acct"] == acct).and_then(|a| a["id"].as_str()).map(str::to_string)
    }

    pub async fn relationship(&self, account: &str) -> Value {
        self.get(&format!("/api/v1/accounts/relationships?id[]={account}")).await[0].clone()
    }

    /// The home timeline as the app shows it (newest first, boosts unwrapped to what they boost).
    pub async fn home(&self) -> Vec<Value> {
        let statuses = self.get("/api/v1/timelines/home?limit=40").await;
        statuses.as_array().cloned().unwrap_or_default()
    }

    /// The status in home whose text contains `text` (a boost's boosted status), if any.
    pub async fn home_status(&self, text: &str) -> Option<Value> {
        self.home()
            .await
            .into_iter()
            .find_map(|s| {
                let shown = if s["reblog"].is_object() { s["reblog"].clone() } else { s.clone() };
                shown["content"].as_str().is_some_and(|c| c.contains(text)).then_some((s, shown))
            })
            .map(|(outer, shown)| serde_json::json!({ "outer": outer, "shown": shown }))
    }
}

/// A running snac on `localhost:PORT` with its data in a temporary folder.
pub struct Snac {
    pub domain: String,
    pub base: String,
    binary: PathBuf,
    data: PathBuf,
    log: PathBuf,
    _child: Child,
    _dir: tempfile::TempDir,
}

impl Snac {
    pub async fn start(peers: &Path) -> Snac {
        let dir = tempfile::tempdir().expect("temporary folder");
        let port = free_port();
        let domain = format!("localhost:{port}");
        let binary = peers.join("snac/snac");
        let data = dir.path().join("data");
        // `snac init` asks for: address, port, host name, URL prefix, admin e-mail.
        let mut init = std::process::Command::new(&binary)
            .args(["init", data.to_str().expect("path")])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
        {
            use std::io::Write;
            let mut stdin = init.stdin.take().expect("stdin");
            write!(stdin, "127.0.0.1\n{port}\n{domain}\n\n\n").expect("answer snac init");
        }
        let out = init.wait_with_output().expect("snac init");
        assert!(out.status.success(), "snac init failed: {}", String::from_utf8_lossy(&out.stderr));
        let server_json = data.join("server.json");
        let mut server: Value = serde_json::from_str(&std::fs::read_to_string(&server_json).expect("server.json")).expect("server JSON");
        server["protocol"] = "http".into();
        server["dbglevel"] = 1.into();
        // Work its queues promptly.
        server["queue_retry_minutes"] = 1.into();
        std::fs::write(&server_json, serde_json::to_string_pretty(&server).expect("JSON")).expect("write server.json");
        let (log, log_path) = log_file(dir.path(), "snac.log");
        let mut child = Command::new(&binary)
            .args(["httpd", data.to_str().expect("path")])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let base = format!("http://{domain}");
        wait_until_up("snac", &format!("{base}/.well-known/nodeinfo"), &mut child, &log_path).await;
        Snac { domain, base, binary, data, log: log_path, _child: child, _dir: dir }
    }

    /// Runs a snac command on this server's data (`snac CMD DATA ARGS...`), returning its output.
    pub fn cli(&self, command: &str, args: &[&str]) -> String {
        let out = std::process::Command::new(&self.binary)
            .arg(command)
            .arg(&self.data)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run snac {command}: {e}"));
        let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "snac {command} {args:?} failed:\n{text}");
        text
    }

    /// A new user; returns their password.
    pub fn user(&self, name: &str) -> String {
        let out = self.cli("adduser", &[name]);
        out.split("User password is ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .unwrap_or_else(|| panic!("no password in: {out}"))
            .to_string()
    }

    pub fn actor(&self, name: &str) -> String {
        format!("{}/{name}", self.base)
    }

    /// The user's own timeline page, as snac shows it to them (HTML, behind HTTP basic auth).
    pub async fn timeline(&self, name: &str, password: &str) -> String {
        let res = client().get(format!("{}/{name}/admin", self.base)).basic_auth(name, Some(password)).send().await.expect("snac page");
        assert!(res.status().is_success(), "snac timeline page: {}", res.status());
        res.text().await.expect("snac page text")
    }

    /// Does snac count `actor` among `name`'s followers? (It keeps one file per follower.)
    pub fn has_follower(&self, name: &str, actor: &str) -> bool {
        let dir = self.data.join("user").join(name).join("followers");
        std::fs::read_dir(dir)
            .map(|entries| entries.flatten().any(|e| std::fs::read_to_string(e.path()).is_ok_and(|text| text.contains(actor))))
            .unwrap_or(false)
    }

    /// snac's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// The last lines of a peer's log, printed when a test fails while the peer runs.
fn print_log_on_failure(name: &str, log: &Path) {
    if std::thread::panicking() {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        eprintln!("--- the last lines of {name}'s log ---\n{}", lines[lines.len().saturating_sub(80)..].join("\n"));
    }
}

impl Drop for GoToSocial {
    fn drop(&mut self) {
        print_log_on_failure("GoToSocial", &self.log);
    }
}

impl Drop for Snac {
    fn drop(&mut self) {
        print_log_on_failure("snac", &self.log);
    }
}
