//! Sharing: turning the person's records into signed messages to vendors, on the
//! person's terms.
//!
//! Every send goes the same way: find the vendor's pinned key (a changed key stops
//! here), find an agreed, unrevoked consent whose purpose and categories cover the
//! message (none: refused locally, naming the consent missing), build the body with only
//! the fields that consent covers, sign it with the pairwise key for that vendor, queue
//! it in the outbox in the same transaction as the record's new state, and try to
//! deliver it at once. `preview_*` builds and signs the same message without queuing it.

use parley_protocol::{
    Body, Category, ConsentGrant, ConsentId, ConsentRevocation, Feedback as FeedbackBody, FeedbackSubject,
    Intent as IntentBody, IntentWithdrawal, Message, MessageId, MessageType, OfferAcceptance, ProductDetails,
    Purpose, SupportRequest as SupportBody,
};
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::outbox::{enqueue_in, uuid_of, OutboxItem, Outgoing};
use crate::records::consents::{Consent, ConsentFields, ConsentState};
use crate::records::products::Product;
use crate::records::vendors::Vendor;
use crate::records::{now, Money};
use crate::sync::{SyncProblem, VendorContext};
use crate::vault::Vault;

/// One message as it will leave: to whom, under which consent, the signed JSON. The id,
/// `created` and proof are made afresh when it is actually sent.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    /// The vendor's name.
    pub vendor: String,
    /// The consent it relies on.
    pub consent_id: Option<String>,
    /// The signed message.
    pub message: Value,
}

/// What a send did: the messages queued, as they stand after trying to deliver them.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Sent {
    /// The messages, `delivered` or still `queued` (with the reason) or `rejected`.
    pub messages: Vec<OutboxItem>,
    /// Why some could not be delivered yet.
    pub problems: Vec<SyncProblem>,
}

/// A message built for a vendor, not yet signed.
struct Draft {
    ctx: VendorContext,
    message: Message,
    record_kind: &'static str,
    record_id: String,
}

/// A statement run in the transaction that queues the messages, before they are queued.
struct Change {
    sql: String,
    binds: Vec<String>,
    expect: Expect,
}

/// What a [`Change`] must find for the transaction to go on.
enum Expect {
    /// Whatever it finds.
    Any,
    /// It changes exactly one row; else the conflict, in words.
    OneRow(String),
    /// It (a query) finds no row; else the conflict, in words.
    NoRow(String),
}

impl Change {
    fn any(sql: &str, binds: Vec<String>) -> Self {
        Self { sql: sql.to_owned(), binds, expect: Expect::Any }
    }
}

/// A table whose records have a state that sending moves on.
#[derive(Clone, Copy)]
enum Stateful {
    Feedback,
    Support,
    Intents,
    Consents,
}

impl Stateful {
    fn table(self) -> &'static str {
        match self {
            Self::Feedback => "feedback",
            Self::Support => "support_requests",
            Self::Intents => "intents",
            Self::Consents => "consents",
        }
    }
}

/// A record's move from one of the states `from` to `to`, checked where it is made: two
/// sends of one draft at once (two windows, a double click) both read "draft", but only
/// the first transaction finds it still so; the second changes nothing and is refused,
/// so one draft never leaves as two messages.
fn set_state(table: Stateful, id: &str, from: &[&str], to: &str) -> Change {
    let sql = format!(
        "UPDATE {} SET state = ?, updated = ? WHERE id = ? AND state IN ({})",
        table.table(),
        vec!["?"; from.len()].join(", ")
    );
    let mut binds = vec![to.to_owned(), now(), id.to_owned()];
    binds.extend(from.iter().map(|s| (*s).to_owned()));
    let conflict = format!("{id} is no longer {}: it was changed or sent meanwhile", from.join(" or "));
    Change { sql, binds, expect: Expect::OneRow(conflict) }
}

/// Intent states from which it can still be sent, answered or withdrawn.
const OPEN_INTENT: [&str; 4] = ["draft", "sent", "offers", "expired"];

fn money(m: &Option<Money>) -> Option<parley_protocol::Money> {
    m.as_ref().map(|m| parley_protocol::Money { amount: m.amount.clone(), currency: m.currency.clone() })
}

fn product_details(p: &Product) -> ProductDetails {
    ProductDetails {
        name: p.name.clone(),
        model: p.model.clone(),
        serial: p.serial.clone(),
        purchased: p.purchased.clone(),
        price: money(&p.price),
        warranty_until: p.warranty_until.clone(),
    }
}

fn words(purposes: &[Purpose]) -> String {
    purposes.iter().map(|p| purpose_text(*p)).collect::<Vec<_>>().join(" or ")
}

fn purpose_text(p: Purpose) -> &'static str {
    match p {
        Purpose::Service => "service",
        Purpose::Quote => "quote",
        Purpose::Improvement => "improvement",
    }
}

fn category_text(c: Category) -> String {
    serde_json::to_value(c).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

impl Vault {
    /// The vendor's pinned key and the person's pairwise key with it, learning the
    /// vendor's key first if it was added without one.
    async fn contact(&self, vendor: &Vendor) -> Result<VendorContext> {
        if let (Some(pinned), Some(presented)) = (&vendor.did, &vendor.presented_did) {
            return Err(Error::VendorKeyChanged {
                vendor: vendor.name.clone(),
                pinned: pinned.clone(),
                presented: presented.clone(),
            });
        }
        let vendor = if vendor.did.is_none() {
            self.refresh_vendor(&crate::transport::Transport::new()?, vendor).await?
        } else {
            vendor.clone()
        };
        VendorContext::new(self, &vendor).await
    }

    /// The newest agreed consent with `vendor` under which a `kind` message may carry
    /// `category`.
    async fn consent_for(&self, vendor: &Vendor, kind: MessageType, category: Category) -> Result<Consent> {
        let purposes = kind.purposes();
        let found = self.consents().list(Some(&vendor.id)).await?.into_iter().find(|c| {
            c.state == ConsentState::Agreed
                && purposes.contains(&c.purpose)
                && c.categories.contains(&category)
        });
        found.ok_or_else(|| Error::ConsentMissing {
            vendor: vendor.name.clone(),
            need: format!("sharing {} for {}", category_text(category), words(purposes)),
            purpose: purpose_text(purposes[0]).to_owned(),
            categories: category_text(category),
        })
    }

    fn draft(
        ctx: VendorContext,
        body: Body,
        consent: Option<ConsentId>,
        kind: &'static str,
        id: &str,
    ) -> Draft {
        let mut message = Message::new(ctx.me.clone(), ctx.pinned.clone(), body);
        message.consent = consent;
        Draft { ctx, message, record_kind: kind, record_id: id.to_owned() }
    }

    fn preview(drafts: Vec<Draft>) -> Result<Vec<Preview>> {
        drafts
            .into_iter()
            .map(|d| {
                let signed =
                    d.message.sign(&d.ctx.key).map_err(|e| Error::invalid("message", e.to_string()))?;
                Ok(Preview {
                    vendor: d.ctx.vendor.name.clone(),
                    consent_id: signed.consent.map(|c| uuid_of(&c.to_string())),
                    message: signed.document().clone(),
                })
            })
            .collect()
    }

    /// Signs and queues the drafts with `changes` in one transaction, then tries to
    /// deliver each vendor's queue.
    async fn queue(&self, drafts: Vec<Draft>, changes: Vec<Change>) -> Result<Sent> {
        let mut outgoing = Vec::with_capacity(drafts.len());
        for d in drafts {
            let signed = d.message.sign(&d.ctx.key).map_err(|e| Error::invalid("message", e.to_string()))?;
            outgoing.push(Outgoing {
                vendor_id: d.ctx.vendor.id.clone(),
                vendor_name: d.ctx.vendor.name.clone(),
                signed,
                record_kind: d.record_kind,
                record_id: d.record_id,
            });
        }
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        for change in changes {
            let mut q = sqlx::query(&change.sql);
            for b in change.binds {
                q = q.bind(b);
            }
            // Returning early drops the transaction: nothing is queued or changed.
            match change.expect {
                Expect::Any => {
                    q.execute(&mut *tx).await?;
                }
                Expect::OneRow(conflict) => {
                    if q.execute(&mut *tx).await?.rows_affected() != 1 {
                        return Err(Error::Conflict(conflict));
                    }
                }
                Expect::NoRow(conflict) => {
                    if q.fetch_optional(&mut *tx).await?.is_some() {
                        return Err(Error::Conflict(conflict));
                    }
                }
            }
        }
        for out in &outgoing {
            enqueue_in(&mut tx, out).await?;
        }
        tx.commit().await?;
        let mut problems = Vec::new();
        let mut vendors: Vec<&str> = outgoing.iter().map(|o| o.vendor_id.as_str()).collect();
        vendors.dedup();
        for v in vendors {
            problems.extend(self.deliver_now(v).await?.problems);
        }
        let mut messages = Vec::with_capacity(outgoing.len());
        for out in &outgoing {
            messages.push(self.outbox_item(&out.uuid()).await?);
        }
        Ok(Sent { messages, problems })
    }

    // ---- feedback and support --------------------------------------------------------

    async fn vendor_of(
        &self,
        explicit: Option<&str>,
        vendor_id: Option<&str>,
        product: Option<&Product>,
    ) -> Result<Vendor> {
        if let Some(v) = explicit.or(vendor_id) {
            return self.vendors().get(v).await;
        }
        let name = product
            .and_then(|p| p.vendor.as_deref())
            .ok_or_else(|| Error::invalid("vendor", "say which vendor to send it to (--vendor)"))?;
        self.vendors().get(name).await.map_err(|_| {
            Error::invalid(
                "vendor",
                format!("the product's vendor {name:?} is not among your vendors: add it, or give --vendor"),
            )
        })
    }

    async fn compose_feedback(&self, id: &str, vendor: Option<&str>) -> Result<Draft> {
        let f = self.feedback().get(id).await?;
        let product = match &f.product_id {
            Some(p) => Some(self.products().get(p).await?),
            None => None,
        };
        let vendor = self.vendor_of(vendor, f.vendor_id.as_deref(), product.as_ref()).await?;
        let ctx = self.contact(&vendor).await?;
        let consent = self.consent_for(&vendor, MessageType::Feedback, Category::Feedback).await?;
        let covers_product = consent.categories.contains(&Category::Product);
        let body = Body::Feedback(FeedbackBody {
            about: if product.is_some() { FeedbackSubject::Product } else { FeedbackSubject::Vendor },
            score: f.score,
            text: f.text.clone(),
            suggestions: f.suggestions.clone(),
            product: product.as_ref().filter(|_| covers_product).map(product_details),
            contact: None,
        });
        Ok(Self::draft(ctx, body, Some(consent_id(&consent)?), "feedback", &f.id))
    }

    /// The feedback message as it would leave.
    pub async fn preview_feedback(&self, id: &str, vendor: Option<&str>) -> Result<Vec<Preview>> {
        Self::preview(vec![self.compose_feedback(id, vendor).await?])
    }

    /// Signs, queues and tries to deliver a feedback.
    pub async fn send_feedback(&self, id: &str, vendor: Option<&str>) -> Result<Sent> {
        let f = self.feedback().get(id).await?;
        if f.state.as_str() != "draft" {
            return Err(Error::Conflict(format!(
                "feedback {} was already sent (see `parley outbox --all`)",
                f.id
            )));
        }
        let draft = self.compose_feedback(&f.id, vendor).await?;
        self.queue(vec![draft], vec![set_state(Stateful::Feedback, &f.id, &["draft"], "sent")]).await
    }

    async fn compose_support(&self, id: &str, vendor: Option<&str>) -> Result<Draft> {
        let s = self.support().get(id).await?;
        let product = self.products().get(&s.product_id).await?;
        let vendor = self.vendor_of(vendor, None, Some(&product)).await?;
        let ctx = self.contact(&vendor).await?;
        let consent = self.consent_for(&vendor, MessageType::SupportRequest, Category::Support).await?;
        let body = Body::SupportRequest(SupportBody {
            subject: s.subject.clone(),
            text: s.text.clone(),
            product: consent.categories.contains(&Category::Product).then(|| product_details(&product)),
            contact: None,
        });
        Ok(Self::draft(ctx, body, Some(consent_id(&consent)?), "support", &s.id))
    }

    /// The support request as it would leave.
    pub async fn preview_support(&self, id: &str, vendor: Option<&str>) -> Result<Vec<Preview>> {
        Self::preview(vec![self.compose_support(id, vendor).await?])
    }

    /// Signs, queues and tries to deliver a support request.
    pub async fn send_support(&self, id: &str, vendor: Option<&str>) -> Result<Sent> {
        let s = self.support().get(id).await?;
        if s.state.as_str() != "draft" {
            return Err(Error::Conflict(format!("support request {} was already sent", s.id)));
        }
        let draft = self.compose_support(&s.id, vendor).await?;
        self.queue(vec![draft], vec![set_state(Stateful::Support, &s.id, &["draft"], "sent")]).await
    }

    // ---- intents ---------------------------------------------------------------------

    async fn compose_intent(&self, id: &str, vendors: &[String]) -> Result<Vec<Draft>> {
        if vendors.is_empty() {
            return Err(Error::invalid("vendors", "name at least one vendor to send the intent to"));
        }
        let intent = self.intents().get(id).await?;
        let already = self.outbox_for("intent", &intent.id).await?;
        let mut drafts = Vec::new();
        for name in vendors {
            let vendor = self.vendors().get(name).await?;
            if already.iter().any(|o| o.vendor_id == vendor.id && o.message_type == "Intent") {
                return Err(Error::Conflict(format!(
                    "intent {} was already sent to {}",
                    intent.id, vendor.name
                )));
            }
            if drafts.iter().any(|d: &Draft| d.ctx.vendor.id == vendor.id) {
                return Err(Error::invalid("vendors", format!("{} is named twice", vendor.name)));
            }
            let ctx = self.contact(&vendor).await?;
            let consent = self.consent_for(&vendor, MessageType::Intent, Category::Intent).await?;
            let body = Body::Intent(IntentBody {
                what: intent.what.clone(),
                budget: money(&intent.budget),
                by: intent.by.clone(),
                constraints: intent.constraints.clone(),
                contact: None,
            });
            drafts.push(Self::draft(ctx, body, Some(consent_id(&consent)?), "intent", &intent.id));
        }
        Ok(drafts)
    }

    /// The intent as each vendor would receive it (each signed by that vendor's pairwise
    /// key).
    pub async fn preview_intent(&self, id: &str, vendors: &[String]) -> Result<Vec<Preview>> {
        Self::preview(self.compose_intent(id, vendors).await?)
    }

    /// Casts an intent to several vendors at once.
    pub async fn send_intent(&self, id: &str, vendors: &[String]) -> Result<Sent> {
        let intent = self.intents().get(id).await?;
        if !matches!(intent.state.as_str(), "draft" | "sent" | "offers") {
            return Err(Error::Conflict(format!(
                "intent {} is {}: it cannot be sent",
                intent.id, intent.state
            )));
        }
        let drafts = self.compose_intent(&intent.id, vendors).await?;
        let state = if intent.state.as_str() == "draft" { "sent" } else { intent.state.as_str() };
        let mut changes = vec![set_state(Stateful::Intents, &intent.id, &[intent.state.as_str()], state)];
        // Checked again inside the transaction: two casts at once must not both reach a vendor.
        for d in &drafts {
            changes.push(Change {
                sql: "SELECT 1 FROM outbox WHERE record_kind = 'intent' AND record_id = ? AND vendor_id = ?
                      AND type = 'Intent'"
                    .into(),
                binds: vec![intent.id.clone(), d.ctx.vendor.id.clone()],
                expect: Expect::NoRow(format!(
                    "intent {} was already sent to {}",
                    intent.id, d.ctx.vendor.name
                )),
            });
        }
        self.queue(drafts, changes).await
    }

    /// The offers vendors made for an intent, oldest first.
    pub async fn offers(&self, intent: &str) -> Result<Vec<crate::inbox::InboxMessage>> {
        let intent = self.intents().get(intent).await?;
        let sent: Vec<String> =
            self.outbox_for("intent", &intent.id).await?.into_iter().map(|o| o.id).collect();
        let mut offers: Vec<_> = self
            .inbox(None)
            .await?
            .into_iter()
            .filter(|m| m.intent.as_ref().is_some_and(|i| sent.contains(i)))
            .collect();
        offers.sort_by(|a, b| a.created.cmp(&b.created));
        Ok(offers)
    }

    /// Accepts one offer: tells that vendor, and marks the intent accepted.
    pub async fn accept_offer(&self, offer: &str) -> Result<Sent> {
        let offer = self.inbox_message(offer).await?;
        let intent_message = offer.intent.clone().ok_or_else(|| {
            Error::invalid("offer", format!("{} is a {}, not an offer", offer.id, offer.message_type))
        })?;
        let original = self
            .outbox_item(&intent_message)
            .await
            .map_err(|_| Error::invalid("offer", "it answers an intent this vault did not send"))?;
        let intent_id = original.record_id.clone().unwrap_or_default();
        let intent = self.intents().get(&intent_id).await?;
        if matches!(intent.state.as_str(), "accepted" | "withdrawn") {
            return Err(Error::Conflict(format!("intent {} is already {}", intent.id, intent.state)));
        }
        // Dates compare as text in ISO 8601; today's date from the same clock as `now()`.
        if let Some(until) = offer.body["validUntil"].as_str() {
            if until < &now()[..10] {
                return Err(Error::Conflict(format!("offer {} was valid until {until}", offer.id)));
            }
        }
        let vendor = self.vendors().get(&offer.vendor_id).await?;
        let ctx = self.contact(&vendor).await?;
        let body = Body::OfferAcceptance(OfferAcceptance { offer: parse_id(&offer.id)? });
        let consent = original.consent_id.as_deref().map(parse_consent).transpose()?;
        let mut draft = Self::draft(ctx, body, consent, "intent", &intent.id);
        draft.message.thread = Some(parse_id(&intent_message)?);
        draft.message.in_reply_to = Some(parse_id(&offer.id)?);
        let changes = vec![
            set_state(Stateful::Intents, &intent.id, &OPEN_INTENT, "accepted"),
            Change::any("UPDATE inbox SET state = 'accepted' WHERE id = ?", vec![offer.id.clone()]),
        ];
        self.queue(vec![draft], changes).await
    }

    /// Withdraws an intent: tells every vendor that received it; copies not yet
    /// delivered are cancelled instead.
    pub async fn withdraw_intent(&self, id: &str) -> Result<Sent> {
        let intent = self.intents().get(id).await?;
        if matches!(intent.state.as_str(), "accepted" | "withdrawn") {
            return Err(Error::Conflict(format!("intent {} is already {}", intent.id, intent.state)));
        }
        let mut drafts = Vec::new();
        let mut changes = vec![set_state(Stateful::Intents, &intent.id, &OPEN_INTENT, "withdrawn")];
        for item in self.outbox_for("intent", &intent.id).await? {
            if item.message_type != "Intent" {
                continue;
            }
            if item.state.as_str() == "queued" {
                changes.push(Change::any(
                    "UPDATE outbox SET state = 'cancelled', last_error = 'the intent was withdrawn before it left'
                     WHERE id = ? AND state = 'queued'",
                    vec![item.id.clone()],
                ));
                continue;
            }
            if item.state.as_str() != "delivered" {
                continue;
            }
            let vendor = self.vendors().get(&item.vendor_id).await?;
            let ctx = self.contact(&vendor).await?;
            let body = Body::IntentWithdrawal(IntentWithdrawal { intent: parse_id(&item.id)? });
            let consent = item.consent_id.as_deref().map(parse_consent).transpose()?;
            let mut draft = Self::draft(ctx, body, consent, "intent", &intent.id);
            draft.message.thread = Some(parse_id(&item.id)?);
            drafts.push(draft);
        }
        self.queue(drafts, changes).await
    }

    // ---- consents --------------------------------------------------------------------

    /// Writes a consent and proffers it to the vendor at once.
    pub async fn grant_consent(&self, fields: ConsentFields) -> Result<(Consent, Sent)> {
        let vendor_name = fields.vendor.clone().ok_or_else(|| Error::invalid("vendor", "is required"))?;
        let vendor = self.vendors().get(&vendor_name).await?;
        self.contact(&vendor).await?;
        let consent = self.consents().add(fields).await?;
        let sent = self.proffer_consent(&consent.id).await?;
        Ok((self.consents().get(&consent.id).await?, sent))
    }

    fn grant_draft(ctx: VendorContext, c: &Consent) -> Result<Draft> {
        let body = Body::ConsentGrant(ConsentGrant {
            agreement: c.agreement,
            purpose: c.purpose,
            categories: c.categories.clone(),
            retention_days: c.retention_days,
            terms: c.terms.clone(),
        });
        let mut draft = Self::draft(ctx, body, None, "consent", &c.id);
        // The consent's id is the grant's id: both sides name the consent by it.
        draft.message.id = parse_id(&c.id)?;
        Ok(draft)
    }

    /// The `ConsentGrant` a draft consent would send.
    pub async fn preview_consent(&self, id: &str) -> Result<Vec<Preview>> {
        let c = self.consents().get(id).await?;
        let vendor = self.vendors().get(&c.vendor_id).await?;
        Self::preview(vec![Self::grant_draft(self.contact(&vendor).await?, &c)?])
    }

    /// Proffers a draft consent to its vendor.
    pub async fn proffer_consent(&self, id: &str) -> Result<Sent> {
        let c = self.consents().get(id).await?;
        if c.state != ConsentState::Draft {
            return Err(Error::Conflict(format!("consent {} is {}, not a draft", c.id, c.state)));
        }
        let vendor = self.vendors().get(&c.vendor_id).await?;
        let draft = Self::grant_draft(self.contact(&vendor).await?, &c)?;
        self.queue(vec![draft], vec![set_state(Stateful::Consents, &c.id, &["draft"], "proffered")]).await
    }

    /// Takes the alternative agreement a vendor offered: a new consent with it, same
    /// purpose, categories and retention, proffered at once.
    pub async fn accept_alternative(&self, id: &str) -> Result<(Consent, Sent)> {
        let c = self.consents().get(id).await?;
        let Some(alternative) = c.alternative.filter(|_| c.state == ConsentState::Alternative) else {
            return Err(Error::Conflict(format!(
                "consent {} has no alternative offered by the vendor",
                c.id
            )));
        };
        let fields = ConsentFields {
            vendor: Some(c.vendor_id.clone()),
            agreement: Some(alternative),
            purpose: Some(c.purpose),
            categories: Some(c.categories.clone()),
            retention_days: Some(c.retention_days as i64),
            terms: c.terms.clone(),
            state: None,
        };
        let next = self.consents().add(fields).await?;
        let sent = self.proffer_consent(&next.id).await?;
        self.consents()
            .update(&c.id, ConsentFields { state: Some(ConsentState::Refused), ..Default::default() })
            .await?;
        Ok((self.consents().get(&next.id).await?, sent))
    }

    /// Revokes a consent: cancels what is still queued under it, tells the vendor, and
    /// keeps the vendor's signed deletion receipt when it comes.
    pub async fn revoke_consent(&self, id: &str, reason: Option<String>) -> Result<(Consent, Sent)> {
        let c = self.consents().get(id).await?;
        if !matches!(c.state, ConsentState::Agreed | ConsentState::Proffered | ConsentState::Alternative) {
            return Err(Error::Conflict(format!(
                "consent {} is {}: there is nothing to revoke",
                c.id, c.state
            )));
        }
        let changes = vec![
            set_state(Stateful::Consents, &c.id, &["agreed", "proffered", "alternative"], "revoked"),
            Change::any(
                "UPDATE outbox SET state = 'cancelled', last_error = 'the consent it relied on was revoked before it left'
                 WHERE consent_id = ? AND state = 'queued' AND type <> 'ConsentRevocation'",
                vec![c.id.clone()],
            ),
        ];
        // A grant that never left is simply cancelled: the vendor holds nothing under it,
        // so there is nothing to tell it and no deletion to ask for.
        let grant_left = self.outbox_item(&c.id).await.map(|g| g.state.as_str() != "queued").unwrap_or(true);
        let drafts = if grant_left {
            let vendor = self.vendors().get(&c.vendor_id).await?;
            let ctx = self.contact(&vendor).await?;
            let body = Body::ConsentRevocation(ConsentRevocation { reason });
            vec![Self::draft(ctx, body, Some(parse_consent(&c.id)?), "consent", &c.id)]
        } else {
            Vec::new()
        };
        let sent = self.queue(drafts, changes).await?;
        Ok((self.consents().get(&c.id).await?, sent))
    }
}

fn parse_id(uuid: &str) -> Result<MessageId> {
    format!("urn:uuid:{uuid}").parse().map_err(|_| Error::invalid("id", format!("{uuid} is not a UUID")))
}

fn parse_consent(uuid: &str) -> Result<ConsentId> {
    Ok(parse_id(uuid)?.into())
}

fn consent_id(c: &Consent) -> Result<ConsentId> {
    parse_consent(&c.id)
}
