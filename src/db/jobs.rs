//! The persistent job queue. Jobs are claimed through the database (PostgreSQL: `FOR UPDATE
//! SKIP LOCKED`), so several processes share the work and no job runs twice at once; a claim
//! expires, so a job of a process that died runs again.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text, Timestamp};

use super::schema::jobs;
use super::{DbConn, DbResult};

#[derive(Debug, Clone, QueryableByName)]
pub struct ClaimedJob {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub payload: String,
    /// Including this attempt.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
}

/// Adds a job, due at `run_at`.
pub fn enqueue(conn: &mut DbConn, kind: &str, payload: &str, run_at: NaiveDateTime) -> DbResult<()> {
    diesel::insert_into(jobs::table)
        .values((jobs::kind.eq(kind), jobs::payload.eq(payload), jobs::run_at.eq(run_at), jobs::created_at.eq(super::now())))
        .execute(conn)?;
    Ok(())
}

/// Claims up to `limit` due jobs until `lock_until`.
pub fn claim(conn: &mut DbConn, now: NaiveDateTime, lock_until: NaiveDateTime, limit: i64) -> DbResult<Vec<ClaimedJob>> {
    let skip_locked = match conn {
        DbConn::Pg(_) => " FOR UPDATE SKIP LOCKED",
        DbConn::Sqlite(_) => "",
    };
    let sql = format!(
        "UPDATE jobs SET locked_until = $1, attempts = attempts + 1 WHERE id IN (\
         SELECT id FROM jobs WHERE done_at IS NULL AND run_at <= $2 AND (locked_until IS NULL OR locked_until < $2) \
         ORDER BY run_at, id LIMIT $3{skip_locked}) RETURNING id, kind, payload, attempts"
    );
    Ok(diesel::sql_query(sql).bind::<Timestamp, _>(lock_until).bind::<Timestamp, _>(now).bind::<BigInt, _>(limit).load(conn)?)
}

pub fn complete(conn: &mut DbConn, id: i64) -> DbResult<()> {
    diesel::update(jobs::table.find(id))
        .set((jobs::done_at.eq(Some(super::now())), jobs::locked_until.eq(None::<NaiveDateTime>)))
        .execute(conn)?;
    Ok(())
}

/// Records a failure; the job runs again at `retry_at`, or never (`None`: given up, kept for the admin).
pub fn fail(conn: &mut DbConn, id: i64, error: &str, retry_at: Option<NaiveDateTime>) -> DbResult<()> {
    let error: String = error.chars().take(2_000).collect();
    match retry_at {
        Some(at) => diesel::update(jobs::table.find(id))
            .set((jobs::last_error.eq(Some(error)), jobs::run_at.eq(at), jobs::locked_until.eq(None::<NaiveDateTime>)))
            .execute(conn)?,
        None => diesel::update(jobs::table.find(id))
            .set((jobs::last_error.eq(Some(error)), jobs::done_at.eq(Some(super::now())), jobs::locked_until.eq(None::<NaiveDateTime>)))
            .execute(conn)?,
    };
    Ok(())
}

/// Jobs not yet done (for tests and the admin).
pub fn pending_count(conn: &mut DbConn) -> DbResult<i64> {
    Ok(jobs::table.filter(jobs::done_at.is_null()).count().get_result(conn)?)
}

/// Payloads of all jobs of a kind (for tests and the admin).
pub fn payloads(conn: &mut DbConn, kind: &str) -> DbResult<Vec<String>> {
    Ok(jobs::table.filter(jobs::kind.eq(kind)).order(jobs::id.asc()).select(jobs::payload).load(conn)?)
}
