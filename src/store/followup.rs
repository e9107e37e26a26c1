//! After the decision: the round's follow-up terms and letter texts, letters as issued,
//! acceptances, payment requests, payments, final reports, repayment claims and
//! repayments. One grant's state is read in one statement ([`grant_in`]) so that the
//! rules in `domain::followup` are checked against what is true under the round's lock.

use chrono::{DateTime, NaiveDate, Utc};

use super::{Sql, StoreError, StoreResult, Tx, sql};
use crate::domain::Kroner;
use crate::domain::audit::Actor;
use crate::domain::followup::{
    FinalReport, FollowupTerms, GrantState, PaymentPlan, ReportStatus, SpentLine,
};
use crate::domain::letter::{Letter, LetterKind};
use crate::domain::round::RoundPhase;

// ---- terms and letter texts ----

/// The round's follow-up terms and its letter texts (`None`: the default text).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredTerms {
    pub terms: FollowupTerms,
    pub grant_template: Option<String>,
    pub rejection_template: Option<String>,
}

#[derive(sqlx::FromRow)]
struct TermsRow {
    acceptance_deadline: Option<NaiveDate>,
    report_deadline: Option<NaiveDate>,
    payment_plan: String,
    auditor_threshold_ore: i64,
    repayment_days: i64,
    appeal_allowed: bool,
    purpose: Option<String>,
    conditions: Option<String>,
    grant_template: Option<String>,
    rejection_template: Option<String>,
}

impl TermsRow {
    fn into_terms(self) -> StoreResult<StoredTerms> {
        let payment_plan = PaymentPlan::parse(&self.payment_plan).ok_or_else(|| {
            StoreError::Corrupt(format!("ukjent utbetalingsplan «{}»", self.payment_plan))
        })?;
        Ok(StoredTerms {
            terms: FollowupTerms {
                acceptance_deadline: self.acceptance_deadline,
                report_deadline: self.report_deadline,
                payment_plan,
                auditor_threshold: Kroner::from_ore(self.auditor_threshold_ore),
                repayment_days: u32::try_from(self.repayment_days).unwrap_or(1),
                appeal_allowed: self.appeal_allowed,
                purpose: self.purpose,
                conditions: self.conditions,
            },
            grant_template: self.grant_template,
            rejection_template: self.rejection_template,
        })
    }
}

fn terms_query(round_id: i64) -> Sql {
    sql(
        "SELECT acceptance_deadline, report_deadline, payment_plan, auditor_threshold_ore, \
         repayment_days, appeal_allowed, purpose, conditions, grant_template, rejection_template \
         FROM followup_terms WHERE round_id = $1",
    )
    .bind(round_id)
}

fn terms_of(row: Option<TermsRow>) -> StoreResult<StoredTerms> {
    row.map_or_else(|| Ok(StoredTerms::default()), TermsRow::into_terms)
}

impl super::Store {
    /// The round's follow-up terms; the defaults until an officer sets them.
    pub async fn followup_terms(&self, round_id: i64) -> StoreResult<StoredTerms> {
        terms_of(self.fetch_optional(terms_query(round_id)).await?)
    }
}

pub async fn terms_in(tx: &mut Tx, round_id: i64) -> StoreResult<StoredTerms> {
    terms_of(tx.fetch_optional(terms_query(round_id)).await?)
}

/// Writes the terms and letter texts (the row is created on first write).
pub async fn write_terms(tx: &mut Tx, round_id: i64, stored: &StoredTerms) -> StoreResult<()> {
    let t = &stored.terms;
    tx.execute(
        sql("INSERT INTO followup_terms (round_id, acceptance_deadline, report_deadline, payment_plan, \
             auditor_threshold_ore, repayment_days, appeal_allowed, purpose, conditions, grant_template, \
             rejection_template, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (round_id) DO UPDATE SET acceptance_deadline = excluded.acceptance_deadline, \
             report_deadline = excluded.report_deadline, payment_plan = excluded.payment_plan, \
             auditor_threshold_ore = excluded.auditor_threshold_ore, repayment_days = excluded.repayment_days, \
             appeal_allowed = excluded.appeal_allowed, purpose = excluded.purpose, conditions = excluded.conditions, \
             grant_template = excluded.grant_template, rejection_template = excluded.rejection_template, \
             updated_at = excluded.updated_at")
        .bind(round_id)
        .bind(t.acceptance_deadline)
        .bind(t.report_deadline)
        .bind(t.payment_plan.as_str())
        .bind(t.auditor_threshold.ore())
        .bind(i64::from(t.repayment_days))
        .bind(t.appeal_allowed)
        .bind(t.purpose.clone())
        .bind(t.conditions.clone())
        .bind(stored.grant_template.clone())
        .bind(stored.rejection_template.clone())
        .bind(Utc::now()),
    )
    .await?;
    Ok(())
}

// ---- one grant ----

/// A decided application with where its follow-up stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub application_id: i64,
    pub round_id: i64,
    pub organisation_id: i64,
    pub applicant: String,
    pub kommunenummer: Option<String>,
    pub project_title: Option<String>,
    pub contact_person: Option<String>,
    pub email: Option<String>,
    pub requested: Option<Kroner>,
    pub allocation_reason: Option<String>,
    pub letter_note: Option<String>,
    pub state: GrantState,
}

/// The columns of [`GrantRow`]: the application, its letter and answer, and the sums of
/// its payments, requests and repayments, with its newest report. Every sum is cast, as
/// PostgreSQL sums BIGINT as NUMERIC.
macro_rules! grant_query {
    ($where:literal) => {
        concat!(
            "SELECT a.id AS application_id, a.round_id, a.organisation_id, a.applicant_name, a.kommunenummer, \
             a.project_title, a.contact_person, a.email, a.requested_ore, a.allocated_ore, a.allocation_reason, \
             l.note AS letter_note, l.issued_at IS NOT NULL AS letter_issued, l.sent_at IS NOT NULL AS letter_sent, \
             c.accepted, \
             CAST(COALESCE((SELECT SUM(p.amount_ore) FROM payments p WHERE p.application_id = a.id), 0) AS BIGINT) AS paid_ore, \
             CAST(COALESCE((SELECT SUM(r.amount_ore) FROM payment_requests r WHERE r.application_id = a.id AND r.status = 'pending'), 0) AS BIGINT) AS pending_ore, \
             CAST(COALESCE((SELECT SUM(r.amount_ore) FROM payment_requests r WHERE r.application_id = a.id AND r.status = 'approved'), 0) AS BIGINT) AS approved_ore, \
             (SELECT f.status FROM final_reports f WHERE f.application_id = a.id ORDER BY f.id DESC LIMIT 1) AS report_status, \
             (SELECT f.spent_ore FROM final_reports f WHERE f.application_id = a.id ORDER BY f.id DESC LIMIT 1) AS spent_ore, \
             rc.amount_ore AS claimed_ore, rc.due_on AS repayment_due, \
             CAST(COALESCE((SELECT SUM(b.amount_ore) FROM repayments b WHERE b.application_id = a.id), 0) AS BIGINT) AS repaid_ore \
             FROM applications a \
             LEFT JOIN letters l ON l.application_id = a.id \
             LEFT JOIN acceptances c ON c.application_id = a.id \
             LEFT JOIN repayment_claims rc ON rc.application_id = a.id ",
            $where
        )
    };
}

/// Decided applications only: granted or rejected by a decision.
const GRANT_QUERY: &str = grant_query!("WHERE a.id = $1 AND a.status IN ('granted', 'rejected')");
const ROUND_GRANTS_QUERY: &str = grant_query!(
    "WHERE a.round_id = $1 AND a.status IN ('granted', 'rejected') ORDER BY a.applicant_name, a.id"
);

#[derive(sqlx::FromRow)]
struct GrantRow {
    application_id: i64,
    round_id: i64,
    organisation_id: i64,
    applicant_name: String,
    kommunenummer: Option<String>,
    project_title: Option<String>,
    contact_person: Option<String>,
    email: Option<String>,
    requested_ore: Option<i64>,
    allocated_ore: Option<i64>,
    allocation_reason: Option<String>,
    letter_note: Option<String>,
    letter_issued: bool,
    letter_sent: bool,
    accepted: Option<bool>,
    paid_ore: i64,
    pending_ore: i64,
    approved_ore: i64,
    report_status: Option<String>,
    spent_ore: Option<i64>,
    claimed_ore: Option<i64>,
    repayment_due: Option<NaiveDate>,
    repaid_ore: i64,
}

impl GrantRow {
    fn into_grant(self) -> StoreResult<Grant> {
        let report = match self.report_status.as_deref() {
            None => ReportStatus::NotSubmitted,
            Some(s) => ReportStatus::parse(s)
                .ok_or_else(|| StoreError::Corrupt(format!("ukjent rapportstatus «{s}»")))?,
        };
        let approved = report == ReportStatus::Approved;
        Ok(Grant {
            application_id: self.application_id,
            round_id: self.round_id,
            organisation_id: self.organisation_id,
            applicant: self.applicant_name,
            kommunenummer: self.kommunenummer,
            project_title: self.project_title,
            contact_person: self.contact_person,
            email: self.email,
            requested: self.requested_ore.map(Kroner::from_ore),
            allocation_reason: self.allocation_reason,
            letter_note: self.letter_note,
            state: GrantState {
                granted: Kroner::from_ore(self.allocated_ore.unwrap_or(0)),
                letter_issued: self.letter_issued,
                letter_sent: self.letter_sent,
                accepted: self.accepted,
                paid: Kroner::from_ore(self.paid_ore),
                requests_pending: Kroner::from_ore(self.pending_ore),
                requests_approved: Kroner::from_ore(self.approved_ore),
                report,
                spent: self.spent_ore.filter(|_| approved).map(Kroner::from_ore),
                repayment_claimed: Kroner::from_ore(self.claimed_ore.unwrap_or(0)),
                repayment_due: self.repayment_due,
                repaid: Kroner::from_ore(self.repaid_ore),
            },
        })
    }
}

/// A decided application and its follow-up, inside the transaction; "not found" for an
/// application that no decision has granted or rejected.
pub async fn grant_in(tx: &mut Tx, application_id: i64) -> StoreResult<Grant> {
    tx.fetch_optional::<GrantRow>(sql(GRANT_QUERY).bind(application_id))
        .await?
        .ok_or(StoreError::NotFound("vedtaket for søknaden"))?
        .into_grant()
}

/// The organisation an application belongs to (decided or not).
pub async fn organisation_of_in(tx: &mut Tx, application_id: i64) -> StoreResult<i64> {
    let (org,): (i64,) = tx
        .fetch_optional(
            sql("SELECT organisation_id FROM applications WHERE id = $1").bind(application_id),
        )
        .await?
        .ok_or(StoreError::NotFound("søknaden"))?;
    Ok(org)
}

pub async fn round_grants_in(tx: &mut Tx, round_id: i64) -> StoreResult<Vec<Grant>> {
    let rows: Vec<GrantRow> = tx.fetch_all(sql(ROUND_GRANTS_QUERY).bind(round_id)).await?;
    rows.into_iter().map(GrantRow::into_grant).collect()
}

impl super::Store {
    pub async fn grant(&self, application_id: i64) -> StoreResult<Grant> {
        self.fetch_optional::<GrantRow>(sql(GRANT_QUERY).bind(application_id))
            .await?
            .ok_or(StoreError::NotFound("vedtaket for søknaden"))?
            .into_grant()
    }

    pub async fn round_grants(&self, round_id: i64) -> StoreResult<Vec<Grant>> {
        let rows: Vec<GrantRow> = self
            .fetch_all(sql(ROUND_GRANTS_QUERY).bind(round_id))
            .await?;
        rows.into_iter().map(GrantRow::into_grant).collect()
    }

    /// The ids of the rounds in follow-up, for the reminders.
    pub async fn rounds_in_followup(&self) -> StoreResult<Vec<i64>> {
        let rows: Vec<(i64,)> = self
            .fetch_all(
                sql("SELECT id FROM rounds WHERE status = $1 ORDER BY id")
                    .bind(RoundPhase::FollowUp.as_str()),
            )
            .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
}

// ---- letters ----

/// A letter as issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedLetter {
    pub application_id: i64,
    pub round_id: i64,
    pub kind: LetterKind,
    pub letter: Letter,
    pub issued_at: DateTime<Utc>,
    pub issued_by: String,
    pub sent_at: Option<DateTime<Utc>>,
    pub sent_to: Option<String>,
}

#[derive(sqlx::FromRow)]
struct LetterRow {
    application_id: i64,
    round_id: i64,
    kind: String,
    content: String,
    issued_at: DateTime<Utc>,
    issued_by: String,
    sent_at: Option<DateTime<Utc>>,
    sent_to: Option<String>,
}

impl LetterRow {
    fn into_letter(self) -> StoreResult<IssuedLetter> {
        Ok(IssuedLetter {
            application_id: self.application_id,
            round_id: self.round_id,
            kind: LetterKind::parse(&self.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("ukjent brevtype «{}»", self.kind)))?,
            letter: serde_json::from_str(&self.content)
                .map_err(|e| StoreError::Corrupt(format!("brevet kan ikke leses: {e}")))?,
            issued_at: self.issued_at,
            issued_by: self.issued_by,
            sent_at: self.sent_at,
            sent_to: self.sent_to,
        })
    }
}

/// Issued letters only (a row without content is a draft's note).
macro_rules! letter_query {
    ($where:literal) => {
        concat!(
            "SELECT application_id, round_id, kind, content, issued_at, issued_by, sent_at, sent_to \
             FROM letters WHERE content IS NOT NULL AND ",
            $where
        )
    };
}

impl super::Store {
    pub async fn issued_letter(&self, application_id: i64) -> StoreResult<Option<IssuedLetter>> {
        const Q: &str = letter_query!("application_id = $1");
        self.fetch_optional::<LetterRow>(sql(Q).bind(application_id))
            .await?
            .map(LetterRow::into_letter)
            .transpose()
    }

    pub async fn issued_letters(&self, round_id: i64) -> StoreResult<Vec<IssuedLetter>> {
        const Q: &str = letter_query!("round_id = $1 ORDER BY application_id");
        let rows: Vec<LetterRow> = self.fetch_all(sql(Q).bind(round_id)).await?;
        rows.into_iter().map(LetterRow::into_letter).collect()
    }
}

pub async fn issued_letter_in(
    tx: &mut Tx,
    application_id: i64,
) -> StoreResult<Option<IssuedLetter>> {
    const Q: &str = letter_query!("application_id = $1");
    tx.fetch_optional::<LetterRow>(sql(Q).bind(application_id))
        .await?
        .map(LetterRow::into_letter)
        .transpose()
}

/// The officer's note for this recipient's letter, before it is issued.
pub async fn write_letter_note(
    tx: &mut Tx,
    application_id: i64,
    round_id: i64,
    note: Option<&str>,
) -> StoreResult<()> {
    tx.execute(
        sql(
            "INSERT INTO letters (application_id, round_id, note) VALUES ($1, $2, $3) \
             ON CONFLICT (application_id) DO UPDATE SET note = excluded.note",
        )
        .bind(application_id)
        .bind(round_id)
        .bind(note),
    )
    .await?;
    Ok(())
}

/// Freezes the letter as issued. Refuses (0 rows) one that is issued already.
pub async fn write_issued_letter(
    tx: &mut Tx,
    application_id: i64,
    round_id: i64,
    kind: LetterKind,
    letter: &Letter,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    let content = serde_json::to_string(letter)
        .map_err(|e| StoreError::Corrupt(format!("brevet kan ikke lagres: {e}")))?;
    let written = tx
        .execute(
            sql("INSERT INTO letters (application_id, round_id, kind, content, issued_at, issued_by) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (application_id) DO UPDATE SET kind = excluded.kind, content = excluded.content, \
                 issued_at = excluded.issued_at, issued_by = excluded.issued_by \
                 WHERE letters.content IS NULL")
            .bind(application_id)
            .bind(round_id)
            .bind(kind.as_str())
            .bind(content)
            .bind(at)
            .bind(actor.name.as_str()),
        )
        .await?;
    Ok(written == 1)
}

pub async fn mark_letter_sent(
    tx: &mut Tx,
    application_id: i64,
    to: &str,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    tx.execute(
        sql("UPDATE letters SET sent_at = $1, sent_to = $2 WHERE application_id = $3")
            .bind(at)
            .bind(to)
            .bind(application_id),
    )
    .await?;
    Ok(())
}

// ---- acceptance, requests, payments ----

pub async fn insert_acceptance(
    tx: &mut Tx,
    application_id: i64,
    accepted: bool,
    comment: Option<&str>,
    actor: &Actor,
) -> StoreResult<()> {
    tx.execute(
        sql("INSERT INTO acceptances (application_id, accepted, comment, answered_by, answered_by_user_id, answered_at) \
             VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(application_id)
        .bind(accepted)
        .bind(comment)
        .bind(actor.name.as_str())
        .bind(actor.user_id)
        .bind(Utc::now()),
    )
    .await?;
    Ok(())
}

/// A payment, request or repayment as listed for an application.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Payment {
    pub id: i64,
    pub date: NaiveDate,
    pub amount: Kroner,
    pub reference: String,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct PaymentRow {
    id: i64,
    paid_on: NaiveDate,
    amount_ore: i64,
    reference: String,
    recorded_by: String,
    recorded_at: DateTime<Utc>,
}

impl From<PaymentRow> for Payment {
    fn from(r: PaymentRow) -> Self {
        Payment {
            id: r.id,
            date: r.paid_on,
            amount: Kroner::from_ore(r.amount_ore),
            reference: r.reference,
            recorded_by: r.recorded_by,
            recorded_at: r.recorded_at,
        }
    }
}

/// Which money movement: a payment to the recipient or a repayment from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Movement {
    Payment,
    Repayment,
}

/// A payment or a repayment, recorded by an officer.
pub struct NewMovement<'a> {
    pub application_id: i64,
    pub date: NaiveDate,
    pub amount: Kroner,
    pub reference: &'a str,
    pub payment_request_id: Option<i64>,
}

pub async fn insert_movement(
    tx: &mut Tx,
    kind: Movement,
    new: &NewMovement<'_>,
    actor: &Actor,
) -> StoreResult<i64> {
    let q = match kind {
        Movement::Payment => sql(
            "INSERT INTO payments (application_id, paid_on, amount_ore, reference, recorded_by, \
             recorded_by_user_id, recorded_at, payment_request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        ),
        Movement::Repayment => sql(
            "INSERT INTO repayments (application_id, paid_on, amount_ore, reference, recorded_by, \
             recorded_by_user_id, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        ),
    };
    let q = q
        .bind(new.application_id)
        .bind(new.date)
        .bind(new.amount.ore())
        .bind(new.reference)
        .bind(actor.name.as_str())
        .bind(actor.user_id)
        .bind(Utc::now());
    let q = match kind {
        Movement::Payment => q.bind(new.payment_request_id),
        Movement::Repayment => q,
    };
    tx.insert(q).await
}

impl super::Store {
    pub async fn movements(
        &self,
        kind: Movement,
        application_id: i64,
    ) -> StoreResult<Vec<Payment>> {
        let q = match kind {
            Movement::Payment => sql(
                "SELECT id, paid_on, amount_ore, reference, recorded_by, recorded_at FROM payments \
                 WHERE application_id = $1 ORDER BY paid_on, id",
            ),
            Movement::Repayment => sql(
                "SELECT id, paid_on, amount_ore, reference, recorded_by, recorded_at FROM repayments \
                 WHERE application_id = $1 ORDER BY paid_on, id",
            ),
        };
        let rows: Vec<PaymentRow> = self.fetch_all(q.bind(application_id)).await?;
        Ok(rows.into_iter().map(Payment::from).collect())
    }

    /// Every payment of a round, for the accounting system's file.
    pub async fn round_payments(&self, round_id: i64) -> StoreResult<Vec<RoundPayment>> {
        let rows: Vec<RoundPaymentRow> = self
            .fetch_all(
                sql("SELECT p.id, p.application_id, a.applicant_name, a.kommunenummer, o.org_number, p.paid_on, \
                     p.amount_ore, p.reference, p.recorded_by FROM payments p \
                     JOIN applications a ON a.id = p.application_id \
                     JOIN organisations o ON o.id = a.organisation_id \
                     WHERE a.round_id = $1 ORDER BY p.paid_on, p.id")
                .bind(round_id),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| RoundPayment {
                id: r.id,
                application_id: r.application_id,
                applicant: r.applicant_name,
                kommunenummer: r.kommunenummer,
                org_number: r.org_number,
                date: r.paid_on,
                amount: Kroner::from_ore(r.amount_ore),
                reference: r.reference,
                recorded_by: r.recorded_by,
            })
            .collect())
    }
}

/// One payment of a round with its recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundPayment {
    pub id: i64,
    pub application_id: i64,
    pub applicant: String,
    pub kommunenummer: Option<String>,
    pub org_number: Option<String>,
    pub date: NaiveDate,
    pub amount: Kroner,
    pub reference: String,
    pub recorded_by: String,
}

#[derive(sqlx::FromRow)]
struct RoundPaymentRow {
    id: i64,
    application_id: i64,
    applicant_name: String,
    kommunenummer: Option<String>,
    org_number: Option<String>,
    paid_on: NaiveDate,
    amount_ore: i64,
    reference: String,
    recorded_by: String,
}

/// A request for payment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct PaymentRequest {
    pub id: i64,
    pub application_id: i64,
    #[serde(rename = "final")]
    pub is_final: bool,
    pub amount: Kroner,
    pub note: Option<String>,
    pub document_id: Option<i64>,
    pub status: String,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_comment: Option<String>,
}

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: i64,
    application_id: i64,
    is_final: bool,
    amount_ore: i64,
    note: Option<String>,
    document_id: Option<i64>,
    status: String,
    requested_by: String,
    requested_at: DateTime<Utc>,
    decided_by: Option<String>,
    decided_at: Option<DateTime<Utc>>,
    decision_comment: Option<String>,
}

impl From<RequestRow> for PaymentRequest {
    fn from(r: RequestRow) -> Self {
        PaymentRequest {
            id: r.id,
            application_id: r.application_id,
            is_final: r.is_final,
            amount: Kroner::from_ore(r.amount_ore),
            note: r.note,
            document_id: r.document_id,
            status: r.status,
            requested_by: r.requested_by,
            requested_at: r.requested_at,
            decided_by: r.decided_by,
            decided_at: r.decided_at,
            decision_comment: r.decision_comment,
        }
    }
}

macro_rules! request_query {
    ($where:literal) => {
        concat!(
            "SELECT id, application_id, is_final, amount_ore, note, document_id, status, \
             requested_by, requested_at, decided_by, decided_at, decision_comment FROM payment_requests WHERE ",
            $where
        )
    };
}

pub async fn insert_request(
    tx: &mut Tx,
    application_id: i64,
    is_final: bool,
    amount: Kroner,
    note: Option<&str>,
    document_id: Option<i64>,
    actor: &Actor,
) -> StoreResult<i64> {
    tx.insert(
        sql("INSERT INTO payment_requests (application_id, is_final, amount_ore, note, document_id, status, \
             requested_by, requested_by_user_id, requested_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8) \
             RETURNING id")
        .bind(application_id)
        .bind(is_final)
        .bind(amount.ore())
        .bind(note)
        .bind(document_id)
        .bind(actor.name.as_str())
        .bind(actor.user_id)
        .bind(Utc::now()),
    )
    .await
}

pub async fn request_in(tx: &mut Tx, request_id: i64) -> StoreResult<PaymentRequest> {
    const Q: &str = request_query!("id = $1");
    tx.fetch_optional::<RequestRow>(sql(Q).bind(request_id))
        .await?
        .map(PaymentRequest::from)
        .ok_or(StoreError::NotFound("anmodningen om utbetaling"))
}

pub async fn decide_request(
    tx: &mut Tx,
    request_id: i64,
    approved: bool,
    comment: Option<&str>,
    actor: &Actor,
) -> StoreResult<()> {
    tx.execute(
        sql(
            "UPDATE payment_requests SET status = $1, decided_by = $2, decided_by_user_id = $3, \
             decided_at = $4, decision_comment = $5 WHERE id = $6 AND status = 'pending'",
        )
        .bind(if approved { "approved" } else { "rejected" })
        .bind(actor.name.as_str())
        .bind(actor.user_id)
        .bind(Utc::now())
        .bind(comment)
        .bind(request_id),
    )
    .await?;
    Ok(())
}

impl super::Store {
    pub async fn payment_request(&self, request_id: i64) -> StoreResult<PaymentRequest> {
        const Q: &str = request_query!("id = $1");
        self.fetch_optional::<RequestRow>(sql(Q).bind(request_id))
            .await?
            .map(PaymentRequest::from)
            .ok_or(StoreError::NotFound("anmodningen om utbetaling"))
    }

    pub async fn payment_requests(&self, application_id: i64) -> StoreResult<Vec<PaymentRequest>> {
        const Q: &str = request_query!("application_id = $1 ORDER BY id");
        let rows: Vec<RequestRow> = self.fetch_all(sql(Q).bind(application_id)).await?;
        Ok(rows.into_iter().map(PaymentRequest::from).collect())
    }
}

// ---- documents ----

/// A file the recipient attached.
pub struct NewDocument<'a> {
    pub application_id: i64,
    pub kind: &'static str,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub content: Vec<u8>,
}

pub async fn insert_document(tx: &mut Tx, new: NewDocument<'_>, actor: &Actor) -> StoreResult<i64> {
    use sha2::{Digest, Sha256};
    let sha256 = Sha256::digest(&new.content)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    let size = i64::try_from(new.content.len()).unwrap_or(i64::MAX);
    tx.insert(
        sql("INSERT INTO followup_documents (application_id, kind, filename, content_type, size_bytes, sha256, \
             content, uploaded_by, uploaded_by_user_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             RETURNING id")
        .bind(new.application_id)
        .bind(new.kind)
        .bind(new.filename)
        .bind(new.content_type)
        .bind(size)
        .bind(sha256)
        .bind(new.content)
        .bind(actor.name.as_str())
        .bind(actor.user_id)
        .bind(Utc::now()),
    )
    .await
}

/// A stored attachment, for download.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Document {
    pub id: i64,
    pub application_id: i64,
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

impl super::Store {
    pub async fn document(&self, id: i64) -> StoreResult<Document> {
        self.fetch_optional(
            sql("SELECT id, application_id, filename, content_type, content FROM followup_documents WHERE id = $1")
                .bind(id),
        )
        .await?
        .ok_or(StoreError::NotFound("vedlegget"))
    }
}

// ---- final reports ----

/// The final report as stored, with its review.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct StoredReport {
    pub id: i64,
    pub status: ReportStatus,
    pub spent: Kroner,
    pub lines: Vec<SpentLine>,
    pub narrative: String,
    pub auditor_confirmed: bool,
    pub document_id: Option<i64>,
    pub submitted_by: String,
    #[serde(skip)]
    pub submitted_by_user_id: Option<i64>,
    pub submitted_at: DateTime<Utc>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub review_comment: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ReportRow {
    id: i64,
    status: String,
    spent_ore: i64,
    lines: String,
    narrative: String,
    auditor_confirmed: bool,
    document_id: Option<i64>,
    submitted_by: String,
    submitted_by_user_id: Option<i64>,
    submitted_at: DateTime<Utc>,
    reviewed_by: Option<String>,
    reviewed_at: Option<DateTime<Utc>>,
    review_comment: Option<String>,
}

impl ReportRow {
    fn into_report(self) -> StoreResult<StoredReport> {
        Ok(StoredReport {
            id: self.id,
            status: ReportStatus::parse(&self.status).ok_or_else(|| {
                StoreError::Corrupt(format!("ukjent rapportstatus «{}»", self.status))
            })?,
            spent: Kroner::from_ore(self.spent_ore),
            lines: serde_json::from_str(&self.lines)
                .map_err(|e| StoreError::Corrupt(format!("rapportlinjene kan ikke leses: {e}")))?,
            narrative: self.narrative,
            auditor_confirmed: self.auditor_confirmed,
            document_id: self.document_id,
            submitted_by: self.submitted_by,
            submitted_by_user_id: self.submitted_by_user_id,
            submitted_at: self.submitted_at,
            reviewed_by: self.reviewed_by,
            reviewed_at: self.reviewed_at,
            review_comment: self.review_comment,
        })
    }
}

const REPORT_COLUMNS: &str = "SELECT id, status, spent_ore, lines, narrative, auditor_confirmed, document_id, \
     submitted_by, submitted_by_user_id, submitted_at, reviewed_by, reviewed_at, review_comment \
     FROM final_reports WHERE application_id = $1 ORDER BY id DESC";

impl super::Store {
    /// Every version of the final report, newest first.
    pub async fn final_reports(&self, application_id: i64) -> StoreResult<Vec<StoredReport>> {
        let rows: Vec<ReportRow> = self
            .fetch_all(sql(REPORT_COLUMNS).bind(application_id))
            .await?;
        rows.into_iter().map(ReportRow::into_report).collect()
    }
}

/// The newest report, inside the transaction.
pub async fn current_report_in(
    tx: &mut Tx,
    application_id: i64,
) -> StoreResult<Option<StoredReport>> {
    let rows: Vec<ReportRow> = tx
        .fetch_all(sql(REPORT_COLUMNS).bind(application_id))
        .await?;
    rows.into_iter()
        .next()
        .map(ReportRow::into_report)
        .transpose()
}

pub async fn insert_report(
    tx: &mut Tx,
    application_id: i64,
    report: &FinalReport,
    document_id: Option<i64>,
    actor: &Actor,
) -> StoreResult<i64> {
    let lines = serde_json::to_string(&report.lines)
        .map_err(|e| StoreError::Corrupt(format!("rapportlinjene kan ikke lagres: {e}")))?;
    tx.insert(
        sql("INSERT INTO final_reports (application_id, spent_ore, lines, narrative, auditor_confirmed, document_id, \
             status, submitted_by, submitted_by_user_id, submitted_at) VALUES ($1, $2, $3, $4, $5, $6, 'submitted', $7, $8, $9) \
             RETURNING id")
        .bind(application_id)
        .bind(report.spent().ore())
        .bind(lines)
        .bind(report.narrative.as_str())
        .bind(report.auditor_confirmed)
        .bind(document_id)
        .bind(actor.name.as_str())
        .bind(actor.user_id)
        .bind(Utc::now()),
    )
    .await
}

pub async fn review_report(
    tx: &mut Tx,
    report_id: i64,
    status: ReportStatus,
    comment: Option<&str>,
    actor: &Actor,
) -> StoreResult<()> {
    tx.execute(
        sql("UPDATE final_reports SET status = $1, reviewed_by = $2, reviewed_by_user_id = $3, reviewed_at = $4, \
             review_comment = $5 WHERE id = $6")
        .bind(status.as_str())
        .bind(actor.name.as_str())
        .bind(actor.user_id)
        .bind(Utc::now())
        .bind(comment)
        .bind(report_id),
    )
    .await?;
    Ok(())
}

pub async fn insert_claim(
    tx: &mut Tx,
    application_id: i64,
    amount: Kroner,
    due: NaiveDate,
    actor: &Actor,
) -> StoreResult<()> {
    tx.execute(
        sql("INSERT INTO repayment_claims (application_id, amount_ore, due_on, claimed_by, claimed_at) \
             VALUES ($1, $2, $3, $4, $5)")
        .bind(application_id)
        .bind(amount.ore())
        .bind(due)
        .bind(actor.name.as_str())
        .bind(Utc::now()),
    )
    .await?;
    Ok(())
}
