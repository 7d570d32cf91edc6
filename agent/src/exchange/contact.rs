//! What every exchange with one vendor needs, made once per exchange and passed down:
//! the vendor, its pinned key, and the person's pairwise key and DID for it.

use parley_protocol::time::OffsetDateTime;
use parley_protocol::{verify_value, Body, Did, Message, SecretKey, Verified, VerifyPolicy};
use serde_json::Value;

use super::Agent;
use crate::error::{Error, Result};
use crate::records::vendors::{pairwise_salt, Vendor};

/// One vendor, as the person deals with it now.
#[derive(Debug)]
pub struct Contact {
    /// The vendor.
    pub vendor: Vendor,
    /// Its pinned key.
    pub pinned: Did,
    /// The person's pairwise DID with it.
    pub me: Did,
    /// The person's pairwise key with it.
    pub(crate) key: SecretKey,
}

impl Agent {
    /// The contact for a vendor whose key is pinned, refusing one whose key changed
    /// (until the person decides) and learning the key of one added without it.
    pub(crate) async fn contact(&self, vendor: &Vendor) -> Result<Contact> {
        if let (Some(pinned), Some(presented)) = (&vendor.did, &vendor.presented_did) {
            return Err(Error::VendorKeyChanged {
                vendor: vendor.name.clone(),
                pinned: pinned.to_string(),
                presented: presented.to_string(),
            });
        }
        if vendor.did.is_some() {
            return self.contact_with(vendor.clone()).await;
        }
        let refreshed = self.refresh(vendor).await?;
        self.contact_with(refreshed).await
    }

    /// The contact for `vendor` as it is: its pinned key and the pairwise key for it.
    pub(crate) async fn contact_with(&self, vendor: Vendor) -> Result<Contact> {
        let pinned = vendor
            .did
            .clone()
            .ok_or_else(|| Error::invalid("vendor", format!("{} has no pinned key yet", vendor.name)))?;
        let mut conn = self.vault().pool().acquire().await?;
        // The first key pinned: the person's identity survives an accepted key change.
        let salt = pairwise_salt(&mut conn, &vendor.id).await?.unwrap_or_else(|| pinned.clone());
        drop(conn);
        let key = self.vault().identity().await?.pairwise_key(&salt);
        let me = Did::from_public_key(&key.to_public());
        Ok(Contact { vendor, pinned, me, key })
    }
}

impl Contact {
    /// A new message from the person to this vendor.
    pub(crate) fn message(&self, body: Body) -> Message {
        Message::new(self.me.clone(), self.pinned.clone(), body)
    }

    /// Something this vendor sent that is not what it should be.
    pub(crate) fn bad(&self, reason: String) -> Error {
        Error::BadAnswer { vendor: self.vendor.name.clone(), reason }
    }

    /// Verifies a vendor→person message: proof, addressed to the person's pairwise DID,
    /// signed by the pinned key.
    pub(crate) fn verify(&self, document: &Value, what: &str) -> Result<Verified<Message>> {
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
