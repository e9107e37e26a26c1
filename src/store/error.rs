//! The store's own errors: what can go wrong in persistence, and nothing about rules.
//! The application layer turns them into `AppError` (a lost race on a unique constraint is
//! a 409, a missing row a 404), so no database detail reaches a user.

/// What the store can answer besides a result.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such row; names the thing in Norwegian with its article («søknaden»).
    #[error("fant ikke {0}")]
    NotFound(&'static str),
    /// The row changed since the caller read it (optimistic concurrency).
    #[error("{what} er endret (versjon {seen}, nå {current})")]
    StaleVersion {
        what: &'static str,
        seen: i64,
        current: i64,
    },
    /// A unique constraint stopped the write; `constraint` is the name PostgreSQL gives or
    /// the columns SQLite names.
    #[error("unik begrensning: {constraint}")]
    UniqueViolation { constraint: String },
    /// Stored data that cannot be read back (a bug, or an edit by hand).
    #[error("lagrede data kan ikke leses: {0}")]
    Corrupt(String),
    #[error("databasefeil")]
    Database(#[source] sqlx::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match error.as_database_error() {
            Some(db) if db.is_unique_violation() => StoreError::UniqueViolation {
                constraint: db
                    .constraint()
                    .map(str::to_string)
                    .unwrap_or_else(|| db.message().to_string()),
            },
            _ => StoreError::Database(error),
        }
    }
}

impl StoreError {
    /// Stored data that does not decode, with what and why.
    pub fn corrupt(what: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(what.to_string())
    }
}
