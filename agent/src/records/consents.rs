//! Consents: what the person agrees to share with one vendor, for which purpose, for how
//! long, under which standard agreement. Every change is in the audit log, because a
//! consent is exactly "what is shared". Every query of the consents table is here,
//! the changes a vendor's answer makes included ([`answered_in`], [`deletion_receipt_in`]).

use parley_protocol::{AgreementId, Category, Purpose};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::feedback::not_found_as_field;
use super::{check_opt_text, edit, now, resolve_id, state_enum, stored, MAX_TEXT};
use crate::audit::{append_in, Entry};
use crate::error::{Error, Result};
use crate::ids::{ConsentRecordId, VendorId};
use crate::vault::Vault;

state_enum! {
    /// Where a consent is.
    ConsentState {
        /// Written, not proffered.
        Draft = "draft",
        /// Proffered to the vendor, no answer yet.
        Proffered = "proffered",
        /// The vendor agreed.
        Agreed = "agreed",
        /// The vendor offered another agreement instead; the person may take it.
        Alternative = "alternative",
        /// The vendor declined, or offered an alternative the person did not take.
        Refused = "refused",
        /// The person revoked it.
        Revoked = "revoked",
    }
}

/// A consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Consent {
    /// Record id: the id of the `ConsentGrant` that proffers it.
    pub id: ConsentRecordId,
    /// The vendor.
    pub vendor_id: VendorId,
    /// The standard agreement proffered (MyTerms roster id).
    pub agreement: AgreementId,
    /// Why data is shared.
    pub purpose: Purpose,
    /// What may be shared.
    pub categories: Vec<Category>,
    /// Days the vendor may keep it.
    pub retention_days: u32,
    /// The person's own words, if any.
    pub terms: Option<String>,
    /// Where it is.
    pub state: ConsentState,
    /// The agreement the vendor offered instead, when it did.
    pub alternative: Option<AgreementId>,
    /// The vendor's reason, for an alternative or a refusal.
    pub reason: Option<String>,
    /// The vendor's signed `ConsentAgreement`.
    pub answer: Option<serde_json::Value>,
    /// The vendor's signed `DeletionReceipt`, after revocation.
    pub deletion_receipt: Option<serde_json::Value>,
    /// When it was added.
    pub created: String,
    /// When it last changed.
    pub updated: String,
}

/// Fields to set; adding needs vendor, purpose, categories and retention.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConsentFields {
    /// The vendor (id, prefix or name).
    pub vendor: Option<String>,
    /// The agreement; when absent, the one that fits the purpose ([`default_agreement`]).
    pub agreement: Option<AgreementId>,
    /// Purpose.
    pub purpose: Option<Purpose>,
    /// Categories.
    pub categories: Option<Vec<Category>>,
    /// Retention in days.
    pub retention_days: Option<i64>,
    /// Terms; empty clears.
    pub terms: Option<String>,
    /// A new state.
    pub state: Option<ConsentState>,
}

/// The consent store.
pub struct Consents<'a>(&'a Vault);

impl Vault {
    /// What the person agreed to share.
    pub fn consents(&self) -> Consents<'_> {
        Consents(self)
    }
}

fn from_row(r: &SqliteRow) -> Result<Consent> {
    let text = |column: &str| -> String { r.get(column) };
    let damaged = |column: &str, value: String| Error::Damaged {
        table: "consents".into(),
        column: column.into(),
        value,
    };
    let categories = text("categories");
    Ok(Consent {
        id: r.get("id"),
        vendor_id: r.get("vendor_id"),
        agreement: stored("consents", "agreement", text("agreement"))?,
        purpose: stored("consents", "purpose", text("purpose"))?,
        categories: serde_json::from_str(&categories)
            .map_err(|_| damaged("categories", categories.clone()))?,
        retention_days: u32::try_from(r.get::<i64, _>("retention_days"))
            .map_err(|_| damaged("retention_days", r.get::<i64, _>("retention_days").to_string()))?,
        terms: r.get("terms"),
        state: stored("consents", "state", text("state"))?,
        alternative: r
            .get::<Option<String>, _>("alternative")
            .map(|a| stored("consents", "alternative", &a))
            .transpose()?,
        reason: r.get("reason"),
        answer: json_column(r, "answer"),
        deletion_receipt: json_column(r, "deletion_receipt"),
        created: r.get("created"),
        updated: r.get("updated"),
    })
}

/// The roster agreement that fits a purpose: the service-delivery baseline for help and
/// feedback, the intent contribution for quotes.
pub fn default_agreement(purpose: Purpose) -> AgreementId {
    match purpose {
        Purpose::Quote => AgreementId::PdcIntent,
        Purpose::Service | Purpose::Improvement => AgreementId::SdBase,
    }
}

fn json_column(r: &SqliteRow, column: &str) -> Option<serde_json::Value> {
    r.get::<Option<String>, _>(column).and_then(|s| serde_json::from_str(&s).ok())
}

fn check_retention(days: i64) -> Result<u32> {
    if !(1..=3650).contains(&days) {
        return Err(Error::invalid("retention-days", format!("{days} is not between 1 and 3650 days")));
    }
    Ok(days as u32)
}

fn check_categories(c: &[Category]) -> Result<()> {
    if c.is_empty() {
        return Err(Error::invalid(
            "categories",
            "name at least one of intent, feedback, support, product, contact",
        ));
    }
    let mut sorted = c.to_vec();
    sorted.sort();
    sorted.dedup();
    if sorted.len() != c.len() {
        return Err(Error::invalid("categories", "a category is named twice"));
    }
    Ok(())
}

fn snapshot(c: &Consent) -> serde_json::Value {
    json!({"agreement": c.agreement, "purpose": c.purpose, "categories": c.categories,
           "retentionDays": c.retention_days, "terms": c.terms, "state": c.state})
}

impl Consents<'_> {
    /// Adds a draft consent for a vendor.
    pub async fn add(&self, fields: ConsentFields) -> Result<Consent> {
        let vendor = fields.vendor.ok_or_else(|| Error::invalid("vendor", "is required"))?;
        let vendor = self.0.vendors().get(&vendor).await.map_err(|e| not_found_as_field("vendor", e))?;
        let categories = fields.categories.ok_or_else(|| Error::invalid("categories", "is required"))?;
        check_categories(&categories)?;
        let stamp = now();
        let purpose = fields
            .purpose
            .ok_or_else(|| Error::invalid("purpose", "is required (service, quote or improvement)"))?;
        let consent = Consent {
            id: ConsentRecordId::generate(),
            vendor_id: vendor.id.clone(),
            agreement: fields.agreement.unwrap_or_else(|| default_agreement(purpose)),
            purpose,
            categories,
            retention_days: check_retention(
                fields.retention_days.ok_or_else(|| Error::invalid("retention-days", "is required"))?,
            )?,
            terms: edit(None, fields.terms),
            state: ConsentState::Draft,
            alternative: None,
            reason: None,
            answer: None,
            deletion_receipt: None,
            created: stamp.clone(),
            updated: stamp,
        };
        check_opt_text("terms", &consent.terms, MAX_TEXT)?;
        let entry = Entry::new(
            "consent.created",
            format!("Consent for {} written ({})", vendor.name, consent.purpose),
        )
        .vendor(&vendor.id)
        .consent(&consent.id)
        .detail(snapshot(&consent));
        self.write(&consent, true, entry).await?;
        Ok(consent)
    }

    async fn write(&self, c: &Consent, insert: bool, entry: Entry) -> Result<()> {
        let sql = if insert {
            "INSERT INTO consents (vendor_id, agreement, purpose, categories, retention_days, terms, state, created,
             updated, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        } else {
            "UPDATE consents SET vendor_id = ?, agreement = ?, purpose = ?, categories = ?, retention_days = ?,
             terms = ?, state = ?, created = ?, updated = ? WHERE id = ?"
        };
        let mut tx = self.0.pool().begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(sql)
            .bind(&c.vendor_id)
            .bind(c.agreement.as_str())
            .bind(c.purpose.as_str())
            .bind(serde_json::to_string(&c.categories).unwrap_or_else(|_| "[]".into()))
            .bind(c.retention_days as i64)
            .bind(&c.terms)
            .bind(c.state.as_str())
            .bind(&c.created)
            .bind(&c.updated)
            .bind(&c.id)
            .execute(&mut *tx)
            .await?;
        append_in(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// All consents, newest first; only one vendor's when `vendor` is given.
    pub async fn list(&self, vendor: Option<&str>) -> Result<Vec<Consent>> {
        let vendor_id = match vendor {
            Some(v) => Some(self.0.vendors().get(v).await.map_err(|e| not_found_as_field("vendor", e))?.id),
            None => None,
        };
        let rows = sqlx::query(
            "SELECT * FROM consents WHERE ?1 IS NULL OR vendor_id = ?1 ORDER BY created DESC, id DESC",
        )
        .bind(vendor_id)
        .fetch_all(self.0.pool())
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// One vendor's consents, newest first.
    pub(crate) async fn of_vendor(&self, vendor: &VendorId) -> Result<Vec<Consent>> {
        let rows = sqlx::query("SELECT * FROM consents WHERE vendor_id = ? ORDER BY created DESC, id DESC")
            .bind(vendor)
            .fetch_all(self.0.pool())
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// The consent with `id` (or a unique prefix).
    pub async fn get(&self, id: &str) -> Result<Consent> {
        let id: ConsentRecordId = resolve_id(self.0.pool(), "consents", "consent", id).await?;
        self.by_id(&id).await
    }

    /// The consent with exactly this id.
    pub(crate) async fn by_id(&self, id: &ConsentRecordId) -> Result<Consent> {
        let row =
            sqlx::query("SELECT * FROM consents WHERE id = ?").bind(id).fetch_one(self.0.pool()).await?;
        from_row(&row)
    }

    /// Changes a draft's terms, or its state.
    pub async fn update(&self, id: &str, fields: ConsentFields) -> Result<Consent> {
        let before = self.get(id).await?;
        let mut c = before.clone();
        let edits_terms = fields.vendor.is_some()
            || fields.agreement.is_some()
            || fields.purpose.is_some()
            || fields.categories.is_some()
            || fields.retention_days.is_some()
            || fields.terms.is_some();
        if edits_terms && c.state != ConsentState::Draft {
            return Err(Error::Conflict(format!(
                "consent {} is {}: its terms are fixed once proffered; revoke it and write a new one",
                c.id, c.state
            )));
        }
        if let Some(v) = fields.vendor {
            c.vendor_id = self.0.vendors().get(&v).await.map_err(|e| not_found_as_field("vendor", e))?.id;
        }
        if let Some(a) = fields.agreement {
            c.agreement = a;
        }
        if let Some(p) = fields.purpose {
            c.purpose = p;
        }
        if let Some(cats) = fields.categories {
            check_categories(&cats)?;
            c.categories = cats;
        }
        if let Some(days) = fields.retention_days {
            c.retention_days = check_retention(days)?;
        }
        c.terms = edit(c.terms, fields.terms);
        check_opt_text("terms", &c.terms, MAX_TEXT)?;
        if let Some(s) = fields.state {
            c.state = s;
        }
        c.updated = now();
        let entry = Entry::new("consent.changed", format!("Consent {} changed", c.id))
            .vendor(&c.vendor_id)
            .consent(&c.id)
            .detail(json!({"before": snapshot(&before), "after": snapshot(&c)}));
        self.write(&c, false, entry).await?;
        Ok(c)
    }

    /// Deletes a consent record. A consent that was proffered must be revoked instead,
    /// so that the vendor is told and the record of it stays.
    pub async fn delete(&self, id: &str) -> Result<Consent> {
        let c = self.get(id).await?;
        if !matches!(
            c.state,
            ConsentState::Draft | ConsentState::Refused | ConsentState::Revoked | ConsentState::Alternative
        ) {
            return Err(Error::Conflict(format!(
                "consent {} is {}: revoke it first, so the vendor deletes what it holds",
                c.id, c.state
            )));
        }
        let mut tx = self.0.pool().begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("DELETE FROM consents WHERE id = ?").bind(&c.id).execute(&mut *tx).await?;
        let entry = Entry::new("consent.deleted", format!("Consent {} deleted", c.id))
            .vendor(&c.vendor_id)
            .consent(&c.id)
            .detail(snapshot(&c));
        append_in(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(c)
    }
}

/// The consent with this id, read in the caller's transaction.
pub(crate) async fn get_in(conn: &mut SqliteConnection, id: &ConsentRecordId) -> Result<Option<Consent>> {
    let row = sqlx::query("SELECT * FROM consents WHERE id = ?").bind(id).fetch_optional(&mut *conn).await?;
    row.as_ref().map(from_row).transpose()
}

/// Moves a consent from one of the states `from` to `to` (proffered, revoked), in the
/// transaction that queues the message saying so.
pub(crate) async fn move_in(
    conn: &mut SqliteConnection,
    id: &ConsentRecordId,
    from: &[ConsentState],
    to: ConsentState,
) -> Result<()> {
    let from: Vec<&str> = from.iter().map(ConsentState::as_str).collect();
    super::move_state_in(conn, "consents", id.as_str(), &from, to.as_str()).await
}

/// Records the vendor's signed answer to the grant: the consent's new state, the answer
/// itself, its reason, and the alternative it offers.
pub(crate) async fn answered_in(
    conn: &mut SqliteConnection,
    id: &ConsentRecordId,
    state: ConsentState,
    answer: Option<&str>,
    reason: Option<&str>,
    alternative: Option<AgreementId>,
) -> Result<()> {
    sqlx::query(
        "UPDATE consents SET state = ?, answer = coalesce(?, answer), reason = coalesce(?, reason),
         alternative = coalesce(?, alternative), updated = ? WHERE id = ?",
    )
    .bind(state.as_str())
    .bind(answer)
    .bind(reason)
    .bind(alternative.map(|a| a.as_str()))
    .bind(now())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Keeps the vendor's signed deletion receipt for a revoked consent.
pub(crate) async fn deletion_receipt_in(
    conn: &mut SqliteConnection,
    id: &ConsentRecordId,
    receipt: &str,
) -> Result<()> {
    sqlx::query("UPDATE consents SET deletion_receipt = ?, updated = ? WHERE id = ?")
        .bind(receipt)
        .bind(now())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
