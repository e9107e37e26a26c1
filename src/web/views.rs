//! View models shared by the pages and the JSON API, so both show the same figures.

use chrono::{NaiveDate, TimeZone};
use serde::{Deserialize, Serialize};

use crate::domain::Kroner;
use crate::domain::application::{Application, ApplicationSummary};
use crate::domain::date::{format_date, parse_date};
use crate::domain::kommune::{
    HistoryEntry, Kommunenummer, Municipality, Register, Successor, fold_name,
};
use crate::domain::round::{Round, RoundOverview, RoundPhase, RoundTotals};
use crate::domain::validation::FieldErrors;
use crate::store::AuditFilter;

/// Where an applicant's kommunenummer of the round's year is today.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Today {
    Unchanged,
    Changed { kommunenummer: String, name: String },
    Split { parts: Vec<Municipality> },
    Unknown,
}

impl Today {
    pub fn of(register: &Register, summary: &ApplicationSummary, round_year: i32) -> Option<Today> {
        let number = summary.kommunenummer.as_ref()?;
        let newest = register.newest_year()?;
        Some(match register.successor(number, round_year, newest) {
            Successor::Unchanged { municipality } if municipality.number == *number => {
                Today::Unchanged
            }
            Successor::Unchanged { municipality } | Successor::Became { municipality, .. } => {
                Today::Changed {
                    kommunenummer: municipality.number.to_string(),
                    name: municipality.name,
                }
            }
            Successor::Split { parts } => Today::Split { parts },
            Successor::Unknown => Today::Unknown,
        })
    }

    /// Short text for the table cell: `5057 Ørland`, `delt: 5055 Heim, …`, or empty.
    pub fn text(&self) -> String {
        match self {
            Today::Unchanged | Today::Unknown => String::new(),
            Today::Changed {
                kommunenummer,
                name,
            } => format!("{kommunenummer} {name}"),
            Today::Split { parts } => format!(
                "delt: {}",
                parts
                    .iter()
                    .map(|p| format!("{} {}", p.number, p.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// One application as a row of the round's table and of the API's round body.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ApplicationRow {
    pub id: i64,
    pub applicant: String,
    pub organisation_kind: String,
    pub kommunenummer: Option<String>,
    pub kommunenummer_today: Option<Today>,
    pub project_title: Option<String>,
    pub requested: Option<Kroner>,
    /// Granted by the decision in force.
    pub allocated: Option<Kroner>,
    /// The officers' proposal before a decision (not shown to applicants).
    pub proposed: Option<Kroner>,
    pub status: &'static str,
    pub status_label: &'static str,
    pub demo: bool,
    pub version: i64,
}

impl ApplicationRow {
    pub fn new(register: &Register, summary: &ApplicationSummary, round_year: i32) -> Self {
        ApplicationRow {
            id: summary.id,
            applicant: summary.applicant.clone(),
            organisation_kind: summary.organisation_kind.clone(),
            kommunenummer: summary.kommunenummer.as_ref().map(|k| k.to_string()),
            kommunenummer_today: Today::of(register, summary, round_year),
            project_title: summary.project_title.clone(),
            requested: summary.requested,
            allocated: summary.allocated,
            proposed: summary.proposed,
            status: summary.status.as_str(),
            status_label: summary.status.label(),
            demo: summary.demo,
            version: summary.version,
        }
    }

    pub fn requested_text(&self) -> String {
        money_or(self.requested, "ikke oppgitt")
    }

    pub fn allocated_text(&self) -> String {
        money_or(self.allocated, "–")
    }

    pub fn proposed_text(&self) -> String {
        money_or(self.proposed, "–")
    }

    pub fn today_text(&self) -> String {
        self.kommunenummer_today
            .as_ref()
            .map(Today::text)
            .unwrap_or_default()
    }

    pub fn kommunenummer_text(&self) -> String {
        self.kommunenummer
            .clone()
            .unwrap_or_else(|| self.organisation_kind.to_uppercase())
    }
}

pub fn money_or(amount: Option<Kroner>, none: &str) -> String {
    amount.map_or_else(|| none.to_string(), |a| a.to_string())
}

/// The columns the round's application table can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Applicant,
    Kommunenummer,
    Requested,
    Allocated,
    Status,
}

impl SortKey {
    pub const ALL: [SortKey; 5] = [
        SortKey::Applicant,
        SortKey::Kommunenummer,
        SortKey::Requested,
        SortKey::Allocated,
        SortKey::Status,
    ];

    pub fn parse(s: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Applicant => "applicant",
            SortKey::Kommunenummer => "kommunenummer",
            SortKey::Requested => "requested",
            SortKey::Allocated => "allocated",
            SortKey::Status => "status",
        }
    }
}

/// The order of applicants by name, as the round's table and its exports show them.
pub fn applicant_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.to_lowercase()
        .cmp(&b.to_lowercase())
        .then_with(|| a.cmp(b))
}

/// Sorts rows; missing amounts sort before any amount, ties by applicant name.
pub fn sort_rows(rows: &mut [ApplicationRow], key: SortKey, descending: bool) {
    rows.sort_by(|a, b| {
        let order = match key {
            SortKey::Applicant => applicant_order(&a.applicant, &b.applicant),
            SortKey::Kommunenummer => a.kommunenummer.cmp(&b.kommunenummer),
            SortKey::Requested => a.requested.cmp(&b.requested),
            SortKey::Allocated => a.allocated.cmp(&b.allocated),
            SortKey::Status => a.status_label.cmp(b.status_label),
        }
        .then_with(|| a.applicant.cmp(&b.applicant));
        if descending { order.reverse() } else { order }
    });
}

/// A round with its key figures, as the API writes it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RoundBody {
    #[serde(flatten)]
    pub round: Round,
    /// The phase in force (the same as `phase`; kept under its older name).
    pub status: RoundPhase,
    pub status_label: &'static str,
    /// Left out for a kommune user: the totals tell about other applicants.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub totals: Option<RoundTotals>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applications: Option<Vec<ApplicationRow>>,
}

impl RoundBody {
    pub fn new(
        overview: RoundOverview,
        applications: Option<Vec<ApplicationRow>>,
        with_totals: bool,
    ) -> Self {
        RoundBody {
            status: overview.round.phase,
            status_label: overview.round.phase.label(),
            round: overview.round,
            totals: with_totals.then_some(overview.totals),
            application_count: with_totals.then_some(overview.application_count),
            applications,
        }
    }
}

/// An application as the API writes it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ApplicationBody {
    #[serde(flatten)]
    pub row: ApplicationRow,
    pub round_id: i64,
    pub description: Option<String>,
    pub contact_person: Option<String>,
    pub email: Option<String>,
    pub allocation_reason: Option<String>,
    pub budget_lines: Vec<BudgetLineBody>,
    pub budget_total: BudgetTotals,
    pub members: Vec<Municipality>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct BudgetLineBody {
    pub category: String,
    pub description: String,
    pub cost: Kroner,
    pub own_contribution: Kroner,
    pub applied: Kroner,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct BudgetTotals {
    pub cost: Kroner,
    pub own_contribution: Kroner,
    pub applied: Kroner,
}

impl ApplicationBody {
    pub fn new(register: &Register, application: Application, round_year: i32) -> Self {
        let lines: Vec<BudgetLineBody> = application
            .budget_lines
            .iter()
            .map(|l| BudgetLineBody {
                category: l.category.clone(),
                description: l.description.clone(),
                cost: l.cost(),
                own_contribution: l.own_contribution,
                applied: l.applied,
            })
            .collect();
        let budget_total = BudgetTotals {
            cost: lines.iter().map(|l| l.cost).sum(),
            own_contribution: lines.iter().map(|l| l.own_contribution).sum(),
            applied: lines.iter().map(|l| l.applied).sum(),
        };
        ApplicationBody {
            row: ApplicationRow::new(register, &application.summary, round_year),
            round_id: application.summary.round_id,
            description: application.description,
            contact_person: application.contact_person,
            email: application.email,
            allocation_reason: application.allocation_reason,
            budget_lines: lines,
            budget_total,
            members: application.members,
        }
    }
}

/// One municipality number with its names per division and its recorded changes.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct MunicipalityEntry {
    pub kommunenummer: String,
    pub name: String,
    /// `(division year, name)` for each division that has this number.
    pub divisions: Vec<(i32, String)>,
    pub history: Vec<HistoryLine>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct HistoryLine {
    pub effective: String,
    pub kind: &'static str,
    pub text: String,
}

impl HistoryLine {
    pub fn new(entry: HistoryEntry) -> Self {
        let list = |ms: &[crate::domain::kommune::Municipality]| {
            ms.iter()
                .map(|m| format!("{} {}", m.number, m.name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let text = match entry.kind {
            crate::domain::kommune::ChangeKind::Split => {
                format!("{} delt mellom {}", list(&entry.from), list(&entry.to))
            }
            _ => format!("{} → {}", list(&entry.from), list(&entry.to)),
        };
        HistoryLine {
            effective: format_date(entry.effective),
            kind: entry.kind.label(),
            text,
        }
    }
}

/// Matches by number prefix or by name (case, spaces and æøå spellings folded).
pub fn search_municipalities(register: &Register, query: &str) -> Vec<MunicipalityEntry> {
    let query = query.trim();
    let folded = fold_name(query);
    let digits = !query.is_empty() && query.chars().all(|c| c.is_ascii_digit());
    let mut results = Vec::new();
    for number in register.all_numbers() {
        let divisions = register.presence(&number);
        let name = divisions
            .last()
            .map(|(_, n)| n.clone())
            .or_else(|| register.name_of(&number, 9999))
            .unwrap_or_default();
        let matches = if query.is_empty() {
            true
        } else if digits {
            number.as_str().starts_with(query)
                || Kommunenummer::parse(query).is_ok_and(|k| k == number)
        } else {
            divisions
                .iter()
                .map(|(_, n)| n.as_str())
                .chain(std::iter::once(name.as_str()))
                .any(|n| fold_name(n).contains(&folded))
        };
        if matches {
            results.push(MunicipalityEntry {
                kommunenummer: number.to_string(),
                name,
                divisions,
                history: register
                    .history(&number)
                    .into_iter()
                    .map(HistoryLine::new)
                    .collect(),
            });
        }
    }
    results
}

/// The filter as typed in the form or the query string (all optional).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
pub struct AuditQuery {
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub round: Option<String>,
    #[serde(default)]
    pub application: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    /// The next page: events older than this id.
    #[serde(default)]
    pub before: Option<String>,
    /// `1`: leave out logins.
    #[serde(default)]
    pub uten_innlogging: Option<String>,
}

fn oslo_midnight(date: NaiveDate) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono_tz::Europe::Oslo
        .from_local_datetime(&date.and_hms_opt(0, 0, 0)?)
        .earliest()
        .map(|t| t.with_timezone(&chrono::Utc))
}

impl AuditQuery {
    /// Turns the text into a filter; dates are whole days in Norwegian time, `to` inclusive.
    pub fn to_filter(&self) -> Result<AuditFilter, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut id = |field: &str, label: &str, value: &Option<String>| {
            let text = value.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
            match text.parse::<i64>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    errors.add(field, format!("{label} må være et tall, ikke «{text}»."));
                    None
                }
            }
        };
        let actor_user_id = id("user", "Bruker", &self.user);
        let round_id = id("round", "Runde", &self.round);
        let application_id = id("application", "Søknad", &self.application);
        let before_id = id("before", "Side", &self.before);
        let mut date = |field: &str, value: &Option<String>| {
            let text = value.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
            errors.take(field, parse_date(text))
        };
        let from = date("from", &self.from).and_then(oslo_midnight);
        let until = date("to", &self.to)
            .and_then(|d| d.succ_opt())
            .and_then(oslo_midnight);
        errors.into_result(|| AuditFilter {
            actor_user_id,
            round_id,
            application_id,
            from,
            until,
            limit: None,
            before_id,
            without_logins: self.uten_innlogging.as_deref() == Some("1"),
        })
    }
}
