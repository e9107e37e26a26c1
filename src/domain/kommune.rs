//! Municipalities (kommuner): the four-digit kommunenummer and the register that maps
//! numbers across municipal reforms.
//!
//! A figure is always keyed by kommunenummer *and* year: 5017 meant Bjugn in 2019 and no
//! longer exists from 2020, when Bjugn became part of 5057 Ørland. Merges map many numbers
//! to one; a split (5012 Snillfjord in 2020) maps one to several and is never resolved to
//! one of them silently.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Exactly four digits, leading zero kept (0301 Oslo).
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
pub struct Kommunenummer(String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KommunenummerError(String);

impl fmt::Display for KommunenummerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "«{}» er ikke et kommunenummer (fire siffer, f.eks. 0301 eller 5001).",
            self.0
        )
    }
}

impl std::error::Error for KommunenummerError {}

impl Kommunenummer {
    /// Accepts four digits, or fewer when a spreadsheet dropped the leading zero (301 → 0301).
    pub fn parse(input: &str) -> Result<Self, KommunenummerError> {
        let trimmed = input.trim();
        let ok = (3..=4).contains(&trimmed.len()) && trimmed.chars().all(|c| c.is_ascii_digit());
        if !ok {
            return Err(KommunenummerError(trimmed.to_string()));
        }
        Ok(Kommunenummer(format!("{trimmed:0>4}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The county part (first two digits).
    pub fn county_code(&self) -> &str {
        &self.0[..2]
    }
}

impl fmt::Display for Kommunenummer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Kommunenummer {
    type Error = KommunenummerError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Kommunenummer::parse(&value)
    }
}

impl From<Kommunenummer> for String {
    fn from(value: Kommunenummer) -> Self {
        value.0
    }
}

/// A municipality as it was in one division (inndeling).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Municipality {
    pub number: Kommunenummer,
    pub name: String,
}

/// One row of SSB's code changes: `old` became (part of) `new` on `effective`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct CodeChange {
    pub old_number: Kommunenummer,
    pub old_name: String,
    pub new_number: Kommunenummer,
    pub new_name: String,
    pub effective: NaiveDate,
}

/// Where a number of one year is found in a later division.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Successor {
    /// The same number still exists (perhaps with a new name).
    Unchanged { municipality: Municipality },
    /// Renumbered or merged into exactly one municipality.
    Became {
        municipality: Municipality,
        merged_with_others: bool,
    },
    /// Split between several municipalities; not to be assigned to any one of them.
    Split { parts: Vec<Municipality> },
    /// Not in the target division and no change is recorded.
    Unknown,
}

impl Successor {
    /// The one municipality it became, if it is one.
    pub fn single(&self) -> Option<&Municipality> {
        match self {
            Successor::Unchanged { municipality } | Successor::Became { municipality, .. } => {
                Some(municipality)
            }
            _ => None,
        }
    }
}

/// A municipality of an earlier year that is (part of) one of a later division.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Predecessor {
    pub number: Kommunenummer,
    pub name: String,
    /// Only part of it went here: it was split.
    pub partial: bool,
}

/// The municipality register: the divisions we know and the code changes between them.
#[derive(Debug, Clone, Default)]
pub struct Register {
    divisions: BTreeMap<i32, BTreeMap<Kommunenummer, String>>,
    changes: Vec<CodeChange>,
}

/// One line of a municipality's history, for the register page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct HistoryEntry {
    pub effective: NaiveDate,
    pub from: Vec<Municipality>,
    pub to: Vec<Municipality>,
    pub kind: ChangeKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Renamed,
    Renumbered,
    Merged,
    Split,
}

impl ChangeKind {
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::Renamed => "nytt navn",
            ChangeKind::Renumbered => "nytt nummer",
            ChangeKind::Merged => "sammenslått",
            ChangeKind::Split => "delt",
        }
    }
}

impl Register {
    pub fn new(
        divisions: impl IntoIterator<Item = (i32, Municipality)>,
        changes: Vec<CodeChange>,
    ) -> Self {
        let mut map: BTreeMap<i32, BTreeMap<Kommunenummer, String>> = BTreeMap::new();
        for (year, m) in divisions {
            map.entry(year).or_default().insert(m.number, m.name);
        }
        let mut changes = changes;
        changes.sort_by(|a, b| (a.effective, &a.old_number).cmp(&(b.effective, &b.old_number)));
        Register {
            divisions: map,
            changes,
        }
    }

    pub fn division_years(&self) -> Vec<i32> {
        self.divisions.keys().copied().collect()
    }

    pub fn newest_year(&self) -> Option<i32> {
        self.divisions.keys().next_back().copied()
    }

    /// The division in force in `year`: the newest one we have from that year or before.
    pub fn division_year_for(&self, year: i32) -> Option<i32> {
        self.divisions.range(..=year).next_back().map(|(y, _)| *y)
    }

    pub fn municipalities(&self, division_year: i32) -> Vec<Municipality> {
        self.divisions
            .get(&division_year)
            .map(|d| {
                d.iter()
                    .map(|(number, name)| Municipality {
                        number: number.clone(),
                        name: name.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The municipality with `number` in the division in force in `year`.
    pub fn lookup(&self, number: &Kommunenummer, year: i32) -> Option<Municipality> {
        let division = self.divisions.get(&self.division_year_for(year)?)?;
        division.get(number).map(|name| Municipality {
            number: number.clone(),
            name: name.clone(),
        })
    }

    /// Name of `number` in the division in force in `year`, falling back to any division
    /// or change record that knows it.
    pub fn name_of(&self, number: &Kommunenummer, year: i32) -> Option<String> {
        if let Some(m) = self.lookup(number, year) {
            return Some(m.name);
        }
        for division in self.divisions.values().rev() {
            if let Some(name) = division.get(number) {
                return Some(name.clone());
            }
        }
        self.changes.iter().find_map(|c| {
            if &c.old_number == number {
                Some(c.old_name.clone())
            } else if &c.new_number == number {
                Some(c.new_name.clone())
            } else {
                None
            }
        })
    }

    /// The name `number` had during `year`: the name a later code change took it from, or
    /// else the name the latest earlier change gave it, or else as [`Register::name_of`].
    /// Unlike a division lookup, this knows years between divisions (Trondheim in 2018,
    /// «Trondheim - Tråante» from 2023).
    pub fn name_in_year(&self, number: &Kommunenummer, year: i32) -> Option<String> {
        let later = self
            .changes
            .iter()
            .filter(|c| &c.old_number == number && c.effective.year() > year)
            .min_by_key(|c| c.effective);
        if let Some(c) = later {
            return Some(c.old_name.clone());
        }
        let earlier = self
            .changes
            .iter()
            .filter(|c| &c.new_number == number && c.effective.year() <= year)
            .max_by_key(|c| c.effective);
        if let Some(c) = earlier {
            return Some(c.new_name.clone());
        }
        self.name_of(number, year)
    }

    /// Follows the code changes from the number as it was in `from_year` to the division
    /// in force in `to_year`.
    pub fn successor(&self, number: &Kommunenummer, from_year: i32, to_year: i32) -> Successor {
        let mut current: BTreeSet<Kommunenummer> = BTreeSet::from([number.clone()]);
        let mut merged = false;
        // Each change applies once, in date order, to the numbers alive at that date.
        let mut year_changes: BTreeMap<NaiveDate, Vec<&CodeChange>> = BTreeMap::new();
        for c in &self.changes {
            let y = c.effective.year();
            if y > from_year && y <= to_year {
                year_changes.entry(c.effective).or_default().push(c);
            }
        }
        for changes in year_changes.values() {
            let mut next = BTreeSet::new();
            for n in &current {
                let targets: Vec<&CodeChange> = changes
                    .iter()
                    .copied()
                    .filter(|c| &c.old_number == n)
                    .collect();
                if targets.is_empty() {
                    next.insert(n.clone());
                    continue;
                }
                for t in targets {
                    // Did others join the same new number at the same date?
                    if changes
                        .iter()
                        .any(|o| o.new_number == t.new_number && &o.old_number != n)
                    {
                        merged = true;
                    }
                    next.insert(t.new_number.clone());
                }
            }
            current = next;
        }
        let parts: Vec<Municipality> = current
            .iter()
            .map(|n| Municipality {
                number: n.clone(),
                name: self.name_of(n, to_year).unwrap_or_default(),
            })
            .collect();
        match parts.len() {
            0 => Successor::Unknown,
            1 => {
                let municipality = parts.into_iter().next().expect("one part");
                if municipality.name.is_empty() {
                    return Successor::Unknown;
                }
                if &municipality.number == number && !merged {
                    Successor::Unchanged { municipality }
                } else {
                    Successor::Became {
                        municipality,
                        merged_with_others: merged,
                    }
                }
            }
            _ => Successor::Split { parts },
        }
    }

    /// The numbers, as they were in `year`, whose area is now (in the division in force
    /// in `division_year`) part of `number`: the inverse of [`Register::successor`]. A part
    /// is `partial` when that old municipality was split and only some of it went here
    /// (Snillfjord 5012 → Heim, Hitra and Orkland in 2020).
    pub fn predecessors(
        &self,
        number: &Kommunenummer,
        division_year: i32,
        year: i32,
    ) -> Vec<Predecessor> {
        let mut current: BTreeMap<Kommunenummer, bool> = BTreeMap::from([(number.clone(), false)]);
        let mut dates: BTreeMap<NaiveDate, Vec<&CodeChange>> = BTreeMap::new();
        for c in &self.changes {
            let y = c.effective.year();
            if y > year && y <= division_year {
                dates.entry(c.effective).or_default().push(c);
            }
        }
        // Walk back through the changes, newest first.
        for changes in dates.values().rev() {
            let mut earlier: BTreeMap<Kommunenummer, bool> = BTreeMap::new();
            for (n, partial) in &current {
                let sources: Vec<&CodeChange> = changes
                    .iter()
                    .copied()
                    .filter(|c| &c.new_number == n)
                    .collect();
                if sources.is_empty() {
                    *earlier.entry(n.clone()).or_default() |= *partial;
                    continue;
                }
                for source in sources {
                    let split = changes
                        .iter()
                        .any(|o| o.old_number == source.old_number && o.new_number != *n);
                    *earlier.entry(source.old_number.clone()).or_default() |= *partial || split;
                }
            }
            current = earlier;
        }
        current
            .into_iter()
            .map(|(number, partial)| Predecessor {
                name: self.name_in_year(&number, year).unwrap_or_default(),
                number,
                partial,
            })
            .collect()
    }

    /// A collaboration's members, recorded as numbers of the division of
    /// `recorded_year`, as the municipalities of the division in force in `year`: later
    /// years follow the code changes (5015 Ørland and 5017 Bjugn of 2019 are both 5057
    /// Ørland from 2020), earlier ones go back to the municipalities that became them.
    /// Each appears once, in number order. A member split between several municipalities
    /// (or one the register cannot follow) is kept under its recorded number, so that
    /// its figures show as missing rather than being put on one of the parts.
    pub fn members_in_year(&self, members: &[(Municipality, i32)], year: i32) -> Vec<Municipality> {
        let mut out: BTreeMap<Kommunenummer, String> = BTreeMap::new();
        for (member, recorded_year) in members {
            let mapped: Vec<Municipality> = if year >= *recorded_year {
                match self.successor(&member.number, *recorded_year, year) {
                    Successor::Unchanged { municipality }
                    | Successor::Became { municipality, .. } => {
                        vec![municipality]
                    }
                    Successor::Split { .. } | Successor::Unknown => vec![member.clone()],
                }
            } else {
                let parts = self.predecessors(&member.number, *recorded_year, year);
                if parts.is_empty() || parts.iter().any(|p| p.partial) {
                    vec![member.clone()]
                } else {
                    parts
                        .into_iter()
                        .map(|p| Municipality {
                            name: if p.name.is_empty() {
                                member.name.clone()
                            } else {
                                p.name
                            },
                            number: p.number,
                        })
                        .collect()
                }
            };
            for m in mapped {
                out.entry(m.number).or_insert(m.name);
            }
        }
        out.into_iter()
            .map(|(number, name)| Municipality { number, name })
            .collect()
    }

    /// Every recorded change that involves `number`, as old or new, oldest first.
    pub fn history(&self, number: &Kommunenummer) -> Vec<HistoryEntry> {
        let mut entries = Vec::new();
        let mut seen: BTreeSet<(NaiveDate, Kommunenummer, bool)> = BTreeSet::new();
        for c in &self.changes {
            if &c.old_number == number && seen.insert((c.effective, c.old_number.clone(), true)) {
                // Everything this number became on that date.
                let to: Vec<Municipality> = self
                    .changes
                    .iter()
                    .filter(|o| o.effective == c.effective && &o.old_number == number)
                    .map(|o| Municipality {
                        number: o.new_number.clone(),
                        name: o.new_name.clone(),
                    })
                    .collect();
                let kind = if to.len() > 1 {
                    ChangeKind::Split
                } else if self.joined_count(&c.new_number, c.effective) > 1 {
                    ChangeKind::Merged
                } else if c.new_number == c.old_number {
                    ChangeKind::Renamed
                } else {
                    ChangeKind::Renumbered
                };
                entries.push(HistoryEntry {
                    effective: c.effective,
                    from: vec![Municipality {
                        number: c.old_number.clone(),
                        name: c.old_name.clone(),
                    }],
                    to,
                    kind,
                });
            }
            if &c.new_number == number
                && &c.old_number != number
                && seen.insert((c.effective, c.new_number.clone(), false))
            {
                let from: Vec<Municipality> = self
                    .changes
                    .iter()
                    .filter(|o| o.effective == c.effective && &o.new_number == number)
                    .map(|o| Municipality {
                        number: o.old_number.clone(),
                        name: o.old_name.clone(),
                    })
                    .collect();
                let kind = if from.len() > 1 {
                    ChangeKind::Merged
                } else {
                    ChangeKind::Renumbered
                };
                entries.push(HistoryEntry {
                    effective: c.effective,
                    from,
                    to: vec![Municipality {
                        number: c.new_number.clone(),
                        name: c.new_name.clone(),
                    }],
                    kind,
                });
            }
        }
        entries.sort_by_key(|e| e.effective);
        entries
    }

    fn joined_count(&self, new_number: &Kommunenummer, effective: NaiveDate) -> usize {
        self.changes
            .iter()
            .filter(|c| &c.new_number == new_number && c.effective == effective)
            .count()
    }

    /// Names and numbers per division for a number, e.g. `[(2019, "Bjugn")]`.
    pub fn presence(&self, number: &Kommunenummer) -> Vec<(i32, String)> {
        self.divisions
            .iter()
            .filter_map(|(year, d)| d.get(number).map(|name| (*year, name.clone())))
            .collect()
    }

    /// Every number known in any division or change, for searching.
    pub fn all_numbers(&self) -> BTreeSet<Kommunenummer> {
        let mut all: BTreeSet<Kommunenummer> = self
            .divisions
            .values()
            .flat_map(|d| d.keys().cloned())
            .collect();
        for c in &self.changes {
            all.insert(c.old_number.clone());
            all.insert(c.new_number.clone());
        }
        all
    }
}

/// Folds a name for matching what people type: case, spacing, and the æøå / ae-oe-aa
/// spellings (`Snåsa`, `Snaasa`, `snasa` all fold alike).
pub fn fold_name(name: &str) -> String {
    let lower = name.trim().to_lowercase();
    let mut out = String::with_capacity(lower.len());
    for ch in lower.chars() {
        match ch {
            'æ' | 'ä' => out.push_str("ae"),
            'ø' | 'ö' => out.push_str("oe"),
            'å' => out.push_str("aa"),
            c if c.is_whitespace() || c == '-' => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c => out.push(c),
        }
    }
    // Each replacement only when it has something to replace: a copy per step was most
    // of the cost for the usual name without æøå.
    let mut folded = out.trim().to_string();
    for (from, to) in [("aa", "a"), ("ae", "a"), ("oe", "o")] {
        if folded.contains(from) {
            folded = folded.replace(from, to);
        }
    }
    folded
}

/// Whether what a person typed names the municipality `official`. Official names may be
/// bilingual (`Snåase - Snåsa`, `Namsos - Nåavmesjenjaelmie`); either part matches, and
/// so does a bilingual name typed for a one-language official one. A trailing
/// «kommune» is allowed («Trondheim kommune»), but «fylkeskommune» is not a kommune.
pub fn name_matches(official: &str, typed: &str) -> bool {
    let typed = without_kommune_suffix(typed);
    let officials: Vec<String> = std::iter::once(official)
        .chain(official.split(" - "))
        .map(fold_name)
        .collect();
    std::iter::once(typed)
        .chain(typed.split(" - "))
        .map(fold_name)
        .any(|t| !t.is_empty() && officials.contains(&t))
}

fn without_kommune_suffix(typed: &str) -> &str {
    let trimmed = typed.trim().trim_end_matches('.');
    let lower = trimmed.to_lowercase();
    match lower.strip_suffix("kommune") {
        Some(rest) if rest.ends_with(char::is_whitespace) && !rest.trim().is_empty() => {
            trimmed[..rest.len()].trim_end()
        }
        _ => typed,
    }
}

/// How far a typed name is from an official one, when it is close enough to suggest:
/// a typo or two, a missing letter, the start of the name. `None` when it is not close.
/// Both are folded (case, æøå spellings) and «kommune» after the name is left out.
pub fn name_distance(official: &str, typed: &str) -> Option<usize> {
    let typed = fold_name(without_kommune_suffix(typed));
    if typed.chars().count() < 3 {
        return None;
    }
    std::iter::once(official)
        .chain(official.split(" - "))
        .map(fold_name)
        .filter_map(|official| {
            let distance = edit_distance(&official, &typed);
            // A longer name tolerates more slips; a short one only one.
            let allowed = match typed.chars().count() {
                0..=4 => 1,
                5..=8 => 2,
                _ => 3,
            };
            if distance <= allowed {
                Some(distance)
            } else if typed.chars().count() >= 4 && official.starts_with(&typed) {
                Some(allowed + 1)
            } else {
                None
            }
        })
        .min()
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// The municipalities of `year` a name that matches none could have meant, closest
/// first, at most `limit`.
pub fn similar_municipalities(
    register: &Register,
    typed: &str,
    year: i32,
    limit: usize,
) -> Vec<Municipality> {
    let mut close: Vec<(usize, Municipality)> = register
        .division_year_for(year)
        .map(|y| register.municipalities(y))
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| Some((name_distance(&m.name, typed)?, m)))
        .collect();
    close.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
    close.into_iter().take(limit).map(|(_, m)| m).collect()
}

/// The municipalities of `year` a kommunenummer and a name that contradict each other
/// point to, for the user to choose between: what the number is (or became) and what
/// the name is, or names like it.
pub fn contradiction_candidates(
    register: &Register,
    number: &Kommunenummer,
    typed: &str,
    year: i32,
) -> Vec<Municipality> {
    let division = register.division_year_for(year).unwrap_or(year);
    let mut candidates: Vec<Municipality> = Vec::new();
    let mut add = |m: Municipality| {
        if !candidates.iter().any(|c| c.number == m.number) {
            candidates.push(m);
        }
    };
    match register.lookup(number, year) {
        Some(m) => add(m),
        None => match register.successor(number, 2000, division) {
            Successor::Unchanged { municipality } | Successor::Became { municipality, .. } => {
                add(municipality)
            }
            Successor::Split { parts } => parts.into_iter().for_each(&mut add),
            Successor::Unknown => {}
        },
    }
    let in_division = register.municipalities(division);
    match in_division.iter().find(|m| name_matches(&m.name, typed)) {
        Some(m) => add(m.clone()),
        None => similar_municipalities(register, typed, year, 3)
            .into_iter()
            .for_each(&mut add),
    }
    candidates
}

/// A row that gives both a kommunenummer and a name, read for a round of `year`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberAndName {
    /// The number is valid in `year`, and the name, if any, is its name.
    Agrees(Municipality),
    /// An older number, followed to what it became by `year`; the name, if any, is the
    /// old or the new one.
    Followed {
        from: Municipality,
        to: Municipality,
    },
}

/// Checks a kommunenummer and the name written beside it against the register for
/// `year`. `Err` is a Norwegian message naming both when they contradict each other,
/// or when the number did not exist in `year`.
pub fn check_number_and_name(
    register: &Register,
    number: &Kommunenummer,
    typed: &str,
    year: i32,
) -> Result<NumberAndName, String> {
    let typed = typed.trim();
    let division = register.division_year_for(year).unwrap_or(year);
    let named = || {
        register
            .municipalities(division)
            .into_iter()
            .find(|m| name_matches(&m.name, typed))
    };
    let typed_is = |typed: &str| match named() {
        Some(m) => format!("«{typed}» er {} {} i {year}", m.number, m.name),
        None => format!("søkeren heter «{typed}»"),
    };
    let presence = register.presence(number);
    let own_names: Vec<String> = presence.iter().map(|(_, n)| n.clone()).collect();
    let agrees = |names: &[&str]| typed.is_empty() || names.iter().any(|n| name_matches(n, typed));
    if let Some(m) = register.lookup(number, year) {
        let in_year = register.name_in_year(number, year).unwrap_or_default();
        if agrees(&[&m.name, &in_year]) {
            return Ok(NumberAndName::Agrees(m));
        }
        return Err(format!(
            "Kommunenummer {number} er {} i {year}, men {}. Rett kommunenummeret eller søkeren.",
            m.name,
            typed_is(typed)
        ));
    }
    let newest_known = presence.iter().map(|(y, _)| *y).max();
    if newest_known.is_some_and(|y| presence.iter().all(|(py, _)| *py > division) && y > division) {
        let later = own_names.last().cloned().unwrap_or_default();
        return Err(format!(
            "Kommunenummer {number} ({later}) ble tatt i bruk etter {year} og fantes ikke i {year}{}. Bruk kommunenummeret fra {year}.",
            if typed.is_empty() {
                String::new()
            } else {
                format!("; {}", typed_is(typed))
            }
        ));
    }
    let from_year = newest_known.unwrap_or(2000);
    let old_name = register.name_of(number, from_year).unwrap_or_default();
    match register.successor(number, from_year, division) {
        Successor::Unchanged { municipality } | Successor::Became { municipality, .. } => {
            let old_names: Vec<&str> = own_names
                .iter()
                .map(String::as_str)
                .chain([old_name.as_str()])
                .collect();
            if agrees(&old_names) || agrees(&[&municipality.name]) {
                Ok(NumberAndName::Followed {
                    from: Municipality {
                        number: number.clone(),
                        name: old_name,
                    },
                    to: municipality,
                })
            } else {
                Err(format!(
                    "Kommunenummer {number} ({old_name}) ble til {} {} i {year}, men {}. Rett kommunenummeret eller søkeren.",
                    municipality.number,
                    municipality.name,
                    typed_is(typed)
                ))
            }
        }
        Successor::Split { parts } => Err(format!(
            "Kommunenummer {number} ({old_name}) ble delt mellom {}; oppgi riktig kommune.",
            parts
                .iter()
                .map(|p| format!("{} {}", p.number, p.name))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Successor::Unknown => Err(format!(
            "Kommunenummer {number} finnes ikke i kommuneregisteret for {year}."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nr(s: &str) -> Kommunenummer {
        Kommunenummer::parse(s).unwrap()
    }

    fn m(n: &str, name: &str) -> Municipality {
        Municipality {
            number: nr(n),
            name: name.into(),
        }
    }

    fn change(old: &str, old_name: &str, new: &str, new_name: &str, date: &str) -> CodeChange {
        CodeChange {
            old_number: nr(old),
            old_name: old_name.into(),
            new_number: nr(new),
            new_name: new_name.into(),
            effective: date.parse().unwrap(),
        }
    }

    #[test]
    fn members_follow_the_year_once_each() {
        let r = register();
        let members = vec![
            (m("5015", "Ørland"), 2019),
            (m("5017", "Bjugn"), 2019),
            (m("5001", "Trondheim"), 2019),
        ];
        assert_eq!(
            r.members_in_year(&members, 2026),
            vec![m("5001", "Trondheim"), m("5057", "Ørland")]
        );
        assert_eq!(r.members_in_year(&members, 2019), {
            let mut same: Vec<Municipality> = members.iter().map(|(m, _)| m.clone()).collect();
            same.sort_by(|a, b| a.number.cmp(&b.number));
            same
        });
        // Back to before the 2018 renumbering, and from a later division back to 2019.
        assert_eq!(
            r.members_in_year(&[(m("5017", "Bjugn"), 2019)], 2017),
            vec![m("1627", "Bjugn")]
        );
        assert_eq!(
            r.members_in_year(&[(m("5057", "Ørland"), 2020)], 2019),
            vec![m("5015", "Ørland"), m("5017", "Bjugn")]
        );
        // A split member is not put on one of its parts.
        assert_eq!(
            r.members_in_year(&[(m("5012", "Snillfjord"), 2019)], 2024),
            vec![m("5012", "Snillfjord")]
        );
    }

    #[test]
    fn close_names_are_suggested_and_far_ones_not() {
        assert_eq!(name_distance("Holtålen", "Holtalen"), Some(0));
        assert_eq!(name_distance("Holtålen", "Holtlen kommune"), Some(1));
        assert_eq!(name_distance("Trondheim", "Trondhjem"), Some(2));
        assert_eq!(name_distance("Midtre Gauldal", "Midtre"), Some(3));
        assert_eq!(
            name_distance("Porsanger - Porsáŋgu - Porsanki", "Porsangr"),
            Some(1)
        );
        assert_eq!(name_distance("Oslo", "Bergen"), None);
        assert_eq!(name_distance("Frosta", "Fr"), None);
        let r = register();
        assert_eq!(
            similar_municipalities(&r, "Orlandet", 2026, 3),
            vec![m("5057", "Ørland")]
        );
        assert_eq!(
            similar_municipalities(&r, "Hitr", 2026, 3),
            vec![m("5056", "Hitra")]
        );
        assert!(similar_municipalities(&r, "Bergen", 2026, 3).is_empty());
    }

    #[test]
    fn a_contradiction_offers_what_the_number_and_the_name_point_to() {
        let r = register();
        assert_eq!(
            contradiction_candidates(&r, &nr("5001"), "Hitra", 2026),
            vec![m("5001", "Trondheim"), m("5056", "Hitra")]
        );
        // A split number offers its parts; a misspelt name the names like it.
        assert_eq!(
            contradiction_candidates(&r, &nr("5012"), "Trondhjem", 2026),
            vec![
                m("5055", "Heim"),
                m("5056", "Hitra"),
                m("5059", "Orkland"),
                m("5001", "Trondheim")
            ]
        );
    }

    fn register() -> Register {
        Register::new(
            vec![
                (2019, m("5017", "Bjugn")),
                (2019, m("5015", "Ørland")),
                (2019, m("5012", "Snillfjord")),
                (2019, m("5001", "Trondheim")),
                (2020, m("5057", "Ørland")),
                (2020, m("5055", "Heim")),
                (2020, m("5056", "Hitra")),
                (2020, m("5059", "Orkland")),
                (2020, m("5001", "Trondheim")),
            ],
            vec![
                change("1627", "Bjugn", "5017", "Bjugn", "2018-01-01"),
                change("5017", "Bjugn", "5057", "Ørland", "2020-01-01"),
                change("5015", "Ørland", "5057", "Ørland", "2020-01-01"),
                change("5012", "Snillfjord", "5055", "Heim", "2020-01-01"),
                change("5012", "Snillfjord", "5056", "Hitra", "2020-01-01"),
                change("5012", "Snillfjord", "5059", "Orkland", "2020-01-01"),
            ],
        )
    }

    #[test]
    fn kommunenummer_keeps_leading_zero() {
        assert_eq!(nr("301").as_str(), "0301");
        assert_eq!(nr("0301").as_str(), "0301");
        assert!(Kommunenummer::parse("30").is_err());
        assert!(Kommunenummer::parse("50011").is_err());
        assert!(Kommunenummer::parse("50a1").is_err());
    }

    #[test]
    fn predecessors_invert_merges_and_mark_splits() {
        let r = register();
        let parts = r.predecessors(&nr("5057"), 2020, 2019);
        let numbers: Vec<&str> = parts.iter().map(|p| p.number.as_str()).collect();
        assert_eq!(numbers, ["5015", "5017"]);
        assert!(parts.iter().all(|p| !p.partial));
        // Through two changes: Bjugn was 1627 in 2017.
        let parts = r.predecessors(&nr("5057"), 2020, 2017);
        assert!(
            parts
                .iter()
                .any(|p| p.number.as_str() == "1627" && p.name == "Bjugn")
        );
        // Orkland got part of Snillfjord.
        let parts = r.predecessors(&nr("5059"), 2020, 2019);
        assert_eq!(parts.len(), 1);
        assert!(parts[0].partial && parts[0].number.as_str() == "5012");
        // Nothing changed after the year asked for.
        let parts = r.predecessors(&nr("5057"), 2020, 2020);
        assert_eq!(parts.len(), 1);
        assert!(!parts[0].partial && parts[0].number.as_str() == "5057");
    }

    #[test]
    fn bjugn_became_orland() {
        let s = register().successor(&nr("5017"), 2019, 2020);
        assert_eq!(
            s,
            Successor::Became {
                municipality: m("5057", "Ørland"),
                merged_with_others: true
            }
        );
        // Across two changes: 1627 (2017) → 5017 (2018) → 5057 (2020).
        let s = register().successor(&nr("1627"), 2017, 2020);
        assert_eq!(s.single().map(|m| m.number.as_str()), Some("5057"));
    }

    #[test]
    fn names_follow_the_year_between_divisions() {
        let mut r = register();
        r.changes.push(change(
            "5001",
            "Trondheim",
            "5001",
            "Trondheim - Tråante",
            "2023-01-01",
        ));
        assert_eq!(r.name_in_year(&nr("5001"), 2022).unwrap(), "Trondheim");
        assert_eq!(
            r.name_in_year(&nr("5001"), 2023).unwrap(),
            "Trondheim - Tråante"
        );
        assert_eq!(r.name_in_year(&nr("1627"), 2016).unwrap(), "Bjugn");
        assert_eq!(r.name_in_year(&nr("5057"), 2021).unwrap(), "Ørland");
        assert_eq!(r.name_in_year(&nr("5055"), 2024).unwrap(), "Heim");
        assert!(r.name_in_year(&nr("9999"), 2024).is_none());
    }

    #[test]
    fn snillfjord_is_split_not_assigned() {
        match register().successor(&nr("5012"), 2019, 2020) {
            Successor::Split { parts } => {
                let numbers: Vec<&str> = parts.iter().map(|p| p.number.as_str()).collect();
                assert_eq!(numbers, vec!["5055", "5056", "5059"]);
            }
            other => panic!("expected split, got {other:?}"),
        }
    }

    #[test]
    fn unchanged_stays() {
        assert_eq!(
            register().successor(&nr("5001"), 2019, 2020),
            Successor::Unchanged {
                municipality: m("5001", "Trondheim")
            }
        );
    }

    #[test]
    fn history_describes_merge_and_split() {
        let reg = register();
        let bjugn = reg.history(&nr("5017"));
        assert_eq!(bjugn.len(), 2);
        assert_eq!(bjugn[1].kind, ChangeKind::Merged);
        assert_eq!(bjugn[1].to[0].number.as_str(), "5057");
        let snillfjord = reg.history(&nr("5012"));
        assert_eq!(snillfjord.len(), 1);
        assert_eq!(snillfjord[0].kind, ChangeKind::Split);
        assert_eq!(snillfjord[0].to.len(), 3);
        let orland = reg.history(&nr("5057"));
        assert_eq!(orland[0].kind, ChangeKind::Merged);
        assert_eq!(orland[0].from.len(), 2);
    }

    #[test]
    fn a_kommune_suffix_is_allowed_but_not_fylkeskommune() {
        assert!(name_matches("Trondheim", "Trondheim kommune"));
        assert!(name_matches("Namsos - Nåavmesjenjaelmie", "Namsos kommune"));
        assert!(name_matches("Levanger", "Levanger - Levangke"));
        assert!(!name_matches("Trøndelag", "Trøndelag fylkeskommune"));
        assert!(!name_matches("Kommune", "kommune x"));
    }

    #[test]
    fn a_number_and_a_name_must_agree() {
        let reg = register();
        let agrees = check_number_and_name(&reg, &nr("5001"), "Trondheim kommune", 2019);
        assert_eq!(agrees, Ok(NumberAndName::Agrees(m("5001", "Trondheim"))));
        let selbu = check_number_and_name(&reg, &nr("5001"), "Selbu", 2019).unwrap_err();
        assert!(
            selbu.contains("5001 er Trondheim i 2019") && selbu.contains("«Selbu»"),
            "{selbu}"
        );
        // A 2020 number in a 2019 round is not followed backwards.
        let newer = check_number_and_name(&reg, &nr("5057"), "Bjugn", 2019).unwrap_err();
        assert!(
            newer.contains("etter 2019") && newer.contains("5017 Bjugn"),
            "{newer}"
        );
        // An old number is followed, and the caller is told.
        let followed = check_number_and_name(&reg, &nr("5017"), "Bjugn", 2020);
        assert_eq!(
            followed,
            Ok(NumberAndName::Followed {
                from: m("5017", "Bjugn"),
                to: m("5057", "Ørland")
            })
        );
        let wrong = check_number_and_name(&reg, &nr("5017"), "Trondheim", 2020).unwrap_err();
        assert!(
            wrong.contains("5057 Ørland") && wrong.contains("5001 Trondheim"),
            "{wrong}"
        );
        assert!(
            check_number_and_name(&reg, &nr("5012"), "", 2020)
                .unwrap_err()
                .contains("delt")
        );
    }

    #[test]
    fn names_fold_alike() {
        assert_eq!(fold_name("Snåsa"), fold_name("snaasa"));
        assert_eq!(fold_name("Ørland"), fold_name("OERLAND"));
        assert_eq!(fold_name("Midtre  Gauldal"), fold_name("midtre gauldal"));
        assert_eq!(fold_name("Inderøy"), fold_name("Inderoy"));
        assert!(name_matches("Snåase - Snåsa", "Snåsa"));
        assert!(name_matches("Namsos - Nåavmesjenjaelmie", "namsos"));
        assert!(!name_matches("Namsos - Nåavmesjenjaelmie", "Nam"));
    }
}

/// What a typed applicant refers to: an organisation by id (`org:ID`), a municipality of
/// the round's year (by kommunenummer or name), or possibly an organisation by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplicantText {
    Organisation(i64),
    Municipality(Municipality),
    /// Not a municipality of the year: an organisation of this name, if one is registered.
    Name(String),
}

/// Reads what the user typed as an applicant in a round of `year`. `Err` is a Norwegian
/// message for the `applicant` field (an unknown id, or a kommunenummer that is not valid
/// in `year`, naming what it became).
pub fn interpret_applicant(
    register: &Register,
    text: &str,
    year: i32,
) -> Result<ApplicantText, String> {
    let text = text.trim();
    if let Some(id) = text.strip_prefix("org:") {
        return id
            .parse::<i64>()
            .map(ApplicantText::Organisation)
            .map_err(|_| format!("«{text}» er ikke en kjent søker."));
    }
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
        let number = Kommunenummer::parse(text).map_err(|e| e.to_string())?;
        return register
            .lookup(&number, year)
            .map(ApplicantText::Municipality)
            .ok_or_else(|| unknown_number(register, &number, year));
    }
    let in_division = register
        .division_year_for(year)
        .map(|y| register.municipalities(y))
        .unwrap_or_default();
    Ok(in_division
        .into_iter()
        .find(|m| name_matches(&m.name, text))
        .map(ApplicantText::Municipality)
        .unwrap_or_else(|| ApplicantText::Name(text.to_string())))
}

/// The message for a name that is neither a municipality of `year` nor an organisation.
pub fn unknown_applicant(text: &str, year: i32) -> String {
    format!(
        "«{}» er verken en kommune i {year} eller en registrert organisasjon. Oppgi kommunenummer eller velg fra listen.",
        text.trim()
    )
}

fn unknown_number(register: &Register, number: &Kommunenummer, year: i32) -> String {
    let later = register
        .division_year_for(year)
        .map(|y| register.successor(number, 2000, y));
    match later {
        Some(Successor::Became { municipality, .. }) => format!(
            "Kommunenummer {number} fantes ikke i {year}; det ble til {} {}.",
            municipality.number, municipality.name
        ),
        Some(Successor::Split { parts }) => format!(
            "Kommunenummer {number} fantes ikke i {year}; kommunen ble delt mellom {}. Velg riktig kommune.",
            parts
                .iter()
                .map(|p| format!("{} {}", p.number, p.name))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => format!("Kommunenummer {number} finnes ikke i kommuneinndelingen for {year}."),
    }
}
