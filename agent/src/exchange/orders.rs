//! Order updates: what a vendor says about the order an accepted offer became. An
//! update is taken only if it fits the question it answers — an offer this vendor made
//! the person and the person accepted, the same order id as before, a status that can
//! follow the last one — and then, in the transaction that stores it, the product is
//! added when delivered (or moved on when refunded) with its proof of purchase: the
//! vendor's signed offer, the person's signed acceptance and every signed update, as one
//! bundle that anyone can check offline.

use parley_protocol::{Body, Message, Order, PurchaseBundle, Verified};
use serde_json::json;
use sqlx::SqliteConnection;

use super::contact::Contact;
use crate::audit::{append_in, Entry};
use crate::error::Result;
use crate::ids::{ConsentRecordId, MessageUuid};
use crate::inbox::{self, InboxState};
use crate::outbox;
use crate::records::intents;
use crate::records::products::{from_order_in, Ordered, Product};

/// Why an order update does not fit, in words for the person; `None` when it fits.
pub(crate) async fn misfit(
    conn: &mut SqliteConnection,
    contact: &Contact,
    order: &Order,
) -> Result<Option<String>> {
    let offer = MessageUuid::from(&order.offer);
    match inbox::offer_from(conn, &contact.vendor.id, &offer).await? {
        None => {
            return Ok(Some(format!("an order update for offer {}, which it never made you", order.offer)))
        }
        Some((InboxState::Accepted, _)) => {}
        Some(_) => {
            return Ok(Some(format!("an order update for offer {}, which you did not accept", order.offer)))
        }
    }
    let before = inbox::orders_for(conn, &offer).await?;
    if let Some(last) = before.last() {
        let last: Order = match serde_json::from_value(last["body"].clone()) {
            Ok(o) => o,
            Err(_) => return Ok(Some("the order updates held for this offer cannot be read".into())),
        };
        if last.order != order.order {
            return Ok(Some(format!(
                "an update for order {:?}, but this offer became order {:?}",
                order.order, last.order
            )));
        }
        if last.status != order.status && !last.status.may_become(order.status) {
            return Ok(Some(format!(
                "order {} cannot go from {} to {}",
                order.order,
                last.status.as_str(),
                order.status.as_str()
            )));
        }
    }
    Ok(None)
}

/// After an update is stored: the product it delivered, with the proof of purchase.
/// Returns the product when the update added it.
pub(crate) async fn apply_in(
    conn: &mut SqliteConnection,
    contact: &Contact,
    m: &Verified<Message>,
) -> Result<Option<Product>> {
    let Body::Order(order) = &m.body else { return Ok(None) };
    let vendor = &contact.vendor;
    let offer_id = MessageUuid::from(&order.offer);
    let mut entry = Entry::new(
        "order.updated",
        format!("{} says order {} is {}", vendor.name, order.order, order.status.as_str()),
    )
    .vendor(&vendor.id)
    .detail(json!({"order": order.order, "status": order.status.as_str(), "offer": order.offer.to_string(),
                   "message": m.id.to_string(), "tracking": order.tracking}));
    if let Some(c) = &m.consent {
        entry = entry.consent(&ConsentRecordId::from(c));
    }
    append_in(conn, entry).await?;
    let Some((_, offer_text)) = inbox::offer_from(conn, &vendor.id, &offer_id).await? else {
        return Ok(None);
    };
    let Some(acceptance) = outbox::acceptance_of(conn, &offer_id).await? else { return Ok(None) };
    let offer_doc: serde_json::Value = serde_json::from_str(&offer_text).unwrap_or_default();
    let bundle = PurchaseBundle::new(offer_doc, acceptance, inbox::orders_for(conn, &offer_id).await?);
    let checked = match bundle.check() {
        Ok(c) => c,
        // What is held does not make a proof (it always should): keep the update, add nothing.
        Err(e) => {
            let entry =
                Entry::new("order.unproven", format!("No proof of purchase for order {}: {e}", order.order))
                    .vendor(&vendor.id);
            append_in(conn, entry).await?;
            return Ok(None);
        }
    };
    let first = order.items.first();
    let linked = intents::linked_product_in(conn, &MessageUuid::from(&checked.offer.intent)).await?;
    let ordered = Ordered {
        offer: offer_id,
        name: first.map(|i| i.what.clone()).unwrap_or_else(|| checked.offer.text.chars().take(200).collect()),
        model: first.and_then(|i| i.model.clone()),
        vendor: vendor.name.clone(),
        price: Some(checked.offer.price.clone()),
        day: m.created.to_string().chars().take(10).collect(),
        serial: order.serial.clone(),
        warranty_until: order.warranty_until.clone(),
        status: order.status,
        proof: bundle.to_canonical(),
        linked,
    };
    let Some((product, new)) = from_order_in(conn, &ordered).await? else { return Ok(None) };
    let action = if new { "product.delivered" } else { "product.order-updated" };
    let summary = if new {
        format!("{} was delivered: added to your products with its proof of purchase", product.name)
    } else {
        format!("{} is now {}", product.name, order.status.as_str())
    };
    let entry = Entry::new(action, summary)
        .vendor(&vendor.id)
        .detail(json!({"product": product.id, "order": order.order, "digests": checked.digests}));
    append_in(conn, entry).await?;
    Ok(new.then_some(product))
}
