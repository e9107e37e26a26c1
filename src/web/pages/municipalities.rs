//! Kommuner: the municipality register, searchable, with each municipality's history.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::{Layout, render};
use crate::domain::date::format_date;
use crate::domain::kommune::{HistoryEntry, Kommunenummer, Register, fold_name};
use crate::error::AppResult;
use crate::web::AppState;
use crate::web::auth::{Access, CurrentUser, Routes, roles};

pub fn routes() -> Routes {
    Routes::default().get("/kommuner", Access::Roles(roles::ALL), page)
}

/// One municipality number with its names per division and its recorded changes.
#[derive(Debug, Clone, Serialize)]
pub struct MunicipalityEntry {
    pub kommunenummer: String,
    pub name: String,
    /// `(division year, name)` for each division that has this number.
    pub divisions: Vec<(i32, String)>,
    pub history: Vec<HistoryLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryLine {
    pub effective: String,
    pub kind: &'static str,
    pub text: String,
}

impl HistoryLine {
    fn new(entry: HistoryEntry) -> Self {
        let list = |ms: &[crate::domain::kommune::Municipality]| {
            ms.iter()
                .map(|m| format!("{} {}", m.number, m.name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let text = match entry.kind {
            crate::domain::kommune::ChangeKind::Split => {
                format!("{} delt mellom {}", list(&entry.from), list(&entry.to))
            }
            _ => format!("{} → {}", list(&entry.from), list(&entry.to)),
        };
        HistoryLine {
            effective: format_date(entry.effective),
            kind: entry.kind.label(),
            text,
        }
    }
}

/// Matches by number prefix or by name (case, spaces and æøå spellings folded).
pub fn search_municipalities(register: &Register, query: &str) -> Vec<MunicipalityEntry> {
    let query = query.trim();
    let folded = fold_name(query);
    let digits = !query.is_empty() && query.chars().all(|c| c.is_ascii_digit());
    let mut results = Vec::new();
    for number in register.all_numbers() {
        let divisions = register.presence(&number);
        let name = divisions
            .last()
            .map(|(_, n)| n.clone())
            .or_else(|| register.name_of(&number, 9999))
            .unwrap_or_default();
        let matches = if query.is_empty() {
            true
        } else if digits {
            number.as_str().starts_with(query)
                || Kommunenummer::parse(query).is_ok_and(|k| k == number)
        } else {
            divisions
                .iter()
                .map(|(_, n)| n.as_str())
                .chain(std::iter::once(name.as_str()))
                .any(|n| fold_name(n).contains(&folded))
        };
        if matches {
            results.push(MunicipalityEntry {
                kommunenummer: number.to_string(),
                name,
                divisions,
                history: register
                    .history(&number)
                    .into_iter()
                    .map(HistoryLine::new)
                    .collect(),
            });
        }
    }
    results
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

#[derive(Deserialize)]
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
