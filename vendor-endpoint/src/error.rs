//! The vendor layer's errors. HTTP refusals are [`crate::problem::Problem`]s; these are
//! the operator-facing failures (configuration, storage).

/// Why a vendor operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The data folder, its configuration or key is missing or unusable.
    #[error("{0}")]
    Config(String),
    /// A record the operator named does not exist.
    #[error("no {kind} with id {id}")]
    NotFound {
        /// What kind.
        kind: &'static str,
        /// The id given.
        id: String,
    },
    /// A value given to the console or the CLI breaks a rule; names the field.
    #[error("{0}")]
    Invalid(String),
    /// The operation does not fit the record (replying to a receipt, an offer for a
    /// message that is not an intent, …).
    #[error("{0}")]
    Refused(String),
    /// Deleted content could not be erased from the disk yet (SQLite's write-ahead log
    /// stayed busy); the deletion is committed and its receipt waits.
    #[error("deleted content is not yet erased from disk: {0}")]
    NotErased(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// The vendor layer's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
