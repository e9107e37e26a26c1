//! The comparison of scenarios as a workbook: sheet Sammenligning with amounts and
//! differences per applicant, sums and «ikke fordelt» as formulas with their results
//! stored, and sheet Forklaringer with the engine's explanation per applicant and scenario.

use rust_decimal::Decimal;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::export::{Formats, difference_formula, generated_at, print_setup, sum_formula};
use crate::domain::Kroner;
use crate::domain::round::Round;
use crate::domain::scenario::Comparison;

pub const COMPARISON_SHEET: &str = "Sammenligning";
pub const EXPLANATION_SHEET: &str = "Forklaringer";
/// The header row of both sheets (0-based).
pub const HEADER_ROW: u32 = 3;

/// A difference as a signed fraction (`0.126` shows `+12,6%`).
const DIFFERENCE_PERCENT: &str = "+0.0%;-0.0%;0.0%";

fn write_kroner(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    amount: Decimal,
    format: &Format,
) -> Result<(), XlsxError> {
    sheet.write_with_format(row, col, amount, format)?;
    Ok(())
}

pub fn comparison_workbook(round: &Round, c: &Comparison) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let Formats {
        title,
        header,
        money,
        bold_money,
        bold,
        wrap,
        ..
    } = Formats::default();
    let percent = Format::new().set_num_format(DIFFERENCE_PERCENT);

    // Columns: Søker, Kommunenr., Omsøkt, then per scenario its amount, and for every
    // scenario after the first the difference in kr and in %.
    let mut amount_cols = Vec::new();
    let mut diff_cols = Vec::new();
    let mut col: u16 = 3;
    for (index, _) in c.scenarios.iter().enumerate() {
        amount_cols.push(col);
        col += 1;
        if index > 0 {
            diff_cols.push((index, col, col + 1));
            col += 2;
        }
    }
    let last_col = col - 1;

    let sheet = workbook.add_worksheet();
    sheet.set_name(COMPARISON_SHEET)?;
    sheet.write_string_with_format(
        0,
        0,
        format!("Sammenligning av fordelingsalternativer – {}", round.name),
        &title,
    )?;
    sheet.write_string(
        1,
        0,
        format!(
            "Ramme {}. Forskjeller er regnet mot «{}». Laget {}.",
            c.pool,
            c.scenarios.first().map_or("", |s| s.name.as_str()),
            generated_at()
        ),
    )?;
    sheet.write_string_with_format(HEADER_ROW, 0, "Søker", &header)?;
    sheet.write_string_with_format(HEADER_ROW, 1, "Kommunenr.", &header)?;
    sheet.write_string_with_format(HEADER_ROW, 2, "Omsøkt", &header)?;
    for (index, s) in c.scenarios.iter().enumerate() {
        sheet.write_string_with_format(HEADER_ROW, amount_cols[index], &s.name, &header)?;
    }
    for (index, kr_col, pct_col) in &diff_cols {
        let name = &c.scenarios[*index].name;
        sheet.write_string_with_format(
            HEADER_ROW,
            *kr_col,
            format!("{name}: differanse kr"),
            &header,
        )?;
        sheet.write_string_with_format(
            HEADER_ROW,
            *pct_col,
            format!("{name}: differanse %"),
            &header,
        )?;
    }

    let first = HEADER_ROW + 1;
    for (i, line) in c.lines.iter().enumerate() {
        let row = first + i as u32;
        sheet.write_string(row, 0, &line.applicant)?;
        if let Some(k) = &line.kommunenummer {
            sheet.write_string(row, 1, k)?;
        }
        if let Some(requested) = line.requested {
            write_kroner(sheet, row, 2, requested.decimal(), &money)?;
        }
        for (index, cell) in line.cells.iter().enumerate() {
            if let Some(amount) = cell.amount {
                write_kroner(sheet, row, amount_cols[index], amount.decimal(), &money)?;
            }
        }
        for (index, kr_col, pct_col) in &diff_cols {
            if let Some(d) = &line.cells[*index].difference {
                write_kroner(sheet, row, *kr_col, d.kroner, &money)?;
                if let Some(p) = d.percent {
                    sheet.write_with_format(row, *pct_col, p / Decimal::ONE_HUNDRED, &percent)?;
                }
            }
        }
    }
    let last = first + c.lines.len().max(1) as u32 - 1;
    let sum_row = last + 1;
    let pool_row = sum_row + 1;
    let unplaced_row = sum_row + 2;
    let method_row = sum_row + 4;
    let reason_row = method_row + 1;
    sheet.write_string_with_format(sum_row, 0, "Sum", &bold)?;
    sheet.write_string_with_format(pool_row, 0, "Ramme", &bold)?;
    sheet.write_string_with_format(unplaced_row, 0, "Ikke fordelt", &bold)?;
    sheet.write_string_with_format(method_row, 0, "Metode", &bold)?;
    sheet.write_string_with_format(reason_row, 0, "Hvorfor ikke fordelt", &bold)?;
    let sum_formula = |col: u16, result: Decimal| sum_formula(col, first, last, result);
    let requested_sum: Decimal = c
        .lines
        .iter()
        .filter_map(|l| l.requested)
        .map(Kroner::decimal)
        .sum();
    sheet.write_formula_with_format(sum_row, 2, sum_formula(2, requested_sum), &bold_money)?;
    for (index, s) in c.scenarios.iter().enumerate() {
        let col = amount_cols[index];
        sheet.write_formula_with_format(
            sum_row,
            col,
            sum_formula(col, s.allocated_total.decimal()),
            &bold_money,
        )?;
        write_kroner(sheet, pool_row, col, c.pool.decimal(), &money)?;
        sheet.write_formula_with_format(
            unplaced_row,
            col,
            difference_formula(col, pool_row, sum_row, s.unallocated.decimal()),
            &bold_money,
        )?;
        sheet.write_string_with_format(
            method_row,
            col,
            format!("{}: {}", s.method_label, s.parameters_text),
            &wrap,
        )?;
        if let Some(reason) = &s.unallocated_reason {
            sheet.write_string_with_format(reason_row, col, reason, &wrap)?;
        }
    }
    for (index, kr_col, _) in &diff_cols {
        let total: Decimal = c
            .lines
            .iter()
            .filter_map(|l| l.cells[*index].difference.as_ref())
            .map(|d| d.kroner)
            .sum();
        sheet.write_formula_with_format(
            sum_row,
            *kr_col,
            sum_formula(*kr_col, total),
            &bold_money,
        )?;
    }
    sheet.set_column_width(0, 34)?;
    sheet.set_column_width(1, 11)?;
    for col in 2..=last_col {
        sheet.set_column_width(col, 16)?;
    }
    sheet.set_row_height(HEADER_ROW, 45)?;
    sheet.set_freeze_panes(HEADER_ROW + 1, 1)?;
    sheet.autofilter(HEADER_ROW, 0, last, last_col)?;
    print_setup(sheet, Some(HEADER_ROW), None)?;

    let sheet = workbook.add_worksheet();
    sheet.set_name(EXPLANATION_SHEET)?;
    sheet.write_string_with_format(0, 0, "Slik kom beløpene fram", &title)?;
    sheet.write_string(1, 0, "Én linje per søker og alternativ, fra beregningen.")?;
    sheet.write_string_with_format(HEADER_ROW, 0, "Søker", &header)?;
    sheet.write_string_with_format(HEADER_ROW, 1, "Kommunenr.", &header)?;
    for (index, s) in c.scenarios.iter().enumerate() {
        sheet.write_string_with_format(HEADER_ROW, 2 + index as u16, &s.name, &header)?;
        sheet.set_column_width(2 + index as u16, 45)?;
    }
    for (i, line) in c.lines.iter().enumerate() {
        let row = first + i as u32;
        sheet.write_string(row, 0, &line.applicant)?;
        if let Some(k) = &line.kommunenummer {
            sheet.write_string(row, 1, k)?;
        }
        for (index, cell) in line.cells.iter().enumerate() {
            let text = match &cell.problem {
                Some(problem) => format!("{} Merknad: {problem}", cell.explanation),
                None => cell.explanation.clone(),
            };
            sheet.write_string_with_format(row, 2 + index as u16, text, &wrap)?;
        }
    }
    sheet.set_column_width(0, 34)?;
    sheet.set_freeze_panes(HEADER_ROW + 1, 1)?;
    print_setup(sheet, Some(HEADER_ROW), None)?;

    workbook.save_to_buffer()
}
