//! The application workbook of a round: sheets Søknad, Budsjett and Veiledning, with
//! locked headings, unlocked input cells, a category list, non-negative amounts, and sums
//! as formulas whose results are stored too (readers that do not calculate see them).

use rust_xlsxwriter::{
    DataValidation, DataValidationRule, Format, FormatAlign, FormatBorder, Formula, Workbook,
    Worksheet, XlsxError,
};

use crate::domain::Kroner;
use crate::domain::application::{ApplicationInput, BUDGET_CATEGORIES};
use crate::domain::round::Round;

pub const APPLICATION_SHEET: &str = "Søknad";
pub const BUDGET_SHEET: &str = "Budsjett";
pub const GUIDE_SHEET: &str = "Veiledning";

/// The labels of the Søknad sheet, in column A, with the value in column B.
pub const LABEL_APPLICANT: &str = "Søker";
pub const LABEL_ORG_NUMBER: &str = "Organisasjonsnummer";
pub const LABEL_KOMMUNENUMMER: &str = "Kommunenummer";
pub const LABEL_CONTACT: &str = "Kontaktperson";
pub const LABEL_EMAIL: &str = "E-post";
pub const LABEL_TITLE: &str = "Prosjekttittel";
pub const LABEL_DESCRIPTION: &str = "Beskrivelse";
pub const LABEL_REQUESTED: &str = "Omsøkt beløp (kr)";
pub const LABEL_ROUND: &str = "Runde";

/// Budget columns, left to right.
pub const BUDGET_HEADERS: [&str; 5] = [
    "Kategori",
    "Beskrivelse",
    "Kostnad (kr)",
    "Egenandel (kr)",
    "Omsøkt beløp (kr)",
];
/// The header row and the number of input rows of the Budsjett sheet (0-based rows).
pub const BUDGET_HEADER_ROW: u32 = 2;
pub const BUDGET_ROWS: u32 = 100;

fn money_format() -> Format {
    Format::new().set_num_format("#,##0.00")
}

/// The workbook, with what `prefill` already holds written into the input cells.
pub fn application_workbook(
    round: &Round,
    applicant: Option<(&str, Option<&str>)>,
    prefill: Option<&ApplicationInput>,
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let heading = Format::new().set_bold().set_font_size(14);
    let label = Format::new()
        .set_bold()
        .set_background_color("#DDEAF6")
        .set_border(FormatBorder::Thin);
    let input = Format::new()
        .set_unlocked()
        .set_border(FormatBorder::Thin)
        .set_background_color("#FFFFFF");
    let input_wrap = input.clone().set_text_wrap().set_align(FormatAlign::Top);
    let input_money = money_format().set_unlocked().set_border(FormatBorder::Thin);
    let locked_money = money_format().set_bold().set_border(FormatBorder::Thin);

    let lines: Vec<_> = prefill
        .map(|p| {
            p.budget_lines
                .iter()
                .filter(|l| !l.is_blank())
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let parse = |s: &str| Kroner::parse(s).ok();
    let sums = lines.iter().fold(
        (Kroner::ZERO, Kroner::ZERO, Kroner::ZERO),
        |(c, o, a), l| {
            let applied = parse(&l.applied).unwrap_or_default();
            let own = parse(&l.own_contribution).unwrap_or_default();
            (c + applied + own, o + own, a + applied)
        },
    );
    let total_row = BUDGET_HEADER_ROW + 1 + BUDGET_ROWS;

    // Søknad
    let sheet = workbook.add_worksheet();
    sheet.set_name(APPLICATION_SHEET)?;
    sheet.set_column_width(0, 28)?;
    sheet.set_column_width(1, 70)?;
    sheet.write_string_with_format(0, 0, "Søknad om tilskudd", &heading)?;
    sheet.write_string(1, 0, format!("{} – {}", round.scheme, round.name))?;
    let value =
        |f: fn(&ApplicationInput) -> Option<String>| prefill.and_then(f).unwrap_or_default();
    let (applicant_name, applicant_number) = applicant.unwrap_or(("", None));
    let rows: [(&str, String, bool); 7] = [
        (LABEL_APPLICANT, applicant_name.to_string(), false),
        (LABEL_ORG_NUMBER, String::new(), false),
        (
            LABEL_KOMMUNENUMMER,
            applicant_number.unwrap_or_default().to_string(),
            false,
        ),
        (LABEL_CONTACT, value(|p| p.contact_person.clone()), false),
        (LABEL_EMAIL, value(|p| p.email.clone()), false),
        (LABEL_TITLE, value(|p| p.project_title.clone()), false),
        (LABEL_DESCRIPTION, value(|p| p.description.clone()), true),
    ];
    for (i, (text, v, wrap)) in rows.iter().enumerate() {
        let row = 3 + i as u32;
        sheet.write_string_with_format(row, 0, *text, &label)?;
        // Text format for numbers people type (kommunenummer 0301 keeps its zero).
        let format = if *wrap { &input_wrap } else { &input };
        sheet.write_string_with_format(row, 1, v, &format.clone().set_num_format("@"))?;
        if *wrap {
            sheet.set_row_height(row, 90)?;
        }
    }
    let requested_row = 3 + rows.len() as u32;
    sheet.write_string_with_format(requested_row, 0, LABEL_REQUESTED, &label)?;
    sheet.write_formula_with_format(
        requested_row,
        1,
        Formula::new(format!("={BUDGET_SHEET}!E{}", total_row + 1))
            .set_result(sums.2.decimal().to_string()),
        &locked_money,
    )?;
    sheet.write_string_with_format(requested_row + 1, 0, LABEL_ROUND, &label)?;
    sheet.write_string(
        requested_row + 1,
        1,
        format!("{} ({}), nr. {}", round.name, round.year, round.id),
    )?;
    sheet.write_string(
        requested_row + 3,
        0,
        "Omsøkt beløp regnes ut fra arket Budsjett. Se arket Veiledning.",
    )?;
    sheet.set_print_fit_to_pages(1, 1);
    sheet.protect();

    // Budsjett
    let sheet = workbook.add_worksheet();
    sheet.set_name(BUDGET_SHEET)?;
    sheet.write_string_with_format(0, 0, format!("Budsjett – {}", round.name), &heading)?;
    for (col, (text, width)) in BUDGET_HEADERS.iter().zip([22, 50, 18, 18, 20]).enumerate() {
        sheet.write_string_with_format(BUDGET_HEADER_ROW, col as u16, *text, &label)?;
        sheet.set_column_width(col as u16, width)?;
    }
    for i in 0..BUDGET_ROWS {
        let row = BUDGET_HEADER_ROW + 1 + i;
        let line = lines.get(i as usize);
        sheet.write_string_with_format(
            row,
            0,
            line.map(|l| l.category.as_str()).unwrap_or(""),
            &input,
        )?;
        sheet.write_string_with_format(
            row,
            1,
            line.map(|l| l.description.as_str()).unwrap_or(""),
            &input,
        )?;
        match line {
            Some(l) => {
                let applied = parse(&l.applied).unwrap_or_default();
                let own = parse(&l.own_contribution).unwrap_or_default();
                write_money(sheet, row, 2, applied + own, &input_money)?;
                write_money(sheet, row, 3, own, &input_money)?;
                write_money(sheet, row, 4, applied, &input_money)?;
            }
            None => {
                for col in 2..5 {
                    sheet.write_blank(row, col, &input_money)?;
                }
            }
        }
    }
    let first = BUDGET_HEADER_ROW + 2;
    let last = BUDGET_HEADER_ROW + 1 + BUDGET_ROWS;
    sheet.write_string_with_format(total_row, 0, "Sum", &label)?;
    for (col, letter, sum) in [(2u16, 'C', sums.0), (3, 'D', sums.1), (4, 'E', sums.2)] {
        sheet.write_formula_with_format(
            total_row,
            col,
            Formula::new(format!("=SUM({letter}{first}:{letter}{last})"))
                .set_result(sum.decimal().to_string()),
            &locked_money,
        )?;
    }
    let categories = DataValidation::new()
        .allow_list_strings(&BUDGET_CATEGORIES)?
        .set_error_title("Ukjent kategori")?
        .set_error_message(format!("Velg en av: {}.", BUDGET_CATEGORIES.join(", ")))?;
    sheet.add_data_validation(BUDGET_HEADER_ROW + 1, 0, last - 1, 0, &categories)?;
    // Amounts typed as text are left out of the sums by every spreadsheet program, so
    // the cells take numbers only and say so before anything is typed.
    let amounts = DataValidation::new()
        .allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(0.0))
        .set_input_title("Beløp i kroner")?
        .set_input_message("Skriv beløpet som et tall, for eksempel 250000 eller 1234,50 – uten «kr» og uten punktum mellom tusener.")?
        .set_error_title("Ugyldig beløp")?
        .set_error_message("Beløpet må være et tall i kroner, 0 eller større (for eksempel 250000). Skriv det uten «kr», mellomrom eller punktum mellom tusener.")?;
    sheet.add_data_validation(BUDGET_HEADER_ROW + 1, 2, last - 1, 4, &amounts)?;
    sheet.set_freeze_panes(BUDGET_HEADER_ROW + 1, 0)?;
    // Printed: landscape, one page wide, the header on every page.
    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(0, BUDGET_HEADER_ROW)?;
    sheet.protect();

    // Veiledning
    let sheet = workbook.add_worksheet();
    sheet.set_name(GUIDE_SHEET)?;
    sheet.set_column_width(0, 110)?;
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    sheet.write_string_with_format(0, 0, "Slik fyller du ut søknaden", &heading)?;
    let guide = [
        format!("Søknaden gjelder {} ({}).", round.name, round.scheme),
        "1. Fyll ut arket Søknad: søker, kontaktperson, e-post, prosjekttittel og en kort beskrivelse. Kommunenummer har fire siffer (for eksempel 0301 eller 5001).".to_string(),
        format!(
            "2. Fyll ut arket Budsjett, én linje per post: kategori fra listen ({}), beskrivelse, kostnad, egenandel og omsøkt beløp. Kostnad skal være egenandel + omsøkt beløp.",
            BUDGET_CATEGORIES.join(", ")
        ),
        "3. Beløp skrives i hele kroner (øre er lov), for eksempel 600000 eller 600 000. Sum-raden regnes ut av seg selv, og omsøkt beløp i arket Søknad er summen av kolonnen Omsøkt beløp.".to_string(),
        "4. Last opp filen i tilskudd under runden. Du får se søknaden slik den blir lagret, og alle feil med ark og celle, før du bekrefter. Filen kan lagres som .xlsx, .xls eller .ods.".to_string(),
        match round.deadline {
            Some(d) => format!("Søknadsfrist: {}.", crate::domain::date::format_date(d)),
            None => "Se utlysningen for søknadsfrist.".to_string(),
        },
    ];
    for (i, text) in guide.iter().enumerate() {
        sheet.write_string_with_format(2 + i as u32, 0, text, &wrap)?;
    }
    sheet.set_print_fit_to_pages(1, 0);
    sheet.protect();

    workbook.save_to_buffer()
}

fn write_money(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    amount: Kroner,
    format: &Format,
) -> Result<(), XlsxError> {
    sheet.write_with_format(row, col, amount.decimal(), format)?;
    Ok(())
}
