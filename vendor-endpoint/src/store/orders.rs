//! Offers and the orders they become, as the vendor's store holds them: offers and order
//! updates are vendor→person messages in the outbox (each update in reply to the
//! person's acceptance, which is a received message). Nothing here is a table of its
//! own: an order is the chain of signed updates, so revoking the consent deletes it
//! with everything else.

use parley_protocol::{Order, OrderStatus};
use serde::Serialize;
use sqlx::Row;

use super::{parse_document, Store, StoredMessage};
use crate::error::{Error, Result};

/// An offer the vendor made, and how far it went.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferState {
    /// The offer's id.
    pub id: String,
    /// The intent it answered.
    pub intent: Option<String>,
    /// The person's pairwise DID.
    pub recipient: String,
    /// What was offered.
    pub text: String,
    /// `{amount, currency}`.
    pub price: serde_json::Value,
    /// `sent`, `pulled` (the person's app has it), `accepted` or `ordered`.
    pub state: &'static str,
    /// The order's id, once there is one.
    pub order: Option<String>,
    /// The order's latest status.
    pub order_status: Option<OrderStatus>,
    /// When it was made.
    pub created: String,
}

/// An outgoing message as stored.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Its id.
    pub id: String,
    /// Its type.
    pub kind: String,
    /// The person's pairwise DID.
    pub recipient: String,
    /// The consent it was sent under.
    pub consent_id: Option<String>,
    /// When the person's app pulled it.
    pub pulled: Option<String>,
    /// The signed document.
    pub document: serde_json::Value,
    /// When it was made.
    pub created: String,
}

fn outgoing_row(r: &sqlx::any::AnyRow) -> Result<Outgoing> {
    Ok(Outgoing {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        recipient: r.try_get("recipient")?,
        consent_id: r.try_get("consent_id")?,
        pulled: r.try_get("pulled")?,
        document: parse_document(r.try_get("document")?)?,
        created: r.try_get("created")?,
    })
}

const OUTGOING: &str = "SELECT id, kind, recipient, consent_id, pulled, document, created FROM outbox";

impl Store {
    /// One message the vendor sent.
    pub async fn outgoing(&self, id: &str) -> Result<Outgoing> {
        let row =
            sqlx::query(&format!("{OUTGOING} WHERE id = $1")).bind(id).fetch_optional(self.pool()).await?;
        row.as_ref()
            .map(outgoing_row)
            .transpose()?
            .ok_or_else(|| Error::NotFound { kind: "offer", id: id.into() })
    }

    /// The person's acceptance of an offer, when they accepted it.
    pub async fn acceptance_of(&self, offer: &Outgoing) -> Result<Option<StoredMessage>> {
        let accepted = self
            .messages_from(&offer.recipient, "OfferAcceptance")
            .await?
            .into_iter()
            .find(|m| m.document["body"]["offer"].as_str() == Some(offer.id.as_str()));
        Ok(accepted)
    }

    /// The order updates sent in reply to an acceptance, oldest first.
    pub async fn orders_of(&self, acceptance: &str) -> Result<Vec<Order>> {
        let rows = sqlx::query(&format!("{OUTGOING} WHERE kind = 'Order' AND in_reply_to = $1 ORDER BY seq"))
            .bind(acceptance)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                let o = outgoing_row(r)?;
                serde_json::from_value(o.document["body"].clone())
                    .map_err(|e| Error::Refused(format!("a stored order update cannot be read: {e}")))
            })
            .collect()
    }

    /// Every offer the vendor made, newest first, with how far each went.
    pub async fn offers(&self, limit: i64) -> Result<Vec<OfferState>> {
        let rows = sqlx::query(&format!("{OUTGOING} WHERE kind = 'Offer' ORDER BY seq DESC LIMIT $1"))
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        self.offer_states(&rows).await
    }

    /// The offers made in answer to one intent, newest first.
    pub async fn offers_for(&self, intent: &str) -> Result<Vec<OfferState>> {
        let rows =
            sqlx::query(&format!("{OUTGOING} WHERE kind = 'Offer' AND in_reply_to = $1 ORDER BY seq DESC"))
                .bind(intent)
                .fetch_all(self.pool())
                .await?;
        self.offer_states(&rows).await
    }

    async fn offer_states(&self, rows: &[sqlx::any::AnyRow]) -> Result<Vec<OfferState>> {
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let o = outgoing_row(r)?;
            let acceptance = self.acceptance_of(&o).await?;
            let orders = match &acceptance {
                Some(a) => self.orders_of(&a.id).await?,
                None => Vec::new(),
            };
            let state = match (&acceptance, orders.is_empty(), &o.pulled) {
                (Some(_), false, _) => "ordered",
                (Some(_), true, _) => "accepted",
                (None, _, Some(_)) => "pulled",
                (None, _, None) => "sent",
            };
            out.push(OfferState {
                intent: o.document["body"]["intent"].as_str().map(str::to_owned),
                text: o.document["body"]["text"].as_str().unwrap_or_default().to_owned(),
                price: o.document["body"]["price"].clone(),
                state,
                order: orders.last().map(|l| l.order.clone()),
                order_status: orders.last().map(|l| l.status),
                created: o.created.clone(),
                recipient: o.recipient,
                id: o.id,
            });
        }
        Ok(out)
    }

    /// The messages of one type a person sent, newest first.
    async fn messages_from(&self, sender: &str, kind: &str) -> Result<Vec<StoredMessage>> {
        let rows = sqlx::query(
            "SELECT id, kind, sender, consent_id, score, received, document FROM messages
             WHERE sender = $1 AND kind = $2 ORDER BY seq DESC LIMIT 1000",
        )
        .bind(sender)
        .bind(kind)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(super::stored_message).collect()
    }
}

/// What a received warranty claim or return cites, checked again on display: the
/// vendor's own order as it signed it, or why it does not hold. `None` for messages
/// that cite no purchase.
pub fn cited_purchase(
    document: &serde_json::Value,
    vendor: &parley_protocol::Did,
) -> Option<Result<Order, String>> {
    let purchase = document["body"].get("purchase")?;
    let proof: parley_protocol::PurchaseProof = match serde_json::from_value(purchase.clone()) {
        Ok(p) => p,
        Err(e) => return Some(Err(e.to_string())),
    };
    let Some(from) = document["from"].as_str().and_then(|f| f.parse().ok()) else {
        return Some(Err("the claim names no sender".into()));
    };
    Some(parley_protocol::check_claim(&proof, vendor, &from).map_err(|e| e.to_string()))
}

/// "verified purchase A-1F2E, warranty until 2028-12-03" (or why not).
pub fn purchase_in_words(cited: &Result<Order, String>) -> String {
    match cited {
        Ok(o) => match &o.warranty_until {
            Some(w) => format!("verified purchase {}, warranty until {w}", o.order),
            None => format!("verified purchase {}", o.order),
        },
        Err(e) => format!("purchase NOT verified: {e}"),
    }
}
