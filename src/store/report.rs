//! What the funding-vs-coverage report reads: grants of rounds, totals of the
//! statistics (current, or as frozen in a snapshot), and where the figures come from.

use super::StoreResult;
use super::{Store, sql};
use crate::domain::report::{Grant, Observation};
use crate::domain::round::Round;
use crate::domain::statistics::{self, Value};

#[derive(sqlx::FromRow)]
struct ObservationRow {
    indicator_code: String,
    region: String,
    year: i64,
    value: Option<String>,
    symbol: Option<String>,
    synthetic: bool,
}

impl Store {
    /// The allocated amounts of `rounds` (non-zero only), with the members of
    /// collaborations so the report can say whom an IKS covers.
    pub async fn report_grants(&self, rounds: &[Round]) -> StoreResult<Vec<Grant>> {
        let register = self.register().await?;
        let mut grants = Vec::new();
        for round in rounds {
            for application in self.round_applications(round.id).await? {
                let Some(amount) = application.allocated.filter(|a| !a.is_zero()) else {
                    continue;
                };
                let members = match &application.kommunenummer {
                    Some(_) => Vec::new(),
                    None => self
                        .members_in_year(&register, application.organisation_id, round.year)
                        .await?
                        .into_iter()
                        .map(|m| m.name)
                        .collect(),
                };
                grants.push(Grant {
                    round_year: round.year,
                    applicant: application.applicant,
                    kommunenummer: application.kommunenummer.map(|k| k.as_str().to_string()),
                    members,
                    amount,
                });
            }
        }
        Ok(grants)
    }

    /// Totals (no breakdown by need or age) of the indicators the report uses: the
    /// current figures, or those frozen in `snapshot`.
    pub async fn report_observations(
        &self,
        snapshot: Option<i64>,
    ) -> StoreResult<Vec<Observation>> {
        let codes = [
            statistics::INHABITANTS,
            statistics::RECIPIENTS,
            statistics::COORDINATOR,
            statistics::PLAN,
        ];
        let mut q = match snapshot {
            Some(_) => sql(
                "SELECT indicator_code, region, year, value, symbol, synthetic FROM snapshot_observations \
                 WHERE need_level IS NULL AND age_group IS NULL AND indicator_code IN ($1, $2, $3, $4) \
                 AND snapshot_id = $5",
            ),
            None => sql(
                "SELECT indicator_code, region, year, value, symbol, synthetic FROM observations \
                 WHERE need_level IS NULL AND age_group IS NULL AND indicator_code IN ($1, $2, $3, $4)",
            ),
        };
        for code in codes {
            q = q.bind(code);
        }
        if let Some(id) = snapshot {
            q = q.bind(id);
        }
        let rows: Vec<ObservationRow> = self.fetch_all(q).await?;
        Ok(rows
            .into_iter()
            .map(|r| Observation {
                value: Value::from_columns(r.value.as_deref(), r.symbol.as_deref()),
                indicator: r.indicator_code,
                region: r.region,
                year: i32::try_from(r.year).unwrap_or_default(),
                synthetic: r.synthetic,
            })
            .collect())
    }

    /// One line per indicator: its name and where it comes from.
    pub async fn indicator_sources(&self) -> StoreResult<Vec<String>> {
        let rows: Vec<(String, String)> = self
            .fetch_all(sql("SELECT name, source FROM indicators ORDER BY code"))
            .await?;
        Ok(rows
            .into_iter()
            .map(|(name, source)| format!("{name}: {source}"))
            .collect())
    }
}
