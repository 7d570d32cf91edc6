//! The proof of purchase: the vendor's signed `Offer`, the person's signed
//! `OfferAcceptance` and the vendor's signed `Order` updates, kept together by the person
//! as one [`PurchaseBundle`]. Anyone can check it offline, with no account at the vendor
//! and nothing but the DIDs in it: every message verifies, they form one purchase (the
//! acceptance takes that offer, between the same two parties; the updates name that
//! offer, one order id, in an order of statuses that can happen), and the file is in
//! its RFC 8785 form — so a change of any byte is refused.
//!
//! A warranty claim or return cites the purchase with a [`crate::PurchaseProof`]: the
//! latest signed update verbatim and the bundle's digests. [`check_claim`] is what the
//! vendor runs on it: its own signature, sent to the claimant's pairwise DID.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::body::{Offer, Order, OrderStatus, PurchaseProof};
use crate::did::Did;
use crate::jcs;
use crate::message::{Body, Direction, Message};
use crate::verify::{verify_value, Verified, VerifyPolicy, DEFAULT_MAX_BYTES};

/// The bundle's `type`.
pub const BUNDLE_TYPE: &str = "ParleyPurchaseProof";

/// A proof of purchase as the person keeps and shares it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurchaseBundle {
    /// Always [`BUNDLE_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// The vendor's signed `Offer`.
    pub offer: Value,
    /// The person's signed `OfferAcceptance` of it.
    pub acceptance: Value,
    /// The vendor's signed `Order` updates, oldest first.
    pub orders: Vec<Value>,
}

/// Why a bundle or a claim does not prove a purchase.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotAPurchase(pub String);

fn fail<T>(reason: impl Into<String>) -> Result<T, NotAPurchase> {
    Err(NotAPurchase(reason.into()))
}

/// A bundle that holds.
#[derive(Debug, Clone)]
pub struct CheckedPurchase {
    /// The vendor that sold.
    pub vendor: Did,
    /// The buyer (their pairwise DID with the vendor).
    pub person: Did,
    /// The offer taken.
    pub offer: Offer,
    /// The order as the latest update says.
    pub order: Order,
    /// When the latest update was made.
    pub updated: crate::Timestamp,
    /// The `sha256:` digest of each message, in bundle order.
    pub digests: Vec<String>,
}

/// Verifies a signed message of either direction as of when it was made: a proof of
/// purchase is about the past, so a later expiry does not undo it.
fn verify_as_made(
    document: &Value,
    what: &str,
    direction: Direction,
) -> Result<Verified<Message>, NotAPurchase> {
    let created =
        Message::from_value(document).map_err(|e| NotAPurchase(format!("{what}: {e}")))?.created.get();
    let policy = VerifyPolicy {
        now: created,
        max_bytes: DEFAULT_MAX_BYTES,
        max_skew: time::Duration::ZERO,
        recipient: None,
        direction,
    };
    verify_value(document.clone(), &policy).map_err(|e| NotAPurchase(format!("{what}: {e}")))
}

impl PurchaseBundle {
    /// A bundle of these signed messages.
    pub fn new(offer: Value, acceptance: Value, orders: Vec<Value>) -> Self {
        Self { kind: BUNDLE_TYPE.into(), offer, acceptance, orders }
    }

    /// The bytes to write: its RFC 8785 form.
    pub fn to_canonical(&self) -> String {
        jcs::canonicalize(&serde_json::to_value(self).unwrap_or(Value::Null))
    }

    /// Checks the bundle's bytes: its canonical form, every signature, one purchase.
    pub fn verify(bytes: &[u8]) -> Result<CheckedPurchase, NotAPurchase> {
        let value =
            jcs::parse(bytes).map_err(|e| NotAPurchase(format!("not a JSON proof of purchase: {e}")))?;
        if jcs::canonicalize(&value).as_bytes() != bytes {
            return fail("the file is not in its RFC 8785 form: it was changed after it was written");
        }
        let bundle: PurchaseBundle = serde_json::from_value(value)
            .map_err(|e| NotAPurchase(format!("not a proof of purchase: {e}")))?;
        bundle.check()
    }

    /// Checks the messages: every signature, and that they are one purchase.
    pub fn check(&self) -> Result<CheckedPurchase, NotAPurchase> {
        if self.kind != BUNDLE_TYPE {
            return fail(format!("type is {:?}, not {BUNDLE_TYPE}", self.kind));
        }
        let offer_msg = verify_as_made(&self.offer, "the offer", Direction::ToPerson)?;
        let Body::Offer(offer) = &offer_msg.body else { return fail("the offer is not an Offer") };
        let (vendor, person) = (offer_msg.from.clone(), offer_msg.to.clone());
        let acceptance = verify_as_made(&self.acceptance, "the acceptance", Direction::ToVendor)?;
        match &acceptance.body {
            Body::OfferAcceptance(a) if a.offer == offer_msg.id => {}
            _ => return fail("the acceptance does not take this offer"),
        }
        if acceptance.from != person || acceptance.to != vendor {
            return fail("the acceptance is not between the offer's two parties");
        }
        if self.orders.is_empty() {
            return fail("no order update: the offer was accepted but no order followed");
        }
        let mut digests = vec![offer_msg.digest(), acceptance.digest()];
        let mut latest: Option<(Order, crate::Timestamp)> = None;
        for (i, document) in self.orders.iter().enumerate() {
            let what = format!("order update {}", i + 1);
            let m = verify_as_made(document, &what, Direction::ToPerson)?;
            let Body::Order(order) = &m.body else { return fail(format!("{what} is not an Order")) };
            if m.from != vendor || m.to != person {
                return fail(format!("{what} is not from the offer's vendor to its buyer"));
            }
            if order.offer != offer_msg.id {
                return fail(format!("{what} is about another offer"));
            }
            if let Some((before, _)) = &latest {
                if order.order != before.order {
                    return fail(format!("{what} names order {:?}, not {:?}", order.order, before.order));
                }
                if before.status != order.status && !before.status.may_become(order.status) {
                    return fail(format!(
                        "{what} goes from {} to {}",
                        before.status.as_str(),
                        order.status.as_str()
                    ));
                }
            }
            digests.push(m.digest());
            latest = Some((order.clone(), m.created));
        }
        let (order, updated) = latest.ok_or_else(|| NotAPurchase("no order update".into()))?;
        Ok(CheckedPurchase { vendor, person, offer: offer.clone(), order, updated, digests })
    }
}

impl CheckedPurchase {
    /// Whether the goods reached the person and were not paid back.
    pub fn owned(&self) -> bool {
        self.order.status == OrderStatus::Delivered
    }
}

/// What a vendor learns from a claim's [`PurchaseProof`] once it checks: its own signed
/// order update, sent to `claimant`, listed among the claim's digests.
pub fn check_claim(proof: &PurchaseProof, vendor: &Did, claimant: &Did) -> Result<Order, NotAPurchase> {
    let m = verify_as_made(&proof.signed_order, "the cited order", Direction::ToPerson)?;
    let Body::Order(order) = &m.body else { return fail("the cited update is not an Order") };
    if &m.from != vendor {
        return fail(format!("the cited order was signed by {}, not by this vendor", m.from));
    }
    if &m.to != claimant {
        return fail("the cited order was sent to someone else, not to the sender of this claim");
    }
    if order.order != proof.order {
        return fail(format!("the cited update is for order {:?}, not {:?}", order.order, proof.order));
    }
    if !proof.digests.contains(&m.digest()) {
        return fail("the cited update is not among the proof's digests");
    }
    Ok(order.clone())
}
