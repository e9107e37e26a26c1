//! An application workbook, read back: the Søknad sheet's label/value pairs and the
//! Budsjett sheet's lines, with every problem named by sheet and cell. Tolerant where
//! people are inconsistent (moved rows, a title above the header, amounts typed as
//! text, a total row), strict where it matters (amounts, categories, sums).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::template::{
    APPLICATION_SHEET, BUDGET_SHEET, LABEL_APPLICANT, LABEL_CONTACT, LABEL_DESCRIPTION,
    LABEL_EMAIL, LABEL_KOMMUNENUMMER, LABEL_ORG_NUMBER, LABEL_REQUESTED, LABEL_ROUND, LABEL_TITLE,
};
use super::text::{
    amount, amount_in_column, column_mark, header_is, is_total_label, kommunenummer,
};
use super::{CellValue, Grid, Problem, Workbook, column_name};
use crate::domain::Kroner;
use crate::domain::application::{ApplicationInput, BUDGET_CATEGORIES, BudgetLineInput};
use crate::domain::kommune::{Kommunenummer, fold_name};
use crate::domain::money::DecimalMark;
use crate::domain::validation::FieldErrors;

/// What the workbook says, before the applicant is matched to the register.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ParsedApplication {
    pub input: ApplicationInput,
    pub applicant_name: Option<String>,
    pub kommunenummer: Option<Kommunenummer>,
    pub org_number: Option<String>,
    pub problems: Vec<Problem>,
    /// Where each field of the Søknad sheet came from (`requested` → `Søknad!B11`), to
    /// name cells in messages; see [`ParsedApplication::cell`].
    pub cells: BTreeMap<String, (String, String)>,
    /// Where the budget lines came from.
    #[serde(default)]
    pub budget_cells: BudgetCells,
    /// The round the workbook was made for, as its «Runde» cell says, and where.
    pub round_label: Option<(String, String, String)>,
    /// Budget amounts typed as text, which a spreadsheet's SUM counts as 0.
    #[serde(skip)]
    pub text_amounts: TextAmounts,
}

/// What a recalculating spreadsheet program makes of amounts typed as text: its SUM
/// leaves them out. Per column (cost, own contribution, applied): the sum of the cells
/// that are numbers, and the cells that are text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextAmounts {
    pub number_sums: [Kroner; 3],
    pub text_cells: [Vec<String>; 3],
}

/// The budget table's columns and each line's row: the cell of a line's field
/// (`budget_lines[3].applied` → `Budsjett!E7`) is worked out when a message needs it,
/// instead of a map entry per field of 10 000 lines.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BudgetCells {
    pub sheet: String,
    pub category: u32,
    pub description: Option<u32>,
    /// The applied amount's column, or the cost's when there is none.
    pub applied: Option<u32>,
    pub own_contribution: Option<u32>,
    /// The row of each line, by line index.
    pub rows: Vec<u32>,
}

impl BudgetCells {
    fn cell(&self, field: &str) -> Option<(String, String)> {
        let (index, name) = field.strip_prefix("budget_lines[")?.split_once("].")?;
        // Only the index as the lines are numbered (`3`, not `03` or `+3`).
        let canonical = index.bytes().all(|b| b.is_ascii_digit())
            && !index.is_empty()
            && (index == "0" || !index.starts_with('0'));
        if !canonical {
            return None;
        }
        let row = *self.rows.get(index.parse::<usize>().ok()?)?;
        let col = match name {
            "category" => Some(self.category),
            "description" => self.description,
            "applied" => self.applied,
            "own_contribution" => self.own_contribution,
            _ => None,
        }?;
        Some((
            self.sheet.clone(),
            format!("{}{}", column_name(col), row + 1),
        ))
    }
}

impl TextAmounts {
    fn any(&self) -> bool {
        self.text_cells.iter().any(|c| !c.is_empty())
    }
}

impl ParsedApplication {
    /// The sheet and cell a field came from: `requested`, `budget_lines[3].applied`.
    pub fn cell(&self, field: &str) -> Option<(String, String)> {
        match self.cells.get(field) {
            Some(cell) => Some(cell.clone()),
            None => self.budget_cells.cell(field),
        }
    }

    /// Turns the domain's field errors into problems at the cells the fields came from.
    pub fn add_field_errors(&mut self, errors: &FieldErrors) {
        for e in &errors.0 {
            // A field with no cell of its own (no description column) is named by its row.
            let line_cell = || {
                e.field
                    .split_once('.')
                    .and_then(|(line, _)| self.cell(&format!("{line}.category")))
            };
            let problem = match self.cell(&e.field).or_else(line_cell) {
                Some((sheet, cell)) => Problem {
                    severity: super::Severity::Error,
                    sheet: Some(sheet),
                    cell: Some(cell),
                    message: e.message.clone(),
                },
                None => Problem::error_in(None, e.message.clone()),
            };
            // One message per cell: where reading the cell already failed, the rule's
            // view of the same value adds nothing.
            let told = self.problems.iter().any(|p| {
                p.severity == super::Severity::Error
                    && p.cell.is_some()
                    && p.sheet == problem.sheet
                    && p.cell == problem.cell
            });
            if !told {
                self.problems.push(problem);
            }
        }
    }
}

fn find_sheet<'a>(
    workbook: &'a Workbook,
    name: &str,
    problems: &mut Vec<Problem>,
) -> Option<&'a Grid> {
    let sheet = workbook.sheet(name);
    if sheet.is_none() {
        let found: Vec<&str> = workbook.sheets.iter().map(|s| s.name.as_str()).collect();
        problems.push(Problem::error_in(
            None,
            format!(
                "Arbeidsboken mangler arket «{name}» (den har: {}). Bruk søknadsskjemaet fra runden.",
                found.join(", ")
            ),
        ));
    }
    sheet
}

pub fn parse(workbook: &Workbook) -> ParsedApplication {
    let mut parsed = ParsedApplication::default();
    if let Some(sheet) = find_sheet(workbook, APPLICATION_SHEET, &mut parsed.problems) {
        parse_application_sheet(sheet, &mut parsed);
    }
    if let Some(sheet) = find_sheet(workbook, BUDGET_SHEET, &mut parsed.problems) {
        parse_budget_sheet(sheet, &mut parsed);
    }
    requested_without_text_lines(&mut parsed);
    parsed
}

/// «Omsøkt beløp» on the first sheet is the template's formula over the budget: when the
/// program left out lines typed as text, it is that sum, not the applicant's. The lines
/// decide then, with a warning.
fn requested_without_text_lines(parsed: &mut ParsedApplication) {
    let seen = &parsed.text_amounts;
    if !seen.any() {
        return;
    }
    let lines: Kroner = parsed
        .input
        .budget_lines
        .iter()
        .filter_map(|l| Kroner::parse(&l.applied).ok())
        .sum();
    let Some(requested) = parsed
        .input
        .requested
        .as_deref()
        .and_then(|r| Kroner::parse(r).ok())
    else {
        return;
    };
    if requested == lines || requested != seen.number_sums[2] || seen.text_cells[2].is_empty() {
        return;
    }
    parsed.input.requested = None;
    let cells = seen.text_cells[2].clone();
    let message = format!(
        "Omsøkt beløp ({requested}) er regnet uten budsjettbeløpene som er skrevet som tekst ({}); summen av budsjettpostene, {lines}, brukes.",
        cells.join(", ")
    );
    let problem = match parsed.cells.get("requested") {
        Some((sheet, cell)) => Problem {
            severity: super::Severity::Warning,
            sheet: Some(sheet.clone()),
            cell: Some(cell.clone()),
            message,
        },
        None => Problem::warning_in(None, message),
    };
    parsed.problems.push(problem);
}

fn parse_application_sheet(sheet: &Grid, parsed: &mut ParsedApplication) {
    let name = sheet.name.clone();
    for row in sheet.used_rows() {
        // The label is the first text in the row; the value the next cell with anything.
        let Some(((_, label_col), label)) = sheet
            .cells
            .range((row, 0)..=(row, u32::MAX))
            .find(|(_, v)| matches!(v, CellValue::Text(_)))
        else {
            continue;
        };
        let label = label.text();
        let value_cell = sheet
            .cells
            .range((row, label_col + 1)..=(row, u32::MAX))
            .next()
            .map(|((_, c), v)| (*c, v.clone()));
        let here = |col: u32| (name.clone(), format!("{}{}", column_name(col), row + 1));
        let value_col = value_cell
            .as_ref()
            .map(|(c, _)| *c)
            .unwrap_or(label_col + 1);
        let text = value_cell
            .as_ref()
            .map(|(_, v)| v.text())
            .filter(|t| !t.is_empty());
        let is = |wanted: &str| fold_name(&label) == fold_name(wanted);
        if is(LABEL_APPLICANT) {
            parsed.applicant_name = text;
            parsed.cells.insert("applicant".into(), here(value_col));
        } else if is(LABEL_ORG_NUMBER) {
            parsed.org_number = text;
            parsed.cells.insert("org_number".into(), here(value_col));
        } else if is(LABEL_ROUND) {
            if let Some(label) = text {
                let (sheet, cell) = here(value_col);
                parsed.round_label = Some((label, sheet, cell));
            }
        } else if is(LABEL_KOMMUNENUMMER) {
            parsed.cells.insert("kommunenummer".into(), here(value_col));
            if let Some((_, v)) = &value_cell {
                match kommunenummer(v) {
                    Ok(k) => parsed.kommunenummer = Some(k),
                    Err(message) => parsed
                        .problems
                        .push(Problem::error_at(&name, row, value_col, message)),
                }
            }
        } else if is(LABEL_CONTACT) {
            parsed.input.contact_person = text;
            parsed
                .cells
                .insert("contact_person".into(), here(value_col));
        } else if is(LABEL_EMAIL) {
            parsed.input.email = text;
            parsed.cells.insert("email".into(), here(value_col));
        } else if is(LABEL_TITLE) {
            parsed.input.project_title = text;
            parsed.cells.insert("project_title".into(), here(value_col));
        } else if is(LABEL_DESCRIPTION) {
            parsed.input.description = text;
            parsed.cells.insert("description".into(), here(value_col));
        } else if is(LABEL_REQUESTED) || is("Omsøkt beløp") || is("Søknadsbeløp") {
            parsed.cells.insert("requested".into(), here(value_col));
            if let Some((_, v)) = &value_cell {
                match amount(v) {
                    Ok(a) => parsed.input.requested = Some(a.to_api_string()),
                    Err(message) => parsed
                        .problems
                        .push(Problem::error_at(&name, row, value_col, message)),
                }
            }
        }
    }
}

/// Column positions of the budget table, found from its header row.
struct BudgetColumns {
    header_row: u32,
    category: u32,
    description: Option<u32>,
    cost: Option<u32>,
    own: Option<u32>,
    applied: Option<u32>,
}

fn find_budget_header(sheet: &Grid) -> Option<BudgetColumns> {
    for row in sheet.used_rows() {
        let cells: Vec<(u32, &CellValue)> = sheet
            .cells
            .range((row, 0)..=(row, u32::MAX))
            .map(|((_, c), v)| (*c, v))
            .collect();
        let col = |wanted: &[&str]| {
            cells
                .iter()
                .find(|(_, v)| header_is(v, wanted))
                .map(|(c, _)| *c)
        };
        if let Some(category) = col(&["Kategori", "Budsjettpost"]) {
            let applied = col(&["Omsøkt", "Søkt beløp", "Søkt"]);
            let cost = col(&["Kostnad", "Totalkostnad", "Kostnader"]);
            if applied.is_some() || cost.is_some() {
                return Some(BudgetColumns {
                    header_row: row,
                    category,
                    description: col(&["Beskrivelse", "Tiltak", "Post"]),
                    cost,
                    own: col(&["Egenandel", "Egenfinansiering", "Egen innsats"]),
                    applied,
                });
            }
        }
    }
    None
}

fn parse_budget_sheet(sheet: &Grid, parsed: &mut ParsedApplication) {
    let name = sheet.name.clone();
    let Some(cols) = find_budget_header(sheet) else {
        parsed.problems.push(Problem::error_in(
            Some(&name),
            "Fant ikke overskriftsraden (Kategori, Beskrivelse, Kostnad, Egenandel, Omsøkt beløp).",
        ));
        return;
    };
    parsed.budget_cells = BudgetCells {
        sheet: name.clone(),
        category: cols.category,
        description: cols.description,
        applied: cols.applied.or(cols.cost),
        own_contribution: cols.own,
        rows: Vec::new(),
    };
    // Each amount column is read with the decimal mark its own values show (`1 234,50`
    // settles `600.000`); see `text::amount_in_column`.
    let mark_of = |col: Option<u32>| {
        col.and_then(|col| {
            column_mark(
                sheet
                    .cells
                    .range((cols.header_row + 1, 0)..)
                    .filter(|((_, c), _)| *c == col)
                    .map(|(_, v)| v),
            )
        })
    };
    let marks: Vec<(u32, DecimalMark)> = [cols.cost, cols.own, cols.applied]
        .into_iter()
        .filter_map(|c| Some((c?, mark_of(c)?)))
        .collect();
    let mut categories = CategoryCache::default();
    let mut totals = (Kroner::ZERO, Kroner::ZERO, Kroner::ZERO);
    let mut total_row_seen = false;
    // One walk over the cells below the header, a row at a time: a lookup per cell in
    // the whole sheet's map, for each of 10 000 lines, cost more than the checks.
    let mut below = sheet
        .cells
        .range((cols.header_row + 1, 0)..)
        .map(|(&(row, col), value)| (row, col, value))
        .peekable();
    let mut cells: Vec<(u32, &CellValue)> = Vec::new();
    while let Some(&(row, _, _)) = below.peek() {
        cells.clear();
        while let Some((_, col, value)) = below.next_if(|(r, _, _)| *r == row) {
            cells.push((col, value));
        }
        let cells = &cells[..];
        // The row's cells are in column order.
        let get = |col: u32| {
            cells
                .binary_search_by_key(&col, |(c, _)| *c)
                .ok()
                .map(|i| cells[i].1)
        };
        if cells.iter().all(|(_, v)| v.is_blank()) {
            continue;
        }
        let first_text = cells.iter().find_map(|(_, v)| match v {
            CellValue::Text(t) => Some(t.trim()),
            _ => None,
        });
        if first_text.is_some_and(is_total_label) {
            check_total_row(sheet, row, &cols, totals, parsed);
            total_row_seen = true;
            break;
        }
        let read_amount = |col: Option<u32>, parsed: &mut ParsedApplication| -> Option<Kroner> {
            let col = col?;
            let value = get(col)?;
            let mark = marks.iter().find(|(c, _)| *c == col).map(|(_, m)| *m);
            let which = [cols.cost, cols.own, cols.applied]
                .iter()
                .position(|c| *c == Some(col));
            match amount_in_column(value, mark) {
                Ok(a) => {
                    if let Some(i) = which {
                        let seen = &mut parsed.text_amounts;
                        match value {
                            CellValue::Number(_) => seen.number_sums[i] = seen.number_sums[i] + a,
                            _ => {
                                seen.text_cells[i].push(format!("{}{}", column_name(col), row + 1))
                            }
                        }
                    }
                    Some(a)
                }
                Err(message) => {
                    parsed
                        .problems
                        .push(Problem::error_at(&name, row, col, message));
                    None
                }
            }
        };
        let cost = read_amount(cols.cost, parsed);
        let own = read_amount(cols.own, parsed);
        let mut applied = read_amount(cols.applied, parsed);
        let text_of = |col: u32| {
            get(col)
                .map(CellValue::text)
                .filter(|t| !t.is_empty())
                .unwrap_or_default()
        };
        let category = text_of(cols.category);
        let description = cols.description.map(text_of).unwrap_or_default();
        // A row of only zeros (formulas copied down) is an empty row.
        let nothing = category.is_empty()
            && description.is_empty()
            && [cost, own, applied]
                .iter()
                .all(|a| a.is_none_or(Kroner::is_zero));
        if nothing {
            continue;
        }
        let canonical = categories.canonical(&category);
        parsed.budget_cells.rows.push(row);
        if canonical.is_none() {
            parsed.problems.push(Problem::error_at(
                &name,
                row,
                cols.category,
                if category.is_empty() {
                    format!(
                        "Kategori mangler. Velg en av: {}.",
                        BUDGET_CATEGORIES.join(", ")
                    )
                } else {
                    format!(
                        "«{category}» er ikke en kategori. Velg en av: {}.",
                        BUDGET_CATEGORIES.join(", ")
                    )
                },
            ));
        }
        // Only cost and own contribution given: the rest is what is applied for.
        if applied.is_none()
            && let (Some(c), Some(o)) = (cost, own)
            && c >= o
        {
            applied = Some(c - o);
        }
        if let (Some(c), Some(o), Some(a)) = (cost, own, applied)
            && c != o + a
        {
            parsed.problems.push(Problem::error_at(
                &name,
                row,
                cols.cost.unwrap_or(cols.category),
                format!("Kostnad ({c}) er ikke egenandel ({o}) + omsøkt beløp ({a})."),
            ));
        }
        let own = own.unwrap_or_default();
        let applied_amount = applied.unwrap_or_default();
        totals = (
            totals.0 + applied_amount + own,
            totals.1 + own,
            totals.2 + applied_amount,
        );
        parsed.input.budget_lines.push(BudgetLineInput {
            category: canonical.map(|c| c.to_string()).unwrap_or(category),
            description,
            applied: applied.map(|a| a.to_api_string()).unwrap_or_default(),
            own_contribution: own.to_api_string(),
        });
    }
    if parsed.input.budget_lines.is_empty() && parsed.problems.is_empty() {
        parsed.problems.push(Problem::error_in(
            Some(&name),
            "Budsjettet har ingen linjer. Fyll ut minst én budsjettpost.",
        ));
    }
    if !total_row_seen && parsed.input.budget_lines.len() > 1 {
        parsed.problems.push(Problem::warning_in(
            Some(&name),
            "Fant ingen sum-rad; summene er regnet ut av linjene.",
        ));
    }
}

/// The budget category a typed one names (folded: case, spaces, æøå spellings), with
/// the few distinct spellings of a sheet remembered: folding every line's category
/// against every category was most of the cost of a long budget.
#[derive(Default)]
struct CategoryCache {
    folded: Vec<String>,
    seen: Vec<(String, Option<&'static str>)>,
}

impl CategoryCache {
    fn canonical(&mut self, typed: &str) -> Option<&'static str> {
        if let Some((_, found)) = self.seen.iter().find(|(t, _)| t == typed) {
            return *found;
        }
        if self.folded.is_empty() {
            self.folded = BUDGET_CATEGORIES.iter().map(|c| fold_name(c)).collect();
        }
        let folded = fold_name(typed);
        let found = BUDGET_CATEGORIES
            .iter()
            .zip(&self.folded)
            .find(|(_, f)| **f == folded)
            .map(|(c, _)| *c);
        // A sheet with many spellings is looked up afresh; the list stays short.
        if self.seen.len() < 32 {
            self.seen.push((typed.to_string(), found));
        }
        found
    }
}

/// A total row is checked against the lines: a mismatch names both numbers.
fn check_total_row(
    sheet: &Grid,
    row: u32,
    cols: &BudgetColumns,
    (cost, own, applied): (Kroner, Kroner, Kroner),
    parsed: &mut ParsedApplication,
) {
    for (i, (col, lines_sum, label)) in [
        (cols.cost, cost, "kostnad"),
        (cols.own, own, "egenandel"),
        (cols.applied, applied, "omsøkt beløp"),
    ]
    .into_iter()
    .enumerate()
    {
        let Some(col) = col else { continue };
        let Some(value) = sheet.get(row, col) else {
            continue;
        };
        let text_cells = parsed.text_amounts.text_cells[i].clone();
        match amount(value) {
            // The program summed only the numbers: the lines typed as text are the
            // difference, and the lines are what counts.
            Ok(stated)
                if stated != lines_sum
                    && !text_cells.is_empty()
                    && stated == parsed.text_amounts.number_sums[i] =>
            {
                parsed.problems.push(Problem::warning_at(
                    &sheet.name,
                    row,
                    col,
                    format!(
                        "Sum {label} i sum-raden ({stated}) tar ikke med beløpene som er skrevet som tekst ({}); summen av linjene, {lines_sum}, brukes. Skriv beløpene som tall.",
                        text_cells.join(", ")
                    ),
                ))
            }
            Ok(stated) if stated != lines_sum => parsed.problems.push(Problem::error_at(
                &sheet.name,
                row,
                col,
                format!(
                    "Sum {label} i sum-raden ({stated}) stemmer ikke med summen av linjene ({lines_sum})."
                ),
            )),
            Ok(_) => {}
            Err(message) => parsed
                .problems
                .push(Problem::error_at(&sheet.name, row, col, message)),
        }
    }
}
