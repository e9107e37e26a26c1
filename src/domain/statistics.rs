//! Statistics: indicators, their observations per region and year, and SSB's symbols
//! for a value that is not there.
//!
//! Shares are exact decimals of a percentage (`12.6` means 12,6 %), counts are whole
//! numbers. A missing value is never 0: it keeps the symbol that says why.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Serialize;

use super::allocation::number_text;

/// Recipients of home health services and/or practical assistance per 31.12.
pub const RECIPIENTS: &str = "mottakere";
/// Share of those recipients with a coordinator (percent).
pub const COORDINATOR: &str = "andel_koordinator";
/// Share of those recipients with an active individual plan (percent).
pub const PLAN: &str = "andel_individuell_plan";
/// Inhabitants per 1.1.
pub const INHABITANTS: &str = "innbyggere";

/// The region code for the whole country.
pub const COUNTRY: &str = "0000";

/// How synthetic figures are labelled wherever they are shown or exported.
pub const SYNTHETIC_LABEL: &str = "syntetiske demotall";

/// What a reader is told wherever synthetic per-municipality figures are shown.
pub const SYNTHETIC_WARNING: &str = "Kildene gir bare nasjonale tall. Tallene per kommune som er merket «syntetiske demotall» er oppdiktet for å vise fordelingsformelen og rapportene. De er ikke offisiell statistikk og må ikke brukes som det.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// A count of people (`antall`).
    Antall,
    /// A share in percent (`prosent`).
    Prosent,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Antall => "antall",
            Unit::Prosent => "prosent",
        }
    }

    pub fn parse(s: &str) -> Option<Unit> {
        match s {
            "antall" => Some(Unit::Antall),
            "prosent" => Some(Unit::Prosent),
            _ => None,
        }
    }
}

/// An indicator the product knows by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Indicator {
    pub code: &'static str,
    pub name: &'static str,
    pub unit: Unit,
}

/// The indicators of the product, in the order they are shown.
pub const INDICATORS: [Indicator; 4] = [
    Indicator {
        code: INHABITANTS,
        name: "Innbyggere",
        unit: Unit::Antall,
    },
    Indicator {
        code: RECIPIENTS,
        name: "Mottakere av helsetjenester i hjemmet og/eller praktisk bistand",
        unit: Unit::Antall,
    },
    Indicator {
        code: COORDINATOR,
        name: "Andel mottakere med koordinator",
        unit: Unit::Prosent,
    },
    Indicator {
        code: PLAN,
        name: "Andel mottakere med virksom individuell plan",
        unit: Unit::Prosent,
    },
];

pub fn indicator(code: &str) -> Option<&'static Indicator> {
    INDICATORS.iter().find(|i| i.code == code)
}

/// SSB's symbols for a cell without a number. Serialised as the symbol itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Symbol {
    /// `..`: the figure is missing (not yet available).
    Missing,
    /// `.`: not applicable, a figure cannot exist.
    NotApplicable,
    /// `:`: hidden to protect confidentiality.
    Confidential,
    /// `-`: nil, exactly nothing to report.
    Zero,
}

impl Symbol {
    pub const ALL: [Symbol; 4] = [
        Symbol::Missing,
        Symbol::NotApplicable,
        Symbol::Confidential,
        Symbol::Zero,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Symbol::Missing => "..",
            Symbol::NotApplicable => ".",
            Symbol::Confidential => ":",
            Symbol::Zero => "-",
        }
    }

    /// What the symbol means, in words for the reader.
    pub fn label(self) -> &'static str {
        match self {
            Symbol::Missing => "tall mangler",
            Symbol::NotApplicable => "ikke aktuelt",
            Symbol::Confidential => "skjult av personvernhensyn",
            Symbol::Zero => "null",
        }
    }

    pub fn parse(s: &str) -> Option<Symbol> {
        Symbol::ALL.into_iter().find(|sym| sym.as_str() == s.trim())
    }
}

impl Serialize for Symbol {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// SSB's symbols for a figure that is not there.
impl schemars::JsonSchema for Symbol {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Symbol".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "enum": Symbol::ALL.map(Symbol::as_str),
            "description": "SSBs symbol for et tall som mangler: `..` mangler, `.` ikke aktuelt, `:` skjult, `-` null."
        })
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A cell of a statistics table: a number, or a symbol saying why there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Value {
    Number(Decimal),
    Symbol(Symbol),
}

impl Value {
    pub fn number(self) -> Option<Decimal> {
        match self {
            Value::Number(n) => Some(n),
            Value::Symbol(_) => None,
        }
    }

    /// From the database's pair of columns (`value` as exact text, else `symbol`).
    /// Anything unreadable counts as missing, which is what it is to a reader.
    pub fn from_columns(value: Option<&str>, symbol: Option<&str>) -> Value {
        value
            .and_then(|v| Decimal::from_str(v).ok())
            .map(Value::Number)
            .or_else(|| symbol.and_then(Symbol::parse).map(Value::Symbol))
            .unwrap_or(Value::Symbol(Symbol::Missing))
    }
}

/// How one value reads in Norwegian: `12,6 %`, `1 234`, or its symbol.
pub fn display_value(value: Value, unit: Unit) -> String {
    match value {
        Value::Symbol(s) => s.as_str().to_string(),
        Value::Number(n) => match unit {
            // Shares keep at least one decimal, so a column of them lines up (`11,0 %`).
            Unit::Prosent => {
                let text = number_text(n);
                if text.contains(',') {
                    format!("{text} %")
                } else {
                    format!("{text},0 %")
                }
            }
            Unit::Antall => number_text(n),
        },
    }
}

// ---------------------------------------------------------------------------------------
// Breakdowns, as KPR names them (and as the national tables are stored).

/// KPR's need levels (bistandsbehov); together they make up all recipients.
pub const NEED_LEVELS: [&str; 4] = [
    "Noe/avgrenset bistandsbehov",
    "Middels til stort bistandsbehov",
    "Omfattende bistandsbehov",
    "Uoppgitt bistandsbehov",
];
/// The two age groups; their shares are shares of the whole group, so they add up.
pub const AGE_UNDER_67: &str = "under 67 år";
pub const AGE_67_AND_OVER: &str = "67 år og over";
pub const AGE_GROUPS: [&str; 2] = [AGE_UNDER_67, AGE_67_AND_OVER];

/// Folds text for keyword matching: lower case, æøå as people spell them without. Key
/// words are folded the same way (`noe` folds to `no`).
fn fold(text: &str) -> String {
    super::kommune::fold_name(text)
}

/// The labels that mean "all of them" in a breakdown column or a total row.
fn is_all_label(text: &str) -> bool {
    let folded = fold(text);
    folded.is_empty()
        || [
            "alle",
            "i alt",
            "totalt",
            "total",
            "sum",
            "begge",
            "alle aldre",
        ]
        .iter()
        .any(|l| folded == *l || folded.starts_with(&format!("{l} ")))
}

/// A need level as written in a file (`Omfattende`, `Noe/avgrenset bistandsbehov`):
/// `Ok(None)` for the total, `Err` when it is none of KPR's groups.
pub fn need_level_of(text: &str) -> Result<Option<&'static str>, String> {
    if is_all_label(text) {
        return Ok(None);
    }
    let folded = fold(text);
    let found = [
        (&["noe", "avgrenset"][..], NEED_LEVELS[0]),
        (&["middels"][..], NEED_LEVELS[1]),
        (&["omfattende"][..], NEED_LEVELS[2]),
        (&["uoppgitt", "ukjent"][..], NEED_LEVELS[3]),
    ]
    .into_iter()
    .find(|(words, _)| words.iter().any(|w| folded.starts_with(&fold(w))));
    found.map(|(_, level)| Some(level)).ok_or_else(|| {
        format!(
            "«{}» er ikke et bistandsbehov KPR bruker ({}, eller «Alle» for totalen).",
            text.trim(),
            NEED_LEVELS.join(", ")
        )
    })
}

/// An age group as written in a file (`Under 67 år`, `67 år og over`, `67+`):
/// `Ok(None)` for all ages, `Err` when it is neither group.
pub fn age_group_of(text: &str) -> Result<Option<&'static str>, String> {
    if is_all_label(text) {
        return Ok(None);
    }
    let folded: String = fold(text).chars().filter(|c| *c != ' ').collect();
    if folded.starts_with("under67") || folded.starts_with("0-66") || folded.starts_with("0–66") {
        return Ok(Some(AGE_UNDER_67));
    }
    if folded.starts_with("67") || folded.starts_with("over67") || folded.starts_with("67+") {
        return Ok(Some(AGE_67_AND_OVER));
    }
    Err(format!(
        "«{}» er ikke en aldersgruppe ({AGE_UNDER_67}, {AGE_67_AND_OVER}, eller «Alle»).",
        text.trim()
    ))
}

/// The indicator a table title, column heading or `statistikkvariabel` text names, by
/// its key words: `Andel mottakere med koordinator (prosent)` is [`COORDINATOR`]. A count
/// of people with a coordinator or a plan (`(antall)` without `andel`/`prosent`) is none
/// of ours: taking it for the share would store a count as a percentage.
pub fn indicator_for_title(title: &str) -> Option<&'static Indicator> {
    let folded = fold(title);
    let has = |words: &[&str]| words.iter().any(|w| folded.contains(&fold(w)));
    let a_share = has(&["andel", "prosent", "%", "share", "percent"])
        || !has(&["antall", "personer", "number of"]);
    // The shares name their recipients too, so they are looked for first.
    let code = if has(&["koordinator", "coordinator"]) {
        if !a_share {
            return None;
        }
        COORDINATOR
    } else if has(&[
        "individuell plan",
        "individuelle planer",
        "individuell-plan",
        "individual plan",
    ]) {
        if !a_share {
            return None;
        }
        PLAN
    } else if has(&[
        "innbygger",
        "folkemengde",
        "befolkning",
        "inhabitant",
        "population",
    ]) {
        INHABITANTS
    } else if has(&["mottaker", "brukere av hjemme", "recipient"]) {
        RECIPIENTS
    } else {
        return None;
    };
    indicator(code)
}

/// The indicators as a list for messages: `andel_koordinator (Andel mottakere med koordinator), …`.
pub fn known_indicators() -> String {
    INDICATORS
        .iter()
        .map(|i| format!("{} ({})", i.code, i.name))
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------------------
// Importing over what is stored

/// What importing a value does to the stored one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    New,
    /// The stored value differs, or was a synthetic figure (a real one replaces it).
    Changed {
        old: Value,
        synthetic: bool,
    },
    Unchanged,
}

impl Change {
    pub fn code(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Changed { .. } => "changed",
            Change::Unchanged => "unchanged",
        }
    }
}

/// Compares a value from a file with the stored one (`(value, synthetic)`). Numbers
/// compare as numbers: `12.60` is `12.6`.
pub fn change(stored: Option<(Value, bool)>, new: Value) -> Change {
    match stored {
        None => Change::New,
        Some((old, synthetic)) if synthetic || old != new => Change::Changed { old, synthetic },
        Some(_) => Change::Unchanged,
    }
}

// ---------------------------------------------------------------------------------------
// Consistency of a set of observations

/// An observation as the consistency rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub indicator: &'static str,
    pub region: String,
    pub year: i32,
    pub need_level: Option<String>,
    pub age_group: Option<String>,
    pub value: Value,
}

/// What identifies an observation: indicator, region, year, need level, age group.
pub type ObservationKeyRef<'a> = (&'a str, &'a str, i32, Option<&'a str>, Option<&'a str>);

impl Observation {
    pub fn key(&self) -> ObservationKeyRef<'_> {
        (
            self.indicator,
            self.region.as_str(),
            self.year,
            self.need_level.as_deref(),
            self.age_group.as_deref(),
        )
    }
}

/// Something that does not add up: `at` is the index of the observation the message is
/// about (the total, or the share out of range), `involves` every index that took part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inconsistency {
    pub at: usize,
    pub involves: Vec<usize>,
    pub message: String,
}

fn region_text(region: &str) -> String {
    if region == COUNTRY {
        "hele landet".into()
    } else {
        region.to_string()
    }
}

/// Checks what KPR's tables promise: the need groups of a count add up to its total;
/// the two age-group shares add up to the group's share (within rounding); a share lies
/// between 0 and 100. Only numbers are checked; a symbol is no number to add.
pub fn check_consistency(observations: &[Observation]) -> Vec<Inconsistency> {
    let mut found = Vec::new();
    // Looked up by key, not by scanning: a national import holds tens of thousands.
    // The first of equal keys counts, as the caller lists the file before what is stored.
    let mut index: HashMap<ObservationKeyRef, usize> = HashMap::new();
    for (i, p) in observations.iter().enumerate() {
        index.entry(p.key()).or_insert(i);
    }
    // The parts of `o` with these breakdowns, if every one is there with a number:
    // their indexes and values.
    let parts_of = |o: &Observation, breakdowns: Vec<(Option<&str>, Option<&str>)>| {
        breakdowns
            .into_iter()
            .map(|(need, age)| {
                let j = *index.get(&(o.indicator, o.region.as_str(), o.year, need, age))?;
                Some((j, observations[j].value.number()?))
            })
            .collect::<Option<Vec<(usize, Decimal)>>>()
            .map(|parts| {
                let involves: Vec<usize> = parts.iter().map(|p| p.0).collect();
                let values: Vec<Decimal> = parts.into_iter().map(|p| p.1).collect();
                (involves, values)
            })
    };
    for (i, o) in observations.iter().enumerate() {
        let Some(unit) = indicator(o.indicator).map(|ind| ind.unit) else {
            continue;
        };
        let Some(total) = o.value.number() else {
            continue;
        };
        let name = indicator(o.indicator)
            .map(|i| i.name)
            .unwrap_or(o.indicator);
        let place = format!("{} {}", region_text(&o.region), o.year);
        if unit == Unit::Prosent && (total.is_sign_negative() || total > Decimal::ONE_HUNDRED) {
            found.push(Inconsistency {
                at: i,
                involves: vec![i],
                message: format!(
                    "{name} er {}, men en andel ligger mellom 0 og 100 %.",
                    display_value(o.value, unit)
                ),
            });
        }
        // A total of a count: its need groups must add up to it exactly.
        if unit == Unit::Antall && o.need_level.is_none() {
            let breakdowns = NEED_LEVELS
                .iter()
                .map(|level| (Some(*level), o.age_group.as_deref()))
                .collect();
            if let Some((others, parts)) = parts_of(o, breakdowns) {
                let involves = std::iter::once(i).chain(others).collect();
                let sum: Decimal = parts.iter().copied().sum();
                if sum != total {
                    found.push(Inconsistency {
                        at: i,
                        involves,
                        message: format!(
                            "{name}, {place}: bistandsbehovsgruppene summerer til {}, men totalen er {}.",
                            number_text(sum),
                            number_text(total)
                        ),
                    });
                }
            }
        }
        // A share for all ages: the two age groups are parts of it.
        if unit == Unit::Prosent && o.age_group.is_none() {
            let breakdowns = AGE_GROUPS
                .iter()
                .map(|age| (o.need_level.as_deref(), Some(*age)))
                .collect();
            if let Some((others, parts)) = parts_of(o, breakdowns) {
                let involves = std::iter::once(i).chain(others).collect();
                let sum: Decimal = parts.iter().copied().sum();
                let tolerance = rounding_tolerance(total, &parts);
                if (sum - total).abs() > tolerance {
                    let group = o
                        .need_level
                        .as_deref()
                        .map(|n| format!(" ({})", n.to_lowercase()))
                        .unwrap_or_default();
                    found.push(Inconsistency {
                        at: i,
                        involves,
                        message: format!(
                            "{name}{group}, {place}: andelene {AGE_UNDER_67} og {AGE_67_AND_OVER} summerer til {}, men andelen for alle er {} (avrunding tillater ±{}).",
                            display_value(Value::Number(sum), unit),
                            display_value(Value::Number(total), unit),
                            number_text(tolerance)
                        ),
                    });
                }
            }
        }
    }
    found
}

/// How far rounded parts may miss their rounded total: half a unit of the least precise
/// decimal place, once for each part (`2` vs `1` + `0,2`: ±1).
pub fn rounding_tolerance(total: Decimal, parts: &[Decimal]) -> Decimal {
    let scale = parts
        .iter()
        .map(|p| p.scale())
        .fold(total.scale(), u32::min);
    let half_unit = Decimal::new(5, scale + 1);
    half_unit * Decimal::from(parts.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn symbols_round_trip_and_are_not_zero() {
        for s in Symbol::ALL {
            assert_eq!(Symbol::parse(s.as_str()), Some(s));
            assert_eq!(Value::Symbol(s).number(), None);
        }
        assert_eq!(Symbol::parse("0"), None);
    }

    #[test]
    fn values_read_from_the_database_columns() {
        assert_eq!(
            Value::from_columns(Some("12.6"), None),
            Value::Number(dec("12.6"))
        );
        assert_eq!(
            Value::from_columns(None, Some(":")),
            Value::Symbol(Symbol::Confidential)
        );
        assert_eq!(
            Value::from_columns(None, None),
            Value::Symbol(Symbol::Missing)
        );
    }

    #[test]
    fn values_display_in_norwegian() {
        assert_eq!(
            display_value(Value::Number(dec("12.60")), Unit::Prosent),
            "12,6 %"
        );
        assert_eq!(
            display_value(Value::Number(dec("208645")), Unit::Antall),
            "208\u{a0}645"
        );
        assert_eq!(
            display_value(Value::Symbol(Symbol::Zero), Unit::Antall),
            "-"
        );
    }

    fn obs(indicator: &'static str, need: Option<&str>, age: Option<&str>, v: &str) -> Observation {
        Observation {
            indicator,
            region: COUNTRY.into(),
            year: 2021,
            need_level: need.map(str::to_string),
            age_group: age.map(str::to_string),
            value: Symbol::parse(v)
                .map(Value::Symbol)
                .unwrap_or_else(|| Value::Number(dec(v))),
        }
    }

    /// The 2021 national figures by need level (kpr-2021-etter-bistandsbehov.csv).
    fn kpr_2021(total: &str) -> Vec<Observation> {
        let mut all = vec![obs(RECIPIENTS, None, None, total)];
        for (level, count, share, under, over) in [
            (NEED_LEVELS[0], "79315", "9", "7", "2"),
            (NEED_LEVELS[1], "79465", "14", "11", "3"),
            (NEED_LEVELS[2], "36327", "24", "20", "4"),
            (NEED_LEVELS[3], "13538", "2", "1", "0.2"),
        ] {
            all.push(obs(RECIPIENTS, Some(level), None, count));
            all.push(obs(COORDINATOR, Some(level), None, share));
            all.push(obs(COORDINATOR, Some(level), Some(AGE_UNDER_67), under));
            all.push(obs(COORDINATOR, Some(level), Some(AGE_67_AND_OVER), over));
        }
        for (level, share, under, over) in [
            (NEED_LEVELS[0], "3.3", "2.9", "0.3"),
            (NEED_LEVELS[1], "6.7", "5.9", "0.8"),
            (NEED_LEVELS[2], "15.8", "14.1", "1.8"),
            (NEED_LEVELS[3], "1.1", "1.0", "0.1"),
        ] {
            all.push(obs(PLAN, Some(level), None, share));
            all.push(obs(PLAN, Some(level), Some(AGE_UNDER_67), under));
            all.push(obs(PLAN, Some(level), Some(AGE_67_AND_OVER), over));
        }
        all
    }

    #[test]
    fn the_true_2021_need_groups_add_up_to_208_645() {
        assert_eq!(check_consistency(&kpr_2021("208645")), vec![]);
    }

    #[test]
    fn need_groups_that_miss_the_total_are_named() {
        let found = check_consistency(&kpr_2021("208000"));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].at, 0);
        assert!(
            found[0]
                .message
                .contains("summerer til 208\u{a0}645, men totalen er 208\u{a0}000"),
            "{}",
            found[0].message
        );
        // A symbol among the parts: nothing to add, nothing to say.
        let mut with_symbol = kpr_2021("208000");
        with_symbol[1].value = Value::Symbol(Symbol::Confidential);
        assert_eq!(check_consistency(&with_symbol), vec![]);
    }

    #[test]
    fn age_shares_within_rounding_pass_and_beyond_it_are_warned() {
        assert_eq!(
            rounding_tolerance(dec("2"), &[dec("1"), dec("0.2")]),
            dec("1.0")
        );
        assert_eq!(
            rounding_tolerance(dec("3.3"), &[dec("2.9"), dec("0.3")]),
            dec("0.10")
        );
        let wrong = vec![
            obs(PLAN, None, None, "3.3"),
            obs(PLAN, None, Some(AGE_UNDER_67), "2.9"),
            obs(PLAN, None, Some(AGE_67_AND_OVER), "0.6"),
        ];
        let found = check_consistency(&wrong);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.contains("summerer til 3,5 %"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn a_share_above_100_is_warned() {
        let found = check_consistency(&[obs(COORDINATOR, None, None, "120")]);
        assert_eq!(found.len(), 1);
        assert!(found[0].message.contains("120,0 %"), "{}", found[0].message);
        assert!(check_consistency(&[obs(COORDINATOR, None, None, "100")]).is_empty());
    }

    #[test]
    fn titles_breakdowns_and_labels() {
        let code = |t: &str| indicator_for_title(t).map(|i| i.code);
        assert_eq!(
            code("Andel mottakere med koordinator (prosent)"),
            Some(COORDINATOR)
        );
        assert_eq!(
            code("12345: Mottakere av hjemmetjenester med virksom individuell plan, andel"),
            Some(PLAN)
        );
        assert_eq!(
            code("12345: Mottakere av hjemmetjenester (antall)"),
            Some(RECIPIENTS)
        );
        assert_eq!(code("Folkemengde 1. januar"), Some(INHABITANTS));
        assert_eq!(code("Sykefravær"), None);
        // SSB's statistikkvariabel texts, Norwegian and English.
        assert_eq!(
            code("Mottakere av hjemmetjenester med koordinator (prosent)"),
            Some(COORDINATOR)
        );
        assert_eq!(code("Mottakere med koordinator (antall)"), None);
        assert_eq!(
            code("Andel mottakere med individuell plan (prosent)"),
            Some(PLAN)
        );
        assert_eq!(
            code("Recipients with a coordinator (per cent)"),
            Some(COORDINATOR)
        );
        assert_eq!(
            code("Mottakere av hjemmetjenester (personer)"),
            Some(RECIPIENTS)
        );
        assert_eq!(code("Innbyggere 1. januar (personer)"), Some(INHABITANTS));
        assert_eq!(need_level_of("Omfattende"), Ok(Some(NEED_LEVELS[2])));
        assert_eq!(
            need_level_of("Noe/avgrenset bistandsbehov"),
            Ok(Some(NEED_LEVELS[0]))
        );
        assert_eq!(need_level_of("Alle"), Ok(None));
        assert!(need_level_of("Stort").is_err());
        assert_eq!(age_group_of("Under 67 år"), Ok(Some(AGE_UNDER_67)));
        assert_eq!(age_group_of("67 år og over"), Ok(Some(AGE_67_AND_OVER)));
        assert_eq!(age_group_of("67+"), Ok(Some(AGE_67_AND_OVER)));
        assert_eq!(age_group_of("I alt"), Ok(None));
        assert!(age_group_of("18-49 år").is_err());
    }
}
