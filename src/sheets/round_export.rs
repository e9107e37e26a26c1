//! A round's allocation as a workbook: `Tildeling` (one row per application, sums and
//! «ikke fordelt» as formulas with their results stored), `Vedtak` (who proposed and
//! approved, or that the amounts are not decided), `Budsjett` (budget lines) and
//! `Kilder`. The Tildeling table is also the round's CSV ([`allocation_table`]).

use rust_decimal::Decimal;
use rust_xlsxwriter::{Workbook, XlsxError};

use super::export::{
    Cell, Formats, Table, difference_formula, generated_at, print_setup, sum_formula, write_pairs,
    write_table,
};
use crate::domain::Kroner;
use crate::domain::round::Round;

pub const ALLOCATION_SHEET: &str = "Tildeling";
pub const DECISION_SHEET: &str = "Vedtak";
pub const BUDGET_SHEET: &str = "Budsjett";
pub const SOURCES_SHEET: &str = "Kilder";

/// What the Vedtak sheet says when the amounts are not decided.
pub const NOT_DECIDED: &str = "Ikke vedtatt – beløpene er foreløpige";

/// Columns of the Tildeling table; omsøkt and tildelt are summed.
const COLUMNS: [&str; 9] = [
    "Søker",
    "Organisasjonstype",
    "Kommunenummer",
    "Kommune",
    "Prosjekt",
    "Status",
    "Omsøkt",
    "Tildelt",
    "Begrunnelse",
];
const REQUESTED_COL: u16 = 6;
const ALLOCATED_COL: u16 = 7;

/// One application as a row of the Tildeling table, in the order it is to be shown.
#[derive(Debug, Clone, Default)]
pub struct AllocationRow {
    pub applicant: String,
    pub organisation_kind: String,
    pub kommunenummer: Option<String>,
    /// The municipality's name in the round's year.
    pub kommune: Option<String>,
    pub project: Option<String>,
    pub status: String,
    pub requested: Option<Kroner>,
    /// Granted, or (before a decision) proposed; `None` when neither (or not to be
    /// shown to this reader).
    pub allocated: Option<Kroner>,
    pub reason: Option<String>,
}

/// The decision in force, as the Vedtak sheet tells it.
#[derive(Debug, Clone)]
pub struct DecisionFacts {
    /// `Vedtak 3`, `Endringsvedtak 4`.
    pub title: String,
    pub scenario: String,
    pub method: String,
    pub parameters: String,
    pub snapshot: Option<String>,
    pub proposed_by: String,
    pub proposed_at: String,
    pub approved_by: String,
    pub approved_at: String,
    pub allocated: Kroner,
    pub reason: Option<String>,
}

/// Where the round's amounts stand.
#[derive(Debug, Clone)]
pub enum DecisionState {
    Approved(Box<DecisionFacts>),
    /// Decided, but not through a decision recorded here (historical data).
    DecidedElsewhere,
    /// Not decided; `pending` names a proposal waiting for approval.
    NotDecided {
        pending: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub struct BudgetRow {
    pub applicant: String,
    pub category: String,
    pub description: String,
    pub applied: Kroner,
    pub own_contribution: Kroner,
}

pub struct RoundExport<'a> {
    pub round: &'a Round,
    pub rows: &'a [AllocationRow],
    pub decision: DecisionState,
    pub budget: Vec<BudgetRow>,
    /// The name of the person who downloads it.
    pub generated_by: String,
}

/// The Tildeling table, for the workbook and the CSV alike.
pub fn allocation_table(round: &Round, rows: &[AllocationRow], decision: &DecisionState) -> Table {
    let mut notes = vec![format!(
        "{} · {} · Ramme {} · Laget {}",
        round.scheme,
        round.year,
        round.pool,
        generated_at()
    )];
    notes.push(match decision {
        DecisionState::Approved(d) => format!(
            "{}: godkjent av {} {}.",
            d.title, d.approved_by, d.approved_at
        ),
        DecisionState::DecidedElsewhere => {
            "Runden er avgjort; vedtaket er ikke fattet i denne løsningen (se arket Kilder)."
                .to_string()
        }
        DecisionState::NotDecided { .. } => format!("{NOT_DECIDED}."),
    });
    if round.demo {
        notes.push("Søknadene er oppdiktede demotall, ikke reelle søknader.".into());
    }
    Table {
        title: format!("Tildeling – {}", round.name),
        notes,
        columns: COLUMNS
            .iter()
            .map(|c| match (*c, round.phase.is_decided()) {
                // Before a decision the amounts are the officers' proposals.
                ("Tildelt", false) => "Foreslått".to_string(),
                (c, _) => c.to_string(),
            })
            .collect(),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    Cell::text(&r.applicant),
                    Cell::text(&r.organisation_kind),
                    Cell::optional_text(r.kommunenummer.as_deref()),
                    Cell::optional_text(r.kommune.as_deref()),
                    Cell::optional_text(r.project.as_deref()),
                    Cell::text(&r.status),
                    Cell::optional_money(r.requested),
                    Cell::optional_money(r.allocated),
                    Cell::optional_text(r.reason.as_deref()),
                ]
            })
            .collect(),
    }
}

fn sum(amounts: impl Iterator<Item = Option<Kroner>>) -> Decimal {
    amounts.flatten().map(Kroner::decimal).sum()
}

pub fn round_workbook(export: &RoundExport) -> Result<Vec<u8>, XlsxError> {
    let round = export.round;
    let formats = Formats::default();
    let mut workbook = Workbook::new();

    // Tildeling, with Sum, Ramme and Ikke fordelt under the rows.
    let table = allocation_table(round, export.rows, &export.decision);
    let sheet = workbook.add_worksheet();
    sheet.set_name(ALLOCATION_SHEET)?;
    let placed = write_table(sheet, 0, &table, &formats)?;
    let (first, last) = (placed.first_data_row, placed.last_data_row);
    let sum_row = placed.next_row();
    let pool_row = sum_row + 1;
    let unplaced_row = sum_row + 2;
    let allocated = sum(export.rows.iter().map(|r| r.allocated));
    sheet.write_string_with_format(sum_row, 0, "Sum", &formats.bold)?;
    if export.rows.iter().any(|r| r.requested.is_some()) {
        sheet.write_formula_with_format(
            sum_row,
            REQUESTED_COL,
            sum_formula(
                REQUESTED_COL,
                first,
                last,
                sum(export.rows.iter().map(|r| r.requested)),
            ),
            &formats.bold_money,
        )?;
    } else {
        // A sum of nothing known would read as 0 kr asked for.
        sheet.write_string_with_format(sum_row, REQUESTED_COL, "ikke oppgitt", &formats.bold)?;
    }
    sheet.write_formula_with_format(
        sum_row,
        ALLOCATED_COL,
        sum_formula(ALLOCATED_COL, first, last, allocated),
        &formats.bold_money,
    )?;
    sheet.write_string_with_format(pool_row, 0, "Ramme", &formats.bold)?;
    sheet.write_with_format(
        pool_row,
        ALLOCATED_COL,
        round.pool.decimal(),
        &formats.money,
    )?;
    sheet.write_string_with_format(unplaced_row, 0, "Ikke fordelt", &formats.bold)?;
    sheet.write_formula_with_format(
        unplaced_row,
        ALLOCATED_COL,
        difference_formula(
            ALLOCATED_COL,
            pool_row,
            sum_row,
            round.pool.decimal() - allocated,
        ),
        &formats.bold_money,
    )?;
    sheet.set_column_width(8, 50)?;
    print_setup(sheet, Some(placed.header_row), Some(&round.name))?;

    // Vedtak.
    let sheet = workbook.add_worksheet();
    sheet.set_name(DECISION_SHEET)?;
    sheet.write_string_with_format(0, 0, format!("Vedtak – {}", round.name), &formats.title)?;
    let pairs: Vec<(String, Cell)> = match &export.decision {
        DecisionState::Approved(d) => {
            let mut pairs = vec![
                ("Vedtak".into(), Cell::text(&d.title)),
                ("Fordelingsalternativ".into(), Cell::text(&d.scenario)),
                ("Metode".into(), Cell::text(&d.method)),
                ("Parametre".into(), Cell::text(&d.parameters)),
                (
                    "Statistikkgrunnlag".into(),
                    Cell::text(
                        d.snapshot
                            .as_deref()
                            .unwrap_or("Ingen (metoden bruker ikke statistikk)"),
                    ),
                ),
                ("Fordelt".into(), Cell::Money(d.allocated)),
                ("Foreslått av".into(), Cell::text(&d.proposed_by)),
                ("Foreslått".into(), Cell::text(&d.proposed_at)),
                ("Godkjent av".into(), Cell::text(&d.approved_by)),
                ("Godkjent".into(), Cell::text(&d.approved_at)),
            ];
            if let Some(reason) = &d.reason {
                pairs.push(("Begrunnelse".into(), Cell::text(reason)));
            }
            pairs
        }
        DecisionState::DecidedElsewhere => vec![(
            "Status".into(),
            Cell::text(
                "Runden er avgjort, men vedtaket er ikke fattet i denne løsningen. Beløpene er de tildelte beløpene slik kilden oppgir dem.",
            ),
        )],
        DecisionState::NotDecided { pending } => {
            let mut pairs = vec![("Status".into(), Cell::text(NOT_DECIDED))];
            if let Some(p) = pending {
                pairs.push(("Til godkjenning".into(), Cell::text(p)));
            }
            pairs
        }
    };
    write_pairs(sheet, 2, &pairs, &formats)?;
    print_setup(sheet, None, Some(&round.name))?;

    // Budsjett, with sums when there are lines.
    let budget = Table {
        title: format!("Budsjettposter – {}", round.name),
        notes: if export.budget.is_empty() {
            vec!["Ingen av søknadene har budsjettposter.".into()]
        } else {
            vec![]
        },
        columns: [
            "Søker",
            "Kategori",
            "Beskrivelse",
            "Omsøkt",
            "Egenandel",
            "Kostnad",
        ]
        .iter()
        .map(|c| c.to_string())
        .collect(),
        rows: export
            .budget
            .iter()
            .map(|b| {
                vec![
                    Cell::text(&b.applicant),
                    Cell::text(&b.category),
                    Cell::text(&b.description),
                    Cell::Money(b.applied),
                    Cell::Money(b.own_contribution),
                    Cell::Money(b.applied + b.own_contribution),
                ]
            })
            .collect(),
    };
    let sheet = workbook.add_worksheet();
    sheet.set_name(BUDGET_SHEET)?;
    let placed = write_table(sheet, 0, &budget, &formats)?;
    if !export.budget.is_empty() {
        let sum_row = placed.next_row();
        sheet.write_string_with_format(sum_row, 0, "Sum", &formats.bold)?;
        let totals = [
            sum(export.budget.iter().map(|b| Some(b.applied))),
            sum(export.budget.iter().map(|b| Some(b.own_contribution))),
            sum(export
                .budget
                .iter()
                .map(|b| Some(b.applied + b.own_contribution))),
        ];
        for (i, total) in totals.into_iter().enumerate() {
            let col = 3 + i as u16;
            sheet.write_formula_with_format(
                sum_row,
                col,
                sum_formula(col, placed.first_data_row, placed.last_data_row, total),
                &formats.bold_money,
            )?;
        }
    }
    print_setup(sheet, Some(placed.header_row), Some(&round.name))?;

    // Kilder.
    let sheet = workbook.add_worksheet();
    sheet.set_name(SOURCES_SHEET)?;
    sheet.write_string_with_format(0, 0, "Kilder og merknader", &formats.title)?;
    let mut pairs: Vec<(String, Cell)> = vec![
        ("Runde".into(), Cell::text(&round.name)),
        ("Tilskuddsordning".into(), Cell::text(&round.scheme)),
        ("År".into(), Cell::Integer(i64::from(round.year))),
        (
            "Region".into(),
            Cell::optional_text(round.region.as_deref()),
        ),
        ("Ramme".into(), Cell::Money(round.pool)),
        ("Avrunding".into(), Cell::Money(round.rounding_unit)),
        ("Status".into(), Cell::text(round.phase.label())),
    ];
    if round.historical {
        pairs.push((
            "Historiske data".into(),
            Cell::text("Runden er lastet fra kildematerialet (tildelingen slik den ble gjort). Omsøkt beløp er tomt der kilden ikke oppgir det."),
        ));
    }
    if round.demo {
        pairs.push((
            "Demodata".into(),
            Cell::text("Søknadene i runden er oppdiktede demotall, ikke reelle søknader."),
        ));
    }
    if let DecisionState::NotDecided { .. } = export.decision {
        pairs.push(("Merk".into(), Cell::text(NOT_DECIDED)));
    }
    pairs.push(("Laget".into(), Cell::text(generated_at())));
    pairs.push(("Laget av".into(), Cell::text(&export.generated_by)));
    pairs.push((
        "Formler".into(),
        Cell::text("Summer og «Ikke fordelt» er formler; verdiene er også lagret, så de vises i programmer som ikke regner."),
    ));
    write_pairs(sheet, 2, &pairs, &formats)?;

    workbook.save_to_buffer()
}
