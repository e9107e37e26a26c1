//! The use cases, shared by the pages, the JSON API and the command line.
//!
//! Each use case that changes something follows one shape: open a transaction, take the
//! round's lock first ([`lock_round`]), load the current state inside the transaction, ask
//! the domain (a pure transition that answers the new state or a `Refusal`), write, and
//! write the audit event in the same transaction. So a rule is checked against what is
//! true at commit time, whichever entry point the change came through.
//!
//! Entry points (`web::pages`, `web::api`, `main`) call only this module for changes;
//! this module calls `store`, `sheets` and `domain`, never `web`.

pub mod accounts;
pub mod applications;
pub mod assessment;
pub mod decisions;
pub mod followup;
pub mod maintenance;
pub mod organisations;
pub mod outbox;
pub mod rounds;
pub mod scenarios;
pub mod ssb;
pub mod sso;
pub mod uploads;
pub mod visibility;

use crate::domain::audit::{Actor, NewAuditEvent};
use crate::domain::round::Round;
use crate::error::{AppError, AppResult};
use crate::store::{self, Store, Tx};

/// A transaction holding the round's lock, and the round as it is under the lock.
pub struct Locked {
    pub tx: Tx,
    pub round: Round,
    /// The round's write counter after this writer's turn.
    pub writes: i64,
}

/// Opens a transaction and takes the round's lock before reading anything.
pub async fn lock_round(store: &Store, round_id: i64) -> AppResult<Locked> {
    let mut tx = store.begin().await?;
    let (writes, round) = store::rounds::lock_round(&mut tx, round_id).await?;
    Ok(Locked { tx, round, writes })
}

/// [`lock_round`] for the round of an application.
pub async fn lock_application_round(store: &Store, application_id: i64) -> AppResult<Locked> {
    let mut tx = store.begin().await?;
    let (writes, round) = store::rounds::lock_application_round(&mut tx, application_id).await?;
    Ok(Locked { tx, round, writes })
}

impl Locked {
    /// For a use case that read the round's state outside the lock (an expensive
    /// computation): refuses when another writer changed the round in between, since the
    /// counter `seen` was read before the computation.
    pub fn ensure_unchanged_since(&self, seen: i64) -> AppResult<()> {
        if self.writes == seen + 1 {
            Ok(())
        } else {
            Err(AppError::Conflict(
                "Runden ble endret av noen andre mens dette ble beregnet. Ingenting er lagret; prøv igjen."
                    .into(),
            ))
        }
    }
}

/// Records a refusal that matters after the fact (a conflicted officer trying to decide)
/// in a transaction of its own, since the refused change itself is rolled back.
async fn audit_refusal(
    store: &Store,
    actor: &Actor,
    action: &'static str,
    round_id: i64,
    message: &str,
) -> AppResult<()> {
    let mut tx = store.begin().await?;
    tx.audit(NewAuditEvent::new(actor, action, message).round(round_id))
        .await?;
    Ok(tx.commit().await?)
}
