//! Hendelseslogg: every change, filterable by user, round, application and time.
//! Readable by admin and saksbehandler only.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{NaiveDate, TimeZone};
use serde::Deserialize;

use super::rounds::AuditLine;
use super::{Layout, render};
use crate::domain::date::parse_date;
use crate::domain::validation::FieldErrors;
use crate::error::AppResult;
use crate::store::{AUDIT_PAGE_LIMIT, AuditFilter, UserSummary};
use crate::web::AppState;
use crate::web::auth::{Access, CurrentUser, Routes, roles};

pub fn routes() -> Routes {
    Routes::default().get("/audit", Access::Roles(roles::AUDIT), page)
}

/// The filter as typed in the form or the query string (all optional).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub round: Option<String>,
    #[serde(default)]
    pub application: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
}

fn oslo_midnight(date: NaiveDate) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono_tz::Europe::Oslo
        .from_local_datetime(&date.and_hms_opt(0, 0, 0)?)
        .earliest()
        .map(|t| t.with_timezone(&chrono::Utc))
}

impl AuditQuery {
    /// Turns the text into a filter; dates are whole days in Norwegian time, `to` inclusive.
    pub fn to_filter(&self) -> Result<AuditFilter, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut id = |field: &str, label: &str, value: &Option<String>| {
            let text = value.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
            match text.parse::<i64>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    errors.add(field, format!("{label} må være et tall, ikke «{text}»."));
                    None
                }
            }
        };
        let actor_user_id = id("user", "Bruker", &self.user);
        let round_id = id("round", "Runde", &self.round);
        let application_id = id("application", "Søknad", &self.application);
        let mut date = |field: &str, value: &Option<String>| {
            let text = value.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
            errors.take(field, parse_date(text))
        };
        let from = date("from", &self.from).and_then(oslo_midnight);
        let until = date("to", &self.to)
            .and_then(|d| d.succ_opt())
            .and_then(oslo_midnight);
        errors.into_result(|| AuditFilter {
            actor_user_id,
            round_id,
            application_id,
            from,
            until,
            limit: None,
        })
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct Page {
    layout: Layout,
    query: AuditQuery,
    errors: FieldErrors,
    lines: Vec<AuditLine>,
    users: Vec<UserSummary>,
    rounds: Vec<(i64, String)>,
    limit: i64,
}

impl Page {
    fn is_user(&self, id: &i64) -> bool {
        self.query.user.as_deref() == Some(id.to_string().as_str())
    }

    fn is_round(&self, id: &i64) -> bool {
        self.query.round.as_deref() == Some(id.to_string().as_str())
    }

    fn text(value: &Option<String>) -> &str {
        value.as_deref().unwrap_or("")
    }
}

async fn page(
    State(state): State<AppState>,
    CurrentUser(me, _): CurrentUser,
    Query(query): Query<AuditQuery>,
) -> AppResult<Response> {
    let (lines, errors) = match query.to_filter() {
        Ok(filter) => (
            state
                .store
                .audit_events(&filter)
                .await?
                .into_iter()
                .map(AuditLine::new)
                .collect(),
            FieldErrors::new(),
        ),
        Err(errors) => (Vec::new(), errors),
    };
    let rounds = state
        .store
        .list_rounds()
        .await?
        .into_iter()
        .map(|r| (r.round.id, r.round.name))
        .collect();
    Ok(render(&Page {
        layout: Layout::new(&state, &me, "logg"),
        query,
        errors,
        lines,
        users: state.store.list_users().await?,
        rounds,
        limit: AUDIT_PAGE_LIMIT,
    }))
}
