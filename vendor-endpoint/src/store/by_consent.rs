//! Finding the messages held under a consent, for revocation and the retention sweep.
//!
//! PostgreSQL keeps an ordinary index of messages by consent. On SQLite that index was
//! the costliest part of receiving: consents are many and each batch's messages belong to
//! different ones, so every message rewrote one more B-tree page of it in the write-ahead
//! log, and again at the checkpoint. SQLite's store therefore lists a consent's messages
//! in `consent_messages` (consent id and sequence number, no content) and adds the newest
//! messages to it in bulk, sorted by consent, once every [`CATCH_UP_EVERY`] messages: one
//! page per consent and catch-up rather than one per message. Whoever looks messages up
//! by consent calls [`messages_under`], which first brings the list up to date in the
//! same transaction, so no message can be missed. This is safe because SQLite has one
//! writer: sequence numbers are committed in order, and everything above the mark
//! `consent_messages_indexed.upto` is exactly what is not listed yet. (Several
//! PostgreSQL instances commit out of order; they keep the ordinary index.)

use super::Backend;
use crate::error::Result;

/// How many received messages may wait before they are listed by consent.
const CATCH_UP_EVERY: i64 = 2048;

/// Lists by consent the messages received since the last catch-up, once at least `every`
/// are waiting (0: whatever is waiting). No-op on PostgreSQL.
async fn catch_up(conn: &mut sqlx::AnyConnection, backend: Backend, every: i64) -> Result<()> {
    if backend != Backend::Sqlite {
        return Ok(());
    }
    let (upto, last): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT upto FROM consent_messages_indexed), (SELECT COALESCE(max(seq), 0) FROM messages)",
    )
    .fetch_one(&mut *conn)
    .await?;
    if last - upto < every.max(1) {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO consent_messages (consent_id, seq)
         SELECT consent_id, seq FROM messages WHERE seq > $1 AND seq <= $2 AND consent_id IS NOT NULL
         ORDER BY consent_id, seq",
    )
    .bind(upto)
    .bind(last)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE consent_messages_indexed SET upto = $1").bind(last).execute(&mut *conn).await?;
    Ok(())
}

/// Called by the writer in each batch's transaction: lists the waiting messages once
/// enough have gathered.
pub(crate) async fn after_batch(conn: &mut sqlx::AnyConnection, backend: Backend) -> Result<()> {
    catch_up(conn, backend, CATCH_UP_EVERY).await
}

/// A condition on `messages` selecting the rows under the consent bound as `$1`, valid for
/// the rest of the write transaction open on `conn` (on SQLite no other transaction can
/// insert messages until it ends).
pub(crate) async fn messages_under(conn: &mut sqlx::AnyConnection, backend: Backend) -> Result<&'static str> {
    catch_up(conn, backend, 0).await?;
    Ok(match backend {
        Backend::Sqlite => "seq IN (SELECT seq FROM consent_messages WHERE consent_id = $1)",
        Backend::Postgres => "consent_id = $1",
    })
}

/// Drops from the list the entries of messages under `consent_id` that were deleted.
pub(crate) async fn forget_deleted(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    consent_id: &str,
) -> Result<()> {
    if backend == Backend::Sqlite {
        sqlx::query(
            "DELETE FROM consent_messages WHERE consent_id = $1
             AND NOT EXISTS (SELECT 1 FROM messages WHERE messages.seq = consent_messages.seq)",
        )
        .bind(consent_id)
        .execute(&mut *conn)
        .await?;
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

    async fn under(conn: &mut sqlx::AnyConnection, consent: &str) -> Vec<String> {
        let condition = messages_under(conn, Backend::Sqlite).await.unwrap();
        sqlx::query_scalar(&format!("SELECT id FROM messages WHERE {condition} ORDER BY seq"))
            .bind(consent)
            .fetch_all(conn)
            .await
            .unwrap()
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
        catch_up(&mut tx, Backend::Sqlite, 4).await.unwrap();
        let listed: i64 =
            sqlx::query_scalar("SELECT count(*) FROM consent_messages").fetch_one(&mut *tx).await.unwrap();
        assert_eq!(listed, 6, "six waiting, four needed: all listed");
        insert(&mut tx, "b0", "c1").await;
        catch_up(&mut tx, Backend::Sqlite, 4).await.unwrap();
        let listed: i64 =
            sqlx::query_scalar("SELECT count(*) FROM consent_messages").fetch_one(&mut *tx).await.unwrap();
        assert_eq!(listed, 6, "one waiting: not yet");
        assert_eq!(under(&mut tx, "c1").await, ["a0", "a2", "a4", "b0"], "the waiting one is found too");
        assert_eq!(under(&mut tx, "c2").await, ["a1", "a3", "a5"]);

        sqlx::query("DELETE FROM messages WHERE id IN ('a0', 'b0')").execute(&mut *tx).await.unwrap();
        forget_deleted(&mut tx, Backend::Sqlite, "c1").await.unwrap();
        let c1: i64 = sqlx::query_scalar("SELECT count(*) FROM consent_messages WHERE consent_id = 'c1'")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(c1, 2, "the deleted ones are no longer listed");
        assert_eq!(under(&mut tx, "c1").await, ["a2", "a4"]);
        tx.commit().await.unwrap();
    }
}
