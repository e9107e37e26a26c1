//! The funding-vs-coverage report, as the page, the workbook, the CSV files and the API
//! all load it: which rounds, which municipality division, which statistics.

use serde::Deserialize;

use super::AppState;
use crate::domain::county;
use crate::domain::report::{self, Report, ReportInput, ReportRound};
use crate::domain::round::{Round, RoundPhase};
use crate::domain::validation::FieldErrors;
use crate::error::AppResult;
use crate::store::SnapshotSummary;

/// The report's choices, as query parameters. Norwegian names on pages, English
/// aliases for the API.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
pub struct ReportQuery {
    /// Division year (`2024`); empty for the newest.
    #[serde(default, alias = "division")]
    pub inndeling: String,
    /// `runde` (this round) or `ordning` (every round of its scheme).
    #[serde(default, alias = "scope")]
    pub omfang: String,
    /// A statistics snapshot id; empty for the current figures.
    #[serde(default, alias = "snapshot")]
    pub grunnlag: String,
    /// The municipality shown in the coverage chart on the page.
    #[serde(default, alias = "kommunenummer")]
    pub kommune: String,
}

/// What was chosen, after checking the query.
#[derive(Debug, Clone)]
pub struct ReportChoice {
    pub division_year: i32,
    pub division_years: Vec<i32>,
    pub whole_scheme: bool,
    pub snapshot: Option<SnapshotSummary>,
}

pub struct LoadedReport {
    pub round: Round,
    pub report: Report,
    pub choice: ReportChoice,
    pub snapshots: Vec<SnapshotSummary>,
    /// Problems with the query; the page falls back to the defaults for those, the API
    /// refuses them.
    pub problems: FieldErrors,
}

impl LoadedReport {
    /// The query string that reproduces this report (for the download links).
    pub fn query_string(&self) -> String {
        let mut pairs = vec![
            ("inndeling", self.choice.division_year.to_string()),
            (
                "omfang",
                if self.choice.whole_scheme {
                    "ordning"
                } else {
                    "runde"
                }
                .to_string(),
            ),
        ];
        if let Some(s) = &self.choice.snapshot {
            pairs.push(("grunnlag", s.id.to_string()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }

    pub fn title(&self) -> String {
        if self.choice.whole_scheme {
            format!("Tilskudd og dekning – {} (alle runder)", self.round.scheme)
        } else {
            format!("Tilskudd og dekning – {}", self.round.name)
        }
    }
}

/// Loads the report for `round_id` with the choices in `query`.
pub async fn load(state: &AppState, round_id: i64, query: &ReportQuery) -> AppResult<LoadedReport> {
    let round = state.store.round(round_id).await?;
    let register = state.store.register().await?;
    let snapshots = state.store.snapshots().await?;
    let mut problems = FieldErrors::default();

    let division_years = register.division_years();
    let newest = register.newest_year().unwrap_or(round.year);
    let asked = query.inndeling.trim();
    let division_year = if asked.is_empty() {
        newest
    } else {
        match asked.parse::<i32>() {
            Ok(y) if division_years.contains(&y) => y,
            _ => {
                let known: Vec<String> = division_years.iter().map(i32::to_string).collect();
                problems.add(
                    "inndeling",
                    format!(
                        "«{asked}» er ikke en kommuneinndeling i registeret (velg {}).",
                        known.join(", ")
                    ),
                );
                newest
            }
        }
    };
    let whole_scheme = match query.omfang.trim() {
        "" | "runde" | "round" => false,
        "ordning" | "scheme" => true,
        other => {
            problems.add(
                "omfang",
                format!("«{other}» er ikke et gyldig omfang (runde eller ordning)."),
            );
            false
        }
    };
    let asked = query.grunnlag.trim();
    let snapshot = if asked.is_empty() || asked == "gjeldende" || asked == "current" {
        None
    } else {
        let found = asked
            .parse::<i64>()
            .ok()
            .and_then(|id| snapshots.iter().find(|s| s.id == id).cloned());
        if found.is_none() {
            problems.add("grunnlag", format!("Fant ikke statistikkutvalg «{asked}»."));
        }
        found
    };

    let rounds: Vec<Round> = if whole_scheme {
        let mut rounds = Vec::new();
        for overview in state.store.list_rounds().await? {
            if overview.round.scheme == round.scheme {
                rounds.push(overview.round);
            }
        }
        rounds.sort_by_key(|r| (r.year, r.id));
        rounds
    } else {
        vec![round.clone()]
    };
    let grants = state.store.report_grants(&rounds).await?;
    let observations = state
        .store
        .report_observations(snapshot.as_ref().map(|s| s.id))
        .await?;
    let mut sources = state.store.indicator_sources().await?;
    if let Some(s) = &snapshot {
        sources.push(format!(
            "Statistikkutvalg «{}», frosset {} av {}.",
            s.name,
            s.created_at.format("%d.%m.%Y"),
            s.created_by
        ));
    }
    let county = round
        .region
        .as_deref()
        .and_then(|name| county::county_code(division_year, name))
        .map(String::from);
    let report = report::build(ReportInput {
        register: &register,
        division_year,
        county,
        rounds: rounds
            .iter()
            .map(|r| ReportRound {
                id: r.id,
                name: r.name.clone(),
                year: r.year,
                pool: r.pool,
                decided: r.phase == RoundPhase::Decided,
            })
            .collect(),
        grants,
        observations,
        sources,
    });
    Ok(LoadedReport {
        round,
        report,
        choice: ReportChoice {
            division_year,
            division_years,
            whole_scheme,
            snapshot,
        },
        snapshots,
        problems,
    })
}
