//! The outbox: signed messages waiting to leave, and those that left with the vendor's
//! signed receipt. Every query of the outbox table is here.
//!
//! A message enters the outbox in the same transaction that records the decision to send
//! it (a feedback marked sent, a consent proffered), so a crash can never leave one
//! without the other. It leaves the `queued` state only when the vendor's receipt has
//! been verified and stored (`delivered`), when the vendor refuses it for good
//! (`rejected`, with the vendor's reason), or when the person revokes the consent it
//! relied on, or withdraws the intent it carries, before it left (`cancelled`).
//! Redelivery after a crash sends the same bytes under the same id, which the vendor
//! answers with the original receipt. Delivering is [`crate::exchange::delivery`]'s part.

use parley_protocol::time::{Duration, OffsetDateTime};
use parley_protocol::{Did, Message, MessageType, SecretKey, Timestamp, Verified};
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection, SqlitePool};

use crate::audit::{append_in, Entry};
use crate::error::{Error, Result};
use crate::ids::{ConsentRecordId, IntentId, MessageUuid, RecordId, RecordKind, VendorId};
use crate::records::{now, state_enum, stored};
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
        /// Not sent: the consent it relied on was revoked (or its intent withdrawn) first.
        Cancelled = "cancelled",
    }
}

/// An outgoing message.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct OutboxItem {
    /// The message id (its UUID).
    pub id: MessageUuid,
    /// The vendor it goes to.
    pub vendor_id: VendorId,
    /// The vendor's name.
    pub vendor: String,
    /// The consent it relies on (a grant: its own).
    pub consent_id: Option<ConsentRecordId>,
    /// Its message type.
    #[serde(rename = "type")]
    pub message_type: MessageType,
    /// What kind of record it comes from.
    pub record_kind: Option<RecordKind>,
    /// That record's id.
    pub record_id: Option<RecordId>,
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

fn from_row(r: &SqliteRow) -> Result<OutboxItem> {
    let damaged =
        |column: &str, value: String| Error::Damaged { table: "outbox".into(), column: column.into(), value };
    let message: String = r.get("message");
    let receipt: Option<String> = r.get("receipt");
    let kind: String = r.get("type");
    Ok(OutboxItem {
        id: r.get("id"),
        vendor_id: r.get("vendor_id"),
        vendor: r.get("vendor_name"),
        consent_id: r.get("consent_id"),
        message_type: kind.parse().map_err(|_| damaged("type", kind.clone()))?,
        record_kind: r
            .get::<Option<String>, _>("record_kind")
            .map(|k| k.parse().map_err(|_| damaged("record_kind", k.clone())))
            .transpose()?,
        record_id: r.get("record_id"),
        state: stored("outbox", "state", r.get::<String, _>("state"))?,
        attempts: r.get("attempts"),
        next_attempt: r.get("next_attempt"),
        last_error: r.get("last_error"),
        digest: r.get("digest"),
        message: serde_json::from_str(&message).map_err(|_| damaged("message", message.clone()))?,
        receipt: receipt
            .map(|t| serde_json::from_str(&t).map_err(|_| damaged("receipt", t.clone())))
            .transpose()?,
        created: r.get("created"),
        delivered: r.get("delivered"),
    })
}

const SELECT: &str =
    "SELECT outbox.*, vendors.name AS vendor_name FROM outbox JOIN vendors ON vendors.id = outbox.vendor_id";

/// A signed message ready to be queued, with the record it comes from.
pub(crate) struct Outgoing {
    pub vendor_id: VendorId,
    pub vendor_name: String,
    pub signed: Verified<Message>,
    pub record_kind: RecordKind,
    pub record_id: RecordId,
}

impl Outgoing {
    pub(crate) fn uuid(&self) -> MessageUuid {
        MessageUuid::from(&self.signed.id)
    }

    /// The consent it is filed under: a grant is the consent, filed under its own id.
    fn consent(&self) -> Option<ConsentRecordId> {
        match self.signed.body {
            parley_protocol::Body::ConsentGrant(_) => Some(ConsentRecordId::from(&self.signed.id.into())),
            _ => self.signed.consent.as_ref().map(ConsentRecordId::from),
        }
    }
}

/// Queues a signed message inside the caller's transaction, with its audit entry.
pub(crate) async fn enqueue_in(conn: &mut SqliteConnection, out: &Outgoing) -> Result<()> {
    let m = &out.signed;
    let stamp = now();
    let consent = out.consent();
    sqlx::query(
        "INSERT INTO outbox (id, vendor_id, consent_id, type, record_kind, record_id, message, digest, state,
         next_attempt, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)",
    )
    .bind(out.uuid())
    .bind(&out.vendor_id)
    .bind(&consent)
    .bind(m.message_type().as_str())
    .bind(out.record_kind.as_str())
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

/// Delay before attempt `attempts + 1`: 30 s doubling to at most 6 h.
fn backoff(attempts: i64) -> Duration {
    let exp = attempts.clamp(1, 20) - 1;
    Duration::seconds((30i64 << exp).min(6 * 3600))
}

/// The vendor's queued messages due now (all of them when `ignore_backoff`), oldest
/// first, with the exact bytes signed and digested.
pub(crate) async fn due(
    pool: &SqlitePool,
    vendor_id: &VendorId,
    ignore_backoff: bool,
) -> Result<Vec<(OutboxItem, String)>> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE outbox.vendor_id = ? AND outbox.state = 'queued' AND (? OR outbox.next_attempt <= ?)
         ORDER BY outbox.created, outbox.id"
    ))
    .bind(vendor_id)
    .bind(ignore_backoff)
    .bind(now())
    .fetch_all(pool)
    .await?;
    rows.iter().map(|r| Ok((from_row(r)?, r.get::<String, _>("message")))).collect()
}

/// Keeps a message queued: with backoff when the failure may pass (`counts`), and
/// always with the reason, for the person to see what waits and why.
pub(crate) async fn retry_later(
    pool: &SqlitePool,
    item: &OutboxItem,
    reason: &str,
    counts: bool,
) -> Result<()> {
    let attempts = item.attempts + i64::from(counts);
    let next = OffsetDateTime::now_utc() + if counts { backoff(attempts) } else { Duration::ZERO };
    sqlx::query(
        "UPDATE outbox SET attempts = ?, next_attempt = ?, last_error = ? WHERE id = ? AND state = 'queued'",
    )
    .bind(attempts)
    .bind(Timestamp::from(next).to_string())
    .bind(reason)
    .bind(&item.id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Marks a message refused for good, with the vendor's reason.
pub(crate) async fn reject_in(conn: &mut SqliteConnection, id: &MessageUuid, reason: &str) -> Result<()> {
    sqlx::query("UPDATE outbox SET state = 'rejected', last_error = ? WHERE id = ?")
        .bind(reason)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Marks a queued message delivered with its verified receipt; `false` when it had
/// already left the queue (another sync got there first).
pub(crate) async fn delivered_in(
    conn: &mut SqliteConnection,
    id: &MessageUuid,
    receipt: &str,
) -> Result<bool> {
    let updated = sqlx::query(
        "UPDATE outbox SET state = 'delivered', receipt = ?, delivered = ?, last_error = NULL
         WHERE id = ? AND state = 'queued'",
    )
    .bind(receipt)
    .bind(now())
    .bind(id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// Cancels what is still queued under a revoked consent, the revocation itself apart.
pub(crate) async fn cancel_under_consent_in(
    conn: &mut SqliteConnection,
    consent: &ConsentRecordId,
) -> Result<()> {
    sqlx::query(
        "UPDATE outbox SET state = 'cancelled', last_error = 'the consent it relied on was revoked before it left'
         WHERE consent_id = ? AND state = 'queued' AND type <> 'ConsentRevocation'",
    )
    .bind(consent)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Cancels a copy of a withdrawn intent that has not left yet.
pub(crate) async fn cancel_withdrawn_in(conn: &mut SqliteConnection, id: &MessageUuid) -> Result<()> {
    sqlx::query(
        "UPDATE outbox SET state = 'cancelled', last_error = 'the intent was withdrawn before it left'
         WHERE id = ? AND state = 'queued'",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Whether the intent was ever queued for the vendor, read in the caller's transaction
/// (so two casts at once cannot both reach it).
pub(crate) async fn intent_sent_to_in(
    conn: &mut SqliteConnection,
    intent: &IntentId,
    vendor: &VendorId,
) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM outbox WHERE record_kind = 'intent' AND record_id = ? AND vendor_id = ? AND type = 'Intent'",
    )
    .bind(intent.as_str())
    .bind(vendor)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.is_some())
}

/// The person's signed acceptance of an offer, as it left.
pub(crate) async fn acceptance_of(conn: &mut SqliteConnection, offer: &MessageUuid) -> Result<Option<Value>> {
    let text: Option<String> = sqlx::query_scalar(
        "SELECT message FROM outbox WHERE type = 'OfferAcceptance' AND json_extract(message, '$.body.offer') = ?",
    )
    .bind(offer.to_message_id().to_string())
    .fetch_optional(&mut *conn)
    .await?;
    text.map(|t| {
        serde_json::from_str(&t).map_err(|_| Error::Damaged {
            table: "outbox".into(),
            column: "message".into(),
            value: t,
        })
    })
    .transpose()
}

/// Whether the message left (or waits to leave) for the vendor: only those can be in its
/// staff-access log.
pub(crate) async fn was_sent_to(
    conn: &mut SqliteConnection,
    id: &MessageUuid,
    vendor: &VendorId,
) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM outbox WHERE id = ? AND vendor_id = ?")
        .bind(id)
        .bind(vendor)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(found.is_some())
}

/// Re-addresses the vendor's queued messages to its new DID and signs them again with
/// `key` (same ids, so a message the vendor already holds is never duplicated). Returns
/// how many.
pub(crate) async fn readdress_queued_in(
    conn: &mut SqliteConnection,
    key: &SecretKey,
    vendor_id: &VendorId,
    new_did: &Did,
) -> Result<usize> {
    let queued: Vec<(MessageUuid, String)> =
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
            .sign(key)
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
        rows.iter().map(from_row).collect()
    }

    /// How many messages wait in the outbox.
    pub async fn waiting(&self) -> Result<usize> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE state = 'queued'")
            .fetch_one(self.pool())
            .await?;
        Ok(n as usize)
    }

    /// One outgoing message.
    pub async fn outbox_item(&self, id: &MessageUuid) -> Result<OutboxItem> {
        let row = sqlx::query(&format!("{SELECT} WHERE outbox.id = ?"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        match row {
            Some(row) => from_row(&row),
            None => Err(Error::NotFound { kind: "outgoing message", id: id.to_string() }),
        }
    }

    /// Outgoing messages made from one record (a feedback, an intent, …), oldest first.
    pub async fn outbox_for(&self, kind: RecordKind, record: &RecordId) -> Result<Vec<OutboxItem>> {
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE outbox.record_kind = ? AND outbox.record_id = ? ORDER BY outbox.created, outbox.id"
        ))
        .bind(kind.as_str())
        .bind(record)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(from_row).collect()
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
    pub vendor_id: VendorId,
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
            let consents = self.consents().of_vendor(&v.id).await?;
            if mine.is_empty() && consents.is_empty() {
                continue;
            }
            let without_consent = mine.iter().filter(|o| o.consent_id.is_none()).cloned().collect();
            let consents = consents
                .into_iter()
                .map(|c| SharedUnderConsent {
                    messages: mine.iter().filter(|o| o.consent_id.as_ref() == Some(&c.id)).cloned().collect(),
                    consent: c,
                })
                .collect();
            out.push(SharedWithVendor { vendor: v.name, vendor_id: v.id, consents, without_consent });
        }
        Ok(out)
    }
}
