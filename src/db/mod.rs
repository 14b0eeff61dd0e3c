//! The database: the only module that imports diesel. One `DbConn` over SQLite and PostgreSQL,
//! an r2d2 pool used from `spawn_blocking`, one file per table or aggregate.

pub mod deletion;
pub mod follows;
pub mod groups;
pub mod jobs;
pub mod media;
pub mod memberships;
pub mod notifications;
pub mod oauth;
pub mod people;
pub mod posts;
pub mod seed;
pub mod sent_activities;
pub mod servers;
pub mod settings;
pub mod sso;
pub mod testing;

mod batched;

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::MigrationHarness;

use crate::config::DatabaseUrl;

pub use gilde_schema::schema;

/// One connection to either backend.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbErrorKind {
    NotFound,
    UniqueViolation,
    Unavailable,
    Other,
}

/// A database failure, with what kind of failure it is and the underlying cause.
#[derive(Debug, Clone)]
pub struct DbError {
    pub(crate) kind: DbErrorKind,
    pub(crate) message: String,
}

impl DbError {
    pub fn kind(&self) -> DbErrorKind {
        self.kind
    }
    fn unavailable(message: impl Into<String>) -> Self {
        DbError { kind: DbErrorKind::Unavailable, message: message.into() }
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DbError {}

impl From<diesel::result::Error> for DbError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error as E};
        let kind = match &e {
            E::NotFound => DbErrorKind::NotFound,
            E::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => DbErrorKind::UniqueViolation,
            E::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => DbErrorKind::Unavailable,
            _ => DbErrorKind::Other,
        };
        DbError { kind, message: e.to_string() }
    }
}

pub type DbResult<T> = Result<T, DbError>;

/// Opens connections by URL scheme, so that a connection failure shows the backend's own message.
#[derive(Debug, Clone)]
struct Manager {
    url: DatabaseUrl,
}

#[derive(Debug)]
struct ConnectError(String);
impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for ConnectError {}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = ConnectError;

    fn connect(&self) -> Result<DbConn, ConnectError> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())
                    .map_err(|e| ConnectError(format!("cannot open SQLite database {}: {e}", path.display())))?;
                // busy_timeout first: switching to WAL may itself wait for a lock. SQLite answers
                // "locked" at once, without waiting, when processes switch a fresh database to WAL
                // at the same moment (one would deadlock the other): those take turns here. Every
                // statement below can run again.
                let mut attempt = 0;
                loop {
                    let configured = conn.batch_execute(
                        // mmap and a larger page cache keep hot pages out of read() system calls.
                        "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                         PRAGMA mmap_size = 268435456; PRAGMA cache_size = -32000; PRAGMA temp_store = MEMORY;",
                    );
                    match configured {
                        Ok(()) => break,
                        Err(e) if attempt < 50 && e.to_string().contains("locked") => {
                            attempt += 1;
                            std::thread::sleep(std::time::Duration::from_millis(10 * attempt));
                        }
                        Err(e) => return Err(ConnectError(format!("cannot configure SQLite database {}: {e}", path.display()))),
                    }
                }
                Ok(DbConn::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => {
                PgConnection::establish(url).map(DbConn::Pg).map_err(|e| ConnectError(format!("cannot connect to PostgreSQL: {e}")))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), ConnectError> {
        conn.batch_execute("SELECT 1").map_err(|e| ConnectError(e.to_string()))
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

/// The pool, with what the service layer needs to run reads and writes.
#[derive(Clone)]
pub struct Db {
    pool: Pool<Manager>,
    backend: Backend,
    /// SQLite takes one writer at a time; writers of this process queue here instead of
    /// failing with SQLITE_BUSY when a read transaction wants to become a write transaction.
    sqlite_writer: Arc<Mutex<()>>,
    /// On SQLite, the thread that does the writes, several in one transaction (`batched`).
    batched: Option<batched::Writer>,
}

impl Db {
    /// Connects, creating the SQLite file's folder if needed, and applies pending migrations.
    pub fn connect(url: &DatabaseUrl, pool_size: u32) -> DbResult<Db> {
        let backend = match url {
            DatabaseUrl::Sqlite(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| DbError::unavailable(format!("cannot create the data folder {}: {e}", parent.display())))?;
                }
                Backend::Sqlite
            }
            DatabaseUrl::Postgres(_) => Backend::Postgres,
        };
        let manager = Manager { url: url.clone() };
        // Connect once by hand first: r2d2 would only report a time-out.
        let mut first = manager.connect().map_err(|e| DbError::unavailable(e.0))?;
        run_migrations(&mut first)?;
        let pool = Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(1))
            // A server connection can drop between uses and is checked when taken from the pool;
            // a SQLite file cannot, and the check was one more statement for every read.
            .test_on_check_out(backend == Backend::Postgres)
            .connection_timeout(Duration::from_secs(10))
            .build(manager)
            .map_err(|e| DbError::unavailable(e.to_string()))?;
        let sqlite_writer = Arc::new(Mutex::new(()));
        let batched = match backend {
            // That connection does this process's writes from now on.
            Backend::Sqlite => Some(batched::start(first, sqlite_writer.clone())?),
            Backend::Postgres => None,
        };
        Ok(Db { pool, backend, sqlite_writer, batched })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    fn get(&self) -> DbResult<PooledConnection<Manager>> {
        self.pool.get().map_err(|e| DbError::unavailable(format!("no database connection: {e}")))
    }

    /// Runs `f` in a read transaction on a blocking thread.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    {
        let db = self.clone();
        run_blocking(move || {
            let mut conn = db.get()?;
            in_transaction(&mut conn, f)
        })
        .await
    }

    /// Runs `f` on a connection outside any transaction (for statements that cannot run in one,
    /// such as SQLite's `VACUUM INTO`), on a blocking thread.
    pub async fn outside_transaction<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    {
        let db = self.clone();
        run_blocking(move || {
            let mut conn = db.get()?;
            f(&mut conn)
        })
        .await
    }

    /// Runs `f` in one write transaction on a blocking thread: all of it is stored, or none.
    /// On SQLite the writes of this process are done by one thread, which commits the writes
    /// waiting for it together (each in a savepoint of its own): a write's answer comes after
    /// its commit, and one that fails undoes only its own changes.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    {
        if let Some(writer) = &self.batched {
            return writer.write(f).await;
        }
        let db = self.clone();
        run_blocking(move || db.write_blocking(f)).await
    }

    /// Runs `prepare` on a blocking thread, then `f` with what it made in one write transaction:
    /// work that needs no database (sanitising a post's HTML, say) is done before this
    /// writer takes its turn, not while the other writers wait. An error from `prepare` writes
    /// nothing.
    pub async fn write_after<P, R, T, E, F>(&self, prepare: P, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        P: FnOnce() -> Result<R, E> + Send + 'static,
        R: Send + 'static,
        F: FnOnce(&mut DbConn, R) -> Result<T, E> + Send + 'static,
    {
        if let Some(writer) = &self.batched {
            let prepared = run_blocking(prepare).await?;
            return writer.write(move |conn| f(conn, prepared)).await;
        }
        let db = self.clone();
        run_blocking(move || {
            let prepared = prepare()?;
            db.write_blocking(move |conn| f(conn, prepared))
        })
        .await
    }

    /// The same as `write`, for callers that are already on a blocking thread (the CLI, seeding).
    pub fn write_blocking<T, E, F>(&self, f: F) -> Result<T, E>
    where
        E: From<DbError>,
        F: FnOnce(&mut DbConn) -> Result<T, E>,
    {
        let _guard = match self.backend {
            Backend::Sqlite => Some(self.sqlite_writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner())),
            Backend::Postgres => None,
        };
        let mut conn = self.get()?;
        in_transaction(&mut conn, f)
    }
}

async fn run_blocking<T, E, F>(f: F) -> Result<T, E>
where
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
    F: FnOnce() -> Result<T, E> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        Err(join) => Err(E::from(DbError { kind: DbErrorKind::Other, message: format!("database task failed: {join}") })),
    }
}

/// Wraps the caller's error so diesel can roll back on it.
enum TxError<E> {
    App(E),
    Db(diesel::result::Error),
}

impl<E> From<diesel::result::Error> for TxError<E> {
    fn from(e: diesel::result::Error) -> Self {
        TxError::Db(e)
    }
}

fn in_transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    E: From<DbError>,
    F: FnOnce(&mut DbConn) -> Result<T, E>,
{
    use diesel::connection::TransactionManager;
    // A write that panics is rolled back here: diesel leaves its transaction open, and the
    // connection would go back to the pool with it (the next user's commit storing it).
    let outcome =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| conn.transaction::<T, TxError<E>, _>(|c| f(c).map_err(TxError::App))));
    match outcome {
        Ok(result) => result.map_err(|e| match e {
            TxError::App(e) => e,
            TxError::Db(e) => E::from(DbError::from(e)),
        }),
        Err(panic) => {
            let _ = <DbConn as Connection>::TransactionManager::rollback_transaction(conn);
            std::panic::resume_unwind(panic)
        }
    }
}

/// Applies pending migrations. Several processes may start at once on one database: on
/// PostgreSQL they take turns on an advisory lock; on SQLite the migrations run in one
/// exclusive transaction. Whoever comes second finds nothing left to do.
pub fn run_migrations(conn: &mut DbConn) -> DbResult<()> {
    use diesel::connection::SimpleConnection;
    let failed = |e: &dyn std::fmt::Display| DbError { kind: DbErrorKind::Other, message: format!("migration failed: {e}") };
    match conn {
        DbConn::Sqlite(c) => c
            .exclusive_transaction(|c| c.run_pending_migrations(gilde_schema::SQLITE_MIGRATIONS).map(|_| ()).map_err(TxError::App))
            .map_err(|e: TxError<Box<dyn std::error::Error + Send + Sync>>| match e {
                TxError::App(e) => failed(&e),
                TxError::Db(e) => failed(&e),
            }),
        DbConn::Pg(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).map_err(|e| failed(&e))?;
            let result = c.run_pending_migrations(gilde_schema::POSTGRES_MIGRATIONS).map(|_| ()).map_err(|e| failed(&e));
            let unlocked = c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).map_err(|e| failed(&e));
            result.and(unlocked)
        }
    }
}

/// Writes a consistent copy of a SQLite database to `path` while it is in use (`VACUUM INTO`).
/// `Ok(false)` on PostgreSQL, which is backed up with its own tools.
pub fn backup_sqlite(conn: &mut DbConn, path: &std::path::Path) -> DbResult<bool> {
    use diesel::connection::SimpleConnection;
    match conn {
        DbConn::Sqlite(c) => {
            let quoted = path.display().to_string().replace('\'', "''");
            c.batch_execute(&format!("VACUUM INTO '{quoted}'"))?;
            Ok(true)
        }
        DbConn::Pg(_) => Ok(false),
    }
}

/// The advisory lock migrations take on PostgreSQL (any number no one else uses).
const MIGRATION_LOCK: i64 = 0x6769_6c64_6500;

/// Is the database reachable, with every migration of this build applied?
pub fn ready(conn: &mut DbConn) -> DbResult<bool> {
    use diesel::connection::SimpleConnection;
    conn.batch_execute("SELECT 1")?;
    let pending = match conn {
        DbConn::Sqlite(c) => c.has_pending_migration(gilde_schema::SQLITE_MIGRATIONS),
        DbConn::Pg(c) => c.has_pending_migration(gilde_schema::POSTGRES_MIGRATIONS),
    };
    Ok(!pending.map_err(|e| DbError { kind: DbErrorKind::Other, message: format!("cannot read the migrations: {e}") })?)
}

/// Current time as stored: UTC without a zone, to the microsecond (what PostgreSQL keeps).
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// A page of rows by id, newest first (Mastodon's `max_id`, `since_id`, `min_id`, `limit`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Page {
    pub max_id: Option<i64>,
    pub since_id: Option<i64>,
    pub min_id: Option<i64>,
    pub limit: i64,
}

diesel::define_sql_function! {
    /// SQL `lower(text)`, the same on both backends.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// Escapes `%`, `_` and `\` for a LIKE pattern that finds `needle` anywhere.
pub fn contains_pattern(needle: &str) -> String {
    let mut p = String::with_capacity(needle.len() + 2);
    p.push('%');
    for ch in needle.to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    p
}

/// The backend type of `DbConn`, for boxed queries.
pub type Sql = <DbConn as diesel::Connection>::Backend;

/// `column IN (ids)` with all the ids in one bind parameter (a JSON array for SQLite, an array
/// for PostgreSQL), so that the statement's text is the same for any number of ids and its
/// prepared form is reused. Diesel's `eq_any` writes one parameter per id, which makes every
/// list a new statement to parse and plan; for the batched reads behind every page (people,
/// groups, mentions, files of 20 posts) that parsing was a fifth of a timeline request's time.
pub fn in_ids<C, I>(column: C, ids: I) -> InIds<C>
where
    I: IntoIterator,
    I::Item: Into<i64>,
{
    let mut list = String::new();
    for (n, id) in ids.into_iter().enumerate() {
        if n > 0 {
            list.push(',');
        }
        list.push_str(&id.into().to_string());
    }
    InIds { column, json: format!("[{list}]"), array: format!("{{{list}}}") }
}

/// See `in_ids`.
#[derive(Debug, Clone)]
pub struct InIds<C> {
    column: C,
    json: String,
    array: String,
}

impl<C> diesel::Expression for InIds<C> {
    type SqlType = diesel::sql_types::Bool;
}

impl<C: diesel::AppearsOnTable<QS>, QS: ?Sized> diesel::AppearsOnTable<QS> for InIds<C> {}

impl<C: diesel::SelectableExpression<QS>, QS: ?Sized> diesel::SelectableExpression<QS> for InIds<C> {}

impl<C: diesel::expression::ValidGrouping<G>, G> diesel::expression::ValidGrouping<G> for InIds<C> {
    type IsAggregate = C::IsAggregate;
}

impl<C> diesel::query_builder::QueryId for InIds<C> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<C: diesel::query_builder::QueryFragment<Sql>> diesel::query_builder::QueryFragment<Sql> for InIds<C> {
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, Sql>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        match out.backend() {
            MultiBackend::Sqlite(_) => {
                out.push_sql(" IN (SELECT value FROM json_each(");
                out.push_bind_param::<diesel::sql_types::Text, _>(&self.json)?;
                out.push_sql("))");
            }
            MultiBackend::Pg(_) => {
                out.push_sql(" = ANY(CAST(");
                out.push_bind_param::<diesel::sql_types::Text, _>(&self.array)?;
                out.push_sql(" AS BIGINT[]))");
            }
        }
        Ok(())
    }
}

/// A statement written as SQL text with integer parameters, for the few reads diesel's query
/// builder cannot express (a union of per-source reads). Unlike diesel's boxed `sql_query`,
/// which is prepared again on every run, it is kept prepared, keyed by its text: build texts
/// whose shape depends only on a few sizes, never on values.
#[derive(Debug, Default)]
pub(crate) struct RawStatement {
    pieces: Vec<RawPiece>,
}

#[derive(Debug)]
enum RawPiece {
    Sql(String),
    Int(i64),
}

impl RawStatement {
    pub(crate) fn sql(&mut self, text: &str) -> &mut Self {
        match self.pieces.last_mut() {
            Some(RawPiece::Sql(last)) => last.push_str(text),
            _ => self.pieces.push(RawPiece::Sql(text.to_string())),
        }
        self
    }

    /// A parameter (written `?` or `$n` as the backend wants).
    pub(crate) fn int(&mut self, value: i64) -> &mut Self {
        self.pieces.push(RawPiece::Int(value));
        self
    }
}

impl diesel::query_builder::QueryId for RawStatement {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl diesel::query_builder::Query for RawStatement {
    type SqlType = diesel::sql_types::Untyped;
}

impl diesel::query_builder::QueryFragment<Sql> for RawStatement {
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, Sql>) -> QueryResult<()> {
        for piece in &self.pieces {
            match piece {
                RawPiece::Sql(text) => out.push_sql(text),
                RawPiece::Int(value) => out.push_bind_param::<diesel::sql_types::BigInt, _>(value)?,
            }
        }
        Ok(())
    }
}

impl RunQueryDsl<DbConn> for RawStatement {}

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, diesel_derive_newtype::DieselNewType, serde::Serialize, serde::Deserialize)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    )*};
}

id_type!(
    /// A person, local or remote.
    PersonId,
    /// A group, local or remote.
    GroupId,
    /// A post: a thread's first post or a reply.
    PostId,
    /// A notification.
    NotificationId,
    /// A registered OAuth application.
    AppId,
    /// An uploaded file (image or document), or a remote post's attachment.
    MediaId,
);

/// Applies a `Page` to a boxed query over a table whose id column is `$id`.
macro_rules! paginate {
    ($query:expr, $id:expr, $page:expr) => {{
        let page: $crate::db::Page = $page;
        let mut q = $query;
        if let Some(max) = page.max_id {
            q = q.filter($id.lt(max));
        }
        if let Some(since) = page.since_id {
            q = q.filter($id.gt(since));
        }
        if let Some(min) = page.min_id {
            q = q.filter($id.gt(min)).order($id.asc());
        } else {
            q = q.order($id.desc());
        }
        q.limit(page.limit)
    }};
}
pub(crate) use paginate;

/// Puts rows fetched with `min_id` (oldest first) back in newest-first order.
pub fn newest_first<T>(mut rows: Vec<T>, page: Page) -> Vec<T> {
    if page.min_id.is_some() {
        rows.reverse();
    }
    rows
}
