//! What every exported workbook shares: Norwegian number formats, a small table model
//! that is written the same way to a worksheet ([`write_table`]) and to CSV
//! ([`super::csv_export::table_to_csv`]), sums as formulas with their results stored, and
//! the print settings.
//!
//! A report is built as [`Table`]s of typed [`Cell`]s; the writer, not the caller, decides
//! how a kind of value looks, so all exports agree:
//!
//! | cell | xlsx | CSV |
//! |---|---|---|
//! | `Money` | number, `# ##0 kr` (`# ##0,00 kr` with øre) | `13914871`, `1234,50` |
//! | `Count` | number, `# ##0` | `208645` |
//! | `Percent` | the percentage number (`12.6`), shown `12,6 %` | `12,6` |
//! | `Points` | percentage points (`2.5`), shown `+2,5 pp` | `2,5` |
//! | `Integer` | number without grouping (years) | `2021` |
//! | `Symbol` | the symbol as text (`..`), never 0 | `..` |
//! | `Text` | text (never a formula) | text, guarded against formula injection |
//!
//! Percentages are stored as the percentage itself, as the statistics publish them,
//! not as a fraction: a reader who sums or compares sees the source's figures.

use rust_decimal::Decimal;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Formula, Worksheet, XlsxError};

use super::column_name;
use crate::domain::Kroner;
use crate::domain::statistics::{Symbol, Unit, Value};

/// Whole kroner with thousands separators; Excel shows them in the reader's locale.
pub const MONEY: &str = "#,##0 \"kr\";-#,##0 \"kr\"";
/// Kroner and øre, for an amount that has øre.
pub const MONEY_ORE: &str = "#,##0.00 \"kr\";-#,##0.00 \"kr\"";
pub const COUNT: &str = "#,##0";
/// A percentage stored as its number (`12.6`); the quoted `%` does not scale it.
pub const PERCENT: &str = "0.0 \"%\";-0.0 \"%\"";
/// A whole number without grouping (years).
pub const INTEGER: &str = "0";
/// A change in percentage points (`2.5` shows `+2,5 pp`), signed so a fall is plain.
pub const POINTS: &str = "+0.0 \"pp\";-0.0 \"pp\";0.0 \"pp\"";

/// One cell of an exported table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    Money(Kroner),
    Count(Decimal),
    /// A percentage as its number: `12.6` is 12,6 %.
    Percent(Decimal),
    /// A change in percentage points: `2.5` is +2,5 pp.
    Points(Decimal),
    Integer(i64),
    /// SSB's symbol for a missing figure, written as its text.
    Symbol(Symbol),
    Empty,
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Cell {
        Cell::Text(text.into())
    }

    /// Text, or empty when there is none.
    pub fn optional_text(text: Option<impl Into<String>>) -> Cell {
        text.map_or(Cell::Empty, |t| Cell::Text(t.into()))
    }

    pub fn optional_money(amount: Option<Kroner>) -> Cell {
        amount.map_or(Cell::Empty, Cell::Money)
    }

    /// A statistics value in its unit: a count, a percentage, or the symbol.
    pub fn statistic(value: Value, unit: Unit) -> Cell {
        match (value, unit) {
            (Value::Symbol(s), _) => Cell::Symbol(s),
            (Value::Number(n), Unit::Antall) => Cell::Count(n),
            (Value::Number(n), Unit::Prosent) => Cell::Percent(n),
        }
    }
}

/// A titled table: a title line, optional note lines, a header row and the rows.
/// Rows shorter than `columns` leave the rest empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub title: String,
    pub notes: Vec<String>,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// Where [`write_table`] put a table (rows and columns count from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    pub header_row: u32,
    pub first_data_row: u32,
    /// The last data row; the header row when there are no rows.
    pub last_data_row: u32,
    pub last_col: u16,
}

impl Placed {
    /// The first free row after the table.
    pub fn next_row(&self) -> u32 {
        self.last_data_row + 1
    }
}

/// The formats of one workbook (a `Format` is cheap, but one set keeps them alike).
pub struct Formats {
    pub title: Format,
    pub header: Format,
    pub bold: Format,
    pub wrap: Format,
    pub money: Format,
    pub money_ore: Format,
    pub bold_money: Format,
    pub count: Format,
    pub percent: Format,
    pub points: Format,
    pub integer: Format,
    pub symbol: Format,
}

impl Default for Formats {
    fn default() -> Self {
        let money = Format::new().set_num_format(MONEY);
        Formats {
            title: Format::new().set_bold().set_font_size(14),
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Top)
                .set_background_color("#DDEAF6")
                .set_border(FormatBorder::Thin),
            bold: Format::new().set_bold(),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            bold_money: money.clone().set_bold().set_border_top(FormatBorder::Thin),
            money,
            money_ore: Format::new().set_num_format(MONEY_ORE),
            count: Format::new().set_num_format(COUNT),
            percent: Format::new().set_num_format(PERCENT),
            points: Format::new().set_num_format(POINTS),
            integer: Format::new().set_num_format(INTEGER),
            // Right-aligned like the numbers it stands in for.
            symbol: Format::new().set_align(FormatAlign::Right),
        }
    }
}

/// Writes one cell in its format.
pub fn write_cell(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    formats: &Formats,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Text(t) => {
            sheet.write_string(row, col, t)?;
        }
        Cell::Money(k) => {
            let format = if k.decimal().fract().is_zero() {
                &formats.money
            } else {
                &formats.money_ore
            };
            sheet.write_with_format(row, col, k.decimal(), format)?;
        }
        Cell::Count(n) => {
            sheet.write_with_format(row, col, *n, &formats.count)?;
        }
        Cell::Percent(p) => {
            sheet.write_with_format(row, col, *p, &formats.percent)?;
        }
        Cell::Points(p) => {
            sheet.write_with_format(row, col, *p, &formats.points)?;
        }
        Cell::Integer(i) => {
            // Years and ids are far below 2^53, so the float Excel stores is exact.
            sheet.write_with_format(row, col, Decimal::from(*i), &formats.integer)?;
        }
        Cell::Symbol(s) => {
            sheet.write_string_with_format(row, col, s.as_str(), &formats.symbol)?;
        }
        Cell::Empty => {}
    }
    Ok(())
}

/// Writes `table` from `first_row`: title, notes, an empty row, the header and the rows;
/// freezes the header, puts a filter on it and sets column widths from the content.
/// A sheet has one frozen pane and one filter, so write one table per sheet.
pub fn write_table(
    sheet: &mut Worksheet,
    first_row: u32,
    table: &Table,
    formats: &Formats,
) -> Result<Placed, XlsxError> {
    sheet.write_string_with_format(first_row, 0, &table.title, &formats.title)?;
    for (i, note) in table.notes.iter().enumerate() {
        sheet.write_string(first_row + 1 + i as u32, 0, note)?;
    }
    let header_row = first_row + table.notes.len() as u32 + 2;
    let width = table
        .columns
        .len()
        .max(table.rows.iter().map(Vec::len).max().unwrap_or(0))
        .max(1);
    let last_col = u16::try_from(width - 1).map_err(|_| XlsxError::RowColumnLimitError)?;
    for (col, name) in table.columns.iter().enumerate() {
        sheet.write_string_with_format(header_row, col as u16, name, &formats.header)?;
    }
    for (i, cells) in table.rows.iter().enumerate() {
        let row = header_row + 1 + i as u32;
        for (col, cell) in cells.iter().enumerate() {
            write_cell(sheet, row, col as u16, cell, formats)?;
        }
    }
    let last_data_row = header_row + table.rows.len() as u32;
    for col in 0..=last_col {
        sheet.set_column_width(col, column_width(table, usize::from(col)))?;
    }
    sheet.set_freeze_panes(header_row + 1, 0)?;
    sheet.autofilter(header_row, 0, last_data_row, last_col)?;
    Ok(Placed {
        header_row,
        first_data_row: header_row + 1,
        last_data_row,
        last_col,
    })
}

/// A width that fits the header and most values, within reason (long texts wrap or
/// spill rather than make the sheet unreadably wide).
fn column_width(table: &Table, col: usize) -> f64 {
    let header = table.columns.get(col).map_or(0, |c| c.chars().count());
    let longest = table
        .rows
        .iter()
        .filter_map(|r| r.get(col))
        .map(|c| match c {
            Cell::Text(t) => t.chars().count(),
            Cell::Money(_) => 16,
            Cell::Count(_) | Cell::Percent(_) | Cell::Points(_) => 12,
            Cell::Integer(_) | Cell::Symbol(_) | Cell::Empty => 6,
        })
        .max()
        .unwrap_or(0);
    // Headers wrap, so they count for less than a value.
    (longest.max(header.min(20)) + 2).clamp(8, 50) as f64
}

/// `=SUM(C5:C26)` over `col` in rows `first..=last` (0-based), with `result` stored.
/// With no rows (`last < first`) the formula is `=0`.
pub fn sum_formula(col: u16, first: u32, last: u32, result: Decimal) -> Formula {
    let formula = if last < first {
        "=0".to_string()
    } else {
        let letter = column_name(u32::from(col));
        format!("=SUM({letter}{}:{letter}{})", first + 1, last + 1)
    };
    Formula::new(formula).set_result(result.to_string())
}

/// `=C28-C27`: the cell at `(minuend_row, col)` minus the one at `(subtrahend_row, col)`,
/// with `result` stored.
pub fn difference_formula(
    col: u16,
    minuend_row: u32,
    subtrahend_row: u32,
    result: Decimal,
) -> Formula {
    let letter = column_name(u32::from(col));
    Formula::new(format!(
        "={letter}{}-{letter}{}",
        minuend_row + 1,
        subtrahend_row + 1
    ))
    .set_result(result.to_string())
}

/// Landscape, one page wide, the header row (if any) repeated on every page, and when
/// `title` is given a page header with it and a footer with the page number and date.
pub fn print_setup(
    sheet: &mut Worksheet,
    header_row: Option<u32>,
    title: Option<&str>,
) -> Result<(), XlsxError> {
    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
    if let Some(row) = header_row {
        sheet.set_repeat_rows(row, row)?;
    }
    if let Some(title) = title {
        sheet.set_header(format!("&C{}", header_footer_text(title)));
        sheet.set_footer("&LSide &P av &N&R&D");
    }
    Ok(())
}

/// Text for a page header: `&` is a control character there, and Excel refuses a header
/// longer than 255 characters.
fn header_footer_text(text: &str) -> String {
    text.chars()
        .take(100)
        .collect::<String>()
        .replace('&', "&&")
}

/// Now in Norwegian time, as the sources sheets say when a file was made.
pub fn generated_at() -> String {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Oslo)
        .format("%d.%m.%Y %H:%M")
        .to_string()
}

/// A sheet of label–value lines (Kilder, Vedtak): labels bold in column A.
pub fn write_pairs(
    sheet: &mut Worksheet,
    first_row: u32,
    pairs: &[(String, Cell)],
    formats: &Formats,
) -> Result<u32, XlsxError> {
    for (i, (label, value)) in pairs.iter().enumerate() {
        let row = first_row + i as u32;
        sheet.write_string_with_format(row, 0, label, &formats.bold)?;
        match value {
            Cell::Text(t) => {
                sheet.write_string_with_format(row, 1, t, &formats.wrap)?;
            }
            other => write_cell(sheet, row, 1, other, formats)?,
        }
    }
    sheet.set_column_width(0, 28)?;
    sheet.set_column_width(1, 90)?;
    Ok(first_row + pairs.len() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table with a sum row, read back as a reader without calculation sees it.
    #[test]
    fn a_table_and_its_sum_read_back() {
        use calamine::{Data, Reader, open_workbook_auto_from_rs};

        let table = Table {
            title: "Tittel".into(),
            notes: vec!["Merknad".into()],
            columns: vec!["Søker".into(), "Beløp".into(), "Andel".into()],
            rows: vec![
                vec![
                    Cell::text("A"),
                    Cell::Money(Kroner::from_whole(100)),
                    Cell::Percent(Decimal::new(126, 1)),
                ],
                vec![
                    Cell::text("B"),
                    Cell::Money(Kroner::from_whole(-30)),
                    Cell::Symbol(Symbol::Missing),
                ],
            ],
        };
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let formats = Formats::default();
        let sheet = workbook.add_worksheet();
        let placed = write_table(sheet, 0, &table, &formats).unwrap();
        assert_eq!(placed.header_row, 3);
        let sum_row = placed.next_row();
        sheet
            .write_formula(
                sum_row,
                1,
                sum_formula(
                    1,
                    placed.first_data_row,
                    placed.last_data_row,
                    Decimal::from(70),
                ),
            )
            .unwrap();
        sheet
            .write_formula(
                sum_row + 1,
                1,
                difference_formula(1, sum_row, placed.first_data_row, Decimal::from(-30)),
            )
            .unwrap();
        sheet
            .write_formula(sum_row + 2, 1, sum_formula(1, 9, 8, Decimal::ZERO))
            .unwrap();
        let bytes = workbook.save_to_buffer().unwrap();
        let mut back = open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let name = back.sheet_names()[0].clone();
        let values = back.worksheet_range(&name).unwrap();
        let formulas = back.worksheet_formula(&name).unwrap();
        assert_eq!(
            values.get_value((3, 0)),
            Some(&Data::String("Søker".into()))
        );
        assert_eq!(values.get_value((4, 2)), Some(&Data::Float(12.6)));
        assert_eq!(values.get_value((5, 2)), Some(&Data::String("..".into())));
        assert_eq!(values.get_value((6, 1)), Some(&Data::Float(70.0)));
        let formula = |row: u32| formulas.get_value((row, 1)).cloned().unwrap_or_default();
        assert_eq!(formula(6), "SUM(B5:B6)");
        assert_eq!(formula(7), "B7-B5");
        assert_eq!(formula(8), "0");
    }

    #[test]
    fn statistics_cells_keep_symbols() {
        assert_eq!(
            Cell::statistic(Value::Symbol(Symbol::Confidential), Unit::Prosent),
            Cell::Symbol(Symbol::Confidential)
        );
        assert_eq!(
            Cell::statistic(Value::Number(Decimal::new(126, 1)), Unit::Prosent),
            Cell::Percent(Decimal::new(126, 1))
        );
    }

    #[test]
    fn page_header_text_is_escaped_and_short() {
        assert_eq!(header_footer_text("A & B"), "A && B");
        assert_eq!(header_footer_text(&"x".repeat(300)).len(), 100);
    }
}
