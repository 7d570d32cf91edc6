//! Intents: what the person wants to buy, with budget, deadline and constraints, moving
//! draft → sent → offers → accepted, or withdrawn / expired. Every query of the intents
//! table is here, the moves sending and receiving make included.

use serde::{Deserialize, Serialize};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::{
    check_date, check_list, check_money, check_text, edit, money_from_columns, now, resolve_id, state_enum,
    stored, Money, MAX_TEXT,
};
use crate::error::{Error, Result};
use crate::ids::{IntentId, MessageUuid, ProductId};
use crate::vault::Vault;

state_enum! {
    /// Where an intent is in its life.
    IntentState {
        /// Being written; nothing has left the vault.
        Draft = "draft",
        /// Sent to vendors.
        Sent = "sent",
        /// Offers have arrived.
        Offers = "offers",
        /// One offer was taken.
        Accepted = "accepted",
        /// The person no longer wants it.
        Withdrawn = "withdrawn",
        /// The deadline passed.
        Expired = "expired",
    }
}

impl IntentState {
    /// The states an intent can still be sent, answered or withdrawn from.
    pub const OPEN: [IntentState; 4] = [Self::Draft, Self::Sent, Self::Offers, Self::Expired];

    fn can_become(self, next: Self) -> bool {
        use IntentState::*;
        matches!(
            (self, next),
            (Draft, Sent)
                | (Sent, Offers)
                | (Offers, Accepted)
                | (Draft | Sent | Offers, Withdrawn)
                | (Sent | Offers, Expired)
        ) || self == next
    }
}

/// An intent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Intent {
    /// Record id.
    pub id: IntentId,
    /// What is wanted.
    pub what: String,
    /// Most the person will pay.
    pub budget: Option<Money>,
    /// Wanted by, `YYYY-MM-DD`.
    pub by: Option<String>,
    /// Conditions an offer must meet.
    pub constraints: Vec<String>,
    /// A product the person already added for it: the order it leads to completes that
    /// product rather than adding another. Never sent.
    pub product_id: Option<ProductId>,
    /// Life-cycle state.
    pub state: IntentState,
    /// When it was added.
    pub created: String,
    /// When it last changed.
    pub updated: String,
}

/// Fields to set; `what` is required when adding. Content can change only in `draft`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IntentFields {
    /// What is wanted.
    pub what: Option<String>,
    /// Budget.
    pub budget: Option<Money>,
    /// Deadline.
    pub by: Option<String>,
    /// Replaces the constraints when given.
    pub constraints: Option<Vec<String>>,
    /// The product it is for (id or prefix); an empty string unlinks it.
    pub product: Option<String>,
    /// A new state.
    pub state: Option<IntentState>,
}

/// The intent store.
pub struct Intents<'a>(&'a Vault);

impl Vault {
    /// What the person wants to buy.
    pub fn intents(&self) -> Intents<'_> {
        Intents(self)
    }
}

fn from_row(r: &SqliteRow) -> Result<Intent> {
    let constraints: String = r.get("constraints");
    Ok(Intent {
        id: r.get("id"),
        what: r.get("what"),
        budget: money_from_columns(r.get("budget_amount"), r.get("budget_currency")),
        by: r.get("deadline"),
        constraints: serde_json::from_str(&constraints).map_err(|_| Error::Damaged {
            table: "intents".into(),
            column: "constraints".into(),
            value: constraints.clone(),
        })?,
        product_id: r.get("product_id"),
        state: stored("intents", "state", r.get::<String, _>("state"))?,
        created: r.get("created"),
        updated: r.get("updated"),
    })
}

fn validate(i: &Intent) -> Result<()> {
    check_text("what", &i.what, MAX_TEXT)?;
    check_money("budget", &i.budget)?;
    check_date("by", i.by.as_deref())?;
    check_list("constraint", &i.constraints)
}

impl Intents<'_> {
    /// Adds a draft intent.
    pub async fn add(&self, fields: IntentFields) -> Result<Intent> {
        let stamp = now();
        let intent = Intent {
            id: IntentId::generate(),
            what: fields.what.ok_or_else(|| Error::invalid("what", "is required"))?,
            budget: fields.budget,
            by: edit(None, fields.by),
            constraints: fields.constraints.unwrap_or_default(),
            product_id: self.product(fields.product).await?.flatten(),
            state: IntentState::Draft,
            created: stamp.clone(),
            updated: stamp,
        };
        validate(&intent)?;
        self.write(&intent, true).await?;
        Ok(intent)
    }

    async fn write(&self, i: &Intent, insert: bool) -> Result<()> {
        let sql = if insert {
            "INSERT INTO intents (what, budget_amount, budget_currency, deadline, constraints, product_id, state,
             created, updated, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        } else {
            "UPDATE intents SET what = ?, budget_amount = ?, budget_currency = ?, deadline = ?, constraints = ?,
             product_id = ?, state = ?, created = ?, updated = ? WHERE id = ?"
        };
        sqlx::query(sql)
            .bind(&i.what)
            .bind(i.budget.as_ref().map(|m| &m.amount))
            .bind(i.budget.as_ref().map(|m| &m.currency))
            .bind(&i.by)
            .bind(serde_json::to_string(&i.constraints).unwrap_or_else(|_| "[]".into()))
            .bind(&i.product_id)
            .bind(i.state.as_str())
            .bind(&i.created)
            .bind(&i.updated)
            .bind(&i.id)
            .execute(self.0.pool())
            .await?;
        Ok(())
    }

    /// All intents, newest first.
    pub async fn list(&self) -> Result<Vec<Intent>> {
        let rows = sqlx::query("SELECT * FROM intents ORDER BY created DESC, id DESC")
            .fetch_all(self.0.pool())
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// The intent with `id` (or a unique prefix).
    pub async fn get(&self, id: &str) -> Result<Intent> {
        let id: IntentId = resolve_id(self.0.pool(), "intents", "intent", id).await?;
        self.by_id(&id).await
    }

    /// The intent with exactly this id.
    pub(crate) async fn by_id(&self, id: &IntentId) -> Result<Intent> {
        let row = sqlx::query("SELECT * FROM intents WHERE id = ?").bind(id).fetch_one(self.0.pool()).await?;
        from_row(&row)
    }

    /// Changes content (drafts only) or moves the state along its allowed paths.
    pub async fn update(&self, id: &str, fields: IntentFields) -> Result<Intent> {
        let mut intent = self.get(id).await?;
        let edits_content = fields.what.is_some()
            || fields.budget.is_some()
            || fields.by.is_some()
            || fields.constraints.is_some();
        if edits_content && intent.state != IntentState::Draft {
            return Err(Error::Conflict(format!(
                "intent {} is {}: only a draft can be edited (what left the vault stays as sent)",
                intent.id, intent.state
            )));
        }
        if let Some(what) = fields.what {
            intent.what = what;
        }
        if let Some(budget) = fields.budget {
            intent.budget = if budget.amount.is_empty() { None } else { Some(budget) };
        }
        intent.by = edit(intent.by, fields.by);
        if let Some(c) = fields.constraints {
            intent.constraints = c;
        }
        // The link stays in the vault: it may change whatever the intent's state.
        if let Some(product) = self.product(fields.product).await? {
            intent.product_id = product;
        }
        if let Some(next) = fields.state {
            if !intent.state.can_become(next) {
                return Err(Error::invalid(
                    "state",
                    format!("an intent cannot go from {} to {next}", intent.state),
                ));
            }
            intent.state = next;
        }
        intent.updated = now();
        validate(&intent)?;
        self.write(&intent, false).await?;
        Ok(intent)
    }

    /// The product a `product` field names: `None` when absent, `Some(None)` to unlink.
    async fn product(&self, product: Option<String>) -> Result<Option<Option<ProductId>>> {
        match product.as_deref().map(str::trim) {
            None => Ok(None),
            Some("") => Ok(Some(None)),
            Some(p) => {
                let product = self
                    .0
                    .products()
                    .get(p)
                    .await
                    .map_err(|e| super::feedback::not_found_as_field("product", e))?;
                Ok(Some(Some(product.id)))
            }
        }
    }

    /// Deletes the intent.
    pub async fn delete(&self, id: &str) -> Result<Intent> {
        let intent = self.get(id).await?;
        sqlx::query("DELETE FROM intents WHERE id = ?").bind(&intent.id).execute(self.0.pool()).await?;
        Ok(intent)
    }
}

/// The product the person linked to the intent that left as `intent_message`, if any.
pub(crate) async fn linked_product_in(
    conn: &mut SqliteConnection,
    intent_message: &MessageUuid,
) -> Result<Option<crate::ids::ProductId>> {
    let linked: Option<Option<crate::ids::ProductId>> = sqlx::query_scalar(
        "SELECT intents.product_id FROM intents JOIN outbox
           ON outbox.record_kind = 'intent' AND outbox.record_id = intents.id WHERE outbox.id = ?",
    )
    .bind(intent_message)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(linked.flatten())
}

/// Moves an intent from one of the states `from` to `to`, in the transaction that queues
/// the message saying so (sent, accepted, withdrawn).
pub(crate) async fn move_in(
    conn: &mut SqliteConnection,
    id: &IntentId,
    from: &[IntentState],
    to: IntentState,
) -> Result<()> {
    let from: Vec<&str> = from.iter().map(IntentState::as_str).collect();
    super::move_state_in(conn, "intents", id.as_str(), &from, to.as_str()).await
}

/// An offer arrived for the intent sent as `intent_message`: a sent intent now has
/// offers.
pub(crate) async fn offer_arrived_in(
    conn: &mut SqliteConnection,
    intent_message: &MessageUuid,
) -> Result<()> {
    sqlx::query(
        "UPDATE intents SET state = 'offers', updated = ?1 WHERE state = 'sent' AND id =
         (SELECT record_id FROM outbox WHERE id = ?2 AND record_kind = 'intent')",
    )
    .bind(now())
    .bind(intent_message)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
