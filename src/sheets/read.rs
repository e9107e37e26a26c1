//! Reading a workbook into [`Grid`]s with calamine. This runs in the child process
//! (see [`super::isolate`]); CSV is read in-process, since the csv reader is bounded by
//! the file's size.

use std::io::{Cursor, Read, Write};

use calamine::{Data, Reader, open_workbook_auto_from_rs};

use super::detect::{Format, Limits};
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

/// Reads every sheet of an xlsx, xls or ods file.
pub fn read_workbook(bytes: &[u8], format: Format, limits: &Limits) -> Result<Workbook, String> {
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
    let mut hidden = match format {
        Format::Xlsx => super::hidden::in_xlsx(bytes),
        Format::Ods => super::hidden::in_ods(bytes),
        Format::Xls => super::hidden::in_xls(bytes),
        Format::Csv | Format::JsonStat | Format::Px => Default::default(),
    };
    let mut sheets = Vec::new();
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
        let mut grid = Grid {
            name: name.clone(),
            ..Default::default()
        };
        if let Some((row0, col0)) = range.start() {
            for (r, row) in range.rows().enumerate() {
                for (c, data) in row.iter().enumerate() {
                    if let Some(value) = cell_value(data) {
                        grid.cells.insert((row0 + r as u32, col0 + c as u32), value);
                    }
                }
            }
        }
        if let Some(h) = hidden.remove(&name) {
            grid.hidden_rows = h.rows;
            grid.hidden_cols = h.cols;
        }
        sheets.push(grid);
    }
    Ok(Workbook {
        format: format.as_str().to_string(),
        sheets,
    })
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
/// `format`), the workbook or an error message on standard output, in the form of
/// [`super::wire`].
pub fn child_main(format: &str) -> std::io::Result<()> {
    limit_own_resources();
    let mut bytes = Vec::new();
    std::io::stdin().read_to_end(&mut bytes)?;
    let result = match Format::parse(format) {
        Some(f) => read_workbook(&bytes, f, &Limits::default()),
        None => Err(format!("unknown format {format}")),
    };
    let output = match result {
        Ok(workbook) => ReaderOutput::Workbook(workbook),
        Err(message) => ReaderOutput::Error(message),
    };
    // Encoded whole and written at once: stdout is line-buffered, and would otherwise
    // send a large sheet in many small writes.
    let encoded = super::wire::encode(&output);
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
