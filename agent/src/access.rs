//! The staff-access logs vendors keep of the person's messages: who at the vendor read
//! which message, when and how. Entries are kept exactly as first received and verified
//! and never changed, so a vendor that later serves an entry differently is caught
//! against this copy. Every query of the access_entries table is here; fetching and
//! checking a vendor's chain is [`crate::exchange::access`]'s part.

use parley_protocol::{AccessEntry, AccessVia, MessageType};
use serde::Serialize;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use crate::error::{Error, Result};
use crate::ids::{MessageUuid, VendorId};
use crate::records::now;
use crate::vault::Vault;

/// One read of one of the person's messages, as the vendor reported it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AccessRead {
    /// The vendor whose staff or systems read it.
    pub vendor_id: VendorId,
    /// The vendor's name.
    pub vendor: String,
    /// Its position in the person's chain at that vendor.
    pub seq: i64,
    /// When it was read (the vendor's clock).
    pub at: String,
    /// The person's message that was read.
    pub message: MessageUuid,
    /// What kind of message that is, when it is in the vault.
    pub message_type: Option<MessageType>,
    /// The vendor's pseudonym for the reader (`staff 3`, `token 2`, `webhook 1`, `operator`).
    pub reader: String,
    /// The reader's role at the vendor.
    pub role: String,
    /// How it was read.
    pub via: AccessVia,
    /// The name the vendor gave the token or webhook that read it.
    pub channel: Option<String>,
    /// The entry's hash in the chain.
    pub hash: String,
    /// When the agent received the entry.
    pub received: String,
    /// The read in plain words.
    pub summary: String,
}

/// The plain words for a read: "Your support request was read by staff 3 (agent) in the
/// console".
fn summary(message_type: Option<MessageType>, e: &AccessEntry) -> String {
    let what = match message_type {
        Some(MessageType::SupportRequest) => "Your support request",
        Some(MessageType::Feedback) => "Your feedback",
        Some(MessageType::Intent) => "Your intent to buy",
        Some(MessageType::OfferAcceptance) => "Your acceptance of an offer",
        Some(MessageType::ConsentGrant) => "Your consent",
        Some(MessageType::ConsentRevocation) => "Your revocation",
        _ => "Your message",
    };
    let channel = e.channel.as_deref().map(|c| format!(" “{c}”")).unwrap_or_default();
    match e.via {
        AccessVia::Console => format!("{what} was read by {} ({}) in the console", e.reader, e.role),
        AccessVia::Api => format!("{what} was read by {} ({}) through the API{channel}", e.reader, e.role),
        AccessVia::Webhook => format!("{what} was sent to the vendor's webhook{channel} ({})", e.reader),
        AccessVia::Cli => format!("{what} was listed by the vendor's {} on the command line", e.reader),
    }
}

fn from_row(r: &SqliteRow) -> Result<AccessRead> {
    let text: String = r.get("entry");
    let damaged =
        || Error::Damaged { table: "access_entries".into(), column: "entry".into(), value: text.clone() };
    let entry: AccessEntry = serde_json::from_str(&text).map_err(|_| damaged())?;
    let message_type = r.get::<Option<String>, _>("type").and_then(|t| t.parse().ok());
    Ok(AccessRead {
        vendor_id: r.get("vendor_id"),
        vendor: r.get("vendor_name"),
        seq: r.get("seq"),
        at: r.get("at"),
        message: r.get("message"),
        message_type,
        summary: summary(message_type, &entry),
        reader: entry.reader,
        role: entry.role,
        via: entry.via,
        channel: entry.channel,
        hash: r.get("hash"),
        received: r.get("received"),
    })
}

/// The entries held of a vendor's chain, in order.
pub(crate) async fn held(conn: &mut SqliteConnection, vendor_id: &VendorId) -> Result<Vec<AccessEntry>> {
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT entry FROM access_entries WHERE vendor_id = ? ORDER BY seq")
            .bind(vendor_id)
            .fetch_all(&mut *conn)
            .await?;
    rows.into_iter()
        .map(|text| {
            serde_json::from_str(&text).map_err(|_| Error::Damaged {
                table: "access_entries".into(),
                column: "entry".into(),
                value: text,
            })
        })
        .collect()
}

/// Keeps a verified entry received in the signed `AccessLog` `answer`; one already held
/// stays as it was.
pub(crate) async fn keep_in(
    conn: &mut SqliteConnection,
    vendor_id: &VendorId,
    entry: &AccessEntry,
    answer: &MessageUuid,
) -> Result<bool> {
    let json = serde_json::to_string(entry).map_err(|e| Error::Conflict(format!("an access entry: {e}")))?;
    let inserted = sqlx::query(
        "INSERT INTO access_entries (vendor_id, seq, message, at, entry, hash, answer, received)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (vendor_id, seq) DO NOTHING",
    )
    .bind(vendor_id)
    .bind(entry.seq as i64)
    .bind(MessageUuid::from(&entry.message))
    .bind(entry.at.to_string())
    .bind(json)
    .bind(&entry.hash)
    .bind(answer)
    .bind(now())
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    Ok(inserted)
}

/// One vendor's staff-access log as the agent holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct VendorReads {
    /// The vendor.
    pub vendor_id: VendorId,
    /// Its name.
    pub vendor: String,
    /// When its log was last fetched and checked; `None` before the first sync.
    pub checked: Option<String>,
    /// What was wrong with the log at that check; `None` when it held.
    pub problem: Option<String>,
    /// The reads, newest first.
    pub reads: Vec<AccessRead>,
}

impl Vault {
    /// Per vendor that keeps a staff-access log (or once did), who read the person's
    /// messages and whether the log held when last checked.
    pub async fn access_log(&self, vendor: Option<&str>) -> Result<Vec<VendorReads>> {
        let vendors = match vendor {
            Some(v) => vec![self.vendors().get(v).await?],
            None => self.vendors().list().await?,
        };
        let mut reads = self.access_reads(vendor).await?;
        let mut out = Vec::new();
        for v in vendors {
            let (theirs, rest) = reads.into_iter().partition(|r: &AccessRead| r.vendor_id == v.id);
            reads = rest;
            if v.access_log_url.is_none() && v.access_checked.is_none() && theirs.is_empty() {
                continue;
            }
            out.push(VendorReads {
                vendor_id: v.id,
                vendor: v.name,
                checked: v.access_checked,
                problem: v.access_problem,
                reads: theirs,
            });
        }
        Ok(out)
    }

    /// Who at each vendor read the person's messages, newest first; one vendor's reads
    /// when `vendor` is given.
    pub async fn access_reads(&self, vendor: Option<&str>) -> Result<Vec<AccessRead>> {
        let vendor_id = match vendor {
            Some(v) => Some(self.vendors().get(v).await?.id),
            None => None,
        };
        let rows = sqlx::query(
            "SELECT access_entries.*, vendors.name AS vendor_name, outbox.type AS type
             FROM access_entries JOIN vendors ON vendors.id = access_entries.vendor_id
             LEFT JOIN outbox ON outbox.id = access_entries.message
             WHERE ?1 IS NULL OR access_entries.vendor_id = ?1
             ORDER BY access_entries.at DESC, access_entries.seq DESC",
        )
        .bind(vendor_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(from_row).collect()
    }
}
