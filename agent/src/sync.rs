//! Sync: deliver what the outbox holds, and pull what vendors sent.
//!
//! For each vendor concerned: fetch its descriptor and check the pinned key (a changed
//! key stops everything with that vendor), post the due messages oldest first, verify
//! each receipt against the pinned key and the digest of the exact bytes sent, apply
//! the vendor's signed answer (a consent agreement or a deletion receipt) — only when it
//! fits the message it answers — in the same transaction that marks the message
//! delivered, then send a signed `InboxQuery` and
//! store the verified offers and replies. A vendor that is down, slow or failing keeps
//! its messages queued with exponential backoff; nothing here loses or duplicates a
//! message, because ids are idempotent at the vendor and state changes are committed
//! only after the answer verified.

use parley_protocol::time::{Duration, OffsetDateTime};
use parley_protocol::{
    verify_value, Body, ConsentAgreement, Decision, Did, InboxQuery, Message, MessageType, Purpose,
    SecretKey, Timestamp, Verified, VerifyPolicy,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::SqliteConnection;

use crate::audit::{append_in, Entry};
use crate::error::{Error, Result};
use crate::outbox::{self, uuid_of, OutboxItem};
use crate::records::now;
use crate::records::vendors::Vendor;
use crate::transport::{Posted, Transport};
use crate::vault::Vault;

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
    /// What went wrong, per vendor: `(vendor, error)`.
    pub problems: Vec<SyncProblem>,
}

/// One vendor's trouble during a sync.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SyncProblem {
    /// The vendor's name.
    pub vendor: String,
    /// The error's stable code ([`Error::code`]): `unreachable` passes by itself;
    /// `vendor-key-changed` and `bad-answer` need the person's attention.
    pub code: &'static str,
    /// What happened.
    pub error: String,
}

impl SyncProblem {
    fn new(vendor: &str, e: &Error) -> Self {
        Self { vendor: vendor.to_owned(), code: e.code(), error: e.to_string() }
    }

    /// Whether it will not pass by waiting: a changed key or something that did not verify.
    pub fn needs_attention(&self) -> bool {
        self.code != "unreachable"
    }
}

/// Delay before attempt `attempts + 1`: 30 s doubling to at most 6 h.
fn backoff(attempts: i64) -> Duration {
    let exp = attempts.clamp(1, 20) - 1;
    Duration::seconds((30i64 << exp).min(6 * 3600))
}

fn stamp(t: OffsetDateTime) -> String {
    Timestamp::from(t).to_string()
}

impl Vault {
    /// Delivers what is due (everything queued with `now`), then pulls every inbox.
    pub async fn sync(&self, options: &SyncOptions) -> Result<SyncReport> {
        let transport = Transport::new()?;
        let vendors = match &options.vendor {
            Some(v) => vec![self.vendors().get(v).await?],
            None => self.vendors_to_sync(options.now).await?,
        };
        let mut report = SyncReport::default();
        for vendor in vendors {
            if let Err(e) = self.sync_vendor(&transport, &vendor, options, &mut report).await {
                report.problems.push(SyncProblem::new(&vendor.name, &e));
            }
        }
        report.queued = self.outbox(outbox::OutboxFilter::Waiting).await?.len();
        Ok(report)
    }

    /// Tries to deliver the vendor's queued messages now (used right after sending).
    pub(crate) async fn deliver_now(&self, vendor_id: &str) -> Result<SyncReport> {
        let options = SyncOptions { vendor: Some(vendor_id.to_owned()), now: true, skip_inbox: true };
        self.sync(&options).await
    }

    /// Vendors with something due in the outbox, or with a consent under which they may
    /// have sent something.
    async fn vendors_to_sync(&self, ignore_backoff: bool) -> Result<Vec<Vendor>> {
        let ids: Vec<(String,)> = sqlx::query_as(
            "SELECT id FROM vendors WHERE
               id IN (SELECT vendor_id FROM outbox WHERE state = 'queued' AND (?1 OR next_attempt <= ?2))
               OR (did IS NOT NULL AND id IN (SELECT vendor_id FROM consents WHERE state <> 'draft'))
             ORDER BY name COLLATE NOCASE",
        )
        .bind(ignore_backoff)
        .bind(now())
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::with_capacity(ids.len());
        for (id,) in ids {
            out.push(self.vendors().get(&id).await?);
        }
        Ok(out)
    }

    async fn sync_vendor(
        &self,
        transport: &Transport,
        vendor: &Vendor,
        options: &SyncOptions,
        report: &mut SyncReport,
    ) -> Result<()> {
        let due = self.due(&vendor.id, options.now).await?;
        let vendor = match self.refresh_vendor(transport, vendor).await {
            Ok(v) => v,
            Err(e) => {
                let transient = matches!(e, Error::Unreachable { .. });
                for item in &due {
                    self.retry_later(item, &e.to_string(), transient).await?;
                }
                return Err(e);
            }
        };
        let ctx = VendorContext::new(self, &vendor).await?;
        for item in due {
            let Some(url) = vendor.messages_url.as_deref() else { break };
            // The exact bytes signed and digested, as stored.
            let body = self.stored_message(&item.id).await?.unwrap_or_default();
            match transport.post(url, &body).await? {
                Posted::Transient(reason) => {
                    self.retry_later(&item, &reason, true).await?;
                    return Err(Error::Unreachable { vendor: vendor.name.clone(), reason });
                }
                // The person has revoked: that stands whatever the vendor says, and the
                // revocation is offered again until a deletion receipt comes back.
                Posted::Refused { kind, detail } if item.message_type == "ConsentRevocation" => {
                    let e = Error::Refused { vendor: vendor.name.clone(), kind, detail };
                    self.retry_later(&item, &e.to_string(), true).await?;
                    report.problems.push(SyncProblem::new(&vendor.name, &e));
                }
                Posted::Refused { kind, detail } => {
                    let reason = format!("{kind}: {detail}");
                    report.rejected.push(self.reject(&item, &reason).await?);
                }
                Posted::Answered(answer) => match self.accept_answer(&ctx, &item, &answer).await {
                    Ok(delivered) => report.delivered.push(delivered),
                    Err(e) => {
                        self.retry_later(&item, &e.to_string(), true).await?;
                        report.problems.push(SyncProblem::new(&vendor.name, &e));
                    }
                },
            }
        }
        if !options.skip_inbox {
            report.received += self.pull_inbox(transport, &ctx, report).await?;
        }
        Ok(())
    }

    async fn due(&self, vendor_id: &str, ignore_backoff: bool) -> Result<Vec<OutboxItem>> {
        let rows = sqlx::query(&format!(
            "{} WHERE outbox.vendor_id = ? AND outbox.state = 'queued' AND (? OR outbox.next_attempt <= ?)
             ORDER BY outbox.created, outbox.id",
            outbox::SELECT
        ))
        .bind(vendor_id)
        .bind(ignore_backoff)
        .bind(now())
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(outbox::from_row).collect())
    }

    async fn stored_message(&self, id: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT message FROM outbox WHERE id = ?")
            .bind(id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// Keeps a message queued: with backoff when the failure may pass (`counts`), and
    /// always with the reason shown by `parley outbox`.
    async fn retry_later(&self, item: &OutboxItem, reason: &str, counts: bool) -> Result<()> {
        let attempts = item.attempts + i64::from(counts);
        let next = OffsetDateTime::now_utc() + if counts { backoff(attempts) } else { Duration::ZERO };
        sqlx::query("UPDATE outbox SET attempts = ?, next_attempt = ?, last_error = ? WHERE id = ? AND state = 'queued'")
            .bind(attempts)
            .bind(stamp(next))
            .bind(reason)
            .bind(&item.id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn reject(&self, item: &OutboxItem, reason: &str) -> Result<OutboxItem> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("UPDATE outbox SET state = 'rejected', last_error = ? WHERE id = ?")
            .bind(reason)
            .bind(&item.id)
            .execute(&mut *tx)
            .await?;
        if item.message_type == MessageType::ConsentGrant.as_str() {
            set_consent(&mut tx, item.record_id.as_deref().unwrap_or(""), "refused", None, Some(reason))
                .await?;
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
        self.outbox_item(&item.id).await
    }

    pub(crate) async fn outbox_item(&self, id: &str) -> Result<OutboxItem> {
        let row = sqlx::query(&format!("{} WHERE outbox.id = ?", outbox::SELECT))
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        Ok(outbox::from_row(&row))
    }

    /// Verifies the receipt (and answer) for `item`, then records delivery and applies
    /// the answer in one transaction.
    async fn accept_answer(
        &self,
        ctx: &VendorContext,
        item: &OutboxItem,
        answer: &Value,
    ) -> Result<OutboxItem> {
        let receipt = ctx.verify(&answer["receipt"], "receipt")?;
        let message_id = format!("urn:uuid:{}", item.id);
        match &receipt.body {
            Body::Receipt(r) if r.message.to_string() == message_id && r.digest == item.digest => {}
            Body::Receipt(r) => {
                return Err(ctx.bad(format!(
                    "the receipt is for message {} with digest {}, not {message_id} with digest {}",
                    r.message, r.digest, item.digest
                )))
            }
            other => return Err(ctx.bad(format!("expected a Receipt, got {}", other.message_type()))),
        }
        let extra = match answer.get("answer") {
            Some(a) => {
                let a = ctx.verify(a, "answer")?;
                if a.in_reply_to.map(|r| r.to_string()) != Some(message_id.clone()) {
                    return Err(ctx.bad("the answer does not answer this message".into()));
                }
                Some(a)
            }
            None => None,
        };
        // A grant is delivered only with the vendor's agreement, a revocation only with
        // its deletion receipt: until they come, the message stays queued and reported.
        if let (Some(expected), None) = (expected_answer(&item.message_type), &extra) {
            return Err(ctx.bad(format!("a {} was receipted without its {expected}", item.message_type)));
        }
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let updated = sqlx::query(
            "UPDATE outbox SET state = 'delivered', receipt = ?, delivered = ?, last_error = NULL
             WHERE id = ? AND state = 'queued'",
        )
        .bind(receipt.canonical())
        .bind(now())
        .bind(&item.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 1 {
            let mut entry = Entry::new(
                "message.delivered",
                format!("{} delivered to {}", item.message_type, item.vendor),
            )
            .vendor(&item.vendor_id)
            .detail(json!({"message": message_id, "digest": item.digest, "receipt": receipt.document()}));
            if let Some(c) = &item.consent_id {
                entry = entry.consent(c);
            }
            append_in(&mut tx, entry).await?;
            if let Some(a) = &extra {
                if let Some(reason) = misfit(&mut tx, item, a).await? {
                    // Dropping the transaction undoes the delivery mark: nothing changes.
                    return Err(ctx.bad(reason));
                }
                apply_answer(&mut tx, item, a).await?;
            }
        }
        tx.commit().await?;
        self.outbox_item(&item.id).await
    }

    /// Sends a signed `InboxQuery` and stores each verified message; ones that do not
    /// verify are reported and dropped.
    async fn pull_inbox(
        &self,
        transport: &Transport,
        ctx: &VendorContext,
        report: &mut SyncReport,
    ) -> Result<usize> {
        let Some(url) = ctx.vendor.inbox_url.as_deref() else { return Ok(0) };
        let since: Option<String> = sqlx::query_scalar("SELECT inbox_since FROM vendors WHERE id = ?")
            .bind(&ctx.vendor.id)
            .fetch_one(self.pool())
            .await?;
        let query = Body::InboxQuery(InboxQuery { since: since.and_then(|s| s.parse().ok()) });
        let signed = Message::new(ctx.me.clone(), ctx.pinned.clone(), query)
            .sign(&ctx.key)
            .map_err(|e| Error::Conflict(format!("cannot sign an inbox query: {e}")))?;
        let answer = match transport.post(url, signed.canonical()).await? {
            Posted::Answered(v) => v,
            Posted::Refused { kind, detail } => {
                return Err(Error::Refused { vendor: ctx.vendor.name.clone(), kind, detail })
            }
            Posted::Transient(reason) => {
                return Err(Error::Unreachable { vendor: ctx.vendor.name.clone(), reason })
            }
        };
        let messages = answer["messages"].as_array().cloned().unwrap_or_default();
        let mut stored = 0;
        let mut newest: Option<Timestamp> = None;
        for document in messages {
            // Already stored (the query's `since` is inclusive): nothing to check again.
            let id = document["id"].as_str().map(uuid_of).unwrap_or_default();
            let known: Option<i64> = sqlx::query_scalar("SELECT 1 FROM inbox WHERE id = ?")
                .bind(&id)
                .fetch_optional(self.pool())
                .await?;
            if known.is_some() {
                continue;
            }
            let m = match ctx.verify(&document, "inbox message") {
                Ok(m) if matches!(m.body, Body::Offer(_) | Body::Reply(_)) => m,
                Ok(m) => {
                    let e = ctx.bad(format!("{} is not an inbox message", m.message_type()));
                    report.problems.push(SyncProblem::new(&ctx.vendor.name, &e));
                    continue;
                }
                Err(e) => {
                    report.problems.push(SyncProblem::new(&ctx.vendor.name, &e));
                    continue;
                }
            };
            let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
            if crate::inbox::store_in(&mut tx, &ctx.vendor.id, &ctx.vendor.name, &m).await? {
                stored += 1;
            }
            tx.commit().await?;
            if newest.is_none_or(|n| m.created.get() > n.get()) {
                newest = Some(m.created);
            }
        }
        if let Some(n) = newest {
            sqlx::query("UPDATE vendors SET inbox_since = max(coalesce(inbox_since, ''), ?) WHERE id = ?")
                .bind(n.to_string())
                .bind(&ctx.vendor.id)
                .execute(self.pool())
                .await?;
        }
        Ok(stored)
    }
}

/// What checking a vendor's messages needs: its pinned key, the person's pairwise DID
/// and key with it.
pub(crate) struct VendorContext {
    pub vendor: Vendor,
    pub pinned: Did,
    pub me: Did,
    pub key: SecretKey,
}

impl VendorContext {
    pub(crate) async fn new(vault: &Vault, vendor: &Vendor) -> Result<Self> {
        let pinned: Did = vendor
            .did
            .as_deref()
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| Error::invalid("vendor", format!("{} has no pinned key yet", vendor.name)))?;
        let salt = vault.pairwise_salt(&vendor.id).await?.unwrap_or_else(|| pinned.clone());
        let key = vault.identity().await?.pairwise_key(&salt);
        let me = Did::from_public_key(&key.to_public());
        Ok(Self { vendor: vendor.clone(), pinned, me, key })
    }

    fn bad(&self, reason: String) -> Error {
        Error::BadAnswer { vendor: self.vendor.name.clone(), reason }
    }

    /// Verifies a vendor→person message: proof, addressed to the person's pairwise DID,
    /// signed by the pinned key.
    fn verify(&self, document: &Value, what: &str) -> Result<Verified<Message>> {
        if document.is_null() {
            return Err(self.bad(format!("no {what} in the answer")));
        }
        let policy = VerifyPolicy::for_person(self.me.clone(), OffsetDateTime::now_utc());
        let m = verify_value(document.clone(), &policy).map_err(|e| self.bad(format!("{what}: {e}")))?;
        if m.signer() != &self.pinned {
            return Err(self.bad(format!(
                "{what} is signed by {}, not by the pinned key {}",
                m.signer(),
                self.pinned
            )));
        }
        Ok(m)
    }
}

async fn set_consent(
    conn: &mut SqliteConnection,
    consent_id: &str,
    state: &str,
    answer: Option<&str>,
    reason: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "UPDATE consents SET state = ?, answer = coalesce(?, answer), reason = coalesce(?, reason), updated = ?
         WHERE id = ?",
    )
    .bind(state)
    .bind(answer)
    .bind(reason)
    .bind(now())
    .bind(consent_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Why a signed answer does not fit the message it claims to answer, if it does not.
///
/// A vendor's signature proves who wrote an answer, not that the answer is the one the
/// question allows: a hostile vendor could answer a revocation with "agreed" and so turn
/// the consent back on. An answer is applied only when its type fits the message (an
/// agreement answers a grant, a deletion receipt a revocation), its body names this
/// consent, and an acceptance names the agreement the person proffered.
async fn misfit(
    conn: &mut SqliteConnection,
    item: &OutboxItem,
    answer: &Verified<Message>,
) -> Result<Option<String>> {
    let consent_id = item.consent_id.clone().unwrap_or_default();
    let consent_urn = format!("urn:uuid:{consent_id}");
    let names_consent = |named: &str| named == consent_urn;
    Ok(match (&answer.body, item.message_type.as_str()) {
        (Body::ConsentAgreement(a), "ConsentGrant") => {
            let row: Option<(String, String, String)> =
                sqlx::query_as("SELECT state, agreement, purpose FROM consents WHERE id = ?")
                    .bind(&consent_id)
                    .fetch_optional(&mut *conn)
                    .await?;
            let Some((state, proffered, purpose)) = row else {
                return Ok(Some(format!(
                    "the agreement answers consent {consent_id}, which is not in the vault"
                )));
            };
            let purpose: Option<Purpose> = serde_json::from_value(Value::String(purpose)).ok();
            if !names_consent(&a.grant.to_string()) {
                Some(format!("the agreement names grant {}, not {consent_urn}", a.grant))
            } else if state != "proffered" {
                Some(format!("consent {consent_id} is {state}: an agreement cannot change it now"))
            } else {
                match (a.decision, a.agreement.map(|x| x.as_str())) {
                    (Decision::Accepted, Some(agreed)) if agreed != proffered => Some(format!(
                        "the vendor says it accepted {agreed}, but the person proffered {proffered}"
                    )),
                    (Decision::Alternative, Some(alt)) if alt == proffered => {
                        Some(format!("the alternative offered is {alt}, the agreement proffered"))
                    }
                    (Decision::Alternative, Some(_))
                        if !a.agreement.zip(purpose).is_some_and(|(alt, p)| alt.fits(p)) =>
                    {
                        Some("the alternative offered does not fit the consent's purpose".into())
                    }
                    _ => None,
                }
            }
        }
        (Body::DeletionReceipt(d), "ConsentRevocation") => (!names_consent(&d.consent.to_string()))
            .then(|| format!("the deletion receipt names consent {}, not {consent_urn}", d.consent)),
        (other, kind) => Some(format!("a {} does not answer a {kind}", other.message_type())),
    })
}

/// The answer a message type must come back with, beside its receipt.
fn expected_answer(message_type: &str) -> Option<MessageType> {
    match message_type {
        "ConsentGrant" => Some(MessageType::ConsentAgreement),
        "ConsentRevocation" => Some(MessageType::DeletionReceipt),
        _ => None,
    }
}

/// Applies a vendor's signed answer to a delivered message; [`misfit`] has passed.
async fn apply_answer(
    conn: &mut SqliteConnection,
    item: &OutboxItem,
    answer: &Verified<Message>,
) -> Result<()> {
    let consent_id = item.consent_id.clone().unwrap_or_default();
    let entry = match &answer.body {
        Body::ConsentAgreement(ConsentAgreement { decision, agreement, reason, .. }) => {
            let state = match decision {
                Decision::Accepted => "agreed",
                Decision::Alternative => "alternative",
                Decision::Refused => "refused",
            };
            set_consent(conn, &consent_id, state, Some(answer.canonical()), reason.as_deref()).await?;
            if *decision == Decision::Alternative {
                sqlx::query("UPDATE consents SET alternative = ? WHERE id = ?")
                    .bind(agreement.map(|a| a.as_str()))
                    .bind(&consent_id)
                    .execute(&mut *conn)
                    .await?;
            }
            Entry::new(
                &format!("consent.{state}"),
                format!(
                    "{} answered the consent: {state}{}",
                    item.vendor,
                    agreement.map(|a| format!(" ({})", a.as_str())).unwrap_or_default()
                ),
            )
        }
        Body::DeletionReceipt(d) => {
            sqlx::query("UPDATE consents SET deletion_receipt = ?, updated = ? WHERE id = ?")
                .bind(answer.canonical())
                .bind(now())
                .bind(&consent_id)
                .execute(&mut *conn)
                .await?;
            Entry::new(
                "consent.deletion-receipt",
                format!("{} deleted {} message(s) held under the consent", item.vendor, d.deleted.len()),
            )
        }
        other => {
            Entry::new("message.answer", format!("{} answered with {}", item.vendor, other.message_type()))
        }
    };
    let entry = entry
        .vendor(&item.vendor_id)
        .consent(&uuid_of(&consent_id))
        .detail(json!({"answer": answer.document(), "digest": answer.digest()}));
    append_in(conn, entry).await?;
    Ok(())
}
