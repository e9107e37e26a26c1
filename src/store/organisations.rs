//! Applicants: municipalities and inter-municipal organisations (IKS).

use chrono::Utc;
use serde::Serialize;

use super::{Store, Tx, sql};
use super::{StoreError, StoreResult};
use crate::domain::audit::{Actor, NewAuditEvent};
use crate::domain::county;
use crate::domain::kommune::{Kommunenummer, Municipality, Register, name_matches};

/// One entry of the applicant choice list on the application form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ApplicantChoice {
    /// What the form sends: a kommunenummer or `org:ID`.
    pub value: String,
    pub label: String,
}

/// An applicant that is not a municipality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherOrganisation {
    pub id: i64,
    pub name: String,
    pub kind: String,
}

impl OtherOrganisation {
    /// What a form sends for it.
    pub fn value(&self) -> String {
        format!("org:{}", self.id)
    }

    /// `Fosen helse IKS (IKS)`.
    pub fn label(&self) -> String {
        format!("{} ({})", self.name, self.kind.to_uppercase())
    }
}

/// The applicant an application is registered for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedApplicant {
    pub organisation_id: i64,
    pub name: String,
    pub kommunenummer: Option<Kommunenummer>,
}

#[derive(sqlx::FromRow)]
struct OrganisationRow {
    id: i64,
    name: String,
    kind: String,
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    kommunenummer: String,
    name: String,
    division_year: i64,
}

impl Store {
    /// The organisation a name or kommunenummer already has, without creating one.
    pub async fn find_organisation(
        &self,
        number: Option<&Kommunenummer>,
        name: &str,
    ) -> StoreResult<Option<(i64, String)>> {
        let rows: Vec<(i64, String, Option<String>)> = self
            .fetch_all(sql(
                "SELECT id, name, kommunenummer FROM organisations ORDER BY id",
            ))
            .await?;
        Ok(rows
            .into_iter()
            .find(|(_, n, k)| match number {
                Some(number) => k.as_deref() == Some(number.as_str()),
                None => name_matches(n, name),
            })
            .map(|(id, n, _)| (id, n)))
    }

    /// The organisation number registered for an organisation, if any.
    pub async fn organisation_org_number(
        &self,
        organisation_id: i64,
    ) -> StoreResult<Option<String>> {
        Ok(self
            .fetch_optional::<(Option<String>,)>(
                sql("SELECT org_number FROM organisations WHERE id = $1").bind(organisation_id),
            )
            .await?
            .and_then(|(n,)| n))
    }

    pub async fn organisation_name(&self, organisation_id: i64) -> StoreResult<String> {
        self.fetch_optional::<(String,)>(
            sql("SELECT name FROM organisations WHERE id = $1").bind(organisation_id),
        )
        .await?
        .map(|(name,)| name)
        .ok_or_else(|| StoreError::NotFound("organisasjonen"))
    }

    /// The county codes an organisation belongs to: its own, or its members'.
    pub async fn organisation_counties(&self, organisation_id: i64) -> StoreResult<Vec<String>> {
        let rows: Vec<(Option<String>,)> = self
            .fetch_all(
                sql("SELECT kommunenummer FROM organisations WHERE id = $1 \
                     UNION SELECT kommunenummer FROM organisation_members WHERE organisation_id = $1")
                .bind(organisation_id),
            )
            .await?;
        let mut counties: Vec<String> = rows
            .into_iter()
            .filter_map(|(k,)| k)
            .filter_map(|k| Kommunenummer::parse(&k).ok())
            .map(|k| k.county_code().to_string())
            .collect();
        counties.sort();
        counties.dedup();
        Ok(counties)
    }

    /// The round ids where an organisation has an application.
    pub async fn organisation_round_ids(&self, organisation_id: i64) -> StoreResult<Vec<i64>> {
        let rows: Vec<(i64,)> = self
            .fetch_all(
                sql("SELECT DISTINCT round_id FROM applications WHERE organisation_id = $1")
                    .bind(organisation_id),
            )
            .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// The municipalities of the round's county (all, when it has none) in the division of
    /// its year, then the other organisations.
    pub async fn applicant_choices(
        &self,
        register: &Register,
        year: i32,
        region: Option<&str>,
    ) -> StoreResult<Vec<ApplicantChoice>> {
        let county = region.and_then(|r| county::county_code(year, r));
        let mut choices: Vec<ApplicantChoice> = register
            .division_year_for(year)
            .map(|y| register.municipalities(y))
            .unwrap_or_default()
            .into_iter()
            .filter(|m| county.is_none_or(|c| m.number.county_code() == c))
            .map(|m| ApplicantChoice {
                value: m.number.to_string(),
                label: format!("{} {}", m.number, m.name),
            })
            .collect();
        choices.extend(
            self.other_organisations()
                .await?
                .into_iter()
                .map(|o| ApplicantChoice {
                    value: o.value(),
                    label: o.label(),
                }),
        );
        Ok(choices)
    }

    /// The organisations that are not municipalities (IKS and the like), by name.
    pub async fn other_organisations(&self) -> StoreResult<Vec<OtherOrganisation>> {
        let rows: Vec<OrganisationRow> = self
            .fetch_all(sql(
                "SELECT id, name, kind FROM organisations WHERE kind <> 'kommune' ORDER BY name",
            ))
            .await?;
        Ok(rows
            .into_iter()
            .map(|o| OtherOrganisation {
                id: o.id,
                name: o.name,
                kind: o.kind,
            })
            .collect())
    }

    /// A collaboration's members as recorded, each with the division year its number is of.
    pub async fn organisation_members(
        &self,
        organisation_id: i64,
    ) -> StoreResult<Vec<(Municipality, i32)>> {
        let rows: Vec<MemberRow> = self
            .fetch_all(
                sql(
                    "SELECT kommunenummer, name, division_year FROM organisation_members \
                     WHERE organisation_id = $1 ORDER BY kommunenummer",
                )
                .bind(organisation_id),
            )
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some((
                    Municipality {
                        number: Kommunenummer::parse(&r.kommunenummer).ok()?,
                        name: r.name,
                    },
                    i32::try_from(r.division_year).ok()?,
                ))
            })
            .collect())
    }

    /// A collaboration's members as the municipalities of the division in force in
    /// `year` (the one place the scenario computation, the application page and the
    /// report take them from): recorded numbers followed through the register's code
    /// changes, each municipality once.
    pub async fn members_in_year(
        &self,
        register: &Register,
        organisation_id: i64,
        year: i32,
    ) -> StoreResult<Vec<Municipality>> {
        let recorded = self.organisation_members(organisation_id).await?;
        Ok(register.members_in_year(&recorded, year))
    }
}

/// An organisation by id.
pub async fn organisation_by_id(tx: &mut Tx, id: i64) -> StoreResult<Option<ResolvedApplicant>> {
    let row: Option<(i64, String, Option<String>)> = tx
        .fetch_optional(
            sql("SELECT id, name, kommunenummer FROM organisations WHERE id = $1").bind(id),
        )
        .await?;
    Ok(row.map(|(id, name, knr)| ResolvedApplicant {
        organisation_id: id,
        name,
        kommunenummer: knr.and_then(|k| Kommunenummer::parse(&k).ok()),
    }))
}

/// An organisation whose name matches (without regard to case, spacing or æøå spelling).
pub async fn organisation_by_name(
    tx: &mut Tx,
    name: &str,
) -> StoreResult<Option<ResolvedApplicant>> {
    let orgs: Vec<(i64, String, Option<String>)> = tx
        .fetch_all(sql(
            "SELECT id, name, kommunenummer FROM organisations ORDER BY id",
        ))
        .await?;
    Ok(orgs
        .into_iter()
        .find(|(_, n, _)| name_matches(n, name))
        .map(|(id, name, knr)| ResolvedApplicant {
            organisation_id: id,
            name,
            kommunenummer: knr.and_then(|k| Kommunenummer::parse(&k).ok()),
        }))
}

pub async fn ensure_municipality_organisation(
    tx: &mut Tx,
    m: &Municipality,
    actor: &Actor,
) -> StoreResult<ResolvedApplicant> {
    let existing: Option<(i64, String)> = tx
        .fetch_optional(
            sql("SELECT id, name FROM organisations WHERE kind = 'kommune' AND kommunenummer = $1")
                .bind(m.number.as_str()),
        )
        .await?;
    let organisation_id = match existing {
        Some((id, _)) => id,
        None => {
            let id = tx
                .insert(
                    sql(
                        "INSERT INTO organisations (name, kind, kommunenummer, created_at) \
                         VALUES ($1, 'kommune', $2, $3) RETURNING id",
                    )
                    .bind(&m.name)
                    .bind(m.number.as_str())
                    .bind(Utc::now()),
                )
                .await?;
            tx.audit(NewAuditEvent::new(
                actor,
                "organisation.created",
                format!("Registrerte søkeren {} {}", m.number, m.name),
            ))
            .await?;
            id
        }
    };
    Ok(ResolvedApplicant {
        organisation_id,
        name: m.name.clone(),
        kommunenummer: Some(m.number.clone()),
    })
}

/// Registers the organisation number an application gave, when the organisation has
/// none yet (a registered number is never overwritten by an upload). Audited.
pub async fn register_org_number(
    tx: &mut Tx,
    organisation_id: i64,
    org_number: &str,
    actor: &Actor,
) -> StoreResult<bool> {
    let changed = tx
        .execute(
            sql("UPDATE organisations SET org_number = $1 WHERE id = $2 AND org_number IS NULL")
                .bind(org_number)
                .bind(organisation_id),
        )
        .await?;
    if changed > 0 {
        let name: (String,) = tx
            .fetch_one(sql("SELECT name FROM organisations WHERE id = $1").bind(organisation_id))
            .await?;
        tx.audit(NewAuditEvent::new(
            actor,
            "organisation.org_number",
            format!(
                "Registrerte organisasjonsnummer {org_number} for {}",
                name.0
            ),
        ))
        .await?;
    }
    Ok(changed > 0)
}

/// An inter-municipal organisation with its member municipalities.
pub async fn insert_collaboration(
    tx: &mut Tx,
    name: &str,
    kind: &str,
    org_number: Option<&str>,
    members: &[Municipality],
    division_year: i32,
    actor: &Actor,
) -> StoreResult<i64> {
    let id = tx
        .insert(
            sql("INSERT INTO organisations (name, kind, org_number, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
                .bind(name)
                .bind(kind)
                .bind(org_number)
                .bind(Utc::now()),
        )
        .await?;
    for m in members {
        tx.execute(
            sql("INSERT INTO organisation_members (organisation_id, kommunenummer, name, division_year) \
                 VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(m.number.as_str())
            .bind(&m.name)
            .bind(division_year),
        )
        .await?;
    }
    let member_list = members
        .iter()
        .map(|m| format!("{} {}", m.number, m.name))
        .collect::<Vec<_>>()
        .join(", ");
    tx.audit(NewAuditEvent::new(
        actor,
        "organisation.created",
        format!(
            "Registrerte {name} ({}) med medlemmene {member_list}",
            kind.to_uppercase()
        ),
    ))
    .await?;
    Ok(id)
}
