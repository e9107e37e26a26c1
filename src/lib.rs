//! tilskudd: grant administration for Statsforvalteren.
//!
//! `domain` is the pure core; `store` persists it (SQLite or PostgreSQL); `web` serves
//! pages and the JSON API. [`app`] builds the router used by `main` and by the tests.

pub mod config;
pub mod domain;
pub mod error;
pub mod sample;
pub mod security;
pub mod sheets;
pub mod store;
pub mod web;

pub use web::{AppState, app};
