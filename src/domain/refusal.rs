//! Why a rule says no. Every lifecycle transition and rule in the domain answers either
//! the new state or one of these; the application layer turns a refusal into a response
//! (409, 403 or 422 by [`Refusal::kind`]) without rewording it, so the user reads the same
//! sentence whether the change came through a page, the API, an upload or the CLI.

use std::fmt;

use chrono::NaiveDate;

use super::application::ApplicationStatus;
use super::date::format_date;
use super::decision::DecisionStatus;
use super::followup::FollowupRefusal;
use super::money::Kroner;
use super::round::RoundPhase;

/// What kind of "no" a refusal is, for the HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// The state does not allow it now (409).
    Conflict,
    /// This person may not do it (403).
    Forbidden,
    /// The input breaks a rule; the refusal names the field (422).
    Invalid(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    // --- the round's phase ---
    /// Applications are taken only while the round is open.
    RoundNotAcceptingApplications { round: String, phase: RoundPhase },
    /// The deadline (Europe/Oslo) has passed.
    DeadlinePassed { deadline: NaiveDate },
    /// Officer's amounts (proposals) change only while the round is open or closed.
    ProposalsFrozen { round: String, phase: RoundPhase },
    /// Assessment changes only while the round is open or closed.
    AssessmentFrozen { round: String, phase: RoundPhase },
    /// The round was changed by someone else since the form was opened.
    RoundChanged { seen: i64, current: i64 },
    /// The round's settings change only before a proposal.
    RoundFrozen { round: String, phase: RoundPhase },
    /// Only a draft round is opened for applications.
    NotADraft { phase: RoundPhase },
    /// Closing needs an open round.
    NotOpen { phase: RoundPhase },
    /// Reopening needs a closed round.
    NotClosed { phase: RoundPhase },
    /// Reopening is allowed only before anything has been proposed.
    ReopenAfterProposal,
    /// Reopening a round whose deadline has passed keeps it closed: move the deadline.
    ReopenPastDeadline { deadline: NaiveDate },
    /// Closing and reopening need a reason.
    ReasonRequired { what: &'static str },
    /// A decision is proposed only when the round is closed (or decided, as an amendment).
    DecisionBeforeClose {
        round: String,
        phase: RoundPhase,
        deadline: Option<NaiveDate>,
    },
    /// Another proposal is already waiting for approval.
    ProposalPending,
    /// Nothing waits for approval.
    NothingToApprove { phase: RoundPhase },
    /// This proposal has been reviewed already.
    NotPending { status: DecisionStatus },

    // --- applications ---
    /// An applicant has one application per round.
    AlreadyApplied {
        applicant: String,
        application_id: i64,
        status: ApplicationStatus,
    },
    /// Only a draft is submitted.
    AlreadySubmitted { status: ApplicationStatus },
    /// The applicant changes only a draft.
    NotEditable { status: ApplicationStatus },
    /// An application needs a requested amount before it is submitted.
    NoRequestedAmount,
    /// The officer cannot propose an amount for a draft (not received).
    DraftHasNoProposal,
    /// A decided application keeps its decision.
    AlreadyDecided { status: ApplicationStatus },
    /// An officer replaces the content of a received application only.
    NotReplaceable { status: ApplicationStatus },
    /// The applicant withdraws only before a decision.
    NotWithdrawable { status: ApplicationStatus },
    /// The change was made against an older version.
    StaleVersion {
        applicant: String,
        seen: i64,
        current: i64,
    },
    /// An upload's preview was made from an older version of the application.
    StaleUpload { preview_version: i64, current: i64 },
    /// An upload is confirmed by its uploader's side only.
    NotTheUploadersSide,
    /// Only a preview is confirmed: this one is stored already, or was rejected.
    UploadNotPreview { rejected: bool },
    /// A preview with errors is not confirmed.
    /// The preview has errors; `questions` of them are rows whose applicant is asked.
    UploadHasErrors { questions: usize },
    /// The application the preview would replace has been withdrawn since.
    PreviewTargetGone,
    /// An imported table would pass the pool.
    ImportAbovePool {
        total: Kroner,
        pool: Kroner,
        granted: bool,
    },
    /// Only saksbehandlere import tables and statistics.
    OfficersOnly { what: &'static str },
    /// Officer's amount above what was applied for, without a reason.
    AboveRequestedWithoutReason { amount: Kroner, requested: Kroner },

    /// The letters are issued: the decision is bound by them, no amendment here.
    AmendmentAfterLetters { phase: RoundPhase },
    /// A step after the decision (acceptance, payment, report, repayment).
    Followup(FollowupRefusal),

    // --- money ---
    /// The total would pass the pool.
    AbovePool {
        total: Kroner,
        pool: Kroner,
        room: Kroner,
        what: &'static str,
    },

    /// A decision fits the pool no longer (the pool was cut after the proposal).
    DecisionAbovePool { total: Kroner, pool: Kroner },
    /// The scenario has changed since it was proposed or computed.
    ScenarioStale { name: String },

    // --- impartiality and four eyes ---
    /// A declared conflict of interest blocks the officer for this application.
    Conflicted {
        applicants: Vec<String>,
        what: String,
    },
    /// A declaration of conflict is lifted by another officer.
    OwnConflictLift,
    /// Nothing to lift: no conflict is declared, or it is lifted already.
    NoConflictToLift,
    /// A declared conflict stands until another officer lifts it.
    ConflictStands,
    /// The proposer does not review their own proposal.
    OwnProposal,

    // --- scenarios ---
    /// Another scenario of the round has this name.
    ScenarioNameTaken { name: String },
    /// Another statistics snapshot has this name.
    SnapshotNameTaken { name: String },
    /// A scenario proposed as a decision does not change until the proposal is reviewed.
    ScenarioPending { what: &'static str },
    /// A scenario a decision rests on stays in the history.
    ScenarioInDecision { name: String },

    // --- assessment ---
    /// Another criterion of the round has this name.
    CriterionNameTaken { name: String },
    /// A criterion with scores on it is not deleted.
    CriterionScored { name: String, scored: i64 },
    /// An officer declares impartiality before assessing.
    NotDeclared { applicant: String },

    // --- accounts ---
    /// Another user has this username or e-mail address.
    LoginTaken { username: String },
    /// An administrator does not lock themselves out.
    OwnDeactivation,
}

impl Refusal {
    pub fn kind(&self) -> RefusalKind {
        use Refusal::*;
        match self {
            NotTheUploadersSide
            | Conflicted { .. }
            | OwnConflictLift
            | OwnProposal
            | ConflictStands => RefusalKind::Forbidden,
            LoginTaken { .. } => RefusalKind::Invalid("username"),
            ImportAbovePool { .. } => RefusalKind::Invalid("file"),
            OfficersOnly { .. } => RefusalKind::Forbidden,
            CriterionNameTaken { .. } => RefusalKind::Invalid("name"),
            ScenarioNameTaken { .. } | SnapshotNameTaken { .. } => RefusalKind::Invalid("name"),
            NotDeclared { .. } => RefusalKind::Forbidden,
            ReasonRequired { .. } => RefusalKind::Invalid("reason"),
            NoRequestedAmount => RefusalKind::Invalid("requested"),
            AboveRequestedWithoutReason { .. } => RefusalKind::Invalid("reason"),
            AbovePool { .. } => RefusalKind::Invalid("amount"),
            Followup(refusal) if refusal.is_forbidden() => RefusalKind::Forbidden,
            Followup(refusal) => refusal
                .field()
                .map_or(RefusalKind::Conflict, RefusalKind::Invalid),
            _ => RefusalKind::Conflict,
        }
    }
}

fn lower(status: ApplicationStatus) -> String {
    status.label().to_lowercase()
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Refusal::*;
        match self {
            Followup(refusal) => refusal.fmt(f),
            AmendmentAfterLetters { phase } => write!(
                f,
                "Runden er {}: brevene er utstedt, og vedtaket kan ikke endres her. Et endringsvedtak etter utsendte brev må gjøres som egen sak.",
                phase.label().to_lowercase()
            ),
            RoundNotAcceptingApplications { round, phase } => write!(
                f,
                "Runden «{round}» er {} og tar ikke imot søknader.",
                phase.label().to_lowercase()
            ),
            DeadlinePassed { deadline } => write!(
                f,
                "Søknadsfristen gikk ut {}; runden tar ikke imot søknader.",
                format_date(*deadline)
            ),
            ProposalsFrozen { round, phase } => match phase {
                RoundPhase::AwaitingApproval => write!(
                    f,
                    "Et forslag til vedtak i «{round}» venter på godkjenning. Beløpene kan ikke endres før det er godkjent eller sendt tilbake."
                ),
                _ => write!(
                    f,
                    "Runden «{round}» er {}; foreslåtte beløp kan ikke endres.",
                    phase.label().to_lowercase()
                ),
            },
            AssessmentFrozen { round, phase } => write!(
                f,
                "Runden «{round}» er {}; vurderingen kan ikke endres nå.",
                phase.label().to_lowercase()
            ),
            RoundChanged { seen, current } => write!(
                f,
                "Runden er endret av noen andre siden du åpnet skjemaet (versjon {seen}, nå {current}). Endringene dine er ikke lagret; last siden på nytt."
            ),
            RoundFrozen { round, phase } => write!(
                f,
                "Runden «{round}» er {} og kan ikke endres.",
                phase.label().to_lowercase()
            ),
            NotADraft { phase } => write!(
                f,
                "Runden er {}, ikke et utkast; den er allerede kunngjort.",
                phase.label().to_lowercase()
            ),
            NotOpen { phase } => write!(
                f,
                "Runden er {}; bare en åpen runde kan lukkes.",
                phase.label().to_lowercase()
            ),
            NotClosed { phase } => write!(
                f,
                "Runden er {}; bare en lukket runde kan åpnes igjen.",
                phase.label().to_lowercase()
            ),
            ReopenAfterProposal => write!(
                f,
                "Det er allerede lagt fram forslag til vedtak i runden, så den kan ikke åpnes igjen."
            ),
            ReopenPastDeadline { deadline } => write!(
                f,
                "Søknadsfristen gikk ut {}. Sett en ny frist i runden før den åpnes igjen.",
                format_date(*deadline)
            ),
            ReasonRequired { what } => write!(f, "Skriv en begrunnelse for å {what}."),
            DecisionBeforeClose {
                round,
                phase,
                deadline,
            } => match (phase, deadline) {
                (RoundPhase::Open, Some(d)) => write!(
                    f,
                    "Runden «{round}» er fortsatt åpen (søknadsfrist {}). Vedtak kan foreslås først når runden er lukket: vent til fristen er ute, eller lukk runden med en begrunnelse.",
                    format_date(*d)
                ),
                (RoundPhase::Open, None) => write!(
                    f,
                    "Runden «{round}» er fortsatt åpen. Lukk runden med en begrunnelse før vedtak foreslås."
                ),
                _ => write!(
                    f,
                    "Runden «{round}» er {}; vedtak kan ikke foreslås nå.",
                    phase.label().to_lowercase()
                ),
            },
            ProposalPending => write!(
                f,
                "Et annet forslag til vedtak venter allerede på godkjenning i runden. Det må godkjennes eller sendes tilbake først."
            ),
            NothingToApprove { phase } => write!(
                f,
                "Runden er {}; ingen forslag venter på godkjenning.",
                phase.label().to_lowercase()
            ),
            NotPending { status } => write!(
                f,
                "Forslaget er ikke lenger til godkjenning (status: {}).",
                status.label().to_lowercase()
            ),
            AlreadyApplied {
                applicant,
                application_id,
                status,
            } => write!(
                f,
                "{applicant} har allerede en søknad i runden (søknad {application_id}, {}). Endre den i stedet for å lage en ny.",
                lower(*status)
            ),
            AlreadySubmitted { status } => {
                write!(f, "Søknaden er allerede sendt inn ({}).", lower(*status))
            }
            NotEditable { status } => write!(
                f,
                "Søknaden er {} og kan ikke endres av søkeren; bare et utkast kan endres.",
                lower(*status)
            ),
            NoRequestedAmount => write!(f, "Søknaden må ha et omsøkt beløp før den sendes inn."),
            DraftHasNoProposal => write!(
                f,
                "Søknaden er et utkast og er ikke sendt inn; den kan ikke få et foreslått beløp ennå."
            ),
            AlreadyDecided { status } => write!(
                f,
                "Søknaden er {} ved vedtak; det kan bare endres med et endringsvedtak.",
                lower(*status)
            ),
            NotReplaceable { status } => write!(
                f,
                "Søknaden er {} og kan ikke erstattes av en opplasting.",
                lower(*status)
            ),
            NotWithdrawable { status } => {
                write!(f, "Søknaden er {} og kan ikke trekkes.", lower(*status))
            }
            StaleVersion {
                applicant,
                seen,
                current,
            } => write!(
                f,
                "Søknaden fra {applicant} er endret av noen andre siden du åpnet den (versjon {seen}, nå {current}). Din endring er ikke lagret; last siden på nytt."
            ),
            StaleUpload {
                preview_version,
                current,
            } => write!(
                f,
                "Forhåndsvisningen ble laget fra versjon {preview_version} av søknaden, men søknaden er nå i versjon {current}. Last opp filen på nytt for å se hva den endrer."
            ),
            UploadNotPreview { rejected: true } => write!(
                f,
                "Opplastingen ble avvist og kan ikke bekreftes. Rett feilene og last opp på nytt."
            ),
            UploadNotPreview { rejected: false } => {
                write!(f, "Opplastingen er allerede bekreftet.")
            }
            UploadHasErrors { questions: 0 } => write!(
                f,
                "Opplastingen har feil og kan ikke bekreftes. Rett feilene i filen og last den opp på nytt."
            ),
            UploadHasErrors { questions } => write!(
                f,
                "Opplastingen har feil og kan ikke bekreftes: velg søker for {questions} rad(er) i forhåndsvisningen, og rett eventuelle andre feil i filen."
            ),
            PreviewTargetGone => write!(
                f,
                "Søknaden forhåndsvisningen gjaldt er trukket eller finnes ikke lenger. Last opp filen på nytt."
            ),
            ImportAbovePool {
                total,
                pool,
                granted,
            } => write!(
                f,
                "Importen ville gitt {total} {} i runden, mer enn rammen på {pool}. Ingenting er lagret.",
                if *granted { "tildelt" } else { "foreslått" }
            ),
            OfficersOnly { what } => write!(f, "Bare saksbehandlere kan {what}."),
            NotTheUploadersSide => write!(
                f,
                "Bare den som lastet opp filen (eller andre fra samme organisasjon) kan bekrefte den."
            ),
            AboveRequestedWithoutReason { amount, requested } => write!(
                f,
                "Beløpet ({amount}) er høyere enn omsøkt ({requested}); skriv en begrunnelse."
            ),
            AbovePool {
                total,
                pool,
                room,
                what,
            } => write!(
                f,
                "{what} gir {total} totalt, mer enn rammen på {pool}. Det er {room} igjen å fordele til denne søknaden."
            ),
            DecisionAbovePool { total, pool } => write!(
                f,
                "Vedtaket fordeler {total}, men rammen er nå {pool}. Send forslaget tilbake, så kan saksbehandler beregne på nytt innenfor rammen."
            ),
            ScenarioStale { name } => write!(
                f,
                "Søknadene, forslagene eller vurderingene er endret siden «{name}» ble beregnet, så det viser ikke lenger runden slik den er. Beregn alternativet på nytt (et forslag som venter, sendes tilbake først)."
            ),
            Conflicted { applicants, what } => write!(
                f,
                "Du har erklært deg inhabil for søknaden fra {} og kan derfor ikke {what}. En annen saksbehandler må oppheve erklæringen først.",
                applicants.join(", ")
            ),
            OwnConflictLift => write!(
                f,
                "Du kan ikke oppheve din egen inhabilitet. En annen saksbehandler må vurdere og oppheve den, med en begrunnelse."
            ),
            NoConflictToLift => write!(f, "Det er ingen stående inhabilitet å oppheve."),
            ConflictStands => write!(
                f,
                "Du har erklært deg inhabil for denne søknaden. Erklæringen står til en annen saksbehandler opphever den."
            ),
            ScenarioNameTaken { name } => write!(
                f,
                "Det finnes allerede et alternativ med navnet «{name}» i runden."
            ),
            SnapshotNameTaken { name } => write!(
                f,
                "Det finnes allerede et øyeblikksbilde med navnet «{name}»."
            ),
            ScenarioPending { what } => write!(
                f,
                "Alternativet er lagt fram som vedtak og kan ikke {what} før forslaget er godkjent eller sendt tilbake."
            ),
            ScenarioInDecision { name } => write!(
                f,
                "«{name}» er lagt fram som vedtak og blir stående i historikken; det kan ikke slettes."
            ),
            CriterionNameTaken { name } => {
                write!(f, "Runden har allerede et kriterium som heter «{name}».")
            }
            CriterionScored { name, scored } => write!(
                f,
                "Kriteriet «{name}» kan ikke slettes fordi {scored} {} har fått poeng på det. Endre navn eller vekt i stedet.",
                if *scored == 1 { "søknad" } else { "søknader" }
            ),
            NotDeclared { applicant } => write!(
                f,
                "Du må erklære om du er habil for søknaden fra {applicant} før du kan vurdere den."
            ),
            LoginTaken { username } => write!(
                f,
                "Brukernavnet «{username}» eller e-postadressen er allerede i bruk."
            ),
            OwnDeactivation => write!(f, "Du kan ikke deaktivere din egen bruker."),
            OwnProposal => write!(
                f,
                "Du foreslo dette vedtaket selv. Et annet menneske (godkjenner) må godkjenne det eller sende det tilbake."
            ),
        }
    }
}

impl std::error::Error for Refusal {}

impl From<FollowupRefusal> for Refusal {
    fn from(refusal: FollowupRefusal) -> Self {
        Refusal::Followup(refusal)
    }
}
