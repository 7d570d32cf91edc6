//! The inbox: offers and replies vendors sent to the person, kept exactly as signed,
//! stored only after their proof verified against the vendor's pinned key. Every query
//! of the inbox table is here; pulling is [`crate::exchange::pull`]'s part.

use parley_protocol::{Body, Message, MessageType, Verified};
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use crate::audit::{append_in, Entry};
use crate::error::{Error, Result};
use crate::ids::{ConsentRecordId, MessageUuid, VendorId};
use crate::records::{intents, now, state_enum, stored, support};
use crate::vault::Vault;

state_enum! {
    /// What the person did with a message a vendor sent.
    InboxState {
        /// Received.
        New = "new",
        /// An offer the person took.
        Accepted = "accepted",
    }
}

/// A message a vendor sent to the person.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct InboxMessage {
    /// The message id (its UUID).
    pub id: MessageUuid,
    /// The vendor who sent it.
    pub vendor_id: VendorId,
    /// The vendor's name.
    pub vendor: String,
    /// `Offer` or `Reply`.
    #[serde(rename = "type")]
    pub message_type: MessageType,
    /// The thread: the id of the person's message that started it.
    pub thread: Option<MessageUuid>,
    /// The message it answers.
    pub in_reply_to: Option<MessageUuid>,
    /// For an offer, the intent message it answers.
    pub intent: Option<MessageUuid>,
    /// New, or accepted for an offer the person took.
    pub state: InboxState,
    /// The signed message's body.
    pub body: Value,
    /// The whole signed message.
    pub message: Value,
    /// When the vendor made it.
    pub created: String,
    /// When it arrived here.
    pub received: String,
    /// When the person first saw it; `None` while unread.
    pub read: Option<String>,
    /// The person's record it answers (their feedback, support request or intent), when
    /// it answers one still in the vault.
    pub about: Option<InboxAbout>,
}

/// The record of the person's a vendor's message answers, to show the answer under it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct InboxAbout {
    /// `feedback`, `support` or `intent`.
    pub kind: String,
    /// The record's id.
    pub id: String,
    /// What the person calls it: the product a feedback is about ("your feedback" when
    /// it is about the vendor), a support request's subject, what an intent asks for.
    pub title: String,
}

fn from_row(r: &SqliteRow) -> Result<InboxMessage> {
    let damaged =
        |column: &str, value: String| Error::Damaged { table: "inbox".into(), column: column.into(), value };
    let text: String = r.get("message");
    let message: Value = serde_json::from_str(&text).map_err(|_| damaged("message", text.clone()))?;
    let kind: String = r.get("type");
    Ok(InboxMessage {
        id: r.get("id"),
        vendor_id: r.get("vendor_id"),
        vendor: r.get("vendor_name"),
        message_type: kind.parse().map_err(|_| damaged("type", kind.clone()))?,
        thread: r.get("thread"),
        in_reply_to: r.get("in_reply_to"),
        intent: r.get("intent"),
        state: stored("inbox", "state", r.get::<String, _>("state"))?,
        body: message["body"].clone(),
        message,
        created: r.get("created"),
        received: r.get("received"),
        read: r.get("read"),
        about: match (r.get::<Option<String>, _>("about_kind"), r.get::<Option<String>, _>("about_title")) {
            (Some(kind), Some(title)) => Some(InboxAbout { kind, id: r.get("about_id"), title }),
            _ => None,
        },
    })
}

/// An inbox row with its vendor's name and the person's record it answers: the
/// person's message that started the thread (or, for offers and orders, the intent
/// message) names the record in the outbox.
const SELECT: &str = "SELECT inbox.*, vendors.name AS vendor_name,
        asked.record_kind AS about_kind, asked.record_id AS about_id,
        CASE asked.record_kind
            WHEN 'feedback' THEN (SELECT coalesce(p.name, 'your feedback') FROM feedback f
                                  LEFT JOIN products p ON p.id = f.product_id WHERE f.id = asked.record_id)
            WHEN 'support' THEN (SELECT s.subject FROM support_requests s WHERE s.id = asked.record_id)
            WHEN 'intent' THEN (SELECT i.what FROM intents i WHERE i.id = asked.record_id)
        END AS about_title
    FROM inbox JOIN vendors ON vendors.id = inbox.vendor_id
    LEFT JOIN outbox asked ON asked.id = coalesce(inbox.intent, inbox.thread)";

/// Whether a message with this id was stored already.
pub(crate) async fn holds(conn: &mut SqliteConnection, id: &MessageUuid) -> Result<bool> {
    let known: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM inbox WHERE id = ?").bind(id).fetch_optional(&mut *conn).await?;
    Ok(known.is_some())
}

/// Stores a verified vendor→person message once; returns whether it was new. A reply
/// in a support request's thread means it was answered; an offer for a sent intent
/// means it has offers.
pub(crate) async fn store_in(
    conn: &mut SqliteConnection,
    vendor_id: &VendorId,
    vendor_name: &str,
    m: &Verified<Message>,
) -> Result<bool> {
    let intent = match &m.body {
        Body::Offer(o) => Some(MessageUuid::from(&o.intent)),
        // An order update belongs to the intent its offer answered.
        Body::Order(o) => sqlx::query_scalar("SELECT intent FROM inbox WHERE id = ?")
            .bind(MessageUuid::from(&o.offer))
            .fetch_optional(&mut *conn)
            .await?
            .flatten(),
        _ => None,
    };
    let thread = m.thread.as_ref().map(MessageUuid::from);
    let inserted = sqlx::query(
        "INSERT INTO inbox (id, vendor_id, type, thread, in_reply_to, intent, message, created, received)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
    )
    .bind(MessageUuid::from(&m.id))
    .bind(vendor_id)
    .bind(m.message_type().as_str())
    .bind(&thread)
    .bind(m.in_reply_to.as_ref().map(MessageUuid::from))
    .bind(&intent)
    .bind(m.canonical())
    .bind(m.created.to_string())
    .bind(now())
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if inserted {
        let mut entry = Entry::new("message.received", format!("{} from {}", m.message_type(), vendor_name))
            .vendor(vendor_id)
            .detail(json!({"message": m.id.to_string(), "type": m.message_type().as_str(),
                           "digest": m.digest(), "thread": thread, "body": m.document()["body"]}));
        if let Some(c) = &m.consent {
            entry = entry.consent(&ConsentRecordId::from(c));
        }
        append_in(conn, entry).await?;
        if let Some(thread) = &thread {
            support::reply_arrived_in(conn, thread).await?;
        }
        if let Some(intent) = &intent {
            intents::offer_arrived_in(conn, intent).await?;
        }
    }
    Ok(inserted)
}

/// An offer the vendor made the person, with what the person did with it.
pub(crate) async fn offer_from(
    conn: &mut SqliteConnection,
    vendor_id: &VendorId,
    offer: &MessageUuid,
) -> Result<Option<(InboxState, String)>> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT state, message FROM inbox WHERE id = ? AND vendor_id = ? AND type = 'Offer'")
            .bind(offer)
            .bind(vendor_id)
            .fetch_optional(&mut *conn)
            .await?;
    row.map(|(state, message)| Ok((stored("inbox", "state", state)?, message))).transpose()
}

/// The signed order updates received for an offer, oldest first.
pub(crate) async fn orders_for(conn: &mut SqliteConnection, offer: &MessageUuid) -> Result<Vec<Value>> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT message FROM inbox WHERE type = 'Order' AND json_extract(message, '$.body.offer') = ?
         ORDER BY created, rowid",
    )
    .bind(offer.to_message_id().to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|text| {
            serde_json::from_str(text).map_err(|_| Error::Damaged {
                table: "inbox".into(),
                column: "message".into(),
                value: text.clone(),
            })
        })
        .collect()
}

/// Marks the offer the person took.
pub(crate) async fn accepted_in(conn: &mut SqliteConnection, offer: &MessageUuid) -> Result<()> {
    sqlx::query("UPDATE inbox SET state = 'accepted' WHERE id = ?").bind(offer).execute(&mut *conn).await?;
    Ok(())
}

impl Vault {
    /// Everything vendors sent, grouped by thread (threads ordered by their latest
    /// message, newest first; messages in a thread oldest first).
    pub async fn inbox(&self, vendor: Option<&str>) -> Result<Vec<InboxMessage>> {
        let vendor_id = match vendor {
            Some(v) => Some(self.vendors().get(v).await?.id),
            None => None,
        };
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE ?1 IS NULL OR inbox.vendor_id = ?1
             ORDER BY (SELECT max(i2.created) FROM inbox i2 WHERE coalesce(i2.thread, i2.id) =
                       coalesce(inbox.thread, inbox.id)) DESC, coalesce(inbox.thread, inbox.id), inbox.created"
        ))
        .bind(vendor_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Marks messages as seen by the person (those already seen keep their first time).
    pub async fn mark_read(&self, ids: &[MessageUuid]) -> Result<()> {
        let ids = serde_json::to_string(ids).expect("ids serialize");
        sqlx::query(
            "UPDATE inbox SET read = ? WHERE read IS NULL AND id IN (SELECT value FROM json_each(?))",
        )
        .bind(now())
        .bind(ids)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Messages the person has not seen yet, newest arrival first.
    pub async fn unread(&self) -> Result<Vec<InboxMessage>> {
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE inbox.read IS NULL ORDER BY inbox.received DESC, inbox.rowid DESC"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// One inbox message by id (or a unique prefix).
    pub async fn inbox_message(&self, id: &str) -> Result<InboxMessage> {
        let id: MessageUuid = crate::records::resolve_id(self.pool(), "inbox", "inbox message", id).await?;
        let row =
            sqlx::query(&format!("{SELECT} WHERE inbox.id = ?")).bind(&id).fetch_one(self.pool()).await?;
        from_row(&row)
    }

    /// The offers vendors made for an intent (id or prefix), oldest first.
    pub async fn offers(&self, intent: &str) -> Result<Vec<InboxMessage>> {
        let intent = self.intents().get(intent).await?;
        let sent: Vec<MessageUuid> = self
            .outbox_for(crate::ids::RecordKind::Intent, &(&intent.id).into())
            .await?
            .into_iter()
            .map(|o| o.id)
            .collect();
        let mut offers: Vec<_> = self
            .inbox(None)
            .await?
            .into_iter()
            .filter(|m| {
                m.message_type == MessageType::Offer && m.intent.as_ref().is_some_and(|i| sent.contains(i))
            })
            .collect();
        offers.sort_by(|a, b| a.created.cmp(&b.created));
        Ok(offers)
    }
}
