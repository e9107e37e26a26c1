//! tilskudd: grant administration for Statsforvalteren.
//!
//! `domain` is the pure core (every rule); `app` holds the use cases that pages, API and
//! CLI share; `store` persists (SQLite or PostgreSQL); `sheets` reads and writes
//! spreadsheets, `documents` writes letters as PDF, `mail` sends e-mail over SMTP; `web`
//! serves pages and the JSON API. [`router`] builds the router used by
//! `main` and by the tests.

pub mod app;
pub mod clock;
pub mod config;
pub mod documents;
pub mod domain;
pub mod error;
pub mod mail;
pub mod metrics;
pub mod sample;
pub mod security;
pub mod sheets;
pub mod store;
pub mod web;

pub use web::{AppState, app, app as router};
