//! The pure domain: types and rules of grant administration.
//!
//! Nothing in here does I/O, talks SQL or renders HTML; `store`, `sheets` and `web`
//! depend on this module, never the other way round.

pub mod allocation;
pub mod application;
pub mod assessment;
pub mod audit;
pub mod county;
pub mod date;
pub mod decision;
pub mod kommune;
pub mod money;
pub mod report;
pub mod round;
pub mod scenario;
pub mod statistics;
pub mod user;
pub mod validation;

pub use money::Kroner;
pub use validation::{FieldError, FieldErrors};
