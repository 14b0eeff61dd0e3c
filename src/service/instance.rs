//! Facts about the instance as a whole.

use std::time::{Duration, Instant};

use crate::context::AppContext;
use crate::db;
use crate::error::Result;

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
        .read(|conn| -> Result<_> { Ok(Stats { people: db::people::count_accounts(conn)?, posts: db::posts::count_local(conn)? }) })
        .await?;
    *cached = Some((Instant::now(), stats));
    Ok(stats)
}
