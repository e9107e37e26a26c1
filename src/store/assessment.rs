//! Assessment: criteria, scores, recommendations and impartiality declarations.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::{Store, Tx, sql};
use super::{StoreError, StoreResult};
use crate::domain::Kroner;
use crate::domain::assessment::{
    AssessmentFields, Criterion, CriterionFields, DeclarationFields, weighted_score,
};
use crate::domain::audit::{Actor, NewAuditEvent};
use crate::domain::round::Round;
use crate::domain::user::Principal;

#[derive(sqlx::FromRow)]
struct CriterionRow {
    id: i64,
    name: String,
    weight: String,
    position: i64,
}

impl CriterionRow {
    fn into_criterion(self) -> StoreResult<Criterion> {
        let weight = self.weight.parse::<Decimal>().map_err(|_| {
            StoreError::corrupt(format!(
                "bad weight {} in criterion {}",
                self.weight, self.id
            ))
        })?;
        Ok(Criterion {
            id: self.id,
            name: self.name,
            weight,
            position: self.position,
        })
    }
}

/// One criterion with one application's score on it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CriterionScore {
    #[serde(flatten)]
    pub criterion: Criterion,
    pub score: Option<Decimal>,
    pub comment: Option<String>,
    pub assessed_by: Option<String>,
    pub assessed_at: Option<DateTime<Utc>>,
}

/// An application's assessment: every criterion of its round with the score given (if
/// any), the weighted total once all are scored, and the recommendation.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ApplicationAssessment {
    pub application_id: i64,
    pub criteria: Vec<CriterionScore>,
    pub weighted_total: Option<Decimal>,
    pub recommended_amount: Option<Kroner>,
    pub comment: Option<String>,
    pub assessed_by: Option<String>,
    pub assessed_at: Option<DateTime<Utc>>,
}

/// An officer's declaration of impartiality (habilitetserklæring) for one application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, schemars::JsonSchema)]
pub struct Declaration {
    pub user_id: i64,
    pub user_name: String,
    pub conflict: bool,
    pub reason: Option<String>,
    pub declared_at: DateTime<Utc>,
    /// A conflict lifted by another officer: who, why and when. The declaration then reads
    /// as impartial (`conflict` false).
    pub lifted_by: Option<String>,
    pub lifted_reason: Option<String>,
    pub lifted_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct ScoreRow {
    criterion_id: i64,
    score: String,
    comment: Option<String>,
    assessed_by: String,
    assessed_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct AssessmentRow {
    recommended_ore: Option<i64>,
    comment: Option<String>,
    assessed_by: String,
    assessed_at: DateTime<Utc>,
}

fn parse_score(text: &str) -> StoreResult<Decimal> {
    text.parse::<Decimal>()
        .map_err(|_| StoreError::corrupt(format!("bad score {text} in the database")))
}

/// Scores and weights as the UI writes them: decimal comma, no trailing zeros.
pub fn decimal_text(value: Decimal) -> String {
    value.normalize().to_string().replace('.', ",")
}

/// An application for which an officer has declared a conflict of interest.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Conflict {
    pub application_id: i64,
    pub applicant_name: String,
}

impl Store {
    /// The round's criteria in their order.
    pub async fn criteria(&self, round_id: i64) -> StoreResult<Vec<Criterion>> {
        let rows: Vec<CriterionRow> = self
            .fetch_all(
                sql(
                    "SELECT id, name, weight, position FROM assessment_criteria \
                     WHERE round_id = $1 ORDER BY position, id",
                )
                .bind(round_id),
            )
            .await?;
        rows.into_iter().map(CriterionRow::into_criterion).collect()
    }

    /// The weighted score of every fully scored application of the round.
    pub async fn weighted_scores(&self, round_id: i64) -> StoreResult<BTreeMap<i64, Decimal>> {
        let criteria = self.criteria(round_id).await?;
        let rows: Vec<(i64, i64, String)> = self
            .fetch_all(
                sql(
                    "SELECT s.application_id, s.criterion_id, s.score FROM assessment_scores s \
                     JOIN applications a ON a.id = s.application_id WHERE a.round_id = $1",
                )
                .bind(round_id),
            )
            .await?;
        let mut per_application: BTreeMap<i64, BTreeMap<i64, Decimal>> = BTreeMap::new();
        for (application_id, criterion_id, score) in rows {
            let score = score.parse::<Decimal>().map_err(|_| {
                StoreError::corrupt(format!(
                    "bad score {score} for application {application_id}"
                ))
            })?;
            per_application
                .entry(application_id)
                .or_default()
                .insert(criterion_id, score);
        }
        Ok(per_application
            .into_iter()
            .filter_map(|(id, scores)| weighted_score(&criteria, &scores).map(|s| (id, s)))
            .collect())
    }

    /// The officers' recommended amounts in the round.
    pub async fn recommended_amounts(&self, round_id: i64) -> StoreResult<BTreeMap<i64, Kroner>> {
        let rows: Vec<(i64, i64)> = self
            .fetch_all(
                sql(
                    "SELECT s.application_id, s.recommended_ore FROM assessments s \
                     JOIN applications a ON a.id = s.application_id \
                     WHERE a.round_id = $1 AND s.recommended_ore IS NOT NULL",
                )
                .bind(round_id),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, ore)| (id, Kroner::from_ore(ore)))
            .collect())
    }
}

/// The round and applicant of an application.
async fn application_round(tx: &mut Tx, application_id: i64) -> StoreResult<(i64, String)> {
    tx.fetch_optional(
        sql("SELECT round_id, applicant_name FROM applications WHERE id = $1").bind(application_id),
    )
    .await?
    .ok_or_else(|| StoreError::NotFound("søknaden"))
}

pub async fn criteria_in(tx: &mut Tx, round_id: i64) -> StoreResult<Vec<Criterion>> {
    let rows: Vec<CriterionRow> = tx
        .fetch_all(
            sql(
                "SELECT id, name, weight, position FROM assessment_criteria \
                 WHERE round_id = $1 ORDER BY position, id",
            )
            .bind(round_id),
        )
        .await?;
    rows.into_iter().map(CriterionRow::into_criterion).collect()
}

/// Whether another criterion of the round (not `except`) has this name, case aside.
pub async fn criterion_name_taken(
    tx: &mut Tx,
    round_id: i64,
    name: &str,
    except: Option<i64>,
) -> StoreResult<bool> {
    let taken: Option<(i64,)> = tx
        .fetch_optional(
            sql("SELECT id FROM assessment_criteria WHERE round_id = $1 AND LOWER(name) = LOWER($2) AND id <> $3")
                .bind(round_id)
                .bind(name)
                .bind(except.unwrap_or(-1)),
        )
        .await?;
    Ok(taken.is_some())
}

fn declaration_query(application_id: i64, user_id: i64) -> super::Sql {
    sql(
        "SELECT user_id, user_name, conflict, reason, declared_at, lifted_by, lifted_reason, lifted_at FROM impartiality_declarations \
         WHERE application_id = $1 AND user_id = $2",
    )
    .bind(application_id)
    .bind(user_id)
}

pub async fn declaration_in(
    tx: &mut Tx,
    application_id: i64,
    user_id: i64,
) -> StoreResult<Option<Declaration>> {
    tx.fetch_optional(declaration_query(application_id, user_id))
        .await
}

impl Store {
    /// One criterion and its round.
    pub async fn criterion(&self, id: i64) -> StoreResult<(i64, Criterion)> {
        #[derive(sqlx::FromRow)]
        struct Row {
            round_id: i64,
            #[sqlx(flatten)]
            criterion: CriterionRow,
        }
        let row: Row = self
            .fetch_optional(
                sql("SELECT round_id, id, name, weight, position FROM assessment_criteria WHERE id = $1")
                    .bind(id),
            )
            .await?
            .ok_or_else(|| StoreError::NotFound("kriteriet"))?;
        Ok((row.round_id, row.criterion.into_criterion()?))
    }
}

/// Adds a criterion at the end of the round's list (the caller holds the round's lock and
/// has checked the rules).
pub async fn insert_criterion(
    tx: &mut Tx,
    round: &Round,
    fields: &CriterionFields,
    actor: &Actor,
) -> StoreResult<i64> {
    let round_id = round.id;
    {
        let (position,): (i64,) = tx
            .fetch_one(
                sql("SELECT CAST(COALESCE(MAX(position), 0) + 1 AS BIGINT) FROM assessment_criteria WHERE round_id = $1")
                    .bind(round_id),
            )
            .await?;
        let id = tx
            .insert(
                sql(
                    "INSERT INTO assessment_criteria (round_id, name, weight, position) \
                     VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(round_id)
                .bind(fields.name.as_str())
                .bind(fields.weight.normalize().to_string())
                .bind(position),
            )
            .await?;
        tx.audit(
            NewAuditEvent::new(
                actor,
                "assessment.criterion_added",
                format!(
                    "Vurderingskriterium «{}» (vekt {}) lagt til i runden «{}»",
                    fields.name,
                    decimal_text(fields.weight),
                    round.name
                ),
            )
            .round(round_id)
            .change("criterion", None::<String>, Some(&fields.name)),
        )
        .await?;
        Ok(id)
    }
}

/// Renames a criterion or changes its weight (the caller holds the lock, checked the rules).
pub async fn write_criterion(
    tx: &mut Tx,
    round: &Round,
    id: i64,
    old: &Criterion,
    fields: &CriterionFields,
    actor: &Actor,
) -> StoreResult<()> {
    let round_id = round.id;
    {
        let updated = tx
            .execute(
                sql("UPDATE assessment_criteria SET name = $1, weight = $2 WHERE id = $3")
                    .bind(fields.name.as_str())
                    .bind(fields.weight.normalize().to_string())
                    .bind(id),
            )
            .await?;
        if updated != 1 {
            return Err(StoreError::NotFound("kriteriet"));
        }
        let describe =
            |name: &str, weight: Decimal| format!("{name} (vekt {})", decimal_text(weight));
        tx.audit(
            NewAuditEvent::new(
                actor,
                "assessment.criterion_updated",
                format!(
                    "Vurderingskriterium «{}» i runden «{}» endret til «{}», vekt {}",
                    old.name,
                    round.name,
                    fields.name,
                    decimal_text(fields.weight)
                ),
            )
            .round(round_id)
            .change(
                "criterion",
                Some(describe(&old.name, old.weight)),
                Some(describe(&fields.name, fields.weight)),
            ),
        )
        .await?;
        Ok(())
    }
}

/// How many applications have a score on a criterion.
pub async fn criterion_scores_in(tx: &mut Tx, id: i64) -> StoreResult<i64> {
    let (scored,): (i64,) = tx
        .fetch_one(
            sql("SELECT CAST(COUNT(*) AS BIGINT) FROM assessment_scores WHERE criterion_id = $1")
                .bind(id),
        )
        .await?;
    Ok(scored)
}

/// Deletes a criterion (the caller holds the lock and checked nobody scored on it).
pub async fn delete_criterion(
    tx: &mut Tx,
    round: &Round,
    id: i64,
    old: &Criterion,
    actor: &Actor,
) -> StoreResult<()> {
    let round_id = round.id;
    {
        tx.execute(sql("DELETE FROM assessment_criteria WHERE id = $1").bind(id))
            .await?;
        tx.audit(
            NewAuditEvent::new(
                actor,
                "assessment.criterion_deleted",
                format!(
                    "Vurderingskriterium «{}» slettet fra runden «{}»",
                    old.name, round.name
                ),
            )
            .round(round_id)
            .change("criterion", Some(&old.name), None::<String>),
        )
        .await?;
        Ok(())
    }
}

impl Store {
    /// Every declaration for an application, conflicts first.
    pub async fn declarations(&self, application_id: i64) -> StoreResult<Vec<Declaration>> {
        self.fetch_all(
            sql("SELECT user_id, user_name, conflict, reason, declared_at, lifted_by, lifted_reason, lifted_at FROM impartiality_declarations \
                 WHERE application_id = $1 ORDER BY conflict DESC, user_name, user_id")
            .bind(application_id),
        )
        .await
    }

    /// The user's own declaration for an application, if made.
    pub async fn declaration(
        &self,
        application_id: i64,
        user_id: i64,
    ) -> StoreResult<Option<Declaration>> {
        self.fetch_optional(declaration_query(application_id, user_id))
            .await
    }
}

/// Writes scores, recommendation and comment for one application (the caller holds the
/// round's lock and has checked the rules), with the audit event.
pub async fn write_assessment(
    tx: &mut Tx,
    (round_id, application_id, applicant): (i64, i64, &str),
    criteria: &[Criterion],
    fields: &AssessmentFields,
    user: &Principal,
) -> StoreResult<()> {
    let actor = Actor::from(user);
    {
        let now = Utc::now();
        for score in &fields.scores {
            tx.execute(
                sql("INSERT INTO assessment_scores (application_id, criterion_id, score, comment, assessed_by, assessed_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (application_id, criterion_id) DO UPDATE SET score = excluded.score, \
                     comment = excluded.comment, assessed_by = excluded.assessed_by, assessed_at = excluded.assessed_at")
                .bind(application_id)
                .bind(score.criterion_id)
                .bind(score.score.normalize().to_string())
                .bind(score.comment.clone())
                .bind(user.display_name.as_str())
                .bind(now),
            )
            .await?;
        }
        let old_recommended: Option<(Option<i64>,)> = tx
            .fetch_optional(
                sql("SELECT recommended_ore FROM assessments WHERE application_id = $1")
                    .bind(application_id),
            )
            .await?;
        let old_recommended = old_recommended.and_then(|(ore,)| ore).map(Kroner::from_ore);
        tx.execute(
            sql("INSERT INTO assessments (application_id, recommended_ore, comment, assessed_by, assessed_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (application_id) DO UPDATE SET recommended_ore = excluded.recommended_ore, \
                 comment = excluded.comment, assessed_by = excluded.assessed_by, assessed_at = excluded.assessed_at")
            .bind(application_id)
            .bind(fields.recommended.map(Kroner::ore))
            .bind(fields.comment.clone())
            .bind(user.display_name.as_str())
            .bind(now),
        )
        .await?;
        let names: BTreeMap<i64, &str> = criteria.iter().map(|c| (c.id, c.name.as_str())).collect();
        let mut parts: Vec<String> = fields
            .scores
            .iter()
            .map(|s| {
                format!(
                    "{} {}",
                    names.get(&s.criterion_id).copied().unwrap_or("?"),
                    decimal_text(s.score)
                )
            })
            .collect();
        if let Some(amount) = fields.recommended {
            parts.push(format!("anbefalt {amount}"));
        }
        tx.audit(
            NewAuditEvent::new(
                &actor,
                "assessment.saved",
                format!(
                    "Vurdering av søknaden fra {applicant} lagret{}",
                    if parts.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", parts.join(", "))
                    }
                ),
            )
            .round(round_id)
            .application(application_id)
            .change("recommended_amount", old_recommended, fields.recommended),
        )
        .await?;
        Ok(())
    }
}

impl Store {
    /// An application's assessment for its page and the API.
    pub async fn application_assessment(
        &self,
        application_id: i64,
    ) -> StoreResult<ApplicationAssessment> {
        let (round_id,): (i64,) = self
            .fetch_optional(
                sql("SELECT round_id FROM applications WHERE id = $1").bind(application_id),
            )
            .await?
            .ok_or_else(|| StoreError::NotFound("søknaden"))?;
        let criteria = self.criteria(round_id).await?;
        let rows: Vec<ScoreRow> = self
            .fetch_all(
                sql("SELECT criterion_id, score, comment, assessed_by, assessed_at FROM assessment_scores \
                     WHERE application_id = $1")
                .bind(application_id),
            )
            .await?;
        let mut by_criterion = BTreeMap::new();
        for row in rows {
            by_criterion.insert(row.criterion_id, (parse_score(&row.score)?, row));
        }
        let scores: BTreeMap<i64, Decimal> =
            by_criterion.iter().map(|(id, (s, _))| (*id, *s)).collect();
        let weighted_total = weighted_score(&criteria, &scores);
        let criteria = criteria
            .into_iter()
            .map(|criterion| match by_criterion.remove(&criterion.id) {
                Some((score, row)) => CriterionScore {
                    criterion,
                    score: Some(score),
                    comment: row.comment,
                    assessed_by: Some(row.assessed_by),
                    assessed_at: Some(row.assessed_at),
                },
                None => CriterionScore {
                    criterion,
                    score: None,
                    comment: None,
                    assessed_by: None,
                    assessed_at: None,
                },
            })
            .collect();
        let overall: Option<AssessmentRow> = self
            .fetch_optional(
                sql(
                    "SELECT recommended_ore, comment, assessed_by, assessed_at FROM assessments \
                     WHERE application_id = $1",
                )
                .bind(application_id),
            )
            .await?;
        Ok(ApplicationAssessment {
            application_id,
            criteria,
            weighted_total,
            recommended_amount: overall
                .as_ref()
                .and_then(|o| o.recommended_ore)
                .map(Kroner::from_ore),
            comment: overall.as_ref().and_then(|o| o.comment.clone()),
            assessed_by: overall.as_ref().map(|o| o.assessed_by.clone()),
            assessed_at: overall.map(|o| o.assessed_at),
        })
    }
}

/// The applications of the round for which `user_id` has declared a conflict of interest.
/// Read inside the transaction that proposes or approves, so a declaration made meanwhile
/// counts.
pub async fn conflicts_in_round(
    tx: &mut Tx,
    round_id: i64,
    user_id: i64,
) -> StoreResult<Vec<Conflict>> {
    tx.fetch_all(
        sql("SELECT a.id AS application_id, a.applicant_name FROM impartiality_declarations d \
             JOIN applications a ON a.id = d.application_id \
             WHERE a.round_id = $1 AND d.user_id = $2 AND d.conflict ORDER BY a.applicant_name, a.id")
        .bind(round_id)
        .bind(user_id),
    )
    .await
}

/// Records (or changes) an officer's declaration for one application, stored with the
/// display name, since that is what colleagues recognise on the page. The caller holds the
/// round lock and has checked the rules (see `app::assessment`).
pub async fn write_declaration(
    tx: &mut Tx,
    application_id: i64,
    user: &Principal,
    fields: &DeclarationFields,
) -> StoreResult<()> {
    tx.execute(
        sql("INSERT INTO impartiality_declarations (application_id, user_id, user_name, conflict, reason, declared_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (application_id, user_id) DO UPDATE SET user_name = excluded.user_name, \
             conflict = excluded.conflict, reason = excluded.reason, declared_at = excluded.declared_at, \
             lifted_by_user_id = NULL, lifted_by = NULL, lifted_reason = NULL, lifted_at = NULL")
        .bind(application_id)
        .bind(user.user_id)
        .bind(user.display_name.as_str())
        .bind(fields.conflict)
        .bind(fields.reason.clone())
        .bind(Utc::now()),
    )
    .await?;
    Ok(())
}

/// Lifts a declared conflict: the declaration stays, marked as lifted by `actor`.
pub async fn write_lift(
    tx: &mut Tx,
    application_id: i64,
    declarer_user_id: i64,
    actor: &Actor,
    reason: &str,
) -> StoreResult<()> {
    tx.execute(
        sql("UPDATE impartiality_declarations SET conflict = $1, lifted_by_user_id = $2, lifted_by = $3, \
             lifted_reason = $4, lifted_at = $5 WHERE application_id = $6 AND user_id = $7")
        .bind(false)
        .bind(actor.user_id)
        .bind(&actor.name)
        .bind(reason)
        .bind(Utc::now())
        .bind(application_id)
        .bind(declarer_user_id),
    )
    .await?;
    Ok(())
}

/// The round an application belongs to and its applicant's name.
pub async fn application_round_in(tx: &mut Tx, application_id: i64) -> StoreResult<(i64, String)> {
    application_round(tx, application_id).await
}
