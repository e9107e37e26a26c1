//! Kommuner: the municipality register, searchable, with each municipality's history.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{Layout, render};
use crate::error::AppResult;
use crate::web::AppState;
use crate::web::auth::{Access, CurrentUser, Routes, roles};
use crate::web::views::{MunicipalityEntry, search_municipalities};

pub fn routes() -> Routes {
    Routes::default().get("/kommuner", Access::Roles(roles::ALL), page)
}

#[derive(Template)]
#[template(path = "municipalities.html")]
struct Page {
    layout: Layout,
    query: String,
    results: Vec<MunicipalityEntry>,
    total: usize,
    division_years: Vec<i32>,
}

#[derive(Deserialize, schemars::JsonSchema)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// With no query, the list is long (about 1 000 numbers); it is still one page, as an
/// officer scrolling or using the browser's find expects.
async fn page(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Query(query): Query<SearchQuery>,
) -> AppResult<Response> {
    let register = state.store.register().await?;
    let results = search_municipalities(&register, &query.q);
    Ok(render(&Page {
        layout: Layout::new(&state, &user, "kommuner"),
        total: results.len(),
        query: query.q,
        results,
        division_years: register.division_years(),
    }))
}
