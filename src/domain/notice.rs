//! The e-mails the app sends, as text: what each says to the applicant. Queued in the
//! outbox by the use case whose event causes it.

use super::date::format_date;
use super::followup::{REMINDER_DAYS_BEFORE_REPORT, Reminder, RepaymentClaim};
use super::letter::LetterKind;

/// One message: its kind (for the outbox page), subject and plain-text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: &'static str,
    pub subject: String,
    pub body: String,
}

const FOOTER: &str = "\n\nDenne e-posten er sendt automatisk fra Statsforvalterens tilskuddsforvaltning. \
Logg inn for å se saken.";

/// The application has arrived.
pub fn received(round: &str, applicant: &str, application_id: i64) -> Notice {
    Notice {
        kind: "application_received",
        subject: format!("Søknaden er mottatt – {round}"),
        body: format!(
            "Statsforvalteren har mottatt søknaden fra {applicant} i «{round}» (søknad {application_id}). \
             Du får svar når søknadene er behandlet.{FOOTER}"
        ),
    }
}

/// The decision, with the letter attached.
pub fn decision(round: &str, applicant: &str, kind: LetterKind) -> Notice {
    let (subject, what) = match kind {
        LetterKind::Grant => (
            format!("Tilskuddsbrev – {round}"),
            "Søknaden er innvilget. Tilskuddsbrevet er vedlagt; les vilkårene og aksepter tilskuddet innen fristen i brevet.",
        ),
        LetterKind::Rejection => (
            format!("Svar på søknad om tilskudd – {round}"),
            "Søknaden er ikke innvilget. Brevet med begrunnelsen er vedlagt.",
        ),
    };
    Notice {
        kind: "decision",
        subject,
        body: format!("Til {applicant}\n\n{what}{FOOTER}"),
    }
}

/// The final report is due soon, or late.
pub fn report_reminder(round: &str, applicant: &str, reminder: Reminder) -> Notice {
    match reminder {
        Reminder::ReportDueSoon { deadline } => Notice {
            kind: "report_due",
            subject: format!(
                "Påminnelse: sluttrapport innen {} – {round}",
                format_date(deadline)
            ),
            body: format!(
                "Til {applicant}\n\nSluttrapporten med prosjektregnskap for tilskuddet fra «{round}» skal være hos \
                 Statsforvalteren innen {} (om {REMINDER_DAYS_BEFORE_REPORT} dager eller mindre).{FOOTER}",
                format_date(deadline)
            ),
        },
        Reminder::ReportOverdue { deadline } => Notice {
            kind: "report_overdue",
            subject: format!("Sluttrapporten er forsinket – {round}"),
            body: format!(
                "Til {applicant}\n\nFristen for sluttrapport for tilskuddet fra «{round}» gikk ut {}. \
                 Send rapporten så snart som mulig; tilskuddet kan ellers kreves tilbakebetalt.{FOOTER}",
                format_date(deadline)
            ),
        },
    }
}

/// The officer asked for more in the report.
pub fn report_returned(round: &str, applicant: &str, comment: &str) -> Notice {
    Notice {
        kind: "report_returned",
        subject: format!("Sluttrapporten trenger mer – {round}"),
        body: format!(
            "Til {applicant}\n\nStatsforvalteren har sett på sluttrapporten og trenger mer før den kan godkjennes:\n\n\
             {comment}\n\nSend rapporten på nytt.{FOOTER}"
        ),
    }
}

/// What was paid and not spent is claimed back.
pub fn repayment_claim(round: &str, applicant: &str, claim: RepaymentClaim) -> Notice {
    Notice {
        kind: "repayment_claim",
        subject: format!("Krav om tilbakebetaling – {round}"),
        body: format!(
            "Til {applicant}\n\nSluttrapporten for tilskuddet fra «{round}» er godkjent. Det som er utbetalt, men ikke brukt, \
             skal betales tilbake: {} innen {}. Bruk søknadens nummer som referanse.{FOOTER}",
            claim.amount,
            format_date(claim.due)
        ),
    }
}
