//! Receiving: from the raw bytes of a POST to the signed answer, independent of HTTP.
//!
//! `verify` (size, JSON, shape, recipient, time window, proof) runs first and rejects
//! without touching the store; then the message's type decides what the writer stores
//! and what the vendor answers. Only after the writer has committed is the answer sent.

use std::sync::Arc;

use parley_protocol::{
    check_claim, verify, AccessLog, Body, ConsentAgreement, DeletionReceipt, Did, Message, MessageId,
    MessageType, Receipt, ReceiptStatus, SecretKey, SupportRequest, Timestamp, Verified, VerifyPolicy,
};
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

use crate::config::VendorConfig;
use crate::consent::decide;
use crate::consent::ConsentNeed;
use crate::problem::{Problem, ProblemKind};
use crate::receipts::KeptReceipt;
use crate::store::writer::{Job, NewConsent, NewMessage, Outcome, Writer};
use crate::store::Store;

/// How fresh an inbox query must be: it returns the person's messages to whoever sends
/// it, so a captured old query must not work.
const INBOX_FRESHNESS: Duration = Duration::minutes(5);

/// Everything a request handler needs.
pub struct Endpoint {
    /// The vendor's configuration.
    pub config: VendorConfig,
    /// The vendor's signing key.
    pub key: Arc<SecretKey>,
    /// The store.
    pub store: Store,
    pub(crate) writer: Writer,
    /// Counters for `GET /metrics`.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Where people reach the endpoint (no trailing slash).
    pub public_url: String,
    /// When this instance started: the agreements' effective date until an admin sets them.
    pub started: Timestamp,
    /// How long one request may take, body included.
    pub request_timeout: std::time::Duration,
    /// Connection limits: header-read timeout, most connections, shutdown grace.
    pub limits: crate::server::Limits,
    /// How long console sessions live.
    pub sessions: crate::store::staff::SessionLimits,
    /// How webhook deliveries are sent and retried.
    pub webhooks: crate::webhooks::WebhookPolicy,
}

impl Endpoint {
    /// The vendor's DID.
    pub fn did(&self) -> &Did {
        &self.config.did
    }

    fn sign(&self, message: Message) -> Result<Verified<Message>, Problem> {
        message.sign(&self.key).map_err(|e| {
            tracing::error!(error = %e, "cannot sign an answer");
            Problem::new(ProblemKind::Unavailable, "the vendor could not sign its answer")
        })
    }

    /// The receipt for `m`, whose digest is `digest`, before it is signed.
    fn unsigned_receipt(&self, m: &Verified<Message>, digest: &str) -> Message {
        let body = Receipt { message: m.id, digest: digest.to_owned(), status: ReceiptStatus::Accepted };
        self.answer_to(m, Body::Receipt(body))
    }

    /// The signed receipt for `m`, whose digest is `digest`.
    fn receipt(&self, m: &Verified<Message>, digest: &str) -> Result<Verified<Message>, Problem> {
        self.sign(self.unsigned_receipt(m, digest))
    }

    /// The receipt for `m` that was made as `kept` says, signed again: byte for byte the
    /// one first sent (see [`crate::receipts`]).
    fn receipt_again(
        &self,
        m: &Verified<Message>,
        digest: &str,
        kept: KeptReceipt,
    ) -> Result<Verified<Message>, Problem> {
        let mut receipt = self.unsigned_receipt(m, digest);
        receipt.id = kept.id;
        receipt.created = kept.created;
        self.sign(receipt)
    }

    /// The answer to a message received before with the same content, from what the
    /// store kept of the first answer.
    fn answer_again(&self, m: &Verified<Message>, digest: &str, stored: String) -> Result<String, Problem> {
        match KeptReceipt::from_column(&stored) {
            Some(kept) => Ok(response(&self.receipt_again(m, digest, kept)?, None)),
            None => Ok(stored),
        }
    }

    /// A vendor→person message answering `m`, in its thread, under its consent.
    fn answer_to(&self, m: &Verified<Message>, body: Body) -> Message {
        let mut answer = Message::new(self.did().clone(), m.from.clone(), body);
        answer.in_reply_to = Some(m.id);
        answer.thread = Some(m.thread.unwrap_or(m.id));
        answer.consent = m.consent.or_else(|| matches!(m.body, Body::ConsentGrant(_)).then(|| m.id.into()));
        answer
    }

    /// Receives one person→vendor message; returns the JSON answer to send.
    pub async fn receive(&self, raw: &[u8]) -> Result<String, Problem> {
        let policy = VerifyPolicy::for_vendor(self.did().clone(), OffsetDateTime::now_utc());
        let m = verify(raw, &policy)?;
        // A claim citing a purchase is taken only if the vendor signed that order for
        // this very person: checked on the vendor's own signature, so it holds even
        // after the order itself was deleted with a revoked consent.
        if let Body::SupportRequest(SupportRequest { purchase: Some(proof), .. }) = &m.body {
            check_claim(proof, self.did(), &m.from)
                .map_err(|e| Problem::new(ProblemKind::UnverifiedPurchase, format!("body.purchase: {e}")))?;
        }
        let message = new_message(&m);
        let digest = message.digest.clone();
        let job = match &m.body {
            Body::InboxQuery(_) => {
                return Err(Problem::new(ProblemKind::UnknownType, "send InboxQuery to /parley/v1/inbox"));
            }
            Body::AccessLogQuery(_) => {
                return Err(Problem::new(
                    ProblemKind::UnknownType,
                    "send AccessLogQuery to /parley/v1/access-log",
                ));
            }
            Body::ConsentGrant(grant) => {
                let (decision, agreement) = decide(&self.agreements().await?, grant.agreement, grant.purpose);
                let reason = match decision {
                    parley_protocol::Decision::Accepted => None,
                    parley_protocol::Decision::Alternative => Some(format!(
                        "{} is not accepted for this purpose; {} is offered instead",
                        grant.agreement.as_str(),
                        agreement.map(|a| a.as_str()).unwrap_or_default()
                    )),
                    parley_protocol::Decision::Refused => {
                        Some(format!("no agreement this vendor accepts covers {}", grant.purpose))
                    }
                };
                let body = ConsentAgreement { grant: m.id.into(), decision, agreement, reason };
                let answer = self.sign(self.answer_to(&m, Body::ConsentAgreement(body)))?;
                let response = response(&self.receipt(&m, &digest)?, Some(&answer));
                let state = decision.consent_state();
                let consent = NewConsent {
                    agreement: grant.agreement.as_str().to_owned(),
                    purpose: grant.purpose,
                    categories: grant.categories.clone(),
                    retention_days: grant.retention_days as i64,
                    state,
                };
                Job::Grant { message, response, consent }
            }
            Body::ConsentRevocation(_) => {
                let receipt = self.receipt(&m, &digest)?;
                let template =
                    self.answer_to(&m, Body::Reply(parley_protocol::Reply { text: String::new() }));
                let key = self.key.clone();
                let consent = m.consent.unwrap_or_default();
                // Signed by the writer once the deletion is committed and erased from disk.
                let answer = Arc::new(move |deleted: Vec<MessageId>| {
                    let mut msg = template.clone();
                    msg.id = MessageId::new();
                    msg.body = Body::DeletionReceipt(DeletionReceipt {
                        consent,
                        deleted,
                        completed: Timestamp::now(),
                    });
                    match msg.sign(&key) {
                        Ok(signed) => response(&receipt, Some(&signed)),
                        Err(_) => response(&receipt, None),
                    }
                });
                Job::Revoke { message, answer }
            }
            _ => {
                let need = ConsentNeed {
                    consent_id: m.consent.map(|c| c.to_string()).unwrap_or_default(),
                    categories: m.categories(),
                    purposes: m.message_type().purposes(),
                };
                let receipt = self.receipt(&m, &digest)?;
                let kept = KeptReceipt { id: receipt.id, created: receipt.created }.to_column();
                Job::Accept { message, response: response(&receipt, None), kept, need }
            }
        };
        match self.writer.submit(job).await? {
            Outcome::Stored(r) => Ok(r),
            Outcome::Duplicate(stored) => self.answer_again(&m, &digest, stored),
            // The writer signs a revocation's receipt before it answers.
            Outcome::Revoked { .. } => {
                Err(Problem::new(ProblemKind::Unavailable, "the deletion receipt is not signed yet; retry"))
            }
            Outcome::Conflict => Err(Problem::new(
                ProblemKind::ReplayedId,
                format!("message id {} was already used for a different message", m.id),
            )),
            Outcome::Consent(refusal) => Err(refusal.into()),
        }
    }

    /// Answers a signed `InboxQuery` with the offers and replies sent to its sender.
    pub async fn inbox(&self, raw: &[u8]) -> Result<Value, Problem> {
        let now = OffsetDateTime::now_utc();
        let m = verify(raw, &VerifyPolicy::for_vendor(self.did().clone(), now))?;
        let Body::InboxQuery(query) = &m.body else {
            return Err(Problem::new(ProblemKind::UnknownType, "only InboxQuery is answered here"));
        };
        if (now - m.created.get()).abs() > INBOX_FRESHNESS {
            return Err(Problem::new(
                ProblemKind::NotYetValid,
                "an inbox query must be created within 5 minutes of now (it is answered to whoever sends it)",
            ));
        }
        // Answered once: a query captured on the way must not fetch the messages again.
        if !self.store.first_inbox_query(&m.id.to_string(), &m.from, m.created).await? {
            return Err(Problem::new(
                ProblemKind::ReplayedId,
                format!("inbox query {} was already answered; sign a new one", m.id),
            ));
        }
        let messages = self.store.inbox(&m.from, query.since).await?;
        self.store.mark_pulled(&m.from, &messages).await?;
        Ok(json!({ "messages": messages }))
    }

    /// Answers a signed `AccessLogQuery` with a signed `AccessLog`: the reads of its
    /// sender's messages after the entry it names, and the head of their chain. Fresh
    /// and answered once, like an inbox query; no consent needed (it is about the
    /// sender's own messages, and outlives their consents).
    pub async fn access_log(&self, raw: &[u8]) -> Result<String, Problem> {
        let now = OffsetDateTime::now_utc();
        let m = verify(raw, &VerifyPolicy::for_vendor(self.did().clone(), now))?;
        let Body::AccessLogQuery(query) = &m.body else {
            return Err(Problem::new(ProblemKind::UnknownType, "only AccessLogQuery is answered here"));
        };
        if (now - m.created.get()).abs() > INBOX_FRESHNESS {
            return Err(Problem::new(
                ProblemKind::NotYetValid,
                "an access-log query must be created within 5 minutes of now (it is answered to whoever sends it)",
            ));
        }
        if !self.store.first_inbox_query(&m.id.to_string(), &m.from, m.created).await? {
            return Err(Problem::new(
                ProblemKind::ReplayedId,
                format!("access-log query {} was already answered; sign a new one", m.id),
            ));
        }
        let (entries, head) = self.store.access_log(m.from.as_str(), query.after).await?;
        let mut answer =
            Message::new(self.did().clone(), m.from.clone(), Body::AccessLog(AccessLog { entries, head }));
        answer.in_reply_to = Some(m.id);
        Ok(self.sign(answer)?.canonical().to_owned())
    }
}

fn new_message(m: &Verified<Message>) -> NewMessage {
    let score = match &m.body {
        Body::Feedback(f) => Some(f.score as i64),
        _ => None,
    };
    NewMessage {
        id: m.id.to_string(),
        kind: m.message_type().as_str(),
        sender: m.from.to_string(),
        // A grant is its own consent.
        consent_id: match m.message_type() {
            MessageType::ConsentGrant => Some(m.id.to_string()),
            _ => m.consent.map(|c| c.to_string()),
        },
        thread_id: m.thread.map(|t| t.to_string()),
        in_reply_to: m.in_reply_to.map(|t| t.to_string()),
        score,
        digest: m.digest(),
        document: m.canonical().to_owned(),
        case: crate::store::cases::NewCase::of(m),
    }
}

/// The body of a successful POST: the signed receipt and, for consents, the answer,
/// each in the canonical form it was signed in (built as text: this runs once per
/// message received, and the documents are already serialised).
fn response(receipt: &Verified<Message>, answer: Option<&Verified<Message>>) -> String {
    match answer {
        None => format!(r#"{{"receipt":{}}}"#, receipt.canonical()),
        Some(a) => format!(r#"{{"answer":{},"receipt":{}}}"#, a.canonical(), receipt.canonical()),
    }
}
