//! The agent layer's error: what went wrong, in words a person can act on.

use std::path::PathBuf;

/// Why an agent operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The passphrase does not open this vault.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// There is no vault in the folder.
    #[error("no vault at {0} (create one with `parley init`)")]
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
         until you check this with the vendor and accept the new key (`parley vendor trust {vendor} --accept-new-key`)"
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
        "no agreed consent with {vendor} covers {need}: grant one first \
         (`parley consent grant --vendor {vendor} --purpose {purpose} --categories {categories} --retention-days N`)"
    )]
    ConsentMissing {
        /// The vendor's name.
        vendor: String,
        /// What the message needs, in words.
        need: String,
        /// A purpose that would cover it.
        purpose: String,
        /// The categories it would carry.
        categories: String,
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
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// An unexpected database failure.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl Error {
    /// A stable, short name of the failure, for callers that act on it (the desktop app,
    /// scripts reading `--json`): `wrong-passphrase`, `vendor-key-changed`, ….
    pub fn code(&self) -> &'static str {
        match self {
            Self::WrongPassphrase => "wrong-passphrase",
            Self::NoVault(_) => "no-vault",
            Self::VaultExists(_) => "vault-exists",
            Self::KeyFileDamaged { .. } => "key-file-damaged",
            Self::DatabaseCorrupt { .. } => "database-corrupt",
            Self::Invalid { .. } => "invalid",
            Self::NotFound { .. } => "not-found",
            Self::Conflict(_) => "conflict",
            Self::Backup { .. } => "backup",
            Self::VendorKeyChanged { .. } => "vendor-key-changed",
            Self::ConsentMissing { .. } => "consent-missing",
            Self::Unreachable { .. } => "unreachable",
            Self::Refused { .. } => "refused",
            Self::BadAnswer { .. } => "bad-answer",
            Self::Io { .. } => "io",
            Self::Database(_) => "database",
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
