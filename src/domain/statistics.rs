//! Statistics: indicators, their observations per region and year, and SSB's symbols
//! for a value that is not there.
//!
//! Shares are exact decimals of a percentage (`12.6` means 12,6 %), counts are whole
//! numbers. A missing value is never 0: it keeps the symbol that says why.

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A cell of a statistics table: a number, or a symbol saying why there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
            Unit::Prosent => format!("{} %", number_text(n)),
            Unit::Antall => number_text(n),
        },
    }
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
}
