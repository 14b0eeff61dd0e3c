//! Other servers as deliveries find them: failing since when, dead since when. A server that
//! keeps failing is marked dead; one success (or an activity from it) makes it alive again.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::schema::{jobs, servers};
use super::{DbConn, DbResult};

#[derive(Debug, Clone, Queryable)]
#[diesel(table_name = servers)]
pub struct Server {
    pub domain: String,
    pub failing_since: Option<NaiveDateTime>,
    pub dead_since: Option<NaiveDateTime>,
    pub last_success_at: Option<NaiveDateTime>,
    pub software: Option<String>,
    /// The last refusal of a delivery: status and the start of the answer.
    pub last_refusal: Option<String>,
    pub last_refusal_at: Option<NaiveDateTime>,
}

pub fn find(conn: &mut DbConn, domain: &str) -> DbResult<Option<Server>> {
    Ok(servers::table.find(domain).select(servers::all_columns).first(conn).optional()?)
}

pub fn is_dead(conn: &mut DbConn, domain: &str) -> DbResult<bool> {
    Ok(find(conn, domain)?.is_some_and(|s| s.dead_since.is_some()))
}

fn ensure(conn: &mut DbConn, domain: &str) -> DbResult<()> {
    // Two processes may see a server fail at once: the second insert does nothing.
    diesel::sql_query("INSERT INTO servers (domain) VALUES ($1) ON CONFLICT (domain) DO NOTHING").bind::<Text, _>(domain).execute(conn)?;
    Ok(())
}

/// A delivery to `domain` failed at `now`. Returns whether the server is dead now: it has been
/// failing for `dead_after` without a success in between.
pub fn record_failure(conn: &mut DbConn, domain: &str, now: NaiveDateTime, dead_after: chrono::TimeDelta) -> DbResult<bool> {
    ensure(conn, domain)?;
    let server = find(conn, domain)?;
    let failing_since = server.as_ref().and_then(|s| s.failing_since).unwrap_or(now);
    let dead_since = match server.as_ref().and_then(|s| s.dead_since) {
        Some(at) => Some(at),
        None if now - failing_since >= dead_after => Some(now),
        None => None,
    };
    diesel::update(servers::table.find(domain))
        .set((servers::failing_since.eq(Some(failing_since)), servers::dead_since.eq(dead_since)))
        .execute(conn)?;
    Ok(dead_since.is_some())
}

/// `domain` answered (a delivery succeeded, or it sent a signed activity). Returns whether it
/// was failing or dead before; its waiting deliveries are then due at once.
pub fn record_alive(conn: &mut DbConn, domain: &str, now: NaiveDateTime) -> DbResult<bool> {
    let was_failing = find(conn, domain)?.is_some_and(|s| s.failing_since.is_some() || s.dead_since.is_some());
    if !was_failing {
        return Ok(false);
    }
    diesel::update(servers::table.find(domain))
        .set((
            servers::failing_since.eq(None::<NaiveDateTime>),
            servers::dead_since.eq(None::<NaiveDateTime>),
            servers::last_success_at.eq(Some(now)),
        ))
        .execute(conn)?;
    diesel::update(jobs::table.filter(jobs::target.eq(domain)).filter(jobs::done_at.is_null()))
        .set((jobs::run_at.eq(now), jobs::locked_until.eq(None::<NaiveDateTime>)))
        .execute(conn)?;
    Ok(true)
}

/// These servers answered (deliveries to them succeeded): `record_alive` for each that was
/// failing or dead, found in one read (most are not). Returns those.
pub fn record_alive_many(conn: &mut DbConn, domains: &[String], now: NaiveDateTime) -> DbResult<Vec<String>> {
    if domains.is_empty() {
        return Ok(Vec::new());
    }
    let failing: Vec<String> = servers::table
        .filter(servers::domain.eq_any(domains))
        .filter(servers::failing_since.is_not_null().or(servers::dead_since.is_not_null()))
        .select(servers::domain)
        .load(conn)?;
    for domain in &failing {
        record_alive(conn, domain, now)?;
    }
    Ok(failing)
}

/// Of these servers, those marked dead.
pub fn dead_among(conn: &mut DbConn, domains: &[String]) -> DbResult<std::collections::HashSet<String>> {
    if domains.is_empty() {
        return Ok(Default::default());
    }
    let dead: Vec<String> = servers::table
        .filter(servers::domain.eq_any(domains))
        .filter(servers::dead_since.is_not_null())
        .select(servers::domain)
        .load(conn)?;
    Ok(dead.into_iter().collect())
}

/// What each of these servers runs, where known.
pub fn software_of(conn: &mut DbConn, domains: &[String]) -> DbResult<Vec<(String, Option<String>)>> {
    Ok(servers::table.filter(servers::domain.eq_any(domains)).select((servers::domain, servers::software)).load(conn)?)
}

pub fn set_software(conn: &mut DbConn, domain: &str, software: &str) -> DbResult<()> {
    ensure(conn, domain)?;
    diesel::update(servers::table.find(domain)).set(servers::software.eq(Some(software))).execute(conn)?;
    Ok(())
}

/// `domain` refused a delivery (4xx): kept for the admin. It answered, so it is not failing.
pub fn record_refusal(conn: &mut DbConn, domain: &str, refusal: &str, now: NaiveDateTime) -> DbResult<()> {
    ensure(conn, domain)?;
    let refusal: String = refusal.chars().take(500).collect();
    diesel::update(servers::table.find(domain))
        .set((servers::last_refusal.eq(Some(refusal)), servers::last_refusal_at.eq(Some(now))))
        .execute(conn)?;
    Ok(())
}

/// Servers marked dead, for the admin.
pub fn dead(conn: &mut DbConn) -> DbResult<Vec<Server>> {
    Ok(servers::table.filter(servers::dead_since.is_not_null()).order(servers::domain.asc()).select(servers::all_columns).load(conn)?)
}

/// Known servers, those in trouble first (dead, then failing, then by name), with how many
/// deliveries wait for each.
pub fn overview(conn: &mut DbConn, limit: i64) -> DbResult<Vec<(Server, i64)>> {
    let list: Vec<Server> = servers::table
        .select(servers::all_columns)
        .order((servers::dead_since.is_null(), servers::failing_since.is_null(), servers::domain))
        .limit(limit)
        .load(conn)?;
    let domains: Vec<&str> = list.iter().map(|s| s.domain.as_str()).collect();
    let waiting: Vec<(Option<String>, i64)> = jobs::table
        .filter(jobs::done_at.is_null())
        .filter(jobs::target.eq_any(&domains))
        .group_by(jobs::target)
        .select((jobs::target, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(list
        .into_iter()
        .map(|server| {
            let n = waiting.iter().find(|(d, _)| d.as_deref() == Some(server.domain.as_str())).map_or(0, |(_, n)| *n);
            (server, n)
        })
        .collect())
}

/// How many servers are failing (not yet dead), and how many are dead.
pub fn failing_counts(conn: &mut DbConn) -> DbResult<(i64, i64)> {
    let failing =
        servers::table.filter(servers::failing_since.is_not_null()).filter(servers::dead_since.is_null()).count().get_result(conn)?;
    let dead = servers::table.filter(servers::dead_since.is_not_null()).count().get_result(conn)?;
    Ok((failing, dead))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing::TestDatabase;
    use chrono::TimeDelta;

    #[test]
    fn a_server_failing_for_days_is_dead_until_it_answers_and_then_its_deliveries_are_due() {
        let database = TestDatabase::new();
        let db = crate::db::Db::connect(&database.url, 2).expect("connect");
        db.write_blocking(|conn| -> DbResult<()> {
            let t0 = crate::db::now();
            let day = TimeDelta::days(1);
            let dead_after = TimeDelta::days(3);
            assert!(!record_failure(conn, "b.example", t0, dead_after).expect("fail"));
            assert!(!record_failure(conn, "b.example", t0 + day, dead_after).expect("fail"), "failing, not dead yet");
            assert!(record_failure(conn, "b.example", t0 + day * 3, dead_after).expect("fail"), "dead after three days");
            let both = ["b.example".to_string(), "c.example".to_string()];
            let dead = dead_among(conn, &both).expect("read");
            assert_eq!(dead.into_iter().collect::<Vec<_>>(), ["b.example"], "an unknown server is not dead");

            let later = t0 + day * 10;
            crate::db::jobs::enqueue_for(conn, "deliver", "{}", later, Some("b.example")).expect("job");
            crate::db::jobs::enqueue_for(conn, "deliver", "{}", later, Some("c.example")).expect("job");
            assert!(record_alive(conn, "b.example", t0 + day * 4).expect("alive"));
            assert!(dead_among(conn, &both).expect("read").is_empty());
            assert!(!record_alive(conn, "b.example", t0 + day * 4).expect("alive"), "alive already");
            let due: Vec<(Option<String>, NaiveDateTime)> =
                jobs::table.select((jobs::target, jobs::run_at)).order(jobs::id.asc()).load(conn).expect("jobs");
            assert_eq!(due[0], (Some("b.example".to_string()), t0 + day * 4), "the dead server's delivery is due now");
            assert_eq!(due[1], (Some("c.example".to_string()), later), "another server's is not touched");
            // A new failure starts counting again.
            assert!(!record_failure(conn, "b.example", t0 + day * 5, dead_after).expect("fail"));

            // Many servers answering at once: only those failing are recorded (and returned).
            let three = ["a.example".to_string(), "b.example".to_string(), "c.example".to_string()];
            assert_eq!(record_alive_many(conn, &three, t0 + day * 6).expect("alive"), ["b.example"]);
            assert_eq!(failing_counts(conn).expect("counts"), (0, 0));
            assert!(record_alive_many(conn, &three, t0 + day * 6).expect("alive").is_empty(), "alive already");

            Ok(())
        })
        .expect("test");
    }
}
