//! The report on funding and coordinator coverage, as a page with charts and tables.

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use rust_decimal::Decimal;

use super::{Layout, render};
use crate::domain::Kroner;
use crate::domain::allocation::number_text;
use crate::domain::report::{Coverage, MunicipalityRow, NationalYear};
use crate::domain::statistics::{Unit, Value, display_value};
use crate::error::{AppError, AppResult};
use crate::sheets::export::generated_at;
use crate::sheets::report::{report_csv, report_workbook};
use crate::web::AppState;
use crate::web::auth::{Access, CurrentUser, Routes, roles};
use crate::web::charts::{self, Point, Series};
use crate::web::extract::Id;
use crate::web::extract::QueryParams;
use crate::web::pages::round_export::file_stem;
use crate::web::report::{LoadedReport, ReportQuery, load};
use crate::web::responses::{csv_response, xlsx_response};

pub fn routes() -> Routes {
    let office = Access::Roles(roles::OFFICE);
    Routes::default()
        .get("/rounds/{id}/report", office, page)
        .get("/rounds/{id}/report.xlsx", office, xlsx)
        .get("/rounds/{id}/report/tildeling.csv", office, |s, i, q| {
            csv(s, i, q, "tildeling")
        })
        .get("/rounds/{id}/report/dekning.csv", office, |s, i, q| {
            csv(s, i, q, "dekning")
        })
        .get("/rounds/{id}/report/sammenheng.csv", office, |s, i, q| {
            csv(s, i, q, "sammenheng")
        })
        .get("/rounds/{id}/report/nasjonalt.csv", office, |s, i, q| {
            csv(s, i, q, "nasjonalt")
        })
}

/// The report as a workbook, with the same choices as the page.
async fn xlsx(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(round_id): Id,
    QueryParams(query): QueryParams<ReportQuery>,
) -> AppResult<Response> {
    let loaded = load(&state, round_id, &query).await?;
    let bytes = report_workbook(
        &loaded.report,
        &loaded.title(),
        &generated_at(),
        &user.display_name,
    )
    .map_err(|e| AppError::Internal(anyhow::anyhow!("report workbook: {e}")))?;
    Ok(xlsx_response(
        bytes,
        &format!("{}.xlsx", file_stem("rapport", &loaded.round)),
    ))
}

/// One of the report's tables as CSV (guarded against formula injection).
async fn csv(
    State(state): State<AppState>,
    Id(round_id): Id,
    QueryParams(query): QueryParams<ReportQuery>,
    table: &'static str,
) -> AppResult<Response> {
    let loaded = load(&state, round_id, &query).await?;
    let text = report_csv(&loaded.report, table).ok_or_else(|| AppError::not_found("tabellen"))?;
    Ok(csv_response(
        text,
        &format!("{}-{table}.csv", file_stem("rapport", &loaded.round)),
    ))
}

/// A number of percentage points with its sign: `+2,5`, `−1`, `0`.
pub fn points_text(change: Option<Decimal>) -> String {
    match change {
        None => "..".into(),
        Some(c) if c.is_sign_positive() && !c.is_zero() => format!("+{}", number_text(c)),
        Some(c) => number_text(c),
    }
}

/// One row of the coverage-over-time table beside the chart.
struct ChartRow {
    year: i32,
    municipality_coordinator: String,
    country_coordinator: String,
    municipality_plan: String,
    country_plan: String,
}

#[derive(Template)]
#[template(path = "report/show.html")]
struct ReportPage {
    layout: Layout,
    loaded: LoadedReport,
    title: String,
    query: String,
    preliminary: bool,
    chosen: Option<MunicipalityRow>,
    coordinator_chart: Option<String>,
    plan_chart: Option<String>,
    chart_rows: Vec<ChartRow>,
    scatter_chart: Option<String>,
    granted_in_rows: Kroner,
    /// Every municipal row is synthetic: the alert says so once instead of a tag per row.
    all_synthetic: bool,
    /// No municipality has a coverage figure from the year before the grant on.
    no_coverage_yet: bool,
}

impl ReportPage {
    fn percent(&self, value: &Value) -> String {
        display_value(*value, Unit::Prosent)
    }

    fn count(&self, value: &Option<Decimal>) -> String {
        value.map(number_text).unwrap_or_else(|| "..".into())
    }

    fn money(&self, value: &Option<Kroner>) -> String {
        value.map(|k| k.to_string()).unwrap_or_else(|| "..".into())
    }

    fn points(&self, change: &Option<Decimal>) -> String {
        points_text(*change)
    }

    fn points_of(&self, change: &Decimal) -> String {
        points_text(Some(*change))
    }

    fn correlation(&self, value: &Option<Decimal>) -> String {
        value
            .map(number_text)
            .unwrap_or_else(|| "kan ikke beregnes".into())
    }

    fn coverage<'a>(&self, row: &'a MunicipalityRow, plan: &bool) -> &'a Coverage {
        if *plan { &row.plan } else { &row.coordinator }
    }

    fn is_chosen(&self, number: &str) -> bool {
        self.chosen
            .as_ref()
            .is_some_and(|c| c.kommunenummer == number)
    }
}

fn series_value(value: Option<&Value>) -> Option<Decimal> {
    value.and_then(|v| v.number())
}

async fn page(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Id(round_id): Id,
    QueryParams(query): QueryParams<ReportQuery>,
) -> AppResult<Response> {
    let loaded = load(&state, round_id, &query).await?;
    let report = &loaded.report;
    let asked = query.kommune.trim();
    // The chart shows the municipality asked for, else the one granted most.
    let chosen = report
        .rows
        .iter()
        .find(|r| r.kommunenummer == asked)
        .or_else(|| report.rows.iter().max_by_key(|r| r.granted))
        .cloned();

    let mut years: BTreeSet<i32> = report.years.iter().copied().collect();
    years.extend(report.national.iter().map(|n| n.year));
    let national =
        |year: i32| -> Option<&NationalYear> { report.national.iter().find(|n| n.year == year) };
    let municipal = |row: &MunicipalityRow, year: i32, plan: bool| -> Option<Value> {
        let index = report.years.iter().position(|y| *y == year)?;
        let coverage = if plan { &row.plan } else { &row.coordinator };
        coverage.by_year.get(index).copied()
    };
    let (mut coordinator_chart, mut plan_chart, mut chart_rows) = (None, None, Vec::new());
    if let Some(row) = &chosen {
        let line = |plan: bool| {
            let label = format!("{} ({})", row.name, row.kommunenummer);
            vec![
                Series {
                    name: label,
                    points: years
                        .iter()
                        .map(|y| (*y, series_value(municipal(row, *y, plan).as_ref())))
                        .collect(),
                },
                Series {
                    name: "Hele landet".into(),
                    points: years
                        .iter()
                        .map(|y| {
                            let n = national(*y);
                            (
                                *y,
                                series_value(
                                    n.map(|n| if plan { &n.plan } else { &n.coordinator }),
                                ),
                            )
                        })
                        .collect(),
                },
            ]
        };
        coordinator_chart = charts::line_chart(
            "dekning-koordinator",
            &format!(
                "Andel mottakere med koordinator, {} og hele landet",
                row.name
            ),
            "Linjediagram over år. Tallene står i tabellen ved siden av.",
            "Prosent",
            &line(false),
        );
        plan_chart = charts::line_chart(
            "dekning-ip",
            &format!(
                "Andel mottakere med individuell plan, {} og hele landet",
                row.name
            ),
            "Linjediagram over år. Tallene står i tabellen ved siden av.",
            "Prosent",
            &line(true),
        );
        let text = |v: Option<Value>| {
            v.map(|v| display_value(v, Unit::Prosent))
                .unwrap_or_else(|| "..".into())
        };
        chart_rows = years
            .iter()
            .map(|y| ChartRow {
                year: *y,
                municipality_coordinator: text(municipal(row, *y, false)),
                country_coordinator: text(national(*y).map(|n| n.coordinator)),
                municipality_plan: text(municipal(row, *y, true)),
                country_plan: text(national(*y).map(|n| n.plan)),
            })
            .collect();
    }
    let points: Vec<Point> = report
        .scatter
        .iter()
        .map(|p| Point {
            label: p.name.clone(),
            x: p.per_recipient.decimal(),
            y: p.change_pp,
        })
        .collect();
    let scatter_chart = charts::scatter_chart(
        "sammenheng",
        "Tilskudd per mottaker mot endring i andel med koordinator",
        "Punktdiagram: ett punkt per kommune. Tallene står i tabellen ved siden av.",
        "Kroner per mottaker",
        "Endring, prosentpoeng",
        &points,
    );
    let granted_in_rows = report.rows.iter().map(|r| r.granted).sum();
    let preliminary = report.rounds.iter().any(|r| !r.decided);
    let all_synthetic = !report.rows.is_empty() && report.rows.iter().all(|r| r.synthetic);
    let no_coverage_yet = report.rows.iter().all(|r| {
        r.coordinator
            .by_year
            .iter()
            .chain(&r.plan.by_year)
            .all(|v| v.number().is_none())
    });
    let page = ReportPage {
        layout: Layout::new(&state, &user, "runder"),
        title: loaded.title(),
        query: loaded.query_string(),
        preliminary,
        chosen,
        coordinator_chart,
        plan_chart,
        chart_rows,
        scatter_chart,
        granted_in_rows,
        all_synthetic,
        no_coverage_yet,
        loaded,
    };
    Ok(render(&page))
}
