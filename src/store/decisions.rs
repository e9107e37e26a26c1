//! Decisions (vedtak): proposed by one officer, approved or returned by another, frozen on
//! approval. Each step is one transaction, serialised per round, with its audit events.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::assessment::conflicts_in_round;
use super::rounds::{lock_round, round_in};
use super::scenarios::{frozen_applicants, to_json};
use super::{Store, Tx, sql};
use crate::domain::Kroner;
use crate::domain::application::ApplicationStatus;
use crate::domain::audit::{Actor, NewAuditEvent};
use crate::domain::decision::{
    DecisionStatus, FrozenDecision, FrozenSnapshot, check_reason, reviewer_refusal,
};
use crate::domain::round::RoundStatus;
use crate::error::{AppError, AppResult};

/// A decision with what it rests on.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub id: i64,
    pub round_id: i64,
    pub scenario_id: i64,
    pub amends_decision_id: Option<i64>,
    pub reason: Option<String>,
    pub status: DecisionStatus,
    pub proposed_by_user_id: i64,
    pub proposed_by: String,
    pub proposed_at: DateTime<Utc>,
    pub reviewed_by: Option<String>,
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
    proposed_at: DateTime<Utc>,
    reviewed_by: Option<String>,
    reviewed_at: Option<DateTime<Utc>>,
    review_comment: Option<String>,
    frozen: String,
}

impl DecisionRow {
    fn into_decision(self) -> AppResult<Decision> {
        let bad =
            |what: String| AppError::Internal(anyhow::anyhow!("decision {}: {what}", self.id));
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
            proposed_at: self.proposed_at,
            reviewed_by: self.reviewed_by,
            reviewed_at: self.reviewed_at,
            review_comment: self.review_comment,
        })
    }
}

const DECISION_BY_ID: &str = "SELECT id, round_id, scenario_id, amends_decision_id, reason, status, \
     proposed_by_user_id, proposed_by, proposed_at, reviewed_by, reviewed_at, review_comment, frozen \
     FROM decisions WHERE id = $1";

const DECISIONS_OF_ROUND: &str = "SELECT id, round_id, scenario_id, amends_decision_id, reason, status, \
     proposed_by_user_id, proposed_by, proposed_at, reviewed_by, reviewed_at, review_comment, frozen \
     FROM decisions WHERE round_id = $1 ORDER BY id DESC";

fn user_of(actor: &Actor) -> AppResult<i64> {
    actor
        .user_id
        .ok_or_else(|| AppError::Forbidden("Vedtak krever en innlogget person.".into()))
}

impl Store {
    pub async fn decision(&self, id: i64) -> AppResult<Decision> {
        let row: DecisionRow = self
            .fetch_optional(sql(DECISION_BY_ID).bind(id))
            .await?
            .ok_or_else(|| AppError::not_found("vedtaket"))?;
        row.into_decision()
    }

    /// The round's decisions, newest first.
    pub async fn round_decisions(&self, round_id: i64) -> AppResult<Vec<Decision>> {
        let rows: Vec<DecisionRow> = self
            .fetch_all(sql(DECISIONS_OF_ROUND).bind(round_id))
            .await?;
        rows.into_iter().map(DecisionRow::into_decision).collect()
    }

    /// Proposes a scenario as the round's decision (or, in a decided round, as an
    /// amendment, which needs a reason).
    pub async fn propose_decision(
        &self,
        scenario_id: i64,
        reason: Option<&str>,
        actor: &Actor,
    ) -> AppResult<i64> {
        let user_id = user_of(actor)?;
        let scenario = self.scenario(scenario_id).await?;
        let round_id = scenario.round_id;
        self.refuse_if_conflicted(round_id, actor, "foreslå vedtak")
            .await?;
        if !scenario.result.is_valid() {
            return Err(AppError::invalid(
                "scenario",
                format!(
                    "«{}» har beløp som ikke kan brukes (se merknadene i alternativet). Rett dem og beregn på nytt før du foreslår det.",
                    scenario.spec.name
                ),
            ));
        }
        if !self.scenario_is_current(&scenario).await? {
            return Err(AppError::Conflict(format!(
                "Søknadene eller vurderingene er endret siden «{}» ble beregnet. Beregn alternativet på nytt før du foreslår det.",
                scenario.spec.name
            )));
        }
        let applications = self.round_applications(round_id).await?;
        let snapshot = match scenario.spec.snapshot_id {
            Some(id) => {
                let s = self.snapshot(id).await?;
                Some(FrozenSnapshot {
                    id,
                    name: s.name,
                    year: scenario.spec.indicator_year,
                })
            }
            None => None,
        };

        let mut tx = self.begin().await?;
        lock_round(&mut tx, round_id).await?;
        let round = round_in(&mut tx, round_id).await?;
        if pending_in_round(&mut tx, round_id).await?.is_some() {
            return Err(AppError::Conflict(
                "Et annet forslag til vedtak venter allerede på godkjenning i runden. Det må godkjennes eller sendes tilbake først.".into(),
            ));
        }
        let in_force = approved_in_round(&mut tx, round_id).await?;
        // A decided round (also one decided before this tool, like 2019) changes only by an
        // amendment, which needs a reason.
        let amendment = in_force.is_some() || round.status == RoundStatus::Decided;
        check_reason(amendment, reason).map_err(|m| AppError::invalid("reason", m))?;
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        let frozen = FrozenDecision {
            scenario_id,
            scenario_version: scenario.version,
            spec: scenario.spec.clone(),
            pool: round.pool,
            rounding_unit: scenario.rounding_unit,
            snapshot,
            applicants: frozen_applicants(&applications),
            input: scenario.input.clone(),
            result: scenario.result.clone(),
            computed_at: scenario.computed_at,
        };
        let id = tx
            .insert(
                sql("INSERT INTO decisions (round_id, scenario_id, amends_decision_id, reason, status, \
                     proposed_by_user_id, proposed_by, proposed_at, frozen) \
                     VALUES ($1, $2, $3, $4, 'proposed', $5, $6, $7, $8) RETURNING id")
                .bind(round_id)
                .bind(scenario_id)
                .bind(in_force)
                .bind(reason)
                .bind(user_id)
                .bind(&actor.name)
                .bind(Utc::now())
                .bind(to_json(&frozen)?),
            )
            .await?;
        let kind = if amendment {
            "endringsvedtak"
        } else {
            "vedtak"
        };
        tx.audit(
            NewAuditEvent::new(
                actor,
                "decision.proposed",
                format!(
                    "«{}» foreslått som {kind} ({} fordelt){}",
                    scenario.spec.name,
                    scenario.result.allocated,
                    reason
                        .map(|r| format!(", begrunnelse: {r}"))
                        .unwrap_or_default()
                ),
            )
            .round(round_id),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Approves a proposal: the amounts become the applications' allocations, the round is
    /// decided, and an earlier decision in force is superseded.
    pub async fn approve_decision(
        &self,
        decision_id: i64,
        comment: Option<&str>,
        actor: &Actor,
    ) -> AppResult<()> {
        let user_id = user_of(actor)?;
        let decision = self.decision(decision_id).await?;
        let round_id = decision.round_id;
        if let Some(refusal) = reviewer_refusal(decision.proposed_by_user_id, user_id) {
            return Err(AppError::Forbidden(refusal.into()));
        }
        self.refuse_if_conflicted(round_id, actor, "godkjenne vedtak")
            .await?;
        // The proposal must still describe the round: same applications, same figures.
        let round = self.round(round_id).await?;
        let now_input = self.scenario_input(&round, &decision.frozen.spec).await;
        if !matches!(&now_input, Ok(input) if *input == decision.frozen.input) {
            return Err(AppError::Conflict(
                "Søknadene eller vurderingene er endret etter at forslaget ble lagt fram, så det viser ikke lenger runden slik den er. Send forslaget tilbake, så kan saksbehandler beregne på nytt.".into(),
            ));
        }
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());

        let mut tx = self.begin().await?;
        lock_round(&mut tx, round_id).await?;
        ensure_proposed(&mut tx, decision_id).await?;
        let now = Utc::now();
        if let Some(old) = approved_in_round(&mut tx, round_id).await? {
            tx.execute(sql("UPDATE decisions SET status = 'superseded' WHERE id = $1").bind(old))
                .await?;
        }
        tx.execute(
            sql("UPDATE decisions SET status = 'approved', reviewed_by_user_id = $1, reviewed_by = $2, \
                 reviewed_at = $3, review_comment = $4 WHERE id = $5")
            .bind(user_id)
            .bind(&actor.name)
            .bind(now)
            .bind(comment)
            .bind(decision_id),
        )
        .await?;
        let applicants = &decision.frozen.applicants;
        for claim in &decision.frozen.result.claims {
            let name = applicants
                .iter()
                .find(|a| a.application_id == claim.id)
                .map_or("søkeren", |a| a.applicant.as_str());
            let (old_ore, old_status): (Option<i64>, String) = tx
                .fetch_one(
                    sql("SELECT allocated_ore, status FROM applications WHERE id = $1")
                        .bind(claim.id),
                )
                .await?;
            let status = if claim.amount.is_zero() {
                ApplicationStatus::Rejected
            } else {
                ApplicationStatus::Granted
            };
            tx.execute(
                sql("UPDATE applications SET allocated_ore = $1, allocation_reason = $2, status = $3, \
                     version = version + 1, updated_at = $4 WHERE id = $5")
                .bind(claim.amount.ore())
                .bind(format!("Vedtak {decision_id}: {}", claim.explanation))
                .bind(status.as_str())
                .bind(now)
                .bind(claim.id),
            )
            .await?;
            if old_ore != Some(claim.amount.ore()) {
                tx.audit(
                    NewAuditEvent::new(
                        actor,
                        "application.allocation_set",
                        format!(
                            "Tildeling til {name} satt til {} ved vedtak {decision_id}",
                            claim.amount
                        ),
                    )
                    .round(round_id)
                    .application(claim.id)
                    .change(
                        "allocated",
                        old_ore.map(|o| Kroner::from_ore(o).to_string()),
                        Some(claim.amount.to_string()),
                    ),
                )
                .await?;
            }
            if old_status != status.as_str() {
                tx.audit(
                    NewAuditEvent::new(
                        actor,
                        "application.status_changed",
                        format!("Status for {name} endret til {}", status.label()),
                    )
                    .round(round_id)
                    .application(claim.id)
                    .change(
                        "status",
                        Some(old_status),
                        Some(status.as_str().to_string()),
                    ),
                )
                .await?;
            }
        }
        tx.execute(
            sql("UPDATE rounds SET status = $1, version = version + 1, updated_at = $2 WHERE id = $3")
                .bind(RoundStatus::Decided.as_str())
                .bind(now)
                .bind(round_id),
        )
        .await?;
        tx.audit(
            NewAuditEvent::new(
                actor,
                "decision.approved",
                format!(
                    "Vedtak {decision_id} godkjent: {} fordelt etter «{}», foreslått av {}{}",
                    decision.allocated(),
                    decision.frozen.spec.name,
                    decision.proposed_by,
                    comment
                        .map(|c| format!(" (kommentar: {c})"))
                        .unwrap_or_default()
                ),
            )
            .round(round_id),
        )
        .await?;
        tx.commit().await
    }

    /// Sends a proposal back to the saksbehandler with a comment.
    pub async fn return_decision(
        &self,
        decision_id: i64,
        comment: &str,
        actor: &Actor,
    ) -> AppResult<()> {
        let user_id = user_of(actor)?;
        let comment = comment.trim();
        if comment.is_empty() {
            return Err(AppError::invalid(
                "comment",
                "Skriv hvorfor forslaget sendes tilbake, så saksbehandler vet hva som må endres.",
            ));
        }
        if comment.chars().count() > 5000 {
            return Err(AppError::invalid(
                "comment",
                "Kommentaren kan ha høyst 5000 tegn.",
            ));
        }
        let decision = self.decision(decision_id).await?;
        if let Some(refusal) = reviewer_refusal(decision.proposed_by_user_id, user_id) {
            return Err(AppError::Forbidden(refusal.into()));
        }
        let mut tx = self.begin().await?;
        lock_round(&mut tx, decision.round_id).await?;
        ensure_proposed(&mut tx, decision_id).await?;
        tx.execute(
            sql("UPDATE decisions SET status = 'returned', reviewed_by_user_id = $1, reviewed_by = $2, \
                 reviewed_at = $3, review_comment = $4 WHERE id = $5")
            .bind(user_id)
            .bind(&actor.name)
            .bind(Utc::now())
            .bind(comment)
            .bind(decision_id),
        )
        .await?;
        tx.audit(
            NewAuditEvent::new(
                actor,
                "decision.returned",
                format!(
                    "Forslag til vedtak {decision_id} («{}») sendt tilbake til {}: {comment}",
                    decision.frozen.spec.name, decision.proposed_by
                ),
            )
            .round(decision.round_id),
        )
        .await?;
        tx.commit().await
    }

    /// An officer who has declared a conflict of interest for an application in the round
    /// may not propose or approve its decision. The refusal itself is audited.
    async fn refuse_if_conflicted(
        &self,
        round_id: i64,
        actor: &Actor,
        what: &str,
    ) -> AppResult<()> {
        let user_id = user_of(actor)?;
        let mut tx = self.begin().await?;
        let conflicts = conflicts_in_round(&mut tx, round_id, user_id).await?;
        if conflicts.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = conflicts
            .iter()
            .map(|c| c.applicant_name.as_str())
            .collect();
        let message = format!(
            "Du har erklært deg inhabil for søknaden fra {} og kan derfor ikke {what} i denne runden.",
            names.join(", ")
        );
        tx.audit(
            NewAuditEvent::new(actor, "decision.refused_conflict", message.clone()).round(round_id),
        )
        .await?;
        tx.commit().await?;
        Err(AppError::Forbidden(message))
    }
}

async fn pending_in_round(tx: &mut Tx, round_id: i64) -> AppResult<Option<i64>> {
    Ok(tx
        .fetch_optional::<(i64,)>(
            sql("SELECT id FROM decisions WHERE round_id = $1 AND status = 'proposed'")
                .bind(round_id),
        )
        .await?
        .map(|(id,)| id))
}

async fn approved_in_round(tx: &mut Tx, round_id: i64) -> AppResult<Option<i64>> {
    Ok(tx
        .fetch_optional::<(i64,)>(
            sql("SELECT id FROM decisions WHERE round_id = $1 AND status = 'approved'")
                .bind(round_id),
        )
        .await?
        .map(|(id,)| id))
}

async fn ensure_proposed(tx: &mut Tx, decision_id: i64) -> AppResult<()> {
    let (status,): (String,) = tx
        .fetch_optional(sql("SELECT status FROM decisions WHERE id = $1").bind(decision_id))
        .await?
        .ok_or_else(|| AppError::not_found("vedtaket"))?;
    match DecisionStatus::parse(&status) {
        Some(DecisionStatus::Proposed) => Ok(()),
        Some(other) => Err(AppError::Conflict(format!(
            "Forslaget er ikke lenger til godkjenning (status: {}).",
            other.label().to_lowercase()
        ))),
        None => Err(AppError::Internal(anyhow::anyhow!(
            "unknown decision status {status}"
        ))),
    }
}
