//! Pulling the inbox: a signed `InboxQuery` to the vendor, and the offers, replies and
//! order updates it returns stored — each only if it verifies against the pinned key and is addressed
//! to the person's pairwise DID; anything else is reported and dropped.

use parley_protocol::{Body, InboxQuery, Timestamp};

use super::contact::Contact;
use super::delivery::{SyncProblem, SyncReport};
use super::orders;
use super::transport::Posted;
use super::Agent;
use crate::error::{Error, Result};
use crate::ids::MessageUuid;
use crate::inbox;

impl Agent {
    /// Asks the contact's vendor what it sent since the last pull; returns how many new
    /// messages were stored.
    pub(crate) async fn pull(&self, contact: &Contact, report: &mut SyncReport) -> Result<usize> {
        let vendor = &contact.vendor;
        let Some(url) = vendor.inbox_url.as_deref() else { return Ok(0) };
        let since = self.vault().vendors().inbox_since(&vendor.id).await?;
        let signed = contact
            .message(Body::InboxQuery(InboxQuery { since }))
            .sign(&contact.key)
            .map_err(|e| Error::Conflict(format!("cannot sign an inbox query: {e}")))?;
        let answer = match self.transport.post(url, signed.canonical()).await? {
            Posted::Answered(v) => v,
            Posted::Refused { kind, detail } => {
                return Err(Error::Refused { vendor: vendor.name.clone(), kind, detail })
            }
            Posted::Transient(reason) => {
                return Err(Error::Unreachable { vendor: vendor.name.clone(), reason })
            }
        };
        let messages = answer["messages"].as_array().cloned().unwrap_or_default();
        let (mut stored, mut newest) = (0, None::<Timestamp>);
        for document in messages {
            // Already stored (the query's `since` is inclusive): nothing to check again.
            if let Some(id) = document["id"].as_str().and_then(|i| i.parse().ok()) {
                let mut conn = self.vault().pool().acquire().await?;
                if inbox::holds(&mut conn, &MessageUuid::from(&id)).await? {
                    continue;
                }
            }
            let m = match contact.verify(&document, "inbox message") {
                Ok(m) if matches!(m.body, Body::Offer(_) | Body::Reply(_) | Body::Order(_)) => m,
                Ok(m) => {
                    let e = contact.bad(format!("{} is not an inbox message", m.message_type()));
                    report.problems.push(SyncProblem::new(&vendor.name, &e));
                    continue;
                }
                Err(e) => {
                    report.problems.push(SyncProblem::new(&vendor.name, &e));
                    continue;
                }
            };
            let mut tx = self.vault().pool().begin_with("BEGIN IMMEDIATE").await?;
            if let Body::Order(order) = &m.body {
                if let Some(reason) = orders::misfit(&mut tx, contact, order).await? {
                    report.problems.push(SyncProblem::new(&vendor.name, &contact.bad(reason)));
                    continue;
                }
            }
            if inbox::store_in(&mut tx, &vendor.id, &vendor.name, &m).await? {
                stored += 1;
                if let Some(product) = orders::apply_in(&mut tx, contact, &m).await? {
                    report.owned.push(product);
                }
            }
            tx.commit().await?;
            if newest.is_none_or(|n| m.created.get() > n.get()) {
                newest = Some(m.created);
            }
        }
        if let Some(n) = newest {
            self.vault().vendors().advance_inbox_since(&vendor.id, n).await?;
        }
        Ok(stored)
    }
}
