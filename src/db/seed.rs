//! Generated data for benchmarks: people, groups, memberships, follows and posts, written with
//! set-based SQL so that a million posts take seconds, not hours.

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::{Backend, Db, DbConn, DbError, DbResult};

#[derive(QueryableByName)]
struct Max {
    #[diesel(sql_type = BigInt)]
    max: i64,
}

fn max_id(conn: &mut DbConn, table: &str) -> DbResult<i64> {
    let row: Max = diesel::sql_query(format!("SELECT COALESCE(MAX(id), 0) AS max FROM {table}")).get_result(conn)?;
    Ok(row.max)
}

/// `n` rows numbered 1..=n, as a common table expression named `s(i)`.
fn series(backend: Backend, n: u64) -> String {
    match backend {
        Backend::Postgres => format!("WITH s(i) AS (SELECT generate_series(1, {n})::BIGINT)"),
        Backend::Sqlite => format!("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n})"),
    }
}

/// Adds `people` accounts (`seed_N`, password `seed-password`), `groups` public groups, each
/// person in 5 groups and following 10 people, and `posts` threads, 4 in 5 of them in groups.
pub async fn seed(db: &Db, people: u64, groups: u64, posts: u64) -> DbResult<String> {
    if people == 0 || groups == 0 {
        return Err(DbError { kind: super::DbErrorKind::Other, message: "seed needs at least one person and one group".into() });
    }
    let backend = db.backend();
    let hash = {
        use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
        let salt = SaltString::generate(&mut OsRng);
        argon2::Argon2::default()
            .hash_password(b"seed-password", &salt)
            .map(|h| h.to_string())
            .map_err(|e| DbError { kind: super::DbErrorKind::Other, message: e.to_string() })?
    };
    let db = db.clone();
    let now = super::now().format("%Y-%m-%d %H:%M:%S").to_string();
    tokio::task::spawn_blocking(move || {
        db.write_blocking(|conn| -> DbResult<String> {
            let p0 = max_id(conn, "people")?;
            let g0 = max_id(conn, "groups")?;
            // SQLite keeps timestamps as text (a CAST there would make the number 2026).
            let ts = match backend {
                Backend::Sqlite => format!("'{now}'"),
                Backend::Postgres => format!("CAST('{now}' AS TIMESTAMP)"),
            };
            let run = |conn: &mut DbConn, sql: String| -> DbResult<usize> { Ok(diesel::sql_query(sql).execute(conn)?) };
            run(conn, format!(
                "{} INSERT INTO people (id, username, display_name, department, created_at, updated_at) SELECT {p0} + i, 'seed_' || ({p0} + i), 'Seed person ' || ({p0} + i), 'Department ' || (i % 12), {ts}, {ts} FROM s",
                series(backend, people)
            ))?;
            run(conn, format!(
                "{} INSERT INTO local_accounts (person_id, password_hash, is_admin, disabled, created_at) SELECT {p0} + i, '{hash}', false, false, {ts} FROM s",
                series(backend, people)
            ))?;
            run(conn, format!(
                "{} INSERT INTO groups (id, name, display_name, note, note_html, scope, visibility, announcements_only, created_at, updated_at) SELECT {g0} + i, 'seedgroup_' || ({g0} + i), 'Seed group ' || ({g0} + i), '', '', 'internal', 'public', false, {ts}, {ts} FROM s",
                series(backend, groups)
            ))?;
            // Each person joins 5 groups and follows 10 people (duplicates from small counts are skipped).
            for k in 0..5u64 {
                run(conn, format!(
                    "{} INSERT INTO memberships (group_id, person_id, role, state, created_at, updated_at) SELECT {g0} + 1 + ((i * 7 + {k} * 13) % {groups}), {p0} + i, CASE WHEN i <= {groups} AND {k} = 0 THEN 'owner' ELSE 'member' END, 'active', {ts}, {ts} FROM s WHERE true ON CONFLICT DO NOTHING",
                    series(backend, people)
                ))?;
            }
            for k in 1..=10u64 {
                run(conn, format!(
                    "{} INSERT INTO follows (follower_id, followed_id, accepted, created_at) SELECT {p0} + i, {p0} + 1 + ((i + {k} * 37) % {people}), true, {ts} FROM s WHERE {p0} + i <> {p0} + 1 + ((i + {k} * 37) % {people}) ON CONFLICT DO NOTHING",
                    series(backend, people)
                ))?;
            }
            // Posts in batches, so one statement never holds millions of rows in memory.
            let batch = 100_000u64;
            let mut done = 0u64;
            while done < posts {
                let n = batch.min(posts - done);
                run(conn, format!(
                    "{} INSERT INTO posts (author_id, group_id, visibility, source, content_html, created_at) SELECT {p0} + 1 + ((i + {done}) % {people}), CASE WHEN (i + {done}) % 5 = 0 THEN NULL ELSE {g0} + 1 + (((i + {done}) / 5) % {groups}) END, 'public', 'Seed post ' || (i + {done}) || ' about kennisdeling', '<p>Seed post ' || (i + {done}) || ' about kennisdeling</p>', {ts} FROM s",
                    series(backend, n)
                ))?;
                done += n;
            }
            run(conn, format!(
                "UPDATE people SET posts_count = (SELECT COUNT(*) FROM posts WHERE posts.author_id = people.id AND posts.deleted_at IS NULL) WHERE id > {p0}"
            ))?;
            if backend == Backend::Postgres {
                // Explicit ids above leave the sequences behind; move them past the new rows.
                for table in ["people", "groups"] {
                    run(conn, format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"))?;
                }
                run(conn, "ANALYZE".into())?;
            } else {
                run(conn, "ANALYZE".into())?;
            }
            Ok(format!("Seeded {people} people (seed_{} to seed_{}, password seed-password), {groups} groups and {posts} posts.", p0 + 1, p0 + people as i64))
        })
    })
    .await
    .map_err(|e| DbError { kind: super::DbErrorKind::Other, message: e.to_string() })?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::schema::posts;
    use crate::db::testing::TestDatabase;

    #[tokio::test]
    async fn seeded_posts_have_today_s_date_and_every_group_gets_posts() {
        let database = TestDatabase::new();
        let db = crate::db::Db::connect(&database.url, 2).expect("connect");
        seed(&db, 20, 10, 200).await.expect("seed");
        let (dates, groups) = db
            .read(|conn| -> DbResult<_> {
                let dates: Vec<chrono::NaiveDateTime> = posts::table.select(posts::created_at).load(conn)?;
                let mut groups: Vec<Option<crate::db::GroupId>> = posts::table.select(posts::group_id).distinct().load(conn)?;
                groups.retain(Option::is_some);
                Ok((dates, groups))
            })
            .await
            .expect("read");
        let today = crate::db::now().date();
        assert_eq!(dates.len(), 200);
        assert!(dates.iter().all(|d| d.date() == today), "seeded dates are today's: {:?}", dates.first());
        assert_eq!(groups.len(), 10, "every group has posts");
    }
}
