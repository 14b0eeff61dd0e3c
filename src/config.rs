//! Configuration: defaults, then an optional `gilde.toml`, then `GILDE_*` environment variables
//! (and `DATABASE_URL`). Every key is listed in `docs/configuration.md`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Where the data lives: SQLite (the default, a file in the data dir) or PostgreSQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(value: &str) -> Result<Self, String> {
        if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            Ok(DatabaseUrl::Postgres(value.to_string()))
        } else if let Some(path) = value.strip_prefix("sqlite://") {
            Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
        } else if value.is_empty() {
            Err("must not be empty".into())
        } else if value.contains("://") {
            Err("use a postgres:// URL, a sqlite:// URL or a file path".into())
        } else {
            Ok(DatabaseUrl::Sqlite(PathBuf::from(value)))
        }
    }

    /// For logs: the URL without a password.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => match url::Url::parse(url) {
                Ok(mut parsed) if parsed.password().is_some() => {
                    let _ = parsed.set_password(Some("***"));
                    parsed.to_string()
                }
                _ => url.clone(),
            },
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Public host name, may include a port: `gilde.example.org`, `localhost:8080`.
    pub domain: String,
    /// Whether the public URL uses https.
    pub https: bool,
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub database: DatabaseUrl,
    pub db_pool_size: u32,
    pub instance_name: String,
    pub max_post_chars: usize,
    pub max_body_bytes: usize,
    /// Writes (POST, PUT, PATCH, DELETE, apart from federation inboxes) one client address
    /// may make per minute, with as many at once; more get 429.
    pub write_rate_per_minute: u32,
    /// How long requests in flight may take to finish once the process is told to stop.
    pub shutdown_grace_seconds: u64,
    /// How long a process reserves a job it started; if the process dies, another takes the
    /// job over after this.
    pub job_claim_seconds: u64,
    /// What uploads may be: sizes, pixels, attachments per post.
    pub media: crate::media::MediaLimits,
    /// Where files are kept: `None` for `data_dir/media`, or an S3-compatible bucket.
    pub media_s3: Option<crate::media::storage::S3Settings>,
    pub log: String,
    pub federation: FederationSettings,
    /// Single sign-on with the organisation's OpenID Connect provider, if configured.
    pub sso: Option<SsoSettings>,
    /// Whether people may sign in with a name and password (switched off when everyone signs
    /// in through single sign-on).
    pub password_sign_in: bool,
    /// A separate address for Prometheus metrics (`/metrics`, no token: keep it internal).
    pub metrics_bind: Option<SocketAddr>,
    /// A bearer token for `/metrics` on the public address.
    pub metrics_token: Option<String>,
}

/// The organisation's OpenID Connect provider (Entra ID, Keycloak, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSettings {
    /// The issuer, as the provider names itself; its discovery document is read from
    /// `issuer/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// E-mail domains whose people may sign in (`gemeente-a.nl`, `*.gemeente-a.nl`); empty: any.
    pub allowed_domains: Vec<DomainPattern>,
    /// The claim that lists a person's groups at the provider.
    pub group_claim: String,
    /// People must be in one of these provider groups; empty: no group needed.
    pub required_groups: Vec<String>,
    /// The claim that holds a person's department, copied into the profile at first sign-in.
    pub department_claim: String,
    /// The button's text (`Sign in with Gemeente A`); a default in the person's language if unset.
    pub button_label: Option<String>,
}

/// Whom this instance federates with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederationSettings {
    /// Allow plain http, loopback and private addresses and explicit ports: for tests and for
    /// trying Gilde on one machine only. Logged loudly at start.
    pub insecure: bool,
    /// `None`: federate with everyone not blocked. `Some(list)`: only with these domains.
    pub allowlist: Option<Vec<DomainPattern>>,
    /// Never federate with these domains.
    pub blocklist: Vec<DomainPattern>,
    /// A server whose deliveries keep failing this long is marked dead: deliveries to it are
    /// then tried once a day, until it shows it is back.
    pub dead_after: std::time::Duration,
    /// What the admins block and allow on the admin pages, beside the lists configured here.
    pub managed: ManagedLists,
}

/// Domains the instance's admins block or allow on the admin pages. They are kept in the
/// database and loaded into every copy of the configuration in the process at once.
#[derive(Debug, Clone, Default)]
pub struct ManagedLists(std::sync::Arc<std::sync::RwLock<ManagedDomains>>);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManagedDomains {
    pub blocked: Vec<DomainPattern>,
    /// Counted only when the instance federates by allowlist.
    pub allowed: Vec<DomainPattern>,
}

impl ManagedLists {
    pub fn get(&self) -> ManagedDomains {
        self.0.read().map(|lists| lists.clone()).unwrap_or_default()
    }

    pub fn set(&self, lists: ManagedDomains) {
        if let Ok(mut current) = self.0.write() {
            *current = lists;
        }
    }
}

impl PartialEq for ManagedLists {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl Eq for ManagedLists {}

/// Three days, as a server down over a long weekend is not dead.
pub const DEFAULT_DEAD_AFTER: std::time::Duration = std::time::Duration::from_secs(72 * 3600);

/// A domain (`gemeente-b.nl`), or all subdomains of one (`*.gemeente.nl`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainPattern {
    Exact(String),
    Suffix(String),
}

impl DomainPattern {
    /// As it is written: `gemeente-b.nl` or `*.gemeente.nl`.
    pub fn as_text(&self) -> String {
        match self {
            DomainPattern::Exact(d) => d.clone(),
            DomainPattern::Suffix(d) => format!("*.{d}"),
        }
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim().to_ascii_lowercase();
        let (suffix, host) = match text.strip_prefix("*.") {
            Some(rest) => (true, rest.to_string()),
            None => (false, text.clone()),
        };
        let valid = !host.is_empty()
            && host
                .split(':')
                .next()
                .is_some_and(|h| h.split('.').all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')));
        if !valid {
            return Err(format!("{text:?} is not a domain or *.domain"));
        }
        Ok(if suffix { DomainPattern::Suffix(host) } else { DomainPattern::Exact(host) })
    }

    /// Does the domain (host, with a port if any) match?
    pub fn matches(&self, domain: &str) -> bool {
        let domain = domain.to_ascii_lowercase();
        match self {
            DomainPattern::Exact(d) => domain == *d || domain.split(':').next() == Some(d.as_str()),
            DomainPattern::Suffix(d) => {
                let host = domain.split(':').next().unwrap_or("");
                host == d || host.ends_with(&format!(".{d}"))
            }
        }
    }
}

impl Default for FederationSettings {
    fn default() -> Self {
        FederationSettings {
            insecure: false,
            allowlist: None,
            blocklist: Vec::new(),
            dead_after: DEFAULT_DEAD_AFTER,
            managed: ManagedLists::default(),
        }
    }
}

impl FederationSettings {
    /// May this instance talk with `domain` at all?
    pub fn allows(&self, domain: &str) -> bool {
        let managed = self.managed.0.read();
        let (blocked, allowed): (&[DomainPattern], &[DomainPattern]) = match &managed {
            Ok(lists) => (&lists.blocked, &lists.allowed),
            Err(_) => (&[], &[]),
        };
        if self.blocklist.iter().chain(blocked).any(|p| p.matches(domain)) {
            return false;
        }
        self.allowlist.as_ref().is_none_or(|list| list.iter().chain(allowed).any(|p| p.matches(domain)))
    }
}

fn parse_domain_list(text: &str) -> Result<Vec<DomainPattern>, String> {
    text.split([',', ' ', '\n']).map(str::trim).filter(|t| !t.is_empty()).map(DomainPattern::parse).collect()
}

/// A configuration value that cannot be used. Shown as one line naming the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration {key} (from {origin}): {message}")]
pub struct ConfigError {
    pub key: String,
    pub origin: String,
    pub message: String,
}

/// The keys, as spelt in `gilde.toml`; the environment variable is `GILDE_` + upper case, except
/// `database_url`, which is `DATABASE_URL`.
pub const KEYS: &[&str] = &[
    "domain",
    "https",
    "bind",
    "data_dir",
    "database_url",
    "db_pool_size",
    "instance_name",
    "max_post_chars",
    "max_body_bytes",
    "write_rate_per_minute",
    "shutdown_grace_seconds",
    "job_claim_seconds",
    "media_image_max_bytes",
    "media_document_max_bytes",
    "media_image_max_pixels",
    "media_max_attachments",
    "media_storage",
    "s3_endpoint",
    "s3_bucket",
    "s3_region",
    "s3_access_key",
    "s3_secret_key",
    "log",
    "insecure_federation",
    "federation_mode",
    "federation_allowlist",
    "federation_blocklist",
    "federation_dead_after_hours",
    "sso_issuer",
    "sso_client_id",
    "sso_client_secret",
    "sso_allowed_domains",
    "sso_group_claim",
    "sso_required_groups",
    "sso_department_claim",
    "sso_button_label",
    "password_sign_in",
    "metrics_bind",
    "metrics_token",
];

pub fn env_name(key: &str) -> String {
    if key == "database_url" {
        "DATABASE_URL".to_string()
    } else {
        format!("GILDE_{}", key.to_uppercase())
    }
}

struct Value {
    text: String,
    source: String,
}

impl Config {
    /// Loads `gilde.toml` (or the file named by `GILDE_CONFIG`) if present, then the environment.
    pub fn load() -> Result<Self, ConfigError> {
        let file = std::env::var("GILDE_CONFIG").map(PathBuf::from).ok();
        let env: Vec<(String, String)> = std::env::vars().collect();
        Self::from_sources(file.as_deref().or(Some(Path::new("gilde.toml"))), file.is_some(), &env)
    }

    /// Builds a configuration from a file (optional unless `file_required`) and `KEY=value` pairs.
    pub fn from_sources(file: Option<&Path>, file_required: bool, env: &[(String, String)]) -> Result<Self, ConfigError> {
        let mut values: BTreeMap<&'static str, Value> = BTreeMap::new();
        if let Some(path) = file {
            let source = path.display().to_string();
            match std::fs::read_to_string(path) {
                Ok(text) => read_toml(&text, &source, &mut values)?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && !file_required => {}
                Err(e) => {
                    return Err(ConfigError { key: "GILDE_CONFIG".into(), origin: source, message: format!("cannot read the file: {e}") })
                }
            }
        }
        for key in KEYS {
            let name = env_name(key);
            if let Some((_, text)) = env.iter().find(|(k, _)| *k == name) {
                values.insert(key, Value { text: text.clone(), source: format!("environment {name}") });
            }
        }
        Self::from_values(values)
    }

    fn from_values(mut values: BTreeMap<&'static str, Value>) -> Result<Self, ConfigError> {
        let mut take = |key: &'static str| {
            debug_assert!(KEYS.contains(&key), "configuration key {key} is missing from KEYS");
            values.remove(key)
        };
        let domain = match take("domain") {
            Some(v) => parse_with(v, "domain", parse_domain)?,
            None => "localhost:8080".to_string(),
        };
        let https = match take("https") {
            Some(v) => parse_with(v, "https", parse_bool)?,
            None => !is_local_host(&domain),
        };
        let bind = match take("bind") {
            Some(v) => {
                parse_with(v, "bind", |s| s.parse::<SocketAddr>().map_err(|_| "expected an address like 127.0.0.1:8080".to_string()))?
            }
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        };
        let data_dir = match take("data_dir") {
            Some(v) => parse_with(v, "data_dir", |s| if s.is_empty() { Err("must not be empty".into()) } else { Ok(PathBuf::from(s)) })?,
            None => PathBuf::from("data"),
        };
        let database = match take("database_url") {
            Some(v) => parse_with(v, "database_url", DatabaseUrl::parse)?,
            None => DatabaseUrl::Sqlite(data_dir.join("gilde.db")),
        };
        let db_pool_size = number(take("db_pool_size"), "db_pool_size", 10, 1, 200)? as u32;
        let instance_name = match take("instance_name") {
            Some(v) => parse_with(v, "instance_name", |s| {
                if s.trim().is_empty() {
                    Err("must not be empty".into())
                } else {
                    Ok(s.trim().to_string())
                }
            })?,
            None => "Gilde".to_string(),
        };
        let max_post_chars = number(take("max_post_chars"), "max_post_chars", 5_000, 1, 1_000_000)?;
        let max_body_bytes = number(take("max_body_bytes"), "max_body_bytes", 1_048_576, 1_024, 1_073_741_824)?;
        let write_rate_per_minute = number(take("write_rate_per_minute"), "write_rate_per_minute", 300, 1, 1_000_000)? as u32;
        let shutdown_grace_seconds = number(take("shutdown_grace_seconds"), "shutdown_grace_seconds", 20, 0, 3600)? as u64;
        let job_claim_seconds = number(take("job_claim_seconds"), "job_claim_seconds", 120, 1, 3600)? as u64;
        let defaults = crate::media::MediaLimits::default();
        let media = crate::media::MediaLimits {
            image_max_bytes: number(
                take("media_image_max_bytes"),
                "media_image_max_bytes",
                defaults.image_max_bytes,
                1_024,
                1_073_741_824,
            )?,
            document_max_bytes: number(
                take("media_document_max_bytes"),
                "media_document_max_bytes",
                defaults.document_max_bytes,
                1_024,
                1_073_741_824,
            )?,
            image_max_pixels: number(
                take("media_image_max_pixels"),
                "media_image_max_pixels",
                defaults.image_max_pixels as usize,
                1_000_000,
                500_000_000,
            )? as u64,
            max_attachments: number(take("media_max_attachments"), "media_max_attachments", defaults.max_attachments, 0, 20)?,
            ..defaults
        };
        let s3_fields = [take("s3_endpoint"), take("s3_bucket"), take("s3_region"), take("s3_access_key"), take("s3_secret_key")];
        let media_s3 = match take("media_storage") {
            None => None,
            Some(v) => parse_with(v, "media_storage", |s| match s.to_ascii_lowercase().as_str() {
                "local" => Ok(false),
                "s3" => Ok(true),
                _ => Err("expected local or s3".to_string()),
            })?
            .then(|| s3_settings(s3_fields))
            .transpose()?,
        };
        let log = take("log").map(|v| v.text).unwrap_or_else(|| "info".to_string());
        let insecure = match take("insecure_federation") {
            Some(v) => parse_with(v, "insecure_federation", parse_bool)?,
            None => false,
        };
        let allowlist = match take("federation_allowlist") {
            Some(v) => parse_with(v, "federation_allowlist", parse_domain_list)?,
            None => Vec::new(),
        };
        let allowlist = match take("federation_mode") {
            None => None,
            Some(v) => parse_with(v, "federation_mode", |s| match s.to_ascii_lowercase().as_str() {
                "open" => Ok(None),
                "allowlist" => Ok(Some(allowlist)),
                _ => Err("expected open or allowlist".to_string()),
            })?,
        };
        let blocklist = match take("federation_blocklist") {
            Some(v) => parse_with(v, "federation_blocklist", parse_domain_list)?,
            None => Vec::new(),
        };
        let dead_after_hours = number(take("federation_dead_after_hours"), "federation_dead_after_hours", 72, 0, 24 * 365)?;
        let dead_after = std::time::Duration::from_secs(dead_after_hours as u64 * 3600);
        let federation = FederationSettings { insecure, allowlist, blocklist, dead_after, managed: ManagedLists::default() };
        let sso = sso_settings(&mut take)?;
        let password_sign_in = match take("password_sign_in") {
            Some(v) => parse_with(v, "password_sign_in", parse_bool)?,
            None => true,
        };
        if !password_sign_in && sso.is_none() {
            return Err(ConfigError {
                key: "password_sign_in".into(),
                origin: "password_sign_in = false".into(),
                message: "nobody could sign in: set sso_issuer, sso_client_id and sso_client_secret, or keep password sign-in on".into(),
            });
        }
        let metrics_bind = match take("metrics_bind") {
            Some(v) if !v.text.trim().is_empty() => Some(parse_with(v, "metrics_bind", |s| {
                s.parse::<SocketAddr>().map_err(|_| "expected an address like 127.0.0.1:9090".to_string())
            })?),
            _ => None,
        };
        let metrics_token = match take("metrics_token") {
            Some(v) if !v.text.trim().is_empty() => Some(parse_with(v, "metrics_token", |s| {
                if s.len() < 16 {
                    Err("use a token of at least 16 characters".to_string())
                } else {
                    Ok(s.to_string())
                }
            })?),
            _ => None,
        };
        Ok(Config {
            domain,
            https,
            bind,
            data_dir,
            database,
            db_pool_size,
            instance_name,
            max_post_chars,
            max_body_bytes,
            write_rate_per_minute,
            shutdown_grace_seconds,
            job_claim_seconds,
            media,
            media_s3,
            log,
            federation,
            sso,
            password_sign_in,
            metrics_bind,
            metrics_token,
        })
    }

    /// `https://domain` or `http://domain`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("{}://{}", if self.https { "https" } else { "http" }, self.domain)
    }

    /// A configuration for tests and embedded instances: everything default but the given parts.
    pub fn for_tests(domain: &str, data_dir: &Path, database: DatabaseUrl) -> Self {
        Config {
            domain: domain.to_string(),
            https: false,
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: data_dir.to_path_buf(),
            database,
            db_pool_size: 4,
            instance_name: "Gilde test".to_string(),
            max_post_chars: 5_000,
            max_body_bytes: 1_048_576,
            write_rate_per_minute: 300,
            shutdown_grace_seconds: 5,
            job_claim_seconds: 120,
            media: crate::media::MediaLimits::default(),
            media_s3: None,
            log: "warn".to_string(),
            federation: FederationSettings { insecure: true, ..Default::default() },
            sso: None,
            password_sign_in: true,
            metrics_bind: None,
            metrics_token: None,
        }
    }
}

fn read_toml(text: &str, source: &str, values: &mut BTreeMap<&'static str, Value>) -> Result<(), ConfigError> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigError {
        key: "gilde.toml".into(),
        origin: source.to_string(),
        message: e.message().to_string(),
    })?;
    for (name, value) in table {
        let Some(key) = KEYS.iter().find(|k| **k == name) else {
            return Err(ConfigError {
                key: name,
                origin: source.to_string(),
                message: format!("unknown key; known keys are: {}", KEYS.join(", ")),
            });
        };
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(ConfigError {
                    key: name,
                    origin: source.to_string(),
                    message: format!("expected a string, number or boolean, found {}", other.type_str()),
                })
            }
        };
        values.insert(key, Value { text, source: source.to_string() });
    }
    Ok(())
}

fn parse_with<T>(value: Value, key: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Result<T, ConfigError> {
    parse(value.text.trim()).map_err(|message| ConfigError {
        key: if value.source.starts_with("environment") { env_name(key) } else { key.to_string() },
        origin: value.source,
        message,
    })
}

fn number(value: Option<Value>, key: &str, default: usize, min: usize, max: usize) -> Result<usize, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) => parse_with(v, key, |s| match s.parse::<usize>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(format!("expected a whole number from {min} to {max}")),
        }),
    }
}

fn parse_bool(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err("expected true or false".into()),
    }
}

fn parse_domain(s: &str) -> Result<String, String> {
    let s = s.to_ascii_lowercase();
    if s.contains("://") || s.contains('/') {
        return Err(
            "expected a host name with an optional port, like gilde.example.org or localhost:8080, without http:// or a path".into()
        );
    }
    let parsed = url::Url::parse(&format!("http://{s}/")).map_err(|e| format!("not a valid host: {e}"))?;
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("not a valid host".into());
    }
    Ok(s)
}

fn is_local_host(domain: &str) -> bool {
    let host = domain.rsplit_once(':').map_or(domain, |(h, _)| h);
    host == "localhost" || host == "127.0.0.1" || host.ends_with(".localhost")
}

/// Single sign-on: issuer, client id and secret together, or none of them.
fn sso_settings(take: &mut impl FnMut(&'static str) -> Option<Value>) -> Result<Option<SsoSettings>, ConfigError> {
    let required = [take("sso_issuer"), take("sso_client_id"), take("sso_client_secret")];
    let optional = [take("sso_allowed_domains"), take("sso_group_claim"), take("sso_required_groups"), take("sso_department_claim")];
    let button_label = take("sso_button_label").map(|v| v.text.trim().to_string()).filter(|t| !t.is_empty());
    if required.iter().all(|v| v.as_ref().is_none_or(|v| v.text.trim().is_empty())) {
        return Ok(None);
    }
    let names = ["sso_issuer", "sso_client_id", "sso_client_secret"];
    let mut values = Vec::new();
    for (value, name) in required.into_iter().zip(names) {
        let value = value.filter(|v| !v.text.trim().is_empty()).ok_or_else(|| ConfigError {
            key: name.to_string(),
            origin: "single sign-on".to_string(),
            message: "must be set with sso_issuer, sso_client_id and sso_client_secret".to_string(),
        })?;
        values.push(value);
    }
    let mut values = values.into_iter();
    let issuer = match values.next() {
        Some(v) => parse_with(v, "sso_issuer", |s| {
            url::Url::parse(s)
                .ok()
                .filter(|u| matches!(u.scheme(), "https" | "http") && u.query().is_none())
                .map(|_| s.trim_end_matches('/').to_string())
                .ok_or_else(|| "expected the provider's issuer address, like https://login.example.org/realms/gemeente".to_string())
        })?,
        None => return Ok(None),
    };
    let client_id = values.next().map(|v| v.text.trim().to_string()).unwrap_or_default();
    let client_secret = values.next().map(|v| v.text.trim().to_string()).unwrap_or_default();
    let [domains, group_claim, groups, department_claim] = optional;
    let allowed_domains = match domains {
        Some(v) => parse_with(v, "sso_allowed_domains", parse_domain_list)?,
        None => Vec::new(),
    };
    let list = |v: Option<Value>| -> Vec<String> {
        v.map(|v| v.text.split([',', '\n']).map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect()).unwrap_or_default()
    };
    let claim = |v: Option<Value>, default: &str| v.map(|v| v.text.trim().to_string()).filter(|t| !t.is_empty()).unwrap_or(default.into());
    Ok(Some(SsoSettings {
        issuer,
        client_id,
        client_secret,
        allowed_domains,
        group_claim: claim(group_claim, "groups"),
        required_groups: list(groups),
        department_claim: claim(department_claim, "department"),
        button_label,
    }))
}

/// The bucket's settings, all required when `media_storage = "s3"`.
fn s3_settings(fields: [Option<Value>; 5]) -> Result<crate::media::storage::S3Settings, ConfigError> {
    let names = ["s3_endpoint", "s3_bucket", "s3_region", "s3_access_key", "s3_secret_key"];
    let mut values = Vec::new();
    for (value, name) in fields.into_iter().zip(names) {
        let value = value.filter(|v| !v.text.trim().is_empty()).ok_or_else(|| ConfigError {
            key: name.to_string(),
            origin: "media_storage = s3".to_string(),
            message: "must be set when files are kept in S3".to_string(),
        })?;
        values.push(value);
    }
    let mut values = values.into_iter();
    let mut next = || values.next().map(|v| v.text.trim().to_string()).unwrap_or_default();
    let endpoint_text = next();
    let endpoint =
        url::Url::parse(&endpoint_text).ok().filter(|u| u.scheme() == "https" || u.scheme() == "http").ok_or_else(|| ConfigError {
            key: "s3_endpoint".into(),
            origin: "media_storage = s3".into(),
            message: format!("{endpoint_text:?} is not an http(s) address"),
        })?;
    let settings = crate::media::storage::S3Settings { endpoint, bucket: next(), region: next(), access_key: next(), secret_key: next() };
    crate::media::storage::Storage::s3(&settings).map_err(|message| ConfigError {
        key: "s3_bucket".into(),
        origin: "media_storage = s3".into(),
        message,
    })?;
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_give_a_local_sqlite_instance_on_8080() {
        let c = Config::from_sources(None, false, &[]).expect("defaults are valid");
        assert_eq!(c.domain, "localhost:8080");
        assert_eq!(c.base_url(), "http://localhost:8080");
        assert_eq!(c.bind.port(), 8080);
        assert_eq!(c.database, DatabaseUrl::Sqlite(PathBuf::from("data/gilde.db")));
        assert_eq!(c.max_post_chars, 5_000);
    }

    #[test]
    fn environment_overrides_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("gilde.toml");
        std::fs::write(&file, "domain = \"file.example\"\nmax_post_chars = 100\n").expect("write");
        let c = Config::from_sources(Some(&file), true, &env(&[("GILDE_DOMAIN", "env.example"), ("DATABASE_URL", "postgres://u@h/db")]))
            .expect("valid");
        assert_eq!(c.domain, "env.example");
        assert!(c.https, "a public domain defaults to https");
        assert_eq!(c.max_post_chars, 100);
        assert_eq!(c.database, DatabaseUrl::Postgres("postgres://u@h/db".into()));
    }

    #[test]
    fn invalid_values_name_their_key() {
        let err = Config::from_sources(None, false, &env(&[("GILDE_BIND", "not-an-address")])).expect_err("invalid");
        assert_eq!(err.key, "GILDE_BIND");
        let err = Config::from_sources(None, false, &env(&[("GILDE_DOMAIN", "https://x.org/")])).expect_err("invalid");
        assert_eq!(err.key, "GILDE_DOMAIN");
        let err = Config::from_sources(None, false, &env(&[("GILDE_MAX_POST_CHARS", "0")])).expect_err("invalid");
        assert_eq!(err.key, "GILDE_MAX_POST_CHARS");
        let err = Config::from_sources(None, false, &env(&[("DATABASE_URL", "mysql://x")])).expect_err("invalid");
        assert_eq!(err.key, "DATABASE_URL");
    }

    #[test]
    fn media_limits_and_s3_storage_are_read_and_checked() {
        let c = Config::from_sources(None, false, &env(&[("GILDE_MEDIA_MAX_ATTACHMENTS", "6")])).expect("valid");
        assert_eq!((c.media.max_attachments, c.media.image_max_bytes, c.media_s3.is_none()), (6, 16 * 1024 * 1024, true));
        let err = Config::from_sources(None, false, &env(&[("GILDE_MEDIA_STORAGE", "s3")])).expect_err("incomplete");
        assert_eq!(err.key, "s3_endpoint", "{err}");
        let s3 = env(&[
            ("GILDE_MEDIA_STORAGE", "s3"),
            ("GILDE_S3_ENDPOINT", "https://s3.example.org"),
            ("GILDE_S3_BUCKET", "gilde"),
            ("GILDE_S3_REGION", "us-east-1"),
            ("GILDE_S3_ACCESS_KEY", "key"),
            ("GILDE_S3_SECRET_KEY", "secret"),
        ]);
        let c = Config::from_sources(None, false, &s3).expect("valid");
        assert_eq!(c.media_s3.map(|s| s.bucket), Some("gilde".to_string()));
        let err = Config::from_sources(None, false, &env(&[("GILDE_MEDIA_STORAGE", "ftp")])).expect_err("invalid");
        assert_eq!(err.key, "GILDE_MEDIA_STORAGE");
    }

    #[test]
    fn single_sign_on_is_all_or_nothing_and_password_sign_in_needs_it_to_be_off() {
        let c = Config::from_sources(
            None,
            false,
            &env(&[
                ("GILDE_SSO_ISSUER", "https://sso.gemeente-a.nl/realms/gemeente/"),
                ("GILDE_SSO_CLIENT_ID", "gilde"),
                ("GILDE_SSO_CLIENT_SECRET", "secret"),
                ("GILDE_SSO_ALLOWED_DOMAINS", "gemeente-a.nl, *.gemeente-a.nl"),
                ("GILDE_SSO_REQUIRED_GROUPS", "gilde-users,beheer"),
                ("GILDE_PASSWORD_SIGN_IN", "false"),
            ]),
        )
        .expect("valid");
        let sso = c.sso.expect("single sign-on");
        assert_eq!(sso.issuer, "https://sso.gemeente-a.nl/realms/gemeente");
        assert_eq!((sso.group_claim.as_str(), sso.required_groups.len(), sso.allowed_domains.len()), ("groups", 2, 2));
        assert!(!c.password_sign_in);
        let err = Config::from_sources(None, false, &env(&[("GILDE_SSO_ISSUER", "https://sso.example")])).expect_err("no client");
        assert_eq!(err.key, "sso_client_id");
        let err = Config::from_sources(None, false, &env(&[("GILDE_PASSWORD_SIGN_IN", "false")])).expect_err("nobody could sign in");
        assert_eq!(err.key, "password_sign_in");
        let err = Config::from_sources(
            None,
            false,
            &env(&[("GILDE_SSO_ISSUER", "not a url"), ("GILDE_SSO_CLIENT_ID", "g"), ("GILDE_SSO_CLIENT_SECRET", "s")]),
        )
        .expect_err("invalid issuer");
        assert_eq!(err.key, "GILDE_SSO_ISSUER");
        assert!(Config::from_sources(None, false, &[]).expect("defaults").sso.is_none());
    }

    #[test]
    fn unknown_file_key_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("gilde.toml");
        std::fs::write(&file, "domian = \"typo.example\"\n").expect("write");
        let err = Config::from_sources(Some(&file), true, &[]).expect_err("unknown key");
        assert_eq!(err.key, "domian");
        assert!(err.to_string().contains("unknown key"));
    }

    #[test]
    fn federation_allowlist_blocklist_and_suffixes() {
        let c = Config::from_sources(
            None,
            false,
            &env(&[
                ("GILDE_FEDERATION_MODE", "allowlist"),
                ("GILDE_FEDERATION_ALLOWLIST", "*.gemeente.nl, partner.example"),
                ("GILDE_FEDERATION_BLOCKLIST", "bad.gemeente.nl"),
            ]),
        )
        .expect("valid");
        let f = &c.federation;
        assert!(!f.insecure, "insecure mode is off unless asked for");
        assert!(f.allows("utrecht.gemeente.nl") && f.allows("gemeente.nl") && f.allows("partner.example"));
        assert!(!f.allows("bad.gemeente.nl"), "the blocklist wins");
        assert!(!f.allows("evilgemeente.nl") && !f.allows("mastodon.social"));
        let open = Config::from_sources(None, false, &env(&[("GILDE_FEDERATION_BLOCKLIST", "spam.example")])).expect("valid");
        assert!(open.federation.allows("mastodon.social") && !open.federation.allows("spam.example"));
        let err = Config::from_sources(None, false, &env(&[("GILDE_FEDERATION_ALLOWLIST", "not a domain!")])).expect_err("invalid");
        assert_eq!(err.key, "GILDE_FEDERATION_ALLOWLIST");
        let err = Config::from_sources(None, false, &env(&[("GILDE_INSECURE_FEDERATION", "maybe")])).expect_err("invalid");
        assert_eq!(err.key, "GILDE_INSECURE_FEDERATION");
    }

    #[test]
    fn every_key_is_documented() {
        let doc = std::fs::read_to_string(crate::testing::manifest_dir().join("docs/configuration.md")).expect("docs/configuration.md");
        for key in KEYS {
            assert!(doc.contains(&format!("`{}`", env_name(key))), "docs/configuration.md does not list {}", env_name(key));
        }
    }

    #[test]
    fn password_is_redacted_in_logs() {
        let url = DatabaseUrl::parse("postgres://gilde:secret@db/gilde").expect("valid");
        assert!(!url.redacted().contains("secret"));
    }
}
