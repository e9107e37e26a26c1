//! The report on funding and coordinator coverage as a workbook, and its tables as CSV.
//!
//! Sheets: Tildeling (grants per municipality, sums as formulas with their results
//! stored), Dekning (coverage per year, before / grant year / latest / change), Sammenheng
//! (kroner per recipient against the change, the correlations and the caveat), Nasjonalt
//! (the country's series) and Kilder (sources, division, mapping, splits, who made it).
//! The tables are [`Table`]s of the shared export model, so the workbook and the CSV
//! ([`report_csv`]) agree and CSV gets the formula-injection guard.
//!
//! Charts: Excel plots a text cell in a value range as 0, and an SSB symbol is text, so no
//! chart reads a table directly where it may hold symbols. Each line chart reads a small
//! «Diagramdata» block in which a symbol is an empty cell, drawn as a gap. Dekning's chart
//! shows the country against the unweighted average of the report's municipalities
//! (`AVERAGE` over the table's column, which skips symbols); with at most
//! [`MAX_MUNICIPALITY_LINES`] municipalities, one line per municipality instead of the
//! average, since a chart cannot be filtered the way the web page can.

use rust_decimal::Decimal;
use rust_xlsxwriter::{
    Chart, ChartEmptyCells, ChartLegendPosition, ChartTrendline, ChartTrendlineType, Format,
    Formula, Workbook, Worksheet, XlsxError,
};

use super::column_name;
use super::csv_export::table_to_csv;
use super::export::{
    Cell, Formats, Placed, Table, print_setup, sum_formula, write_cell, write_pairs, write_table,
};
use super::statistics_export::marked_title;
use crate::domain::Kroner;
use crate::domain::report::{Coverage, Report};
use crate::domain::statistics::{SYNTHETIC_LABEL, Symbol, Unit, Value};

pub const GRANTS_SHEET: &str = "Tildeling";
pub const COVERAGE_SHEET: &str = "Dekning";
pub const ASSOCIATION_SHEET: &str = "Sammenheng";
pub const NATIONAL_SHEET: &str = "Nasjonalt";
pub const SOURCES_SHEET: &str = "Kilder";

/// The tables that are also served as CSV, by the key in the address.
pub const TABLE_KEYS: [&str; 4] = ["tildeling", "dekning", "sammenheng", "nasjonalt"];

/// With more municipalities than this, Dekning's chart shows their average, not a line each.
pub const MAX_MUNICIPALITY_LINES: usize = 12;

/// Columns of the Tildeling table (0-based).
const COL_APPLICANTS: u16 = 2;
const COL_GRANTED: u16 = 3;
const COL_NOTES: u16 = 8;

/// Pearson's and Spearman's coefficients have three decimals.
const COEFFICIENT: &str = "0.000";

const SYMBOLS_NOTE: &str =
    "Symboler: .. tall mangler, . ikke aktuelt, : skjult av personvernhensyn, - null.";

fn count(value: Option<Decimal>) -> Cell {
    value.map_or(Cell::Symbol(Symbol::Missing), Cell::Count)
}

fn percent(value: Value) -> Cell {
    Cell::statistic(value, Unit::Prosent)
}

fn points(value: Option<Decimal>) -> Cell {
    value.map_or(Cell::Empty, Cell::Points)
}

/// Tildeling: one row per municipality of the report. The workbook adds the sum, the
/// grants that belong to no single municipality and the total below it.
fn grants_table(report: &Report) -> Table {
    let rows = report
        .rows
        .iter()
        .map(|r| {
            let mut notes = r.notes.clone();
            if r.synthetic {
                notes.insert(0, format!("Statistikken er {SYNTHETIC_LABEL}"));
            }
            vec![
                Cell::text(&r.kommunenummer),
                Cell::text(&r.name),
                Cell::text(r.applicants.join(", ")),
                Cell::Money(r.granted),
                count(r.recipients),
                count(r.inhabitants),
                Cell::optional_money(r.per_recipient),
                Cell::optional_money(r.per_inhabitant),
                Cell::text(notes.join("; ")),
            ]
        })
        .collect();
    Table {
        title: "Tildeling per kommune".into(),
        notes: vec![
            format!(
                "Kommuneinndelingen for {}. Tilskuddsår {}. Mottakere og innbyggere i tilskuddsåret, ellers året før.{}",
                report.division_year,
                report.grant_year,
                before_note_text(report)
            ),
            SYMBOLS_NOTE.into(),
        ],
        columns: [
            "Kommunenr.",
            "Kommune",
            "Søkere",
            "Tildelt",
            "Mottakere",
            "Innbyggere",
            "Kr per mottaker",
            "Kr per innbygger",
            "Merknader",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    }
}

/// A grant that is on no single municipality, in the Tildeling columns.
fn unattributed_row(applicant: &str, amount: Kroner, reason: &str) -> Vec<Cell> {
    let mut row = vec![Cell::Empty; usize::from(COL_NOTES) + 1];
    row[usize::from(COL_APPLICANTS)] = Cell::text(applicant);
    row[usize::from(COL_GRANTED)] = Cell::Money(amount);
    row[usize::from(COL_NOTES)] = Cell::text(reason);
    row
}

fn coverage_columns(label: &str, report: &Report) -> Vec<String> {
    let mut columns: Vec<String> = report
        .years
        .iter()
        .map(|y| format!("{label} {y}"))
        .collect();
    columns.extend([
        match &report.before_note {
            None => format!("{label} før ({})", report.before_year),
            Some(note) => format!(
                "{label} før ({}; {})",
                report.before_year,
                lowercase_first(note)
            ),
        },
        format!("{label} {} (tilskuddsår)", report.grant_year),
        format!("{label} siste"),
        format!("{label} siste år"),
        format!("{label} endring (pp)"),
    ]);
    columns
}

fn coverage_cells(c: &Coverage) -> Vec<Cell> {
    let mut cells: Vec<Cell> = c.by_year.iter().map(|v| percent(*v)).collect();
    cells.extend([
        percent(c.before),
        percent(c.grant_year),
        percent(c.latest),
        c.latest_year
            .map_or(Cell::Empty, |y| Cell::Integer(y.into())),
        points(c.change_pp),
    ]);
    cells
}

/// The number of columns one coverage block takes.
fn coverage_width(report: &Report) -> u16 {
    report.years.len() as u16 + 5
}

fn coverage_table(report: &Report) -> Table {
    let mut columns = vec!["Kommunenr.".to_string(), "Kommune".to_string()];
    columns.extend(coverage_columns("Koordinator", report));
    columns.extend(coverage_columns("Individuell plan", report));
    columns.push("Merknad".into());
    let rows = report
        .rows
        .iter()
        .map(|r| {
            let mut cells = vec![Cell::text(&r.kommunenummer), Cell::text(&r.name)];
            cells.extend(coverage_cells(&r.coordinator));
            cells.extend(coverage_cells(&r.plan));
            cells.push(synthetic_mark(r.synthetic));
            cells
        })
        .collect();
    Table {
        title: "Andel mottakere med koordinator og med individuell plan".into(),
        notes: vec![
            format!(
                "Prosent av mottakere av helsetjenester i hjemmet og/eller praktisk bistand. Før = {}, siste = siste år etter tilskuddsåret med tall; endring = siste − før i prosentpoeng.{}",
                report.before_year,
                before_note_text(report)
            ),
            SYMBOLS_NOTE.into(),
            "Diagrammene og tallene de bygger på står under tabellen.".into(),
        ],
        columns,
        rows,
    }
}

/// « Tall for 2025 mangler; viser 2024.» after a note, when «before» is an earlier year.
fn before_note_text(report: &Report) -> String {
    report
        .before_note
        .as_ref()
        .map(|note| format!(" {note}"))
        .unwrap_or_default()
}

/// `tall for 2025 mangler; viser 2024.` for inside a column heading.
fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The mark on a row whose figures are synthetic, so a CSV row read alone still says so.
fn synthetic_mark(synthetic: bool) -> Cell {
    if synthetic {
        Cell::text(SYNTHETIC_LABEL)
    } else {
        Cell::Empty
    }
}

fn association_table(report: &Report) -> Table {
    Table {
        title: "Kroner per mottaker og endring i andel med koordinator".into(),
        notes: vec![
            "Kommuner med både tilskudd per mottaker og endring i dekning. Sammenhengen og forbeholdet står under tabellen."
                .into(),
        ],
        columns: [
            "Kommunenr.",
            "Kommune",
            "Kr per mottaker",
            "Endring i andel med koordinator (pp)",
            "Merknad",
        ]
        .map(String::from)
        .to_vec(),
        rows: report
            .scatter
            .iter()
            .map(|p| {
                let synthetic = report
                    .rows
                    .iter()
                    .any(|r| r.kommunenummer == p.kommunenummer && r.synthetic);
                vec![
                    Cell::text(&p.kommunenummer),
                    Cell::text(&p.name),
                    Cell::Money(p.per_recipient),
                    Cell::Points(p.change_pp),
                    synthetic_mark(synthetic),
                ]
            })
            .collect(),
    }
}

fn national_table(report: &Report) -> Table {
    Table {
        title: "Hele landet".into(),
        notes: vec![SYMBOLS_NOTE.into()],
        columns: [
            "År",
            "Mottakere",
            "Andel med koordinator",
            "Andel med individuell plan",
        ]
        .map(String::from)
        .to_vec(),
        rows: report
            .national
            .iter()
            .map(|n| {
                vec![
                    Cell::Integer(n.year.into()),
                    Cell::statistic(n.recipients, Unit::Antall),
                    percent(n.coordinator),
                    percent(n.plan),
                ]
            })
            .collect(),
    }
}

/// The report's table with `key` (one of [`TABLE_KEYS`]), as it is served as CSV: the
/// Tildeling table then also lists the grants that are on no single municipality, with
/// the reason as the note (a CSV has no sum rows).
pub fn report_table(report: &Report, key: &str) -> Option<Table> {
    Some(match key {
        "tildeling" => {
            let mut table = grants_table(report);
            table.rows.extend(
                report
                    .unattributed
                    .iter()
                    .map(|u| unattributed_row(&u.applicant, u.amount, &u.reason)),
            );
            table
        }
        "dekning" => coverage_table(report),
        "sammenheng" => association_table(report),
        "nasjonalt" => national_table(report),
        _ => return None,
    })
}

/// Every table by key, in [`TABLE_KEYS`] order.
pub fn report_tables(report: &Report) -> Vec<(&'static str, Table)> {
    TABLE_KEYS
        .iter()
        .filter_map(|key| Some((*key, report_table(report, key)?)))
        .collect()
}

/// The table with `key` as CSV (semicolons, BOM, texts guarded against formula
/// injection); `None` for an unknown key.
pub fn report_csv(report: &Report, key: &str) -> Option<String> {
    report_table(report, key).map(|t| table_to_csv(&t))
}

/// The workbook. `title` names the report (in every sheet's title and page header);
/// `generated_at` and `generated_by` say when and by whom, as they should read.
pub fn report_workbook(
    report: &Report,
    title: &str,
    generated_at: &str,
    generated_by: &str,
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let formats = Formats::default();
    let page_title = marked_title(title, report.synthetic);
    grants_sheet(workbook.add_worksheet(), report, &page_title, &formats)?;
    coverage_sheet(workbook.add_worksheet(), report, &page_title, &formats)?;
    association_sheet(workbook.add_worksheet(), report, &page_title, &formats)?;
    national_sheet(workbook.add_worksheet(), report, &page_title, &formats)?;
    sources_sheet(
        workbook.add_worksheet(),
        report,
        &page_title,
        generated_at,
        generated_by,
        &formats,
    )?;
    workbook.save_to_buffer()
}

/// Writes `table` with the sheet's title (report title and synthetic mark) and sets up
/// printing.
fn sheet_table(
    sheet: &mut Worksheet,
    name: &str,
    mut table: Table,
    page_title: &str,
    formats: &Formats,
) -> Result<Placed, XlsxError> {
    sheet.set_name(name)?;
    table.title = format!("{} – {page_title}", table.title);
    let placed = write_table(sheet, 0, &table, formats)?;
    print_setup(sheet, Some(placed.header_row), Some(page_title))?;
    Ok(placed)
}

/// `=D7+D12` with `result` stored.
fn plus_formula(col: u16, a_row: u32, b_row: u32, result: Decimal) -> Formula {
    let letter = column_name(u32::from(col));
    Formula::new(format!("={letter}{}+{letter}{}", a_row + 1, b_row + 1))
        .set_result(result.to_string())
}

fn grants_sheet(
    sheet: &mut Worksheet,
    report: &Report,
    page_title: &str,
    formats: &Formats,
) -> Result<(), XlsxError> {
    let placed = sheet_table(
        sheet,
        GRANTS_SHEET,
        grants_table(report),
        page_title,
        formats,
    )?;
    let sum_row = placed.next_row();
    let municipal: Kroner = report.rows.iter().map(|r| r.granted).sum();
    sheet.write_string_with_format(sum_row, 0, "Sum kommuner", &formats.bold)?;
    sheet.write_formula_with_format(
        sum_row,
        COL_GRANTED,
        sum_formula(
            COL_GRANTED,
            placed.first_data_row,
            placed.last_data_row,
            municipal.decimal(),
        ),
        &formats.bold_money,
    )?;

    let heading_row = sum_row + 2;
    sheet.write_string_with_format(heading_row, 0, "Ikke fordelt på én kommune", &formats.bold)?;
    for (col, name) in [
        (COL_APPLICANTS, "Søker"),
        (COL_GRANTED, "Tildelt"),
        (COL_NOTES, "Hvorfor"),
    ] {
        sheet.write_string_with_format(heading_row, col, name, &formats.header)?;
    }
    let first = heading_row + 1;
    for (i, u) in report.unattributed.iter().enumerate() {
        for (col, cell) in unattributed_row(&u.applicant, u.amount, &u.reason)
            .iter()
            .enumerate()
        {
            write_cell(sheet, first + i as u32, col as u16, cell, formats)?;
        }
    }
    let rest: Kroner = report.unattributed.iter().map(|u| u.amount).sum();
    let rest_row = first + report.unattributed.len() as u32;
    sheet.write_string_with_format(rest_row, 0, "Sum ikke fordelt", &formats.bold)?;
    sheet.write_formula_with_format(
        rest_row,
        COL_GRANTED,
        sum_formula(
            COL_GRANTED,
            first,
            rest_row.saturating_sub(1),
            rest.decimal(),
        ),
        &formats.bold_money,
    )?;
    let total_row = rest_row + 2;
    sheet.write_string_with_format(total_row, 0, "Tildelt i alt", &formats.bold)?;
    sheet.write_formula_with_format(
        total_row,
        COL_GRANTED,
        plus_formula(
            COL_GRANTED,
            sum_row,
            rest_row,
            report.total_granted.decimal(),
        ),
        &formats.bold_money,
    )?;
    Ok(())
}

/// One value of a chart's data block.
enum Point {
    Number(Decimal),
    Formula(Formula),
    Gap,
}

impl Point {
    fn of(value: Value) -> Point {
        value.number().map_or(Point::Gap, Point::Number)
    }
}

struct Series {
    name: String,
    points: Vec<Point>,
}

/// Where a chart's data block is: years in `col` from `first` to `last`, series in the
/// columns after it.
struct Block {
    sheet: String,
    first: u32,
    last: u32,
    col: u16,
    series: usize,
}

/// Writes a chart's data under `heading`: the years down `col`, one column per series, an
/// empty cell where the table has a symbol.
fn write_block(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    heading: &str,
    years: &[i32],
    series: Vec<Series>,
    formats: &Formats,
) -> Result<Block, XlsxError> {
    sheet.write_string_with_format(row, col, heading, &formats.bold)?;
    let header_row = row + 1;
    sheet.write_string_with_format(header_row, col, "År", &formats.header)?;
    for (i, s) in series.iter().enumerate() {
        sheet.write_string_with_format(header_row, col + 1 + i as u16, &s.name, &formats.header)?;
    }
    let first = header_row + 1;
    for (i, year) in years.iter().enumerate() {
        write_cell(
            sheet,
            first + i as u32,
            col,
            &Cell::Integer((*year).into()),
            formats,
        )?;
    }
    let count = series.len();
    for (s_index, s) in series.into_iter().enumerate() {
        let c = col + 1 + s_index as u16;
        for (i, point) in s.points.into_iter().enumerate() {
            let r = first + i as u32;
            match point {
                Point::Number(n) => write_cell(sheet, r, c, &Cell::Percent(n), formats)?,
                Point::Formula(f) => {
                    sheet.write_formula_with_format(r, c, f, &formats.percent)?;
                }
                Point::Gap => {}
            }
        }
    }
    Ok(Block {
        sheet: sheet.name(),
        first,
        last: first + years.len().max(1) as u32 - 1,
        col,
        series: count,
    })
}

/// A line chart of every series in `block`; empty cells are gaps, not zeros.
fn line_chart(block: &Block, title: &str) -> Chart {
    let mut chart = Chart::new_line();
    let name_row = block.first - 1;
    for i in 0..block.series {
        let c = block.col + 1 + i as u16;
        chart
            .add_series()
            .set_name((block.sheet.as_str(), name_row, c))
            .set_categories((
                block.sheet.as_str(),
                block.first,
                block.col,
                block.last,
                block.col,
            ))
            .set_values((block.sheet.as_str(), block.first, c, block.last, c));
    }
    chart.title().set_name(title);
    chart.y_axis().set_name("Prosent").set_num_format("0\" %\"");
    chart.legend().set_position(ChartLegendPosition::Bottom);
    chart.show_empty_cells_as(ChartEmptyCells::Gaps);
    chart.set_width(720).set_height(400);
    chart
}

/// The unweighted mean of the numbers in a column, as Excel's AVERAGE gives it.
fn mean(values: impl Iterator<Item = Decimal>) -> Option<Decimal> {
    let (sum, n) = values.fold((Decimal::ZERO, 0u32), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / Decimal::from(n))
}

/// The series of one coverage indicator for Dekning's chart.
fn coverage_series(
    report: &Report,
    placed: &Placed,
    first_col: u16,
    coverage: fn(&crate::domain::report::MunicipalityRow) -> &Coverage,
    national: fn(&crate::domain::report::NationalYear) -> Value,
) -> Vec<Series> {
    let mut series = vec![Series {
        name: "Hele landet".into(),
        points: report
            .years
            .iter()
            .map(|y| {
                report
                    .national
                    .iter()
                    .find(|n| n.year == *y)
                    .map_or(Point::Gap, |n| Point::of(national(n)))
            })
            .collect(),
    }];
    if report.rows.len() <= MAX_MUNICIPALITY_LINES {
        series.extend(report.rows.iter().map(|r| Series {
            name: r.name.clone(),
            points: coverage(r).by_year.iter().map(|v| Point::of(*v)).collect(),
        }));
    } else {
        let points = (0..report.years.len())
            .map(|i| {
                let numbers = report
                    .rows
                    .iter()
                    .filter_map(|r| coverage(r).by_year[i].number());
                match mean(numbers) {
                    Some(m) => {
                        let letter = column_name(u32::from(first_col) + i as u32);
                        Point::Formula(
                            Formula::new(format!(
                                "=AVERAGE({letter}{}:{letter}{})",
                                placed.first_data_row + 1,
                                placed.last_data_row + 1
                            ))
                            .set_result(m.round_dp(10).normalize().to_string()),
                        )
                    }
                    None => Point::Gap,
                }
            })
            .collect();
        series.push(Series {
            name: "Kommunene i rapporten (snitt, uvektet)".into(),
            points,
        });
    }
    series
}

fn coverage_sheet(
    sheet: &mut Worksheet,
    report: &Report,
    page_title: &str,
    formats: &Formats,
) -> Result<(), XlsxError> {
    let placed = sheet_table(
        sheet,
        COVERAGE_SHEET,
        coverage_table(report),
        page_title,
        formats,
    )?;
    let coordinator_col = 2;
    let plan_col = coordinator_col + coverage_width(report);
    let row = placed.next_row() + 2;
    let coordinator = coverage_series(
        report,
        &placed,
        coordinator_col,
        |r| &r.coordinator,
        |n| n.coordinator,
    );
    let plan = coverage_series(report, &placed, plan_col, |r| &r.plan, |n| n.plan);
    let right = coordinator.len() as u16 + 2;
    let block = write_block(
        sheet,
        row,
        0,
        "Diagramdata: andel med koordinator",
        &report.years,
        coordinator,
        formats,
    )?;
    let chart_row = block.last + 2;
    sheet.insert_chart(
        chart_row,
        0,
        &line_chart(&block, "Andel mottakere med koordinator"),
    )?;
    let block = write_block(
        sheet,
        row,
        right,
        "Diagramdata: andel med individuell plan",
        &report.years,
        plan,
        formats,
    )?;
    sheet.insert_chart(
        chart_row,
        right,
        &line_chart(&block, "Andel mottakere med individuell plan"),
    )?;
    Ok(())
}

fn association_sheet(
    sheet: &mut Worksheet,
    report: &Report,
    page_title: &str,
    formats: &Formats,
) -> Result<(), XlsxError> {
    let placed = sheet_table(
        sheet,
        ASSOCIATION_SHEET,
        association_table(report),
        page_title,
        formats,
    )?;
    let coefficient = Format::new().set_num_format(COEFFICIENT);
    let heading_row = placed.next_row() + 2;
    for (col, name) in [
        "Sammenheng mellom kr per mottaker og",
        "n",
        "Pearsons r",
        "Spearmans ρ",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string_with_format(heading_row, col as u16, *name, &formats.header)?;
    }
    let mut row = heading_row + 1;
    for c in &report.correlations {
        sheet.write_string(row, 0, &c.against)?;
        write_cell(sheet, row, 1, &Cell::Integer(c.n as i64), formats)?;
        for (col, value) in [(2, c.pearson), (3, c.spearman)] {
            match value {
                Some(v) => {
                    sheet.write_with_format(row, col, v, &coefficient)?;
                }
                // Too few points or no variation: not computable, not 0.
                None => write_cell(
                    sheet,
                    row,
                    col,
                    &Cell::Symbol(Symbol::NotApplicable),
                    formats,
                )?,
            }
        }
        row += 1;
    }
    row += 1;
    sheet.write_string_with_format(row, 0, "Forbehold", &formats.bold)?;
    sheet.merge_range(row + 1, 0, row + 1, 7, &report.caveat, &formats.wrap)?;
    sheet.set_row_height(row + 1, 75)?;

    if !report.scatter.is_empty() {
        let mut chart = Chart::new_scatter();
        chart
            .add_series()
            .set_name("Kommuner")
            .set_categories((
                ASSOCIATION_SHEET,
                placed.first_data_row,
                2,
                placed.last_data_row,
                2,
            ))
            .set_values((
                ASSOCIATION_SHEET,
                placed.first_data_row,
                3,
                placed.last_data_row,
                3,
            ))
            .set_trendline(ChartTrendline::new().set_type(ChartTrendlineType::Linear));
        chart
            .title()
            .set_name("Kroner per mottaker og endring i andel med koordinator");
        chart
            .x_axis()
            .set_name("Kroner per mottaker")
            .set_num_format("#,##0");
        chart
            .y_axis()
            .set_name("Endring i prosentpoeng")
            .set_num_format("0.0");
        chart.legend().set_hidden();
        chart.set_width(720).set_height(420);
        sheet.insert_chart(placed.header_row, 5, &chart)?;
    }
    Ok(())
}

fn national_sheet(
    sheet: &mut Worksheet,
    report: &Report,
    page_title: &str,
    formats: &Formats,
) -> Result<(), XlsxError> {
    let placed = sheet_table(
        sheet,
        NATIONAL_SHEET,
        national_table(report),
        page_title,
        formats,
    )?;
    let years: Vec<i32> = report.national.iter().map(|n| n.year).collect();
    let series = vec![
        Series {
            name: "Andel med koordinator".into(),
            points: report
                .national
                .iter()
                .map(|n| Point::of(n.coordinator))
                .collect(),
        },
        Series {
            name: "Andel med individuell plan".into(),
            points: report.national.iter().map(|n| Point::of(n.plan)).collect(),
        },
    ];
    let block = write_block(
        sheet,
        placed.header_row - 1,
        6,
        "Diagramdata",
        &years,
        series,
        formats,
    )?;
    if !years.is_empty() {
        sheet.insert_chart(
            placed.header_row,
            10,
            &line_chart(
                &block,
                "Hele landet: andel mottakere med koordinator og individuell plan",
            ),
        )?;
    }
    Ok(())
}

fn sources_sheet(
    sheet: &mut Worksheet,
    report: &Report,
    page_title: &str,
    generated_at: &str,
    generated_by: &str,
    formats: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name(SOURCES_SHEET)?;
    sheet.write_string_with_format(0, 0, format!("Kilder – {page_title}"), &formats.title)?;
    let mut pairs: Vec<(String, Cell)> = vec![
        ("Rapport".into(), Cell::text(page_title)),
        ("Laget".into(), Cell::text(generated_at)),
        ("Laget av".into(), Cell::text(generated_by)),
        (
            "Program".into(),
            Cell::text(format!("tilskudd {}", env!("CARGO_PKG_VERSION"))),
        ),
        (
            "Kommuneinndeling".into(),
            Cell::text(format!(
                "Inndelingen for {}; tall fra andre år er ført over til den (se under).",
                report.division_year
            )),
        ),
        (
            "Tilskuddsår".into(),
            Cell::Integer(report.grant_year.into()),
        ),
        (
            "Året før".into(),
            Cell::text(match &report.before_note {
                None => report.before_year.to_string(),
                Some(note) => format!("{} ({note})", report.before_year),
            }),
        ),
    ];
    for (i, r) in report.rounds.iter().enumerate() {
        pairs.push((
            if i == 0 { "Runder" } else { "" }.into(),
            Cell::text(format!(
                "{} ({}), ramme {}, {}",
                r.name,
                r.year,
                r.pool,
                if r.decided { "vedtatt" } else { "ikke vedtatt" }
            )),
        ));
    }
    pairs.push(("Tildelt i alt".into(), Cell::Money(report.total_granted)));
    pairs.push((
        "Syntetiske tall".into(),
        Cell::text(if report.synthetic {
            format!("Ja: kommunetallene er {SYNTHETIC_LABEL}, ikke offisiell statistikk.")
        } else {
            "Nei".into()
        }),
    ));
    for (i, s) in report.sources.iter().enumerate() {
        pairs.push((if i == 0 { "Kilder" } else { "" }.into(), Cell::text(s)));
    }
    pairs.push(("Forbehold".into(), Cell::text(&report.caveat)));
    pairs.push(("Symboler".into(), Cell::text(SYMBOLS_NOTE)));
    let mut row = write_pairs(sheet, 2, &pairs, formats)? + 1;

    sheet.write_string_with_format(
        row,
        0,
        "Slik er tall fra tidligere år ført over",
        &formats.bold,
    )?;
    row += 1;
    if report.mapping.is_empty() {
        sheet.write_string(row, 1, "Ingen: alle tall står på kommunenes egne numre.")?;
        row += 1;
    }
    for m in &report.mapping {
        sheet.write_string(row, 0, format!("{} {}", m.kommunenummer, m.name))?;
        sheet.write_string_with_format(
            row,
            1,
            format!("{}: {}", m.years, m.made_of),
            &formats.wrap,
        )?;
        row += 1;
    }
    row += 1;
    sheet.write_string_with_format(
        row,
        0,
        "Delte kommuner (tallene er ikke fordelt på delene)",
        &formats.bold,
    )?;
    row += 1;
    if report.splits.is_empty() {
        sheet.write_string(row, 1, "Ingen.")?;
    }
    for s in &report.splits {
        sheet.write_string(row, 0, format!("{} {}", s.kommunenummer, s.name))?;
        sheet.write_string_with_format(
            row,
            1,
            format!("{}: delt mellom {}", s.years, s.became),
            &formats.wrap,
        )?;
        row += 1;
    }
    print_setup(sheet, None, Some(page_title))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;
    use std::str::FromStr;

    use calamine::{Data, Reader, open_workbook_auto_from_rs};

    use super::*;
    use crate::domain::kommune::{CodeChange, Kommunenummer, Municipality, Register};
    use crate::domain::report::{Grant, Observation, ReportInput, ReportRound, build};
    use crate::domain::statistics;

    const HOSTILE: &str = "=HYPERLINK(\"http://x\",\"klikk\")";

    fn m(number: &str, name: &str) -> Municipality {
        Municipality {
            number: Kommunenummer::parse(number).unwrap(),
            name: name.into(),
        }
    }

    /// Bjugn and Ørland merge in 2020; Trondheim and Frøya stay.
    fn register() -> Register {
        let before = [
            ("5001", "Trondheim"),
            ("5014", "Frøya"),
            ("5015", "Ørland"),
            ("5017", "Bjugn"),
        ];
        let after = [("5001", "Trondheim"), ("5014", "Frøya"), ("5057", "Ørland")];
        let change = |old: &str, old_name: &str| CodeChange {
            old_number: Kommunenummer::parse(old).unwrap(),
            old_name: old_name.into(),
            new_number: Kommunenummer::parse("5057").unwrap(),
            new_name: "Ørland".into(),
            effective: "2020-01-01".parse().unwrap(),
        };
        Register::new(
            before
                .iter()
                .map(|(n, name)| (2019, m(n, name)))
                .chain(after.iter().map(|(n, name)| (2020, m(n, name)))),
            vec![change("5015", "Ørland"), change("5017", "Bjugn")],
        )
    }

    fn value(s: &str) -> Value {
        Symbol::parse(s).map_or_else(|| Value::Number(s.parse().unwrap()), Value::Symbol)
    }

    fn report(synthetic: bool) -> Report {
        let register = register();
        let mut observations = Vec::new();
        let mut add = |indicator: &str, region: &str, year: i32, v: &str| {
            observations.push(Observation {
                indicator: indicator.into(),
                region: region.into(),
                year,
                value: value(v),
                synthetic: synthetic && region != statistics::COUNTRY,
            })
        };
        for (region, year, inhabitants, recipients, coordinator, plan) in [
            ("5001", 2018, "200000", "9000", "11.0", "5.2"),
            ("5014", 2018, "5000", "150", ":", "4.0"),
            ("5015", 2018, "5200", "300", "10.0", ".."),
            ("5017", 2018, "4800", "100", "20.0", "3.0"),
            ("5001", 2021, "210000", "9300", "12.4", "5.0"),
            ("5014", 2021, "5100", "160", "8.0", "-"),
            ("5057", 2021, "10100", "410", "15.0", "3.5"),
        ] {
            add(statistics::INHABITANTS, region, year, inhabitants);
            add(statistics::RECIPIENTS, region, year, recipients);
            add(statistics::COORDINATOR, region, year, coordinator);
            add(statistics::PLAN, region, year, plan);
        }
        for (year, coordinator) in [(2018, "12.0"), (2019, ".."), (2021, "13.1")] {
            add(statistics::COORDINATOR, "0000", year, coordinator);
            add(statistics::RECIPIENTS, "0000", year, "200000");
        }
        let grant = |applicant: &str, number: Option<&str>, amount: i64| Grant {
            round_year: 2019,
            applicant: applicant.into(),
            kommunenummer: number.map(String::from),
            members: vec![],
            amount: Kroner::from_whole(amount),
        };
        build(ReportInput {
            register: &register,
            division_year: 2020,
            county: None,
            rounds: vec![ReportRound {
                id: 1,
                name: "Habilitering 2019".into(),
                year: 2019,
                pool: Kroner::from_whole(2_000_000),
                decided: true,
            }],
            grants: vec![
                grant("Bjugn", Some("5017"), 600_000),
                grant("Trondheim", Some("5001"), 900_000),
                grant(HOSTILE, Some("5014"), 123_457),
                grant("Fosen helse IKS", None, 100_000),
            ],
            observations,
            sources: vec!["KPR, Helsedirektoratet".into()],
        })
    }

    struct Book(calamine::Sheets<Cursor<Vec<u8>>>);

    impl Book {
        fn open(report: &Report) -> Book {
            let bytes =
                report_workbook(report, "Tilskudd og dekning", "01.02.2027 10:00", "Kari").unwrap();
            Book(open_workbook_auto_from_rs(Cursor::new(bytes)).unwrap())
        }

        fn values(&mut self, sheet: &str) -> calamine::Range<Data> {
            self.0.worksheet_range(sheet).unwrap()
        }

        fn formulas(&mut self, sheet: &str) -> calamine::Range<String> {
            self.0.worksheet_formula(sheet).unwrap()
        }
    }

    /// A number cell as a decimal, through its shortest text (never compared as a float).
    fn number(range: &calamine::Range<Data>, row: u32, col: u16) -> Decimal {
        match range.get_value((row, u32::from(col))) {
            Some(Data::Float(f)) => Decimal::from_str(&f.to_string()).unwrap(),
            Some(Data::Int(i)) => Decimal::from(*i),
            other => panic!("({row}, {col}) is not a number: {other:?}"),
        }
    }

    fn text(range: &calamine::Range<Data>, row: u32, col: u16) -> String {
        match range.get_value((row, u32::from(col))) {
            Some(Data::String(s)) => s.clone(),
            other => panic!("({row}, {col}) is not text: {other:?}"),
        }
    }

    /// The row whose column A reads `label`.
    fn row_of(range: &calamine::Range<Data>, label: &str) -> u32 {
        (0..range.height() as u32)
            .find(|r| range.get_value((*r, 0)) == Some(&Data::String(label.into())))
            .unwrap_or_else(|| panic!("no row «{label}»"))
    }

    /// A value cell agrees with the report's value: the same number, or the symbol as text.
    fn assert_value(range: &calamine::Range<Data>, row: u32, col: u16, expected: Value) {
        match expected {
            Value::Number(n) => assert_eq!(number(range, row, col), n, "({row}, {col})"),
            Value::Symbol(s) => assert_eq!(text(range, row, col), s.as_str(), "({row}, {col})"),
        }
    }

    #[test]
    fn grants_sheet_matches_the_report_and_sums_are_formulas_with_results() {
        let report = report(false);
        let mut book = Book::open(&report);
        let sheet = book.values(GRANTS_SHEET);
        let formulas = book.formulas(GRANTS_SHEET);
        let header = row_of(&sheet, "Kommunenr.");
        assert_eq!(text(&sheet, header, COL_GRANTED), "Tildelt");
        for r in &report.rows {
            let row = row_of(&sheet, &r.kommunenummer);
            assert_eq!(text(&sheet, row, 1), r.name);
            assert_eq!(number(&sheet, row, COL_GRANTED), r.granted.decimal());
            for (col, value) in [(4, r.recipients), (5, r.inhabitants)] {
                assert_eq!(number(&sheet, row, col), value.unwrap());
            }
            for (col, value) in [(6, r.per_recipient), (7, r.per_inhabitant)] {
                assert_eq!(number(&sheet, row, col), value.unwrap().decimal());
            }
        }
        // The hostile name is text in the workbook, never a formula.
        let froya = row_of(&sheet, "5014");
        assert_eq!(text(&sheet, froya, COL_APPLICANTS), HOSTILE);
        assert!(formulas.get_value((froya, 2)).is_none_or(String::is_empty));

        let sum = row_of(&sheet, "Sum kommuner");
        let municipal: Kroner = report.rows.iter().map(|r| r.granted).sum();
        assert_eq!(number(&sheet, sum, COL_GRANTED), municipal.decimal());
        assert_eq!(
            formulas.get_value((sum, 3)).unwrap(),
            &format!("SUM(D{}:D{sum})", header + 2)
        );
        assert_eq!(report.unattributed.len(), 1);
        let iks = row_of(&sheet, "Sum ikke fordelt") - 1;
        assert_eq!(text(&sheet, iks, COL_APPLICANTS), "Fosen helse IKS");
        assert_eq!(number(&sheet, iks, COL_GRANTED), Decimal::from(100_000));
        assert_eq!(text(&sheet, iks, COL_NOTES), report.unattributed[0].reason);
        let total = row_of(&sheet, "Tildelt i alt");
        assert_eq!(
            number(&sheet, total, COL_GRANTED),
            report.total_granted.decimal()
        );
        assert_eq!(report.total_granted, Kroner::from_whole(1_723_457));
        assert!(formulas.get_value((total, 3)).unwrap().contains('+'));
    }

    #[test]
    fn coverage_sheet_has_every_number_and_symbols_as_text() {
        let report = report(false);
        let mut book = Book::open(&report);
        let sheet = book.values(COVERAGE_SHEET);
        let width = coverage_width(&report);
        let mut symbols = 0;
        for r in &report.rows {
            let row = row_of(&sheet, &r.kommunenummer);
            for (first, c) in [(2, &r.coordinator), (2 + width, &r.plan)] {
                let n = report.years.len() as u16;
                for (i, v) in c.by_year.iter().enumerate() {
                    assert_value(&sheet, row, first + i as u16, *v);
                    symbols += usize::from(matches!(v, Value::Symbol(_)));
                }
                assert_value(&sheet, row, first + n, c.before);
                assert_value(&sheet, row, first + n + 1, c.grant_year);
                assert_value(&sheet, row, first + n + 2, c.latest);
                if let Some(change) = c.change_pp {
                    assert_eq!(number(&sheet, row, first + n + 4), change);
                }
            }
        }
        assert!(symbols >= 3, "the fixture has symbols to check");
        // Frøya's confidential 2018 figure is «:», not 0.
        let froya = row_of(&sheet, "5014");
        assert_eq!(text(&sheet, froya, 2), ":");
        // Ørland's merged figure: (10.0 × 300 + 20.0 × 100) / 400 = 12.5.
        let orland = row_of(&sheet, "5057");
        assert_eq!(number(&sheet, orland, 2), Decimal::new(125, 1));
    }

    #[test]
    fn association_and_national_sheets() {
        let report = report(false);
        let mut book = Book::open(&report);
        let sheet = book.values(ASSOCIATION_SHEET);
        for p in &report.scatter {
            let row = row_of(&sheet, &p.kommunenummer);
            assert_eq!(number(&sheet, row, 2), p.per_recipient.decimal());
            assert_eq!(number(&sheet, row, 3), p.change_pp);
        }
        let c = &report.correlations[0];
        let row = row_of(&sheet, &c.against);
        assert_eq!(number(&sheet, row, 1), Decimal::from(c.n as u64));
        match c.pearson {
            Some(r) => assert_eq!(number(&sheet, row, 2), r),
            None => assert_eq!(text(&sheet, row, 2), "."),
        }
        let caveat = row_of(&sheet, "Forbehold") + 1;
        assert_eq!(text(&sheet, caveat, 0), report.caveat);

        let sheet = book.values(NATIONAL_SHEET);
        for n in &report.national {
            let row = (0..sheet.height() as u32)
                .find(|r| sheet.get_value((*r, 0)) == Some(&Data::Float(f64::from(n.year))))
                .unwrap();
            assert_value(&sheet, row, 1, n.recipients);
            assert_value(&sheet, row, 2, n.coordinator);
            assert_value(&sheet, row, 3, n.plan);
        }
        assert_eq!(
            report.national[1].coordinator,
            Value::Symbol(Symbol::Missing)
        );
    }

    #[test]
    fn synthetic_figures_are_marked_on_every_sheet() {
        for synthetic in [false, true] {
            let report = report(synthetic);
            assert_eq!(report.synthetic, synthetic);
            let mut book = Book::open(&report);
            for name in [
                GRANTS_SHEET,
                COVERAGE_SHEET,
                ASSOCIATION_SHEET,
                NATIONAL_SHEET,
                SOURCES_SHEET,
            ] {
                let title = text(&book.values(name), 0, 0);
                assert_eq!(
                    title.contains(SYNTHETIC_LABEL),
                    synthetic,
                    "{name}: {title}"
                );
            }
            let sources = book.values(SOURCES_SHEET);
            let row = row_of(&sources, "Syntetiske tall");
            assert_eq!(text(&sources, row, 1).contains(SYNTHETIC_LABEL), synthetic);
            assert_eq!(text(&sources, row_of(&sources, "Laget av"), 1), "Kari");
            let mapping = row_of(&sources, "5057 Ørland");
            assert!(text(&sources, mapping, 1).contains("Bjugn (5017)"));
        }
    }

    #[test]
    fn csv_tables_are_guarded_and_complete() {
        let report = report(false);
        let csv = report_csv(&report, "tildeling").unwrap();
        assert!(
            csv.contains("\"'=HYPERLINK(\"\"http://x\"\",\"\"klikk\"\")\""),
            "{csv}"
        );
        assert!(!csv.contains(";=HYPERLINK"));
        // The grant on no municipality is in the CSV too.
        assert!(csv.contains(";;Fosen helse IKS;100000;"), "{csv}");
        let coverage = report_csv(&report, "dekning").unwrap();
        assert!(coverage.contains("5014;Frøya;:;"), "{coverage}");
        assert_eq!(report_tables(&report).len(), TABLE_KEYS.len());
        for key in TABLE_KEYS {
            assert!(report_csv(&report, key).is_some(), "{key}");
        }
        assert_eq!(report_csv(&report, "noe-annet"), None);
    }
}
