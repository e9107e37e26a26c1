//! Uploads, shared by the pages, the API and the command line: a file becomes a
//! preview (kept with the original, also when rejected), and a preview without errors
//! becomes an application or a set of allocated amounts when confirmed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::organisations::resolve_applicant;
use crate::domain::Kroner;
use crate::domain::Refusal;
use crate::domain::application::{ApplicationFields, check_no_other_application};
use crate::domain::application::{ApplicationInput, ApplicationStatus, BudgetLine};
use crate::domain::audit::Actor;
use crate::domain::audit::NewAuditEvent;
use crate::domain::kommune::{Kommunenummer, Register, name_matches};
use crate::domain::org_number::OrgNumber;
use crate::domain::round::Round;
use crate::domain::round::RoundPhase;
use crate::domain::statistics as stats;
use crate::domain::user::Principal;
use crate::domain::visibility::may_confirm_upload;
use crate::error::{AppError, AppResult};
use crate::sheets::detect::{Format, Limits, detect, detect_statistics};
use crate::sheets::isolate::Isolation;
use crate::sheets::{Problem, Severity, Workbook, allocations, application, read};
use crate::store::applications::{
    AmountKind, insert_application, organisation_application_in, write_amount, write_content,
};
use crate::store::uploads::{
    content_snapshot, fields_snapshot, insert_version, mark_confirmed, write_upload_application,
};
use crate::store::{self, ImportCounts, NewApplication, NewObservation, Store, Upload};

use super::lock_round;

mod identify;
pub use identify::{ApplicantOption, ApplicantQuestion};
use identify::{Identifier, Naming};

/// Upload limits and the isolated reader.
#[derive(Debug, Clone)]
pub struct UploadSettings {
    pub limits: Limits,
    pub isolation: Isolation,
}

impl Default for UploadSettings {
    fn default() -> Self {
        UploadSettings {
            limits: Limits::default(),
            isolation: Isolation::current_exe(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UploadKind {
    Application,
    Allocations,
    /// Statistics from SSB/KPR; belongs to no round.
    Statistics,
}

impl UploadKind {
    pub fn parse(s: &str) -> Result<UploadKind, AppError> {
        match s.trim() {
            "" | "application" => Ok(UploadKind::Application),
            "allocations" => Ok(UploadKind::Allocations),
            "statistics" => Ok(UploadKind::Statistics),
            other => Err(AppError::invalid(
                "kind",
                format!(
                    "«{other}» er ikke en type opplasting (application, allocations eller statistics)."
                ),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UploadKind::Application => "application",
            UploadKind::Allocations => "allocations",
            UploadKind::Statistics => "statistics",
        }
    }
}

/// A problem as the API and the preview page show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProblemOut {
    pub sheet: Option<String>,
    pub cell: Option<String>,
    pub message: String,
}

/// The application an upload would store.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ApplicationPreview {
    /// The applicant as it will be stored (`org:ID` or a kommunenummer).
    pub applicant_ref: Option<String>,
    pub applicant_name: Option<String>,
    pub kommunenummer: Option<String>,
    pub input: ApplicationInput,
    pub requested: Option<Kroner>,
    pub budget_lines: Vec<BudgetLine>,
    /// When the applicant already has an application in the round: it gets a new version.
    pub replaces_application: Option<i64>,
    /// The version of that application the preview was made from; confirming is refused
    /// when the application has changed since.
    #[serde(default)]
    pub base_version: Option<i64>,
    /// The organisation number the workbook gives (checked), registered for the
    /// applicant on confirm when it has none.
    #[serde(default)]
    pub org_number: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AllocationPreviewRow {
    pub sheet: String,
    pub cell: String,
    pub applicant: String,
    pub applicant_ref: Option<String>,
    pub resolved_name: Option<String>,
    pub kommunenummer: Option<String>,
    pub amount: Kroner,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AllocationsPreview {
    pub rows: Vec<AllocationPreviewRow>,
    pub total: Kroner,
    pub pool: Kroner,
    /// The round's proposed total after the import (granted total, for a published
    /// historical decision).
    pub allocated_after: Kroner,
    /// Imported as a decision already made and published elsewhere: where. `None`: the
    /// amounts are proposals for this round's decision.
    #[serde(default)]
    pub historical_source: Option<String>,
}

/// One observation a statistics upload would store, and what it does to the stored one.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StatisticsRow {
    /// `CSV!C7`.
    pub cell: String,
    pub indicator: String,
    pub region: String,
    pub region_name: Option<String>,
    pub year: i32,
    pub need_level: Option<String>,
    pub age_group: Option<String>,
    /// The exact decimal (`"12.6"`), or `None` with `symbol`.
    pub value: Option<String>,
    pub symbol: Option<String>,
    /// As the pages show it: `12,6 %`, `9 512`, `..`.
    pub display: String,
    /// `new`, `changed` or `unchanged`.
    pub change: String,
    /// The stored value it replaces, as shown (for `changed`).
    pub old: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StatisticsPreview {
    pub layout: Option<String>,
    /// The indicators in the file, by code.
    pub indicators: Vec<String>,
    pub observations: Vec<StatisticsRow>,
    pub counts: ImportCounts,
    /// Some of the changed observations, old → new, for the reader to check.
    pub changed_sample: Vec<StatisticsRow>,
    /// Variable texts in the file that name none of our indicators; the preview offers a
    /// choice for each.
    #[serde(default)]
    pub unknown_variables: Vec<String>,
    /// The indicators chosen on an earlier preview of the same file, by variable text.
    #[serde(default)]
    pub variable_choices: BTreeMap<String, String>,
}

/// How many changed observations the preview lists.
const CHANGED_SAMPLE: usize = 20;

/// What an upload would store, and what is wrong with it.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Preview {
    pub kind: UploadKind,
    pub format: Option<String>,
    pub errors: Vec<ProblemOut>,
    pub warnings: Vec<ProblemOut>,
    pub application: Option<ApplicationPreview>,
    pub allocations: Option<AllocationsPreview>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistics: Option<StatisticsPreview>,
    /// Where the file was fetched from (SSB's API), when it was not uploaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    /// Rows whose applicant the preview could not settle: each asks the user to choose.
    #[serde(default)]
    pub questions: Vec<ApplicantQuestion>,
    /// The applicants chosen on an earlier preview of the same file, by cell.
    #[serde(default)]
    pub applicant_choices: BTreeMap<String, String>,
}

impl Preview {
    /// The preview kept with an upload.
    fn stored(upload: &Upload) -> AppResult<Preview> {
        serde_json::from_str(&upload.result)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("stored preview: {e}")))
    }

    fn new(kind: UploadKind, format: Option<Format>) -> Self {
        Preview {
            kind,
            format: format.map(|f| f.as_str().to_string()),
            errors: Vec::new(),
            warnings: Vec::new(),
            application: None,
            allocations: None,
            statistics: None,
            source_url: None,
            questions: Vec::new(),
            applicant_choices: BTreeMap::new(),
        }
    }

    fn add(&mut self, problems: &[Problem]) {
        for p in problems {
            let out = ProblemOut {
                sheet: p.sheet.clone(),
                cell: p.cell.clone(),
                message: p.message.clone(),
            };
            let list = match p.severity {
                Severity::Error => &mut self.errors,
                Severity::Warning => &mut self.warnings,
            };
            // One message for one cell is enough, however many checks arrive at it.
            if !list.contains(&out) {
                list.push(out);
            }
        }
    }

    fn error(&mut self, message: impl Into<String>) {
        self.errors.push(ProblemOut {
            sheet: None,
            cell: None,
            message: message.into(),
        });
    }
}

/// The stored upload with its preview, as the API answers.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct UploadBody {
    pub id: i64,
    /// `None` for statistics uploads.
    pub round_id: Option<i64>,
    pub status: String,
    pub filename: String,
    pub size_bytes: i64,
    pub application_id: Option<i64>,
    pub uploaded_by: String,
    #[serde(flatten)]
    pub preview: Preview,
}

impl UploadBody {
    pub fn new(upload: &Upload) -> AppResult<Self> {
        let preview = Preview::stored(upload)?;
        Ok(UploadBody {
            id: upload.id,
            round_id: upload.round_id,
            status: upload.status.clone(),
            filename: upload.filename.clone(),
            size_bytes: upload.size_bytes,
            application_id: upload.application_id,
            uploaded_by: upload.uploaded_by_name.clone(),
            preview,
        })
    }

    /// The body as JSON, the preview (as just stored, `upload.result` not needed)
    /// spliced in rather than read and written again: megabytes for a large budget.
    /// Only for a preview this program has just written: what serialising
    /// [`UploadBody::new`] gives, byte for byte.
    pub fn fresh_json(upload: &Upload, stored_preview: &str) -> AppResult<Vec<u8>> {
        #[derive(Serialize, schemars::JsonSchema)]
        struct Head<'a> {
            id: i64,
            round_id: Option<i64>,
            status: &'a str,
            filename: &'a str,
            size_bytes: i64,
            application_id: Option<i64>,
            uploaded_by: &'a str,
        }
        let internal =
            |e: serde_json::Error| AppError::Internal(anyhow::anyhow!("upload json: {e}"));
        let Some(preview) = stored_preview
            .strip_prefix('{')
            .filter(|rest| rest.trim_start() != "}")
        else {
            let upload = Upload {
                result: stored_preview.to_string(),
                ..upload.clone()
            };
            return serde_json::to_vec(&UploadBody::new(&upload)?).map_err(internal);
        };
        let mut json = serde_json::to_vec(&Head {
            id: upload.id,
            round_id: upload.round_id,
            status: &upload.status,
            filename: &upload.filename,
            size_bytes: upload.size_bytes,
            application_id: upload.application_id,
            uploaded_by: &upload.uploaded_by_name,
        })
        .map_err(internal)?;
        json.pop();
        json.push(b',');
        json.extend_from_slice(preview.as_bytes());
        Ok(json)
    }
}

/// Reads a file into a workbook, in the isolated reader (CSV in-process).
async fn read_file(
    settings: &UploadSettings,
    bytes: &[u8],
    allow_csv: bool,
    preview: &mut Preview,
) -> Option<Workbook> {
    let format = match detect(bytes, &settings.limits, allow_csv) {
        Ok(f) => f,
        Err(message) => {
            preview.error(message);
            return None;
        }
    };
    preview.format = Some(format.as_str().to_string());
    let result = match format {
        Format::Csv => counted(format, read::read_csv(bytes)),
        other => settings.isolation.read(bytes, other).await,
    };
    match result {
        Ok(workbook) => Some(workbook),
        Err(message) => {
            preview.error(message);
            None
        }
    }
}

/// Counts a file read in this process (the workbook reader counts its own).
fn counted<T>(format: Format, result: Result<T, String>) -> Result<T, String> {
    let outcome = match result {
        Ok(_) => crate::metrics::ReadOutcome::Read,
        Err(_) => crate::metrics::ReadOutcome::Refused,
    };
    crate::metrics::upload_read(format.as_str(), outcome);
    result
}

/// Reads a statistics file: JSON-stat and PX into the long table, with each row's place
/// in the file for messages; CSV and workbooks as [`read_file`] does.
async fn read_statistics_file(
    settings: &UploadSettings,
    bytes: &[u8],
    known: Option<Format>,
    preview: &mut Preview,
) -> Option<(Workbook, Option<std::collections::BTreeMap<u32, String>>)> {
    let detected = match known {
        Some(format) => Ok(format),
        None => detect_statistics(bytes, &settings.limits),
    };
    let format = match detected {
        Ok(f) => f,
        Err(message) => {
            preview.error(message);
            return None;
        }
    };
    preview.format = Some(format.as_str().to_string());
    let result = match format {
        Format::JsonStat | Format::Px => {
            let (cube, sheet) = if format == Format::JsonStat {
                (crate::sheets::jsonstat::read(bytes), "JSON-stat")
            } else {
                (crate::sheets::px::read(bytes), "PX")
            };
            let read = cube.and_then(|c| crate::sheets::cube::to_grid(&c, sheet));
            counted(format, read).map(|(grid, places)| {
                let workbook = Workbook {
                    format: format.as_str().to_string(),
                    sheets: vec![grid],
                };
                (workbook, Some(places))
            })
        }
        Format::Csv => counted(format, read::read_csv(bytes)).map(|w| (w, None)),
        other => settings
            .isolation
            .read(bytes, other)
            .await
            .map(|w| (w, None)),
    };
    match result {
        Ok(read) => Some(read),
        Err(message) => {
            preview.error(message);
            None
        }
    }
}

/// A file sent to a round: what it is, as the user named it.
#[derive(Debug, Clone, Copy)]
pub struct RoundFile<'a> {
    pub kind: UploadKind,
    pub filename: &'a str,
    pub bytes: &'a [u8],
    /// For an allocation table of a decision made and published elsewhere: where.
    pub historical_source: Option<&'a str>,
}

/// Receives a file: reads it, builds the preview, keeps the original. Returns the
/// upload's id; the preview says whether it can be confirmed.
pub async fn receive(
    store: &Store,
    settings: &UploadSettings,
    user: &Principal,
    actor: &Actor,
    round: &Round,
    file: &RoundFile<'_>,
) -> AppResult<i64> {
    receive_upload(store, settings, user, actor, round, file)
        .await
        .map(|r| r.id)
}

/// A file received: the upload's id, and whether it could be read (an application or
/// allocations to preview).
#[derive(Debug, Clone)]
pub struct Received {
    pub id: i64,
    pub readable: bool,
    /// The preview as stored.
    pub preview_json: String,
}

/// [`receive`], also saying whether the file could be read.
pub async fn receive_upload(
    store: &Store,
    settings: &UploadSettings,
    user: &Principal,
    actor: &Actor,
    round: &Round,
    file: &RoundFile<'_>,
) -> AppResult<Received> {
    receive_choosing(store, settings, user, actor, round, file, &BTreeMap::new()).await
}

/// [`receive_upload`] with the applicants chosen for rows an earlier preview of the file
/// asked about (cell → kommunenummer or `org:ID`).
async fn receive_choosing(
    store: &Store,
    settings: &UploadSettings,
    user: &Principal,
    actor: &Actor,
    round: &Round,
    file: &RoundFile<'_>,
    choices: &BTreeMap<String, String>,
) -> AppResult<Received> {
    let RoundFile {
        kind,
        filename,
        bytes,
        historical_source,
    } = *file;
    if kind == UploadKind::Statistics {
        return Err(AppError::invalid(
            "kind",
            "Statistikk lastes opp fra statistikksiden, ikke til en runde.",
        ));
    }
    if kind == UploadKind::Allocations {
        user.check_saksbehandler("importere tildelinger")?;
    }
    let mut preview = Preview::new(kind, None);
    preview.applicant_choices = choices.clone();
    let workbook = read_file(
        settings,
        bytes,
        kind == UploadKind::Allocations,
        &mut preview,
    )
    .await;
    let register = store.register().await?;
    let identifier = Identifier {
        store,
        register: &register,
        year: round.year,
        county: round
            .region
            .as_deref()
            .and_then(|r| crate::domain::county::county_code(round.year, r)),
        choices,
    };
    let mut organisation_id = user.limited_to_organisation();
    let mut application_id = None;
    let mut base_version = None;
    if let Some(workbook) = workbook {
        match kind {
            UploadKind::Application => {
                let p =
                    application_preview(store, user, round, &identifier, &workbook, &mut preview)
                        .await?;
                if user.limited_to_organisation().is_none() {
                    organisation_id = p
                        .applicant_ref
                        .as_deref()
                        .and_then(|r| r.strip_prefix("org:"))
                        .and_then(|id| id.parse().ok());
                }
                application_id = p.replaces_application;
                base_version = p.base_version;
                preview.application = Some(p);
            }
            UploadKind::Allocations => {
                let source = historical_source
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string);
                let p =
                    allocations_preview(store, round, &identifier, &workbook, source, &mut preview)
                        .await?;
                preview.allocations = Some(p);
            }
            UploadKind::Statistics => {}
        }
    }
    let rejected = !preview.errors.is_empty();
    let readable = preview.application.is_some() || preview.allocations.is_some();
    let result = serde_json::to_string(&preview)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("preview json: {e}")))?;
    let name = clean_filename(filename);
    let id = store
        .create_upload(
            crate::store::NewUpload {
                round_id: Some(round.id),
                organisation_id,
                application_id,
                base_version,
                uploader_organisation_id: user.limited_to_organisation(),
                kind: kind.as_str(),
                filename: &name,
                format: preview.format.as_deref(),
                content: bytes,
                rejected,
                result: &result,
                source_url: None,
            },
            actor,
        )
        .await?;
    Ok(Received {
        id,
        readable,
        preview_json: result,
    })
}

/// Reads a round upload again with an applicant chosen for rows its preview asked about
/// (`choices`: the question's cell → kommunenummer or `org:ID`), added to those chosen
/// before. The original stays as it was; the new preview is a new upload of the same
/// file, and its id is answered.
pub async fn choose_applicants(
    store: &Store,
    settings: &UploadSettings,
    user: &Principal,
    actor: &Actor,
    upload_id: i64,
    choices: &BTreeMap<String, String>,
) -> AppResult<i64> {
    user.check_saksbehandler("velge søker for en opplasting")?;
    let upload = visible_upload(store, user, upload_id).await?;
    let kind = UploadKind::parse(&upload.kind)?;
    if kind == UploadKind::Statistics || upload.status == "confirmed" {
        return Err(AppError::Conflict(
            "Søker kan bare velges i en forhåndsvisning av en søknad eller en tildelingstabell som ikke er lagret.".into(),
        ));
    }
    let earlier = Preview::stored(&upload)?;
    let mut all = earlier.applicant_choices;
    for (cell, value) in choices {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        if !earlier.questions.iter().any(|q| &q.cell == cell) && !all.contains_key(cell) {
            return Err(AppError::invalid(
                &format!("choices[{cell}]"),
                format!("Forhåndsvisningen spør ikke om søker i {cell}."),
            ));
        }
        all.insert(cell.clone(), value.to_string());
    }
    if all.is_empty() {
        return Err(AppError::invalid("choices", "Velg en søker."));
    }
    let round_id = round_of(&upload)?;
    let round = store.round(round_id).await?;
    let bytes = store.upload_content(upload.id).await?;
    let historical_source = earlier.allocations.and_then(|a| a.historical_source);
    let file = RoundFile {
        kind,
        filename: &upload.filename,
        bytes: &bytes,
        historical_source: historical_source.as_deref(),
    };
    receive_choosing(store, settings, user, actor, &round, &file, &all)
        .await
        .map(|r| r.id)
}

/// A file name fit for a header and a page: no path, no control characters.
fn clean_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base
        .chars()
        .filter(|c| *c != '"' && !crate::domain::validation::is_forbidden(*c, true))
        .take(200)
        .collect();
    if cleaned.trim().is_empty() {
        "opplasting".into()
    } else {
        cleaned
    }
}

async fn application_preview(
    store: &Store,
    user: &Principal,
    round: &Round,
    identifier: &Identifier<'_>,
    workbook: &Workbook,
    preview: &mut Preview,
) -> AppResult<ApplicationPreview> {
    let mut parsed = application::parse(workbook);
    let mut applicant_ref = None;
    let mut applicant_name = None;
    let mut number = None;
    let applicant_cell = parsed.cells.get("applicant").cloned();
    match user.limited_to_organisation() {
        Some(org) => {
            let own = store.organisation_name(org).await?;
            applicant_ref = Some(format!("org:{org}"));
            applicant_name = Some(own.clone());
            number = parsed.kommunenummer.clone();
            if let Some(typed) = &parsed.applicant_name
                && !name_matches(&own, typed)
            {
                parsed.problems.push(Problem {
                    severity: Severity::Warning,
                    sheet: applicant_cell.as_ref().map(|c| c.0.clone()),
                    cell: applicant_cell.as_ref().map(|c| c.1.clone()),
                    message: format!("Skjemaet oppgir søker «{typed}», men du søker for {own}. Søknaden lagres for {own}."),
                });
            }
        }
        None => {
            let typed = parsed.applicant_name.clone().unwrap_or_default();
            let naming = Naming {
                typed: &typed,
                number: parsed.kommunenummer.as_ref(),
                name_cell: applicant_cell.clone(),
                number_cell: parsed.cells.get("kommunenummer").cloned(),
            };
            if let Some(found) = identifier
                .identify(&naming, &mut parsed.problems, &mut preview.questions)
                .await?
            {
                applicant_ref = Some(found.reference);
                applicant_name = Some(found.name);
                number = found.number;
            }
        }
    }
    // An applicant that already has an application in the round gets a new version of it.
    let organisation = match (&applicant_ref, &number) {
        (Some(r), _) if r.starts_with("org:") => r[4..].parse::<i64>().ok(),
        (_, Some(n)) => store
            .find_organisation(Some(n), "")
            .await?
            .map(|(id, _)| id),
        _ => None,
    };
    let org_number =
        check_org_number(store, &mut parsed, organisation, applicant_name.as_deref()).await?;
    check_made_for(&mut parsed, round);
    let mut replaces = None;
    let mut base_version = None;
    let by_applicant = user.limited_to_organisation().is_some();
    if let Some(org) = organisation {
        let existing = store
            .round_applications(round.id)
            .await?
            .into_iter()
            .find(|a| a.organisation_id == org && a.status != ApplicationStatus::Withdrawn);
        if let Some(existing) = existing {
            match existing.status.replace_by_upload(by_applicant) {
                Ok(_) => {
                    replaces = Some(existing.id);
                    base_version = Some(existing.version);
                    parsed.problems.push(Problem::warning_in(
                        None,
                        format!(
                            "{} har allerede en søknad i runden (versjon {}); den får en ny versjon.",
                            existing.applicant, existing.version
                        ),
                    ));
                }
                Err(refusal) => parsed.problems.push(Problem::error_in(
                    None,
                    format!("{}: {refusal}", existing.applicant),
                )),
            }
        }
    }
    if let Err(refusal) = super::applications::check_round_takes(round, by_applicant) {
        parsed
            .problems
            .push(Problem::error_in(None, refusal.to_string()));
    }
    // Taken, not copied: 10 000 lines are not cheap, and nothing reads them from `parsed` again.
    let mut input = std::mem::take(&mut parsed.input);
    input.applicant = applicant_ref.clone().unwrap_or_default();
    let (requested, budget_lines) = match input.validate() {
        Ok(fields) => (Some(fields.requested), fields.budget_lines),
        Err(errors) => {
            let relevant = crate::domain::validation::FieldErrors(
                errors
                    .0
                    .into_iter()
                    .filter(|e| e.field != "applicant")
                    .collect(),
            );
            parsed.add_field_errors(&relevant);
            (None, Vec::new())
        }
    };
    preview.add(&parsed.problems);
    Ok(ApplicationPreview {
        applicant_ref,
        applicant_name,
        kommunenummer: number.map(|n| n.to_string()),
        input,
        requested,
        budget_lines,
        replaces_application: replaces,
        base_version,
        org_number,
    })
}

/// The organisation number of the workbook: nine digits with a right MOD11 check digit,
/// and the one registered for the applicant when there is one.
async fn check_org_number(
    store: &Store,
    parsed: &mut application::ParsedApplication,
    organisation: Option<i64>,
    applicant: Option<&str>,
) -> AppResult<Option<String>> {
    let Some(text) = parsed.org_number.clone() else {
        return Ok(None);
    };
    let cell = parsed.cells.get("org_number").cloned();
    let at = |severity, message| Problem {
        severity,
        sheet: cell.as_ref().map(|c| c.0.clone()),
        cell: cell.as_ref().map(|c| c.1.clone()),
        message,
    };
    let number = match OrgNumber::parse(&text) {
        Ok(n) => n,
        Err(message) => {
            parsed.problems.push(at(Severity::Error, message));
            return Ok(None);
        }
    };
    if let Some(org) = organisation
        && let Some(registered) = store.organisation_org_number(org).await?
        && registered != number.as_str()
    {
        let shown = OrgNumber::parse(&registered)
            .map(|r| r.to_string())
            .unwrap_or(registered);
        parsed.problems.push(at(
            Severity::Warning,
            format!(
                "Organisasjonsnummeret {number} er ulikt det som er registrert for {} ({shown}); det registrerte beholdes.",
                applicant.unwrap_or("søkeren")
            ),
        ));
    }
    Ok(Some(number.as_str().to_string()))
}

/// A workbook downloaded for another round says so in its «Runde» cell (`… nr. 7`).
fn check_made_for(parsed: &mut application::ParsedApplication, round: &Round) {
    let Some((label, sheet, cell)) = parsed.round_label.clone() else {
        return;
    };
    let made_for = label
        .rsplit_once("nr.")
        .and_then(|(_, id)| id.trim().parse::<i64>().ok());
    if made_for.is_some_and(|id| id != round.id) {
        parsed.problems.push(Problem {
            severity: Severity::Warning,
            sheet: Some(sheet),
            cell: Some(cell),
            message: format!(
                "Arbeidsboken er laget for «{label}», men lastes opp til «{} ({}), nr. {}». Søknaden lagres i runden den lastes opp til.",
                round.name, round.year, round.id
            ),
        });
    }
}

async fn allocations_preview(
    store: &Store,
    round: &Round,
    identifier: &Identifier<'_>,
    workbook: &Workbook,
    historical_source: Option<String>,
    preview: &mut Preview,
) -> AppResult<AllocationsPreview> {
    let historical = historical_source.is_some();
    // The amount an import replaces: the grant (historical) or the proposal.
    let amount_of = |a: &crate::domain::application::ApplicationSummary| {
        if historical { a.allocated } else { a.proposed }
    };
    let parsed = allocations::parse(workbook);
    let mut problems = parsed.problems.clone();
    let existing = store.round_applications(round.id).await?;
    let mut rows = Vec::new();
    let mut replaced = Kroner::ZERO;
    let mut seen: Vec<String> = Vec::new();
    for row in &parsed.rows {
        let (row_no, _) = split_cell(&row.cell);
        let number_at = row
            .number_cell
            .as_deref()
            .map(split_cell)
            .unwrap_or((row_no, 0));
        let place = |(r, c): (u32, u32)| {
            Some((
                row.sheet.clone(),
                format!("{}{}", crate::sheets::column_name(c), r + 1),
            ))
        };
        let naming = Naming {
            typed: &row.applicant,
            number: row.kommunenummer.as_ref(),
            name_cell: Some((row.sheet.clone(), row.applicant_cell.clone())),
            number_cell: place(number_at),
        };
        let found = identifier
            .identify(&naming, &mut problems, &mut preview.questions)
            .await?
            .map(|f| (f.reference, f.name, f.number));
        // What is wrong with a row's applicant is named, and asked, by `identify`.
        if let Some((reference, name, _)) = &found {
            if seen.contains(reference) {
                problems.push(Problem::error_at(
                    &row.sheet,
                    row_no,
                    0,
                    format!("{name} står flere ganger i tabellen."),
                ));
            }
            seen.push(reference.clone());
            let org_id = match reference.strip_prefix("org:") {
                Some(id) => id.parse().ok(),
                None => store
                    .find_organisation(Kommunenummer::parse(reference).ok().as_ref(), "")
                    .await?
                    .map(|(id, _)| id),
            };
            if let Some(org) = org_id
                && let Some(app) = existing
                    .iter()
                    .find(|a| a.organisation_id == org && a.status.is_claim())
            {
                replaced = replaced + amount_of(app).unwrap_or_default();
                let allowed = if historical {
                    Ok(app.status)
                } else {
                    app.status.propose_amount()
                };
                if let Err(refusal) = allowed {
                    problems.push(Problem::error_at(
                        &row.sheet,
                        row_no,
                        0,
                        format!("{}: {refusal}", app.applicant),
                    ));
                }
            }
        }
        rows.push(AllocationPreviewRow {
            sheet: row.sheet.clone(),
            cell: row.cell.clone(),
            applicant: row.applicant.clone(),
            applicant_ref: found.as_ref().map(|f| f.0.clone()),
            resolved_name: found.as_ref().map(|f| f.1.clone()),
            kommunenummer: found
                .as_ref()
                .and_then(|f| f.2.as_ref().map(|k| k.to_string())),
            amount: row.amount,
        });
    }
    let current: Kroner = existing
        .iter()
        .filter(|a| a.status.is_claim())
        .filter_map(amount_of)
        .sum();
    let allocated_after = current - replaced + parsed.total;
    if allocated_after > round.pool {
        problems.push(Problem::error_in(
            None,
            format!(
                "Importen gir {allocated_after} {} i runden, mer enn rammen på {}.",
                if historical { "tildelt" } else { "foreslått" },
                round.pool
            ),
        ));
    }
    let phase_rule = if historical {
        historical_allowed(round)
    } else {
        round.phase.check_allows_proposals(&round.name)
    };
    if let Err(refusal) = phase_rule {
        problems.push(Problem::error_in(None, refusal.to_string()));
    }
    preview.add(&problems);
    Ok(AllocationsPreview {
        rows,
        total: parsed.total,
        pool: round.pool,
        allocated_after,
        historical_source,
    })
}

/// `B7` → (6, 1).
fn split_cell(cell: &str) -> (u32, u32) {
    let letters: String = cell
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    let row: u32 = cell[letters.len()..].parse().unwrap_or(1);
    let col = letters
        .chars()
        .fold(0u32, |acc, c| acc * 26 + (c as u32 - 'A' as u32 + 1));
    (row.saturating_sub(1), col.saturating_sub(1))
}

/// What confirming stored.
pub enum Confirmed {
    Application(i64),
    Allocations(usize),
    Statistics(ImportCounts),
}

/// A published historical decision goes into a round that has no decision yet.
fn historical_allowed(round: &Round) -> Result<(), Refusal> {
    match round.phase {
        RoundPhase::Decided | RoundPhase::AwaitingApproval => Err(Refusal::RoundFrozen {
            round: round.name.clone(),
            phase: round.phase,
        }),
        _ => Ok(()),
    }
}

/// Stores a preview without errors. Every rule is checked again at confirm time, under the
/// round's lock: the uploader's side, the round's phase, the application's status and the
/// version the preview was made from.
pub async fn confirm(
    store: &Store,
    user: &Principal,
    actor: &Actor,
    upload: &Upload,
) -> AppResult<Confirmed> {
    let body = UploadBody::new(upload)?;
    match upload.status.as_str() {
        "confirmed" => return Err(Refusal::UploadNotPreview { rejected: false }.into()),
        _ if upload.status != "preview" || !body.preview.errors.is_empty() => {
            return Err(Refusal::UploadHasErrors {
                questions: body.preview.questions.len(),
            }
            .into());
        }
        _ => {}
    }
    if upload.kind != UploadKind::Statistics.as_str()
        && !may_confirm_upload(user, upload.uploader_organisation_id)
    {
        return Err(Refusal::NotTheUploadersSide.into());
    }
    let register = store.register().await?;
    match body.preview.kind {
        UploadKind::Application => {
            let p = body
                .preview
                .application
                .ok_or_else(|| AppError::Conflict("Opplastingen har ingen søknad.".into()))?;
            let fields = p.input.validate()?;
            let id =
                confirm_application(store, &register, user, actor, upload, &p, &fields).await?;
            Ok(Confirmed::Application(id))
        }
        UploadKind::Allocations => {
            user.check_saksbehandler("importere tildelinger")?;
            let p = body
                .preview
                .allocations
                .ok_or_else(|| AppError::Conflict("Opplastingen har ingen tildelinger.".into()))?;
            let n = confirm_allocations(store, &register, actor, upload, &p).await?;
            Ok(Confirmed::Allocations(n))
        }
        UploadKind::Statistics => {
            may_import_statistics(user)?;
            let p = body
                .preview
                .statistics
                .ok_or_else(|| AppError::Conflict("Opplastingen har ingen statistikk.".into()))?;
            let observations = p
                .observations
                .iter()
                .map(new_observation)
                .collect::<AppResult<Vec<_>>>()?;
            let mut tx = store.begin().await?;
            confirm_preview(&mut tx, upload).await?;
            let counts = store::statistics::write_statistics(
                &mut tx,
                &upload.filename,
                &observations,
                actor,
            )
            .await?;
            tx.commit().await?;
            Ok(Confirmed::Statistics(counts))
        }
    }
}

fn round_of(upload: &Upload) -> AppResult<i64> {
    upload
        .round_id
        .ok_or_else(|| AppError::Conflict("Opplastingen hører ikke til en runde.".into()))
}

/// Marks the preview confirmed, inside the transaction; refused when it was confirmed
/// (also by a concurrent request) or rejected.
async fn confirm_preview(tx: &mut store::Tx, upload: &Upload) -> AppResult<()> {
    if mark_confirmed(tx, upload.id).await? {
        Ok(())
    } else {
        Err(Refusal::UploadNotPreview {
            rejected: upload.status == "rejected",
        }
        .into())
    }
}

/// An application upload: a new application, or new content for the one the preview
/// was made from, if it is still at that version and may still change.
async fn confirm_application(
    store: &Store,
    register: &Register,
    user: &Principal,
    actor: &Actor,
    upload: &Upload,
    preview: &ApplicationPreview,
    fields: &ApplicationFields,
) -> AppResult<i64> {
    let round_id = round_of(upload)?;
    let by_applicant = user.limited_to_organisation().is_some();
    let mut locked = lock_round(store, round_id).await?;
    let tx = &mut locked.tx;
    confirm_preview(tx, upload).await?;
    let applicant =
        resolve_applicant(tx, register, &fields.applicant, locked.round.year, actor).await?;
    if let Some(number) = &preview.org_number {
        store::organisations::register_org_number(tx, applicant.organisation_id, number, actor)
            .await?;
    }
    let existing = organisation_application_in(tx, round_id, applicant.organisation_id).await?;
    let (application_id, changed) = match existing {
        Some(current) => {
            // The preview must have been made from this application as it is now.
            match (preview.replaces_application, preview.base_version) {
                (Some(id), Some(seen)) if id == current.id => {
                    if seen != current.version {
                        return Err(Refusal::StaleUpload {
                            preview_version: seen,
                            current: current.version,
                        }
                        .into());
                    }
                }
                _ => check_no_other_application(Some(&current))?,
            }
            current.status.replace_by_upload(by_applicant)?;
            super::applications::check_round_takes(&locked.round, by_applicant)?;
            let changed = fields_snapshot(fields) != content_snapshot(tx, current.id).await?;
            if changed {
                write_content(tx, current.id, fields).await?;
            }
            (current.id, changed)
        }
        None => {
            if preview.replaces_application.is_some() {
                return Err(Refusal::PreviewTargetGone.into());
            }
            let how = super::applications::how_for(user);
            let round = locked.round.clone();
            let id = super::applications::insert_checked(
                tx,
                &round,
                register,
                fields,
                how,
                by_applicant,
                actor,
            )
            .await?;
            (id, true)
        }
    };
    write_upload_application(tx, upload.id, application_id).await?;
    let summary = if changed {
        let version = insert_version(tx, application_id, Some(upload.id), actor).await?;
        format!(
            "Søknaden ble lagret fra «{}» (versjon {version})",
            upload.filename
        )
    } else {
        format!(
            "«{}» var lik søknaden slik den er; ingen ny versjon",
            upload.filename
        )
    };
    tx.audit(
        NewAuditEvent::new(actor, "upload.confirmed", summary)
            .round(round_id)
            .application(application_id),
    )
    .await?;
    locked.tx.commit().await?;
    Ok(application_id)
}

/// A table of amounts: proposals for this round's decision, or (with a source) a decision
/// already made and published elsewhere. Refused as a whole when the round's total would
/// pass its pool.
async fn confirm_allocations(
    store: &Store,
    register: &Register,
    actor: &Actor,
    upload: &Upload,
    preview: &AllocationsPreview,
) -> AppResult<usize> {
    let round_id = round_of(upload)?;
    let rows: Vec<(String, Kroner)> = preview
        .rows
        .iter()
        .filter_map(|r| r.applicant_ref.clone().map(|a| (a, r.amount)))
        .collect();
    let historical = preview.historical_source.as_deref();
    let mut locked = lock_round(store, round_id).await?;
    let round = locked.round.clone();
    let tx = &mut locked.tx;
    confirm_preview(tx, upload).await?;
    match historical {
        Some(_) => historical_allowed(&round)?,
        None => round.phase.check_allows_proposals(&round.name)?,
    }
    for (applicant, amount) in &rows {
        let resolved = resolve_applicant(tx, register, applicant, round.year, actor).await?;
        match organisation_application_in(tx, round.id, resolved.organisation_id).await? {
            Some(current) if current.status.is_claim() => {
                if historical.is_some() {
                    let status = ApplicationStatus::decide(*amount);
                    let reason = format!("Publisert vedtak: {}", historical.unwrap_or_default());
                    write_amount(
                        tx,
                        current.id,
                        AmountKind::Granted,
                        *amount,
                        Some(&reason),
                        status,
                    )
                    .await?;
                } else {
                    let status = current.status.propose_amount()?;
                    write_amount(tx, current.id, AmountKind::Proposed, *amount, None, status)
                        .await?;
                }
                let (field, old) = if historical.is_some() {
                    ("allocated", current.allocated)
                } else {
                    ("proposed", current.proposed)
                };
                tx.audit(
                    NewAuditEvent::new(
                        actor,
                        if historical.is_some() {
                            "application.allocation_set"
                        } else {
                            "application.proposal_set"
                        },
                        format!(
                            "{} til {} satt til {amount} (import)",
                            if historical.is_some() {
                                "Tildeling"
                            } else {
                                "Foreslått beløp"
                            },
                            resolved.name
                        ),
                    )
                    .round(round.id)
                    .application(current.id)
                    .change(
                        field,
                        old.map(|o| o.to_string()),
                        Some(amount.to_string()),
                    ),
                )
                .await?;
            }
            Some(current) => {
                // A draft: the applicant has not sent it, so it takes no amount.
                return Err(Refusal::DraftHasNoProposal)
                    .map_err(|r| AppError::Conflict(format!("{}: {r}", current.applicant)));
            }
            None => {
                let fields = ApplicationFields {
                    applicant: format!("org:{}", resolved.organisation_id),
                    project_title: None,
                    description: None,
                    contact_person: None,
                    email: None,
                    requested: Kroner::ZERO,
                    budget_lines: Vec::new(),
                };
                let how = match historical {
                    Some(_) => NewApplication {
                        status: ApplicationStatus::decide(*amount),
                        requested_known: false,
                        allocated: Some(*amount),
                        proposed: None,
                        demo: false,
                    },
                    None => NewApplication {
                        status: ApplicationStatus::InReview,
                        requested_known: false,
                        allocated: None,
                        proposed: Some(*amount),
                        demo: false,
                    },
                };
                insert_application(tx, round.id, &resolved, &fields, how, actor).await?;
            }
        }
    }
    let total = match historical {
        Some(_) => store::rounds::allocated_total(tx, round.id).await?,
        None => store::rounds::proposed_total(tx, round.id).await?,
    };
    if total > round.pool {
        return Err(Refusal::ImportAbovePool {
            total,
            pool: round.pool,
            granted: historical.is_some(),
        }
        .into());
    }
    if let Some(source) = historical {
        store::rounds::write_phase(tx, round.id, RoundPhase::Decided).await?;
        store::rounds::write_decision_source(tx, round.id, source).await?;
        tx.audit(
            NewAuditEvent::new(
                actor,
                "round.decided_historical",
                format!(
                    "Runden ble registrert som vedtatt etter publisert vedtak ({source}): {total} tildelt"
                ),
            )
            .round(round.id)
            .change("phase", Some(round.phase.label()), Some(RoundPhase::Decided.label())),
        )
        .await?;
    }
    tx.audit(
        NewAuditEvent::new(
            actor,
            "upload.confirmed",
            format!(
                "Importerte {} {} fra «{}»",
                rows.len(),
                if historical.is_some() {
                    "tildelinger"
                } else {
                    "foreslåtte beløp"
                },
                upload.filename
            ),
        )
        .round(round.id),
    )
    .await?;
    locked.tx.commit().await?;
    Ok(rows.len())
}

/// The upload if the user may see it: officers all, a kommune user its organisation's.
pub async fn visible_upload(store: &Store, user: &Principal, id: i64) -> AppResult<Upload> {
    let upload = store.upload(id).await?;
    // A municipality's own upload shows its draft: officers see it only once the
    // application it made or changed has been submitted.
    let application_status = match (upload.uploader_organisation_id, upload.application_id) {
        (Some(_), Some(application)) => Some(store.application(application).await?.summary.status),
        _ => None,
    };
    if !crate::domain::visibility::sees_upload(
        user,
        upload.organisation_id,
        upload.uploader_organisation_id,
        application_status,
    ) {
        return Err(AppError::not_found("opplastingen"));
    }
    Ok(upload)
}

/// The round's application workbook, for a kommune user filled in with its
/// organisation and its draft, if it has one.
pub async fn template_for(store: &Store, user: &Principal, round: &Round) -> AppResult<Vec<u8>> {
    let mut applicant: Option<(String, Option<String>)> = None;
    let mut prefill = None;
    if let Some(org) = user.limited_to_organisation() {
        let name = store.organisation_name(org).await?;
        let knr = store.user(user.user_id).await?.organisation_kommunenummer;
        applicant = Some((name, knr));
        let own = store
            .round_applications(round.id)
            .await?
            .into_iter()
            .find(|a| a.organisation_id == org);
        if let Some(existing) = own
            && existing.status.editable()
        {
            let app = store.application(existing.id).await?;
            applicant = Some((
                app.summary.applicant.clone(),
                app.summary.kommunenummer.as_ref().map(|k| k.to_string()),
            ));
            prefill = Some(app.to_input());
        }
    }
    crate::sheets::template::application_workbook(
        round,
        applicant.as_ref().map(|(n, k)| (n.as_str(), k.as_deref())),
        prefill.as_ref(),
    )
    .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))
}

/// Only officers import statistics.
fn may_import_statistics(user: &Principal) -> AppResult<()> {
    Ok(user.check_saksbehandler("importere statistikk")?)
}

/// The indicator a user chose by code (`andel_koordinator`), if any.
pub fn chosen_indicator(code: Option<&str>) -> AppResult<Option<&'static stats::Indicator>> {
    match code.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(code) => stats::indicator(code).map(Some).ok_or_else(|| {
            AppError::invalid(
                "indicator",
                format!(
                    "«{code}» er ikke en indikator. Kjente indikatorer: {}.",
                    stats::known_indicators()
                ),
            )
        }),
    }
}

/// Receives a statistics file (SSB/KPR CSV or a workbook): reads it, checks it against
/// the register and what is stored, keeps the original. Returns the upload's id.
pub async fn receive_statistics(
    store: &Store,
    settings: &UploadSettings,
    user: &Principal,
    actor: &Actor,
    indicator: Option<&str>,
    filename: &str,
    bytes: &[u8],
) -> AppResult<i64> {
    receive_statistics_choosing(
        store,
        settings,
        user,
        actor,
        indicator,
        &BTreeMap::new(),
        filename,
        bytes,
    )
    .await
}

/// Reads a statistics upload again with an indicator chosen for each variable text the
/// preview did not know (`choices`: text → indicator code), added to those chosen
/// before. The original stays as it was; the new preview is a new upload of the same
/// file, and its id is answered.
pub async fn choose_variables(
    store: &Store,
    settings: &UploadSettings,
    user: &Principal,
    actor: &Actor,
    upload_id: i64,
    choices: &BTreeMap<String, String>,
) -> AppResult<i64> {
    may_import_statistics(user)?;
    let upload = visible_upload(store, user, upload_id).await?;
    if upload.kind != UploadKind::Statistics.as_str() {
        return Err(AppError::Conflict(
            "Bare statistikkfiler har variabler å velge indikator for.".into(),
        ));
    }
    let earlier = Preview::stored(&upload)?;
    let mut all = earlier
        .statistics
        .map(|s| s.variable_choices)
        .unwrap_or_default();
    // An empty choice («Ikke importer») leaves the variable out; the rest is checked
    // with the file.
    for (text, code) in choices {
        if !code.trim().is_empty() {
            all.insert(text.clone(), code.trim().to_string());
        }
    }
    if all.is_empty() {
        return Err(AppError::invalid(
            "choices",
            "Velg en indikator for minst én variabel.",
        ));
    }
    let bytes = store.upload_content(upload.id).await?;
    receive_statistics_choosing(
        store,
        settings,
        user,
        actor,
        None,
        &all,
        &upload.filename,
        &bytes,
    )
    .await
}

/// As [`receive_statistics`], with indicators chosen for the file's variable texts
/// (text → indicator code); an unknown code is refused naming the variable.
#[allow(clippy::too_many_arguments)]
pub async fn receive_statistics_choosing(
    store: &Store,
    settings: &UploadSettings,
    user: &Principal,
    actor: &Actor,
    indicator: Option<&str>,
    choices: &BTreeMap<String, String>,
    filename: &str,
    bytes: &[u8],
) -> AppResult<i64> {
    may_import_statistics(user)?;
    let chosen = chosen_indicator(indicator)?;
    let mut chosen_per_text = Vec::new();
    for (text, code) in choices {
        let indicator = stats::indicator(code.trim()).ok_or_else(|| {
            AppError::invalid(
                &format!("choices[{text}]"),
                format!(
                    "«{code}» er ikke en indikator. Kjente indikatorer: {}.",
                    stats::known_indicators()
                ),
            )
        })?;
        chosen_per_text.push((text.as_str(), indicator));
    }
    let variable_choices = crate::sheets::statistics::VariableChoices::new(chosen_per_text);
    let preview = Preview::new(UploadKind::Statistics, None);
    store_statistics(
        store,
        settings,
        actor,
        chosen,
        (choices, &variable_choices),
        filename,
        bytes,
        None,
        preview,
    )
    .await
}

/// Receives what SSB's API answered (JSON-stat 2) as a statistics upload, kept with
/// the URL it came from. Returns the upload's id.
pub async fn receive_fetched_statistics(
    store: &Store,
    settings: &UploadSettings,
    user: &Principal,
    actor: &Actor,
    filename: &str,
    bytes: &[u8],
    source_url: &str,
) -> AppResult<i64> {
    may_import_statistics(user)?;
    let mut preview = Preview::new(UploadKind::Statistics, None);
    preview.source_url = Some(source_url.to_string());
    store_statistics(
        store,
        settings,
        actor,
        None,
        (&BTreeMap::new(), &Default::default()),
        filename,
        bytes,
        Some(Format::JsonStat),
        preview,
    )
    .await
}

/// Reads a statistics file into the preview, checks it against the register and what is
/// stored, and keeps it with the original. Returns the upload's id.
#[allow(clippy::too_many_arguments)]
async fn store_statistics(
    store: &Store,
    settings: &UploadSettings,
    actor: &Actor,
    chosen: Option<&'static stats::Indicator>,
    (choices, variable_choices): (
        &BTreeMap<String, String>,
        &crate::sheets::statistics::VariableChoices,
    ),
    filename: &str,
    bytes: &[u8],
    known: Option<Format>,
    mut preview: Preview,
) -> AppResult<i64> {
    if let Some((workbook, places)) =
        read_statistics_file(settings, bytes, known, &mut preview).await
    {
        let register = store.register().await?;
        let parsed = crate::sheets::statistics::parse_choosing(
            &workbook,
            chosen,
            variable_choices,
            &register,
            places.as_ref(),
        );
        let mut codes: Vec<&'static str> = parsed
            .observations
            .iter()
            .map(|o| o.indicator.code)
            .collect();
        codes.sort_unstable();
        codes.dedup();
        let stored = store.stored_values(&codes).await?;
        let existing: Vec<stats::Observation> = stored
            .iter()
            .map(
                |((code, region, year, need, age), (value, _))| stats::Observation {
                    indicator: stats::indicator(code).map(|i| i.code).unwrap_or("ukjent"),
                    region: region.clone(),
                    year: i32::try_from(*year).unwrap_or_default(),
                    need_level: need.clone(),
                    age_group: age.clone(),
                    value: *value,
                },
            )
            .collect();
        let mut problems = parsed.problems.clone();
        problems.extend(crate::sheets::statistics::consistency(
            &parsed.observations,
            &existing,
        ));
        preview.add(&problems);
        let mut counts = ImportCounts::default();
        let mut rows = Vec::with_capacity(parsed.observations.len());
        for o in &parsed.observations {
            let key = (
                o.indicator.code.to_string(),
                o.region.clone(),
                i64::from(o.year),
                o.need_level.map(str::to_string),
                o.age_group.map(str::to_string),
            );
            let change = stats::change(stored.get(&key).copied(), o.value);
            let old = match change {
                stats::Change::New => {
                    counts.new += 1;
                    None
                }
                stats::Change::Unchanged => {
                    counts.unchanged += 1;
                    None
                }
                stats::Change::Changed { old, synthetic } => {
                    counts.changed += 1;
                    let shown = stats::display_value(old, o.indicator.unit);
                    Some(if synthetic {
                        format!("{shown} ({})", stats::SYNTHETIC_LABEL)
                    } else {
                        shown
                    })
                }
            };
            let (value, symbol) = match o.value {
                stats::Value::Number(n) => (Some(n.to_string()), None),
                stats::Value::Symbol(s) => (None, Some(s.as_str().to_string())),
            };
            rows.push(StatisticsRow {
                cell: format!("{}!{}", o.sheet, o.cell),
                indicator: o.indicator.code.to_string(),
                region: o.region.clone(),
                region_name: o.region_name.clone(),
                year: o.year,
                need_level: o.need_level.map(str::to_string),
                age_group: o.age_group.map(str::to_string),
                value,
                symbol,
                display: stats::display_value(o.value, o.indicator.unit),
                change: change.code().to_string(),
                old,
            });
        }
        preview.statistics = Some(StatisticsPreview {
            layout: parsed.layout.map(|l| l.label().to_string()),
            indicators: codes.iter().map(|c| c.to_string()).collect(),
            changed_sample: rows
                .iter()
                .filter(|r| r.change == "changed")
                .take(CHANGED_SAMPLE)
                .cloned()
                .collect(),
            observations: rows,
            counts,
            unknown_variables: parsed.unknown_variables.clone(),
            variable_choices: choices.clone(),
        });
    }
    let rejected = !preview.errors.is_empty();
    let result = serde_json::to_string(&preview)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("preview json: {e}")))?;
    store
        .create_upload(
            crate::store::NewUpload {
                round_id: None,
                organisation_id: None,
                application_id: None,
                base_version: None,
                uploader_organisation_id: None,
                kind: UploadKind::Statistics.as_str(),
                filename: &clean_filename(filename),
                format: preview.format.as_deref(),
                content: bytes,
                rejected,
                result: &result,
                source_url: preview.source_url.as_deref(),
            },
            actor,
        )
        .await
        .map_err(Into::into)
}

/// A previewed row as it is stored: imported figures are never synthetic.
fn new_observation(row: &StatisticsRow) -> AppResult<NewObservation> {
    let indicator = stats::indicator(&row.indicator).ok_or_else(|| {
        AppError::Conflict(format!("Indikatoren {} finnes ikke lenger.", row.indicator))
    })?;
    Ok(NewObservation {
        indicator: indicator.code,
        region: row.region.clone(),
        year: row.year,
        need_level: row.need_level.clone(),
        age_group: row.age_group.clone(),
        value: row.value.clone(),
        symbol: row.symbol.clone(),
        synthetic: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::application::BudgetLineInput;

    fn stored(preview: &Preview, status: &str) -> Upload {
        Upload {
            id: 7,
            round_id: Some(3),
            organisation_id: None,
            application_id: Some(11),
            base_version: Some(2),
            uploader_organisation_id: None,
            kind: "application".into(),
            filename: "søknad \"2027\".xlsx".into(),
            format: Some("xlsx".into()),
            size_bytes: 1234,
            sha256: "x".into(),
            status: status.into(),
            result: serde_json::to_string(preview).unwrap(),
            uploaded_by_name: "Kari Nordmann".into(),
            created_at: chrono::Utc::now(),
            confirmed_at: None,
        }
    }

    /// The spliced body is what serialising the parsed body gives.
    #[test]
    fn fresh_json_equals_the_parsed_body() {
        let mut preview = Preview::new(UploadKind::Application, Some(Format::Xlsx));
        preview.add(&[
            Problem::warning_at("Budsjett", 4, 2, "«kr 11 000,-» er tekst"),
            Problem::error_in(None, "Søker mangler. \"Fyll\" ut\n"),
        ]);
        let line = BudgetLineInput {
            category: "Lønn".into(),
            description: "Koordinator æøå".into(),
            applied: "10000".into(),
            own_contribution: "1000.50".into(),
        };
        preview.application = Some(ApplicationPreview {
            applicant_ref: Some("5001".into()),
            applicant_name: Some("Trondheim".into()),
            kommunenummer: Some("5001".into()),
            input: ApplicationInput {
                applicant: "5001".into(),
                budget_lines: vec![line.clone(), line],
                ..Default::default()
            },
            requested: Some(Kroner::from_ore(2_000_000)),
            budget_lines: vec![BudgetLine {
                category: "Lønn".into(),
                description: "Koordinator".into(),
                applied: Kroner::from_whole(10_000),
                own_contribution: Kroner::from_ore(100_050),
            }],
            replaces_application: None,
            base_version: Some(2),
            org_number: None,
        });
        for status in ["preview", "rejected"] {
            let upload = stored(&preview, status);
            let parsed = serde_json::to_vec(&UploadBody::new(&upload).unwrap()).unwrap();
            let head = Upload {
                result: String::new(),
                ..upload.clone()
            };
            assert_eq!(
                String::from_utf8(UploadBody::fresh_json(&head, &upload.result).unwrap()).unwrap(),
                String::from_utf8(parsed).unwrap()
            );
        }
        let empty = stored(&Preview::new(UploadKind::Allocations, None), "rejected");
        assert_eq!(
            UploadBody::fresh_json(&empty, &empty.result).unwrap(),
            serde_json::to_vec(&UploadBody::new(&empty).unwrap()).unwrap()
        );
    }
}
