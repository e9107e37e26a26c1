//! Statistics: indicators and their observations per region and year.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{Store, Tx, sql};
use super::{StoreError, StoreResult};
use crate::domain::audit::{Actor, NewAuditEvent};
use crate::domain::statistics::{self as stats, Change, Value, display_value};

/// An observation about to be stored. `value` is an exact decimal as text (`"12.6"`),
/// or `None` with `symbol` saying why (`..`, `.`, `:`, `-`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewObservation {
    pub indicator: &'static str,
    pub region: String,
    pub year: i32,
    pub need_level: Option<String>,
    pub age_group: Option<String>,
    pub value: Option<String>,
    pub symbol: Option<String>,
    pub synthetic: bool,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, schemars::JsonSchema)]
pub struct ObservationRow {
    pub indicator_code: String,
    pub indicator_name: String,
    pub unit: String,
    pub region: String,
    pub year: i64,
    pub need_level: Option<String>,
    pub age_group: Option<String>,
    pub value: Option<String>,
    pub symbol: Option<String>,
    pub synthetic: bool,
}

/// An indicator with where its figures come from.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, schemars::JsonSchema)]
pub struct IndicatorRow {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub source: String,
}

pub async fn upsert_indicator(
    tx: &mut Tx,
    code: &str,
    name: &str,
    unit: &str,
    source: &str,
) -> StoreResult<()> {
    tx.execute(
        sql("INSERT INTO indicators (code, name, unit, source) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, unit = excluded.unit, source = excluded.source")
        .bind(code)
        .bind(name)
        .bind(unit)
        .bind(source),
    )
    .await?;
    Ok(())
}

pub async fn insert_observation(tx: &mut Tx, o: &NewObservation) -> StoreResult<()> {
    tx.execute(
        sql("INSERT INTO observations (indicator_code, region, year, need_level, age_group, value, symbol, synthetic) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(o.indicator)
        .bind(&o.region)
        .bind(o.year)
        .bind(o.need_level.clone())
        .bind(o.age_group.clone())
        .bind(o.value.clone())
        .bind(o.symbol.clone())
        .bind(o.synthetic),
    )
    .await?;
    Ok(())
}

impl Store {
    /// All observations for one region (`0000` is the whole country), by indicator and year.
    pub async fn observations_for_region(&self, region: &str) -> StoreResult<Vec<ObservationRow>> {
        self.fetch_all(
            sql("SELECT o.indicator_code, i.name AS indicator_name, i.unit, o.region, o.year, o.need_level, \
                 o.age_group, o.value, o.symbol, o.synthetic \
                 FROM observations o JOIN indicators i ON i.code = o.indicator_code \
                 WHERE o.region = $1 ORDER BY o.indicator_code, o.year, o.need_level, o.age_group")
            .bind(region),
        )
        .await
    }

    /// Observations for municipalities (every region but `0000`), optionally only one
    /// year and one kommunenummer, by year, region and indicator.
    pub async fn municipal_observations(
        &self,
        year: Option<i32>,
        region: Option<&str>,
    ) -> StoreResult<Vec<ObservationRow>> {
        self.fetch_all(
            sql("SELECT o.indicator_code, i.name AS indicator_name, i.unit, o.region, o.year, o.need_level, \
                 o.age_group, o.value, o.symbol, o.synthetic \
                 FROM observations o JOIN indicators i ON i.code = o.indicator_code \
                 WHERE o.region <> '0000' AND ($1 IS NULL OR o.year = $1) AND ($2 IS NULL OR o.region = $2) \
                 ORDER BY o.year, o.region, o.indicator_code, o.need_level, o.age_group")
            .bind(year.map(i64::from))
            .bind(region),
        )
        .await
    }

    /// Every indicator with its source, by code.
    pub async fn indicators(&self) -> StoreResult<Vec<IndicatorRow>> {
        self.fetch_all(sql(
            "SELECT code, name, unit, source FROM indicators ORDER BY code",
        ))
        .await
    }

    /// The years for which some municipality has an observation, oldest first.
    pub async fn municipal_observation_years(&self) -> StoreResult<Vec<i64>> {
        let years: Vec<(i64,)> = self
            .fetch_all(sql(
                "SELECT DISTINCT year FROM observations WHERE region <> '0000' ORDER BY year",
            ))
            .await?;
        Ok(years.into_iter().map(|(y,)| y).collect())
    }
}

/// What a statistics import does: observations new to the database, stored ones that
/// get another value, and those that stay as they are.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct ImportCounts {
    pub new: usize,
    pub changed: usize,
    pub unchanged: usize,
}

/// The key of an observation: indicator, region, year, need level, age group.
pub type ObservationKey = (String, String, i64, Option<String>, Option<String>);

#[derive(sqlx::FromRow)]
struct StoredValue {
    indicator_code: String,
    region: String,
    year: i64,
    need_level: Option<String>,
    age_group: Option<String>,
    value: Option<String>,
    symbol: Option<String>,
    synthetic: bool,
}

const STORED_VALUES: &str = "SELECT indicator_code, region, CAST(year AS BIGINT) AS year, need_level, age_group, value, symbol, synthetic \
     FROM observations WHERE indicator_code = $1";

fn into_map(rows: Vec<StoredValue>, map: &mut HashMap<ObservationKey, (Value, bool)>) {
    for r in rows {
        let value = Value::from_columns(r.value.as_deref(), r.symbol.as_deref());
        map.insert(
            (
                r.indicator_code,
                r.region,
                r.year,
                r.need_level,
                r.age_group,
            ),
            (value, r.synthetic),
        );
    }
}

fn key_of(o: &NewObservation) -> ObservationKey {
    (
        o.indicator.to_string(),
        o.region.clone(),
        i64::from(o.year),
        o.need_level.clone(),
        o.age_group.clone(),
    )
}

fn value_of(o: &NewObservation) -> Value {
    Value::from_columns(o.value.as_deref(), o.symbol.as_deref())
}

impl Store {
    /// The stored values of these indicators, by key, with whether each is synthetic.
    pub async fn stored_values(
        &self,
        indicators: &[&str],
    ) -> StoreResult<HashMap<ObservationKey, (Value, bool)>> {
        let mut map = HashMap::new();
        for code in indicators {
            into_map(
                self.fetch_all(sql(STORED_VALUES).bind(*code)).await?,
                &mut map,
            );
        }
        Ok(map)
    }
}

/// `andel_koordinator 5001 2021 (Omfattende bistandsbehov, under 67 år)`.
pub fn observation_label(o: &NewObservation) -> String {
    let breakdown: Vec<&str> = [o.need_level.as_deref(), o.age_group.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    let mut label = format!("{} {} {}", o.indicator, o.region, o.year);
    if !breakdown.is_empty() {
        label.push_str(&format!(" ({})", breakdown.join(", ")));
    }
    label
}

/// Stores a confirmed statistics upload within the caller's transaction: the indicators if
/// they are new, new observations inserted, changed ones replaced (each change audited).
pub async fn write_statistics(
    tx: &mut Tx,
    filename: &str,
    observations: &[NewObservation],
    actor: &Actor,
) -> StoreResult<ImportCounts> {
    let mut codes: Vec<&'static str> = observations.iter().map(|o| o.indicator).collect();
    codes.sort_unstable();
    codes.dedup();
    let mut stored = HashMap::new();
    for code in &codes {
        let indicator = stats::indicator(code)
            .ok_or_else(|| StoreError::corrupt(format!("unknown indicator {code}")))?;
        tx.execute(
            sql(
                "INSERT INTO indicators (code, name, unit, source) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (code) DO NOTHING",
            )
            .bind(indicator.code)
            .bind(indicator.name)
            .bind(indicator.unit.as_str())
            .bind(format!("Importert fra «{}»", filename)),
        )
        .await?;
        into_map(
            tx.fetch_all(sql(STORED_VALUES).bind(*code)).await?,
            &mut stored,
        );
    }
    let mut counts = ImportCounts::default();
    for o in observations {
        let key = key_of(o);
        let new = value_of(o);
        match stats::change(stored.get(&key).copied(), new) {
            Change::Unchanged => counts.unchanged += 1,
            Change::New => {
                insert_observation(tx, o).await?;
                counts.new += 1;
            }
            Change::Changed { old, synthetic } => {
                tx.execute(
                    sql("DELETE FROM observations WHERE indicator_code = $1 AND region = $2 AND year = $3 \
                         AND COALESCE(need_level, '') = COALESCE($4, '') AND COALESCE(age_group, '') = COALESCE($5, '')")
                    .bind(o.indicator)
                    .bind(&o.region)
                    .bind(i64::from(o.year))
                    .bind(o.need_level.clone())
                    .bind(o.age_group.clone()),
                )
                .await?;
                insert_observation(tx, o).await?;
                counts.changed += 1;
                let unit = stats::indicator(o.indicator)
                    .map(|i| i.unit)
                    .unwrap_or(stats::Unit::Antall);
                let field = observation_label(o);
                let old_text = display_value(old, unit);
                let new_text = display_value(new, unit);
                let was = if synthetic {
                    " (syntetisk demotall)"
                } else {
                    ""
                };
                tx.audit(
                    NewAuditEvent::new(
                        actor,
                        "statistics.changed",
                        format!(
                            "{field}: {old_text}{was} erstattet med {new_text} (import fra «{}»)",
                            filename
                        ),
                    )
                    .change(&field, Some(old_text), Some(new_text)),
                )
                .await?;
            }
        }
        // A key may stand once in a file; this keeps a repeat from counting twice.
        stored.insert(key, (new, false));
    }
    tx.audit(NewAuditEvent::new(
        actor,
        "statistics.imported",
        format!(
            "Importerte statistikk fra «{}»: {} nye, {} endrede og {} uendrede observasjoner",
            filename, counts.new, counts.changed, counts.unchanged
        ),
    ))
    .await?;
    Ok(counts)
}
