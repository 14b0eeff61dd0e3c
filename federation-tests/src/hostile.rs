//! A hostile server: it serves actors with keys of its own and signs whatever it likes, with
//! any date, any set of signed headers and any `Host`, so that scenarios can show what Gilde
//! refuses. It answers fetches from a table of documents the scenario fills.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey, LineEnding};
use rsa::signature::{SignatureEncoding, Signer};
use rsa::RsaPrivateKey;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub struct Hostile {
    pub domain: String,
    pub base: String,
    key: RsaPrivateKey,
    documents: Arc<Mutex<HashMap<String, Value>>>,
    _server: tokio::task::JoinHandle<()>,
}

/// How a request is signed: which headers, with which date and host.
#[derive(Clone)]
pub struct Signing {
    /// The headers the signature covers, in order.
    pub headers: Vec<&'static str>,
    /// Seconds added to now for the `Date` header.
    pub date_offset: i64,
    /// The `Host` sent (and signed); `None`: the receiver's own.
    pub host: Option<String>,
    /// Send a `Digest` header.
    pub digest: bool,
    /// Replace the signature with this text (bad base64, say).
    pub signature: Option<String>,
}

impl Default for Signing {
    fn default() -> Self {
        Signing { headers: vec!["(request-target)", "host", "date", "digest"], date_offset: 0, host: None, digest: true, signature: None }
    }
}

impl Hostile {
    pub async fn start() -> Hostile {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let domain = format!("localhost:{port}");
        let base = format!("http://{domain}");
        let pair = tokio::task::spawn_blocking(gilde::keys::generate).await.expect("join").expect("keys");
        let key = RsaPrivateKey::from_pkcs8_pem(&pair.private_pem).expect("a private key");
        let documents: Arc<Mutex<HashMap<String, Value>>> = Arc::default();
        let served = documents.clone();
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
            let served = served.clone();
            async move {
                let key = uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
                let found = served.lock().expect("lock").get(&key).cloned();
                match found {
                    Some(answer) if answer.get("__status").is_some() => {
                        let status = answer["__status"].as_u64().and_then(|s| u16::try_from(s).ok()).unwrap_or(500);
                        let status = axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
                        (status, answer["__body"].as_str().unwrap_or("").to_string()).into_response_parts_ok()
                    }
                    Some(doc) => {
                        ([(axum::http::header::CONTENT_TYPE, "application/activity+json")], doc.to_string()).into_response_parts_ok()
                    }
                    None => (axum::http::StatusCode::NOT_FOUND, "not found").into_response_parts_ok(),
                }
            }
        });
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let hostile = Hostile { domain, base, key, documents, _server: server };
        hostile.serve_actor("mallory", "Person");
        hostile
    }

    /// Serves `doc` at `path` (with its query, if any).
    pub fn serve(&self, path: &str, doc: Value) {
        self.documents.lock().expect("lock").insert(path.to_string(), doc);
    }

    /// Answers every request to `path` (GET or POST) with this status and body.
    pub fn answer(&self, path: &str, status: u16, body: &str) {
        self.serve(path, json!({ "__status": status, "__body": body }));
    }

    /// Serves an actor of this server with this server's key (and its WebFinger).
    pub fn serve_actor(&self, name: &str, kind: &str) -> String {
        let id = self.actor(name);
        let pem = self.key.to_public_key().to_public_key_pem(LineEnding::LF).expect("PEM");
        self.serve(
            &format!("/users/{name}"),
            json!({
                "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                "type": kind, "id": id, "preferredUsername": name, "name": name,
                "inbox": format!("{id}/inbox"), "outbox": format!("{id}/outbox"),
                "publicKey": { "id": format!("{id}#main-key"), "owner": id, "publicKeyPem": pem }
            }),
        );
        self.serve(
            &format!("/.well-known/webfinger?resource=acct:{name}@{}", self.domain),
            json!({ "subject": format!("acct:{name}@{}", self.domain), "links": [{ "rel": "self", "type": "application/activity+json", "href": id }] }),
        );
        id
    }

    pub fn actor(&self, name: &str) -> String {
        format!("{}/users/{name}", self.base)
    }

    /// GETs `url` as `signer` (an actor of this server), signed as Mastodon signs fetches.
    pub async fn get(&self, url: &str, signer: &str) -> (u16, String) {
        let url = url::Url::parse(url).expect("url");
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or("")),
            None => url.host_str().unwrap_or("").to_string(),
        };
        let date = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        let target = match url.query() {
            Some(q) => format!("get {}?{q}", url.path()),
            None => format!("get {}", url.path()),
        };
        let text = format!("(request-target): {target}\nhost: {host}\ndate: {date}");
        let signed = SigningKey::<Sha256>::new(self.key.clone()).sign(text.as_bytes());
        let header = format!(
            r#"keyId="{signer}#main-key",algorithm="rsa-sha256",headers="(request-target) host date",signature="{}""#,
            base64::engine::general_purpose::STANDARD.encode(signed.to_bytes())
        );
        let res = reqwest::Client::new()
            .get(url)
            .header("host", host)
            .header("date", date)
            .header("accept", "application/activity+json")
            .header("signature", header)
            .send()
            .await
            .expect("GET");
        (res.status().as_u16(), res.text().await.unwrap_or_default())
    }

    /// POSTs `body` to `url`, signed as `signer` (an actor of this server) the way `how` says.
    pub async fn post(&self, url: &str, signer: &str, body: &[u8], how: &Signing) -> (u16, Value) {
        let url = url::Url::parse(url).expect("url");
        let host = how.host.clone().unwrap_or_else(|| match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or("")),
            None => url.host_str().unwrap_or("").to_string(),
        });
        let date = (chrono::Utc::now() + chrono::TimeDelta::seconds(how.date_offset)).format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        let digest = format!("SHA-256={}", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body)));
        let target = format!("post {}", url.path());
        let lines: Vec<String> = how
            .headers
            .iter()
            .map(|h| match *h {
                "(request-target)" => format!("(request-target): {target}"),
                "host" => format!("host: {host}"),
                "date" => format!("date: {date}"),
                "digest" => format!("digest: {digest}"),
                "content-type" => "content-type: application/activity+json".to_string(),
                other => panic!("no header {other}"),
            })
            .collect();
        let signed = SigningKey::<Sha256>::new(self.key.clone()).sign(lines.join("\n").as_bytes());
        let signature = how.signature.clone().unwrap_or_else(|| base64::engine::general_purpose::STANDARD.encode(signed.to_bytes()));
        let header =
            format!(r#"keyId="{signer}#main-key",algorithm="rsa-sha256",headers="{}",signature="{signature}""#, how.headers.join(" "));
        let mut request = reqwest::Client::new()
            .post(url.clone())
            .header("host", host)
            .header("date", date)
            .header("content-type", "application/activity+json")
            .header("signature", header)
            .body(body.to_vec());
        if how.digest {
            request = request.header("digest", digest);
        }
        let res = request.send().await.expect("POST");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

/// Both arms of the fallback answer the same type.
trait IntoResponseOk {
    fn into_response_parts_ok(self) -> axum::response::Response;
}

impl<T: axum::response::IntoResponse> IntoResponseOk for T {
    fn into_response_parts_ok(self) -> axum::response::Response {
        self.into_response()
    }
}
