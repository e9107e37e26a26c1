//! Who a file's row names as its applicant, by kommunenummer and name. Where the two
//! contradict each other, or the name is nobody's, the preview asks instead of
//! guessing: it offers what the number and the name point to, and names like it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::kommune::{
    ApplicantText, Kommunenummer, NumberAndName, Register, Successor, check_number_and_name,
    contradiction_candidates, interpret_applicant, name_distance, name_matches,
    similar_municipalities,
};
use crate::error::AppResult;
use crate::sheets::{Problem, Severity};
use crate::store::Store;

/// How many similar names a question offers at most.
const SUGGESTIONS: usize = 4;

/// A question the preview asks instead of picking an applicant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ApplicantQuestion {
    /// The cell that names the applicant (`Søknad!B4`): the answer is sent under it.
    pub cell: String,
    /// What the file says, as one text (`5021 / Holtålen`).
    pub typed: String,
    /// The applicants the row most likely means, each with why (`5021 Gauldal
    /// (kommunenummeret)`); any other applicant may be chosen too.
    pub options: Vec<ApplicantOption>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ApplicantOption {
    /// A kommunenummer or `org:ID`, as a choice is sent.
    pub value: String,
    pub label: String,
}

/// The applicant a row was settled to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identified {
    /// A kommunenummer or `org:ID`.
    pub reference: String,
    pub name: String,
    pub number: Option<Kommunenummer>,
}

/// A (sheet, cell) pair, as problems name them.
pub type Place = Option<(String, String)>;

/// What a row says about its applicant, and where.
pub struct Naming<'a> {
    pub typed: &'a str,
    pub number: Option<&'a Kommunenummer>,
    pub name_cell: Place,
    pub number_cell: Place,
}

impl Naming<'_> {
    /// The key a choice for this row is sent under: the name's cell, or the number's.
    pub fn key(&self) -> Option<String> {
        self.name_cell
            .as_ref()
            .or(self.number_cell.as_ref())
            .map(|(sheet, cell)| format!("{sheet}!{cell}"))
    }

    fn typed_text(&self) -> String {
        match (self.number, self.typed.trim()) {
            (Some(n), "") => n.to_string(),
            (Some(n), name) => format!("{n} / {name}"),
            (None, name) => name.to_string(),
        }
    }
}

/// What the preview needs to identify rows: the register, the round's year, and the
/// choices made on an earlier preview of the same file (cell → applicant).
pub struct Identifier<'a> {
    pub store: &'a Store,
    pub register: &'a Register,
    pub year: i32,
    /// The county code of the round's region: its municipalities are suggested first.
    pub county: Option<&'static str>,
    pub choices: &'a BTreeMap<String, String>,
}

fn problem(place: &Place, severity: Severity, message: String) -> Problem {
    Problem {
        severity,
        sheet: place.as_ref().map(|p| p.0.clone()),
        cell: place.as_ref().map(|p| p.1.clone()),
        message,
    }
}

impl Identifier<'_> {
    /// Settles a row's applicant, adding warnings for what was followed or chosen and an
    /// error and a question for what cannot be settled without the user.
    pub async fn identify(
        &self,
        naming: &Naming<'_>,
        problems: &mut Vec<Problem>,
        questions: &mut Vec<ApplicantQuestion>,
    ) -> AppResult<Option<Identified>> {
        let year = self.year;
        if let Some(value) = naming.key().and_then(|k| self.choices.get(&k)) {
            return self.chosen(naming, value, problems).await;
        }
        let typed = naming.typed.trim();
        // A contradiction is told at the number, as before there was a question; what
        // is wrong with a name, at the name.
        let mut ask = |at: &Place, message: String, options: Vec<ApplicantOption>| {
            problems.push(problem(
                &at.clone()
                    .or(naming.name_cell.clone())
                    .or(naming.number_cell.clone()),
                Severity::Error,
                message,
            ));
            if let Some(cell) = naming.key() {
                questions.push(ApplicantQuestion {
                    cell,
                    typed: naming.typed_text(),
                    options,
                });
            }
        };
        if let Some(number) = naming.number {
            match check_number_and_name(self.register, number, typed, year) {
                Ok(NumberAndName::Agrees(m)) => return Ok(Some(municipality(m))),
                Ok(NumberAndName::Followed { from, to }) => {
                    problems.push(problem(
                        &naming.number_cell,
                        Severity::Warning,
                        format!(
                            "Kommunenummer {} ({}) gjaldt ikke i {year}; kommunen ble til {} {}, som brukes.",
                            from.number, from.name, to.number, to.name
                        ),
                    ));
                    return Ok(Some(municipality(to)));
                }
                Err(message) => {
                    let options = contradiction_candidates(self.register, number, typed, year)
                        .into_iter()
                        .map(|m| {
                            let why = if &m.number == number {
                                " (kommunenummeret)"
                            } else if name_matches(&m.name, typed) {
                                " (navnet)"
                            } else {
                                ""
                            };
                            ApplicantOption {
                                value: m.number.to_string(),
                                label: format!("{} {}{why}", m.number, m.name),
                            }
                        })
                        .collect();
                    ask(
                        &naming.number_cell,
                        format!("{message} Eller velg søker under."),
                        options,
                    );
                    return Ok(None);
                }
            }
        }
        if typed.is_empty() {
            ask(
                &naming.name_cell,
                "Søker mangler. Fyll ut søker eller kommunenummer, eller velg søker under.".into(),
                Vec::new(),
            );
            return Ok(None);
        }
        let division = self.register.division_year_for(year).unwrap_or(year);
        if let Some(m) = self
            .register
            .municipalities(division)
            .into_iter()
            .find(|m| name_matches(&m.name, typed))
        {
            return Ok(Some(municipality(m)));
        }
        if let Some((id, name)) = self.store.find_organisation(None, typed).await? {
            return Ok(Some(Identified {
                reference: format!("org:{id}"),
                name,
                number: None,
            }));
        }
        // An old name (Bjugn in a 2026 round) is followed through the register.
        let older = self
            .register
            .division_years()
            .into_iter()
            .flat_map(|y| self.register.municipalities(y))
            .find(|m| name_matches(&m.name, typed));
        if let Some(old) = older
            && let Successor::Became {
                municipality: now, ..
            }
            | Successor::Unchanged { municipality: now } =
                self.register.successor(&old.number, 2000, division)
        {
            // The same number under another year's name is the same municipality.
            if old.number != now.number {
                problems.push(problem(
                    &naming.name_cell,
                    Severity::Warning,
                    format!(
                        "«{typed}» ({} {}) fantes ikke i {year}; kommunen ble til {} {}, som brukes.",
                        old.number, old.name, now.number, now.name
                    ),
                ));
            }
            return Ok(Some(municipality(now)));
        }
        let options = self.similar(typed).await?;
        let suggestion = match options.as_slice() {
            [] => " Oppgi kommunenummer, eller velg søker under.".to_string(),
            some => format!(
                " Mente du {}? Velg søker under.",
                some.iter()
                    .map(|o| o.label.as_str())
                    .collect::<Vec<_>>()
                    .join(" eller ")
            ),
        };
        ask(
            &naming.name_cell,
            format!(
                "«{typed}» er verken en kommune i {year} eller en registrert organisasjon.{suggestion}"
            ),
            options,
        );
        Ok(None)
    }

    /// Municipalities and organisations with names like `typed`, closest first.
    async fn similar(&self, typed: &str) -> AppResult<Vec<ApplicantOption>> {
        // (distance, outside the round's county, option): the round's own municipalities
        // before equally close names elsewhere in the country.
        let mut close: Vec<(usize, bool, ApplicantOption)> =
            similar_municipalities(self.register, typed, self.year, usize::MAX)
                .into_iter()
                .filter_map(|m| {
                    let number = m.number.to_string();
                    let elsewhere = self.county.is_some_and(|c| !number.starts_with(c));
                    Some((
                        name_distance(&m.name, typed)?,
                        elsewhere,
                        ApplicantOption {
                            label: format!("{number} {}", m.name),
                            value: number,
                        },
                    ))
                })
                .collect();
        for org in self.store.other_organisations().await? {
            if let Some(distance) = name_distance(&org.name, typed) {
                close.push((
                    distance,
                    false,
                    ApplicantOption {
                        value: org.value(),
                        label: org.label(),
                    },
                ));
            }
        }
        close.sort_by(|a, b| {
            (a.0, a.1)
                .cmp(&(b.0, b.1))
                .then_with(|| a.2.label.cmp(&b.2.label))
        });
        // A name close to one of the round's own is not also offered as farther names
        // elsewhere in the country (Holtålen, not Horten, for «Holtlen» in Trøndelag).
        if let Some(&(best, false, _)) = close.first() {
            close.retain(|(distance, elsewhere, _)| !elsewhere || *distance <= best);
        }
        Ok(close
            .into_iter()
            .take(SUGGESTIONS)
            .map(|(_, _, o)| o)
            .collect())
    }

    /// The applicant the user chose for a row on an earlier preview; the file's own
    /// words are named beside it.
    async fn chosen(
        &self,
        naming: &Naming<'_>,
        value: &str,
        problems: &mut Vec<Problem>,
    ) -> AppResult<Option<Identified>> {
        let place = naming.name_cell.clone().or(naming.number_cell.clone());
        let found = match interpret_applicant(self.register, value, self.year) {
            Ok(ApplicantText::Municipality(m)) => Some(municipality(m)),
            Ok(ApplicantText::Organisation(id)) => match self.store.organisation_name(id).await {
                Ok(name) => Some(Identified {
                    reference: format!("org:{id}"),
                    name,
                    number: None,
                }),
                Err(crate::store::StoreError::NotFound(_)) => None,
                Err(e) => return Err(e.into()),
            },
            Ok(ApplicantText::Name(_)) | Err(_) => None,
        };
        match &found {
            Some(f) => problems.push(problem(
                &place,
                Severity::Warning,
                format!(
                    "Søker valgt ved opplastingen: {} (filen oppgir «{}»).",
                    f.name,
                    naming.typed_text()
                ),
            )),
            None => problems.push(problem(
                &place,
                Severity::Error,
                format!("Den valgte søkeren «{value}» finnes ikke i {}.", self.year),
            )),
        }
        Ok(found)
    }
}

fn municipality(m: crate::domain::kommune::Municipality) -> Identified {
    Identified {
        reference: m.number.to_string(),
        name: m.name,
        number: Some(m.number),
    }
}
