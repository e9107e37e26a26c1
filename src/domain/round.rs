//! Rounds (utlysninger): a scheme, a year, a pool (ramme) and the rules for sharing it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::county;
use super::date::parse_date;
use super::money::Kroner;
use super::validation::{FieldErrors, optional_text, required_text, text_or_integer};

/// The scheme the sample data and new rounds default to.
pub const DEFAULT_SCHEME: &str = "Styrking av habilitering og rehabilitering i kommunene";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundStatus {
    /// Open: applications come in, officers assess and allocate.
    Open,
    /// Decided: the allocation is final and frozen.
    Decided,
}

impl RoundStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RoundStatus::Open => "open",
            RoundStatus::Decided => "decided",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(RoundStatus::Open),
            "decided" => Some(RoundStatus::Decided),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RoundStatus::Open => "Åpen",
            RoundStatus::Decided => "Avgjort",
        }
    }

    /// Whether allocated amounts may still be changed.
    pub fn allows_allocation(self) -> bool {
        self == RoundStatus::Open
    }
}

/// Amounts are rounded to one of these when allocating.
pub const ROUNDING_UNITS: [i64; 4] = [1, 10, 100, 1000];

/// What a person typed into the round form or sent in the API body; every field as text
/// so that a mistake can be shown back exactly as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RoundTotals {
    /// The round's own `pool`; not repeated when the totals are written beside the round.
    #[serde(skip)]
    pub pool: Kroner,
    pub requested_total: Kroner,
    /// How many applications state no requested amount (historical data).
    pub requested_unknown: i64,
    pub allocated_total: Kroner,
    pub remaining: Kroner,
}

impl RoundTotals {
    pub fn new(
        pool: Kroner,
        requested_total: Kroner,
        requested_unknown: i64,
        allocated_total: Kroner,
    ) -> Self {
        RoundTotals {
            pool,
            requested_total,
            requested_unknown,
            allocated_total,
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

/// Checks that setting one application's allocation to `amount` keeps the round within
/// its pool. `allocated_elsewhere` is the sum of all other applications of the round.
pub fn check_within_pool(
    pool: Kroner,
    allocated_elsewhere: Kroner,
    amount: Kroner,
) -> Result<(), String> {
    let total = allocated_elsewhere + amount;
    if total > pool {
        let room = if pool > allocated_elsewhere {
            pool - allocated_elsewhere
        } else {
            Kroner::ZERO
        };
        return Err(format!(
            "Tildelingen gir {total} totalt, mer enn rammen på {pool}. Det er {room} igjen å fordele til denne søknaden."
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
        assert!(check_within_pool(pool, Kroner::from_whole(60), Kroner::from_whole(40)).is_ok());
        let err =
            check_within_pool(pool, Kroner::from_whole(60), Kroner::from_whole(41)).unwrap_err();
        assert!(err.contains("40\u{a0}kr igjen"), "{err}");
    }

    #[test]
    fn usage_per_mille() {
        let t = RoundTotals::new(
            Kroner::from_whole(200),
            Kroner::ZERO,
            0,
            Kroner::from_whole(50),
        );
        assert_eq!(t.used_per_mille(), 250);
        assert_eq!(t.remaining, Kroner::from_whole(150));
    }
}

/// A round as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    pub status: RoundStatus,
    /// Imported from a past round; the requested amounts are not known.
    pub historical: bool,
    /// Invented demonstration data.
    pub demo: bool,
    pub version: i64,
}

impl Round {
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
        }
    }
}

/// A round with its key figures, for lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoundOverview {
    pub round: Round,
    pub totals: RoundTotals,
    pub application_count: i64,
}
