//! The final report workbook (sluttrapport): made for one grant with its budget lines,
//! filled in by the recipient in Excel or LibreOffice, and read back with the same
//! tolerance as an application workbook (a moved header, a title above it, amounts typed
//! as text, a total row, hidden rows left out with a warning), every problem named by
//! sheet and cell.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Formula, Workbook, XlsxError};

use super::text::{amount_in_column, column_mark, header_is, is_total_label};
use super::{Grid, Problem, Severity, Workbook as ReadWorkbook};
use crate::domain::Kroner;
use crate::domain::application::BudgetLine;
use crate::domain::followup::{FinalReportInput, SpentInput, SpentLineInput};
use crate::domain::kommune::fold_name;

pub const REPORT_SHEET: &str = "Sluttrapport";
pub const ACCOUNTS_SHEET: &str = "Regnskap";

pub const LABEL_NARRATIVE: &str = "Gjennomføring og resultat";
pub const LABEL_AUDITOR: &str = "Bekreftet av revisor (ja/nei)";

/// Columns of the Regnskap sheet, left to right.
pub const ACCOUNTS_HEADERS: [&str; 4] = ["Kategori", "Beskrivelse", "Søkt (kr)", "Brukt (kr)"];
const HEADER_ROW: u32 = 2;
const INPUT_ROWS: u32 = 50;

/// What the workbook is made for.
pub struct ReportFacts<'a> {
    pub round: &'a str,
    pub applicant: &'a str,
    pub application_id: i64,
    pub granted: Kroner,
    pub auditor_threshold: Kroner,
    /// The application's budget lines, to fill in what was spent on each.
    pub lines: &'a [BudgetLine],
}

pub fn report_workbook(facts: &ReportFacts) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let heading = Format::new().set_bold().set_font_size(14);
    let label = Format::new()
        .set_bold()
        .set_background_color("#DDEAF6")
        .set_border(FormatBorder::Thin);
    let input = Format::new()
        .set_unlocked()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    let money = Format::new().set_num_format("#,##0.00");
    let input_money = money.clone().set_unlocked().set_border(FormatBorder::Thin);
    let bold_money = money.clone().set_bold().set_border(FormatBorder::Thin);

    let sheet = workbook.add_worksheet();
    sheet.set_name(REPORT_SHEET)?;
    sheet.set_column_width(0, 32)?;
    sheet.set_column_width(1, 80)?;
    sheet.write_string_with_format(0, 0, "Sluttrapport for tilskudd", &heading)?;
    sheet.write_string(1, 0, facts.round)?;
    let fixed = [
        ("Mottaker", facts.applicant.to_string()),
        ("Søknad", facts.application_id.to_string()),
        ("Tilskudd (kr)", facts.granted.to_input_string()),
    ];
    for (i, (text, value)) in fixed.iter().enumerate() {
        sheet.write_string_with_format(3 + i as u32, 0, *text, &label)?;
        sheet.write_string(3 + i as u32, 1, value)?;
    }
    sheet.write_string_with_format(7, 0, LABEL_NARRATIVE, &label)?;
    sheet.write_string_with_format(7, 1, "", &input)?;
    sheet.set_row_height(7, 150)?;
    sheet.write_string_with_format(8, 0, LABEL_AUDITOR, &label)?;
    sheet.write_string_with_format(8, 1, "", &input)?;
    sheet.write_string(
        10,
        0,
        format!(
            "Fyll inn hva som er brukt på arket {ACCOUNTS_SHEET}. Fra {} må revisor bekrefte prosjektregnskapet.",
            facts.auditor_threshold
        ),
    )?;
    sheet.protect();

    let sheet = workbook.add_worksheet();
    sheet.set_name(ACCOUNTS_SHEET)?;
    sheet.write_string_with_format(0, 0, "Prosjektregnskap", &heading)?;
    for (col, width) in [(0u16, 28.0), (1, 50.0), (2, 16.0), (3, 16.0)] {
        sheet.set_column_width(col, width)?;
    }
    for (col, text) in ACCOUNTS_HEADERS.iter().enumerate() {
        sheet.write_string_with_format(HEADER_ROW, col as u16, *text, &label)?;
    }
    for i in 0..INPUT_ROWS {
        let row = HEADER_ROW + 1 + i;
        match facts.lines.get(i as usize) {
            Some(line) => {
                sheet.write_string_with_format(row, 0, &line.category, &input)?;
                sheet.write_string_with_format(row, 1, &line.description, &input)?;
                sheet.write_with_format(row, 2, line.applied.decimal(), &money)?;
            }
            None => {
                sheet.write_string_with_format(row, 0, "", &input)?;
                sheet.write_string_with_format(row, 1, "", &input)?;
            }
        }
        sheet.write_blank(row, 3, &input_money)?;
    }
    let total_row = HEADER_ROW + 1 + INPUT_ROWS;
    let applied: rust_decimal::Decimal = facts.lines.iter().map(|l| l.applied.decimal()).sum();
    sheet.write_string_with_format(total_row, 0, "Sum", &label)?;
    sheet.write_formula_with_format(
        total_row,
        2,
        Formula::new(format!("=SUM(C{}:C{})", HEADER_ROW + 2, total_row))
            .set_result(applied.to_string()),
        &bold_money,
    )?;
    sheet.write_formula_with_format(
        total_row,
        3,
        Formula::new(format!("=SUM(D{}:D{})", HEADER_ROW + 2, total_row)).set_result("0"),
        &bold_money,
    )?;
    sheet.protect();
    workbook.save_to_buffer()
}

/// The report as the workbook says it, and what is wrong with it.
#[derive(Debug, Clone)]
pub struct ParsedReport {
    pub input: FinalReportInput,
    pub problems: Vec<Problem>,
}

impl ParsedReport {
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }
}

/// Reads a filled-in report workbook.
pub fn parse(workbook: &ReadWorkbook) -> ParsedReport {
    let mut problems = Vec::new();
    let mut narrative = String::new();
    let mut auditor_confirmed = false;
    match workbook.sheet(REPORT_SHEET) {
        None => problems.push(Problem::error_in(
            None,
            format!("Arket «{REPORT_SHEET}» mangler. Bruk rapportskjemaet fra tilskudd."),
        )),
        Some(sheet) => {
            let (sheet, hidden) = sheet.visible_only();
            problems.extend(hidden);
            for row in sheet.used_rows() {
                let Some(label) = sheet.get(row, 0) else {
                    continue;
                };
                if header_is(label, &[LABEL_NARRATIVE]) {
                    narrative = sheet.text(row, 1).unwrap_or_default();
                } else if header_is(label, &["Bekreftet av revisor"]) {
                    let answer = sheet.text(row, 1).unwrap_or_default();
                    match fold_name(&answer).as_str() {
                        "ja" | "j" | "x" | "true" | "sann" | "1" => auditor_confirmed = true,
                        "" | "nei" | "n" | "false" | "usann" | "0" => {}
                        _ => problems.push(Problem::error_at(
                            &sheet.name,
                            row,
                            1,
                            format!("Skriv «ja» eller «nei», ikke «{answer}»."),
                        )),
                    }
                }
            }
        }
    }
    let mut lines = Vec::new();
    match workbook.sheet(ACCOUNTS_SHEET) {
        None => problems.push(Problem::error_in(
            None,
            format!("Arket «{ACCOUNTS_SHEET}» mangler. Bruk rapportskjemaet fra tilskudd."),
        )),
        Some(sheet) => {
            let (sheet, hidden) = sheet.visible_only();
            problems.extend(hidden);
            parse_accounts(&sheet, &mut lines, &mut problems);
        }
    }
    ParsedReport {
        input: FinalReportInput {
            spent: SpentInput::Lines(lines),
            narrative,
            auditor_confirmed,
        },
        problems,
    }
}

/// The columns of the Regnskap sheet, wherever the header row is.
fn find_header(sheet: &Grid) -> Option<(u32, u32, Option<u32>, u32)> {
    for row in sheet.used_rows().into_iter().take(30) {
        let find = |wanted: &[&str]| {
            sheet
                .cells
                .range((row, 0)..(row + 1, 0))
                .find(|(_, v)| header_is(v, wanted))
                .map(|((_, c), _)| *c)
        };
        if let (Some(category), Some(spent)) = (find(&["Kategori"]), find(&["Brukt"])) {
            return Some((row, category, find(&["Beskrivelse"]), spent));
        }
    }
    None
}

fn parse_accounts(sheet: &Grid, lines: &mut Vec<SpentLineInput>, problems: &mut Vec<Problem>) {
    let Some((header_row, category_col, description_col, spent_col)) = find_header(sheet) else {
        problems.push(Problem::error_in(
            Some(&sheet.name),
            "Fant ikke overskriftsraden (Kategori, Beskrivelse, Søkt, Brukt).",
        ));
        return;
    };
    let mark = column_mark(
        sheet
            .cells
            .range((header_row + 1, 0)..)
            .filter(|((_, c), _)| *c == spent_col)
            .map(|(_, v)| v),
    );
    for row in sheet.used_rows().into_iter().filter(|r| *r > header_row) {
        let category = sheet.text(row, category_col).unwrap_or_default();
        if is_total_label(&category) {
            break;
        }
        let spent = sheet.get(row, spent_col).filter(|v| !v.is_blank());
        if category.is_empty() && spent.is_none() {
            continue;
        }
        if category.is_empty() {
            problems.push(Problem::error_at(
                &sheet.name,
                row,
                category_col,
                "Kategori mangler for et beløp.",
            ));
            continue;
        }
        let Some(value) = spent else {
            problems.push(Problem::error_at(
                &sheet.name,
                row,
                spent_col,
                format!("Fyll inn hva som er brukt på «{category}» (0 hvis ingenting)."),
            ));
            continue;
        };
        match amount_in_column(value, mark) {
            Ok(amount) if amount.is_negative() => problems.push(Problem::error_at(
                &sheet.name,
                row,
                spent_col,
                "Brukt kan ikke være negativt.",
            )),
            Ok(amount) => lines.push(SpentLineInput {
                category,
                description: description_col.and_then(|c| sheet.text(row, c)),
                spent: amount.to_api_string(),
            }),
            Err(message) => problems.push(Problem::error_at(&sheet.name, row, spent_col, message)),
        }
    }
    if lines.is_empty() && !problems.iter().any(|p| p.severity == Severity::Error) {
        problems.push(Problem::error_in(
            Some(&sheet.name),
            "Ingen budsjettlinjer med brukt beløp er fylt inn.",
        ));
    }
}
