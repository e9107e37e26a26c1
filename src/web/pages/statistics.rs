//! Statistikk: the national KPR series that the sample data carries.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::{Layout, render};
use crate::error::AppResult;
use crate::store::ObservationRow;
use crate::web::AppState;
use crate::web::auth::{Access, CurrentUser, Routes, roles};

pub fn routes() -> Routes {
    Routes::default().get("/statistikk", Access::Roles(roles::ALL), page)
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
    rows: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "statistics.html")]
struct Page {
    layout: Layout,
    tables: Vec<Table>,
    breakdown: Vec<ObservationRow>,
}

impl Page {
    fn value(&self, o: &ObservationRow) -> String {
        display_value(o)
    }
}

async fn page(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
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
        let row = (o.year.to_string(), display_value(&o));
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
    }))
}
