//! A real OpenID Connect provider for the single sign-on tests: panva's `oidc-provider` from
//! npm (`sso/provider.mjs`, pinned in `sso/package-lock.json`). Its people: anna and bram
//! (gemeente-a.nl, in the group gilde-users), outsider (another e-mail domain), nogroup (not in
//! gilde-users); any password signs them in at its development sign-in form.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use gilde::config::{DomainPattern, SsoSettings};

use crate::Node;

/// The provider, started once for this test binary; it ends when the binary does (it watches
/// its standard input, which this process holds).
pub struct Provider {
    pub issuer: String,
    _child: Child,
}

static PROVIDER: OnceLock<Provider> = OnceLock::new();

/// `cache`: where its npm packages are installed (a test's `CARGO_TARGET_TMPDIR`).
pub fn provider(cache: &str) -> &'static Provider {
    PROVIDER.get_or_init(|| {
        let source = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sso");
        let cache = std::path::PathBuf::from(cache);
        let dir = crate::npm_folder(&source, &["provider.mjs"], &cache, "sso", &["node_modules/oidc-provider"]);
        let mut child = Command::new("node")
            .arg("provider.mjs")
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(cache.join("sso-provider.log")).map(Stdio::from).unwrap_or_else(|_| Stdio::null()))
            .spawn()
            .expect("node runs the OpenID provider");
        let mut line = String::new();
        let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        stdout.read_line(&mut line).expect("the provider's first line");
        // The provider writes notices later; they are read (and dropped) so it never writes
        // into a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let started: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("the provider did not start ({e}): {line:?}"));
        let issuer = started["issuer"].as_str().expect("issuer").to_string();
        Provider { issuer, _child: child }
    })
}

/// Single sign-on settings for a node, as its admin would write them.
pub fn settings(issuer: &str, client_id: &str, domains: &[&str], groups: &[&str]) -> SsoSettings {
    SsoSettings {
        issuer: issuer.to_string(),
        client_id: client_id.to_string(),
        client_secret: "a-client-secret-of-at-least-32-characters".to_string(),
        allowed_domains: domains.iter().map(|d| DomainPattern::parse(d).expect("domain")).collect(),
        group_claim: "groups".to_string(),
        required_groups: groups.iter().map(|g| g.to_string()).collect(),
        department_claim: "department".to_string(),
        button_label: Some("Inloggen met je Gemeente A-account".to_string()),
    }
}

/// Registers the node's client at the provider, with the node's callback address.
pub async fn register(node: &Node) {
    let sso = node.instance.ctx.config.sso.clone().expect("the node has single sign-on");
    let res = reqwest::Client::new()
        .post(format!("{}/test/clients", PROVIDER.get().expect("the provider was started").issuer))
        .json(&serde_json::json!({
            "client_id": sso.client_id,
            "client_secret": sso.client_secret,
            "redirect_uris": [format!("{}/auth/sso/callback", node.base)],
        }))
        .send()
        .await
        .expect("register the client");
    assert_eq!(res.status().as_u16(), 201);
}
