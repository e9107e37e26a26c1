//! Tables as CSV the way Excel in Norway opens them: UTF-8 with a byte order mark (else
//! Excel guesses Windows-1252 and `ø` breaks), semicolons (the Norwegian list
//! separator), CRLF, quotes only where needed, decimal comma, no thousands separator (so
//! a number stays a number).
//!
//! Formula injection: a text that begins with `=`, `+`, `-`, `@`, tab or CR would be run
//! as a formula by a spreadsheet (`=HYPERLINK(…)`, `@SUM(…)`), so such a text gets a `'`
//! in front and is shown as written. Only text is guarded: numbers and SSB symbols are
//! written by us, so a negative amount (`-5000`) stays a number and `-` stays a symbol.

use rust_decimal::Decimal;

use super::export::{Cell, Table};
use crate::domain::Kroner;

/// The UTF-8 byte order mark that tells Excel the encoding.
pub const BOM: &str = "\u{feff}";

/// What a spreadsheet reads as the start of a formula. The full-width forms are included
/// because some spreadsheets fold them to the ASCII ones.
const FORMULA_STARTS: [char; 10] = [
    '=', '+', '-', '@', '\t', '\r', '\u{ff1d}', '\u{ff0b}', '\u{ff0d}', '\u{ff20}',
];

/// `text` made safe to open in a spreadsheet: prefixed with `'` if it could start a
/// formula, otherwise unchanged.
pub fn guard_text(text: &str) -> String {
    if text.starts_with(FORMULA_STARTS) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// A decimal as a Norwegian spreadsheet reads a number: `-1234,5` (ASCII minus, no
/// grouping, no trailing zeros).
pub fn csv_number(value: Decimal) -> String {
    value.normalize().to_string().replace('.', ",")
}

fn csv_money(amount: Kroner) -> String {
    let d = amount.decimal();
    if d.fract().is_zero() {
        csv_number(d)
    } else {
        format!("{:.2}", d).replace('.', ",")
    }
}

/// One cell's text in CSV, before quoting.
pub fn csv_cell(cell: &Cell) -> String {
    match cell {
        Cell::Text(t) => guard_text(t),
        Cell::Money(k) => csv_money(*k),
        Cell::Count(n) | Cell::Percent(n) | Cell::Points(n) => csv_number(*n),
        Cell::Integer(i) => i.to_string(),
        Cell::Symbol(s) => s.as_str().to_string(),
        Cell::Empty => String::new(),
    }
}

/// A text field of a CSV line: guarded against formulas and quoted where needed.
pub fn text_field(text: &str) -> String {
    quote(&guard_text(text))
}

/// Quotes a field when it holds a separator, a quote or a line break.
fn quote(field: &str) -> String {
    if field.contains([';', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// The table's header and rows as CSV (title and notes are left out: a CSV is one table),
/// with the byte order mark first.
pub fn table_to_csv(table: &Table) -> String {
    let mut out = String::from(BOM);
    let line = |fields: Vec<String>| {
        let mut l = fields
            .iter()
            .map(|f| quote(f))
            .collect::<Vec<_>>()
            .join(";");
        l.push_str("\r\n");
        l
    };
    out.push_str(&line(table.columns.iter().map(|c| guard_text(c)).collect()));
    for row in &table.rows {
        out.push_str(&line(row.iter().map(csv_cell).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::statistics::Symbol;

    fn table(rows: Vec<Vec<Cell>>) -> Table {
        Table {
            title: "Tittel".into(),
            notes: vec![],
            columns: vec!["Søker".into(), "Tildelt".into()],
            rows,
        }
    }

    #[test]
    fn hostile_texts_are_not_formulas() {
        assert_eq!(
            guard_text("=HYPERLINK(\"http://x\",\"klikk\")"),
            "'=HYPERLINK(\"http://x\",\"klikk\")"
        );
        assert_eq!(guard_text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(guard_text("+47 22 00 00 00"), "'+47 22 00 00 00");
        assert_eq!(guard_text("-1+1"), "'-1+1");
        assert_eq!(guard_text("\tcmd"), "'\tcmd");
        assert_eq!(guard_text("\r=1"), "'\r=1");
        assert_eq!(guard_text("\u{ff1d}1+1"), "'\u{ff1d}1+1");
        assert_eq!(guard_text("Fosen helse IKS"), "Fosen helse IKS");
        assert_eq!(guard_text("Øksnes = bra"), "Øksnes = bra");
        assert_eq!(guard_text(""), "");
    }

    #[test]
    fn a_hostile_name_is_guarded_and_quoted_in_the_file() {
        let csv = table_to_csv(&table(vec![
            vec![
                Cell::text("=HYPERLINK(\"http://x\",\"klikk\")"),
                Cell::Money(Kroner::from_whole(1000)),
            ],
            vec![Cell::text("@SUM(A1)"), Cell::Empty],
        ]));
        assert_eq!(
            csv,
            "\u{feff}Søker;Tildelt\r\n\"'=HYPERLINK(\"\"http://x\"\",\"\"klikk\"\")\";1000\r\n'@SUM(A1);\r\n"
        );
    }

    #[test]
    fn our_numbers_stay_numbers() {
        let csv = table_to_csv(&table(vec![vec![
            Cell::Money(Kroner::from_whole(-5000)),
            Cell::Money(Kroner::parse("1234,5").unwrap()),
        ]]));
        assert!(csv.ends_with("\r\n-5000;1234,50\r\n"), "{csv:?}");
        assert_eq!(csv_cell(&Cell::Percent(Decimal::new(1260, 2))), "12,6");
        assert_eq!(csv_cell(&Cell::Count(Decimal::from(208_645))), "208645");
        assert_eq!(csv_cell(&Cell::Integer(2021)), "2021");
        // Symbols are ours too, and never 0.
        assert_eq!(csv_cell(&Cell::Symbol(Symbol::Zero)), "-");
        assert_eq!(csv_cell(&Cell::Symbol(Symbol::Missing)), "..");
        // The same text as a name is guarded.
        assert_eq!(csv_cell(&Cell::text("-5000")), "'-5000");
    }

    #[test]
    fn separators_quotes_and_line_breaks_are_quoted() {
        let csv = table_to_csv(&table(vec![vec![
            Cell::text("Hitra; Frøya"),
            Cell::text("linje 1\nlinje 2"),
        ]]));
        assert!(
            csv.ends_with("\"Hitra; Frøya\";\"linje 1\nlinje 2\"\r\n"),
            "{csv:?}"
        );
        assert_eq!(quote("sa \"hei\""), "\"sa \"\"hei\"\"\"");
    }
}
