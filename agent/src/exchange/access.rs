//! The vendor's staff-access log: at every sync the person's whole chain is fetched
//! with signed `AccessLogQuery`s, page after page, and checked — each answer signed by
//! the pinned key and in reply to its query, every entry about a message the person
//! sent to that vendor, every link intact, and every entry received before served
//! unchanged. Fetching the whole chain, not only what is new, is what catches a vendor
//! that edits or removes an old entry. A chain that does not hold is reported and
//! nothing of it is kept: what the vendor showed before stays as the evidence.

use parley_protocol::{verify_chain, AccessEntry, AccessLog, AccessLogQuery, Body, Message, Verified};
use serde_json::json;

use super::contact::Contact;
use super::transport::Posted;
use super::Agent;
use crate::access;
use crate::audit::{append_in, Entry};
use crate::error::{Error, Result};
use crate::ids::MessageUuid;
use crate::outbox;
use crate::records::vendors::access_checked_in;

/// One signed answer, and the log it carries.
type Page = (Verified<Message>, AccessLog);

/// Most pages asked for in one sync: 200 × 500 entries.
const MAX_PAGES: usize = 200;

impl Agent {
    /// Fetches and checks the contact's vendor's staff-access log; returns how many new
    /// reads were kept. A chain that does not hold is an error (`bad-answer`), recorded
    /// on the vendor until a later check finds it whole.
    pub(crate) async fn pull_access_log(&self, contact: &Contact) -> Result<usize> {
        let vendor = &contact.vendor;
        let Some(url) = vendor.access_log_url.as_deref() else { return Ok(0) };
        let mut conn = self.vault().pool().acquire().await?;
        let held = access::held(&mut conn, &vendor.id).await?;
        drop(conn);
        let pages = self.fetch_chain(contact, url).await?;
        match self.check_chain(contact, &held, &pages).await {
            Ok(()) => self.keep_chain(contact, held.len(), &pages).await,
            Err(e) => {
                self.chain_broken(contact, &e).await?;
                Err(e)
            }
        }
    }

    /// Every page of the chain, each with the signed answer it came in.
    async fn fetch_chain(&self, contact: &Contact, url: &str) -> Result<Vec<Page>> {
        let mut pages = Vec::new();
        let mut after = None;
        for _ in 0..MAX_PAGES {
            let (answer, log) = self.ask_access_log(contact, url, after).await?;
            let last = log.entries.last().map(|e| e.seq);
            let more = match (&log.head, last) {
                (Some(head), Some(last)) => head.seq > last,
                _ => false,
            };
            pages.push((answer, log));
            if !more {
                return Ok(pages);
            }
            after = last;
        }
        Err(contact.bad(format!("the access log has more than {MAX_PAGES} pages")))
    }

    /// One signed query, and its signed answer checked to answer it.
    async fn ask_access_log(&self, contact: &Contact, url: &str, after: Option<u64>) -> Result<Page> {
        let vendor = &contact.vendor;
        let query = contact
            .message(Body::AccessLogQuery(AccessLogQuery { after }))
            .sign(&contact.key)
            .map_err(|e| Error::Conflict(format!("cannot sign an access-log query: {e}")))?;
        let answer = match self.transport.post(url, query.canonical()).await? {
            Posted::Answered(v) => v,
            Posted::Refused { kind, detail } => {
                return Err(Error::Refused { vendor: vendor.name.clone(), kind, detail })
            }
            Posted::Transient(reason) => {
                return Err(Error::Unreachable { vendor: vendor.name.clone(), reason })
            }
        };
        let m = contact.verify(&answer, "access log")?;
        if m.in_reply_to.as_ref() != Some(&query.id) {
            return Err(contact.bad("the access log does not answer the query it was sent for".into()));
        }
        match &m.body {
            Body::AccessLog(log) => {
                let log = log.clone();
                Ok((m, log))
            }
            other => Err(contact.bad(format!("expected an AccessLog, got {}", other.message_type()))),
        }
    }

    /// Checks the pages as one chain from its start, about the person's own messages to
    /// this vendor, with every entry held before unchanged.
    async fn check_chain(&self, contact: &Contact, held: &[AccessEntry], pages: &[Page]) -> Result<()> {
        let mut chain: Vec<&AccessEntry> = Vec::new();
        for (_, log) in pages {
            let after = chain.last().map(|e| (e.seq, e.hash.as_str()));
            verify_chain(&log.entries, after, log.head.as_ref())
                .map_err(|e| contact.bad(format!("its staff-access log does not hold: {e}")))?;
            chain.extend(&log.entries);
        }
        if chain.len() < held.len() {
            return Err(contact.bad(format!(
                "its staff-access log now ends at entry {}, but entry {} was received before: entries were removed",
                chain.len(),
                held.len()
            )));
        }
        for (before, now) in held.iter().zip(&chain) {
            if before != *now {
                return Err(contact.bad(format!(
                    "entry {} of its staff-access log is not what it was when received: the log was rewritten",
                    before.seq
                )));
            }
        }
        let mut conn = self.vault().pool().acquire().await?;
        for e in &chain[held.len()..] {
            if !outbox::was_sent_to(&mut conn, &MessageUuid::from(&e.message), &contact.vendor.id).await? {
                return Err(contact.bad(format!(
                    "entry {} of its staff-access log names message {}, which was never sent to it",
                    e.seq, e.message
                )));
            }
        }
        Ok(())
    }

    /// Keeps the entries after the `held` first, in one transaction with the signed
    /// answers that brought them (in the audit log, the vendor's word for them).
    async fn keep_chain(&self, contact: &Contact, held: usize, pages: &[Page]) -> Result<usize> {
        let vendor = &contact.vendor;
        let mut tx = self.vault().pool().begin_with("BEGIN IMMEDIATE").await?;
        let mut kept = 0;
        for (page, log) in pages {
            let answer = MessageUuid::from(&page.id);
            let mut new = 0;
            for e in log.entries.iter().filter(|e| e.seq as usize > held) {
                if access::keep_in(&mut tx, &vendor.id, e, &answer).await? {
                    new += 1;
                }
            }
            if new > 0 {
                let entry = Entry::new(
                    "access.received",
                    format!(
                        "{} reported {new} read{} of your messages",
                        vendor.name,
                        if new == 1 { "" } else { "s" }
                    ),
                )
                .vendor(&vendor.id)
                .detail(json!({"reads": new, "accessLog": page.document()}));
                append_in(&mut tx, entry).await?;
            }
            kept += new;
        }
        if vendor.access_problem.is_some() {
            let entry = Entry::new("access.whole", format!("{}'s staff-access log holds again", vendor.name))
                .vendor(&vendor.id);
            append_in(&mut tx, entry).await?;
        }
        access_checked_in(&mut tx, &vendor.id, None).await?;
        tx.commit().await?;
        Ok(kept)
    }

    /// Records a chain that does not hold on the vendor, and in the audit log when the
    /// problem is new.
    async fn chain_broken(&self, contact: &Contact, e: &Error) -> Result<()> {
        let vendor = &contact.vendor;
        let problem = e.to_string();
        let mut tx = self.vault().pool().begin_with("BEGIN IMMEDIATE").await?;
        if vendor.access_problem.as_deref() != Some(problem.as_str()) {
            let entry =
                Entry::new("access.broken", format!("{}'s staff-access log does not hold", vendor.name))
                    .vendor(&vendor.id)
                    .detail(json!({"problem": problem}));
            append_in(&mut tx, entry).await?;
        }
        access_checked_in(&mut tx, &vendor.id, Some(&problem)).await?;
        tx.commit().await?;
        Ok(())
    }
}
