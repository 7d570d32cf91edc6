//! Answering: a signed `Reply` to a support request, feedback or intent, or a signed
//! `Offer` for an intent, held for the person's next inbox query. The same for the CLI,
//! the console's pages and its API; an answer from the console names its author, and
//! every answer is the case's response (its first one closes the case's alerts).

use parley_protocol::{
    Body, Did, LineItem, Message, MessageId, MessageType, Money, Offer, Order, OrderStatus, Reply, SecretKey,
};

use crate::error::{Error, Result};
use crate::store::orders::Outgoing;
use crate::store::Store;
use serde::Deserialize;

/// Sends a signed `Reply` to the person who sent `message_id`; returns the document.
pub async fn reply(
    store: &Store,
    key: &SecretKey,
    message_id: &str,
    text: &str,
) -> Result<serde_json::Value> {
    reply_as(store, key, message_id, text, None).await
}

/// [`reply`], by a member of staff (their id).
pub async fn reply_as(
    store: &Store,
    key: &SecretKey,
    message_id: &str,
    text: &str,
    author: Option<&str>,
) -> Result<serde_json::Value> {
    if text.trim().is_empty() {
        return Err(Error::Invalid("text: a reply says something".into()));
    }
    let original = store.message(&normalise(message_id)).await?;
    let kind: MessageType = original.kind.parse().map_err(Error::Refused)?;
    if !matches!(kind, MessageType::SupportRequest | MessageType::Feedback | MessageType::Intent) {
        return Err(Error::Invalid(format!("{kind} {} cannot be replied to", original.id)));
    }
    answer(store, key, &original, Body::Reply(Reply { text: text.to_owned() }), author).await
}

/// Sends a signed `Offer` answering the intent `intent_id`; returns the document.
pub async fn offer(
    store: &Store,
    key: &SecretKey,
    intent_id: &str,
    price: Money,
    text: &str,
    valid_until: Option<String>,
) -> Result<serde_json::Value> {
    offer_as(store, key, intent_id, price, text, valid_until, None).await
}

/// [`offer`], by a member of staff (their id).
pub async fn offer_as(
    store: &Store,
    key: &SecretKey,
    intent_id: &str,
    price: Money,
    text: &str,
    valid_until: Option<String>,
    author: Option<&str>,
) -> Result<serde_json::Value> {
    let original = store.message(&normalise(intent_id)).await?;
    if original.kind != "Intent" {
        return Err(Error::Invalid(format!(
            "{} is a {}, not an Intent: only an intent is answered with an offer",
            original.id, original.kind
        )));
    }
    let intent: MessageId = original.id.parse().map_err(|e| Error::Refused(format!("{e}")))?;
    answer(
        store,
        key,
        &original,
        Body::Offer(Offer { intent, price, text: text.to_owned(), valid_until }),
        author,
    )
    .await
}

/// What an order update says beyond its status; what is not given stays as the last
/// update said.
#[derive(Debug, Clone, Default)]
pub struct OrderUpdate {
    /// Where to follow the parcel (`https:`).
    pub tracking: Option<String>,
    /// The serial number of what was delivered.
    pub serial: Option<String>,
    /// The warranty's last day, `YYYY-MM-DD`.
    pub warranty_until: Option<String>,
    /// The product's model, for the order's line.
    pub model: Option<String>,
}

/// An order update as the console's case page and API send it; an empty field is no
/// field (a form sends every input).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderRequest {
    offer: String,
    status: String,
    tracking: Option<String>,
    serial: Option<String>,
    warranty_until: Option<String>,
    model: Option<String>,
}

/// Sends a signed `Order` update for the offer `offer_id`, which the person must have
/// accepted: the first update makes the order (its id, its line from the offer); each
/// later one must be a status that can follow the last. Returns the document.
pub async fn order_as(
    store: &Store,
    key: &SecretKey,
    offer_id: &str,
    status: OrderStatus,
    update: OrderUpdate,
    author: Option<&str>,
) -> Result<serde_json::Value> {
    let offer = store.outgoing(&normalise(offer_id)).await?;
    send_order(store, key, offer, status, update, author).await
}

/// [`order_as`] from a case's page or the API: the offer must answer that case's intent.
pub async fn order_in_case(
    store: &Store,
    key: &SecretKey,
    case: &str,
    request: OrderRequest,
    author: Option<&str>,
) -> Result<serde_json::Value> {
    let status =
        request.status.parse().map_err(|e: parley_protocol::Invalid| Error::Invalid(e.to_string()))?;
    let given = |field: Option<String>| field.filter(|v| !v.trim().is_empty());
    let update = OrderUpdate {
        tracking: given(request.tracking),
        serial: given(request.serial),
        warranty_until: given(request.warranty_until),
        model: given(request.model),
    };
    let offer = store.outgoing(&normalise(&request.offer)).await?;
    if offer.document["body"]["intent"].as_str() != Some(normalise(case).as_str()) {
        return Err(Error::Invalid(format!("offer: {} does not answer this case's intent", offer.id)));
    }
    send_order(store, key, offer, status, update, author).await
}

async fn send_order(
    store: &Store,
    key: &SecretKey,
    offer: Outgoing,
    status: OrderStatus,
    update: OrderUpdate,
    author: Option<&str>,
) -> Result<serde_json::Value> {
    if offer.kind != "Offer" {
        return Err(Error::Invalid(format!("{} is a {}, not an offer", offer.id, offer.kind)));
    }
    let Some(acceptance) = store.acceptance_of(&offer).await? else {
        return Err(Error::Invalid(format!(
            "offer {} was not accepted: an order follows an offer the person accepted",
            offer.id
        )));
    };
    let before = store.orders_of(&acceptance.id).await?;
    let last = before.last();
    if let Some(last) = last {
        if !last.status.may_become(status) {
            return Err(Error::Invalid(format!(
                "status: order {} is {}; it cannot become {}",
                last.order,
                last.status.as_str(),
                status.as_str()
            )));
        }
    }
    let offered: Offer = serde_json::from_value(offer.document["body"].clone())
        .map_err(|e| Error::Refused(format!("the stored offer cannot be read: {e}")))?;
    let items = match last {
        Some(l) => l.items.clone(),
        None => vec![LineItem {
            what: offered.text.lines().next().unwrap_or(&offered.text).chars().take(200).collect(),
            model: update.model.clone(),
            quantity: 1,
            price: offered.price.clone(),
        }],
    };
    let order = Order {
        order: last.map(|l| l.order.clone()).unwrap_or_else(new_order_id),
        offer: offer.id.parse().map_err(|e| Error::Refused(format!("{e}")))?,
        status,
        tracking: update.tracking.or_else(|| last.and_then(|l| l.tracking.clone())),
        serial: update.serial.or_else(|| last.and_then(|l| l.serial.clone())),
        warranty_until: update.warranty_until.or_else(|| last.and_then(|l| l.warranty_until.clone())),
        items,
    };
    answer(store, key, &acceptance, Body::Order(order), author).await
}

/// A new order id: `A-` and eight hex digits.
fn new_order_id() -> String {
    format!("A-{}", &uuid::Uuid::new_v4().simple().to_string()[..8].to_uppercase())
}

/// Accepts ids with or without the `urn:uuid:` prefix.
fn normalise(id: &str) -> String {
    if id.starts_with("urn:uuid:") {
        id.to_owned()
    } else {
        format!("urn:uuid:{id}")
    }
}

async fn answer(
    store: &Store,
    key: &SecretKey,
    original: &crate::store::StoredMessage,
    body: Body,
    author: Option<&str>,
) -> Result<serde_json::Value> {
    let to: Did = original.sender.parse().map_err(|e| Error::Refused(format!("stored sender: {e}")))?;
    let id: MessageId = original.id.parse().map_err(|e| Error::Refused(format!("{e}")))?;
    let mut m = Message::new(Did::from_public_key(&key.to_public()), to.clone(), body);
    m.in_reply_to = Some(id);
    m.thread = Some(
        original.document.get("thread").and_then(|t| t.as_str()).and_then(|t| t.parse().ok()).unwrap_or(id),
    );
    m.consent = original.consent_id.as_deref().and_then(|c| c.parse().ok());
    let kind = m.message_type();
    // A body that breaks a rule (an empty text, a bad price) is the caller's mistake.
    let signed = m.sign(key).map_err(|e| Error::Invalid(e.to_string()))?;
    store
        .add_outgoing(
            &signed.id.to_string(),
            kind,
            &to,
            original.consent_id.as_deref(),
            Some(&original.id),
            signed.canonical(),
            author,
        )
        .await?;
    if let Some(case) = store.case_of(&original.id).await? {
        store.answered(&case).await?;
    }
    Ok(signed.document().clone())
}
