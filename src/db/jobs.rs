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
    enqueue_for(conn, kind, payload, run_at, None)
}

/// Adds a job for one server (`target`, its domain), due at `run_at`.
pub fn enqueue_for(conn: &mut DbConn, kind: &str, payload: &str, run_at: NaiveDateTime, target: Option<&str>) -> DbResult<()> {
    diesel::insert_into(jobs::table)
        .values((
            jobs::kind.eq(kind),
            jobs::payload.eq(payload),
            jobs::run_at.eq(run_at),
            jobs::created_at.eq(super::now()),
            jobs::target.eq(target),
        ))
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

/// These jobs are done (deliveries sent and taken), as of `now`.
pub fn complete_many(conn: &mut DbConn, ids: &[i64], now: NaiveDateTime) -> DbResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    diesel::update(jobs::table.filter(jobs::id.eq_any(ids)))
        .set((jobs::done_at.eq(Some(now)), jobs::locked_until.eq(None::<NaiveDateTime>)))
        .execute(conn)?;
    Ok(())
}

/// Done, but not as hoped (a delivery the receiver refused): kept with the reason.
pub fn complete_with_note(conn: &mut DbConn, id: i64, note: &str) -> DbResult<()> {
    let note: String = note.chars().take(2_000).collect();
    diesel::update(jobs::table.find(id))
        .set((jobs::last_error.eq(Some(note)), jobs::done_at.eq(Some(super::now())), jobs::locked_until.eq(None::<NaiveDateTime>)))
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
/// Releases every claim: for a process starting on a database no other process uses (SQLite),
/// whose previous run may have been killed while it held claims. Returns how many were held.
pub fn release_claims(conn: &mut DbConn) -> DbResult<usize> {
    Ok(diesel::update(jobs::table.filter(jobs::done_at.is_null()).filter(jobs::locked_until.is_not_null()))
        .set(jobs::locked_until.eq(None::<NaiveDateTime>))
        .execute(conn)?)
}

/// Extends the claims of these jobs (not done) until `until`: their worker is still on them.
pub fn renew(conn: &mut DbConn, ids: &[i64], until: NaiveDateTime) -> DbResult<usize> {
    Ok(diesel::update(jobs::table.filter(jobs::id.eq_any(ids)).filter(jobs::done_at.is_null()).filter(jobs::locked_until.is_not_null()))
        .set(jobs::locked_until.eq(Some(until)))
        .execute(conn)?)
}

/// Releases these claimed jobs, not done: their attempt is not counted.
pub fn release(conn: &mut DbConn, ids: &[i64]) -> DbResult<usize> {
    Ok(diesel::update(jobs::table.filter(jobs::id.eq_any(ids)).filter(jobs::done_at.is_null()).filter(jobs::locked_until.is_not_null()))
        .set((jobs::locked_until.eq(None::<NaiveDateTime>), jobs::attempts.eq(jobs::attempts - 1)))
        .execute(conn)?)
}

/// How many waiting jobs are due by `at`.
pub fn due_by(conn: &mut DbConn, at: NaiveDateTime) -> DbResult<i64> {
    Ok(jobs::table.filter(jobs::done_at.is_null()).filter(jobs::run_at.le(at)).count().get_result(conn)?)
}

pub fn pending_count(conn: &mut DbConn) -> DbResult<i64> {
    Ok(jobs::table.filter(jobs::done_at.is_null()).count().get_result(conn)?)
}

/// Payloads of all jobs of a kind (for tests and the admin).
pub fn payloads(conn: &mut DbConn, kind: &str) -> DbResult<Vec<String>> {
    Ok(jobs::table.filter(jobs::kind.eq(kind)).order(jobs::id.asc()).select(jobs::payload).load(conn)?)
}

/// The state of every job of a kind, oldest first: (attempts, done, claimed now) (for tests and
/// the admin).
pub fn states(conn: &mut DbConn, kind: &str) -> DbResult<Vec<(i32, bool, bool)>> {
    let rows: Vec<(i32, Option<NaiveDateTime>, Option<NaiveDateTime>)> = jobs::table
        .filter(jobs::kind.eq(kind))
        .order(jobs::id.asc())
        .select((jobs::attempts, jobs::done_at, jobs::locked_until))
        .load(conn)?;
    Ok(rows.into_iter().map(|(attempts, done, locked)| (attempts, done.is_some(), locked.is_some())).collect())
}

/// Makes every waiting job due now (an admin's "retry now"; tests use it instead of waiting
/// for the backoff).
pub fn run_all_now(conn: &mut DbConn) -> DbResult<usize> {
    Ok(diesel::update(jobs::table.filter(jobs::done_at.is_null()))
        .set((jobs::run_at.eq(super::now()), jobs::locked_until.eq(None::<NaiveDateTime>)))
        .execute(conn)?)
}

/// Puts finished jobs of a kind back in the queue, to deliver them again (an admin's "resend";
/// tests use it to show that receiving the same activity twice changes nothing).
pub fn requeue_done(conn: &mut DbConn, kind: &str) -> DbResult<usize> {
    Ok(diesel::update(jobs::table.filter(jobs::kind.eq(kind)).filter(jobs::done_at.is_not_null()))
        .set((jobs::done_at.eq(None::<NaiveDateTime>), jobs::run_at.eq(super::now()), jobs::locked_until.eq(None::<NaiveDateTime>)))
        .execute(conn)?)
}

/// Jobs not done yet, by kind.
pub fn waiting_by_kind(conn: &mut DbConn) -> DbResult<Vec<(String, i64)>> {
    Ok(jobs::table.filter(jobs::done_at.is_null()).group_by(jobs::kind).select((jobs::kind, diesel::dsl::count_star())).load(conn)?)
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::db::testing::TestDatabase;
    use crate::db::Db;

    fn db() -> (TestDatabase, Db) {
        let t = TestDatabase::new();
        let db = Db::connect(&t.url, 4).expect("connect");
        (t, db)
    }

    #[test]
    fn a_claimed_job_is_not_claimed_again_until_its_claim_expires() {
        let (_t, db) = db();
        let now = crate::db::now();
        db.write_blocking(|c| -> DbResult<()> {
            enqueue(c, "deliver", "{\"n\":1}", now)?;
            enqueue(c, "deliver", "{\"n\":2}", now + TimeDelta::hours(1))
        })
        .expect("enqueue");
        let first = db.write_blocking(|c| claim(c, now, now + TimeDelta::minutes(2), 10)).expect("claim");
        assert_eq!(first.iter().map(|j| j.payload.as_str()).collect::<Vec<_>>(), vec!["{\"n\":1}"], "only the due job");
        assert_eq!(first[0].attempts, 1);
        let second = db.write_blocking(|c| claim(c, now, now + TimeDelta::minutes(2), 10)).expect("claim");
        assert!(second.is_empty(), "a claimed job is not handed out twice");
        // The worker died: after the claim expires, another worker takes the job.
        let later = now + TimeDelta::minutes(3);
        let again = db.write_blocking(|c| claim(c, later, later + TimeDelta::minutes(2), 10)).expect("claim");
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempts, 2);
        db.write_blocking(|c| complete(c, again[0].id)).expect("complete");
        let much_later = now + TimeDelta::hours(2);
        let rest = db.write_blocking(|c| claim(c, much_later, much_later + TimeDelta::minutes(2), 10)).expect("claim");
        assert_eq!(rest.iter().map(|j| j.payload.as_str()).collect::<Vec<_>>(), vec!["{\"n\":2}"], "a done job never runs again");
    }

    #[test]
    fn a_failed_job_waits_for_its_retry_and_a_given_up_job_stays_recorded() {
        let (_t, db) = db();
        let now = crate::db::now();
        db.write_blocking(|c| enqueue(c, "deliver", "{}", now)).expect("enqueue");
        let job = db.write_blocking(|c| claim(c, now, now + TimeDelta::minutes(2), 1)).expect("claim").remove(0);
        db.write_blocking(|c| fail(c, job.id, "connection refused", Some(now + TimeDelta::minutes(5)))).expect("fail");
        assert!(db.write_blocking(|c| claim(c, now + TimeDelta::minutes(4), now + TimeDelta::minutes(6), 1)).expect("claim").is_empty());
        let retried = db.write_blocking(|c| claim(c, now + TimeDelta::minutes(6), now + TimeDelta::minutes(8), 1)).expect("claim");
        assert_eq!(retried.len(), 1);
        db.write_blocking(|c| fail(c, job.id, "gone for good", None)).expect("give up");
        assert_eq!(db.write_blocking(pending_count).expect("count"), 0);
        assert_eq!(db.write_blocking(|c| payloads(c, "deliver")).expect("payloads").len(), 1, "the given-up job is kept for the admin");
    }

    #[test]
    fn concurrent_workers_never_take_the_same_job() {
        let (_t, db) = db();
        let now = crate::db::now();
        db.write_blocking(|c| -> DbResult<()> {
            for i in 0..200 {
                enqueue(c, "deliver", &format!("{{\"n\":{i}}}"), now)?;
            }
            Ok(())
        })
        .expect("enqueue");
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let db = db.clone();
                std::thread::spawn(move || {
                    let mut mine = Vec::new();
                    loop {
                        let jobs = db.write_blocking(|c| claim(c, now, now + TimeDelta::minutes(2), 7)).expect("claim");
                        if jobs.is_empty() {
                            return mine;
                        }
                        mine.extend(jobs.into_iter().map(|j| j.id));
                    }
                })
            })
            .collect();
        let mut all: Vec<i64> = workers.into_iter().flat_map(|w| w.join().expect("worker")).collect();
        let total = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!((total, all.len()), (200, 200), "every job taken exactly once");
    }

    #[test]
    fn two_processes_claiming_at_once_never_take_the_same_job() {
        // Two pools on one database, as two `gilde serve` processes: each claims and completes
        // batches until nothing is left; every job runs exactly once.
        let t = TestDatabase::new();
        let first = Db::connect(&t.url, 2).expect("connect");
        let second = Db::connect(&t.url, 2).expect("connect");
        let now = crate::db::now();
        first
            .write_blocking(|c| -> DbResult<()> {
                for n in 0..300 {
                    enqueue(c, "deliver", &format!("{{\"n\":{n}}}"), now)?;
                }
                Ok(())
            })
            .expect("enqueue");
        // Both start together (one that started late could find the work done: seen under load).
        let start = std::sync::Arc::new(std::sync::Barrier::new(2));
        let work = |db: Db| {
            let start = start.clone();
            std::thread::spawn(move || {
                let mut ran = Vec::new();
                start.wait();
                loop {
                    let now = crate::db::now();
                    let batch = db.write_blocking(|c| claim(c, now, now + TimeDelta::minutes(2), 7)).expect("claim");
                    if batch.is_empty() {
                        return ran;
                    }
                    for job in batch {
                        db.write_blocking(|c| complete(c, job.id)).expect("complete");
                        ran.push(job.id);
                    }
                }
            })
        };
        let (a, b) = (work(first.clone()), work(second));
        let (mut ran_a, ran_b) = (a.join().expect("worker"), b.join().expect("worker"));
        assert!(!ran_a.is_empty() && !ran_b.is_empty(), "both shared the work ({} and {})", ran_a.len(), ran_b.len());
        ran_a.extend(ran_b);
        let total = ran_a.len();
        ran_a.sort_unstable();
        ran_a.dedup();
        assert_eq!((total, ran_a.len()), (300, 300), "each job ran exactly once");
        assert_eq!(first.write_blocking(pending_count).expect("count"), 0);
    }
}
