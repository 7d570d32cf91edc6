//! The agent layer's error: what went wrong, in words. Each front end adds its own
//! hint of what to do next (the CLI the command to type, the desktop app the screen to
//! open), keyed on the variant or its [`ErrorCode`].

use parley_protocol::{Category, Purpose};
use serde::Serialize;

use std::path::PathBuf;

/// Why an agent operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The passphrase does not open this vault.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// There is no vault in the folder.
    #[error("no vault at {0}")]
    NoVault(PathBuf),
    /// Creating or importing over an existing vault.
    #[error("a vault already exists at {0}")]
    VaultExists(PathBuf),
    /// The key file cannot be read, is of an unknown format, or was altered.
    #[error("key file {path} is unusable: {reason}")]
    KeyFileDamaged {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The key opened the key file but the database will not open or read correctly.
    #[error("vault database {path} is corrupted or truncated: {reason}")]
    DatabaseCorrupt {
        /// The database file.
        path: PathBuf,
        /// What SQLite reported.
        reason: String,
    },
    /// A value breaks a rule; names the field.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field, as the CLI and UI name it.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// No record with that id.
    #[error("no {kind} with id {id}")]
    NotFound {
        /// What kind of record.
        kind: &'static str,
        /// The id asked for.
        id: String,
    },
    /// The operation conflicts with what is stored (a name taken, a record in use, an
    /// ambiguous id prefix).
    #[error("{0}")]
    Conflict(String),
    /// A backup file that is not one, is damaged, or was made with another passphrase.
    #[error("backup {path}: {reason}")]
    Backup {
        /// The backup file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The vendor presented a key other than the one pinned on first contact.
    #[error(
        "vendor {vendor} now presents key {presented}, not the pinned {pinned}: nothing is exchanged with it \
         until you check this with the vendor and accept the new key"
    )]
    VendorKeyChanged {
        /// The vendor's name.
        vendor: String,
        /// The DID pinned.
        pinned: String,
        /// The DID the vendor now presents.
        presented: String,
    },
    /// No agreed, unrevoked consent with the vendor covers what a message would share.
    #[error(
        "no agreed consent with {vendor} covers sharing {category} for {}",
        crate::exchange::compose::purposes_in_words(purposes)
    )]
    ConsentMissing {
        /// The vendor's name.
        vendor: String,
        /// The category the message would carry.
        category: Category,
        /// The purposes that would cover it, the usual one first.
        purposes: Vec<Purpose>,
    },
    /// The vendor cannot be reached, or answered with a server failure; what was being
    /// sent stays queued.
    #[error("cannot reach {vendor}: {reason}")]
    Unreachable {
        /// The vendor's name, or its URL before it has one.
        vendor: String,
        /// What happened.
        reason: String,
    },
    /// The vendor refused a message with a problem document.
    #[error("{vendor} refused it ({kind}): {detail}")]
    Refused {
        /// The vendor's name.
        vendor: String,
        /// The problem `type`'s last segment, e.g. `no-consent`.
        kind: String,
        /// The vendor's explanation.
        detail: String,
    },
    /// Something the vendor sent (descriptor, receipt, answer, offer, reply) does not
    /// verify; it is not stored and counts as no answer.
    #[error("{vendor} sent something that does not verify: {reason}")]
    BadAnswer {
        /// The vendor's name, or its URL before it has one.
        vendor: String,
        /// What failed.
        reason: String,
    },
    /// A stored value no version of Parley writes: the vault's database was altered or
    /// damaged.
    #[error("the vault holds a damaged record: {table}.{column} is {value:?}")]
    Damaged {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// What it holds.
        value: String,
    },
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The vault's schema could not be brought up to date (a damaged database, or one
    /// made by a newer Parley).
    #[error("the vault's database could not be migrated: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// An unexpected database failure.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// The failures a caller acts on, by a stable name: what the desktop app branches on
/// (a wrong passphrase, a vendor whose key changed, a consent to ask for), and what sync
/// reports tell apart (passes by itself, or needs the person). Everything else is
/// `other`: its message says what happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum ErrorCode {
    /// The passphrase does not open the vault.
    WrongPassphrase,
    /// A vendor presents a new key the person has not accepted.
    VendorKeyChanged,
    /// A message needs a consent the person has not given.
    ConsentMissing,
    /// A vendor could not be reached; what was being sent waits.
    Unreachable,
    /// A vendor refused a message.
    Refused,
    /// A vendor sent something that does not verify or does not fit.
    BadAnswer,
    /// Anything else.
    Other,
}

impl Error {
    /// The failure's [`ErrorCode`].
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::WrongPassphrase => ErrorCode::WrongPassphrase,
            Self::VendorKeyChanged { .. } => ErrorCode::VendorKeyChanged,
            Self::ConsentMissing { .. } => ErrorCode::ConsentMissing,
            Self::Unreachable { .. } => ErrorCode::Unreachable,
            Self::Refused { .. } => ErrorCode::Refused,
            Self::BadAnswer { .. } => ErrorCode::BadAnswer,
            _ => ErrorCode::Other,
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid { field: field.into(), reason: reason.into() }
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}

/// The agent's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
