//! Reading a workbook into [`Grid`]s with calamine. This runs in the child process
//! (see [`super::isolate`]); CSV is read in-process, since the csv reader is bounded by
//! the file's size.

use std::io::{Cursor, Read, Write};

use calamine::{Data, Range, Reader, open_workbook_auto_from_rs};

use super::detect::{Format, Limits};
use super::hidden::Hidden;
use super::wire::{self, Writer};
use super::{CellValue, Grid, ReaderOutput, Workbook};

fn cell_value(data: &Data) -> Option<CellValue> {
    match data {
        Data::Empty => None,
        Data::String(s) if s.trim().is_empty() => None,
        Data::String(s) => Some(CellValue::Text(s.clone())),
        Data::Int(i) => Some(CellValue::Number(i.to_string())),
        // Rust prints the shortest text that reads back to the same double, so 600000 stays
        // "600000" and 1234.5 stays "1234.5"; from there on it is exact decimal arithmetic.
        Data::Float(f) if f.is_finite() => Some(CellValue::Number(format!("{f}"))),
        Data::Float(_) => Some(CellValue::Error("#NUM!".into())),
        Data::Bool(b) => Some(CellValue::Bool(*b)),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) if dt.is_datetime() => Some(CellValue::Date(t.date())),
            _ => Some(CellValue::Number(format!("{}", dt.as_f64()))),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => Some(CellValue::Text(s.clone())),
        Data::Error(e) => Some(CellValue::Error(format!("{e}"))),
    }
}

/// Writes a cell as [`cell_value`] reads it, without the copies: the reader process
/// sends each cell on as it comes. `scratch` is reused for numbers written as text.
fn write_cell(writer: &mut Writer, row: u32, col: u32, data: &Data, scratch: &mut String) {
    use std::fmt::Write as _;
    let mut number = |writer: &mut Writer, value: std::fmt::Arguments| {
        scratch.clear();
        let _ = scratch.write_fmt(value);
        writer.number(row, col, scratch);
    };
    match data {
        Data::Empty => {}
        Data::String(s) if s.trim().is_empty() => {}
        Data::String(s) => writer.text(row, col, s),
        Data::Int(i) => number(writer, format_args!("{i}")),
        // A whole number (most amounts) is written as an integer: the same digits as the
        // float's shortest form, without its cost. -0 keeps its sign the float's way.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 && *f != 0.0 => {
            number(writer, format_args!("{}", *f as i64))
        }
        Data::Float(f) if f.is_finite() => number(writer, format_args!("{f}")),
        Data::Float(_) => writer.error(row, col, "#NUM!"),
        Data::Bool(b) => writer.bool(row, col, *b),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) if dt.is_datetime() => writer.date(row, col, t.date()),
            _ => number(writer, format_args!("{}", dt.as_f64())),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => writer.text(row, col, s),
        Data::Error(e) => {
            scratch.clear();
            let _ = write!(scratch, "{e}");
            writer.error(row, col, scratch);
        }
    }
}

/// Opens an xlsx, xls or ods file and hands each sheet's cells, with what it hides, to
/// `on_sheet`, within the limits.
fn read_sheets(
    bytes: &[u8],
    format: Format,
    limits: &Limits,
    mut on_sheet: impl FnMut(String, &Range<Data>, Hidden),
) -> Result<(), String> {
    let mut workbook = open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|_| {
        "Regnearket kunne ikke leses; filen er skadet eller i et format vi ikke kjenner."
            .to_string()
    })?;
    let names = workbook.sheet_names();
    if names.len() > limits.max_sheets {
        return Err(format!(
            "Arbeidsboken har {} ark; høyst {} er tillatt.",
            names.len(),
            limits.max_sheets
        ));
    }
    // What the file hides is found in a second pass over its XML, beside calamine's read
    // on another core; the sheets wait for it.
    std::thread::scope(|scope| {
        let hidden = scope.spawn(|| match format {
            Format::Xlsx => super::hidden::in_xlsx(bytes),
            Format::Ods => super::hidden::in_ods(bytes),
            Format::Xls => super::hidden::in_xls(bytes),
            Format::Csv | Format::JsonStat | Format::Px => Default::default(),
        });
        let mut sheets = Vec::with_capacity(names.len());
        let mut cells_seen = 0usize;
        for name in names {
            let range = workbook
                .worksheet_range(&name)
                .map_err(|_| format!("Arket «{name}» kunne ikke leses; filen er skadet."))?;
            cells_seen =
                cells_seen.saturating_add(range.get_size().0.saturating_mul(range.get_size().1));
            if cells_seen > limits.max_cells {
                return Err(format!(
                    "Arbeidsboken er for stor (mer enn {} celler).",
                    limits.max_cells
                ));
            }
            sheets.push((name, range));
        }
        let mut hidden = hidden
            .join()
            .map_err(|_| "Regnearket kunne ikke leses; filen er skadet.".to_string())?;
        for (name, range) in sheets {
            let sheet_hidden = hidden.remove(&name).unwrap_or_default();
            on_sheet(name, &range, sheet_hidden);
        }
        Ok(())
    })
}

/// Each non-empty cell of a range with its place in the sheet, in (row, column) order.
fn placed_cells(range: &Range<Data>) -> impl Iterator<Item = (u32, u32, &Data)> {
    let (row0, col0) = range.start().unwrap_or_default();
    range.rows().enumerate().flat_map(move |(r, row)| {
        row.iter()
            .enumerate()
            .map(move |(c, data)| (row0 + r as u32, col0 + c as u32, data))
    })
}

/// Reads every sheet of an xlsx, xls or ods file.
pub fn read_workbook(bytes: &[u8], format: Format, limits: &Limits) -> Result<Workbook, String> {
    let mut sheets = Vec::new();
    read_sheets(bytes, format, limits, |name, range, hidden| {
        // In key order already: the map is built without sorting.
        let cells = placed_cells(range)
            .filter_map(|(row, col, data)| Some(((row, col), cell_value(data)?)))
            .collect();
        sheets.push(Grid {
            name,
            cells,
            hidden_rows: hidden.rows,
            hidden_cols: hidden.cols,
        });
    })?;
    Ok(Workbook {
        format: format.as_str().to_string(),
        sheets,
    })
}

/// What [`read_workbook`] reads, in the form of [`super::wire`], written cell by cell
/// without building the workbook first.
pub fn read_workbook_encoded(
    bytes: &[u8],
    format: Format,
    limits: &Limits,
) -> Result<Vec<u8>, String> {
    let mut writer = Writer::workbook(format.as_str());
    let mut scratch = String::new();
    read_sheets(bytes, format, limits, |name, range, hidden| {
        writer.begin_sheet(&name);
        for (row, col, data) in placed_cells(range) {
            write_cell(&mut writer, row, col, data, &mut scratch);
        }
        writer.end_sheet(&hidden.rows, &hidden.cols);
    })?;
    Ok(writer.finish())
}

/// Decodes text as UTF-8 (with or without BOM), else as Windows-1252.
pub fn decode_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|b| windows_1252(*b)).collect(),
    }
}

fn windows_1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// Reads a CSV file (semicolon, comma or tab separated) as one sheet named `CSV`.
pub fn read_csv(bytes: &[u8]) -> Result<Workbook, String> {
    // The reader's line count (for cell names) sees only LF: Excel's CRLF and old Mac CR
    // become LF first.
    let text = decode_text(bytes).replace("\r\n", "\n").replace('\r', "\n");
    let delimiter = guess_delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut grid = Grid {
        name: "CSV".into(),
        ..Default::default()
    };
    // The reader skips blank lines, and a record's position is where the previous one
    // ended: the blank lines in between are counted back in, so cell names (`CSV!C7`)
    // are where a spreadsheet program opening the file shows the cell. A quoted line
    // break stays inside its cell and row.
    let bytes = text.as_bytes();
    let mut next_row = 0u32;
    for (r, record) in reader.records().enumerate() {
        let record =
            record.map_err(|e| format!("CSV-filen kunne ikke leses (linje {}): {e}", r + 1))?;
        let position = record.position().map_or(0, |p| p.byte() as usize);
        let blank_lines = bytes
            .get(position..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| **b == b'\n')
            .count();
        let row = next_row.saturating_add(blank_lines as u32);
        next_row = row.saturating_add(1);
        for (c, field) in record.iter().enumerate() {
            if !field.trim().is_empty() {
                grid.cells
                    .insert((row, c as u32), CellValue::Text(field.to_string()));
            }
        }
    }
    Ok(Workbook {
        format: Format::Csv.as_str().into(),
        sheets: vec![grid],
    })
}

/// The separator most lines agree on: for each candidate, how many lines have the most
/// common count of it outside quotes. Commas inside quoted titles and decimal commas
/// (`12,6` varies from line to line, `..` has none) do not make a consistent count, so a
/// semicolon file with them stays a semicolon file; on a tie `;` wins, as SSB writes it.
fn guess_delimiter(text: &str) -> u8 {
    let sample: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(50)
        .collect();
    let outside_quotes = |line: &str, d: char| {
        let mut quoted = false;
        line.chars()
            .filter(|c| {
                if *c == '"' {
                    quoted = !quoted;
                }
                !quoted && *c == d
            })
            .count()
    };
    [b',', b'\t', b';']
        .into_iter()
        .max_by_key(|d| {
            let mut tally = std::collections::BTreeMap::<usize, usize>::new();
            for line in &sample {
                let n = outside_quotes(line, char::from(*d));
                if n > 0 {
                    *tally.entry(n).or_default() += 1;
                }
            }
            tally
                .into_iter()
                .max_by_key(|(n, lines)| (*lines, *n))
                .map(|(n, lines)| (lines, n))
                .unwrap_or((0, 0))
        })
        .unwrap_or(b';')
}

/// The child process's whole job: the file on standard input (its format named in
/// `format`, or `-` for the input's first line), the workbook or an error message on
/// standard output, in the form of [`super::wire`].
pub fn child_main(format: &str) -> std::io::Result<()> {
    limit_own_resources();
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input)?;
    // `-`: the format is the input's first line (the reader was started before the file
    // came); otherwise it was given as an argument.
    let (format, bytes) = match format {
        "-" => {
            let end = input
                .iter()
                .position(|&b| b == b'\n')
                .unwrap_or(input.len());
            let format = std::str::from_utf8(&input[..end]).unwrap_or_default();
            (format, input.get(end + 1..).unwrap_or_default())
        }
        given => (given, &input[..]),
    };
    let result = match Format::parse(format) {
        Some(f) => read_workbook_encoded(bytes, f, &Limits::default()),
        None => Err(format!("unknown format {format}")),
    };
    // Encoded whole and written at once: stdout is line-buffered, and would otherwise
    // send a large sheet in many small writes.
    let encoded = result.unwrap_or_else(|message| wire::encode(&ReaderOutput::Error(message)));
    let mut out = std::io::stdout().lock();
    out.write_all(&encoded)?;
    out.flush()
}

/// Caps the child's memory and CPU time, so a crafted file that makes the reader
/// allocate without bound or loop ends the child, not the server.
fn limit_own_resources() {
    #[cfg(unix)]
    // SAFETY: setrlimit only changes this process's own limits; the structs are valid.
    unsafe {
        let memory = libc::rlimit {
            rlim_cur: 2 * 1024 * 1024 * 1024,
            rlim_max: 2 * 1024 * 1024 * 1024,
        };
        libc::setrlimit(libc::RLIMIT_AS, &memory);
        let cpu = libc::rlimit {
            rlim_cur: 20,
            rlim_max: 25,
        };
        libc::setrlimit(libc::RLIMIT_CPU, &cpu);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{CellErrorType, ExcelDateTime, ExcelDateTimeType};
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn data() -> impl Strategy<Value = Data> {
        let error = prop_oneof![
            Just(CellErrorType::Div0),
            Just(CellErrorType::NA),
            Just(CellErrorType::Name),
            Just(CellErrorType::Null),
            Just(CellErrorType::Num),
            Just(CellErrorType::Ref),
            Just(CellErrorType::Value),
            Just(CellErrorType::GettingData),
        ];
        prop_oneof![
            Just(Data::Empty),
            "[ a-zæøå0-9,.]{0,8}".prop_map(Data::String),
            any::<i64>().prop_map(Data::Int),
            any::<f64>().prop_map(Data::Float),
            prop_oneof![
                Just(f64::NAN),
                Just(f64::INFINITY),
                Just(-0.0),
                Just(0.0),
                Just(1e300),
                Just(1e15),
                Just(-999_999_999_999_999.0),
            ]
            .prop_map(Data::Float),
            (-2_000_000_000_000_000i64..2_000_000_000_000_000).prop_map(|n| Data::Float(n as f64)),
            (-1_000_000i64..1_000_000, 0u32..4)
                .prop_map(|(n, scale)| Data::Float(n as f64 / 10f64.powi(scale as i32))),
            any::<bool>().prop_map(Data::Bool),
            (-10.0f64..200_000.0, any::<bool>(), any::<bool>()).prop_map(|(v, date, is_1904)| {
                let kind = if date {
                    ExcelDateTimeType::DateTime
                } else {
                    ExcelDateTimeType::TimeDelta
                };
                Data::DateTime(ExcelDateTime::new(v, kind, is_1904))
            }),
            "[0-9T:-]{0,10}".prop_map(Data::DateTimeIso),
            "P[0-9DTHMS]{0,6}".prop_map(Data::DurationIso),
            error.prop_map(Data::Error),
        ]
    }

    proptest! {
        /// The reader process's direct way gives the bytes of building the grid with
        /// `cell_value` and encoding it.
        #[test]
        fn cells_written_directly_equal_the_grid_encoded(cells in prop::collection::vec(data(), 0..30)) {
            let mut writer = Writer::workbook("xlsx");
            writer.begin_sheet("Budsjett");
            let mut scratch = String::new();
            for (i, d) in cells.iter().enumerate() {
                write_cell(&mut writer, (i / 4) as u32, (i % 4) as u32, d, &mut scratch);
            }
            writer.end_sheet(&BTreeSet::from([1]), &BTreeSet::new());
            let grid = Grid {
                name: "Budsjett".into(),
                cells: cells
                    .iter()
                    .enumerate()
                    .filter_map(|(i, d)| Some((((i / 4) as u32, (i % 4) as u32), cell_value(d)?)))
                    .collect(),
                hidden_rows: BTreeSet::from([1]),
                hidden_cols: BTreeSet::new(),
            };
            let workbook = Workbook { format: "xlsx".into(), sheets: vec![grid] };
            prop_assert_eq!(writer.finish(), wire::encode(&ReaderOutput::Workbook(workbook)));
        }
    }

    /// The whole file both ways: what the reader process sends is what `read_workbook`
    /// reads, hidden rows and columns included.
    #[test]
    fn encoded_reading_equals_the_workbook() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name("Søknad").unwrap();
        sheet.write_string(3, 0, "Søker").unwrap();
        sheet.write_string(3, 1, "Trondheim").unwrap();
        let sheet = book.add_worksheet();
        sheet.set_name("Budsjett").unwrap();
        sheet.write_string(2, 0, "Kategori").unwrap();
        sheet.write_number(3, 2, 1234.5).unwrap();
        sheet.write_boolean(4, 1, true).unwrap();
        sheet.write_string(5, 1, "  ").unwrap();
        sheet.set_row_hidden(4).unwrap();
        sheet.set_column_hidden(3).unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let limits = Limits::default();
        let read = read_workbook(&bytes, Format::Xlsx, &limits).unwrap();
        assert_eq!(read.sheets[1].hidden_rows, BTreeSet::from([4]));
        let encoded = read_workbook_encoded(&bytes, Format::Xlsx, &limits).unwrap();
        match wire::decode(&encoded) {
            Ok(ReaderOutput::Workbook(decoded)) => assert_eq!(decoded, read),
            other => panic!("{other:?}"),
        }
        assert!(read_workbook_encoded(b"PK\x03\x04 damaged", Format::Xlsx, &limits).is_err());
    }

    #[test]
    fn csv_in_both_encodings() {
        let utf8 = "\u{feff}søker;tildelt\nSnåsa;512 534\n";
        let wb = read_csv(utf8.as_bytes()).unwrap();
        assert_eq!(wb.sheets[0].text(1, 0).as_deref(), Some("Snåsa"));
        assert_eq!(wb.sheets[0].text(0, 0).as_deref(), Some("søker"));
        let cp1252: Vec<u8> = b"s\xf8ker;tildelt\nSn\xe5sa;512534\n".to_vec();
        let wb = read_csv(&cp1252).unwrap();
        assert_eq!(wb.sheets[0].text(1, 0).as_deref(), Some("Snåsa"));
        let comma = read_csv(b"soker,tildelt\nBjugn,600000\n").unwrap();
        assert_eq!(comma.sheets[0].text(1, 1).as_deref(), Some("600000"));
        // Excel writes CRLF: rows stay where a spreadsheet program shows them.
        let crlf = read_csv("Søker;Tildelt\r\nBjugn;600000\r\n\r\nSnåsa;1\r\n".as_bytes()).unwrap();
        let cells = &crlf.sheets[0];
        assert_eq!(cells.text(0, 1).as_deref(), Some("Tildelt"));
        assert_eq!(cells.text(1, 0).as_deref(), Some("Bjugn"));
        assert_eq!(cells.text(3, 0).as_deref(), Some("Snåsa"));
        // A line break inside a quoted cell stays in the cell.
        let quoted = read_csv(b"\"Tittel\r\nover to linjer\";x\r\nA;1\r\n").unwrap();
        assert_eq!(quoted.sheets[0].text(1, 0).as_deref(), Some("A"));
        // A blank line is an empty row, as in a spreadsheet program.
        let blank = read_csv(b"Tittel\n\nregion;2021\n5001;5\n").unwrap();
        assert_eq!(blank.sheets[0].text(3, 1).as_deref(), Some("5"));
    }

    #[test]
    fn the_separator_is_not_fooled_by_decimal_or_quoted_commas() {
        // Decimal commas unquoted in a semicolon file: the comma count varies per line.
        let decimal = "region;år;andel\r\n5001 Trondheim;2022;12,6\r\n5025 Røros;2022;..\r\n5057 Ørland;2022;8,25\r\n";
        assert_eq!(guess_delimiter(decimal), b';');
        // A title and a footnote full of commas, inside and outside quotes.
        let titled = "\"12617: Mottakere av hjemmetjenester, etter region, statistikkvariabel og år\"\n\nregion;2022;2023\n5001 Trondheim;12,6;13,1\n\nKilde: SSB, KPR, IPLOS, Helsedirektoratet, 2024\n";
        assert_eq!(guess_delimiter(titled), b';');
        let wb = read_csv(titled.as_bytes()).unwrap();
        assert_eq!(wb.sheets[0].text(3, 1).as_deref(), Some("12,6"));
        // A comma file with quoted decimal commas and a quoted title with commas.
        let comma = "\"12617: Mottakere, etter region og år\"\n\"region\",\"år\",\"andel\"\n\"5001 Trondheim\",\"2022\",\"12,6\"\n\"5025 Røros\",\"2022\",\"..\"\n";
        assert_eq!(guess_delimiter(comma), b',');
        assert_eq!(guess_delimiter("a\tb\tc\n1\t2,5\t3\n"), b'\t');
        assert_eq!(guess_delimiter("soker,tildelt\nBjugn,600000\n"), b',');
    }

    #[test]
    fn crlf_lines_keep_their_rows() {
        let wb = read_csv(b"Tittel\r\n\r\nregion;2021\r\n5001;5\r\n").unwrap();
        assert_eq!(wb.sheets[0].text(0, 0).as_deref(), Some("Tittel"));
        assert_eq!(wb.sheets[0].text(2, 0).as_deref(), Some("region"));
        assert_eq!(wb.sheets[0].text(3, 1).as_deref(), Some("5"));
    }
}
