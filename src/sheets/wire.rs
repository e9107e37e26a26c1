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
    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(MAGIC);
    match output {
        ReaderOutput::Workbook(workbook) => {
            out.push(0);
            put_str(&mut out, &workbook.format);
            put_u32(&mut out, workbook.sheets.len());
            for sheet in &workbook.sheets {
                put_str(&mut out, &sheet.name);
                put_u32(&mut out, sheet.cells.len());
                for ((row, col), value) in &sheet.cells {
                    out.extend_from_slice(&row.to_le_bytes());
                    out.extend_from_slice(&col.to_le_bytes());
                    match value {
                        CellValue::Text(t) => {
                            out.push(TEXT);
                            put_str(&mut out, t);
                        }
                        CellValue::Number(n) => {
                            out.push(NUMBER);
                            put_str(&mut out, n);
                        }
                        CellValue::Bool(b) => {
                            out.push(BOOL);
                            out.push(u8::from(*b));
                        }
                        CellValue::Date(d) => {
                            out.push(DATE);
                            out.extend_from_slice(&d.num_days_from_ce().to_le_bytes());
                        }
                        CellValue::Error(e) => {
                            out.push(ERROR);
                            put_str(&mut out, e);
                        }
                    }
                }
                for set in [&sheet.hidden_rows, &sheet.hidden_cols] {
                    put_u32(&mut out, set.len());
                    for n in set {
                        out.extend_from_slice(&n.to_le_bytes());
                    }
                }
            }
        }
        ReaderOutput::Error(message) => {
            out.push(1);
            put_str(&mut out, message);
        }
    }
    out
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
