//! Decisions (vedtak) with four eyes: a saksbehandler proposes a scenario, a godkjenner who
//! is not the proposer approves it or sends it back. An approved decision is frozen; a
//! later change is an amendment (endringsvedtak) that keeps the old one in the history.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::allocation::{AllocationInput, AllocationResult};
use super::money::Kroner;
use super::scenario::ScenarioSpec;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrozenApplicant {
    pub application_id: i64,
    pub applicant: String,
    pub kommunenummer: Option<String>,
}

/// The statistics snapshot a formula used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrozenSnapshot {
    pub id: i64,
    pub name: String,
    pub year: Option<i32>,
}

/// Everything a decision rests on, stored as it was (JSON in `decisions.frozen`): the
/// scenario's parameters, the engine's input (with every indicator value it used) and
/// its result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// Why a user may not approve or return a proposal; `None` when they may.
pub fn reviewer_refusal(proposer_user_id: i64, reviewer_user_id: i64) -> Option<&'static str> {
    (proposer_user_id == reviewer_user_id).then_some(
        "Du foreslo dette vedtaket selv. Et annet menneske (godkjenner) må godkjenne det eller sende det tilbake.",
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_eyes() {
        assert!(reviewer_refusal(3, 3).is_some());
        assert!(reviewer_refusal(3, 4).is_none());
    }

    #[test]
    fn amendments_need_a_reason() {
        assert!(check_reason(true, None).is_err());
        assert!(check_reason(true, Some("  ")).is_err());
        assert!(check_reason(true, Some("Feil i søknadsbeløp")).is_ok());
        assert!(check_reason(false, None).is_ok());
    }

    #[test]
    fn statuses_round_trip() {
        for s in ["proposed", "returned", "approved", "superseded"] {
            assert_eq!(DecisionStatus::parse(s).unwrap().as_str(), s);
        }
    }
}
