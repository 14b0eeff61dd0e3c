//! Helpers for tests of this crate and of the federation suite: a context on a throw-away
//! database, and people and groups made in one line.

use crate::config::Config;
use crate::context::AppContext;
use crate::db::testing::TestDatabase;
use crate::db::Db;
use crate::service::groups::NewGroupInput;
use crate::service::people::NewAccount;
use crate::service::{self, Actor, GroupView, Scope, Visibility};

pub struct TestContext {
    pub ctx: AppContext,
    // Dropped last: the database outlives the pool.
    pub database: TestDatabase,
}

impl TestContext {
    pub fn new() -> TestContext {
        Self::with_config(|_| {})
    }

    pub fn with_config(change: impl FnOnce(&mut Config)) -> TestContext {
        let database = TestDatabase::new();
        let mut config = Config::for_tests("gilde.test", database.dir(), database.url.clone());
        change(&mut config);
        let db = Db::connect(&config.database, config.db_pool_size).unwrap_or_else(|e| panic!("test database: {e}"));
        TestContext { ctx: AppContext::new(config, db), database }
    }

    /// A local person with the password `correct horse battery`.
    pub async fn person(&self, name: &str) -> Actor {
        self.account(name, false).await
    }

    pub async fn admin(&self, name: &str) -> Actor {
        self.account(name, true).await
    }

    async fn account(&self, name: &str, is_admin: bool) -> Actor {
        let person = service::people::create_account(
            &self.ctx,
            NewAccount { username: name.into(), password: PASSWORD.into(), display_name: None, is_admin },
        )
        .await
        .unwrap_or_else(|e| panic!("create {name}: {e:?}"));
        Actor { person_id: person.id, is_admin }
    }

    pub async fn group(&self, owner: &Actor, name: &str, visibility: Visibility) -> GroupView {
        service::groups::create(
            &self.ctx,
            owner,
            NewGroupInput {
                name: name.into(),
                display_name: name.to_uppercase(),
                note: format!("About {name}"),
                scope: Scope::Internal,
                visibility,
                announcements_only: false,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("create group {name}: {e:?}"))
    }
}

impl Default for TestContext {
    fn default() -> Self {
        Self::new()
    }
}

pub const PASSWORD: &str = "correct horse battery";

/// A context on an existing test database (e.g. one a `gilde` process also uses).
pub fn context_for(database: &TestDatabase) -> crate::AppContext {
    let config = Config::for_tests("gilde.test", database.dir(), database.url.clone());
    let db = Db::connect(&config.database, 2).unwrap_or_else(|e| panic!("test database: {e}"));
    crate::AppContext::new(config, db)
}

/// The `gilde` package's folder. Read from the environment `cargo test` sets when it runs the
/// tests, so a test binary built from another checkout (a shared target folder) still reads
/// this checkout's files; the path compiled in is only the fallback.
pub fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// A Python virtual environment under `dir` with `package` (a pinned pip requirement) installed
/// once, for tests that drive Gilde with real clients and peers from PyPI; `import` is the module
/// that shows it is installed. Returns the environment's `python`. Fails loudly when it cannot
/// be had (no `python3` with `venv`, or no access to PyPI).
pub fn python_with(dir: &std::path::Path, package: &str, import: &str) -> std::path::PathBuf {
    use std::process::Command;
    let python = dir.join("bin/python");
    if python.exists() && Command::new(&python).args(["-c", &format!("import {import}")]).status().is_ok_and(|s| s.success()) {
        return python;
    }
    let status = Command::new("python3").args(["-m", "venv"]).arg(dir).status().expect("python3 is needed for these tests");
    assert!(status.success(), "python3 -m venv failed (on Debian: apt-get install python3-venv)");
    let status =
        Command::new(dir.join("bin/pip")).args(["install", "--quiet", "--disable-pip-version-check", package]).status().expect("pip");
    assert!(status.success(), "pip install {package} failed");
    python
}
