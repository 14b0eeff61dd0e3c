//! SQLite's writes, done by one thread that commits several at once.
//!
//! SQLite takes one writer at a time, and a commit writes every page the transaction changed to
//! the write-ahead log. When many writes arrive at once (a burst of incoming activities, a
//! fan-out being queued), each in a transaction of its own, most of the time goes into those
//! commits and into threads handing the writer's turn to one another. Here the writes waiting
//! for their turn are done together, one after the other, each in a savepoint of its own, and
//! committed in one transaction: a write that fails is rolled back to its savepoint and undoes
//! only its own changes; every write is answered only after the commit that stored it (an
//! activity acknowledged is on disk). With one write waiting, this is one transaction as before.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use diesel::connection::SimpleConnection;

use super::{DbConn, DbError, DbErrorKind, DbResult};

/// At most this many writes are committed together.
const MAX_BATCH: usize = 64;

/// Answers a write's caller, once it is known whether its transaction was committed.
type Answer = Box<dyn FnOnce(DbResult<()>) + Send>;
/// A write: runs on the writer's connection, says whether it succeeded (else its savepoint is
/// rolled back) and how to answer its caller.
type Job = Box<dyn FnOnce(&mut DbConn) -> (bool, Answer) + Send>;

/// The queue of the writer thread; the thread ends when the last handle is dropped.
#[derive(Clone)]
pub(super) struct Writer {
    queue: mpsc::Sender<Job>,
}

/// Starts the writer thread on `conn`. `turn` is taken for each transaction, so that writes made
/// outside this thread (`Db::write_blocking`) wait for it, and it for them.
pub(super) fn start(conn: DbConn, turn: Arc<Mutex<()>>) -> DbResult<Writer> {
    let (queue, jobs) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("gilde-writer".into())
        .spawn(move || run(conn, &jobs, &turn))
        .map_err(|e| DbError::unavailable(format!("cannot start the database writer: {e}")))?;
    Ok(Writer { queue })
}

impl Writer {
    /// Runs `f` in a savepoint of the writer's next transaction; answers once that is committed.
    pub(super) async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    {
        let (tell, told) = tokio::sync::oneshot::channel::<Result<T, E>>();
        let job: Job = Box::new(move |conn| {
            let result = f(conn);
            let succeeded = result.is_ok();
            let answer: Answer = Box::new(move |committed| {
                let _ = tell.send(match (result, committed) {
                    (Ok(value), Ok(())) => Ok(value),
                    (Ok(_), Err(e)) => Err(E::from(e)),
                    (Err(e), _) => Err(e),
                });
            });
            (succeeded, answer)
        });
        self.queue.send(job).map_err(|_| E::from(DbError::unavailable("the database writer has stopped")))?;
        // Without an answer: the write panicked, or its transaction could not begin (logged).
        told.await.map_err(|_| E::from(DbError { kind: DbErrorKind::Other, message: "the write could not be done".into() }))?
    }
}

fn run(mut conn: DbConn, jobs: &mpsc::Receiver<Job>, turn: &Mutex<()>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let _turn = turn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut answers = Vec::with_capacity(batch.len());
        let outcome = write_batch(&mut conn, batch, &mut answers).and_then(|()| Ok(conn.batch_execute("COMMIT")?));
        if let Err(e) = &outcome {
            tracing::warn!(error = %e, "a batch of writes failed; none of it is stored");
            // Nothing of this batch is stored (the transaction may be gone already).
            let _ = conn.batch_execute("ROLLBACK");
        }
        for answer in answers {
            answer(outcome.clone());
        }
    }
}

/// Runs each write of the batch in a savepoint of one transaction (not committed yet).
fn write_batch(conn: &mut DbConn, batch: Vec<Job>, answers: &mut Vec<Answer>) -> DbResult<()> {
    conn.batch_execute("BEGIN IMMEDIATE")?;
    for job in batch {
        conn.batch_execute("SAVEPOINT gilde_write")?;
        // A write that panicked is undone like one that failed; its caller is told it failed
        // (its answer is gone).
        let ran = catch_unwind(AssertUnwindSafe(|| job(&mut *conn))).ok();
        let succeeded = ran.as_ref().is_some_and(|(succeeded, _)| *succeeded);
        conn.batch_execute(if succeeded { "RELEASE gilde_write" } else { "ROLLBACK TO gilde_write; RELEASE gilde_write" })?;
        answers.extend(ran.map(|(_, answer)| answer));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::db::testing::TestDatabase;
    use crate::db::{jobs, now, Db, DbError, DbErrorKind};

    /// Many writes at once (committed together on SQLite, each in a transaction of its own on
    /// PostgreSQL): those that fail, or panic, leave nothing behind; the others are all stored;
    /// writing goes on after a panic.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_done_together_each_stand_or_fall_alone() {
        let t = TestDatabase::new();
        let db = Db::connect(&t.url, 4).expect("connect");
        let at = now();
        let mut writes = tokio::task::JoinSet::new();
        for n in 0..60 {
            let db = db.clone();
            writes.spawn(async move {
                db.write(move |c| -> Result<(), DbError> {
                    jobs::enqueue(c, "test", &format!("{{\"n\":{n}}}"), at)?;
                    match n % 3 {
                        0 => Ok(()),
                        1 => Err(DbError { kind: DbErrorKind::Other, message: "refused".into() }),
                        _ if n == 5 => panic!("a write that panics"),
                        _ => Ok(()),
                    }
                })
                .await
                .map(|()| n)
            });
        }
        let mut stored = Vec::new();
        while let Some(done) = writes.join_next().await {
            match done {
                Ok(Ok(n)) => stored.push(n),
                Ok(Err(_)) => {}
                Err(e) if e.is_panic() => {}
                Err(e) => panic!("{e}"),
            }
        }
        stored.sort_unstable();
        let expected: Vec<i32> = (0..60).filter(|n| n % 3 != 1 && *n != 5).collect();
        assert_eq!(stored, expected, "every write that succeeded was answered so");
        let mut found: Vec<i32> = db
            .write(move |c| jobs::claim(c, at, at + chrono::TimeDelta::minutes(1), 1000))
            .await
            .expect("claim")
            .iter()
            .map(|job| job.payload.trim_start_matches("{\"n\":").trim_end_matches('}').parse().expect("n"))
            .collect();
        found.sort_unstable();
        assert_eq!(found, expected, "exactly the writes that succeeded are stored");
    }
}
