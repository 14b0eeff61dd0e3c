//! A running instance for a test, and small HTTP helpers.

use gilde::config::Config;
use gilde::db::testing::TestDatabase;
use gilde::service::people::NewAccount;
use gilde::{service, RunningInstance};
use reqwest::Method;
use serde_json::Value;

pub const PASSWORD: &str = "correct horse battery";

pub struct Server {
    pub base: String,
    pub http: reqwest::Client,
    pub instance: RunningInstance,
    _database: TestDatabase,
}

impl Server {
    pub async fn start() -> Server {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(change: impl FnOnce(&mut Config)) -> Server {
        let database = TestDatabase::new();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut config = Config::for_tests(&addr.to_string(), database.dir(), database.url.clone());
        change(&mut config);
        let instance = gilde::start(config, listener).await.expect("start instance");
        Server { base: format!("http://{addr}"), http: reqwest::Client::new(), instance, _database: database }
    }

    /// Creates a person and returns an access token for them.
    pub async fn person(&self, name: &str) -> (String, String) {
        let ctx = &self.instance.ctx;
        let person = service::people::create_account(
            ctx,
            NewAccount { username: name.into(), password: PASSWORD.into(), display_name: None, is_admin: false },
        )
        .await
        .expect("create person");
        let token = service::oauth::token_for_person(ctx, person.id).await.expect("token");
        (person.id.to_string(), token)
    }

    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let text = res.text().await.expect("body");
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    /// Sends form data, as many Mastodon clients do.
    pub async fn post_form(&self, path: &str, token: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let res = self.http.post(format!("{}{path}", self.base)).bearer_auth(token).form(form).send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

/// Asserts an error response: its status, a stable `code` and a message for people.
#[track_caller]
pub fn assert_error(response: &(u16, Value), status: u16, code: &str) {
    assert_eq!(response.0, status, "status of {}", response.1);
    assert_eq!(response.1["code"], code, "code of {}", response.1);
    assert!(response.1["error"].as_str().is_some_and(|e| !e.is_empty()), "an error message in {}", response.1);
}

/// Files below a folder (none when it does not exist).
pub fn count_files(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries.flatten().map(|e| if e.path().is_dir() { count_files(&e.path()) } else { 1 }).sum()
}
