//! Sending: each entry point takes a record, finds its vendor's [`Contact`], has
//! [`super::compose`] build the message under the consent that covers it, signs it,
//! queues it in one transaction with the record's move to its next state, and tries to
//! deliver it at once. `preview_*` builds and signs the same message without queuing it.

use parley_protocol::{Body, ConsentRevocation, IntentWithdrawal, MessageType, OfferAcceptance};
use serde::Serialize;
use serde_json::Value;
use sqlx::SqliteConnection;

use super::compose::Draft;
use super::contact::Contact;
use super::delivery::SyncProblem;
use super::Agent;
use crate::error::{Error, Result};
use crate::ids::{ConsentRecordId, FeedbackId, IntentId, MessageUuid, RecordKind, SupportId, VendorId};
use crate::inbox::{self, InboxMessage};
use crate::outbox::{self, enqueue_in, OutboxItem, OutboxState, Outgoing};
use crate::records::consents::{self, Consent, ConsentFields, ConsentState};
use crate::records::feedback::{self, Feedback};
use crate::records::intents::{self, Intent, IntentState};
use crate::records::support::{self, SupportRequest};

/// One message as it will leave: to whom, under which consent, the signed JSON. The id,
/// `created` and proof are made afresh when it is actually sent.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    /// The vendor's name.
    pub vendor: String,
    /// The consent it relies on.
    pub consent_id: Option<ConsentRecordId>,
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

/// What queuing a message changes besides the outbox, in the same transaction: each
/// change is made by the module of its table, and checked there.
enum Change {
    FeedbackSent(FeedbackId),
    SupportSent(SupportId),
    Intent {
        id: IntentId,
        from: Vec<IntentState>,
        to: IntentState,
    },
    /// Refused if the intent was ever queued for that vendor.
    IntentNotYetSentTo {
        intent: IntentId,
        vendor: VendorId,
        name: String,
    },
    OfferAccepted(MessageUuid),
    IntentCopyCancelled(MessageUuid),
    Consent {
        id: ConsentRecordId,
        from: Vec<ConsentState>,
        to: ConsentState,
    },
    QueuedUnderConsentCancelled(ConsentRecordId),
}

impl Change {
    async fn apply_in(self, conn: &mut SqliteConnection) -> Result<()> {
        match self {
            Self::FeedbackSent(id) => feedback::mark_sent_in(conn, &id).await,
            Self::SupportSent(id) => support::mark_sent_in(conn, &id).await,
            Self::Intent { id, from, to } => intents::move_in(conn, &id, &from, to).await,
            Self::IntentNotYetSentTo { intent, vendor, name } => {
                if outbox::intent_sent_to_in(conn, &intent, &vendor).await? {
                    return Err(Error::Conflict(format!("intent {intent} was already sent to {name}")));
                }
                Ok(())
            }
            Self::OfferAccepted(offer) => inbox::accepted_in(conn, &offer).await,
            Self::IntentCopyCancelled(id) => outbox::cancel_withdrawn_in(conn, &id).await,
            Self::Consent { id, from, to } => consents::move_in(conn, &id, &from, to).await,
            Self::QueuedUnderConsentCancelled(id) => outbox::cancel_under_consent_in(conn, &id).await,
        }
    }
}

impl Agent {
    fn preview(drafts: Vec<Draft>) -> Result<Vec<Preview>> {
        drafts
            .into_iter()
            .map(|d| {
                let signed =
                    d.message.sign(&d.contact.key).map_err(|e| Error::invalid("message", e.to_string()))?;
                Ok(Preview {
                    vendor: d.contact.vendor.name.clone(),
                    consent_id: signed.consent.as_ref().map(ConsentRecordId::from),
                    message: signed.document().clone(),
                })
            })
            .collect()
    }

    /// Signs the drafts and queues them with `changes` in one transaction, then tries to
    /// deliver each vendor's queue with the contact the draft was made with.
    async fn queue(&self, drafts: Vec<Draft>, changes: Vec<Change>) -> Result<Sent> {
        let mut outgoing = Vec::with_capacity(drafts.len());
        let mut contacts = Vec::with_capacity(drafts.len());
        for d in drafts {
            let signed =
                d.message.sign(&d.contact.key).map_err(|e| Error::invalid("message", e.to_string()))?;
            outgoing.push(Outgoing {
                vendor_id: d.contact.vendor.id.clone(),
                vendor_name: d.contact.vendor.name.clone(),
                signed,
                record_kind: d.record_kind,
                record_id: d.record_id,
            });
            contacts.push(d.contact);
        }
        let mut tx = self.vault().pool().begin_with("BEGIN IMMEDIATE").await?;
        // An error returns early and drops the transaction: nothing is queued or changed.
        for change in changes {
            change.apply_in(&mut tx).await?;
        }
        for out in &outgoing {
            enqueue_in(&mut tx, out).await?;
        }
        tx.commit().await?;
        let mut problems = Vec::new();
        for contact in &contacts {
            problems.extend(self.deliver_now(contact).await?.problems);
        }
        let mut messages = Vec::with_capacity(outgoing.len());
        for out in &outgoing {
            messages.push(self.vault().outbox_item(&out.uuid()).await?);
        }
        Ok(Sent { messages, problems })
    }

    // ---- feedback and support --------------------------------------------------------

    async fn feedback_draft(&self, f: &Feedback, vendor: Option<&str>) -> Result<Draft> {
        let product = match &f.product_id {
            Some(p) => Some(self.vault().products().by_id(p).await?),
            None => None,
        };
        let vendor = self.vendor_of(vendor, f.vendor_id.as_ref(), product.as_ref()).await?;
        let contact = self.contact(&vendor).await?;
        self.compose_feedback(contact, f, product.as_ref()).await
    }

    /// The feedback message as it would leave.
    pub async fn preview_feedback(&self, id: &str, vendor: Option<&str>) -> Result<Vec<Preview>> {
        let f = self.vault().feedback().get(id).await?;
        Self::preview(vec![self.feedback_draft(&f, vendor).await?])
    }

    /// Signs, queues and tries to deliver a feedback.
    pub async fn send_feedback(&self, id: &str, vendor: Option<&str>) -> Result<Sent> {
        let f = self.vault().feedback().get(id).await?;
        if f.state != feedback::FeedbackState::Draft {
            return Err(Error::Conflict(format!("feedback {} was already sent", f.id)));
        }
        let draft = self.feedback_draft(&f, vendor).await?;
        self.queue(vec![draft], vec![Change::FeedbackSent(f.id)]).await
    }

    async fn support_draft(&self, s: &SupportRequest, vendor: Option<&str>) -> Result<Draft> {
        let product = self.vault().products().by_id(&s.product_id).await?;
        let vendor = self.vendor_of(vendor, None, Some(&product)).await?;
        let contact = self.contact(&vendor).await?;
        self.compose_support(contact, s, &product).await
    }

    /// The support request as it would leave.
    pub async fn preview_support(&self, id: &str, vendor: Option<&str>) -> Result<Vec<Preview>> {
        let s = self.vault().support().get(id).await?;
        Self::preview(vec![self.support_draft(&s, vendor).await?])
    }

    /// Signs, queues and tries to deliver a support request.
    pub async fn send_support(&self, id: &str, vendor: Option<&str>) -> Result<Sent> {
        let s = self.vault().support().get(id).await?;
        if s.state != support::SupportState::Draft {
            return Err(Error::Conflict(format!("support request {} was already sent", s.id)));
        }
        let draft = self.support_draft(&s, vendor).await?;
        self.queue(vec![draft], vec![Change::SupportSent(s.id)]).await
    }

    // ---- intents ---------------------------------------------------------------------

    /// One signed copy of the intent per vendor, each under that vendor's consent.
    async fn intent_drafts(&self, intent: &Intent, vendors: &[String]) -> Result<Vec<Draft>> {
        if vendors.is_empty() {
            return Err(Error::invalid("vendors", "name at least one vendor to send the intent to"));
        }
        let already = self.vault().outbox_for(RecordKind::Intent, &(&intent.id).into()).await?;
        let mut drafts: Vec<Draft> = Vec::new();
        for name in vendors {
            let vendor = self.vault().vendors().get(name).await?;
            if already.iter().any(|o| o.vendor_id == vendor.id && o.message_type == MessageType::Intent) {
                return Err(Error::Conflict(format!(
                    "intent {} was already sent to {}",
                    intent.id, vendor.name
                )));
            }
            if drafts.iter().any(|d| d.contact.vendor.id == vendor.id) {
                return Err(Error::invalid("vendors", format!("{} is named twice", vendor.name)));
            }
            let contact = self.contact(&vendor).await?;
            drafts.push(self.compose_intent(contact, intent).await?);
        }
        Ok(drafts)
    }

    /// The intent as each vendor would receive it (each signed by that vendor's pairwise
    /// key).
    pub async fn preview_intent(&self, id: &str, vendors: &[String]) -> Result<Vec<Preview>> {
        let intent = self.vault().intents().get(id).await?;
        Self::preview(self.intent_drafts(&intent, vendors).await?)
    }

    /// Casts an intent to several vendors at once.
    pub async fn send_intent(&self, id: &str, vendors: &[String]) -> Result<Sent> {
        let intent = self.vault().intents().get(id).await?;
        if !matches!(intent.state, IntentState::Draft | IntentState::Sent | IntentState::Offers) {
            return Err(Error::Conflict(format!(
                "intent {} is {}: it cannot be sent",
                intent.id, intent.state
            )));
        }
        let drafts = self.intent_drafts(&intent, vendors).await?;
        let to = if intent.state == IntentState::Draft { IntentState::Sent } else { intent.state };
        let mut changes = vec![Change::Intent { id: intent.id.clone(), from: vec![intent.state], to }];
        // Checked again inside the transaction: two casts at once must not both reach a vendor.
        for d in &drafts {
            changes.push(Change::IntentNotYetSentTo {
                intent: intent.id.clone(),
                vendor: d.contact.vendor.id.clone(),
                name: d.contact.vendor.name.clone(),
            });
        }
        self.queue(drafts, changes).await
    }

    /// Accepts one offer: tells that vendor, and marks the intent accepted.
    pub async fn accept_offer(&self, offer: &str) -> Result<Sent> {
        let offer: InboxMessage = self.vault().inbox_message(offer).await?;
        let intent_message = offer.intent.clone().ok_or_else(|| {
            Error::invalid("offer", format!("{} is a {}, not an offer", offer.id, offer.message_type))
        })?;
        let original = self
            .vault()
            .outbox_item(&intent_message)
            .await
            .map_err(|_| Error::invalid("offer", "it answers an intent this vault did not send"))?;
        let intent_id = original
            .record_kind
            .zip(original.record_id.as_ref())
            .and_then(|(kind, id)| id.intent(kind))
            .ok_or_else(|| Error::invalid("offer", "it answers a message that carried no intent"))?;
        let intent = self.vault().intents().by_id(&intent_id).await?;
        if matches!(intent.state, IntentState::Accepted | IntentState::Withdrawn) {
            return Err(Error::Conflict(format!("intent {} is already {}", intent.id, intent.state)));
        }
        if let Some(until) = offer.body["validUntil"].as_str() {
            if until < crate::clock::today().as_str() {
                return Err(Error::Conflict(format!("offer {} was valid until {until}", offer.id)));
            }
        }
        let vendor = self.vault().vendors().by_id(&offer.vendor_id).await?;
        let contact = self.contact(&vendor).await?;
        let mut message =
            contact.message(Body::OfferAcceptance(OfferAcceptance { offer: offer.id.to_message_id() }));
        message.consent = original.consent_id.as_ref().map(ConsentRecordId::to_consent_id);
        message.thread = Some(intent_message.to_message_id());
        message.in_reply_to = Some(offer.id.to_message_id());
        let draft =
            Draft { contact, message, record_kind: RecordKind::Intent, record_id: (&intent.id).into() };
        let changes = vec![
            Change::Intent {
                id: intent.id.clone(),
                from: IntentState::OPEN.to_vec(),
                to: IntentState::Accepted,
            },
            Change::OfferAccepted(offer.id.clone()),
        ];
        self.queue(vec![draft], changes).await
    }

    /// Withdraws an intent: tells every vendor that received it; copies not yet
    /// delivered are cancelled instead.
    pub async fn withdraw_intent(&self, id: &str) -> Result<Sent> {
        let intent = self.vault().intents().get(id).await?;
        if matches!(intent.state, IntentState::Accepted | IntentState::Withdrawn) {
            return Err(Error::Conflict(format!("intent {} is already {}", intent.id, intent.state)));
        }
        let mut drafts = Vec::new();
        let mut changes = vec![Change::Intent {
            id: intent.id.clone(),
            from: IntentState::OPEN.to_vec(),
            to: IntentState::Withdrawn,
        }];
        for item in self.vault().outbox_for(RecordKind::Intent, &(&intent.id).into()).await? {
            if item.message_type != MessageType::Intent {
                continue;
            }
            match item.state {
                OutboxState::Queued => changes.push(Change::IntentCopyCancelled(item.id.clone())),
                OutboxState::Delivered => {
                    let vendor = self.vault().vendors().by_id(&item.vendor_id).await?;
                    let contact = self.contact(&vendor).await?;
                    let body = Body::IntentWithdrawal(IntentWithdrawal { intent: item.id.to_message_id() });
                    let mut message = contact.message(body);
                    message.consent = item.consent_id.as_ref().map(ConsentRecordId::to_consent_id);
                    message.thread = Some(item.id.to_message_id());
                    drafts.push(Draft {
                        contact,
                        message,
                        record_kind: RecordKind::Intent,
                        record_id: (&intent.id).into(),
                    });
                }
                OutboxState::Rejected | OutboxState::Cancelled => {}
            }
        }
        self.queue(drafts, changes).await
    }

    // ---- consents --------------------------------------------------------------------

    /// Writes a consent and proffers it to the vendor at once.
    pub async fn grant_consent(&self, fields: ConsentFields) -> Result<(Consent, Sent)> {
        let vendor_name = fields.vendor.clone().ok_or_else(|| Error::invalid("vendor", "is required"))?;
        let vendor = self.vault().vendors().get(&vendor_name).await?;
        let contact = self.contact(&vendor).await?;
        let consent = self.vault().consents().add(fields).await?;
        let sent = self.proffer(contact, &consent).await?;
        Ok((self.vault().consents().by_id(&consent.id).await?, sent))
    }

    async fn proffer(&self, contact: Contact, c: &Consent) -> Result<Sent> {
        let change = Change::Consent {
            id: c.id.clone(),
            from: vec![ConsentState::Draft],
            to: ConsentState::Proffered,
        };
        self.queue(vec![Self::compose_grant(contact, c)], vec![change]).await
    }

    /// The `ConsentGrant` a draft consent would send.
    pub async fn preview_consent(&self, id: &str) -> Result<Vec<Preview>> {
        let c = self.vault().consents().get(id).await?;
        let vendor = self.vault().vendors().by_id(&c.vendor_id).await?;
        Self::preview(vec![Self::compose_grant(self.contact(&vendor).await?, &c)])
    }

    /// Proffers a draft consent to its vendor.
    pub async fn proffer_consent(&self, id: &str) -> Result<Sent> {
        let c = self.vault().consents().get(id).await?;
        if c.state != ConsentState::Draft {
            return Err(Error::Conflict(format!("consent {} is {}, not a draft", c.id, c.state)));
        }
        let vendor = self.vault().vendors().by_id(&c.vendor_id).await?;
        self.proffer(self.contact(&vendor).await?, &c).await
    }

    /// Takes the alternative agreement a vendor offered: a new consent with it, same
    /// purpose, categories and retention, proffered at once.
    pub async fn accept_alternative(&self, id: &str) -> Result<(Consent, Sent)> {
        let c = self.vault().consents().get(id).await?;
        let Some(alternative) = c.alternative.filter(|_| c.state == ConsentState::Alternative) else {
            return Err(Error::Conflict(format!(
                "consent {} has no alternative offered by the vendor",
                c.id
            )));
        };
        let fields = ConsentFields {
            vendor: Some(c.vendor_id.to_string()),
            agreement: Some(alternative),
            purpose: Some(c.purpose),
            categories: Some(c.categories.clone()),
            retention_days: Some(c.retention_days as i64),
            terms: c.terms.clone(),
            state: None,
        };
        let next = self.vault().consents().add(fields).await?;
        let vendor = self.vault().vendors().by_id(&next.vendor_id).await?;
        let sent = self.proffer(self.contact(&vendor).await?, &next).await?;
        // The alternative taken, the consent it was offered for is settled as refused.
        let mut tx = self.vault().pool().begin_with("BEGIN IMMEDIATE").await?;
        Change::Consent {
            id: c.id.clone(),
            from: vec![ConsentState::Alternative],
            to: ConsentState::Refused,
        }
        .apply_in(&mut tx)
        .await?;
        tx.commit().await?;
        Ok((self.vault().consents().by_id(&next.id).await?, sent))
    }

    /// Revokes a consent: cancels what is still queued under it, tells the vendor, and
    /// keeps the vendor's signed deletion receipt when it comes.
    pub async fn revoke_consent(&self, id: &str, reason: Option<String>) -> Result<(Consent, Sent)> {
        let c = self.vault().consents().get(id).await?;
        let revocable = [ConsentState::Agreed, ConsentState::Proffered, ConsentState::Alternative];
        if !revocable.contains(&c.state) {
            return Err(Error::Conflict(format!(
                "consent {} is {}: there is nothing to revoke",
                c.id, c.state
            )));
        }
        let changes = vec![
            Change::Consent { id: c.id.clone(), from: revocable.to_vec(), to: ConsentState::Revoked },
            Change::QueuedUnderConsentCancelled(c.id.clone()),
        ];
        // A grant that never left is simply cancelled: the vendor holds nothing under it,
        // so there is nothing to tell it and no deletion to ask for.
        let grant_left = self
            .vault()
            .outbox_item(&c.id.grant())
            .await
            .map(|g| g.state != OutboxState::Queued)
            .unwrap_or(true);
        let drafts = if grant_left {
            let vendor = self.vault().vendors().by_id(&c.vendor_id).await?;
            let contact = self.contact(&vendor).await?;
            let mut message = contact.message(Body::ConsentRevocation(ConsentRevocation { reason }));
            message.consent = Some(c.id.to_consent_id());
            vec![Draft { contact, message, record_kind: RecordKind::Consent, record_id: (&c.id).into() }]
        } else {
            Vec::new()
        };
        let sent = self.queue(drafts, changes).await?;
        Ok((self.vault().consents().by_id(&c.id).await?, sent))
    }
}
