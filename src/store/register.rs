//! The municipality register: divisions and code changes, as loaded from SSB's files.

use chrono::NaiveDate;

use super::{Store, Tx, sql};
use super::{StoreError, StoreResult};
use crate::domain::kommune::{CodeChange, Kommunenummer, Municipality, Register};

#[derive(sqlx::FromRow)]
struct DivisionRow {
    division_year: i64,
    number: String,
    name: String,
}

#[derive(sqlx::FromRow)]
struct ChangeRow {
    old_number: String,
    old_name: String,
    new_number: String,
    new_name: String,
    effective: NaiveDate,
}

fn number(text: &str) -> StoreResult<Kommunenummer> {
    Kommunenummer::parse(text)
        .map_err(|e| StoreError::corrupt(format!("bad kommunenummer in database: {e}")))
}

impl Store {
    /// The whole register from the database (about 1 100 divisions rows and 500
    /// changes); requests get it through the cache, [`Store::register`].
    pub(super) async fn load_register(&self) -> StoreResult<Register> {
        let divisions: Vec<DivisionRow> = self
            .fetch_all(sql(
                "SELECT division_year, number, name FROM municipalities ORDER BY division_year, number",
            ))
            .await?;
        let changes: Vec<ChangeRow> = self
            .fetch_all(sql(
                "SELECT old_number, old_name, new_number, new_name, effective \
                 FROM municipality_changes ORDER BY effective, old_number, new_number",
            ))
            .await?;
        let divisions = divisions
            .into_iter()
            .map(|r| {
                Ok((
                    i32::try_from(r.division_year).unwrap_or_default(),
                    Municipality {
                        number: number(&r.number)?,
                        name: r.name,
                    },
                ))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let changes = changes
            .into_iter()
            .map(|r| {
                Ok(CodeChange {
                    old_number: number(&r.old_number)?,
                    old_name: r.old_name,
                    new_number: number(&r.new_number)?,
                    new_name: r.new_name,
                    effective: r.effective,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Register::new(divisions, changes))
    }
}

pub async fn insert_division(
    tx: &mut Tx,
    year: i32,
    municipalities: &[Municipality],
) -> StoreResult<()> {
    for m in municipalities {
        tx.execute(
            sql("INSERT INTO municipalities (division_year, number, name) VALUES ($1, $2, $3)")
                .bind(year)
                .bind(m.number.as_str())
                .bind(&m.name),
        )
        .await?;
    }
    Ok(())
}

pub async fn insert_changes(tx: &mut Tx, changes: &[CodeChange]) -> StoreResult<()> {
    for c in changes {
        tx.execute(
            sql("INSERT INTO municipality_changes (old_number, old_name, new_number, new_name, effective) \
                 VALUES ($1, $2, $3, $4, $5)")
            .bind(c.old_number.as_str())
            .bind(&c.old_name)
            .bind(c.new_number.as_str())
            .bind(&c.new_name)
            .bind(c.effective),
        )
        .await?;
    }
    Ok(())
}
