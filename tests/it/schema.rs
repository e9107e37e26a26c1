//! The two migration sets describe the same database. A fresh SQLite database and (when
//! `TILSKUDD_TEST_DATABASE_URL` is set) a fresh PostgreSQL database are migrated, read back
//! from their catalogues, normalised to comparable text and compared: tables, columns
//! (name, type family, nullability), primary keys, unique constraints and unique indexes
//! (with their partial WHERE), other indexes (name and columns), and foreign keys.
//!
//! Without PostgreSQL the SQLite schema is still normalised and checked for what every
//! table needs (a primary key, foreign keys that point at a key, indexes on existing
//! columns), and the test says that PostgreSQL was not compared. With the variable set
//! and PostgreSQL unreachable, the test fails; it is never skipped.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use sqlx::{PgPool, SqlitePool};
use tilskudd::store::Store;

/// A foreign key being assembled from SQLite's rows: target table, columns, target
/// columns, ON DELETE action.
type ForeignKeyParts = (String, Vec<String>, Vec<Option<String>>, String);
/// A PostgreSQL index: table, name, unique, primary, key columns, partial predicate.
type PgIndexRow = (String, String, bool, bool, Option<String>, Option<String>);

const IGNORED: [&str; 2] = ["_sqlx_migrations", "sqlite_sequence"];

#[derive(Debug, Default, Clone)]
struct Table {
    /// name → (type family, NOT NULL)
    columns: BTreeMap<String, (String, bool)>,
    primary_key: Vec<String>,
    /// "(a, b)" or "(a, b) where …", whatever made them unique (constraint or index).
    uniques: BTreeSet<String>,
    /// "name (a, b)" or "name (a, b) where …".
    indexes: BTreeSet<String>,
    /// "(a) -> t(b) on delete …"
    foreign_keys: BTreeSet<String>,
}

#[derive(Debug, Default, Clone)]
struct Schema {
    tables: BTreeMap<String, Table>,
}

impl Schema {
    /// One line per fact, each naming its table, so two schemas compare line by line.
    fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (name, t) in &self.tables {
            out.push(format!("{name}: table"));
            for (column, (family, not_null)) in &t.columns {
                let null = if *not_null { "not null" } else { "null" };
                out.push(format!("{name}: column {column} {family} {null}"));
            }
            out.push(format!(
                "{name}: primary key ({})",
                t.primary_key.join(", ")
            ));
            for u in &t.uniques {
                out.push(format!("{name}: unique {u}"));
            }
            for i in &t.indexes {
                out.push(format!("{name}: index {i}"));
            }
            for f in &t.foreign_keys {
                out.push(format!("{name}: foreign key {f}"));
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------
// Normalisation
// ---------------------------------------------------------------------------------------

/// The type family of a SQLite declared type (its affinity rules, plus the names the
/// migrations use for booleans, dates and times).
fn sqlite_family(declared: &str) -> String {
    let t = declared.trim().to_uppercase();
    let family = if t.contains("INT") {
        "int"
    } else if t.contains("BOOL") {
        "bool"
    } else if t.contains("TIMESTAMP") || t.contains("DATETIME") {
        "time"
    } else if t == "DATE" {
        "date"
    } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
        "text"
    } else if t.contains("BLOB") {
        "bytes"
    } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
        "float"
    } else if t.contains("NUMERIC") || t.contains("DECIMAL") {
        "decimal"
    } else if t.is_empty() {
        "untyped"
    } else {
        return format!("other({t})");
    };
    family.to_string()
}

fn pg_family(data_type: &str) -> String {
    match data_type {
        "bigint" | "integer" | "smallint" => "int",
        "text" | "character varying" | "character" => "text",
        "boolean" => "bool",
        "timestamp with time zone" | "timestamp without time zone" => "time",
        "date" => "date",
        "bytea" => "bytes",
        "real" | "double precision" => "float",
        "numeric" => "decimal",
        other => return format!("other({other})"),
    }
    .to_string()
}

/// An index's WHERE clause as comparable text: lower case, no parentheses, quotes or
/// PostgreSQL's casts of literals, single spaces.
fn normalise_predicate(text: &str) -> String {
    let mut t = text.trim().trim_end_matches(';').to_lowercase();
    for cast in [
        "::timestamp with time zone",
        "::character varying",
        "::text",
        "::bigint",
        "::integer",
        "::boolean",
        "::date",
    ] {
        t = t.replace(cast, "");
    }
    let t: String = t
        .chars()
        .filter(|c| !matches!(c, '(' | ')' | '"'))
        .collect();
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An index column or expression as comparable text.
fn normalise_column(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '"')
        .collect()
}

fn on_delete(action: &str) -> String {
    action.trim().to_lowercase()
}

fn pg_on_delete(code: &str) -> String {
    match code {
        "a" => "no action",
        "r" => "restrict",
        "c" => "cascade",
        "n" => "set null",
        "d" => "set default",
        other => other,
    }
    .to_string()
}

fn describe_index(columns: &[String], predicate: Option<&str>) -> String {
    let mut s = format!("({})", columns.join(", "));
    if let Some(p) = predicate.map(normalise_predicate).filter(|p| !p.is_empty()) {
        s.push_str(" where ");
        s.push_str(&p);
    }
    s
}

/// In `CREATE [UNIQUE] INDEX name ON table (a, lower(b)) WHERE …`: the column list and
/// the predicate.
fn parse_index_sql(sql: &str) -> (Vec<String>, Option<String>) {
    let upper = sql.to_uppercase();
    let on = upper.find(" ON ").unwrap_or(0);
    let open = on + sql[on..].find('(').expect("index column list");
    let mut depth = 0;
    let mut close = open;
    for (i, c) in sql[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    close = open + i;
                    break;
                }
            }
            _ => {}
        }
    }
    let inner = &sql[open + 1..close];
    let mut columns = Vec::new();
    let mut depth = 0;
    let mut current = String::new();
    for c in inner.chars() {
        match c {
            '(' => {
                depth += 1;
                current.push(c);
            }
            ')' => {
                depth -= 1;
                current.push(c);
            }
            ',' if depth == 0 => {
                columns.push(normalise_column(&current));
                current.clear();
            }
            _ => current.push(c),
        }
    }
    if !current.trim().is_empty() {
        columns.push(normalise_column(&current));
    }
    let rest = &sql[close + 1..];
    let predicate = rest
        .to_uppercase()
        .find("WHERE")
        .map(|at| rest[at + "WHERE".len()..].to_string());
    (columns, predicate)
}

// ---------------------------------------------------------------------------------------
// Reading the catalogues
// ---------------------------------------------------------------------------------------

async fn sqlite_schema(pool: &SqlitePool) -> Schema {
    let names: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .expect("sqlite tables");
    let mut schema = Schema::default();
    for (table,) in names {
        if IGNORED.contains(&table.as_str()) {
            continue;
        }
        let mut t = Table::default();
        let columns: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid",
        )
        .bind(table.clone())
        .fetch_all(pool)
        .await
        .expect("table_info");
        let mut pk: Vec<(i64, String)> = Vec::new();
        for (name, declared, not_null, pk_seq) in columns {
            // A primary key column is never NULL (PostgreSQL makes it NOT NULL; SQLite's
            // INTEGER PRIMARY KEY is the rowid).
            t.columns.insert(
                name.clone(),
                (sqlite_family(&declared), not_null != 0 || pk_seq > 0),
            );
            if pk_seq > 0 {
                pk.push((pk_seq, name));
            }
        }
        pk.sort();
        t.primary_key = pk.into_iter().map(|(_, n)| n).collect();

        let indexes: Vec<(String, i64, String, i64)> =
            sqlx::query_as("SELECT name, \"unique\", origin, partial FROM pragma_index_list($1)")
                .bind(table.clone())
                .fetch_all(pool)
                .await
                .expect("index_list");
        for (index, unique, origin, _partial) in indexes {
            if origin == "pk" {
                continue;
            }
            let sql: Option<(Option<String>,)> =
                sqlx::query_as("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = $1")
                    .bind(index.clone())
                    .fetch_optional(pool)
                    .await
                    .expect("index sql");
            let sql = sql.and_then(|(s,)| s);
            let (columns, predicate) = match &sql {
                Some(sql) => parse_index_sql(sql),
                None => {
                    let cols: Vec<(Option<String>,)> =
                        sqlx::query_as("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                            .bind(index.clone())
                            .fetch_all(pool)
                            .await
                            .expect("index_info");
                    (
                        cols.into_iter()
                            .map(|(c,)| normalise_column(&c.unwrap_or_else(|| "?expr".into())))
                            .collect(),
                        None,
                    )
                }
            };
            let description = describe_index(&columns, predicate.as_deref());
            if unique != 0 {
                t.uniques.insert(description);
            } else {
                t.indexes.insert(format!("{index} {description}"));
            }
        }

        let keys: Vec<(i64, i64, String, String, Option<String>, String)> = sqlx::query_as(
            "SELECT id, seq, \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list($1) ORDER BY id, seq",
        )
        .bind(table.clone())
        .fetch_all(pool)
        .await
        .expect("foreign_key_list");
        let mut by_id: BTreeMap<i64, ForeignKeyParts> = BTreeMap::new();
        for (id, _seq, target, from, to, action) in keys {
            let entry = by_id
                .entry(id)
                .or_insert_with(|| (target, Vec::new(), Vec::new(), on_delete(&action)));
            entry.1.push(from);
            entry.2.push(to);
        }
        for (_, (target, from, to, action)) in by_id {
            // `REFERENCES t` without columns points at t's primary key.
            let to: Vec<String> = if to.iter().all(Option::is_none) {
                let pk: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT name, pk FROM pragma_table_info($1) WHERE pk > 0 ORDER BY pk",
                )
                .bind(target.clone())
                .fetch_all(pool)
                .await
                .expect("referenced primary key");
                pk.into_iter().map(|(n, _)| n).collect()
            } else {
                to.into_iter().map(|c| c.unwrap_or_default()).collect()
            };
            t.foreign_keys.insert(format!(
                "({}) -> {target}({}) on delete {action}",
                from.join(", "),
                to.join(", ")
            ));
        }
        schema.tables.insert(table, t);
    }
    schema
}

async fn postgres_schema(pool: &PgPool) -> Schema {
    let mut schema = Schema::default();
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .expect("pg tables");
    for (table,) in tables {
        if !IGNORED.contains(&table.as_str()) {
            schema.tables.insert(table, Table::default());
        }
    }
    let columns: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
         FROM information_schema.columns WHERE table_schema = current_schema() \
         ORDER BY table_name, ordinal_position",
    )
    .fetch_all(pool)
    .await
    .expect("pg columns");
    for (table, column, data_type, nullable) in columns {
        if let Some(t) = schema.tables.get_mut(&table) {
            t.columns
                .insert(column, (pg_family(&data_type), nullable == "NO"));
        }
    }
    let indexes: Vec<PgIndexRow> =
        sqlx::query_as(
            "SELECT c.relname::text, i.relname::text, ix.indisunique, ix.indisprimary, \
                    (SELECT string_agg(pg_get_indexdef(ix.indexrelid, k.n, true), '|' ORDER BY k.n) \
                       FROM generate_series(1, ix.indnkeyatts::int) AS k(n))::text, \
                    pg_get_expr(ix.indpred, ix.indrelid)::text \
               FROM pg_index ix \
               JOIN pg_class c ON c.oid = ix.indrelid \
               JOIN pg_class i ON i.oid = ix.indexrelid \
               JOIN pg_namespace n ON n.oid = c.relnamespace \
              WHERE n.nspname = current_schema() \
              ORDER BY 1, 2",
        )
        .fetch_all(pool)
        .await
        .expect("pg indexes");
    for (table, index, unique, primary, columns, predicate) in indexes {
        let Some(t) = schema.tables.get_mut(&table) else {
            continue;
        };
        let columns: Vec<String> = columns
            .unwrap_or_default()
            .split('|')
            .map(normalise_column)
            .collect();
        if primary {
            t.primary_key = columns;
            continue;
        }
        let description = describe_index(&columns, predicate.as_deref());
        if unique {
            t.uniques.insert(description);
        } else {
            t.indexes.insert(format!("{index} {description}"));
        }
    }
    let keys: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT c.relname::text, \
                (SELECT string_agg(a.attname::text, ', ' ORDER BY k.ord) \
                   FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) \
                   JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum), \
                rc.relname::text, \
                (SELECT string_agg(a.attname::text, ', ' ORDER BY k.ord) \
                   FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord) \
                   JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum), \
                con.confdeltype::text \
           FROM pg_constraint con \
           JOIN pg_class c ON c.oid = con.conrelid \
           JOIN pg_class rc ON rc.oid = con.confrelid \
           JOIN pg_namespace n ON n.oid = c.relnamespace \
          WHERE con.contype = 'f' AND n.nspname = current_schema()",
    )
    .fetch_all(pool)
    .await
    .expect("pg foreign keys");
    for (table, from, target, to, action) in keys {
        if let Some(t) = schema.tables.get_mut(&table) {
            t.foreign_keys.insert(format!(
                "({from}) -> {target}({to}) on delete {}",
                pg_on_delete(&action)
            ));
        }
    }
    schema
}

// ---------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------

/// What every table needs, whatever the database: a primary key, foreign keys from
/// existing columns to a key of an existing table, indexes on existing columns.
fn structural_problems(name: &str, schema: &Schema) -> Vec<String> {
    let mut problems = Vec::new();
    for (table, t) in &schema.tables {
        if t.columns.is_empty() {
            problems.push(format!("{name}: {table} has no columns"));
        }
        if t.primary_key.is_empty() {
            problems.push(format!("{name}: {table} has no primary key"));
        }
        for c in &t.primary_key {
            if !t.columns.contains_key(c) {
                problems.push(format!(
                    "{name}: {table} primary key column {c} does not exist"
                ));
            }
        }
        for (column, (family, _)) in &t.columns {
            if family.starts_with("other(") || family == "untyped" {
                problems.push(format!("{name}: {table}.{column} has type {family}"));
            }
        }
        for f in &t.foreign_keys {
            // "(a, b) -> target(c, d) on delete x"
            let (from, rest) = f.split_once(") -> ").unwrap();
            let from: Vec<&str> = from.trim_start_matches('(').split(", ").collect();
            let (target, rest) = rest.split_once('(').unwrap();
            let (to, _) = rest.split_once(')').unwrap();
            let to: Vec<String> = to.split(", ").map(str::to_string).collect();
            for c in &from {
                if !t.columns.contains_key(*c) {
                    problems.push(format!("{name}: {table} foreign key {f}: no column {c}"));
                }
            }
            match schema.tables.get(target) {
                None => problems.push(format!(
                    "{name}: {table} foreign key {f}: no table {target}"
                )),
                Some(referenced) => {
                    let key = format!("({})", to.join(", "));
                    if referenced.primary_key != to && !referenced.uniques.contains(&key) {
                        problems.push(format!(
                            "{name}: {table} foreign key {f}: {target}{key} is neither its primary key nor unique"
                        ));
                    }
                    for c in &to {
                        if !referenced.columns.contains_key(c) {
                            problems.push(format!(
                                "{name}: {table} foreign key {f}: no column {target}.{c}"
                            ));
                        }
                    }
                }
            }
        }
        for description in t
            .uniques
            .iter()
            .map(String::as_str)
            .chain(t.indexes.iter().map(|i| i.split_once(' ').unwrap().1))
        {
            let inner = description
                .trim_start_matches('(')
                .split(") where ")
                .next()
                .unwrap()
                .trim_end_matches(')');
            for c in inner.split(", ") {
                let plain = c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
                if plain && !t.columns.contains_key(c) {
                    problems.push(format!(
                        "{name}: {table} index {description}: no column {c}"
                    ));
                }
            }
        }
    }
    problems
}

/// The lines only in `left` and only in `right`.
fn differences(left: &Schema, right: &Schema) -> (Vec<String>, Vec<String>) {
    let left: BTreeSet<String> = left.lines().into_iter().collect();
    let right: BTreeSet<String> = right.lines().into_iter().collect();
    (
        left.difference(&right).cloned().collect(),
        right.difference(&left).cloned().collect(),
    )
}

async fn migrated_sqlite() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/schema.db", dir.path().display());
    let store = Store::connect(&url, None).await.expect("connect sqlite");
    store.migrate().await.expect("migrate sqlite");
    (store, dir)
}

#[tokio::test]
async fn sqlite_and_postgresql_migrate_to_the_same_schema() {
    let (sqlite_store, _dir) = migrated_sqlite().await;
    let Some(sqlite_pool) = sqlite_store.sqlite_pool() else {
        unreachable!()
    };
    let mut sqlite = sqlite_schema(sqlite_pool).await;
    assert!(
        sqlite.tables.len() > 10,
        "the SQLite schema was read: {:?}",
        sqlite.tables.keys().collect::<Vec<_>>()
    );
    for expected in [
        "rounds",
        "applications",
        "uploads",
        "impartiality_declarations",
        "users",
    ] {
        assert!(sqlite.tables.contains_key(expected), "no table {expected}");
    }
    let problems = structural_problems("SQLite", &sqlite);
    assert!(
        problems.is_empty(),
        "SQLite schema:\n{}",
        problems.join("\n")
    );

    let pg_url = std::env::var(common::PG_ENV).unwrap_or_default();
    if pg_url.is_empty() {
        println!(
            "SQLite schema: {} tables, {} normalised lines, structurally sound.",
            sqlite.tables.len(),
            sqlite.lines().len()
        );
        println!(
            "PostgreSQL was NOT compared: set {} to a PostgreSQL URL to compare the two migration sets.",
            common::PG_ENV
        );
        return;
    }

    // Fails (never skips) when PostgreSQL cannot be reached.
    let (pg_store, pg_test_url, _, _) = common::fresh_store().await;
    let Some(pg_pool) = pg_store.pg_pool() else {
        panic!("{} must be a postgres:// URL", common::PG_ENV);
    };
    let postgres = postgres_schema(pg_pool).await;
    let problems = structural_problems("PostgreSQL", &postgres);
    assert!(
        problems.is_empty(),
        "PostgreSQL schema:\n{}",
        problems.join("\n")
    );

    // SQLite has no date or time storage: its TEXT columns hold what PostgreSQL keeps as
    // DATE or TIMESTAMPTZ. Those pairs compare as equal (and are listed); any other type
    // family difference is a difference.
    let mut text_as_time = Vec::new();
    for (table, t) in sqlite.tables.iter_mut() {
        let Some(pg_table) = postgres.tables.get(table) else {
            continue;
        };
        for (column, (family, _)) in t.columns.iter_mut() {
            if let Some((pg, _)) = pg_table.columns.get(column)
                && family == "text"
                && (pg == "time" || pg == "date")
            {
                text_as_time.push(format!("{table}.{column} ({pg})"));
                *family = pg.clone();
            }
        }
    }

    if let Ok(dir) = std::env::var("TILSKUDD_SCHEMA_DUMP") {
        std::fs::write(format!("{dir}/sqlite.txt"), sqlite.lines().join("\n")).unwrap();
        std::fs::write(format!("{dir}/postgres.txt"), postgres.lines().join("\n")).unwrap();
    }
    let (only_sqlite, only_postgres) = differences(&sqlite, &postgres);
    let right = postgres.lines();
    println!(
        "Compared SQLite with PostgreSQL ({pg_test_url}): {} tables, {} lines; {} SQLite TEXT columns hold dates/times.",
        postgres.tables.len(),
        right.len(),
        text_as_time.len()
    );
    if !only_sqlite.is_empty() || !only_postgres.is_empty() {
        let mut report = String::from("The migrated schemas differ.\n");
        report.push_str("--- only in SQLite\n");
        for l in &only_sqlite {
            report.push_str(&format!("- {l}\n"));
        }
        report.push_str("+++ only in PostgreSQL\n");
        for l in &only_postgres {
            report.push_str(&format!("+ {l}\n"));
        }
        panic!("{report}");
    }
}

#[test]
fn normalisation_of_index_text() {
    let (cols, predicate) = parse_index_sql(
        "CREATE UNIQUE INDEX users_email ON users (lower(email)) WHERE email IS NOT NULL",
    );
    assert_eq!(cols, ["lower(email)"]);
    assert_eq!(
        normalise_predicate(predicate.as_deref().unwrap()),
        "email is not null"
    );
    let (cols, predicate) = parse_index_sql(
        "CREATE UNIQUE INDEX applications_one_per_applicant ON applications (round_id, organisation_id) WHERE status <> 'withdrawn'",
    );
    assert_eq!(cols, ["round_id", "organisation_id"]);
    assert_eq!(
        normalise_predicate(predicate.as_deref().unwrap()),
        normalise_predicate("(status <> 'withdrawn'::text)")
    );
    assert_eq!(sqlite_family("INTEGER"), "int");
    assert_eq!(pg_family("bigint"), "int");
    assert_eq!(sqlite_family("BLOB"), "bytes");
    assert_eq!(pg_family("bytea"), "bytes");
    assert_eq!(pg_family("timestamp with time zone"), "time");
}

/// The comparison is not vacuous: a column, an index, a partial unique index and a
/// foreign key added to one of two identically migrated databases are each reported.
#[tokio::test]
async fn the_comparison_reports_what_differs() {
    let (a, _dir_a) = migrated_sqlite().await;
    let (b, _dir_b) = migrated_sqlite().await;
    let (Some(a), Some(b)) = (a.sqlite_pool(), b.sqlite_pool()) else {
        unreachable!()
    };
    let same = differences(&sqlite_schema(a).await, &sqlite_schema(b).await);
    assert_eq!(same, (vec![], vec![]));
    for statement in [
        "ALTER TABLE rounds ADD COLUMN extra BLOB REFERENCES users (id)",
        "CREATE INDEX rounds_extra ON rounds (extra)",
        "CREATE UNIQUE INDEX rounds_demo_name ON rounds (name) WHERE demo = 1",
    ] {
        sqlx::raw_sql(statement).execute(b).await.expect(statement);
    }
    let (only_a, only_b) = differences(&sqlite_schema(a).await, &sqlite_schema(b).await);
    assert!(only_a.is_empty(), "{only_a:?}");
    assert_eq!(
        only_b,
        [
            "rounds: column extra bytes null",
            "rounds: foreign key (extra) -> users(id) on delete no action",
            "rounds: index rounds_extra (extra)",
            "rounds: unique (name) where demo = 1",
        ]
    );
}
