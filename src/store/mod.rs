//! Persistence: one `Store` over SQLite (the embedded default) and PostgreSQL (deployment).
//!
//! Every query is written once, with `$1` placeholders that both databases understand,
//! and carried to either backend by [`Sql`]. Money is BIGINT øre, so sums and ordering
//! agree between the two. Each write that changes state records its audit event in the
//! same transaction ([`Tx::audit`]).

/// Which applications count in a round's totals (a condition on the `status` column of
/// `applications`, under the given table prefix); shared by every query that sums them.
macro_rules! counted_in_totals {
    ($prefix:literal) => {
        concat!($prefix, "status NOT IN ('draft', 'withdrawn')")
    };
}

pub mod applications;
pub mod assessment;
mod audit;
mod cache;
pub mod decisions;
mod error;
mod follow;
pub mod followup;
pub mod organisations;
pub mod outbox;
mod register;
mod report;
pub mod rounds;
pub mod scenarios;
pub mod sso;
pub mod statistics;
pub mod transfer;
pub mod uploads;
pub mod users;
pub mod worklist;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{FromRow, PgPool, Postgres, Sqlite, SqlitePool, Transaction};

pub use applications::{NewApplication, insert_application};
pub use assessment::{ApplicationAssessment, Conflict, CriterionScore, Declaration, decimal_text};
pub use audit::{AUDIT_PAGE_LIMIT, AuditEvent, AuditFilter};
pub use decisions::Decision;
pub use organisations::ApplicantChoice;
pub use organisations::{ensure_municipality_organisation, insert_collaboration};
pub use register::{insert_changes, insert_division};
pub use rounds::RoundOrigin;
pub use rounds::insert_round;
pub use scenarios::{Computed, SnapshotSummary, StoredScenario, claimants, frozen_applicants};
pub use statistics::{
    ImportCounts, IndicatorRow, NewObservation, ObservationKey, ObservationRow, observation_label,
};
pub use statistics::{insert_observation, upsert_indicator};
pub use uploads::{ApplicationVersion, NewUpload, Upload, insert_version};
pub use users::{ApiTokenSummary, Caller, LoginCandidate, LoginOutcome, UserSummary, insert_user};

use crate::domain::audit::NewAuditEvent;
pub use error::{StoreError, StoreResult};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The database and what is kept in memory of it. Cheap to clone: every clone shares the
/// pool and the caches.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    cache: Arc<cache::Caches>,
    /// SQLite has one writer at a time; transactions of this process queue here instead
    /// of in SQLite's busy handler, which sleeps in steps of up to 100 ms.
    sqlite_writer: Arc<tokio::sync::Semaphore>,
}

#[derive(Clone, Debug)]
enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A value bound to a `$n` placeholder.
#[derive(Debug, Clone)]
pub enum Arg {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(bool),
    Time(DateTime<Utc>),
    Date(Option<NaiveDate>),
    Bytes(Vec<u8>),
}

macro_rules! impl_into_arg {
    ($($t:ty => |$v:ident| $e:expr),* $(,)?) => {
        $(impl From<$t> for Arg { fn from($v: $t) -> Arg { $e } })*
    };
}

impl_into_arg! {
    i64 => |v| Arg::Int(Some(v)),
    i32 => |v| Arg::Int(Some(i64::from(v))),
    Option<i64> => |v| Arg::Int(v),
    String => |v| Arg::Text(Some(v)),
    &str => |v| Arg::Text(Some(v.to_string())),
    &String => |v| Arg::Text(Some(v.clone())),
    Option<String> => |v| Arg::Text(v),
    Option<&str> => |v| Arg::Text(v.map(str::to_string)),
    bool => |v| Arg::Bool(v),
    DateTime<Utc> => |v| Arg::Time(v),
    NaiveDate => |v| Arg::Date(Some(v)),
    Option<NaiveDate> => |v| Arg::Date(v),
    Vec<u8> => |v| Arg::Bytes(v),
}

/// One SQL statement with its arguments, runnable on either backend.
#[derive(Debug, Clone)]
pub struct Sql {
    text: &'static str,
    args: Vec<Arg>,
}

pub fn sql(text: &'static str) -> Sql {
    Sql {
        text,
        args: Vec::new(),
    }
}

impl Sql {
    pub fn bind(mut self, value: impl Into<Arg>) -> Self {
        self.args.push(value.into());
        self
    }
}

/// A row type that decodes from both backends.
pub trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

/// Binds the arguments by moving them: an uploaded file or a preview is not copied.
macro_rules! bind_args {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                Arg::Int(v) => query.bind(v),
                Arg::Text(v) => query.bind(v),
                Arg::Bool(v) => query.bind(v),
                Arg::Time(v) => query.bind(v),
                Arg::Date(v) => query.bind(v),
                Arg::Bytes(v) => query.bind(v),
            };
        }
        query
    }};
}

/// Runs `$q` on `$conn` (a pool or a transaction's connection) with the chosen fetch method.
macro_rules! run_query {
    (as $T:ty, $conn:expr, $q:expr, $method:ident) => {
        bind_args!(sqlx::query_as::<_, $T>($q.text), $q.args)
            .$method($conn)
            .await
            .map_err(StoreError::from)
    };
    (exec, $conn:expr, $q:expr) => {
        bind_args!(sqlx::query($q.text), $q.args)
            .execute($conn)
            .await
            .map(|r| r.rows_affected())
            .map_err(StoreError::from)
    };
}

/// A transaction on either backend. Dropped without `commit`, it rolls back.
pub struct Tx {
    inner: TxInner,
    /// A statement other than a SELECT ran: the commit bumps the `writes` data version.
    wrote: bool,
    /// SQLite: this process's turn to write, until the transaction ends.
    _turn: Option<tokio::sync::OwnedSemaphorePermit>,
    caches: Arc<cache::Caches>,
    /// Audit events recorded so far, each with its time; written together at commit.
    audit: Vec<(DateTime<Utc>, NewAuditEvent)>,
}

enum TxInner {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    fn note_write(&mut self, q: &Sql) {
        let verb = q.text.trim_start().get(..6).unwrap_or_default();
        self.wrote |= !verb.eq_ignore_ascii_case("select");
    }

    pub async fn fetch_all<T: Record>(&mut self, q: Sql) -> StoreResult<Vec<T>> {
        self.note_write(&q);
        match &mut self.inner {
            TxInner::Sqlite(tx) => run_query!(as T, &mut **tx, q, fetch_all),
            TxInner::Postgres(tx) => run_query!(as T, &mut **tx, q, fetch_all),
        }
    }

    pub async fn fetch_optional<T: Record>(&mut self, q: Sql) -> StoreResult<Option<T>> {
        self.note_write(&q);
        match &mut self.inner {
            TxInner::Sqlite(tx) => run_query!(as T, &mut **tx, q, fetch_optional),
            TxInner::Postgres(tx) => run_query!(as T, &mut **tx, q, fetch_optional),
        }
    }

    pub async fn fetch_one<T: Record>(&mut self, q: Sql) -> StoreResult<T> {
        self.note_write(&q);
        match &mut self.inner {
            TxInner::Sqlite(tx) => run_query!(as T, &mut **tx, q, fetch_one),
            TxInner::Postgres(tx) => run_query!(as T, &mut **tx, q, fetch_one),
        }
    }

    pub async fn execute(&mut self, q: Sql) -> StoreResult<u64> {
        self.note_write(&q);
        match &mut self.inner {
            TxInner::Sqlite(tx) => run_query!(exec, &mut **tx, q),
            TxInner::Postgres(tx) => run_query!(exec, &mut **tx, q),
        }
    }

    /// Serialises this transaction with every other that takes the same `key` until it
    /// ends: a PostgreSQL advisory lock. On SQLite the transaction's first write already
    /// holds the database's write lock, so nothing more is needed there.
    pub async fn lock_key(&mut self, key: &str) -> StoreResult<()> {
        if let TxInner::Postgres(_) = self.inner {
            self.fetch_one::<(i64,)>(
                sql("SELECT CAST(1 AS BIGINT) FROM (SELECT pg_advisory_xact_lock(hashtext($1))) AS l")
                    .bind(key),
            )
            .await?;
        }
        Ok(())
    }

    /// `INSERT … RETURNING id`.
    pub async fn insert(&mut self, q: Sql) -> StoreResult<i64> {
        Ok(self.fetch_one::<(i64,)>(q).await?.0)
    }

    /// Ends the transaction without writing, at once (a dropped one rolls back too, but
    /// only when its connection is next used).
    pub async fn rollback(self) -> StoreResult<()> {
        match self.inner {
            TxInner::Sqlite(tx) => tx.rollback().await?,
            TxInner::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }

    /// Commits; a transaction that wrote bumps the `writes` data version first, as its
    /// last statement, so the counter's row lock (PostgreSQL) is held only while it
    /// commits, after every other lock it took: writers cannot deadlock on it. An
    /// instance that follows the counters takes in its own change at once, so its next
    /// request does not wait for the announcement.
    pub async fn commit(mut self) -> StoreResult<()> {
        let events = std::mem::take(&mut self.audit);
        audit::insert_all(&mut self, events).await?;
        let mut reading = Vec::new();
        if self.wrote {
            self.execute(sql(
                "UPDATE data_versions SET version = version + 1 WHERE name = 'writes'",
            ))
            .await?;
            if self.caches.live.sum().is_some() {
                reading = self
                    .fetch_all::<(String, i64)>(sql("SELECT name, version FROM data_versions"))
                    .await?;
            }
        }
        match self.inner {
            TxInner::Sqlite(tx) => tx.commit().await?,
            TxInner::Postgres(tx) => tx.commit().await?,
        }
        for (name, version) in &reading {
            self.caches.live.raise(name, *version);
        }
        Ok(())
    }

    /// Records an audit event as part of this transaction: written when it commits,
    /// with the transaction's other events in one statement, and never without it.
    pub async fn audit(&mut self, event: NewAuditEvent) -> StoreResult<()> {
        self.audit.push((Utc::now(), event));
        Ok(())
    }
}

/// How long a writer waits for SQLite's one write turn before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Which database, for the README's and the health page's sake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Store {
    /// Connects to `url`: `postgres://…` for PostgreSQL, otherwise a SQLite file that is
    /// created when missing. `pg_schema` puts every table in that PostgreSQL schema (for
    /// sharing one database between installations, and for isolating tests).
    pub async fn connect(url: &str, pg_schema: Option<&str>) -> anyhow::Result<Store> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let mut options = PgConnectOptions::from_str(url)?;
            if let Some(schema) = pg_schema {
                options = options.options([("search_path", schema)]);
            }
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            Ok(Store::new(Db::Postgres(pool)))
        } else {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                // Writers (of other processes: the CLI) queue behind each other instead
                // of failing at once.
                .busy_timeout(SQLITE_BUSY_TIMEOUT);
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(options)
                .await?;
            Ok(Store::new(Db::Sqlite(pool)))
        }
    }

    fn new(db: Db) -> Store {
        Store {
            db,
            cache: Arc::default(),
            sqlite_writer: Arc::new(tokio::sync::Semaphore::new(1)),
        }
    }

    /// The SQLite pool, for tests and tools that need the connection itself.
    pub fn sqlite_pool(&self) -> Option<&SqlitePool> {
        match &self.db {
            Db::Sqlite(pool) => Some(pool),
            Db::Postgres(_) => None,
        }
    }

    /// The PostgreSQL pool, for tests and tools that need the connection itself.
    pub fn pg_pool(&self) -> Option<&PgPool> {
        match &self.db {
            Db::Postgres(pool) => Some(pool),
            Db::Sqlite(_) => None,
        }
    }

    pub fn backend(&self) -> Backend {
        match &self.db {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Brings the schema up to date. On PostgreSQL the migrator holds an advisory lock
    /// while it works, so instances started at once migrate one after the other: the
    /// second finds nothing left to do.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match &self.db {
            Db::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// The migrations this program carries that the database has not applied (for
    /// `/readyz`): empty when the schema is current.
    pub async fn pending_migrations(&self) -> StoreResult<Vec<i64>> {
        let migrator = match &self.db {
            Db::Sqlite(_) => &SQLITE_MIGRATIONS,
            Db::Postgres(_) => &POSTGRES_MIGRATIONS,
        };
        let applied: Vec<(i64,)> = self
            .fetch_all(sql("SELECT version FROM _sqlx_migrations WHERE success"))
            .await?;
        let applied: std::collections::BTreeSet<i64> = applied.into_iter().map(|(v,)| v).collect();
        Ok(migrator
            .iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .map(|m| m.version)
            .filter(|v| !applied.contains(v))
            .collect())
    }

    /// This instance's connections: open, idle, and the most it may open.
    pub fn pool_use(&self) -> (u32, usize, u32) {
        match &self.db {
            Db::Sqlite(pool) => (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            ),
            Db::Postgres(pool) => (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            ),
        }
    }

    pub async fn begin(&self) -> StoreResult<Tx> {
        let (inner, turn) = match &self.db {
            Db::Sqlite(pool) => {
                let turn = tokio::time::timeout(
                    SQLITE_BUSY_TIMEOUT,
                    Arc::clone(&self.sqlite_writer).acquire_owned(),
                )
                .await
                .map_err(|_| StoreError::Database(sqlx::Error::PoolTimedOut))?
                .map_err(|_| StoreError::Database(sqlx::Error::PoolTimedOut))?;
                // IMMEDIATE: the write lock is taken (or waited for) before the first
                // read, so a transaction that reads and then writes never finds its
                // snapshot outdated by a writer of another connection or process
                // (SQLITE_BUSY_SNAPSHOT, which no busy timeout waits out).
                (
                    TxInner::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
                    Some(turn),
                )
            }
            Db::Postgres(pool) => (TxInner::Postgres(pool.begin().await?), None),
        };
        Ok(Tx {
            inner,
            wrote: false,
            _turn: turn,
            caches: Arc::clone(&self.cache),
            audit: Vec::new(),
        })
    }

    /// PostgreSQL: from now on, learn of every change as it is committed (LISTEN/NOTIFY)
    /// instead of asking per request, so a known caller's kept answer costs no round
    /// trip. For a long-running server; does nothing on SQLite, where asking is cheap.
    pub fn follow_changes(&self) {
        if let Db::Postgres(pool) = &self.db {
            follow::spawn(pool.clone(), Arc::clone(&self.cache));
        }
    }

    /// True once this instance knows the data versions without asking (see
    /// [`Store::follow_changes`]).
    pub fn follows_changes(&self) -> bool {
        self.cache.live.sum().is_some()
    }

    /// The sum of the data versions as this instance knows it without asking; `None`
    /// unless it follows them.
    pub fn known_data_version(&self) -> Option<i64> {
        self.cache.live.sum()
    }

    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }

    pub async fn fetch_all<T: Record>(&self, q: Sql) -> StoreResult<Vec<T>> {
        match &self.db {
            Db::Sqlite(pool) => run_query!(as T, pool, q, fetch_all),
            Db::Postgres(pool) => run_query!(as T, pool, q, fetch_all),
        }
    }

    pub async fn fetch_optional<T: Record>(&self, q: Sql) -> StoreResult<Option<T>> {
        match &self.db {
            Db::Sqlite(pool) => run_query!(as T, pool, q, fetch_optional),
            Db::Postgres(pool) => run_query!(as T, pool, q, fetch_optional),
        }
    }

    pub async fn fetch_one<T: Record>(&self, q: Sql) -> StoreResult<T> {
        match &self.db {
            Db::Sqlite(pool) => run_query!(as T, pool, q, fetch_one),
            Db::Postgres(pool) => run_query!(as T, pool, q, fetch_one),
        }
    }

    /// One statement in a transaction of its own, which does not count as a change of the
    /// data (see [`Tx::commit`]): only for bookkeeping no answer shows.
    pub async fn execute(&self, q: Sql) -> StoreResult<u64> {
        match &self.db {
            Db::Sqlite(pool) => run_query!(exec, pool, q),
            Db::Postgres(pool) => run_query!(exec, pool, q),
        }
    }

    /// Answers when the database answers; for `/healthz`.
    pub async fn ping(&self) -> StoreResult<()> {
        self.fetch_one::<(i64,)>(sql("SELECT CAST(1 AS BIGINT)"))
            .await?;
        Ok(())
    }

    /// True when nothing but the migrations is in the database: the only state in which
    /// sample data may be loaded.
    pub async fn is_empty(&self) -> StoreResult<bool> {
        let (count,): (i64,) = self
            .fetch_one(sql(
                "SELECT CAST((SELECT COUNT(*) FROM rounds) + (SELECT COUNT(*) FROM municipalities) \
                 + (SELECT COUNT(*) FROM organisations) + (SELECT COUNT(*) FROM indicators) AS BIGINT)",
            ))
            .await?;
        Ok(count == 0)
    }
}
