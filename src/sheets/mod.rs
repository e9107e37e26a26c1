//! Spreadsheets in and out.
//!
//! In: a file is first recognised by its content ([`detect`]), then read by calamine in a
//! separate, resource-limited process ([`isolate`], [`read`]) into plain [`Grid`]s, and
//! only then interpreted ([`application`], [`allocations`]) by ordinary safe code. A file
//! that makes the reader crash or run out of memory costs one child process, never the
//! server. Out: the application workbook ([`template`]) and the reports, written with
//! rust_xlsxwriter: a report is a [`export::Table`] of typed cells, written to a sheet by
//! [`export::write_table`] and to CSV by [`csv_export::table_to_csv`] (guarded against
//! formula injection); [`round_export`] and [`statistics_export`] build on it, and
//! [`comparison`] shares its formats, sum formulas and print settings.

pub mod allocations;
pub mod application;
pub mod comparison;
pub mod csv_export;
pub mod cube;
pub mod detect;
pub mod export;
pub mod final_report;
pub mod followup_export;
pub mod hidden;
pub mod isolate;
pub mod jsonstat;
pub mod px;
pub mod read;
pub mod report;
pub mod round_export;
pub mod statistics;
pub mod statistics_export;
pub mod template;
pub mod text;
pub mod wire;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// One cell's value as read from a file. Numbers are kept as the decimal text of the
/// stored value (the shortest form that reads back to the same number), never as a float.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "t", content = "v")]
pub enum CellValue {
    Text(String),
    Number(String),
    Bool(bool),
    Date(chrono::NaiveDate),
    /// An error value in the file (`#DIV/0!`, `#REF!`).
    Error(String),
}

impl CellValue {
    /// The value as a person would read it, for messages: `«12 000,5O»`.
    pub fn display(&self) -> String {
        match self {
            CellValue::Text(t) => t.clone(),
            CellValue::Number(n) => n.replace('.', ","),
            CellValue::Bool(b) => if *b { "SANN" } else { "USANN" }.into(),
            CellValue::Date(d) => crate::domain::date::format_date(*d),
            CellValue::Error(e) => e.clone(),
        }
    }

    pub fn text(&self) -> String {
        match self {
            CellValue::Text(t) => t.trim().to_string(),
            other => other.display(),
        }
    }

    /// Whether [`CellValue::text`] is empty, without building it.
    pub fn is_blank(&self) -> bool {
        match self {
            CellValue::Text(t) => t.trim().is_empty(),
            CellValue::Number(n) => n.is_empty(),
            CellValue::Error(e) => e.is_empty(),
            CellValue::Bool(_) | CellValue::Date(_) => false,
        }
    }
}

/// One sheet as a sparse table; rows and columns count from 0.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Grid {
    pub name: String,
    /// `[row, column, value]` for each cell that has a value.
    #[serde(with = "cell_list")]
    #[schemars(with = "Vec<(u32, u32, CellValue)>")]
    pub cells: BTreeMap<(u32, u32), CellValue>,
    /// Rows and columns the file hides (a filter, or hidden by hand); see [`hidden`].
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub hidden_rows: BTreeSet<u32>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub hidden_cols: BTreeSet<u32>,
}

/// Cells as a list of `[row, col, value]`: JSON (between the reader process and the
/// server) has no tuple keys.
mod cell_list {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serializer};

    use super::CellValue;

    pub fn serialize<S: Serializer>(
        cells: &BTreeMap<(u32, u32), CellValue>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(cells.iter().map(|((row, col), value)| (row, col, value)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BTreeMap<(u32, u32), CellValue>, D::Error> {
        let list = Vec::<(u32, u32, CellValue)>::deserialize(deserializer)?;
        Ok(list
            .into_iter()
            .map(|(row, col, value)| ((row, col), value))
            .collect())
    }
}

/// What the reader process writes to its standard output.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReaderOutput {
    Workbook(Workbook),
    /// A Norwegian sentence for the user.
    Error(String),
}

impl Grid {
    pub fn get(&self, row: u32, col: u32) -> Option<&CellValue> {
        self.cells.get(&(row, col))
    }

    /// The non-empty text of a cell.
    pub fn text(&self, row: u32, col: u32) -> Option<String> {
        self.get(row, col)
            .map(CellValue::text)
            .filter(|t| !t.is_empty())
    }

    /// The rows that have anything in them, in order.
    pub fn used_rows(&self) -> Vec<u32> {
        let mut rows: Vec<u32> = self.cells.keys().map(|(r, _)| *r).collect();
        rows.dedup();
        rows
    }

    /// The same sheet without what it hides, and a warning naming each hidden row or
    /// column that had anything in it: what a person sees is what is imported.
    pub fn visible_only(&self) -> (Cow<'_, Grid>, Vec<Problem>) {
        // Most sheets hide nothing: no copy then.
        if self.hidden_rows.is_empty() && self.hidden_cols.is_empty() {
            return (Cow::Borrowed(self), Vec::new());
        }
        let mut visible = self.clone();
        visible.hidden_rows.clear();
        visible.hidden_cols.clear();
        visible
            .cells
            .retain(|(r, c), _| !self.hidden_rows.contains(r) && !self.hidden_cols.contains(c));
        let mut problems = Vec::new();
        for row in &self.hidden_rows {
            let shown: Vec<String> = self
                .cells
                .range((*row, 0)..=(*row, u32::MAX))
                .map(|(_, v)| v.text())
                .filter(|t| !t.is_empty())
                .take(3)
                .collect();
            if !shown.is_empty() {
                problems.push(Problem::warning_at(
                    &self.name,
                    *row,
                    0,
                    format!(
                        "Rad {} er skjult (av et filter eller for hånd) og importeres ikke: «{}».",
                        row + 1,
                        shown.join(" · ")
                    ),
                ));
            }
        }
        for col in &self.hidden_cols {
            let used = self.cells.iter().any(|((r, c), v)| {
                c == col && !self.hidden_rows.contains(r) && !v.text().is_empty()
            });
            if used {
                problems.push(Problem::warning_in(
                    Some(&self.name),
                    format!(
                        "Kolonne {} er skjult og importeres ikke.",
                        column_name(*col)
                    ),
                ));
            }
        }
        (Cow::Owned(visible), problems)
    }

    pub fn row_is_empty(&self, row: u32) -> bool {
        self.cells
            .range((row, 0)..=(row, u32::MAX))
            .all(|(_, v)| v.is_blank())
    }
}

/// A whole workbook as read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Workbook {
    pub format: String,
    pub sheets: Vec<Grid>,
}

impl Workbook {
    /// The sheet with this name, ignoring case and surrounding space.
    pub fn sheet(&self, name: &str) -> Option<&Grid> {
        self.sheets
            .iter()
            .find(|g| g.name.trim().eq_ignore_ascii_case(name.trim()))
            .or_else(|| {
                let folded = crate::domain::kommune::fold_name(name);
                self.sheets
                    .iter()
                    .find(|g| crate::domain::kommune::fold_name(&g.name) == folded)
            })
    }
}

/// A cell address as Excel writes it: `Budsjett!D7`.
pub fn cell_ref(sheet: &str, row: u32, col: u32) -> String {
    format!("{sheet}!{}{}", column_name(col), row + 1)
}

pub fn column_name(col: u32) -> String {
    let mut n = col + 1;
    let mut name = String::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        name.insert(0, (b'A' + rem as u8) as char);
        n = (n - 1) / 26;
    }
    name
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in an upload, named by sheet and cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Problem {
    pub severity: Severity,
    pub sheet: Option<String>,
    /// `D7`, or `None` when the problem is the whole sheet or file.
    pub cell: Option<String>,
    pub message: String,
}

impl Problem {
    pub fn error_at(sheet: &str, row: u32, col: u32, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Error,
            sheet: Some(sheet.to_string()),
            cell: Some(format!("{}{}", column_name(col), row + 1)),
            message: message.into(),
        }
    }

    pub fn warning_at(sheet: &str, row: u32, col: u32, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Warning,
            ..Problem::error_at(sheet, row, col, message)
        }
    }

    pub fn error_in(sheet: Option<&str>, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Error,
            sheet: sheet.map(str::to_string),
            cell: None,
            message: message.into(),
        }
    }

    pub fn warning_in(sheet: Option<&str>, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Warning,
            ..Problem::error_in(sheet, message)
        }
    }

    /// `Budsjett!D7: «12 000,5O» er ikke et beløp.`
    pub fn located(&self) -> String {
        match (&self.sheet, &self.cell) {
            (Some(s), Some(c)) => format!("{s}!{c}: {}", self.message),
            (Some(s), None) => format!("{s}: {}", self.message),
            _ => self.message.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_names() {
        assert_eq!(cell_ref("Budsjett", 6, 3), "Budsjett!D7");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(701), "ZZ");
        assert_eq!(column_name(702), "AAA");
    }
}
