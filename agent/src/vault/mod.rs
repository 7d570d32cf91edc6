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

use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::SqlitePool;
use sqlx::{ConnectOptions, Connection};

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
    /// Where the vault lives unless a front end is told otherwise: `$PARLEY_VAULT`, else
    /// the platform's data folder (`~/.local/share/parley/vault` on Linux).
    pub fn default_dir() -> Result<PathBuf> {
        if let Some(dir) = std::env::var_os("PARLEY_VAULT").filter(|d| !d.is_empty()) {
            return Ok(PathBuf::from(dir));
        }
        directories::ProjectDirs::from("", "", "Parley")
            .map(|d| d.data_dir().join("vault"))
            .ok_or_else(|| Error::invalid("vault", "this system names no data folder: set PARLEY_VAULT"))
    }

    /// Whether `dir` holds a vault (its key file exists: until it does, there is none).
    pub fn exists(dir: &Path) -> bool {
        dir.join(KEY_FILE).exists()
    }

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
            MIGRATOR.run(&vault.pool).await?;
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
    /// (`cargo bench --features plaintext-benchmark`). It has no key file, cannot be
    /// reopened, must never hold a person's data, and is not in any other build.
    #[cfg(feature = "plaintext-benchmark")]
    pub async fn create_plaintext_for_benchmark(dir: &Path) -> Result<Self> {
        create_private_dir(dir)?;
        let vault = Self::connect_with(dir, DataKey::generate()?, true, false).await?;
        MIGRATOR.run(&vault.pool).await?;
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
        // No journal mode or other pragma that reads the file here: sqlx runs these
        // before `after_connect`, and SQLCipher must get its key first. The key is not
        // one of these pragmas either — sqlx would keep it in a plain `String` in the
        // pool's options and rebuild the statement on every connection.
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(&path)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .create_if_missing(create)
            // Statements are never logged: one of them carries the key.
            .disable_statement_logging();
        let key = Arc::new(key);
        // One connection first, so that a file that will not open is told as such at
        // once: the pool would keep retrying a failing `after_connect` until it timed out.
        let mut first = options.connect().await.map_err(|e| classify(&path, e))?;
        let prepared = prepare(&mut first, &key, encrypted).await;
        let _ = first.close().await;
        prepared.map_err(|e| classify(&path, e))?;
        let opener = key.clone();
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .after_connect(move |conn, _| {
                let key = opener.clone();
                Box::pin(async move { prepare(conn, &key, encrypted).await })
            })
            .connect_with(options)
            .await
            .map_err(|e| classify(&path, e))?;
        Ok(Self { pool, dir: dir.to_owned(), key })
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

/// Readies a new connection: the raw key first (SQLCipher reads nothing before it), then
/// the write-ahead log and full durability.
async fn prepare(conn: &mut sqlx::SqliteConnection, key: &DataKey, encrypted: bool) -> sqlx::Result<()> {
    use sqlx::Executor;
    if encrypted {
        conn.execute(key.key_statement().as_str()).await?;
    }
    conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;").await?;
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_data_key_is_kept_in_no_plain_string_of_the_pool() {
        let dir = tempfile::tempdir().unwrap();
        let pass = Passphrase::new("p").unwrap();
        let vault = Vault::create(dir.path(), &pass, KdfParams::INSECURE_FOR_TESTS).await.unwrap();
        let hex = hex::encode(vault.data_key().bytes());
        let options = format!("{:?}", vault.pool().connect_options());
        assert!(!options.contains(&hex), "the pool's connect options hold no copy of the key");
        let products = vault.products().list(crate::records::Page::default()).await.unwrap();
        assert!(products.is_empty(), "and the vault opens and reads");
        vault.close().await;
    }
}
