//! Money: `Kroner`, an exact amount with at most two decimals (øre).
//!
//! Stored as whole øre (`i64`) in the database; parsed from the ways Norwegians type
//! amounts (`600 000`, `600.000`, `kr 600 000,-`, `1 234,50`) and shown as
//! `13 914 871 kr` with a no-break space between groups of thousands.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, Sub};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The largest amount a person may type: 10 milliarder kroner. Far above any pool,
/// far below where øre would overflow an `i64`.
pub const MAX_INPUT_KRONER: i64 = 10_000_000_000;

const NBSP: char = '\u{a0}';

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Kroner(Decimal);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoneyError {
    Empty,
    NotAnAmount(String),
    Negative,
    TooManyDecimals,
    TooLarge,
}

impl fmt::Display for MoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MoneyError::Empty => write!(f, "Beløpet må fylles ut."),
            MoneyError::NotAnAmount(text) => write!(f, "«{text}» er ikke et beløp."),
            MoneyError::Negative => write!(f, "Beløpet kan ikke være negativt."),
            MoneyError::TooManyDecimals => {
                write!(f, "Beløpet kan ha høyst to desimaler (hele øre).")
            }
            MoneyError::TooLarge => write!(
                f,
                "Beløpet er for stort (høyst {}).",
                Kroner::from_whole(MAX_INPUT_KRONER)
            ),
        }
    }
}

impl std::error::Error for MoneyError {}

impl Kroner {
    pub const ZERO: Kroner = Kroner(Decimal::ZERO);

    pub fn from_whole(kroner: i64) -> Self {
        Kroner(Decimal::from(kroner))
    }

    pub fn from_ore(ore: i64) -> Self {
        // What `Decimal::new(ore, 2).normalize()` gives, without normalize's loop: the
        // engine builds one per claim.
        let (mantissa, scale) = if ore % 100 == 0 {
            (ore / 100, 0)
        } else if ore % 10 == 0 {
            (ore / 10, 1)
        } else {
            (ore, 2)
        };
        Kroner(Decimal::new(mantissa, scale))
    }

    /// Whole øre; `None` when the amount has fractions of an øre or does not fit.
    pub fn to_ore(self) -> Option<i64> {
        // On the mantissa rather than with Decimal arithmetic: exact, and cheap enough
        // for the engine's inner loops.
        let mantissa = self.0.mantissa();
        let scale = self.0.scale();
        let ore = if scale <= 2 {
            mantissa.checked_mul(10i128.pow(2 - scale))?
        } else {
            let divisor = 10i128.pow(scale - 2);
            if mantissa % divisor != 0 {
                return None;
            }
            mantissa / divisor
        };
        i64::try_from(ore).ok()
    }

    /// Whole øre for an amount already known to be valid (every `Kroner` built by this
    /// module is); saturates instead of panicking if that promise is ever broken.
    pub fn ore(self) -> i64 {
        self.to_ore().unwrap_or(if self.0.is_sign_negative() {
            i64::MIN
        } else {
            i64::MAX
        })
    }

    pub fn from_decimal(value: Decimal) -> Result<Self, MoneyError> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(MoneyError::Negative);
        }
        if value.normalize().scale() > 2 {
            return Err(MoneyError::TooManyDecimals);
        }
        if value > Decimal::from(MAX_INPUT_KRONER) {
            return Err(MoneyError::TooLarge);
        }
        Ok(Kroner(value.normalize()))
    }

    pub fn decimal(self) -> Decimal {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    /// Parses an amount as a person types it. Accepts a leading `kr`/`NOK`, a trailing `kr`
    /// or `,-`, spaces (also no-break and thin) or dots between groups of thousands, and a
    /// decimal comma, or a decimal point followed by one or two digits (`125000.50`).
    pub fn parse(input: &str) -> Result<Self, MoneyError> {
        // Up to ten plain digits (how the API and the sheets' amounts arrive): nothing to
        // strip or group, and below the largest amount allowed.
        let trimmed = input.trim();
        if !trimmed.is_empty()
            && trimmed.len() <= 10
            && trimmed.bytes().all(|b| b.is_ascii_digit())
            && let Ok(whole) = trimmed.parse::<i64>()
        {
            return Ok(Kroner::from_whole(whole));
        }
        Self::parse_general(input)
    }

    fn parse_general(input: &str) -> Result<Self, MoneyError> {
        let original = input.trim();
        if original.is_empty() {
            return Err(MoneyError::Empty);
        }
        let not_amount = || MoneyError::NotAnAmount(original.to_string());

        let mut text = strip_currency(original);
        if let Some(rest) = text.strip_prefix('-') {
            // A lone "-" is how some people write zero in a table; a sign before digits is negative.
            if rest.trim().is_empty() {
                return Ok(Kroner::ZERO);
            }
            if rest.trim_start().starts_with(|c: char| c.is_ascii_digit()) {
                return Err(MoneyError::Negative);
            }
            return Err(not_amount());
        }
        text = text.strip_prefix('+').unwrap_or(text).trim();

        let (integer_part, fraction) = split_decimal(text).ok_or_else(not_amount)?;
        let digits = group_digits(integer_part).ok_or_else(not_amount)?;
        let fraction_digits = match fraction {
            Some(f) if f.is_empty() || !f.chars().all(|c| c.is_ascii_digit()) => {
                return Err(not_amount());
            }
            Some(f) => f,
            None => "",
        };
        let normalized = if fraction_digits.is_empty() {
            digits
        } else {
            format!("{digits}.{fraction_digits}")
        };
        if digits_len(&normalized) > 20 {
            return Err(MoneyError::TooLarge);
        }
        let value: Decimal = normalized.parse().map_err(|_| not_amount())?;
        Kroner::from_decimal(value)
    }

    /// Which decimal mark a typed amount shows. `600,000` and `1.500` show none for
    /// sure: three digits after a lone `,` or `.` may be a decimal part or a thousands
    /// group, and read the wrong way they are off by a factor of a thousand.
    pub fn decimal_mark_shown(input: &str) -> MarkShown {
        let text = strip_currency(input.trim());
        let text = text.trim_start_matches(['-', '+']).trim();
        let commas = text.matches(',').count();
        let points = text.matches('.').count();
        match (commas, points) {
            (0, 0) => MarkShown::Neither,
            (c, p) if c > 0 && p > 0 => {
                // Whichever comes last is the decimal mark: `1.234,50`, `1,234.50`.
                if text.rfind(',') > text.rfind('.') {
                    MarkShown::Mark(DecimalMark::Comma)
                } else {
                    MarkShown::Mark(DecimalMark::Point)
                }
            }
            (c, _) if c > 1 => MarkShown::Mark(DecimalMark::Point),
            (_, p) if p > 1 => MarkShown::Mark(DecimalMark::Comma),
            (1, 0) => lone_mark(text, ',', DecimalMark::Comma),
            _ => lone_mark(text, '.', DecimalMark::Point),
        }
    }

    /// Parses with a known decimal mark; the other of `,` and `.` (or spaces) groups
    /// thousands, in groups of exactly three.
    pub fn parse_with_mark(input: &str, mark: DecimalMark) -> Result<Self, MoneyError> {
        let original = input.trim();
        if original.is_empty() {
            return Err(MoneyError::Empty);
        }
        let not_amount = || MoneyError::NotAnAmount(original.to_string());
        let text = strip_currency(original);
        if let Some(rest) = text.strip_prefix('-') {
            if rest.trim().is_empty() {
                return Ok(Kroner::ZERO);
            }
            return Err(MoneyError::Negative);
        }
        let text = text.strip_prefix('+').unwrap_or(text).trim();
        let (decimal, grouping) = match mark {
            DecimalMark::Comma => (',', '.'),
            DecimalMark::Point => ('.', ','),
        };
        let (integer_part, fraction) = match text.split_once(decimal) {
            Some((_, f)) if f.contains(decimal) || f.contains(grouping) => return Err(not_amount()),
            Some((i, f)) => (i, Some(f)),
            None => (text, None),
        };
        if fraction.is_some_and(|f| f.is_empty() || !f.chars().all(|c| c.is_ascii_digit())) {
            return Err(not_amount());
        }
        let digits = group_digits(&integer_part.replace(grouping, ".")).ok_or_else(not_amount)?;
        let normalized = match fraction {
            Some(f) => format!("{digits}.{f}"),
            None => digits,
        };
        if digits_len(&normalized) > 20 {
            return Err(MoneyError::TooLarge);
        }
        let value: Decimal = normalized.parse().map_err(|_| not_amount())?;
        Kroner::from_decimal(value)
    }

    pub fn checked_add(self, other: Kroner) -> Option<Kroner> {
        self.0.checked_add(other.0).map(Kroner)
    }

    /// `part` as a share of `self`, in percent with one decimal, for display (`61,3 %`).
    pub fn percent_of(part: Kroner, whole: Kroner) -> Option<Decimal> {
        if whole.is_zero() {
            return None;
        }
        Some((part.0 * Decimal::ONE_HUNDRED / whole.0).round_dp(1))
    }

    /// The amount as the API writes it: a decimal string with a point, no grouping,
    /// two decimals only when there are øre (`"13914871"`, `"125000.50"`).
    pub fn to_api_string(self) -> String {
        // Whole øre and not negative (every valid amount): from the integer, as Decimal
        // would write it; a preview writes two per budget line.
        if !self.0.is_sign_negative()
            && let Some(ore) = self.to_ore()
        {
            return if ore % 100 == 0 {
                (ore / 100).to_string()
            } else {
                format!("{}.{:02}", ore / 100, ore % 100)
            };
        }
        self.to_api_string_general()
    }

    fn to_api_string_general(self) -> String {
        if self.0.fract().is_zero() {
            self.0.trunc().to_string()
        } else {
            format!("{:.2}", self.0)
        }
    }

    /// The number alone in Norwegian form (`13 914 871`, `1 234,50`), without `kr`;
    /// what a form field shows.
    pub fn to_input_string(self) -> String {
        // Every valid amount is whole øre: formatted from the integer, without Decimal.
        if let Some(ore) = self.to_ore() {
            let mut out = String::with_capacity(24);
            push_ore_number(&mut out, ore);
            return out;
        }
        let negative = self.is_negative();
        let abs = self.0.abs();
        let whole = abs.trunc().to_string();
        let mut grouped = String::with_capacity(whole.len() * 2);
        push_grouped(&mut grouped, &whole);
        let sign = if negative { "−" } else { "" };
        if abs.fract().is_zero() {
            format!("{sign}{grouped}")
        } else {
            let ore = (abs.fract() * Decimal::ONE_HUNDRED).round();
            format!("{sign}{grouped},{ore:0>2}")
        }
    }

    /// What `Display` writes (`13 914 871 kr`), appended to `out`: the allocation engine
    /// writes several amounts into each of thousands of explanations.
    pub fn push_text(self, out: &mut String) {
        match self.to_ore() {
            Some(ore) => {
                push_ore_number(out, ore);
                out.push(NBSP);
                out.push_str("kr");
            }
            None => {
                use fmt::Write;
                let _ = write!(out, "{self}");
            }
        }
    }
}

/// Whole øre as `to_input_string` writes them (`−1 234,50`), appended to `out`.
pub(crate) fn push_ore_number(out: &mut String, ore: i64) {
    if ore < 0 {
        out.push('−');
    }
    let abs = ore.unsigned_abs();
    push_grouped_integer(out, u128::from(abs / 100));
    let fraction = abs % 100;
    if fraction != 0 {
        out.push(',');
        out.push(char::from(b'0' + (fraction / 10) as u8));
        out.push(char::from(b'0' + (fraction % 10) as u8));
    }
}

/// The decimal digits of `value` at the end of `buf`; answers where they start.
fn digits_into(buf: &mut [u8; 40], value: u128) -> usize {
    let mut start = buf.len();
    // u64 division is far cheaper than u128; amounts fit in practice.
    match u64::try_from(value) {
        Ok(mut v) => loop {
            start -= 1;
            buf[start] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                return start;
            }
        },
        Err(_) => {
            let mut v = value;
            loop {
                start -= 1;
                buf[start] = b'0' + (v % 10) as u8;
                v /= 10;
                if v == 0 {
                    return start;
                }
            }
        }
    }
}

/// `1234567` → `1 234 567` (no-break spaces), appended to `out` without an
/// intermediate string.
pub(crate) fn push_grouped_integer(out: &mut String, value: u128) {
    let mut buf = [0u8; 40];
    let start = digits_into(&mut buf, value);
    let digits = &buf[start..];
    for (i, &d) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(NBSP);
        }
        out.push(char::from(d));
    }
}

/// A count as the pages show it: `9866` → `9 866` (no-break space), `-5` → `−5`; any
/// whole number a template has (`usize`, `&i64` …).
pub fn grouped_number(value: impl fmt::Display) -> String {
    let text = value.to_string();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let mut out = String::with_capacity(text.len() + 4);
    if negative {
        out.push('−');
    }
    push_grouped(&mut out, digits);
    out
}

/// `1234567` → `1234567`, as `{}` writes it (no grouping), appended to `out`.
pub(crate) fn push_integer(out: &mut String, value: u128) {
    let mut buf = [0u8; 40];
    let start = digits_into(&mut buf, value);
    for &d in &buf[start..] {
        out.push(char::from(d));
    }
}

/// `1234567` → `1 234 567` (no-break spaces).
fn push_grouped(out: &mut String, digits: &str) {
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(NBSP);
        }
        out.push(ch);
    }
}

fn digits_len(s: &str) -> usize {
    s.chars().filter(char::is_ascii_digit).count()
}

/// The character that separates kroner from øre in a typed amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalMark {
    /// `1 234,50` (Norwegian).
    Comma,
    /// `1,234.50` (English).
    Point,
}

/// What one typed amount tells about its decimal mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkShown {
    /// No `,` or `.` at all.
    Neither,
    Mark(DecimalMark),
    /// A lone `,` or `.` followed by exactly three digits: `600,000`.
    Either,
}

/// A lone separator: three digits after it, after one to three digits without spaces
/// and without a leading zero, could be a thousands group as well as decimals.
fn lone_mark(text: &str, separator: char, mark: DecimalMark) -> MarkShown {
    let (int, frac) = text.split_once(separator).unwrap_or((text, ""));
    let int = int.trim();
    let could_group = frac.len() == 3
        && frac.chars().all(|c| c.is_ascii_digit())
        && (1..=3).contains(&int.len())
        && int.chars().all(|c| c.is_ascii_digit())
        && !int.starts_with('0');
    if could_group {
        MarkShown::Either
    } else {
        MarkShown::Mark(mark)
    }
}

fn strip_currency(text: &str) -> &str {
    let mut t = text.trim();
    for prefix in ["kr.", "kr", "KR", "Kr", "NOK", "nok"] {
        if let Some(rest) = t.strip_prefix(prefix) {
            t = rest.trim_start();
            break;
        }
    }
    for suffix in [",-", ".-", ",–", ",—"] {
        if let Some(rest) = t.strip_suffix(suffix) {
            t = rest.trim_end();
            break;
        }
    }
    for suffix in ["kr", "NOK", "kr."] {
        if let Some(rest) = t.strip_suffix(suffix) {
            t = rest.trim_end();
            break;
        }
    }
    for suffix in [",-", ".-"] {
        if let Some(rest) = t.strip_suffix(suffix) {
            t = rest.trim_end();
            break;
        }
    }
    t
}

fn is_space(c: char) -> bool {
    c == ' ' || c == NBSP || c == '\u{202f}' || c == '\u{2009}'
}

/// Splits into the integer part and the decimals, deciding what a `.` means:
/// with a comma present, or when followed by exactly three digits, it groups thousands;
/// otherwise it is a decimal point.
fn split_decimal(text: &str) -> Option<(&str, Option<&str>)> {
    if text.matches(',').count() > 1 {
        return None;
    }
    if let Some((int, frac)) = text.split_once(',') {
        return Some((int, Some(frac)));
    }
    let dots = text.matches('.').count();
    if dots == 1 {
        let (int, frac) = text.split_once('.')?;
        if frac.len() == 3 && frac.chars().all(|c| c.is_ascii_digit()) && !int.is_empty() {
            return Some((text, None));
        }
        return Some((int, Some(frac)));
    }
    Some((text, None))
}

/// Removes thousands separators (space variants or dots) after checking that every group
/// after the first has exactly three digits. Returns the bare digits.
fn group_digits(int_part: &str) -> Option<String> {
    let int_part = int_part.trim();
    if int_part.is_empty() {
        return None;
    }
    let uses_dots = int_part.contains('.');
    let uses_spaces = int_part.chars().any(is_space);
    if uses_dots && uses_spaces {
        return None;
    }
    let groups: Vec<&str> = if uses_dots {
        int_part.split('.').collect()
    } else if uses_spaces {
        int_part.split(is_space).filter(|g| !g.is_empty()).collect()
    } else {
        vec![int_part]
    };
    for (i, group) in groups.iter().enumerate() {
        if group.is_empty() || !group.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        if i > 0 && group.len() != 3 {
            return None;
        }
        if i == 0 && groups.len() > 1 && group.len() > 3 {
            return None;
        }
    }
    Some(groups.concat())
}

impl fmt::Display for Kroner {
    /// `13 914 871 kr`, `1 234,50 kr` (no-break spaces).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{NBSP}kr", self.to_input_string())
    }
}

impl Add for Kroner {
    type Output = Kroner;
    fn add(self, rhs: Kroner) -> Kroner {
        Kroner(self.0 + rhs.0)
    }
}

impl Sub for Kroner {
    type Output = Kroner;
    fn sub(self, rhs: Kroner) -> Kroner {
        Kroner(self.0 - rhs.0)
    }
}

impl Sum for Kroner {
    fn sum<I: Iterator<Item = Kroner>>(iter: I) -> Kroner {
        iter.fold(Kroner::ZERO, |a, b| a + b)
    }
}

impl Serialize for Kroner {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_api_string())
    }
}

/// In the API an amount is decimal text in kroner: `"13914871"`, `"125000.50"`.
impl schemars::JsonSchema for Kroner {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Kroner".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^-?[0-9]+(\\.[0-9]{1,2})?$",
            "description": "Beløp i kroner som desimaltekst, høyst to desimaler (øre)."
        })
    }
}

impl<'de> Deserialize<'de> for Kroner {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Kroner::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod grouped_tests {
    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(super::grouped_number(9866), "9\u{a0}866");
        assert_eq!(super::grouped_number(0), "0");
        assert_eq!(
            super::grouped_number(-1_234_567_i64),
            "−1\u{a0}234\u{a0}567"
        );
        assert_eq!(super::grouped_number(999u32), "999");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_separator_before_three_digits_is_either_reading() {
        use MarkShown::*;
        assert_eq!(Kroner::decimal_mark_shown("600,000"), Either);
        assert_eq!(Kroner::decimal_mark_shown("1.500"), Either);
        assert_eq!(Kroner::decimal_mark_shown("kr 12,345"), Either);
        assert_eq!(Kroner::decimal_mark_shown("600 000"), Neither);
        assert_eq!(
            Kroner::decimal_mark_shown("600,50"),
            Mark(DecimalMark::Comma)
        );
        assert_eq!(
            Kroner::decimal_mark_shown("1234,567"),
            Mark(DecimalMark::Comma)
        );
        assert_eq!(
            Kroner::decimal_mark_shown("0,500"),
            Mark(DecimalMark::Comma)
        );
        assert_eq!(
            Kroner::decimal_mark_shown("1 234,567"),
            Mark(DecimalMark::Comma)
        );
        assert_eq!(
            Kroner::decimal_mark_shown("1.234.567"),
            Mark(DecimalMark::Comma)
        );
        assert_eq!(
            Kroner::decimal_mark_shown("1,234,567"),
            Mark(DecimalMark::Point)
        );
        assert_eq!(
            Kroner::decimal_mark_shown("1.234,5"),
            Mark(DecimalMark::Comma)
        );
        assert_eq!(
            Kroner::decimal_mark_shown("1,234.50"),
            Mark(DecimalMark::Point)
        );
    }

    #[test]
    fn parsing_with_a_known_mark() {
        let comma = |t| Kroner::parse_with_mark(t, DecimalMark::Comma);
        let point = |t| Kroner::parse_with_mark(t, DecimalMark::Point);
        assert_eq!(comma("600,000"), Ok(Kroner::from_whole(600)));
        assert_eq!(point("600,000"), Ok(Kroner::from_whole(600_000)));
        assert_eq!(comma("1.234.567,50"), Ok(Kroner::from_ore(123_456_750)));
        assert_eq!(point("1,234,567.50"), Ok(Kroner::from_ore(123_456_750)));
        assert_eq!(comma("kr 600 000,-"), Ok(Kroner::from_whole(600_000)));
        assert!(point("1,23").is_err());
        assert!(comma("1,234.5").is_err());
        assert!(comma("12,345,6").is_err());
    }
    use proptest::prelude::*;

    fn kr(s: &str) -> Kroner {
        Kroner::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_norwegian_forms() {
        assert_eq!(kr("600 000"), Kroner::from_whole(600_000));
        assert_eq!(kr("600\u{a0}000"), Kroner::from_whole(600_000));
        assert_eq!(kr("600.000"), Kroner::from_whole(600_000));
        assert_eq!(kr("kr 600 000,-"), Kroner::from_whole(600_000));
        assert_eq!(kr("600 000 kr"), Kroner::from_whole(600_000));
        assert_eq!(kr("1 234,50"), Kroner::from_ore(123_450));
        assert_eq!(kr("1.234,50"), Kroner::from_ore(123_450));
        assert_eq!(kr("125000.50"), Kroner::from_ore(12_500_050));
        assert_eq!(kr("13914871"), Kroner::from_whole(13_914_871));
        assert_eq!(kr("0"), Kroner::ZERO);
        assert_eq!(kr("-"), Kroner::ZERO);
        assert_eq!(kr("NOK 2 649 770"), Kroner::from_whole(2_649_770));
    }

    #[test]
    fn rejects_what_is_not_an_amount() {
        assert_eq!(Kroner::parse(""), Err(MoneyError::Empty));
        assert_eq!(Kroner::parse("   "), Err(MoneyError::Empty));
        assert_eq!(Kroner::parse("-5"), Err(MoneyError::Negative));
        assert_eq!(Kroner::parse("1,234"), Err(MoneyError::TooManyDecimals));
        assert!(matches!(
            Kroner::parse("12 000,5O"),
            Err(MoneyError::NotAnAmount(_))
        ));
        assert!(matches!(
            Kroner::parse("abc"),
            Err(MoneyError::NotAnAmount(_))
        ));
        assert!(matches!(
            Kroner::parse("1 00"),
            Err(MoneyError::NotAnAmount(_))
        ));
        assert!(matches!(
            Kroner::parse("1,2,3"),
            Err(MoneyError::NotAnAmount(_))
        ));
        assert_eq!(
            Kroner::parse("99999999999999999999999"),
            Err(MoneyError::TooLarge)
        );
        assert_eq!(Kroner::parse("10 000 000 001"), Err(MoneyError::TooLarge));
        assert_eq!(
            Kroner::parse("12 000,5O").unwrap_err().to_string(),
            "«12 000,5O» er ikke et beløp."
        );
    }

    #[test]
    fn displays_norwegian() {
        assert_eq!(
            Kroner::from_whole(13_914_871).to_string(),
            "13\u{a0}914\u{a0}871\u{a0}kr"
        );
        assert_eq!(
            Kroner::from_ore(123_450).to_string(),
            "1\u{a0}234,50\u{a0}kr"
        );
        assert_eq!(Kroner::from_whole(0).to_string(), "0\u{a0}kr");
        assert_eq!(Kroner::from_whole(999).to_string(), "999\u{a0}kr");
        assert_eq!(Kroner::from_ore(5).to_string(), "0,05\u{a0}kr");
        assert_eq!(Kroner::from_whole(13_914_871).to_api_string(), "13914871");
        assert_eq!(Kroner::from_ore(12_500_050).to_api_string(), "125000.50");
    }

    proptest! {
        /// The integer shortcuts give what the Decimal arithmetic gave.
        #[test]
        fn ore_shortcuts_equal_decimal(ore in -2_000_000_000_000i64..2_000_000_000_000) {
            let k = Kroner::from_ore(ore);
            let reference = Decimal::new(ore, 2).normalize();
            prop_assert_eq!(k.0, reference);
            prop_assert_eq!(k.0.scale(), reference.scale());
            prop_assert_eq!(k.to_ore(), Some(ore));
            let whole = reference.abs().trunc().to_string();
            let mut grouped = String::new();
            push_grouped(&mut grouped, &whole);
            let sign = if ore < 0 { "−" } else { "" };
            let expected = if ore % 100 == 0 {
                format!("{sign}{grouped}")
            } else {
                format!("{sign}{grouped},{:02}", ore.unsigned_abs() % 100)
            };
            prop_assert_eq!(k.to_input_string(), expected.clone());
            let mut pushed = String::from("x");
            k.push_text(&mut pushed);
            prop_assert_eq!(pushed, format!("x{expected}{NBSP}kr"));
        }

        /// The digit loop groups as the string way does, also beyond `u64`.
        #[test]
        fn grouped_integer_equals_string_grouping(value in any::<u128>(), small in any::<u64>()) {
            for v in [value, u128::from(small)] {
                let mut expected = String::new();
                push_grouped(&mut expected, &v.to_string());
                let mut pushed = String::new();
                push_grouped_integer(&mut pushed, v);
                prop_assert_eq!(pushed, expected);
                let mut plain = String::new();
                push_integer(&mut plain, v);
                prop_assert_eq!(plain, v.to_string());
            }
        }
    }

    proptest! {
        /// The shortcuts for plain digits and whole øre give what the general way gives.
        #[test]
        fn parse_shortcut_equals_general(digits in "[0-9]{1,12}", pad in " {0,2}") {
            let input = format!("{pad}{digits}{pad}");
            let (fast, general) = (Kroner::parse(&input), Kroner::parse_general(&input));
            prop_assert_eq!(&fast, &general);
            if let (Ok(fast), Ok(general)) = (fast, general) {
                prop_assert_eq!(fast.0.scale(), general.0.scale());
                prop_assert_eq!(fast.0.is_sign_negative(), general.0.is_sign_negative());
            }
        }

        #[test]
        fn api_string_shortcut_equals_general(mantissa in -1_000_000_000_000i64..1_000_000_000_000, scale in 0u32..6) {
            let k = Kroner(Decimal::new(mantissa, scale));
            prop_assert_eq!(k.to_api_string(), k.to_api_string_general());
            let sum = Kroner::from_ore(mantissa.abs()) + Kroner::from_ore(mantissa.abs() % 1000);
            prop_assert_eq!(sum.to_api_string(), sum.to_api_string_general());
        }

        #[test]
        fn ore_round_trips(ore in 0i64..=MAX_INPUT_KRONER * 100) {
            let k = Kroner::from_ore(ore);
            prop_assert_eq!(k.to_ore(), Some(ore));
        }

        #[test]
        fn display_parses_back(ore in 0i64..=MAX_INPUT_KRONER * 100) {
            let k = Kroner::from_ore(ore);
            prop_assert_eq!(Kroner::parse(&k.to_string()), Ok(k));
            prop_assert_eq!(Kroner::parse(&k.to_input_string()), Ok(k));
            prop_assert_eq!(Kroner::parse(&k.to_api_string()), Ok(k));
        }

        #[test]
        fn grouped_forms_agree(whole in 0i64..=MAX_INPUT_KRONER) {
            let plain = whole.to_string();
            let mut dotted = String::new();
            for (i, ch) in plain.chars().enumerate() {
                if i > 0 && (plain.len() - i) % 3 == 0 { dotted.push('.'); }
                dotted.push(ch);
            }
            let spaced = dotted.replace('.', " ");
            let expected = Kroner::from_whole(whole);
            prop_assert_eq!(Kroner::parse(&plain), Ok(expected));
            prop_assert_eq!(Kroner::parse(&spaced), Ok(expected));
            prop_assert_eq!(Kroner::parse(&format!("kr {spaced},-")), Ok(expected));
            // "1.234" style is thousands; "1.23" would be decimals; both are exact.
            prop_assert_eq!(Kroner::parse(&dotted), Ok(expected));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = Kroner::parse(&s);
        }

        #[test]
        fn parsed_amounts_are_whole_ore(s in "[0-9 .,]{1,20}") {
            if let Ok(k) = Kroner::parse(&s) {
                prop_assert!(k.to_ore().is_some());
                prop_assert!(!k.is_negative());
            }
        }
    }
}
