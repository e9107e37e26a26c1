//! Statistikk: the national KPR series and the per-municipality figures (in the sample
//! data: synthetic demonstration figures for Trøndelag, marked as such), as a page and
//! as a workbook and CSV with the same figures.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Layout, render};
use crate::domain::kommune::{Kommunenummer, Register};
use crate::domain::statistics::{self as stats, SYNTHETIC_LABEL, SYNTHETIC_WARNING, Unit, Value};
use crate::error::{AppError, AppResult};
use crate::sheets::csv_export::table_to_csv;
use crate::sheets::export::{Cell, Table as ExportTable};
use crate::sheets::statistics_export::{
    IndicatorSource, StatisticsExport, marked_title, statistics_workbook,
};
use crate::store::ObservationRow;
use crate::web::AppState;
use crate::web::auth::{Access, CurrentUser, Routes, roles};
use crate::web::extract::FormFields;
use crate::web::extract::QueryParams;
use crate::web::responses::{csv_response, xlsx_response};
use crate::web::upload_form::receive_statistics_form;

pub fn routes() -> Routes {
    let all = Access::Roles(roles::ALL);
    Routes::default()
        .get("/statistikk", all, page)
        .get("/statistikk.xlsx", all, xlsx)
        .get("/statistikk.csv", all, csv)
        .post("/statistikk/import", Access::Roles(roles::OFFICER), import)
        .post(
            "/statistikk/ssb",
            Access::Roles(roles::OFFICER),
            fetch_from_ssb,
        )
}

/// «Hent fra SSB»: the table fetched from SSB's API becomes a preview at `/uploads/{id}`.
async fn fetch_from_ssb(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    form: FormFields,
) -> AppResult<Response> {
    let query = crate::app::ssb::SsbQuery::from_text(
        &form.text("table"),
        &form.text("from_year"),
        &form.text("to_year"),
    )?;
    let id = crate::app::ssb::fetch_statistics(
        &state.store,
        &state.uploads,
        &state.ssb,
        &user,
        &crate::domain::audit::Actor::from(&user),
        &query,
    )
    .await?;
    Ok(Redirect::to(&format!("/uploads/{id}")).into_response())
}

/// The import form's target: the file becomes a preview at `/uploads/{id}`.
async fn import(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    multipart: Multipart,
) -> AppResult<Response> {
    let id = receive_statistics_form(&state, &user, multipart).await?;
    Ok(Redirect::to(&format!("/uploads/{id}")).into_response())
}

/// A stored observation as Norwegians read it (see [`stats::display_value`]).
pub fn display_value(o: &ObservationRow) -> String {
    let unit = stats::Unit::parse(&o.unit).unwrap_or(stats::Unit::Antall);
    stats::display_value(
        stats::Value::from_columns(o.value.as_deref(), o.symbol.as_deref()),
        unit,
    )
}

struct Table {
    title: String,
    /// Year, value, synthetic.
    rows: Vec<(String, String, bool)>,
}

/// An observation as an export cell: a count, a percentage, or the symbol (never 0).
fn observation_cell(o: &ObservationRow) -> Cell {
    Cell::statistic(
        Value::from_columns(o.value.as_deref(), o.symbol.as_deref()),
        Unit::parse(&o.unit).unwrap_or(Unit::Antall),
    )
}

/// One municipality's figures for the chosen year, in the order of `MunicipalTable::columns`.
struct MunicipalRow {
    kommunenummer: String,
    name: String,
    cells: Vec<Option<ObservationRow>>,
    synthetic: bool,
}

impl MunicipalRow {
    /// The figures as the page shows them.
    fn values(&self) -> Vec<String> {
        self.cells
            .iter()
            .map(|c| c.as_ref().map(display_value).unwrap_or_default())
            .collect()
    }
}

struct MunicipalColumn {
    name: String,
    unit: String,
}

struct MunicipalTable {
    year: i64,
    columns: Vec<MunicipalColumn>,
    rows: Vec<MunicipalRow>,
    any_synthetic: bool,
}

#[derive(Template)]
#[template(path = "statistics.html")]
struct Page {
    layout: Layout,
    tables: Vec<Table>,
    breakdown: Vec<ObservationRow>,
    years: Vec<i64>,
    municipal: Option<MunicipalTable>,
    year_problem: Option<String>,
    synthetic_label: &'static str,
    synthetic_warning: &'static str,
    /// The indicators to choose from in the import form.
    indicators: &'static [stats::Indicator],
}

impl Page {
    fn value(&self, o: &ObservationRow) -> String {
        display_value(o)
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
struct StatisticsQuery {
    #[serde(default)]
    aar: String,
}

/// The indicators shown per municipality, in this order; others follow by code.
const MUNICIPAL_ORDER: [&str; 4] = [
    stats::INHABITANTS,
    stats::RECIPIENTS,
    stats::COORDINATOR,
    stats::PLAN,
];

/// The per-municipality table for one year: a row per kommunenummer, a column per
/// indicator (only totals; breakdowns by need or age are not shown here).
fn municipal_table(
    register: &Register,
    year: i64,
    observations: Vec<ObservationRow>,
) -> MunicipalTable {
    let totals: Vec<ObservationRow> = observations
        .into_iter()
        .filter(|o| o.need_level.is_none() && o.age_group.is_none())
        .collect();
    let mut codes: Vec<(usize, String, String, String)> = Vec::new();
    for o in &totals {
        if !codes.iter().any(|(_, c, _, _)| *c == o.indicator_code) {
            let rank = MUNICIPAL_ORDER
                .iter()
                .position(|c| *c == o.indicator_code)
                .unwrap_or(MUNICIPAL_ORDER.len());
            codes.push((
                rank,
                o.indicator_code.clone(),
                o.indicator_name.clone(),
                o.unit.clone(),
            ));
        }
    }
    codes.sort();
    let mut rows: Vec<MunicipalRow> = Vec::new();
    for o in &totals {
        let index = codes.iter().position(|(_, c, _, _)| *c == o.indicator_code);
        let row = match rows.iter_mut().find(|r| r.kommunenummer == o.region) {
            Some(row) => row,
            None => {
                let name = Kommunenummer::parse(&o.region)
                    .ok()
                    .and_then(|k| register.name_in_year(&k, i32::try_from(year).unwrap_or(0)))
                    .unwrap_or_default();
                rows.push(MunicipalRow {
                    kommunenummer: o.region.clone(),
                    name,
                    cells: vec![None; codes.len()],
                    synthetic: false,
                });
                rows.last_mut().expect("just pushed")
            }
        };
        if let Some(i) = index {
            row.cells[i] = Some(o.clone());
        }
        row.synthetic |= o.synthetic;
    }
    MunicipalTable {
        year,
        columns: codes
            .into_iter()
            .map(|(_, _, name, unit)| MunicipalColumn { name, unit })
            .collect(),
        any_synthetic: rows.iter().any(|r| r.synthetic),
        rows,
    }
}

/// The year to show per municipality: the one asked for if there are figures for it,
/// else the latest, with a sentence saying so.
fn chosen_year(years: &[i64], asked: &str) -> (Option<i64>, Option<String>) {
    let asked = asked.trim();
    if asked.is_empty() {
        return (years.last().copied(), None);
    }
    match asked.parse::<i64>() {
        Ok(y) if years.contains(&y) => (Some(y), None),
        _ => {
            let fallback = years.last().copied();
            let problem = match fallback {
                Some(f) => format!("Det finnes ingen kommunetall for «{asked}». Viser {f}."),
                None => format!("Det finnes ingen kommunetall for «{asked}»."),
            };
            (fallback, Some(problem))
        }
    }
}

/// What the page and its downloads show.
struct Statistics {
    national: Vec<ObservationRow>,
    years: Vec<i64>,
    municipal: Option<MunicipalTable>,
    year_problem: Option<String>,
}

async fn statistics(state: &AppState, asked_year: &str) -> AppResult<Statistics> {
    let national = state.store.observations_for_region(stats::COUNTRY).await?;
    let years = state.store.municipal_observation_years().await?;
    let (year, year_problem) = chosen_year(&years, asked_year);
    let municipal = match year {
        Some(year) => {
            let observations = state
                .store
                .municipal_observations(i32::try_from(year).ok(), None)
                .await?;
            let register = state.store.register().await?;
            Some(municipal_table(&register, year, observations))
        }
        None => None,
    };
    Ok(Statistics {
        national,
        years,
        municipal,
        year_problem,
    })
}

async fn page(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    QueryParams(query): QueryParams<StatisticsQuery>,
) -> AppResult<Response> {
    let data = statistics(&state, &query.aar).await?;
    let mut tables: Vec<Table> = Vec::new();
    let mut breakdown = Vec::new();
    for o in data.national {
        if o.need_level.is_some() || o.age_group.is_some() {
            breakdown.push(o);
            continue;
        }
        let title = o.indicator_name.clone();
        let row = (o.year.to_string(), display_value(&o), o.synthetic);
        match tables.iter_mut().find(|t| t.title == title) {
            Some(t) => t.rows.push(row),
            None => tables.push(Table {
                title,
                rows: vec![row],
            }),
        }
    }
    Ok(render(&Page {
        layout: Layout::new(&state, &user, "statistikk"),
        tables,
        breakdown,
        years: data.years,
        municipal: data.municipal,
        year_problem: data.year_problem,
        synthetic_label: SYNTHETIC_LABEL,
        synthetic_warning: SYNTHETIC_WARNING,
        indicators: &stats::INDICATORS,
    }))
}

fn synthetic_note(synthetic: bool) -> Cell {
    if synthetic {
        Cell::text(SYNTHETIC_LABEL)
    } else {
        Cell::Empty
    }
}

/// The national series and breakdowns, one observation a row.
fn national_export(observations: &[ObservationRow]) -> ExportTable {
    let any_synthetic = observations.iter().any(|o| o.synthetic);
    ExportTable {
        title: marked_title("Statistikk for hele landet", any_synthetic),
        notes: vec![
            "Mottakere av helsetjenester i hjemmet og/eller praktisk bistand per 31.12., og andelen av dem med koordinator og med virksom individuell plan (KPR).".into(),
        ],
        columns: ["År", "Indikator", "Bistandsbehov", "Alder", "Verdi", "Enhet", "Merknad"]
            .iter()
            .map(|c| c.to_string())
            .collect(),
        rows: observations
            .iter()
            .map(|o| {
                vec![
                    Cell::Integer(o.year),
                    Cell::text(&o.indicator_name),
                    Cell::optional_text(o.need_level.as_deref()),
                    Cell::text(o.age_group.as_deref().unwrap_or("alle")),
                    observation_cell(o),
                    Cell::text(&o.unit),
                    synthetic_note(o.synthetic),
                ]
            })
            .collect(),
    }
}

/// The per-municipality table of the page, with a column for the synthetic mark.
fn municipal_export(table: Option<&MunicipalTable>, year_problem: Option<&str>) -> ExportTable {
    let any_synthetic = table.is_some_and(|t| t.any_synthetic);
    let mut notes: Vec<String> = year_problem.map(str::to_string).into_iter().collect();
    let title = match table {
        Some(t) => format!("Tall per kommune {} (inndelingen det året)", t.year),
        None => {
            notes.push("Ingen tall per kommune er lastet inn.".into());
            "Tall per kommune".to_string()
        }
    };
    if any_synthetic {
        notes.push(SYNTHETIC_WARNING.into());
    }
    let mut columns = vec!["Kommunenummer".to_string(), "Kommune".to_string()];
    if let Some(t) = table {
        columns.extend(t.columns.iter().map(|c| match Unit::parse(&c.unit) {
            Some(Unit::Prosent) => format!("{} (%)", c.name),
            _ => c.name.clone(),
        }));
    }
    columns.push("Merknad".into());
    let rows = table
        .map(|t| {
            t.rows
                .iter()
                .map(|r| {
                    let mut cells = vec![Cell::text(&r.kommunenummer), Cell::text(&r.name)];
                    cells.extend(
                        r.cells
                            .iter()
                            .map(|c| c.as_ref().map_or(Cell::Empty, observation_cell)),
                    );
                    cells.push(synthetic_note(r.synthetic));
                    cells
                })
                .collect()
        })
        .unwrap_or_default();
    ExportTable {
        title: marked_title(&title, any_synthetic),
        notes,
        columns,
        rows,
    }
}

fn file_year(data: &Statistics) -> String {
    data.municipal
        .as_ref()
        .map(|m| format!("-{}", m.year))
        .unwrap_or_default()
}

async fn xlsx(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    QueryParams(query): QueryParams<StatisticsQuery>,
) -> AppResult<Response> {
    let data = statistics(&state, &query.aar).await?;
    let sources = state
        .store
        .indicators()
        .await?
        .into_iter()
        .map(|i| IndicatorSource {
            name: i.name,
            unit: i.unit,
            source: i.source,
        })
        .collect();
    let export = StatisticsExport {
        national: national_export(&data.national),
        municipal: municipal_export(data.municipal.as_ref(), data.year_problem.as_deref()),
        sources,
        any_synthetic: data.national.iter().any(|o| o.synthetic)
            || data.municipal.as_ref().is_some_and(|m| m.any_synthetic),
        generated_by: user.display_name.clone(),
    };
    let bytes = statistics_workbook(&export)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("statistics workbook: {e}")))?;
    Ok(xlsx_response(
        bytes,
        &format!("statistikk{}.xlsx", file_year(&data)),
    ))
}

async fn csv(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<StatisticsQuery>,
) -> AppResult<Response> {
    let data = statistics(&state, &query.aar).await?;
    let table = municipal_export(data.municipal.as_ref(), data.year_problem.as_deref());
    Ok(csv_response(
        table_to_csv(&table),
        &format!("statistikk-kommuner{}.csv", file_year(&data)),
    ))
}
