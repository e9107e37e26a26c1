//! After the decision: terms and letters, the recipient's answer, payment requests and
//! payments, the final report and its review, repayment, and closing the round. Each
//! change takes the round's lock, reads the grant as it is, asks `domain::followup`,
//! writes, audits and queues its e-mail in one transaction.

use chrono::{NaiveDate, Utc};
use serde::Serialize;

use crate::clock::today_oslo;
use crate::domain::Kroner;
use crate::domain::audit::{Actor, NewAuditEvent};
use crate::domain::followup::{
    FinalReportInput, FollowupLine, FollowupTerms, FollowupTermsInput, FollowupTotals, GrantState,
    Overdue, ReportStatus,
};
use crate::domain::letter::{self, Letter, LetterFacts, LetterKind};
use crate::domain::notice::{self, Notice};
use crate::domain::round::{Round, RoundPhase};
use crate::domain::user::Principal;
use crate::domain::validation::{FieldErrors, optional_text, required_text};
use crate::error::{AppError, AppResult};
use crate::sheets::Severity;
use crate::sheets::detect::detect;
use crate::sheets::final_report;
use crate::store::followup::{
    self as stored, Grant, IssuedLetter, Movement, NewDocument, NewMovement, StoredTerms,
};
use crate::store::outbox::{self, NewMail};
use crate::store::{Store, StoreError, Tx, rounds};

use super::uploads::UploadSettings;
use super::{Locked, lock_application_round, lock_round};

/// The grant as `user` may see it: a municipality only its own ("not found" otherwise).
fn check_sees(user: &Principal, grant: &Grant) -> AppResult<()> {
    match user.limited_to_organisation() {
        Some(org) if org != grant.organisation_id => Err(AppError::not_found("søknaden")),
        _ => Ok(()),
    }
}

/// An officer's step (payments, reviews, letters): a municipality user may not take it.
fn check_officer(user: &Principal, what: &'static str) -> AppResult<()> {
    Ok(user.check_saksbehandler(what)?)
}

/// Locks the application's round, checks that it is in follow-up, and reads the grant.
async fn lock_grant(
    store: &Store,
    user: &Principal,
    application_id: i64,
) -> AppResult<(Locked, Grant, StoredTerms)> {
    let mut locked = lock_application_round(store, application_id).await?;
    let grant = match stored::grant_in(&mut locked.tx, application_id).await {
        Ok(grant) => grant,
        // Not granted or rejected by a decision: say so to whoever may see it.
        Err(StoreError::NotFound(_)) => {
            let org = stored::organisation_of_in(&mut locked.tx, application_id).await?;
            if user.limited_to_organisation().is_some_and(|own| own != org) {
                return Err(AppError::not_found("søknaden"));
            }
            locked.round.phase.check_in_followup()?;
            return Err(AppError::Conflict(
                "Søknaden er ikke innvilget eller avslått i vedtaket; det er ingenting å følge opp.".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    check_sees(user, &grant)?;
    locked.round.phase.check_in_followup()?;
    let terms = stored::terms_in(&mut locked.tx, locked.round.id).await?;
    Ok((locked, grant, terms))
}

fn event(actor: &Actor, action: &'static str, grant: &Grant, summary: String) -> NewAuditEvent {
    NewAuditEvent::new(actor, action, summary)
        .round(grant.round_id)
        .application(grant.application_id)
}

/// Queues a notice to the application's contact, if it has an e-mail address.
async fn queue_notice(
    tx: &mut Tx,
    grant: &Grant,
    notice: Notice,
    letter: bool,
    dedupe_key: Option<String>,
) -> AppResult<bool> {
    let Some(to) = grant.email.as_deref().filter(|e| !e.trim().is_empty()) else {
        return Ok(false);
    };
    Ok(outbox::enqueue(
        tx,
        &NewMail {
            kind: notice.kind,
            round_id: Some(grant.round_id),
            application_id: Some(grant.application_id),
            recipient: to,
            subject: &notice.subject,
            body: &notice.body,
            letter_application_id: letter.then_some(grant.application_id),
            dedupe_key: dedupe_key.as_deref(),
        },
    )
    .await?)
}

// ---- terms and letter texts ----

/// The round's follow-up terms and letter texts as an officer edits them.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TermsView {
    #[serde(flatten)]
    pub terms: FollowupTerms,
    pub grant_template: String,
    pub rejection_template: String,
    /// True where the text is the default one.
    pub grant_template_is_default: bool,
    pub rejection_template_is_default: bool,
}

impl TermsView {
    pub fn of(stored: StoredTerms) -> Self {
        TermsView {
            grant_template_is_default: stored.grant_template.is_none(),
            rejection_template_is_default: stored.rejection_template.is_none(),
            grant_template: stored
                .grant_template
                .unwrap_or_else(|| LetterKind::Grant.default_template().to_string()),
            rejection_template: stored
                .rejection_template
                .unwrap_or_else(|| LetterKind::Rejection.default_template().to_string()),
            terms: stored.terms,
        }
    }
}

/// The terms of a round that is not yet completed may change; letters already issued keep
/// what they said.
pub async fn set_terms(
    store: &Store,
    user: &Principal,
    round_id: i64,
    input: &FollowupTermsInput,
) -> AppResult<TermsView> {
    check_officer(user, "sette vilkår for oppfølgingen")?;
    let actor = Actor::from(user);
    let terms = input.validate()?;
    let mut locked = lock_round(store, round_id).await?;
    check_not_completed(&locked.round)?;
    let mut stored = stored::terms_in(&mut locked.tx, round_id).await?;
    let before = stored.terms.clone();
    stored.terms = terms;
    stored::write_terms(&mut locked.tx, round_id, &stored).await?;
    locked
        .tx
        .audit(
            NewAuditEvent::new(
                &actor,
                "followup.terms_set",
                format!(
                    "Vilkår for oppfølging satt: {}; frist for aksept {}, rapportfrist {}",
                    stored.terms.payment_plan.label(),
                    date_or_none(stored.terms.acceptance_deadline),
                    date_or_none(stored.terms.report_deadline)
                ),
            )
            .round(round_id)
            .change(
                "payment_plan",
                Some(before.payment_plan.as_str()),
                Some(stored.terms.payment_plan.as_str()),
            ),
        )
        .await?;
    locked.tx.commit().await?;
    Ok(TermsView::of(stored))
}

fn date_or_none(date: Option<NaiveDate>) -> String {
    date.map_or_else(|| "ikke satt".to_string(), crate::domain::date::format_date)
}

fn check_not_completed(round: &Round) -> AppResult<()> {
    if round.phase == RoundPhase::Completed {
        return Err(AppError::Conflict(format!(
            "Runden «{}» er avsluttet; ingenting i oppfølgingen kan endres.",
            round.name
        )));
    }
    Ok(())
}

/// The letter texts as sent: `None` keeps a text as it is, an empty text restores the default.
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct TemplatesInput {
    #[serde(default)]
    pub grant: Option<String>,
    #[serde(default)]
    pub rejection: Option<String>,
}

pub async fn set_templates(
    store: &Store,
    user: &Principal,
    round_id: i64,
    input: &TemplatesInput,
) -> AppResult<TermsView> {
    check_officer(user, "endre brevmalen")?;
    let actor = Actor::from(user);
    let mut errors = FieldErrors::new();
    let mut checked = |field: &str, text: &Option<String>| -> Option<Option<String>> {
        let text = text.as_deref()?;
        if text.trim().is_empty() {
            return Some(None);
        }
        if let Err(e) = letter::check_template(field, text) {
            errors.0.extend(e.0);
        }
        Some(Some(text.replace("\r\n", "\n")))
    };
    let grant = checked("grant", &input.grant);
    let rejection = checked("rejection", &input.rejection);
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let mut locked = lock_round(store, round_id).await?;
    check_not_completed(&locked.round)?;
    let mut stored = stored::terms_in(&mut locked.tx, round_id).await?;
    if let Some(text) = grant {
        stored.grant_template = text;
    }
    if let Some(text) = rejection {
        stored.rejection_template = text;
    }
    stored::write_terms(&mut locked.tx, round_id, &stored).await?;
    locked
        .tx
        .audit(
            NewAuditEvent::new(
                &actor,
                "followup.templates_set",
                "Brevmalen for runden endret; utstedte brev er uendret".to_string(),
            )
            .round(round_id),
        )
        .await?;
    locked.tx.commit().await?;
    Ok(TermsView::of(stored))
}

// ---- letters ----

/// A letter as shown: issued (frozen), or a draft from the round's current text.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct LetterView {
    pub application_id: i64,
    pub kind: LetterKind,
    pub issued: bool,
    pub issued_at: Option<chrono::DateTime<Utc>>,
    pub issued_by: Option<String>,
    pub sent_at: Option<chrono::DateTime<Utc>>,
    pub sent_to: Option<String>,
    pub note: Option<String>,
    pub letter: Letter,
}

/// "Statsforvalteren i Trøndelag" from the round's county.
fn sender(round: &Round) -> Vec<String> {
    match &round.region {
        Some(region) => vec![format!("Statsforvalteren i {region}")],
        None => vec!["Statsforvalteren".to_string()],
    }
}

fn compose_for(
    round: &Round,
    grant: &Grant,
    stored: &StoredTerms,
    signed_by: &str,
    date: NaiveDate,
) -> (LetterKind, Letter) {
    let kind = LetterKind::for_amount(grant.state.granted);
    let template = match kind {
        LetterKind::Grant => stored.grant_template.as_deref(),
        LetterKind::Rejection => stored.rejection_template.as_deref(),
    }
    .unwrap_or(kind.default_template());
    let facts = LetterFacts {
        kind,
        sender: sender(round),
        applicant: &grant.applicant,
        contact_person: grant.contact_person.as_deref(),
        scheme: &round.scheme,
        round: &round.name,
        year: round.year,
        project_title: grant.project_title.as_deref(),
        granted: grant.state.granted,
        requested: grant.requested,
        reason: grant.allocation_reason.as_deref(),
        note: grant.letter_note.as_deref(),
        terms: &stored.terms,
        date,
        reference: format!(
            "{}/{} – søknad {}",
            round.year, round.id, grant.application_id
        ),
        signed_by,
    };
    (kind, letter::compose(template, &facts))
}

/// The letter of an application as `user` may see it. A municipality sees only an
/// issued letter; officers also the draft.
pub async fn letter(store: &Store, user: &Principal, application_id: i64) -> AppResult<LetterView> {
    let grant = store.grant(application_id).await?;
    check_sees(user, &grant)?;
    if let Some(issued) = store.issued_letter(application_id).await? {
        return Ok(issued_view(issued, grant.letter_note));
    }
    if user.limited_to_organisation().is_some() {
        return Err(AppError::NotFound("Brevet er ikke utstedt ennå.".into()));
    }
    let round = store.round(grant.round_id).await?;
    if !round.phase.is_decided() {
        return Err(AppError::Conflict(
            "Runden er ikke vedtatt; det finnes ikke noe brev ennå.".into(),
        ));
    }
    let stored = store.followup_terms(round.id).await?;
    let (kind, letter) = compose_for(&round, &grant, &stored, &user.display_name, today_oslo());
    Ok(LetterView {
        application_id,
        kind,
        issued: false,
        issued_at: None,
        issued_by: None,
        sent_at: None,
        sent_to: None,
        note: grant.letter_note,
        letter,
    })
}

fn issued_view(issued: IssuedLetter, note: Option<String>) -> LetterView {
    LetterView {
        application_id: issued.application_id,
        kind: issued.kind,
        issued: true,
        issued_at: Some(issued.issued_at),
        issued_by: Some(issued.issued_by),
        sent_at: issued.sent_at,
        sent_to: issued.sent_to,
        note,
        letter: issued.letter,
    }
}

/// The officer's note for one recipient's letter; refused once the letter is issued.
pub async fn set_letter_note(
    store: &Store,
    user: &Principal,
    application_id: i64,
    note: Option<&str>,
) -> AppResult<()> {
    check_officer(user, "endre brev")?;
    let actor = Actor::from(user);
    let mut errors = FieldErrors::new();
    let note = optional_text(&mut errors, "note", "Merknad", note, 5000);
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let mut locked = lock_application_round(store, application_id).await?;
    let grant = stored::grant_in(&mut locked.tx, application_id).await?;
    if grant.state.letter_issued {
        return Err(crate::domain::followup::FollowupRefusal::LetterIssued.into());
    }
    check_not_completed(&locked.round)?;
    stored::write_letter_note(
        &mut locked.tx,
        application_id,
        locked.round.id,
        note.as_deref(),
    )
    .await?;
    locked
        .tx
        .audit(event(
            &actor,
            "letter.note_set",
            &grant,
            format!("Merknad i brevet til {} endret", grant.applicant),
        ))
        .await?;
    Ok(locked.tx.commit().await?)
}

/// What issuing or sending the letters of a round did.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct LettersOutcome {
    pub issued: usize,
    pub queued: usize,
    /// Applicants whose application has no e-mail address: their letter is not sent.
    pub without_address: Vec<String>,
    pub phase: Option<RoundPhase>,
}

/// Issues (freezes) every letter of the round not yet issued, and with `send` queues
/// every issued letter not yet sent to the application's contact. The round goes into
/// follow-up.
pub async fn issue_letters(
    store: &Store,
    user: &Principal,
    round_id: i64,
    send: bool,
) -> AppResult<LettersOutcome> {
    check_officer(user, "utstede brev")?;
    let actor = Actor::from(user);
    let mut locked = lock_round(store, round_id).await?;
    let phase = locked.round.phase.issue_letters()?;
    let stored = stored::terms_in(&mut locked.tx, round_id).await?;
    let grants = stored::round_grants_in(&mut locked.tx, round_id).await?;
    if grants.is_empty() {
        return Err(AppError::Conflict(
            "Runden har ingen innvilgede eller avslåtte søknader å skrive brev til.".into(),
        ));
    }
    let now = Utc::now();
    let today = today_oslo();
    let mut outcome = LettersOutcome {
        phase: Some(phase),
        ..LettersOutcome::default()
    };
    for grant in &grants {
        if !grant.state.letter_issued {
            let (kind, letter) =
                compose_for(&locked.round, grant, &stored, &user.display_name, today);
            if stored::write_issued_letter(
                &mut locked.tx,
                grant.application_id,
                round_id,
                kind,
                &letter,
                &actor,
                now,
            )
            .await?
            {
                outcome.issued += 1;
                locked
                    .tx
                    .audit(event(
                        &actor,
                        "letter.issued",
                        grant,
                        format!("{} til {} utstedt", kind.label(), grant.applicant),
                    ))
                    .await?;
            }
        }
        if send && !grant.state.letter_sent {
            let kind = LetterKind::for_amount(grant.state.granted);
            let notice = notice::decision(&locked.round.name, &grant.applicant, kind);
            if queue_notice(&mut locked.tx, grant, notice, true, None).await? {
                let to = grant.email.clone().unwrap_or_default();
                stored::mark_letter_sent(&mut locked.tx, grant.application_id, &to, now).await?;
                outcome.queued += 1;
                locked
                    .tx
                    .audit(event(
                        &actor,
                        "letter.sent",
                        grant,
                        format!("{} til {} sendt til {to}", kind.label(), grant.applicant),
                    ))
                    .await?;
            } else {
                outcome.without_address.push(grant.applicant.clone());
            }
        }
    }
    if phase != locked.round.stored_phase {
        rounds::write_phase(&mut locked.tx, round_id, phase).await?;
        locked
            .tx
            .audit(
                NewAuditEvent::new(
                    &actor,
                    "round.followup_started",
                    format!(
                        "Brevene er utstedt; «{}» er i oppfølging",
                        locked.round.name
                    ),
                )
                .round(round_id)
                .change(
                    "phase",
                    Some(locked.round.phase.label()),
                    Some(phase.label()),
                ),
            )
            .await?;
    }
    locked.tx.commit().await?;
    Ok(outcome)
}

// ---- the recipient's answer ----

pub async fn answer(
    store: &Store,
    user: &Principal,
    application_id: i64,
    accepted: bool,
    comment: Option<&str>,
) -> AppResult<()> {
    let actor = Actor::from(user);
    let mut errors = FieldErrors::new();
    let comment = optional_text(&mut errors, "comment", "Kommentar", comment, 2000);
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let (mut locked, grant, terms) = lock_grant(store, user, application_id).await?;
    grant.state.answer(&terms.terms, today_oslo())?;
    stored::insert_acceptance(
        &mut locked.tx,
        application_id,
        accepted,
        comment.as_deref(),
        &actor,
    )
    .await?;
    let (action, what) = if accepted {
        ("grant.accepted", "akseptert")
    } else {
        ("grant.declined", "avslått av mottakeren")
    };
    locked
        .tx
        .audit(
            event(
                &actor,
                action,
                &grant,
                format!(
                    "Tilskuddet på {} til {} er {what}",
                    grant.state.granted, grant.applicant
                ),
            )
            .change("accepted", None::<String>, Some(accepted.to_string())),
        )
        .await?;
    Ok(locked.tx.commit().await?)
}

// ---- payments ----

/// A payment or a repayment as typed or sent.
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct MovementInput {
    #[serde(default)]
    pub date: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::domain::validation::text_or_integer"
    )]
    pub amount: String,
    #[serde(default)]
    pub reference: String,
    /// The payment request this payment answers, if any.
    #[serde(default)]
    pub request_id: Option<i64>,
}

struct MovementFields {
    date: NaiveDate,
    amount: Kroner,
    reference: String,
}

impl MovementInput {
    fn validate(&self) -> AppResult<MovementFields> {
        let mut errors = FieldErrors::new();
        let date = match self
            .date
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            None => Some(today_oslo()),
            Some(text) => errors.take(
                "date",
                crate::domain::date::parse_date(text).map_err(|e| format!("Dato: {e}")),
            ),
        };
        let amount = if self.amount.trim().is_empty() {
            errors.add("amount", "Beløp må fylles ut.");
            None
        } else {
            errors.take(
                "amount",
                Kroner::parse(&self.amount).map_err(|e| format!("Beløp: {e}")),
            )
        };
        let reference = required_text(&mut errors, "reference", "Referanse", &self.reference, 200);
        errors
            .into_result(|| MovementFields {
                date: date.unwrap_or_default(),
                amount: amount.unwrap_or_default(),
                reference,
            })
            .map_err(AppError::Invalid)
    }
}

/// An officer records a payment made to the recipient: never more in all than the grant.
pub async fn record_payment(
    store: &Store,
    user: &Principal,
    application_id: i64,
    input: &MovementInput,
) -> AppResult<i64> {
    record_movement(store, user, application_id, input, Movement::Payment).await
}

/// An officer records money paid back: never more in all than the claim.
pub async fn record_repayment(
    store: &Store,
    user: &Principal,
    application_id: i64,
    input: &MovementInput,
) -> AppResult<i64> {
    record_movement(store, user, application_id, input, Movement::Repayment).await
}

/// A payment or a repayment: the same steps, each kind with its own limit and words.
async fn record_movement(
    store: &Store,
    user: &Principal,
    application_id: i64,
    input: &MovementInput,
    kind: Movement,
) -> AppResult<i64> {
    let (what, action, field, verb) = match kind {
        Movement::Payment => (
            "registrere utbetalinger",
            "payment.recorded",
            "paid",
            "Utbetalt",
        ),
        Movement::Repayment => (
            "registrere tilbakebetalinger",
            "repayment.recorded",
            "repaid",
            "Tilbakebetalt",
        ),
    };
    check_officer(user, what)?;
    let actor = Actor::from(user);
    let fields = input.validate()?;
    let (mut locked, grant, _) = lock_grant(store, user, application_id).await?;
    let before = match kind {
        Movement::Payment => {
            grant.state.check_payment(fields.amount)?;
            grant.state.paid
        }
        Movement::Repayment => {
            grant.state.check_repayment(fields.amount)?;
            grant.state.repaid
        }
    };
    let request_id = match kind {
        Movement::Payment => input.request_id,
        Movement::Repayment => None,
    };
    if let Some(request_id) = request_id {
        let request = stored::request_in(&mut locked.tx, request_id).await?;
        if request.application_id != application_id {
            return Err(AppError::not_found("anmodningen om utbetaling"));
        }
    }
    let id = stored::insert_movement(
        &mut locked.tx,
        kind,
        &NewMovement {
            application_id,
            date: fields.date,
            amount: fields.amount,
            reference: &fields.reference,
            payment_request_id: request_id,
        },
        &actor,
    )
    .await?;
    let direction = match kind {
        Movement::Payment => "til",
        Movement::Repayment => "fra",
    };
    locked
        .tx
        .audit(
            event(
                &actor,
                action,
                &grant,
                format!(
                    "{verb} {} {direction} {} ({}), ref. {}",
                    fields.amount,
                    grant.applicant,
                    crate::domain::date::format_date(fields.date),
                    fields.reference
                ),
            )
            .change(
                field,
                Some(before.to_string()),
                Some((before + fields.amount).to_string()),
            ),
        )
        .await?;
    locked.tx.commit().await?;
    Ok(id)
}

/// A request for payment as sent.
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct RequestInput {
    #[serde(
        default,
        deserialize_with = "crate::domain::validation::text_or_integer"
    )]
    pub amount: String,
    /// A final payment (sluttutbetaling) rather than a partial one.
    #[serde(default, rename = "final")]
    pub is_final: bool,
    #[serde(default)]
    pub note: Option<String>,
}

/// An attached file as uploaded.
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// Keeps an attached file as sent, in the use case's transaction.
async fn keep_attachment(
    tx: &mut Tx,
    application_id: i64,
    kind: &'static str,
    file: Option<Attachment>,
    actor: &Actor,
) -> AppResult<Option<i64>> {
    let Some(file) = file else {
        return Ok(None);
    };
    let new = NewDocument {
        application_id,
        kind,
        filename: &file.filename,
        content_type: &file.content_type,
        content: file.content,
    };
    Ok(Some(stored::insert_document(tx, new, actor).await?))
}

pub async fn request_payment(
    store: &Store,
    user: &Principal,
    application_id: i64,
    input: &RequestInput,
    accounts: Option<Attachment>,
) -> AppResult<i64> {
    let actor = Actor::from(user);
    let mut errors = FieldErrors::new();
    let amount = if input.amount.trim().is_empty() {
        errors.add("amount", "Beløp må fylles ut.");
        None
    } else {
        errors.take(
            "amount",
            Kroner::parse(&input.amount).map_err(|e| format!("Beløp: {e}")),
        )
    };
    let note = optional_text(&mut errors, "note", "Merknad", input.note.as_deref(), 2000);
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let amount = amount.unwrap_or_default();
    let (mut locked, grant, terms) = lock_grant(store, user, application_id).await?;
    grant
        .state
        .check_request(terms.terms.payment_plan, amount, input.is_final)?;
    let document_id =
        keep_attachment(&mut locked.tx, application_id, "accounts", accounts, &actor).await?;
    let id = stored::insert_request(
        &mut locked.tx,
        application_id,
        input.is_final,
        amount,
        note.as_deref(),
        document_id,
        &actor,
    )
    .await?;
    let what = if input.is_final {
        "sluttutbetaling"
    } else {
        "delutbetaling"
    };
    locked
        .tx
        .audit(event(
            &actor,
            "payment.requested",
            &grant,
            format!("{} ba om {what} på {amount}", grant.applicant),
        ))
        .await?;
    locked.tx.commit().await?;
    Ok(id)
}

/// An officer approves or rejects a request for payment.
pub async fn decide_request(
    store: &Store,
    user: &Principal,
    request_id: i64,
    approve: bool,
    comment: Option<&str>,
) -> AppResult<()> {
    check_officer(user, "behandle anmodninger om utbetaling")?;
    let actor = Actor::from(user);
    // Whose request it is decides which round to lock; read again under the lock.
    let application_id = store.payment_request(request_id).await?.application_id;
    let (mut locked, grant, _) = lock_grant(store, user, application_id).await?;
    let request = stored::request_in(&mut locked.tx, request_id).await?;
    if request.status != "pending" {
        return Err(crate::domain::followup::FollowupRefusal::RequestAlreadyDecided.into());
    }
    if !approve && comment.is_none_or(|c| c.trim().is_empty()) {
        return Err(crate::domain::followup::FollowupRefusal::CommentRequired.into());
    }
    stored::decide_request(&mut locked.tx, request_id, approve, comment, &actor).await?;
    let (action, what) = if approve {
        ("payment.request_approved", "godkjent")
    } else {
        ("payment.request_rejected", "avslått")
    };
    locked
        .tx
        .audit(event(
            &actor,
            action,
            &grant,
            format!(
                "Anmodning om utbetaling på {} fra {} {what}",
                request.amount, grant.applicant
            ),
        ))
        .await?;
    Ok(locked.tx.commit().await?)
}

// ---- the final report ----

/// Where a final report comes from.
pub enum ReportSource {
    /// Typed in the form or sent as JSON, with an attachment (the accounts) kept as sent.
    Typed(FinalReportInput, Option<Attachment>),
    /// The report workbook, read back with the tolerant import, and kept as sent.
    Workbook(Attachment),
}

/// Reads a filled-in report workbook; every problem named by sheet and cell.
async fn read_report_workbook(
    uploads: &UploadSettings,
    file: &Attachment,
) -> AppResult<(FinalReportInput, Vec<String>)> {
    let format = detect(&file.content, &uploads.limits, false)
        .map_err(|message| AppError::invalid("file", message))?;
    let workbook = uploads
        .isolation
        .read(&file.content, format)
        .await
        .map_err(|message| AppError::invalid("file", message))?;
    let parsed = final_report::parse(&workbook);
    if parsed.has_errors() {
        let mut errors = FieldErrors::new();
        for problem in parsed
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
        {
            errors.add("file", problem.located());
        }
        return Err(AppError::Invalid(errors));
    }
    let warnings = parsed.problems.iter().map(|p| p.located()).collect();
    Ok((parsed.input, warnings))
}

/// The report workbook for a grant: its budget lines, to fill in what was spent.
pub async fn report_template(
    store: &Store,
    user: &Principal,
    application_id: i64,
) -> AppResult<(String, Vec<u8>)> {
    let grant = store.grant(application_id).await?;
    check_sees(user, &grant)?;
    let application = store.application(application_id).await?;
    let round = store.round(grant.round_id).await?;
    let terms = store.followup_terms(round.id).await?.terms;
    let bytes = final_report::report_workbook(&final_report::ReportFacts {
        round: &format!("{} ({})", round.name, round.year),
        applicant: &grant.applicant,
        application_id,
        granted: grant.state.granted,
        auditor_threshold: terms.auditor_threshold,
        lines: &application.budget_lines,
    })
    .map_err(|e| AppError::Internal(anyhow::anyhow!("rapportskjemaet: {e}")))?;
    Ok((format!("sluttrapport-soknad-{application_id}.xlsx"), bytes))
}

pub async fn submit_report(
    store: &Store,
    uploads: &UploadSettings,
    user: &Principal,
    application_id: i64,
    source: ReportSource,
) -> AppResult<i64> {
    let actor = Actor::from(user);
    let (input, file, warnings) = match source {
        ReportSource::Typed(input, file) => (input, file, Vec::new()),
        ReportSource::Workbook(file) => {
            let (input, warnings) = read_report_workbook(uploads, &file).await?;
            (input, Some(file), warnings)
        }
    };
    let report = input.validate()?;
    let (mut locked, grant, terms) = lock_grant(store, user, application_id).await?;
    grant.state.check_report(&terms.terms, &report)?;
    let document_id =
        keep_attachment(&mut locked.tx, application_id, "report", file, &actor).await?;
    let id =
        stored::insert_report(&mut locked.tx, application_id, &report, document_id, &actor).await?;
    let mut summary = format!(
        "Sluttrapport fra {}: brukt {}{}",
        grant.applicant,
        report.spent(),
        if report.auditor_confirmed {
            ", bekreftet av revisor"
        } else {
            ""
        }
    );
    if !warnings.is_empty() {
        summary.push_str(&format!(
            " (merknader i regnearket: {})",
            warnings.join(" ")
        ));
    }
    locked
        .tx
        .audit(event(&actor, "report.submitted", &grant, summary).change(
            "report_status",
            Some(grant.state.report.label()),
            Some(ReportStatus::Submitted.label()),
        ))
        .await?;
    locked.tx.commit().await?;
    Ok(id)
}

/// An officer approves the report: paid and not spent becomes a repayment claim.
pub async fn approve_report(
    store: &Store,
    user: &Principal,
    application_id: i64,
) -> AppResult<Option<crate::domain::followup::RepaymentClaim>> {
    check_officer(user, "godkjenne sluttrapporter")?;
    let actor = Actor::from(user);
    let (mut locked, grant, terms) = lock_grant(store, user, application_id).await?;
    let report = stored::current_report_in(&mut locked.tx, application_id)
        .await?
        .ok_or(crate::domain::followup::FollowupRefusal::NoReportToReview)?;
    let claim = grant
        .state
        .approve_report(report.spent, &terms.terms, today_oslo())?;
    stored::review_report(
        &mut locked.tx,
        report.id,
        ReportStatus::Approved,
        None,
        &actor,
    )
    .await?;
    locked
        .tx
        .audit(
            event(
                &actor,
                "report.approved",
                &grant,
                format!(
                    "Sluttrapporten fra {} er godkjent: brukt {}, utbetalt {}",
                    grant.applicant, report.spent, grant.state.paid
                ),
            )
            .change(
                "report_status",
                Some(grant.state.report.label()),
                Some(ReportStatus::Approved.label()),
            ),
        )
        .await?;
    if let Some(claim) = claim {
        stored::insert_claim(
            &mut locked.tx,
            application_id,
            claim.amount,
            claim.due,
            &actor,
        )
        .await?;
        locked
            .tx
            .audit(event(
                &actor,
                "repayment.claimed",
                &grant,
                format!(
                    "Krav om tilbakebetaling til {}: {} (utbetalt {} − brukt {}), forfall {}",
                    grant.applicant,
                    claim.amount,
                    grant.state.paid,
                    report.spent,
                    crate::domain::date::format_date(claim.due)
                ),
            ))
            .await?;
        let notice = notice::repayment_claim(&locked.round.name, &grant.applicant, claim);
        queue_notice(&mut locked.tx, &grant, notice, false, None).await?;
    }
    locked.tx.commit().await?;
    Ok(claim)
}

/// An officer asks for more: the recipient sends the report again.
pub async fn return_report(
    store: &Store,
    user: &Principal,
    application_id: i64,
    comment: &str,
) -> AppResult<()> {
    check_officer(user, "sende sluttrapporter tilbake")?;
    let actor = Actor::from(user);
    let (mut locked, grant, _) = lock_grant(store, user, application_id).await?;
    grant.state.check_return_report(comment)?;
    let report = stored::current_report_in(&mut locked.tx, application_id)
        .await?
        .ok_or(crate::domain::followup::FollowupRefusal::NoReportToReview)?;
    stored::review_report(
        &mut locked.tx,
        report.id,
        ReportStatus::Returned,
        Some(comment.trim()),
        &actor,
    )
    .await?;
    locked
        .tx
        .audit(event(
            &actor,
            "report.returned",
            &grant,
            format!(
                "Sluttrapporten fra {} er sendt tilbake: {}",
                grant.applicant,
                comment.trim()
            ),
        ))
        .await?;
    let notice = notice::report_returned(&locked.round.name, &grant.applicant, comment.trim());
    queue_notice(&mut locked.tx, &grant, notice, false, None).await?;
    Ok(locked.tx.commit().await?)
}

/// Closes the follow-up when every grant is settled.
pub async fn complete(store: &Store, user: &Principal, round_id: i64) -> AppResult<()> {
    check_officer(user, "avslutte runder")?;
    let actor = Actor::from(user);
    let mut locked = lock_round(store, round_id).await?;
    let terms = stored::terms_in(&mut locked.tx, round_id).await?;
    let grants = stored::round_grants_in(&mut locked.tx, round_id).await?;
    let unsettled = grants
        .iter()
        .filter(|g| !g.state.is_settled(terms.terms.payment_plan))
        .count();
    let phase = locked.round.phase.complete(unsettled)?;
    rounds::write_phase(&mut locked.tx, round_id, phase).await?;
    locked
        .tx
        .audit(
            NewAuditEvent::new(
                &actor,
                "round.completed",
                format!(
                    "«{}» er avsluttet: alle tilskudd er gjort opp",
                    locked.round.name
                ),
            )
            .round(round_id)
            .change(
                "phase",
                Some(locked.round.phase.label()),
                Some(phase.label()),
            ),
        )
        .await?;
    Ok(locked.tx.commit().await?)
}

// ---- the overview ----

/// One grant in the follow-up overview.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FollowupRow {
    pub application_id: i64,
    pub applicant: String,
    pub kommunenummer: Option<String>,
    pub letter_issued: bool,
    pub letter_sent: bool,
    pub accepted: Option<bool>,
    pub report_status: ReportStatus,
    pub repayment_due: Option<NaiveDate>,
    #[serde(flatten)]
    pub line: FollowupLine,
    pub overdue: Vec<Overdue>,
    pub settled: bool,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FollowupOverview {
    pub round_id: i64,
    pub phase: RoundPhase,
    pub terms: FollowupTerms,
    /// Overdue first, then by applicant.
    pub applications: Vec<FollowupRow>,
    pub totals: FollowupTotals,
    pub reconciles: Reconciliation,
}

#[derive(Debug, Clone, Copy, Serialize, schemars::JsonSchema)]
pub struct Reconciliation {
    /// granted = paid + outstanding
    pub granted_is_paid_plus_outstanding: bool,
    /// paid = spent (paid for) + repayment + paid not reported
    pub paid_is_spent_plus_repayment_plus_not_reported: bool,
}

fn row_of(grant: Grant, terms: &FollowupTerms, today: NaiveDate) -> FollowupRow {
    let state: &GrantState = &grant.state;
    FollowupRow {
        application_id: grant.application_id,
        letter_issued: state.letter_issued,
        letter_sent: state.letter_sent,
        accepted: state.accepted,
        report_status: state.report,
        repayment_due: state.repayment_due,
        line: FollowupLine::of(state, terms.payment_plan),
        overdue: state.overdue(terms, today),
        settled: state.is_settled(terms.payment_plan),
        applicant: grant.applicant,
        kommunenummer: grant.kommunenummer,
    }
}

/// The follow-up of a round as `user` may see it (a municipality: its own grant only).
pub async fn overview(
    store: &Store,
    user: &Principal,
    round: &Round,
) -> AppResult<FollowupOverview> {
    let terms = store.followup_terms(round.id).await?.terms;
    let today = today_oslo();
    let mut rows: Vec<FollowupRow> = store
        .round_grants(round.id)
        .await?
        .into_iter()
        .filter(|g| check_sees(user, g).is_ok())
        .map(|g| row_of(g, &terms, today))
        .collect();
    rows.sort_by(|a, b| {
        a.overdue
            .is_empty()
            .cmp(&b.overdue.is_empty())
            .then_with(|| a.applicant.cmp(&b.applicant))
    });
    let lines: Vec<FollowupLine> = rows.iter().map(|r| r.line).collect();
    let totals = FollowupTotals::of(&lines);
    Ok(FollowupOverview {
        round_id: round.id,
        phase: round.phase,
        reconciles: Reconciliation {
            granted_is_paid_plus_outstanding: totals.granted_reconciles(),
            paid_is_spent_plus_repayment_plus_not_reported: totals.paid_reconciles(),
        },
        terms,
        applications: rows,
        totals,
    })
}

/// Everything about one grant's follow-up, for its page and the API.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct GrantDetail {
    #[serde(flatten)]
    pub row: FollowupRow,
    pub due_now: Kroner,
    pub payments: Vec<stored::Payment>,
    pub payment_requests: Vec<stored::PaymentRequest>,
    pub reports: Vec<stored::StoredReport>,
    pub repayments: Vec<stored::Payment>,
}

pub async fn grant_detail(
    store: &Store,
    user: &Principal,
    application_id: i64,
) -> AppResult<GrantDetail> {
    let grant = store.grant(application_id).await?;
    check_sees(user, &grant)?;
    let terms = store.followup_terms(grant.round_id).await?.terms;
    let row = row_of(grant, &terms, today_oslo());
    Ok(GrantDetail {
        due_now: row.line.due_now,
        payments: store.movements(Movement::Payment, application_id).await?,
        payment_requests: store.payment_requests(application_id).await?,
        reports: store.final_reports(application_id).await?,
        repayments: store.movements(Movement::Repayment, application_id).await?,
        row,
    })
}

// ---- reminders ----

/// Queues the report reminders due today (60 days before the deadline, and when it has
/// passed), each once per application. Answers how many were queued.
pub async fn queue_reminders(store: &Store, today: NaiveDate) -> AppResult<usize> {
    let mut queued = 0;
    for round_id in store.rounds_in_followup().await? {
        let mut locked = lock_round(store, round_id).await?;
        if !locked.round.phase.in_followup() {
            continue;
        }
        let terms = stored::terms_in(&mut locked.tx, round_id).await?.terms;
        let grants = stored::round_grants_in(&mut locked.tx, round_id).await?;
        let actor = Actor::system("påminnelser");
        let mut any = false;
        for grant in &grants {
            let Some(reminder) = grant.state.report_reminder(&terms, today) else {
                continue;
            };
            let notice = notice::report_reminder(&locked.round.name, &grant.applicant, reminder);
            let key = format!("{}:{}", reminder.key(), grant.application_id);
            if queue_notice(&mut locked.tx, grant, notice, false, Some(key)).await? {
                queued += 1;
                any = true;
                locked
                    .tx
                    .audit(event(
                        &actor,
                        "report.reminder_queued",
                        grant,
                        format!(
                            "Påminnelse om sluttrapport til {} lagt i utboksen",
                            grant.applicant
                        ),
                    ))
                    .await?;
            }
        }
        if any {
            locked.tx.commit().await?;
        } else {
            locked.tx.rollback().await?;
        }
    }
    Ok(queued)
}

/// An attached file (project accounts, report workbook) as `user` may see it.
pub async fn document(store: &Store, user: &Principal, id: i64) -> AppResult<stored::Document> {
    let document = store.document(id).await?;
    let grant = store.grant(document.application_id).await?;
    check_sees(user, &grant).map_err(|_| AppError::not_found("vedlegget"))?;
    Ok(document)
}
