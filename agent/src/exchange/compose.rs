//! Composing: a record becomes a message to a vendor, on the person's terms — under an
//! agreed, unrevoked consent whose purpose and categories cover it (none: refused here,
//! naming what is missing), with only the fields that consent allows, addressed from the
//! person's pairwise DID.

use parley_protocol::{
    Body, Category, ConsentGrant, Feedback as FeedbackBody, FeedbackSubject, Intent as IntentBody, Message,
    MessageType, ProductDetails, PurchaseBundle, PurchaseProof, Purpose, SupportRequest as SupportBody,
};

use super::contact::Contact;
use super::Agent;
use crate::error::{Error, Result};
use crate::ids::{RecordId, RecordKind, VendorId};
use crate::records::consents::{Consent, ConsentState};
use crate::records::feedback::Feedback;
use crate::records::intents::Intent;
use crate::records::products::Product;
use crate::records::support::SupportRequest;
use crate::records::vendors::Vendor;

/// A message built for a vendor, not yet signed, with the record it comes from.
pub(crate) struct Draft {
    pub contact: Contact,
    pub message: Message,
    pub record_kind: RecordKind,
    pub record_id: RecordId,
}

impl Draft {
    fn new(contact: Contact, body: Body, consent: Option<&Consent>, kind: RecordKind, id: RecordId) -> Self {
        let mut message = contact.message(body);
        message.consent = consent.map(|c| c.id.to_consent_id());
        Self { contact, message, record_kind: kind, record_id: id }
    }
}

/// What the vendor may learn of a product, when the consent covers `product`.
fn product_details(p: &Product) -> ProductDetails {
    ProductDetails {
        name: p.name.clone(),
        model: p.model.clone(),
        serial: p.serial.clone(),
        purchased: p.purchased.clone(),
        price: p.price.clone(),
        warranty_until: p.warranty_until.clone(),
    }
}

impl Agent {
    /// The newest agreed consent with `vendor` under which a `kind` message may carry
    /// `category`.
    async fn consent_for(&self, vendor: &Vendor, kind: MessageType, category: Category) -> Result<Consent> {
        let purposes = kind.purposes();
        let found = self.vault().consents().of_vendor(&vendor.id).await?.into_iter().find(|c| {
            c.state == ConsentState::Agreed
                && purposes.contains(&c.purpose)
                && c.categories.contains(&category)
        });
        found.ok_or_else(|| Error::ConsentMissing {
            vendor: vendor.name.clone(),
            category,
            purposes: purposes.to_vec(),
        })
    }

    /// The vendor a feedback or support request goes to: the one named, else the
    /// record's, else the product's vendor by name.
    pub(crate) async fn vendor_of(
        &self,
        named: Option<&str>,
        record: Option<&VendorId>,
        product: Option<&Product>,
    ) -> Result<Vendor> {
        if let Some(v) = named {
            return self.vault().vendors().get(v).await;
        }
        if let Some(v) = record {
            return self.vault().vendors().by_id(v).await;
        }
        let name = product
            .and_then(|p| p.vendor.as_deref())
            .ok_or_else(|| Error::invalid("vendor", "say which vendor to send it to"))?;
        self.vault().vendors().get(name).await.map_err(|_| {
            Error::invalid("vendor", format!("the product's vendor {name:?} is not among your vendors"))
        })
    }

    /// A feedback as a message to `contact`, with the product's details only when the
    /// consent covers them.
    pub(crate) async fn compose_feedback(
        &self,
        contact: Contact,
        f: &Feedback,
        product: Option<&Product>,
    ) -> Result<Draft> {
        let consent = self.consent_for(&contact.vendor, MessageType::Feedback, Category::Feedback).await?;
        let covers_product = consent.categories.contains(&Category::Product);
        let body = Body::Feedback(FeedbackBody {
            about: if product.is_some() { FeedbackSubject::Product } else { FeedbackSubject::Vendor },
            score: f.score,
            text: f.text.clone(),
            suggestions: f.suggestions.clone(),
            product: product.filter(|_| covers_product).map(product_details),
            contact: None,
        });
        Ok(Draft::new(contact, body, Some(&consent), RecordKind::Feedback, (&f.id).into()))
    }

    /// A support request as a message to `contact`.
    pub(crate) async fn compose_support(
        &self,
        contact: Contact,
        s: &SupportRequest,
        product: &Product,
    ) -> Result<Draft> {
        let consent =
            self.consent_for(&contact.vendor, MessageType::SupportRequest, Category::Support).await?;
        let covers_product = consent.categories.contains(&Category::Product);
        let purchase = if s.kind.cites_purchase() {
            if !covers_product {
                return Err(Error::invalid(
                    "consent",
                    format!(
                        "a {} cites your proof of purchase, which is details of the product: your consent with {} \
                         must cover product details",
                        s.kind.as_str(),
                        contact.vendor.name
                    ),
                ));
            }
            Some(purchase_proof(&self.vault().products().proof(product.id.as_str()).await?)?)
        } else {
            None
        };
        let body = Body::SupportRequest(SupportBody {
            kind: s.kind,
            subject: s.subject.clone(),
            text: s.text.clone(),
            product: covers_product.then(|| product_details(product)),
            purchase,
            contact: None,
        });
        Ok(Draft::new(contact, body, Some(&consent), RecordKind::Support, (&s.id).into()))
    }

    /// An intent as a message to `contact`.
    pub(crate) async fn compose_intent(&self, contact: Contact, intent: &Intent) -> Result<Draft> {
        let consent = self.consent_for(&contact.vendor, MessageType::Intent, Category::Intent).await?;
        let body = Body::Intent(IntentBody {
            what: intent.what.clone(),
            budget: intent.budget.clone(),
            by: intent.by.clone(),
            constraints: intent.constraints.clone(),
            contact: None,
        });
        Ok(Draft::new(contact, body, Some(&consent), RecordKind::Intent, (&intent.id).into()))
    }

    /// The `ConsentGrant` that proffers a consent; its id is the consent's, by which both
    /// sides name it.
    pub(crate) fn compose_grant(contact: Contact, c: &Consent) -> Draft {
        let body = Body::ConsentGrant(ConsentGrant {
            agreement: c.agreement,
            purpose: c.purpose,
            categories: c.categories.clone(),
            retention_days: c.retention_days,
            terms: c.terms.clone(),
        });
        let mut draft = Draft::new(contact, body, None, RecordKind::Consent, (&c.id).into());
        draft.message.id = c.id.grant().to_message_id();
        draft
    }
}

/// What a claim cites of a proof of purchase: the order's id, its latest signed update
/// verbatim, and the digests of every message in the bundle.
fn purchase_proof(bundle: &str) -> Result<PurchaseProof> {
    let checked = PurchaseBundle::verify(bundle.as_bytes())
        .map_err(|e| Error::Conflict(format!("the proof of purchase in the vault does not hold: {e}")))?;
    let parsed: PurchaseBundle = serde_json::from_str(bundle)
        .map_err(|e| Error::Conflict(format!("the proof of purchase in the vault cannot be read: {e}")))?;
    let signed_order = parsed.orders.last().cloned().unwrap_or_default();
    Ok(PurchaseProof { order: checked.order.order, signed_order, digests: checked.digests })
}

/// The purposes a message needs, in words: `improvement or service`.
pub(crate) fn purposes_in_words(purposes: &[Purpose]) -> String {
    purposes.iter().map(Purpose::as_str).collect::<Vec<_>>().join(" or ")
}
