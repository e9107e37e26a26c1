//! Reading values the way people type them into spreadsheets.

use rust_decimal::Decimal;

use super::CellValue;
use crate::domain::Kroner;
use crate::domain::kommune::{Kommunenummer, fold_name};
use crate::domain::money::{DecimalMark, MarkShown, MoneyError};

/// An amount from a cell: a number, or text in Norwegian form (`600 000`, `kr 600 000,-`).
/// Text whose decimal mark cannot be told (`600,000`) is refused with both readings.
pub fn amount(value: &CellValue) -> Result<Kroner, String> {
    amount_in_column(value, None)
}

/// The decimal mark a column of amounts uses, as the values that show one agree on;
/// `None` when none shows one or they disagree.
pub fn column_mark<'a>(values: impl IntoIterator<Item = &'a CellValue>) -> Option<DecimalMark> {
    let mut agreed = None;
    for value in values {
        if let CellValue::Text(t) = value
            && let MarkShown::Mark(mark) = Kroner::decimal_mark_shown(t)
        {
            match agreed {
                None => agreed = Some(mark),
                Some(earlier) if earlier != mark => return None,
                Some(_) => {}
            }
        }
    }
    agreed
}

/// An amount from a cell of a column whose decimal mark is `mark` (see [`column_mark`]).
/// A value that could be read two ways is read the column's way, or refused when the
/// column does not tell.
pub fn amount_in_column(value: &CellValue, mark: Option<DecimalMark>) -> Result<Kroner, String> {
    match value {
        CellValue::Number(n) => {
            if let Some(whole) = small_whole_number(n) {
                return Ok(Kroner::from_whole(whole));
            }
            let decimal: Decimal = n
                .parse()
                .map_err(|_| format!("«{}» er ikke et beløp.", value.display()))?;
            Kroner::from_decimal(decimal).map_err(|e| match e {
                MoneyError::NotAnAmount(_) => format!("«{}» er ikke et beløp.", value.display()),
                other => other.to_string(),
            })
        }
        CellValue::Text(t) => {
            let read = match (Kroner::decimal_mark_shown(t), mark) {
                (MarkShown::Neither, _) => Kroner::parse(t),
                (MarkShown::Mark(shown), _) => Kroner::parse_with_mark(t, shown),
                (MarkShown::Either, Some(column)) => Kroner::parse_with_mark(t, column),
                (MarkShown::Either, None) => return Err(two_readings(t)),
            };
            read.map_err(|e| e.to_string())
        }
        other => Err(format!("«{}» er ikke et beløp.", other.display())),
    }
}

/// A number cell of up to ten plain digits, which the general way (Decimal's parser and
/// checks) would take as exactly this many whole kroner, all below the largest amount
/// allowed: most cells of a budget, read without it.
fn small_whole_number(n: &str) -> Option<i64> {
    if n.is_empty() || n.len() > 10 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

fn two_readings(text: &str) -> String {
    let as_comma = Kroner::parse_with_mark(text, DecimalMark::Comma);
    let as_point = Kroner::parse_with_mark(text, DecimalMark::Point);
    let (grouped, decimal) = match (text.contains(','), as_comma, as_point) {
        (true, Ok(decimal), Ok(grouped)) | (false, Ok(grouped), Ok(decimal)) => (grouped, decimal),
        _ => return format!("«{}» er ikke et beløp.", text.trim()),
    };
    format!(
        "«{}» kan leses som {grouped} (tusenskille) eller {decimal} (desimaler). Skriv beløpet uten skilletegn (600000) eller med mellomrom mellom tusener (600 000).",
        text.trim()
    )
}

/// A kommunenummer from a cell; a number that lost its leading zero (301) is 0301.
pub fn kommunenummer(value: &CellValue) -> Result<Kommunenummer, String> {
    let text = match value {
        CellValue::Number(n) => n.trim_end_matches(".0").to_string(),
        other => other.text(),
    };
    Kommunenummer::parse(&text).map_err(|e| e.to_string())
}

/// Whether a header cell names one of `wanted` (folded: case, spaces, æøå spellings).
pub fn header_is(value: &CellValue, wanted: &[&str]) -> bool {
    let text = fold_name(&value.text());
    wanted
        .iter()
        .any(|w| text == fold_name(w) || text.starts_with(&fold_name(w)))
}

/// The labels a total row starts with.
pub fn is_total_label(text: &str) -> bool {
    // Every label starts with s, t or i (folding keeps an ASCII letter or digit's
    // place): the usual budget line is told apart without folding it.
    if let Some(first) = text.trim().chars().next()
        && first.is_ascii_alphanumeric()
        && !matches!(first.to_ascii_lowercase(), 's' | 't' | 'i')
    {
        return false;
    }
    let folded = fold_name(text);
    [
        "sum",
        "totalt",
        "total",
        "tildelt",
        "i alt",
        "sum totalt",
        "totalsum",
    ]
    .iter()
    .any(|l| {
        folded
            .strip_prefix(l)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> CellValue {
        CellValue::Number(s.into())
    }
    fn t(s: &str) -> CellValue {
        CellValue::Text(s.into())
    }

    #[test]
    fn amounts_as_numbers_or_norwegian_text() {
        assert_eq!(amount(&n("600000")), Ok(Kroner::from_whole(600_000)));
        assert_eq!(amount(&n("1234.5")), Ok(Kroner::from_ore(123_450)));
        assert_eq!(amount(&t("600\u{a0}000")), Ok(Kroner::from_whole(600_000)));
        let either = amount(&t("600,000")).unwrap_err();
        assert!(
            either.contains("600\u{a0}000\u{a0}kr (tusenskille)"),
            "{either}"
        );
        assert!(either.contains("600\u{a0}kr (desimaler)"), "{either}");
        assert!(
            amount(&t("1.500"))
                .unwrap_err()
                .contains("1\u{a0}500\u{a0}kr (tusenskille) eller 1,50\u{a0}kr")
        );
        let english = [t("1,234.50"), t("600,000")];
        assert_eq!(column_mark(&english), Some(DecimalMark::Point));
        assert_eq!(
            amount_in_column(&english[1], Some(DecimalMark::Point)),
            Ok(Kroner::from_whole(600_000))
        );
        let norwegian = [t("512 534,50"), t("600,000")];
        assert_eq!(column_mark(&norwegian), Some(DecimalMark::Comma));
        assert_eq!(column_mark(&[t("1,5"), t("1.5")]), None);
        assert_eq!(column_mark(&[t("600,000"), n("5")]), None);
        assert_eq!(amount(&t("kr 600 000,-")), Ok(Kroner::from_whole(600_000)));
        assert_eq!(amount(&t("1 234,50")), Ok(Kroner::from_ore(123_450)));
        assert_eq!(
            amount(&t("12 000,5O")),
            Err("«12 000,5O» er ikke et beløp.".into())
        );
        assert!(amount(&n("1234.567")).unwrap_err().contains("desimaler"));
        assert!(amount(&n("-5")).unwrap_err().contains("negativt"));
    }

    proptest::proptest! {
        /// The shortcut for whole numbers gives what Decimal's parser and checks give.
        #[test]
        fn whole_numbers_read_as_the_general_way_reads_them(n in "[0-9]{1,12}") {
            let general = n
                .parse::<Decimal>()
                .map_err(|_| ())
                .and_then(|d| Kroner::from_decimal(d).map_err(|_| ()));
            match small_whole_number(&n) {
                Some(whole) => {
                    let shortcut = Kroner::from_whole(whole);
                    proptest::prop_assert_eq!(Ok(shortcut), general);
                    proptest::prop_assert_eq!(
                        shortcut.to_api_string(),
                        general.unwrap().to_api_string()
                    );
                }
                None => proptest::prop_assert!(n.len() > 10),
            }
            proptest::prop_assert_eq!(amount(&n_cell(&n)).ok(), general.ok());
        }
    }

    fn n_cell(s: &str) -> CellValue {
        CellValue::Number(s.into())
    }

    #[test]
    fn kommunenummer_with_lost_zero() {
        assert_eq!(kommunenummer(&n("301")).unwrap().as_str(), "0301");
        assert_eq!(kommunenummer(&t("5001")).unwrap().as_str(), "5001");
        assert!(kommunenummer(&t("Oslo")).is_err());
    }

    proptest::proptest! {
        /// The first-letter shortcut agrees with folding the whole label.
        #[test]
        fn total_label_shortcut_agrees(text in "[ -]{0,2}[A-Za-zÆØÅæøåİ0-9 -]{0,12}") {
            let folded = fold_name(&text);
            let by_folding = ["sum", "totalt", "total", "tildelt", "i alt", "sum totalt", "totalsum"]
                .iter()
                .any(|l| folded == *l || folded.starts_with(&format!("{l} ")));
            proptest::prop_assert_eq!(is_total_label(&text), by_folding);
        }
    }

    #[test]
    fn total_rows() {
        for label in ["Sum", "SUM", "Totalt", "Tildelt", "I alt"] {
            assert!(is_total_label(label), "{label}");
        }
        assert!(!is_total_label("Summit kommune"));
        assert!(!is_total_label("Trondheim"));
    }
}
