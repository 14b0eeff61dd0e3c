//! Activities this instance sent, kept so that each id it sends can be fetched and returns the
//! activity it names (other servers look ids up, and some only trust what they fetched).

use diesel::prelude::*;
use diesel::sql_types::{Bool, Text, Timestamp};

use super::schema::sent_activities;
use super::{DbConn, DbResult};

#[derive(Debug, Clone, Queryable)]
#[diesel(table_name = sent_activities)]
pub struct SentActivity {
    pub ap_id: String,
    pub json: String,
    pub public: bool,
    /// The domains it went to, one per line.
    pub audience: String,
    pub created_at: chrono::NaiveDateTime,
}

impl SentActivity {
    /// May a request signed by a server of `domain` fetch it?
    pub fn shown_to(&self, domain: Option<&str>) -> bool {
        self.public || domain.is_some_and(|d| self.audience.lines().any(|a| a.eq_ignore_ascii_case(d)))
    }
}

/// Records an activity (or, sent again under the same id, adds the new domains to its
/// audience and keeps the latest text).
pub fn record(conn: &mut DbConn, ap_id: &str, json: &str, public: bool, domains: &[String]) -> DbResult<()> {
    let mut audience: Vec<String> = find(conn, ap_id)?.map(|a| a.audience.lines().map(str::to_string).collect()).unwrap_or_default();
    for domain in domains {
        if !audience.iter().any(|a| a.eq_ignore_ascii_case(domain)) {
            audience.push(domain.clone());
        }
    }
    diesel::sql_query(
        "INSERT INTO sent_activities (ap_id, json, public, audience, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (ap_id) DO UPDATE SET json = excluded.json, public = excluded.public, audience = excluded.audience",
    )
    .bind::<Text, _>(ap_id)
    .bind::<Text, _>(json)
    .bind::<Bool, _>(public)
    .bind::<Text, _>(audience.join("\n"))
    .bind::<Timestamp, _>(super::now())
    .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, ap_id: &str) -> DbResult<Option<SentActivity>> {
    Ok(sent_activities::table.find(ap_id).select(sent_activities::all_columns).first(conn).optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_activity_is_shown_to_the_servers_it_went_to_and_sending_again_adds_to_them() {
        let database = crate::db::testing::TestDatabase::new();
        let db = crate::db::Db::connect(&database.url, 2).expect("connect");
        db.write_blocking(|conn| -> DbResult<()> {
            record(conn, "https://a.example/activities/x", "{}", false, &["b.example".into()]).expect("record");
            record(conn, "https://a.example/activities/x", "{\"v\":2}", false, &["c.example".into(), "B.example".into()]).expect("again");
            let found = find(conn, "https://a.example/activities/x").expect("find").expect("there");
            assert_eq!(found.json, "{\"v\":2}");
            assert!(found.shown_to(Some("b.example")) && found.shown_to(Some("c.example")));
            assert!(!found.shown_to(Some("d.example")) && !found.shown_to(None));
            record(conn, "https://a.example/activities/p", "{}", true, &[]).expect("public");
            assert!(find(conn, "https://a.example/activities/p").expect("find").expect("there").shown_to(None));
            assert!(find(conn, "https://a.example/activities/none").expect("find").is_none());
            Ok(())
        })
        .expect("test");
    }
}
