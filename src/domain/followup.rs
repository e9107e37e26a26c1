//! After the decision (oppfølging): the recipient accepts the grant, the state pays it out
//! by the round's payment plan, the recipient reports what was spent, and what was paid
//! but not spent is claimed back (Reglement for økonomistyring i staten 6.3).
//!
//! Every rule is a pure function of one grant's [`GrantState`] and the round's
//! [`FollowupTerms`]; the reconciliation ([`FollowupLine`], [`FollowupTotals`]) is
//! derived from the same state so that its identities hold by construction:
//! granted = paid + outstanding, and paid = spent (paid for) + repayment + not reported.

// Amounts in øre are written kroner_øre (`200_000_00` is 200 000 kr).
#![allow(clippy::inconsistent_digit_grouping)]

use std::fmt;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use super::date::{format_date, parse_date};
use super::money::Kroner;
use super::validation::{FieldErrors, optional_text, required_text, text_or_integer};

/// An auditor (revisor) must confirm the accounts of a grant at or above this, unless the
/// round says otherwise (regionalforvaltning.no's rule: an accountant below, an auditor above).
pub const DEFAULT_AUDITOR_THRESHOLD_ORE: i64 = 200_000_00;
/// Days from the report's approval to the repayment's due date, unless the round says otherwise.
pub const DEFAULT_REPAYMENT_DAYS: u32 = 30;
/// The recipient is reminded this many days before the reporting deadline.
pub const REMINDER_DAYS_BEFORE_REPORT: u64 = 60;
/// Where the round allows appeal: forvaltningsloven § 29, three weeks from the letter.
pub const APPEAL_WEEKS: u32 = 3;

/// How and when a grant is paid out.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PaymentPlan {
    /// Everything when the grant is accepted.
    #[default]
    OnAcceptance,
    /// Half when accepted, the rest (up to what was spent) when the final report is approved.
    HalfAndHalf,
    /// The recipient asks for partial and final payments (anmodning om delutbetaling /
    /// sluttutbetaling) with accounts attached; an officer approves each request.
    OnRequest,
}

impl PaymentPlan {
    pub const ALL: [PaymentPlan; 3] = [
        PaymentPlan::OnAcceptance,
        PaymentPlan::HalfAndHalf,
        PaymentPlan::OnRequest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentPlan::OnAcceptance => "on_acceptance",
            PaymentPlan::HalfAndHalf => "half_and_half",
            PaymentPlan::OnRequest => "on_request",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            PaymentPlan::OnAcceptance => "100 % utbetales når tilskuddet er akseptert",
            PaymentPlan::HalfAndHalf => {
                "50 % utbetales ved aksept, resten etter godkjent sluttrapport"
            }
            PaymentPlan::OnRequest => {
                "Utbetales etter anmodning om delutbetaling eller sluttutbetaling med prosjektregnskap"
            }
        }
    }
}

/// The round's rules for what follows the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FollowupTerms {
    /// The grant must be accepted by this day (inclusive).
    pub acceptance_deadline: Option<NaiveDate>,
    /// The final report is due on this day (inclusive).
    pub report_deadline: Option<NaiveDate>,
    pub payment_plan: PaymentPlan,
    /// An auditor's confirmation is required for grants at or above this.
    pub auditor_threshold: Kroner,
    /// A repayment claim falls due this many days after the report is approved.
    pub repayment_days: u32,
    /// The letters name the right to appeal and its three-week deadline.
    pub appeal_allowed: bool,
    /// What the grant is for, as the letters say it.
    pub purpose: Option<String>,
    /// Conditions for the grant, as the letters say them.
    pub conditions: Option<String>,
}

impl Default for FollowupTerms {
    fn default() -> Self {
        Self {
            acceptance_deadline: None,
            report_deadline: None,
            payment_plan: PaymentPlan::default(),
            auditor_threshold: Kroner::from_ore(DEFAULT_AUDITOR_THRESHOLD_ORE),
            repayment_days: DEFAULT_REPAYMENT_DAYS,
            appeal_allowed: true,
            purpose: None,
            conditions: None,
        }
    }
}

/// The follow-up terms as typed in the form or sent in the API body.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FollowupTermsInput {
    #[serde(default)]
    pub acceptance_deadline: Option<String>,
    #[serde(default)]
    pub report_deadline: Option<String>,
    #[serde(default)]
    pub payment_plan: Option<String>,
    #[serde(default, deserialize_with = "text_or_integer")]
    pub auditor_threshold: String,
    #[serde(default, deserialize_with = "text_or_integer")]
    pub repayment_days: String,
    #[serde(default)]
    pub appeal_allowed: Option<bool>,
    #[serde(default)]
    pub purpose: Option<String>,
    #[serde(default)]
    pub conditions: Option<String>,
}

impl FollowupTermsInput {
    /// The form's starting values: the terms as they are.
    pub fn from_terms(terms: &FollowupTerms) -> Self {
        Self {
            acceptance_deadline: terms.acceptance_deadline.map(|d| d.to_string()),
            report_deadline: terms.report_deadline.map(|d| d.to_string()),
            payment_plan: Some(terms.payment_plan.as_str().to_string()),
            auditor_threshold: terms.auditor_threshold.to_input_string(),
            repayment_days: terms.repayment_days.to_string(),
            appeal_allowed: Some(terms.appeal_allowed),
            purpose: terms.purpose.clone(),
            conditions: terms.conditions.clone(),
        }
    }

    pub fn validate(&self) -> Result<FollowupTerms, FieldErrors> {
        let mut errors = FieldErrors::new();
        let defaults = FollowupTerms::default();
        let mut date = |field: &str, label: &str, value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .and_then(|d| {
                    errors.take(field, parse_date(d).map_err(|e| format!("{label}: {e}")))
                })
        };
        let acceptance_deadline = date(
            "acceptance_deadline",
            "Frist for aksept",
            &self.acceptance_deadline,
        );
        let report_deadline = date("report_deadline", "Rapportfrist", &self.report_deadline);
        let payment_plan = match self.payment_plan.as_deref().map(str::trim) {
            None | Some("") => defaults.payment_plan,
            Some(text) => PaymentPlan::parse(text).unwrap_or_else(|| {
                let names: Vec<&str> = PaymentPlan::ALL.iter().map(|p| p.as_str()).collect();
                errors.add(
                    "payment_plan",
                    format!(
                        "Utbetalingsplan må være en av {}, ikke «{text}».",
                        names.join(", ")
                    ),
                );
                defaults.payment_plan
            }),
        };
        let auditor_threshold = match self.auditor_threshold.trim() {
            "" => defaults.auditor_threshold,
            text => match Kroner::parse(text) {
                Ok(amount) => amount,
                Err(e) => {
                    errors.add("auditor_threshold", format!("Grense for revisor: {e}"));
                    defaults.auditor_threshold
                }
            },
        };
        let repayment_days = match self.repayment_days.trim() {
            "" => defaults.repayment_days,
            text => {
                match text.parse::<u32>() {
                    Ok(days) if (1..=365).contains(&days) => days,
                    _ => {
                        errors.add(
                        "repayment_days",
                        format!("Betalingsfrist for tilbakebetaling må være 1–365 dager, ikke «{text}»."),
                    );
                        defaults.repayment_days
                    }
                }
            }
        };
        if let (Some(accept), Some(report)) = (acceptance_deadline, report_deadline)
            && report < accept
        {
            errors.add(
                "report_deadline",
                format!(
                    "Rapportfristen ({}) kan ikke være før fristen for aksept ({}).",
                    format_date(report),
                    format_date(accept)
                ),
            );
        }
        let purpose = optional_text(
            &mut errors,
            "purpose",
            "Formål",
            self.purpose.as_deref(),
            5000,
        );
        let conditions = optional_text(
            &mut errors,
            "conditions",
            "Vilkår",
            self.conditions.as_deref(),
            10_000,
        );
        errors.into_result(|| FollowupTerms {
            acceptance_deadline,
            report_deadline,
            payment_plan,
            auditor_threshold,
            repayment_days,
            appeal_allowed: self.appeal_allowed.unwrap_or(defaults.appeal_allowed),
            purpose,
            conditions,
        })
    }
}

/// Where the recipient's final report stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    #[default]
    NotSubmitted,
    /// Waiting for an officer.
    Submitted,
    /// The officer asked for more; the recipient sends it again.
    Returned,
    Approved,
}

impl ReportStatus {
    pub const ALL: [ReportStatus; 4] = [
        ReportStatus::NotSubmitted,
        ReportStatus::Submitted,
        ReportStatus::Returned,
        ReportStatus::Approved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::NotSubmitted => "not_submitted",
            ReportStatus::Submitted => "submitted",
            ReportStatus::Returned => "returned",
            ReportStatus::Approved => "approved",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ReportStatus::NotSubmitted => "Ikke levert",
            ReportStatus::Submitted => "Til behandling",
            ReportStatus::Returned => "Etterspurt mer",
            ReportStatus::Approved => "Godkjent",
        }
    }
}

/// Everything the rules need to know about one grant after the decision.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GrantState {
    /// The decided amount (zero for a rejection).
    pub granted: Kroner,
    /// The letter is issued (frozen) and may be sent.
    pub letter_issued: bool,
    pub letter_sent: bool,
    /// `None` until the recipient answers.
    pub accepted: Option<bool>,
    pub paid: Kroner,
    /// Requested by the recipient and not yet decided by an officer.
    pub requests_pending: Kroner,
    /// Requested and approved (under [`PaymentPlan::OnRequest`]).
    pub requests_approved: Kroner,
    pub report: ReportStatus,
    /// What the approved final report says was spent.
    pub spent: Option<Kroner>,
    /// Claimed back after the report.
    pub repayment_claimed: Kroner,
    pub repayment_due: Option<NaiveDate>,
    pub repaid: Kroner,
}

/// Why a follow-up step is refused. Shown as it is to the person who tried it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowupRefusal {
    /// Follow-up steps need a round in oppfølging.
    NotInFollowup {
        phase_label: &'static str,
    },
    /// Letters are issued only in a decided round.
    NotDecided {
        phase_label: &'static str,
    },
    /// The letter is issued; its text is frozen.
    LetterIssued,
    /// The step needs an issued letter.
    NoLetter,
    /// Only a granted application (an amount above zero) is accepted, paid or reported on.
    NotGranted,
    AlreadyAnswered {
        accepted: bool,
    },
    AcceptanceDeadlinePassed {
        deadline: NaiveDate,
    },
    NotAccepted,
    AmountNotPositive {
        field: &'static str,
    },
    /// The payments would pass the grant.
    Overpayment {
        granted: Kroner,
        paid: Kroner,
        amount: Kroner,
    },
    /// After the report, no more is paid than was spent.
    PaymentAboveSpent {
        spent: Kroner,
        paid: Kroner,
        amount: Kroner,
    },
    /// Requests outstanding and paid would pass the grant.
    RequestAboveGrant {
        granted: Kroner,
        paid: Kroner,
        pending: Kroner,
        amount: Kroner,
    },
    RequestsNotInPlan,
    RequestAlreadyDecided,
    /// A final payment request goes with the final report.
    FinalRequestWithoutReport,
    ReportPending,
    ReportAlreadyApproved,
    NoReportToReview,
    NarrativeRequired,
    AuditorRequired {
        threshold: Kroner,
        granted: Kroner,
    },
    CommentRequired,
    /// An officer does not approve a report or payment they made or asked for themselves.
    OwnSubmission,
    NoRepaymentClaim,
    RepaymentAboveClaim {
        claimed: Kroner,
        repaid: Kroner,
        amount: Kroner,
    },
    /// The round is completed only when every grant is settled.
    Unsettled {
        count: usize,
    },
}

impl FollowupRefusal {
    /// The field a refused input names, for a 422; `None` for a state that forbids the step (409).
    pub fn field(&self) -> Option<&'static str> {
        use FollowupRefusal::*;
        match self {
            AmountNotPositive { field } => Some(field),
            Overpayment { .. }
            | PaymentAboveSpent { .. }
            | RequestAboveGrant { .. }
            | RepaymentAboveClaim { .. } => Some("amount"),
            NarrativeRequired => Some("narrative"),
            AuditorRequired { .. } => Some("auditor_confirmed"),
            CommentRequired => Some("comment"),
            _ => None,
        }
    }

    /// A step the person may never take here (403) rather than one the state forbids now.
    pub fn is_forbidden(&self) -> bool {
        matches!(self, FollowupRefusal::OwnSubmission)
    }
}

impl fmt::Display for FollowupRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use FollowupRefusal::*;
        match self {
            NotInFollowup { phase_label } => write!(
                f,
                "Runden er {}; dette gjøres når runden er i oppfølging (etter at brevene er utstedt).",
                phase_label.to_lowercase()
            ),
            NotDecided { phase_label } => write!(
                f,
                "Runden er {}; brev utstedes først når vedtaket er fattet.",
                phase_label.to_lowercase()
            ),
            LetterIssued => f.write_str(
                "Brevet er utstedt og kan ikke endres. Endringer i brevmalen gjelder bare brev som ikke er utstedt.",
            ),
            NoLetter => f.write_str("Brevet til søkeren er ikke utstedt ennå."),
            NotGranted => f.write_str("Søknaden fikk ikke tilskudd; det er ingenting å akseptere, utbetale eller rapportere."),
            AlreadyAnswered { accepted } => write!(
                f,
                "Tilskuddet er allerede {}; svaret kan ikke endres her. Ta kontakt med Statsforvalteren.",
                if *accepted { "akseptert" } else { "avslått av mottakeren" }
            ),
            AcceptanceDeadlinePassed { deadline } => write!(
                f,
                "Fristen for å akseptere tilskuddet gikk ut {}.",
                format_date(*deadline)
            ),
            NotAccepted => f.write_str("Tilskuddet er ikke akseptert av mottakeren."),
            AmountNotPositive { field } => {
                write!(f, "Beløpet ({field}) må være større enn 0 kr.")
            }
            Overpayment {
                granted,
                paid,
                amount,
            } => write!(
                f,
                "Utbetalingen på {amount} ville gjort samlet utbetalt større enn tilskuddet: tilskudd {granted}, allerede utbetalt {paid}, igjen å utbetale {}.",
                *granted - *paid
            ),
            PaymentAboveSpent {
                spent,
                paid,
                amount,
            } => write!(
                f,
                "Sluttrapporten er godkjent med {spent} brukt; allerede utbetalt {paid}. Utbetalingen på {amount} ville gått ut over det som er brukt."
            ),
            RequestAboveGrant {
                granted,
                paid,
                pending,
                amount,
            } => write!(
                f,
                "Anmodningen på {amount} er mer enn det som er igjen av tilskuddet: tilskudd {granted}, utbetalt {paid}, til behandling {pending}, igjen {}.",
                *granted - *paid - *pending
            ),
            RequestsNotInPlan => f.write_str(
                "Utbetalingsplanen for runden sier ikke at mottakeren skal be om utbetaling; Statsforvalteren utbetaler etter planen.",
            ),
            RequestAlreadyDecided => f.write_str("Anmodningen er allerede behandlet."),
            FinalRequestWithoutReport => f.write_str(
                "Anmodning om sluttutbetaling sendes sammen med sluttrapporten; send sluttrapporten først.",
            ),
            ReportPending => f.write_str(
                "Sluttrapporten er til behandling hos Statsforvalteren og kan ikke sendes på nytt nå.",
            ),
            ReportAlreadyApproved => f.write_str("Sluttrapporten er allerede godkjent."),
            NoReportToReview => f.write_str("Det er ingen sluttrapport til behandling."),
            NarrativeRequired => {
                f.write_str("Beskrivelse av gjennomføringen (narrative) må fylles ut.")
            }
            AuditorRequired { threshold, granted } => write!(
                f,
                "Tilskuddet er {granted}; fra {threshold} må prosjektregnskapet være bekreftet av revisor (auditor_confirmed)."
            ),
            CommentRequired => f.write_str("Skriv hva som mangler (comment) når rapporten sendes tilbake."),
            OwnSubmission => f.write_str(
                "Du kan ikke godkjenne noe du selv har registrert; en annen saksbehandler må gjøre det.",
            ),
            NoRepaymentClaim => f.write_str("Det er ikke noe krav om tilbakebetaling for søknaden."),
            RepaymentAboveClaim {
                claimed,
                repaid,
                amount,
            } => write!(
                f,
                "Innbetalingen på {amount} er mer enn det som gjenstår av kravet: krav {claimed}, allerede tilbakebetalt {repaid}, gjenstår {}.",
                *claimed - *repaid
            ),
            Unsettled { count } => write!(
                f,
                "{count} tilskudd er ikke gjort opp ennå (aksept, utbetaling, sluttrapport eller tilbakebetaling gjenstår); runden kan ikke avsluttes."
            ),
        }
    }
}

type Rule = Result<(), FollowupRefusal>;

fn positive(amount: Kroner, field: &'static str) -> Rule {
    if amount.is_zero() || amount.is_negative() {
        Err(FollowupRefusal::AmountNotPositive { field })
    } else {
        Ok(())
    }
}

impl GrantState {
    fn granted_something(&self) -> Rule {
        if self.granted.is_zero() {
            Err(FollowupRefusal::NotGranted)
        } else {
            Ok(())
        }
    }

    fn accepted(&self) -> Rule {
        self.granted_something()?;
        match self.accepted {
            Some(true) => Ok(()),
            _ => Err(FollowupRefusal::NotAccepted),
        }
    }

    /// The recipient accepts or declines, once, by the round's deadline.
    pub fn answer(&self, terms: &FollowupTerms, today: NaiveDate) -> Rule {
        self.granted_something()?;
        if !self.letter_issued {
            return Err(FollowupRefusal::NoLetter);
        }
        if let Some(accepted) = self.accepted {
            return Err(FollowupRefusal::AlreadyAnswered { accepted });
        }
        match terms.acceptance_deadline {
            Some(deadline) if today > deadline => {
                Err(FollowupRefusal::AcceptanceDeadlinePassed { deadline })
            }
            _ => Ok(()),
        }
    }

    /// A payment is recorded: never more in all than the grant.
    pub fn check_payment(&self, amount: Kroner) -> Rule {
        positive(amount, "amount")?;
        self.accepted()?;
        if self.paid + amount > self.granted {
            return Err(FollowupRefusal::Overpayment {
                granted: self.granted,
                paid: self.paid,
                amount,
            });
        }
        if let (ReportStatus::Approved, Some(spent)) = (self.report, self.spent)
            && self.paid + amount > spent
        {
            return Err(FollowupRefusal::PaymentAboveSpent {
                spent,
                paid: self.paid,
                amount,
            });
        }
        Ok(())
    }

    /// The recipient asks for a partial or final payment (only where the plan says so).
    pub fn check_request(&self, plan: PaymentPlan, amount: Kroner, is_final: bool) -> Rule {
        positive(amount, "amount")?;
        self.accepted()?;
        if plan != PaymentPlan::OnRequest {
            return Err(FollowupRefusal::RequestsNotInPlan);
        }
        if is_final && self.report == ReportStatus::NotSubmitted {
            return Err(FollowupRefusal::FinalRequestWithoutReport);
        }
        if self.paid + self.requests_pending + amount > self.granted {
            return Err(FollowupRefusal::RequestAboveGrant {
                granted: self.granted,
                paid: self.paid,
                pending: self.requests_pending,
                amount,
            });
        }
        Ok(())
    }

    /// The recipient sends the final report (again, after the officer asked for more).
    pub fn check_report(&self, terms: &FollowupTerms, report: &FinalReport) -> Rule {
        self.accepted()?;
        match self.report {
            ReportStatus::Submitted => return Err(FollowupRefusal::ReportPending),
            ReportStatus::Approved => return Err(FollowupRefusal::ReportAlreadyApproved),
            ReportStatus::NotSubmitted | ReportStatus::Returned => {}
        }
        if report.narrative.trim().is_empty() {
            return Err(FollowupRefusal::NarrativeRequired);
        }
        if self.granted >= terms.auditor_threshold && !report.auditor_confirmed {
            return Err(FollowupRefusal::AuditorRequired {
                threshold: terms.auditor_threshold,
                granted: self.granted,
            });
        }
        Ok(())
    }

    /// The officer approves the report: what was paid beyond what was spent is claimed
    /// back, due `repayment_days` after `today`.
    pub fn approve_report(
        &self,
        spent: Kroner,
        terms: &FollowupTerms,
        today: NaiveDate,
    ) -> Result<Option<RepaymentClaim>, FollowupRefusal> {
        if self.report != ReportStatus::Submitted {
            return Err(match self.report {
                ReportStatus::Approved => FollowupRefusal::ReportAlreadyApproved,
                _ => FollowupRefusal::NoReportToReview,
            });
        }
        Ok(repayment_claim(self.paid, spent, terms, today))
    }

    pub fn check_return_report(&self, comment: &str) -> Rule {
        if self.report != ReportStatus::Submitted {
            return Err(FollowupRefusal::NoReportToReview);
        }
        if comment.trim().is_empty() {
            return Err(FollowupRefusal::CommentRequired);
        }
        Ok(())
    }

    /// A repayment is received: never more in all than the claim.
    pub fn check_repayment(&self, amount: Kroner) -> Rule {
        positive(amount, "amount")?;
        if self.repayment_claimed.is_zero() {
            return Err(FollowupRefusal::NoRepaymentClaim);
        }
        if self.repaid + amount > self.repayment_claimed {
            return Err(FollowupRefusal::RepaymentAboveClaim {
                claimed: self.repayment_claimed,
                repaid: self.repaid,
                amount,
            });
        }
        Ok(())
    }

    /// What is due for payment now by the plan: the part the plan releases, less what
    /// is paid already.
    pub fn due_now(&self, plan: PaymentPlan) -> Kroner {
        if self.accepted != Some(true) {
            return Kroner::ZERO;
        }
        let released = match (plan, self.report, self.spent) {
            (PaymentPlan::OnRequest, ..) => self.requests_approved,
            (_, ReportStatus::Approved, Some(spent)) => spent.min(self.granted).max(self.paid),
            (PaymentPlan::OnAcceptance, ..) => self.granted,
            (PaymentPlan::HalfAndHalf, ..) => half(self.granted),
        };
        let due = released - self.paid;
        if due.is_negative() {
            Kroner::ZERO
        } else {
            due.min(self.granted - self.paid)
        }
    }

    /// Nothing more will happen to this grant: declined or rejected, or reported,
    /// paid as due and any claim repaid.
    pub fn is_settled(&self, plan: PaymentPlan) -> bool {
        if self.granted.is_zero() || self.accepted == Some(false) {
            return self.paid.is_zero() || self.repaid >= self.repayment_claimed;
        }
        self.report == ReportStatus::Approved
            && self.due_now(plan).is_zero()
            && self.requests_pending.is_zero()
            && self.repaid >= self.repayment_claimed
    }

    /// What is late on `today`, most pressing first.
    pub fn overdue(&self, terms: &FollowupTerms, today: NaiveDate) -> Vec<Overdue> {
        let mut late = Vec::new();
        if self.granted.is_zero() || self.accepted == Some(false) {
            return late;
        }
        if let (Some(due), true) = (self.repayment_due, self.repaid < self.repayment_claimed)
            && today > due
        {
            late.push(Overdue::Repayment { due });
        }
        if self.accepted.is_none()
            && let Some(deadline) = terms.acceptance_deadline
            && today > deadline
        {
            late.push(Overdue::Acceptance { deadline });
        }
        if self.accepted == Some(true)
            && matches!(
                self.report,
                ReportStatus::NotSubmitted | ReportStatus::Returned
            )
            && let Some(deadline) = terms.report_deadline
            && today > deadline
        {
            late.push(Overdue::Report { deadline });
        }
        late
    }

    /// Which reminder about the report is due on `today`, if any (each is sent once).
    pub fn report_reminder(&self, terms: &FollowupTerms, today: NaiveDate) -> Option<Reminder> {
        if self.accepted != Some(true)
            || matches!(
                self.report,
                ReportStatus::Submitted | ReportStatus::Approved
            )
        {
            return None;
        }
        let deadline = terms.report_deadline?;
        if today > deadline {
            Some(Reminder::ReportOverdue { deadline })
        } else if today
            >= deadline
                .checked_sub_days(Days::new(REMINDER_DAYS_BEFORE_REPORT))
                .unwrap_or(deadline)
        {
            Some(Reminder::ReportDueSoon { deadline })
        } else {
            None
        }
    }
}

/// Half of an amount, rounded up to whole kroner so that the first payment never
/// leaves øre for the second when the grant is whole kroner.
fn half(amount: Kroner) -> Kroner {
    let ore = amount.ore();
    let half_up = (ore + 1) / 2;
    Kroner::from_ore(((half_up + 99) / 100 * 100).min(ore))
}

/// What was paid and not spent, claimed back with a due date; `None` when all was spent.
pub fn repayment_claim(
    paid: Kroner,
    spent: Kroner,
    terms: &FollowupTerms,
    today: NaiveDate,
) -> Option<RepaymentClaim> {
    let unspent = paid - spent;
    if unspent.is_negative() || unspent.is_zero() {
        return None;
    }
    Some(RepaymentClaim {
        amount: unspent,
        due: today
            .checked_add_days(Days::new(u64::from(terms.repayment_days)))
            .unwrap_or(today),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RepaymentClaim {
    pub amount: Kroner,
    pub due: NaiveDate,
}

/// Something late, for the follow-up page's «forfalt» list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Overdue {
    Repayment { due: NaiveDate },
    Acceptance { deadline: NaiveDate },
    Report { deadline: NaiveDate },
}

impl fmt::Display for Overdue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Overdue::Repayment { due } => {
                write!(f, "Tilbakebetaling forfalt {}", format_date(*due))
            }
            Overdue::Acceptance { deadline } => {
                write!(f, "Ikke akseptert innen {}", format_date(*deadline))
            }
            Overdue::Report { deadline } => {
                write!(
                    f,
                    "Sluttrapport ikke levert innen {}",
                    format_date(*deadline)
                )
            }
        }
    }
}

/// A reminder e-mail about the final report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminder {
    ReportDueSoon { deadline: NaiveDate },
    ReportOverdue { deadline: NaiveDate },
}

impl Reminder {
    /// Names the reminder so that each is queued once per application.
    pub fn key(self) -> &'static str {
        match self {
            Reminder::ReportDueSoon { .. } => "report_due",
            Reminder::ReportOverdue { .. } => "report_overdue",
        }
    }
}

/// One line of the final report: what was spent on one budget line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SpentLine {
    pub category: String,
    #[serde(default)]
    pub description: String,
    pub spent: Kroner,
}

/// The recipient's final report (sluttrapport).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FinalReport {
    pub lines: Vec<SpentLine>,
    pub narrative: String,
    pub auditor_confirmed: bool,
}

impl FinalReport {
    pub fn spent(&self) -> Kroner {
        self.lines.iter().map(|l| l.spent).sum()
    }
}

/// What was spent as sent: one amount, or one per budget line.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum SpentInput {
    Total(#[serde(deserialize_with = "text_or_integer")] String),
    Lines(Vec<SpentLineInput>),
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SpentLineInput {
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "text_or_integer")]
    pub spent: String,
}

/// The final report as typed or sent.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FinalReportInput {
    pub spent: SpentInput,
    #[serde(default)]
    pub narrative: String,
    #[serde(default)]
    pub auditor_confirmed: bool,
}

impl FinalReportInput {
    pub fn validate(&self) -> Result<FinalReport, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut lines = Vec::new();
        match &self.spent {
            SpentInput::Total(text) => {
                if let Some(spent) = parse_spent(&mut errors, "spent", "Brukt", text) {
                    lines.push(SpentLine {
                        category: "Totalt".into(),
                        description: String::new(),
                        spent,
                    });
                }
            }
            SpentInput::Lines(input) => {
                if input.is_empty() {
                    errors.add("spent", "Brukt må ha minst én budsjettlinje.");
                }
                for (i, line) in input.iter().enumerate() {
                    let field = format!("spent[{i}]");
                    let category = required_text(
                        &mut errors,
                        &format!("{field}.category"),
                        &format!("Linje {}: Kategori", i + 1),
                        &line.category,
                        200,
                    );
                    let description = optional_text(
                        &mut errors,
                        &format!("{field}.description"),
                        &format!("Linje {}: Beskrivelse", i + 1),
                        line.description.as_deref(),
                        500,
                    )
                    .unwrap_or_default();
                    if let Some(spent) = parse_spent(
                        &mut errors,
                        &format!("{field}.spent"),
                        &format!("Linje {}: Brukt", i + 1),
                        &line.spent,
                    ) {
                        lines.push(SpentLine {
                            category,
                            description,
                            spent,
                        });
                    }
                }
            }
        }
        let narrative = self.narrative.trim();
        if narrative.chars().count() > 20_000 {
            errors.add("narrative", "Beskrivelsen kan ha høyst 20 000 tegn.");
        }
        errors.into_result(|| FinalReport {
            lines,
            narrative: narrative.to_string(),
            auditor_confirmed: self.auditor_confirmed,
        })
    }
}

fn parse_spent(errors: &mut FieldErrors, field: &str, label: &str, text: &str) -> Option<Kroner> {
    if text.trim().is_empty() {
        errors.add(
            field,
            format!("{label} må fylles ut (0 hvis ingenting er brukt)."),
        );
        return None;
    }
    errors.take(
        field,
        Kroner::parse(text).map_err(|e| format!("{label}: {e}")),
    )
}

/// One grant in the follow-up overview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FollowupLine {
    pub granted: Kroner,
    pub paid: Kroner,
    /// Granted and not paid (granted = paid + outstanding).
    pub outstanding: Kroner,
    /// The part of `outstanding` that will not be paid: declined, or not spent by the report.
    pub lapsed: Kroner,
    /// Due for payment now by the plan.
    pub due_now: Kroner,
    /// What the approved report says was spent (may be more than was paid).
    pub spent: Option<Kroner>,
    /// The part of what was paid that the report accounts for as spent.
    pub spent_paid: Kroner,
    pub repayment: Kroner,
    pub repaid: Kroner,
    /// Paid, with no approved report yet.
    pub paid_not_reported: Kroner,
}

impl FollowupLine {
    /// What may still be paid: not paid, and not lapsed.
    pub fn payable(&self) -> Kroner {
        self.outstanding - self.lapsed
    }

    pub fn of(state: &GrantState, plan: PaymentPlan) -> Self {
        let outstanding = state.granted - state.paid;
        let reported = state.report == ReportStatus::Approved;
        let (spent_paid, paid_not_reported) = match (reported, state.spent) {
            (true, Some(spent)) => (spent.min(state.paid), Kroner::ZERO),
            _ => (Kroner::ZERO, state.paid),
        };
        // What the report leaves unpaid for good: the grant beyond what was spent.
        let lapsed = if state.accepted == Some(false) {
            outstanding
        } else if let (true, Some(spent)) = (reported, state.spent) {
            (state.granted - spent.max(state.paid)).max(Kroner::ZERO)
        } else {
            Kroner::ZERO
        };
        Self {
            granted: state.granted,
            paid: state.paid,
            outstanding,
            lapsed,
            due_now: state.due_now(plan),
            spent: state.spent.filter(|_| reported),
            spent_paid,
            // Claimed is what the report left over: paid − spent; kept as recorded.
            repayment: state.repayment_claimed,
            repaid: state.repaid,
            paid_not_reported,
        }
    }
}

/// The sums over a round, and whether they reconcile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default, schemars::JsonSchema)]
pub struct FollowupTotals {
    pub granted: Kroner,
    pub paid: Kroner,
    pub outstanding: Kroner,
    pub lapsed: Kroner,
    pub due_now: Kroner,
    pub spent: Kroner,
    pub spent_paid: Kroner,
    pub repayment: Kroner,
    pub repaid: Kroner,
    pub paid_not_reported: Kroner,
}

impl FollowupTotals {
    pub fn of<'a>(lines: impl IntoIterator<Item = &'a FollowupLine>) -> Self {
        lines.into_iter().fold(Self::default(), |t, l| Self {
            granted: t.granted + l.granted,
            paid: t.paid + l.paid,
            outstanding: t.outstanding + l.outstanding,
            lapsed: t.lapsed + l.lapsed,
            due_now: t.due_now + l.due_now,
            spent: t.spent + l.spent.unwrap_or_default(),
            spent_paid: t.spent_paid + l.spent_paid,
            repayment: t.repayment + l.repayment,
            repaid: t.repaid + l.repaid,
            paid_not_reported: t.paid_not_reported + l.paid_not_reported,
        })
    }

    /// granted = paid + outstanding.
    pub fn granted_reconciles(&self) -> bool {
        self.granted == self.paid + self.outstanding
    }

    /// paid = spent (paid for) + repayment claimed + not yet reported.
    pub fn paid_reconciles(&self) -> bool {
        self.paid == self.spent_paid + self.repayment + self.paid_not_reported
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kr(whole: i64) -> Kroner {
        Kroner::from_whole(whole)
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn accepted(granted: i64) -> GrantState {
        GrantState {
            granted: kr(granted),
            letter_issued: true,
            accepted: Some(true),
            ..GrantState::default()
        }
    }

    #[test]
    fn payments_never_pass_the_grant() {
        let mut state = accepted(350_000);
        assert!(state.check_payment(kr(350_000)).is_ok());
        state.paid = kr(200_000);
        let refusal = state.check_payment(kr(150_001)).unwrap_err();
        let text = refusal.to_string();
        assert!(text.contains("350\u{a0}000\u{a0}kr"), "{text}");
        assert!(text.contains("150\u{a0}001\u{a0}kr"), "{text}");
        assert_eq!(refusal.field(), Some("amount"));
        assert!(state.check_payment(kr(150_000)).is_ok());
        assert!(state.check_payment(Kroner::ZERO).is_err());
    }

    #[test]
    fn after_the_report_no_more_is_paid_than_was_spent() {
        let mut state = accepted(300_000);
        state.paid = kr(150_000);
        state.report = ReportStatus::Approved;
        state.spent = Some(kr(200_000));
        assert!(state.check_payment(kr(50_000)).is_ok());
        let refusal = state.check_payment(kr(50_001)).unwrap_err();
        assert!(matches!(refusal, FollowupRefusal::PaymentAboveSpent { .. }));
        assert_eq!(refusal.field(), Some("amount"));
        assert_eq!(
            FollowupLine::of(&state, PaymentPlan::HalfAndHalf).payable(),
            kr(50_000)
        );
    }

    #[test]
    fn payment_needs_acceptance() {
        let mut state = accepted(100);
        state.accepted = None;
        assert_eq!(
            state.check_payment(kr(1)),
            Err(FollowupRefusal::NotAccepted)
        );
        state.accepted = Some(false);
        assert_eq!(
            state.check_payment(kr(1)),
            Err(FollowupRefusal::NotAccepted)
        );
    }

    #[test]
    fn acceptance_once_before_the_deadline() {
        let terms = FollowupTerms {
            acceptance_deadline: Some(day(2020, 3, 1)),
            ..FollowupTerms::default()
        };
        let mut state = accepted(1000);
        state.accepted = None;
        assert!(state.answer(&terms, day(2020, 3, 1)).is_ok());
        assert_eq!(
            state.answer(&terms, day(2020, 3, 2)),
            Err(FollowupRefusal::AcceptanceDeadlinePassed {
                deadline: day(2020, 3, 1)
            })
        );
        state.accepted = Some(true);
        assert!(matches!(
            state.answer(&terms, day(2020, 2, 1)),
            Err(FollowupRefusal::AlreadyAnswered { accepted: true })
        ));
        let rejected = GrantState::default();
        assert_eq!(
            rejected.answer(&terms, day(2020, 1, 1)),
            Err(FollowupRefusal::NotGranted)
        );
        let unlettered = GrantState {
            granted: kr(5),
            ..GrantState::default()
        };
        assert_eq!(
            unlettered.answer(&terms, day(2020, 1, 1)),
            Err(FollowupRefusal::NoLetter)
        );
    }

    #[test]
    fn auditor_at_or_above_the_threshold() {
        let terms = FollowupTerms::default();
        let report = |auditor| FinalReport {
            lines: vec![],
            narrative: "Gjennomført".into(),
            auditor_confirmed: auditor,
        };
        assert!(
            accepted(199_999)
                .check_report(&terms, &report(false))
                .is_ok()
        );
        let refusal = accepted(200_000)
            .check_report(&terms, &report(false))
            .unwrap_err();
        assert_eq!(refusal.field(), Some("auditor_confirmed"));
        assert!(
            accepted(200_000)
                .check_report(&terms, &report(true))
                .is_ok()
        );
        let mut missing = report(true);
        missing.narrative = "  ".into();
        assert_eq!(
            accepted(5).check_report(&terms, &missing),
            Err(FollowupRefusal::NarrativeRequired)
        );
    }

    #[test]
    fn report_before_acceptance_is_refused() {
        let mut state = accepted(100);
        state.accepted = None;
        let report = FinalReport {
            lines: vec![],
            narrative: "x".into(),
            auditor_confirmed: false,
        };
        assert_eq!(
            state.check_report(&FollowupTerms::default(), &report),
            Err(FollowupRefusal::NotAccepted)
        );
    }

    #[test]
    fn unspent_is_claimed_back() {
        let terms = FollowupTerms::default();
        let mut state = accepted(300_000);
        state.paid = kr(300_000);
        state.report = ReportStatus::Submitted;
        let claim = state
            .approve_report(kr(250_000), &terms, day(2021, 1, 10))
            .unwrap()
            .unwrap();
        assert_eq!(claim.amount, kr(50_000));
        assert_eq!(claim.due, day(2021, 2, 9));
        assert_eq!(
            state
                .approve_report(kr(300_000), &terms, day(2021, 1, 10))
                .unwrap(),
            None
        );
    }

    #[test]
    fn half_and_half_releases_the_rest_after_the_report() {
        let mut state = accepted(301);
        assert_eq!(state.due_now(PaymentPlan::HalfAndHalf), kr(151));
        state.paid = kr(151);
        assert_eq!(state.due_now(PaymentPlan::HalfAndHalf), Kroner::ZERO);
        state.report = ReportStatus::Approved;
        state.spent = Some(kr(250));
        assert_eq!(state.due_now(PaymentPlan::HalfAndHalf), kr(99));
        state.spent = Some(kr(400));
        assert_eq!(state.due_now(PaymentPlan::HalfAndHalf), kr(150));
        assert_eq!(accepted(300).due_now(PaymentPlan::OnAcceptance), kr(300));
        let mut requested = accepted(300);
        requested.requests_approved = kr(100);
        assert_eq!(requested.due_now(PaymentPlan::OnRequest), kr(100));
    }

    #[test]
    fn half_of_an_amount_with_ore() {
        assert_eq!(half(Kroner::from_ore(1)), Kroner::from_ore(1));
        assert_eq!(half(Kroner::from_ore(250)), Kroner::from_ore(200));
        assert_eq!(half(Kroner::from_ore(1_000_00)), Kroner::from_ore(500_00));
        assert_eq!(half(Kroner::from_ore(1_001_00)), Kroner::from_ore(501_00));
    }

    #[test]
    fn requests_only_where_the_plan_says_so() {
        let state = accepted(1000);
        assert_eq!(
            state.check_request(PaymentPlan::OnAcceptance, kr(10), false),
            Err(FollowupRefusal::RequestsNotInPlan)
        );
        assert_eq!(
            state.check_request(PaymentPlan::OnRequest, kr(10), true),
            Err(FollowupRefusal::FinalRequestWithoutReport)
        );
        let mut pending = accepted(1000);
        pending.paid = kr(400);
        pending.requests_pending = kr(500);
        assert!(matches!(
            pending.check_request(PaymentPlan::OnRequest, kr(101), false),
            Err(FollowupRefusal::RequestAboveGrant { .. })
        ));
        assert!(
            pending
                .check_request(PaymentPlan::OnRequest, kr(100), false)
                .is_ok()
        );
    }

    #[test]
    fn reminders_sixty_days_before_and_after_the_deadline() {
        let terms = FollowupTerms {
            report_deadline: Some(day(2021, 3, 1)),
            ..FollowupTerms::default()
        };
        let state = accepted(10);
        assert_eq!(state.report_reminder(&terms, day(2020, 12, 30)), None);
        assert_eq!(
            state.report_reminder(&terms, day(2020, 12, 31)),
            Some(Reminder::ReportDueSoon {
                deadline: day(2021, 3, 1)
            })
        );
        assert_eq!(
            state.report_reminder(&terms, day(2021, 3, 2)),
            Some(Reminder::ReportOverdue {
                deadline: day(2021, 3, 1)
            })
        );
        let mut reported = accepted(10);
        reported.report = ReportStatus::Submitted;
        assert_eq!(reported.report_reminder(&terms, day(2021, 3, 2)), None);
        assert_eq!(
            state.overdue(&terms, day(2021, 3, 2)),
            vec![Overdue::Report {
                deadline: day(2021, 3, 1)
            }]
        );
    }

    #[test]
    fn terms_input_names_the_field() {
        let input = FollowupTermsInput {
            payment_plan: Some("monthly".into()),
            auditor_threshold: "abc".into(),
            repayment_days: "0".into(),
            acceptance_deadline: Some("2021-05-01".into()),
            report_deadline: Some("2021-04-01".into()),
            ..FollowupTermsInput::default()
        };
        let errors = input.validate().unwrap_err();
        for field in [
            "payment_plan",
            "auditor_threshold",
            "repayment_days",
            "report_deadline",
        ] {
            assert!(errors.for_field(field).is_some(), "{field}: {errors:?}");
        }
        let terms = FollowupTermsInput::default().validate().unwrap();
        assert_eq!(terms, FollowupTerms::default());
        assert_eq!(
            FollowupTermsInput::from_terms(&terms).validate().unwrap(),
            terms
        );
    }

    #[test]
    fn report_input_as_total_or_lines() {
        let total: FinalReportInput = serde_json::from_value(serde_json::json!({
            "spent": "250000", "narrative": "Ferdig", "auditor_confirmed": true
        }))
        .unwrap();
        assert_eq!(total.validate().unwrap().spent(), kr(250_000));
        let lines: FinalReportInput = serde_json::from_value(serde_json::json!({
            "spent": [{"category": "Lønn", "spent": 100}, {"category": "Reise", "spent": "50,50"}],
            "narrative": "Ferdig"
        }))
        .unwrap();
        assert_eq!(lines.validate().unwrap().spent(), Kroner::from_ore(150_50));
        let bad: FinalReportInput = serde_json::from_value(serde_json::json!({
            "spent": [{"category": "", "spent": "x"}]
        }))
        .unwrap();
        let errors = bad.validate().unwrap_err();
        assert!(errors.for_field("spent[0].category").is_some());
        assert!(errors.for_field("spent[0].spent").is_some());
    }

    fn plan() -> impl Strategy<Value = PaymentPlan> {
        prop::sample::select(PaymentPlan::ALL.to_vec())
    }

    /// A grant somewhere in its follow-up, reached only by steps the rules allow.
    fn grant_state() -> impl Strategy<Value = (GrantState, PaymentPlan)> {
        (
            0i64..5_000_000_00,
            prop::option::of(any::<bool>()),
            prop::collection::vec(1i64..2_000_000_00, 0..6),
            prop::option::of(0i64..6_000_000_00),
            plan(),
            prop::collection::vec(1i64..2_000_000_00, 0..3),
        )
            .prop_map(|(granted, accepted, payments, spent, plan, repayments)| {
                let mut state = GrantState {
                    granted: Kroner::from_ore(granted),
                    letter_issued: true,
                    accepted: if granted == 0 { None } else { accepted },
                    ..GrantState::default()
                };
                for p in payments {
                    if state.check_payment(Kroner::from_ore(p)).is_ok() {
                        state.paid = state.paid + Kroner::from_ore(p);
                    }
                }
                if let Some(spent) = spent
                    && state.accepted == Some(true)
                {
                    state.report = ReportStatus::Submitted;
                    let spent = Kroner::from_ore(spent);
                    let claim = state
                        .approve_report(spent, &FollowupTerms::default(), NaiveDate::MIN)
                        .unwrap();
                    state.report = ReportStatus::Approved;
                    state.spent = Some(spent);
                    if let Some(claim) = claim {
                        state.repayment_claimed = claim.amount;
                    }
                }
                for r in repayments {
                    if state.check_repayment(Kroner::from_ore(r)).is_ok() {
                        state.repaid = state.repaid + Kroner::from_ore(r);
                    }
                }
                (state, plan)
            })
    }

    proptest! {
        #[test]
        fn totals_reconcile(states in prop::collection::vec(grant_state(), 0..30)) {
            let lines: Vec<FollowupLine> =
                states.iter().map(|(s, plan)| FollowupLine::of(s, *plan)).collect();
            for (line, (state, _)) in lines.iter().zip(&states) {
                prop_assert!(line.paid <= line.granted);
                prop_assert!(!line.outstanding.is_negative());
                prop_assert!(line.lapsed <= line.outstanding);
                prop_assert!(line.due_now <= line.outstanding);
                prop_assert!(state.repaid <= state.repayment_claimed);
                prop_assert_eq!(line.paid, line.spent_paid + line.repayment + line.paid_not_reported);
            }
            let totals = FollowupTotals::of(&lines);
            prop_assert!(totals.granted_reconciles());
            prop_assert!(totals.paid_reconciles());
        }

        #[test]
        fn no_sequence_of_payments_passes_the_grant(
            granted in 1i64..10_000_000_00,
            payments in prop::collection::vec(1i64..10_000_000_00, 0..20),
        ) {
            let mut state = accepted(0);
            state.granted = Kroner::from_ore(granted);
            for p in payments {
                let amount = Kroner::from_ore(p);
                match state.check_payment(amount) {
                    Ok(()) => state.paid = state.paid + amount,
                    Err(FollowupRefusal::Overpayment { .. }) => {
                        prop_assert!(state.paid + amount > state.granted)
                    }
                    Err(other) => prop_assert!(false, "{other}"),
                }
                prop_assert!(state.paid <= state.granted);
            }
        }

        #[test]
        fn paying_what_is_due_is_always_allowed((state, plan) in grant_state()) {
            let due = state.due_now(plan);
            if !due.is_zero() {
                prop_assert!(state.check_payment(due).is_ok());
            }
        }
    }
}
