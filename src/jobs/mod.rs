//! Workers for the persistent job queue: effects become deliveries, deliveries are sent, failed
//! deliveries are retried with exponential backoff. Jobs are claimed through the database, so
//! several processes on one PostgreSQL database share the work, and a job whose worker died is
//! claimed again when its claim expires.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;

use crate::context::AppContext;
use crate::db::{self, jobs::ClaimedJob};
use crate::error::{Error, Result};
use crate::federation::deliver::{self, Delivery};
use crate::federation::FedConfig;
use crate::metrics::JobOutcome;
use crate::service::effects::{self, Effect};

/// How often uploads left unattached for a day are looked for.
const SWEEP_EVERY: Duration = Duration::from_secs(15 * 60);

/// After this many failed attempts a delivery is given up (about 11 days of retrying).
pub const MAX_ATTEMPTS: i32 = 12;
/// How often deliveries to a server marked dead are tried.
pub const DEAD_RETRY: TimeDelta = TimeDelta::days(1);

/// Delay before attempt `attempts + 1`: 30 s, 2 min, 8 min, ... capped at 2 days.
pub fn backoff(attempts: i32) -> TimeDelta {
    let seconds = 30i64.saturating_mul(4i64.saturating_pow(attempts.clamp(1, 10) as u32 - 1));
    TimeDelta::seconds(seconds.min(2 * 24 * 3600))
}

/// Jobs claimed at once.
const BATCH: i64 = 32;
/// Servers delivered to at once (a lane each).
const MAX_LANES: usize = 32;
/// Jobs this process holds (claimed, not finished) at most.
const MAX_HELD: usize = 256;

/// Each server's jobs, in the order they were claimed, while its lane runs; `None`: the jobs of
/// no server (effects), which run in order too.
type Lanes = Arc<std::sync::Mutex<HashMap<Option<String>, VecDeque<ClaimedJob>>>>;

/// Deliveries sent and taken, not yet recorded as done: the job and the server that took it.
/// They are recorded together, in the transaction that claims the next jobs (one transaction per
/// delivery kept a 500-server fan-out on PostgreSQL waiting on commits). Until then they stay
/// held (their claims renewed), so none is claimed and sent again.
type Sent = Arc<std::sync::Mutex<Vec<(i64, String)>>>;

/// Runs the workers until `stop` turns true. Due jobs are claimed as room frees up, each
/// server's deliveries run in order in their own lane, lanes run independently (a server that
/// hangs holds up only its own lane), at most `MAX_LANES` at once; the claims of held jobs are
/// renewed while they run, so a slow delivery is never claimed (and sent) twice.
pub fn spawn(fed: FedConfig, mut stop: tokio::sync::watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let ctx: AppContext = (*fed).clone();
        let renewal = tokio::spawn(renew_claims(ctx.clone(), stop.clone()));
        let lanes: Lanes = Arc::default();
        let sent: Sent = Arc::default();
        let permits = Arc::new(tokio::sync::Semaphore::new(MAX_LANES));
        let mut running = tokio::task::JoinSet::new();
        let mut last_sweep: Option<std::time::Instant> = None;
        loop {
            if last_sweep.is_none_or(|at| at.elapsed() >= SWEEP_EVERY) {
                last_sweep = Some(std::time::Instant::now());
                match crate::service::media::remove_unattached(&fed).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(removed = n, "uploads never posted removed"),
                    Err(e) => tracing::warn!(error = ?e, "removing uploads never posted"),
                }
            }
            if *stop.borrow() || ctx.stopping.load(Ordering::SeqCst) {
                break;
            }
            let done: Vec<(i64, String)> = sent.lock().map(|mut s| std::mem::take(&mut *s)).unwrap_or_default();
            let room = MAX_HELD.saturating_sub(ctx.jobs_held.lock().map_or(0, |h| h.len()).saturating_sub(done.len()));
            let limit = (room as i64).min(BATCH);
            let claimed = if limit == 0 && done.is_empty() {
                0
            } else {
                match record_sent_and_claim(&ctx, &done, limit).await {
                    Ok(jobs) => {
                        let n = jobs.len();
                        dispatch(&fed, &lanes, &sent, &permits, &mut running, jobs);
                        n
                    }
                    Err(e) => {
                        tracing::warn!(error = ?e, "job queue");
                        // Recorded next time.
                        if let Ok(mut s) = sent.lock() {
                            s.extend(done);
                        }
                        0
                    }
                }
            };
            while let Some(done) = running.try_join_next() {
                if let Err(e) = done {
                    tracing::warn!(error = %e, "a job lane failed");
                }
            }
            // As many as asked for: there may be more due.
            if limit > 0 && claimed as i64 == limit {
                continue;
            }
            // With little room left, look again soon: room frees up as held jobs finish (a
            // long wait here once stalled a fan-out for most of a second).
            let wait = if room < BATCH as usize { 50 } else { 1000 };
            tokio::select! {
                _ = ctx.jobs_wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(wait)) => {}
                _ = stop.changed() => break,
            }
        }
        // Stopping: the lanes finish the job each is running and start no other; what they sent
        // is recorded.
        ctx.stopping.store(true, Ordering::SeqCst);
        while running.join_next().await.is_some() {}
        let done: Vec<(i64, String)> = sent.lock().map(|mut s| std::mem::take(&mut *s)).unwrap_or_default();
        if !done.is_empty() {
            if let Err(e) = record_sent_and_claim(&ctx, &done, 0).await {
                tracing::warn!(error = ?e, "recording sent deliveries; they are sent again");
            }
        }
        renewal.abort();
    })
}

/// Records deliveries sent (done, and their servers answering) and claims up to `limit` due
/// jobs for this process, in one transaction.
async fn record_sent_and_claim(ctx: &AppContext, sent: &[(i64, String)], limit: i64) -> Result<Vec<ClaimedJob>> {
    let claim = TimeDelta::seconds(ctx.config.job_claim_seconds as i64);
    let done: Vec<i64> = sent.iter().map(|(id, _)| *id).collect();
    let mut domains: Vec<String> = sent.iter().map(|(_, domain)| domain.clone()).collect();
    domains.sort_unstable();
    domains.dedup();
    let (revived, claimed) = ctx
        .db
        .write(move |conn| -> Result<_> {
            let now = db::now();
            db::jobs::complete_many(conn, &done, now)?;
            let revived = db::servers::record_alive_many(conn, &domains, now)?;
            let claimed = if limit > 0 { db::jobs::claim(conn, now, now + claim, limit)? } else { Vec::new() };
            Ok((revived, claimed))
        })
        .await?;
    if let Ok(mut held) = ctx.jobs_held.lock() {
        for (id, _) in sent {
            held.remove(id);
        }
        held.extend(claimed.iter().map(|job| job.id));
    }
    for domain in &revived {
        crate::service::actors::server_revived(ctx, domain);
    }
    Ok(claimed)
}

/// Puts claimed jobs in their server's lane, starting the lane if it is not running.
fn dispatch(
    fed: &FedConfig,
    lanes: &Lanes,
    sent: &Sent,
    permits: &Arc<tokio::sync::Semaphore>,
    running: &mut tokio::task::JoinSet<()>,
    jobs: Vec<ClaimedJob>,
) {
    let Ok(mut queued) = lanes.lock() else { return };
    for job in jobs {
        let target = target_of(&job);
        match queued.get_mut(&target) {
            Some(queue) => queue.push_back(job),
            None => {
                queued.insert(target.clone(), VecDeque::from([job]));
                running.spawn(lane(fed.clone(), target, lanes.clone(), sent.clone(), permits.clone()));
            }
        }
    }
}

/// Runs one server's jobs, one after another, until its queue is empty (or the process stops:
/// what is left is released for others).
async fn lane(fed: FedConfig, target: Option<String>, lanes: Lanes, sent: Sent, permits: Arc<tokio::sync::Semaphore>) {
    let Ok(_permit) = permits.acquire_owned().await else { return };
    loop {
        if fed.stopping.load(Ordering::SeqCst) {
            return;
        }
        let next = {
            let Ok(mut queued) = lanes.lock() else { return };
            match queued.get_mut(&target).and_then(VecDeque::pop_front) {
                Some(job) => job,
                None => {
                    queued.remove(&target);
                    return;
                }
            }
        };
        let id = next.id;
        match run_and_record(&fed, next, target.clone()).await {
            // Sent: recorded with others by the claiming loop, woken for it.
            Ok(Recorded::Later) => {
                if let (Ok(mut s), Some(domain)) = (sent.lock(), target.clone()) {
                    s.push((id, domain));
                }
                fed.jobs_wake.notify_one();
                continue;
            }
            Ok(Recorded::Now) => {}
            Err(e) => tracing::warn!(job = id, error = ?e, "recording a job's outcome"),
        }
        if let Ok(mut held) = fed.jobs_held.lock() {
            held.remove(&id);
        }
    }
}

/// Keeps this process's claims alive while its jobs run: every third of a claim's time, the
/// claims of the jobs it holds are extended.
async fn renew_claims(ctx: AppContext, mut stop: tokio::sync::watch::Receiver<bool>) {
    let claim = ctx.config.job_claim_seconds.max(1);
    let every = Duration::from_millis(claim * 1000 / 3).max(Duration::from_millis(300));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        let held: Vec<i64> = ctx.jobs_held.lock().map(|h| h.iter().copied().collect()).unwrap_or_default();
        if held.is_empty() {
            continue;
        }
        let until = db::now() + TimeDelta::seconds(claim as i64);
        if let Err(e) = ctx.db.write(move |conn| -> Result<_> { Ok(db::jobs::renew(conn, &held, until)?) }).await {
            tracing::warn!(error = ?e, "renewing job claims");
        }
    }
}

/// Releases the jobs this process claimed and has not finished (it is stopping): their attempt
/// is not counted, and they are due at once for any process. Returns how many.
pub async fn release_held(ctx: &AppContext) -> Result<usize> {
    ctx.stopping.store(true, std::sync::atomic::Ordering::SeqCst);
    let held: Vec<i64> = ctx.jobs_held.lock().map(|mut held| held.drain().collect()).unwrap_or_default();
    if held.is_empty() {
        return Ok(0);
    }
    ctx.db.write(move |conn| -> Result<_> { Ok(db::jobs::release(conn, &held)?) }).await
}

async fn complete(ctx: &AppContext, id: i64) -> Result<JobOutcome> {
    ctx.db.write(move |conn| -> Result<_> { Ok(db::jobs::complete(conn, id)?) }).await?;
    Ok(JobOutcome::Done)
}

/// The server a delivery job goes to (its domain); `None` for other jobs.
fn target_of(job: &ClaimedJob) -> Option<String> {
    (job.kind == deliver::JOB_KIND)
        .then(|| serde_json::from_str::<Delivery>(&job.payload).ok())
        .flatten()
        .and_then(|d| crate::service::actors::domain_of(&d.inbox))
}

/// Runs one job and records how it went: done, or failed with a retry time (and, for a
/// delivery, what that says about the server it goes to).
/// `target`: the server a delivery goes to; its failures and successes mark it dead or alive.
async fn run_and_record(fed: &FedConfig, job: ClaimedJob, target: Option<String>) -> Result<Recorded> {
    let ctx: &AppContext = fed;
    let id = job.id;
    let attempts = job.attempts;
    let kind = job.kind.clone();
    // A person's deletion: its deliveries are reported to the admin, server by server.
    let report = (kind == deliver::JOB_KIND).then(|| deliver::deletion_report_key(&job.payload)).flatten();
    match run(fed, job).await {
        Ok((outcome, recorded)) => {
            ctx.metrics.job_finished(&kind, outcome);
            if let (Some(activity), Some(domain)) = (&report, &target) {
                let state = if outcome == JobOutcome::Refused { "refused" } else { "delivered" };
                let (activity, domain) = (activity.clone(), domain.clone());
                ctx.db
                    .write(move |conn| -> Result<_> { Ok(db::deletion::report_delivery(conn, &activity, &domain, state, None)?) })
                    .await?;
            }
            match (target, recorded) {
                // Its server's answer is recorded with the job.
                (Some(_), Recorded::Later) => return Ok(Recorded::Later),
                (Some(domain), Recorded::Now) => {
                    crate::service::actors::server_answered(ctx, &domain).await?;
                }
                // Only a delivery (it has a server) waits to be recorded.
                (None, _) => {
                    if recorded == Recorded::Later {
                        complete(ctx, id).await?;
                    }
                }
            }
        }
        Err(e) => {
            tracing::info!(job = id, attempts, error = %e, cause = ?e.cause(), "job failed");
            let message = e.cause().map_or_else(|| e.to_string(), |c| c.to_string());
            let dead_after = TimeDelta::from_std(ctx.config.federation.dead_after).unwrap_or(TimeDelta::days(3));
            if let Some(domain) = &target {
                crate::service::actors::server_failed(ctx, domain);
            }
            ctx.db
                .write(move |conn| -> Result<_> {
                    let now = db::now();
                    let dead = match &target {
                        Some(domain) => db::servers::record_failure(conn, domain, now, dead_after)?,
                        None => false,
                    };
                    // A dead server is tried rarely; anything else with a growing backoff.
                    let retry_at = (attempts < MAX_ATTEMPTS).then(|| now + if dead { DEAD_RETRY } else { backoff(attempts) });
                    if let (Some(activity), Some(domain)) = (&report, &target) {
                        let state = if retry_at.is_some() { "retrying" } else { "failed" };
                        db::deletion::report_delivery(conn, activity, domain, state, Some(&message))?;
                    }
                    Ok(db::jobs::fail(conn, id, &message, retry_at)?)
                })
                .await?;
            ctx.metrics.job_finished(&kind, if attempts < MAX_ATTEMPTS { JobOutcome::Retry } else { JobOutcome::GivenUp });
        }
    }
    Ok(Recorded::Now)
}

/// Whether a job's end is in the database already, or is to be recorded with others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Recorded {
    Now,
    Later,
}

async fn run(fed: &FedConfig, job: ClaimedJob) -> Result<(JobOutcome, Recorded)> {
    let ctx: &AppContext = fed;
    match job.kind.as_str() {
        effects::JOB_KIND => {
            let effect: Effect = serde_json::from_str(&job.payload).map_err(Error::internal)?;
            if let Effect::FetchHistory { group } = effect {
                crate::federation::backfill::fetch_history(fed, group).await?;
                return Ok((complete(ctx, job.id).await?, Recorded::Now));
            }
            if let Effect::CacheMedia { media } = effect {
                crate::federation::media::cache(fed, media).await?;
                return Ok((complete(ctx, job.id).await?, Recorded::Now));
            }
            deliver::expand_effect(ctx, job.id, effect).await?;
            Ok((JobOutcome::Done, Recorded::Now))
        }
        deliver::JOB_KIND => {
            let delivery: Delivery = serde_json::from_str(&job.payload).map_err(Error::internal)?;
            let refused = deliver::send(fed, &delivery).await?;
            let id = job.id;
            let Some(reason) = refused else { return Ok((JobOutcome::Done, Recorded::Later)) };
            let domain = crate::service::actors::domain_of(&delivery.inbox).unwrap_or_default();
            tracing::info!(domain, inbox = %delivery.inbox, reason, "a server refused a delivery");
            ctx.db
                .write(move |conn| -> Result<_> {
                    db::jobs::complete_with_note(conn, id, &format!("refused: {reason}"))?;
                    Ok(db::servers::record_refusal(conn, &domain, &reason, db::now())?)
                })
                .await?;
            Ok((JobOutcome::Refused, Recorded::Now))
        }
        other => Err(Error::internal(format!("unknown job kind {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), TimeDelta::seconds(30));
        assert_eq!(backoff(2), TimeDelta::seconds(120));
        assert_eq!(backoff(3), TimeDelta::seconds(480));
        assert_eq!(backoff(12), TimeDelta::days(2));
    }
}
