//! Rounds (utlysninger): a scheme, a year, a pool (ramme) and the rules for sharing it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::county;
use super::date::parse_date;
use super::followup::FollowupRefusal;
use super::money::Kroner;
use super::refusal::Refusal;
use super::validation::{FieldErrors, optional_text, required_text, text_or_integer};

/// The scheme the sample data and new rounds default to.
pub const DEFAULT_SCHEME: &str = "Styrking av habilitering og rehabilitering i kommunene";

/// The phases of a round, in order. What each allows is answered by the methods below;
/// how a round moves between them by the transitions, each of which answers the new phase
/// or a [`Refusal`].
///
/// `utkast` → `åpen` → `lukket` → `til godkjenning` → `vedtatt` → `oppfølging` →
/// `avsluttet`. An open round becomes
/// closed by itself when its deadline (Europe/Oslo) has passed ([`RoundPhase::effective`]),
/// or earlier when an officer closes it with a reason. Reopening, with a reason, is allowed
/// before anything has been proposed. A proposal sent back returns the round to `lukket`.
/// A decided round changes only by an amendment (endringsvedtak), which leaves it decided.
/// Issuing the letters starts the follow-up (acceptance, payments, reports); after that
/// the amounts are bound by the letters and no amendment is made here. The round is
/// completed when every grant is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoundPhase {
    /// Being prepared; not visible to municipalities.
    Draft,
    /// Announced: takes applications until the deadline.
    Open,
    /// No more applications: officers assess and propose amounts.
    Closed,
    /// A proposed decision waits for a second officer.
    AwaitingApproval,
    /// The allocation is decided and frozen.
    Decided,
    /// The letters are issued: acceptances, payments, reports and repayments.
    FollowUp,
    /// Every grant is settled; nothing changes any more.
    Completed,
}

impl RoundPhase {
    pub const ALL: [RoundPhase; 7] = [
        RoundPhase::Draft,
        RoundPhase::Open,
        RoundPhase::Closed,
        RoundPhase::AwaitingApproval,
        RoundPhase::Decided,
        RoundPhase::FollowUp,
        RoundPhase::Completed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RoundPhase::Draft => "draft",
            RoundPhase::Open => "open",
            RoundPhase::Closed => "closed",
            RoundPhase::AwaitingApproval => "awaiting_approval",
            RoundPhase::Decided => "decided",
            RoundPhase::FollowUp => "follow_up",
            RoundPhase::Completed => "completed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            RoundPhase::Draft => "Utkast",
            RoundPhase::Open => "Åpen",
            RoundPhase::Closed => "Lukket",
            RoundPhase::AwaitingApproval => "Til godkjenning",
            RoundPhase::Decided => "Vedtatt",
            RoundPhase::FollowUp => "Oppfølging",
            RoundPhase::Completed => "Avsluttet",
        }
    }

    /// What the officers do next in this phase, as the round's page says it.
    pub fn next_step(self) -> &'static str {
        match self {
            RoundPhase::Draft => "Gjør runden ferdig og kunngjør den.",
            RoundPhase::Open => "Runden tar imot søknader til fristen.",
            RoundPhase::Closed => "Vurder søknadene, beregn alternativer og foreslå et vedtak.",
            RoundPhase::AwaitingApproval => {
                "Et forslag til vedtak venter på godkjenning av en annen person."
            }
            RoundPhase::Decided => "Sett vilkår for oppfølgingen og send brevene.",
            RoundPhase::FollowUp => {
                "Følg opp aksept, utbetalinger, sluttrapporter og tilbakebetaling."
            }
            RoundPhase::Completed => "Alle tilskudd er gjort opp.",
        }
    }

    /// The phase on `today` (Europe/Oslo) of a round stored in `stored`: an open round
    /// whose deadline has passed is closed.
    pub fn effective(stored: RoundPhase, deadline: Option<NaiveDate>, today: NaiveDate) -> Self {
        match (stored, deadline) {
            (RoundPhase::Open, Some(d)) if today > d => RoundPhase::Closed,
            _ => stored,
        }
    }

    /// Municipalities see the round (and may apply while it is open).
    pub fn visible_to_applicants(self) -> bool {
        self != RoundPhase::Draft
    }

    /// Applications are created, changed by the applicant, submitted and withdrawn.
    pub fn accepts_applications(self) -> bool {
        self == RoundPhase::Open
    }

    /// Officers may propose amounts (the officer's amount per application, an imported
    /// allocation table): after applications come in and before a decision is proposed.
    pub fn allows_proposals(self) -> bool {
        matches!(self, RoundPhase::Open | RoundPhase::Closed)
    }

    /// Criteria, scores and declarations may change: a proposal waiting for approval
    /// rests on them, and a decision freezes them.
    pub fn allows_assessment(self) -> bool {
        matches!(self, RoundPhase::Open | RoundPhase::Closed)
    }

    /// The round's own settings (name, pool, deadline …) may change.
    pub fn allows_settings(self) -> bool {
        matches!(
            self,
            RoundPhase::Draft | RoundPhase::Open | RoundPhase::Closed
        )
    }

    /// Amounts shown to the applicant are final.
    pub fn is_decided(self) -> bool {
        matches!(
            self,
            RoundPhase::Decided | RoundPhase::FollowUp | RoundPhase::Completed
        )
    }

    /// Acceptances, payments, reports and repayments are recorded.
    pub fn in_followup(self) -> bool {
        self == RoundPhase::FollowUp
    }

    pub fn check_accepts_applications(
        self,
        round: &str,
        deadline: Option<NaiveDate>,
    ) -> Result<(), Refusal> {
        match (self, deadline) {
            (RoundPhase::Open, _) => Ok(()),
            (RoundPhase::Closed, Some(deadline)) => Err(Refusal::DeadlinePassed { deadline }),
            (phase, _) => Err(Refusal::RoundNotAcceptingApplications {
                round: round.to_string(),
                phase,
            }),
        }
    }

    pub fn check_allows_proposals(self, round: &str) -> Result<(), Refusal> {
        if self.allows_proposals() {
            Ok(())
        } else {
            Err(Refusal::ProposalsFrozen {
                round: round.to_string(),
                phase: self,
            })
        }
    }

    pub fn check_allows_assessment(self, round: &str) -> Result<(), Refusal> {
        if self.allows_assessment() {
            Ok(())
        } else {
            Err(Refusal::AssessmentFrozen {
                round: round.to_string(),
                phase: self,
            })
        }
    }

    pub fn check_allows_settings(self, round: &str) -> Result<(), Refusal> {
        if self.allows_settings() {
            Ok(())
        } else {
            Err(Refusal::RoundFrozen {
                round: round.to_string(),
                phase: self,
            })
        }
    }

    /// Announces a draft round.
    pub fn open(self) -> Result<RoundPhase, Refusal> {
        match self {
            RoundPhase::Draft => Ok(RoundPhase::Open),
            phase => Err(Refusal::NotADraft { phase }),
        }
    }

    /// Closes an open round before its deadline; an officer says why.
    pub fn close(self, reason: &str) -> Result<RoundPhase, Refusal> {
        if self != RoundPhase::Open {
            return Err(Refusal::NotOpen { phase: self });
        }
        require_reason(reason, "lukke runden")?;
        Ok(RoundPhase::Closed)
    }

    /// Reopens a closed round for applications, with a reason, before any proposal, and
    /// only if its deadline is still ahead (a passed deadline would close it again).
    pub fn reopen(
        self,
        reason: &str,
        any_proposal: bool,
        deadline: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<RoundPhase, Refusal> {
        if self != RoundPhase::Closed {
            return Err(Refusal::NotClosed { phase: self });
        }
        if any_proposal {
            return Err(Refusal::ReopenAfterProposal);
        }
        require_reason(reason, "åpne runden igjen")?;
        if let Some(deadline) = deadline
            && today > deadline
        {
            return Err(Refusal::ReopenPastDeadline { deadline });
        }
        Ok(RoundPhase::Open)
    }

    /// A decision (or, in a decided round, an amendment) is proposed.
    pub fn propose(self, round: &str, deadline: Option<NaiveDate>) -> Result<RoundPhase, Refusal> {
        match self {
            RoundPhase::Closed => Ok(RoundPhase::AwaitingApproval),
            // An amendment waits beside the decision in force; the round stays decided.
            RoundPhase::Decided => Ok(RoundPhase::Decided),
            RoundPhase::AwaitingApproval => Err(Refusal::ProposalPending),
            RoundPhase::FollowUp | RoundPhase::Completed => {
                Err(Refusal::AmendmentAfterLetters { phase: self })
            }
            phase => Err(Refusal::DecisionBeforeClose {
                round: round.to_string(),
                phase,
                deadline,
            }),
        }
    }

    /// The proposal is sent back to the saksbehandler.
    pub fn return_proposal(self) -> Result<RoundPhase, Refusal> {
        match self {
            RoundPhase::AwaitingApproval => Ok(RoundPhase::Closed),
            RoundPhase::Decided => Ok(RoundPhase::Decided),
            phase => Err(Refusal::NothingToApprove { phase }),
        }
    }

    /// The proposal is approved: the round is decided.
    pub fn approve(self) -> Result<RoundPhase, Refusal> {
        match self {
            RoundPhase::AwaitingApproval | RoundPhase::Decided => Ok(RoundPhase::Decided),
            phase => Err(Refusal::NothingToApprove { phase }),
        }
    }

    /// Letters are issued: a decided round goes into follow-up (and stays there while
    /// more letters are issued).
    pub fn issue_letters(self) -> Result<RoundPhase, Refusal> {
        match self {
            RoundPhase::Decided | RoundPhase::FollowUp => Ok(RoundPhase::FollowUp),
            phase => Err(FollowupRefusal::NotDecided {
                phase_label: phase.label(),
            }
            .into()),
        }
    }

    /// A step of the follow-up (acceptance, payment, report, repayment) is allowed.
    pub fn check_in_followup(self) -> Result<(), Refusal> {
        if self.in_followup() {
            Ok(())
        } else {
            Err(FollowupRefusal::NotInFollowup {
                phase_label: self.label(),
            }
            .into())
        }
    }

    /// The round is completed when no grant has anything left to settle.
    pub fn complete(self, unsettled: usize) -> Result<RoundPhase, Refusal> {
        self.check_in_followup()?;
        if unsettled > 0 {
            return Err(FollowupRefusal::Unsettled { count: unsettled }.into());
        }
        Ok(RoundPhase::Completed)
    }
}

fn require_reason(reason: &str, what: &'static str) -> Result<(), Refusal> {
    if reason.trim().is_empty() {
        Err(Refusal::ReasonRequired { what })
    } else {
        Ok(())
    }
}

/// Amounts are rounded to one of these when allocating.
pub const ROUNDING_UNITS: [i64; 4] = [1, 10, 100, 1000];

/// What a person typed into the round form or sent in the API body; every field as text
/// so that a mistake can be shown back exactly as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RoundInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub scheme: Option<String>,
    #[serde(default, deserialize_with = "text_or_integer")]
    pub year: String,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default, deserialize_with = "text_or_integer")]
    pub pool: String,
    #[serde(default)]
    pub deadline: Option<String>,
    #[serde(default, deserialize_with = "text_or_integer")]
    pub rounding_unit: String,
    #[serde(default)]
    pub description: Option<String>,
    /// On creation only: `draft` (not yet visible to municipalities) or `open` (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
}

/// A validated round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundFields {
    pub name: String,
    pub scheme: String,
    pub year: i32,
    pub region: Option<String>,
    pub pool: Kroner,
    pub deadline: Option<NaiveDate>,
    pub rounding_unit: Kroner,
    pub description: Option<String>,
}

impl RoundInput {
    pub fn validate(&self) -> Result<RoundFields, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = required_text(&mut errors, "name", "Navn", &self.name, 200);
        let scheme = optional_text(
            &mut errors,
            "scheme",
            "Tilskuddsordning",
            self.scheme.as_deref(),
            300,
        )
        .unwrap_or_else(|| DEFAULT_SCHEME.to_string());
        let year = match self.year.trim() {
            "" => {
                errors.add("year", "År må fylles ut.");
                0
            }
            text => match text.parse::<i32>() {
                Ok(y) if (2000..=2100).contains(&y) => y,
                _ => {
                    errors.add(
                        "year",
                        format!("År må være et årstall mellom 2000 og 2100, ikke «{text}»."),
                    );
                    0
                }
            },
        };
        let region = optional_text(
            &mut errors,
            "region",
            "Region/fylke",
            self.region.as_deref(),
            100,
        );
        if let Some(region) = &region
            && year != 0
            && county::county_code(year, region).is_none()
        {
            let names: Vec<&str> = county::counties(year).iter().map(|(_, n)| *n).collect();
            errors.add(
                "region",
                format!(
                    "«{region}» er ikke et fylke i {year}. Velg et av: {}.",
                    names.join(", ")
                ),
            );
        }
        let pool = match Kroner::parse(&self.pool) {
            Ok(p) if p.is_zero() => {
                errors.add("pool", "Ramme må være større enn 0 kr.");
                None
            }
            Ok(p) => Some(p),
            Err(e) => {
                errors.add("pool", format!("Ramme: {e}"));
                None
            }
        };
        let deadline = self
            .deadline
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .and_then(|d| {
                errors.take("deadline", parse_date(d).map_err(|e| format!("Frist: {e}")))
            });
        let rounding_unit = match parse_rounding_unit(&self.rounding_unit) {
            Ok(unit) => Some(unit),
            Err(message) => {
                errors.add("rounding_unit", message);
                None
            }
        };
        let description = optional_text(
            &mut errors,
            "description",
            "Beskrivelse",
            self.description.as_deref(),
            5000,
        );
        errors.into_result(|| RoundFields {
            name,
            scheme,
            year,
            region,
            pool: pool.unwrap_or_default(),
            deadline,
            rounding_unit: rounding_unit.unwrap_or_default(),
            description,
        })
    }
}

/// A rounding unit as typed: one of [`ROUNDING_UNITS`] kroner.
pub fn parse_rounding_unit(text: &str) -> Result<Kroner, String> {
    let allowed = "1, 10, 100 eller 1 000 kr";
    if text.trim().is_empty() {
        return Err(format!("Avrundingsenhet må fylles ut ({allowed})."));
    }
    let unit = Kroner::parse(text)
        .map_err(|_| format!("Avrundingsenhet må være {allowed}, ikke «{}».", text.trim()))?;
    if ROUNDING_UNITS
        .iter()
        .any(|u| Kroner::from_whole(*u) == unit)
    {
        Ok(unit)
    } else {
        Err(format!("Avrundingsenhet må være {allowed}, ikke {unit}."))
    }
}

/// The key figures of a round, derived from its pool and its applications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RoundTotals {
    /// The round's own `pool`; not repeated when the totals are written beside the round.
    #[serde(skip)]
    pub pool: Kroner,
    pub requested_total: Kroner,
    /// How many applications state no requested amount (historical data).
    pub requested_unknown: i64,
    /// Granted by an approved decision.
    pub allocated_total: Kroner,
    /// The officers' proposals, before a decision.
    pub proposed_total: Kroner,
    /// What the decision in force leaves of the pool.
    pub remaining: Kroner,
}

impl RoundTotals {
    pub fn new(
        pool: Kroner,
        requested_total: Kroner,
        requested_unknown: i64,
        allocated_total: Kroner,
        proposed_total: Kroner,
    ) -> Self {
        RoundTotals {
            pool,
            requested_total,
            requested_unknown,
            allocated_total,
            proposed_total,
            remaining: pool - allocated_total,
        }
    }

    /// Share of the pool allocated, in whole per mille for a `<meter>` (0–1000).
    pub fn used_per_mille(&self) -> i64 {
        match (self.allocated_total.to_ore(), self.pool.to_ore()) {
            (Some(a), Some(p)) if p > 0 => ((a as i128 * 1000) / p as i128).clamp(0, 1000) as i64,
            _ => 0,
        }
    }
}

/// Checks that setting one application's amount to `amount` keeps the round within its
/// pool. `elsewhere` is the sum of the same kind of amount (proposals, or grants) of all
/// other applications of the round; `what` names the change for the message.
pub fn check_within_pool(
    pool: Kroner,
    elsewhere: Kroner,
    amount: Kroner,
    what: &'static str,
) -> Result<(), Refusal> {
    let total = elsewhere + amount;
    if total > pool {
        let room = if pool > elsewhere {
            pool - elsewhere
        } else {
            Kroner::ZERO
        };
        return Err(Refusal::AbovePool {
            total,
            pool,
            room,
            what,
        });
    }
    Ok(())
}

/// A new pool may not be lower than what is granted or proposed in the round.
pub fn check_pool_change(
    new_pool: Kroner,
    allocated: Kroner,
    proposed: Kroner,
) -> Result<(), String> {
    let floor = allocated.max(proposed);
    if new_pool < floor {
        let what = if allocated >= proposed {
            "tildelt"
        } else {
            "foreslått"
        };
        return Err(format!(
            "Rammen kan ikke være lavere enn det som allerede er {what} ({floor})."
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> RoundInput {
        RoundInput {
            name: "Trøndelag 2026".into(),
            year: "2026".into(),
            region: Some("Trøndelag".into()),
            pool: "15 000 000".into(),
            rounding_unit: "1000".into(),
            ..Default::default()
        }
    }

    #[test]
    fn valid_round() {
        let r = input().validate().unwrap();
        assert_eq!(r.pool, Kroner::from_whole(15_000_000));
        assert_eq!(r.scheme, DEFAULT_SCHEME);
        assert_eq!(r.rounding_unit, Kroner::from_whole(1000));
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = RoundInput {
            name: " ".into(),
            year: "tjue".into(),
            region: Some("Atlantis".into()),
            pool: "-5".into(),
            deadline: Some("32.13.2026".into()),
            rounding_unit: "7".into(),
            ..Default::default()
        };
        let errors = bad.validate().unwrap_err();
        for field in ["name", "year", "pool", "deadline", "rounding_unit"] {
            assert!(errors.for_field(field).is_some(), "{field}: {errors:?}");
        }
    }

    #[test]
    fn pool_check_names_the_room_left() {
        let pool = Kroner::from_whole(100);
        let t = "Tildelingen";
        assert!(check_within_pool(pool, Kroner::from_whole(60), Kroner::from_whole(40), t).is_ok());
        let err = check_within_pool(pool, Kroner::from_whole(60), Kroner::from_whole(41), t)
            .unwrap_err()
            .to_string();
        assert!(err.contains("40\u{a0}kr igjen"), "{err}");
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    #[test]
    fn an_open_round_closes_by_itself_after_its_deadline() {
        let deadline = Some(day(15));
        assert_eq!(
            RoundPhase::effective(RoundPhase::Open, deadline, day(15)),
            RoundPhase::Open,
            "the deadline day itself is open"
        );
        assert_eq!(
            RoundPhase::effective(RoundPhase::Open, deadline, day(16)),
            RoundPhase::Closed
        );
        assert_eq!(
            RoundPhase::effective(RoundPhase::Open, None, day(31)),
            RoundPhase::Open
        );
        assert_eq!(
            RoundPhase::effective(RoundPhase::Draft, deadline, day(16)),
            RoundPhase::Draft
        );
    }

    #[test]
    fn what_each_phase_allows() {
        use RoundPhase::*;
        let table = [
            // phase, applications, proposals, assessment, settings, visible to applicants
            (Draft, false, false, false, true, false),
            (Open, true, true, true, true, true),
            (Closed, false, true, true, true, true),
            (AwaitingApproval, false, false, false, false, true),
            (Decided, false, false, false, false, true),
        ];
        for (phase, applications, proposals, assessment, settings, visible) in table {
            assert_eq!(phase.accepts_applications(), applications, "{phase:?}");
            assert_eq!(phase.allows_proposals(), proposals, "{phase:?}");
            assert_eq!(phase.allows_assessment(), assessment, "{phase:?}");
            assert_eq!(phase.allows_settings(), settings, "{phase:?}");
            assert_eq!(phase.visible_to_applicants(), visible, "{phase:?}");
            assert_eq!(RoundPhase::parse(phase.as_str()), Some(phase));
        }
    }

    #[test]
    fn transitions_answer_the_new_phase_or_a_refusal() {
        use RoundPhase::*;
        assert_eq!(Draft.open(), Ok(Open));
        assert!(matches!(Open.open(), Err(Refusal::NotADraft { .. })));
        assert_eq!(Open.close("Alle har søkt"), Ok(Closed));
        assert!(matches!(
            Open.close("  "),
            Err(Refusal::ReasonRequired { .. })
        ));
        assert!(matches!(Closed.close("x"), Err(Refusal::NotOpen { .. })));
        assert_eq!(
            Closed.reopen("Ny frist", false, Some(day(20)), day(10)),
            Ok(Open)
        );
        assert_eq!(
            Closed.reopen("Ny frist", true, Some(day(20)), day(10)),
            Err(Refusal::ReopenAfterProposal)
        );
        assert_eq!(
            Closed.reopen("Ny frist", false, Some(day(5)), day(10)),
            Err(Refusal::ReopenPastDeadline { deadline: day(5) })
        );
        assert_eq!(Closed.propose("R", Some(day(5))), Ok(AwaitingApproval));
        assert_eq!(Decided.propose("R", None), Ok(Decided), "an amendment");
        assert_eq!(
            AwaitingApproval.propose("R", None),
            Err(Refusal::ProposalPending)
        );
        let early = Open.propose("R", Some(day(20))).unwrap_err();
        assert!(early.to_string().contains("20.12.2026"), "{early}");
        assert_eq!(AwaitingApproval.return_proposal(), Ok(Closed));
        assert_eq!(AwaitingApproval.approve(), Ok(Decided));
        assert!(Closed.approve().is_err());
    }

    #[test]
    fn a_pool_cut_stops_at_what_is_granted_or_proposed() {
        let k = Kroner::from_whole;
        assert!(check_pool_change(k(100), k(0), k(100)).is_ok());
        let err = check_pool_change(k(99), k(0), k(100)).unwrap_err();
        assert!(err.contains("foreslått"), "{err}");
        let err = check_pool_change(k(99), k(100), k(0)).unwrap_err();
        assert!(err.contains("tildelt"), "{err}");
    }

    #[test]
    fn usage_per_mille() {
        let t = RoundTotals::new(
            Kroner::from_whole(200),
            Kroner::ZERO,
            0,
            Kroner::from_whole(50),
            Kroner::ZERO,
        );
        assert_eq!(t.used_per_mille(), 250);
        assert_eq!(t.remaining, Kroner::from_whole(150));
    }
}

/// A round as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Round {
    pub id: i64,
    pub scheme: String,
    pub name: String,
    pub year: i32,
    pub region: Option<String>,
    pub description: Option<String>,
    pub pool: Kroner,
    pub deadline: Option<NaiveDate>,
    pub rounding_unit: Kroner,
    /// The phase as stored; see [`Round::phase`] for the phase in force today.
    #[serde(skip)]
    pub stored_phase: RoundPhase,
    /// The phase in force when the round was read (an open round past its deadline is
    /// closed).
    pub phase: RoundPhase,
    /// For a decision made outside this tool (a published historical decision): where it
    /// was published.
    pub decision_source: Option<String>,
    /// Imported from a past round; the requested amounts are not known.
    pub historical: bool,
    /// Invented demonstration data.
    pub demo: bool,
    pub version: i64,
}

impl Round {
    /// The round takes a new application (or new content for one) from this side: an
    /// applicant's while the round is open; an officer registers one also after the
    /// deadline, until a decision is proposed.
    pub fn check_takes_application(&self, by_applicant: bool) -> Result<(), Refusal> {
        if by_applicant {
            self.phase
                .check_accepts_applications(&self.name, self.deadline)
        } else if self.phase.allows_proposals() {
            Ok(())
        } else {
            Err(Refusal::RoundNotAcceptingApplications {
                round: self.name.clone(),
                phase: self.phase,
            })
        }
    }

    /// The settings form was filled in from version `seen`.
    pub fn check_version(&self, seen: i64) -> Result<(), Refusal> {
        if seen == self.version {
            Ok(())
        } else {
            Err(Refusal::RoundChanged {
                seen,
                current: self.version,
            })
        }
    }

    /// The form input that shows this round as it is, for the edit form.
    pub fn to_input(&self) -> RoundInput {
        RoundInput {
            name: self.name.clone(),
            scheme: Some(self.scheme.clone()),
            year: self.year.to_string(),
            region: self.region.clone(),
            pool: self.pool.to_input_string(),
            deadline: self.deadline.map(|d| d.format("%Y-%m-%d").to_string()),
            rounding_unit: self.rounding_unit.to_input_string(),
            description: self.description.clone(),
            phase: None,
        }
    }
}

/// A round with its key figures, for lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RoundOverview {
    pub round: Round,
    pub totals: RoundTotals,
    pub application_count: i64,
}
