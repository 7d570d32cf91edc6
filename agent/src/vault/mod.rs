//! The vault: one SQLCipher database and the key file beside it, in one folder.
//!
//! [`Vault::create`] and [`Vault::open`] are the only ways in. Opening authenticates the
//! key file first (so a wrong passphrase is told apart from a damaged database), then
//! opens the database with the raw data key and checks its pages. Records, search,
//! audit and backup live in their own modules as `impl Vault` blocks or accessors; this
//! module holds only what every one of them needs: the pool and the paths.

pub mod keyfile;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use keyfile::DataKey;
pub use keyfile::{KdfParams, Passphrase};

use crate::error::{Error, Result};

/// The database file's name inside the vault folder.
pub const DB_FILE: &str = "vault.db";
/// The key file's name inside the vault folder.
pub const KEY_FILE: &str = "vault.key";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// An open vault.
#[derive(Debug, Clone)]
pub struct Vault {
    pool: SqlitePool,
    dir: PathBuf,
    // Kept for snapshots (backup export attaches a copy encrypted with the same key).
    key: Arc<DataKey>,
}

impl Vault {
    /// Creates a new vault in `dir` (made if missing) sealed with `passphrase`.
    pub async fn create(dir: &Path, passphrase: &Passphrase, kdf: KdfParams) -> Result<Self> {
        let (db, key_path) = (dir.join(DB_FILE), dir.join(KEY_FILE));
        if key_path.exists() {
            return Err(Error::VaultExists(dir.to_owned()));
        }
        // A database without a key file is what an interrupted `create` leaves: nothing
        // could ever have been stored in it, so it is cleared rather than refused.
        remove_database_files(&db)?;
        create_private_dir(dir)?;
        let key = DataKey::generate()?;
        let vault = Self::connect(dir, key, true).await?;
        let made = async {
            // SQLite gives its -wal and -shm files the database file's permissions.
            restrict_to_owner(&db)?;
            MIGRATOR.run(&vault.pool).await.map_err(|e| Error::invalid("migrations", e.to_string()))?;
            crate::identity::create(&vault.pool).await?;
            crate::audit::append(&vault.pool, crate::audit::Entry::new("vault.created", "Vault created"))
                .await?;
            // The key file is written last and atomically: until it exists there is no vault.
            keyfile::write(&key_path, &vault.key, passphrase, kdf)
        }
        .await;
        vault.close_on_error(made).await
    }

    /// Opens the vault in `dir` with `passphrase`.
    pub async fn open(dir: &Path, passphrase: &Passphrase) -> Result<Self> {
        let key_path = dir.join(KEY_FILE);
        if !key_path.exists() {
            return Err(Error::NoVault(dir.to_owned()));
        }
        crate::backup::finish_interrupted_import(dir)?;
        let key = keyfile::read(&key_path, passphrase)?;
        let vault = Self::connect(dir, key, false).await?;
        let checked = async {
            vault.check_pages().await?;
            MIGRATOR.run(&vault.pool).await.map_err(|e| vault.classify(e.into()))
        }
        .await;
        vault.close_on_error(checked).await
    }

    /// Re-seals the data key under `new` (the database is not re-encrypted). Atomic: a
    /// crash leaves a vault that opens with the old passphrase or the new one.
    pub async fn change_passphrase(&self, old: &Passphrase, new: &Passphrase, kdf: KdfParams) -> Result<()> {
        let key_path = self.dir.join(KEY_FILE);
        let key = keyfile::read(&key_path, old)?;
        keyfile::write(&key_path, &key, new, kdf)?;
        crate::audit::append(&self.pool, crate::audit::Entry::new("vault.passphrase", "Passphrase changed"))
            .await
    }

    /// The folder the vault lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Closes every connection, checkpointing the write-ahead log, and returns once
    /// they are closed. Close a vault rather than drop it: a dropped pool finishes
    /// closing on sqlx's worker threads whenever they get to it — after the process
    /// has exited, or after an import has replaced the files under it.
    pub async fn close(self) {
        self.pool.close().await;
    }

    /// `Ok(self)`, or the error after closing the half-opened vault.
    pub(crate) async fn close_on_error<T>(self, outcome: Result<T>) -> Result<Self> {
        match outcome {
            Ok(_) => Ok(self),
            Err(e) => {
                self.close().await;
                Err(e)
            }
        }
    }

    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub(crate) fn data_key(&self) -> &DataKey {
        &self.key
    }

    /// A vault whose database is NOT encrypted, for measuring what encryption costs
    /// (`cargo bench`). It has no key file, cannot be reopened, and must never hold a
    /// person's data.
    #[doc(hidden)]
    pub async fn create_plaintext_for_benchmark(dir: &Path) -> Result<Self> {
        create_private_dir(dir)?;
        let vault = Self::connect_with(dir, DataKey::generate()?, true, false).await?;
        MIGRATOR.run(&vault.pool).await.map_err(|e| Error::invalid("migrations", e.to_string()))?;
        crate::identity::create(&vault.pool).await?;
        Ok(vault)
    }

    pub(crate) async fn connect(dir: &Path, key: DataKey, create: bool) -> Result<Self> {
        Self::connect_with(dir, key, create, true).await
    }

    async fn connect_with(dir: &Path, key: DataKey, create: bool, encrypted: bool) -> Result<Self> {
        // SQLCipher encrypts with OpenSSL, which by default frees its global state in an
        // `atexit` handler. sqlx's connection threads may still be ending (and running
        // OpenSSL's per-thread cleanup) when the process exits, and the two together
        // corrupt the heap. Initialising OpenSSL first, as `openssl-sys` does it (with
        // OPENSSL_INIT_NO_ATEXIT), leaves that state for the process's end to reclaim.
        openssl_sys::init();
        let path = dir.join(DB_FILE);
        let mut options = SqliteConnectOptions::from_str("sqlite://")?.filename(&path);
        if encrypted {
            // The raw key must be the first statement on every connection.
            options = options.pragma("key", key.pragma().to_string());
        }
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .create_if_missing(create);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|e| classify(&path, e))?;
        Ok(Self { pool, dir: dir.to_owned(), key: Arc::new(key) })
    }

    /// Reads every page once; SQLCipher authenticates each page as it decrypts it, so
    /// this finds truncation and tampering before anything is read or written.
    pub(crate) async fn check_pages(&self) -> Result<()> {
        // Any failure here is the file's fault: the key was authenticated before.
        let corrupt = |reason: String| Error::DatabaseCorrupt { path: self.dir.join(DB_FILE), reason };
        let rows: Vec<(String,)> = sqlx::query_as("PRAGMA quick_check")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| corrupt(e.to_string()))?;
        match rows.first() {
            Some((ok,)) if ok == "ok" && rows.len() == 1 => Ok(()),
            _ => Err(corrupt(rows.into_iter().map(|r| r.0).collect::<Vec<_>>().join("; "))),
        }
    }

    pub(crate) fn classify(&self, e: sqlx::Error) -> Error {
        classify(&self.dir.join(DB_FILE), e)
    }
}

/// SQLite's "not a database" (26) and "corrupt" (11) become [`Error::DatabaseCorrupt`]:
/// by the time the database is opened the key is known to be right.
fn classify(path: &Path, e: sqlx::Error) -> Error {
    if let sqlx::Error::Database(db) = &e {
        let code = db.code().and_then(|c| c.parse::<i32>().ok()).unwrap_or(0) & 0xff;
        if code == 26 || code == 11 {
            return Error::DatabaseCorrupt { path: path.to_owned(), reason: db.message().to_owned() };
        }
    }
    Error::Database(e)
}

pub(crate) fn remove_database_files(db: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let p = PathBuf::from(format!("{}{suffix}", db.display()));
        if p.exists() {
            std::fs::remove_file(&p).map_err(Error::io(&p))?;
        }
    }
    Ok(())
}

pub(crate) fn restrict_to_owner(file: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600)).map_err(Error::io(file))?;
    }
    Ok(())
}

pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(Error::io(dir))?;
    }
    Ok(())
}
