//! Facts about the instance as a whole.

use std::time::{Duration, Instant};

use super::{require_admin, Actor};
use crate::config::{DomainPattern, ManagedDomains};
use crate::context::AppContext;
use crate::db;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Local accounts.
    pub people: i64,
    /// Posts written here, not deleted.
    pub posts: i64,
}

const FRESH_FOR: Duration = Duration::from_secs(60);

/// Counts, at most once a minute per process: apps ask on every start, and counting a
/// million posts is not free.
pub async fn stats(ctx: &AppContext) -> Result<Stats> {
    let mut cached = ctx.stats.lock().await;
    if let Some((at, stats)) = *cached {
        if at.elapsed() < FRESH_FOR {
            return Ok(stats);
        }
    }
    let stats = ctx
        .db
        .read(|conn| -> Result<_> { Ok(Stats { people: db::people::count_accounts(conn)?, posts: db::posts::count_local_public(conn)? }) })
        .await?;
    *cached = Some((Instant::now(), stats));
    Ok(stats)
}

const BLOCKED: &str = "federation_blocked";
const ALLOWED: &str = "federation_allowed";

/// Whom the instance federates with: as configured, and as the admins set on the admin pages.
#[derive(Debug, Clone)]
pub struct FederationLists {
    /// Federating only with allowed domains (configured with `GILDE_FEDERATION_MODE`).
    pub allowlist_mode: bool,
    pub configured_allowed: Vec<String>,
    pub configured_blocked: Vec<String>,
    pub blocked: Vec<String>,
    pub allowed: Vec<String>,
}

fn texts(list: &[DomainPattern]) -> Vec<String> {
    list.iter().map(DomainPattern::as_text).collect()
}

fn parse_lines(lines: &[String], field: &'static str) -> Result<Vec<DomainPattern>> {
    let mut out: Vec<DomainPattern> = Vec::new();
    for line in lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()) {
        let pattern = DomainPattern::parse(line).map_err(|message| {
            Error::invalid("invalid_domain", format!("Write one domain (gemeente-b.nl) or *.domain per line: {message}.")).with_field(field)
        })?;
        if !out.contains(&pattern) {
            out.push(pattern);
        }
    }
    if out.len() > 1000 {
        return Err(Error::invalid("too_many_domains", "At most 1000 domains per list.").with_field(field));
    }
    Ok(out)
}

fn stored(text: Option<String>) -> Vec<DomainPattern> {
    text.unwrap_or_default().lines().filter_map(|l| DomainPattern::parse(l).ok()).collect()
}

/// Loads the admins' lists from the database into this process (at start, and every minute,
/// so that every process on one database follows a change).
pub async fn load_federation_lists(ctx: &AppContext) -> Result<()> {
    let lists = ctx
        .db
        .read(|conn| -> Result<_> {
            Ok(ManagedDomains { blocked: stored(db::settings::get(conn, BLOCKED)?), allowed: stored(db::settings::get(conn, ALLOWED)?) })
        })
        .await?;
    ctx.config.federation.managed.set(lists);
    Ok(())
}

pub async fn federation_lists(ctx: &AppContext, actor: &Actor) -> Result<FederationLists> {
    require_admin(actor)?;
    load_federation_lists(ctx).await?;
    let f = &ctx.config.federation;
    let managed = f.managed.get();
    Ok(FederationLists {
        allowlist_mode: f.allowlist.is_some(),
        configured_allowed: texts(f.allowlist.as_deref().unwrap_or(&[])),
        configured_blocked: texts(&f.blocklist),
        blocked: texts(&managed.blocked),
        allowed: texts(&managed.allowed),
    })
}

/// Sets the admins' block and allow lists (one domain or `*.domain` per line). A blocked
/// domain is refused at once: its requests, fetches and deliveries.
pub async fn set_federation_lists(ctx: &AppContext, actor: &Actor, blocked: Vec<String>, allowed: Vec<String>) -> Result<()> {
    require_admin(actor)?;
    let lists = ManagedDomains { blocked: parse_lines(&blocked, "blocked")?, allowed: parse_lines(&allowed, "allowed")? };
    let (b, a) = (texts(&lists.blocked).join("\n"), texts(&lists.allowed).join("\n"));
    ctx.db
        .write(move |conn| -> Result<_> {
            db::settings::put(conn, BLOCKED, &b)?;
            db::settings::put(conn, ALLOWED, &a)?;
            Ok(())
        })
        .await?;
    ctx.config.federation.managed.set(lists);
    Ok(())
}

/// Another server as deliveries find it, for the admin page.
#[derive(Debug, Clone)]
pub struct ServerStatus {
    pub domain: String,
    pub software: Option<String>,
    pub failing_since: Option<chrono::NaiveDateTime>,
    pub dead_since: Option<chrono::NaiveDateTime>,
    pub last_success_at: Option<chrono::NaiveDateTime>,
    /// Deliveries waiting for it.
    pub waiting: i64,
    /// The last delivery it refused (status and the start of its answer), and when.
    pub last_refusal: Option<(String, chrono::NaiveDateTime)>,
}

/// Known servers, those in trouble first (admins only).
pub async fn servers(ctx: &AppContext, actor: &Actor) -> Result<Vec<ServerStatus>> {
    require_admin(actor)?;
    let rows = ctx.db.read(|conn| -> Result<_> { Ok(db::servers::overview(conn, 200)?) }).await?;
    Ok(rows
        .into_iter()
        .map(|(s, waiting)| ServerStatus {
            domain: s.domain,
            software: s.software,
            failing_since: s.failing_since,
            dead_since: s.dead_since,
            last_success_at: s.last_success_at,
            waiting,
            last_refusal: s.last_refusal.zip(s.last_refusal_at),
        })
        .collect())
}

/// Backs the instance up into a new folder under `dir`: the SQLite database (a consistent copy
/// taken while it runs) and the uploaded files kept in `data_dir/media`. Returns what was done,
/// for the admin. (PostgreSQL and files in a bucket are backed up with their own tools.)
pub async fn backup(ctx: &AppContext, dir: &std::path::Path) -> Result<String> {
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    let target = dir.join(format!("gilde-backup-{stamp}"));
    std::fs::create_dir_all(&target).map_err(|e| Error::invalid("backup_folder", format!("cannot make {}: {e}", target.display())))?;
    let database = target.join("gilde.db");
    let copied = ctx.db.outside_transaction(move |conn| -> Result<bool> { Ok(crate::db::backup_sqlite(conn, &database)?) }).await?;
    let mut report = Vec::new();
    if copied {
        report.push(format!("database: {}", target.join("gilde.db").display()));
    } else {
        report.push("database: PostgreSQL: back it up with pg_dump (see docs/admin.md)".to_string());
    }
    if ctx.config.media_s3.is_some() {
        report.push("files: kept in the S3 bucket: back it up with the object store's own tools".to_string());
    } else {
        let from = ctx.config.data_dir.join("media");
        let to = target.join("media");
        let n = tokio::task::spawn_blocking(move || copy_tree(&from, &to))
            .await
            .map_err(Error::internal)?
            .map_err(|e| Error::internal(format!("copying the files: {e}")))?;
        report.push(format!("files: {n} copied to {}", target.join("media").display()));
    }
    Ok(report.join("\n"))
}

/// Copies a folder's files (recursively); a missing folder is none. Returns how many.
fn copy_tree(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<usize> {
    let Ok(entries) = std::fs::read_dir(from) else { return Ok(0) };
    std::fs::create_dir_all(to)?;
    let mut n = 0;
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            n += copy_tree(&path, &to.join(entry.file_name()))?;
        } else {
            std::fs::copy(&path, to.join(entry.file_name()))?;
            n += 1;
        }
    }
    Ok(n)
}
