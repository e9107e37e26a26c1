//! Statistics tables as SSB and KPR publish them, read into observations.
//!
//! Two layouts are recognised by their header row:
//! - **long**: a region column, a year column, optional breakdown columns
//!   (bistandsbehov, alder) and one or more value columns headed by the table's title
//!   (`Andel mottakere med koordinator (prosent)`);
//! - **wide**: a region column and one column per year (`2019`, `2020`, …), the
//!   indicator named by a title line above the header;
//! - **pivot**: a region column and one column per variable and year, as StatBank writes
//!   them (`Andel mottakere med koordinator (prosent) 2022`).
//!
//! A `statistikkvariabel` column (SSB's long export, and what [`super::jsonstat`] and
//! [`super::px`] make) names each row's indicator. A region written only on the first
//! row of its group (StatBank's xlsx) is carried down to the rows below it.
//!
//! Everything here is pure: the register is passed in, nothing is stored.

use std::collections::{BTreeMap, HashSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::text::is_total_label;
use super::{CellValue, Grid, Problem, Workbook, column_name};
use crate::domain::kommune::{Kommunenummer, Register, fold_name, name_matches};
use crate::domain::scenario::parse_decimal;
use crate::domain::statistics::{
    self as stats, COUNTRY, Indicator, Observation, Symbol, Unit, Value,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    Long,
    Wide,
    Pivot,
}

impl Layout {
    pub fn label(self) -> &'static str {
        match self {
            Layout::Long => "lang tabell (én rad per region og år)",
            Layout::Wide => "bred tabell (år som kolonner)",
            Layout::Pivot => "krysstabell (variabel og år i kolonneoverskriftene)",
        }
    }
}

/// One value read from the file, with where it stood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedObservation {
    pub sheet: String,
    /// `C7`.
    pub cell: String,
    pub indicator: &'static Indicator,
    /// A kommunenummer, or `0000` for the whole country.
    pub region: String,
    /// The region's name in the register for the year, if it has one.
    pub region_name: Option<String>,
    pub year: i32,
    pub need_level: Option<&'static str>,
    pub age_group: Option<&'static str>,
    pub value: Value,
}

impl ParsedObservation {
    pub fn observation(&self) -> Observation {
        Observation {
            indicator: self.indicator.code,
            region: self.region.clone(),
            year: self.year,
            need_level: self.need_level.map(str::to_string),
            age_group: self.age_group.map(str::to_string),
            value: self.value,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedStatistics {
    pub layout: Option<Layout>,
    /// Variable texts (headings, titles, `statistikkvariabel` cells) that name none of our
    /// indicators: the user may choose one for each on the preview.
    pub unknown_variables: Vec<String>,
    pub observations: Vec<ParsedObservation>,
    pub problems: Vec<Problem>,
}

/// The indicator a user chose for each variable text the file uses (on the preview),
/// consulted before the texts are matched to our indicators.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VariableChoices(BTreeMap<String, &'static Indicator>);

impl VariableChoices {
    pub fn new<'a>(pairs: impl IntoIterator<Item = (&'a str, &'static Indicator)>) -> Self {
        VariableChoices(
            pairs
                .into_iter()
                .map(|(text, indicator)| (fold_name(text.trim_matches('"')), indicator))
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The chosen indicator for `text`, or the one the text names.
    fn indicator_for(&self, text: &str) -> Option<&'static Indicator> {
        self.0
            .get(&fold_name(text.trim_matches('"')))
            .copied()
            .or_else(|| stats::indicator_for_title(text))
    }
}

/// The columns of a header row.
struct Header {
    row: u32,
    layout: Layout,
    region: u32,
    name: Option<u32>,
    year: Option<u32>,
    need: Option<u32>,
    age: Option<u32>,
    /// `statistikkvariabel`: the indicator of each row.
    variable: Option<u32>,
    /// Long: the value columns with their heading; wide: the year columns with their
    /// year; pivot: the columns with their heading (title and year).
    values: Vec<(u32, String)>,
}

fn folded_header(value: &CellValue) -> Option<String> {
    match value {
        CellValue::Text(t) => Some(fold_name(t.trim_matches('"'))),
        _ => None,
    }
}

fn is_name_header(folded: &str) -> bool {
    folded == "navn" || folded.starts_with("kommunenavn") || folded == "regionnavn"
}

fn is_region_header(folded: &str) -> bool {
    ["region", "kommune", "knr", "omrade", "geografi"]
        .iter()
        .any(|w| folded.starts_with(w))
}

fn is_variable_header(folded: &str) -> bool {
    ["statistikkvariabel", "contents", "innhold"]
        .iter()
        .any(|w| folded.starts_with(w))
}

/// A pivot heading, `Andel mottakere med koordinator (prosent) 2022`: title and year.
fn titled_year(heading: &str) -> Option<(&str, i32)> {
    let heading = heading.trim().trim_matches('"').trim();
    let (title, year) = heading.rsplit_once(' ')?;
    let year = year
        .parse::<i32>()
        .ok()
        .filter(|y| (1900..=2100).contains(y))?;
    let title = title.trim();
    (!title.is_empty() && title.chars().any(char::is_alphabetic)).then_some((title, year))
}

fn is_year_header(folded: &str) -> bool {
    ["ar", "year", "argang", "tid", "periode"]
        .iter()
        .any(|w| folded == *w || folded.starts_with(&format!("{w} ")))
}

impl Header {
    /// The value columns for a message: `C4 «2021», D4 «2022»`.
    fn listed_values(&self) -> String {
        self.values
            .iter()
            .map(|(c, t)| format!("{}{} «{t}»", column_name(*c), self.row + 1))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A year, as a number or as text: `2021`.
fn year_of(value: &CellValue) -> Option<i32> {
    let text = match value {
        CellValue::Number(n) => n.trim_end_matches(".0").to_string(),
        CellValue::Text(t) => t.trim().trim_matches('"').to_string(),
        _ => return None,
    };
    text.parse::<i32>()
        .ok()
        .filter(|y| (1900..=2100).contains(y))
}

fn find_header(sheet: &Grid) -> Option<Header> {
    for row in sheet.used_rows().into_iter().take(40) {
        let cells: Vec<(u32, &CellValue)> = sheet
            .cells
            .range((row, 0)..=(row, u32::MAX))
            .map(|((_, c), v)| (*c, v))
            .collect();
        let header_col = |test: &dyn Fn(&str) -> bool, except: &[Option<u32>]| {
            cells
                .iter()
                .find(|(c, v)| {
                    !except.contains(&Some(*c)) && folded_header(v).is_some_and(|f| test(&f))
                })
                .map(|(c, _)| *c)
        };
        let name = header_col(&is_name_header, &[]);
        let Some(region) = header_col(&is_region_header, &[name]) else {
            continue;
        };
        let year = header_col(&is_year_header, &[name, Some(region)]);
        let need = header_col(&|f| f.starts_with("bistandsbehov"), &[name, Some(region)]);
        let age = header_col(&|f| f.starts_with("alder"), &[name, Some(region)]);
        let variable = header_col(&is_variable_header, &[name, Some(region), year]);
        let known = [Some(region), name, year, need, age, variable];
        if year.is_some() {
            let values: Vec<(u32, String)> = cells
                .iter()
                .filter(|(c, _)| !known.contains(&Some(*c)))
                .map(|(c, v)| (*c, v.text().trim_matches('"').trim().to_string()))
                .filter(|(_, t)| !t.is_empty())
                .collect();
            if values.is_empty() {
                continue;
            }
            return Some(Header {
                row,
                layout: Layout::Long,
                region,
                name,
                year,
                need,
                age,
                variable,
                values,
            });
        }
        let pivot: Vec<(u32, String)> = cells
            .iter()
            .filter(|(c, _)| !known.contains(&Some(*c)))
            .filter_map(|(c, v)| match v {
                CellValue::Text(t) if titled_year(t).is_some() => {
                    Some((*c, t.trim().trim_matches('"').trim().to_string()))
                }
                _ => None,
            })
            .collect();
        if !pivot.is_empty() && variable.is_none() {
            return Some(Header {
                row,
                layout: Layout::Pivot,
                region,
                name,
                year: None,
                need,
                age,
                variable,
                values: pivot,
            });
        }
        let years: Vec<(u32, String)> = cells
            .iter()
            .filter(|(c, _)| !known.contains(&Some(*c)))
            .filter_map(|(c, v)| year_of(v).map(|y| (*c, y.to_string())))
            .collect();
        if !years.is_empty() {
            return Some(Header {
                row,
                layout: Layout::Wide,
                region,
                name,
                year: None,
                need,
                age,
                variable,
                values: years,
            });
        }
    }
    None
}

/// A region cell: `5001 Trondheim`, `5017 Bjugn (2018-2019)`, `0301`, the number 301
/// (Excel dropped the zero), `K-5001`, `0 Hele landet`, `Hele landet`, `Landet`.
/// Gives the region code and the name written with it.
pub fn region_of(value: &CellValue) -> Result<(String, Option<String>), String> {
    let not_region = || {
        format!(
            "«{}» er ikke en region (et kommunenummer som 5001 eller «5001 Trondheim», eller «Hele landet»).",
            value.display()
        )
    };
    let text = match value {
        CellValue::Number(n) => n.trim_end_matches(".0").to_string(),
        CellValue::Text(t) => t.trim().trim_matches('"').trim().to_string(),
        _ => return Err(not_region()),
    };
    let folded = fold_name(&text);
    if ["hele landet", "heile landet", "landet", "norge"].contains(&folded.as_str()) {
        return Ok((COUNTRY.into(), None));
    }
    let rest = text
        .strip_prefix("K-")
        .or_else(|| text.strip_prefix("k-"))
        .unwrap_or(&text);
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return Err(not_region());
    }
    let name = rest[digits.len()..].trim();
    // SSB writes the years a municipality existed after its name: `Bjugn (2018-2019)`.
    let name = match name.rfind('(') {
        Some(open) if name.ends_with(')') => name[..open].trim(),
        _ => name,
    };
    let name = (!name.is_empty()).then(|| name.to_string());
    if digits.chars().all(|c| c == '0') {
        return Ok((COUNTRY.into(), None));
    }
    let number = Kommunenummer::parse(&digits).map_err(|_| not_region())?;
    Ok((number.as_str().to_string(), name))
}

/// A value cell: a number (`12,6`, `1 234`, a number cell), or one of SSB's symbols.
/// Counts must be whole and not negative.
pub fn value_of(cell: &CellValue, unit: Unit) -> Result<Value, String> {
    let number = match cell {
        // A number cell is already the shortest decimal text of the stored value.
        CellValue::Number(n) => n.parse::<Decimal>().ok(),
        CellValue::Text(t) => {
            let t = t.trim().trim_matches('"').trim();
            if let Some(symbol) = Symbol::parse(t) {
                return Ok(Value::Symbol(symbol));
            }
            parse_decimal(t.strip_suffix('%').unwrap_or(t))
        }
        _ => None,
    };
    let Some(number) = number else {
        return Err(format!(
            "«{}» er ikke et tall eller et av SSB-symbolene .. . : -",
            cell.display()
        ));
    };
    if unit == Unit::Antall {
        if !number.fract().is_zero() || number.is_sign_negative() {
            return Err(format!(
                "«{}» er ikke et helt antall (indikatoren er et antall personer).",
                cell.display()
            ));
        }
        return Ok(Value::Number(number.normalize()));
    }
    Ok(Value::Number(number))
}

/// The names a municipality had in `year`, as the register knows them.
fn official_names(register: &Register, number: &Kommunenummer, year: i32) -> Vec<String> {
    let mut names: Vec<String> = register
        .lookup(number, year)
        .map(|m| m.name)
        .into_iter()
        .collect();
    names.extend(register.name_in_year(number, year));
    names
}

/// Whether `number` was a municipality in `year`. Before the register's first division
/// only the change records tell, so any number they know is accepted there.
fn exists_in(register: &Register, number: &Kommunenummer, year: i32) -> bool {
    match register.division_year_for(year) {
        Some(_) => register.lookup(number, year).is_some(),
        None => register.name_in_year(number, year).is_some(),
    }
}

fn names_agree(official: &[String], typed: &str) -> bool {
    official.iter().any(|o| {
        name_matches(o, typed) || typed.split(" - ").any(|part| name_matches(o, part.trim()))
    })
}

type Key = (
    &'static str,
    String,
    i32,
    Option<&'static str>,
    Option<&'static str>,
);

struct Reader<'a> {
    sheet: &'a Grid,
    register: &'a Register,
    parsed: ParsedStatistics,
    seen: BTreeMap<Key, String>,
    /// Region warnings already given, per (row, year).
    warned: BTreeMap<(u32, i32), ()>,
    /// The indicator the user chose for every row of a `statistikkvariabel` column.
    chosen: Option<&'static Indicator>,
    /// `statistikkvariabel` texts that name none of our indicators, with their cells.
    unknown: Vec<(String, Vec<(u32, u32)>)>,
    /// For a file that is not a sheet: each row's place in it.
    places: Option<&'a BTreeMap<u32, String>>,
    choices: &'a VariableChoices,
}

impl Reader<'_> {
    /// Where a value stood: `C7`, or its place in a JSON-stat or PX file.
    fn name(&self, row: u32, col: u32) -> String {
        self.places
            .and_then(|p| p.get(&row).cloned())
            .unwrap_or_else(|| format!("{}{}", column_name(col), row + 1))
    }

    fn error(&mut self, row: u32, col: u32, message: impl Into<String>) {
        self.parsed
            .problems
            .push(Problem::error_at(&self.sheet.name, row, col, message));
    }

    fn warning(&mut self, row: u32, col: u32, message: impl Into<String>) {
        self.parsed
            .problems
            .push(Problem::warning_at(&self.sheet.name, row, col, message));
    }

    /// Checks the region against the register for the year: an unknown number or a
    /// name that does not match is worth a warning, not a refusal.
    fn check_region(
        &mut self,
        row: u32,
        col: u32,
        region: &str,
        typed: Option<&str>,
        year: i32,
    ) -> Option<String> {
        if region == COUNTRY {
            return Some("Hele landet".into());
        }
        let number = Kommunenummer::parse(region).ok()?;
        let official = official_names(self.register, &number, year);
        let first_time = self.warned.insert((row, year), ()).is_none();
        if !exists_in(self.register, &number, year) {
            if first_time {
                let known = official
                    .first()
                    .map(|n| format!(" (kjent som {n} i andre år)"))
                    .unwrap_or_default();
                self.warning(
                    row,
                    col,
                    format!(
                        "Kommunenummer {region} finnes ikke i kommuneregisteret for {year}{known}; tallet lagres likevel på {region}."
                    ),
                );
            }
        } else if let Some(typed) = typed
            && !names_agree(&official, typed)
            && first_time
        {
            self.warning(
                row,
                col,
                format!(
                    "«{typed}» stemmer ikke med navnet på {region} i {year} i kommuneregisteret ({}).",
                    official.first().map(String::as_str).unwrap_or("ukjent")
                ),
            );
        }
        official.into_iter().next()
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        row: u32,
        col: u32,
        indicator: &'static Indicator,
        (region, region_name): (&str, Option<String>),
        year: i32,
        need_level: Option<&'static str>,
        age_group: Option<&'static str>,
    ) {
        let Some(cell) = self.sheet.get(row, col) else {
            self.warning(
                row,
                col,
                "Cellen er tom; ingen verdi importeres (SSB bruker .. for tall som mangler).",
            );
            return;
        };
        let value = match value_of(cell, indicator.unit) {
            Ok(v) => v,
            Err(message) => {
                self.error(row, col, message);
                return;
            }
        };
        let here = self.name(row, col);
        let key = (
            indicator.code,
            region.to_string(),
            year,
            need_level,
            age_group,
        );
        if let Some(first) = self.seen.get(&key) {
            let first = first.clone();
            self.error(
                row,
                col,
                format!(
                    "{} for {region} {year} står to ganger i tabellen (også i {first}).",
                    indicator.name
                ),
            );
            return;
        }
        self.seen.insert(key, here.clone());
        self.parsed.observations.push(ParsedObservation {
            sheet: self.sheet.name.clone(),
            cell: here,
            indicator,
            region: region.to_string(),
            region_name,
            year,
            need_level,
            age_group,
            value,
        });
    }

    /// The region of a data row, or `None` (with a problem where one is due).
    fn region(&mut self, row: u32, header: &Header) -> Option<(String, Option<String>)> {
        let cell = self.sheet.get(row, header.region)?;
        if let CellValue::Text(t) = cell
            && is_total_label(t)
        {
            self.warning(
                row,
                header.region,
                format!("Sumraden «{}» importeres ikke.", t.trim()),
            );
            return None;
        }
        match region_of(cell) {
            Ok((region, name)) => {
                let name = name.or_else(|| header.name.and_then(|c| self.sheet.text(row, c)));
                Some((region, name))
            }
            Err(message) => {
                self.error(row, header.region, message);
                None
            }
        }
    }

    /// The indicator a row's `statistikkvariabel` cell names.
    fn variable(&mut self, row: u32, col: u32) -> Option<&'static Indicator> {
        if let Some(chosen) = self.chosen {
            return Some(chosen);
        }
        let Some(text) = self.sheet.text(row, col) else {
            self.error(row, col, "Statistikkvariabelen mangler.");
            return None;
        };
        let text = text.trim_matches('"').trim().to_string();
        if let Some(indicator) = self.choices.indicator_for(&text) {
            return Some(indicator);
        }
        match self.unknown.iter_mut().find(|(t, _)| *t == text) {
            Some((_, cells)) => cells.push((row, col)),
            None => self.unknown.push((text, vec![(row, col)])),
        }
        None
    }

    /// One error per unknown variable, at its first cell, naming the others.
    fn report_unknown(&mut self) {
        for (text, cells) in std::mem::take(&mut self.unknown) {
            self.parsed.unknown_variables.push(text.clone());
            let (row, col) = cells[0];
            let others: Vec<String> = cells[1..]
                .iter()
                .take(10)
                .map(|(r, c)| self.name(*r, *c))
                .collect();
            let also = match cells.len() - 1 {
                0 => String::new(),
                n if n > others.len() => format!(
                    " (står også i {} og {} celler til)",
                    others.join(", "),
                    n - others.len()
                ),
                _ => format!(" (står også i {})", others.join(", ")),
            };
            self.error(
                row,
                col,
                format!(
                    "Statistikkvariabelen «{text}» er ikke en indikator vi kjenner igjen{also}; ingen av disse tallene importeres. Kjente indikatorer: {}. Ta den ut av uttrekket, eller velg indikatoren i skjemaet (feltet «indicator») hvis filen har én statistikkvariabel.",
                    stats::known_indicators()
                ),
            );
        }
    }

    fn breakdown(
        &mut self,
        row: u32,
        col: Option<u32>,
        read: fn(&str) -> Result<Option<&'static str>, String>,
    ) -> Result<Option<&'static str>, ()> {
        let Some(col) = col else { return Ok(None) };
        let text = self.sheet.text(row, col).unwrap_or_default();
        read(text.trim_matches('"')).map_err(|message| self.error(row, col, message))
    }
}

/// The indicator of each value column of a long table.
fn long_indicators(
    sheet: &Grid,
    header: &Header,
    chosen: Option<&'static Indicator>,
    choices: &VariableChoices,
    problems: &mut Vec<Problem>,
    unknown: &mut Vec<String>,
) -> Vec<(u32, &'static Indicator)> {
    let at = |col: u32, message: String| Problem::error_at(&sheet.name, header.row, col, message);
    if let Some(chosen) = chosen {
        if header.values.len() > 1 {
            problems.push(Problem::error_in(
                Some(&sheet.name),
                format!(
                    "Du valgte indikatoren {}, men tabellen har {} verdikolonner ({}). Velg indikator bare for tabeller med én verdikolonne, eller la overskriftene avgjøre.",
                    chosen.code,
                    header.values.len(),
                    header.listed_values()
                ),
            ));
            return Vec::new();
        }
        let (col, title) = &header.values[0];
        if let Some(named) = stats::indicator_for_title(title)
            && named.code != chosen.code
        {
            problems.push(Problem::warning_at(
                &sheet.name,
                header.row,
                *col,
                format!(
                    "Overskriften «{title}» ser ut til å gjelde {}, men du valgte {}; {} brukes.",
                    named.code, chosen.code, chosen.code
                ),
            ));
        }
        return vec![(*col, chosen)];
    }
    let mut out: Vec<(u32, &'static Indicator)> = Vec::new();
    for (col, title) in &header.values {
        match choices.indicator_for(title) {
            Some(indicator) => {
                if out.iter().any(|(_, i)| i.code == indicator.code) {
                    problems.push(at(
                        *col,
                        format!(
                            "«{title}» gjelder {} også, som en kolonne til venstre; hver indikator kan stå i én kolonne.",
                            indicator.code
                        ),
                    ));
                } else {
                    out.push((*col, indicator));
                }
            }
            None => {
                unknown.push(title.clone());
                problems.push(at(
                    *col,
                    format!(
                        "«{title}» er ikke en indikator vi kjenner igjen. Kjente indikatorer: {}. Velg indikatoren for den i forhåndsvisningen, eller i skjemaet (feltet «indicator») hvis tabellen har én verdikolonne.",
                        stats::known_indicators()
                    ),
                ))
            }
        }
    }
    out
}

/// The indicator of a wide table: the one chosen, or the one its title names.
fn wide_indicator(
    sheet: &Grid,
    header: &Header,
    chosen: Option<&'static Indicator>,
    choices: &VariableChoices,
    problems: &mut Vec<Problem>,
    unknown: &mut Vec<String>,
) -> Option<&'static Indicator> {
    let titles: Vec<(u32, u32, String)> = sheet
        .cells
        .range((0, 0)..(header.row, 0))
        .filter_map(|((r, c), v)| match v {
            CellValue::Text(t) if !t.trim().is_empty() => Some((*r, *c, t.trim().to_string())),
            _ => None,
        })
        .collect();
    let named = titles
        .iter()
        .find_map(|(r, c, t)| choices.indicator_for(t).map(|i| (*r, *c, t, i)));
    if let Some(chosen) = chosen {
        if let Some((r, c, t, named)) = named
            && named.code != chosen.code
        {
            problems.push(Problem::warning_at(
                &sheet.name,
                r,
                c,
                format!(
                    "Tittelen «{t}» ser ut til å gjelde {}, men du valgte {}; {} brukes.",
                    named.code, chosen.code, chosen.code
                ),
            ));
        }
        return Some(chosen);
    }
    if let Some((_, _, _, indicator)) = named {
        return Some(indicator);
    }
    if let Some((_, _, t)) = titles.first() {
        unknown.push(t.clone());
    }
    let message = format!(
        "Fant ikke hvilken indikator tabellen gjelder{}. Kjente indikatorer: {}. Skriv tittelen over overskriftsraden, eller velg indikatoren i skjemaet (feltet «indicator»).",
        titles
            .first()
            .map(|(_, _, t)| format!(": tittelen «{t}» nevner ingen av dem"))
            .unwrap_or_default(),
        stats::known_indicators()
    );
    problems.push(match titles.first() {
        Some((r, c, _)) => Problem::error_at(&sheet.name, *r, *c, message),
        None => Problem::error_at(&sheet.name, header.row, header.region, message),
    });
    None
}

/// With a `statistikkvariabel` column and an indicator chosen by the user: the file
/// must hold one variable only, or the choice would relabel the others.
fn one_variable(sheet: &Grid, header: &Header, col: u32, problems: &mut Vec<Problem>) -> bool {
    let mut texts: Vec<String> = sheet
        .cells
        .range((header.row + 1, 0)..)
        .filter(|((_, c), _)| *c == col)
        .map(|(_, v)| v.text().trim_matches('"').trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    texts.sort();
    texts.dedup();
    if texts.len() <= 1 {
        return true;
    }
    problems.push(Problem::error_at(
        &sheet.name,
        header.row,
        col,
        format!(
            "Du valgte en indikator, men filen har {} statistikkvariabler ({}). Velg indikator bare for filer med én, eller la statistikkvariabelen avgjøre.",
            texts.len(),
            texts.iter().take(5).map(|t| format!("«{t}»")).collect::<Vec<_>>().join(", ")
        ),
    ));
    false
}

/// The one value column of a long table with a `statistikkvariabel` column.
fn single_value_column(sheet: &Grid, header: &Header, problems: &mut Vec<Problem>) -> Option<u32> {
    match header.values.as_slice() {
        [(col, _)] => Some(*col),
        _ => {
            problems.push(Problem::error_in(
                Some(&sheet.name),
                format!(
                    "Tabellen har kolonnen «statistikkvariabel», men {} verdikolonner ({}); med statistikkvariabel skal det være én.",
                    header.values.len(),
                    header.listed_values()
                ),
            ));
            None
        }
    }
}

/// The indicator and year of each column of a pivot table
/// (`Andel mottakere med koordinator (prosent) 2022`).
fn pivot_indicators(
    sheet: &Grid,
    header: &Header,
    chosen: Option<&'static Indicator>,
    choices: &VariableChoices,
    problems: &mut Vec<Problem>,
    unknown_texts: &mut Vec<String>,
) -> Vec<(u32, Option<&'static Indicator>, Option<i32>)> {
    let headings: Vec<(u32, &str, i32)> = header
        .values
        .iter()
        .filter_map(|(c, h)| titled_year(h).map(|(t, y)| (*c, t, y)))
        .collect();
    if let Some(chosen) = chosen {
        let mut titles: Vec<&str> = headings.iter().map(|(_, t, _)| *t).collect();
        titles.sort_unstable();
        titles.dedup();
        if titles.len() > 1 {
            problems.push(Problem::error_in(
                Some(&sheet.name),
                format!(
                    "Du valgte indikatoren {}, men tabellen har {} variabler i kolonneoverskriftene ({}). Velg indikator bare for tabeller med én, eller la overskriftene avgjøre.",
                    chosen.code,
                    titles.len(),
                    titles.iter().map(|t| format!("«{t}»")).collect::<Vec<_>>().join(", ")
                ),
            ));
            return Vec::new();
        }
        return headings
            .iter()
            .map(|(c, _, y)| (*c, Some(chosen), Some(*y)))
            .collect();
    }
    let mut out = Vec::new();
    let mut unknown: Vec<(&str, Vec<u32>)> = Vec::new();
    for (col, title, year) in &headings {
        match choices.indicator_for(title) {
            Some(indicator) => out.push((*col, Some(indicator), Some(*year))),
            None => match unknown.iter_mut().find(|(t, _)| t == title) {
                Some((_, cols)) => cols.push(*col),
                None => unknown.push((title, vec![*col])),
            },
        }
    }
    for (title, cols) in unknown {
        unknown_texts.push(title.to_string());
        let also = cols[1..]
            .iter()
            .map(|c| format!("{}{}", column_name(*c), header.row + 1))
            .collect::<Vec<_>>();
        problems.push(Problem::error_at(
            &sheet.name,
            header.row,
            cols[0],
            format!(
                "«{title}» er ikke en indikator vi kjenner igjen{}; ingen av disse kolonnene importeres. Kjente indikatorer: {}.",
                if also.is_empty() {
                    String::new()
                } else {
                    format!(" (står også i {})", also.join(", "))
                },
                stats::known_indicators()
            ),
        ));
    }
    out
}

/// Names each problem by the value's place in the file (`places`, by the grid's row)
/// instead of a cell of the grid made from it.
fn relocate(parsed: &mut ParsedStatistics, places: &BTreeMap<u32, String>) {
    let place = |cell: &str| {
        let digits: String = cell.chars().skip_while(char::is_ascii_alphabetic).collect();
        let row = digits.parse::<u32>().ok()?.checked_sub(1)?;
        places.get(&row).cloned()
    };
    for problem in &mut parsed.problems {
        if let Some(found) = problem.cell.as_deref().and_then(place) {
            problem.cell = Some(found);
        }
    }
}

/// Reads the first sheet that has a statistics header. `chosen` is the indicator the
/// user picked, which overrides what the headings say.
pub fn parse(
    workbook: &Workbook,
    chosen: Option<&'static Indicator>,
    register: &Register,
) -> ParsedStatistics {
    parse_choosing(
        workbook,
        chosen,
        &VariableChoices::default(),
        register,
        None,
    )
}

/// As [`parse`], for the long table made from a JSON-stat or PX file: every problem and
/// observation is named by its place in that file (`places`, by the table's row).
pub fn parse_located(
    workbook: &Workbook,
    chosen: Option<&'static Indicator>,
    register: &Register,
    places: &BTreeMap<u32, String>,
) -> ParsedStatistics {
    parse_choosing(
        workbook,
        chosen,
        &VariableChoices::default(),
        register,
        Some(places),
    )
}

/// As [`parse`] and [`parse_located`], with the indicators the user chose for the
/// file's variable texts on the preview.
pub fn parse_choosing(
    workbook: &Workbook,
    chosen: Option<&'static Indicator>,
    choices: &VariableChoices,
    register: &Register,
    places: Option<&BTreeMap<u32, String>>,
) -> ParsedStatistics {
    let mut parsed = parse_in(workbook, chosen, choices, register, places);
    if let Some(places) = places {
        relocate(&mut parsed, places);
    }
    parsed
}

fn parse_in(
    workbook: &Workbook,
    chosen: Option<&'static Indicator>,
    choices: &VariableChoices,
    register: &Register,
    places: Option<&BTreeMap<u32, String>>,
) -> ParsedStatistics {
    // What a person sees is what is imported: hidden rows and columns are left out, each
    // named in a warning.
    let visible: Vec<(std::borrow::Cow<Grid>, Vec<Problem>)> =
        workbook.sheets.iter().map(Grid::visible_only).collect();
    let Some((sheet, header, hidden)) = visible
        .iter()
        .find_map(|(s, hidden)| find_header(s).map(|h| (s, h, hidden)))
    else {
        return ParsedStatistics {
            layout: None,
            unknown_variables: Vec::new(),
            observations: Vec::new(),
            problems: vec![Problem::error_in(
                workbook.sheets.first().map(|s| s.name.as_str()),
                "Fant ingen overskriftsrad med region og år: en lang tabell har kolonnene «region» (eller «kommune»), «år» og én kolonne per indikator; en bred tabell har «region» og ett årstall per kolonne.",
            )],
        };
    };
    let mut problems = hidden.clone();
    let mut unknown = Vec::new();
    // Each value column with its indicator (`None`: the row's statistikkvariabel says)
    // and its year (`None`: the row's year column says).
    type Column = (u32, Option<&'static Indicator>, Option<i32>);
    let mut row_chosen = None;
    let columns: Vec<Column> = match (header.layout, header.variable) {
        (_, Some(col)) => {
            row_chosen = chosen;
            if chosen.is_some() && !one_variable(sheet, &header, col, &mut problems) {
                Vec::new()
            } else if header.layout == Layout::Long {
                single_value_column(sheet, &header, &mut problems)
                    .map(|c| vec![(c, None, None)])
                    .unwrap_or_default()
            } else {
                header
                    .values
                    .iter()
                    .map(|(c, y)| (*c, None, y.parse().ok()))
                    .collect()
            }
        }
        (Layout::Long, None) => {
            long_indicators(sheet, &header, chosen, choices, &mut problems, &mut unknown)
                .into_iter()
                .map(|(c, i)| (c, Some(i), None))
                .collect()
        }
        (Layout::Wide, None) => {
            match wide_indicator(sheet, &header, chosen, choices, &mut problems, &mut unknown) {
                Some(indicator) => header
                    .values
                    .iter()
                    .map(|(c, y)| (*c, Some(indicator), y.parse().ok()))
                    .collect(),
                None => Vec::new(),
            }
        }
        (Layout::Pivot, None) => {
            pivot_indicators(sheet, &header, chosen, choices, &mut problems, &mut unknown)
        }
    };
    let mut reader = Reader {
        sheet,
        register,
        parsed: ParsedStatistics {
            layout: Some(header.layout),
            unknown_variables: unknown,
            observations: Vec::new(),
            problems,
        },
        seen: BTreeMap::new(),
        warned: BTreeMap::new(),
        chosen: row_chosen,
        unknown: Vec::new(),
        places,
        choices,
    };
    if columns.is_empty() {
        return reader.parsed;
    }
    // StatBank writes a region once, on the first row of its group.
    let mut carried: Option<(String, Option<String>)> = None;
    let mut previous = header.row;
    for row in sheet.used_rows().into_iter().filter(|r| *r > header.row) {
        // A blank row (a gap in the used rows, or a row of blanks) ends a group.
        if row > previous + 1 || sheet.row_is_empty(row) {
            carried = None;
        }
        previous = row;
        if sheet.row_is_empty(row) {
            continue;
        }
        // Notes under the table (`Kilde: SSB`, `..: Tall mangler`) carry no values.
        let has_values = columns.iter().any(|(c, _, _)| sheet.get(row, *c).is_some());
        if !has_values {
            continue;
        }
        let (region, typed) = if sheet.get(row, header.region).is_none() {
            match &carried {
                Some(above) => above.clone(),
                None => {
                    reader.error(
                        row,
                        header.region,
                        "Regionen mangler, og det står ingen region over i samme gruppe som raden kan høre til.",
                    );
                    continue;
                }
            }
        } else {
            carried = reader.region(row, &header);
            match &carried {
                Some(here) => here.clone(),
                None => continue,
            }
        };
        let row_indicator = match header.variable {
            Some(col) if columns.iter().any(|(_, i, _)| i.is_none()) => {
                match reader.variable(row, col) {
                    Some(indicator) => Some(indicator),
                    None => continue,
                }
            }
            _ => None,
        };
        let years: Vec<(u32, Option<&'static Indicator>, i32)> = match header.year {
            Some(col) => match sheet.get(row, col).map(|v| (year_of(v), v)) {
                Some((Some(year), _)) => columns.iter().map(|(c, i, _)| (*c, *i, year)).collect(),
                Some((None, v)) => {
                    let shown = v.display();
                    reader.error(row, col, format!("«{shown}» er ikke et årstall."));
                    continue;
                }
                None => {
                    reader.error(row, col, "Året mangler.");
                    continue;
                }
            },
            None => columns
                .iter()
                .filter_map(|(c, i, y)| y.map(|y| (*c, *i, y)))
                .collect(),
        };
        let Ok(need) = reader.breakdown(row, header.need, stats::need_level_of) else {
            continue;
        };
        let Ok(age) = reader.breakdown(row, header.age, stats::age_group_of) else {
            continue;
        };
        for (col, indicator, year) in years {
            let Some(indicator) = indicator.or(row_indicator) else {
                continue;
            };
            let name = reader.check_region(row, header.region, &region, typed.as_deref(), year);
            reader.push(row, col, indicator, (&region, name), year, need, age);
        }
    }
    reader.report_unknown();
    if reader.parsed.observations.is_empty()
        && !reader
            .parsed
            .problems
            .iter()
            .any(|p| p.severity == super::Severity::Error)
    {
        reader.parsed.problems.push(Problem::error_in(
            Some(&sheet.name),
            "Tabellen har ingen tall under overskriftsraden.",
        ));
    }
    reader.parsed
}

/// The consistency rules of [`stats::check_consistency`] over the file's observations
/// together with those already stored (`existing`, which the file's replace), as warnings
/// at the file's cells. Only what involves the file is reported.
pub fn consistency(observations: &[ParsedObservation], existing: &[Observation]) -> Vec<Problem> {
    let mut all: Vec<Observation> = observations
        .iter()
        .map(ParsedObservation::observation)
        .collect();
    let in_file: HashSet<_> = all.iter().map(Observation::key).collect();
    let stored: Vec<Observation> = existing
        .iter()
        .filter(|e| !in_file.contains(&e.key()))
        .cloned()
        .collect();
    all.extend(stored);
    let from_file = observations.len();
    stats::check_consistency(&all)
        .into_iter()
        .filter_map(|found| {
            let (at, stored) = if found.at < from_file {
                (found.at, false)
            } else {
                (*found.involves.iter().find(|i| **i < from_file)?, true)
            };
            let o = &observations[at];
            let message = if stored {
                format!("{} (totalen er den som allerede er lagret)", found.message)
            } else {
                found.message
            };
            Some(Problem {
                severity: super::Severity::Warning,
                sheet: Some(o.sheet.clone()),
                cell: Some(o.cell.clone()),
                message,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sheets::read::read_csv;

    fn register() -> Register {
        let (divisions, changes) = crate::sample::register().unwrap();
        Register::new(
            divisions
                .iter()
                .flat_map(|(y, ms)| ms.iter().map(move |m| (*y, m.clone()))),
            changes,
        )
    }

    fn parse_csv(text: &str, chosen: Option<&str>) -> ParsedStatistics {
        parse(
            &read_csv(text.as_bytes()).unwrap(),
            chosen.and_then(stats::indicator),
            &register(),
        )
    }

    fn located(p: &ParsedStatistics) -> Vec<String> {
        p.problems.iter().map(Problem::located).collect()
    }

    fn t(s: &str) -> CellValue {
        CellValue::Text(s.into())
    }

    #[test]
    fn regions_as_ssb_and_excel_write_them() {
        let r = |v: CellValue| region_of(&v);
        assert_eq!(
            r(t("5001 Trondheim")),
            Ok(("5001".into(), Some("Trondheim".into())))
        );
        assert_eq!(
            r(t("5017 Bjugn (2018-2019)")),
            Ok(("5017".into(), Some("Bjugn".into())))
        );
        assert_eq!(r(t("0301 Oslo")), Ok(("0301".into(), Some("Oslo".into()))));
        assert_eq!(r(t("5001")), Ok(("5001".into(), None)));
        assert_eq!(
            r(CellValue::Number("301".into())),
            Ok(("0301".into(), None))
        );
        assert_eq!(r(t("K-5001 Trondheim")).unwrap().0, "5001");
        for country in ["0 Hele landet", "Hele landet", "Landet", "0000"] {
            assert_eq!(r(t(country)).unwrap().0, COUNTRY, "{country}");
        }
        assert!(r(t("Trøndelag")).is_err());
        assert!(r(t("50011 Trondheim")).is_err());
    }

    #[test]
    fn values_numbers_and_symbols() {
        let share = |v: CellValue| value_of(&v, Unit::Prosent);
        assert_eq!(share(t("12,6")), Ok(Value::Number("12.6".parse().unwrap())));
        assert_eq!(
            share(CellValue::Number("12.6".into())),
            Ok(Value::Number("12.6".parse().unwrap()))
        );
        for s in Symbol::ALL {
            assert_eq!(share(t(s.as_str())), Ok(Value::Symbol(s)));
        }
        assert_eq!(
            share(t("12,6x")),
            Err("«12,6x» er ikke et tall eller et av SSB-symbolene .. . : -".into())
        );
        let count = |v: CellValue| value_of(&v, Unit::Antall);
        assert_eq!(
            count(t("208 645")),
            Ok(Value::Number(Decimal::from(208_645)))
        );
        assert_eq!(
            count(t("79\u{a0}315")),
            Ok(Value::Number(Decimal::from(79_315)))
        );
        assert!(count(t("12,5")).unwrap_err().contains("helt antall"));
    }

    #[test]
    fn a_long_table_with_a_title_line_and_symbols() {
        let csv = "\"12345: Andel mottakere med koordinator (prosent)\"\n\
                   \"region\";\"år\";\"Andel mottakere med koordinator (prosent)\"\n\
                   \"5001 Trondheim\";\"2021\";\"12,6\"\n\
                   \"5017 Bjugn (2018-2019)\";\"2019\";\"..\"\n\
                   \"5055 Heim\";\"2021\";\":\"\n\
                   \"5057 Ørland\";\"2021\";\"-\"\n\
                   \"0 Hele landet\";\"2021\";\".\"\n";
        let parsed = parse_csv(csv, None);
        assert!(parsed.problems.is_empty(), "{:?}", located(&parsed));
        assert_eq!(parsed.layout, Some(Layout::Long));
        assert_eq!(parsed.observations.len(), 5);
        assert_eq!(parsed.observations[0].cell, "C3");
        assert_eq!(parsed.observations[0].indicator.code, stats::COORDINATOR);
        assert_eq!(parsed.observations[1].value, Value::Symbol(Symbol::Missing));
        assert_eq!(parsed.observations[4].region, COUNTRY);
    }

    #[test]
    fn bad_cells_are_named() {
        let csv = "region;år;Andel mottakere med koordinator (prosent)\n\
                   5001 Trondheim;2021;12,6x\n\
                   9999 Ukjent;2021;5\n\
                   5001 Trondhjem;2020;5\n\
                   5017 Bjugn;2021;5\n\
                   Trøndelag;2021;5\n";
        let parsed = parse_csv(csv, None);
        let problems = located(&parsed);
        assert!(
            problems.contains(
                &"CSV!C2: «12,6x» er ikke et tall eller et av SSB-symbolene .. . : -".into()
            ),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("CSV!A3: Kommunenummer 9999 finnes ikke"))
        );
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("CSV!A4: «Trondhjem» stemmer ikke"))
        );
        assert!(problems.iter().any(|p| {
            p.starts_with("CSV!A5: Kommunenummer 5017 finnes ikke i kommuneregisteret for 2021")
        }));
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("CSV!A6: «Trøndelag» er ikke en region"))
        );
        let errors = parsed
            .problems
            .iter()
            .filter(|p| p.severity == super::super::Severity::Error)
            .count();
        assert_eq!(errors, 2, "{problems:?}");
    }

    #[test]
    fn unknown_titles_and_the_chosen_indicator() {
        let csv = "region;år;Sykefravær\n5001;2021;5,5\n";
        let parsed = parse_csv(csv, None);
        assert!(located(&parsed)[0].starts_with("CSV!C1: «Sykefravær» er ikke en indikator"));
        assert!(located(&parsed)[0].contains("andel_koordinator"));
        let chosen = parse_csv(csv, Some(stats::PLAN));
        assert!(chosen.problems.is_empty(), "{:?}", located(&chosen));
        assert_eq!(chosen.observations[0].indicator.code, stats::PLAN);
    }

    #[test]
    fn a_wide_table_takes_its_indicator_from_the_title() {
        let csv = "Mottakere av hjemmetjenester (antall)\n\nregion;2019;2020;2021\n5001 Trondheim;9 100;9 300;9 512\n5017 Bjugn (2018-2019);400;.;.\n";
        let parsed = parse_csv(csv, None);
        assert_eq!(parsed.layout, Some(Layout::Wide));
        // Bjugn was merged into Ørland in 2020: its `.` for later years is warned about.
        let errors: Vec<_> = parsed
            .problems
            .iter()
            .filter(|p| p.severity == super::super::Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{:?}", located(&parsed));
        assert_eq!(parsed.observations.len(), 6);
        assert_eq!(parsed.observations[2].cell, "D4");
        assert_eq!(parsed.observations[2].year, 2021);
        assert_eq!(
            parsed.observations[2].value,
            Value::Number(Decimal::from(9512))
        );
        let untitled = parse_csv("region;2019\n5001;5\n", None);
        assert!(located(&untitled)[0].starts_with("CSV!A1: Fant ikke hvilken indikator"));
    }

    #[test]
    fn a_statistikkvariabel_column_names_each_rows_indicator() {
        // (No blank line under the title: how read_csv numbers lines after one is being
        // reworked on main; the cells here stay where they are either way.)
        let region_first = "\"12617: Mottakere av hjemmetjenester, etter region, statistikkvariabel og år\"\n\
\"region\";\"statistikkvariabel\";\"år\";\"12617: Mottakere av hjemmetjenester, etter region, statistikkvariabel og år\"\n\
\"5001 Trondheim\";\"Mottakere av hjemmetjenester (personer)\";\"2022\";\"9512\"\n\
\"5001 Trondheim\";\"Andel mottakere med koordinator (prosent)\";\"2022\";\"12,6\"\n\
\"5025 Røros\";\"Andel mottakere med individuell plan (prosent)\";\"2022\";\"..\"\n\
\"5025 Røros\";\"Gjennomsnittlig antall timer\";\"2022\";\"4,5\"\n\
\"5057 Ørland\";\"Gjennomsnittlig antall timer\";\"2022\";\"3,5\"\n";
        let parsed = parse_csv(region_first, None);
        let codes: Vec<_> = parsed
            .observations
            .iter()
            .map(|o| o.indicator.code)
            .collect();
        assert_eq!(codes, [stats::RECIPIENTS, stats::COORDINATOR, stats::PLAN]);
        assert_eq!(parsed.observations[1].cell, "D4");
        assert_eq!(located(&parsed).len(), 1, "{:?}", located(&parsed));
        assert!(
            located(&parsed)[0].starts_with(
                "CSV!B6: Statistikkvariabelen «Gjennomsnittlig antall timer» er ikke en indikator vi kjenner igjen (står også i B7)"
            ),
            "{:?}",
            located(&parsed)
        );
        // The other column order, comma-separated with decimal points.
        let variable_first = "statistikkvariabel,region,år,\"12617: Mottakere\"\n\
\"Andel mottakere med koordinator (prosent)\",5001 Trondheim,2022,12.6\n\
\"Andel mottakere med koordinator (prosent)\",5025 Røros,2022,7.25\n";
        let parsed = parse_csv(variable_first, None);
        assert!(parsed.problems.is_empty(), "{:?}", located(&parsed));
        assert_eq!(parsed.observations[1].region, "5025");
        assert_eq!(
            parsed.observations[1].value,
            Value::Number("7.25".parse().unwrap())
        );
        // A chosen indicator is refused when the file holds several variables.
        let refused = parse_csv(region_first, Some(stats::PLAN));
        assert!(refused.observations.is_empty());
        assert!(located(&refused)[0].contains("statistikkvariabler"));
    }

    #[test]
    fn a_pivot_table_with_variable_and_year_in_the_headings() {
        let csv = "\"12617: Mottakere av hjemmetjenester, etter region, statistikkvariabel og år\"\n\n\
\"region\";\"Andel mottakere med koordinator (prosent) 2022\";\"Andel mottakere med koordinator (prosent) 2023\";\"Mottakere av hjemmetjenester (personer) 2023\"\n\
\"5001 Trondheim\";\"12,6\";\"13,1\";\"9 600\"\n\
\"5025 Røros\";\"..\";\"8,0\";\"310\"\n\
\n\
\"Kilde: Statistisk sentralbyrå, KPR\"\n";
        let parsed = parse_csv(csv, None);
        assert!(parsed.problems.is_empty(), "{:?}", located(&parsed));
        assert_eq!(parsed.layout, Some(Layout::Pivot));
        assert_eq!(parsed.observations.len(), 6);
        let last = &parsed.observations[5];
        assert_eq!((last.indicator.code, last.year), (stats::RECIPIENTS, 2023));
        assert_eq!(last.cell, "D5");
        let unknown = parse_csv(
            "region;Timer per uke 2022;Timer per uke 2023\n5001;1;2\n",
            None,
        );
        assert!(located(&unknown)[0].starts_with("CSV!B1: «Timer per uke» er ikke en indikator"));
        assert!(located(&unknown)[0].contains("står også i C1"));
    }

    #[test]
    fn a_region_written_once_per_group_is_carried_down() {
        let mut grid = Grid {
            name: "12617".into(),
            ..Default::default()
        };
        let mut put = |r: u32, c: u32, v: CellValue| {
            grid.cells.insert((r, c), v);
        };
        put(
            0,
            0,
            t("12617: Mottakere av hjemmetjenester, etter region, statistikkvariabel og år"),
        );
        put(2, 0, t("region"));
        put(2, 1, t("statistikkvariabel"));
        put(2, 2, CellValue::Number("2022".into()));
        put(2, 3, CellValue::Number("2023".into()));
        put(3, 0, t("5001 Trondheim"));
        put(3, 1, t("Mottakere av hjemmetjenester (personer)"));
        put(3, 2, CellValue::Number("9512".into()));
        put(3, 3, CellValue::Number("9600".into()));
        put(4, 1, t("Andel mottakere med koordinator (prosent)"));
        put(4, 2, CellValue::Number("12.6".into()));
        put(4, 3, CellValue::Number("13.1".into()));
        put(5, 0, t("5025 Røros"));
        put(5, 1, t("Andel mottakere med koordinator (prosent)"));
        put(5, 2, t(".."));
        put(5, 3, CellValue::Number("8".into()));
        // A blank row ends the group: the row under it has no region to take.
        put(7, 1, t("Andel mottakere med koordinator (prosent)"));
        put(7, 2, CellValue::Number("1".into()));
        let workbook = Workbook {
            format: "xlsx".into(),
            sheets: vec![grid],
        };
        let parsed = parse(&workbook, None, &register());
        let trondheim: Vec<_> = parsed
            .observations
            .iter()
            .filter(|o| o.region == "5001")
            .map(|o| (o.indicator.code, o.year, o.cell.as_str()))
            .collect();
        assert_eq!(
            trondheim,
            [
                (stats::RECIPIENTS, 2022, "C4"),
                (stats::RECIPIENTS, 2023, "D4"),
                (stats::COORDINATOR, 2022, "C5"),
                (stats::COORDINATOR, 2023, "D5"),
            ]
        );
        assert_eq!(parsed.observations.len(), 6);
        assert_eq!(
            located(&parsed),
            [
                "12617!A8: Regionen mangler, og det står ingen region over i samme gruppe som raden kan høre til."
            ]
        );
    }

    #[test]
    fn json_stat_and_px_problems_name_the_value() {
        let json = r#"{"version":"2.0","class":"dataset","label":"12617: Mottakere",
          "id":["Region","ContentsCode","Tid"],"size":[1,2,1],
          "dimension":{
            "Region":{"label":"region","category":{"index":{"5001":0},"label":{"5001":"Trondheim"}}},
            "ContentsCode":{"label":"statistikkvariabel","category":{"index":{"KoordAndel":0,"Timer":1},"label":{"KoordAndel":"Andel mottakere med koordinator (prosent)","Timer":"Timer per uke"}}},
            "Tid":{"label":"år","category":{"index":{"2022":0},"label":{"2022":"2022"}}}},
          "value":[12.6,3.5]}"#;
        let cube = crate::sheets::jsonstat::read(json.as_bytes()).unwrap();
        let (grid, places) = crate::sheets::cube::to_grid(&cube, "JSON-stat").unwrap();
        let workbook = Workbook {
            format: "json-stat".into(),
            sheets: vec![grid],
        };
        let parsed = parse_located(&workbook, None, &register(), &places);
        assert_eq!(
            parsed.observations[0].cell,
            "verdi nr. 1 (Region=5001, ContentsCode=KoordAndel, Tid=2022)"
        );
        assert!(
            located(&parsed)[0].starts_with(
                "JSON-stat!verdi nr. 2 (Region=5001, ContentsCode=Timer, Tid=2022): Statistikkvariabelen «Timer per uke»"
            ),
            "{:?}",
            located(&parsed)
        );
    }

    #[test]
    fn need_groups_in_a_long_table_are_checked_against_the_total() {
        let file = |total: &str| {
            format!(
                "region;år;bistandsbehov;Mottakere av hjemmetjenester\n\
                 Hele landet;2021;Alle;{total}\n\
                 Hele landet;2021;Noe/avgrenset bistandsbehov;79315\n\
                 Hele landet;2021;Middels til stort bistandsbehov;79465\n\
                 Hele landet;2021;Omfattende bistandsbehov;36327\n\
                 Hele landet;2021;Uoppgitt bistandsbehov;13538\n"
            )
        };
        let right = parse_csv(&file("208 645"), None);
        assert!(right.problems.is_empty(), "{:?}", located(&right));
        assert!(consistency(&right.observations, &[]).is_empty());
        let wrong = parse_csv(&file("208 000"), None);
        let found = consistency(&wrong.observations, &[]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].located().split(':').next(), Some("CSV!D2"));
        assert_eq!(
            wrong.observations[1].need_level,
            Some(stats::NEED_LEVELS[0])
        );
    }
}
