//! Support requests: help the person needs with something they own. Every query of the
//! support_requests table is here, the moves sending and a vendor's reply make included.

use serde::{Deserialize, Serialize};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::feedback::not_found_as_field;
use super::{check_text, now, resolve_id, state_enum, stored, MAX_SHORT, MAX_TEXT};
use crate::error::{Error, Result};
use crate::ids::{MessageUuid, ProductId, SupportId};
use crate::vault::Vault;
use parley_protocol::SupportKind;

state_enum! {
    /// Where a support request is.
    SupportState {
        /// Written, not sent.
        Draft = "draft",
        /// Sent, waiting for an answer.
        Sent = "sent",
        /// The vendor replied.
        Answered = "answered",
        /// Resolved, by the person's word.
        Closed = "closed",
    }
}

/// A support request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SupportRequest {
    /// Record id.
    pub id: SupportId,
    /// The product it is about.
    pub product_id: ProductId,
    /// A question, a warranty claim or a return request (these two cite the product's
    /// proof of purchase).
    pub kind: SupportKind,
    /// One line.
    pub subject: String,
    /// The problem.
    pub text: String,
    /// Where it is.
    pub state: SupportState,
    /// When it was added.
    pub created: String,
    /// When it last changed.
    pub updated: String,
}

/// Fields to set; adding needs all of product, subject and text.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SupportFields {
    /// The product (id or prefix).
    pub product: Option<String>,
    /// What it asks for; a question when absent.
    pub kind: Option<SupportKind>,
    /// Subject.
    pub subject: Option<String>,
    /// Text.
    pub text: Option<String>,
    /// A new state.
    pub state: Option<SupportState>,
}

/// The support request store.
pub struct SupportRequests<'a>(&'a Vault);

impl Vault {
    /// Help the person asked for.
    pub fn support(&self) -> SupportRequests<'_> {
        SupportRequests(self)
    }
}

fn from_row(r: &SqliteRow) -> Result<SupportRequest> {
    Ok(SupportRequest {
        id: r.get("id"),
        product_id: r.get("product_id"),
        kind: stored("support_requests", "kind", r.get::<String, _>("kind"))?,
        subject: r.get("subject"),
        text: r.get("text"),
        state: stored("support_requests", "state", r.get::<String, _>("state"))?,
        created: r.get("created"),
        updated: r.get("updated"),
    })
}

fn validate(s: &SupportRequest) -> Result<()> {
    check_text("subject", &s.subject, MAX_SHORT)?;
    check_text("text", &s.text, MAX_TEXT)
}

impl SupportRequests<'_> {
    /// Adds a draft request about a product.
    pub async fn add(&self, fields: SupportFields) -> Result<SupportRequest> {
        let product = fields.product.ok_or_else(|| Error::invalid("product", "is required"))?;
        let product = self.0.products().get(&product).await.map_err(|e| not_found_as_field("product", e))?;
        let kind = fields.kind.unwrap_or_default();
        if kind.cites_purchase() && !product.has_proof {
            return Err(Error::invalid(
                "kind",
                format!(
                    "a {} cites the product's proof of purchase, and {} has none: only a product that came \
                     from an order through Parley has one",
                    kind.as_str(),
                    product.name
                ),
            ));
        }
        let stamp = now();
        let request = SupportRequest {
            id: SupportId::generate(),
            product_id: product.id,
            kind,
            subject: fields.subject.ok_or_else(|| Error::invalid("subject", "is required"))?,
            text: fields.text.ok_or_else(|| Error::invalid("text", "is required"))?,
            state: SupportState::Draft,
            created: stamp.clone(),
            updated: stamp,
        };
        validate(&request)?;
        self.write(&request, true).await?;
        Ok(request)
    }

    async fn write(&self, s: &SupportRequest, insert: bool) -> Result<()> {
        let sql = if insert {
            "INSERT INTO support_requests (product_id, kind, subject, text, state, created, updated, id)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        } else {
            "UPDATE support_requests SET product_id = ?, kind = ?, subject = ?, text = ?, state = ?, created = ?,
             updated = ? WHERE id = ?"
        };
        sqlx::query(sql)
            .bind(&s.product_id)
            .bind(s.kind.as_str())
            .bind(&s.subject)
            .bind(&s.text)
            .bind(s.state.as_str())
            .bind(&s.created)
            .bind(&s.updated)
            .bind(&s.id)
            .execute(self.0.pool())
            .await?;
        Ok(())
    }

    /// All requests, newest first.
    pub async fn list(&self) -> Result<Vec<SupportRequest>> {
        let rows = sqlx::query("SELECT * FROM support_requests ORDER BY created DESC, id DESC")
            .fetch_all(self.0.pool())
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// The request with `id` (or a unique prefix).
    pub async fn get(&self, id: &str) -> Result<SupportRequest> {
        let id: SupportId = resolve_id(self.0.pool(), "support_requests", "support request", id).await?;
        let row = sqlx::query("SELECT * FROM support_requests WHERE id = ?")
            .bind(&id)
            .fetch_one(self.0.pool())
            .await?;
        from_row(&row)
    }

    /// Changes a draft's content, or its state (e.g. closing it).
    pub async fn update(&self, id: &str, fields: SupportFields) -> Result<SupportRequest> {
        let mut s = self.get(id).await?;
        let edits_content = fields.product.is_some()
            || fields.kind.is_some()
            || fields.subject.is_some()
            || fields.text.is_some();
        if edits_content && s.state != SupportState::Draft {
            return Err(Error::Conflict(format!(
                "support request {} was sent: its text can no longer change",
                s.id
            )));
        }
        if let Some(p) = fields.product {
            s.product_id = self.0.products().get(&p).await.map_err(|e| not_found_as_field("product", e))?.id;
        }
        if let Some(kind) = fields.kind {
            s.kind = kind;
        }
        if s.kind.cites_purchase() && !self.0.products().get(s.product_id.as_str()).await?.has_proof {
            return Err(Error::invalid(
                "kind",
                format!("a {} cites a proof of purchase the product does not have", s.kind.as_str()),
            ));
        }
        if let Some(subject) = fields.subject {
            s.subject = subject;
        }
        if let Some(text) = fields.text {
            s.text = text;
        }
        if let Some(state) = fields.state {
            s.state = state;
        }
        s.updated = now();
        validate(&s)?;
        self.write(&s, false).await?;
        Ok(s)
    }

    /// Deletes a request.
    pub async fn delete(&self, id: &str) -> Result<SupportRequest> {
        let s = self.get(id).await?;
        sqlx::query("DELETE FROM support_requests WHERE id = ?").bind(&s.id).execute(self.0.pool()).await?;
        Ok(s)
    }
}

/// Marks a draft request sent, in the transaction that queues it.
pub(crate) async fn mark_sent_in(conn: &mut SqliteConnection, id: &SupportId) -> Result<()> {
    super::move_state_in(conn, "support_requests", id.as_str(), &["draft"], "sent").await
}

/// A reply arrived in the thread the request sent as `message` started: a sent request
/// is now answered.
pub(crate) async fn reply_arrived_in(conn: &mut SqliteConnection, message: &MessageUuid) -> Result<()> {
    sqlx::query(
        "UPDATE support_requests SET state = 'answered', updated = ?1 WHERE state = 'sent' AND id =
         (SELECT record_id FROM outbox WHERE id = ?2 AND record_kind = 'support')",
    )
    .bind(now())
    .bind(message)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
