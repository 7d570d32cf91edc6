//! The outbox: signed messages waiting to leave, and those that left with the vendor's
//! signed receipt.
//!
//! A message enters the outbox in the same transaction that records the decision to send
//! it (a feedback marked sent, a consent proffered), so a crash can never leave one
//! without the other. It leaves the `queued` state only when the vendor's receipt has
//! been verified and stored (`delivered`), when the vendor refuses it for good
//! (`rejected`, with the vendor's reason), or when the person revokes the consent it
//! relied on before it left (`cancelled`). Redelivery after a crash sends the same bytes
//! under the same id, which the vendor answers with the original receipt. The network
//! side is [`crate::sync`].

use parley_protocol::{Did, Message, Verified};
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use crate::audit::{append_in, Entry};
use crate::error::{Error, Result};
use crate::identity::Identity;
use crate::records::{now, state_enum, stored_state};
use crate::vault::Vault;

state_enum! {
    /// Where an outgoing message is.
    OutboxState {
        /// Waiting for delivery (again, after a failure).
        Queued = "queued",
        /// The vendor's verified receipt is stored.
        Delivered = "delivered",
        /// The vendor refused it for good; `lastError` says why.
        Rejected = "rejected",
        /// Not sent: the consent it relied on was revoked first.
        Cancelled = "cancelled",
    }
}

impl Default for OutboxState {
    fn default() -> Self {
        Self::Queued
    }
}

/// An outgoing message.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct OutboxItem {
    /// The message id (UUID).
    pub id: String,
    /// The vendor it goes to.
    pub vendor_id: String,
    /// The vendor's name.
    pub vendor: String,
    /// The consent it relies on.
    pub consent_id: Option<String>,
    /// Its message type.
    #[serde(rename = "type")]
    pub message_type: String,
    /// What record it comes from (`feedback`, `support`, `intent`, `consent`, `offer`).
    pub record_kind: Option<String>,
    /// That record's id.
    pub record_id: Option<String>,
    /// Where it is.
    pub state: OutboxState,
    /// Delivery attempts that failed.
    pub attempts: i64,
    /// When the next attempt is due.
    pub next_attempt: String,
    /// Why the last attempt failed, or why the vendor refused it.
    pub last_error: Option<String>,
    /// `sha256:` digest of the exact bytes sent.
    pub digest: String,
    /// The signed message, as sent.
    pub message: Value,
    /// The vendor's signed receipt, once delivered.
    pub receipt: Option<Value>,
    /// When it was queued.
    pub created: String,
    /// When it was delivered.
    pub delivered: Option<String>,
}

pub(crate) fn from_row(r: &SqliteRow) -> OutboxItem {
    let message: String = r.get("message");
    let receipt: Option<String> = r.get("receipt");
    OutboxItem {
        id: r.get("id"),
        vendor_id: r.get("vendor_id"),
        vendor: r.get("vendor_name"),
        consent_id: r.get("consent_id"),
        message_type: r.get("type"),
        record_kind: r.get("record_kind"),
        record_id: r.get("record_id"),
        state: stored_state(r.get("state")),
        attempts: r.get("attempts"),
        next_attempt: r.get("next_attempt"),
        last_error: r.get("last_error"),
        digest: r.get("digest"),
        message: serde_json::from_str(&message).unwrap_or(Value::Null),
        receipt: receipt.and_then(|r| serde_json::from_str(&r).ok()),
        created: r.get("created"),
        delivered: r.get("delivered"),
    }
}

pub(crate) const SELECT: &str =
    "SELECT outbox.*, vendors.name AS vendor_name FROM outbox JOIN vendors ON vendors.id = outbox.vendor_id";

/// A signed message ready to be queued, with the record it comes from.
pub(crate) struct Outgoing {
    pub vendor_id: String,
    pub vendor_name: String,
    pub signed: Verified<Message>,
    pub record_kind: &'static str,
    pub record_id: String,
}

impl Outgoing {
    pub(crate) fn uuid(&self) -> String {
        uuid_of(&self.signed.id.to_string())
    }
}

/// The bare UUID of a `urn:uuid:` id.
pub(crate) fn uuid_of(urn: &str) -> String {
    urn.strip_prefix("urn:uuid:").unwrap_or(urn).to_owned()
}

/// Queues a signed message inside the caller's transaction, with its audit entry.
pub(crate) async fn enqueue_in(conn: &mut SqliteConnection, out: &Outgoing) -> Result<()> {
    let m = &out.signed;
    let stamp = now();
    // A grant is the consent: it is filed under its own id.
    let consent = match m.body {
        parley_protocol::Body::ConsentGrant(_) => Some(uuid_of(&m.id.to_string())),
        _ => m.consent.map(|c| uuid_of(&c.to_string())),
    };
    sqlx::query(
        "INSERT INTO outbox (id, vendor_id, consent_id, type, record_kind, record_id, message, digest, state,
         next_attempt, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)",
    )
    .bind(out.uuid())
    .bind(&out.vendor_id)
    .bind(&consent)
    .bind(m.message_type().as_str())
    .bind(out.record_kind)
    .bind(&out.record_id)
    .bind(m.canonical())
    .bind(m.digest())
    .bind(&stamp)
    .bind(&stamp)
    .execute(&mut *conn)
    .await?;
    let mut entry = Entry::new(
        "message.queued",
        format!("{} to {} signed and queued", m.message_type(), out.vendor_name),
    )
    .vendor(&out.vendor_id)
    .detail(json!({"message": m.id.to_string(), "type": m.message_type().as_str(), "digest": m.digest(),
                   "from": m.from.as_str(), "shared": m.document()["body"]}));
    if let Some(c) = &consent {
        entry = entry.consent(c);
    }
    append_in(conn, entry).await?;
    Ok(())
}

/// Re-addresses the vendor's queued messages to its new DID and signs them again (same
/// ids, so a message the vendor already holds is never duplicated). Returns how many.
pub(crate) async fn readdress_queued(
    conn: &mut SqliteConnection,
    identity: &Identity,
    vendor_id: &str,
    new_did: &Did,
) -> Result<usize> {
    let salt: Option<String> =
        sqlx::query_scalar("SELECT coalesce(pairwise_salt, did) FROM vendors WHERE id = ?")
            .bind(vendor_id)
            .fetch_one(&mut *conn)
            .await?;
    let Some(salt) = salt.and_then(|s| s.parse::<Did>().ok()) else { return Ok(0) };
    let key = identity.pairwise_key(&salt);
    let queued: Vec<(String, String)> =
        sqlx::query_as("SELECT id, message FROM outbox WHERE vendor_id = ? AND state = 'queued'")
            .bind(vendor_id)
            .fetch_all(&mut *conn)
            .await?;
    for (id, stored) in &queued {
        let value: Value = serde_json::from_str(stored).unwrap_or(Value::Null);
        let mut message = Message::from_value(&value)
            .map_err(|e| Error::Conflict(format!("queued message {id} cannot be read back: {e}")))?;
        message.to = new_did.clone();
        let signed = message
            .sign(&key)
            .map_err(|e| Error::Conflict(format!("queued message {id} cannot be signed again: {e}")))?;
        sqlx::query("UPDATE outbox SET message = ?, digest = ?, next_attempt = ? WHERE id = ?")
            .bind(signed.canonical())
            .bind(signed.digest())
            .bind(now())
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(queued.len())
}

/// Which outgoing messages to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OutboxFilter {
    /// Queued ones only: what waits, and why.
    #[default]
    Waiting,
    /// Everything, newest first.
    All,
}

impl Vault {
    /// Outgoing messages: those waiting (oldest first), or all (newest first).
    pub async fn outbox(&self, filter: OutboxFilter) -> Result<Vec<OutboxItem>> {
        let sql = match filter {
            OutboxFilter::Waiting => {
                format!("{SELECT} WHERE outbox.state = 'queued' ORDER BY outbox.created, outbox.id")
            }
            OutboxFilter::All => format!("{SELECT} ORDER BY outbox.created DESC, outbox.id DESC"),
        };
        let rows = sqlx::query(&sql).fetch_all(self.pool()).await?;
        Ok(rows.iter().map(from_row).collect())
    }

    /// Outgoing messages made from one record (a feedback, an intent, …), oldest first.
    pub async fn outbox_for(&self, kind: &str, record_id: &str) -> Result<Vec<OutboxItem>> {
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE outbox.record_kind = ? AND outbox.record_id = ? ORDER BY outbox.created, outbox.id"
        ))
        .bind(kind)
        .bind(record_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(from_row).collect())
    }
}

/// What was shared with one vendor, consent by consent.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SharedWithVendor {
    /// The vendor's name.
    pub vendor: String,
    /// The vendor's id.
    pub vendor_id: String,
    /// Each consent with what left under it.
    pub consents: Vec<SharedUnderConsent>,
    /// Messages that rely on no consent (consent grants themselves).
    pub without_consent: Vec<OutboxItem>,
}

/// The messages that left, or wait to leave, under one consent.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SharedUnderConsent {
    /// The consent.
    pub consent: crate::records::consents::Consent,
    /// Its messages, oldest first.
    pub messages: Vec<OutboxItem>,
}

impl Vault {
    /// Per vendor, per consent: every message that left or waits to leave, with receipts.
    pub async fn shared(&self, vendor: Option<&str>) -> Result<Vec<SharedWithVendor>> {
        let vendors = match vendor {
            Some(v) => vec![self.vendors().get(v).await?],
            None => self.vendors().list().await?,
        };
        let mut all = self.outbox(OutboxFilter::All).await?;
        all.reverse();
        let mut out = Vec::new();
        for v in vendors {
            let mine: Vec<OutboxItem> = all.iter().filter(|o| o.vendor_id == v.id).cloned().collect();
            let consents = self.consents().list(Some(&v.id)).await?;
            if mine.is_empty() && consents.is_empty() {
                continue;
            }
            let without_consent = mine.iter().filter(|o| o.consent_id.is_none()).cloned().collect();
            let consents = consents
                .into_iter()
                .map(|c| SharedUnderConsent {
                    messages: mine
                        .iter()
                        .filter(|o| o.consent_id.as_deref() == Some(&c.id))
                        .cloned()
                        .collect(),
                    consent: c,
                })
                .collect();
            out.push(SharedWithVendor { vendor: v.name, vendor_id: v.id, consents, without_consent });
        }
        Ok(out)
    }
}
