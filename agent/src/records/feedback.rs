//! Feedback: what the person thinks of a product they own or of a vendor, on the 0–10
//! "how likely are you to recommend" scale, with text and suggestions. Every query of
//! the feedback table is here.

use serde::{Deserialize, Serialize};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::{check_list, check_opt_text, edit, now, resolve_id, state_enum, stored, MAX_TEXT};
use crate::error::{Error, Result};
use crate::ids::{FeedbackId, ProductId, VendorId};
use crate::vault::Vault;

state_enum! {
    /// Whether feedback has left the vault.
    FeedbackState {
        /// Written, not sent.
        Draft = "draft",
        /// Sent to the vendor.
        Sent = "sent",
    }
}

/// A piece of feedback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Feedback {
    /// Record id.
    pub id: FeedbackId,
    /// The product it is about, if any.
    pub product_id: Option<ProductId>,
    /// The vendor it is about, if any.
    pub vendor_id: Option<VendorId>,
    /// 0–10.
    pub score: u8,
    /// What the person thinks.
    pub text: Option<String>,
    /// What they suggest.
    pub suggestions: Vec<String>,
    /// Draft or sent.
    pub state: FeedbackState,
    /// When it was added.
    pub created: String,
    /// When it last changed.
    pub updated: String,
}

/// Fields to set. Adding needs a score and a product or a vendor.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FeedbackFields {
    /// The product (id or prefix).
    pub product: Option<String>,
    /// The vendor (id, prefix or name).
    pub vendor: Option<String>,
    /// 0–10.
    pub score: Option<i64>,
    /// Text; empty clears.
    pub text: Option<String>,
    /// Replaces the suggestions when given.
    pub suggestions: Option<Vec<String>>,
}

/// The feedback store.
pub struct FeedbackStore<'a>(&'a Vault);

impl Vault {
    /// What the person thinks.
    pub fn feedback(&self) -> FeedbackStore<'_> {
        FeedbackStore(self)
    }
}

fn from_row(r: &SqliteRow) -> Result<Feedback> {
    let suggestions: String = r.get("suggestions");
    let score: i64 = r.get("score");
    let damaged = |column: &str, value: String| Error::Damaged {
        table: "feedback".into(),
        column: column.into(),
        value,
    };
    Ok(Feedback {
        id: r.get("id"),
        product_id: r.get("product_id"),
        vendor_id: r.get("vendor_id"),
        score: u8::try_from(score)
            .ok()
            .filter(|s| *s <= 10)
            .ok_or_else(|| damaged("score", score.to_string()))?,
        text: r.get("text"),
        suggestions: serde_json::from_str(&suggestions)
            .map_err(|_| damaged("suggestions", suggestions.clone()))?,
        state: stored("feedback", "state", r.get::<String, _>("state"))?,
        created: r.get("created"),
        updated: r.get("updated"),
    })
}

pub(crate) fn check_score(score: i64) -> Result<u8> {
    if !(0..=10).contains(&score) {
        return Err(Error::invalid("score", format!("{score} is not between 0 and 10")));
    }
    Ok(score as u8)
}

impl FeedbackStore<'_> {
    async fn resolve_subjects(&self, f: &FeedbackFields) -> Result<(Option<ProductId>, Option<VendorId>)> {
        let product = match &f.product {
            Some(p) => Some(self.0.products().get(p).await.map_err(|e| not_found_as_field("product", e))?.id),
            None => None,
        };
        let vendor = match &f.vendor {
            Some(v) => Some(self.0.vendors().get(v).await.map_err(|e| not_found_as_field("vendor", e))?.id),
            None => None,
        };
        Ok((product, vendor))
    }

    /// Adds draft feedback.
    pub async fn add(&self, fields: FeedbackFields) -> Result<Feedback> {
        let score = check_score(fields.score.ok_or_else(|| Error::invalid("score", "is required (0–10)"))?)?;
        let (product_id, vendor_id) = self.resolve_subjects(&fields).await?;
        if product_id.is_none() && vendor_id.is_none() {
            return Err(Error::invalid("product", "feedback is about a product or a vendor: give one"));
        }
        let stamp = now();
        let fb = Feedback {
            id: FeedbackId::generate(),
            product_id,
            vendor_id,
            score,
            text: edit(None, fields.text),
            suggestions: fields.suggestions.unwrap_or_default(),
            state: FeedbackState::Draft,
            created: stamp.clone(),
            updated: stamp,
        };
        validate(&fb)?;
        sqlx::query(
            "INSERT INTO feedback (product_id, vendor_id, score, text, suggestions, state, created, updated, id)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&fb.product_id)
        .bind(&fb.vendor_id)
        .bind(fb.score as i64)
        .bind(&fb.text)
        .bind(serde_json::to_string(&fb.suggestions).unwrap_or_else(|_| "[]".into()))
        .bind(fb.state.as_str())
        .bind(&fb.created)
        .bind(&fb.updated)
        .bind(&fb.id)
        .execute(self.0.pool())
        .await?;
        Ok(fb)
    }

    /// All feedback, newest first.
    pub async fn list(&self) -> Result<Vec<Feedback>> {
        let rows = sqlx::query("SELECT * FROM feedback ORDER BY created DESC, id DESC")
            .fetch_all(self.0.pool())
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// The feedback with `id` (or a unique prefix).
    pub async fn get(&self, id: &str) -> Result<Feedback> {
        let id: FeedbackId = resolve_id(self.0.pool(), "feedback", "feedback", id).await?;
        let row =
            sqlx::query("SELECT * FROM feedback WHERE id = ?").bind(&id).fetch_one(self.0.pool()).await?;
        from_row(&row)
    }

    /// Changes a draft.
    pub async fn update(&self, id: &str, fields: FeedbackFields) -> Result<Feedback> {
        let mut fb = self.get(id).await?;
        if fb.state != FeedbackState::Draft {
            return Err(Error::Conflict(format!("feedback {} was sent: it can no longer be edited", fb.id)));
        }
        let (product_id, vendor_id) = self.resolve_subjects(&fields).await?;
        fb.product_id = product_id.or(fb.product_id);
        fb.vendor_id = vendor_id.or(fb.vendor_id);
        if let Some(score) = fields.score {
            fb.score = check_score(score)?;
        }
        fb.text = edit(fb.text, fields.text);
        if let Some(s) = fields.suggestions {
            fb.suggestions = s;
        }
        fb.updated = now();
        validate(&fb)?;
        sqlx::query(
            "UPDATE feedback SET product_id = ?, vendor_id = ?, score = ?, text = ?, suggestions = ?, updated = ?
             WHERE id = ?",
        )
        .bind(&fb.product_id)
        .bind(&fb.vendor_id)
        .bind(fb.score as i64)
        .bind(&fb.text)
        .bind(serde_json::to_string(&fb.suggestions).unwrap_or_else(|_| "[]".into()))
        .bind(&fb.updated)
        .bind(&fb.id)
        .execute(self.0.pool())
        .await?;
        Ok(fb)
    }

    /// Deletes feedback.
    pub async fn delete(&self, id: &str) -> Result<Feedback> {
        let fb = self.get(id).await?;
        sqlx::query("DELETE FROM feedback WHERE id = ?").bind(&fb.id).execute(self.0.pool()).await?;
        Ok(fb)
    }
}

fn validate(fb: &Feedback) -> Result<()> {
    check_opt_text("text", &fb.text, MAX_TEXT)?;
    check_list("suggestion", &fb.suggestions)
}

/// "No product with id X" given for a field the person filled becomes an error on that
/// field, so the message says which option was wrong.
pub(crate) fn not_found_as_field(field: &str, e: Error) -> Error {
    match e {
        Error::NotFound { kind, id } => Error::invalid(field, format!("no {kind} with id or name {id:?}")),
        other => other,
    }
}

/// Marks a draft sent, in the transaction that queues it.
pub(crate) async fn mark_sent_in(conn: &mut SqliteConnection, id: &FeedbackId) -> Result<()> {
    super::move_state_in(conn, "feedback", id.as_str(), &[FeedbackState::Draft.as_str()], "sent").await
}
