//! Statistics: indicators and their observations per region and year.

use serde::Serialize;

use super::{Store, Tx, sql};
use crate::error::AppResult;

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

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
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
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
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
) -> AppResult<()> {
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

pub async fn insert_observation(tx: &mut Tx, o: &NewObservation) -> AppResult<()> {
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
    pub async fn observations_for_region(&self, region: &str) -> AppResult<Vec<ObservationRow>> {
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
    ) -> AppResult<Vec<ObservationRow>> {
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
    pub async fn indicators(&self) -> AppResult<Vec<IndicatorRow>> {
        self.fetch_all(sql(
            "SELECT code, name, unit, source FROM indicators ORDER BY code",
        ))
        .await
    }

    /// The years for which some municipality has an observation, oldest first.
    pub async fn municipal_observation_years(&self) -> AppResult<Vec<i64>> {
        let years: Vec<(i64,)> = self
            .fetch_all(sql(
                "SELECT DISTINCT year FROM observations WHERE region <> '0000' ORDER BY year",
            ))
            .await?;
        Ok(years.into_iter().map(|(y,)| y).collect())
    }
}
