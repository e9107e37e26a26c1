//! Decisions (vedtak) with four eyes: a saksbehandler proposes a scenario, a godkjenner who
//! is not the proposer approves it or sends it back. An approved decision is frozen; a
//! later change is an amendment (endringsvedtak) that keeps the old one in the history.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::allocation::{AllocationInput, AllocationResult, claims_missing_figures};
use super::money::Kroner;
use super::refusal::Refusal;
use super::scenario::ScenarioSpec;
use super::validation::FieldErrors;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DecisionStatus {
    /// Waiting for a godkjenner.
    Proposed,
    /// Sent back to the saksbehandler with a comment.
    Returned,
    /// The round's decision in force.
    Approved,
    /// Was in force until an amendment was approved.
    Superseded,
}

impl DecisionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionStatus::Proposed => "proposed",
            DecisionStatus::Returned => "returned",
            DecisionStatus::Approved => "approved",
            DecisionStatus::Superseded => "superseded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            DecisionStatus::Proposed,
            DecisionStatus::Returned,
            DecisionStatus::Approved,
            DecisionStatus::Superseded,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            DecisionStatus::Proposed => "Til godkjenning",
            DecisionStatus::Returned => "Sendt tilbake",
            DecisionStatus::Approved => "Godkjent",
            DecisionStatus::Superseded => "Erstattet av endringsvedtak",
        }
    }
}

/// One applicant as it was when the decision was proposed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FrozenApplicant {
    pub application_id: i64,
    pub applicant: String,
    pub kommunenummer: Option<String>,
}

/// The statistics snapshot a formula used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FrozenSnapshot {
    pub id: i64,
    pub name: String,
    pub year: Option<i32>,
}

/// Everything a decision rests on, stored as it was (JSON in `decisions.frozen`): the
/// scenario's parameters, the engine's input (with every indicator value it used) and
/// its result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FrozenDecision {
    pub scenario_id: i64,
    pub scenario_version: i64,
    pub spec: ScenarioSpec,
    pub pool: Kroner,
    pub rounding_unit: Kroner,
    pub snapshot: Option<FrozenSnapshot>,
    pub applicants: Vec<FrozenApplicant>,
    pub input: AllocationInput,
    pub result: AllocationResult,
    pub computed_at: DateTime<Utc>,
}

impl DecisionStatus {
    /// Only a proposal waiting for review is approved or sent back.
    pub fn check_pending(self) -> Result<(), Refusal> {
        match self {
            DecisionStatus::Proposed => Ok(()),
            other => Err(Refusal::NotPending { status: other }),
        }
    }
}

/// Four eyes: the proposer does not approve or return their own proposal.
pub fn check_reviewer(proposer_user_id: i64, reviewer_user_id: i64) -> Result<(), Refusal> {
    if proposer_user_id == reviewer_user_id {
        Err(Refusal::OwnProposal)
    } else {
        Ok(())
    }
}

/// At approval, the decision must still fit the round's pool as it is now (the pool may
/// have been cut after the proposal).
pub fn check_fits_pool(decided_total: Kroner, pool: Kroner) -> Result<(), Refusal> {
    if decided_total > pool {
        Err(Refusal::DecisionAbovePool {
            total: decided_total,
            pool,
        })
    } else {
        Ok(())
    }
}

/// Sending a proposal back needs a comment, so the saksbehandler knows what to change.
pub fn check_return_comment(comment: &str) -> Result<&str, FieldErrors> {
    let comment = comment.trim();
    let mut errors = FieldErrors::new();
    if comment.is_empty() {
        errors.add(
            "comment",
            "Skriv hvorfor forslaget sendes tilbake, så saksbehandler vet hva som må endres.",
        );
    } else if comment.chars().count() > 5000 {
        errors.add("comment", "Kommentaren kan ha høyst 5000 tegn.");
    }
    errors.into_result(|| comment)
}

/// What a proposal must say: an amendment needs a reason, a first decision need not.
pub fn check_reason(amends_decision: bool, reason: Option<&str>) -> Result<(), String> {
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        None if amends_decision => Err(
            "Runden er allerede avgjort. En endring er et endringsvedtak og må ha en begrunnelse."
                .to_string(),
        ),
        Some(r) if r.chars().count() > 5000 => {
            Err("Begrunnelsen kan ha høyst 5000 tegn.".to_string())
        }
        _ => Ok(()),
    }
}

/// Each applicant of `input` that lacks figures its formula uses, as
/// «Fosen helse: innbyggertall og antall mottakere».
pub fn lacking_figures(input: &AllocationInput, applicants: &[FrozenApplicant]) -> Vec<String> {
    claims_missing_figures(input)
        .iter()
        .map(|m| {
            let name = applicants
                .iter()
                .find(|a| a.application_id == m.id)
                .map_or_else(|| format!("Søknad {}", m.id), |a| a.applicant.clone());
            format!("{name}: {}", m.text())
        })
        .collect()
}

/// A scenario in which some applicants lack figures the formula uses is proposed only
/// with a written reason (why it is right to decide on it anyway). `lacking` names each
/// such applicant with what it lacks: «Fosen helse: innbyggertall».
pub fn check_missing_figures_reason(
    lacking: &[String],
    reason: Option<&str>,
) -> Result<(), String> {
    if lacking.is_empty() || reason.is_some_and(|r| !r.trim().is_empty()) {
        return Ok(());
    }
    let shown: Vec<&str> = lacking.iter().take(5).map(String::as_str).collect();
    let more = match lacking.len().saturating_sub(shown.len()) {
        0 => String::new(),
        n => format!(" og {n} til"),
    };
    Err(format!(
        "Formelen mangler tall for {} {} ({}{more}). Skriv en begrunnelse for å foreslå alternativet likevel, eller velg et statistikkår med tall for alle.",
        lacking.len(),
        if lacking.len() == 1 {
            "søker"
        } else {
            "søkere"
        },
        shown.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_eyes() {
        assert_eq!(check_reviewer(3, 3), Err(Refusal::OwnProposal));
        assert!(check_reviewer(3, 4).is_ok());
        let pool = Kroner::from_whole(100);
        assert!(check_fits_pool(Kroner::from_whole(100), pool).is_ok());
        assert!(check_fits_pool(Kroner::from_whole(101), pool).is_err());
    }

    #[test]
    fn amendments_need_a_reason() {
        assert!(check_reason(true, None).is_err());
        assert!(check_reason(true, Some("  ")).is_err());
        assert!(check_reason(true, Some("Feil i søknadsbeløp")).is_ok());
        assert!(check_reason(false, None).is_ok());
    }

    #[test]
    fn missing_figures_need_a_reason() {
        let lacking = vec!["Fosen helse: innbyggertall".to_string()];
        let refused = check_missing_figures_reason(&lacking, None).unwrap_err();
        assert!(
            refused.contains("1 søker (Fosen helse: innbyggertall)"),
            "{refused}"
        );
        assert!(check_missing_figures_reason(&lacking, Some("  ")).is_err());
        assert!(check_missing_figures_reason(&lacking, Some("Tallene kommer i mars")).is_ok());
        assert!(check_missing_figures_reason(&[], None).is_ok());
        let many: Vec<String> = (1..=7)
            .map(|i| format!("Søker {i}: innbyggertall"))
            .collect();
        let refused = check_missing_figures_reason(&many, None).unwrap_err();
        assert!(
            refused.contains("7 søkere") && refused.contains("og 2 til"),
            "{refused}"
        );
    }

    #[test]
    fn lacking_figures_name_the_applicant_and_figures() {
        use crate::domain::allocation::{Claim, FormulaParameters, Indicators, Method};
        use rust_decimal::Decimal;
        let claim = |id, inhabitants: Option<i64>| Claim {
            id,
            requested: Kroner::from_whole(100),
            floor: None,
            cap: None,
            score: None,
            indicators: Indicators {
                inhabitants: inhabitants.map(Decimal::from),
                home_service_recipients: Some(Decimal::from(10)),
                coordinator_coverage_percent: None,
            },
            manual_amount: None,
        };
        let input = AllocationInput {
            pool: Kroner::from_whole(1000),
            unit: Kroner::from_whole(1),
            method: Method::Formel(FormulaParameters {
                base_amount: Decimal::from(10),
                per_inhabitant: Decimal::ONE,
                per_recipient: Decimal::ONE,
                need_weight: Decimal::ZERO,
            }),
            claims: vec![claim(1, Some(500)), claim(2, None), claim(3, None)],
        };
        let applicants = vec![FrozenApplicant {
            application_id: 2,
            applicant: "Fosen helse".into(),
            kommunenummer: None,
        }];
        assert_eq!(
            lacking_figures(&input, &applicants),
            vec!["Fosen helse: innbyggertall", "Søknad 3: innbyggertall"]
        );
        let proportional = AllocationInput {
            method: Method::Forholdsmessig,
            ..input
        };
        assert!(lacking_figures(&proportional, &applicants).is_empty());
    }

    #[test]
    fn statuses_round_trip() {
        for s in ["proposed", "returned", "approved", "superseded"] {
            assert_eq!(DecisionStatus::parse(s).unwrap().as_str(), s);
        }
    }
}
