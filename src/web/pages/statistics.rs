//! Statistikk: the national KPR series and the per-municipality figures (in the sample
//! data: synthetic demonstration figures for Trøndelag, marked as such).

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Layout, render};
use crate::domain::audit::Actor;
use crate::domain::kommune::{Kommunenummer, Register};
use crate::domain::statistics::{self as stats, SYNTHETIC_LABEL};
use crate::error::AppResult;
use crate::store::ObservationRow;
use crate::web::AppState;
use crate::web::auth::{Access, CurrentUser, Routes, roles};
use crate::web::uploads::{read_upload_form, receive_statistics};

pub fn routes() -> Routes {
    Routes::default()
        .get("/statistikk", Access::Roles(roles::ALL), page)
        .post("/statistikk/import", Access::Roles(roles::OFFICER), import)
}

/// The import form's target: the file becomes a preview at `/uploads/{id}`.
async fn import(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    multipart: Multipart,
) -> AppResult<Response> {
    let form = read_upload_form(multipart).await?;
    let id = receive_statistics(
        &state,
        &user,
        &Actor::from(&user),
        form.indicator.as_deref(),
        &form.filename,
        &form.bytes,
    )
    .await?;
    Ok(Redirect::to(&format!("/uploads/{id}")).into_response())
}

/// A value as Norwegians read it: decimal comma, `%` for shares, grouped thousands.
pub fn display_value(o: &ObservationRow) -> String {
    let Some(value) = &o.value else {
        return o.symbol.clone().unwrap_or_else(|| "..".into());
    };
    if o.unit == "prosent" {
        format!("{} %", value.replace('.', ","))
    } else {
        match value.parse::<i64>() {
            Ok(n) => crate::domain::Kroner::from_whole(n).to_input_string(),
            Err(_) => value.replace('.', ","),
        }
    }
}

struct Table {
    title: String,
    /// Year, value, synthetic.
    rows: Vec<(String, String, bool)>,
}

/// One municipality's figures for the chosen year, in the order of `MunicipalTable::columns`.
struct MunicipalRow {
    kommunenummer: String,
    name: String,
    values: Vec<String>,
    synthetic: bool,
}

struct MunicipalTable {
    year: i64,
    columns: Vec<String>,
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
    /// The indicators to choose from in the import form.
    indicators: &'static [stats::Indicator],
}

impl Page {
    fn value(&self, o: &ObservationRow) -> String {
        display_value(o)
    }
}

#[derive(Deserialize)]
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
    let mut codes: Vec<(usize, String, String)> = Vec::new();
    for o in &totals {
        if !codes.iter().any(|(_, c, _)| *c == o.indicator_code) {
            let rank = MUNICIPAL_ORDER
                .iter()
                .position(|c| *c == o.indicator_code)
                .unwrap_or(MUNICIPAL_ORDER.len());
            codes.push((rank, o.indicator_code.clone(), o.indicator_name.clone()));
        }
    }
    codes.sort();
    let mut rows: Vec<MunicipalRow> = Vec::new();
    for o in &totals {
        let index = codes.iter().position(|(_, c, _)| *c == o.indicator_code);
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
                    values: vec![String::new(); codes.len()],
                    synthetic: false,
                });
                rows.last_mut().expect("just pushed")
            }
        };
        if let Some(i) = index {
            row.values[i] = display_value(o);
        }
        row.synthetic |= o.synthetic;
    }
    MunicipalTable {
        year,
        columns: codes.into_iter().map(|(_, _, name)| name).collect(),
        any_synthetic: rows.iter().any(|r| r.synthetic),
        rows,
    }
}

async fn page(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Query(query): Query<StatisticsQuery>,
) -> AppResult<Response> {
    let observations = state.store.observations_for_region("0000").await?;
    let mut tables: Vec<Table> = Vec::new();
    let mut breakdown = Vec::new();
    for o in observations {
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

    let years = state.store.municipal_observation_years().await?;
    let asked = query.aar.trim();
    let mut year_problem = None;
    let year = if asked.is_empty() {
        years.last().copied()
    } else {
        match asked.parse::<i64>() {
            Ok(y) if years.contains(&y) => Some(y),
            _ => {
                let fallback = years.last().copied();
                year_problem = Some(match fallback {
                    Some(f) => format!("Det finnes ingen kommunetall for «{asked}». Viser {f}."),
                    None => format!("Det finnes ingen kommunetall for «{asked}»."),
                });
                fallback
            }
        }
    };
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
    Ok(render(&Page {
        layout: Layout::new(&state, &user, "statistikk"),
        tables,
        breakdown,
        years,
        municipal,
        year_problem,
        synthetic_label: SYNTHETIC_LABEL,
        indicators: &stats::INDICATORS,
    }))
}
