//! Assessment (vurdering): criteria with weights, scores per application and criterion,
//! and the weighted total that the score-based allocation methods use.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::money::Kroner;
use super::refusal::Refusal;
use super::scenario::ScenarioSpec;
use super::validation::{
    FieldErrors, optional_text, optional_text_or_integer, required_text, text_or_integer,
};

/// Scores run from 0 to this (inclusive), with at most one decimal.
pub const MAX_CRITERION_SCORE: i64 = 10;
/// The largest weight a criterion can have.
pub const MAX_WEIGHT: i64 = 100;
/// Longest criterion name.
const MAX_NAME_CHARS: usize = 200;
/// Longest comment or reason.
const MAX_COMMENT_CHARS: usize = 5000;
/// Decimals kept in the weighted total.
const TOTAL_DECIMALS: u32 = 2;

/// One criterion of a round (e.g. «Forankring i kommunens planverk», weight 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Criterion {
    pub id: i64,
    pub name: String,
    /// A positive number; only the ratio between weights matters.
    pub weight: Decimal,
    pub position: i64,
}

/// The weighted average of one application's scores: Σ weight × score / Σ weight,
/// rounded half away from zero to two decimals. `None` until every criterion is scored,
/// so a half-assessed application is never ranked as if its missing scores were zero.
pub fn weighted_score(criteria: &[Criterion], scores: &BTreeMap<i64, Decimal>) -> Option<Decimal> {
    if criteria.is_empty() {
        return None;
    }
    let mut weighted = Decimal::ZERO;
    let mut weights = Decimal::ZERO;
    for criterion in criteria {
        let score = scores.get(&criterion.id)?;
        weighted += criterion.weight * score;
        weights += criterion.weight;
    }
    if weights.is_zero() {
        return None;
    }
    Some((weighted / weights).round_dp_with_strategy(
        TOTAL_DECIMALS,
        rust_decimal::RoundingStrategy::MidpointAwayFromZero,
    ))
}

/// A decimal as people type it: `7`, `7.5` or `7,5`, with at most `max_decimals`
/// decimals. `Err` holds the reason in Norwegian, without the field's name.
fn parse_decimal(text: &str, max_decimals: u32) -> Result<Decimal, String> {
    let text = text.trim();
    let normalized = text.replace(',', ".");
    let (whole, fraction) = normalized
        .split_once('.')
        .map_or((normalized.as_str(), ""), |(w, f)| (w, f));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    // Only plain digits: no signs, exponents or grouping, so "-1" and "1e1" are not numbers.
    if whole.is_empty()
        || !digits(whole)
        || !digits(fraction)
        || (normalized.contains('.') && fraction.is_empty())
        || whole.len() > 6
    {
        return Err(format!("«{text}» er ikke et tall"));
    }
    let value: Decimal = normalized
        .parse()
        .map_err(|_| format!("«{text}» er ikke et tall"))?;
    if value.normalize().scale() > max_decimals {
        return Err(match max_decimals {
            0 => "må være et helt tall".to_string(),
            1 => format!("kan ha høyst én desimal, ikke «{text}»"),
            n => format!("kan ha høyst {n} desimaler, ikke «{text}»"),
        });
    }
    Ok(value.normalize())
}

/// A criterion as typed into the form or sent to the API.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CriterionInput {
    #[serde(default)]
    pub name: String,
    #[serde(default, deserialize_with = "text_or_integer")]
    pub weight: String,
}

/// A validated criterion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriterionFields {
    pub name: String,
    pub weight: Decimal,
}

impl CriterionInput {
    pub fn validate(&self) -> Result<CriterionFields, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = required_text(&mut errors, "name", "Navn", &self.name, MAX_NAME_CHARS);
        let weight = if self.weight.trim().is_empty() {
            errors.add("weight", "Vekt må fylles ut.");
            Decimal::ZERO
        } else {
            match parse_decimal(&self.weight, 2) {
                Ok(w) if w > Decimal::ZERO && w <= Decimal::from(MAX_WEIGHT) => w,
                Ok(_) => {
                    errors.add(
                        "weight",
                        format!(
                            "Vekt må være større enn 0 og høyst {MAX_WEIGHT}, ikke «{}».",
                            self.weight.trim()
                        ),
                    );
                    Decimal::ZERO
                }
                Err(reason) => {
                    errors.add("weight", format!("Vekt: {reason}."));
                    Decimal::ZERO
                }
            }
        };
        errors.into_result(|| CriterionFields { name, weight })
    }
}

/// One criterion's score as typed or sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ScoreInput {
    pub criterion_id: i64,
    #[serde(default, deserialize_with = "text_or_integer")]
    pub score: String,
    #[serde(default)]
    pub comment: Option<String>,
}

impl ScoreInput {
    /// Nothing typed: the criterion is left as it was.
    pub fn is_blank(&self) -> bool {
        self.score.trim().is_empty() && self.comment.as_deref().is_none_or(|c| c.trim().is_empty())
    }
}

/// An assessment of one application as typed or sent (`PUT …/assessment`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AssessmentInput {
    #[serde(default)]
    pub scores: Vec<ScoreInput>,
    #[serde(default, deserialize_with = "optional_text_or_integer")]
    pub recommended_amount: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreFields {
    pub criterion_id: i64,
    pub score: Decimal,
    pub comment: Option<String>,
}

/// A validated assessment: the scores given (criteria not mentioned keep theirs), the
/// recommended amount and the overall comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssessmentFields {
    pub scores: Vec<ScoreFields>,
    pub recommended: Option<Kroner>,
    pub comment: Option<String>,
}

impl AssessmentInput {
    /// Checks the input against the round's criteria; messages name the criterion.
    pub fn validate(&self, criteria: &[Criterion]) -> Result<AssessmentFields, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut scores = Vec::new();
        let mut seen = BTreeSet::new();
        for (i, input) in self.scores.iter().enumerate() {
            if input.is_blank() {
                continue;
            }
            let field = format!("scores[{i}].score");
            let Some(criterion) = criteria.iter().find(|c| c.id == input.criterion_id) else {
                errors.add(
                    format!("scores[{i}].criterion_id"),
                    format!(
                        "Kriterium {} finnes ikke i denne runden.",
                        input.criterion_id
                    ),
                );
                continue;
            };
            if !seen.insert(criterion.id) {
                errors.add(
                    format!("scores[{i}].criterion_id"),
                    format!("«{}» er vurdert to ganger.", criterion.name),
                );
                continue;
            }
            let label = format!("Poengsum for «{}»", criterion.name);
            let score = match input.score.trim() {
                "" => {
                    errors.add(
                        &field,
                        format!("{label} må fylles ut når du skriver en kommentar."),
                    );
                    None
                }
                text => match parse_decimal(text, 1) {
                    Ok(s) if s <= Decimal::from(MAX_CRITERION_SCORE) => Some(s),
                    Ok(_) => {
                        errors.add(
                            &field,
                            format!(
                                "{label} må være fra 0 til {MAX_CRITERION_SCORE}, ikke «{text}»."
                            ),
                        );
                        None
                    }
                    Err(reason) => {
                        errors.add(&field, format!("{label}: {reason}."));
                        None
                    }
                },
            };
            let comment = optional_text(
                &mut errors,
                &format!("scores[{i}].comment"),
                &format!("Kommentar til «{}»", criterion.name),
                input.comment.as_deref(),
                MAX_COMMENT_CHARS,
            );
            if let Some(score) = score {
                scores.push(ScoreFields {
                    criterion_id: criterion.id,
                    score,
                    comment,
                });
            }
        }
        let recommended = self
            .recommended_amount
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .and_then(|text| match Kroner::parse(text) {
                Ok(amount) => Some(amount),
                Err(e) => {
                    errors.add("recommended_amount", format!("Anbefalt beløp: {e}"));
                    None
                }
            });
        let comment = optional_text(
            &mut errors,
            "comment",
            "Kommentar",
            self.comment.as_deref(),
            MAX_COMMENT_CHARS,
        );
        let blank = self.scores.iter().all(ScoreInput::is_blank)
            && self
                .recommended_amount
                .as_deref()
                .is_none_or(|t| t.trim().is_empty())
            && comment.is_none();
        if blank {
            errors.add(
                "scores",
                "Vurderingen er tom: gi minst én poengsum, et anbefalt beløp eller en kommentar.",
            );
        }
        errors.into_result(|| AssessmentFields {
            scores,
            recommended,
            comment,
        })
    }
}

/// A declaration of (im)partiality as typed or sent: `{"conflict": false}` or
/// `{"conflict": true, "reason": "…"}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DeclarationInput {
    #[serde(default)]
    pub conflict: Option<bool>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// A validated declaration; an impartial officer gives no reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclarationFields {
    pub conflict: bool,
    pub reason: Option<String>,
}

impl DeclarationInput {
    pub fn validate(&self) -> Result<DeclarationFields, FieldErrors> {
        let mut errors = FieldErrors::new();
        let reason = optional_text(
            &mut errors,
            "reason",
            "Begrunnelse",
            self.reason.as_deref(),
            MAX_COMMENT_CHARS,
        );
        let conflict = match self.conflict {
            Some(conflict) => conflict,
            None => {
                errors.add("conflict", "Velg om du er habil eller inhabil.");
                false
            }
        };
        if conflict && reason.is_none() {
            errors.add(
                "reason",
                "Begrunnelse må fylles ut når du erklærer deg inhabil.",
            );
        }
        errors.into_result(|| DeclarationFields {
            conflict,
            reason: if conflict { reason } else { None },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn criterion(id: i64, weight: i64) -> Criterion {
        Criterion {
            id,
            name: format!("K{id}"),
            weight: Decimal::from(weight),
            position: id,
        }
    }

    #[test]
    fn weighted_average_of_all_criteria() {
        let criteria = [criterion(1, 2), criterion(2, 1)];
        let scores = BTreeMap::from([(1, Decimal::from(9)), (2, Decimal::from(6))]);
        assert_eq!(weighted_score(&criteria, &scores), Some(Decimal::from(8)));
        let scores = BTreeMap::from([(1, Decimal::from(5)), (2, Decimal::from(6))]);
        // (10 + 6) / 3 = 5.333… → 5.33
        assert_eq!(
            weighted_score(&criteria, &scores),
            Some(Decimal::new(533, 2))
        );
    }

    #[test]
    fn no_total_until_every_criterion_is_scored() {
        let criteria = [criterion(1, 2), criterion(2, 1)];
        let scores = BTreeMap::from([(1, Decimal::from(9))]);
        assert_eq!(weighted_score(&criteria, &scores), None);
        assert_eq!(weighted_score(&[], &scores), None);
    }

    #[test]
    fn criterion_input_accepts_decimal_comma_and_refuses_bad_weights() {
        let ok = CriterionInput {
            name: "  Forankring ".into(),
            weight: "1,5".into(),
        }
        .validate()
        .unwrap();
        assert_eq!(ok.name, "Forankring");
        assert_eq!(ok.weight, Decimal::new(15, 1));
        for (weight, expect) in [
            ("", "Vekt må fylles ut."),
            ("0", "større enn 0"),
            ("101", "høyst 100"),
            ("-1", "ikke et tall"),
            ("abc", "ikke et tall"),
            ("1,234", "høyst 2 desimaler"),
        ] {
            let errors = CriterionInput {
                name: "K".into(),
                weight: weight.into(),
            }
            .validate()
            .unwrap_err();
            let message = errors.for_field("weight").unwrap();
            assert!(message.contains(expect), "{weight}: {message}");
        }
        let errors = CriterionInput {
            name: "x".repeat(201),
            weight: "1".into(),
        }
        .validate()
        .unwrap_err();
        assert_eq!(
            errors.for_field("name"),
            Some("Navn kan ha høyst 200 tegn.")
        );
        let errors = CriterionInput::default().validate().unwrap_err();
        assert_eq!(errors.for_field("name"), Some("Navn må fylles ut."));
    }

    fn score(criterion_id: i64, score: &str) -> ScoreInput {
        ScoreInput {
            criterion_id,
            score: score.into(),
            comment: None,
        }
    }

    #[test]
    fn scores_are_0_to_10_with_one_decimal() {
        let criteria = [criterion(1, 2), criterion(2, 1)];
        let input = AssessmentInput {
            scores: vec![score(1, "7,5"), score(2, "10")],
            recommended_amount: Some("250 000".into()),
            comment: Some(" God søknad ".into()),
        };
        let fields = input.validate(&criteria).unwrap();
        assert_eq!(fields.scores[0].score, Decimal::new(75, 1));
        assert_eq!(fields.scores[1].score, Decimal::from(10));
        assert_eq!(fields.recommended, Some(Kroner::from_whole(250_000)));
        assert_eq!(fields.comment.as_deref(), Some("God søknad"));

        for (text, expect) in [
            ("11", "fra 0 til 10"),
            ("7,55", "høyst én desimal"),
            ("-1", "ikke et tall"),
            ("sju", "ikke et tall"),
        ] {
            let input = AssessmentInput {
                scores: vec![score(1, text)],
                ..Default::default()
            };
            let errors = input.validate(&criteria).unwrap_err();
            let message = errors.for_field("scores[0].score").unwrap();
            assert!(message.contains("«K1»"), "names the criterion: {message}");
            assert!(message.contains(expect), "{text}: {message}");
        }
    }

    #[test]
    fn assessment_input_problems_name_their_field() {
        let criteria = [criterion(1, 1)];
        let errors = AssessmentInput::default().validate(&criteria).unwrap_err();
        assert!(errors.for_field("scores").unwrap().contains("tom"));
        let errors = AssessmentInput {
            scores: vec![score(9, "5"), score(1, "5"), score(1, "6")],
            recommended_amount: Some("-5".into()),
            comment: None,
        }
        .validate(&criteria)
        .unwrap_err();
        assert!(
            errors
                .for_field("scores[0].criterion_id")
                .unwrap()
                .contains("finnes ikke")
        );
        assert!(
            errors
                .for_field("scores[2].criterion_id")
                .unwrap()
                .contains("to ganger")
        );
        assert_eq!(
            errors.for_field("recommended_amount"),
            Some("Anbefalt beløp: Beløpet kan ikke være negativt.")
        );
        // A comment without a score is not a score.
        let errors = AssessmentInput {
            scores: vec![ScoreInput {
                criterion_id: 1,
                score: String::new(),
                comment: Some("Mangler".into()),
            }],
            ..Default::default()
        }
        .validate(&criteria)
        .unwrap_err();
        assert!(
            errors
                .for_field("scores[0].score")
                .unwrap()
                .contains("må fylles ut")
        );
        // Blank rows (a form's unscored criteria) are skipped.
        let fields = AssessmentInput {
            scores: vec![score(1, " ")],
            recommended_amount: Some("100".into()),
            comment: None,
        }
        .validate(&criteria)
        .unwrap();
        assert!(fields.scores.is_empty());
    }

    #[test]
    fn a_conflict_needs_a_reason() {
        let habil = DeclarationInput {
            conflict: Some(false),
            reason: Some("ignoreres".into()),
        }
        .validate()
        .unwrap();
        assert_eq!(
            habil,
            DeclarationFields {
                conflict: false,
                reason: None
            }
        );
        let errors = DeclarationInput {
            conflict: Some(true),
            reason: Some("  ".into()),
        }
        .validate()
        .unwrap_err();
        assert!(errors.for_field("reason").unwrap().contains("inhabil"));
        let errors = DeclarationInput::default().validate().unwrap_err();
        assert!(errors.for_field("conflict").is_some());
        let inhabil = DeclarationInput {
            conflict: Some(true),
            reason: Some("Søsteren min leder prosjektet".into()),
        }
        .validate()
        .unwrap();
        assert!(inhabil.conflict);
    }
}

/// Criterion names are unique within a round (case aside).
pub fn check_criterion_name_free(name: &str, taken: bool) -> Result<(), Refusal> {
    if taken {
        Err(Refusal::CriterionNameTaken {
            name: name.to_string(),
        })
    } else {
        Ok(())
    }
}

/// A criterion is deleted only while nobody has scored on it; scores are case documents.
pub fn check_criterion_deletable(name: &str, scored: i64) -> Result<(), Refusal> {
    if scored > 0 {
        Err(Refusal::CriterionScored {
            name: name.to_string(),
            scored,
        })
    } else {
        Ok(())
    }
}

/// An officer assesses an application only after declaring impartiality for it, and not
/// with a standing conflict. `declared` is the officer's declaration: `Some(true)` a
/// conflict.
pub fn check_may_assess(applicant: &str, declared: Option<bool>) -> Result<(), Refusal> {
    match declared {
        None => Err(Refusal::NotDeclared {
            applicant: applicant.to_string(),
        }),
        Some(true) => Err(Refusal::Conflicted {
            applicants: vec![applicant.to_string()],
            what: "vurdere den".to_string(),
        }),
        Some(false) => Ok(()),
    }
}

/// A standing declaration of conflict of interest (inhabilitet): who declared it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandingConflict {
    pub application_id: i64,
    pub applicant: String,
    pub declared_by: i64,
}

/// A new declaration by `user_id` for an application. A declared conflict stands until
/// another officer lifts it: its declarer cannot turn it back into «habil».
pub fn check_declaration(
    standing: Option<&StandingConflict>,
    fields: &DeclarationFields,
) -> Result<(), Refusal> {
    match standing {
        Some(_) if !fields.conflict => Err(Refusal::ConflictStands),
        _ => Ok(()),
    }
}

/// Lifting a conflict: by another officer than the one who declared it, with a reason.
pub fn check_lift(
    standing: Option<&StandingConflict>,
    lifter_user_id: i64,
    reason: &str,
) -> Result<(), Refusal> {
    let standing = standing.ok_or(Refusal::NoConflictToLift)?;
    if standing.declared_by == lifter_user_id {
        return Err(Refusal::OwnConflictLift);
    }
    if reason.trim().is_empty() {
        return Err(Refusal::ReasonRequired {
            what: "oppheve inhabiliteten",
        });
    }
    Ok(())
}

/// Refuses when the officer has a standing conflict for any of `conflicts` (their own
/// declarations, already narrowed to what the action touches). `what` completes «… og
/// kan derfor ikke {what}».
pub fn check_not_conflicted(conflicts: &[StandingConflict], what: &str) -> Result<(), Refusal> {
    if conflicts.is_empty() {
        return Ok(());
    }
    Err(Refusal::Conflicted {
        applicants: conflicts.iter().map(|c| c.applicant.clone()).collect(),
        what: what.to_string(),
    })
}

/// The applications a scenario sets something for by hand: a manual amount, a floor or a
/// cap. A conflicted officer may not set any of these for the application.
pub fn touched_by_hand(spec: &ScenarioSpec) -> BTreeSet<i64> {
    spec.amounts
        .keys()
        .chain(spec.floors.keys())
        .chain(spec.caps.keys())
        .copied()
        .collect()
}

#[cfg(test)]
mod impartiality_tests {
    use super::*;

    fn standing(by: i64) -> StandingConflict {
        StandingConflict {
            application_id: 7,
            applicant: "Trondheim".into(),
            declared_by: by,
        }
    }

    #[test]
    fn a_declared_conflict_is_not_withdrawn_by_its_declarer() {
        let habil = DeclarationFields {
            conflict: false,
            reason: None,
        };
        assert_eq!(
            check_declaration(Some(&standing(3)), &habil),
            Err(Refusal::ConflictStands)
        );
        assert!(check_declaration(None, &habil).is_ok());
    }

    #[test]
    fn lifted_only_by_another_officer_with_a_reason() {
        assert_eq!(
            check_lift(Some(&standing(3)), 3, "ok"),
            Err(Refusal::OwnConflictLift)
        );
        assert!(matches!(
            check_lift(Some(&standing(3)), 4, " "),
            Err(Refusal::ReasonRequired { .. })
        ));
        assert!(check_lift(Some(&standing(3)), 4, "Ikke nær slekt likevel").is_ok());
        assert_eq!(check_lift(None, 4, "x"), Err(Refusal::NoConflictToLift));
    }

    #[test]
    fn conflicts_block_with_the_applicants_named() {
        let err = check_not_conflicted(&[standing(3)], "godkjenne vedtak")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Trondheim") && err.contains("godkjenne vedtak"),
            "{err}"
        );
        assert!(check_not_conflicted(&[], "x").is_ok());
    }
}
