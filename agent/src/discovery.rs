//! Finding vendors and pinning their keys.
//!
//! A vendor is added from its URL: the agent fetches `/.well-known/parley`, checks the
//! descriptor's self-signature and pins its DID (trust on first use, shown to the person
//! as a fingerprint to compare). Every later exchange fetches the descriptor again; a
//! different DID stops all exchanges with that vendor, loudly, until the person accepts
//! the new key. The person's pairwise identity with the vendor is salted with the DID
//! first pinned, so it survives an accepted key change.

use parley_protocol::{verify_descriptor, Did, VendorDescriptor, Verified};
use serde_json::json;
use sqlx::Row;

use crate::audit::{append_in, Entry};
use crate::error::{Error, Result};
use crate::records::vendors::{fingerprint, from_row, Vendor};
use crate::records::{new_id, now};
use crate::transport::{check_endpoint, Transport};
use crate::vault::Vault;

/// Fetches and verifies a descriptor; its endpoint URLs must pass the same URL rules.
pub(crate) async fn fetch(transport: &Transport, url: &str) -> Result<(Verified<VendorDescriptor>, String)> {
    let raw = transport.descriptor(url).await?;
    let bad = |reason: String| Error::BadAnswer { vendor: url.to_owned(), reason };
    let descriptor = verify_descriptor(&raw, parley_protocol::time::OffsetDateTime::now_utc())
        .map_err(|e| bad(format!("descriptor: {e}")))?;
    // The endpoints stay on the origin the person chose: a descriptor must not send
    // their messages, or their inbox queries, to some other host.
    let origin = check_endpoint("url", url)?.origin();
    for (field, endpoint) in [
        ("endpoints.messages", &descriptor.endpoints.messages),
        ("endpoints.inbox", &descriptor.endpoints.inbox),
    ] {
        let at = check_endpoint(field, endpoint).map_err(|e| bad(e.to_string()))?;
        if at.origin() != origin {
            return Err(bad(format!(
                "{field} {endpoint} is not on {}, where the vendor was found",
                origin.ascii_serialization()
            )));
        }
    }
    let canonical = descriptor.canonical().to_owned();
    Ok((descriptor, canonical))
}

fn agreements_json(d: &VendorDescriptor) -> String {
    let ids: Vec<&str> = d.agreements.iter().map(|a| a.as_str()).collect();
    serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into())
}

impl Vault {
    /// Adds the vendor at `url` from its signed descriptor, pinning its key. The name is
    /// the descriptor's unless `name` is given.
    pub async fn discover_vendor(&self, url: &str, name: Option<String>) -> Result<Vendor> {
        let (d, canonical) = fetch(&Transport::new()?, url).await?;
        let stamp = now();
        let vendor = Vendor {
            id: new_id(),
            name: name.unwrap_or_else(|| d.name.clone()),
            url: Some(url.trim_end_matches('/').to_owned()),
            did: Some(d.did.to_string()),
            fingerprint: Some(fingerprint(&d.did)),
            presented_did: None,
            presented_fingerprint: None,
            messages_url: Some(d.endpoints.messages.clone()),
            inbox_url: Some(d.endpoints.inbox.clone()),
            agreements: d.agreements.iter().map(|a| a.as_str().to_owned()).collect(),
            created: stamp.clone(),
            updated: stamp,
        };
        self.vendors().insert(&vendor, Some(&canonical)).await
    }

    /// Accepts the new key a vendor presented, after the person checked its fingerprint
    /// with the vendor. Only the key that was presented — and shown — is trusted:
    /// `expected`, when given, must name it (its DID or fingerprint), and the vendor must
    /// still serve exactly that key; if it now serves yet another one, that one is
    /// recorded as presented and nothing is trusted. Messages still queued are addressed
    /// and signed anew for the accepted key.
    pub async fn accept_new_vendor_key(&self, vendor: &str, expected: Option<&str>) -> Result<Vendor> {
        let v = self.vendors().get(vendor).await?;
        let url = v.url.clone().ok_or_else(|| Error::invalid("vendor", format!("{} has no URL", v.name)))?;
        let Some(shown) = v.presented_did.clone() else {
            return Err(Error::Conflict(format!(
                "{} has presented no new key: there is nothing to accept",
                v.name
            )));
        };
        let shown_did: Did = shown.parse().map_err(|e| {
            Error::Conflict(format!("the key {shown} recorded for {} is unreadable: {e}", v.name))
        })?;
        if let Some(expected) = expected.map(str::trim) {
            if expected != shown && expected != fingerprint(&shown_did) {
                return Err(Error::invalid(
                    "key",
                    format!(
                        "{expected} is not the key {} presented (fingerprint {})",
                        v.name,
                        fingerprint(&shown_did)
                    ),
                ));
            }
        }
        let transport = Transport::new()?;
        let (d, canonical) = fetch(&transport, &url).await?;
        if d.did != shown_did {
            if v.did.as_deref() == Some(d.did.as_str()) {
                return Err(Error::Conflict(format!(
                    "{} presents its pinned key again: there is nothing to accept",
                    v.name
                )));
            }
            // Yet another key: record it, so the person is shown it, and trust nothing.
            return Err(self.key_presented(&v, v.did.as_deref().unwrap_or_default(), d.did.as_str()).await?);
        }
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(
            "UPDATE vendors SET did = ?, presented_did = NULL, pairwise_salt = coalesce(pairwise_salt, did),
             messages_url = ?, inbox_url = ?, agreements = ?, descriptor = ?, updated = ? WHERE id = ?",
        )
        .bind(d.did.as_str())
        .bind(&d.endpoints.messages)
        .bind(&d.endpoints.inbox)
        .bind(agreements_json(&d))
        .bind(&canonical)
        .bind(now())
        .bind(&v.id)
        .execute(&mut *tx)
        .await?;
        let readdressed =
            crate::outbox::readdress_queued(&mut tx, &self.identity().await?, &v.id, &d.did).await?;
        let entry = Entry::new("vendor.key-accepted", format!("Accepted a new key for {}", v.name))
            .vendor(&v.id)
            .detail(json!({"before": v.did, "after": d.did.as_str(), "fingerprint": fingerprint(&d.did),
                           "readdressed": readdressed}));
        append_in(&mut tx, entry).await?;
        tx.commit().await?;
        self.vendors().get(&v.id).await
    }

    /// Fetches the vendor's descriptor and checks it against the pinned key: updates the
    /// endpoints, pins a first key, or records a changed one and refuses.
    pub(crate) async fn refresh_vendor(&self, transport: &Transport, vendor: &Vendor) -> Result<Vendor> {
        let url = vendor.url.clone().ok_or_else(|| {
            Error::invalid("vendor", format!("{} has no URL: add one with `parley vendor edit`", vendor.name))
        })?;
        let (d, canonical) = fetch(transport, &url).await?;
        let presented = d.did.to_string();
        if let Some(pinned) = vendor.did.as_deref().filter(|p| *p != presented) {
            return Err(self.key_presented(vendor, pinned, &presented).await?);
        }
        let first_pin = vendor.did.is_none();
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(
            "UPDATE vendors SET did = ?1, pairwise_salt = coalesce(pairwise_salt, ?1), presented_did = NULL,
             messages_url = ?2, inbox_url = ?3, agreements = ?4, descriptor = ?5 WHERE id = ?6",
        )
        .bind(&presented)
        .bind(&d.endpoints.messages)
        .bind(&d.endpoints.inbox)
        .bind(agreements_json(&d))
        .bind(&canonical)
        .bind(&vendor.id)
        .execute(&mut *tx)
        .await?;
        if first_pin {
            let entry = Entry::new("vendor.pinned", format!("Pinned the key of {}", vendor.name))
                .vendor(&vendor.id)
                .detail(json!({"did": presented, "fingerprint": fingerprint(&d.did)}));
            append_in(&mut tx, entry).await?;
        }
        tx.commit().await?;
        let row =
            sqlx::query("SELECT * FROM vendors WHERE id = ?").bind(&vendor.id).fetch_one(self.pool()).await?;
        Ok(from_row(&row))
    }

    /// Records that `vendor` presents `presented` instead of its pinned key (once per
    /// key, in the audit log too); returns the error that stops exchanges with it.
    async fn key_presented(&self, vendor: &Vendor, pinned: &str, presented: &str) -> Result<Error> {
        if vendor.presented_did.as_deref() != Some(presented) {
            let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
            sqlx::query("UPDATE vendors SET presented_did = ?, updated = ? WHERE id = ?")
                .bind(presented)
                .bind(now())
                .bind(&vendor.id)
                .execute(&mut *tx)
                .await?;
            let entry =
                Entry::new("vendor.key-changed", format!("{} presented a different key", vendor.name))
                    .vendor(&vendor.id)
                    .detail(json!({"pinned": pinned, "presented": presented}));
            append_in(&mut tx, entry).await?;
            tx.commit().await?;
        }
        Ok(Error::VendorKeyChanged {
            vendor: vendor.name.clone(),
            pinned: pinned.to_owned(),
            presented: presented.to_owned(),
        })
    }

    /// The DID the person's pairwise identity with this vendor is derived from: the DID
    /// first pinned. `None` before any key is known.
    pub(crate) async fn pairwise_salt(&self, vendor_id: &str) -> Result<Option<Did>> {
        let row = sqlx::query("SELECT coalesce(pairwise_salt, did) AS salt FROM vendors WHERE id = ?")
            .bind(vendor_id)
            .fetch_optional(self.pool())
            .await?;
        let salt: Option<String> = row.and_then(|r| r.get("salt"));
        Ok(salt.and_then(|s| s.parse().ok()))
    }

    /// The person's own DID with a vendor (id, prefix or name), once the vendor's key is
    /// known.
    pub async fn my_did_with(&self, vendor: &str) -> Result<Option<Did>> {
        let v = self.vendors().get(vendor).await?;
        let identity = self.identity().await?;
        Ok(self.pairwise_salt(&v.id).await?.map(|salt| identity.pairwise_did(&salt)))
    }
}
