//! A round's follow-up as a workbook, a sheet per part: `Oversikt` (one row per grant,
//! sums as formulas, and the two reconciliation checks as formulas that are 0 when the
//! books balance), `Utbetalinger`, `Sluttrapporter` and `Tilbakebetalinger`.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_xlsxwriter::{Formula, Workbook, XlsxError};

use super::column_name;
use super::export::{Cell, Formats, Table, generated_at, print_setup, sum_formula, write_table};
use crate::domain::Kroner;
use crate::domain::date::format_date;
use crate::domain::followup::FollowupLine;
use crate::domain::round::Round;

pub const OVERVIEW_SHEET: &str = "Oversikt";
pub const PAYMENTS_SHEET: &str = "Utbetalinger";
pub const REPORTS_SHEET: &str = "Sluttrapporter";
pub const REPAYMENTS_SHEET: &str = "Tilbakebetalinger";

/// One grant on the Oversikt sheet.
pub struct GrantLine {
    pub applicant: String,
    pub kommunenummer: Option<String>,
    pub letter: String,
    pub accepted: String,
    pub report: String,
    pub overdue: String,
    pub line: FollowupLine,
}

pub struct PaymentLine {
    pub date: NaiveDate,
    pub applicant: String,
    pub amount: Kroner,
    pub reference: String,
    pub recorded_by: String,
}

pub struct ReportLine {
    pub applicant: String,
    pub status: String,
    pub spent: Kroner,
    pub auditor_confirmed: bool,
    pub submitted_by: String,
    pub submitted_at: String,
    pub review_comment: Option<String>,
}

pub struct RepaymentLine {
    pub applicant: String,
    pub claimed: Kroner,
    pub due: Option<NaiveDate>,
    pub repaid: Kroner,
}

pub struct FollowupExport<'a> {
    pub round: &'a Round,
    pub grants: Vec<GrantLine>,
    pub payments: Vec<PaymentLine>,
    pub reports: Vec<ReportLine>,
    pub repayments: Vec<RepaymentLine>,
}

/// The money columns of Oversikt, in order from column 6 (G).
const MONEY_COLUMNS: [&str; 8] = [
    "Tilskudd",
    "Utbetalt",
    "Ikke utbetalt",
    "Skal utbetales nå",
    "Brukt (rapportert)",
    "Brukt av utbetalt",
    "Krav tilbake",
    "Utbetalt, ikke rapportert",
];
const FIRST_MONEY_COL: u16 = 6;

fn money_cells(l: &FollowupLine) -> [Kroner; 8] {
    [
        l.granted,
        l.paid,
        l.outstanding,
        l.due_now,
        l.spent.unwrap_or_default(),
        l.spent_paid,
        l.repayment,
        l.paid_not_reported,
    ]
}

pub fn followup_workbook(export: &FollowupExport) -> Result<Vec<u8>, XlsxError> {
    let round = export.round;
    let formats = Formats::default();
    let mut workbook = Workbook::new();
    let made = format!(
        "{} · {} · Fase: {} · Laget {}",
        round.scheme,
        round.year,
        round.phase.label(),
        generated_at()
    );

    // Oversikt, with sums and the two checks under the rows.
    let mut columns: Vec<String> = [
        "Søker",
        "Kommunenummer",
        "Brev",
        "Aksept",
        "Sluttrapport",
        "Forfalt",
    ]
    .iter()
    .map(|c| c.to_string())
    .collect();
    columns.extend(MONEY_COLUMNS.iter().map(|c| c.to_string()));
    columns.push("Tilbakebetalt".into());
    let table = Table {
        title: format!("Oppfølging – {}", round.name),
        notes: vec![made.clone()],
        columns,
        rows: export
            .grants
            .iter()
            .map(|g| {
                let mut row = vec![
                    Cell::text(&g.applicant),
                    Cell::optional_text(g.kommunenummer.as_deref()),
                    Cell::text(&g.letter),
                    Cell::text(&g.accepted),
                    Cell::text(&g.report),
                    Cell::text(&g.overdue),
                ];
                row.extend(money_cells(&g.line).into_iter().map(Cell::Money));
                row.push(Cell::Money(g.line.repaid));
                row
            })
            .collect(),
    };
    let sheet = workbook.add_worksheet();
    sheet.set_name(OVERVIEW_SHEET)?;
    let placed = write_table(sheet, 0, &table, &formats)?;
    let (first, last) = (placed.first_data_row, placed.last_data_row);
    let sum_row = placed.next_row();
    sheet.write_string_with_format(sum_row, 0, "Sum", &formats.bold)?;
    let mut sums = [Decimal::ZERO; 9];
    for g in &export.grants {
        for (i, k) in money_cells(&g.line).into_iter().enumerate() {
            sums[i] += k.decimal();
        }
        sums[8] += g.line.repaid.decimal();
    }
    for (i, total) in sums.iter().enumerate() {
        let col = FIRST_MONEY_COL + i as u16;
        sheet.write_formula_with_format(
            sum_row,
            col,
            sum_formula(col, first, last, *total),
            &formats.bold_money,
        )?;
    }
    // The checks: 0 when the books balance.
    let s = |i: u16| {
        format!(
            "{}{}",
            column_name(u32::from(FIRST_MONEY_COL + i)),
            sum_row + 1
        )
    };
    let granted_check = sums[0] - sums[1] - sums[2];
    let paid_check = sums[1] - sums[5] - sums[6] - sums[7];
    sheet.write_string_with_format(
        sum_row + 2,
        0,
        "Kontroll: tilskudd − utbetalt − ikke utbetalt (skal være 0)",
        &formats.bold,
    )?;
    sheet.write_formula_with_format(
        sum_row + 2,
        FIRST_MONEY_COL,
        Formula::new(format!("={}-{}-{}", s(0), s(1), s(2))).set_result(granted_check.to_string()),
        &formats.money,
    )?;
    sheet.write_string_with_format(
        sum_row + 3,
        0,
        "Kontroll: utbetalt − brukt av utbetalt − krav tilbake − ikke rapportert (skal være 0)",
        &formats.bold,
    )?;
    sheet.write_formula_with_format(
        sum_row + 3,
        FIRST_MONEY_COL,
        Formula::new(format!("={}-{}-{}-{}", s(1), s(5), s(6), s(7)))
            .set_result(paid_check.to_string()),
        &formats.money,
    )?;
    print_setup(sheet, Some(placed.header_row), Some(&table.title))?;

    // Utbetalinger.
    let table = Table {
        title: format!("Utbetalinger – {}", round.name),
        notes: vec![made.clone()],
        columns: ["Dato", "Mottaker", "Beløp", "Referanse", "Registrert av"]
            .iter()
            .map(|c| c.to_string())
            .collect(),
        rows: export
            .payments
            .iter()
            .map(|p| {
                vec![
                    Cell::text(format_date(p.date)),
                    Cell::text(&p.applicant),
                    Cell::Money(p.amount),
                    Cell::text(&p.reference),
                    Cell::text(&p.recorded_by),
                ]
            })
            .collect(),
    };
    let sheet = workbook.add_worksheet();
    sheet.set_name(PAYMENTS_SHEET)?;
    let placed = write_table(sheet, 0, &table, &formats)?;
    let total: Decimal = export.payments.iter().map(|p| p.amount.decimal()).sum();
    sheet.write_string_with_format(placed.next_row(), 0, "Sum", &formats.bold)?;
    sheet.write_formula_with_format(
        placed.next_row(),
        2,
        sum_formula(2, placed.first_data_row, placed.last_data_row, total),
        &formats.bold_money,
    )?;
    print_setup(sheet, Some(placed.header_row), Some(&table.title))?;

    // Sluttrapporter (the one that counts per grant).
    let table = Table {
        title: format!("Sluttrapporter – {}", round.name),
        notes: vec![made.clone()],
        columns: [
            "Mottaker",
            "Status",
            "Brukt",
            "Revisor",
            "Sendt av",
            "Sendt",
            "Statsforvalterens merknad",
        ]
        .iter()
        .map(|c| c.to_string())
        .collect(),
        rows: export
            .reports
            .iter()
            .map(|r| {
                vec![
                    Cell::text(&r.applicant),
                    Cell::text(&r.status),
                    Cell::Money(r.spent),
                    Cell::text(if r.auditor_confirmed { "Ja" } else { "Nei" }),
                    Cell::text(&r.submitted_by),
                    Cell::text(&r.submitted_at),
                    Cell::optional_text(r.review_comment.as_deref()),
                ]
            })
            .collect(),
    };
    let sheet = workbook.add_worksheet();
    sheet.set_name(REPORTS_SHEET)?;
    let placed = write_table(sheet, 0, &table, &formats)?;
    print_setup(sheet, Some(placed.header_row), Some(&table.title))?;

    // Tilbakebetalinger, with what remains as a formula per row.
    let table = Table {
        title: format!("Tilbakebetalinger – {}", round.name),
        notes: vec![made],
        columns: ["Mottaker", "Krav", "Forfall", "Tilbakebetalt", "Gjenstår"]
            .iter()
            .map(|c| c.to_string())
            .collect(),
        rows: export
            .repayments
            .iter()
            .map(|r| {
                vec![
                    Cell::text(&r.applicant),
                    Cell::Money(r.claimed),
                    Cell::optional_text(r.due.map(format_date)),
                    Cell::Money(r.repaid),
                ]
            })
            .collect(),
    };
    let sheet = workbook.add_worksheet();
    sheet.set_name(REPAYMENTS_SHEET)?;
    let placed = write_table(sheet, 0, &table, &formats)?;
    for (i, r) in export.repayments.iter().enumerate() {
        let row = placed.first_data_row + i as u32;
        sheet.write_formula_with_format(
            row,
            4,
            Formula::new(format!("=B{0}-D{0}", row + 1))
                .set_result((r.claimed - r.repaid).decimal().to_string()),
            &formats.money,
        )?;
    }
    let sum_row = placed.next_row();
    sheet.write_string_with_format(sum_row, 0, "Sum", &formats.bold)?;
    for (col, total) in [
        (
            1u16,
            export
                .repayments
                .iter()
                .map(|r| r.claimed.decimal())
                .sum::<Decimal>(),
        ),
        (
            3,
            export.repayments.iter().map(|r| r.repaid.decimal()).sum(),
        ),
        (
            4,
            export
                .repayments
                .iter()
                .map(|r| (r.claimed - r.repaid).decimal())
                .sum(),
        ),
    ] {
        sheet.write_formula_with_format(
            sum_row,
            col,
            sum_formula(col, placed.first_data_row, placed.last_data_row, total),
            &formats.bold_money,
        )?;
    }
    print_setup(sheet, Some(placed.header_row), Some(&table.title))?;

    workbook.save_to_buffer()
}
