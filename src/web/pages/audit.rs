//! Hendelseslogg: every change, filterable by user, round, application and time.
//! Readable by admin and saksbehandler only.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::rounds::AuditLine;
use super::{Layout, render};
use crate::domain::validation::FieldErrors;
use crate::error::AppResult;
use crate::store::UserSummary;
use crate::web::AppState;
use crate::web::auth::{Access, CurrentUser, Routes, roles};
use crate::web::extract::QueryParams;
use crate::web::views::AuditQuery;

pub fn routes() -> Routes {
    Routes::default().get("/audit", Access::Roles(roles::AUDIT), page)
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
    /// The link to older events, when this page is full.
    older: Option<String>,
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

    fn without_logins(&self) -> bool {
        self.query.uten_innlogging.as_deref() == Some("1")
    }
}

/// Events per page of the log.
const PAGE_SIZE: i64 = 200;

/// The query string of the page after this one (older events).
fn older_link(query: &AuditQuery, last_id: i64) -> String {
    let fields = [
        ("user", &query.user),
        ("round", &query.round),
        ("application", &query.application),
        ("from", &query.from),
        ("to", &query.to),
        ("uten_innlogging", &query.uten_innlogging),
    ];
    let mut pairs: Vec<(&str, String)> = fields
        .iter()
        .filter_map(|(k, v)| {
            v.as_deref()
                .filter(|v| !v.is_empty())
                .map(|v| (*k, v.to_string()))
        })
        .collect();
    pairs.push(("before", last_id.to_string()));
    format!(
        "/audit?{}",
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    )
}

async fn page(
    State(state): State<AppState>,
    CurrentUser(me, _): CurrentUser,
    QueryParams(query): QueryParams<AuditQuery>,
) -> AppResult<Response> {
    let (events, errors) = match query.to_filter() {
        Ok(mut filter) => {
            filter.limit = Some(PAGE_SIZE);
            (state.store.audit_events(&filter).await?, FieldErrors::new())
        }
        Err(errors) => (Vec::new(), errors),
    };
    let older = (events.len() as i64 == PAGE_SIZE)
        .then(|| events.last().map(|e| older_link(&query, e.id)))
        .flatten();
    let lines: Vec<AuditLine> = events.into_iter().map(AuditLine::new).collect();
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
        limit: PAGE_SIZE,
        older,
    }))
}
