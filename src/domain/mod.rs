//! The pure domain: types and rules of grant administration.
//!
//! Nothing in here does I/O, talks SQL or renders HTML; `app`, `store`, `sheets` and `web`
//! depend on this module, never the other way round. Every rule of the lifecycle lives
//! here as a pure function that answers the new state or a [`Refusal`]:
//! - [`round`]: the phases of a round and what each allows (`RoundPhase`);
//! - [`application`]: submitting, editing, withdrawing, replacing by upload, proposing;
//! - [`assessment`]: impartiality (a declared conflict blocks, lifted by another officer);
//! - [`decision`]: four eyes and amendments;
//! - [`followup`]: after the decision: acceptance, payments, the final report, repayment;
//! - [`visibility`]: who sees which round, application and amount.

pub mod allocation;
pub mod application;
pub mod assessment;
pub mod audit;
pub mod county;
pub mod date;
pub mod decision;
pub mod followup;
pub mod kommune;
pub mod letter;
pub mod money;
pub mod notice;
pub mod org_number;
pub mod refusal;
pub mod report;
pub mod round;
pub mod scenario;
pub mod sso;
pub mod statistics;
pub mod user;
pub mod validation;
pub mod visibility;
pub mod words;

pub use money::Kroner;
pub use refusal::{Refusal, RefusalKind};
pub use validation::{FieldError, FieldErrors};
