//! The statistics page as a workbook: `Nasjonalt` (the national series and the 2021
//! breakdowns), `Kommuner` (the per-municipality table of one year) and `Kilder`.
//! Synthetic figures are marked in the title cell of their sheet and on Kilder.

use rust_xlsxwriter::{Workbook, XlsxError};

use super::export::{Cell, Formats, Table, generated_at, print_setup, write_pairs, write_table};
use crate::domain::statistics::{SYNTHETIC_LABEL, SYNTHETIC_WARNING, Symbol};

pub const NATIONAL_SHEET: &str = "Nasjonalt";
pub const MUNICIPAL_SHEET: &str = "Kommuner";
pub const SOURCES_SHEET: &str = "Kilder";

/// An indicator and where its figures come from.
#[derive(Debug, Clone)]
pub struct IndicatorSource {
    pub name: String,
    pub unit: String,
    pub source: String,
}

pub struct StatisticsExport {
    pub national: Table,
    pub municipal: Table,
    pub sources: Vec<IndicatorSource>,
    /// Whether any figure in the workbook is synthetic.
    pub any_synthetic: bool,
    pub generated_by: String,
}

/// `title`, with the synthetic mark when `synthetic`.
pub fn marked_title(title: &str, synthetic: bool) -> String {
    if synthetic {
        format!("{title} – {SYNTHETIC_LABEL}")
    } else {
        title.to_string()
    }
}

pub fn statistics_workbook(export: &StatisticsExport) -> Result<Vec<u8>, XlsxError> {
    let formats = Formats::default();
    let mut workbook = Workbook::new();
    for (name, table) in [
        (NATIONAL_SHEET, &export.national),
        (MUNICIPAL_SHEET, &export.municipal),
    ] {
        let sheet = workbook.add_worksheet();
        sheet.set_name(name)?;
        let placed = write_table(sheet, 0, table, &formats)?;
        print_setup(sheet, Some(placed.header_row), Some(&table.title))?;
    }

    let sheet = workbook.add_worksheet();
    sheet.set_name(SOURCES_SHEET)?;
    sheet.write_string_with_format(
        0,
        0,
        marked_title("Kilder og merknader", export.any_synthetic),
        &formats.title,
    )?;
    let mut pairs: Vec<(String, Cell)> = Vec::new();
    if export.any_synthetic {
        pairs.push(("Merk".into(), Cell::text(SYNTHETIC_WARNING)));
    }
    for s in &export.sources {
        pairs.push((
            s.name.clone(),
            Cell::text(format!("{} (enhet: {})", s.source, s.unit)),
        ));
    }
    pairs.push((
        "Prosent".into(),
        Cell::text("Andeler er skrevet som prosenttall: 12,6 betyr 12,6 %."),
    ));
    for symbol in Symbol::ALL {
        pairs.push((
            format!("Symbol «{}»", symbol.as_str()),
            Cell::text(symbol.label()),
        ));
    }
    pairs.push(("Laget".into(), Cell::text(generated_at())));
    pairs.push(("Laget av".into(), Cell::text(&export.generated_by)));
    write_pairs(sheet, 2, &pairs, &formats)?;
    workbook.save_to_buffer()
}
