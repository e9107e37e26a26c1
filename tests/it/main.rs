//! The integration tests: one binary (linking the crate once) with a module per area.
//! `common` is the test app; every test gets its own database, a copy of a template
//! migrated once per test process (see `common`).

mod common;

mod access;
mod allocation;
mod allocation_files;
mod application_files;
mod assessment;
mod caching;
mod exports;
mod followup;
mod home;
mod lifecycle;
mod mail;
mod openapi;
mod operations;
mod report;
mod rounds;
mod sample_round;
mod scenarios;
mod schema;
mod security;
mod sso;
mod statistics_import;
mod statistics_meet_allocation;
mod uploads;
