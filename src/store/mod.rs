//! Persistence: one `Store` over SQLite (the embedded default) and PostgreSQL (deployment).
//!
//! Every query is written once, with `$1` placeholders that both databases understand,
//! and carried to either backend by [`Sql`]. Money is BIGINT øre, so sums and ordering
//! agree between the two. Each write that changes state records its audit event in the
//! same transaction ([`Tx::audit`]).

pub mod applications;
pub mod assessment;
mod audit;
pub mod decisions;
mod error;
pub mod organisations;
mod register;
mod report;
pub mod rounds;
pub mod scenarios;
pub mod statistics;
pub mod uploads;
pub mod users;

use std::str::FromStr;
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
pub use users::{ApiTokenSummary, LoginCandidate, LoginOutcome, UserSummary, insert_user};

use crate::domain::audit::NewAuditEvent;
pub use error::{StoreError, StoreResult};

#[derive(Clone, Debug)]
pub enum Store {
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

macro_rules! bind_args {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                Arg::Int(v) => query.bind(*v),
                Arg::Text(v) => query.bind(v.clone()),
                Arg::Bool(v) => query.bind(*v),
                Arg::Time(v) => query.bind(*v),
                Arg::Date(v) => query.bind(*v),
                Arg::Bytes(v) => query.bind(v.clone()),
            };
        }
        query
    }};
}

/// Runs `$q` on `$conn` (a pool or a transaction's connection) with the chosen fetch method.
macro_rules! run_query {
    (as $T:ty, $conn:expr, $q:expr, $method:ident) => {
        bind_args!(sqlx::query_as::<_, $T>($q.text), &$q.args)
            .$method($conn)
            .await
            .map_err(StoreError::from)
    };
    (exec, $conn:expr, $q:expr) => {
        bind_args!(sqlx::query($q.text), &$q.args)
            .execute($conn)
            .await
            .map(|r| r.rows_affected())
            .map_err(StoreError::from)
    };
}

/// A transaction on either backend. Dropped without `commit`, it rolls back.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub async fn fetch_all<T: Record>(&mut self, q: Sql) -> StoreResult<Vec<T>> {
        match self {
            Tx::Sqlite(tx) => run_query!(as T, &mut **tx, q, fetch_all),
            Tx::Postgres(tx) => run_query!(as T, &mut **tx, q, fetch_all),
        }
    }

    pub async fn fetch_optional<T: Record>(&mut self, q: Sql) -> StoreResult<Option<T>> {
        match self {
            Tx::Sqlite(tx) => run_query!(as T, &mut **tx, q, fetch_optional),
            Tx::Postgres(tx) => run_query!(as T, &mut **tx, q, fetch_optional),
        }
    }

    pub async fn fetch_one<T: Record>(&mut self, q: Sql) -> StoreResult<T> {
        match self {
            Tx::Sqlite(tx) => run_query!(as T, &mut **tx, q, fetch_one),
            Tx::Postgres(tx) => run_query!(as T, &mut **tx, q, fetch_one),
        }
    }

    pub async fn execute(&mut self, q: Sql) -> StoreResult<u64> {
        match self {
            Tx::Sqlite(tx) => run_query!(exec, &mut **tx, q),
            Tx::Postgres(tx) => run_query!(exec, &mut **tx, q),
        }
    }

    /// Serialises this transaction with every other that takes the same `key` until it
    /// ends: a PostgreSQL advisory lock. On SQLite the transaction's first write already
    /// holds the database's write lock, so nothing more is needed there.
    pub async fn lock_key(&mut self, key: &str) -> StoreResult<()> {
        if let Tx::Postgres(_) = self {
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
        match self {
            Tx::Sqlite(tx) => tx.rollback().await?,
            Tx::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }

    pub async fn commit(self) -> StoreResult<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    /// Records an audit event as part of this transaction.
    pub async fn audit(&mut self, event: NewAuditEvent) -> StoreResult<()> {
        audit::insert(self, event).await
    }
}

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
            Ok(Store::Postgres(pool))
        } else {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                // Writers queue behind each other instead of failing at once.
                .busy_timeout(Duration::from_secs(30));
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(options)
                .await?;
            Ok(Store::Sqlite(pool))
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Store::Sqlite(_) => Backend::Sqlite,
            Store::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Store::Sqlite(pool) => sqlx::migrate!("migrations/sqlite").run(pool).await?,
            Store::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    pub async fn begin(&self) -> StoreResult<Tx> {
        Ok(match self {
            Store::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Store::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    pub async fn close(&self) {
        match self {
            Store::Sqlite(pool) => pool.close().await,
            Store::Postgres(pool) => pool.close().await,
        }
    }

    pub async fn fetch_all<T: Record>(&self, q: Sql) -> StoreResult<Vec<T>> {
        match self {
            Store::Sqlite(pool) => run_query!(as T, pool, q, fetch_all),
            Store::Postgres(pool) => run_query!(as T, pool, q, fetch_all),
        }
    }

    pub async fn fetch_optional<T: Record>(&self, q: Sql) -> StoreResult<Option<T>> {
        match self {
            Store::Sqlite(pool) => run_query!(as T, pool, q, fetch_optional),
            Store::Postgres(pool) => run_query!(as T, pool, q, fetch_optional),
        }
    }

    pub async fn fetch_one<T: Record>(&self, q: Sql) -> StoreResult<T> {
        match self {
            Store::Sqlite(pool) => run_query!(as T, pool, q, fetch_one),
            Store::Postgres(pool) => run_query!(as T, pool, q, fetch_one),
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
