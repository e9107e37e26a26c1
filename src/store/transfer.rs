//! A whole database moved between stores, whatever their backends: `tilskudd copy-data`
//! (SQLite to PostgreSQL) and `tilskudd restore` (a backup into an empty database).
//!
//! Every table is copied with its ids, parents before children, in one transaction per
//! table; PostgreSQL's identity sequences then continue after the highest id. Afterwards
//! each table's row count and checksum are compared on both sides. The checksum is the
//! sum of one SHA-256 per row over its values in a form both backends give alike (times
//! to the microsecond, as PostgreSQL keeps them), so it needs no common sort order.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use sha2::{Digest, Sha256};
use sqlx::{AssertSqlSafe, Row};

use super::{Db, Store, StoreError, StoreResult};

/// Not copied: sqlx's and SQLite's bookkeeping, and the data version counters, which
/// each database keeps for its own caches (the target's start over, as after a restart).
const NOT_COPIED: &[&str] = &["_sqlx_migrations", "sqlite_sequence", "data_versions"];

/// Rows read and written at a time: a few large upload originals, or many small rows,
/// within every backend's limit on bound values.
const BATCH_ROWS: usize = 100;
const BATCH_VALUES: usize = 4000;

/// How a column's values are carried between the backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Text,
    Bool,
    Time,
    Date,
    Bytes,
}

#[derive(Debug, Clone)]
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(Option<bool>),
    Time(Option<DateTime<Utc>>),
    Date(Option<NaiveDate>),
    Bytes(Option<Vec<u8>>),
}

/// A table as the copy sees it.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    columns: Vec<(String, Kind)>,
    key: Vec<String>,
    /// PostgreSQL: the column filled by an identity sequence.
    identity: Option<String>,
}

/// A table's rows and checksum on one side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDigest {
    pub table: String,
    pub rows: u64,
    pub checksum: String,
}

fn kind_of_pg(data_type: &str) -> Kind {
    match data_type {
        "bigint" | "integer" | "smallint" => Kind::Int,
        "boolean" => Kind::Bool,
        t if t.starts_with("timestamp") => Kind::Time,
        "date" => Kind::Date,
        "bytea" => Kind::Bytes,
        _ => Kind::Text,
    }
}

fn kind_of_sqlite(declared: &str) -> Kind {
    let t = declared.to_ascii_uppercase();
    if t.contains("INT") {
        Kind::Int
    } else if t.contains("BOOL") {
        Kind::Bool
    } else if t.contains("BLOB") {
        Kind::Bytes
    } else if t.contains("TIMESTAMP") || t.contains("DATETIME") {
        Kind::Time
    } else if t == "DATE" {
        Kind::Date
    } else {
        Kind::Text
    }
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

macro_rules! bind_values {
    ($query:expr, $values:expr) => {{
        let mut query = $query;
        for value in $values {
            query = match value {
                Value::Int(v) => query.bind(v),
                Value::Text(v) => query.bind(v),
                Value::Bool(v) => query.bind(v),
                Value::Time(v) => query.bind(v),
                Value::Date(v) => query.bind(v),
                Value::Bytes(v) => query.bind(v),
            };
        }
        query
    }};
}

macro_rules! read_value {
    ($row:expr, $i:expr, $kind:expr) => {
        match $kind {
            Kind::Int => Value::Int($row.try_get($i)?),
            Kind::Text => Value::Text($row.try_get($i)?),
            Kind::Bool => Value::Bool($row.try_get($i)?),
            Kind::Time => Value::Time($row.try_get($i)?),
            Kind::Date => Value::Date($row.try_get($i)?),
            Kind::Bytes => Value::Bytes($row.try_get($i)?),
        }
    };
}

impl Store {
    /// SQLite: a consistent copy of the whole database into a new file, taken in one
    /// read transaction while others go on writing.
    pub async fn vacuum_into(&self, file: &std::path::Path) -> StoreResult<()> {
        match &self.db {
            Db::Sqlite(pool) => {
                sqlx::query("VACUUM INTO $1")
                    .bind(file.to_string_lossy().into_owned())
                    .execute(pool)
                    .await?;
                Ok(())
            }
            Db::Postgres(_) => Err(StoreError::Database(sqlx::Error::Protocol(
                "VACUUM INTO finnes bare i SQLite".into(),
            ))),
        }
    }

    /// SQLite's own check of a database file: `ok`, or what is wrong.
    pub async fn integrity_check(&self) -> StoreResult<String> {
        match &self.db {
            Db::Sqlite(pool) => {
                let rows: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check")
                    .fetch_all(pool)
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|(r,)| r)
                    .collect::<Vec<_>>()
                    .join("; "))
            }
            Db::Postgres(_) => Ok("ok".into()),
        }
    }

    fn is_postgres(&self) -> bool {
        matches!(self.db, Db::Postgres(_))
    }

    /// The copied tables as this database describes them, parents before children.
    pub async fn tables_in_copy_order(&self) -> StoreResult<Vec<Table>> {
        let (names, parents): (Vec<String>, Vec<(String, String)>) = match &self.db {
            Db::Sqlite(pool) => {
                let names: Vec<(String,)> = sqlx::query_as(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                )
                .fetch_all(pool)
                .await?;
                let parents: Vec<(String, String)> = sqlx::query_as(
                    "SELECT m.name, p.\"table\" FROM sqlite_master m, pragma_foreign_key_list(m.name) p \
                     WHERE m.type = 'table'",
                )
                .fetch_all(pool)
                .await?;
                (names.into_iter().map(|(n,)| n).collect(), parents)
            }
            Db::Postgres(pool) => {
                let names: Vec<(String,)> = sqlx::query_as(
                    "SELECT table_name::text FROM information_schema.tables \
                     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
                )
                .fetch_all(pool)
                .await?;
                let parents: Vec<(String, String)> = sqlx::query_as(
                    "SELECT child.relname::text, parent.relname::text FROM pg_constraint c \
                     JOIN pg_class child ON child.oid = c.conrelid \
                     JOIN pg_class parent ON parent.oid = c.confrelid \
                     WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace",
                )
                .fetch_all(pool)
                .await?;
                (names.into_iter().map(|(n,)| n).collect(), parents)
            }
        };
        let names: BTreeSet<String> = names
            .into_iter()
            .filter(|n| !NOT_COPIED.contains(&n.as_str()))
            .collect();
        let mut waiting: BTreeMap<String, BTreeSet<String>> =
            names.iter().map(|n| (n.clone(), BTreeSet::new())).collect();
        for (child, parent) in parents {
            // A table referring to itself (a decision replacing another) is copied in id
            // order, which puts the earlier row first.
            if child != parent
                && names.contains(&parent)
                && let Some(set) = waiting.get_mut(&child)
            {
                set.insert(parent);
            }
        }
        let mut order = Vec::new();
        while !waiting.is_empty() {
            let ready: Vec<String> = waiting
                .iter()
                .filter(|(_, parents)| parents.is_empty())
                .map(|(n, _)| n.clone())
                .collect();
            if ready.is_empty() {
                return Err(StoreError::Database(sqlx::Error::Protocol(format!(
                    "tabellene {} viser til hverandre i ring og kan ikke kopieres i rekkefølge",
                    waiting.keys().cloned().collect::<Vec<_>>().join(", ")
                ))));
            }
            for name in ready {
                waiting.remove(&name);
                for parents in waiting.values_mut() {
                    parents.remove(&name);
                }
                order.push(name);
            }
        }
        let mut tables = Vec::with_capacity(order.len());
        for name in order {
            tables.push(self.table(&name).await?);
        }
        Ok(tables)
    }

    async fn table(&self, name: &str) -> StoreResult<Table> {
        match &self.db {
            Db::Sqlite(pool) => {
                let columns: Vec<(String, String, i64)> =
                    sqlx::query_as("SELECT name, type, pk FROM pragma_table_info($1) ORDER BY cid")
                        .bind(name)
                        .fetch_all(pool)
                        .await?;
                let mut key: Vec<(i64, String)> = columns
                    .iter()
                    .filter(|c| c.2 > 0)
                    .map(|c| (c.2, c.0.clone()))
                    .collect();
                key.sort();
                Ok(Table {
                    name: name.to_string(),
                    columns: columns
                        .into_iter()
                        .map(|(n, t, _)| (n, kind_of_sqlite(&t)))
                        .collect(),
                    key: key.into_iter().map(|(_, n)| n).collect(),
                    identity: None,
                })
            }
            Db::Postgres(pool) => {
                let columns: Vec<(String, String, String)> = sqlx::query_as(
                    "SELECT column_name::text, data_type::text, is_identity::text \
                     FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                )
                .bind(name)
                .fetch_all(pool)
                .await?;
                let key: Vec<(String,)> = sqlx::query_as(
                    "SELECT a.attname::text FROM pg_index i \
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
                     WHERE i.indrelid = (quote_ident(current_schema()) || '.' || quote_ident($1))::regclass \
                     AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)",
                )
                .bind(name)
                .fetch_all(pool)
                .await?;
                Ok(Table {
                    name: name.to_string(),
                    identity: columns.iter().find(|c| c.2 == "YES").map(|c| c.0.clone()),
                    columns: columns
                        .into_iter()
                        .map(|(n, t, _)| (n, kind_of_pg(&t)))
                        .collect(),
                    key: key.into_iter().map(|(n,)| n).collect(),
                })
            }
        }
    }

    pub async fn row_count(&self, table: &str) -> StoreResult<u64> {
        let text = format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {}", quoted(table));
        let (count,): (i64,) = match &self.db {
            Db::Sqlite(pool) => sqlx::query_as(AssertSqlSafe(text)).fetch_one(pool).await?,
            Db::Postgres(pool) => sqlx::query_as(AssertSqlSafe(text)).fetch_one(pool).await?,
        };
        Ok(u64::try_from(count).unwrap_or_default())
    }

    /// Rows `offset..offset + limit` in key order, each value read as `kinds` says.
    async fn read_rows(
        &self,
        table: &Table,
        kinds: &[Kind],
        offset: usize,
        limit: usize,
    ) -> StoreResult<Vec<Vec<Value>>> {
        let columns = table
            .columns
            .iter()
            .map(|(n, _)| quoted(n))
            .collect::<Vec<_>>()
            .join(", ");
        let order = if table.key.is_empty() {
            columns.clone()
        } else {
            table
                .key
                .iter()
                .map(|k| quoted(k))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let text = format!(
            "SELECT {columns} FROM {} ORDER BY {order} LIMIT {limit} OFFSET {offset}",
            quoted(&table.name)
        );
        // Each backend's rows, decoded alike.
        macro_rules! decoded {
            ($pool:expr) => {{
                let mut out = Vec::new();
                for row in sqlx::query(AssertSqlSafe(text)).fetch_all($pool).await? {
                    let mut values = Vec::with_capacity(kinds.len());
                    for (i, kind) in kinds.iter().enumerate() {
                        values.push(read_value!(row, i, kind));
                    }
                    out.push(values);
                }
                out
            }};
        }
        Ok(match &self.db {
            Db::Sqlite(pool) => decoded!(pool),
            Db::Postgres(pool) => decoded!(pool),
        })
    }

    /// The table's rows and checksum, its values read as `kinds` says.
    async fn digest(&self, table: &Table, kinds: &[Kind]) -> StoreResult<TableDigest> {
        let mut sum = [0u128; 2];
        let mut rows = 0u64;
        let mut offset = 0;
        loop {
            let batch = self.read_rows(table, kinds, offset, BATCH_ROWS).await?;
            if batch.is_empty() {
                break;
            }
            offset += batch.len();
            for row in &batch {
                let digest = row_digest(row);
                let (high, low) = digest.split_at(16);
                sum[0] =
                    sum[0].wrapping_add(u128::from_be_bytes(high.try_into().unwrap_or_default()));
                sum[1] =
                    sum[1].wrapping_add(u128::from_be_bytes(low.try_into().unwrap_or_default()));
                rows += 1;
            }
        }
        Ok(TableDigest {
            table: table.name.clone(),
            rows,
            checksum: format!("{:032x}{:032x}", sum[0], sum[1]),
        })
    }
}

/// One row's SHA-256 over its values, each tagged and length-prefixed.
fn row_digest(row: &[Value]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    let mut feed = |tag: u8, bytes: Option<&[u8]>| match bytes {
        None => hasher.update([0u8]),
        Some(bytes) => {
            hasher.update([tag]);
            hasher.update((bytes.len() as u64).to_be_bytes());
            hasher.update(bytes);
        }
    };
    for value in row {
        match value {
            Value::Int(v) => feed(1, v.map(|v| v.to_be_bytes()).as_ref().map(|b| &b[..])),
            Value::Text(v) => feed(2, v.as_deref().map(str::as_bytes)),
            Value::Bool(v) => feed(3, v.map(|b| [u8::from(b)]).as_ref().map(|b| &b[..])),
            Value::Time(v) => feed(
                4,
                v.map(|t| t.timestamp_micros().to_be_bytes())
                    .as_ref()
                    .map(|b| &b[..]),
            ),
            Value::Date(v) => feed(
                5,
                v.map(|d| d.format("%Y-%m-%d").to_string())
                    .as_deref()
                    .map(str::as_bytes),
            ),
            Value::Bytes(v) => feed(6, v.as_deref()),
        }
    }
    hasher.finalize().into()
}

/// How the copy went, table by table.
#[derive(Debug, Clone)]
pub struct CopyReport {
    pub tables: Vec<(TableDigest, TableDigest)>,
}

impl CopyReport {
    /// The tables whose count or checksum differs between the two sides.
    pub fn mismatches(&self) -> Vec<&str> {
        self.tables
            .iter()
            .filter(|(from, to)| from != to)
            .map(|(from, _)| from.table.as_str())
            .collect()
    }
}

/// The kinds to carry a table's columns by: PostgreSQL's types where one side is
/// PostgreSQL (SQLite keeps times and dates as text), else SQLite's.
fn common_kinds(from: &Store, source: &Table, target: &Table) -> Result<Vec<Kind>, String> {
    let by_name: BTreeMap<&str, Kind> = target
        .columns
        .iter()
        .map(|(n, k)| (n.as_str(), *k))
        .collect();
    let source_names: BTreeSet<&str> = source.columns.iter().map(|(n, _)| n.as_str()).collect();
    let target_names: BTreeSet<&str> = by_name.keys().copied().collect();
    if source_names != target_names {
        return Err(format!(
            "tabellen {} har ulike kolonner i kilden og målet ({} mot {}); er begge migrert til samme versjon?",
            source.name,
            source_names.into_iter().collect::<Vec<_>>().join(", "),
            target_names.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(source
        .columns
        .iter()
        .map(|(name, kind)| {
            if from.is_postgres() {
                *kind
            } else {
                by_name[name.as_str()]
            }
        })
        .collect())
}

/// Copies every table of `from` into `to`, which must be migrated to the same version
/// and hold no rows, then compares both sides table by table. `progress` hears of each
/// table as it is copied.
pub async fn copy_all(
    from: &Store,
    to: &Store,
    mut progress: impl FnMut(&str, u64),
) -> anyhow::Result<CopyReport> {
    let tables = from.tables_in_copy_order().await?;
    let mut targets = BTreeMap::new();
    for table in to.tables_in_copy_order().await? {
        targets.insert(table.name.clone(), table);
    }
    let mut filled = Vec::new();
    for name in targets.keys() {
        let rows = to.row_count(name).await?;
        if rows > 0 {
            filled.push(format!("{name} ({rows} rader)"));
        }
    }
    if !filled.is_empty() {
        anyhow::bail!(
            "måldatabasen er ikke tom: {}. Kopier bare til en ny, tom database.",
            filled.join(", ")
        );
    }
    let mut plan = Vec::new();
    for source in &tables {
        let target = targets.get(&source.name).ok_or_else(|| {
            anyhow::anyhow!(
                "tabellen {} finnes ikke i måldatabasen; er begge migrert til samme versjon?",
                source.name
            )
        })?;
        let kinds = common_kinds(from, source, target).map_err(|e| anyhow::anyhow!(e))?;
        plan.push((source, target, kinds));
    }
    for (source, target, kinds) in &plan {
        let copied = copy_table(from, to, source, target, kinds).await?;
        progress(&source.name, copied);
    }
    let mut report = CopyReport { tables: Vec::new() };
    for (source, target, kinds) in &plan {
        report.tables.push((
            from.digest(source, kinds).await?,
            to.digest(target, kinds).await?,
        ));
    }
    Ok(report)
}

/// One table, in one transaction on the target; answers how many rows.
async fn copy_table(
    from: &Store,
    to: &Store,
    source: &Table,
    target: &Table,
    kinds: &[Kind],
) -> anyhow::Result<u64> {
    let names = source
        .columns
        .iter()
        .map(|(n, _)| n.clone())
        .collect::<Vec<_>>();
    let per_statement = (BATCH_VALUES / names.len().max(1)).clamp(1, BATCH_ROWS);
    let column_list = names
        .iter()
        .map(|n| quoted(n))
        .collect::<Vec<_>>()
        .join(", ");
    let overriding = if target.identity.is_some() {
        " OVERRIDING SYSTEM VALUE"
    } else {
        ""
    };
    let insert = |rows: usize| {
        let mut n = 0;
        let groups = (0..rows)
            .map(|_| {
                let group = (0..names.len())
                    .map(|_| {
                        n += 1;
                        format!("${n}")
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("({group})")
            })
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "INSERT INTO {} ({column_list}){overriding} VALUES {groups}",
            quoted(&target.name)
        )
    };
    // The same batches on either backend's transaction.
    macro_rules! copy_rows {
        ($tx:expr) => {{
            let mut copied = 0u64;
            let mut offset = 0;
            loop {
                let batch = from.read_rows(source, kinds, offset, BATCH_ROWS).await?;
                if batch.is_empty() {
                    break;
                }
                offset += batch.len();
                for chunk in batch.chunks(per_statement) {
                    let values = chunk.iter().flatten().cloned();
                    bind_values!(sqlx::query(AssertSqlSafe(insert(chunk.len()))), values)
                        .execute(&mut *$tx)
                        .await
                        .map_err(|e| anyhow::anyhow!("tabellen {}: {e}", target.name))?;
                    copied += chunk.len() as u64;
                }
            }
            copied
        }};
    }
    let copied = match &to.db {
        Db::Sqlite(pool) => {
            let mut tx = pool.begin().await?;
            let copied = copy_rows!(tx);
            tx.commit().await?;
            copied
        }
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            let copied = copy_rows!(tx);
            if let Some(identity) = &target.identity {
                // New rows continue after the copied ids.
                let text = format!(
                    "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT MAX({col}) FROM {table}), 0) + 1, false)",
                    col = quoted(identity),
                    table = quoted(&target.name),
                );
                sqlx::query(AssertSqlSafe(text))
                    .bind(quoted(&target.name))
                    .bind(identity)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            copied
        }
    };
    Ok(copied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_declared_types() {
        assert_eq!(kind_of_pg("timestamp with time zone"), Kind::Time);
        assert_eq!(kind_of_pg("bigint"), Kind::Int);
        assert_eq!(kind_of_pg("bytea"), Kind::Bytes);
        assert_eq!(kind_of_sqlite("INTEGER"), Kind::Int);
        assert_eq!(kind_of_sqlite("BOOLEAN"), Kind::Bool);
        assert_eq!(kind_of_sqlite("TEXT"), Kind::Text);
        assert_eq!(kind_of_sqlite("BLOB"), Kind::Bytes);
    }

    #[test]
    fn a_row_digest_tells_null_from_empty_and_values_apart() {
        let a = row_digest(&[Value::Text(Some(String::new())), Value::Int(Some(1))]);
        let b = row_digest(&[Value::Text(None), Value::Int(Some(1))]);
        let c = row_digest(&[Value::Text(Some(String::new())), Value::Int(Some(2))]);
        assert_ne!(a, b);
        assert_ne!(a, c);
        // Times agree at PostgreSQL's precision whatever the source kept beyond it.
        let t = DateTime::parse_from_rfc3339("2026-12-07T10:00:00.123456789Z")
            .unwrap()
            .with_timezone(&Utc);
        let u = DateTime::parse_from_rfc3339("2026-12-07T10:00:00.123456Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            row_digest(&[Value::Time(Some(t))]),
            row_digest(&[Value::Time(Some(u))])
        );
    }
}
