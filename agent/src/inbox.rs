//! The inbox: offers and replies vendors sent to the person, kept exactly as signed,
//! stored only after their proof verified against the vendor's pinned key. Pulling them
//! is [`crate::sync`]'s part; this module stores and lists them by thread.

use parley_protocol::{Body, Message, Verified};
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use crate::audit::{append_in, Entry};
use crate::error::Result;
use crate::outbox::uuid_of;
use crate::records::now;
use crate::vault::Vault;

/// A message a vendor sent to the person.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct InboxMessage {
    /// The message id (UUID).
    pub id: String,
    /// The vendor who sent it.
    pub vendor_id: String,
    /// The vendor's name.
    pub vendor: String,
    /// `Offer` or `Reply`.
    #[serde(rename = "type")]
    pub message_type: String,
    /// The thread: the id of the person's message that started it.
    pub thread: Option<String>,
    /// The message it answers.
    pub in_reply_to: Option<String>,
    /// For an offer, the intent message it answers.
    pub intent: Option<String>,
    /// `new`, or `accepted` for an offer the person took.
    pub state: String,
    /// The signed message's body.
    pub body: Value,
    /// The whole signed message.
    pub message: Value,
    /// When the vendor made it.
    pub created: String,
    /// When it arrived here.
    pub received: String,
}

pub(crate) fn from_row(r: &SqliteRow) -> InboxMessage {
    let message: String = r.get("message");
    let message: Value = serde_json::from_str(&message).unwrap_or(Value::Null);
    InboxMessage {
        id: r.get("id"),
        vendor_id: r.get("vendor_id"),
        vendor: r.get("vendor_name"),
        message_type: r.get("type"),
        thread: r.get("thread"),
        in_reply_to: r.get("in_reply_to"),
        intent: r.get("intent"),
        state: r.get("state"),
        body: message["body"].clone(),
        message,
        created: r.get("created"),
        received: r.get("received"),
    }
}

const SELECT: &str =
    "SELECT inbox.*, vendors.name AS vendor_name FROM inbox JOIN vendors ON vendors.id = inbox.vendor_id";

/// Stores a verified vendor→person message once; returns whether it was new.
pub(crate) async fn store_in(
    conn: &mut SqliteConnection,
    vendor_id: &str,
    vendor_name: &str,
    m: &Verified<Message>,
) -> Result<bool> {
    let intent = match &m.body {
        Body::Offer(o) => Some(uuid_of(&o.intent.to_string())),
        _ => None,
    };
    let id = uuid_of(&m.id.to_string());
    let thread = m.thread.map(|t| uuid_of(&t.to_string()));
    let inserted = sqlx::query(
        "INSERT INTO inbox (id, vendor_id, type, thread, in_reply_to, intent, message, created, received)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&id)
    .bind(vendor_id)
    .bind(m.message_type().as_str())
    .bind(&thread)
    .bind(m.in_reply_to.map(|t| uuid_of(&t.to_string())))
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
        if let Some(c) = m.consent {
            entry = entry.consent(&uuid_of(&c.to_string()));
        }
        append_in(conn, entry).await?;
        // A reply in a support request's thread means the request was answered; an
        // offer for an intent moves it to "offers". Both only from the state "sent".
        let advances = [
            (
                "UPDATE support_requests SET state = 'answered', updated = ?1 WHERE state = 'sent' AND id = \
              (SELECT record_id FROM outbox WHERE id = ?2 AND record_kind = 'support')",
                &thread,
            ),
            (
                "UPDATE intents SET state = 'offers', updated = ?1 WHERE state = 'sent' AND id = \
              (SELECT record_id FROM outbox WHERE id = ?2 AND record_kind = 'intent')",
                &intent,
            ),
        ];
        for (sql, message) in advances {
            if let Some(message) = message {
                sqlx::query(sql).bind(now()).bind(message).execute(&mut *conn).await?;
            }
        }
    }
    Ok(inserted)
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
        Ok(rows.iter().map(from_row).collect())
    }

    /// One inbox message by id (or a unique prefix).
    pub async fn inbox_message(&self, id: &str) -> Result<InboxMessage> {
        let id = crate::records::resolve_id(self.pool(), "inbox", "inbox message", id).await?;
        let row =
            sqlx::query(&format!("{SELECT} WHERE inbox.id = ?")).bind(&id).fetch_one(self.pool()).await?;
        Ok(from_row(&row))
    }
}
