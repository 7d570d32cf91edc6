//! Delivery: what the outbox holds goes to vendors, and (in a sync) what they sent comes
//! back.
//!
//! For each vendor concerned: fetch its descriptor and check the pinned key (a changed
//! key stops everything with that vendor), post the due messages oldest first, verify
//! each receipt against the pinned key and the digest of the exact bytes sent, apply
//! the vendor's signed answer — only when [`super::answers`] finds it fits — in the
//! transaction that marks the message delivered, then pull the inbox. A vendor that is
//! down, slow or failing keeps its messages queued with exponential backoff; nothing
//! here loses or duplicates a message, because ids are idempotent at the vendor and
//! state changes are committed only after the answer verified.

use parley_protocol::{Body, MessageType};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::answers::{apply_answer, expected_answer, misfit};
use super::contact::Contact;
use super::transport::Posted;
use super::Agent;
use crate::audit::{append_in, Entry};
use crate::error::{Error, ErrorCode, Result};
use crate::outbox::{self, OutboxItem};
use crate::records::consents::{self, ConsentState};
use crate::records::vendors::Vendor;

/// What to do in one sync.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncOptions {
    /// Only this vendor (id, prefix or name).
    pub vendor: Option<String>,
    /// Retry queued messages now, whatever their backoff says.
    pub now: bool,
    /// Do not pull inboxes.
    pub skip_inbox: bool,
}

/// What one sync did.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    /// Messages delivered, with their verified receipts.
    pub delivered: Vec<OutboxItem>,
    /// Messages the vendor refused for good.
    pub rejected: Vec<OutboxItem>,
    /// Messages still waiting.
    pub queued: usize,
    /// New offers and replies stored.
    pub received: usize,
    /// New reads of the person's messages reported by vendors' staff-access logs.
    pub reads: usize,
    /// Products that orders delivered, added with their proof of purchase.
    pub owned: Vec<crate::records::products::Product>,
    /// What went wrong, per vendor.
    pub problems: Vec<SyncProblem>,
}

/// One vendor's trouble during a sync.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SyncProblem {
    /// The vendor's name.
    pub vendor: String,
    /// The error's stable code: `unreachable` passes by itself; the others need the
    /// person's attention.
    pub code: ErrorCode,
    /// What happened.
    pub error: String,
}

impl SyncProblem {
    pub(crate) fn new(vendor: &str, e: &Error) -> Self {
        Self { vendor: vendor.to_owned(), code: e.code(), error: e.to_string() }
    }

    /// Whether it will not pass by waiting: a changed key or something that did not verify.
    pub fn needs_attention(&self) -> bool {
        self.code != ErrorCode::Unreachable
    }
}

impl Agent {
    /// Delivers what is due (everything queued with `now`), then pulls every inbox.
    pub async fn sync(&self, options: &SyncOptions) -> Result<SyncReport> {
        let vendors = match &options.vendor {
            Some(v) => vec![self.vault().vendors().get(v).await?],
            None => self.vault().vendors().with_traffic(options.now).await?,
        };
        let mut report = SyncReport::default();
        for vendor in vendors {
            if let Err(e) = self.sync_vendor(&vendor, options, &mut report).await {
                report.problems.push(SyncProblem::new(&vendor.name, &e));
            }
        }
        report.queued = self.vault().waiting().await?;
        Ok(report)
    }

    async fn sync_vendor(
        &self,
        vendor: &Vendor,
        options: &SyncOptions,
        report: &mut SyncReport,
    ) -> Result<()> {
        let fresh = self.refresh_or_hold(vendor, options.now).await?;
        let contact = self.contact_with(fresh).await?;
        self.post_due(&contact, &contact.vendor, options.now, report).await?;
        if !options.skip_inbox {
            report.received += self.pull(&contact, report).await?;
            // Reads at the vendor are news, not a failure of this sync's deliveries.
            match self.pull_access_log(&contact).await {
                Ok(reads) => report.reads += reads,
                Err(e) => report.problems.push(SyncProblem::new(&contact.vendor.name, &e)),
            }
        }
        Ok(())
    }

    /// Delivers the contact's vendor's queued messages now, right after a send: the
    /// descriptor is checked again (a changed key stops here, the message stays queued),
    /// then everything due is posted with the contact's keys.
    pub(crate) async fn deliver_now(&self, contact: &Contact) -> Result<SyncReport> {
        let mut report = SyncReport::default();
        let delivered = match self.refresh_or_hold(&contact.vendor, true).await {
            Ok(fresh) => self.post_due(contact, &fresh, true, &mut report).await,
            Err(e) => Err(e),
        };
        if let Err(e) = delivered {
            report.problems.push(SyncProblem::new(&contact.vendor.name, &e));
        }
        report.queued = self.vault().waiting().await?;
        Ok(report)
    }

    /// The vendor as its descriptor says now; if that cannot be had, its due messages
    /// wait (with backoff when the vendor is just unreachable).
    async fn refresh_or_hold(&self, vendor: &Vendor, ignore_backoff: bool) -> Result<Vendor> {
        match self.refresh(vendor).await {
            Ok(fresh) => Ok(fresh),
            Err(e) => {
                let transient = matches!(e, Error::Unreachable { .. });
                for (item, _) in outbox::due(self.vault().pool(), &vendor.id, ignore_backoff).await? {
                    outbox::retry_later(self.vault().pool(), &item, &e.to_string(), transient).await?;
                }
                Err(e)
            }
        }
    }

    /// Posts the vendor's due messages, oldest first, to its messages endpoint as its
    /// descriptor names it now (`fresh`).
    async fn post_due(
        &self,
        contact: &Contact,
        fresh: &Vendor,
        ignore_backoff: bool,
        report: &mut SyncReport,
    ) -> Result<()> {
        let Some(url) = fresh.messages_url.clone() else { return Ok(()) };
        let pool = self.vault().pool();
        for (item, bytes) in outbox::due(pool, &contact.vendor.id, ignore_backoff).await? {
            match self.transport.post(&url, &bytes).await? {
                Posted::Transient(reason) => {
                    outbox::retry_later(pool, &item, &reason, true).await?;
                    return Err(Error::Unreachable { vendor: contact.vendor.name.clone(), reason });
                }
                // The person has revoked: that stands whatever the vendor says, and the
                // revocation is offered again until a deletion receipt comes back.
                Posted::Refused { kind, detail } if item.message_type == MessageType::ConsentRevocation => {
                    let e = Error::Refused { vendor: contact.vendor.name.clone(), kind, detail };
                    outbox::retry_later(pool, &item, &e.to_string(), true).await?;
                    report.problems.push(SyncProblem::new(&contact.vendor.name, &e));
                }
                Posted::Refused { kind, detail } => {
                    report.rejected.push(self.reject(&item, &format!("{kind}: {detail}")).await?);
                }
                Posted::Answered(answer) => match self.accept_answer(contact, &item, &answer).await {
                    Ok(delivered) => report.delivered.push(delivered),
                    Err(e) => {
                        outbox::retry_later(pool, &item, &e.to_string(), true).await?;
                        report.problems.push(SyncProblem::new(&contact.vendor.name, &e));
                    }
                },
            }
        }
        Ok(())
    }

    /// Records a refusal for good; a refused grant leaves its consent refused.
    async fn reject(&self, item: &OutboxItem, reason: &str) -> Result<OutboxItem> {
        let mut tx = self.vault().pool().begin_with("BEGIN IMMEDIATE").await?;
        outbox::reject_in(&mut tx, &item.id, reason).await?;
        if item.message_type == MessageType::ConsentGrant {
            if let Some(consent) = &item.consent_id {
                consents::answered_in(&mut tx, consent, ConsentState::Refused, None, Some(reason), None)
                    .await?;
            }
        }
        let mut entry = Entry::new(
            "message.rejected",
            format!("{} refused {}: {reason}", item.vendor, item.message_type),
        )
        .vendor(&item.vendor_id)
        .detail(json!({"message": item.id, "reason": reason}));
        if let Some(c) = &item.consent_id {
            entry = entry.consent(c);
        }
        append_in(&mut tx, entry).await?;
        tx.commit().await?;
        self.vault().outbox_item(&item.id).await
    }

    /// Verifies the receipt (and answer) for `item`, then records delivery and applies
    /// the answer in one transaction.
    async fn accept_answer(
        &self,
        contact: &Contact,
        item: &OutboxItem,
        answer: &Value,
    ) -> Result<OutboxItem> {
        let receipt = contact.verify(&answer["receipt"], "receipt")?;
        let message_id = item.id.to_message_id();
        match &receipt.body {
            Body::Receipt(r) if r.message == message_id && r.digest == item.digest => {}
            Body::Receipt(r) => {
                return Err(contact.bad(format!(
                    "the receipt is for message {} with digest {}, not {message_id} with digest {}",
                    r.message, r.digest, item.digest
                )))
            }
            other => return Err(contact.bad(format!("expected a Receipt, got {}", other.message_type()))),
        }
        let extra = match answer.get("answer") {
            Some(a) => {
                let a = contact.verify(a, "answer")?;
                if a.in_reply_to != Some(message_id) {
                    return Err(contact.bad("the answer does not answer this message".into()));
                }
                Some(a)
            }
            None => None,
        };
        // A grant is delivered only with the vendor's agreement, a revocation only with
        // its deletion receipt: until they come, the message stays queued and reported.
        if let (Some(expected), None) = (expected_answer(item.message_type), &extra) {
            return Err(contact.bad(format!("a {} was receipted without its {expected}", item.message_type)));
        }
        let mut tx = self.vault().pool().begin_with("BEGIN IMMEDIATE").await?;
        if outbox::delivered_in(&mut tx, &item.id, receipt.canonical()).await? {
            let mut entry = Entry::new(
                "message.delivered",
                format!("{} delivered to {}", item.message_type, item.vendor),
            )
            .vendor(&item.vendor_id)
            .detail(json!({"message": message_id.to_string(), "digest": item.digest, "receipt": receipt.document()}));
            if let Some(c) = &item.consent_id {
                entry = entry.consent(c);
            }
            append_in(&mut tx, entry).await?;
            if let Some(a) = &extra {
                if let Some(reason) = misfit(&mut tx, item, a).await? {
                    // Dropping the transaction undoes the delivery mark: nothing changes.
                    return Err(contact.bad(reason));
                }
                apply_answer(&mut tx, item, a).await?;
            }
        }
        tx.commit().await?;
        self.vault().outbox_item(&item.id).await
    }
}
