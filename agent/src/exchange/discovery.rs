//! Finding vendors and deciding about their keys.
//!
//! A vendor is added from its URL: the agent fetches `/.well-known/parley`, checks the
//! descriptor's self-signature and pins its DID (trust on first use, shown to the person
//! as a fingerprint to compare). Every later exchange fetches the descriptor again; a
//! different DID stops all exchanges with that vendor, loudly, and is recorded as
//! *presented* until the person accepts exactly that key. The person's pairwise identity
//! with the vendor is salted with the DID first pinned, so it survives an accepted key
//! change.

use parley_protocol::{verify_descriptor, Did, VendorDescriptor, Verified};
use serde_json::json;

use super::delivery::{SyncOptions, SyncReport};
use super::transport::{check_endpoint, Transport};
use super::Agent;
use crate::audit::{append_in, Entry};
use crate::error::{Error, Result};
use crate::ids::VendorId;
use crate::outbox::readdress_queued_in;
use crate::records::now;
use crate::records::vendors::{
    accept_key_in, confirm_descriptor_in, fingerprint, pairwise_salt, present_key_in, DescriptorFacts, Vendor,
};

/// Fetches and verifies a descriptor; its endpoint URLs must pass the same URL rules
/// and stay on the origin it was fetched from.
pub(crate) async fn fetch(transport: &Transport, url: &str) -> Result<Verified<VendorDescriptor>> {
    let raw = transport.descriptor(url).await?;
    let bad = |reason: String| Error::BadAnswer { vendor: url.to_owned(), reason };
    let descriptor = verify_descriptor(&raw, parley_protocol::time::OffsetDateTime::now_utc())
        .map_err(|e| bad(format!("descriptor: {e}")))?;
    // The endpoints stay on the origin the person chose: a descriptor must not send
    // their messages, or their inbox and access-log queries, to some other host.
    let origin = check_endpoint("url", url)?.origin();
    let endpoints = &descriptor.endpoints;
    for (field, endpoint) in [
        ("endpoints.messages", Some(&endpoints.messages)),
        ("endpoints.inbox", Some(&endpoints.inbox)),
        ("endpoints.accessLog", endpoints.access_log.as_ref()),
    ] {
        let Some(endpoint) = endpoint else { continue };
        let at = check_endpoint(field, endpoint).map_err(|e| bad(e.to_string()))?;
        if at.origin() != origin {
            return Err(bad(format!(
                "{field} {endpoint} is not on {}, where the vendor was found",
                origin.ascii_serialization()
            )));
        }
    }
    Ok(descriptor)
}

impl Agent {
    /// Adds the vendor at `url` from its signed descriptor, pinning its key. The name is
    /// the descriptor's unless `name` is given.
    pub async fn discover_vendor(&self, url: &str, name: Option<String>) -> Result<Vendor> {
        let d = fetch(&self.transport, url).await?;
        let stamp = now();
        let vendor = Vendor {
            id: VendorId::generate(),
            name: name.unwrap_or_else(|| d.name.clone()),
            url: Some(url.trim_end_matches('/').to_owned()),
            fingerprint: Some(fingerprint(&d.did)),
            did: Some(d.did.clone()),
            presented_did: None,
            presented_fingerprint: None,
            messages_url: Some(d.endpoints.messages.clone()),
            inbox_url: Some(d.endpoints.inbox.clone()),
            access_log_url: d.endpoints.access_log.clone(),
            access_checked: None,
            access_problem: None,
            agreements: d.agreements.clone(),
            created: stamp.clone(),
            updated: stamp,
        };
        self.vault().vendors().insert(&vendor, Some(d.canonical())).await
    }

    /// Trusts the new key a vendor presented — after the person checked its fingerprint
    /// with the vendor — then delivers what waited for that decision. Only the key that
    /// was presented, and shown, is trusted: `expected`, when given, must name it (DID
    /// or fingerprint), and the vendor must still serve exactly that key; if it now
    /// serves yet another one, that one is recorded as presented and nothing is trusted.
    /// The report says what left; the vendor is the one trusted.
    pub async fn trust_vendor_key(
        &self,
        vendor: &str,
        expected: Option<&str>,
    ) -> Result<(Vendor, SyncReport)> {
        let v = self.vault().vendors().get(vendor).await?;
        let url = v.url.clone().ok_or_else(|| Error::invalid("vendor", format!("{} has no URL", v.name)))?;
        let Some(shown) = v.presented_did.clone() else {
            return Err(Error::Conflict(format!(
                "{} has presented no new key: there is nothing to accept",
                v.name
            )));
        };
        if let Some(expected) = expected.map(str::trim) {
            if expected != shown.as_str() && expected != fingerprint(&shown) {
                return Err(Error::invalid(
                    "key",
                    format!(
                        "{expected} is not the key {} presented (fingerprint {})",
                        v.name,
                        fingerprint(&shown)
                    ),
                ));
            }
        }
        let d = fetch(&self.transport, &url).await?;
        if d.did != shown {
            if v.did.as_ref() == Some(&d.did) {
                return Err(Error::Conflict(format!(
                    "{} presents its pinned key again: there is nothing to accept",
                    v.name
                )));
            }
            // Yet another key: record it, so the person is shown it, and trust nothing.
            return Err(self.key_presented(&v, &d.did).await?);
        }
        let facts = DescriptorFacts::from(&d);
        // Queued messages are signed anew for the new key by the same pairwise key:
        // the salt stays the first key pinned.
        let mut conn = self.vault().pool().acquire().await?;
        let salt = pairwise_salt(&mut conn, &v.id).await?;
        drop(conn);
        let key = match salt {
            Some(salt) => Some(self.vault().identity().await?.pairwise_key(&salt)),
            None => None,
        };
        let mut tx = self.vault().pool().begin_with("BEGIN IMMEDIATE").await?;
        accept_key_in(&mut tx, &v.id, &facts).await?;
        let readdressed = match &key {
            Some(key) => readdress_queued_in(&mut tx, key, &v.id, &d.did).await?,
            None => 0,
        };
        let entry = Entry::new("vendor.key-accepted", format!("Accepted a new key for {}", v.name))
            .vendor(&v.id)
            .detail(json!({"before": v.did, "after": d.did.as_str(), "fingerprint": fingerprint(&d.did),
                           "readdressed": readdressed}));
        append_in(&mut tx, entry).await?;
        tx.commit().await?;
        let trusted = self.vault().vendors().by_id(&v.id).await?;
        let options = SyncOptions { vendor: Some(v.id.to_string()), now: true, skip_inbox: true };
        let report = self.sync(&options).await?;
        Ok((trusted, report))
    }

    /// Fetches the vendor's descriptor and checks it against the pinned key: updates the
    /// endpoints, pins a first key, or records a changed one and refuses.
    pub(crate) async fn refresh(&self, vendor: &Vendor) -> Result<Vendor> {
        let url = vendor
            .url
            .clone()
            .ok_or_else(|| Error::invalid("vendor", format!("{} has no URL to reach it at", vendor.name)))?;
        let d = fetch(&self.transport, &url).await?;
        if vendor.did.as_ref().is_some_and(|pinned| *pinned != d.did) {
            return Err(self.key_presented(vendor, &d.did).await?);
        }
        let first_pin = vendor.did.is_none();
        let mut tx = self.vault().pool().begin_with("BEGIN IMMEDIATE").await?;
        confirm_descriptor_in(&mut tx, &vendor.id, &DescriptorFacts::from(&d)).await?;
        if first_pin {
            let entry = Entry::new("vendor.pinned", format!("Pinned the key of {}", vendor.name))
                .vendor(&vendor.id)
                .detail(json!({"did": d.did.as_str(), "fingerprint": fingerprint(&d.did)}));
            append_in(&mut tx, entry).await?;
        }
        tx.commit().await?;
        self.vault().vendors().by_id(&vendor.id).await
    }

    /// Records that `vendor` presents `presented` instead of its pinned key (once per
    /// key, in the audit log too); returns the error that stops exchanges with it.
    async fn key_presented(&self, vendor: &Vendor, presented: &Did) -> Result<Error> {
        let pinned = vendor.did.as_ref().map(Did::to_string).unwrap_or_default();
        if vendor.presented_did.as_ref() != Some(presented) {
            let mut tx = self.vault().pool().begin_with("BEGIN IMMEDIATE").await?;
            present_key_in(&mut tx, &vendor.id, presented).await?;
            let entry =
                Entry::new("vendor.key-changed", format!("{} presented a different key", vendor.name))
                    .vendor(&vendor.id)
                    .detail(json!({"pinned": pinned, "presented": presented.as_str()}));
            append_in(&mut tx, entry).await?;
            tx.commit().await?;
        }
        Ok(Error::VendorKeyChanged { vendor: vendor.name.clone(), pinned, presented: presented.to_string() })
    }
}
