//! The vendor's store: one schema and one set of queries over SQLite or PostgreSQL,
//! through sqlx's `Any` driver, chosen by the database URL.
//!
//! Queries are written once, in the SQL both databases share, with `$1…$n` parameters in
//! order. The few dialect differences (row locks) are named in [`Backend`]. Every write
//! that acknowledges a person's message goes through the [`writer`]'s group commit;
//! reads and the operator's own writes (offers, replies) use the pool directly.

pub mod access;
mod by_consent;
pub mod cases;
pub mod insights;
pub mod orders;
mod rows;
pub mod staff;
pub mod tokens;
pub mod webhooks;
pub mod writer;

use parley_protocol::{Category, Did, MessageType, Purpose, Timestamp};
use serde::{Deserialize, Serialize};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};

use crate::error::{Error, Result};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database the store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One process, one file: a small business with no setup.
    Sqlite,
    /// Several stateless endpoint instances sharing one database.
    Postgres,
}

impl Backend {
    /// Appended to a consent read that must hold until the transaction ends, so a
    /// revocation on another instance waits for (and then deletes) what this one stores.
    /// SQLite needs none: it has one writer at a time.
    fn share_lock(&self) -> &'static str {
        match self {
            Self::Sqlite => "",
            Self::Postgres => " FOR SHARE",
        }
    }

    /// `table`, read through its primary-key (or first unique) index whatever the
    /// planner's statistics say. SQLite's planner trusts `ANALYZE`'s row counts: with
    /// statistics taken while a table was small (the hourly refresh runs at start), it
    /// judges a scan cheaper than 16 index lookups and keeps scanning every row of the
    /// grown table on every batch. PostgreSQL's autovacuum keeps its statistics current.
    fn by_key(&self, table: &str) -> String {
        match self {
            Self::Sqlite => format!("{table} INDEXED BY sqlite_autoindex_{table}_1"),
            Self::Postgres => table.to_owned(),
        }
    }

    /// One row with one text column, `found`: the rows of `select` as a JSON array, each
    /// row an array of `columns`. For a read of many short rows on the writer's path: on
    /// SQLite each row comes back from the connection's thread on its own, waking the
    /// writer's thread once a row (BENCHMARKS.md, twelfth session).
    fn as_one_row(&self, columns: &str, select: &str) -> String {
        match self {
            Self::Sqlite => {
                format!("SELECT json_group_array(json_array({columns})) AS found FROM ({select})")
            }
            Self::Postgres => format!(
                "SELECT CAST(COALESCE(json_agg(json_build_array({columns})), '[]') AS TEXT) AS found
                 FROM ({select}) AS selected"
            ),
        }
    }

    /// Whole minutes from one stored timestamp column to another.
    fn minutes_between(&self, from: &str, to: &str) -> String {
        match self {
            Self::Sqlite => format!("CAST(ROUND((julianday({to}) - julianday({from})) * 1440) AS INTEGER)"),
            Self::Postgres => format!(
                "CAST(EXTRACT(EPOCH FROM (CAST({to} AS TIMESTAMPTZ) - CAST({from} AS TIMESTAMPTZ))) / 60 AS BIGINT)"
            ),
        }
    }

    /// Appended to the consent read of a revocation: it waits for messages being stored
    /// under the consent, then deletes them.
    fn exclusive_lock(&self) -> &'static str {
        match self {
            Self::Sqlite => "",
            Self::Postgres => " FOR UPDATE",
        }
    }
}

/// The PostgreSQL advisory lock (`pg_try_advisory_lock`) held by the one instance
/// sweeping expired data ("parley" and 1, as a number).
pub const SWEEP_LOCK: i64 = 0x7061_726c_6579_01;

/// The store.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    /// The writer's own connection (a pool of one, so it reconnects after a failure). The
    /// writer holds it for as long as it works; see `writer::Held`.
    writes: AnyPool,
    backend: Backend,
}

/// What a pool is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Shared,
    Writer,
}

fn pool_options(backend: Backend, role: Role) -> AnyPoolOptions {
    let options = AnyPoolOptions::new().max_connections(match (backend, role) {
        (_, Role::Writer) => 1,
        // Reads and the operator's own writes (offers, replies); the writer is apart.
        (Backend::Sqlite, Role::Shared) => 3,
        (Backend::Postgres, Role::Shared) => 8,
    });
    // A database that is down fails requests with 503 in seconds, rather than holding
    // them until the request time limit while the pool retries connecting.
    let options = options.acquire_timeout(std::time::Duration::from_secs(3));
    match backend {
        Backend::Sqlite => options.after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute("PRAGMA journal_mode = WAL").await?;
                // Acknowledged means durable: a receipt is sent after an fsync'd commit.
                conn.execute("PRAGMA synchronous = FULL").await?;
                conn.execute("PRAGMA busy_timeout = 10000").await?;
                // Statement journals (a batch's multi-row inserts need one) in memory
                // rather than in temporary files: they never outlive the statement.
                conn.execute("PRAGMA temp_store = MEMORY").await?;
                // A deletion receipt must be true of the bytes: deleted rows and freed
                // pages are overwritten with zeros, not left for the next write.
                conn.execute("PRAGMA secure_delete = ON").await?;
                // The commit that takes the write-ahead log past this many pages copies
                // them into the database file and fsyncs it, while every request queued
                // behind the writer waits. SQLite's default, 1,000 pages, appends up to
                // 4 MB to the file at once; measured on a virtual disk (BENCHMARKS.md),
                // an fsync of 2 MB or less of appended data takes 1–3 ms, of 3–4 MB
                // 13–45 ms. 400 pages (1.6 MB) keeps each checkpoint under that knee.
                conn.execute("PRAGMA wal_autocheckpoint = 400").await?;
                Ok(())
            })
        }),
        Backend::Postgres => options,
    }
}

/// A message as received, for the operator.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredMessage {
    /// Its id.
    pub id: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: String,
    /// The sender's pairwise DID.
    pub sender: String,
    /// The consent it relies on.
    pub consent_id: Option<String>,
    /// The feedback score, for feedback.
    pub score: Option<i64>,
    /// When it was stored.
    pub received: String,
    /// The signed document, as received.
    pub document: serde_json::Value,
}

/// A consent as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRow {
    /// The grant's id.
    pub id: String,
    /// The person's pairwise DID.
    pub person: String,
    /// `agreed`, `alternative`, `refused` or `revoked`.
    pub state: String,
    /// The purpose.
    pub purpose: Purpose,
    /// The categories.
    pub categories: Vec<Category>,
    /// Retention in days.
    pub retention_days: i64,
}

/// Net Promoter Score over all feedback held.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Nps {
    /// % promoters − % detractors, −100…100; `null` without feedback.
    pub score: Option<f64>,
    /// Scores 9–10.
    pub promoters: i64,
    /// Scores 7–8.
    pub passives: i64,
    /// Scores 0–6.
    pub detractors: i64,
    /// All feedback.
    pub count: i64,
}

impl Store {
    /// Connects to `url` (`sqlite://…` or `postgres://…`) and brings the schema up to date.
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(Error::Config(format!("database URL {url:?} is neither sqlite:// nor postgres://")));
        };
        if backend == Backend::Sqlite {
            owner_only_sqlite_files(url)?;
        }
        // Reads and the operator's writes share a pool; the group-commit writer has a
        // connection of its own. On SQLite that matters: a connection that sees another
        // one's commit throws its page cache away, so a writer taking turns with pool
        // connections re-read its index pages from the file on every batch.
        let pool = pool_options(backend, Role::Shared).connect(url).await?;
        match backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        // Opened on first use, by the writer on its own runtime (`writer::Writer::start`):
        // a PostgreSQL connection's socket answers to the runtime that opened it, and the
        // request handlers' runtime would see its replies late under load. The shared
        // pool has just connected to the same URL.
        let writes = match pool_options(backend, Role::Writer).connect_lazy(url) {
            Ok(writes) => writes,
            Err(e) => {
                pool.close().await;
                return Err(e.into());
            }
        };
        Ok(Self { pool, writes, backend })
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool for reads and the operator's own writes.
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A transaction that writes. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), waiting for it up to the busy timeout: a deferred transaction that
    /// reads and then writes fails at once with SQLITE_BUSY when another connection
    /// wrote in between, which the writer and the shared pool do all the time.
    pub(crate) async fn write_tx(&self, pool: &AnyPool) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => pool.begin().await?,
        })
    }

    /// [`Store::write_tx`] on a connection held apart from any pool (the writer's).
    pub(crate) async fn write_tx_on<'c>(
        &self,
        conn: &'c mut sqlx::AnyConnection,
    ) -> Result<sqlx::Transaction<'c, sqlx::Any>> {
        use sqlx::Connection;
        Ok(match self.backend {
            Backend::Sqlite => conn.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => conn.begin().await?,
        })
    }

    /// The pool the group-commit writer takes its one connection from (and takes it
    /// again after a failure); nothing else uses it while the writer runs.
    pub(crate) fn writes(&self) -> &AnyPool {
        &self.writes
    }

    /// Closes both pools.
    pub async fn close(&self) {
        self.writes.close().await;
        self.pool.close().await;
    }

    /// Received messages, newest first, of one type or all.
    pub async fn messages(&self, kind: Option<MessageType>, limit: i64) -> Result<Vec<StoredMessage>> {
        let rows = sqlx::query(
            "SELECT id, kind, sender, consent_id, score, received, document FROM messages
             WHERE ($1 IS NULL OR kind = $1) ORDER BY seq DESC LIMIT $2",
        )
        .bind(kind.map(|k| k.as_str().to_owned()))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(stored_message).collect()
    }

    /// One received message.
    pub async fn message(&self, id: &str) -> Result<StoredMessage> {
        let row = sqlx::query(
            "SELECT id, kind, sender, consent_id, score, received, document FROM messages WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref()
            .map(stored_message)
            .transpose()?
            .ok_or_else(|| Error::NotFound { kind: "message", id: id.into() })
    }

    /// A consent.
    pub async fn consent(&self, id: &str) -> Result<Option<ConsentRow>> {
        let sql = format!("SELECT {CONSENT_COLUMNS} FROM consents WHERE id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(consent_row).transpose()
    }

    /// Stores a vendor→person message (offer or reply) for the person's inbox.
    pub(crate) async fn add_outgoing(
        &self,
        id: &str,
        kind: MessageType,
        recipient: &Did,
        consent_id: Option<&str>,
        in_reply_to: Option<&str>,
        document: &str,
        author: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO outbox (id, kind, recipient, consent_id, in_reply_to, document, created, author)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(kind.as_str())
        .bind(recipient.as_str())
        .bind(consent_id)
        .bind(in_reply_to)
        .bind(document)
        .bind(Timestamp::now().to_string())
        .bind(author)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The signed documents waiting for `recipient`, oldest first, created at or after
    /// `since` when given.
    pub async fn inbox(&self, recipient: &Did, since: Option<Timestamp>) -> Result<Vec<serde_json::Value>> {
        let rows = sqlx::query(
            "SELECT document FROM outbox WHERE recipient = $1 AND ($2 IS NULL OR created >= $2) ORDER BY seq LIMIT 1000",
        )
        .bind(recipient.as_str())
        .bind(since.map(|t| t.to_string()))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| parse_document(r.try_get("document")?)).collect()
    }

    /// Marks what `recipient` was just sent as pulled (the first time only): a loop is
    /// closed once the person has the answer.
    pub(crate) async fn mark_pulled(&self, recipient: &Did, documents: &[serde_json::Value]) -> Result<()> {
        let now = Timestamp::now().to_string();
        let mut tx = self.write_tx(&self.pool).await?;
        let mut events = Vec::new();
        for d in documents {
            let Some(id) = d["id"].as_str() else { continue };
            let first = sqlx::query(
                "UPDATE outbox SET pulled = $1 WHERE id = $2 AND recipient = $3 AND pulled IS NULL",
            )
            .bind(&now)
            .bind(id)
            .bind(recipient.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if first == 1 {
                events.push(webhooks::Event {
                    kind: webhooks::EventType::ReplyPulled,
                    data: serde_json::json!({
                        "messageId": id,
                        "type": d["type"],
                        "inReplyTo": d["inReplyTo"],
                        "person": recipient.as_str(),
                        "pulled": now,
                    }),
                    consent_id: d["consent"].as_str().map(str::to_owned),
                    read: None,
                });
            }
        }
        webhooks::queue_in(&mut tx, &events).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Net Promoter Score over the feedback held now.
    pub async fn nps(&self) -> Result<Nps> {
        let row = sqlx::query(
            "SELECT
                CAST(COALESCE(SUM(CASE WHEN score >= 9 THEN 1 ELSE 0 END), 0) AS BIGINT) AS promoters,
                CAST(COALESCE(SUM(CASE WHEN score BETWEEN 7 AND 8 THEN 1 ELSE 0 END), 0) AS BIGINT) AS passives,
                CAST(COALESCE(SUM(CASE WHEN score <= 6 THEN 1 ELSE 0 END), 0) AS BIGINT) AS detractors,
                CAST(COUNT(*) AS BIGINT) AS count
             FROM messages WHERE kind = 'Feedback' AND score IS NOT NULL",
        )
        .fetch_one(&self.pool)
        .await?;
        let (promoters, passives, detractors, count): (i64, i64, i64, i64) = (
            row.try_get("promoters")?,
            row.try_get("passives")?,
            row.try_get("detractors")?,
            row.try_get("count")?,
        );
        let score = (count > 0)
            .then(|| ((promoters - detractors) as f64 * 100.0 / count as f64 * 10.0).round() / 10.0);
        Ok(Nps { score, promoters, passives, detractors, count })
    }

    /// Whether the database answers: what a load balancer's health check asks, cheap
    /// however large the store.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// [`Store::sweep_expired`], on one instance at a time: on PostgreSQL, only the
    /// instance holding the advisory lock [`SWEEP_LOCK`] sweeps; the others get `None`
    /// (another instance is sweeping) and try again at their next turn. SQLite has one
    /// instance.
    pub async fn sweep_expired_alone(&self, now: Timestamp) -> Result<Option<u64>> {
        if self.backend != Backend::Postgres {
            return self.sweep_expired(now).await.map(Some);
        }
        // A session lock on a connection of its own, held for the whole sweep (which
        // runs in several transactions); PostgreSQL frees it if the connection dies.
        // That connection is closed, never pooled, when done: a sweep dropped half-way
        // (shutdown aborts it) would otherwise hand the lock on to whoever borrows it
        // next, and no instance would sweep again.
        let mut conn = self.pool.acquire().await?;
        conn.close_on_drop();
        let alone: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(SWEEP_LOCK)
            .fetch_one(&mut *conn)
            .await?;
        if !alone {
            return Ok(None);
        }
        let swept = self.sweep_expired(now).await;
        sqlx::query("SELECT pg_advisory_unlock($1)").bind(SWEEP_LOCK).execute(&mut *conn).await?;
        swept.map(Some)
    }

    /// Deletes what consents' retention periods no longer allow, and erases it from the
    /// disk; returns how many messages went. Also forgets inbox query ids too old to be
    /// fresh again.
    pub async fn sweep_expired(&self, now: Timestamp) -> Result<u64> {
        let consents = sqlx::query("SELECT id, retention_days FROM consents WHERE state = 'agreed'")
            .fetch_all(&self.pool)
            .await?;
        let mut deleted = 0;
        for c in consents {
            let (id, days): (String, i64) = (c.try_get("id")?, c.try_get("retention_days")?);
            let cutoff = Timestamp::from(now.get() - time::Duration::days(days)).to_string();
            let mut tx = self.write_tx(&self.pool).await?;
            cases::delete_under_consent_in(&mut tx, self.backend(), &id, Some(&cutoff), "retention").await?;
            deleted += writer::delete_under_consent(&mut tx, self.backend(), &id, Some(&cutoff)).await?;
            webhooks::purge_in(&mut tx, &id, Some(&cutoff)).await?;
            tx.commit().await?;
        }
        let stale = Timestamp::from(now.get() - INBOX_QUERY_MEMORY).to_string();
        sqlx::query("DELETE FROM inbox_queries WHERE created < $1").bind(stale).execute(&self.pool).await?;
        if deleted > 0 {
            self.erase_deleted(&mut *self.pool.acquire().await?).await?;
        }
        Ok(deleted)
    }

    /// Makes what was deleted unreadable on disk. On SQLite, every connection runs with
    /// `secure_delete` (deleted content and freed pages are overwritten with zeros), so
    /// a checkpoint that copies the write-ahead log into the database and truncates it
    /// to zero bytes leaves no copy in either file. PostgreSQL has no equivalent: see
    /// the README's security section for what stays, and where, until when.
    /// The checkpoint covers the whole database, whichever connection `conn` is.
    pub(crate) async fn erase_deleted(&self, conn: &mut sqlx::AnyConnection) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Ok(());
        }
        // TRUNCATE waits (busy timeout) for the writer and for readers of older snapshots
        // to finish.
        let row = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(conn).await?;
        let busy: i64 = row.try_get(0)?;
        if busy != 0 {
            return Err(Error::NotErased("readers kept the write-ahead log busy".into()));
        }
        Ok(())
    }

    /// Keeps the query planner's statistics current, as SQLite advises for long-lived
    /// connections: without them its planner may walk every alert ever raised to find the
    /// few still open, rather than the small index of unanswered cases. Bounded work
    /// (`analysis_limit`), so it may run hourly beside the writer. PostgreSQL's
    /// autovacuum does this by itself.
    pub async fn refresh_statistics(&self) -> Result<()> {
        if self.backend == Backend::Sqlite {
            // A shared connection: the writer holds its own. ANALYZE's brief write lock
            // waits for the writer's batch (busy timeout), as the operator's writes do.
            let mut conn = self.pool.acquire().await?;
            conn.execute("PRAGMA analysis_limit = 1000").await?;
            conn.execute("PRAGMA optimize = 0x10002").await?;
        }
        Ok(())
    }

    /// Records an inbox query's id; `false` when it was seen before (a replay).
    pub(crate) async fn first_inbox_query(&self, id: &str, sender: &Did, created: Timestamp) -> Result<bool> {
        let inserted = sqlx::query(
            "INSERT INTO inbox_queries (id, sender, created) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(sender.as_str())
        .bind(created.to_string())
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }
}

/// How long an inbox query's id is remembered: longer than it can stay fresh (5 minutes
/// either side of its `created`).
const INBOX_QUERY_MEMORY: time::Duration = time::Duration::minutes(15);

/// Creates the SQLite database file owner-only (0600) before SQLite opens it — SQLite
/// gives its `-wal` and `-shm` files the database file's permissions — and narrows the
/// files an older version left readable to others.
fn owner_only_sqlite_files(url: &str) -> Result<()> {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let path = std::path::Path::new(path.split('?').next().unwrap_or(path));
    if path.as_os_str().is_empty() || path.to_str() == Some(":memory:") {
        return Ok(());
    }
    let io = |p: &std::path::Path, e: std::io::Error| Error::Config(format!("{}: {e}", p.display()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if !path.exists() {
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(path)
                .map_err(|e| io(path, e))?;
        }
        for suffix in ["", "-wal", "-shm"] {
            let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
            if file.exists() {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| io(&file, e))?;
            }
        }
    }
    Ok(())
}

fn parse_document(text: String) -> Result<serde_json::Value> {
    serde_json::from_str(&text).map_err(|e| Error::Refused(format!("a stored document is not JSON: {e}")))
}

fn stored_message(r: &AnyRow) -> Result<StoredMessage> {
    Ok(StoredMessage {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        sender: r.try_get("sender")?,
        consent_id: r.try_get("consent_id")?,
        score: r.try_get("score")?,
        received: r.try_get("received")?,
        document: parse_document(r.try_get("document")?)?,
    })
}

pub(crate) fn consent_row(r: &AnyRow) -> Result<ConsentRow> {
    ConsentRow::from_columns(StoredConsent(
        r.try_get("id")?,
        r.try_get("person")?,
        r.try_get("state")?,
        r.try_get("purpose")?,
        r.try_get("categories")?,
        r.try_get("retention_days")?,
    ))
}

/// A consent's columns as stored, in [`CONSENT_COLUMNS`]' order.
#[derive(Deserialize)]
pub(crate) struct StoredConsent(String, String, String, String, String, i64);

/// The columns [`StoredConsent`] holds.
pub(crate) const CONSENT_COLUMNS: &str = "id, person, state, purpose, categories, retention_days";

impl ConsentRow {
    pub(crate) fn from_columns(c: StoredConsent) -> Result<Self> {
        let StoredConsent(id, person, state, purpose, categories, retention_days) = c;
        Ok(ConsentRow {
            id,
            person,
            state,
            purpose: serde_json::from_value(serde_json::Value::String(purpose))
                .map_err(|e| Error::Refused(format!("stored purpose: {e}")))?,
            categories: serde_json::from_str(&categories)
                .map_err(|e| Error::Refused(format!("stored categories: {e}")))?,
            retention_days,
        })
    }
}

/// A fresh SQLite store in a temporary folder, for unit tests (the folder lives as long
/// as the returned guard).
#[cfg(test)]
pub(crate) async fn scratch_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("vendor.db").display());
    let store = Store::connect(&url).await.unwrap();
    (dir, store)
}
