//! What waits for whom: the counts behind the front pages (officers, approvers,
//! municipalities). Reads only.

use chrono::{DateTime, NaiveDate, Utc};

use super::{Store, StoreResult, sql};

/// A round's applications by status, and how many the user has not declared
/// impartiality for.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct RoundCounts {
    pub round_id: i64,
    /// Drafts the applicants have not sent in yet.
    pub drafts: i64,
    pub received: i64,
    /// Sent-in applications with the officer's assessment recorded.
    pub assessed: i64,
    pub in_review: i64,
    pub decided: i64,
    pub undeclared: i64,
}

/// A proposed decision waiting for a second officer.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WaitingDecision {
    pub decision_id: i64,
    pub round_id: i64,
    pub round_name: String,
    pub proposed_by: String,
    pub proposed_at: DateTime<Utc>,
    pub amendment: bool,
}

/// One of a municipality's applications, with what comes next.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OwnApplication {
    pub application_id: i64,
    pub round_id: i64,
    pub round_name: String,
    pub round_status: String,
    pub deadline: Option<NaiveDate>,
    pub status: String,
    pub allocated_ore: Option<i64>,
    pub letter_issued: bool,
    pub accepted: Option<bool>,
    pub acceptance_deadline: Option<NaiveDate>,
    pub report_deadline: Option<NaiveDate>,
    pub report_status: Option<String>,
}

impl Store {
    /// Per round: drafts, applications received, assessed, in review and decided, and
    /// those sent in that the user has not declared impartiality for.
    pub async fn round_counts(&self, user_id: i64) -> StoreResult<Vec<RoundCounts>> {
        self.fetch_all(
            sql("SELECT a.round_id, \
                 CAST(SUM(CASE WHEN a.status = 'draft' THEN 1 ELSE 0 END) AS BIGINT) AS drafts, \
                 CAST(SUM(CASE WHEN a.status = 'submitted' THEN 1 ELSE 0 END) AS BIGINT) AS received, \
                 CAST(SUM(CASE WHEN a.status <> 'draft' AND EXISTS (SELECT 1 FROM assessments s \
                     WHERE s.application_id = a.id) THEN 1 ELSE 0 END) AS BIGINT) AS assessed, \
                 CAST(SUM(CASE WHEN a.status = 'in_review' THEN 1 ELSE 0 END) AS BIGINT) AS in_review, \
                 CAST(SUM(CASE WHEN a.status IN ('granted', 'rejected') THEN 1 ELSE 0 END) AS BIGINT) AS decided, \
                 CAST(SUM(CASE WHEN a.status <> 'draft' AND NOT EXISTS (SELECT 1 FROM impartiality_declarations d \
                     WHERE d.application_id = a.id AND d.user_id = $1) THEN 1 ELSE 0 END) AS BIGINT) AS undeclared \
                 FROM applications a WHERE a.status <> 'withdrawn' GROUP BY a.round_id")
            .bind(user_id),
        )
        .await
    }

    /// Proposed decisions waiting for approval, oldest first.
    pub async fn waiting_decisions(&self) -> StoreResult<Vec<WaitingDecision>> {
        self.fetch_all(sql(
            "SELECT d.id AS decision_id, d.round_id, r.name AS round_name, \
             COALESCE(u.display_name, d.proposed_by) AS proposed_by, d.proposed_at, \
             d.amends_decision_id IS NOT NULL AS amendment \
             FROM decisions d JOIN rounds r ON r.id = d.round_id \
             LEFT JOIN users u ON u.id = d.proposed_by_user_id \
             WHERE d.status = 'proposed' ORDER BY d.proposed_at, d.id",
        ))
        .await
    }

    /// A municipality's applications (withdrawn ones aside), newest round first.
    pub async fn own_applications(&self, organisation_id: i64) -> StoreResult<Vec<OwnApplication>> {
        self.fetch_all(
            sql("SELECT a.id AS application_id, a.round_id, r.name AS round_name, r.status AS round_status, \
                 r.deadline, a.status, a.allocated_ore, \
                 l.issued_at IS NOT NULL AS letter_issued, c.accepted, \
                 t.acceptance_deadline, t.report_deadline, \
                 (SELECT f.status FROM final_reports f WHERE f.application_id = a.id ORDER BY f.id DESC LIMIT 1) AS report_status \
                 FROM applications a JOIN rounds r ON r.id = a.round_id \
                 LEFT JOIN letters l ON l.application_id = a.id \
                 LEFT JOIN acceptances c ON c.application_id = a.id \
                 LEFT JOIN followup_terms t ON t.round_id = a.round_id \
                 WHERE a.organisation_id = $1 AND a.status <> 'withdrawn' AND r.status <> 'draft' \
                 ORDER BY r.year DESC, r.id DESC, a.id")
            .bind(organisation_id),
        )
        .await
    }
}
