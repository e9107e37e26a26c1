//! The reader process's answer ([`ReaderOutput`]) in a compact binary form. JSON of a
//! large sheet (every cell a `[row, col, {"t": …, "v": …}]`) cost more to write and read
//! back than calamine's own read; this is length-prefixed little-endian, written and read
//! in one pass. The child is the same binary as the server, so both ends always agree on
//! the layout; the parent still checks every length, since a crafted file might have
//! subverted the child.
//!
//! Layout: `MAGIC`, then a tag byte: `0` a workbook, `1` an error message (a string).
//! A workbook: its format (string), the sheet count (u32), and per sheet its name
//! (string), the cell count (u32) and per cell row, column (u32 each), a kind byte and
//! the value; then the hidden rows and the hidden columns (a count and that many u32).
//! Strings are a u32 byte length and UTF-8; a date is its day number from 1 January of
//! year 1 (i32); a boolean one byte.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};

use super::{CellValue, Grid, ReaderOutput, Workbook};

const MAGIC: &[u8; 4] = b"TGW1";

const TEXT: u8 = 0;
const NUMBER: u8 = 1;
const BOOL: u8 = 2;
const DATE: u8 = 3;
const ERROR: u8 = 4;

/// The smallest encoding of one cell (row, column, kind, a boolean): no count read from
/// the input may reserve more cells than the remaining bytes could hold.
const MIN_CELL: usize = 4 + 4 + 1 + 1;

pub fn encode(output: &ReaderOutput) -> Vec<u8> {
    match output {
        ReaderOutput::Workbook(workbook) => {
            let mut writer = Writer::workbook(&workbook.format);
            for sheet in &workbook.sheets {
                writer.begin_sheet(&sheet.name);
                for ((row, col), value) in &sheet.cells {
                    match value {
                        CellValue::Text(t) => writer.text(*row, *col, t),
                        CellValue::Number(n) => writer.number(*row, *col, n),
                        CellValue::Bool(b) => writer.bool(*row, *col, *b),
                        CellValue::Date(d) => writer.date(*row, *col, *d),
                        CellValue::Error(e) => writer.error(*row, *col, e),
                    }
                }
                writer.end_sheet(&sheet.hidden_rows, &sheet.hidden_cols);
            }
            writer.finish()
        }
        ReaderOutput::Error(message) => {
            let mut out = MAGIC.to_vec();
            out.push(1);
            put_str(&mut out, message);
            out
        }
    }
}

/// Writes a workbook a cell at a time, so the reader can go from calamine's cells to
/// this form without building a [`Grid`] first.
pub struct Writer {
    out: Vec<u8>,
    sheets: u32,
    /// Where the current sheet's cell count goes, and the count so far.
    cells_at: usize,
    cells: u32,
}

impl Writer {
    pub fn workbook(format: &str) -> Self {
        let mut out = Vec::with_capacity(64 * 1024);
        out.extend_from_slice(MAGIC);
        out.push(0);
        put_str(&mut out, format);
        // The sheet count, filled in by `finish`.
        out.extend_from_slice(&0u32.to_le_bytes());
        Writer {
            out,
            sheets: 0,
            cells_at: 0,
            cells: 0,
        }
    }

    pub fn begin_sheet(&mut self, name: &str) {
        self.sheets += 1;
        put_str(&mut self.out, name);
        self.cells_at = self.out.len();
        self.cells = 0;
        self.out.extend_from_slice(&0u32.to_le_bytes());
    }

    /// Cells must come in (row, column) order, each once.
    fn cell(&mut self, row: u32, col: u32, kind: u8) {
        self.cells += 1;
        self.out.extend_from_slice(&row.to_le_bytes());
        self.out.extend_from_slice(&col.to_le_bytes());
        self.out.push(kind);
    }

    pub fn text(&mut self, row: u32, col: u32, text: &str) {
        self.cell(row, col, TEXT);
        put_str(&mut self.out, text);
    }

    pub fn number(&mut self, row: u32, col: u32, number: &str) {
        self.cell(row, col, NUMBER);
        put_str(&mut self.out, number);
    }

    pub fn bool(&mut self, row: u32, col: u32, value: bool) {
        self.cell(row, col, BOOL);
        self.out.push(u8::from(value));
    }

    pub fn date(&mut self, row: u32, col: u32, date: NaiveDate) {
        self.cell(row, col, DATE);
        self.out
            .extend_from_slice(&date.num_days_from_ce().to_le_bytes());
    }

    pub fn error(&mut self, row: u32, col: u32, error: &str) {
        self.cell(row, col, ERROR);
        put_str(&mut self.out, error);
    }

    pub fn end_sheet(&mut self, hidden_rows: &BTreeSet<u32>, hidden_cols: &BTreeSet<u32>) {
        let at = self.cells_at;
        self.out[at..at + 4].copy_from_slice(&self.cells.to_le_bytes());
        for set in [hidden_rows, hidden_cols] {
            put_u32(&mut self.out, set.len());
            for n in set {
                self.out.extend_from_slice(&n.to_le_bytes());
            }
        }
    }

    pub fn finish(mut self) -> Vec<u8> {
        let at = MAGIC.len() + 1;
        let format_len = u32::from_le_bytes([
            self.out[at],
            self.out[at + 1],
            self.out[at + 2],
            self.out[at + 3],
        ]) as usize;
        let count_at = at + 4 + format_len;
        self.out[count_at..count_at + 4].copy_from_slice(&self.sheets.to_le_bytes());
        self.out
    }
}

fn put_u32(out: &mut Vec<u8>, n: usize) {
    // Counts and lengths come from a workbook within `Limits`, far below 4 GiB.
    let n = u32::try_from(n).unwrap_or(u32::MAX);
    out.extend_from_slice(&n.to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u32(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

/// The input was not what [`encode`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

pub fn decode(bytes: &[u8]) -> Result<ReaderOutput, Malformed> {
    let mut input = Input(bytes.strip_prefix(MAGIC).ok_or(Malformed)?);
    let output = match input.u8()? {
        0 => {
            let format = input.string()?;
            let count = input.u32()? as usize;
            let mut sheets = Vec::with_capacity(count.min(input.0.len() / 8));
            for _ in 0..count {
                sheets.push(input.grid()?);
            }
            ReaderOutput::Workbook(Workbook { format, sheets })
        }
        1 => ReaderOutput::Error(input.string()?),
        _ => return Err(Malformed),
    };
    if input.0.is_empty() {
        Ok(output)
    } else {
        Err(Malformed)
    }
}

struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        if self.0.len() < n {
            return Err(Malformed);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, Malformed> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, Malformed> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn string(&mut self) -> Result<String, Malformed> {
        let len = self.u32()? as usize;
        let bytes = self.take(len)?;
        std::str::from_utf8(bytes)
            .map(str::to_string)
            .map_err(|_| Malformed)
    }

    fn set(&mut self) -> Result<BTreeSet<u32>, Malformed> {
        let count = self.u32()? as usize;
        if count > self.0.len() / 4 {
            return Err(Malformed);
        }
        (0..count).map(|_| self.u32()).collect()
    }

    fn grid(&mut self) -> Result<Grid, Malformed> {
        let name = self.string()?;
        let count = self.u32()? as usize;
        if count > self.0.len() / MIN_CELL {
            return Err(Malformed);
        }
        let mut cells = Vec::with_capacity(count);
        for _ in 0..count {
            let row = self.u32()?;
            let col = self.u32()?;
            let value = match self.u8()? {
                TEXT => CellValue::Text(self.string()?),
                NUMBER => CellValue::Number(self.string()?),
                BOOL => CellValue::Bool(self.u8()? != 0),
                DATE => {
                    let days = self.u32()? as i32;
                    CellValue::Date(NaiveDate::from_num_days_from_ce_opt(days).ok_or(Malformed)?)
                }
                ERROR => CellValue::Error(self.string()?),
                _ => return Err(Malformed),
            };
            cells.push(((row, col), value));
        }
        // Written in key order, so the map is built without sorting; a repeated key keeps
        // the last value, as the JSON form did.
        let cells: BTreeMap<(u32, u32), CellValue> = cells.into_iter().collect();
        let hidden_rows = self.set()?;
        let hidden_cols = self.set()?;
        Ok(Grid {
            name,
            cells,
            hidden_rows,
            hidden_cols,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn value() -> impl Strategy<Value = CellValue> {
        prop_oneof![
            ".{0,12}".prop_map(CellValue::Text),
            "-?[0-9]{1,9}(\\.[0-9]{1,4})?".prop_map(CellValue::Number),
            any::<bool>().prop_map(CellValue::Bool),
            (-100_000i32..1_000_000)
                .prop_map(|d| CellValue::Date(NaiveDate::from_num_days_from_ce_opt(d).unwrap())),
            "#[A-Z/0!]{1,6}".prop_map(CellValue::Error),
        ]
    }

    fn grid() -> impl Strategy<Value = Grid> {
        (
            ".{0,10}",
            prop::collection::btree_map((0u32..50, 0u32..20), value(), 0..40),
            prop::collection::btree_set(0u32..60, 0..4),
            prop::collection::btree_set(0u32..30, 0..4),
        )
            .prop_map(|(name, cells, hidden_rows, hidden_cols)| Grid {
                name,
                cells,
                hidden_rows,
                hidden_cols,
            })
    }

    fn workbook() -> impl Strategy<Value = Workbook> {
        ("[a-z]{0,5}", prop::collection::vec(grid(), 0..4))
            .prop_map(|(format, sheets)| Workbook { format, sheets })
    }

    fn via_json(output: &ReaderOutput) -> ReaderOutput {
        serde_json::from_slice(&serde_json::to_vec(output).unwrap()).unwrap()
    }

    fn same(a: &ReaderOutput, b: &ReaderOutput) -> bool {
        match (a, b) {
            (ReaderOutput::Workbook(a), ReaderOutput::Workbook(b)) => a == b,
            (ReaderOutput::Error(a), ReaderOutput::Error(b)) => a == b,
            _ => false,
        }
    }

    proptest! {
        /// The binary form gives back what the JSON form (the earlier wire format) gave.
        #[test]
        fn binary_and_json_agree(workbook in workbook()) {
            let output = ReaderOutput::Workbook(workbook);
            let binary = decode(&encode(&output)).unwrap();
            prop_assert!(same(&binary, &output));
            prop_assert!(same(&binary, &via_json(&output)));
        }

        #[test]
        fn errors_round_trip(message in ".{0,40}") {
            let output = ReaderOutput::Error(message);
            prop_assert!(same(&decode(&encode(&output)).unwrap(), &output));
        }

        /// Cut or damaged output is refused, never a panic or a huge allocation.
        #[test]
        fn damaged_output_is_refused(workbook in workbook(), cut in any::<prop::sample::Index>(), flip in any::<prop::sample::Index>(), bits in 1u8..=255) {
            let bytes = encode(&ReaderOutput::Workbook(workbook));
            let short = &bytes[..cut.index(bytes.len())];
            prop_assert_eq!(decode(short).err(), Some(Malformed));
            let mut flipped = bytes.clone();
            let at = flip.index(flipped.len());
            flipped[at] ^= bits;
            let _ = decode(&flipped);
        }
    }

    #[test]
    fn a_huge_count_reserves_nothing() {
        let mut bytes = MAGIC.to_vec();
        bytes.push(0);
        bytes.extend_from_slice(&0u32.to_le_bytes());
        bytes.extend_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode(&bytes).err(), Some(Malformed));
        assert_eq!(decode(b"{\"error\":\"x\"}").err(), Some(Malformed));
    }
}
