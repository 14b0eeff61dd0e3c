//! Throw-away databases for tests: a temporary SQLite file, or, when `GILDE_TEST_DATABASE_URL`
//! names a PostgreSQL server, a fresh database on it that is dropped afterwards. When that
//! variable is set and the server cannot be reached, tests fail: they never fall back silently.

use std::sync::atomic::{AtomicU64, Ordering};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use crate::config::DatabaseUrl;

pub const ENV: &str = "GILDE_TEST_DATABASE_URL";

/// Keeps a test database alive; removes it when dropped.
pub struct TestDatabase {
    pub url: DatabaseUrl,
    dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    /// SQLite, or PostgreSQL when `GILDE_TEST_DATABASE_URL` is set.
    pub fn new() -> TestDatabase {
        Self::on_server(std::env::var(ENV).ok().filter(|v| !v.is_empty()))
    }

    /// SQLite for `None`; else a fresh database on the PostgreSQL server at `admin_url`
    /// (panics when that server cannot be reached).
    pub fn on_server(admin_url: Option<String>) -> TestDatabase {
        let dir = tempfile::tempdir().expect("cannot create a temporary folder for the test");
        match admin_url {
            None => TestDatabase { url: DatabaseUrl::Sqlite(dir.path().join("gilde.db")), dir: Some(dir), postgres: None },
            Some(admin_url) => {
                static COUNTER: AtomicU64 = AtomicU64::new(0);
                let name =
                    format!("gilde_test_{}_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed), rand::random::<u32>());
                let mut admin = PgConnection::establish(&admin_url)
                    .unwrap_or_else(|e| panic!("{ENV} is set but PostgreSQL cannot be reached at {admin_url}: {e}"));
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
                let mut url = url::Url::parse(&admin_url).unwrap_or_else(|e| panic!("{ENV} is not a URL: {e}"));
                url.set_path(&format!("/{name}"));
                TestDatabase { url: DatabaseUrl::Postgres(url.to_string()), dir: Some(dir), postgres: Some((admin_url, name)) }
            }
        }
    }

    /// A folder that lives as long as the database (for the instance's data dir).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.as_ref().map(|d| d.path()).unwrap_or(std::path::Path::new("."))
    }
}

impl Default for TestDatabase {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.postgres.take() {
            if let Ok(mut admin) = PgConnection::establish(&admin_url) {
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_postgres_fails_loudly_instead_of_falling_back() {
        let result = std::panic::catch_unwind(|| TestDatabase::on_server(Some("postgres://postgres@127.0.0.1:1/postgres".into())));
        let message = result.err().and_then(|e| e.downcast_ref::<String>().cloned()).unwrap_or_default();
        assert!(message.contains("cannot be reached"), "{message:?}");
    }

    #[test]
    fn several_processes_starting_at_once_on_a_fresh_database_all_migrate_it() {
        let t = TestDatabase::new();
        let start = std::sync::Arc::new(std::sync::Barrier::new(4));
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let (url, start) = (t.url.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    crate::db::Db::connect(&url, 1).map(|_| ())
                })
            })
            .collect();
        for worker in workers {
            worker.join().expect("thread").expect("every process starts: the migrations take turns");
        }
        let db = crate::db::Db::connect(&t.url, 1).expect("connect");
        assert!(db.write_blocking(crate::db::ready).expect("ready"), "every migration applied");
    }
}
