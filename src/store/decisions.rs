//! Decisions (vedtak): proposed by one officer, approved or returned by another, frozen on
//! approval. Each step is one transaction, serialised per round, with its audit events.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::scenarios::to_json;
use super::{Store, Tx, sql};
use super::{StoreError, StoreResult};
use crate::domain::Kroner;
use crate::domain::audit::Actor;
use crate::domain::decision::{DecisionStatus, FrozenDecision};

/// A decision with what it rests on.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Decision {
    pub id: i64,
    pub round_id: i64,
    pub scenario_id: i64,
    pub amends_decision_id: Option<i64>,
    pub reason: Option<String>,
    pub status: DecisionStatus,
    pub proposed_by_user_id: i64,
    pub proposed_by: String,
    /// The proposer's name as the users table has it now (the username if removed).
    pub proposed_by_name: String,
    pub proposed_at: DateTime<Utc>,
    pub reviewed_by: Option<String>,
    pub reviewed_by_name: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub review_comment: Option<String>,
    pub frozen: FrozenDecision,
}

impl Decision {
    pub fn allocated(&self) -> Kroner {
        self.frozen.result.allocated
    }
}

#[derive(sqlx::FromRow)]
struct DecisionRow {
    id: i64,
    round_id: i64,
    scenario_id: i64,
    amends_decision_id: Option<i64>,
    reason: Option<String>,
    status: String,
    proposed_by_user_id: i64,
    proposed_by: String,
    proposed_by_name: String,
    proposed_at: DateTime<Utc>,
    reviewed_by: Option<String>,
    reviewed_by_name: Option<String>,
    reviewed_at: Option<DateTime<Utc>>,
    review_comment: Option<String>,
    frozen: String,
}

impl DecisionRow {
    fn into_decision(self) -> StoreResult<Decision> {
        let bad = |what: String| StoreError::corrupt(format!("decision {}: {what}", self.id));
        Ok(Decision {
            status: DecisionStatus::parse(&self.status)
                .ok_or_else(|| bad(format!("unknown status {}", self.status)))?,
            frozen: serde_json::from_str(&self.frozen).map_err(|e| bad(e.to_string()))?,
            id: self.id,
            round_id: self.round_id,
            scenario_id: self.scenario_id,
            amends_decision_id: self.amends_decision_id,
            reason: self.reason,
            proposed_by_user_id: self.proposed_by_user_id,
            proposed_by: self.proposed_by,
            proposed_by_name: self.proposed_by_name,
            proposed_at: self.proposed_at,
            reviewed_by_name: self.reviewed_by_name.or_else(|| self.reviewed_by.clone()),
            reviewed_by: self.reviewed_by,
            reviewed_at: self.reviewed_at,
            review_comment: self.review_comment,
        })
    }
}

/// The decision's columns, with the people's names as the users table has them.
macro_rules! decision_query {
    ($rest:literal) => {
        concat!(
            "SELECT d.id, d.round_id, d.scenario_id, d.amends_decision_id, d.reason, d.status, \
             d.proposed_by_user_id, d.proposed_by, COALESCE(pu.display_name, d.proposed_by) AS proposed_by_name, \
             d.proposed_at, d.reviewed_by, ru.display_name AS reviewed_by_name, d.reviewed_at, d.review_comment, d.frozen \
             FROM decisions d LEFT JOIN users pu ON pu.id = d.proposed_by_user_id \
             LEFT JOIN users ru ON ru.id = d.reviewed_by_user_id ",
            $rest
        )
    };
}

const DECISION_BY_ID: &str = decision_query!("WHERE d.id = $1");

const DECISIONS_OF_ROUND: &str = decision_query!("WHERE d.round_id = $1 ORDER BY d.id DESC");

impl Store {
    pub async fn decision(&self, id: i64) -> StoreResult<Decision> {
        let row: DecisionRow = self
            .fetch_optional(sql(DECISION_BY_ID).bind(id))
            .await?
            .ok_or_else(|| StoreError::NotFound("vedtaket"))?;
        row.into_decision()
    }

    /// The round's decisions, newest first.
    pub async fn round_decisions(&self, round_id: i64) -> StoreResult<Vec<Decision>> {
        let rows: Vec<DecisionRow> = self
            .fetch_all(sql(DECISIONS_OF_ROUND).bind(round_id))
            .await?;
        rows.into_iter().map(DecisionRow::into_decision).collect()
    }
}

/// Stores a proposal (the caller holds the round lock and has checked the rules).
pub async fn insert_proposal(
    tx: &mut Tx,
    round_id: i64,
    amends: Option<i64>,
    reason: Option<&str>,
    (user_id, actor): (i64, &Actor),
    frozen: &FrozenDecision,
) -> StoreResult<i64> {
    tx.insert(
        sql(
            "INSERT INTO decisions (round_id, scenario_id, amends_decision_id, reason, status, \
             proposed_by_user_id, proposed_by, proposed_at, frozen) \
             VALUES ($1, $2, $3, $4, 'proposed', $5, $6, $7, $8) RETURNING id",
        )
        .bind(round_id)
        .bind(frozen.scenario_id)
        .bind(amends)
        .bind(reason)
        .bind(user_id)
        .bind(&actor.name)
        .bind(Utc::now())
        .bind(to_json(frozen)?),
    )
    .await
}

/// Records the review of a proposal: approved or returned.
pub async fn write_review(
    tx: &mut Tx,
    decision_id: i64,
    status: DecisionStatus,
    actor: &Actor,
    comment: Option<&str>,
) -> StoreResult<()> {
    tx.execute(
        sql(
            "UPDATE decisions SET status = $1, reviewed_by_user_id = $2, reviewed_by = $3, \
             reviewed_at = $4, review_comment = $5 WHERE id = $6",
        )
        .bind(status.as_str())
        .bind(actor.user_id)
        .bind(&actor.name)
        .bind(Utc::now())
        .bind(comment)
        .bind(decision_id),
    )
    .await?;
    Ok(())
}

/// The decision in force gives way to an approved amendment.
pub async fn supersede(tx: &mut Tx, decision_id: i64) -> StoreResult<()> {
    tx.execute(sql("UPDATE decisions SET status = 'superseded' WHERE id = $1").bind(decision_id))
        .await?;
    Ok(())
}

/// Whether anything has ever been proposed in the round.
pub async fn any_in_round(tx: &mut Tx, round_id: i64) -> StoreResult<bool> {
    let (count,): (i64,) = tx
        .fetch_one(
            sql("SELECT CAST(COUNT(*) AS BIGINT) FROM decisions WHERE round_id = $1")
                .bind(round_id),
        )
        .await?;
    Ok(count > 0)
}

/// A decision as it is inside the transaction.
pub async fn decision_in(tx: &mut Tx, decision_id: i64) -> StoreResult<Decision> {
    let row: DecisionRow = tx
        .fetch_optional(sql(DECISION_BY_ID).bind(decision_id))
        .await?
        .ok_or_else(|| StoreError::NotFound("vedtaket"))?;
    row.into_decision()
}

pub async fn pending_in_round(tx: &mut Tx, round_id: i64) -> StoreResult<Option<i64>> {
    Ok(tx
        .fetch_optional::<(i64,)>(
            sql("SELECT id FROM decisions WHERE round_id = $1 AND status = 'proposed'")
                .bind(round_id),
        )
        .await?
        .map(|(id,)| id))
}

pub async fn approved_in_round(tx: &mut Tx, round_id: i64) -> StoreResult<Option<i64>> {
    Ok(tx
        .fetch_optional::<(i64,)>(
            sql("SELECT id FROM decisions WHERE round_id = $1 AND status = 'approved'")
                .bind(round_id),
        )
        .await?
        .map(|(id,)| id))
}

/// A decision's status as it is inside the transaction.
pub async fn decision_status_in(tx: &mut Tx, decision_id: i64) -> StoreResult<DecisionStatus> {
    let (status,): (String,) = tx
        .fetch_optional(sql("SELECT status FROM decisions WHERE id = $1").bind(decision_id))
        .await?
        .ok_or(StoreError::NotFound("vedtaket"))?;
    DecisionStatus::parse(&status)
        .ok_or_else(|| StoreError::corrupt(format!("unknown decision status {status}")))
}
