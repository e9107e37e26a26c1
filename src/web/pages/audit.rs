//! Hendelseslogg: every change, filterable by user, round, application and time.
//! Readable by admin and saksbehandler only.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;

use super::rounds::AuditLine;
use super::{Layout, render};
use crate::domain::validation::FieldErrors;
use crate::error::AppResult;
use crate::store::{AUDIT_PAGE_LIMIT, UserSummary};
use crate::web::AppState;
use crate::web::auth::{Access, CurrentUser, Routes, roles};
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
