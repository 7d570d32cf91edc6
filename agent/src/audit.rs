//! The audit log: "what I shared, with whom, under which consent", append-only and
//! hash-chained so that any edited, removed or reordered entry is detected.
//!
//! Each entry's hash is SHA-256 over the previous hash and the RFC 8785 canonical form of
//! the entry. The newest sequence number and hash are also kept in `meta`, written in the
//! same transaction, so cutting entries off the end is detected too. Triggers refuse
//! UPDATE and DELETE on the table; the chain catches what gets past them.

use parley_protocol::jcs;
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::{Row, SqliteConnection, SqlitePool};

use crate::error::Result;
use crate::ids::{ConsentRecordId, VendorId};
use crate::vault::Vault;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A new entry, before it is chained.
#[derive(Debug, Clone)]
pub struct Entry {
    action: String,
    vendor_id: Option<VendorId>,
    consent_id: Option<ConsentRecordId>,
    summary: String,
    detail: Value,
}

impl Entry {
    /// An entry with an action name (`consent.created`) and a one-line summary.
    pub fn new(action: &str, summary: impl Into<String>) -> Self {
        Self {
            action: action.into(),
            vendor_id: None,
            consent_id: None,
            summary: summary.into(),
            detail: json!({}),
        }
    }
    /// The vendor it concerns.
    pub fn vendor(mut self, id: &VendorId) -> Self {
        self.vendor_id = Some(id.clone());
        self
    }
    /// The consent it concerns.
    pub fn consent(mut self, id: &ConsentRecordId) -> Self {
        self.consent_id = Some(id.clone());
        self
    }
    /// Structured detail (what exactly was shared or changed).
    pub fn detail(mut self, detail: Value) -> Self {
        self.detail = detail;
        self
    }
}

/// An entry as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// Position in the log, from 1.
    pub seq: i64,
    /// When.
    pub at: String,
    /// What kind of event (`consent.created`, `message.sent`, …).
    pub action: String,
    /// The vendor concerned, if any.
    pub vendor_id: Option<VendorId>,
    /// The consent concerned, if any.
    pub consent_id: Option<ConsentRecordId>,
    /// One line for people.
    pub summary: String,
    /// Structured detail.
    pub detail: Value,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

/// The result of checking the chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AuditReport {
    /// Entries checked.
    pub entries: i64,
    /// What is wrong, in order found; empty when the log is intact.
    pub problems: Vec<String>,
}

impl AuditReport {
    /// True when no problem was found.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

fn entry_hash(prev: &str, seq: i64, at: &str, e: &Entry) -> String {
    let body = json!({
        "seq": seq, "at": at, "action": e.action, "vendorId": e.vendor_id,
        "consentId": e.consent_id, "summary": e.summary, "detail": e.detail,
    });
    let mut bytes = prev.as_bytes().to_vec();
    bytes.extend_from_slice(jcs::canonicalize(&body).as_bytes());
    hex::encode(ring::digest::digest(&ring::digest::SHA256, &bytes).as_ref())
}

/// Appends `entry` inside the caller's transaction, so the change it records and the
/// record of it commit together or not at all.
pub(crate) async fn append_in(conn: &mut SqliteConnection, entry: Entry) -> Result<i64> {
    let last: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    let (prev_seq, prev_hash) = last.unwrap_or((0, GENESIS.to_owned()));
    let seq = prev_seq + 1;
    let at = crate::clock::now();
    let hash = entry_hash(&prev_hash, seq, &at, &entry);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, action, vendor_id, consent_id, summary, detail, prev_hash, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(seq)
    .bind(&at)
    .bind(&entry.action)
    .bind(&entry.vendor_id)
    .bind(&entry.consent_id)
    .bind(&entry.summary)
    .bind(entry.detail.to_string())
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    sqlx::query("INSERT INTO meta (key, value) VALUES ('audit_head', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(format!("{seq}:{hash}"))
        .execute(&mut *conn)
        .await?;
    Ok(seq)
}

/// Appends `entry` in a transaction of its own.
pub(crate) async fn append(pool: &SqlitePool, entry: Entry) -> Result<()> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    append_in(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(())
}

fn row_to_entry(r: &sqlx::sqlite::SqliteRow) -> AuditEntry {
    let detail: String = r.get("detail");
    AuditEntry {
        seq: r.get("seq"),
        at: r.get("at"),
        action: r.get("action"),
        vendor_id: r.get("vendor_id"),
        consent_id: r.get("consent_id"),
        summary: r.get("summary"),
        detail: serde_json::from_str(&detail).unwrap_or(Value::String(detail)),
        prev_hash: r.get("prev_hash"),
        hash: r.get("hash"),
    }
}

impl Vault {
    /// The audit log, oldest first, optionally only what concerns one vendor (id, prefix
    /// or name).
    pub async fn audit_log(&self, vendor: Option<&str>) -> Result<Vec<AuditEntry>> {
        let vendor_id = match vendor {
            Some(v) => Some(self.vendors().get(v).await?.id),
            None => None,
        };
        let rows = sqlx::query("SELECT * FROM audit_log WHERE ?1 IS NULL OR vendor_id = ?1 ORDER BY seq")
            .bind(vendor_id)
            .fetch_all(self.pool())
            .await
            .map_err(|e| self.classify(e))?;
        Ok(rows.iter().map(row_to_entry).collect())
    }

    /// Recomputes the whole chain and compares it with the stored head.
    pub async fn verify_audit_log(&self) -> Result<AuditReport> {
        let rows = sqlx::query("SELECT * FROM audit_log ORDER BY rowid").fetch_all(self.pool()).await?;
        let mut problems = Vec::new();
        let mut prev = GENESIS.to_owned();
        let mut expected_seq = 1;
        for r in &rows {
            let e = row_to_entry(r);
            if e.seq != expected_seq {
                problems.push(format!(
                    "entry {} found where entry {expected_seq} belongs (removed or reordered)",
                    e.seq
                ));
            }
            if e.prev_hash != prev {
                problems.push(format!("entry {} does not follow the entry before it", e.seq));
            }
            let entry = Entry {
                action: e.action.clone(),
                vendor_id: e.vendor_id.clone(),
                consent_id: e.consent_id.clone(),
                summary: e.summary.clone(),
                detail: e.detail.clone(),
            };
            if entry_hash(&e.prev_hash, e.seq, &e.at, &entry) != e.hash {
                problems.push(format!("entry {} was altered", e.seq));
            }
            prev = e.hash;
            expected_seq = e.seq + 1;
        }
        let head: Option<(String,)> = sqlx::query_as("SELECT value FROM meta WHERE key = 'audit_head'")
            .fetch_optional(self.pool())
            .await?;
        let last = rows.last().map(|r| format!("{}:{}", r.get::<i64, _>("seq"), r.get::<String, _>("hash")));
        if head.map(|h| h.0) != last {
            problems.push("the newest entries are missing (the log was cut short)".into());
        }
        Ok(AuditReport { entries: rows.len() as i64, problems })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::{KdfParams, Passphrase};

    async fn vault_with_entries(n: usize) -> (tempfile::TempDir, Vault) {
        let dir = tempfile::tempdir().unwrap();
        let pass = Passphrase::new("p").unwrap();
        let vault = Vault::create(dir.path(), &pass, KdfParams::INSECURE_FOR_TESTS).await.unwrap();
        for i in 0..n {
            append(vault.pool(), Entry::new("test.entry", format!("entry {i}")).detail(json!({"i": i})))
                .await
                .unwrap();
        }
        (dir, vault)
    }

    /// Runs raw SQL past the append-only triggers, as an attacker with the key could.
    async fn tamper(vault: &Vault, sql: &str) {
        let mut tx = vault.pool().begin().await.unwrap();
        sqlx::query("DROP TRIGGER IF EXISTS audit_log_no_update").execute(&mut *tx).await.unwrap();
        sqlx::query("DROP TRIGGER IF EXISTS audit_log_no_delete").execute(&mut *tx).await.unwrap();
        sqlx::query(sql).execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
    }

    #[tokio::test]
    async fn intact_log_verifies() {
        let (_d, vault) = vault_with_entries(5).await;
        let report = vault.verify_audit_log().await.unwrap();
        assert!(report.is_intact(), "{:?}", report.problems);
        assert_eq!(report.entries, 6, "five entries plus vault.created");
    }

    #[tokio::test]
    async fn triggers_refuse_edits_and_deletes() {
        let (_d, vault) = vault_with_entries(1).await;
        assert!(sqlx::query("UPDATE audit_log SET summary = 'x'").execute(vault.pool()).await.is_err());
        assert!(sqlx::query("DELETE FROM audit_log").execute(vault.pool()).await.is_err());
    }

    #[tokio::test]
    async fn edited_entry_is_detected() {
        let (_d, vault) = vault_with_entries(5).await;
        tamper(&vault, "UPDATE audit_log SET summary = 'nothing to see' WHERE seq = 3").await;
        let report = vault.verify_audit_log().await.unwrap();
        assert_eq!(report.problems, vec!["entry 3 was altered".to_string()]);
    }

    #[tokio::test]
    async fn removed_entry_is_detected() {
        let (_d, vault) = vault_with_entries(5).await;
        tamper(&vault, "DELETE FROM audit_log WHERE seq = 3").await;
        let report = vault.verify_audit_log().await.unwrap();
        assert!(!report.is_intact());
        assert!(report.problems.iter().any(|p| p.contains("removed or reordered")), "{:?}", report.problems);
    }

    #[tokio::test]
    async fn cut_off_tail_is_detected() {
        let (_d, vault) = vault_with_entries(5).await;
        tamper(&vault, "DELETE FROM audit_log WHERE seq = 6").await;
        let report = vault.verify_audit_log().await.unwrap();
        assert!(report.problems.iter().any(|p| p.contains("cut short")), "{:?}", report.problems);
    }

    #[tokio::test]
    async fn reordered_entries_are_detected() {
        let (_d, vault) = vault_with_entries(5).await;
        // Swap the content of entries 2 and 3, hashes and all.
        tamper(
            &vault,
            "UPDATE audit_log SET seq = CASE seq WHEN 2 THEN 1000 WHEN 3 THEN 2 END WHERE seq IN (2, 3);",
        )
        .await;
        tamper(&vault, "UPDATE audit_log SET seq = 3 WHERE seq = 1000").await;
        let report = vault.verify_audit_log().await.unwrap();
        assert!(!report.is_intact(), "swapping two entries breaks the chain");
    }
}
