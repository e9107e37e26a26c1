//! The sample data under `sample-data/`: the municipality register, the 2019 Trøndelag
//! round as it was decided, an open demonstration round, and the national KPR tables.
//!
//! The files are compiled into the binary, so `serve --demo` works wherever the binary is.
//! They load only into an empty database, in one transaction.

use std::collections::BTreeMap;

use anyhow::{Context, anyhow, bail};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::app::organisations::resolve_applicant;
use crate::domain::Kroner;
use crate::domain::application::{ApplicationFields, ApplicationStatus, BudgetLine};
use crate::domain::audit::{Actor, NewAuditEvent};
use crate::domain::kommune::{CodeChange, Kommunenummer, Municipality, Register};
use crate::domain::round::{DEFAULT_SCHEME, RoundFields, RoundPhase};
use crate::domain::statistics as stats;
use crate::store::{NewApplication, NewObservation, RoundOrigin, Store, Tx};

fn actor() -> Actor {
    Actor::system("system (eksempeldata)")
}

const DIVISIONS: [(i32, &str); 3] = [
    (2019, include_str!("../sample-data/kommuner-2019.csv")),
    (2020, include_str!("../sample-data/kommuner-2020.csv")),
    (2024, include_str!("../sample-data/kommuner-2024.csv")),
];
const CHANGES: &str = include_str!("../sample-data/kommuneendringer-2017-2024.csv");
const ORGANISATIONS: &str = include_str!("../sample-data/organisasjoner.csv");
const ALLOCATION_2019: &str = include_str!("../sample-data/tildeling-2019-trondelag.csv");
const DEMO_APPLICATIONS: &str = include_str!("../sample-data/demo-2026-soknader.csv");
const DEMO_BUDGET: &str = include_str!("../sample-data/demo-2026-budsjett.csv");
const KPR_COORDINATOR: &str = include_str!("../sample-data/kpr-koordinator-nasjonalt.csv");
const KPR_PLAN: &str = include_str!("../sample-data/kpr-individuell-plan-nasjonalt.csv");
const KPR_NEED: &str = include_str!("../sample-data/kpr-2021-etter-bistandsbehov.csv");
const SYNTHETIC_TRONDELAG: &str = include_str!("../sample-data/demo-trondelag-statistikk.csv");

/// What `load` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SampleOutcome {
    Loaded {
        rounds: usize,
        applications: usize,
        observations: usize,
    },
    /// The database already had data; nothing was touched.
    SkippedNotEmpty,
}

fn read_rows<T: for<'de> Deserialize<'de>>(name: &str, text: &str) -> anyhow::Result<Vec<T>> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    reader
        .deserialize()
        .enumerate()
        .map(|(i, row)| row.with_context(|| format!("{name}, rad {}", i + 1)))
        .collect()
}

#[derive(Deserialize, schemars::JsonSchema)]
struct DivisionCsv {
    kommunenummer: String,
    navn: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
struct ChangeCsv {
    gammelt_nummer: String,
    gammelt_navn: String,
    nytt_nummer: String,
    nytt_navn: String,
    gjelder_fra: NaiveDate,
}

#[derive(Deserialize, schemars::JsonSchema)]
struct OrganisationCsv {
    organisasjon: String,
    #[serde(rename = "type")]
    kind: String,
    inndeling: i32,
    kommunenummer: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
struct AllocationCsv {
    soker: String,
    tildelt_2019: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
struct DemoApplicationCsv {
    kommunenummer: String,
    soker: String,
    prosjekt: String,
    kontaktperson: String,
    epost: String,
    beskrivelse: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
struct DemoBudgetCsv {
    kommunenummer: String,
    kategori: String,
    beskrivelse: String,
    kostnad: i64,
    egenandel: i64,
    omsokt: i64,
}

fn knr(text: &str) -> anyhow::Result<Kommunenummer> {
    Kommunenummer::parse(text).map_err(|e| anyhow!("{e}"))
}

/// The municipalities of each division year, as in the files.
type Divisions = Vec<(i32, Vec<Municipality>)>;

/// Parses the register files: the divisions and the code changes between them.
pub fn register() -> anyhow::Result<(Divisions, Vec<CodeChange>)> {
    let mut divisions = Vec::new();
    for (year, text) in DIVISIONS {
        let rows: Vec<DivisionCsv> = read_rows(&format!("kommuner-{year}.csv"), text)?;
        let municipalities = rows
            .into_iter()
            .map(|r| {
                Ok(Municipality {
                    number: knr(&r.kommunenummer)?,
                    name: r.navn,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        divisions.push((year, municipalities));
    }
    let changes: Vec<ChangeCsv> = read_rows("kommuneendringer-2017-2024.csv", CHANGES)?;
    let changes = changes
        .into_iter()
        .map(|c| {
            Ok(CodeChange {
                old_number: knr(&c.gammelt_nummer)?,
                old_name: c.gammelt_navn,
                new_number: knr(&c.nytt_nummer)?,
                new_name: c.nytt_navn,
                effective: c.gjelder_fra,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok((divisions, changes))
}

/// Loads everything into an empty database; does nothing to one that has data.
pub async fn load(store: &Store) -> anyhow::Result<SampleOutcome> {
    if !store.is_empty().await? {
        return Ok(SampleOutcome::SkippedNotEmpty);
    }
    let (divisions, changes) = register()?;
    let register = Register::new(
        divisions
            .iter()
            .flat_map(|(y, ms)| ms.iter().map(move |m| (*y, m.clone()))),
        changes.clone(),
    );

    let mut tx = store.begin().await?;
    for (year, municipalities) in &divisions {
        crate::store::insert_division(&mut tx, *year, municipalities).await?;
    }
    crate::store::insert_changes(&mut tx, &changes).await?;
    load_organisations(&mut tx, &register).await?;
    let historical = load_2019_round(&mut tx, &register).await?;
    let demo = load_demo_round(&mut tx, &register).await?;
    let national = load_statistics(&mut tx).await?;
    let synthetic = load_synthetic_statistics(&mut tx, &register).await?;
    let observations = national + synthetic;
    load_demo_users(&mut tx, &register).await?;
    tx.audit(NewAuditEvent::new(
        &actor(),
        "sample.loaded",
        format!(
            "Lastet eksempeldata: kommuneregisteret, runden Trøndelag 2019 ({historical} søknader), demorunden Trøndelag 2026 ({demo} søknader), {national} observasjoner fra KPR og {synthetic} syntetiske demotall for kommunene i Trøndelag"
        ),
    ))
    .await?;
    tx.commit().await?;
    Ok(SampleOutcome::Loaded {
        rounds: 2,
        applications: historical + demo,
        observations,
    })
}

async fn load_organisations(tx: &mut Tx, register: &Register) -> anyhow::Result<()> {
    let rows: Vec<OrganisationCsv> = read_rows("organisasjoner.csv", ORGANISATIONS)?;
    let mut grouped: BTreeMap<(String, String, i32), Vec<Municipality>> = BTreeMap::new();
    for row in rows {
        let number = knr(&row.kommunenummer)?;
        let member = register.lookup(&number, row.inndeling).ok_or_else(|| {
            anyhow!(
                "organisasjoner.csv: {number} finnes ikke i {}",
                row.inndeling
            )
        })?;
        grouped
            .entry((row.organisasjon, row.kind, row.inndeling))
            .or_default()
            .push(member);
    }
    for ((name, kind, year), members) in grouped {
        crate::store::insert_collaboration(tx, &name, &kind, None, &members, year, &actor())
            .await?;
    }
    Ok(())
}

async fn load_2019_round(tx: &mut Tx, register: &Register) -> anyhow::Result<usize> {
    let rows: Vec<AllocationCsv> = read_rows("tildeling-2019-trondelag.csv", ALLOCATION_2019)?;
    let amounts = rows
        .iter()
        .map(|r| Kroner::parse(&r.tildelt_2019).map_err(|e| anyhow!("{}: {e}", r.soker)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let pool: Kroner = amounts.iter().copied().sum();
    let round = RoundFields {
        name: "Trøndelag 2019".into(),
        scheme: DEFAULT_SCHEME.into(),
        year: 2019,
        region: Some("Trøndelag".into()),
        pool,
        deadline: None,
        rounding_unit: Kroner::from_whole(1),
        description: Some(
            "Historisk runde: tildelingen til kommunene i Trøndelag i 2019 slik Helsedirektoratet publiserte den 26.06.2019. Kilden oppgir bare tildelt beløp, ikke omsøkt beløp.".into(),
        ),
    };
    let origin = RoundOrigin {
        phase: RoundPhase::Decided,
        historical: true,
        demo: false,
    };
    let round_id = crate::store::insert_round(tx, &round, origin, &actor()).await?;
    // Decided outside this tool, and published: the decision stays as it was.
    crate::store::rounds::write_decision_source(tx, round_id, HISTORICAL_2019_SOURCE).await?;
    for (row, amount) in rows.iter().zip(amounts) {
        let fields = ApplicationFields {
            applicant: row.soker.clone(),
            project_title: None,
            description: None,
            contact_person: None,
            email: None,
            requested: Kroner::ZERO,
            budget_lines: Vec::new(),
        };
        let how = NewApplication {
            status: ApplicationStatus::Granted,
            requested_known: false,
            allocated: Some(amount),
            proposed: None,
            demo: false,
        };
        let applicant = resolve_applicant(tx, register, &fields.applicant, 2019, &actor())
            .await
            .map_err(|e| anyhow::anyhow!("tildeling 2019: {}: {}", row.soker, e.message()))?;
        crate::store::insert_application(tx, round_id, &applicant, &fields, how, &actor())
            .await
            .with_context(|| format!("tildeling 2019: {}", row.soker))?;
    }
    Ok(rows.len())
}

/// Where the 2019 allocation was published.
pub const HISTORICAL_2019_SOURCE: &str =
    "Helsedirektoratet: tildeling til kommunene i Trøndelag, publisert 26.06.2019";

/// The demo round's deadline, in days after the demo data is loaded.
pub const DEMO_DEADLINE_DAYS: u64 = 30;

async fn load_demo_round(tx: &mut Tx, register: &Register) -> anyhow::Result<usize> {
    let applications: Vec<DemoApplicationCsv> =
        read_rows("demo-2026-soknader.csv", DEMO_APPLICATIONS)?;
    let budget: Vec<DemoBudgetCsv> = read_rows("demo-2026-budsjett.csv", DEMO_BUDGET)?;
    let round = RoundFields {
        name: "Trøndelag 2026 (demo)".into(),
        scheme: DEFAULT_SCHEME.into(),
        year: 2026,
        region: Some("Trøndelag".into()),
        pool: Kroner::from_whole(15_000_000),
        // Relative to the day the demo is loaded, so `serve --demo` always shows a round
        // that municipalities can apply to.
        deadline: Some(crate::clock::today_oslo() + chrono::Days::new(DEMO_DEADLINE_DAYS)),
        rounding_unit: Kroner::from_whole(1000),
        description: Some(
            "Demonstrasjonsrunde med oppdiktede søknader og budsjetter. Tallene er ikke reelle."
                .into(),
        ),
    };
    let origin = RoundOrigin {
        phase: RoundPhase::Open,
        historical: false,
        demo: true,
    };
    let round_id = crate::store::insert_round(tx, &round, origin, &actor()).await?;
    for app in &applications {
        let lines: Vec<BudgetLine> = budget
            .iter()
            .filter(|b| b.kommunenummer == app.kommunenummer)
            .map(|b| {
                if b.kostnad != b.egenandel + b.omsokt {
                    bail!(
                        "demo-2026-budsjett.csv: kostnad ≠ egenandel + omsøkt for {}",
                        b.kommunenummer
                    );
                }
                Ok(BudgetLine {
                    category: b.kategori.clone(),
                    description: b.beskrivelse.clone(),
                    applied: Kroner::from_whole(b.omsokt),
                    own_contribution: Kroner::from_whole(b.egenandel),
                })
            })
            .collect::<anyhow::Result<_>>()?;
        if lines.is_empty() {
            bail!(
                "demo-2026-budsjett.csv: ingen budsjettposter for {}",
                app.soker
            );
        }
        let fields = ApplicationFields {
            applicant: app.kommunenummer.clone(),
            project_title: Some(app.prosjekt.clone()),
            description: Some(app.beskrivelse.clone()),
            contact_person: Some(app.kontaktperson.clone()),
            email: Some(app.epost.clone()),
            requested: lines.iter().map(|l| l.applied).sum(),
            budget_lines: lines,
        };
        let how = NewApplication {
            demo: true,
            ..NewApplication::REGISTERED
        };
        let applicant = resolve_applicant(tx, register, &fields.applicant, round.year, &actor())
            .await
            .map_err(|e| anyhow::anyhow!("demorunden: {}: {}", app.soker, e.message()))?;
        crate::store::insert_application(tx, round_id, &applicant, &fields, how, &actor())
            .await
            .with_context(|| format!("demorunden: {}", app.soker))?;
    }
    Ok(applications.len())
}

/// One user per role, all with the password `demo`; only ever loaded with the sample data.
async fn load_demo_users(tx: &mut Tx, register: &Register) -> anyhow::Result<()> {
    use crate::domain::user::{Role, UserFields};
    // One hash for all: same password, and it keeps `--demo` quick to start.
    let hash = crate::security::hash_password("demo")?;
    let trondheim = crate::store::ensure_municipality_organisation(
        tx,
        &register
            .lookup(&knr("5001")?, 2019)
            .ok_or_else(|| anyhow!("5001 mangler i registeret"))?,
        &actor(),
    )
    .await?
    .organisation_id;
    let (fosen,): (i64,) = tx
        .fetch_one(
            crate::store::sql("SELECT id FROM organisations WHERE name = $1").bind("Fosen helse"),
        )
        .await?;
    let users: [(&str, &str, &[Role], Option<i64>); 6] = [
        ("admin", "Ada Administrator", &[Role::Admin], None),
        (
            "saksbehandler",
            "Siri Saksbehandler",
            &[Role::Saksbehandler],
            None,
        ),
        (
            "godkjenner",
            "Geir Godkjenner",
            &[Role::Saksbehandler, Role::Godkjenner],
            None,
        ),
        ("leser", "Lars Leser", &[Role::Lesetilgang], None),
        (
            "trondheim",
            "Tone i Trondheim kommune",
            &[Role::Kommune],
            Some(trondheim),
        ),
        (
            "fosenhelse",
            "Frode i Fosen helse",
            &[Role::Kommune],
            Some(fosen),
        ),
    ];
    for (username, name, roles, organisation) in users {
        let fields = UserFields {
            username: username.into(),
            display_name: name.into(),
            email: None,
            roles: roles.to_vec(),
            organisation: None,
            national_id_hash: None,
        };
        crate::store::insert_user(tx, &fields, organisation, &hash, false, &actor()).await?;
    }
    Ok(())
}

fn observation(indicator: &'static str, year: i32, value: &str) -> NewObservation {
    NewObservation {
        indicator,
        region: "0000".into(),
        year,
        need_level: None,
        age_group: None,
        value: Some(exact(value)),
        symbol: None,
        synthetic: false,
    }
}

/// Normalises a decimal from the files (`13.0` stays `13.0`; `12,6` becomes `12.6`).
fn exact(text: &str) -> String {
    let text = text.trim().replace(',', ".");
    text.parse::<Decimal>()
        .map(|d| d.to_string())
        .unwrap_or(text)
}

async fn load_statistics(tx: &mut Tx) -> anyhow::Result<usize> {
    use crate::store::{insert_observation, upsert_indicator};
    let source = "KPR (Kommunalt pasient- og brukerregister), tidligere IPLOS; nasjonale tabeller";
    upsert_indicator(
        tx,
        stats::RECIPIENTS,
        "Mottakere av helsetjenester i hjemmet og/eller praktisk bistand",
        "antall",
        source,
    )
    .await?;
    upsert_indicator(
        tx,
        stats::COORDINATOR,
        "Andel mottakere med koordinator",
        "prosent",
        source,
    )
    .await?;
    upsert_indicator(
        tx,
        stats::PLAN,
        "Andel mottakere med virksom individuell plan",
        "prosent",
        source,
    )
    .await?;

    #[derive(Deserialize, schemars::JsonSchema)]
    struct Coordinator {
        aar: i32,
        mottakere: String,
        andel_med_koordinator_prosent: String,
    }
    #[derive(Deserialize, schemars::JsonSchema)]
    struct Plan {
        aar: i32,
        mottakere: String,
        andel_med_individuell_plan_prosent: String,
    }
    #[derive(Deserialize, schemars::JsonSchema)]
    struct Need {
        bistandsbehov: String,
        mottakere: String,
        koordinator_prosent: String,
        koordinator_under_67_prosent: String,
        koordinator_over_67_prosent: String,
        ip_prosent: String,
        ip_under_67_prosent: String,
        ip_over_67_prosent: String,
    }

    let mut observations = Vec::new();
    let mut recipients: BTreeMap<i32, String> = BTreeMap::new();
    for row in read_rows::<Coordinator>("kpr-koordinator-nasjonalt.csv", KPR_COORDINATOR)? {
        recipients.insert(row.aar, row.mottakere);
        observations.push(observation(
            stats::COORDINATOR,
            row.aar,
            &row.andel_med_koordinator_prosent,
        ));
    }
    for row in read_rows::<Plan>("kpr-individuell-plan-nasjonalt.csv", KPR_PLAN)? {
        recipients.insert(row.aar, row.mottakere);
        observations.push(observation(
            stats::PLAN,
            row.aar,
            &row.andel_med_individuell_plan_prosent,
        ));
    }
    for (year, count) in &recipients {
        observations.push(observation(stats::RECIPIENTS, *year, count));
    }
    for row in read_rows::<Need>("kpr-2021-etter-bistandsbehov.csv", KPR_NEED)? {
        let need = Some(row.bistandsbehov.clone());
        let with = |indicator, age: Option<&str>, value: &str| NewObservation {
            need_level: need.clone(),
            age_group: age.map(str::to_string),
            ..observation(indicator, 2021, value)
        };
        observations.push(with(stats::RECIPIENTS, None, &row.mottakere));
        observations.push(with(stats::COORDINATOR, None, &row.koordinator_prosent));
        observations.push(with(
            stats::COORDINATOR,
            Some("under 67 år"),
            &row.koordinator_under_67_prosent,
        ));
        observations.push(with(
            stats::COORDINATOR,
            Some("67 år og over"),
            &row.koordinator_over_67_prosent,
        ));
        observations.push(with(stats::PLAN, None, &row.ip_prosent));
        observations.push(with(
            stats::PLAN,
            Some("under 67 år"),
            &row.ip_under_67_prosent,
        ));
        observations.push(with(
            stats::PLAN,
            Some("67 år og over"),
            &row.ip_over_67_prosent,
        ));
    }
    for o in &observations {
        insert_observation(tx, o).await?;
    }
    Ok(observations.len())
}

/// The columns of `demo-trondelag-statistikk.csv`, in order.
const SYNTHETIC_COLUMNS: [&str; 7] = [
    "kommunenummer",
    "navn",
    "aar",
    "innbyggere",
    "mottakere",
    "andel_koordinator_prosent",
    "andel_individuell_plan_prosent",
];

#[derive(Deserialize, schemars::JsonSchema)]
struct SyntheticCsv {
    kommunenummer: String,
    navn: String,
    aar: i32,
    innbyggere: String,
    mottakere: String,
    andel_koordinator_prosent: String,
    andel_individuell_plan_prosent: String,
}

/// The header row (after the `#` comments) must be exactly `columns`.
fn check_header(name: &str, text: &str, columns: &[&str]) -> anyhow::Result<()> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .with_context(|| format!("{name}: kan ikke lese overskriftsraden"))?;
    let found: Vec<&str> = header.iter().collect();
    if found != columns {
        bail!(
            "{name}: overskriftsraden er «{}», ventet «{}»",
            found.join(";"),
            columns.join(";")
        );
    }
    Ok(())
}

/// A whole number of people, `0` or more.
fn count(text: &str) -> Result<u32, String> {
    text.parse::<u32>()
        .map_err(|_| format!("«{text}» er ikke et helt antall"))
}

/// A share in percent, 0–100 with at most one decimal (`12.6`).
fn percent(text: &str) -> Result<String, String> {
    let d = text
        .parse::<Decimal>()
        .map_err(|_| format!("«{text}» er ikke et tall (bruk desimalpunktum)"))?;
    if d.scale() > 1 || d.is_sign_negative() || d > Decimal::ONE_HUNDRED {
        return Err(format!(
            "«{text}» er ikke en andel mellom 0 og 100 med høyst én desimal"
        ));
    }
    Ok(d.to_string())
}

/// Reads `text` (as `demo-trondelag-statistikk.csv`) into observations, every one
/// marked `synthetic`; names file, row and problem when something is wrong.
pub fn synthetic_observations(
    file: &str,
    text: &str,
    register: &Register,
) -> anyhow::Result<Vec<NewObservation>> {
    check_header(file, text, &SYNTHETIC_COLUMNS)?;
    let rows: Vec<SyntheticCsv> = read_rows(file, text)?;
    if rows.is_empty() {
        bail!("{file}: ingen rader");
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut observations = Vec::with_capacity(rows.len() * 4);
    for (i, row) in rows.iter().enumerate() {
        let at = |message: String| anyhow!("{file}, rad {} ({}): {message}", i + 1, row.navn);
        let number = knr(&row.kommunenummer).map_err(|e| at(e.to_string()))?;
        if !(2000..=2100).contains(&row.aar) {
            return Err(at(format!("året {} er urimelig", row.aar)));
        }
        if register.name_of(&number, row.aar).is_none() {
            return Err(at(format!("{number} finnes ikke i kommuneregisteret")));
        }
        if !seen.insert((number.clone(), row.aar)) {
            return Err(at(format!("{number} {} står to ganger", row.aar)));
        }
        let inhabitants = count(&row.innbyggere).map_err(at)?;
        let recipients = count(&row.mottakere).map_err(at)?;
        if recipients > inhabitants {
            return Err(at("flere mottakere enn innbyggere".into()));
        }
        let coordinator = percent(&row.andel_koordinator_prosent).map_err(at)?;
        let plan = percent(&row.andel_individuell_plan_prosent).map_err(at)?;
        for (indicator, value) in [
            (stats::INHABITANTS, inhabitants.to_string()),
            (stats::RECIPIENTS, recipients.to_string()),
            (stats::COORDINATOR, coordinator),
            (stats::PLAN, plan),
        ] {
            observations.push(NewObservation {
                indicator,
                region: number.as_str().to_string(),
                year: row.aar,
                need_level: None,
                age_group: None,
                value: Some(value),
                symbol: None,
                synthetic: true,
            });
        }
    }
    Ok(observations)
}

/// The synthetic per-municipality figures for Trøndelag (`demo-trondelag-statistikk.csv`).
/// A malformed file stops the whole load.
async fn load_synthetic_statistics(tx: &mut Tx, register: &Register) -> anyhow::Result<usize> {
    use crate::store::{insert_observation, upsert_indicator};
    let observations = synthetic_observations(
        "demo-trondelag-statistikk.csv",
        SYNTHETIC_TRONDELAG,
        register,
    )?;
    upsert_indicator(
        tx,
        stats::INHABITANTS,
        "Innbyggere",
        "antall",
        "Syntetiske demotall (sample-data/make_synthetic_statistics.py); KPR gir bare nasjonale tall",
    )
    .await?;
    for o in &observations {
        insert_observation(tx, o).await?;
    }
    Ok(observations.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn register_from_files() -> Register {
        let (divisions, changes) = register().unwrap();
        Register::new(
            divisions
                .iter()
                .flat_map(|(y, ms)| ms.iter().map(move |m| (*y, m.clone()))),
            changes,
        )
    }

    const HEADER: &str = "kommunenummer;navn;aar;innbyggere;mottakere;andel_koordinator_prosent;andel_individuell_plan_prosent\n";

    fn parse(text: &str) -> anyhow::Result<Vec<NewObservation>> {
        synthetic_observations("test.csv", text, &register_from_files())
    }

    #[test]
    fn the_synthetic_file_covers_every_trondelag_division_and_is_all_synthetic() {
        let observations = parse(SYNTHETIC_TRONDELAG).unwrap();
        assert!(observations.iter().all(|o| o.synthetic));
        let count = |year: i32| {
            observations
                .iter()
                .filter(|o| o.year == year && o.indicator == stats::INHABITANTS)
                .count()
        };
        assert_eq!(
            (2016..=2024).map(count).collect::<Vec<_>>(),
            [48, 48, 47, 48, 38, 38, 38, 38, 38]
        );
        let value = |region: &str, year: i32, indicator: &str| {
            observations
                .iter()
                .find(|o| o.region == region && o.year == year && o.indicator == indicator)
                .and_then(|o| o.value.clone())
        };
        // Snillfjord until 2019, then shared between Orkland, Hitra and Heim.
        assert!(value("5012", 2019, stats::INHABITANTS).is_some());
        assert!(value("5012", 2020, stats::INHABITANTS).is_none());
        // Trondheim with Klæbu from 2020 is about the sum of the two.
        let n = |r, y| -> i64 { value(r, y, stats::INHABITANTS).unwrap().parse().unwrap() };
        let sum_2019 = n("5001", 2019) + n("5030", 2019);
        assert!((n("5001", 2020) - sum_2019).abs() * 50 < sum_2019);
        let share = value("5001", 2023, stats::COORDINATOR).unwrap();
        assert!(share.parse::<Decimal>().unwrap() > Decimal::from(5));
    }

    #[test]
    fn a_malformed_file_is_refused_with_file_row_and_reason() {
        let wrong_header = "kommunenummer;navn;aar;innbyggere;mottakere\n5001;Trondheim;2023;1;1\n";
        let e = parse(wrong_header).unwrap_err().to_string();
        assert!(e.contains("test.csv: overskriftsraden"), "{e}");

        for (row, expected) in [
            (
                "5001;Trondheim;2023;200000;9000;12.55;5.0",
                "høyst én desimal",
            ),
            ("5001;Trondheim;2023;200000;9000;12,5;5.0", "desimalpunktum"),
            ("5001;Trondheim;2023;200000;9000;101;5.0", "mellom 0 og 100"),
            (
                "5001;Trondheim;2023;2000x0;9000;12.5;5.0",
                "ikke et helt antall",
            ),
            ("5001;Trondheim;2023;100;9000;12.5;5.0", "flere mottakere"),
            (
                "9876;Ukjent;2023;100;9;12.5;5.0",
                "finnes ikke i kommuneregisteret",
            ),
            ("50x1;Trondheim;2023;100;9;12.5;5.0", "rad 1"),
            ("5001;Trondheim;20x3;100;9;12.5;5.0", "rad 1"),
        ] {
            let e = parse(&format!("{HEADER}{row}\n")).unwrap_err();
            let e = format!("{e:#}");
            assert!(e.contains(expected), "{row}: {e}");
        }
        let twice = format!(
            "{HEADER}5001;Trondheim;2023;100;9;12.5;5.0\n5001;Trondheim;2023;100;9;12.5;5.0\n"
        );
        let e = parse(&twice).unwrap_err().to_string();
        assert!(e.contains("rad 2") && e.contains("to ganger"), "{e}");
        assert!(
            parse(HEADER)
                .unwrap_err()
                .to_string()
                .contains("ingen rader")
        );
    }
}
