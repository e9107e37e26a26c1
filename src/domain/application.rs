//! Applications (søknader) and their budget lines.

use serde::{Deserialize, Serialize};

use super::money::Kroner;
use super::refusal::Refusal;
#[allow(unused_imports)] // for the docs
use super::round::RoundPhase;
use super::validation::{
    FieldErrors, optional_text, optional_text_or_integer, required_text, required_text_is_fine,
    text_or_integer,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationStatus {
    /// Being written by the applicant; not yet seen by the officers.
    Draft,
    /// Received by Statsforvalteren.
    Submitted,
    /// An officer has started assessing or allocating.
    InReview,
    /// Granted by a decision.
    Granted,
    /// Refused by a decision.
    Rejected,
    /// Withdrawn by the applicant while the round was open.
    Withdrawn,
}

impl ApplicationStatus {
    pub const ALL: [ApplicationStatus; 6] = [
        ApplicationStatus::Draft,
        ApplicationStatus::Submitted,
        ApplicationStatus::InReview,
        ApplicationStatus::Granted,
        ApplicationStatus::Rejected,
        ApplicationStatus::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationStatus::Draft => "draft",
            ApplicationStatus::Submitted => "submitted",
            ApplicationStatus::InReview => "in_review",
            ApplicationStatus::Granted => "granted",
            ApplicationStatus::Rejected => "rejected",
            ApplicationStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ApplicationStatus::Draft => "Utkast",
            ApplicationStatus::Submitted => "Mottatt",
            ApplicationStatus::InReview => "Under behandling",
            ApplicationStatus::Granted => "Innvilget",
            ApplicationStatus::Rejected => "Avslått",
            ApplicationStatus::Withdrawn => "Trukket",
        }
    }

    /// Decided by a decision: granted or rejected.
    pub fn is_decided(self) -> bool {
        matches!(
            self,
            ApplicationStatus::Granted | ApplicationStatus::Rejected
        )
    }

    /// Takes part in the allocation: received, and neither a draft nor withdrawn.
    pub fn is_claim(self) -> bool {
        !matches!(
            self,
            ApplicationStatus::Draft | ApplicationStatus::Withdrawn
        )
    }

    /// Only a draft can be changed by the applicant; once submitted it is a case document.
    pub fn editable(self) -> bool {
        self == ApplicationStatus::Draft
    }

    /// The applicant submits a draft (the round must accept applications; see
    /// [`RoundPhase::check_accepts_applications`]).
    pub fn submit(self, requested: Option<Kroner>) -> Result<ApplicationStatus, Refusal> {
        if self != ApplicationStatus::Draft {
            return Err(Refusal::AlreadySubmitted { status: self });
        }
        if requested.is_none_or(Kroner::is_zero) {
            return Err(Refusal::NoRequestedAmount);
        }
        Ok(ApplicationStatus::Submitted)
    }

    /// The applicant changes its own application: only a draft.
    pub fn edit_by_applicant(self) -> Result<ApplicationStatus, Refusal> {
        if self.editable() {
            Ok(self)
        } else {
            Err(Refusal::NotEditable { status: self })
        }
    }

    /// The applicant withdraws the application, while the round takes applications.
    pub fn withdraw(self) -> Result<ApplicationStatus, Refusal> {
        match self {
            ApplicationStatus::Draft
            | ApplicationStatus::Submitted
            | ApplicationStatus::InReview => Ok(ApplicationStatus::Withdrawn),
            other => Err(Refusal::NotWithdrawable { status: other }),
        }
    }

    /// An upload replaces the content: the applicant's own upload only of a draft; an
    /// officer's (registering on the applicant's behalf) only of a received application
    /// that is not decided.
    pub fn replace_by_upload(self, by_applicant: bool) -> Result<ApplicationStatus, Refusal> {
        match (by_applicant, self) {
            (true, ApplicationStatus::Draft) => Ok(self),
            (true, other) => Err(Refusal::NotEditable { status: other }),
            (false, ApplicationStatus::Submitted | ApplicationStatus::InReview) => Ok(self),
            (false, other) if other.is_decided() => Err(Refusal::AlreadyDecided { status: other }),
            (false, other) => Err(Refusal::NotReplaceable { status: other }),
        }
    }

    /// An officer proposes an amount (before a decision): the application is in review.
    pub fn propose_amount(self) -> Result<ApplicationStatus, Refusal> {
        match self {
            ApplicationStatus::Submitted | ApplicationStatus::InReview => {
                Ok(ApplicationStatus::InReview)
            }
            ApplicationStatus::Draft => Err(Refusal::DraftHasNoProposal),
            ApplicationStatus::Withdrawn => Err(Refusal::NotReplaceable { status: self }),
            other => Err(Refusal::AlreadyDecided { status: other }),
        }
    }

    /// An approved decision grants `amount` (zero: rejected).
    pub fn decide(amount: Kroner) -> ApplicationStatus {
        if amount.is_zero() {
            ApplicationStatus::Rejected
        } else {
            ApplicationStatus::Granted
        }
    }
}

/// The version a change was made against must be the current one.
pub fn check_version(applicant: &str, seen: i64, current: i64) -> Result<(), Refusal> {
    if seen == current {
        Ok(())
    } else {
        Err(Refusal::StaleVersion {
            applicant: applicant.to_string(),
            seen,
            current,
        })
    }
}

/// One application per applicant per round.
pub fn check_no_other_application(existing: Option<&ApplicationSummary>) -> Result<(), Refusal> {
    match existing {
        None => Ok(()),
        Some(a) => Err(Refusal::AlreadyApplied {
            applicant: a.applicant.clone(),
            application_id: a.id,
            status: a.status,
        }),
    }
}

pub const BUDGET_CATEGORIES: [&str; 5] = [
    "Lønn",
    "Kompetanseheving",
    "Utstyr",
    "Reise og møter",
    "Annet",
];

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BudgetLineInput {
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, deserialize_with = "text_or_integer")]
    pub applied: String,
    #[serde(default, deserialize_with = "text_or_integer")]
    pub own_contribution: String,
}

impl BudgetLineInput {
    pub fn is_blank(&self) -> bool {
        self.category.trim().is_empty()
            && self.description.trim().is_empty()
            && self.applied.trim().is_empty()
            && self.own_contribution.trim().is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BudgetLine {
    pub category: String,
    pub description: String,
    /// Amount applied for (omsøkt).
    pub applied: Kroner,
    /// The applicant's own contribution (egenandel).
    pub own_contribution: Kroner,
}

impl BudgetLine {
    pub fn cost(&self) -> Kroner {
        self.applied + self.own_contribution
    }
}

/// What a person typed into the application form or sent in the API body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ApplicationInput {
    /// A kommunenummer, the name of a municipality or organisation, or `org:ID`.
    #[serde(default)]
    pub applicant: String,
    #[serde(default)]
    pub project_title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub contact_person: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "optional_text_or_integer")]
    pub requested: Option<String>,
    #[serde(default)]
    pub budget_lines: Vec<BudgetLineInput>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationFields {
    pub applicant: String,
    pub project_title: Option<String>,
    pub description: Option<String>,
    pub contact_person: Option<String>,
    pub email: Option<String>,
    pub requested: Kroner,
    pub budget_lines: Vec<BudgetLine>,
}

impl ApplicationInput {
    /// Validates everything but the applicant's identity, which needs the register.
    pub fn validate(&self) -> Result<ApplicationFields, FieldErrors> {
        let mut errors = FieldErrors::new();
        let applicant = required_text(&mut errors, "applicant", "Søker", &self.applicant, 200);
        let project_title = optional_text(
            &mut errors,
            "project_title",
            "Prosjekttittel",
            self.project_title.as_deref(),
            300,
        );
        let description = optional_text(
            &mut errors,
            "description",
            "Beskrivelse",
            self.description.as_deref(),
            10_000,
        );
        let contact_person = optional_text(
            &mut errors,
            "contact_person",
            "Kontaktperson",
            self.contact_person.as_deref(),
            200,
        );
        let email = optional_text(&mut errors, "email", "E-post", self.email.as_deref(), 200);
        if let Some(email) = &email
            && !super::validation::looks_like_email(email)
        {
            errors.add("email", format!("«{email}» er ikke en e-postadresse."));
        }

        let mut lines = Vec::new();
        for (i, line) in self.budget_lines.iter().enumerate() {
            if line.is_blank() {
                continue;
            }
            let n = i + 1;
            let field = |name: &str| format!("budget_lines[{i}].{name}");
            let category = line.category.trim().to_string();
            if !BUDGET_CATEGORIES.contains(&category.as_str()) {
                errors.add(
                    field("category"),
                    format!(
                        "Budsjettpost {n}: kategori må være en av {}.",
                        BUDGET_CATEGORIES.join(", ")
                    ),
                );
            }
            // The field name and label only for a message: 10 000 lines have few.
            let description = if required_text_is_fine(&line.description, 300) {
                line.description.trim().to_string()
            } else {
                required_text(
                    &mut errors,
                    &field("description"),
                    &format!("Budsjettpost {n}: beskrivelse"),
                    &line.description,
                    300,
                )
            };
            let applied = match Kroner::parse(&line.applied) {
                Ok(a) => a,
                Err(e) => {
                    errors.add(field("applied"), format!("Budsjettpost {n}, omsøkt: {e}"));
                    Kroner::ZERO
                }
            };
            let own_contribution = if line.own_contribution.trim().is_empty() {
                Kroner::ZERO
            } else {
                match Kroner::parse(&line.own_contribution) {
                    Ok(a) => a,
                    Err(e) => {
                        errors.add(
                            field("own_contribution"),
                            format!("Budsjettpost {n}, egenandel: {e}"),
                        );
                        Kroner::ZERO
                    }
                }
            };
            lines.push(BudgetLine {
                category,
                description,
                applied,
                own_contribution,
            });
        }
        let lines_total: Kroner = lines.iter().map(|l| l.applied).sum();

        let requested_text = self.requested.as_deref().map(str::trim).unwrap_or("");
        let requested = if requested_text.is_empty() {
            if lines.is_empty() {
                errors.add(
                    "requested",
                    "Omsøkt beløp må fylles ut (eller føres som budsjettposter).",
                );
            }
            lines_total
        } else {
            match Kroner::parse(requested_text) {
                Ok(r) => {
                    if !lines.is_empty() && r != lines_total {
                        errors.add(
                            "requested",
                            format!(
                                "Omsøkt beløp ({r}) er ulikt summen av budsjettpostene ({lines_total})."
                            ),
                        );
                    }
                    r
                }
                Err(e) => {
                    errors.add("requested", format!("Omsøkt beløp: {e}"));
                    Kroner::ZERO
                }
            }
        };
        if errors.is_empty() && requested.is_zero() {
            errors.add("requested", "Omsøkt beløp må være større enn 0 kr.");
        }
        errors.into_result(|| ApplicationFields {
            applicant,
            project_title,
            description,
            contact_person,
            email,
            requested,
            budget_lines: lines,
        })
    }
}

/// An officer's allocated amount for one application, with the version the officer saw.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AllocationInput {
    #[serde(default, deserialize_with = "text_or_integer")]
    pub amount: String,
    #[serde(default, deserialize_with = "text_or_integer")]
    pub version: String,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocationFields {
    pub amount: Kroner,
    pub version: i64,
    pub reason: Option<String>,
}

impl AllocationInput {
    /// `requested` is `None` when the application does not state it (historical data).
    pub fn validate(&self, requested: Option<Kroner>) -> Result<AllocationFields, FieldErrors> {
        let mut errors = FieldErrors::new();
        let amount = match Kroner::parse(&self.amount) {
            Ok(a) => Some(a),
            Err(e) => {
                errors.add("amount", format!("Foreslått beløp: {e}"));
                None
            }
        };
        let version = match self.version.trim().parse::<i64>() {
            Ok(v) if v >= 1 => v,
            _ => {
                errors.add(
                    "version",
                    "Versjon mangler eller er ugyldig; last siden på nytt og prøv igjen.",
                );
                0
            }
        };
        let reason = optional_text(
            &mut errors,
            "reason",
            "Begrunnelse",
            self.reason.as_deref(),
            2000,
        );
        if let (Some(amount), Some(requested)) = (amount, requested)
            && amount > requested
            && reason.is_none()
        {
            errors.add(
                "reason",
                Refusal::AboveRequestedWithoutReason { amount, requested }.to_string(),
            );
        }
        errors.into_result(|| AllocationFields {
            amount: amount.unwrap_or_default(),
            version,
            reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(applied: &str, own: &str) -> BudgetLineInput {
        BudgetLineInput {
            category: "Lønn".into(),
            description: "Koordinator 50 %".into(),
            applied: applied.into(),
            own_contribution: own.into(),
        }
    }

    #[test]
    fn requested_defaults_to_sum_of_lines() {
        let input = ApplicationInput {
            applicant: "5001".into(),
            budget_lines: vec![line("300 000", "100 000"), line("200.000", "")],
            ..Default::default()
        };
        let app = input.validate().unwrap();
        assert_eq!(app.requested, Kroner::from_whole(500_000));
        assert_eq!(app.budget_lines[0].cost(), Kroner::from_whole(400_000));
    }

    #[test]
    fn mismatch_and_bad_lines_are_named() {
        let input = ApplicationInput {
            applicant: "5001".into(),
            requested: Some("1".into()),
            budget_lines: vec![line("12 000,5O", "x")],
            email: Some("ikke-epost".into()),
            ..Default::default()
        };
        let errors = input.validate().unwrap_err();
        assert!(
            errors
                .for_field("budget_lines[0].applied")
                .unwrap()
                .contains("«12 000,5O» er ikke et beløp")
        );
        assert!(
            errors
                .for_field("budget_lines[0].own_contribution")
                .is_some()
        );
        assert!(errors.for_field("email").is_some());
    }

    #[test]
    fn above_requested_needs_reason() {
        let input = AllocationInput {
            amount: "600 001".into(),
            version: "3".into(),
            reason: None,
        };
        let req = Some(Kroner::from_whole(600_000));
        assert!(
            input
                .validate(req)
                .unwrap_err()
                .for_field("reason")
                .is_some()
        );
        let with_reason = AllocationInput {
            reason: Some("Økt behov etter dialog".into()),
            ..input
        };
        assert_eq!(with_reason.validate(req).unwrap().version, 3);
    }

    #[test]
    fn proposal_moves_status_forward_only() {
        assert_eq!(
            ApplicationStatus::Submitted.propose_amount(),
            Ok(ApplicationStatus::InReview)
        );
        assert!(matches!(
            ApplicationStatus::Granted.propose_amount(),
            Err(Refusal::AlreadyDecided { .. })
        ));
        assert_eq!(
            ApplicationStatus::Draft.propose_amount(),
            Err(Refusal::DraftHasNoProposal)
        );
        assert!(ApplicationStatus::Withdrawn.propose_amount().is_err());
    }

    #[test]
    fn submit_withdraw_and_edit() {
        let some = Some(Kroner::from_whole(1));
        assert_eq!(
            ApplicationStatus::Draft.submit(some),
            Ok(ApplicationStatus::Submitted)
        );
        assert_eq!(
            ApplicationStatus::Draft.submit(Some(Kroner::ZERO)),
            Err(Refusal::NoRequestedAmount)
        );
        assert!(ApplicationStatus::Submitted.submit(some).is_err());
        assert_eq!(
            ApplicationStatus::InReview.withdraw(),
            Ok(ApplicationStatus::Withdrawn)
        );
        assert!(ApplicationStatus::Granted.withdraw().is_err());
        assert!(ApplicationStatus::Submitted.edit_by_applicant().is_err());
        assert!(ApplicationStatus::Draft.edit_by_applicant().is_ok());
    }

    #[test]
    fn uploads_replace_by_side() {
        use ApplicationStatus::*;
        assert!(Draft.replace_by_upload(true).is_ok());
        assert!(Submitted.replace_by_upload(true).is_err());
        assert!(Granted.replace_by_upload(true).is_err());
        assert!(Draft.replace_by_upload(false).is_err());
        assert!(Submitted.replace_by_upload(false).is_ok());
        assert!(matches!(
            Granted.replace_by_upload(false),
            Err(Refusal::AlreadyDecided { .. })
        ));
        assert!(Withdrawn.replace_by_upload(false).is_err());
    }

    #[test]
    fn versions_and_one_per_applicant() {
        assert!(check_version("Trondheim", 3, 3).is_ok());
        let err = check_version("Trondheim", 2, 3).unwrap_err().to_string();
        assert!(err.contains("versjon 2, nå 3"), "{err}");
        assert!(check_no_other_application(None).is_ok());
    }
}

/// One application as a row of the round's table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ApplicationSummary {
    pub id: i64,
    pub round_id: i64,
    pub organisation_id: i64,
    pub applicant: String,
    pub organisation_kind: String,
    /// The kommunenummer in the round's year; `None` for an IKS or other organisation.
    pub kommunenummer: Option<super::kommune::Kommunenummer>,
    pub project_title: Option<String>,
    /// `None` when the source does not state it ("ikke oppgitt").
    pub requested: Option<Kroner>,
    /// Granted by an approved decision (or a published historical decision).
    pub allocated: Option<Kroner>,
    /// The officer's proposed amount before a decision («Foreslått»).
    pub proposed: Option<Kroner>,
    pub status: ApplicationStatus,
    pub demo: bool,
    pub version: i64,
}

/// An application with everything the Søknad page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Application {
    #[serde(flatten)]
    pub summary: ApplicationSummary,
    pub description: Option<String>,
    pub contact_person: Option<String>,
    pub email: Option<String>,
    pub allocation_reason: Option<String>,
    pub budget_lines: Vec<BudgetLine>,
    /// Member municipalities, for an IKS.
    pub members: Vec<super::kommune::Municipality>,
}

impl Application {
    /// What a draft still lacks before it is worth sending in (it cannot be changed
    /// afterwards): the budget, a contact person with an e-mail address, a title and a
    /// description. Each as the page names it.
    pub fn missing_for_submit(&self) -> Vec<&'static str> {
        let blank = |v: &Option<String>| v.as_deref().is_none_or(|t| t.trim().is_empty());
        let mut missing = Vec::new();
        if self.budget_lines.is_empty() || self.budget_lines.iter().all(|l| l.applied.is_zero()) {
            missing.push("budsjett med omsøkt beløp");
        }
        if blank(&self.contact_person) {
            missing.push("kontaktperson");
        }
        if blank(&self.email) {
            missing.push("e-postadresse");
        }
        if blank(&self.summary.project_title) {
            missing.push("prosjekttittel");
        }
        if blank(&self.description) {
            missing.push("beskrivelse av prosjektet");
        }
        missing
    }

    /// The form input that shows this application as it is, for the edit form and a
    /// prefilled workbook.
    pub fn to_input(&self) -> ApplicationInput {
        ApplicationInput {
            applicant: format!("org:{}", self.summary.organisation_id),
            project_title: self.summary.project_title.clone(),
            description: self.description.clone(),
            contact_person: self.contact_person.clone(),
            email: self.email.clone(),
            requested: self.summary.requested.map(|r| r.to_input_string()),
            budget_lines: self
                .budget_lines
                .iter()
                .map(|l| BudgetLineInput {
                    category: l.category.clone(),
                    description: l.description.clone(),
                    applied: l.applied.to_input_string(),
                    own_contribution: l.own_contribution.to_input_string(),
                })
                .collect(),
        }
    }
}

/// An organisation's kind (`organisations.kind`) in words for tables and exports.
pub fn organisation_kind_label(kind: &str) -> &str {
    match kind {
        "kommune" => "Kommune",
        "iks" => "Interkommunalt selskap (IKS)",
        "annen" => "Annen organisasjon",
        other => other,
    }
}
