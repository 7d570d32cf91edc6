//! Finding the messages held under a consent, for revocation and the retention sweep.
//!
//! PostgreSQL keeps an ordinary index of messages by consent. On SQLite that index was
//! the costliest part of receiving: consents are many and each batch's messages belong to
//! different ones, so every message rewrote one more B-tree page of it in the write-ahead
//! log, and again at the checkpoint. SQLite's store therefore lists a consent's messages
//! in `consent_messages` (consent id and sequence number, no content), in bulk: a trigger
//! adds each stored message to `consent_messages_waiting` (appended in order, ~60 to a
//! page), and once [`CATCH_UP_EVERY`] are waiting the writer moves them over sorted by
//! consent — one page per consent and catch-up rather than one per message. A lookup
//! ([`messages_under`]) reads both tables, so no message is ever missed, whoever stored
//! it and whenever.

use super::Backend;
use crate::error::Result;

/// How many received messages may wait before they are listed by consent.
const CATCH_UP_EVERY: i64 = 2048;

/// Moves the waiting messages into the list by consent, once at least `every` are waiting
/// (0: whatever is waiting). No-op on PostgreSQL.
async fn catch_up(conn: &mut sqlx::AnyConnection, backend: Backend, every: i64) -> Result<()> {
    if backend != Backend::Sqlite {
        return Ok(());
    }
    // The span of waiting sequence numbers, from the two ends of its primary key: a count
    // would read every waiting row on every batch. Gaps (messages under no consent) only
    // make the catch-up come a little early.
    let waiting: i64 = sqlx::query_scalar(
        "SELECT COALESCE((SELECT max(seq) FROM consent_messages_waiting)
                         - (SELECT min(seq) FROM consent_messages_waiting) + 1, 0)",
    )
    .fetch_one(&mut *conn)
    .await?;
    if waiting == 0 || waiting < every {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO consent_messages (consent_id, seq)
         SELECT consent_id, seq FROM consent_messages_waiting ORDER BY consent_id, seq",
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM consent_messages_waiting").execute(&mut *conn).await?;
    Ok(())
}

/// Called by the writer in each batch's transaction: lists the waiting messages once
/// enough have gathered.
pub(crate) async fn after_batch(conn: &mut sqlx::AnyConnection, backend: Backend) -> Result<()> {
    catch_up(conn, backend, CATCH_UP_EVERY).await
}

/// A condition on `messages` selecting the rows under the consent bound as `$1`.
pub(crate) fn messages_under(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "seq IN (SELECT seq FROM consent_messages WHERE consent_id = $1
                     UNION ALL SELECT seq FROM consent_messages_waiting WHERE consent_id = $1)"
        }
        Backend::Postgres => "consent_id = $1",
    }
}

/// Drops from the lists the entries of messages under `consent_id` that were deleted.
pub(crate) async fn forget_deleted(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    consent_id: &str,
) -> Result<()> {
    if backend == Backend::Sqlite {
        for list in ["consent_messages", "consent_messages_waiting"] {
            sqlx::query(&format!(
                "DELETE FROM {list} WHERE consent_id = $1
                 AND NOT EXISTS (SELECT 1 FROM messages WHERE messages.seq = {list}.seq)"
            ))
            .bind(consent_id)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Acquire;

    async fn insert(conn: &mut sqlx::AnyConnection, id: &str, consent: &str) {
        sqlx::query(
            "INSERT INTO messages (id, kind, sender, consent_id, digest, document, response, received)
             VALUES ($1, 'Feedback', 'did:key:z', $2, '', '{}', '', '')",
        )
        .bind(id)
        .bind(consent)
        .execute(conn)
        .await
        .unwrap();
    }

    async fn count(conn: &mut sqlx::AnyConnection, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(conn).await.unwrap()
    }

    async fn under(conn: &mut sqlx::AnyConnection, consent: &str) -> Vec<String> {
        let condition = messages_under(Backend::Sqlite);
        sqlx::query_scalar(&format!("SELECT id FROM messages WHERE {condition} ORDER BY seq"))
            .bind(consent)
            .fetch_all(conn)
            .await
            .unwrap()
    }

    /// A store from before the waiting list (a mark, `consent_messages_indexed.upto`, said
    /// what was listed): what was listed stays listed, what came after the mark waits, and
    /// every message is found.
    #[tokio::test]
    async fn an_older_store_keeps_its_list_and_the_rest_waits() {
        let dir = tempfile::tempdir().unwrap();
        let older = dir.path().join("older-migrations");
        std::fs::create_dir(&older).unwrap();
        let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
        for entry in std::fs::read_dir(&source).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            if name.as_str() < "20261204020000" {
                std::fs::copy(&path, older.join(&name)).unwrap();
            }
        }
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("vendor.db").display());
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        sqlx::migrate::Migrator::new(older.as_path()).await.unwrap().run(&pool).await.unwrap();
        {
            let mut conn = pool.acquire().await.unwrap();
            insert(&mut conn, "a0", "c1").await;
            insert(&mut conn, "a1", "c2").await;
            // The older catch-up: listed up to the mark.
            sqlx::query(
                "INSERT INTO consent_messages (consent_id, seq) SELECT consent_id, seq FROM messages",
            )
            .execute(&mut *conn)
            .await
            .unwrap();
            sqlx::query("UPDATE consent_messages_indexed SET upto = (SELECT max(seq) FROM messages)")
                .execute(&mut *conn)
                .await
                .unwrap();
            insert(&mut conn, "b0", "c1").await;
        }
        pool.close().await;

        let store = crate::store::Store::connect(&url).await.unwrap();
        let mut conn = store.writes().acquire().await.unwrap();
        assert_eq!(count(&mut conn, "consent_messages").await, 2, "the listed stay listed");
        assert_eq!(count(&mut conn, "consent_messages_waiting").await, 1, "the one after the mark waits");
        assert_eq!(under(&mut conn, "c1").await, ["a0", "b0"]);
        assert_eq!(under(&mut conn, "c2").await, ["a1"]);
        insert(&mut conn, "c0", "c2").await;
        assert_eq!(under(&mut conn, "c2").await, ["a1", "c0"], "a message stored now waits too");
    }

    /// Messages listed by an earlier catch-up and messages still waiting are both found,
    /// and only the consent's own.
    #[tokio::test]
    async fn a_lookup_finds_listed_and_waiting_messages() {
        let (_dir, store) = crate::store::scratch_store().await;
        let mut conn = store.writes().acquire().await.unwrap();
        let mut tx = conn.begin().await.unwrap();
        for i in 0..6 {
            insert(&mut tx, &format!("a{i}"), if i % 2 == 0 { "c1" } else { "c2" }).await;
        }
        assert_eq!(count(&mut tx, "consent_messages_waiting").await, 6, "stored messages wait");
        catch_up(&mut tx, Backend::Sqlite, 4).await.unwrap();
        assert_eq!(count(&mut tx, "consent_messages").await, 6, "six waiting, four needed: all listed");
        assert_eq!(count(&mut tx, "consent_messages_waiting").await, 0);
        insert(&mut tx, "b0", "c1").await;
        catch_up(&mut tx, Backend::Sqlite, 4).await.unwrap();
        assert_eq!(count(&mut tx, "consent_messages").await, 6, "one waiting: not yet");
        assert_eq!(under(&mut tx, "c1").await, ["a0", "a2", "a4", "b0"], "the waiting one is found too");
        assert_eq!(under(&mut tx, "c2").await, ["a1", "a3", "a5"]);

        sqlx::query("DELETE FROM messages WHERE id IN ('a0', 'b0')").execute(&mut *tx).await.unwrap();
        forget_deleted(&mut tx, Backend::Sqlite, "c1").await.unwrap();
        let c1: i64 = sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM consent_messages WHERE consent_id = 'c1')
                  + (SELECT count(*) FROM consent_messages_waiting WHERE consent_id = 'c1')",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        assert_eq!(c1, 2, "the deleted ones, listed or waiting, are no longer held");
        assert_eq!(under(&mut tx, "c1").await, ["a2", "a4"]);
        tx.commit().await.unwrap();
    }
}
