//! Applications, their budget lines and allocated amounts.

use chrono::Utc;

use super::organisations::ResolvedApplicant;
use super::{Store, Tx, sql};
use super::{StoreError, StoreResult};
use crate::domain::Kroner;
use crate::domain::application::{
    Application, ApplicationFields, ApplicationStatus, ApplicationSummary, BudgetLine,
};
use crate::domain::audit::{Actor, NewAuditEvent};
use crate::domain::kommune::Kommunenummer;

/// How an application comes to be: registered by an officer, or loaded as sample data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewApplication {
    pub status: ApplicationStatus,
    /// `false` when the source does not state the requested amount (historical data).
    pub requested_known: bool,
    pub allocated: Option<Kroner>,
    /// An officer's proposed amount (an imported allocation table not published as a
    /// decision).
    pub proposed: Option<Kroner>,
    pub demo: bool,
}

impl NewApplication {
    /// Registered by an officer on behalf of the applicant: received at once.
    pub const REGISTERED: NewApplication = NewApplication {
        status: ApplicationStatus::Submitted,
        requested_known: true,
        allocated: None,
        proposed: None,
        demo: false,
    };
    /// Started by the applicant: a draft until submitted.
    pub const DRAFT: NewApplication = NewApplication {
        status: ApplicationStatus::Draft,
        ..NewApplication::REGISTERED
    };
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    round_id: i64,
    organisation_id: i64,
    applicant_name: String,
    organisation_kind: String,
    kommunenummer: Option<String>,
    project_title: Option<String>,
    requested_ore: Option<i64>,
    allocated_ore: Option<i64>,
    proposed_ore: Option<i64>,
    status: String,
    demo: bool,
    version: i64,
}

#[derive(sqlx::FromRow)]
struct DetailRow {
    #[sqlx(flatten)]
    summary: SummaryRow,
    description: Option<String>,
    contact_person: Option<String>,
    email: Option<String>,
    allocation_reason: Option<String>,
}

#[derive(sqlx::FromRow)]
struct BudgetLineRow {
    category: String,
    description: String,
    applied_ore: i64,
    own_contribution_ore: i64,
}

impl BudgetLineRow {
    fn into_line(self) -> BudgetLine {
        BudgetLine {
            category: self.category,
            description: self.description,
            applied: Kroner::from_ore(self.applied_ore),
            own_contribution: Kroner::from_ore(self.own_contribution_ore),
        }
    }
}

impl SummaryRow {
    fn into_summary(self) -> StoreResult<ApplicationSummary> {
        let status = ApplicationStatus::parse(&self.status).ok_or_else(|| {
            StoreError::corrupt(format!("unknown application status {}", self.status))
        })?;
        Ok(ApplicationSummary {
            id: self.id,
            round_id: self.round_id,
            organisation_id: self.organisation_id,
            applicant: self.applicant_name,
            organisation_kind: self.organisation_kind,
            kommunenummer: self
                .kommunenummer
                .and_then(|k| Kommunenummer::parse(&k).ok()),
            project_title: self.project_title,
            requested: self.requested_ore.map(Kroner::from_ore),
            allocated: self.allocated_ore.map(Kroner::from_ore),
            proposed: self.proposed_ore.map(Kroner::from_ore),
            status,
            demo: self.demo,
            version: self.version,
        })
    }
}

/// The columns of [`SummaryRow`], of `applications a` joined with `organisations o`.
macro_rules! summary_columns {
    () => {
        "a.id, a.round_id, a.organisation_id, a.applicant_name, \
         o.kind AS organisation_kind, a.kommunenummer, a.project_title, a.requested_ore, a.allocated_ore, \
         a.proposed_ore, a.status, a.demo, a.version"
    };
}

/// The columns of [`DetailRow`].
macro_rules! detail_columns {
    () => {
        concat!(
            summary_columns!(),
            ", a.description, a.contact_person, a.email, a.allocation_reason"
        )
    };
}

const SUMMARY_COLUMNS_ROUND: &str = concat!(
    "SELECT ",
    summary_columns!(),
    " FROM applications a JOIN organisations o ON o.id = a.organisation_id \
     WHERE a.round_id = $1 ORDER BY a.applicant_name, a.id"
);

/// The organisation's application in a round (withdrawn ones aside): at most one, by the
/// unique index.
const ORGANISATION_APPLICATION: &str = concat!(
    "SELECT ",
    summary_columns!(),
    " FROM applications a JOIN organisations o ON o.id = a.organisation_id \
     WHERE a.round_id = $1 AND a.organisation_id = $2 AND a.status <> 'withdrawn' ORDER BY a.id"
);

const DETAIL_QUERY: &str = concat!(
    "SELECT ",
    detail_columns!(),
    " FROM applications a JOIN organisations o ON o.id = a.organisation_id WHERE a.id = $1"
);

/// An application with what proposing an amount for it is checked against: the other
/// applications' proposals in its round, and whether the user ($2) has declared a
/// conflict of interest for it. One statement, as it runs under the round's lock.
const PROPOSAL_QUERY: &str = concat!(
    "SELECT ",
    summary_columns!(),
    ", CAST(COALESCE((SELECT SUM(e.proposed_ore) FROM applications e \
       WHERE e.round_id = a.round_id AND e.id <> a.id AND ",
    counted_in_totals!("e."),
    "), 0) AS BIGINT) AS proposed_elsewhere_ore, \
     EXISTS (SELECT 1 FROM impartiality_declarations d \
       WHERE d.application_id = a.id AND d.user_id = $2 AND d.conflict) AS conflict_declared \
     FROM applications a JOIN organisations o ON o.id = a.organisation_id WHERE a.id = $1"
);

#[derive(sqlx::FromRow)]
struct ProposalRow {
    #[sqlx(flatten)]
    summary: SummaryRow,
    proposed_elsewhere_ore: i64,
    conflict_declared: bool,
}

/// What [`proposal_in`] reads.
pub struct ProposalState {
    pub application: ApplicationSummary,
    /// The sum of the round's other counted proposals.
    pub proposed_elsewhere: Kroner,
    /// The user has declared a conflict of interest for this application.
    pub conflict_declared: bool,
}

/// An application and what a proposal for it is checked against, inside the transaction
/// (after the round lock). `user_id` is the proposing user, if a user proposes.
pub async fn proposal_in(
    tx: &mut Tx,
    application_id: i64,
    user_id: Option<i64>,
) -> StoreResult<ProposalState> {
    let row: ProposalRow = tx
        .fetch_optional(
            sql(PROPOSAL_QUERY)
                .bind(application_id)
                .bind(user_id.unwrap_or(-1)),
        )
        .await?
        .ok_or_else(|| StoreError::NotFound("søknaden"))?;
    Ok(ProposalState {
        application: row.summary.into_summary()?,
        proposed_elsewhere: Kroner::from_ore(row.proposed_elsewhere_ore),
        conflict_declared: row.conflict_declared,
    })
}

impl Store {
    pub async fn round_applications(&self, round_id: i64) -> StoreResult<Vec<ApplicationSummary>> {
        let rows: Vec<SummaryRow> = self
            .fetch_all(sql(SUMMARY_COLUMNS_ROUND).bind(round_id))
            .await?;
        rows.into_iter().map(SummaryRow::into_summary).collect()
    }

    pub async fn application(&self, id: i64) -> StoreResult<Application> {
        let row: DetailRow = self
            .fetch_optional(sql(DETAIL_QUERY).bind(id))
            .await?
            .ok_or_else(|| StoreError::NotFound("søknaden"))?;
        let lines: Vec<BudgetLineRow> = self
            .fetch_all(
                sql(
                    "SELECT category, description, applied_ore, own_contribution_ore \
                     FROM budget_lines WHERE application_id = $1 ORDER BY position",
                )
                .bind(id),
            )
            .await?;
        let summary = row.summary.into_summary()?;
        let members = if summary.organisation_kind == "kommune" {
            Vec::new()
        } else {
            let year = self.round(summary.round_id).await?.year;
            let register = self.register().await?;
            self.members_in_year(&register, summary.organisation_id, year)
                .await?
        };
        Ok(Application {
            summary,
            description: row.description,
            contact_person: row.contact_person,
            email: row.email,
            allocation_reason: row.allocation_reason,
            budget_lines: lines.into_iter().map(BudgetLineRow::into_line).collect(),
            members,
        })
    }

    /// The allocation reasons (begrunnelse) of a round's applications, by application id.
    pub async fn round_allocation_reasons(&self, round_id: i64) -> StoreResult<Vec<(i64, String)>> {
        self.fetch_all(
            sql("SELECT id, allocation_reason FROM applications \
                 WHERE round_id = $1 AND allocation_reason IS NOT NULL ORDER BY id")
            .bind(round_id),
        )
        .await
    }

    /// The budget lines of a round's applications: application id and line, in the
    /// applications' own order.
    pub async fn round_budget_lines(&self, round_id: i64) -> StoreResult<Vec<(i64, BudgetLine)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            application_id: i64,
            #[sqlx(flatten)]
            line: BudgetLineRow,
        }
        let rows: Vec<Row> = self
            .fetch_all(
                sql(
                    "SELECT b.application_id, b.category, b.description, b.applied_ore, \
                     b.own_contribution_ore FROM budget_lines b \
                     JOIN applications a ON a.id = b.application_id \
                     WHERE a.round_id = $1 ORDER BY b.application_id, b.position",
                )
                .bind(round_id),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.application_id, r.line.into_line()))
            .collect())
    }
}

/// An application as it is inside the transaction (after the round lock).
pub async fn application_in(tx: &mut Tx, application_id: i64) -> StoreResult<ApplicationSummary> {
    let row: DetailRow = tx
        .fetch_optional(sql(DETAIL_QUERY).bind(application_id))
        .await?
        .ok_or_else(|| StoreError::NotFound("søknaden"))?;
    row.summary.into_summary()
}

/// The organisation's application in the round, if it has one (withdrawn ones aside).
pub async fn organisation_application_in(
    tx: &mut Tx,
    round_id: i64,
    organisation_id: i64,
) -> StoreResult<Option<ApplicationSummary>> {
    let row: Option<SummaryRow> = tx
        .fetch_optional(
            sql(ORGANISATION_APPLICATION)
                .bind(round_id)
                .bind(organisation_id),
        )
        .await?;
    row.map(SummaryRow::into_summary).transpose()
}

/// Replaces an application's own fields and budget lines; the applicant stays who it was.
pub async fn write_content(
    tx: &mut Tx,
    application_id: i64,
    fields: &ApplicationFields,
) -> StoreResult<()> {
    tx.execute(
        sql("UPDATE applications SET project_title = $1, description = $2, contact_person = $3, email = $4, \
             requested_ore = $5, version = version + 1, updated_at = $6 WHERE id = $7")
        .bind(fields.project_title.clone())
        .bind(fields.description.clone())
        .bind(fields.contact_person.clone())
        .bind(fields.email.clone())
        .bind(fields.requested.ore())
        .bind(Utc::now())
        .bind(application_id),
    )
    .await?;
    tx.execute(sql("DELETE FROM budget_lines WHERE application_id = $1").bind(application_id))
        .await?;
    insert_budget_lines(tx, application_id, &fields.budget_lines).await
}

/// Moves an application to `status`.
pub async fn write_status(
    tx: &mut Tx,
    application_id: i64,
    status: ApplicationStatus,
) -> StoreResult<()> {
    tx.execute(
        sql("UPDATE applications SET status = $1, version = version + 1, updated_at = $2 WHERE id = $3")
            .bind(status.as_str())
            .bind(Utc::now())
            .bind(application_id),
    )
    .await?;
    Ok(())
}

/// Which amount of an application is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountKind {
    /// The officer's proposal, before a decision.
    Proposed,
    /// What a decision grants (zero: rejected).
    Granted,
}

/// Sets an application's proposed or granted amount, with its reason and new status.
pub async fn write_amount(
    tx: &mut Tx,
    application_id: i64,
    kind: AmountKind,
    amount: Kroner,
    reason: Option<&str>,
    status: ApplicationStatus,
) -> StoreResult<()> {
    let statement = match kind {
        AmountKind::Proposed => {
            "UPDATE applications SET proposed_ore = $1, allocation_reason = $2, status = $3, \
             version = version + 1, updated_at = $4 WHERE id = $5"
        }
        AmountKind::Granted => {
            "UPDATE applications SET allocated_ore = $1, allocation_reason = $2, status = $3, \
             version = version + 1, updated_at = $4 WHERE id = $5"
        }
    };
    tx.execute(
        sql(statement)
            .bind(amount.ore())
            .bind(reason)
            .bind(status.as_str())
            .bind(Utc::now())
            .bind(application_id),
    )
    .await?;
    Ok(())
}

pub(super) async fn insert_budget_lines(
    tx: &mut Tx,
    application_id: i64,
    lines: &[BudgetLine],
) -> StoreResult<()> {
    for (position, line) in lines.iter().enumerate() {
        tx.execute(
            sql("INSERT INTO budget_lines (application_id, position, category, description, applied_ore, own_contribution_ore) \
                 VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(application_id)
            .bind(position as i64)
            .bind(&line.category)
            .bind(&line.description)
            .bind(line.applied.ore())
            .bind(line.own_contribution.ore()),
        )
        .await?;
    }
    Ok(())
}

/// Inserts an application with its budget lines and first version. The caller holds the
/// round lock and has checked the rules (see `app::applications`).
pub async fn insert_application(
    tx: &mut Tx,
    round_id: i64,
    applicant: &ResolvedApplicant,
    fields: &ApplicationFields,
    how: NewApplication,
    actor: &Actor,
) -> StoreResult<i64> {
    let now = Utc::now();
    let requested = how.requested_known.then(|| fields.requested.ore());
    let id = tx
        .insert(
            sql("INSERT INTO applications (round_id, organisation_id, applicant_name, kommunenummer, \
                 project_title, description, contact_person, email, requested_ore, allocated_ore, status, \
                 demo, version, created_at, updated_at, proposed_ore) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $13, $14) RETURNING id")
            .bind(round_id)
            .bind(applicant.organisation_id)
            .bind(&applicant.name)
            .bind(applicant.kommunenummer.as_ref().map(|k| k.to_string()))
            .bind(fields.project_title.clone())
            .bind(fields.description.clone())
            .bind(fields.contact_person.clone())
            .bind(fields.email.clone())
            .bind(requested)
            .bind(how.allocated.map(Kroner::ore))
            .bind(how.status.as_str())
            .bind(how.demo)
            .bind(now)
            .bind(how.proposed.map(Kroner::ore)),
        )
        .await?;
    insert_budget_lines(tx, id, &fields.budget_lines).await?;
    super::uploads::insert_version(tx, id, None, actor).await?;
    let requested_text = if how.requested_known {
        fields.requested.to_string()
    } else {
        "ikke oppgitt".to_string()
    };
    let mut event = NewAuditEvent::new(
        actor,
        "application.created",
        format!(
            "Registrerte søknad fra {} (omsøkt {requested_text})",
            applicant.name
        ),
    )
    .round(round_id)
    .application(id);
    if let Some(amount) = how.allocated {
        event = event.change("allocated", None::<String>, Some(amount.to_string()));
    }
    if let Some(amount) = how.proposed {
        event = event.change("proposed", None::<String>, Some(amount.to_string()));
    }
    tx.audit(event).await?;
    Ok(id)
}

/// The e-mail address the applicant gave, if any, inside the transaction.
pub async fn contact_email_in(tx: &mut Tx, application_id: i64) -> StoreResult<Option<String>> {
    let row: Option<(Option<String>,)> = tx
        .fetch_optional(sql("SELECT email FROM applications WHERE id = $1").bind(application_id))
        .await?;
    Ok(row
        .and_then(|(email,)| email)
        .filter(|e| !e.trim().is_empty()))
}
