//! Support requests: help the person needs with something they own.

use serde::{Deserialize, Serialize};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::feedback::not_found_as_field;
use super::{check_text, new_id, now, resolve_id, state_enum, stored_state, MAX_SHORT, MAX_TEXT};
use crate::error::{Error, Result};
use crate::vault::Vault;

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

impl Default for SupportState {
    fn default() -> Self {
        Self::Draft
    }
}

/// A support request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SupportRequest {
    /// Record id.
    pub id: String,
    /// The product it is about.
    pub product_id: String,
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

fn from_row(r: &SqliteRow) -> SupportRequest {
    SupportRequest {
        id: r.get("id"),
        product_id: r.get("product_id"),
        subject: r.get("subject"),
        text: r.get("text"),
        state: stored_state(r.get("state")),
        created: r.get("created"),
        updated: r.get("updated"),
    }
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
        let stamp = now();
        let request = SupportRequest {
            id: new_id(),
            product_id: product.id,
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
            "INSERT INTO support_requests (product_id, subject, text, state, created, updated, id)
             VALUES (?, ?, ?, ?, ?, ?, ?)"
        } else {
            "UPDATE support_requests SET product_id = ?, subject = ?, text = ?, state = ?, created = ?, updated = ?
             WHERE id = ?"
        };
        sqlx::query(sql)
            .bind(&s.product_id)
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
        Ok(rows.iter().map(from_row).collect())
    }

    /// The request with `id` (or a unique prefix).
    pub async fn get(&self, id: &str) -> Result<SupportRequest> {
        let id = resolve_id(self.0.pool(), "support_requests", "support request", id).await?;
        let row = sqlx::query("SELECT * FROM support_requests WHERE id = ?")
            .bind(&id)
            .fetch_one(self.0.pool())
            .await?;
        Ok(from_row(&row))
    }

    /// Changes a draft's content, or its state (e.g. closing it).
    pub async fn update(&self, id: &str, fields: SupportFields) -> Result<SupportRequest> {
        let mut s = self.get(id).await?;
        let edits_content = fields.product.is_some() || fields.subject.is_some() || fields.text.is_some();
        if edits_content && s.state != SupportState::Draft {
            return Err(Error::Conflict(format!(
                "support request {} was sent: its text can no longer change",
                s.id
            )));
        }
        if let Some(p) = fields.product {
            s.product_id = self.0.products().get(&p).await.map_err(|e| not_found_as_field("product", e))?.id;
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
