//! Rounds and their key figures.

use chrono::{NaiveDate, Utc};

use super::{Store, Tx, sql};
use super::{StoreError, StoreResult};
use crate::domain::Kroner;
use crate::domain::audit::{Actor, NewAuditEvent};
use crate::domain::round::{Round, RoundFields, RoundOverview, RoundPhase, RoundTotals};

/// The columns of [`RoundRow`], of `rounds r` joined with `schemes s`.
macro_rules! round_columns {
    () => {
        "r.id, s.name AS scheme, r.name, r.year, r.region, r.description, \
         r.pool_ore, r.deadline, r.rounding_unit_ore, r.status, r.decision_source, r.historical, r.demo, r.version"
    };
}

/// Rounds with their key figures; the two statements differ only in WHERE and ORDER.
macro_rules! overview_select {
    () => {
        concat!(
            "SELECT ",
            round_columns!(),
            ", CAST(COALESCE(SUM(a.requested_ore), 0) AS BIGINT) AS requested_ore, \
             CAST(COALESCE(SUM(CASE WHEN a.id IS NOT NULL AND a.requested_ore IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS requested_unknown, \
             CAST(COALESCE(SUM(a.allocated_ore), 0) AS BIGINT) AS allocated_ore, \
             CAST(COALESCE(SUM(a.proposed_ore), 0) AS BIGINT) AS proposed_ore, \
             CAST(COUNT(a.id) AS BIGINT) AS application_count \
             FROM rounds r JOIN schemes s ON s.id = r.scheme_id \
             LEFT JOIN applications a ON a.round_id = r.id AND ",
            counted_in_totals!("a."),
            " "
        )
    };
}

#[derive(sqlx::FromRow)]
struct RoundRow {
    id: i64,
    scheme: String,
    name: String,
    year: i64,
    region: Option<String>,
    description: Option<String>,
    pool_ore: i64,
    deadline: Option<NaiveDate>,
    rounding_unit_ore: i64,
    status: String,
    decision_source: Option<String>,
    historical: bool,
    demo: bool,
    version: i64,
}

#[derive(sqlx::FromRow)]
struct RoundOverviewRow {
    #[sqlx(flatten)]
    round: RoundRow,
    requested_ore: i64,
    requested_unknown: i64,
    allocated_ore: i64,
    proposed_ore: i64,
    application_count: i64,
}

impl RoundRow {
    fn into_round(self) -> StoreResult<Round> {
        let stored_phase = RoundPhase::parse(&self.status)
            .ok_or_else(|| StoreError::corrupt(format!("unknown round phase {}", self.status)))?;
        Ok(Round {
            id: self.id,
            scheme: self.scheme,
            name: self.name,
            year: i32::try_from(self.year).unwrap_or_default(),
            region: self.region,
            description: self.description,
            pool: Kroner::from_ore(self.pool_ore),
            deadline: self.deadline,
            rounding_unit: Kroner::from_ore(self.rounding_unit_ore),
            stored_phase,
            phase: RoundPhase::effective(stored_phase, self.deadline, crate::clock::today_oslo()),
            decision_source: self.decision_source,
            historical: self.historical,
            demo: self.demo,
            version: self.version,
        })
    }
}

/// How a round comes to be: typed by an officer, or loaded as sample data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoundOrigin {
    pub phase: RoundPhase,
    pub historical: bool,
    pub demo: bool,
}

impl RoundOrigin {
    pub const NEW: RoundOrigin = RoundOrigin {
        phase: RoundPhase::Open,
        historical: false,
        demo: false,
    };
}

impl Store {
    pub async fn list_rounds(&self) -> StoreResult<Vec<RoundOverview>> {
        let rows: Vec<RoundOverviewRow> = self.fetch_all(sql(OVERVIEW_ALL)).await?;
        rows.into_iter().map(overview_from_row).collect()
    }

    pub async fn round_overview(&self, id: i64) -> StoreResult<RoundOverview> {
        let row: Option<RoundOverviewRow> = self.fetch_optional(sql(OVERVIEW_ONE).bind(id)).await?;
        overview_from_row(row.ok_or_else(|| StoreError::NotFound("runden"))?)
    }

    /// The round alone, without the totals of [`Store::round_overview`].
    pub async fn round(&self, id: i64) -> StoreResult<Round> {
        const QUERY: &str = concat!(
            "SELECT ",
            round_columns!(),
            " FROM rounds r JOIN schemes s ON s.id = r.scheme_id WHERE r.id = $1"
        );
        let row: Option<RoundRow> = self.fetch_optional(sql(QUERY).bind(id)).await?;
        row.ok_or_else(|| StoreError::NotFound("runden"))?
            .into_round()
    }

    pub async fn create_round(
        &self,
        fields: &RoundFields,
        origin: RoundOrigin,
        actor: &Actor,
    ) -> StoreResult<i64> {
        let mut tx = self.begin().await?;
        let id = insert_round(&mut tx, fields, origin, actor).await?;
        tx.commit().await?;
        Ok(id)
    }
}

/// Writes a round's new settings (the caller holds the round lock and has checked the
/// rules), with an audit event per changed field.
pub async fn write_settings(
    tx: &mut Tx,
    current: &Round,
    fields: &RoundFields,
    actor: &Actor,
) -> StoreResult<()> {
    let id = current.id;
    let scheme_id = ensure_scheme(tx, &fields.scheme).await?;
    tx.execute(
        sql("UPDATE rounds SET scheme_id = $1, name = $2, year = $3, region = $4, description = $5, \
             pool_ore = $6, deadline = $7, rounding_unit_ore = $8, version = version + 1, updated_at = $9 \
             WHERE id = $10")
        .bind(scheme_id)
        .bind(&fields.name)
        .bind(fields.year)
        .bind(fields.region.clone())
        .bind(fields.description.clone())
        .bind(fields.pool.ore())
        .bind(fields.deadline)
        .bind(fields.rounding_unit.ore())
        .bind(Utc::now())
        .bind(id),
    )
    .await?;
    let before = current.to_input();
    let changes: [(&str, Option<String>, Option<String>); 8] = [
        (
            "name",
            Some(current.name.clone()),
            Some(fields.name.clone()),
        ),
        (
            "scheme",
            Some(current.scheme.clone()),
            Some(fields.scheme.clone()),
        ),
        ("year", Some(before.year), Some(fields.year.to_string())),
        ("region", current.region.clone(), fields.region.clone()),
        (
            "pool",
            Some(current.pool.to_string()),
            Some(fields.pool.to_string()),
        ),
        (
            "deadline",
            current.deadline.map(crate::domain::date::format_date),
            fields.deadline.map(crate::domain::date::format_date),
        ),
        (
            "rounding_unit",
            Some(current.rounding_unit.to_string()),
            Some(fields.rounding_unit.to_string()),
        ),
        (
            "description",
            current.description.clone(),
            fields.description.clone(),
        ),
    ];
    for (field, old, new) in changes {
        if old != new {
            tx.audit(
                NewAuditEvent::new(
                    actor,
                    "round.updated",
                    format!("Endret {}", field_label(field)),
                )
                .round(id)
                .change(field, old, new),
            )
            .await?;
        }
    }
    Ok(())
}

/// Moves a round to `phase` (the caller holds the lock and asked the domain).
pub async fn write_phase(tx: &mut Tx, round_id: i64, phase: RoundPhase) -> StoreResult<()> {
    tx.execute(
        sql("UPDATE rounds SET status = $1, version = version + 1, updated_at = $2 WHERE id = $3")
            .bind(phase.as_str())
            .bind(Utc::now())
            .bind(round_id),
    )
    .await?;
    Ok(())
}

/// Records where a decision made outside this tool was published.
pub async fn write_decision_source(tx: &mut Tx, round_id: i64, source: &str) -> StoreResult<()> {
    tx.execute(
        sql("UPDATE rounds SET decision_source = $1 WHERE id = $2")
            .bind(source)
            .bind(round_id),
    )
    .await?;
    Ok(())
}

fn field_label(field: &str) -> &'static str {
    match field {
        "name" => "navn",
        "scheme" => "tilskuddsordning",
        "year" => "år",
        "region" => "region",
        "pool" => "ramme",
        "deadline" => "frist",
        "rounding_unit" => "avrundingsenhet",
        "description" => "beskrivelse",
        _ => "felt",
    }
}

const OVERVIEW_ALL: &str = concat!(
    overview_select!(),
    "GROUP BY r.id, s.name ORDER BY r.year DESC, r.id DESC"
);

const OVERVIEW_ONE: &str = concat!(overview_select!(), "WHERE r.id = $1 GROUP BY r.id, s.name");

fn overview_from_row(row: RoundOverviewRow) -> StoreResult<RoundOverview> {
    let round = row.round.into_round()?;
    let totals = RoundTotals::new(
        round.pool,
        Kroner::from_ore(row.requested_ore),
        row.requested_unknown,
        Kroner::from_ore(row.allocated_ore),
        Kroner::from_ore(row.proposed_ore),
    );
    Ok(RoundOverview {
        round,
        totals,
        application_count: row.application_count,
    })
}

pub async fn insert_round(
    tx: &mut Tx,
    fields: &RoundFields,
    origin: RoundOrigin,
    actor: &Actor,
) -> StoreResult<i64> {
    let scheme_id = ensure_scheme(tx, &fields.scheme).await?;
    let now = Utc::now();
    let id = tx
        .insert(
            sql("INSERT INTO rounds (scheme_id, name, year, region, description, pool_ore, deadline, \
                 rounding_unit_ore, status, historical, demo, version, allocation_writes, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, 0, $12, $12) RETURNING id")
            .bind(scheme_id)
            .bind(&fields.name)
            .bind(fields.year)
            .bind(fields.region.clone())
            .bind(fields.description.clone())
            .bind(fields.pool.ore())
            .bind(fields.deadline)
            .bind(fields.rounding_unit.ore())
            .bind(origin.phase.as_str())
            .bind(origin.historical)
            .bind(origin.demo)
            .bind(now),
        )
        .await?;
    tx.audit(
        NewAuditEvent::new(
            actor,
            "round.created",
            format!(
                "Opprettet runden «{}» med ramme {}",
                fields.name, fields.pool
            ),
        )
        .round(id)
        .change("pool", None::<String>, Some(fields.pool.to_string())),
    )
    .await?;
    Ok(id)
}

async fn ensure_scheme(tx: &mut Tx, name: &str) -> StoreResult<i64> {
    if let Some((id,)) = tx
        .fetch_optional::<(i64,)>(sql("SELECT id FROM schemes WHERE name = $1").bind(name))
        .await?
    {
        return Ok(id);
    }
    tx.insert(
        sql("INSERT INTO schemes (name, created_at) VALUES ($1, $2) RETURNING id")
            .bind(name)
            .bind(Utc::now()),
    )
    .await
}

/// What the round lock's statement answers: the round under the lock, and its write
/// counter after this writer's increment.
#[derive(sqlx::FromRow)]
struct LockedRoundRow {
    allocation_writes: i64,
    #[sqlx(flatten)]
    round: RoundRow,
}

/// The round's columns as `RETURNING` gives them (the scheme by a subquery: `RETURNING`
/// sees only the updated table).
macro_rules! locked_round_returning {
    () => {
        "RETURNING allocation_writes, id, (SELECT name FROM schemes WHERE schemes.id = rounds.scheme_id) AS scheme, \
         name, year, region, description, pool_ore, deadline, rounding_unit_ore, status, decision_source, \
         historical, demo, version"
    };
}

/// Serialises writers of one round: the first statement of the transaction is a write
/// to the round's row, which takes PostgreSQL's row lock and SQLite's write lock before
/// anything is read, and reads the round as it is under the lock in the same statement.
/// Checks made after it see every earlier writer's commit.
///
/// Answers the round's write counter after this writer's increment (a reader that saw
/// `n` before locking knows nobody else wrote in between when it gets `n + 1`) and the
/// round.
pub async fn lock_round(tx: &mut Tx, round_id: i64) -> StoreResult<(i64, Round)> {
    let row: Option<LockedRoundRow> = tx
        .fetch_optional(
            sql(concat!(
                "UPDATE rounds SET allocation_writes = allocation_writes + 1 WHERE id = $1 ",
                locked_round_returning!()
            ))
            .bind(round_id),
        )
        .await?;
    let row = row.ok_or_else(|| StoreError::NotFound("runden"))?;
    Ok((row.allocation_writes, row.round.into_round()?))
}

/// [`lock_round`] for the round an application belongs to (which never changes), found in
/// the same statement.
pub async fn lock_application_round(tx: &mut Tx, application_id: i64) -> StoreResult<(i64, Round)> {
    let row: Option<LockedRoundRow> = tx
        .fetch_optional(
            sql(concat!(
                "UPDATE rounds SET allocation_writes = allocation_writes + 1 \
                 WHERE id = (SELECT round_id FROM applications WHERE id = $1) ",
                locked_round_returning!()
            ))
            .bind(application_id),
        )
        .await?;
    let row = row.ok_or_else(|| StoreError::NotFound("søknaden"))?;
    Ok((row.allocation_writes, row.round.into_round()?))
}

impl Store {
    /// The round's write counter (see [`lock_round`]).
    pub async fn round_writes(&self, round_id: i64) -> StoreResult<i64> {
        let (n,): (i64,) = self
            .fetch_optional(
                sql("SELECT allocation_writes FROM rounds WHERE id = $1").bind(round_id),
            )
            .await?
            .ok_or_else(|| StoreError::NotFound("runden"))?;
        Ok(n)
    }
}

/// The round's granted total (`allocated_ore`) or proposed total (`proposed_ore`).
async fn total_of(tx: &mut Tx, column_sum: &'static str, round_id: i64) -> StoreResult<Kroner> {
    let (ore,): (i64,) = tx.fetch_one(sql(column_sum).bind(round_id)).await?;
    Ok(Kroner::from_ore(ore))
}

/// What the round's approved decision grants.
pub async fn allocated_total(tx: &mut Tx, round_id: i64) -> StoreResult<Kroner> {
    total_of(
        tx,
        "SELECT CAST(COALESCE(SUM(allocated_ore), 0) AS BIGINT) FROM applications WHERE round_id = $1",
        round_id,
    )
    .await
}

/// What the officers propose in the round (a proposal's own check reads the others' sum
/// with the application, `applications::proposal_in`).
pub async fn proposed_total(tx: &mut Tx, round_id: i64) -> StoreResult<Kroner> {
    total_of(
        tx,
        concat!(
            "SELECT CAST(COALESCE(SUM(proposed_ore), 0) AS BIGINT) FROM applications \
             WHERE round_id = $1 AND ",
            counted_in_totals!("")
        ),
        round_id,
    )
    .await
}
