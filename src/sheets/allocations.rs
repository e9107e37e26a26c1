//! A table of allocated amounts, as officers keep them: applicant and amount (like the
//! 2019 Trøndelag table), with an optional kommunenummer column, a title above the
//! header and a total row at the bottom.

use serde::{Deserialize, Serialize};

use super::text::{amount_in_column, column_mark, header_is, is_total_label, kommunenummer};
use super::{CellValue, Grid, Problem, Workbook};
use crate::domain::Kroner;
use crate::domain::kommune::Kommunenummer;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AllocationRow {
    pub sheet: String,
    /// Where the amount stood (`C7`).
    pub cell: String,
    pub applicant: String,
    /// Where the applicant stood (`B7`).
    #[serde(default)]
    pub applicant_cell: String,
    pub kommunenummer: Option<Kommunenummer>,
    /// Where the kommunenummer stood (`A7`).
    pub number_cell: Option<String>,
    pub amount: Kroner,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ParsedAllocations {
    pub rows: Vec<AllocationRow>,
    pub total: Kroner,
    pub problems: Vec<Problem>,
}

const APPLICANT: &[&str] = &["Søker", "Kommune", "Mottaker", "Organisasjon", "Navn"];
// «Foreslått» is the app's own export of a round before its decision.
const AMOUNT: &[&str] = &[
    "Tildelt",
    "Tildeling",
    "Beløp",
    "Tilskudd",
    "Innvilget",
    "Foreslått",
];
const NUMBER: &[&str] = &["Kommunenummer", "Kommunenr", "Knr"];

struct Columns {
    header_row: u32,
    applicant: u32,
    amount: u32,
    number: Option<u32>,
}

fn find_header(sheet: &Grid) -> Option<Columns> {
    for row in sheet.used_rows().into_iter().take(30) {
        let cells: Vec<(u32, &CellValue)> = sheet
            .cells
            .range((row, 0)..=(row, u32::MAX))
            .map(|((_, c), v)| (*c, v))
            .collect();
        let col = |wanted: &[&str]| {
            cells
                .iter()
                .find(|(_, v)| matches!(v, CellValue::Text(_)) && header_is(v, wanted))
                .map(|(c, _)| *c)
        };
        // The kommunenummer column is looked for first: "Kommunenummer" also starts with "Kommune".
        let number = col(NUMBER);
        let applicant = cells
            .iter()
            .find(|(c, v)| {
                Some(*c) != number && matches!(v, CellValue::Text(_)) && header_is(v, APPLICANT)
            })
            .map(|(c, _)| *c);
        if let (Some(applicant), Some(amount)) = (applicant, col(AMOUNT)) {
            return Some(Columns {
                header_row: row,
                applicant,
                amount,
                number,
            });
        }
    }
    None
}

pub fn parse(workbook: &Workbook) -> ParsedAllocations {
    let mut parsed = ParsedAllocations::default();
    let visible: Vec<(std::borrow::Cow<Grid>, Vec<Problem>)> =
        workbook.sheets.iter().map(Grid::visible_only).collect();
    let Some((sheet, cols, hidden)) = visible
        .iter()
        .find_map(|(s, hidden)| find_header(s).map(|c| (s, c, hidden)))
    else {
        parsed.problems.push(Problem::error_in(
            workbook.sheets.first().map(|s| s.name.as_str()),
            "Fant ingen overskriftsrad med søker og beløp (for eksempel «Søker» og «Tildelt»).",
        ));
        return parsed;
    };
    let name = sheet.name.clone();
    parsed.problems.extend(hidden.iter().cloned());
    // `600,000` means 600 000 kr in a column that also has `1,234,567`, and 600 kr in
    // one that has `1 234,50`; alone it is refused.
    let mark = column_mark(
        sheet
            .cells
            .range((cols.header_row + 1, 0)..)
            .filter(|((_, c), _)| *c == cols.amount)
            .map(|(_, v)| v),
    );
    let mut sum = Kroner::ZERO;
    // A total row is not checked against rows that could not be read: their cells are
    // the cause, and a sum error after them would only repeat it.
    let mut unread_amounts = false;
    for row in sheet
        .used_rows()
        .into_iter()
        .filter(|r| *r > cols.header_row)
    {
        if sheet.row_is_empty(row) {
            continue;
        }
        let applicant = sheet.text(row, cols.applicant).unwrap_or_default();
        if is_total_label(&applicant) {
            if let Some(value) = sheet.get(row, cols.amount) {
                match amount_in_column(value, mark) {
                    Ok(stated) if stated != sum && !unread_amounts => parsed.problems.push(Problem::error_at(
                        &name,
                        row,
                        cols.amount,
                        format!(
                            "Sum-raden «{applicant}» sier {stated}, men radene summerer til {sum}."
                        ),
                    )),
                    Ok(_) => {}
                    Err(message) => {
                        parsed
                            .problems
                            .push(Problem::error_at(&name, row, cols.amount, message))
                    }
                }
            }
            break;
        }
        if applicant.is_empty() {
            parsed.problems.push(Problem::error_at(
                &name,
                row,
                cols.applicant,
                "Søker mangler på raden.",
            ));
            continue;
        }
        let number = match cols.number.and_then(|c| sheet.get(row, c).map(|v| (c, v))) {
            Some((c, v)) => match kommunenummer(v) {
                Ok(k) => Some(k),
                Err(message) => {
                    parsed
                        .problems
                        .push(Problem::error_at(&name, row, c, message));
                    None
                }
            },
            None => None,
        };
        let Some(value) = sheet.get(row, cols.amount) else {
            parsed.problems.push(Problem::error_at(
                &name,
                row,
                cols.amount,
                format!("Beløp mangler for {applicant}."),
            ));
            continue;
        };
        match amount_in_column(value, mark) {
            Ok(a) => {
                sum = sum + a;
                parsed.rows.push(AllocationRow {
                    sheet: name.clone(),
                    cell: format!("{}{}", super::column_name(cols.amount), row + 1),
                    applicant,
                    applicant_cell: format!("{}{}", super::column_name(cols.applicant), row + 1),
                    kommunenummer: number,
                    number_cell: cols
                        .number
                        .map(|c| format!("{}{}", super::column_name(c), row + 1)),
                    amount: a,
                });
            }
            Err(message) => {
                unread_amounts = true;
                parsed
                    .problems
                    .push(Problem::error_at(&name, row, cols.amount, message))
            }
        }
    }
    if parsed.rows.is_empty() && parsed.problems.is_empty() {
        parsed.problems.push(Problem::error_in(
            Some(&name),
            "Tabellen har ingen rader under overskriften.",
        ));
    }
    parsed.total = sum;
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sheets::read::read_csv;

    #[test]
    fn the_2019_table_with_a_title_and_a_total_row() {
        let csv = "Tildeling 2019;\n;\nKommune;Tildelt 2019\nBjugn;600 000\nFosen helse;700000\nTildelt;1 300 000\n";
        let parsed = parse(&read_csv(csv.as_bytes()).unwrap());
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        assert_eq!(parsed.rows.len(), 2);
        assert_eq!(parsed.total, Kroner::from_whole(1_300_000));
        let wrong = "Søker;Beløp\nBjugn;600000\nSum;1\n";
        let parsed = parse(&read_csv(wrong.as_bytes()).unwrap());
        assert!(
            parsed.problems[0]
                .message
                .contains("summerer til 600\u{a0}000\u{a0}kr")
        );
        assert_eq!(parsed.problems[0].cell.as_deref(), Some("B3"));
    }
}
